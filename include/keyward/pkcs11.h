// keyward PKCS#11 and certificate-based workforce login: the calls a host (login service, PAM
// module, CLI) makes. Any PKCS#11 module works (OpenSC for real cards, SoftHSM2, vendor modules).
//
// A login: load the module, pick the token, read its certificates, validate each against the
// configured CAs at the given time (validity, KeyUsage digitalSignature, EKU policy, CRL/OCSP),
// map it to an account with the mapping rules, log in with the PIN (or the token's pinpad), have
// the card sign a fresh single-use challenge bound to a context and the relying host, verify that
// signature with the certificate's key. One result type describes what was proven.
#ifndef KEYWARD_PKCS11_H_
#define KEYWARD_PKCS11_H_

#include <chrono>
#include <cstdint>
#include <memory>
#include <span>
#include <string>
#include <vector>

#include "keyward/export.h"
#include "keyward/result.h"

KEYWARD_API_BEGIN

namespace keyward::pkcs11 {

inline constexpr char kSmartCardLogonOid[] = "1.3.6.1.4.1.311.20.2.2";
inline constexpr char kClientAuthOid[] = "1.3.6.1.5.5.7.3.2";

struct CertificateSummary {
  std::string subject;  // RFC 2253
  std::string issuer;
  std::string serial_hex;
  std::string fingerprint_sha256;  // hex of SHA-256(DER)
  int64_t not_before = 0;          // Unix seconds
  int64_t not_after = 0;
};

struct RevocationEvidence {
  // "none" (no CRL or OCSP configured), "crl", "ocsp", or "crl+ocsp".
  std::string method = "none";
  // "good" (checked, not revoked), "not_checked", "soft_fail" (OCSP unavailable or unknown and
  // the policy allows it: see soft_fail_reason).
  std::string status = "not_checked";
  std::string ocsp_url;
  int64_t ocsp_this_update = 0;
  int64_t ocsp_next_update = 0;  // 0 when the response had none
  bool ocsp_cached = false;      // the responder was unavailable: a cached good answer decided
  std::string soft_fail_reason;  // an ErrorCodeName when status is soft_fail
};

// NIST SP 800-63B authenticator assurance: a key the token says is in a hardware slot and was
// generated there, never extractable → AAL3 (multi-factor cryptographic device); otherwise AAL2.
struct Assurance {
  std::string level;   // "aal3" or "aal2"
  std::string reason;  // why, in words
};

struct LoginResult {
  std::string account;
  CertificateSummary certificate;
  std::string rule;            // name of the mapping rule that matched
  std::string mapping_source;  // upn, email, cn, subject, issuer-serial, fingerprint, sid ...
  std::string trust_anchor;    // subject of the CA the chain ended in
  RevocationEvidence revocation;
  Assurance assurance;
  std::string token_label;
  std::string mechanism;            // CKM_ECDSA, CKM_RSA_PKCS, CKM_RSA_PKCS_PSS
  std::string signature_algorithm;  // ES256, ES384, RS256, PS256 ...
};

enum class OcspFailurePolicy {
  kHardFail,  // responder unreachable / status unknown → login fails
  kSoftFail,  // … → login proceeds, evidence says soft_fail
};

struct CardLoginOptions {
  // e.g. /usr/lib/x86_64-linux-gnu/opensc-pkcs11.so, or a p11-kit module name (opensc-pkcs11);
  // empty: the module-path / module-name of a `token` URI (ModuleForToken).
  std::string module_path;
  // Token selection: a label, or a "pkcs11:" URI (token=, serial=, manufacturer=, model=). Empty:
  // the only token present.
  std::string token;
  std::vector<std::string> ca_files;   // PEM, one or more CA certificates each
  std::vector<std::string> crl_files;  // DER or PEM; when given, the leaf must be covered by one
  bool ocsp = false;                   // query OCSP (ocsp_url, else the certificate's AIA)
  std::string ocsp_url;
  OcspFailurePolicy ocsp_failure = OcspFailurePolicy::kHardFail;
  int ocsp_timeout_seconds = 5;
  // A directory (root-owned, not writable by others) keeping good OCSP answers: while the
  // responder is unavailable a cached good answer within its validity (never past nextUpdate)
  // decides. Empty: no cache.
  std::string ocsp_cache_dir;
  // Accepted EKUs (any one suffices). Default: Smart Card Logon or clientAuth.
  std::vector<std::string> accepted_ekus = {kSmartCardLogonOid, kClientAuthOid};
  std::string rules_file;  // empty: map by UPN, then e-mail
  std::string context = "keyward card-login";
  std::string relying_host;         // empty: this host's name
  int64_t verify_time = 0;          // Unix seconds; 0: now
  bool use_protected_path = false;  // pinpad: the PIN is entered on the reader
};

struct TokenSummary {
  uint64_t slot_id = 0;
  std::string slot_description;
  std::string label, manufacturer, model, serial;
  bool hardware_slot = false;
  bool removable = false;
  bool token_initialized = false;
  bool login_required = false;
  bool protected_authentication_path = false;
  bool pin_count_low = false, pin_final_try = false, pin_locked = false;
};

struct TokenCertificateSummary {
  std::string token_label;
  std::string object_label;
  std::string id_hex;
  CertificateSummary certificate;
  std::string key_type;  // "rsa", "ec" or "other" (of the certificate's public key)
  int key_bits = 0;
  bool is_ca = false;
};

// A module registered with p11-kit (pkcs11.conf(5)): `name` is its config file's name without
// ".module" (Debian: softhsm2, opensc-pkcs11, p11-kit-trust), `path` the library p11-kit resolved.
struct RegisteredModule {
  std::string name;
  std::string path;
};

// The modules registered with p11-kit for this program, in p11-kit's order. Every function below
// that takes a `module_path` also accepts such a name (a value without '/').
std::vector<RegisteredModule> RegisteredModules();

// The module to load for `token` (a label or a "pkcs11:" URI): `module` (a file or p11-kit name)
// when given; otherwise the URI's module-path, or its module-name (RFC 7512 §2.4: the library's
// name without path, "lib" prefix or ".so", or a p11-kit registration name, case-insensitive;
// looked up among the p11-kit registrations, or in module-path when that is a directory); else ""
// (the caller decides: every registered module, or an error). Errors: kPkcs11UriInvalid (a
// malformed URI; a URI naming a different module than `module`; a directory module-path without
// module-name), kPkcs11ModuleLoadFailed (module-name matches nothing).
Result<std::string> ModuleForToken(const std::string& module, const std::string& token);

Result<std::vector<TokenSummary>> ListModuleTokens(const std::string& module_path);
Result<std::vector<TokenCertificateSummary>> ListTokenCertificates(const std::string& module_path,
                                                                   const std::string& token);
// A token inserted into or removed from a slot of a module.
struct TokenEvent {
  uint64_t slot_id = 0;
  std::string slot_description;
  bool token_present = false;  // after the event: true for an insertion
  TokenSummary token;          // when token_present
  bool already = false;        // WaitFor: the state asked for held when the wait began
};

// Waits for token insertions and removals with a deadline. Keeps the module initialised between
// waits, so an event between two Wait calls is not lost. Wait polls the module
// (C_WaitForSlotEvent with CKF_DONT_BLOCK, every 100 ms): PKCS#11's blocking form has no timeout
// and cannot be interrupted portably. Errors: kTimeout (nothing happened in time, also for modules
// whose slots never change such as SoftHSM2), kNotSupported (the module has no slot events).
class TokenWatcher {
 public:
  static Result<TokenWatcher> Open(const std::string& module_path);
  TokenWatcher(TokenWatcher&&) noexcept;
  TokenWatcher& operator=(TokenWatcher&&) noexcept;
  ~TokenWatcher();

  Result<TokenEvent> Wait(std::chrono::milliseconds timeout);
  // Waits until a token matching `token` (a label or "pkcs11:" URI; empty: any token) is present
  // (`present`), or until none is (!present), for at most `timeout`; returns at once (already)
  // when that holds already. For a removal the event names the slot the token was last seen in.
  // Errors: kTimeout, kPkcs11UriInvalid, the module's errors.
  Result<TokenEvent> WaitFor(const std::string& token, bool present,
                             std::chrono::milliseconds timeout);

 private:
  struct Impl;
  explicit TokenWatcher(std::unique_ptr<Impl> impl);
  std::unique_ptr<Impl> impl_;
};

// Runs a whole local login. `pin` is wiped by the caller; keyward copies it into a wiping buffer.
Result<LoginResult> CardLogin(const CardLoginOptions& options, std::span<const uint8_t> pin);

}  // namespace keyward::pkcs11

KEYWARD_API_END

#endif  // KEYWARD_PKCS11_H_
