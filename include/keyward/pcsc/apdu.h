// ISO/IEC 7816-4:2020 §5.1-§5.3 command and response APDUs: short and extended length encoding,
// command chaining (CLA bit b5 = 0x10, §5.4.1), parsing of received commands (for the software
// card) and responses.
//
// Invariants: a CommandApdu's data is at most 65535 bytes and Le at most 65536 (0 = absent);
// Encode() refuses what the chosen length form cannot carry (kApduTooLong). ResponseApdu::Parse
// needs at least SW1 SW2.
#ifndef KEYWARD_PCSC_APDU_H_
#define KEYWARD_PCSC_APDU_H_

#include <cstdint>
#include <vector>

#include "keyward/bytes.h"
#include "keyward/export.h"
#include "keyward/pcsc/status_word.h"

KEYWARD_API_BEGIN

namespace keyward::pcsc {

constexpr size_t kShortMaxData = 255;
constexpr size_t kShortMaxLe = 256;
constexpr size_t kExtendedMaxData = 65535;
constexpr size_t kExtendedMaxLe = 65536;
constexpr uint8_t kClaChaining = 0x10;

enum class LengthForm {
  kShort,     // Lc/Le one byte each; longer data must be chained
  kExtended,  // Lc/Le two/three bytes when needed (short form still used when it fits)
};

struct CommandApdu {
  uint8_t cla = 0;
  uint8_t ins = 0;
  uint8_t p1 = 0;
  uint8_t p2 = 0;
  Bytes data;
  // Expected response length Ne: 0 = no response data expected; 256 short / 65536 extended max.
  size_t le = 0;

  // Wire bytes. kShort forces short form (data ≤ 255, Le ≤ 256); kExtended uses the short form when
  // it fits and extended lengths otherwise.
  Result<Bytes> Encode(LengthForm form) const;

  // Parses wire bytes (cases 1, 2S, 3S, 4S, 2E, 3E, 4E of §5.2). `extended` tells whether the
  // command used extended lengths.
  static Result<CommandApdu> Parse(ByteSpan wire, bool* extended = nullptr);

  // Splits into a chain of short commands of at most `chunk` data bytes each; all but the last
  // carry CLA|0x10 and no Le. A command that fits is returned alone.
  std::vector<CommandApdu> Chain(size_t chunk = kShortMaxData) const;
};

struct ResponseApdu {
  Bytes data;
  StatusWord sw;

  // Splits data || SW1 SW2. Fewer than two bytes is kApduMalformed.
  static Result<ResponseApdu> Parse(ByteSpan wire);
  Bytes Encode() const;
};

}  // namespace keyward::pcsc

KEYWARD_API_END

#endif  // KEYWARD_PCSC_APDU_H_
