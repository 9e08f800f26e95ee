#include "core/json_reader.h"

#include <cmath>
#include <cstdlib>

#include "core/base64url.h"

namespace keyward {

class JsonParser {
 public:
  JsonParser(std::string_view text, const JsonLimits& limits, JsonDocument& doc)
      : s_(text), limits_(limits), doc_(doc) {}

  Result<void> Run() {
    SkipWs();
    KW_TRY(Value(0, {}));
    SkipWs();
    if (pos_ != s_.size()) return Err("bytes after the JSON value");
    return Ok();
  }

 private:
  using Type = JsonValue::Type;

  Unexpected Err(const char* what) const {
    return Fail(ErrorCode::kJsonMalformed, std::string(what) + " at offset " + std::to_string(pos_));
  }
  void SkipWs() {
    while (pos_ < s_.size() && (s_[pos_] == ' ' || s_[pos_] == '\n' || s_[pos_] == '\r' || s_[pos_] == '\t')) ++pos_;
  }
  uint32_t Push(Type t, std::string_view key) {
    doc_.nodes_.push_back({t, 0, 0, {}, key});
    return static_cast<uint32_t>(doc_.nodes_.size() - 1);
  }

  Result<void> Value(size_t depth, std::string_view key) {
    if (pos_ >= s_.size()) return Err("unexpected end");
    char c = s_[pos_];
    switch (c) {
      case '{':
        return Object(depth + 1, key);
      case '[':
        return Array(depth + 1, key);
      case '"': {
        uint32_t i = Push(Type::kString, key);
        KW_ASSIGN_OR_RETURN(std::string_view str, String());
        doc_.nodes_[i].text = str;
        doc_.nodes_[i].end = i + 1;
        return Ok();
      }
      case 't':
        return Literal("true", Type::kTrue, key);
      case 'f':
        return Literal("false", Type::kFalse, key);
      case 'n':
        return Literal("null", Type::kNull, key);
      default:
        if (c == '-' || (c >= '0' && c <= '9')) return Number(key);
        return Err("unexpected character");
    }
  }

  Result<void> Literal(std::string_view word, Type t, std::string_view key) {
    if (s_.substr(pos_, word.size()) != word) return Err("invalid literal");
    pos_ += word.size();
    uint32_t i = Push(t, key);
    doc_.nodes_[i].end = i + 1;
    return Ok();
  }

  Result<void> Number(std::string_view key) {
    size_t start = pos_;
    auto digit = [&] { return pos_ < s_.size() && s_[pos_] >= '0' && s_[pos_] <= '9'; };
    if (s_[pos_] == '-') ++pos_;
    if (!digit()) return Err("invalid number");
    if (s_[pos_] == '0') {
      ++pos_;
    } else {
      while (digit()) ++pos_;
    }
    if (pos_ < s_.size() && s_[pos_] == '.') {
      ++pos_;
      if (!digit()) return Err("invalid fraction");
      while (digit()) ++pos_;
    }
    if (pos_ < s_.size() && (s_[pos_] == 'e' || s_[pos_] == 'E')) {
      ++pos_;
      if (pos_ < s_.size() && (s_[pos_] == '+' || s_[pos_] == '-')) ++pos_;
      if (!digit()) return Err("invalid exponent");
      while (digit()) ++pos_;
    }
    std::string_view text = s_.substr(start, pos_ - start);
    if (text.size() > 15 || text.find_first_of("eE") != std::string_view::npos) {
      // Like the DOM parser, refuse numbers no double can hold (e.g. 1e999).
      std::string copy(text);
      if (std::isinf(std::strtod(copy.c_str(), nullptr))) return Err("number out of range");
    }
    uint32_t i = Push(Type::kNumber, key);
    doc_.nodes_[i].text = text;
    doc_.nodes_[i].end = i + 1;
    return Ok();
  }

  Result<void> Object(size_t depth, std::string_view key) {
    if (depth > limits_.max_depth) return Fail(ErrorCode::kJsonLimitExceeded, "JSON nested too deeply");
    uint32_t self = Push(Type::kObject, key);
    ++pos_;
    SkipWs();
    uint32_t count = 0;
    if (pos_ < s_.size() && s_[pos_] == '}') {
      ++pos_;
    } else {
      while (true) {
        SkipWs();
        if (pos_ >= s_.size() || s_[pos_] != '"') return Err("expected a member name");
        KW_ASSIGN_OR_RETURN(std::string_view name, String());
        // Duplicate names: compare with the earlier members of this object.
        for (uint32_t c = self + 1; c < doc_.nodes_.size(); c = doc_.nodes_[c].end) {
          if (doc_.nodes_[c].key == name) return Err("duplicate member name");
        }
        SkipWs();
        if (pos_ >= s_.size() || s_[pos_] != ':') return Err("expected ':'");
        ++pos_;
        SkipWs();
        KW_TRY(Value(depth, name));
        ++count;
        SkipWs();
        if (pos_ < s_.size() && s_[pos_] == ',') {
          ++pos_;
          continue;
        }
        if (pos_ < s_.size() && s_[pos_] == '}') {
          ++pos_;
          break;
        }
        return Err("expected ',' or '}'");
      }
    }
    doc_.nodes_[self].size = count;
    doc_.nodes_[self].end = static_cast<uint32_t>(doc_.nodes_.size());
    return Ok();
  }

  Result<void> Array(size_t depth, std::string_view key) {
    if (depth > limits_.max_depth) return Fail(ErrorCode::kJsonLimitExceeded, "JSON nested too deeply");
    uint32_t self = Push(Type::kArray, key);
    ++pos_;
    SkipWs();
    uint32_t count = 0;
    if (pos_ < s_.size() && s_[pos_] == ']') {
      ++pos_;
    } else {
      while (true) {
        SkipWs();
        KW_TRY(Value(depth, {}));
        ++count;
        SkipWs();
        if (pos_ < s_.size() && s_[pos_] == ',') {
          ++pos_;
          continue;
        }
        if (pos_ < s_.size() && s_[pos_] == ']') {
          ++pos_;
          break;
        }
        return Err("expected ',' or ']'");
      }
    }
    doc_.nodes_[self].size = count;
    doc_.nodes_[self].end = static_cast<uint32_t>(doc_.nodes_.size());
    return Ok();
  }

  // Validates one UTF-8 sequence starting at pos_ (first byte >= 0x80) and advances past it.
  Result<void> Utf8() {
    auto b = [&](size_t i) { return static_cast<uint8_t>(s_[i]); };
    uint8_t c = b(pos_);
    size_t n;
    uint32_t cp;
    if (c >= 0xc2 && c <= 0xdf) {
      n = 1, cp = c & 0x1f;
    } else if (c >= 0xe0 && c <= 0xef) {
      n = 2, cp = c & 0x0f;
    } else if (c >= 0xf0 && c <= 0xf4) {
      n = 3, cp = c & 0x07;
    } else {
      return Err("invalid UTF-8");
    }
    if (pos_ + n >= s_.size()) return Err("truncated UTF-8");
    for (size_t i = 1; i <= n; ++i) {
      if ((b(pos_ + i) & 0xc0) != 0x80) return Err("invalid UTF-8");
      cp = (cp << 6) | (b(pos_ + i) & 0x3f);
    }
    if ((n == 2 && cp < 0x800) || (n == 3 && cp < 0x10000) || cp > 0x10ffff ||
        (cp >= 0xd800 && cp <= 0xdfff)) {
      return Err("invalid UTF-8");
    }
    pos_ += n + 1;
    return Ok();
  }

  Result<uint32_t> Hex4() {
    if (pos_ + 4 > s_.size()) return Err("truncated \\u escape");
    uint32_t v = 0;
    for (int i = 0; i < 4; ++i) {
      char h = s_[pos_++];
      v <<= 4;
      if (h >= '0' && h <= '9') v |= static_cast<uint32_t>(h - '0');
      else if (h >= 'a' && h <= 'f') v |= static_cast<uint32_t>(h - 'a' + 10);
      else if (h >= 'A' && h <= 'F') v |= static_cast<uint32_t>(h - 'A' + 10);
      else return Err("invalid \\u escape");
    }
    return v;
  }

  // At an opening quote; returns the decoded contents.
  Result<std::string_view> String() {
    ++pos_;
    size_t start = pos_;
    // Fast path: no escapes.
    while (pos_ < s_.size()) {
      uint8_t c = static_cast<uint8_t>(s_[pos_]);
      if (c == '"') {
        std::string_view out = s_.substr(start, pos_ - start);
        ++pos_;
        return out;
      }
      if (c == '\\') break;
      if (c < 0x20) return Err("control character in string");
      if (c >= 0x80) {
        KW_TRY(Utf8());
      } else {
        ++pos_;
      }
    }
    if (pos_ >= s_.size()) return Err("unterminated string");
    // Slow path: decode into the arena.
    if (!doc_.arena_) {
      doc_.arena_ = std::make_unique<std::string>();
      doc_.arena_->reserve(s_.size());
    }
    std::string& arena = *doc_.arena_;
    size_t out_start = arena.size();
    arena.append(s_.substr(start, pos_ - start));
    while (pos_ < s_.size()) {
      uint8_t c = static_cast<uint8_t>(s_[pos_]);
      if (c == '"') {
        ++pos_;
        return std::string_view(arena).substr(out_start);
      }
      if (c < 0x20) return Err("control character in string");
      if (c >= 0x80) {
        size_t from = pos_;
        KW_TRY(Utf8());
        arena.append(s_.substr(from, pos_ - from));
        continue;
      }
      if (c != '\\') {
        arena.push_back(static_cast<char>(c));
        ++pos_;
        continue;
      }
      if (++pos_ >= s_.size()) return Err("truncated escape");
      char e = s_[pos_++];
      switch (e) {
        case '"': arena.push_back('"'); break;
        case '\\': arena.push_back('\\'); break;
        case '/': arena.push_back('/'); break;
        case 'b': arena.push_back('\b'); break;
        case 'f': arena.push_back('\f'); break;
        case 'n': arena.push_back('\n'); break;
        case 'r': arena.push_back('\r'); break;
        case 't': arena.push_back('\t'); break;
        case 'u': {
          KW_ASSIGN_OR_RETURN(uint32_t cp, Hex4());
          if (cp >= 0xdc00 && cp <= 0xdfff) return Err("lone low surrogate");
          if (cp >= 0xd800 && cp <= 0xdbff) {
            if (pos_ + 2 > s_.size() || s_[pos_] != '\\' || s_[pos_ + 1] != 'u') {
              return Err("lone high surrogate");
            }
            pos_ += 2;
            KW_ASSIGN_OR_RETURN(uint32_t lo, Hex4());
            if (lo < 0xdc00 || lo > 0xdfff) return Err("invalid surrogate pair");
            cp = 0x10000 + ((cp - 0xd800) << 10) + (lo - 0xdc00);
          }
          AppendUtf8(arena, cp);
          break;
        }
        default:
          return Err("invalid escape");
      }
    }
    return Err("unterminated string");
  }

  static void AppendUtf8(std::string& out, uint32_t cp) {
    if (cp < 0x80) {
      out.push_back(static_cast<char>(cp));
    } else if (cp < 0x800) {
      out.push_back(static_cast<char>(0xc0 | (cp >> 6)));
      out.push_back(static_cast<char>(0x80 | (cp & 0x3f)));
    } else if (cp < 0x10000) {
      out.push_back(static_cast<char>(0xe0 | (cp >> 12)));
      out.push_back(static_cast<char>(0x80 | ((cp >> 6) & 0x3f)));
      out.push_back(static_cast<char>(0x80 | (cp & 0x3f)));
    } else {
      out.push_back(static_cast<char>(0xf0 | (cp >> 18)));
      out.push_back(static_cast<char>(0x80 | ((cp >> 12) & 0x3f)));
      out.push_back(static_cast<char>(0x80 | ((cp >> 6) & 0x3f)));
      out.push_back(static_cast<char>(0x80 | (cp & 0x3f)));
    }
  }

  std::string_view s_;
  const JsonLimits& limits_;
  JsonDocument& doc_;
  size_t pos_ = 0;
};

Result<JsonDocument> JsonDocument::Parse(std::string_view text, const JsonLimits& limits) {
  if (text.size() > limits.max_bytes) return Fail(ErrorCode::kJsonLimitExceeded, "JSON too large");
  JsonDocument doc;
  doc.nodes_.reserve(32);
  JsonParser parser(text, limits, doc);
  KW_TRY(parser.Run());
  return doc;
}

JsonValue::Type JsonValue::type() const { return doc_->nodes_[index_].type; }
std::string_view JsonValue::string() const { return doc_->nodes_[index_].text; }
std::string_view JsonValue::key() const { return doc_->nodes_[index_].key; }
size_t JsonValue::size() const { return doc_->nodes_[index_].size; }

std::optional<JsonValue> JsonValue::Find(std::string_view key) const {
  if (!IsObject()) return std::nullopt;
  const auto& nodes = doc_->nodes_;
  for (uint32_t c = index_ + 1; c < nodes[index_].end; c = nodes[c].end) {
    if (nodes[c].key == key) return JsonValue(doc_, c);
  }
  return std::nullopt;
}

std::vector<JsonValue> JsonValue::Children() const {
  std::vector<JsonValue> out;
  const auto& nodes = doc_->nodes_;
  if (!IsObject() && !IsArray()) return out;
  for (uint32_t c = index_ + 1; c < nodes[index_].end; c = nodes[c].end) out.push_back(JsonValue(doc_, c));
  return out;
}

namespace {
Unexpected WrongType(std::string_view key, const char* want) {
  return Fail(ErrorCode::kJsonWrongType, std::string(key) + " is not " + want);
}
}  // namespace

Result<std::string_view> JsonValue::GetString(std::string_view key) const {
  auto v = Find(key);
  if (!v) return Fail(ErrorCode::kJsonMissingField, std::string(key) + " missing");
  if (!v->IsString()) return WrongType(key, "a string");
  return v->string();
}

Result<std::optional<std::string_view>> JsonValue::GetOptString(std::string_view key) const {
  auto v = Find(key);
  if (!v || v->IsNull()) return std::optional<std::string_view>();
  if (!v->IsString()) return WrongType(key, "a string");
  return std::optional<std::string_view>(v->string());
}

Result<std::optional<bool>> JsonValue::GetOptBool(std::string_view key) const {
  auto v = Find(key);
  if (!v || v->IsNull()) return std::optional<bool>();
  if (!v->IsBool()) return WrongType(key, "a boolean");
  return std::optional<bool>(v->boolean());
}

Result<JsonValue> JsonValue::GetObject(std::string_view key) const {
  auto v = Find(key);
  if (!v) return Fail(ErrorCode::kJsonMissingField, std::string(key) + " missing");
  if (!v->IsObject()) return WrongType(key, "an object");
  return *v;
}

Result<Bytes> JsonValue::GetBase64Url(std::string_view key) const {
  KW_ASSIGN_OR_RETURN(std::string_view s, GetString(key));
  auto b = Base64UrlDecode(s);
  if (!b) return Fail(ErrorCode::kBase64Invalid, std::string(key) + ": invalid base64url");
  return b;
}

}  // namespace keyward
