// Answer-to-Reset parser, ISO/IEC 7816-3:2006 §8.2: TS, T0, the interface byte groups
// TAi/TBi/TCi/TDi (each group i ≥ 2 belonging to the protocol T named by TD(i-1)), the K historical
// bytes (§8.1 / ISO 7816-4 §12.1.1) and the check byte TCK (present unless only T=0 is indicated;
// the XOR of T0..TCK is zero).
//
// Invariant: an Atr that exists was fully consumed (no trailing bytes), is at most 33 bytes and has
// a valid TCK when one is required.
#ifndef KEYWARD_PCSC_ATR_H_
#define KEYWARD_PCSC_ATR_H_

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "keyward/bytes.h"
#include "keyward/export.h"

KEYWARD_API_BEGIN

namespace keyward::pcsc {

struct AtrInterfaceGroup {
  int index = 1;     // i in TAi..TDi
  int protocol = 0;  // T this group applies to (group 1 and 2: global/T of TD1; see §8.2.3)
  std::optional<uint8_t> ta, tb, tc, td;
};

struct Atr {
  Bytes raw;
  uint8_t ts = 0;
  uint8_t t0 = 0;
  bool inverse_convention = false;  // TS = 3F
  std::vector<AtrInterfaceGroup> groups;
  std::vector<int> protocols;  // offered protocols in order (T=0 when no TD1)
  Bytes historical;
  std::optional<uint8_t> tck;

  // Fi and Di from TA1 (defaults 372 and 1 without TA1); 0 for RFU values.
  int fi() const;
  int di() const;

  // kAtrMalformed for wrong TS, truncation, trailing bytes or > 33 bytes; kAtrChecksumInvalid for a
  // wrong TCK.
  static Result<Atr> Parse(ByteSpan atr);
};

}  // namespace keyward::pcsc

KEYWARD_API_END

#endif  // KEYWARD_PCSC_ATR_H_
