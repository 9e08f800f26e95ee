#include "webauthn/client_data.h"

#include <algorithm>

#include "core/base64url.h"
#include "core/json_reader.h"

namespace keyward::webauthn {
namespace {

Unexpected Malformed(const std::string& what) {
  return Fail(ErrorCode::kClientDataMalformed, "clientDataJSON: " + what);
}

}  // namespace

Result<CollectedClientData> CollectedClientData::Parse(std::string_view json) {
  JsonLimits limits;
  limits.max_bytes = 64 * 1024;
  limits.max_depth = 8;
  auto doc = JsonDocument::Parse(json, limits);
  if (!doc) return Malformed(doc.error().ToString());
  JsonValue root = doc->root();
  if (!root.IsObject()) return Malformed("not a JSON object");
  CollectedClientData c;
  auto type = root.GetString("type");
  if (!type) return Malformed("type missing or not a string");
  c.type = *type;
  auto challenge = root.GetString("challenge");
  if (!challenge) return Malformed("challenge missing or not a string");
  auto decoded = Base64UrlDecode(*challenge);
  if (!decoded) return Malformed("challenge is not base64url");
  c.challenge = std::move(*decoded);
  auto origin = root.GetString("origin");
  if (!origin) return Malformed("origin missing or not a string");
  c.origin = *origin;
  auto cross = root.GetOptBool("crossOrigin");
  if (!cross) return Malformed("crossOrigin is not a boolean");
  c.cross_origin = cross->value_or(false);
  auto top = root.GetOptString("topOrigin");
  if (!top) return Malformed("topOrigin is not a string");
  if (*top) c.top_origin = std::string(**top);
  return c;
}

Result<CollectedClientData> VerifyClientData(std::string_view json, std::string_view expected_type,
                                             ByteSpan expected_challenge,
                                             const OriginPolicy& origin) {
  KW_ASSIGN_OR_RETURN(CollectedClientData c, CollectedClientData::Parse(json));
  if (c.type != expected_type) {
    return Fail(ErrorCode::kClientDataTypeMismatch,
                "type is \"" + c.type + "\", expected \"" + std::string(expected_type) + "\"");
  }
  if (expected_challenge.empty() || !ConstantTimeEqual(c.challenge, expected_challenge)) {
    return Fail(ErrorCode::kChallengeMismatch, "challenge differs from the one issued");
  }
  if (std::find(origin.origins.begin(), origin.origins.end(), c.origin) == origin.origins.end()) {
    return Fail(ErrorCode::kOriginMismatch, "origin \"" + c.origin + "\" is not allowed");
  }
  if (c.cross_origin) {
    if (!origin.allow_cross_origin) {
      return Fail(ErrorCode::kCrossOriginNotAllowed, "ceremony ran in a cross-origin iframe");
    }
    if (!origin.top_origins.empty() &&
        (!c.top_origin || std::find(origin.top_origins.begin(), origin.top_origins.end(),
                                    *c.top_origin) == origin.top_origins.end())) {
      return Fail(ErrorCode::kTopOriginMismatch,
                  "topOrigin \"" + c.top_origin.value_or("") + "\" is not allowed");
    }
  } else if (c.top_origin) {
    // topOrigin is only defined for cross-origin ceremonies (§5.8.1).
    return Fail(ErrorCode::kTopOriginMismatch, "topOrigin present without crossOrigin");
  }
  return c;
}

}  // namespace keyward::webauthn
