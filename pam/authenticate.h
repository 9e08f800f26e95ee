// One PAM authentication attempt, independent of libpam: the module (pam_keyward.cc) supplies
// the conversation, the user and the policy; this file runs the proofs from pkcs11/ and fido/
// and decides the PAM return code.
//
// Return codes a stack can rely on (never PAM_IGNORE by accident):
//   PAM_SUCCESS           a proof for exactly this account
//   PAM_AUTH_ERR          a proof failed or was refused (wrong PIN, blocked PIN, untrusted,
//                         revoked or expired certificate, another user's card or key, signature,
//                         counter regression, no touch in time, cancelled PIN prompt, remote
//                         session refused, insecure credential file or SQLite store, a sign
//                         counter that moved in the store during the login)
//   PAM_AUTHINFO_UNAVAIL  nothing to prove with: no card / key present (or pulled mid-way), no
//                         key enrolled for the user, the keyward store of fido_store missing or
//                         unreadable, OCSP responder unreachable under hard-fail (and no cached
//                         good answer within its validity),
//                         a card operation that exceeded its bound
//   PAM_USER_UNKNOWN      no such local account
//   PAM_SYSTEM_ERR        broken configuration (config file, module arguments, PKCS#11 module,
//                         mapping rules, CA files)
//   PAM_IGNORE            only with `no_credential = ignore` and no credential enrolled for any
//                         configured method
#ifndef KEYWARD_PAM_AUTHENTICATE_H_
#define KEYWARD_PAM_AUTHENTICATE_H_

#include <sys/types.h>

#include <functional>
#include <memory>
#include <string>
#include <string_view>

#include "core/secret.h"
#include "keyward/fido.h"
#include "keyward/result.h"
#include "pam/pam_config.h"

namespace keyward::pam {

// The application's side of the PAM conversation.
class Conversation {
 public:
  virtual ~Conversation() = default;
  // A no-echo prompt. kPamConversationFailed when the application gives no answer (the user
  // cancelled, the conversation failed): such an answer never counts as a PIN.
  virtual Result<SecretBytes> AskSecret(const std::string& prompt) = 0;
  virtual void Info(const std::string& text) = 0;
  virtual void ErrorMessage(const std::string& text) = 0;
};

// An open FIDO device and whatever backs it (a hidraw device, or the test-only software key).
class FidoDeviceHandle {
 public:
  virtual ~FidoDeviceHandle() = default;
  virtual fido::Device& device() = 0;
};
using FidoOpener =
    std::function<Result<std::unique_ptr<FidoDeviceHandle>>(const ServicePolicy& policy)>;

// Opens policy.fido_device, or the first FIDO HID device; waits up to policy.fido_wait seconds
// for one to appear. kFidoDeviceNotFound when none does.
Result<std::unique_ptr<FidoDeviceHandle>> OpenHidFidoDevice(const ServicePolicy& policy);

struct LocalUser {
  std::string name;
  uid_t uid = 0;
  gid_t gid = 0;
  std::string home;
};
// The local account (getpwnam_r); kPamUserUnknown when there is none.
Result<LocalUser> LookupUser(const std::string& name);

struct Attempt {
  std::string service;
  std::string user;
  std::string rhost;     // PAM_RHOST; empty for a local session
  std::string hostname;  // this host (the relying host of card challenges, pam://HOST)
};

struct Outcome {
  int pam_code = 0;
  std::string method = "none";  // card, fido or none
  ErrorCode code = ErrorCode::kInternal;
  bool ok = false;
  std::string facts;  // key=value words for the log line (never a PIN)
  // A card login: hex SHA-256 of the certificate that logged in (the module exports it to the
  // session as KEYWARD_CARD_CERT_SHA256 for keyward-lock-on-card-removal).
  std::string card_cert_sha256;
};

struct Hooks {
  FidoOpener open_fido = OpenHidFidoDevice;
  int64_t clock_offset = 0;  // tests only: card logins verify at now + clock_offset
};

Outcome Authenticate(const ServicePolicy& policy, const Attempt& attempt, Conversation& conv,
                     const Hooks& hooks);

// The PAM return code for an error (see the table above; anything unlisted is PAM_AUTH_ERR).
int PamCodeFor(ErrorCode code);

// "PAM_SUCCESS", "PAM_AUTH_ERR", ... for the log line.
const char* PamCodeName(int pam_code);

// A value fit for the log line: blanks, quotes and control characters become '_', at most 128
// bytes, "-" when empty.
std::string LogSafe(std::string_view s);

// The log line of an attempt (no PIN, no challenge): service, user, rhost, method, outcome,
// code, facts.
std::string LogLine(const Attempt& attempt, const Outcome& outcome);

}  // namespace keyward::pam

#endif  // KEYWARD_PAM_AUTHENTICATE_H_
