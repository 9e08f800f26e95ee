// GET METADATA (INS F7), the de-facto standard PIV vendor extension introduced by YubiKey
// firmware 5.3 and answered by several other PIV implementations: `00 F7 00 <key reference>`
// returns a flat list of TLVs about one key or PIN reference (not part of NIST SP 800-73-4):
//   01 algorithm (SP 800-78-4 Table 6-2 id; FF for the PIN and PUK)
//   02 policy: PIN policy (0 default, 1 never, 2 once, 3 always), touch policy (0 default,
//      1 never, 2 always, 3 cached)
//   03 origin (1 generated on the card, 2 imported)
//   04 public key: the contents of GENERATE's 7F49 template (86 point / 81 modulus 82 exponent)
//   05 is-default (01: still the factory default PIN, PUK or management key)
//   06 retries: total, remaining (PIN and PUK)
//
// Invariant: Parse reads only inside its input; an item of the wrong length is
// kPivObjectMalformed; unknown tags are ignored (later firmware adds some).
#ifndef KEYWARD_PCSC_PIV_METADATA_H_
#define KEYWARD_PCSC_PIV_METADATA_H_

#include <cstdint>
#include <optional>

#include "keyward/bytes.h"
#include "keyward/export.h"
#include "keyward/pcsc/piv_public_key.h"
#include "keyward/pcsc/piv_types.h"

KEYWARD_API_BEGIN

namespace keyward::pcsc::piv {

inline constexpr uint8_t kMetadataOriginGenerated = 1;
inline constexpr uint8_t kMetadataOriginImported = 2;
inline constexpr uint8_t kMetadataAlgorithmPin = 0xFF;

struct KeyMetadata {
  uint8_t algorithm_id = 0;            // raw 01 value (0 when absent)
  std::optional<Algorithm> algorithm;  // when algorithm_id is one keyward knows
  std::optional<uint8_t> pin_policy, touch_policy, origin;
  std::optional<PivPublicKey> public_key;
  std::optional<bool> is_default;
  int retries_total = -1, retries_left = -1;

  static Result<KeyMetadata> Parse(ByteSpan response);
  // The TLV list as a card sends it (the software card uses this).
  Bytes Encode() const;
};

// "default", "never", "once", "always" / "default", "never", "always", "cached"; "unknown(N)".
std::string PinPolicyName(uint8_t p);
std::string TouchPolicyName(uint8_t p);
// "generated", "imported", "unknown(N)".
std::string OriginName(uint8_t o);

}  // namespace keyward::pcsc::piv

KEYWARD_API_END

#endif  // KEYWARD_PCSC_PIV_METADATA_H_
