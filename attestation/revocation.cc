#include "attestation/revocation.h"

#include <openssl/err.h>

namespace keyward::attestation {

Result<void> CheckRevocation(std::span<const Certificate> path, std::span<X509_CRL* const> crls,
                             int64_t verify_time) {
  for (size_t i = 0; i + 1 < path.size(); ++i) {
    X509* cert = path[i].get();
    X509* issuer = path[i + 1].get();
    for (X509_CRL* crl : crls) {
      if (X509_NAME_cmp(X509_CRL_get_issuer(crl), X509_get_subject_name(issuer)) != 0) continue;
      EVP_PKEY* issuer_key = X509_get0_pubkey(issuer);
      if (!issuer_key || X509_CRL_verify(crl, issuer_key) != 1) {
        ERR_clear_error();
        return Fail(ErrorCode::kCrlInvalid, "CRL of " + path[i + 1].Subject() + " does not verify");
      }
      time_t t = static_cast<time_t>(verify_time);
      const ASN1_TIME* last = X509_CRL_get0_lastUpdate(crl);
      const ASN1_TIME* next = X509_CRL_get0_nextUpdate(crl);
      if ((last && X509_cmp_time(last, &t) > 0) || (next && X509_cmp_time(next, &t) < 0)) {
        ERR_clear_error();
        return Fail(ErrorCode::kRevocationUnknown,
                    "CRL of " + path[i + 1].Subject() + " is not current");
      }
      X509_REVOKED* revoked = nullptr;
      if (X509_CRL_get0_by_cert(crl, &revoked, cert) == 1) {
        return Fail(ErrorCode::kCertificateRevoked,
                    path[i].Subject() + " (serial " + path[i].SerialHex() + ") is revoked");
      }
    }
  }
  ERR_clear_error();
  return Ok();
}

}  // namespace keyward::attestation
