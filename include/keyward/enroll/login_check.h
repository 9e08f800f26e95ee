// The last step of an enrolment: a real certificate login with the new card, through
// keyward::pkcs11 (pkcs11/card_login.h) and a PKCS#11 module (OpenSC's by default) under pcscd.
// The card signs a fresh challenge; the certificate is validated against the issuing CA (chain,
// validity, KeyUsage digitalSignature, EKU Smart Card Logon or clientAuth); a mapping rule built
// from the enrolled identity must map it to exactly the expected account (the SID when one was
// enrolled, else the UPN, else the e-mail).
//
// The result says PASS, or which check failed as its error code (e.g. certificate_untrusted,
// certificate_eku_missing, mapping_no_match, pin_incorrect).
#ifndef KEYWARD_ENROLL_LOGIN_CHECK_H_
#define KEYWARD_ENROLL_LOGIN_CHECK_H_

#include <string>

#include "keyward/core/x509.h"
#include "keyward/enroll/profile.h"
#include "keyward/export.h"
#include "keyward/secret.h"

KEYWARD_API_BEGIN

namespace keyward::enroll {

inline constexpr char kOpenScModule[] = "/usr/lib/x86_64-linux-gnu/opensc-pkcs11.so";

struct LoginCheckRequest {
  std::string module_path = kOpenScModule;
  std::vector<Certificate> anchors;  // the issuing CA
  UserRecord user;
  SecretBytes pin;
  Bytes expected_certificate;  // the certificate that was written (must be the one used)
  int64_t now = 0;
};

struct LoginCheckResult {
  bool passed = false;
  ErrorCode code = ErrorCode::kInternal;  // when !passed
  std::string detail;
  std::string account, rule, mapping_source, mechanism, signature_algorithm, assurance;
  std::string expected_account;
};

// Which account the login must map to, and the rule that maps it.
std::string ExpectedAccount(const UserRecord& user);
std::string MappingRuleFor(const UserRecord& user);

LoginCheckResult RunLoginCheck(const LoginCheckRequest& request);

}  // namespace keyward::enroll

KEYWARD_API_END

#endif  // KEYWARD_ENROLL_LOGIN_CHECK_H_
