#include "core/bytes.h"

#include <openssl/crypto.h>

namespace keyward {

bool ConstantTimeEqual(ByteSpan a, ByteSpan b) noexcept {
  if (a.size() != b.size()) return false;
  if (a.empty()) return true;
  return CRYPTO_memcmp(a.data(), b.data(), a.size()) == 0;
}

std::string HexEncode(ByteSpan b) {
  static constexpr char kDigits[] = "0123456789abcdef";
  std::string out;
  out.resize(b.size() * 2);
  for (size_t i = 0; i < b.size(); ++i) {
    out[2 * i] = kDigits[b[i] >> 4];
    out[2 * i + 1] = kDigits[b[i] & 0x0f];
  }
  return out;
}

namespace {
int HexValue(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}
}  // namespace

Result<Bytes> HexDecode(std::string_view hex) {
  if (hex.size() % 2 != 0) return Fail(ErrorCode::kInvalidArgument, "hex: odd length");
  Bytes out(hex.size() / 2);
  for (size_t i = 0; i < out.size(); ++i) {
    int hi = HexValue(hex[2 * i]);
    int lo = HexValue(hex[2 * i + 1]);
    if (hi < 0 || lo < 0) return Fail(ErrorCode::kInvalidArgument, "hex: invalid character");
    out[i] = static_cast<uint8_t>((hi << 4) | lo);
  }
  return out;
}

Result<uint8_t> ByteReader::U8() {
  if (remaining() < 1) return Fail(ErrorCode::kTruncated, "need 1 byte");
  return data_[pos_++];
}

Result<uint16_t> ByteReader::U16() {
  if (remaining() < 2) return Fail(ErrorCode::kTruncated, "need 2 bytes");
  uint16_t v = static_cast<uint16_t>((data_[pos_] << 8) | data_[pos_ + 1]);
  pos_ += 2;
  return v;
}

Result<uint32_t> ByteReader::U32() {
  if (remaining() < 4) return Fail(ErrorCode::kTruncated, "need 4 bytes");
  uint32_t v = 0;
  for (int i = 0; i < 4; ++i) v = (v << 8) | data_[pos_ + i];
  pos_ += 4;
  return v;
}

Result<uint64_t> ByteReader::U64() {
  if (remaining() < 8) return Fail(ErrorCode::kTruncated, "need 8 bytes");
  uint64_t v = 0;
  for (int i = 0; i < 8; ++i) v = (v << 8) | data_[pos_ + i];
  pos_ += 8;
  return v;
}

Result<ByteSpan> ByteReader::Take(size_t n) {
  if (remaining() < n) return Fail(ErrorCode::kTruncated, "need " + std::to_string(n) + " bytes");
  ByteSpan out = data_.subspan(pos_, n);
  pos_ += n;
  return out;
}

Result<void> ByteReader::Skip(size_t n) {
  if (remaining() < n) return Fail(ErrorCode::kTruncated, "need " + std::to_string(n) + " bytes");
  pos_ += n;
  return Ok();
}

}  // namespace keyward
