// Signing a message with a token key, the host doing the hashing (PKCS#11 v2.40 §2.3.6 CKM_ECDSA,
// §2.1.6 CKM_RSA_PKCS with the DigestInfo of RFC 8017 §9.2 built on the host, §2.1.10
// CKM_RSA_PKCS_PSS with MGF1 and salt = hash length), the mechanism chosen from what the token
// lists. The result says how to verify it with core/public_key.h.
//
// Hash: SHA-256 for RSA and P-256, SHA-384 for P-384, SHA-512 for P-521.
#ifndef KEYWARD_PKCS11_SIGNER_H_
#define KEYWARD_PKCS11_SIGNER_H_

#include <optional>
#include <span>
#include <string_view>

#include "core/public_key.h"
#include "pkcs11/session.h"

namespace keyward::pkcs11 {

enum class SignScheme { kEcdsa, kRsaPkcs1, kRsaPss };
std::string_view SignSchemeName(SignScheme s);

struct TokenSignature {
  Bytes signature;
  SignScheme scheme = SignScheme::kEcdsa;
  CoseAlgorithm algorithm = CoseAlgorithm::kES256;  // how PublicKey verifies it
  SignatureFormat format = SignatureFormat::kP1363;
};

// RSA prefers PSS when listed, then PKCS#1 v1.5; EC needs CKM_ECDSA. `preferred` forces a scheme
// (kPkcs11MechanismInvalid if the token does not list it or it does not fit the key).
Result<SignScheme> ChooseScheme(KeyType key_type, std::span<const CK_MECHANISM_TYPE> mechanisms,
                                std::optional<SignScheme> preferred);

// DigestInfo (RFC 8017 §9.2) is keyward::DigestInfo in core/hash.h.

Result<TokenSignature> SignMessage(Session& session, const PrivateKeyObject& key, ByteSpan message,
                                   std::optional<SignScheme> preferred);

}  // namespace keyward::pkcs11

#endif  // KEYWARD_PKCS11_SIGNER_H_
