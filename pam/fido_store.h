// Security keys for local login in a keyward credential store (pam.conf `fido_store = URL`,
// `keyward fido enroll --pam USER --db URL`) instead of the per-user files.
//
// Layout in the store: the local account is the principal whose name is the account name; each
// key enrolled for local login is a credential of kind security_key whose nickname is the RP ID
// it was made for (pam://HOST). Only such credentials are offered at a PAM login (a renamed
// credential leaves local login). The sign counter lives in the store and is advanced by the
// store's compare-and-set (CredentialStore::RecordUse): a regression is refused before, a counter
// that moved meanwhile (a racing login with a clone) is kStoreConflict. Every successful PAM login
// and every refused assertion is appended to the store's hash-chained audit log (event "login",
// action "pam:SERVICE").
//
// Trust: for a SQLite store the file decides who logs in, so the module opens it only when it is
// a regular file (not a symbolic link), owned by root or by the process's user, and writable by
// nobody else (kPamCredentialFileInsecure otherwise). A missing store, one that cannot be opened
// or read, or a store error during the login is kPamStoreUnavailable (PAM_AUTHINFO_UNAVAIL).
#ifndef KEYWARD_PAM_FIDO_STORE_H_
#define KEYWARD_PAM_FIDO_STORE_H_

#include <memory>
#include <string>
#include <vector>

#include "authenticator/credential_store.h"
#include "keyward/result.h"
#include "keyward/webauthn.h"
#include "pam/fido_credentials.h"

namespace keyward::pam {

class PamFidoStore {
 public:
  // `create`: enrolment may create a missing SQLite store (mode 0600); the PAM module never does.
  static Result<std::unique_ptr<PamFidoStore>> Open(const std::string& url, bool create);

  // The credentials of `user` for `rp_id` and the principal's id. kPamNotEnrolled when the
  // account has no principal or no such credential.
  struct UserCredentials {
    std::string principal_id;
    std::vector<PamFidoCredential> credentials;
  };
  Result<UserCredentials> Read(const std::string& user, const std::string& rp_id);

  // Compare-and-set of the counter plus the success audit record, in one transaction.
  Result<void> RecordLogin(const std::string& principal_id, const Bytes& credential_id,
                           uint32_t expected_sign_count, uint32_t new_sign_count, bool backup_state,
                           const std::string& service);
  // Best effort: a failed login in the audit log.
  void RecordFailure(const std::string& principal_id, const Bytes& credential_id, ErrorCode code,
                     const std::string& service);

  // Adds a verified registration for `user` (creating the principal when needed).
  // kAlreadyExists when the credential id is in the store.
  Result<size_t> Enroll(const std::string& user, const std::string& rp_id,
                        const webauthn::VerifiedRegistration& reg);

 private:
  explicit PamFidoStore(std::unique_ptr<authenticator::CredentialStore> store)
      : store_(std::move(store)) {}
  std::unique_ptr<authenticator::CredentialStore> store_;
};

}  // namespace keyward::pam

#endif  // KEYWARD_PAM_FIDO_STORE_H_
