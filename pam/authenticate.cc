#include "pam/authenticate.h"

#include <pwd.h>
#include <security/_pam_types.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <thread>
#include <vector>

#include "pam/bounded_call.h"

namespace keyward::pam {

Outcome CardAuthenticate(const ServicePolicy& policy, const Attempt& attempt, Conversation& conv,
                         const Hooks& hooks);
Outcome FidoAuthenticate(const ServicePolicy& policy, const Attempt& attempt, const LocalUser& user,
                         Conversation& conv, const Hooks& hooks);

int PamCodeFor(ErrorCode code) {
  switch (code) {
    case ErrorCode::kPkcs11TokenNotFound:
    case ErrorCode::kPkcs11TokenRemoved:
    case ErrorCode::kTimeout:
    case ErrorCode::kFidoDeviceNotFound:
    case ErrorCode::kFidoDeviceError:
    case ErrorCode::kPamNotEnrolled:
    case ErrorCode::kPamStoreUnavailable:
    case ErrorCode::kOcspUnavailable:
    case ErrorCode::kPcscNoService:
      return PAM_AUTHINFO_UNAVAIL;
    case ErrorCode::kPamUserUnknown:
      return PAM_USER_UNKNOWN;
    case ErrorCode::kConfigInvalid:
    case ErrorCode::kPamModuleArgumentInvalid:
    case ErrorCode::kPkcs11ModuleLoadFailed:
    case ErrorCode::kPkcs11UriInvalid:
    case ErrorCode::kMappingRuleInvalid:
    case ErrorCode::kPermissionDenied:
    case ErrorCode::kIo:
    case ErrorCode::kInternal:
    case ErrorCode::kCrlInvalid:
      return PAM_SYSTEM_ERR;
    default:
      return PAM_AUTH_ERR;
  }
}

const char* PamCodeName(int pam_code) {
  switch (pam_code) {
    case PAM_SUCCESS:
      return "PAM_SUCCESS";
    case PAM_AUTH_ERR:
      return "PAM_AUTH_ERR";
    case PAM_AUTHINFO_UNAVAIL:
      return "PAM_AUTHINFO_UNAVAIL";
    case PAM_USER_UNKNOWN:
      return "PAM_USER_UNKNOWN";
    case PAM_SYSTEM_ERR:
      return "PAM_SYSTEM_ERR";
    case PAM_IGNORE:
      return "PAM_IGNORE";
    case PAM_CONV_ERR:
      return "PAM_CONV_ERR";
    default:
      return "PAM_OTHER";
  }
}

std::string LogSafe(std::string_view s) {
  std::string out;
  for (char c : s.substr(0, 128)) {
    unsigned char u = static_cast<unsigned char>(c);
    out += (u <= 0x20 || u == 0x7f || c == '"') ? '_' : c;
  }
  return out.empty() ? "-" : out;
}

std::string LogLine(const Attempt& attempt, const Outcome& outcome) {
  std::string s =
      "pam_keyward: service=" + LogSafe(attempt.service) + " user=" + LogSafe(attempt.user) +
      " rhost=" + LogSafe(attempt.rhost) + " method=" + outcome.method +
      " outcome=" + PamCodeName(outcome.pam_code) +
      " code=" + (outcome.ok ? std::string("ok") : std::string(ErrorCodeName(outcome.code)));
  if (!outcome.facts.empty()) s += " " + outcome.facts;
  return s;
}

Result<LocalUser> LookupUser(const std::string& name) {
  if (name.empty() || name.size() > 256) return Fail(ErrorCode::kPamUserUnknown, "no user name");
  long size = sysconf(_SC_GETPW_R_SIZE_MAX);  // NOLINT(runtime/int)
  std::vector<char> buf(size > 0 ? static_cast<size_t>(size) : 16384);
  passwd pw{};
  passwd* found = nullptr;
  for (;;) {
    int rc = getpwnam_r(name.c_str(), &pw, buf.data(), buf.size(), &found);
    if (rc == ERANGE && buf.size() < (1u << 20)) {
      buf.resize(buf.size() * 2);
      continue;
    }
    if (rc != 0) return Fail(ErrorCode::kIo, "the user database is unreadable");
    break;
  }
  if (!found) return Fail(ErrorCode::kPamUserUnknown, "no local account " + name);
  return LocalUser{pw.pw_name, pw.pw_uid, pw.pw_gid, pw.pw_dir ? pw.pw_dir : ""};
}

Outcome Authenticate(const ServicePolicy& policy, const Attempt& attempt, Conversation& conv,
                     const Hooks& hooks) {
  Outcome out;
  auto fail = [&](ErrorCode code) {
    out.code = code;
    out.ok = false;
    out.pam_code = PamCodeFor(code);
    return out;
  };
  auto user = LookupUser(attempt.user);
  if (!user) return fail(user.error().code);
  if (!attempt.rhost.empty() && !policy.allow_remote) {
    conv.ErrorMessage("Smart cards and security keys are not accepted for remote sessions.");
    return fail(ErrorCode::kPamRemoteRefused);
  }
  // Methods in order: the first that has something to prove with decides. Only "nothing here"
  // (no card, no key, nothing enrolled) moves on to the next method.
  std::vector<Outcome> unavailable;
  for (Method m : policy.methods) {
    Outcome o = m == Method::kCard ? CardAuthenticate(policy, attempt, conv, hooks)
                                   : FidoAuthenticate(policy, attempt, *user, conv, hooks);
    o.method = std::string(MethodName(m));
    if (o.ok || o.pam_code != PAM_AUTHINFO_UNAVAIL) return o;
    unavailable.push_back(std::move(o));
  }
  // Every method had nothing: report the first; PAM_IGNORE only when asked for and nothing at
  // all is enrolled.
  Outcome o = unavailable.front();
  bool none_enrolled = std::all_of(unavailable.begin(), unavailable.end(), [](const Outcome& u) {
    return u.code == ErrorCode::kPamNotEnrolled;
  });
  if (policy.ignore_unenrolled && none_enrolled) o.pam_code = PAM_IGNORE;
  return o;
}

}  // namespace keyward::pam
