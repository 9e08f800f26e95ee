// The Android Keystore attestation extension (OID 1.3.6.1.4.1.11129.2.1.17), "KeyDescription",
// as WebAuthn L3 §8.4 reads it (Android "Verifying hardware-backed key pairs with Key
// Attestation", schema versions 1-300+):
//
//   KeyDescription ::= SEQUENCE {
//     attestationVersion INTEGER, attestationSecurityLevel ENUMERATED,
//     keymasterVersion INTEGER, keymasterSecurityLevel ENUMERATED,
//     attestationChallenge OCTET STRING, uniqueId OCTET STRING,
//     softwareEnforced AuthorizationList, teeEnforced AuthorizationList, ... }
//   AuthorizationList ::= SEQUENCE { purpose [1] EXPLICIT SET OF INTEGER OPTIONAL, ...,
//     allApplications [600] EXPLICIT NULL OPTIONAL, ..., origin [702] EXPLICIT INTEGER OPTIONAL,
//     ... }
//
// Parsed with OpenSSL's ASN.1 templates: the outer SEQUENCE strictly (types, order, DER, no
// trailing bytes); each AuthorizationList as a SEQUENCE of context-tagged elements, where the
// three members WebAuthn needs are decoded strictly (purpose: SET OF INTEGER, allApplications:
// NULL, origin: INTEGER) and other tags — Android keeps adding them — are skipped. Tags must be
// context-specific, constructed and strictly increasing (DER order).
#ifndef KEYWARD_ATTESTATION_ANDROID_KEY_DESCRIPTION_H_
#define KEYWARD_ATTESTATION_ANDROID_KEY_DESCRIPTION_H_

#include <optional>
#include <vector>

#include "core/bytes.h"

namespace keyward::attestation {

struct AuthorizationList {
  std::vector<int64_t> purpose;  // empty when absent
  bool all_applications = false;
  std::optional<int64_t> origin;
};

struct KeyDescription {
  int64_t attestation_version = 0;
  int64_t attestation_security_level = 0;
  Bytes attestation_challenge;
  AuthorizationList software_enforced;
  AuthorizationList tee_enforced;

  // kAndroidKeyDescriptionInvalid on any malformed input.
  static Result<KeyDescription> Parse(ByteSpan der);
};

inline constexpr int64_t kKmOriginGenerated = 0;
inline constexpr int64_t kKmPurposeSign = 2;

}  // namespace keyward::attestation

#endif  // KEYWARD_ATTESTATION_ANDROID_KEY_DESCRIPTION_H_
