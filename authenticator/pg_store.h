// CredentialStore on PostgreSQL (libpq): the store for several keyward nodes sharing one database.
//
// Same schema version and migrations as SqliteStore (kSchemaVersion; the DDL in PostgreSQL's
// dialect), same guarantees:
//  - every change and its audit record commit in ONE transaction;
//  - a challenge is spent once across all nodes (`UPDATE … WHERE used_at IS NULL`: the second
//    spender finds no row, kChallengeReplayed);
//  - the sign count is a compare-and-set (`… WHERE sign_count = expected`; READ COMMITTED
//    re-checks the row after a concurrent commit, so of two racing logins at most one passes);
//  - the audit hash chain stays ONE chain across nodes: an append locks the single `audit_head`
//    row (SELECT … FOR UPDATE) inside the writing transaction, computes the record's SHA-256 on
//    the server (kw_audit_append) and holds the lock until that transaction ends. Appends are
//    serialised, readers never wait (MVCC);
//  - a login (RunLogin) is ONE transaction in TWO round trips: (1) BEGIN + one snapshot query
//    (challenge, credential, principal, the principal's credentials; one statement, so one
//    snapshot) pipelined; the planner runs on the client; (2) kw_login_write (spend, CAS, audit
//    records) + COMMIT pipelined.
//
// Connections: a bounded pool (Options::pool_size), created lazily; each connection prepares every
// statement once. connect_timeout (default 5 s), statement_timeout (10 s),
// idle_in_transaction_session_timeout (60 s) unless the URL sets `options`. A call waits at most
// Options::acquire_timeout_ms for a free connection (then kStoreBusy).
//
// Failures: a lost connection (server restarting, killed, network) gives kStoreUnavailable
// (retryable). The pool drops that connection AND every idle one opened before the failure (they
// belong to the same dead server), so the next call reconnects. A write whose COMMIT was in flight
// when the connection died may or may not have committed: PostgreSQL guarantees all or nothing.
// Errors map from SQLSTATE (Error::native = the SQLSTATE packed 6 bits per character, as
// PostgreSQL's MAKE_SQLSTATE): 23505 → kAlreadyExists, 23503 → kNotFound, 40001/40P01/55P03/57014
// → kStoreBusy, 08xxx/57P01-57P03 and a broken connection → kStoreUnavailable, XX001/XX002 →
// kStoreCorrupt, others → kStoreIo.
#ifndef KEYWARD_AUTHENTICATOR_PG_STORE_H_
#define KEYWARD_AUTHENTICATOR_PG_STORE_H_

#include <condition_variable>
#include <memory>
#include <mutex>
#include <span>
#include <string>
#include <vector>

#include "authenticator/credential_store.h"
#include "core/secret.h"

namespace keyward::authenticator {

class PgConnection;
class PgLease;

class PgStore final : public CredentialStore {
 public:
  struct Options {
    int pool_size = 4;
    int connect_timeout_s = 5;
    int statement_timeout_ms = 10000;
    int acquire_timeout_ms = 10000;
  };
  // `conninfo`: a libpq connection URI (postgresql://...) or key=value string.
  static Result<std::unique_ptr<PgStore>> Open(const std::string& conninfo, const Options& options);
  ~PgStore() override;

  Result<void> CreatePrincipal(const Principal& principal, const AuditEvent* audit) override;
  Result<Principal> GetPrincipal(std::string_view id) override;
  Result<Principal> FindPrincipalByName(std::string_view name) override;
  Result<Principal> FindPrincipalByUserHandle(ByteSpan user_handle) override;
  Result<std::vector<Principal>> ListPrincipals() override;
  Result<void> SetDisplayName(std::string_view principal_id, std::string_view display_name,
                              const AuditEvent* audit) override;

  Result<void> AddCredential(const Credential& credential, const AuditEvent* audit) override;
  Result<Credential> GetCredential(ByteSpan credential_id) override;
  Result<std::vector<Credential>> ListCredentials(std::string_view principal_id) override;
  Result<void> RecordUse(ByteSpan credential_id, uint32_t expected_sign_count,
                         uint32_t new_sign_count, bool backup_state, int64_t used_at,
                         const AuditEvent* audit) override;
  Result<void> SetNickname(ByteSpan credential_id, std::string_view nickname,
                           const AuditEvent* audit) override;
  Result<void> RemoveCredential(ByteSpan credential_id, const AuditEvent* audit) override;
  Result<void> ErasePrincipal(std::string_view principal_id, const AuditEvent* audit) override;

  Result<void> PutChallenge(const ChallengeRecord& record) override;
  Result<ChallengeRecord> ConsumeChallenge(ByteSpan challenge, std::string_view purpose,
                                           int64_t now) override;
  Result<void> SpendChallenge(ByteSpan challenge, int64_t now, const AuditEvent* audit) override;
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

  // Bulk loading (benchmarks, imports): COPY … FROM STDIN in one transaction, no audit.
  Result<void> BulkAddPrincipals(std::span<const Principal> principals);
  Result<void> BulkAddCredentials(std::span<const Credential> credentials);

  // Connections currently open (idle + leased): for tests of the pool.
  size_t OpenConnections();

 private:
  friend class PgLease;
  PgStore(std::string conninfo, const Options& options);
  Result<void> Migrate();
  // A connection from the pool (opening one when below the bound), or kStoreBusy after
  // acquire_timeout_ms, or kStoreUnavailable when the server cannot be reached.
  Result<PgLease> Acquire();
  void Release(std::unique_ptr<PgConnection> conn, bool broken);
  Result<std::unique_ptr<PgConnection>> Connect();
  // The audit record's pieces around "prev" and "seq" (see kw_audit_append), pseudonymized.
  struct AuditPieces {
    std::string principal, before_prev, before_seq, after_seq;
  };
  AuditPieces Pieces(const AuditEvent& e) const;
  Result<void> AppendAuditOn(PgConnection& c, const AuditEvent& e);
  std::string CredentialPseudonym(ByteSpan credential_id) const;

  std::string conninfo_;
  Options options_;
  SecretBytes pseudonym_key_;

  std::mutex pool_mu_;
  std::condition_variable pool_cv_;
  std::vector<std::unique_ptr<PgConnection>> idle_;
  size_t open_ = 0;
  uint64_t generation_ = 0;  // bumped when a connection was found dead
};

}  // namespace keyward::authenticator

#endif  // KEYWARD_AUTHENTICATOR_PG_STORE_H_
