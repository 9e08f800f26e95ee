#include "authenticator/sqlite_store.h"

#include <openssl/evp.h>
#include <sqlite3.h>

#include <algorithm>

#include "authenticator/audit_chain.h"
#include "core/hash.h"
#include "core/json.h"

namespace keyward::authenticator {
namespace {

// Migration n brings the schema from version n-1 to n. Never edit a shipped entry: append.
constexpr const char* kMigrations[] = {
    // 1: initial schema.
    R"sql(
CREATE TABLE meta (key TEXT PRIMARY KEY, value BLOB NOT NULL) WITHOUT ROWID;
CREATE TABLE principals (
  id TEXT PRIMARY KEY,
  user_handle BLOB NOT NULL UNIQUE,
  name TEXT NOT NULL UNIQUE,
  display_name TEXT NOT NULL,
  created_at INTEGER NOT NULL
) WITHOUT ROWID;
CREATE TABLE credentials (
  id BLOB PRIMARY KEY,
  principal_id TEXT NOT NULL REFERENCES principals(id) ON DELETE CASCADE,
  kind TEXT NOT NULL CHECK (kind IN ('passkey', 'security_key', 'smart_card')),
  public_key BLOB NOT NULL,
  certificate BLOB NOT NULL,
  alg INTEGER NOT NULL,
  sign_count INTEGER NOT NULL CHECK (sign_count BETWEEN 0 AND 4294967295),
  aaguid BLOB,
  cert_issuer TEXT NOT NULL,
  cert_serial TEXT NOT NULL,
  cert_subject TEXT NOT NULL,
  attestation_fmt TEXT NOT NULL,
  attestation_type TEXT NOT NULL,
  trust_status TEXT NOT NULL,
  trust_anchor TEXT NOT NULL,
  transports TEXT NOT NULL,
  backup_eligible INTEGER NOT NULL,
  backup_state INTEGER NOT NULL,
  uv_at_registration INTEGER NOT NULL,
  created_at INTEGER NOT NULL,
  last_used_at INTEGER NOT NULL,
  nickname TEXT NOT NULL
) WITHOUT ROWID;
CREATE INDEX credentials_by_principal ON credentials(principal_id);
CREATE TABLE challenges (
  challenge BLOB PRIMARY KEY,
  purpose TEXT NOT NULL,
  principal_id TEXT REFERENCES principals(id) ON DELETE CASCADE,
  state TEXT NOT NULL,
  created_at INTEGER NOT NULL,
  expires_at INTEGER NOT NULL,
  used_at INTEGER
) WITHOUT ROWID;
CREATE INDEX challenges_by_expiry ON challenges(expires_at);
CREATE INDEX challenges_by_principal ON challenges(principal_id);
CREATE TABLE audit (
  seq INTEGER PRIMARY KEY,
  principal TEXT NOT NULL,
  line TEXT NOT NULL,
  hash TEXT NOT NULL
);
CREATE INDEX audit_by_principal ON audit(principal);
CREATE TABLE audit_head (id INTEGER PRIMARY KEY CHECK (id = 1), seq INTEGER NOT NULL,
                         hash TEXT NOT NULL);
CREATE TRIGGER audit_append_only_update BEFORE UPDATE ON audit
  BEGIN SELECT RAISE(ABORT, 'audit log is append-only'); END;
CREATE TRIGGER audit_append_only_delete BEFORE DELETE ON audit
  BEGIN SELECT RAISE(ABORT, 'audit log is append-only'); END;
)sql",
    // 2: smart cards keep the intermediates of their enrolment, so every login re-validates the
    // whole path (validity, revocation) instead of trusting the enrolment-time verdict.
    R"sql(
ALTER TABLE credentials ADD COLUMN cert_intermediates BLOB NOT NULL DEFAULT x'';
)sql",
    // 3: web state shared by the nodes of a web front end (browser sessions, pending ceremonies),
    // keyed by a hash of the caller's secret (never a cookie value).
    R"sql(
CREATE TABLE web_state (
  key BLOB PRIMARY KEY,
  kind TEXT NOT NULL,
  data TEXT NOT NULL,
  expires_at INTEGER NOT NULL
) WITHOUT ROWID;
CREATE INDEX web_state_by_expiry ON web_state(expires_at);
)sql",
};
constexpr int kMigrationCount = static_cast<int>(std::size(kMigrations));
static_assert(kMigrationCount == kSchemaVersion);

constexpr const char* kCredentialColumns =
    "id, principal_id, kind, public_key, certificate, alg, sign_count, aaguid, cert_issuer, "
    "cert_serial, cert_subject, attestation_fmt, attestation_type, trust_status, trust_anchor, "
    "transports, backup_eligible, backup_state, uv_at_registration, created_at, last_used_at, "
    "nickname, cert_intermediates";

// Intermediate certificates: each as a 4-byte big-endian length and the DER bytes.
Bytes PackCertificates(const std::vector<Bytes>& certs) {
  Bytes out;
  for (const Bytes& c : certs) {
    const auto n = static_cast<uint32_t>(c.size());
    for (int shift = 24; shift >= 0; shift -= 8) out.push_back(static_cast<uint8_t>(n >> shift));
    out.insert(out.end(), c.begin(), c.end());
  }
  return out;
}
Result<std::vector<Bytes>> UnpackCertificates(const Bytes& packed) {
  std::vector<Bytes> out;
  size_t pos = 0;
  while (pos < packed.size()) {
    if (packed.size() - pos < 4) return Fail(ErrorCode::kStoreCorrupt, "intermediates truncated");
    uint32_t n = 0;
    for (int i = 0; i < 4; ++i) n = (n << 8) | packed[pos + i];
    pos += 4;
    if (packed.size() - pos < n) return Fail(ErrorCode::kStoreCorrupt, "intermediates truncated");
    out.emplace_back(packed.begin() + static_cast<std::ptrdiff_t>(pos),
                     packed.begin() + static_cast<std::ptrdiff_t>(pos + n));
    pos += n;
  }
  return out;
}

// Transports are short tokens ("usb", "hybrid", ...): stored comma-separated, so the lookup path
// parses no JSON. Commas inside a token (never seen in practice) are dropped.
std::string TransportsToText(const std::vector<std::string>& t) {
  std::string out;
  for (const auto& s : t) {
    if (s.empty()) continue;
    if (!out.empty()) out += ',';
    for (char c : s) {
      if (c != ',') out += c;
    }
  }
  return out;
}
std::vector<std::string> TransportsFromText(const std::string& s) {
  std::vector<std::string> out;
  size_t pos = 0;
  while (pos < s.size()) {
    const size_t comma = s.find(',', pos);
    const size_t end = comma == std::string::npos ? s.size() : comma;
    if (end > pos) out.push_back(s.substr(pos, end - pos));
    pos = end + 1;
  }
  return out;
}

void BindCredential(Statement& s, const Credential& c) {
  s.Bind(1, ByteSpan(c.id))
      .Bind(2, c.principal_id)
      .Bind(3, CredentialKindName(c.kind))
      .Bind(4, ByteSpan(c.public_key))
      .Bind(5, ByteSpan(c.certificate))
      .Bind(6, c.alg)
      .Bind(7, static_cast<int64_t>(c.sign_count));
  if (c.aaguid) {
    s.Bind(8, ByteSpan(*c.aaguid));
  } else {
    s.BindNull(8);
  }
  s.Bind(9, c.cert_issuer)
      .Bind(10, c.cert_serial)
      .Bind(11, c.cert_subject)
      .Bind(12, c.attestation_fmt)
      .Bind(13, c.attestation_type)
      .Bind(14, c.trust_status)
      .Bind(15, c.trust_anchor)
      .Bind(16, TransportsToText(c.transports))
      .Bind(17, int64_t{c.backup_eligible})
      .Bind(18, int64_t{c.backup_state})
      .Bind(19, int64_t{c.user_verified_at_registration})
      .Bind(20, c.created_at)
      .Bind(21, c.last_used_at)
      .Bind(22, c.nickname)
      .Bind(23, ByteSpan(PackCertificates(c.certificate_intermediates)));
}

Result<Credential> ReadCredential(const Statement& s) {
  Credential c;
  c.id = s.Blob(0);
  c.principal_id = s.Text(1);
  auto kind = CredentialKindFromName(s.Text(2));
  if (!kind) return Fail(ErrorCode::kStoreCorrupt, "unknown credential kind in the store");
  c.kind = *kind;
  c.public_key = s.Blob(3);
  c.certificate = s.Blob(4);
  c.alg = s.Int(5);
  c.sign_count = static_cast<uint32_t>(s.Int(6));
  if (!s.IsNull(7)) {
    Bytes a = s.Blob(7);
    if (a.size() != 16) return Fail(ErrorCode::kStoreCorrupt, "AAGUID is not 16 bytes");
    std::array<uint8_t, 16> g{};
    std::copy(a.begin(), a.end(), g.begin());
    c.aaguid = g;
  }
  c.cert_issuer = s.Text(8);
  c.cert_serial = s.Text(9);
  c.cert_subject = s.Text(10);
  c.attestation_fmt = s.Text(11);
  c.attestation_type = s.Text(12);
  c.trust_status = s.Text(13);
  c.trust_anchor = s.Text(14);
  c.transports = TransportsFromText(s.Text(15));
  c.backup_eligible = s.Int(16) != 0;
  c.backup_state = s.Int(17) != 0;
  c.user_verified_at_registration = s.Int(18) != 0;
  c.created_at = s.Int(19);
  c.last_used_at = s.Int(20);
  c.nickname = s.Text(21);
  KW_ASSIGN_OR_RETURN(c.certificate_intermediates, UnpackCertificates(s.Blob(22)));
  return c;
}

Principal ReadPrincipal(const Statement& s) {
  Principal p;
  p.id = s.Text(0);
  p.user_handle = s.Blob(1);
  p.name = s.Text(2);
  p.display_name = s.Text(3);
  p.created_at = s.Int(4);
  return p;
}

// Column 0 of every remaining row, as text.
Result<std::vector<std::string>> FirstColumnText(Statement& s) {
  std::vector<std::string> out;
  for (;;) {
    KW_ASSIGN_OR_RETURN(bool row, s.Step());
    if (!row) break;
    out.push_back(s.Text(0));
  }
  return out;
}

constexpr const char* kPrincipalColumns = "id, user_handle, name, display_name, created_at";

}  // namespace

Result<std::unique_ptr<SqliteStore>> SqliteStore::Open(const std::string& path, bool create) {
  Options options;
  options.create = create;
  return Open(path, options);
}

Result<std::unique_ptr<SqliteStore>> SqliteStore::Open(const std::string& path,
                                                       const Options& options) {
  KW_ASSIGN_OR_RETURN(auto db, SqliteDb::Open(path, options.create, !options.relaxed_durability));
  if (options.cache_kib > 0) {
    KW_TRY(db->Exec(("PRAGMA cache_size=-" + std::to_string(options.cache_kib)).c_str()));
  }
  std::unique_ptr<SqliteStore> store(new SqliteStore(std::move(db)));
  KW_TRY(store->Migrate());
  return store;
}

Result<void> SqliteStore::Migrate() {
  std::lock_guard lock(mu_);
  KW_ASSIGN_OR_RETURN(Transaction tx, Transaction::Begin(*db_));
  KW_TRY(db_->Exec("CREATE TABLE IF NOT EXISTS schema_version (version INTEGER NOT NULL)"));
  int version = 0;
  {
    KW_ASSIGN_OR_RETURN(Statement s, db_->Prepare("SELECT max(version) FROM schema_version"));
    KW_ASSIGN_OR_RETURN(bool row, s.Step());
    if (row && !s.IsNull(0)) version = static_cast<int>(s.Int(0));
  }
  if (version > kSchemaVersion) {
    return Fail(ErrorCode::kSchemaVersionUnsupported,
                "store schema version " + std::to_string(version) + " is newer than " +
                    std::to_string(kSchemaVersion),
                static_cast<uint32_t>(version));
  }
  for (int v = version; v < kMigrationCount; ++v) {
    KW_TRY(db_->Exec(kMigrations[v]));
    KW_ASSIGN_OR_RETURN(Statement s, db_->Prepare("INSERT INTO schema_version(version) VALUES(?)"));
    KW_TRY(s.Bind(1, int64_t{v + 1}).Run());
  }
  // The per-store pseudonym key (created once, with the schema).
  {
    KW_ASSIGN_OR_RETURN(Statement s,
                        db_->Prepare("SELECT value FROM meta WHERE key='pseudonym_key'"));
    KW_ASSIGN_OR_RETURN(bool row, s.Step());
    if (row) pseudonym_key_ = SecretBytes(s.Blob(0));
  }
  if (pseudonym_key_.empty()) {
    KW_ASSIGN_OR_RETURN(Bytes key, RandomBytes(32));
    KW_ASSIGN_OR_RETURN(Statement s,
                        db_->Prepare("INSERT INTO meta(key, value) VALUES('pseudonym_key', ?)"));
    KW_TRY(s.Bind(1, ByteSpan(key)).Run());
    pseudonym_key_ = SecretBytes(key);
  }
  return tx.Commit();
}

std::string SqliteStore::Pseudonym(std::string_view principal_id) const {
  return PrincipalPseudonym(pseudonym_key_.reveal(), principal_id);
}

std::string SqliteStore::CredentialPseudonym(ByteSpan credential_id) const {
  return authenticator::CredentialPseudonym(pseudonym_key_.reveal(), credential_id);
}

Result<void> SqliteStore::AppendAuditLocked(const AuditEvent& e) {
  std::string prev(kAuditGenesis);
  uint64_t seq = 1;
  {
    KW_ASSIGN_OR_RETURN(Statement s, db_->Prepare("SELECT seq, hash FROM audit_head WHERE id=1"));
    KW_ASSIGN_OR_RETURN(bool row, s.Step());
    if (row) {
      seq = static_cast<uint64_t>(s.Int(0)) + 1;
      prev = s.Text(1);
    }
  }
  const std::string principal = Pseudonym(e.principal_id);
  Json body = AuditBody(e, principal, CredentialPseudonym(e.credential_id));
  ChainedLine chained = ChainAuditRecord(std::move(body), seq, prev);
  {
    KW_ASSIGN_OR_RETURN(
        Statement s, db_->Prepare("INSERT INTO audit(seq, principal, line, hash) VALUES(?,?,?,?)"));
    KW_TRY(s.Bind(1, static_cast<int64_t>(seq))
               .Bind(2, principal)
               .Bind(3, chained.line)
               .Bind(4, chained.hash)
               .Run());
  }
  KW_ASSIGN_OR_RETURN(
      Statement s,
      db_->Prepare("INSERT INTO audit_head(id, seq, hash) VALUES(1, ?, ?) "
                   "ON CONFLICT(id) DO UPDATE SET seq=excluded.seq, hash=excluded.hash"));
  return s.Bind(1, static_cast<int64_t>(seq)).Bind(2, chained.hash).Run();
}

Result<void> SqliteStore::AppendAudit(const AuditEvent& event) {
  std::lock_guard lock(mu_);
  KW_ASSIGN_OR_RETURN(Transaction tx, Transaction::Begin(*db_));
  KW_TRY(AppendAuditLocked(event));
  return tx.Commit();
}

Result<void> SqliteStore::InsertPrincipalLocked(const Principal& p) {
  KW_ASSIGN_OR_RETURN(Statement s,
                      db_->Prepare("INSERT INTO principals(id, user_handle, name, display_name, "
                                   "created_at) VALUES(?,?,?,?,?)"));
  return s.Bind(1, p.id)
      .Bind(2, ByteSpan(p.user_handle))
      .Bind(3, p.name)
      .Bind(4, p.display_name)
      .Bind(5, p.created_at)
      .Run();
}

Result<void> SqliteStore::CreatePrincipal(const Principal& p, const AuditEvent* audit) {
  std::lock_guard lock(mu_);
  KW_ASSIGN_OR_RETURN(Transaction tx, Transaction::Begin(*db_));
  KW_TRY(InsertPrincipalLocked(p));
  if (audit != nullptr) KW_TRY(AppendAuditLocked(*audit));
  return tx.Commit();
}

namespace {
template <typename BindFn>
Result<Principal> QueryPrincipal(SqliteDb& db, const std::string& sql, BindFn bind) {
  KW_ASSIGN_OR_RETURN(Statement s, db.Prepare(sql));
  bind(s);
  KW_ASSIGN_OR_RETURN(bool row, s.Step());
  if (!row) return Fail(ErrorCode::kNotFound, "no such principal");
  return ReadPrincipal(s);
}
}  // namespace

Result<Principal> SqliteStore::GetPrincipal(std::string_view id) {
  std::lock_guard lock(mu_);
  return GetPrincipalLocked(id);
}

Result<Principal> SqliteStore::GetPrincipalLocked(std::string_view id) {
  static const std::string kSql =
      std::string("SELECT ") + kPrincipalColumns + " FROM principals WHERE id=?";
  return QueryPrincipal(*db_, kSql, [&](Statement& s) { s.Bind(1, id); });
}

Result<Principal> SqliteStore::FindPrincipalByName(std::string_view name) {
  std::lock_guard lock(mu_);
  return QueryPrincipal(
      *db_, std::string("SELECT ") + kPrincipalColumns + " FROM principals WHERE name=?",
      [&](Statement& s) { s.Bind(1, name); });
}

Result<Principal> SqliteStore::FindPrincipalByUserHandle(ByteSpan user_handle) {
  std::lock_guard lock(mu_);
  return QueryPrincipal(
      *db_, std::string("SELECT ") + kPrincipalColumns + " FROM principals WHERE user_handle=?",
      [&](Statement& s) { s.Bind(1, user_handle); });
}

Result<std::vector<Principal>> SqliteStore::ListPrincipals() {
  std::lock_guard lock(mu_);
  KW_ASSIGN_OR_RETURN(Statement s, db_->Prepare(std::string("SELECT ") + kPrincipalColumns +
                                                " FROM principals ORDER BY name"));
  std::vector<Principal> out;
  for (;;) {
    KW_ASSIGN_OR_RETURN(bool row, s.Step());
    if (!row) break;
    out.push_back(ReadPrincipal(s));
  }
  return out;
}

Result<void> SqliteStore::InsertCredentialLocked(const Credential& c) {
  static const std::string kSql = std::string("INSERT INTO credentials(") + kCredentialColumns +
                                  ") VALUES(?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?)";
  KW_ASSIGN_OR_RETURN(Statement s, db_->Prepare(kSql));
  BindCredential(s, c);
  auto r = s.Run();
  if (!r && r.error().native == SQLITE_CONSTRAINT_FOREIGNKEY) {
    return Fail(ErrorCode::kNotFound, "no such principal", r.error().native);
  }
  return r;
}

Result<void> SqliteStore::AddCredential(const Credential& c, const AuditEvent* audit) {
  std::lock_guard lock(mu_);
  KW_ASSIGN_OR_RETURN(Transaction tx, Transaction::Begin(*db_));
  KW_TRY(InsertCredentialLocked(c));
  if (audit != nullptr) KW_TRY(AppendAuditLocked(*audit));
  return tx.Commit();
}

Result<void> SqliteStore::BulkAddPrincipals(std::span<const Principal> principals) {
  std::lock_guard lock(mu_);
  KW_ASSIGN_OR_RETURN(Transaction tx, Transaction::Begin(*db_));
  for (const Principal& p : principals) KW_TRY(InsertPrincipalLocked(p));
  return tx.Commit();
}

Result<void> SqliteStore::BulkAddCredentials(std::span<const Credential> credentials) {
  std::lock_guard lock(mu_);
  KW_ASSIGN_OR_RETURN(Transaction tx, Transaction::Begin(*db_));
  for (const Credential& c : credentials) KW_TRY(InsertCredentialLocked(c));
  return tx.Commit();
}

Result<Credential> SqliteStore::GetCredential(ByteSpan credential_id) {
  std::lock_guard lock(mu_);
  return GetCredentialLocked(credential_id);
}

Result<Credential> SqliteStore::GetCredentialLocked(ByteSpan credential_id) {
  static const std::string kSql =
      std::string("SELECT ") + kCredentialColumns + " FROM credentials WHERE id=?";
  KW_ASSIGN_OR_RETURN(Statement s, db_->Prepare(kSql));
  s.Bind(1, credential_id);
  KW_ASSIGN_OR_RETURN(bool row, s.Step());
  if (!row) return Fail(ErrorCode::kNotFound, "no such credential");
  return ReadCredential(s);
}

Result<std::vector<Credential>> SqliteStore::ListCredentials(std::string_view principal_id) {
  std::lock_guard lock(mu_);
  return ListCredentialsLocked(principal_id);
}

namespace {
Result<std::vector<Credential>> ReadCredentials(Statement& s) {
  std::vector<Credential> out;
  for (;;) {
    KW_ASSIGN_OR_RETURN(bool row, s.Step());
    if (!row) break;
    KW_ASSIGN_OR_RETURN(Credential c, ReadCredential(s));
    out.push_back(std::move(c));
  }
  return out;
}
}  // namespace

Result<std::vector<Credential>> SqliteStore::ListCredentialsLocked(std::string_view principal_id) {
  static const std::string kSql = std::string("SELECT ") + kCredentialColumns +
                                  " FROM credentials WHERE principal_id=? ORDER BY created_at, id";
  KW_ASSIGN_OR_RETURN(Statement s, db_->Prepare(kSql));
  s.Bind(1, principal_id);
  return ReadCredentials(s);
}

Result<std::vector<Credential>> SqliteStore::ListSiblingCredentialsLocked(ByteSpan credential_id) {
  static const std::string kSql =
      std::string("SELECT ") + kCredentialColumns +
      " FROM credentials WHERE principal_id=(SELECT principal_id FROM credentials WHERE id=?) "
      "ORDER BY created_at, id";
  KW_ASSIGN_OR_RETURN(Statement s, db_->Prepare(kSql));
  s.Bind(1, credential_id);
  return ReadCredentials(s);
}

Result<void> SqliteStore::CasSignCountLocked(ByteSpan credential_id, uint32_t expected,
                                             uint32_t next, bool backup_state, int64_t used_at) {
  {
    KW_ASSIGN_OR_RETURN(Statement s,
                        db_->Prepare("UPDATE credentials SET sign_count=?, backup_state=?, "
                                     "last_used_at=? WHERE id=? AND sign_count=?"));
    KW_TRY(s.Bind(1, static_cast<int64_t>(next))
               .Bind(2, int64_t{backup_state})
               .Bind(3, used_at)
               .Bind(4, credential_id)
               .Bind(5, static_cast<int64_t>(expected))
               .Run());
  }
  if (db_->Changes() == 1) return Ok();
  KW_ASSIGN_OR_RETURN(Statement s, db_->Prepare("SELECT 1 FROM credentials WHERE id=?"));
  s.Bind(1, credential_id);
  KW_ASSIGN_OR_RETURN(bool exists, s.Step());
  if (!exists) return Fail(ErrorCode::kNotFound, "no such credential");
  return Fail(ErrorCode::kStoreConflict, "sign count changed concurrently");
}

Result<SqliteStore::LoginCredential> SqliteStore::GetLoginCredentialLocked(ByteSpan credential_id) {
  KW_ASSIGN_OR_RETURN(Statement s,
                      db_->Prepare("SELECT principal_id, kind, public_key, alg, sign_count, "
                                   "backup_eligible, backup_state FROM credentials WHERE id=?"));
  s.Bind(1, credential_id);
  KW_ASSIGN_OR_RETURN(bool row, s.Step());
  if (!row) return Fail(ErrorCode::kNotFound, "no such credential");
  LoginCredential c;
  c.id = ToBytes(credential_id);
  c.principal_id = s.Text(0);
  auto kind = CredentialKindFromName(s.Text(1));
  if (!kind) return Fail(ErrorCode::kStoreCorrupt, "unknown credential kind in the store");
  c.kind = *kind;
  c.public_key = s.Blob(2);
  c.alg = s.Int(3);
  c.sign_count = static_cast<uint32_t>(s.Int(4));
  c.backup_eligible = s.Int(5) != 0;
  c.backup_state = s.Int(6) != 0;
  return c;
}

Result<SqliteStore::LoginCredential> SqliteStore::VerifyAndRecordUse(ByteSpan credential_id,
                                                                     int64_t used_at,
                                                                     const LoginVerifier& verify,
                                                                     const LoginDecider& decide,
                                                                     const AuditEvent* audit) {
  std::lock_guard lock(mu_);
  // What `verify` accepted: a re-read with the same key material needs no second verification.
  std::optional<LoginCredential> verified;
  for (int attempt = 0;; ++attempt) {
    const bool optimistic = attempt == 0;
    KW_TRY(optimistic ? db_->BeginDeferred() : db_->BeginImmediate());
    struct EndTx {
      SqliteDb* db;
      ~EndTx() { db->Rollback(); }  // no-op after a commit
    } end_tx{db_.get()};
    KW_ASSIGN_OR_RETURN(LoginCredential c, GetLoginCredentialLocked(credential_id));
    if (!verified || verified->public_key != c.public_key || verified->alg != c.alg ||
        verified->kind != c.kind) {
      KW_TRY(verify(c));
      verified = c;
    }
    KW_ASSIGN_OR_RETURN(CredentialUse use, decide(c));
    auto cas = CasSignCountLocked(credential_id, c.sign_count, use.new_sign_count, use.backup_state,
                                  used_at);
    if (!cas) {
      // The snapshot is stale or another connection is writing: read again under the write lock.
      if (optimistic && cas.error().code == ErrorCode::kStoreBusy) continue;
      return Fail(cas.error());
    }
    if (audit != nullptr) KW_TRY(AppendAuditLocked(*audit));
    KW_TRY(db_->Commit());
    return c;
  }
}

Result<SqliteStore::CredentialUse> SqliteStore::AdvanceSignCount(uint32_t stored, uint32_t asserted,
                                                                 bool backup_state) {
  if ((asserted != 0 || stored != 0) && asserted <= stored) {
    return Fail(ErrorCode::kSignCountRegression,
                "signCount " + std::to_string(asserted) + " <= stored " + std::to_string(stored));
  }
  return CredentialUse{asserted, backup_state};
}

Result<void> SqliteStore::RecordUse(ByteSpan credential_id, uint32_t expected_sign_count,
                                    uint32_t new_sign_count, bool backup_state, int64_t used_at,
                                    const AuditEvent* audit) {
  std::lock_guard lock(mu_);
  KW_ASSIGN_OR_RETURN(Transaction tx, Transaction::Begin(*db_));
  KW_TRY(CasSignCountLocked(credential_id, expected_sign_count, new_sign_count, backup_state,
                            used_at));
  if (audit != nullptr) KW_TRY(AppendAuditLocked(*audit));
  return tx.Commit();
}

Result<void> SqliteStore::SetDisplayName(std::string_view principal_id,
                                         std::string_view display_name, const AuditEvent* audit) {
  std::lock_guard lock(mu_);
  KW_ASSIGN_OR_RETURN(Transaction tx, Transaction::Begin(*db_));
  {
    KW_ASSIGN_OR_RETURN(Statement s,
                        db_->Prepare("UPDATE principals SET display_name=? WHERE id=?"));
    KW_TRY(s.Bind(1, display_name).Bind(2, principal_id).Run());
  }
  if (db_->Changes() != 1) return Fail(ErrorCode::kNotFound, "no such principal");
  if (audit != nullptr) KW_TRY(AppendAuditLocked(*audit));
  return tx.Commit();
}

Result<void> SqliteStore::SetNickname(ByteSpan credential_id, std::string_view nickname,
                                      const AuditEvent* audit) {
  std::lock_guard lock(mu_);
  KW_ASSIGN_OR_RETURN(Transaction tx, Transaction::Begin(*db_));
  {
    KW_ASSIGN_OR_RETURN(Statement s, db_->Prepare("UPDATE credentials SET nickname=? WHERE id=?"));
    KW_TRY(s.Bind(1, nickname).Bind(2, credential_id).Run());
  }
  if (db_->Changes() != 1) return Fail(ErrorCode::kNotFound, "no such credential");
  if (audit != nullptr) KW_TRY(AppendAuditLocked(*audit));
  return tx.Commit();
}

Result<void> SqliteStore::RemoveCredential(ByteSpan credential_id, const AuditEvent* audit) {
  std::lock_guard lock(mu_);
  KW_ASSIGN_OR_RETURN(Transaction tx, Transaction::Begin(*db_));
  {
    KW_ASSIGN_OR_RETURN(Statement s, db_->Prepare("DELETE FROM credentials WHERE id=?"));
    KW_TRY(s.Bind(1, credential_id).Run());
  }
  if (db_->Changes() != 1) return Fail(ErrorCode::kNotFound, "no such credential");
  if (audit != nullptr) KW_TRY(AppendAuditLocked(*audit));
  return tx.Commit();
}

Result<void> SqliteStore::ErasePrincipal(std::string_view principal_id, const AuditEvent* audit) {
  std::lock_guard lock(mu_);
  {
    KW_ASSIGN_OR_RETURN(Transaction tx, Transaction::Begin(*db_));
    for (const char* sql : {"DELETE FROM challenges WHERE principal_id=?",
                            "DELETE FROM credentials WHERE principal_id=?"}) {
      KW_ASSIGN_OR_RETURN(Statement s, db_->Prepare(sql));
      KW_TRY(s.Bind(1, principal_id).Run());
    }
    {
      KW_ASSIGN_OR_RETURN(Statement s, db_->Prepare("DELETE FROM principals WHERE id=?"));
      KW_TRY(s.Bind(1, principal_id).Run());
    }
    if (db_->Changes() != 1) return Fail(ErrorCode::kNotFound, "no such principal");
    if (audit != nullptr) KW_TRY(AppendAuditLocked(*audit));
    KW_TRY(tx.Commit());
  }
  // secure_delete zeroed the freed cells in the pages written to the WAL; move them into the main
  // file and truncate the WAL so older page images holding the personal data are gone too. Best
  // effort: a concurrent reader can keep old frames alive until its transaction ends.
  (void)db_->Exec("PRAGMA wal_checkpoint(TRUNCATE)");
  return Ok();
}

Result<void> SqliteStore::PutChallenge(const ChallengeRecord& r) {
  std::lock_guard lock(mu_);
  KW_ASSIGN_OR_RETURN(Transaction tx, Transaction::Begin(*db_));
  {
    // Housekeeping: challenges past expiry by more than a day can no longer be "replayed" in any
    // meaningful sense; drop them (later they are reported as unknown).
    KW_ASSIGN_OR_RETURN(Statement s, db_->Prepare("DELETE FROM challenges WHERE expires_at < ?"));
    KW_TRY(s.Bind(1, r.created_at - 86400).Run());
  }
  {
    KW_ASSIGN_OR_RETURN(Statement s,
                        db_->Prepare("INSERT INTO challenges(challenge, purpose, principal_id, "
                                     "state, created_at, expires_at) VALUES(?,?,?,?,?,?)"));
    s.Bind(1, ByteSpan(r.challenge)).Bind(2, r.purpose);
    if (r.principal_id.empty()) {
      s.BindNull(3);
    } else {
      s.Bind(3, r.principal_id);
    }
    auto run = s.Bind(4, r.state_json).Bind(5, r.created_at).Bind(6, r.expires_at).Run();
    if (!run && run.error().native == SQLITE_CONSTRAINT_FOREIGNKEY) {
      return Fail(ErrorCode::kNotFound, "no such principal", run.error().native);
    }
    KW_TRY(run);
  }
  return tx.Commit();
}

Result<ChallengeRecord> SqliteStore::ReadChallengeLocked(ByteSpan challenge,
                                                         std::string_view purpose, bool* used) {
  KW_ASSIGN_OR_RETURN(Statement s,
                      db_->Prepare("SELECT challenge, purpose, principal_id, state, created_at, "
                                   "expires_at, used_at FROM challenges WHERE challenge=?"));
  s.Bind(1, challenge);
  KW_ASSIGN_OR_RETURN(bool row, s.Step());
  if (!row) return Fail(ErrorCode::kChallengeUnknown, "challenge was not issued by this store");
  ChallengeRecord r;
  r.challenge = s.Blob(0);
  r.purpose = s.Text(1);
  r.principal_id = s.IsNull(2) ? std::string() : s.Text(2);
  r.state_json = s.Text(3);
  r.created_at = s.Int(4);
  r.expires_at = s.Int(5);
  r.used = !s.IsNull(6);
  *used = r.used;
  if (r.purpose != purpose) {
    return Fail(ErrorCode::kChallengeUnknown, "challenge was issued for another ceremony");
  }
  return r;
}

Result<void> SqliteStore::SpendChallengeLocked(ByteSpan challenge, int64_t now) {
  KW_ASSIGN_OR_RETURN(
      Statement s,
      db_->Prepare("UPDATE challenges SET used_at=? WHERE challenge=? AND used_at IS NULL"));
  KW_TRY(s.Bind(1, now).Bind(2, challenge).Run());
  if (db_->Changes() != 1) return Fail(ErrorCode::kChallengeReplayed, "challenge already used");
  return Ok();
}

Result<ChallengeRecord> SqliteStore::ConsumeChallenge(ByteSpan challenge, std::string_view purpose,
                                                      int64_t now) {
  std::lock_guard lock(mu_);
  KW_ASSIGN_OR_RETURN(Transaction tx, Transaction::Begin(*db_));
  bool used = false;
  KW_ASSIGN_OR_RETURN(ChallengeRecord r, ReadChallengeLocked(challenge, purpose, &used));
  if (used) return Fail(ErrorCode::kChallengeReplayed, "challenge already used");
  KW_TRY(SpendChallengeLocked(challenge, now));
  KW_TRY(tx.Commit());
  // Expiry is checked after marking it used: an expired challenge is also burnt.
  if (now >= r.expires_at) return Fail(ErrorCode::kChallengeExpired, "challenge expired");
  r.used = true;
  return r;
}

Result<ChallengeRecord> SqliteStore::PeekChallengeLocked(ByteSpan challenge,
                                                         std::string_view purpose, int64_t now) {
  bool used = false;
  KW_ASSIGN_OR_RETURN(ChallengeRecord r, ReadChallengeLocked(challenge, purpose, &used));
  if (used) return Fail(ErrorCode::kChallengeReplayed, "challenge already used");
  if (now >= r.expires_at) return Fail(ErrorCode::kChallengeExpired, "challenge expired");
  return r;
}

LoginSnapshot SqliteStore::ReadLoginLocked(ByteSpan challenge, std::string_view purpose,
                                           int64_t now, ByteSpan credential_id) {
  LoginSnapshot snap;
  snap.challenge = PeekChallengeLocked(challenge, purpose, now);
  if (!snap.challenge || credential_id.empty()) return snap;
  // The credential and its principal's credentials (the policy's input) in one query.
  auto siblings = ListSiblingCredentialsLocked(credential_id);
  if (!siblings) {
    snap.credential = Fail(siblings.error());
    return snap;
  }
  auto it = std::find_if(siblings->begin(), siblings->end(), [&](const Credential& c) {
    return std::equal(c.id.begin(), c.id.end(), credential_id.begin(), credential_id.end());
  });
  if (it == siblings->end()) {
    snap.credential = Fail(ErrorCode::kNotFound, "no such credential");
    return snap;
  }
  snap.credential = *it;
  snap.principal = GetPrincipalLocked(it->principal_id);
  if (!snap.principal) return snap;
  snap.principal_credentials = std::move(*siblings);
  return snap;
}

Result<void> SqliteStore::WriteLoginLocked(ByteSpan challenge, int64_t now,
                                           const LoginWrite& write) {
  if (write.spend) KW_TRY(SpendChallengeLocked(challenge, now));
  if (write.record_use) {
    KW_TRY(CasSignCountLocked(write.credential_id, write.expected_sign_count, write.new_sign_count,
                              write.backup_state, now));
  }
  for (const AuditEvent& e : write.audit) KW_TRY(AppendAuditLocked(e));
  return Ok();
}

Result<void> SqliteStore::RunLogin(ByteSpan challenge, std::string_view purpose, int64_t now,
                                   ByteSpan credential_id, const LoginPlanner& plan) {
  std::lock_guard lock(mu_);
  for (int attempt = 0;; ++attempt) {
    const bool optimistic = attempt == 0;
    KW_TRY(optimistic ? db_->BeginDeferred() : db_->BeginImmediate());
    struct EndTx {
      SqliteDb* db;
      ~EndTx() { db->Rollback(); }  // no-op after a commit
    } end_tx{db_.get()};
    const LoginSnapshot snap = ReadLoginLocked(challenge, purpose, now, credential_id);
    const LoginWrite write = plan(snap);
    if (!write.spend && !write.record_use && write.audit.empty()) return Ok();
    auto written = WriteLoginLocked(challenge, now, write);
    if (!written) {
      // A stale snapshot or another writer: read again under the write lock and decide again.
      if (optimistic && written.error().code == ErrorCode::kStoreBusy) continue;
      return written;
    }
    return db_->Commit();
  }
}

Result<void> SqliteStore::SpendChallenge(ByteSpan challenge, int64_t now, const AuditEvent* audit) {
  std::lock_guard lock(mu_);
  KW_ASSIGN_OR_RETURN(Transaction tx, Transaction::Begin(*db_));
  KW_TRY(SpendChallengeLocked(challenge, now));
  if (audit != nullptr) KW_TRY(AppendAuditLocked(*audit));
  return tx.Commit();
}

Result<std::vector<ChallengeRecord>> SqliteStore::ListChallenges(std::string_view principal_id) {
  std::lock_guard lock(mu_);
  KW_ASSIGN_OR_RETURN(
      Statement s,
      db_->Prepare("SELECT challenge, purpose, state, created_at, expires_at, "
                   "used_at IS NOT NULL FROM challenges WHERE principal_id=? ORDER BY created_at"));
  s.Bind(1, principal_id);
  std::vector<ChallengeRecord> out;
  for (;;) {
    KW_ASSIGN_OR_RETURN(bool row, s.Step());
    if (!row) break;
    ChallengeRecord r;
    r.challenge = s.Blob(0);
    r.purpose = s.Text(1);
    r.principal_id = std::string(principal_id);
    r.state_json = s.Text(2);
    r.created_at = s.Int(3);
    r.expires_at = s.Int(4);
    r.used = s.Int(5) != 0;
    out.push_back(std::move(r));
  }
  return out;
}

Result<std::vector<std::string>> SqliteStore::AuditTail(size_t n) {
  std::lock_guard lock(mu_);
  const char* sql = n == 0 ? "SELECT line FROM audit ORDER BY seq"
                           : "SELECT line FROM (SELECT seq, line FROM audit ORDER BY seq DESC "
                             "LIMIT ?) ORDER BY seq";
  KW_ASSIGN_OR_RETURN(Statement s, db_->Prepare(sql));
  if (n != 0) s.Bind(1, static_cast<int64_t>(n));
  return FirstColumnText(s);
}

Result<std::vector<std::string>> SqliteStore::AuditFor(std::string_view principal_id) {
  const std::string pseudonym = Pseudonym(principal_id);
  std::lock_guard lock(mu_);
  KW_ASSIGN_OR_RETURN(Statement s,
                      db_->Prepare("SELECT line FROM audit WHERE principal=? ORDER BY seq"));
  s.Bind(1, pseudonym);
  return FirstColumnText(s);
}

Result<AuditVerification> SqliteStore::VerifyAuditChain() {
  std::vector<std::string> lines;
  int64_t head_seq = 0;
  std::string head_hash;
  {
    std::lock_guard lock(mu_);
    // One read transaction: the lines and the head are a consistent snapshot.
    KW_TRY(db_->Exec("BEGIN"));
    struct EndRead {
      SqliteDb* db;
      ~EndRead() { db->Rollback(); }
    } end_read{db_.get()};
    {
      KW_ASSIGN_OR_RETURN(Statement s, db_->Prepare("SELECT seq, line FROM audit ORDER BY seq"));
      for (;;) {
        KW_ASSIGN_OR_RETURN(bool row, s.Step());
        if (!row) break;
        lines.push_back(s.Text(1));
      }
    }
    KW_ASSIGN_OR_RETURN(Statement s, db_->Prepare("SELECT seq, hash FROM audit_head WHERE id=1"));
    KW_ASSIGN_OR_RETURN(bool row, s.Step());
    if (row) {
      head_seq = s.Int(0);
      head_hash = s.Text(1);
    }
  }
  KW_ASSIGN_OR_RETURN(AuditVerification v, VerifyChainedLines(lines, kAuditGenesis, 1));
  if (static_cast<int64_t>(v.records) != head_seq || (head_seq != 0 && v.head_hash != head_hash)) {
    const uint32_t line_no = static_cast<uint32_t>(std::min<uint64_t>(v.records, head_seq) + 1);
    return Fail(ErrorCode::kAuditChainBroken,
                "line " + std::to_string(line_no) + ": log does not end at the recorded head",
                line_no);
  }
  return v;
}

Result<std::array<uint64_t, 4>> SqliteStore::Counts() {
  std::lock_guard lock(mu_);
  KW_ASSIGN_OR_RETURN(Statement s, db_->Prepare("SELECT (SELECT count(*) FROM principals), "
                                                "(SELECT count(*) FROM credentials), "
                                                "(SELECT count(*) FROM challenges), "
                                                "(SELECT count(*) FROM audit)"));
  KW_ASSIGN_OR_RETURN(bool row, s.Step());
  if (!row) return Fail(ErrorCode::kStoreIo, "count returned no row");
  return std::array<uint64_t, 4>{static_cast<uint64_t>(s.Int(0)), static_cast<uint64_t>(s.Int(1)),
                                 static_cast<uint64_t>(s.Int(2)), static_cast<uint64_t>(s.Int(3))};
}

Result<StoreContents> SqliteStore::DumpAll() {
  std::lock_guard lock(mu_);
  KW_TRY(db_->BeginDeferred());
  struct EndRead {
    SqliteDb* db;
    ~EndRead() { db->Rollback(); }
  } end_read{db_.get()};
  StoreContents out;
  out.pseudonym_key = pseudonym_key_;
  {
    KW_ASSIGN_OR_RETURN(Statement s, db_->Prepare(std::string("SELECT ") + kPrincipalColumns +
                                                  " FROM principals ORDER BY id"));
    for (;;) {
      KW_ASSIGN_OR_RETURN(bool row, s.Step());
      if (!row) break;
      out.principals.push_back(ReadPrincipal(s));
    }
  }
  {
    KW_ASSIGN_OR_RETURN(Statement s, db_->Prepare(std::string("SELECT ") + kCredentialColumns +
                                                  " FROM credentials ORDER BY id"));
    for (;;) {
      KW_ASSIGN_OR_RETURN(bool row, s.Step());
      if (!row) break;
      KW_ASSIGN_OR_RETURN(Credential c, ReadCredential(s));
      out.credentials.push_back(std::move(c));
    }
  }
  {
    KW_ASSIGN_OR_RETURN(Statement s,
                        db_->Prepare("SELECT challenge, purpose, principal_id, state, created_at, "
                                     "expires_at, used_at FROM challenges ORDER BY challenge"));
    for (;;) {
      KW_ASSIGN_OR_RETURN(bool row, s.Step());
      if (!row) break;
      ChallengeRecord r;
      r.challenge = s.Blob(0);
      r.purpose = s.Text(1);
      r.principal_id = s.IsNull(2) ? std::string() : s.Text(2);
      r.state_json = s.Text(3);
      r.created_at = s.Int(4);
      r.expires_at = s.Int(5);
      r.used = !s.IsNull(6);
      r.used_at = r.used ? s.Int(6) : 0;
      out.challenges.push_back(std::move(r));
    }
  }
  {
    KW_ASSIGN_OR_RETURN(Statement s,
                        db_->Prepare("SELECT seq, principal, line, hash FROM audit ORDER BY seq"));
    for (;;) {
      KW_ASSIGN_OR_RETURN(bool row, s.Step());
      if (!row) break;
      out.audit.push_back(AuditRow{s.Int(0), s.Text(1), s.Text(2), s.Text(3)});
    }
  }
  return out;
}

Result<void> SqliteStore::LoadAll(const StoreContents& in) {
  std::lock_guard lock(mu_);
  KW_ASSIGN_OR_RETURN(Transaction tx, Transaction::Begin(*db_));
  {
    KW_ASSIGN_OR_RETURN(
        Statement s,
        db_->Prepare("SELECT EXISTS(SELECT 1 FROM principals) OR "
                     "EXISTS(SELECT 1 FROM audit) OR EXISTS(SELECT 1 FROM challenges)"));
    KW_ASSIGN_OR_RETURN(bool row, s.Step());
    if (row && s.Int(0) != 0) return Fail(ErrorCode::kAlreadyExists, "target store is not empty");
  }
  for (const Principal& p : in.principals) KW_TRY(InsertPrincipalLocked(p));
  for (const Credential& c : in.credentials) KW_TRY(InsertCredentialLocked(c));
  for (const ChallengeRecord& r : in.challenges) {
    KW_ASSIGN_OR_RETURN(Statement s, db_->Prepare("INSERT INTO challenges(challenge, purpose, "
                                                  "principal_id, state, created_at, expires_at, "
                                                  "used_at) VALUES(?,?,?,?,?,?,?)"));
    s.Bind(1, ByteSpan(r.challenge)).Bind(2, r.purpose);
    if (r.principal_id.empty()) {
      s.BindNull(3);
    } else {
      s.Bind(3, r.principal_id);
    }
    s.Bind(4, r.state_json).Bind(5, r.created_at).Bind(6, r.expires_at);
    if (r.used) {
      s.Bind(7, r.used_at);
    } else {
      s.BindNull(7);
    }
    KW_TRY(s.Run());
  }
  for (const AuditRow& a : in.audit) {
    KW_ASSIGN_OR_RETURN(
        Statement s, db_->Prepare("INSERT INTO audit(seq, principal, line, hash) VALUES(?,?,?,?)"));
    KW_TRY(s.Bind(1, a.seq).Bind(2, a.principal).Bind(3, a.line).Bind(4, a.hash).Run());
  }
  if (!in.audit.empty()) {
    KW_ASSIGN_OR_RETURN(
        Statement s,
        db_->Prepare("INSERT INTO audit_head(id, seq, hash) VALUES(1, ?, ?) "
                     "ON CONFLICT(id) DO UPDATE SET seq=excluded.seq, hash=excluded.hash"));
    KW_TRY(s.Bind(1, in.audit.back().seq).Bind(2, in.audit.back().hash).Run());
  }
  if (in.pseudonym_key.size() != 32) {
    return Fail(ErrorCode::kStoreCorrupt, "source pseudonym key is not 32 bytes");
  }
  {
    KW_ASSIGN_OR_RETURN(Statement s,
                        db_->Prepare("UPDATE meta SET value=? WHERE key='pseudonym_key'"));
    KW_TRY(s.Bind(1, in.pseudonym_key.reveal()).Run());
  }
  KW_TRY(tx.Commit());
  pseudonym_key_ = in.pseudonym_key;
  return Ok();
}

Result<void> SqliteStore::CheckIntegrity() {
  std::lock_guard lock(mu_);
  KW_ASSIGN_OR_RETURN(Statement s, db_->Prepare("PRAGMA integrity_check"));
  KW_ASSIGN_OR_RETURN(bool row, s.Step());
  if (!row || s.Text(0) != "ok") return Fail(ErrorCode::kStoreCorrupt, "integrity_check failed");
  return Ok();
}

}  // namespace keyward::authenticator

namespace keyward::authenticator {

Result<void> SqliteStore::PutWebState(const WebStateEntry& e) {
  KW_TRY(WebStateEntry::CheckKey(e.key));
  std::lock_guard lock(mu_);
  KW_ASSIGN_OR_RETURN(
      Statement s,
      db_->Prepare("INSERT INTO web_state(key, kind, data, expires_at) VALUES(?,?,?,?) "
                   "ON CONFLICT(key) DO UPDATE SET kind=excluded.kind, data=excluded.data, "
                   "expires_at=excluded.expires_at"));
  return s.Bind(1, ByteSpan(e.key)).Bind(2, e.kind).Bind(3, e.data).Bind(4, e.expires_at).Run();
}

Result<WebStateEntry> SqliteStore::PutWebStateIfAbsent(const WebStateEntry& e, int64_t now) {
  KW_TRY(WebStateEntry::CheckKey(e.key));
  if (e.expires_at <= now) return Fail(ErrorCode::kInvalidArgument, "web state already expired");
  {
    std::lock_guard lock(mu_);
    // Replaces only an expired row; a live one stays (the WHERE of the upsert).
    KW_ASSIGN_OR_RETURN(
        Statement s,
        db_->Prepare("INSERT INTO web_state(key, kind, data, expires_at) VALUES(?,?,?,?) "
                     "ON CONFLICT(key) DO UPDATE SET kind=excluded.kind, data=excluded.data, "
                     "expires_at=excluded.expires_at WHERE web_state.expires_at <= ?"));
    KW_TRY(s.Bind(1, ByteSpan(e.key))
               .Bind(2, e.kind)
               .Bind(3, e.data)
               .Bind(4, e.expires_at)
               .Bind(5, now)
               .Run());
  }
  // The holder is live at `now` (ours, or one that was), so it is there to read.
  return GetWebState(e.key, now);
}

namespace {
// The live entry under `key` as `sql` (key, now bound; kind, data, expires_at returned) yields it.
Result<WebStateEntry> OneWebState(SqliteDb& db, const char* sql, ByteSpan key, int64_t now) {
  KW_ASSIGN_OR_RETURN(Statement s, db.Prepare(sql));
  s.Bind(1, key).Bind(2, now);
  KW_ASSIGN_OR_RETURN(bool row, s.Step());
  if (!row) return Fail(ErrorCode::kNotFound, "no such web state");
  WebStateEntry e{Bytes(key.begin(), key.end()), s.Text(0), s.Text(1), s.Int(2)};
  KW_TRY(s.Run());
  return e;
}
}  // namespace

Result<WebStateEntry> SqliteStore::GetWebState(ByteSpan key, int64_t now) {
  KW_TRY(WebStateEntry::CheckKey(key));
  std::lock_guard lock(mu_);
  return OneWebState(*db_,
                     "SELECT kind, data, expires_at FROM web_state WHERE key=? AND expires_at > ?",
                     key, now);
}

Result<WebStateEntry> SqliteStore::TakeWebState(ByteSpan key, int64_t now) {
  KW_TRY(WebStateEntry::CheckKey(key));
  std::lock_guard lock(mu_);
  // One statement (its own write transaction): the row is read and deleted together.
  return OneWebState(*db_,
                     "DELETE FROM web_state WHERE key=? AND expires_at > ? "
                     "RETURNING kind, data, expires_at",
                     key, now);
}

Result<void> SqliteStore::DeleteWebState(ByteSpan key) {
  KW_TRY(WebStateEntry::CheckKey(key));
  std::lock_guard lock(mu_);
  KW_ASSIGN_OR_RETURN(Statement s, db_->Prepare("DELETE FROM web_state WHERE key=?"));
  return s.Bind(1, key).Run();
}

Result<std::vector<WebStateEntry>> SqliteStore::SweepWebState(int64_t now, size_t limit) {
  std::lock_guard lock(mu_);
  KW_ASSIGN_OR_RETURN(
      Statement s,
      db_->Prepare("DELETE FROM web_state WHERE key IN (SELECT key FROM web_state "
                   "WHERE expires_at <= ? LIMIT ?) RETURNING key, kind, data, expires_at"));
  s.Bind(1, now).Bind(2, static_cast<int64_t>(limit));
  std::vector<WebStateEntry> out;
  for (;;) {
    KW_ASSIGN_OR_RETURN(bool row, s.Step());
    if (!row) break;
    out.push_back(WebStateEntry{s.Blob(0), s.Text(1), s.Text(2), s.Int(3)});
  }
  return out;
}

}  // namespace keyward::authenticator
