// Strict JSON (RFC 8259) for untrusted input: clientDataJSON, WebAuthn L3 response JSON,
// verification cases, metadata BLOB payloads, configuration files.
//
// ParseJson rejects: malformed text, nesting deeper than `max_depth`, input larger than
// `max_bytes`, and duplicate member names in any object (a duplicated "challenge" or "origin"
// would let two parsers disagree about what was signed). Unknown members are the caller's to
// ignore.
#ifndef KEYWARD_CORE_JSON_H_
#define KEYWARD_CORE_JSON_H_

#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <string_view>

#include "keyward/bytes.h"
#include "keyward/export.h"

KEYWARD_API_BEGIN

namespace keyward {

using Json = nlohmann::json;

struct JsonLimits {
  size_t max_depth = 32;
  size_t max_bytes = 1 << 20;
};

Result<Json> ParseJson(std::string_view text, const JsonLimits& limits = {});

// Typed member access. Missing → kJsonMissingField; wrong type → kJsonWrongType.
Result<std::string_view> JsonString(const Json& obj, std::string_view key);
Result<bool> JsonBool(const Json& obj, std::string_view key);
Result<const Json*> JsonObject(const Json& obj, std::string_view key);
Result<const Json*> JsonArray(const Json& obj, std::string_view key);
// Optional variants: absent (or null) → nullopt / nullptr; present but wrong type → kJsonWrongType.
Result<std::optional<std::string_view>> JsonOptString(const Json& obj, std::string_view key);
Result<std::optional<bool>> JsonOptBool(const Json& obj, std::string_view key);
// A base64url member decoded strictly (kBase64Invalid on bad encoding).
Result<Bytes> JsonBase64Url(const Json& obj, std::string_view key);

}  // namespace keyward

KEYWARD_API_END

#endif  // KEYWARD_CORE_JSON_H_
