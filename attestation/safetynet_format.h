// "android-safetynet" attestation (WebAuthn L3 §8.5), verified as Google's SafetyNet Attestation
// API documented it (the service is shut down; statements from older devices still exist).
//
// attStmt = { ver: text (non-empty), response: bytes (a JWS compact serialization, UTF-8) }
//  - the JWS is RS256 with an x5c header (jws.h); its signature verifies with the leaf key
//    (kAttestationSignatureInvalid); anything malformed is kSafetyNetInvalid;
//  - the leaf certificate is issued to the host attest.android.com (kSafetyNetInvalid);
//  - payload.nonce == base64(SHA-256(authenticatorData ‖ clientDataHash))
//    (kAttestationNonceMismatch);
//  - payload.ctsProfileMatch is true (kSafetyNetIntegrityFailed);
//  - payload.timestampMs is within AttestationOptions::safetynet_max_age_ms before the
//    verification time and not after it (beyond safetynet_max_future_skew_ms) (kSafetyNetStale).
// Type Basic, trust path x5c.
#ifndef KEYWARD_ATTESTATION_SAFETYNET_FORMAT_H_
#define KEYWARD_ATTESTATION_SAFETYNET_FORMAT_H_

#include "attestation/format.h"

namespace keyward::attestation {

class SafetyNetFormat final : public AttestationFormat {
 public:
  std::string_view name() const override { return "android-safetynet"; }
  Result<StatementResult> Verify(const AttestationInput& input) const override;
};

}  // namespace keyward::attestation

#endif  // KEYWARD_ATTESTATION_SAFETYNET_FORMAT_H_
