// CBOR (RFC 8949) decoding for untrusted input: a strict structural pre-pass, then libcbor.
//
// The pre-pass (ValidateCbor) walks the encoded bytes and enforces, before libcbor allocates
// anything:
//  - well-formedness (no truncation, no reserved additional-information values, simple values
//    encoded in their short form);
//  - definite lengths only (CTAP2 / WebAuthn never use indefinite-length items);
//  - limits: nesting depth, total item count, byte length;
//  - map keys unique (compared by value for integers and strings), always;
//  - with `require_canonical`, CTAP2 canonical form (CTAP 2.1 §8 "Message Encoding"): shortest
//    integer/length encodings and map keys sorted (major type, then length, then bytes).
// Canonical form is not required by default: WebAuthn relying parties must accept what real
// authenticators send, and several emit non-canonical map order.
#ifndef KEYWARD_CORE_CBOR_H_
#define KEYWARD_CORE_CBOR_H_

#include <cbor.h>

#include <cstdint>
#include <optional>
#include <string_view>

#include "core/bytes.h"

namespace keyward {

struct CborLimits {
  size_t max_depth = 16;
  size_t max_items = 8192;
  size_t max_bytes = 1 << 20;
  bool require_canonical = false;
  bool allow_trailing = false;  // When false, bytes after the first item are kTrailingData.
};

// Returns the length of the first complete CBOR item in `data`.
Result<size_t> ValidateCbor(ByteSpan data, const CborLimits& limits);

// Reference-counted handle to a libcbor item. Null handle = absent.
class CborItem {
 public:
  CborItem() = default;
  explicit CborItem(cbor_item_t* adopt) : item_(adopt) {}
  CborItem(const CborItem& o) : item_(o.item_ ? cbor_incref(o.item_) : nullptr) {}
  CborItem(CborItem&& o) noexcept : item_(o.item_) { o.item_ = nullptr; }
  CborItem& operator=(CborItem o) noexcept {
    std::swap(item_, o.item_);
    return *this;
  }
  ~CborItem() {
    if (item_) cbor_decref(&item_);
  }

  cbor_item_t* get() const { return item_; }
  explicit operator bool() const { return item_ != nullptr; }

  bool IsMap() const;
  bool IsArray() const;
  bool IsBytes() const;
  bool IsText() const;
  bool IsInt() const;  // major type 0 or 1
  bool IsBool() const;

  // Typed accessors: kCborUnexpectedType when the item is of another type.
  Result<ByteSpan> GetBytes() const;
  Result<std::string_view> GetText() const;
  Result<int64_t> GetInt() const;  // kCborLimitExceeded outside int64_t
  Result<bool> GetBool() const;

  // Map lookup by integer or text key; a null handle when absent. Only valid on maps.
  CborItem Find(int64_t key) const;
  CborItem Find(std::string_view key) const;
  size_t MapSize() const;
  size_t ArraySize() const;
  CborItem At(size_t index) const;  // array element

 private:
  cbor_item_t* item_ = nullptr;
};

struct CborDecoded {
  CborItem item;
  size_t consumed = 0;
};

// Validates (see above) and decodes the first item of `data`.
Result<CborDecoded> DecodeCbor(ByteSpan data, const CborLimits& limits = {});

}  // namespace keyward

#endif  // KEYWARD_CORE_CBOR_H_
