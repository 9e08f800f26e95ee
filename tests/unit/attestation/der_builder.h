// Minimal DER writer for test fixtures (KeyDescription, Apple nonce extension, malformed
// variants). Tests only.
#ifndef KEYWARD_TESTS_UNIT_ATTESTATION_DER_BUILDER_H_
#define KEYWARD_TESTS_UNIT_ATTESTATION_DER_BUILDER_H_

#include <initializer_list>

#include "core/bytes.h"

namespace keyward::attestation::testing {

inline void AppendLength(Bytes& out, size_t n) {
  if (n < 0x80) {
    out.push_back(static_cast<uint8_t>(n));
  } else if (n <= 0xff) {
    out.push_back(0x81);
    out.push_back(static_cast<uint8_t>(n));
  } else {
    out.push_back(0x82);
    out.push_back(static_cast<uint8_t>(n >> 8));
    out.push_back(static_cast<uint8_t>(n));
  }
}

inline Bytes Tlv(uint8_t tag, ByteSpan content) {
  Bytes out{tag};
  AppendLength(out, content.size());
  out.insert(out.end(), content.begin(), content.end());
  return out;
}

inline Bytes Concat(std::initializer_list<Bytes> parts) {
  Bytes out;
  for (const auto& p : parts) out.insert(out.end(), p.begin(), p.end());
  return out;
}

inline Bytes DerSeq(std::initializer_list<Bytes> parts) { return Tlv(0x30, Concat(parts)); }
inline Bytes DerSet(std::initializer_list<Bytes> parts) { return Tlv(0x31, Concat(parts)); }
inline Bytes DerInt(uint8_t v) {
  return v < 0x80 ? Bytes{0x02, 0x01, v} : Bytes{0x02, 0x02, 0x00, v};
}
inline Bytes DerEnum(uint8_t v) { return Bytes{0x0a, 0x01, v}; }
inline Bytes DerOctets(ByteSpan b) { return Tlv(0x04, b); }
inline Bytes DerNull() { return Bytes{0x05, 0x00}; }

// [tag] EXPLICIT (context-specific, constructed), high-tag-number form above 30.
inline Bytes DerExplicit(unsigned tag, ByteSpan inner) {
  Bytes out;
  if (tag < 31) {
    out.push_back(static_cast<uint8_t>(0xa0 | tag));
  } else {
    out.push_back(0xbf);
    Bytes groups;
    for (unsigned t = tag; t > 0; t >>= 7)
      groups.insert(groups.begin(), static_cast<uint8_t>(t & 0x7f));
    for (size_t i = 0; i + 1 < groups.size(); ++i) groups[i] |= 0x80;
    out.insert(out.end(), groups.begin(), groups.end());
  }
  AppendLength(out, inner.size());
  out.insert(out.end(), inner.begin(), inner.end());
  return out;
}

}  // namespace keyward::attestation::testing

#endif  // KEYWARD_TESTS_UNIT_ATTESTATION_DER_BUILDER_H_
