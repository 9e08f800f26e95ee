// "apple" anonymous attestation (WebAuthn L3 §8.8).
//
// attStmt = { x5c: [credCert, *caCert] }
//  - credCert's extension 1.2.840.113635.100.8.2 is DER SEQUENCE { [1] EXPLICIT OCTET STRING }
//    whose octets equal SHA-256(authenticatorData ‖ clientDataHash) (kAttestationNonceMismatch);
//  - credCert's public key is the credential public key (kAttestationPublicKeyMismatch).
// Type AnonCA, trust path x5c.
#ifndef KEYWARD_ATTESTATION_APPLE_FORMAT_H_
#define KEYWARD_ATTESTATION_APPLE_FORMAT_H_

#include <optional>

#include "attestation/format.h"

namespace keyward::attestation {

class AppleFormat final : public AttestationFormat {
 public:
  std::string_view name() const override { return "apple"; }
  Result<StatementResult> Verify(const AttestationInput& input) const override;
};

// Decodes the Apple nonce extension value (exposed for tests/fuzzing).
Result<Bytes> ParseAppleNonceExtension(ByteSpan extn_value);

}  // namespace keyward::attestation

#endif  // KEYWARD_ATTESTATION_APPLE_FORMAT_H_
