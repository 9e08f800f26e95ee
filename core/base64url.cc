#include "core/base64url.h"

#include <array>

namespace keyward {
namespace {

constexpr char kUrlAlphabet[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";
constexpr char kStdAlphabet[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";

constexpr std::array<int8_t, 256> MakeTable(const char* alphabet) {
  std::array<int8_t, 256> t{};
  for (auto& v : t) v = -1;
  for (int i = 0; i < 64; ++i) t[static_cast<uint8_t>(alphabet[i])] = static_cast<int8_t>(i);
  return t;
}
constexpr auto kUrlTable = MakeTable(kUrlAlphabet);
constexpr auto kStdTable = MakeTable(kStdAlphabet);

std::string Encode(ByteSpan data, const char* alphabet, bool pad) {
  std::string out;
  out.reserve((data.size() + 2) / 3 * 4);
  size_t i = 0;
  for (; i + 3 <= data.size(); i += 3) {
    uint32_t v = (data[i] << 16) | (data[i + 1] << 8) | data[i + 2];
    out.push_back(alphabet[(v >> 18) & 63]);
    out.push_back(alphabet[(v >> 12) & 63]);
    out.push_back(alphabet[(v >> 6) & 63]);
    out.push_back(alphabet[v & 63]);
  }
  size_t rest = data.size() - i;
  if (rest == 1) {
    uint32_t v = data[i] << 16;
    out.push_back(alphabet[(v >> 18) & 63]);
    out.push_back(alphabet[(v >> 12) & 63]);
    if (pad) out.append("==");
  } else if (rest == 2) {
    uint32_t v = (data[i] << 16) | (data[i + 1] << 8);
    out.push_back(alphabet[(v >> 18) & 63]);
    out.push_back(alphabet[(v >> 12) & 63]);
    out.push_back(alphabet[(v >> 6) & 63]);
    if (pad) out.push_back('=');
  }
  return out;
}

// Decodes unpadded text in the given alphabet.
Result<Bytes> DecodeUnpadded(std::string_view text, const std::array<int8_t, 256>& table) {
  if (text.size() % 4 == 1) return Fail(ErrorCode::kBase64Invalid, "impossible length");
  Bytes out;
  out.reserve(text.size() * 3 / 4);
  size_t i = 0;
  for (; i + 4 <= text.size(); i += 4) {
    int a = table[static_cast<uint8_t>(text[i])], b = table[static_cast<uint8_t>(text[i + 1])],
        c = table[static_cast<uint8_t>(text[i + 2])], d = table[static_cast<uint8_t>(text[i + 3])];
    if ((a | b | c | d) < 0) return Fail(ErrorCode::kBase64Invalid, "invalid character");
    uint32_t v = (a << 18) | (b << 12) | (c << 6) | d;
    out.push_back(static_cast<uint8_t>(v >> 16));
    out.push_back(static_cast<uint8_t>(v >> 8));
    out.push_back(static_cast<uint8_t>(v));
  }
  size_t rest = text.size() - i;
  if (rest >= 2) {
    int a = table[static_cast<uint8_t>(text[i])], b = table[static_cast<uint8_t>(text[i + 1])];
    int c = rest == 3 ? table[static_cast<uint8_t>(text[i + 2])] : 0;
    if ((a | b | c) < 0) return Fail(ErrorCode::kBase64Invalid, "invalid character");
    uint32_t v = (a << 18) | (b << 12) | (c << 6);
    out.push_back(static_cast<uint8_t>(v >> 16));
    if (rest == 3) {
      out.push_back(static_cast<uint8_t>(v >> 8));
      if (v & 0xff) return Fail(ErrorCode::kBase64Invalid, "non-zero trailing bits");
    } else if (v & 0xffff) {
      return Fail(ErrorCode::kBase64Invalid, "non-zero trailing bits");
    }
  }
  return out;
}

}  // namespace

std::string Base64UrlEncode(ByteSpan data) { return Encode(data, kUrlAlphabet, false); }

Result<Bytes> Base64UrlDecode(std::string_view text) { return DecodeUnpadded(text, kUrlTable); }

std::string Base64Encode(ByteSpan data) { return Encode(data, kStdAlphabet, true); }

Result<Bytes> Base64Decode(std::string_view text) {
  if (text.size() % 4 != 0) return Fail(ErrorCode::kBase64Invalid, "length not a multiple of 4");
  size_t pad = 0;
  while (pad < 2 && pad < text.size() && text[text.size() - 1 - pad] == '=') ++pad;
  return DecodeUnpadded(text.substr(0, text.size() - pad), kStdTable);
}

}  // namespace keyward
