// CollectedClientData (WebAuthn L3 §5.8.1) and its checks (§7.1 steps 7-10, §7.2 steps 11-14).
//
// clientDataJSON is parsed as JSON (core/json.h: strict, duplicate members rejected), never
// compared as bytes; unknown members are ignored (§5.8.1.2 allows extension by the client).
// Checks, each with its own code: type (kClientDataTypeMismatch), challenge decoded and compared
// in constant time (kChallengeMismatch), origin exactly one of the allowed origins
// (kOriginMismatch), crossOrigin only when the RP opted in (kCrossOriginNotAllowed), topOrigin
// one of the allowed top origins when the RP listed any (kTopOriginMismatch).
#ifndef KEYWARD_WEBAUTHN_CLIENT_DATA_H_
#define KEYWARD_WEBAUTHN_CLIENT_DATA_H_

#include <optional>
#include <string>

#include "core/bytes.h"
#include "keyward/webauthn.h"

namespace keyward::webauthn {

struct CollectedClientData {
  std::string type;
  Bytes challenge;
  std::string origin;
  bool cross_origin = false;
  std::optional<std::string> top_origin;

  // kClientDataMalformed for anything that is not a well-formed CollectedClientData.
  static Result<CollectedClientData> Parse(std::string_view json);
};

// Parses and checks clientDataJSON for a ceremony ("webauthn.create" / "webauthn.get").
Result<CollectedClientData> VerifyClientData(std::string_view json, std::string_view expected_type,
                                             ByteSpan expected_challenge,
                                             const OriginPolicy& origin);

}  // namespace keyward::webauthn

#endif  // KEYWARD_WEBAUTHN_CLIENT_DATA_H_
