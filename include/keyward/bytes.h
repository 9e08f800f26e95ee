// Byte-string helpers shared by every area: spans in, vectors out, hashes in arrays.
#ifndef KEYWARD_BYTES_H_
#define KEYWARD_BYTES_H_

#include <array>
#include <cstddef>
#include <cstdint>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "keyward/export.h"
#include "keyward/result.h"

KEYWARD_API_BEGIN

namespace keyward {

using Bytes = std::vector<uint8_t>;
using ByteSpan = std::span<const uint8_t>;
using Sha256Digest = std::array<uint8_t, 32>;

inline ByteSpan AsBytes(std::string_view s) {
  return {reinterpret_cast<const uint8_t*>(s.data()), s.size()};
}
inline std::string_view AsChars(ByteSpan b) {
  return {reinterpret_cast<const char*>(b.data()), b.size()};
}
inline Bytes ToBytes(ByteSpan b) { return Bytes(b.begin(), b.end()); }

// Compares in time independent of the contents (lengths are not secret).
bool ConstantTimeEqual(ByteSpan a, ByteSpan b) noexcept;

// Lower-case hex.
std::string HexEncode(ByteSpan b);
// Accepts upper or lower case, no separators; odd length or a non-hex character is
// kInvalidArgument.
Result<Bytes> HexDecode(std::string_view hex);

// Big-endian readers over a bounds-checked cursor. Every read fails with kTruncated past the end.
class ByteReader {
 public:
  explicit ByteReader(ByteSpan data) : data_(data) {}
  size_t remaining() const { return data_.size() - pos_; }
  size_t position() const { return pos_; }
  bool empty() const { return pos_ == data_.size(); }
  ByteSpan rest() const { return data_.subspan(pos_); }

  Result<uint8_t> U8();
  Result<uint16_t> U16();
  Result<uint32_t> U32();
  Result<uint64_t> U64();
  Result<ByteSpan> Take(size_t n);
  Result<void> Skip(size_t n);

 private:
  ByteSpan data_;
  size_t pos_ = 0;
};

}  // namespace keyward

KEYWARD_API_END

#endif  // KEYWARD_BYTES_H_
