// Internal helpers of the C ABI (include/keyward/keyward.h): the error out-parameter, the
// catch-all guard every entry point runs in, returned strings, and a strict reader for the JSON
// objects callers pass in (configurations, expectations, sessions). Marshalling only: every
// decision is the C++ API's.
#ifndef KEYWARD_CAPI_C_API_H_
#define KEYWARD_CAPI_C_API_H_

#include <initializer_list>
#include <new>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "core/bytes.h"
#include "core/json.h"
#include "core/json_reader.h"
#include "keyward/keyward.h"
#include "keyward/result.h"

namespace keyward::capi {

// Writes a success into `err` (when not null).
void SetOk(keyward_error* err) noexcept;
// Writes `e` into `err` (when not null) and returns its number.
int SetError(keyward_error* err, const Error& e) noexcept;

// Runs `body` (returning Result<void>) and maps its outcome onto the C convention; any exception
// becomes kInternal (kInternal with "out of memory" for std::bad_alloc). Nothing escapes.
template <typename F>
int Guard(keyward_error* err, F&& body) noexcept {
  try {
    Result<void> r = body();
    if (r) {
      SetOk(err);
      return KEYWARD_OK;
    }
    return SetError(err, r.error());
  } catch (const std::bad_alloc&) {
    return SetError(err, Error{ErrorCode::kInternal, 0, "out of memory"});
  } catch (...) {
    return SetError(err, Error{ErrorCode::kInternal, 0, "unexpected internal failure"});
  }
}

// A NUL-terminated malloc'd copy for the caller (keyward_string_free); throws std::bad_alloc.
char* CopyOut(std::string_view s);
// Stores a copy of `s` into *out (out may be null: nothing is stored).
void Emit(char** out, std::string_view s);
// Clears an out-parameter at entry.
inline void Clear(char** out) noexcept {
  if (out != nullptr) *out = nullptr;
}

Unexpected NullArgument(std::string_view name);
// A required C string argument; kInvalidArgument when null.
Result<std::string_view> Arg(const char* s, std::string_view name);

// A JSON object read strictly: members other than `allowed` are refused (kInvalidArgument);
// null members count as absent; wrong types are kJsonWrongType, missing required members
// kJsonMissingField, bad base64url kBase64Invalid.
class ObjectReader {
 public:
  static Result<ObjectReader> Make(const JsonValue& value, std::string_view what,
                                   std::initializer_list<std::string_view> allowed);

  std::optional<JsonValue> Get(std::string_view key) const;
  Result<std::string_view> String(std::string_view key) const;
  Result<std::optional<std::string_view>> OptString(std::string_view key) const;
  Result<std::optional<bool>> OptBool(std::string_view key) const;
  Result<std::optional<int64_t>> OptInt(std::string_view key) const;
  Result<Bytes> Base64Url(std::string_view key) const;
  Result<std::optional<Bytes>> OptBase64Url(std::string_view key) const;
  // A string or a list of strings.
  Result<std::optional<std::vector<std::string>>> OptStrings(std::string_view key) const;
  Result<std::optional<std::vector<int64_t>>> OptInts(std::string_view key) const;
  Result<std::optional<std::vector<Bytes>>> OptBase64UrlList(std::string_view key) const;
  Result<std::optional<JsonValue>> OptObject(std::string_view key) const;

 private:
  explicit ObjectReader(JsonValue v, std::string_view what) : value_(v), what_(what) {}
  Unexpected WrongType(std::string_view key, std::string_view expected) const;
  JsonValue value_;
  std::string_view what_;
};

// Parses caller JSON (bounded like every keyward JSON input) that must be an object.
Result<JsonDocument> ParseObject(std::string_view text, std::string_view what);
// An integer JSON number (no fraction or exponent), within int64.
Result<int64_t> ToInt(const JsonValue& v);
// The value as nlohmann JSON (for members the C++ API takes as JSON text).
Json ToJson(const JsonValue& v);

}  // namespace keyward::capi

#endif  // KEYWARD_CAPI_C_API_H_
