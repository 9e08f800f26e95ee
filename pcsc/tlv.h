// BER-TLV as used by PIV data objects (ISO/IEC 7816-4 §6.3, NIST SP 800-73-4 Part 1 §3 and
// Part 2 §3.1.2): tags of one to three bytes, definite lengths up to 0xFFFFFF (3-byte long form).
// Only the flat list of TLVs at one level is decoded; nested values are parsed by calling again.
//
// Invariant: Parse never reads past its input; every value span lies inside it.
#ifndef KEYWARD_PCSC_TLV_H_
#define KEYWARD_PCSC_TLV_H_

#include <cstdint>
#include <optional>
#include <vector>

#include "core/bytes.h"

namespace keyward::pcsc {

struct Tlv {
  uint32_t tag = 0;
  ByteSpan value;
};

// All TLVs in `data` (one level). Padding bytes 00/FF between objects are not allowed.
Result<std::vector<Tlv>> ParseTlvs(ByteSpan data);
// Exactly one TLV covering all of `data`.
Result<Tlv> ParseSingleTlv(ByteSpan data);
// The first TLV with `tag`, if any.
std::optional<ByteSpan> FindTlv(const std::vector<Tlv>& tlvs, uint32_t tag);

// Appends tag || length || value.
void AppendTlv(Bytes& out, uint32_t tag, ByteSpan value);
Bytes EncodeTlv(uint32_t tag, ByteSpan value);
void AppendLength(Bytes& out, size_t length);

}  // namespace keyward::pcsc

#endif  // KEYWARD_PCSC_TLV_H_
