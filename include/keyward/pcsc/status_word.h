// ISO/IEC 7816-4:2020 §5.6 status words (SW1 SW2) with their names, and the mapping from a
// status word to keyward's ErrorCode (PIV meanings from NIST SP 800-73-4 Part 2 §3).
//
// Invariant: a StatusWord is just the 16-bit value; every value is representable. Names exist for
// the words ISO 7816-4 and SP 800-73-4 define; others are named by their group.
#ifndef KEYWARD_PCSC_STATUS_WORD_H_
#define KEYWARD_PCSC_STATUS_WORD_H_

#include <cstdint>
#include <string>

#include "keyward/export.h"
#include "keyward/result.h"

KEYWARD_API_BEGIN

namespace keyward::pcsc {

class StatusWord {
 public:
  static constexpr uint16_t kSuccess = 0x9000;
  static constexpr uint16_t kWrongLength = 0x6700;
  static constexpr uint16_t kSecurityStatusNotSatisfied = 0x6982;
  static constexpr uint16_t kAuthenticationMethodBlocked = 0x6983;
  static constexpr uint16_t kConditionsNotSatisfied = 0x6985;
  static constexpr uint16_t kWrongData = 0x6A80;
  static constexpr uint16_t kFunctionNotSupported = 0x6A81;
  static constexpr uint16_t kFileNotFound = 0x6A82;
  static constexpr uint16_t kNotEnoughMemory = 0x6A84;
  static constexpr uint16_t kIncorrectP1P2 = 0x6A86;
  static constexpr uint16_t kReferencedDataNotFound = 0x6A88;
  static constexpr uint16_t kInsNotSupported = 0x6D00;
  static constexpr uint16_t kClaNotSupported = 0x6E00;
  static constexpr uint16_t kNoPreciseDiagnosis = 0x6F00;
  static constexpr uint16_t kLastCommandOfChainExpected = 0x6883;
  static constexpr uint16_t kCommandChainingNotSupported = 0x6884;
  static constexpr uint16_t kWrongP1P2 = 0x6B00;

  constexpr StatusWord() = default;
  constexpr explicit StatusWord(uint16_t value) : value_(value) {}
  constexpr StatusWord(uint8_t sw1, uint8_t sw2) : value_(static_cast<uint16_t>(sw1 << 8 | sw2)) {}

  constexpr uint16_t value() const { return value_; }
  constexpr uint8_t sw1() const { return static_cast<uint8_t>(value_ >> 8); }
  constexpr uint8_t sw2() const { return static_cast<uint8_t>(value_ & 0xff); }
  constexpr bool ok() const { return value_ == kSuccess; }
  // 61xx: more response bytes available (xx, 00 meaning 256 or more).
  constexpr bool bytes_remaining() const { return sw1() == 0x61; }
  // 6Cxx: wrong Le; xx is the exact length available.
  constexpr bool wrong_le() const { return sw1() == 0x6C; }
  // 63Cx: verification failed, x tries left.
  constexpr bool counter() const { return sw1() == 0x63 && (sw2() & 0xf0) == 0xc0; }
  constexpr int counter_value() const { return sw2() & 0x0f; }

  // "success", "security_status_not_satisfied", "bytes_remaining(12)", ... (ISO 7816-4 wording).
  std::string Name() const;
  // "6982" in upper-case hex.
  std::string Hex() const;

  friend constexpr bool operator==(StatusWord a, StatusWord b) { return a.value_ == b.value_; }

 private:
  uint16_t value_ = 0;
};

// Maps a non-success status word to an Error (native = SW1SW2):
// 6982 → kPivSecurityStatusNotSatisfied, 6983 → kPinBlocked, 63Cx → kPinIncorrect,
// 6A82/6A88 → kPivObjectNotFound, 6A80 → kInvalidArgument ... others → kApduStatusError.
Error StatusWordError(StatusWord sw, std::string context);

// Ok() for 9000, otherwise StatusWordError.
Result<void> CheckStatus(StatusWord sw, std::string context);

}  // namespace keyward::pcsc

KEYWARD_API_END

#endif  // KEYWARD_PCSC_STATUS_WORD_H_
