// The per-user file of security keys enrolled for local login (`keyward fido enroll --pam USER`).
//
// Format (text, one credential per line, `#` comment lines and blank lines ignored):
//   keyward-pam-fido v1 RP_ID CREDENTIAL_ID PUBLIC_KEY SIGN_COUNT
// RP_ID is the origin the key was registered for (pam://HOST); CREDENTIAL_ID and PUBLIC_KEY
// (COSE_Key) are base64url without padding; SIGN_COUNT is the last counter seen (decimal, u32).
// At most 64 credentials, 64 KiB. Anything else is kPamCredentialFileInvalid with the line.
//
// Trust: the file decides who logs in, so every read checks it: a regular file (symlinks are not
// followed), owned by the user or by root, not readable or writable by group or others
// (kPamCredentialFileInsecure otherwise). Writes (enrolment, counter updates) go to a temporary
// file in the same directory, owner and mode 0600 set before the rename.
#ifndef KEYWARD_PAM_FIDO_CREDENTIALS_H_
#define KEYWARD_PAM_FIDO_CREDENTIALS_H_

#include <sys/types.h>

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "core/bytes.h"
#include "keyward/result.h"

namespace keyward::pam {

struct PamFidoCredential {
  std::string rp_id;
  Bytes id;
  Bytes public_key;  // COSE_Key
  uint32_t sign_count = 0;
};

// %u → user, %h → home, %% → %. kConfigInvalid for another escape or a result that is not an
// absolute path.
Result<std::string> ExpandCredentialPath(std::string_view pattern, std::string_view user,
                                         std::string_view home);

Result<std::vector<PamFidoCredential>> ParseCredentialFile(std::string_view text);
std::string FormatCredentialFile(const std::vector<PamFidoCredential>& creds);

// kPamNotEnrolled when the file does not exist; see above for the rest.
Result<std::vector<PamFidoCredential>> ReadCredentialFile(const std::string& path, uid_t user_uid);
// Replaces the file atomically, owned by uid:gid, mode 0600. Missing parent directories are
// created mode 0700 owned by uid:gid when `create_dirs`.
Result<void> WriteCredentialFile(const std::string& path,
                                 const std::vector<PamFidoCredential>& creds, uid_t uid, gid_t gid,
                                 bool create_dirs);

}  // namespace keyward::pam

#endif  // KEYWARD_PAM_FIDO_CREDENTIALS_H_
