#include "core/json.h"

#include <set>
#include <vector>

#include "core/base64url.h"

namespace keyward {
namespace {

// Structural pre-scan: nesting depth outside strings. Runs before nlohmann's recursive parser so
// that hostile nesting never reaches it.
bool DepthWithin(std::string_view text, size_t max_depth) {
  size_t depth = 0;
  bool in_string = false, escaped = false;
  for (char c : text) {
    if (in_string) {
      if (escaped) {
        escaped = false;
      } else if (c == '\\') {
        escaped = true;
      } else if (c == '"') {
        in_string = false;
      }
      continue;
    }
    if (c == '"') {
      in_string = true;
    } else if (c == '{' || c == '[') {
      if (++depth > max_depth) return false;
    } else if ((c == '}' || c == ']') && depth > 0) {
      --depth;
    }
  }
  return true;
}

}  // namespace

Result<Json> ParseJson(std::string_view text, const JsonLimits& limits) {
  if (text.size() > limits.max_bytes) return Fail(ErrorCode::kJsonLimitExceeded, "JSON too large");
  // nlohmann's lexer treats a NUL byte as the end of input and would ignore what follows it
  // ("{...}\0garbage" parses). NUL is never valid in JSON text (not whitespace, and a raw control
  // character inside strings), so refuse it outright. Found by the differential fuzz target.
  if (text.find('\0') != std::string_view::npos) {
    return Fail(ErrorCode::kJsonMalformed, "NUL byte in JSON text");
  }
  if (!DepthWithin(text, limits.max_depth)) {
    return Fail(ErrorCode::kJsonLimitExceeded, "JSON nested too deeply");
  }
  std::vector<std::set<std::string>> keys;  // one set per open object
  bool duplicate = false;
  auto cb = [&](int /*depth*/, Json::parse_event_t ev, Json& parsed) {
    switch (ev) {
      case Json::parse_event_t::object_start:
        keys.emplace_back();
        break;
      case Json::parse_event_t::object_end:
        if (!keys.empty()) keys.pop_back();
        break;
      case Json::parse_event_t::key:
        if (!keys.empty() && !keys.back().insert(parsed.get<std::string>()).second) duplicate = true;
        break;
      default:
        break;
    }
    return true;
  };
  Json j = Json::parse(text.begin(), text.end(), cb, /*allow_exceptions=*/false,
                       /*ignore_comments=*/false);
  if (j.is_discarded()) return Fail(ErrorCode::kJsonMalformed, "not valid JSON");
  if (duplicate) return Fail(ErrorCode::kJsonMalformed, "duplicate member name");
  return j;
}

namespace {
Result<const Json*> Member(const Json& obj, std::string_view key) {
  if (!obj.is_object()) return Fail(ErrorCode::kJsonWrongType, "not a JSON object");
  auto it = obj.find(key);
  if (it == obj.end()) return Fail(ErrorCode::kJsonMissingField, std::string(key) + " missing");
  return &*it;
}
Unexpected WrongType(std::string_view key, const char* want) {
  return Fail(ErrorCode::kJsonWrongType, std::string(key) + " is not " + want);
}
}  // namespace

Result<std::string_view> JsonString(const Json& obj, std::string_view key) {
  KW_ASSIGN_OR_RETURN(const Json* v, Member(obj, key));
  if (!v->is_string()) return WrongType(key, "a string");
  return std::string_view(v->get_ref<const std::string&>());
}

Result<bool> JsonBool(const Json& obj, std::string_view key) {
  KW_ASSIGN_OR_RETURN(const Json* v, Member(obj, key));
  if (!v->is_boolean()) return WrongType(key, "a boolean");
  return v->get<bool>();
}

Result<const Json*> JsonObject(const Json& obj, std::string_view key) {
  KW_ASSIGN_OR_RETURN(const Json* v, Member(obj, key));
  if (!v->is_object()) return WrongType(key, "an object");
  return v;
}

Result<const Json*> JsonArray(const Json& obj, std::string_view key) {
  KW_ASSIGN_OR_RETURN(const Json* v, Member(obj, key));
  if (!v->is_array()) return WrongType(key, "an array");
  return v;
}

Result<std::optional<std::string_view>> JsonOptString(const Json& obj, std::string_view key) {
  if (!obj.is_object()) return Fail(ErrorCode::kJsonWrongType, "not a JSON object");
  auto it = obj.find(key);
  if (it == obj.end() || it->is_null()) return std::optional<std::string_view>();
  if (!it->is_string()) return WrongType(key, "a string");
  return std::optional<std::string_view>(it->get_ref<const std::string&>());
}

Result<std::optional<bool>> JsonOptBool(const Json& obj, std::string_view key) {
  if (!obj.is_object()) return Fail(ErrorCode::kJsonWrongType, "not a JSON object");
  auto it = obj.find(key);
  if (it == obj.end() || it->is_null()) return std::optional<bool>();
  if (!it->is_boolean()) return WrongType(key, "a boolean");
  return std::optional<bool>(it->get<bool>());
}

Result<Bytes> JsonBase64Url(const Json& obj, std::string_view key) {
  KW_ASSIGN_OR_RETURN(std::string_view s, JsonString(obj, key));
  auto b = Base64UrlDecode(s);
  if (!b) return Fail(ErrorCode::kBase64Invalid, std::string(key) + ": invalid base64url");
  return b;
}

}  // namespace keyward
