// The card side of certificate login through PKCS#11, and the whole local login
// (keyward/pkcs11.h CardLogin): choose the token and the certificate that validates and maps,
// log in, have the token sign the challenge's message, hand the response to the LoginVerifier.
//
// Certificate choice: every non-CA certificate on the token with a private key is evaluated
// (validation + mapping) before the PIN is used; the first that passes is used. When none does,
// the error is kMappingNoMatch if some certificate validated but none mapped, otherwise the
// first certificate's validation error; kLoginNoUsableCertificate when the token has none.
#ifndef KEYWARD_PKCS11_CARD_LOGIN_H_
#define KEYWARD_PKCS11_CARD_LOGIN_H_

#include <optional>

#include "core/secret.h"
#include "pkcs11/certificate_login.h"
#include "pkcs11/session.h"
#include "pkcs11/signer.h"

namespace keyward::pkcs11 {

struct CardLoginRequest {
  std::string module_path;
  TokenSelector token;
  SecretBytes pin;
  bool use_protected_path = false;
  std::string context = "keyward card-login";
  std::string relying_host;
  std::optional<SignScheme> scheme;  // default: chosen from the token's mechanisms
  int64_t now = 0;
};

TokenSummary SummarizeToken(const TokenInfo& t);

Result<TokenSelector> ParseTokenSelector(const std::string& label_or_uri);

// Signs `challenge` with the key of `cert` on `session` (logged in) and builds the response.
Result<LoginResponse> SignChallenge(Session& session, const CertificateObject& cert,
                                    const PrivateKeyObject& key, const LoginChallenge& challenge,
                                    std::optional<SignScheme> scheme);

Result<LoginResult> RunCardLogin(const CardLoginRequest& request, LoginVerifier& verifier);

}  // namespace keyward::pkcs11

#endif  // KEYWARD_PKCS11_CARD_LOGIN_H_
