// The software authenticator's attestation material: a self-signed test CA and a batch
// attestation certificate it issues, both P-256, generated once per state file.
//
// The batch certificate meets WebAuthn L3 §8.2.1 "Certificate Requirements for Packed
// Attestation Statements": version 3; subject C, O, OU = "Authenticator Attestation", CN;
// basicConstraints CA:FALSE; the id-fido-gen-ce-aaguid extension (1.3.6.1.4.1.45724.1.1.4,
// non-critical) holding the AAGUID as an OCTET STRING.
#ifndef KEYWARD_TOOLS_SOFTCTAP_ATTESTATION_CERTS_H_
#define KEYWARD_TOOLS_SOFTCTAP_ATTESTATION_CERTS_H_

#include <string>

#include "core/bytes.h"
#include "core/secret.h"
#include "keyward/result.h"

namespace keyward::softctap {

struct AttestationMaterial {
  SecretBytes ca_key;     // P-256 scalar
  Bytes ca_cert;          // DER
  SecretBytes batch_key;  // P-256 scalar
  Bytes batch_cert;       // DER
};

Result<AttestationMaterial> CreateAttestationMaterial(ByteSpan aaguid);

// PEM "CERTIFICATE" block of a DER certificate.
std::string CertificateToPem(ByteSpan der);

}  // namespace keyward::softctap

#endif  // KEYWARD_TOOLS_SOFTCTAP_ATTESTATION_CERTS_H_
