#include "authenticator/certificate_login.h"

#include <openssl/x509v3.h>

#include <algorithm>

#include "core/public_key.h"

namespace keyward::authenticator {

Result<ValidatedCertificate> ValidateSmartCardCertificate(const CertificateEnrollment& enrollment,
                                                          std::span<const Certificate> anchors,
                                                          std::span<X509_CRL* const> crls,
                                                          int64_t now) {
  KW_ASSIGN_OR_RETURN(Certificate leaf, Certificate::ParseDer(enrollment.certificate));
  std::vector<Certificate> intermediates;
  for (const Bytes& der : enrollment.intermediates) {
    KW_ASSIGN_OR_RETURN(Certificate c, Certificate::ParseDer(der, CertificateRole::kIssuer));
    intermediates.push_back(std::move(c));
  }
  if (anchors.empty()) {
    return Fail(ErrorCode::kCertificateUntrusted, "no smart-card anchors are configured");
  }
  ChainOptions opts;
  opts.verify_time = now;
  opts.allow_partial_chain = false;
  opts.crls.assign(crls.begin(), crls.end());
  opts.require_crls = !crls.empty();
  KW_ASSIGN_OR_RETURN(VerifiedChain chain, VerifyChain(leaf, intermediates, anchors, opts));
  const auto ekus = leaf.ExtendedKeyUsages();
  if (!ekus.empty() && std::find(ekus.begin(), ekus.end(), kEkuClientAuth) == ekus.end() &&
      std::find(ekus.begin(), ekus.end(), kEkuSmartCardLogon) == ekus.end()) {
    return Fail(ErrorCode::kCertificateEkuMissing,
                "certificate EKU allows neither clientAuth nor smart card logon");
  }
  if (auto ku = leaf.KeyUsage(); ku && (*ku & KU_DIGITAL_SIGNATURE) == 0) {
    return Fail(ErrorCode::kCertificateKeyUsageInvalid, "keyUsage lacks digitalSignature");
  }
  return ValidatedCertificate{std::move(leaf), chain.anchor().Subject()};
}

Result<void> VerifyCertificateSignature(ByteSpan challenge,
                                        const CertificateLoginEvidence& evidence, int64_t now) {
  KW_ASSIGN_OR_RETURN(Certificate cert, Certificate::ParseDer(evidence.certificate));
  if (auto nb = cert.NotBefore(); nb && now < *nb) {
    return Fail(ErrorCode::kCertificateNotYetValid, "certificate not yet valid");
  }
  if (auto na = cert.NotAfter(); na && now > *na) {
    return Fail(ErrorCode::kCertificateExpired, "certificate expired");
  }
  EVP_PKEY* pkey = cert.public_key();
  if (pkey == nullptr) return Fail(ErrorCode::kUnsupportedKeyType, "certificate key unreadable");
  KW_ASSIGN_OR_RETURN(PublicKey key,
                      PublicKey::FromEvp(pkey, static_cast<CoseAlgorithm>(evidence.cose_alg),
                                         InsecureAlgorithms{}));
  return key.Verify(challenge, evidence.signature);
}

}  // namespace keyward::authenticator
