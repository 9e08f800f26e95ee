// Certificate revocation by CRL (RFC 5280 §6.3) for attestation trust paths and the metadata
// BLOB signer chain, "when supplied": a CRL applies to the certificates its issuer issued; each
// applicable CRL must be signed by that issuer and current at the verification time, and a
// certificate listed in one is revoked. Certificates no supplied CRL covers are not judged.
#ifndef KEYWARD_ATTESTATION_REVOCATION_H_
#define KEYWARD_ATTESTATION_REVOCATION_H_

#include <span>

#include "core/x509.h"

namespace keyward::attestation {

// `path` is a validated chain, leaf first, anchor last. Errors: kCertificateRevoked,
// kRevocationUnknown (an applicable CRL is expired or not yet valid), kCrlInvalid (an
// applicable CRL's signature does not verify).
Result<void> CheckRevocation(std::span<const Certificate> path, std::span<X509_CRL* const> crls,
                             int64_t verify_time);

}  // namespace keyward::attestation

#endif  // KEYWARD_ATTESTATION_REVOCATION_H_
