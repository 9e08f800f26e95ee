#include "capi/c_api.h"

#include <charconv>
#include <cstdlib>
#include <cstring>

#include "core/base64url.h"

namespace keyward::capi {

void SetOk(keyward_error* err) noexcept {
  if (err == nullptr) return;
  err->code = KEYWARD_OK;
  err->native = 0;
  err->name = "ok";
  err->detail[0] = '\0';
}

int SetError(keyward_error* err, const Error& e) noexcept {
  const int code = static_cast<int>(e.code);
  if (err != nullptr) {
    err->code = code;
    err->native = e.native;
    err->name = keyward_error_name(code);
    const size_t n = std::min(e.detail.size(), sizeof(err->detail) - 1);
    std::memcpy(err->detail, e.detail.data(), n);
    err->detail[n] = '\0';
  }
  return code;
}

char* CopyOut(std::string_view s) {
  char* p = static_cast<char*>(std::malloc(s.size() + 1));
  if (p == nullptr) throw std::bad_alloc();
  std::memcpy(p, s.data(), s.size());
  p[s.size()] = '\0';
  return p;
}

void Emit(char** out, std::string_view s) {
  if (out != nullptr) *out = CopyOut(s);
}

Unexpected NullArgument(std::string_view name) {
  return Fail(ErrorCode::kInvalidArgument, std::string(name) + " is NULL");
}

Result<std::string_view> Arg(const char* s, std::string_view name) {
  if (s == nullptr) return NullArgument(name);
  return std::string_view(s);
}

Result<JsonDocument> ParseObject(std::string_view text, std::string_view what) {
  KW_ASSIGN_OR_RETURN(JsonDocument doc, JsonDocument::Parse(text));
  if (!doc.root().IsObject()) {
    return Fail(ErrorCode::kJsonWrongType, std::string(what) + " must be a JSON object");
  }
  return doc;
}

Result<int64_t> ToInt(const JsonValue& v) {
  if (v.type() != JsonValue::Type::kNumber) return Fail(ErrorCode::kJsonWrongType, "not a number");
  std::string_view t = v.string();
  int64_t out = 0;
  auto [end, ec] = std::from_chars(t.data(), t.data() + t.size(), out);
  if (ec != std::errc() || end != t.data() + t.size()) {
    return Fail(ErrorCode::kJsonWrongType, "not an integer in range");
  }
  return out;
}

Json ToJson(const JsonValue& v) {
  switch (v.type()) {
    case JsonValue::Type::kNull:
      return nullptr;
    case JsonValue::Type::kFalse:
      return false;
    case JsonValue::Type::kTrue:
      return true;
    case JsonValue::Type::kNumber: {
      auto parsed = ParseJson(v.string());
      return parsed ? *parsed : Json(nullptr);
    }
    case JsonValue::Type::kString:
      return std::string(v.string());
    case JsonValue::Type::kArray: {
      Json a = Json::array();
      for (const JsonValue& c : v.Children()) a.push_back(ToJson(c));
      return a;
    }
    case JsonValue::Type::kObject: {
      Json o = Json::object();
      for (const JsonValue& c : v.Children()) o[std::string(c.key())] = ToJson(c);
      return o;
    }
  }
  return nullptr;
}

Result<ObjectReader> ObjectReader::Make(const JsonValue& value, std::string_view what,
                                        std::initializer_list<std::string_view> allowed) {
  if (!value.IsObject()) {
    return Fail(ErrorCode::kJsonWrongType, std::string(what) + " must be a JSON object");
  }
  for (const JsonValue& member : value.Children()) {
    bool known = false;
    for (std::string_view a : allowed) known = known || a == member.key();
    if (!known) {
      return Fail(ErrorCode::kInvalidArgument,
                  std::string(what) + ": unknown member \"" + std::string(member.key()) + "\"");
    }
  }
  return ObjectReader(value, what);
}

Unexpected ObjectReader::WrongType(std::string_view key, std::string_view expected) const {
  return Fail(ErrorCode::kJsonWrongType,
              std::string(what_) + "." + std::string(key) + " must be " + std::string(expected));
}

std::optional<JsonValue> ObjectReader::Get(std::string_view key) const {
  auto v = value_.Find(key);
  if (!v || v->IsNull()) return std::nullopt;
  return v;
}

Result<std::string_view> ObjectReader::String(std::string_view key) const {
  KW_ASSIGN_OR_RETURN(auto s, OptString(key));
  if (!s) {
    return Fail(ErrorCode::kJsonMissingField,
                std::string(what_) + "." + std::string(key) + " is required");
  }
  return *s;
}

Result<std::optional<std::string_view>> ObjectReader::OptString(std::string_view key) const {
  auto v = Get(key);
  if (!v) return std::optional<std::string_view>();
  if (!v->IsString()) return WrongType(key, "a string");
  return std::optional<std::string_view>(v->string());
}

Result<std::optional<bool>> ObjectReader::OptBool(std::string_view key) const {
  auto v = Get(key);
  if (!v) return std::optional<bool>();
  if (!v->IsBool()) return WrongType(key, "a boolean");
  return std::optional<bool>(v->boolean());
}

Result<std::optional<int64_t>> ObjectReader::OptInt(std::string_view key) const {
  auto v = Get(key);
  if (!v) return std::optional<int64_t>();
  auto i = ToInt(*v);
  if (!i) return WrongType(key, "an integer");
  return std::optional<int64_t>(*i);
}

Result<Bytes> ObjectReader::Base64Url(std::string_view key) const {
  KW_ASSIGN_OR_RETURN(auto b, OptBase64Url(key));
  if (!b) {
    return Fail(ErrorCode::kJsonMissingField,
                std::string(what_) + "." + std::string(key) + " is required");
  }
  return std::move(*b);
}

Result<std::optional<Bytes>> ObjectReader::OptBase64Url(std::string_view key) const {
  KW_ASSIGN_OR_RETURN(auto s, OptString(key));
  if (!s) return std::optional<Bytes>();
  auto b = Base64UrlDecode(*s);
  if (!b) {
    return Fail(ErrorCode::kBase64Invalid,
                std::string(what_) + "." + std::string(key) + " is not base64url");
  }
  return std::optional<Bytes>(std::move(*b));
}

Result<std::optional<std::vector<std::string>>> ObjectReader::OptStrings(
    std::string_view key) const {
  auto v = Get(key);
  if (!v) return std::optional<std::vector<std::string>>();
  std::vector<std::string> out;
  if (v->IsString()) {
    out.emplace_back(v->string());
  } else if (v->IsArray()) {
    for (const JsonValue& e : v->Children()) {
      if (!e.IsString()) return WrongType(key, "a list of strings");
      out.emplace_back(e.string());
    }
  } else {
    return WrongType(key, "a string or a list of strings");
  }
  return std::optional<std::vector<std::string>>(std::move(out));
}

Result<std::optional<std::vector<int64_t>>> ObjectReader::OptInts(std::string_view key) const {
  auto v = Get(key);
  if (!v) return std::optional<std::vector<int64_t>>();
  if (!v->IsArray()) return WrongType(key, "a list of integers");
  std::vector<int64_t> out;
  for (const JsonValue& e : v->Children()) {
    auto i = ToInt(e);
    if (!i) return WrongType(key, "a list of integers");
    out.push_back(*i);
  }
  return std::optional<std::vector<int64_t>>(std::move(out));
}

Result<std::optional<std::vector<Bytes>>> ObjectReader::OptBase64UrlList(
    std::string_view key) const {
  auto v = Get(key);
  if (!v) return std::optional<std::vector<Bytes>>();
  if (!v->IsArray()) return WrongType(key, "a list of base64url strings");
  std::vector<Bytes> out;
  for (const JsonValue& e : v->Children()) {
    if (!e.IsString()) return WrongType(key, "a list of base64url strings");
    auto b = Base64UrlDecode(e.string());
    if (!b) {
      return Fail(ErrorCode::kBase64Invalid,
                  std::string(what_) + "." + std::string(key) + " holds a bad base64url string");
    }
    out.push_back(std::move(*b));
  }
  return std::optional<std::vector<Bytes>>(std::move(out));
}

Result<std::optional<JsonValue>> ObjectReader::OptObject(std::string_view key) const {
  auto v = Get(key);
  if (!v) return std::optional<JsonValue>();
  if (!v->IsObject()) return WrongType(key, "an object");
  return std::optional<JsonValue>(*v);
}

}  // namespace keyward::capi

// ---- entry points without a handle
// ---------------------------------------------------------------

using keyward::capi::Guard;

extern "C" {

const char* keyward_error_name(int code) {
  if (code == KEYWARD_OK) return "ok";
  switch (code) {
#define KW_ERROR(name, value, text) \
  case value:                       \
    return text;
#include "keyward/error_codes.inc"
#undef KW_ERROR
    default:
      return "unknown";
  }
}

int keyward_error_code_from_name(const char* name) {
  if (name == nullptr) return -1;
  if (std::strcmp(name, "ok") == 0) return KEYWARD_OK;
#define KW_ERROR(n, value, text) \
  if (std::strcmp(name, text) == 0) return value;
#include "keyward/error_codes.inc"
#undef KW_ERROR
  return -1;
}

size_t keyward_error_codes(int* out, size_t capacity) {
  static constexpr int kCodes[] = {
#define KW_ERROR(name, value, text) value,
#include "keyward/error_codes.inc"
#undef KW_ERROR
  };
  constexpr size_t kCount = sizeof(kCodes) / sizeof(kCodes[0]);
  for (size_t i = 0; out != nullptr && i < capacity && i < kCount; ++i) out[i] = kCodes[i];
  return kCount;
}

const char* keyward_version(void) { return KEYWARD_VERSION_STRING; }

int keyward_c_abi_version(void) { return KEYWARD_C_ABI_VERSION; }

void keyward_string_free(char* s) { std::free(s); }

}  // extern "C"
