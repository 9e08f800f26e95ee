// The credential store behind the authenticator facade: principals, credentials of three kinds,
// single-use expiring challenges and the hash-chained audit log. SqliteStore (sqlite_store.h) is
// the embedded implementation; a server may provide another (PostgreSQL, ...) with the same
// guarantees:
//  - every mutating call that takes an AuditEvent appends it in the SAME transaction as the
//    change, so the audit log and the state never disagree;
//  - RecordUse is an atomic compare-and-set on the sign count: of two racing logins that read the
//    same stored counter, at most one succeeds (the other gets kStoreConflict);
//  - ConsumeChallenge marks a challenge used atomically: it succeeds once; afterwards
//    kChallengeReplayed; past its expiry kChallengeExpired; never issued kChallengeUnknown.
#ifndef KEYWARD_AUTHENTICATOR_CREDENTIAL_STORE_H_
#define KEYWARD_AUTHENTICATOR_CREDENTIAL_STORE_H_

#include <array>
#include <functional>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "core/bytes.h"
#include "core/json.h"
#include "core/secret.h"
#include "keyward/authenticator.h"

namespace keyward::authenticator {

// One audit record before the store numbers, pseudonymizes and chains it. Never put secrets or
// personal data (names, IP addresses) here: the principal and credential ids are replaced by
// keyed pseudonyms when the record is written.
struct AuditEvent {
  int64_t time = 0;
  std::string event;              // "principal_created" | "registration" | "enrollment" | "login" |
                                  // "step_up" | "erasure" | "admin"
  std::string outcome;            // "success" | "failure" | "step_up_required" | "denied"
  std::string code;               // ErrorCodeName of the failure, or empty
  std::string principal_id;       // pseudonymized by the store
  Bytes credential_id;            // pseudonymized by the store
  std::string kind;               // credential kind name
  std::string aal;                // AAL reached
  std::string action;             // the action asked for / the admin operation
  std::vector<std::string> risk;  // risk signal names
  std::vector<std::string> reasons;  // policy reasons
  std::string subject;               // admin records: what was acted on (card GUID, serial, ...)
  Json details;                      // admin records: a JSON object without secrets, or null
};

struct ChallengeRecord {
  Bytes challenge;
  std::string purpose;       // "register" | "login"
  std::string principal_id;  // empty: not bound to a principal (discoverable login)
  std::string state_json;    // ceremony parameters the Finish step needs
  int64_t created_at = 0;
  int64_t expires_at = 0;
  bool used = false;    // read back only (ListChallenges, DumpAll)
  int64_t used_at = 0;  // DumpAll / LoadAll only: when it was spent (0: open)
};

// One stored audit row (DumpAll / LoadAll copy them verbatim).
struct AuditRow {
  int64_t seq = 0;
  std::string principal;  // the pseudonym, as indexed
  std::string line;
  std::string hash;
};

// Everything a store holds, for `keyward store copy`.
struct StoreContents {
  std::vector<Principal> principals;
  std::vector<Credential> credentials;
  std::vector<ChallengeRecord> challenges;
  std::vector<AuditRow> audit;
  SecretBytes pseudonym_key;
};

// What a login reads before verification, from ONE snapshot of the store (RunLogin). Each
// member carries its own error; later members are read only when the earlier ones were found.
struct LoginSnapshot {
  Result<ChallengeRecord> challenge = Fail(ErrorCode::kInternal, "not read");
  Result<Credential> credential = Fail(ErrorCode::kInternal, "not read");
  Result<Principal> principal = Fail(ErrorCode::kInternal, "not read");
  Result<std::vector<Credential>> principal_credentials = Fail(ErrorCode::kInternal, "not read");
};

// What a login writes, decided by the caller from its snapshot (RunLogin's planner). Everything
// here commits together or not at all.
struct LoginWrite {
  // Spend the challenge (`used_at IS NULL` → now). When another login spent it after the snapshot,
  // RunLogin returns kChallengeReplayed and writes NOTHING (not even `audit`).
  bool spend = false;
  // Compare-and-set the credential's counter: expected_sign_count → new_sign_count, BS and
  // last_used_at = now. kStoreConflict (nothing written) when the counter moved meanwhile.
  bool record_use = false;
  Bytes credential_id;
  uint32_t expected_sign_count = 0;
  uint32_t new_sign_count = 0;
  bool backup_state = false;
  // Appended in order, in the same transaction (none: a read-only login, nothing is written).
  std::vector<AuditEvent> audit;
};
// Short-lived state a web front end shares between its nodes (keyward serve: browser sessions
// and pending page ceremonies), stored under a 32-byte key the CALLER derives from its secret (the
// facade: SHA-256 over a domain tag, the kind and the cookie value / ceremony id), so the store
// never holds a cookie value. Entries past expires_at are invisible (kNotFound) and swept.
struct WebStateEntry {
  static constexpr size_t kKeySize = 32;
  // kInvalidArgument unless `key` has kKeySize bytes (every backend checks before it touches SQL).
  static Result<void> CheckKey(ByteSpan key) {
    if (key.size() != kKeySize) {
      return Fail(ErrorCode::kInvalidArgument, "web state key must be 32 bytes");
    }
    return Ok();
  }
  Bytes key;         // 32 bytes
  std::string kind;  // "session" | "ceremony" | "signup" (1-32 of [a-z_])
  std::string data;  // opaque to the store (JSON), at most 64 KiB
  int64_t expires_at = 0;
};

// Called with the snapshot; may run more than once (an optimistic attempt retried), always on the
// latest snapshot: it must not call into the store and must leave its outputs as of its last call.
using LoginPlanner = std::function<LoginWrite(const LoginSnapshot&)>;

class CredentialStore {
 public:
  virtual ~CredentialStore() = default;

  virtual Result<void> CreatePrincipal(const Principal& principal, const AuditEvent* audit) = 0;
  virtual Result<Principal> GetPrincipal(std::string_view id) = 0;
  virtual Result<Principal> FindPrincipalByName(std::string_view name) = 0;
  virtual Result<Principal> FindPrincipalByUserHandle(ByteSpan user_handle) = 0;
  virtual Result<std::vector<Principal>> ListPrincipals() = 0;
  // kNotFound when there is no such principal.
  virtual Result<void> SetDisplayName(std::string_view principal_id, std::string_view display_name,
                                      const AuditEvent* audit) = 0;

  // kAlreadyExists when the credential id is registered (to anyone).
  virtual Result<void> AddCredential(const Credential& credential, const AuditEvent* audit) = 0;
  virtual Result<Credential> GetCredential(ByteSpan credential_id) = 0;
  virtual Result<std::vector<Credential>> ListCredentials(std::string_view principal_id) = 0;
  // Compare-and-set: sign_count expected_sign_count → new_sign_count, and records BS and the
  // time of use. kStoreConflict when the stored count is no longer expected_sign_count.
  virtual Result<void> RecordUse(ByteSpan credential_id, uint32_t expected_sign_count,
                                 uint32_t new_sign_count, bool backup_state, int64_t used_at,
                                 const AuditEvent* audit) = 0;
  virtual Result<void> SetNickname(ByteSpan credential_id, std::string_view nickname,
                                   const AuditEvent* audit) = 0;
  virtual Result<void> RemoveCredential(ByteSpan credential_id, const AuditEvent* audit) = 0;
  // Deletes the principal, its credentials and its challenges.
  virtual Result<void> ErasePrincipal(std::string_view principal_id, const AuditEvent* audit) = 0;

  virtual Result<void> PutChallenge(const ChallengeRecord& record) = 0;
  virtual Result<ChallengeRecord> ConsumeChallenge(ByteSpan challenge, std::string_view purpose,
                                                   int64_t now) = 0;
  // The failure path of a login whose snapshot was read (RunLogin) in ONE transaction: spend the
  // challenge and append the audit record. kChallengeReplayed (nothing written) when another
  // login spent it first: that login, not this one, answered the ceremony.
  virtual Result<void> SpendChallenge(ByteSpan challenge, int64_t now, const AuditEvent* audit) = 0;
  // A whole login in ONE transaction: read the snapshot (the challenge, unspent and unexpired with
  // the same errors as ConsumeChallenge; then, credential_id non-empty, the credential, its
  // principal and the principal's credentials), let `plan` decide (verification, policy: no store
  // access), then spend / compare-and-set / append audit as planned, commit.
  // Returns Ok when the plan was written (or wrote nothing); kChallengeReplayed / kStoreConflict /
  // kNotFound with nothing written when the challenge or counter changed after the snapshot; the
  // store's own errors (kStoreBusy, kStoreUnavailable, ...). On SQLite at most one commit (so one
  // fsync); on PostgreSQL at most two round trips on the success path.
  virtual Result<void> RunLogin(ByteSpan challenge, std::string_view purpose, int64_t now,
                                ByteSpan credential_id, const LoginPlanner& plan) = 0;
  virtual Result<std::vector<ChallengeRecord>> ListChallenges(std::string_view principal_id) = 0;

  // ---- web state (WebStateEntry) ----
  // Inserts or replaces the entry under its key.
  virtual Result<void> PutWebState(const WebStateEntry& entry) = 0;
  // Inserts the entry unless a live one (expires_at > now) holds the key, and returns the entry
  // that holds it afterwards: of several nodes putting one key at once, all get the same winner.
  // An entry already expired at `now` is refused (kInvalidArgument).
  virtual Result<WebStateEntry> PutWebStateIfAbsent(const WebStateEntry& entry, int64_t now) = 0;
  // kNotFound when there is none or it expired (expires_at <= now).
  virtual Result<WebStateEntry> GetWebState(ByteSpan key, int64_t now) = 0;
  // Reads AND deletes the entry in one statement: of two nodes taking one key at once, exactly one
  // gets it (the other kNotFound). kNotFound when there is none or it expired.
  virtual Result<WebStateEntry> TakeWebState(ByteSpan key, int64_t now) = 0;
  // Deletes the entry (none: Ok).
  virtual Result<void> DeleteWebState(ByteSpan key) = 0;
  // Deletes up to `limit` expired entries and returns them (each to exactly one caller across
  // nodes), so the caller can clean up after abandoned ceremonies.
  virtual Result<std::vector<WebStateEntry>> SweepWebState(int64_t now, size_t limit) = 0;

  // The whole store in one read transaction.
  virtual Result<StoreContents> DumpAll() = 0;
  // Into an EMPTY store (kAlreadyExists otherwise), in one transaction: the rows verbatim, the
  // audit head set to the last row, and the pseudonym key replaced by the source's.
  virtual Result<void> LoadAll(const StoreContents& contents) = 0;
  // Row counts: principals, credentials, challenges, audit records.
  virtual Result<std::array<uint64_t, 4>> Counts() = 0;

  virtual Result<void> AppendAudit(const AuditEvent& event) = 0;
  // The last n records (n == 0: all), oldest first.
  virtual Result<std::vector<std::string>> AuditTail(size_t n) = 0;
  virtual Result<std::vector<std::string>> AuditFor(std::string_view principal_id) = 0;
  virtual Result<AuditVerification> VerifyAuditChain() = 0;
  // The keyed pseudonym of a principal id as it appears in audit records.
  virtual std::string Pseudonym(std::string_view principal_id) const = 0;
};

}  // namespace keyward::authenticator

#endif  // KEYWARD_AUTHENTICATOR_CREDENTIAL_STORE_H_
