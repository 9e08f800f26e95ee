// A strict, allocation-light JSON reader (RFC 8259) for the hot path: clientDataJSON and the
// WebAuthn L3 response JSON, parsed on every assertion. It builds a flat array of nodes whose
// strings are views into the input (or into one arena when escapes had to be decoded), so a
// parse costs one or two allocations instead of one per value.
//
// Strictness, identical to core/json.h's ParseJson: UTF-8 validated (overlongs, surrogates and
// code points past U+10FFFF refused), control characters in strings refused, \u escapes decoded
// with surrogate pairs required to be paired, numbers per the RFC grammar, nesting bounded,
// duplicate member names refused (kJsonMalformed), nothing but whitespace after the value.
#ifndef KEYWARD_CORE_JSON_READER_H_
#define KEYWARD_CORE_JSON_READER_H_

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "core/json.h"

namespace keyward {

class JsonDocument;

class JsonValue {
 public:
  enum class Type : uint8_t { kNull, kFalse, kTrue, kNumber, kString, kArray, kObject };

  Type type() const;
  bool IsObject() const { return type() == Type::kObject; }
  bool IsArray() const { return type() == Type::kArray; }
  bool IsString() const { return type() == Type::kString; }
  bool IsBool() const { return type() == Type::kTrue || type() == Type::kFalse; }
  bool IsNull() const { return type() == Type::kNull; }

  std::string_view string() const;  // decoded contents (strings), raw text (numbers)
  bool boolean() const { return type() == Type::kTrue; }
  size_t size() const;  // members or elements
  // Object member lookup; nullopt when absent or not an object.
  std::optional<JsonValue> Find(std::string_view key) const;
  // Children in order (object members carry their key).
  std::vector<JsonValue> Children() const;
  std::string_view key() const;  // for object members

  // Typed member access with the same codes as core/json.h: kJsonMissingField, kJsonWrongType,
  // kBase64Invalid.
  Result<std::string_view> GetString(std::string_view key) const;
  Result<std::optional<std::string_view>> GetOptString(std::string_view key) const;
  Result<std::optional<bool>> GetOptBool(std::string_view key) const;
  Result<JsonValue> GetObject(std::string_view key) const;
  Result<Bytes> GetBase64Url(std::string_view key) const;

 private:
  friend class JsonDocument;
  JsonValue(const JsonDocument* doc, uint32_t index) : doc_(doc), index_(index) {}
  const JsonDocument* doc_;
  uint32_t index_;
};

class JsonDocument {
 public:
  static Result<JsonDocument> Parse(std::string_view text, const JsonLimits& limits = {});
  JsonValue root() const { return JsonValue(this, 0); }

  JsonDocument(JsonDocument&&) noexcept = default;
  JsonDocument& operator=(JsonDocument&&) noexcept = default;
  JsonDocument(const JsonDocument&) = delete;
  JsonDocument& operator=(const JsonDocument&) = delete;

 private:
  friend class JsonValue;
  friend class JsonParser;
  JsonDocument() = default;
  struct Node {
    JsonValue::Type type;
    uint32_t size = 0;  // children count
    uint32_t end = 0;   // index one past this node's subtree
    std::string_view text;
    std::string_view key;
  };
  std::vector<Node> nodes_;
  std::unique_ptr<std::string> arena_;  // decoded strings; reserved once, never reallocated
};

}  // namespace keyward

#endif  // KEYWARD_CORE_JSON_READER_H_
