// "tpm" attestation (WebAuthn L3 §8.3), TPM 2.0 only.
//
// attStmt = { ver: "2.0", alg, x5c: [aikCert, *caCert], sig, certInfo, pubArea }
//  - pubArea (TPMT_PUBLIC) describes the credential public key: RSA (modulus, exponent, key
//    bits) or ECC (curve, x, y) identical to credentialPublicKey (kTpmPublicMismatch);
//  - certInfo (TPMS_ATTEST): magic TPM_GENERATED_VALUE, type TPM_ST_ATTEST_CERTIFY, extraData ==
//    hash of authenticatorData ‖ clientDataHash with alg's hash, attested.name == nameAlg ‖
//    H_nameAlg(pubArea) (kTpmAttestInvalid);
//  - sig verifies over certInfo with aikCert's key under alg. RS1 (SHA-1) is accepted here — and
//    only here — because real TPMs still sign with it; the result carries a note saying so;
//  - aikCert (§8.3.1): version 3, empty subject, subjectAltName directoryName with TPM
//    manufacturer, model and version (2.23.133.2.1/2/3), EKU 2.23.133.8.3, basicConstraints CA
//    false, the AAGUID extension equal to authenticatorData's when present
//    (kTpmAikCertificateInvalid). Other extensions (e.g. a malformed certificatePolicies entry
//    some TPM vendors emit) are not judged.
// Type AttCA, trust path x5c.
#ifndef KEYWARD_ATTESTATION_TPM_FORMAT_H_
#define KEYWARD_ATTESTATION_TPM_FORMAT_H_

#include "attestation/format.h"

namespace keyward::attestation {

class TpmFormat final : public AttestationFormat {
 public:
  std::string_view name() const override { return "tpm"; }
  Result<StatementResult> Verify(const AttestationInput& input) const override;
};

// The §8.3.1 AIK certificate requirements.
Result<void> CheckTpmAikCertificate(const Certificate& cert, const Aaguid& aaguid);

}  // namespace keyward::attestation

#endif  // KEYWARD_ATTESTATION_TPM_FORMAT_H_
