// Enrolment of a security key for local login (`keyward fido enroll --pam USER`): the CLI makes
// the credential with rp = origin = pam://HOST; this verifies the registration as a relying party
// would (clientDataJSON, RP ID hash, UP, the attestation statement's signature) and appends the
// credential to the user's file (fido_credentials.h), owned by the user, mode 0600.
#ifndef KEYWARD_PAM_FIDO_ENROLL_H_
#define KEYWARD_PAM_FIDO_ENROLL_H_

#include <string>

#include "core/bytes.h"
#include "keyward/fido.h"
#include "keyward/result.h"

namespace keyward::pam {

struct PamEnrollment {
  std::string user;
  std::string file;   // the credential file, or empty
  std::string store;  // the store (redacted URL), or empty
  std::string rp_id;
  uint32_t sign_count = 0;
  size_t credentials_in_file = 0;
};

// "pam://" + this host's name.
std::string DefaultPamRpId();

// `file` empty: the default location in the user's home (%h/.config/keyward/pam_fido).
// `store_url` non-empty: into that keyward store instead (fido_store.h; a missing SQLite store is
// created, mode 0600); `file` must then be empty (kInvalidArgument).
// Errors: kPamUserUnknown, kInvalidArgument (rp_id not pam://...), the registration's
// verification errors, kAlreadyExists (the credential is in the file already), file errors.
Result<PamEnrollment> SavePamEnrollment(const std::string& user, const std::string& rp_id,
                                        const std::string& file, const std::string& store_url,
                                        const fido::Credential& cred,
                                        const std::string& client_data_json, ByteSpan challenge,
                                        bool require_uv);

}  // namespace keyward::pam

#endif  // KEYWARD_PAM_FIDO_ENROLL_H_
