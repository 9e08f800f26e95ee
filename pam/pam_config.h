// /etc/keyward/pam.conf: what pam_keyward.so requires, per PAM service.
//
// The file is a list of sections. `[default]` holds settings every service inherits;
// `[service NAME]` overrides them for one PAM service (NAME as in /etc/pam.d/NAME). Inside a
// section each line is `key = value`; `#` starts a comment line; blank lines are ignored. Values
// are words separated by blanks (lists: `methods = card fido`); there is no quoting, so paths hold
// no blanks. The parser is strict: an unknown key or section, a key given twice in one section, a
// section given twice, a value outside its set, a malformed number, a control character, a line
// over 4096 bytes or a file over 64 KiB is kConfigInvalid with "line N: ..." in the detail.
//
// Invariants of a ServicePolicy (Resolve enforces them): at least one method; `card` needs at
// least one CA file; `ocsp_failure = crl` needs CRL files and OCSP; every timeout is 1..600 s
// (card_wait may be 0: do not wait for insertion); fido_credentials contains no blank;
// fido_store is a store URL (an absolute SQLite path) and excludes an explicit fido_credentials;
// card_ocsp_cache is an absolute path and needs card_ocsp.
#ifndef KEYWARD_PAM_PAM_CONFIG_H_
#define KEYWARD_PAM_PAM_CONFIG_H_

#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "keyward/result.h"

namespace keyward::pam {

inline constexpr char kDefaultConfigPath[] = "/etc/keyward/pam.conf";
inline constexpr char kDefaultFidoCredentials[] = "%h/.config/keyward/pam_fido";

enum class Method { kCard, kFido };
std::string_view MethodName(Method m);

// What a login does when OCSP cannot answer (responder unreachable, tryLater, status unknown).
enum class OcspFailure {
  kHard,  // the login fails
  kSoft,  // the login proceeds; the log line says soft_fail
  kCrl,   // the login proceeds only when the configured (cached) CRLs cover the certificate and
          // are within their validity
};
std::string_view OcspFailureName(OcspFailure f);

enum class FidoVerification {
  kPresence,  // a touch
  kPin,       // a touch and the key's PIN, asked through the PAM conversation
  kUv,        // a touch and the key's built-in user verification (fingerprint ...)
};
std::string_view FidoVerificationName(FidoVerification v);

// The settings one service ends up with.
struct ServicePolicy {
  std::string service;  // the section it came from: the service name or "default"
  std::vector<Method> methods;
  bool allow_remote = false;       // PAM_RHOST set → refused unless true
  bool ignore_unenrolled = false;  // no_credential = ignore: PAM_IGNORE when nothing is enrolled

  // Smart card.
  std::string card_module;  // file or p11-kit name; empty: the token URI's module
  std::string card_token;   // label or pkcs11: URI; empty: the only token
  std::vector<std::string> card_ca;
  std::vector<std::string> card_crl;
  std::string card_ocsp;  // "off", "aia" or an http:// URL
  OcspFailure card_ocsp_failure = OcspFailure::kHard;
  int card_ocsp_timeout = 5;
  // A root-owned directory caching good OCSP answers (used when the responder is unreachable,
  // never past their nextUpdate); empty: no cache.
  std::string card_ocsp_cache;
  std::vector<std::string> card_eku;  // smartcardLogon, clientAuth or OIDs; empty: both
  std::string card_rules;             // mapping rules file; empty: UPN then e-mail
  int card_wait = 0;                  // seconds to wait for the card (0: must be present)
  int card_timeout = 30;              // bound on the card operations (login + signing)
  bool card_pinpad = false;

  // Security key.
  std::string fido_credentials = kDefaultFidoCredentials;  // %u user, %h home, %% a percent
  // A keyward store URL (sqlite:PATH, postgresql://...) holding the credentials instead of the
  // per-user files; empty: the files. Excludes an explicit fido_credentials.
  std::string fido_store;
  std::string fido_device;  // hidraw path; empty: the first FIDO device
  std::string fido_origin;  // empty: pam://<hostname>
  FidoVerification fido_verification = FidoVerification::kPresence;
  int fido_timeout = 15;  // touch (and whole operation) bound, seconds
  int fido_wait = 0;      // seconds to wait for a key to be plugged in
  bool fido_cue = true;   // "Touch your security key" prompt
};

class PamConfig {
 public:
  static Result<PamConfig> Parse(std::string_view text);
  // Reads and parses `path`. The file must be a regular file owned by root and not writable by
  // group or others (kPermissionDenied otherwise, unless `check_owner` is false: tests and
  // `keyward pam check --config` on a draft); kIo when it cannot be read.
  static Result<PamConfig> Load(const std::string& path, bool check_owner);

  // The policy for `service`: its section over [default], else [default]; kConfigInvalid when
  // neither exists or the result breaks an invariant (the detail names the section).
  Result<ServicePolicy> Resolve(std::string_view service) const;

  std::vector<std::string> Services() const;  // the [service NAME] sections, in file order
  bool has_default() const { return sections_.count("") != 0; }

 private:
  struct Entry {
    std::vector<std::string> words;
    size_t line = 0;
  };
  using Section = std::map<std::string, Entry, std::less<>>;
  std::map<std::string, Section, std::less<>> sections_;  // "" is [default]
  std::vector<std::string> order_;
};

// An EKU name from the config → OID (smartcardLogon, clientAuth, or a dotted OID as is).
std::string EkuOid(const std::string& name);

}  // namespace keyward::pam

#endif  // KEYWARD_PAM_PAM_CONFIG_H_
