// Request parsing helpers shared by the software authenticator's command handlers. Every error
// carries the CTAP status a real authenticator answers in Error::native (CTAP 2.1 §8.2):
// wrong CBOR → CTAP2_ERR_INVALID_CBOR, missing member → CTAP2_ERR_MISSING_PARAMETER, wrong
// type → CTAP2_ERR_CBOR_UNEXPECTED_TYPE.
#ifndef KEYWARD_TOOLS_SOFTCTAP_CTAP_REQUEST_H_
#define KEYWARD_TOOLS_SOFTCTAP_CTAP_REQUEST_H_

#include <optional>
#include <string>
#include <string_view>

#include "core/bytes.h"
#include "core/cbor.h"
#include "keyward/result.h"
#include "tools/softctap/ctap_status.h"

namespace keyward::softctap {

inline Unexpected CtapError(uint8_t status, std::string detail = {}) {
  ErrorCode code = (status == ctap::kInvalidCbor || status == ctap::kCborUnexpectedType ||
                    status == ctap::kMissingParameter || status == ctap::kInvalidLength)
                       ? ErrorCode::kCtapRequestMalformed
                       : ErrorCode::kFidoCtapError;
  return Fail(code, std::move(detail), status);
}

// The CTAP status of an error from a handler (ctap::kOther for non-CTAP errors).
inline uint8_t CtapStatusOf(const Error& e) {
  if ((e.code == ErrorCode::kFidoCtapError || e.code == ErrorCode::kCtapRequestMalformed) &&
      e.native > 0 && e.native <= 0xff) {
    return static_cast<uint8_t>(e.native);
  }
  return ctap::kOther;
}

// Decodes the parameters of a command: one canonical CBOR map, nothing after it.
Result<CborItem> ParseRequestMap(ByteSpan params);

// The raw canonical encoding of an item (for pinUvAuthParam over subCommandParams).
Bytes EncodeItem(const CborItem& item);

Result<std::optional<ByteSpan>> OptBytes(const CborItem& map, int64_t key);
Result<ByteSpan> ReqBytes(const CborItem& map, int64_t key);
Result<std::optional<int64_t>> OptInt(const CborItem& map, int64_t key);
Result<std::optional<std::string>> OptText(const CborItem& map, int64_t key);
Result<CborItem> ReqMap(const CborItem& map, int64_t key);
Result<std::optional<CborItem>> OptMap(const CborItem& map, int64_t key);
// Members of text-keyed maps (entities, options, extensions).
Result<std::optional<ByteSpan>> OptBytes(const CborItem& map, std::string_view key);
Result<std::optional<std::string>> OptText(const CborItem& map, std::string_view key);
Result<std::optional<bool>> OptBool(const CborItem& map, std::string_view key);
Result<std::optional<int64_t>> OptInt(const CborItem& map, std::string_view key);

}  // namespace keyward::softctap

#endif  // KEYWARD_TOOLS_SOFTCTAP_CTAP_REQUEST_H_
