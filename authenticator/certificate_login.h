// Smart-card (certificate) enrolment and login checks: the narrow seam where the PKCS#11 / PIV
// layers plug into the facade.
//
// Enrolment (EnrollCertificate): the end-entity certificate must chain to a configured
// smart-card anchor at the enrolment time (RFC 5280 path validation through core/x509.h); if it
// carries extendedKeyUsage, that must include id-kp-clientAuth (1.3.6.1.5.5.7.3.2) or Microsoft
// Smart Card Logon (1.3.6.1.4.1.311.20.2.2); if it carries keyUsage, digitalSignature must be set.
//
// Login: the enrolled certificate is validated again exactly as at enrolment, at the login time
// (ValidateSmartCardCertificate with the stored intermediates): an expired certificate, one whose
// CA left the anchors, or one revoked since (configured CRLs; when any is configured every
// certificate of the path must be covered by one) is refused. Then the card signed the ceremony's
// raw challenge bytes with the certificate's key (C_Sign / PIV GENERAL AUTHENTICATE). Whoever
// drives the card (pkcs11/, pcsc/, or a remote client) produces a CertificateLoginEvidence; nothing
// here talks to a card.
#ifndef KEYWARD_AUTHENTICATOR_CERTIFICATE_LOGIN_H_
#define KEYWARD_AUTHENTICATOR_CERTIFICATE_LOGIN_H_

#include <string>
#include <vector>

#include "core/x509.h"
#include "keyward/authenticator.h"

namespace keyward::authenticator {

inline constexpr const char* kEkuClientAuth = "1.3.6.1.5.5.7.3.2";
inline constexpr const char* kEkuSmartCardLogon = "1.3.6.1.4.1.311.20.2.2";

struct ValidatedCertificate {
  Certificate certificate;
  std::string anchor_subject;
};

// kCertificateMalformed, kCertificateUntrusted / kCertificateExpired / kCertificateRevoked /
// kRevocationUnknown / ... (VerifyChain), kCertificateEkuMissing, kCertificateKeyUsageInvalid.
// `crls` non-empty: every certificate of the path must be covered by one of them.
Result<ValidatedCertificate> ValidateSmartCardCertificate(const CertificateEnrollment& enrollment,
                                                          std::span<const Certificate> anchors,
                                                          std::span<X509_CRL* const> crls,
                                                          int64_t now);

// kCertificateMalformed, kCertificateExpired / kCertificateNotYetValid, kUnsupportedAlgorithm /
// kKeyAlgorithmMismatch, kSignatureInvalid / kSignatureMalformed.
Result<void> VerifyCertificateSignature(ByteSpan challenge,
                                        const CertificateLoginEvidence& evidence, int64_t now);

}  // namespace keyward::authenticator

#endif  // KEYWARD_AUTHENTICATOR_CERTIFICATE_LOGIN_H_
