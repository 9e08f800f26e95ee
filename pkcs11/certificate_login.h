// The relying side of certificate-based login: certificate validation policy at a caller-given
// time (RFC 5280 path to configured CAs, validity, KeyUsage digitalSignature, EKU policy, CRL
// files, OCSP per RFC 6960 with soft/hard failure), challenge issue/consume, signature check with
// the certificate's key over the domain-separated message (login_challenge.h), account mapping.
//
// Invariants:
//  - Verify consumes the challenge FIRST, so a nonce is burnt even by a failing attempt.
//  - A LoginResult exists only when the signature verified, the certificate validated under the
//    policy and a mapping rule gave an account.
//  - EKU acceptance is never empty: a policy that accepts any EKU must say so
//    (`insecure_skip_eku_check`).
#ifndef KEYWARD_PKCS11_CERTIFICATE_LOGIN_H_
#define KEYWARD_PKCS11_CERTIFICATE_LOGIN_H_

#include <memory>
#include <optional>
#include <span>
#include <string>
#include <vector>

#include "core/public_key.h"
#include "core/x509.h"
#include "keyward/pkcs11.h"
#include "pkcs11/login_challenge.h"
#include "pkcs11/mapping_rules.h"
#include "pkcs11/ocsp_client.h"

namespace keyward::pkcs11 {

struct CertificatePolicy {
  std::vector<Certificate> anchors;
  std::vector<Certificate> intermediates;
  std::vector<std::shared_ptr<X509_CRL>> crls;  // when non-empty, the path must be covered
  std::vector<std::string> accepted_ekus = {kSmartCardLogonOid, kClientAuthOid};
  bool insecure_skip_eku_check = false;
  bool require_digital_signature = true;
  std::optional<OcspOptions> ocsp;
  OcspFailurePolicy ocsp_failure = OcspFailurePolicy::kHardFail;

  // CA and CRL files (PEM or DER); kIo / kPemMalformed / kCrlInvalid / kConfigInvalid.
  static Result<CertificatePolicy> FromFiles(std::span<const std::string> ca_files,
                                             std::span<const std::string> crl_files);
};

struct ValidatedCertificate {
  VerifiedChain chain;
  RevocationEvidence revocation;
};

Result<ValidatedCertificate> ValidateLoginCertificate(const Certificate& leaf,
                                                      const CertificatePolicy& policy,
                                                      int64_t verify_time);

CertificateSummary Summarize(const Certificate& cert);

// What the card side sends back.
struct LoginResponse {
  Bytes nonce;
  Bytes certificate_der;
  Bytes signature;
  CoseAlgorithm algorithm = CoseAlgorithm::kES256;
  SignatureFormat format = SignatureFormat::kP1363;
  // Facts the (local, trusted) card side observed about the key; they decide the assurance.
  bool hardware_bound_key = false;
  std::string key_storage;  // words, e.g. "hardware slot, key never extractable"
};

class LoginVerifier {
 public:
  LoginVerifier(CertificatePolicy policy, MappingRules rules,
                std::shared_ptr<ChallengeRegistry> registry);

  Result<LoginChallenge> IssueChallenge(std::string context, std::string relying_host, int64_t now);
  // Validation + mapping without a signature: which certificate on a token can log in.
  Result<LoginResult> Evaluate(const Certificate& cert, int64_t verify_time) const;
  Result<LoginResult> Verify(const LoginResponse& response, std::string_view expected_context,
                             std::string_view expected_relying_host, int64_t now);

  const CertificatePolicy& policy() const { return policy_; }

 private:
  CertificatePolicy policy_;
  MappingRules rules_;
  std::shared_ptr<ChallengeRegistry> registry_;
};

}  // namespace keyward::pkcs11

#endif  // KEYWARD_PKCS11_CERTIFICATE_LOGIN_H_
