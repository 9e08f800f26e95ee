// keyward's unified authenticator API: one registry, one policy and one result for passkeys,
// security keys and smart cards.
//
//   auto auth = keyward::authenticator::Authenticator::Open(config);     // SQLite store + policy
//   auto p = (*auth)->CreatePrincipal("alice", "Alice Example");
//   auto reg = (*auth)->BeginRegistration(p->id, CredentialKind::kPasskey);
//   ... browser: navigator.credentials.create(reg->options_json) ...
//   auto cred = (*auth)->FinishRegistration(reg->ceremony_id, response_json, "my phone");
//   auto login = (*auth)->BeginLogin({});
//   ... browser: navigator.credentials.get(login->options_json) ...
//   Session session;
//   auto result = (*auth)->FinishLogin(login->ceremony_id, response_json, context, &session);
//   if (!result) { /* result.error().code: challenge_replayed, step_up_required, ... */ }
//
// The facade owns no protocol logic: WebAuthn responses are verified by keyward::webauthn
// (include/keyward/webauthn.h), attestation trust by keyward::attestation, certificate chains and
// signatures by core. What it adds: the credential store (SQLite), single-use expiring
// challenges, the policy engine (presets "ciam" and "workforce" or a JSON file), NIST SP 800-63B
// assurance levels, step-up, the hash-chained audit log, export and erasure.
//
// Assurance (SP 800-63B-4 and its synced-authenticator supplement), computed per login:
//   UP only (no user verification)                          → AAL1
//   synced passkey (BE=1) + UV                              → AAL2
//   device-bound key + UV, attestation not trusted          → AAL2
//   device-bound key + UV + trusted attestation             → AAL3
//   smart card + PIN verified                               → AAL3 (without PIN: AAL1)
#ifndef KEYWARD_AUTHENTICATOR_H_
#define KEYWARD_AUTHENTICATOR_H_

#include <array>
#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "keyward/export.h"
#include "keyward/result.h"

KEYWARD_API_BEGIN

namespace keyward::attestation {
class TrustStore;
class MetadataBlob;
}  // namespace keyward::attestation

namespace keyward::authenticator {

using Bytes = std::vector<uint8_t>;

enum class CredentialKind { kPasskey, kSecurityKey, kSmartCard };
std::string_view CredentialKindName(
    CredentialKind kind);  // "passkey" | "security_key" | "smart_card"
std::optional<CredentialKind> CredentialKindFromName(std::string_view name);

// NIST SP 800-63B authenticator assurance level.
enum class Aal { kNone = 0, kAal1 = 1, kAal2 = 2, kAal3 = 3 };
std::string_view AalName(Aal aal);  // "none" | "aal1" | "aal2" | "aal3"
std::optional<Aal> AalFromName(std::string_view name);

struct Principal {
  std::string id;            // opaque, generated ("p_" + 32 hex); never personal data
  Bytes user_handle;         // WebAuthn user.id: 32 random bytes
  std::string name;          // login name (personal data)
  std::string display_name;  // (personal data)
  int64_t created_at = 0;    // Unix seconds
};

struct Credential {
  Bytes id;  // WebAuthn credential id; for a smart card the SHA-256 fingerprint of the certificate
  std::string principal_id;
  CredentialKind kind = CredentialKind::kPasskey;
  Bytes public_key;   // COSE_Key as the authenticator sent it (WebAuthn); empty for smart cards
  Bytes certificate;  // DER (smart cards); empty otherwise
  // Smart cards: the intermediate CA certificates (DER) given at enrolment; every login re-checks
  // the path through them to the configured anchors (validity and revocation at login time).
  std::vector<Bytes> certificate_intermediates;
  int64_t alg = 0;  // COSE algorithm (smart cards: 0, the signature carries its own)
  uint32_t sign_count = 0;
  std::optional<std::array<uint8_t, 16>> aaguid;  // WebAuthn only
  std::string cert_issuer;                        // smart cards: RFC 2253 issuer DN
  std::string cert_serial;                        // smart cards: serial, hex
  std::string cert_subject;                       // smart cards: RFC 2253 subject DN
  std::string attestation_fmt;                    // "none", "packed", ...; "x509" for smart cards
  std::string attestation_type;  // "none" | "self" | "basic" | "attca" | "anonca" | "certificate"
  std::string trust_status;      // "unverified" | "trusted" | "untrusted"
  std::string trust_anchor;      // subject of the anchor reached, when trusted
  std::vector<std::string> transports;
  bool backup_eligible = false;  // BE
  bool backup_state = false;     // BS
  bool user_verified_at_registration = false;
  int64_t created_at = 0;
  int64_t last_used_at = 0;  // 0: never used
  std::string nickname;
  // WebAuthn: who made it, from the AAGUID ("iCloud Keychain", "YubiKey 5 Series"): the FIDO
  // MDS entry first, then the bundled community list of passkey providers. Looked up whenever a
  // credential is read (never stored: the lists change); "" when unknown. Display only.
  std::string authenticator_name;
  std::string authenticator_icon;  // data: URI, when known
};

// Risk signals the library observes during a login.
struct RiskSignals {
  bool sign_count_regressed = false;  // counter went backwards (clone suspicion; both-zero is not)
  bool backup_state_changed = false;  // BS differs from the stored value
  bool first_use = false;             // first login with this credential
  bool unused_long = false;           // unused for at least policy.unused_days
  int64_t days_since_last_use = -1;   // -1: first use
  // Stable names of the signals that are set ("sign_count_regressed", ...).
  std::vector<std::string> Names() const;
};

// What the caller knows about the request. Rules of the policy read it.
struct RequestContext {
  std::string ip;                           // client address as the server sees it
  std::string country;                      // ISO 3166-1 alpha-2, upper case; empty: unknown
  std::vector<std::string> device_posture;  // flags such as "managed", "disk_encrypted"
  std::optional<int64_t> time;              // Unix seconds; default: now
  std::string action = "login";             // the action this login is for (policy "actions")
};

enum class Decision { kAllow, kStepUp, kDeny };
std::string_view DecisionName(Decision d);  // "allow" | "step_up" | "deny"

struct PolicyDecision {
  Decision outcome = Decision::kAllow;
  Aal required_aal = Aal::kNone;  // step-up: the level that would satisfy it
  // step-up: credential kinds of the principal's that can reach required_aal (empty: any kind).
  std::vector<CredentialKind> satisfying_kinds;
  std::vector<std::string> reasons;  // which rules / requirements decided
};

struct Assurance {
  Aal level = Aal::kNone;
  std::string reason;  // e.g. "synced passkey with user verification"
};

struct AuthResult {
  Principal principal;
  Credential credential;  // as stored after this login (new sign count, last used)
  CredentialKind kind = CredentialKind::kPasskey;
  Assurance assurance;
  bool user_verified = false;
  RiskSignals risk;
  PolicyDecision decision;
};

// The caller's session state. FinishLogin / FinishCertificateLogin raise `aal` on success;
// a step-up answer stores what would satisfy it in `pending_step_up`.
struct Session {
  std::string principal_id;
  Aal aal = Aal::kNone;
  std::string aal_reason;
  int64_t authenticated_at = 0;
  std::optional<PolicyDecision> pending_step_up;
};

// Where a credential store lives. Accepted forms:
//   sqlite:PATH  or a bare PATH                  a SQLite file (created when missing)
//   postgresql://...  or  postgres://...          PostgreSQL, a libpq connection URI, e.g.
//     postgresql://keyward@db1.example/keyward?sslmode=verify-full
//     postgresql:///keyward?host=/run/postgresql  (Unix socket directory)
// kStoreUrlInvalid for an empty URL, an empty path or an unknown scheme ("mysql://...").
struct StoreUrl {
  enum class Backend { kSqlite, kPostgres };
  Backend backend = Backend::kSqlite;
  std::string target;  // the SQLite path, or the libpq URI as given
  // For messages and logs: the URL with any password replaced by "***".
  std::string Redacted() const;
};
Result<StoreUrl> ParseStoreUrl(std::string_view url);

struct AuthenticatorConfig {
  // The store (see StoreUrl). When empty, db_path is used as a SQLite path.
  std::string store_url;
  std::string db_path;  // SQLite file; created when missing
  std::string rp_id;    // WebAuthn RP ID, e.g. "example.com"
  std::string rp_name;
  std::vector<std::string> origins;  // accepted clientData.origin values
  // A preset name ("ciam", "workforce") or a JSON policy document (see docs/authenticator.md).
  std::string policy = "ciam";
  // Attestation trust anchors (operator roots, MDS); null: the bundled vendor roots (Apple,
  // Google, GlobalSign) judge apple / android-key / android-safetynet statements, every other
  // statement is "unverified".
  const attestation::TrustStore* attestation_trust = nullptr;
  // With attestation_trust null: false uses no bundled roots either (no vendor is trusted).
  bool attestation_bundled_roots = true;
  // FIDO Metadata Service v3: the verified BLOB stored at mds_store_path (`keyward mds fetch`)
  // is attached to attestation trust (status reports, roots, names). With
  // mds_background_refresh the facade downloads it from mds_url (default
  // https://mds3.fidoalliance.org/) at Open and at each nextUpdate, verifying it against the
  // bundled MDS root, and keeps serving the last good copy when a download fails
  // (MetadataMetrics()). mds_tls_ca_file: CA bundle for the HTTPS server instead of the system's.
  std::string mds_store_path;
  bool mds_background_refresh = false;
  std::string mds_url;
  std::string mds_tls_ca_file;
  // A caller-owned source of the current BLOB (e.g. one refresher shared by several facades, as
  // `keyward serve` runs one per worker); called for every registration and credential listing,
  // so it must be cheap and thread-safe. When set, mds_store_path and mds_background_refresh
  // must be empty/false (kConfigInvalid) and MetadataMetrics() is "" (the caller reports).
  std::function<std::shared_ptr<const attestation::MetadataBlob>()> mds_source;
  // Smart-card issuing CAs (DER). EnrollCertificate and certificate logins chain to them.
  std::vector<Bytes> smart_card_anchors;
  // CRLs (DER or PEM) of the smart-card CAs. When any is given, enrolment and EVERY smart-card
  // login (FinishCertificateLogin, FinishVerifiedCardLogin) require each certificate of the path
  // to be covered by a current CRL: a certificate revoked after enrolment is refused at login
  // with certificate_revoked; no CRL for an issuer, or a stale one, is revocation_unknown.
  // kCrlInvalid at Open for a CRL that does not parse.
  std::vector<Bytes> smart_card_crls;
  // Unix seconds; tests inject a clock. Default: the wall clock.
  std::function<int64_t()> clock;
  // SQLite synchronous=NORMAL instead of FULL: commits skip the fsync. Nothing committed is lost
  // when the process dies; an OS crash or power loss may lose the latest commits (a spent
  // challenge or an advanced sign count could come back). Off by default.
  bool store_relaxed_durability = false;
  // PostgreSQL: at most this many connections per Authenticator (a bounded pool; a call waits up
  // to 10 s for a free one, then kStoreBusy).
  int store_pool_size = 4;
};

// Opens (creating or migrating to the current schema) the store at `url`. `keyward store migrate`.
Result<void> MigrateStore(std::string_view url);
struct StoreCopyReport {
  uint64_t principals = 0, credentials = 0, challenges = 0, audit_records = 0;
  std::string audit_head_hash;  // the copied chain verified on the target
};
// Copies every principal, credential, open or spent challenge, audit record (verbatim: the chain
// and its pseudonyms stay valid) and the pseudonym key from `from` into the EMPTY store `to` in one
// transaction on the target, then checks the counts on both sides and verifies the target's audit
// chain. kAlreadyExists when `to` holds any principal or audit record; kStoreConflict when the
// counts differ after the copy. `keyward store copy`.
Result<StoreCopyReport> CopyStore(std::string_view from, std::string_view to);

struct CeremonyStart {
  std::string ceremony_id;   // base64url(challenge): keep it in the session, pass it to Finish*
  std::string options_json;  // WebAuthn L3 options JSON (empty for smart-card logins)
  Bytes challenge;           // the raw challenge (smart cards sign it)
  int64_t expires_at = 0;
};

struct LoginRequest {
  std::optional<std::string> principal_id;  // empty: discoverable credentials (passkeys)
  // Step-up: only credentials that can reach this level are offered; UV is required.
  std::optional<Aal> step_up_to;
  // Limit to these kinds (empty: every kind the policy allows).
  std::vector<CredentialKind> kinds;
};

struct CertificateEnrollment {
  Bytes certificate;                 // end-entity certificate, DER
  std::vector<Bytes> intermediates;  // DER
  std::string nickname;
};

// The evidence of a smart-card login: the card signed the ceremony's challenge with the key of
// the enrolled certificate. The PKCS#11 / PIV layers produce it; the facade checks it.
struct CertificateLoginEvidence {
  Bytes certificate;          // DER, must be an enrolled smart-card credential
  Bytes signature;            // over the raw challenge bytes
  int64_t cose_alg = -7;      // ES256 (DER ECDSA), -257 RS256, -37 PS256, -35 ES384, ...
  bool pin_verified = false;  // the card required and checked the PIN for this signature
};

// A smart-card login already verified on this host by keyward::pkcs11::CardLogin (the card signed
// pkcs11's own fresh challenge; chain, EKU, revocation, mapping and PIN were checked there). Map
// pkcs11::LoginResult: certificate.fingerprint_sha256 → certificate_fingerprint_sha256,
// assurance.level → assurance_level. The facade finds the enrolled credential by fingerprint and
// applies the ceremony, policy, assurance and audit.
struct VerifiedCardLogin {
  std::string certificate_fingerprint_sha256;  // hex SHA-256 of the certificate DER
  std::string assurance_level = "aal3";        // "aal3" (hardware key) | "aal2"
  bool pin_verified = true;
};

struct AuditVerification {
  uint64_t records = 0;
  std::string head_hash;  // hex SHA-256 of the last record
};

class Authenticator {
 public:
  // Opens or creates the store and parses the policy. kConfigInvalid for a bad policy;
  // kStore* / kSchemaVersionUnsupported for the store.
  static Result<std::unique_ptr<Authenticator>> Open(const AuthenticatorConfig& config);
  ~Authenticator();
  Authenticator(const Authenticator&) = delete;
  Authenticator& operator=(const Authenticator&) = delete;

  // ---- principals ----
  Result<Principal> CreatePrincipal(std::string_view name, std::string_view display_name);
  Result<Principal> GetPrincipal(std::string_view principal_id);
  Result<Principal> FindPrincipalByName(std::string_view name);
  Result<std::vector<Principal>> ListPrincipals();
  Result<std::vector<Credential>> ListCredentials(std::string_view principal_id);

  // ---- registration ----
  // kind: kPasskey (resident key required, platform/hybrid hints) or kSecurityKey (cross-platform,
  // direct attestation). kPolicyDenied when the policy does not allow the kind.
  Result<CeremonyStart> BeginRegistration(std::string_view principal_id, CredentialKind kind);
  // Verifies the RegistrationResponseJSON through keyward::webauthn, applies the policy
  // (attestation, AAGUID allow-list, UV, synced passkeys) and stores the credential.
  Result<Credential> FinishRegistration(std::string_view ceremony_id,
                                        std::string_view response_json, std::string_view nickname);
  // Smart cards: validates the chain to the configured anchors and stores the certificate.
  Result<Credential> EnrollCertificate(std::string_view principal_id,
                                       const CertificateEnrollment& enrollment);

  // ---- login ----
  Result<CeremonyStart> BeginLogin(const LoginRequest& request);
  Result<AuthResult> FinishLogin(std::string_view ceremony_id, std::string_view response_json,
                                 const RequestContext& context, Session* session);
  // Smart cards (both calls below): the enrolled certificate is re-validated at the login time
  // against the configured anchors and CRLs (certificate_expired, certificate_not_yet_valid,
  // certificate_revoked, revocation_unknown, certificate_untrusted), whatever it was at enrolment.
  Result<AuthResult> FinishCertificateLogin(std::string_view ceremony_id,
                                            const CertificateLoginEvidence& evidence,
                                            const RequestContext& context, Session* session);
  // Smart card verified locally by keyward::pkcs11 (see VerifiedCardLogin). kInvalidArgument for a
  // malformed fingerprint, kNotFound for a certificate that is not enrolled.
  Result<AuthResult> FinishVerifiedCardLogin(std::string_view ceremony_id,
                                             const VerifiedCardLogin& login,
                                             const RequestContext& context, Session* session);
  // Does the session satisfy `action`? kStepUpRequired (session->pending_step_up says with what)
  // or kPolicyDenied when no principal is authenticated.
  Result<void> Authorize(Session* session, std::string_view action);

  // ---- administration ----
  // Changes the principal's display name (at most 256 bytes; kInvalidArgument beyond, kNotFound
  // for no such principal); audited as admin action "set_display_name".
  Result<void> SetDisplayName(std::string_view principal_id, std::string_view display_name);
  Result<void> RenameCredential(std::span<const uint8_t> credential_id, std::string_view nickname);
  Result<void> RemoveCredential(std::span<const uint8_t> credential_id);
  // Appends one audit record for an administrative action done outside the store (card PIN
  // change, management-key rotation, enrolment, ...), in its own transaction, to the same hash
  // chain: {"event":"admin","action":action,"outcome":"success"|"failure","code":<outcome when
  // not "ok">,"subject":..,"details":{..}}.
  //  action: 1-64 of [a-z0-9._-] (e.g. "card.pin.change"); outcome: "ok" or an error code name
  //  ([a-z0-9_]); subject: what was acted on (card GUID or serial, at most 256 printable ASCII
  //  characters) — when it is the id of a principal in this store it is recorded as the
  //  principal's pseudonym instead (so export and erasure find it); details_json: a JSON object
  //  (may be empty "" or "{}") that never holds a secret — members named like secrets (pin, puk,
  //  password, secret, key, management_key, ...) are refused. kInvalidArgument for any bad
  //  argument (nothing is written).
  Result<void> RecordAdminAction(std::string_view action, std::string_view subject,
                                 std::string_view outcome, std::string_view details_json);

  // ---- privacy ----
  // Everything stored about the principal, as one JSON document (principal, credentials,
  // challenges (used and open), audit records that concern them). kNotFound when there is no such
  // principal.
  Result<std::string> ExportPrincipal(std::string_view principal_id);
  // Deletes the principal, its credentials and challenges; the audit log keeps a pseudonymous
  // "erasure" record (HMAC-SHA-256 of the principal id under a per-store secret).
  Result<void> ErasePrincipal(std::string_view principal_id);

  // ---- audit ----
  // The last `n` records as JSON lines (each with "prev" and "hash").
  Result<std::vector<std::string>> AuditTail(size_t n);
  // Recomputes the hash chain; kAuditChainBroken (native = 1-based line number) on tampering.
  Result<AuditVerification> VerifyAuditChain();

  // ---- metadata ----
  // Prometheus text for the background MDS refresh (keyward_mds_*: last success time and age,
  // serial served, attempts, failures, last error code); "" without mds_background_refresh.
  std::string MetadataMetrics() const;

  struct KEYWARD_HIDDEN Impl;  // not API: see KEYWARD_HIDDEN

 private:
  explicit Authenticator(std::unique_ptr<Impl> impl);
  std::unique_ptr<Impl> impl_;
};

// Verifies exported audit JSON lines (e.g. `keyward audit tail --all > audit.jsonl`). A full
// export (first record seq 1) must start at the all-zero genesis hash; a tail must be unbroken
// from its first line. kAuditChainBroken with native = 1-based line number of the first bad line.
Result<AuditVerification> VerifyAuditLines(std::span<const std::string> lines);

// JSON objects (one line, no whitespace) for CLI output and logs; field names are documented in
// docs/authenticator.md. Binary fields are base64url.
std::string PrincipalToJson(const Principal& principal);
std::string CredentialToJson(const Credential& credential);
std::string DecisionToJson(const PolicyDecision& decision);
std::string AuthResultToJson(const AuthResult& result);

}  // namespace keyward::authenticator

KEYWARD_API_END

#endif  // KEYWARD_AUTHENTICATOR_H_
