// A minimal CBOR encoder producing CTAP2 canonical encodings (shortest forms, definite lengths).
// The caller writes map entries in canonical key order; tools that build attestation objects,
// CTAP responses and test fixtures use it. It does not reorder or validate.
#ifndef KEYWARD_CORE_CBOR_WRITER_H_
#define KEYWARD_CORE_CBOR_WRITER_H_

#include <cstdint>
#include <string_view>

#include "core/bytes.h"

namespace keyward {

class CborWriter {
 public:
  CborWriter& Uint(uint64_t v) { return Head(0, v); }
  CborWriter& Int(int64_t v) {
    return v >= 0 ? Head(0, static_cast<uint64_t>(v)) : Head(1, static_cast<uint64_t>(-1 - v));
  }
  CborWriter& Bytes(ByteSpan b) {
    Head(2, b.size());
    out_.insert(out_.end(), b.begin(), b.end());
    return *this;
  }
  CborWriter& Text(std::string_view s) {
    Head(3, s.size());
    out_.insert(out_.end(), s.begin(), s.end());
    return *this;
  }
  CborWriter& Array(size_t n) { return Head(4, n); }
  CborWriter& Map(size_t n) { return Head(5, n); }
  CborWriter& Bool(bool b) {
    out_.push_back(b ? 0xf5 : 0xf4);
    return *this;
  }
  CborWriter& Null() {
    out_.push_back(0xf6);
    return *this;
  }
  // Appends bytes that are already a complete CBOR item.
  CborWriter& Raw(ByteSpan encoded) {
    out_.insert(out_.end(), encoded.begin(), encoded.end());
    return *this;
  }

  const keyward::Bytes& bytes() const { return out_; }
  keyward::Bytes Take() { return std::move(out_); }

 private:
  CborWriter& Head(uint8_t major, uint64_t v) {
    uint8_t m = static_cast<uint8_t>(major << 5);
    if (v < 24) {
      out_.push_back(m | static_cast<uint8_t>(v));
    } else if (v <= 0xff) {
      out_.push_back(m | 24);
      out_.push_back(static_cast<uint8_t>(v));
    } else if (v <= 0xffff) {
      out_.push_back(m | 25);
      for (int s = 8; s >= 0; s -= 8) out_.push_back(static_cast<uint8_t>(v >> s));
    } else if (v <= 0xffffffffULL) {
      out_.push_back(m | 26);
      for (int s = 24; s >= 0; s -= 8) out_.push_back(static_cast<uint8_t>(v >> s));
    } else {
      out_.push_back(m | 27);
      for (int s = 56; s >= 0; s -= 8) out_.push_back(static_cast<uint8_t>(v >> s));
    }
    return *this;
  }

  keyward::Bytes out_;
};

}  // namespace keyward

#endif  // KEYWARD_CORE_CBOR_WRITER_H_
