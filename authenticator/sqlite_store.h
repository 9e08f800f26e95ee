// CredentialStore on SQLite (sqlite3 C API): the embedded default.
//
// Concurrency: WAL mode (readers never block the writer), busy_timeout 10 s, every write in a
// BEGIN IMMEDIATE transaction (the write lock is taken up front, so two processes never deadlock
// upgrading a read lock) except VerifyAndRecordUse's first attempt, which reads under a deferred
// BEGIN and upgrades: in WAL mode a refused upgrade fails at once (no wait, so no deadlock) and
// the attempt is retried under BEGIN IMMEDIATE. One connection per SqliteStore, serialized by a
// mutex; several SqliteStore objects (threads or processes) may open the same file.
//
// Durability: synchronous=FULL: a transaction that returned is on disk; a killed process leaves
// either the whole transaction or none of it (SQLite's WAL recovery).
//
// Schema: `schema_version` holds the version; migrations run in order inside one IMMEDIATE
// transaction when a store is opened. A file written by a newer keyward (higher version) is
// refused with kSchemaVersionUnsupported rather than misread.
//
// Audit: the `audit` table is append-only (triggers refuse UPDATE and DELETE); records are hash
// chained (audit_chain.h) and `audit_head` holds the newest hash, so a truncated log is caught.
// It lives in the same database as the state it describes so that a change and its audit record
// commit atomically and the chain's order is the database's commit order across processes.
#ifndef KEYWARD_AUTHENTICATOR_SQLITE_STORE_H_
#define KEYWARD_AUTHENTICATOR_SQLITE_STORE_H_

#include <functional>
#include <memory>
#include <mutex>
#include <string>

#include "authenticator/credential_store.h"
#include "authenticator/sqlite_db.h"
#include "core/secret.h"

namespace keyward::authenticator {

inline constexpr int kSchemaVersion = 3;

class SqliteStore final : public CredentialStore {
 public:
  struct Options {
    bool create = true;
    // WAL with synchronous=NORMAL instead of FULL: commits do not wait for an fsync. A killed
    // process still loses nothing committed and nothing is ever torn; an OS crash or power loss
    // may lose the most recent commits (never corrupt the file). A lost commit can un-spend a
    // challenge or un-advance a sign count, so only choose this with that risk understood.
    bool relaxed_durability = false;
    // Page cache of this connection in KiB (0: SQLite's default, about 2 MiB). Bulk loads of
    // millions of rows want more.
    int64_t cache_kib = 0;
  };
  static Result<std::unique_ptr<SqliteStore>> Open(const std::string& path, bool create = true);
  static Result<std::unique_ptr<SqliteStore>> Open(const std::string& path, const Options& options);

  Result<void> CreatePrincipal(const Principal& principal, const AuditEvent* audit) override;
  Result<Principal> GetPrincipal(std::string_view id) override;
  Result<Principal> FindPrincipalByName(std::string_view name) override;
  Result<Principal> FindPrincipalByUserHandle(ByteSpan user_handle) override;
  Result<std::vector<Principal>> ListPrincipals() override;

  Result<void> AddCredential(const Credential& credential, const AuditEvent* audit) override;
  Result<Credential> GetCredential(ByteSpan credential_id) override;
  Result<std::vector<Credential>> ListCredentials(std::string_view principal_id) override;
  Result<void> RecordUse(ByteSpan credential_id, uint32_t expected_sign_count,
                         uint32_t new_sign_count, bool backup_state, int64_t used_at,
                         const AuditEvent* audit) override;
  Result<void> SetDisplayName(std::string_view principal_id, std::string_view display_name,
                              const AuditEvent* audit) override;
  Result<void> SetNickname(ByteSpan credential_id, std::string_view nickname,
                           const AuditEvent* audit) override;
  Result<void> RemoveCredential(ByteSpan credential_id, const AuditEvent* audit) override;
  Result<void> ErasePrincipal(std::string_view principal_id, const AuditEvent* audit) override;

  Result<void> PutChallenge(const ChallengeRecord& record) override;
  Result<ChallengeRecord> ConsumeChallenge(ByteSpan challenge, std::string_view purpose,
                                           int64_t now) override;
  Result<void> SpendChallenge(ByteSpan challenge, int64_t now, const AuditEvent* audit) override;
  // One optimistic transaction (as VerifyAndRecordUse): a deferred BEGIN reads the snapshot, the
  // planner decides, the writes upgrade to the write lock; when another connection committed after
  // the snapshot (or holds the write lock) the attempt is rolled back and run once more from the
  // read under BEGIN IMMEDIATE (the planner then sees the latest state). One COMMIT per login.
  Result<void> RunLogin(ByteSpan challenge, std::string_view purpose, int64_t now,
                        ByteSpan credential_id, const LoginPlanner& plan) override;
  Result<std::vector<ChallengeRecord>> ListChallenges(std::string_view principal_id) override;
  Result<void> PutWebState(const WebStateEntry& entry) override;
  Result<WebStateEntry> PutWebStateIfAbsent(const WebStateEntry& entry, int64_t now) override;
  Result<WebStateEntry> GetWebState(ByteSpan key, int64_t now) override;
  Result<WebStateEntry> TakeWebState(ByteSpan key, int64_t now) override;
  Result<void> DeleteWebState(ByteSpan key) override;
  Result<std::vector<WebStateEntry>> SweepWebState(int64_t now, size_t limit) override;

  Result<StoreContents> DumpAll() override;
  Result<void> LoadAll(const StoreContents& contents) override;
  Result<std::array<uint64_t, 4>> Counts() override;

  Result<void> AppendAudit(const AuditEvent& event) override;
  Result<std::vector<std::string>> AuditTail(size_t n) override;
  Result<std::vector<std::string>> AuditFor(std::string_view principal_id) override;
  Result<AuditVerification> VerifyAuditChain() override;
  std::string Pseudonym(std::string_view principal_id) const override;

  // The columns of a credential that verifying an assertion and deciding its counter read: no
  // certificate, attestation text, transports or nickname.
  struct LoginCredential {
    Bytes id;
    std::string principal_id;
    CredentialKind kind = CredentialKind::kPasskey;
    Bytes public_key;
    int64_t alg = 0;
    uint32_t sign_count = 0;
    bool backup_eligible = false;
    bool backup_state = false;
  };
  // What a login decided to store for a credential it verified.
  struct CredentialUse {
    uint32_t new_sign_count = 0;
    bool backup_state = false;
  };
  using LoginVerifier = std::function<Result<void>(const LoginCredential&)>;
  using LoginDecider = std::function<Result<CredentialUse>(const LoginCredential&)>;
  // A login's store work in ONE optimistic transaction (a deferred BEGIN): read the credential's
  // login columns, `verify` them (the signature; no write lock is held meanwhile, so other
  // processes keep writing), `decide` what to store against the counter just read, then
  // compare-and-set the counter (and BS, last_used_at = used_at), append `audit`, commit.
  // Another connection committing between the read and the write (SQLITE_BUSY_SNAPSHOT), or
  // holding the write lock at that moment, rolls the attempt back; it is retried once from the
  // read under BEGIN IMMEDIATE (waiting for the lock like every write): `decide` runs again on the
  // counter as it now is, `verify` only if the public key, algorithm or kind read differ. So of
  // two racing logins with the same assertion at most one passes, as with RecordUse.
  // The callbacks run under this store's lock: they must not call into this store, and threads
  // sharing one SqliteStore verify one at a time (threads that log in at once should each open
  // their own SqliteStore: one connection each, as separate processes do).
  // Returns the credential as read for the successful attempt (sign_count: before the update).
  // Errors: kNotFound, verify's and decide's own (nothing written), kStoreConflict, kStoreBusy.
  Result<LoginCredential> VerifyAndRecordUse(ByteSpan credential_id, int64_t used_at,
                                             const LoginVerifier& verify,
                                             const LoginDecider& decide, const AuditEvent* audit);
  // The WebAuthn counter rule as a decider's answer: the asserted counter must exceed the stored
  // one unless both are 0 (an authenticator without a counter); else kSignCountRegression.
  static Result<CredentialUse> AdvanceSignCount(uint32_t stored, uint32_t asserted,
                                                bool backup_state);

  // Bulk loading for benchmarks and imports: one transaction, one prepared insert, no audit.
  Result<void> BulkAddPrincipals(std::span<const Principal> principals);
  Result<void> BulkAddCredentials(std::span<const Credential> credentials);
  // PRAGMA integrity_check == "ok".
  Result<void> CheckIntegrity();

 private:
  explicit SqliteStore(std::unique_ptr<SqliteDb> db) : db_(std::move(db)) {}
  Result<void> Migrate();
  Result<void> AppendAuditLocked(const AuditEvent& event);
  Result<void> InsertCredentialLocked(const Credential& c);
  Result<void> InsertPrincipalLocked(const Principal& p);
  Result<Principal> GetPrincipalLocked(std::string_view id);
  Result<Credential> GetCredentialLocked(ByteSpan credential_id);
  Result<LoginCredential> GetLoginCredentialLocked(ByteSpan credential_id);
  // Every credential of the principal that owns `credential_id` (none when there is no such
  // credential), in ListCredentials order.
  Result<std::vector<Credential>> ListSiblingCredentialsLocked(ByteSpan credential_id);
  Result<std::vector<Credential>> ListCredentialsLocked(std::string_view principal_id);
  Result<ChallengeRecord> PeekChallengeLocked(ByteSpan challenge, std::string_view purpose,
                                              int64_t now);
  // Reads the challenge row; used = whether it was spent.
  Result<ChallengeRecord> ReadChallengeLocked(ByteSpan challenge, std::string_view purpose,
                                              bool* used);
  Result<void> SpendChallengeLocked(ByteSpan challenge, int64_t now);
  LoginSnapshot ReadLoginLocked(ByteSpan challenge, std::string_view purpose, int64_t now,
                                ByteSpan credential_id);
  Result<void> WriteLoginLocked(ByteSpan challenge, int64_t now, const LoginWrite& write);
  Result<void> CasSignCountLocked(ByteSpan credential_id, uint32_t expected, uint32_t next,
                                  bool backup_state, int64_t used_at);
  std::string CredentialPseudonym(ByteSpan credential_id) const;

  mutable std::mutex mu_;
  std::unique_ptr<SqliteDb> db_;
  SecretBytes pseudonym_key_;
};

}  // namespace keyward::authenticator

#endif  // KEYWARD_AUTHENTICATOR_SQLITE_STORE_H_
