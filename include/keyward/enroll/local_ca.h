// A local certificate authority given as two PEM files (the CA certificate and its private key),
// for labs and small sites: issues X.509 v3 end-entity certificates (RFC 5280 §4.1) for verified
// PKCS#10 requests under the workforce logon profile.
//
// The CA's private key sits on disk, readable by whoever runs the enrolment. That is acceptable
// for a lab; production sites should use an external CA (`keyward card enroll --csr-out` and
// `keyward card import-cert`).
//
// What it issues: version 3, a random 16-byte positive serial, the profile's subject and
// extensions (never the request's own), basicConstraints cA=FALSE (critical), subject and
// authority key identifiers, validity [now - 5 min, now + days] capped at the CA's notAfter,
// signed with SHA-256 (SHA-384 for a P-384 CA key).
//
// Invariants: a LocalCa exists only when its certificate is a CA (basicConstraints cA=TRUE, and
// keyCertSign when keyUsage is present), its key matches the certificate and the certificate
// is valid now (kEnrollCaInvalid otherwise).
#ifndef KEYWARD_ENROLL_LOCAL_CA_H_
#define KEYWARD_ENROLL_LOCAL_CA_H_

#include <string>

#include "keyward/core/x509.h"
#include "keyward/enroll/csr.h"
#include "keyward/export.h"

KEYWARD_API_BEGIN

namespace keyward::enroll {

class LocalCa {
 public:
  static Result<LocalCa> Load(const std::string& cert_pem_path, const std::string& key_pem_path,
                              int64_t now);
  static Result<LocalCa> FromPem(std::string_view cert_pem, std::string_view key_pem, int64_t now);

  const Certificate& certificate() const { return cert_; }

  // Issues a certificate for `csr`'s (verified) key. `serial` must be 1-20 bytes.
  Result<Bytes> Issue(const VerifiedCsr& csr, const WorkforceProfile& profile, int64_t now,
                      int validity_days, ByteSpan serial) const;

 private:
  LocalCa(Certificate cert, EvpPkeyPtr key) : cert_(std::move(cert)), key_(std::move(key)) {}
  Certificate cert_;
  EvpPkeyPtr key_;
};

// 16 random bytes, high bit cleared (a positive INTEGER, RFC 5280 §4.1.2.2) and non-zero first.
Result<Bytes> RandomSerial();

}  // namespace keyward::enroll

KEYWARD_API_END

#endif  // KEYWARD_ENROLL_LOCAL_CA_H_
