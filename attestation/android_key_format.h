// "android-key" attestation (WebAuthn L3 §8.4): Android Keystore hardware attestation.
//
// attStmt = { alg, sig, x5c: [credCert, *caCert] }
//  - sig verifies over authenticatorData ‖ clientDataHash with credCert's key under alg;
//  - credCert's public key is the credential public key (kAttestationPublicKeyMismatch);
//  - KeyDescription (android_key_description.h): attestationChallenge == clientDataHash
//    (kAndroidKeyChallengeMismatch); allApplications absent from both lists; origin ==
//    KM_ORIGIN_GENERATED and purpose contains KM_PURPOSE_SIGN in teeEnforced ∪ softwareEnforced
//    (teeEnforced only with AttestationOptions::android_key_require_tee)
//    (kAndroidKeyAuthorizationInvalid).
// Type Basic, trust path x5c.
#ifndef KEYWARD_ATTESTATION_ANDROID_KEY_FORMAT_H_
#define KEYWARD_ATTESTATION_ANDROID_KEY_FORMAT_H_

#include "attestation/format.h"

namespace keyward::attestation {

class AndroidKeyFormat final : public AttestationFormat {
 public:
  std::string_view name() const override { return "android-key"; }
  Result<StatementResult> Verify(const AttestationInput& input) const override;
};

}  // namespace keyward::attestation

#endif  // KEYWARD_ATTESTATION_ANDROID_KEY_FORMAT_H_
