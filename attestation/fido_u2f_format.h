// "fido-u2f" attestation (WebAuthn L3 §8.6): a FIDO U2F authenticator's registration signature.
//
// attStmt = { sig: bytes, x5c: [attCert] }
//  - x5c holds exactly one certificate whose public key is an EC key on P-256;
//  - the credential public key is EC2 P-256 (x, y 32 bytes each);
//  - sig is an ECDSA/SHA-256 DER signature by attCert's key over
//    0x00 ‖ rpIdHash ‖ clientDataHash ‖ credentialId ‖ 0x04 ‖ x ‖ y.
// Type Basic (metadata may refine it to AttCA; see trust_store.h).
#ifndef KEYWARD_ATTESTATION_FIDO_U2F_FORMAT_H_
#define KEYWARD_ATTESTATION_FIDO_U2F_FORMAT_H_

#include "attestation/format.h"

namespace keyward::attestation {

class FidoU2fFormat final : public AttestationFormat {
 public:
  std::string_view name() const override { return "fido-u2f"; }
  Result<StatementResult> Verify(const AttestationInput& input) const override;
};

}  // namespace keyward::attestation

#endif  // KEYWARD_ATTESTATION_FIDO_U2F_FORMAT_H_
