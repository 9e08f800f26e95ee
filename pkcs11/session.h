// A PKCS#11 session on one token (PKCS#11 v2.40 §5.6 session management, §5.7 object management
// C_FindObjects*/C_GetAttributeValue, §5.12 C_SignInit/C_Sign, §5.6 C_Login/C_Logout) and the
// objects certificate login needs: X.509 certificates and the private key belonging to each.
//
// Invariants:
//  - A Session holds its module alive; the destructor logs out (if it logged in) and closes.
//  - The PIN is kept only as SecretBytes, and only while a key with CKA_ALWAYS_AUTHENTICATE may
//    need it (context-specific login); it is never logged.
//  - A private key belongs to a certificate when its CKA_ID equals the certificate's CKA_ID, or
//    (fallback, for tokens with inconsistent ids) when its public half equals the certificate key.
#ifndef KEYWARD_PKCS11_SESSION_H_
#define KEYWARD_PKCS11_SESSION_H_

#include <memory>
#include <string>
#include <vector>

#include "core/secret.h"
#include "core/x509.h"
#include "pkcs11/token.h"

namespace keyward::pkcs11 {

struct CertificateObject {
  CK_OBJECT_HANDLE handle = 0;
  Bytes id;           // CKA_ID
  std::string label;  // CKA_LABEL
  Certificate certificate;
};

enum class KeyType { kRsa, kEc, kOther };

struct PrivateKeyObject {
  CK_OBJECT_HANDLE handle = 0;
  Bytes id;
  std::string label;
  KeyType key_type = KeyType::kOther;
  int bits = 0;  // from the certificate's public key
  bool always_authenticate = false;
  bool sensitive = false;              // CKA_SENSITIVE
  bool never_extractable = false;      // CKA_NEVER_EXTRACTABLE
  bool always_sensitive = false;       // CKA_ALWAYS_SENSITIVE
  bool matched_by_public_key = false;  // found through the fallback
};

class Session {
 public:
  static Result<Session> Open(std::shared_ptr<Module> module, const TokenInfo& token);

  Session(Session&& o) noexcept;
  Session& operator=(Session&&) = delete;
  Session(const Session&) = delete;
  ~Session();

  const TokenInfo& token() const { return token_; }
  const Module& module() const { return *module_; }

  // C_Login(CKU_USER). kPinIncorrect / kPinBlocked / kPinInvalid ... with CKR_* in native. An
  // already logged-in token is success.
  Result<void> Login(const SecretBytes& pin);
  // Login through the token's protected authentication path (pinpad): no PIN passes the host.
  Result<void> LoginProtectedPath();
  // Fresh CK_TOKEN_INFO (the PIN flags after a failed login).
  Result<TokenInfo> RefreshTokenInfo() const;

  Result<std::vector<CertificateObject>> FindCertificates();
  Result<PrivateKeyObject> FindPrivateKeyFor(const CertificateObject& cert);
  Result<std::vector<CK_MECHANISM_TYPE>> Mechanisms() const;
  // C_SignInit + C_Sign (+ context-specific login when the key asks for it).
  Result<Bytes> Sign(const PrivateKeyObject& key, CK_MECHANISM* mechanism, ByteSpan data);

  // Raw attribute read; kPkcs11ObjectNotFound when the attribute is unavailable.
  Result<Bytes> Attribute(CK_OBJECT_HANDLE object, CK_ATTRIBUTE_TYPE type) const;
  Result<std::vector<CK_OBJECT_HANDLE>> FindObjects(std::vector<CK_ATTRIBUTE> tmpl) const;

 private:
  Session(std::shared_ptr<Module> module, TokenInfo token, CK_SESSION_HANDLE handle)
      : module_(std::move(module)), token_(std::move(token)), handle_(handle) {}
  // CkError, but kPkcs11TokenRemoved when the token has gone from its slot.
  Error Failure(CK_RV rv, std::string_view call) const;
  Result<bool> BoolAttribute(CK_OBJECT_HANDLE object, CK_ATTRIBUTE_TYPE type) const;
  Result<PrivateKeyObject> DescribeKey(CK_OBJECT_HANDLE handle, const Certificate& cert) const;

  std::shared_ptr<Module> module_;
  TokenInfo token_;
  CK_SESSION_HANDLE handle_ = CK_INVALID_HANDLE;
  bool logged_in_ = false;
  bool protected_path_ = false;
  SecretBytes pin_;
};

}  // namespace keyward::pkcs11

#endif  // KEYWARD_PKCS11_SESSION_H_
