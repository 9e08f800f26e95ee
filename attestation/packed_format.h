// "packed" attestation (WebAuthn L3 §8.2): full attestation with x5c, or self attestation.
//
// attStmt = { alg: COSEAlgorithmIdentifier, sig: bytes, ? x5c: [attestnCert, *caCert] }
//  - x5c present: sig verifies over authenticatorData ‖ clientDataHash with attestnCert's key
//    under alg; attestnCert meets §8.2.1.1 (version 3; subject C, O, OU "Authenticator
//    Attestation", CN; basicConstraints CA false; the AAGUID extension, if present, non-critical
//    and equal to the AAGUID in authenticatorData). Type Basic (AttCA cannot be told apart
//    without metadata; trust evaluation names the anchor).
//  - x5c absent: alg equals the credential key's alg and sig verifies with the credential key.
//    Type Self.
#ifndef KEYWARD_ATTESTATION_PACKED_FORMAT_H_
#define KEYWARD_ATTESTATION_PACKED_FORMAT_H_

#include "attestation/format.h"

namespace keyward::attestation {

class PackedFormat final : public AttestationFormat {
 public:
  std::string_view name() const override { return "packed"; }
  Result<StatementResult> Verify(const AttestationInput& input) const override;
};

// The §8.2.1.1 certificate requirements, shared with formats that reuse them.
Result<void> CheckPackedCertificateRequirements(const Certificate& cert, const Aaguid& aaguid);

}  // namespace keyward::attestation

#endif  // KEYWARD_ATTESTATION_PACKED_FORMAT_H_
