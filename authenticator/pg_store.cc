#include "authenticator/pg_store.h"

#include <libpq-fe.h>
#include <openssl/evp.h>

#include <algorithm>
#include <charconv>
#include <chrono>
#include <map>

#include "authenticator/audit_chain.h"
#include "authenticator/sqlite_store.h"  // kSchemaVersion
#include "core/hash.h"

namespace keyward::authenticator {
namespace {

// Migration n brings the schema from version n-1 to n: the same versions as SqliteStore's, in
// PostgreSQL's dialect. Never edit a shipped entry: append.
constexpr const char* kMigrations[] = {
    // 1: initial schema, the audit append-only triggers and the server-side functions.
    R"sql(
CREATE TABLE meta (key text PRIMARY KEY, value bytea NOT NULL);
CREATE TABLE principals (
  id text PRIMARY KEY,
  user_handle bytea NOT NULL UNIQUE,
  name text NOT NULL UNIQUE,
  display_name text NOT NULL,
  created_at bigint NOT NULL
);
CREATE TABLE credentials (
  id bytea PRIMARY KEY,
  principal_id text NOT NULL REFERENCES principals(id) ON DELETE CASCADE,
  kind text NOT NULL CHECK (kind IN ('passkey', 'security_key', 'smart_card')),
  public_key bytea NOT NULL,
  certificate bytea NOT NULL,
  alg bigint NOT NULL,
  sign_count bigint NOT NULL CHECK (sign_count BETWEEN 0 AND 4294967295),
  aaguid bytea,
  cert_issuer text NOT NULL,
  cert_serial text NOT NULL,
  cert_subject text NOT NULL,
  attestation_fmt text NOT NULL,
  attestation_type text NOT NULL,
  trust_status text NOT NULL,
  trust_anchor text NOT NULL,
  transports text NOT NULL,
  backup_eligible boolean NOT NULL,
  backup_state boolean NOT NULL,
  uv_at_registration boolean NOT NULL,
  created_at bigint NOT NULL,
  last_used_at bigint NOT NULL,
  nickname text NOT NULL
);
CREATE INDEX credentials_by_principal ON credentials(principal_id);
CREATE TABLE challenges (
  challenge bytea PRIMARY KEY,
  purpose text NOT NULL,
  principal_id text REFERENCES principals(id) ON DELETE CASCADE,
  state text NOT NULL,
  created_at bigint NOT NULL,
  expires_at bigint NOT NULL,
  used_at bigint
);
CREATE INDEX challenges_by_expiry ON challenges(expires_at);
CREATE INDEX challenges_by_principal ON challenges(principal_id);
CREATE TABLE audit (
  seq bigint PRIMARY KEY,
  principal text NOT NULL,
  line text NOT NULL,
  hash text NOT NULL
);
CREATE INDEX audit_by_principal ON audit(principal);
CREATE TABLE audit_head (id integer PRIMARY KEY CHECK (id = 1), seq bigint NOT NULL,
                         hash text NOT NULL);
INSERT INTO audit_head VALUES (1, 0, repeat('0', 64));
CREATE FUNCTION kw_audit_append_only() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  RAISE EXCEPTION 'audit log is append-only';
END $$;
CREATE TRIGGER audit_append_only BEFORE UPDATE OR DELETE ON audit
  FOR EACH ROW EXECUTE FUNCTION kw_audit_append_only();
CREATE TRIGGER audit_append_only_truncate BEFORE TRUNCATE ON audit
  FOR EACH STATEMENT EXECUTE FUNCTION kw_audit_append_only();
-- Appends one record to THE chain: the head row's lock serialises appenders across every node
-- until the appending transaction ends; the record is the client's text with the previous hash
-- and the sequence number spliced in, hashed here (audit_chain.h SplitAuditRecord).
CREATE FUNCTION kw_audit_append(p_principal text, p_before_prev text, p_before_seq text,
                                p_after_seq text) RETURNS void LANGUAGE plpgsql AS $$
DECLARE
  h_seq bigint;
  h_hash text;
  body text;
  new_hash text;
BEGIN
  SELECT seq, hash INTO h_seq, h_hash FROM audit_head WHERE id = 1 FOR UPDATE;
  IF NOT FOUND THEN
    RAISE EXCEPTION 'audit head missing' USING ERRCODE = 'XX001';
  END IF;
  body := p_before_prev || h_hash || p_before_seq || (h_seq + 1)::text || p_after_seq;
  new_hash := encode(sha256(convert_to(body, 'UTF8')), 'hex');
  INSERT INTO audit(seq, principal, line, hash)
    VALUES (h_seq + 1, p_principal,
            left(body, -1) || ',"hash":"' || new_hash || '"}', new_hash);
  UPDATE audit_head SET seq = h_seq + 1, hash = new_hash WHERE id = 1;
END $$;
-- The write half of a login (CredentialStore::RunLogin): 0 written; 1 the challenge was spent
-- meanwhile (nothing written). A moved counter or a vanished credential raises (KW002 / KW004),
-- so the transaction is rolled back whole.
CREATE FUNCTION kw_login_write(p_challenge bytea, p_now bigint, p_spend boolean, p_use boolean,
                               p_cred bytea, p_expected bigint, p_next bigint, p_bs boolean,
                               p1 text, a1 text, b1 text, c1 text,
                               p2 text, a2 text, b2 text, c2 text) RETURNS integer
LANGUAGE plpgsql AS $$
BEGIN
  IF p_spend THEN
    UPDATE challenges SET used_at = p_now WHERE challenge = p_challenge AND used_at IS NULL;
    IF NOT FOUND THEN
      RETURN 1;
    END IF;
  END IF;
  IF p_use THEN
    UPDATE credentials SET sign_count = p_next, backup_state = p_bs, last_used_at = p_now
      WHERE id = p_cred AND sign_count = p_expected;
    IF NOT FOUND THEN
      IF EXISTS (SELECT 1 FROM credentials WHERE id = p_cred) THEN
        RAISE EXCEPTION 'sign count changed concurrently' USING ERRCODE = 'KW002';
      END IF;
      RAISE EXCEPTION 'no such credential' USING ERRCODE = 'KW004';
    END IF;
  END IF;
  IF a1 IS NOT NULL THEN
    PERFORM kw_audit_append(p1, a1, b1, c1);
  END IF;
  IF a2 IS NOT NULL THEN
    PERFORM kw_audit_append(p2, a2, b2, c2);
  END IF;
  RETURN 0;
END $$;
)sql",
    // 2: smart cards keep the intermediates of their enrolment.
    R"sql(
ALTER TABLE credentials ADD COLUMN cert_intermediates bytea NOT NULL DEFAULT '\x';
)sql",
    // 3: web state shared by the nodes of a web front end (browser sessions, pending ceremonies),
    // keyed by a hash of the caller's secret (never a cookie value).
    R"sql(
CREATE TABLE web_state (
  key bytea PRIMARY KEY,
  kind text NOT NULL,
  data text NOT NULL,
  expires_at bigint NOT NULL
);
CREATE INDEX web_state_by_expiry ON web_state(expires_at);
)sql",
};
constexpr int kMigrationCount = static_cast<int>(std::size(kMigrations));
static_assert(kMigrationCount == kSchemaVersion);

// Serialises migrations of nodes starting at once ("keyw" as an advisory lock key).
constexpr const char* kMigrationLock = "SELECT pg_advisory_xact_lock(1801812343)";

constexpr const char* kCredentialColumns =
    "id, principal_id, kind, public_key, certificate, alg, sign_count, aaguid, cert_issuer, "
    "cert_serial, cert_subject, attestation_fmt, attestation_type, trust_status, trust_anchor, "
    "transports, backup_eligible, backup_state, uv_at_registration, created_at, last_used_at, "
    "nickname, cert_intermediates";
constexpr const char* kPrincipalColumns = "id, user_handle, name, display_name, created_at";

std::string Cols(const char* prefix, const char* cols) {
  std::string out;
  std::string_view s(cols);
  size_t pos = 0;
  while (pos < s.size()) {
    size_t comma = s.find(',', pos);
    if (comma == std::string_view::npos) comma = s.size();
    std::string_view c = s.substr(pos, comma - pos);
    while (!c.empty() && c.front() == ' ') c.remove_prefix(1);
    if (!out.empty()) out += ", ";
    out += prefix;
    out += c;
    pos = comma + 1;
  }
  return out;
}

// The prepared statements every connection has (name → SQL).
const std::map<std::string, std::string>& Statements() {
  static const std::map<std::string, std::string> kStatements = {
      {"principal_insert",
       "INSERT INTO principals(id, user_handle, name, display_name, created_at) "
       "VALUES($1,$2,$3,$4,$5)"},
      {"principal_by_id",
       std::string("SELECT ") + kPrincipalColumns + " FROM principals WHERE id=$1"},
      {"principal_by_name",
       std::string("SELECT ") + kPrincipalColumns + " FROM principals WHERE name=$1"},
      {"principal_by_handle",
       std::string("SELECT ") + kPrincipalColumns + " FROM principals WHERE user_handle=$1"},
      {"principal_list",
       std::string("SELECT ") + kPrincipalColumns + " FROM principals ORDER BY name"},
      {"principal_display_name", "UPDATE principals SET display_name=$1 WHERE id=$2"},
      {"credential_insert",
       std::string("INSERT INTO credentials(") + kCredentialColumns +
           ") VALUES($1,$2,$3,$4,$5,$6,$7,$8,$9,$10,$11,$12,$13,$14,$15,$16,$17,$18,$19,$20,$21,"
           "$22,$23)"},
      {"credential_by_id",
       std::string("SELECT ") + kCredentialColumns + " FROM credentials WHERE id=$1"},
      {"credential_list", std::string("SELECT ") + kCredentialColumns +
                              " FROM credentials WHERE principal_id=$1 ORDER BY created_at, id"},
      {"credential_cas",
       "UPDATE credentials SET sign_count=$1, backup_state=$2, last_used_at=$3 "
       "WHERE id=$4 AND sign_count=$5"},
      {"credential_exists", "SELECT 1 FROM credentials WHERE id=$1"},
      {"credential_nickname", "UPDATE credentials SET nickname=$1 WHERE id=$2"},
      {"credential_delete", "DELETE FROM credentials WHERE id=$1"},
      {"challenge_delete_principal", "DELETE FROM challenges WHERE principal_id=$1"},
      {"credential_delete_principal", "DELETE FROM credentials WHERE principal_id=$1"},
      {"principal_delete", "DELETE FROM principals WHERE id=$1"},
      {"challenge_expire", "DELETE FROM challenges WHERE expires_at < $1"},
      {"challenge_insert",
       "INSERT INTO challenges(challenge, purpose, principal_id, state, created_at, expires_at, "
       "used_at) VALUES($1,$2,$3,$4,$5,$6,$7)"},
      {"challenge_read",
       "SELECT challenge, purpose, principal_id, state, created_at, expires_at, used_at "
       "FROM challenges WHERE challenge=$1"},
      {"challenge_spend",
       "UPDATE challenges SET used_at=$1 WHERE challenge=$2 AND used_at IS NULL"},
      {"challenge_list",
       "SELECT challenge, purpose, state, created_at, expires_at, used_at IS NOT NULL "
       "FROM challenges WHERE principal_id=$1 ORDER BY created_at"},
      // ONE statement, so ONE snapshot: the challenge, the credential's principal and every
      // credential of that principal (the credential itself among them).
      {"login_snapshot",
       "SELECT ch.purpose, ch.principal_id, ch.state, ch.created_at, ch.expires_at, "
       "ch.used_at IS NOT NULL, me.id IS NOT NULL, " +
           Cols("p.", kPrincipalColumns) + ", " + Cols("c.", kCredentialColumns) +
           " FROM (SELECT $1::bytea AS k) q"
           " LEFT JOIN challenges ch ON ch.challenge = q.k"
           " LEFT JOIN credentials me ON me.id = $2::bytea"
           " LEFT JOIN principals p ON p.id = me.principal_id"
           " LEFT JOIN credentials c ON c.principal_id = me.principal_id"
           " ORDER BY c.created_at, c.id"},
      {"login_write",
       "SELECT kw_login_write($1,$2,$3,$4,$5,$6,$7,$8,$9,$10,$11,$12,$13,$14,$15,$16)"},
      {"audit_append", "SELECT kw_audit_append($1,$2,$3,$4)"},
      {"audit_tail",
       "SELECT line FROM (SELECT seq, line FROM audit ORDER BY seq DESC LIMIT $1) t ORDER BY seq"},
      {"audit_all", "SELECT line FROM audit ORDER BY seq"},
      {"audit_for", "SELECT line FROM audit WHERE principal=$1 ORDER BY seq"},
      {"audit_head", "SELECT seq, hash FROM audit_head WHERE id=1"},
      {"web_state_put",
       "INSERT INTO web_state(key, kind, data, expires_at) VALUES($1,$2,$3,$4) "
       "ON CONFLICT (key) DO UPDATE SET kind=EXCLUDED.kind, data=EXCLUDED.data, "
       "expires_at=EXCLUDED.expires_at"},
      // Inserts unless a live row holds the key (an expired one is replaced) and returns the
      // holder. A row committed by another node after this statement's snapshot makes the
      // upsert a no-op that the outer SELECT cannot see: the caller then reads it (web_state_get).
      {"web_state_put_if_absent",
       "WITH ins AS (INSERT INTO web_state(key, kind, data, expires_at) VALUES($1,$2,$3,$4) "
       "ON CONFLICT (key) DO UPDATE SET kind=EXCLUDED.kind, data=EXCLUDED.data, "
       "expires_at=EXCLUDED.expires_at WHERE web_state.expires_at <= $5 "
       "RETURNING kind, data, expires_at) "
       "SELECT kind, data, expires_at FROM ins UNION ALL "
       "SELECT kind, data, expires_at FROM web_state WHERE key=$1 AND expires_at > $5 "
       "AND NOT EXISTS (SELECT 1 FROM ins)"},
      {"web_state_get",
       "SELECT kind, data, expires_at FROM web_state WHERE key=$1 AND expires_at > $2"},
      // READ COMMITTED: a concurrent second DELETE waits for the first, re-checks the row, finds
      // it gone and returns nothing, so one taker wins.
      {"web_state_take",
       "DELETE FROM web_state WHERE key=$1 AND expires_at > $2 RETURNING kind, data, expires_at"},
      {"web_state_delete", "DELETE FROM web_state WHERE key=$1"},
      {"web_state_sweep",
       "DELETE FROM web_state WHERE key IN (SELECT key FROM web_state WHERE expires_at <= $1 "
       "LIMIT $2 FOR UPDATE SKIP LOCKED) RETURNING key, kind, data, expires_at"},
      {"begin", "BEGIN"},
      {"commit", "COMMIT"},
  };
  return kStatements;
}

// SQLSTATE packed as PostgreSQL's MAKE_SQLSTATE (6 bits per character).
uint32_t PackSqlState(const char* s) {
  if (s == nullptr) return 0;
  uint32_t v = 0;
  for (int i = 0; i < 5 && s[i] != '\0'; ++i) {
    v |= static_cast<uint32_t>((s[i] - '0') & 0x3f) << (6 * i);
  }
  return v;
}

bool ConnectionLost(std::string_view state) {
  return state.substr(0, 2) == "08" || state == "57P01" || state == "57P02" || state == "57P03";
}

}  // namespace

// ---- connection, results, parameters ----

class PgResult {
 public:
  explicit PgResult(PGresult* r) : r_(r) {}
  PgResult(PgResult&& o) noexcept : r_(o.r_) { o.r_ = nullptr; }
  PgResult& operator=(PgResult&& o) noexcept {
    std::swap(r_, o.r_);
    return *this;
  }
  PgResult(const PgResult&) = delete;
  ~PgResult() { PQclear(r_); }
  int Rows() const { return PQntuples(r_); }
  int Affected() const {
    const char* n = PQcmdTuples(r_);
    return n == nullptr || *n == '\0' ? 0 : std::atoi(n);
  }
  bool IsNull(int row, int col) const { return PQgetisnull(r_, row, col) != 0; }
  std::string Text(int row, int col) const {
    return std::string(PQgetvalue(r_, row, col), static_cast<size_t>(PQgetlength(r_, row, col)));
  }
  int64_t Int(int row, int col) const {
    const char* p = PQgetvalue(r_, row, col);
    int64_t v = 0;
    std::from_chars(p, p + PQgetlength(r_, row, col), v);
    return v;
  }
  bool Bool(int row, int col) const { return PQgetvalue(r_, row, col)[0] == 't'; }
  // bytea in text form: \x followed by hex.
  Bytes Blob(int row, int col) const {
    const char* p = PQgetvalue(r_, row, col);
    const int n = PQgetlength(r_, row, col);
    Bytes out;
    if (n < 2 || p[0] != '\\' || p[1] != 'x') return out;
    out.reserve(static_cast<size_t>(n - 2) / 2);
    auto nib = [](char c) -> int {
      if (c >= '0' && c <= '9') return c - '0';
      if (c >= 'a' && c <= 'f') return c - 'a' + 10;
      return c - 'A' + 10;
    };
    for (int i = 2; i + 1 < n; i += 2) {
      out.push_back(static_cast<uint8_t>((nib(p[i]) << 4) | nib(p[i + 1])));
    }
    return out;
  }
  PGresult* raw() const { return r_; }

 private:
  PGresult* r_;
};

// Parameters of one statement: text format, except bytea (binary).
class PgParams {
 public:
  PgParams& Add(int64_t v) { return Push(std::to_string(v), 0); }
  PgParams& Add(std::string_view s) { return Push(std::string(s), 0); }
  PgParams& Add(const char* s) { return Push(std::string(s), 0); }
  PgParams& Add(const std::string& s) { return Push(s, 0); }
  PgParams& AddBool(bool b) { return Push(b ? "t" : "f", 0); }
  PgParams& AddBytes(ByteSpan b) {
    return Push(std::string(reinterpret_cast<const char*>(b.data()), b.size()), 1);
  }
  PgParams& AddNull() {
    values_.emplace_back();
    formats_.push_back(0);
    null_.push_back(true);
    return *this;
  }
  PgParams& AddTextOrNull(const std::string& s) { return s.empty() ? AddNull() : Add(s); }

  int count() const { return static_cast<int>(values_.size()); }
  // Pointers valid while this object lives and is not modified.
  void Build() {
    ptrs_.clear();
    lengths_.clear();
    for (size_t i = 0; i < values_.size(); ++i) {
      ptrs_.push_back(null_[i] ? nullptr : values_[i].data());
      lengths_.push_back(static_cast<int>(values_[i].size()));
    }
  }
  const char* const* values() const { return ptrs_.data(); }
  const int* lengths() const { return lengths_.data(); }
  const int* formats() const { return formats_.data(); }

 private:
  PgParams& Push(std::string v, int format) {
    values_.push_back(std::move(v));
    formats_.push_back(format);
    null_.push_back(false);
    return *this;
  }
  std::vector<std::string> values_;
  std::vector<int> formats_;
  std::vector<bool> null_;
  std::vector<const char*> ptrs_;
  std::vector<int> lengths_;
};

class PgConnection {
 public:
  explicit PgConnection(PGconn* c, uint64_t generation) : conn_(c), generation_(generation) {}
  ~PgConnection() { PQfinish(conn_); }
  PgConnection(const PgConnection&) = delete;
  PgConnection& operator=(const PgConnection&) = delete;

  PGconn* raw() const { return conn_; }
  uint64_t generation() const { return generation_; }
  bool broken() const { return broken_ || PQstatus(conn_) != CONNECTION_OK; }
  void MarkBroken() { broken_ = true; }

  // The error of a failed result (or of the connection when `r` is null), mapped.
  Error ErrorOf(const PGresult* r, std::string_view what) {
    const char* state = r != nullptr ? PQresultErrorField(r, PG_DIAG_SQLSTATE) : nullptr;
    std::string_view st = state != nullptr ? state : "";
    ErrorCode code = ErrorCode::kStoreIo;
    if (PQstatus(conn_) != CONNECTION_OK || ConnectionLost(st) || r == nullptr) {
      code = ErrorCode::kStoreUnavailable;
      broken_ = true;
    } else if (st == "23505") {
      code = ErrorCode::kAlreadyExists;
    } else if (st == "23503") {
      code = ErrorCode::kNotFound;
    } else if (st == "40001" || st == "40P01" || st == "55P03" || st == "57014") {
      code = ErrorCode::kStoreBusy;
    } else if (st == "XX001" || st == "XX002") {
      code = ErrorCode::kStoreCorrupt;
    } else if (st == "KW002") {
      code = ErrorCode::kStoreConflict;
    } else if (st == "KW004") {
      code = ErrorCode::kNotFound;
    }
    std::string detail(what);
    detail += ": ";
    const char* msg = r != nullptr ? PQresultErrorMessage(r) : PQerrorMessage(conn_);
    detail += msg != nullptr && *msg != '\0' ? msg : PQerrorMessage(conn_);
    while (!detail.empty() && (detail.back() == '\n' || detail.back() == ' ')) detail.pop_back();
    return Error{code, PackSqlState(state), std::move(detail)};
  }

  // Runs a prepared statement (name from Statements()) synchronously.
  Result<PgResult> Exec(const char* name, PgParams& params) {
    params.Build();
    PgResult r(PQexecPrepared(conn_, name, params.count(), params.values(), params.lengths(),
                              params.formats(), 0));
    return Check(std::move(r), name);
  }
  Result<PgResult> Exec(const char* name) {
    PgParams none;
    return Exec(name, none);
  }
  Result<PgResult> Simple(const char* sql) { return Check(PgResult(PQexec(conn_, sql)), "query"); }
  Result<PgResult> Check(PgResult r, std::string_view what) {
    const ExecStatusType st = r.raw() != nullptr ? PQresultStatus(r.raw()) : PGRES_FATAL_ERROR;
    if (st == PGRES_COMMAND_OK || st == PGRES_TUPLES_OK || st == PGRES_PIPELINE_SYNC) {
      return r;
    }
    return Fail(ErrorOf(r.raw(), what));
  }

  // Ends a transaction that failed (or is being abandoned); the connection stays usable.
  void Rollback() {
    if (broken()) return;
    if (PQtransactionStatus(conn_) == PQTRANS_IDLE) return;
    PgResult r(PQexec(conn_, "ROLLBACK"));
    if (PQresultStatus(r.raw()) != PGRES_COMMAND_OK) broken_ = true;
  }

  // Prepares every statement (one pipeline, one round trip).
  Result<void> PrepareAll() {
    if (PQenterPipelineMode(conn_) != 1) return Fail(ErrorOf(nullptr, "pipeline"));
    for (const auto& [name, sql] : Statements()) {
      if (PQsendPrepare(conn_, name.c_str(), sql.c_str(), 0, nullptr) != 1) {
        return Fail(ErrorOf(nullptr, "prepare"));
      }
    }
    if (PQpipelineSync(conn_) != 1) return Fail(ErrorOf(nullptr, "prepare"));
    std::optional<Error> first;
    for (size_t i = 0; i < Statements().size(); ++i) {
      auto r = NextResult("prepare " + std::to_string(i));
      if (!r && !first) first = r.error();
    }
    auto sync = NextResult("prepare sync");
    if (!sync && !first) first = sync.error();
    PQexitPipelineMode(conn_);
    if (first) return Fail(*first);
    return Ok();
  }

  // In pipeline mode: the next command's result (consumes its terminating null).
  Result<PgResult> NextResult(std::string_view what) {
    PgResult r(PQgetResult(conn_));
    if (r.raw() == nullptr) return Fail(ErrorOf(nullptr, what));
    const ExecStatusType st = PQresultStatus(r.raw());
    if (st != PGRES_PIPELINE_SYNC) {
      // Each command's result is followed by a null.
      PgResult end(PQgetResult(conn_));
      (void)end;
    }
    if (st == PGRES_PIPELINE_ABORTED) {
      return Fail(ErrorCode::kStoreIo, std::string(what) + ": skipped after an earlier error");
    }
    return Check(std::move(r), what);
  }

 private:
  PGconn* conn_;
  uint64_t generation_;
  bool broken_ = false;
};

// A leased connection; returns it to the pool (or drops it when broken) on destruction.
class PgLease {
 public:
  PgLease(PgStore* store, std::unique_ptr<PgConnection> c) : store_(store), c_(std::move(c)) {}
  PgLease(PgLease&& o) noexcept : store_(o.store_), c_(std::move(o.c_)) {}
  PgLease(const PgLease&) = delete;
  ~PgLease() {
    if (c_ != nullptr) {
      c_->Rollback();
      const bool broken = c_->broken();
      store_->Release(std::move(c_), broken);
    }
  }
  PgConnection* operator->() { return c_.get(); }
  PgConnection& operator*() { return *c_; }

 private:
  PgStore* store_;
  std::unique_ptr<PgConnection> c_;
};

namespace {

Principal ReadPrincipal(const PgResult& r, int row, int col0 = 0) {
  Principal p;
  p.id = r.Text(row, col0);
  p.user_handle = r.Blob(row, col0 + 1);
  p.name = r.Text(row, col0 + 2);
  p.display_name = r.Text(row, col0 + 3);
  p.created_at = r.Int(row, col0 + 4);
  return p;
}

std::vector<std::string> SplitTransports(const std::string& s) {
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
std::string JoinTransports(const std::vector<std::string>& t) {
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

Result<Credential> ReadCredential(const PgResult& r, int row, int c0 = 0) {
  Credential c;
  c.id = r.Blob(row, c0 + 0);
  c.principal_id = r.Text(row, c0 + 1);
  auto kind = CredentialKindFromName(r.Text(row, c0 + 2));
  if (!kind) return Fail(ErrorCode::kStoreCorrupt, "unknown credential kind in the store");
  c.kind = *kind;
  c.public_key = r.Blob(row, c0 + 3);
  c.certificate = r.Blob(row, c0 + 4);
  c.alg = r.Int(row, c0 + 5);
  c.sign_count = static_cast<uint32_t>(r.Int(row, c0 + 6));
  if (!r.IsNull(row, c0 + 7)) {
    Bytes a = r.Blob(row, c0 + 7);
    if (a.size() != 16) return Fail(ErrorCode::kStoreCorrupt, "AAGUID is not 16 bytes");
    std::array<uint8_t, 16> g{};
    std::copy(a.begin(), a.end(), g.begin());
    c.aaguid = g;
  }
  c.cert_issuer = r.Text(row, c0 + 8);
  c.cert_serial = r.Text(row, c0 + 9);
  c.cert_subject = r.Text(row, c0 + 10);
  c.attestation_fmt = r.Text(row, c0 + 11);
  c.attestation_type = r.Text(row, c0 + 12);
  c.trust_status = r.Text(row, c0 + 13);
  c.trust_anchor = r.Text(row, c0 + 14);
  c.transports = SplitTransports(r.Text(row, c0 + 15));
  c.backup_eligible = r.Bool(row, c0 + 16);
  c.backup_state = r.Bool(row, c0 + 17);
  c.user_verified_at_registration = r.Bool(row, c0 + 18);
  c.created_at = r.Int(row, c0 + 19);
  c.last_used_at = r.Int(row, c0 + 20);
  c.nickname = r.Text(row, c0 + 21);
  KW_ASSIGN_OR_RETURN(c.certificate_intermediates, UnpackCertificates(r.Blob(row, c0 + 22)));
  return c;
}

void BindCredential(PgParams& p, const Credential& c) {
  p.AddBytes(c.id)
      .Add(c.principal_id)
      .Add(CredentialKindName(c.kind))
      .AddBytes(c.public_key)
      .AddBytes(c.certificate)
      .Add(c.alg)
      .Add(static_cast<int64_t>(c.sign_count));
  if (c.aaguid) {
    p.AddBytes(ByteSpan(*c.aaguid));
  } else {
    p.AddNull();
  }
  p.Add(c.cert_issuer)
      .Add(c.cert_serial)
      .Add(c.cert_subject)
      .Add(c.attestation_fmt)
      .Add(c.attestation_type)
      .Add(c.trust_status)
      .Add(c.trust_anchor)
      .Add(JoinTransports(c.transports))
      .AddBool(c.backup_eligible)
      .AddBool(c.backup_state)
      .AddBool(c.user_verified_at_registration)
      .Add(c.created_at)
      .Add(c.last_used_at)
      .Add(c.nickname)
      .AddBytes(PackCertificates(c.certificate_intermediates));
}

ChallengeRecord ReadChallenge(const PgResult& r, int row) {
  ChallengeRecord c;
  c.challenge = r.Blob(row, 0);
  c.purpose = r.Text(row, 1);
  c.principal_id = r.IsNull(row, 2) ? std::string() : r.Text(row, 2);
  c.state_json = r.Text(row, 3);
  c.created_at = r.Int(row, 4);
  c.expires_at = r.Int(row, 5);
  c.used = !r.IsNull(row, 6);
  c.used_at = c.used ? r.Int(row, 6) : 0;
  return c;
}

Result<ChallengeRecord> CheckChallenge(ChallengeRecord r, std::string_view purpose, int64_t now) {
  if (r.purpose != purpose) {
    return Fail(ErrorCode::kChallengeUnknown, "challenge was issued for another ceremony");
  }
  if (r.used) return Fail(ErrorCode::kChallengeReplayed, "challenge already used");
  if (now >= r.expires_at) return Fail(ErrorCode::kChallengeExpired, "challenge expired");
  return r;
}

Result<std::vector<std::string>> FirstColumn(const PgResult& r) {
  std::vector<std::string> out;
  out.reserve(static_cast<size_t>(r.Rows()));
  for (int i = 0; i < r.Rows(); ++i) out.push_back(r.Text(i, 0));
  return out;
}

// COPY text format: backslash, tab, newline and carriage return escaped.
void CopyText(std::string& out, std::string_view s) {
  for (char c : s) {
    switch (c) {
      case '\\':
        out += "\\\\";
        break;
      case '\t':
        out += "\\t";
        break;
      case '\n':
        out += "\\n";
        break;
      case '\r':
        out += "\\r";
        break;
      default:
        out += c;
    }
  }
}
void CopyBytes(std::string& out, ByteSpan b) {
  out += "\\\\x";
  out += HexEncode(b);
}

}  // namespace

// ---- the store ----

PgStore::PgStore(std::string conninfo, const Options& options)
    : conninfo_(std::move(conninfo)), options_(options) {}

PgStore::~PgStore() = default;

Result<std::unique_ptr<PgStore>> PgStore::Open(const std::string& conninfo,
                                               const Options& options) {
  if (options.pool_size < 1) return Fail(ErrorCode::kConfigInvalid, "pool size must be >= 1");
  std::unique_ptr<PgStore> store(new PgStore(conninfo, options));
  KW_TRY(store->Migrate());
  return store;
}

Result<std::unique_ptr<PgConnection>> PgStore::Connect() {
  const std::string timeout = std::to_string(options_.connect_timeout_s);
  const std::string pg_options =
      "-c statement_timeout=" + std::to_string(options_.statement_timeout_ms) +
      " -c idle_in_transaction_session_timeout=60000 -c client_min_messages=warning";
  // Defaults first: the URL (expanded from dbname) overrides any of them it sets.
  const char* keys[] = {"connect_timeout", "options", "application_name",
                        "client_encoding", "dbname",  nullptr};
  const char* values[] = {timeout.c_str(), pg_options.c_str(), "keyward",
                          "UTF8",          conninfo_.c_str(),  nullptr};
  uint64_t generation = 0;
  {
    std::lock_guard lock(pool_mu_);
    generation = generation_;
  }
  PGconn* raw = PQconnectdbParams(keys, values, /*expand_dbname=*/1);
  auto conn = std::make_unique<PgConnection>(raw, generation);
  if (raw == nullptr || PQstatus(raw) != CONNECTION_OK) {
    std::string msg = raw != nullptr ? PQerrorMessage(raw) : "out of memory";
    while (!msg.empty() && (msg.back() == '\n' || msg.back() == ' ')) msg.pop_back();
    // Never echo the conninfo: it may hold a password.
    return Fail(ErrorCode::kStoreUnavailable, "cannot connect to PostgreSQL: " + msg);
  }
  // UTF-8 end to end: the audit hash is over the UTF-8 bytes of each record.
  const char* enc = PQparameterStatus(raw, "server_encoding");
  if (enc == nullptr || std::string_view(enc) != "UTF8") {
    return Fail(ErrorCode::kConfigInvalid, "the PostgreSQL database must use encoding UTF8");
  }
  return conn;
}

Result<PgLease> PgStore::Acquire() {
  const auto deadline =
      std::chrono::steady_clock::now() + std::chrono::milliseconds(options_.acquire_timeout_ms);
  std::unique_lock lock(pool_mu_);
  for (;;) {
    while (!idle_.empty()) {
      std::unique_ptr<PgConnection> c = std::move(idle_.back());
      idle_.pop_back();
      if (c->generation() == generation_ && !c->broken()) return PgLease(this, std::move(c));
      --open_;  // opened before a failure was seen: the server it talked to is gone
    }
    if (open_ < static_cast<size_t>(options_.pool_size)) {
      ++open_;
      lock.unlock();
      auto c = Connect();
      if (c) {
        auto prepared = (*c)->PrepareAll();
        if (prepared) return PgLease(this, std::move(*c));
        c = Fail(prepared.error());
      }
      lock.lock();
      --open_;
      pool_cv_.notify_one();
      return Fail(c.error());
    }
    if (pool_cv_.wait_until(lock, deadline) == std::cv_status::timeout && idle_.empty() &&
        open_ >= static_cast<size_t>(options_.pool_size)) {
      return Fail(ErrorCode::kStoreBusy, "no free PostgreSQL connection in the pool");
    }
  }
}

void PgStore::Release(std::unique_ptr<PgConnection> conn, bool broken) {
  std::lock_guard lock(pool_mu_);
  if (broken) {
    // Every connection opened before this failure is suspect: drop them as they come back.
    if (conn->generation() == generation_) ++generation_;
    --open_;
  } else if (conn->generation() != generation_) {
    --open_;
  } else {
    idle_.push_back(std::move(conn));
  }
  pool_cv_.notify_one();
}

size_t PgStore::OpenConnections() {
  std::lock_guard lock(pool_mu_);
  return open_;
}

Result<void> PgStore::Migrate() {
  // Its own connection: the pool's prepare every statement, which needs the tables.
  KW_ASSIGN_OR_RETURN(std::unique_ptr<PgConnection> c, Connect());
  KW_TRY(c->Simple("BEGIN"));
  KW_TRY(c->Simple(kMigrationLock));
  KW_TRY(c->Simple("CREATE TABLE IF NOT EXISTS schema_version (version integer NOT NULL)"));
  int version = 0;
  {
    KW_ASSIGN_OR_RETURN(PgResult r, c->Simple("SELECT max(version) FROM schema_version"));
    if (r.Rows() == 1 && !r.IsNull(0, 0)) version = static_cast<int>(r.Int(0, 0));
  }
  if (version > kSchemaVersion) {
    return Fail(ErrorCode::kSchemaVersionUnsupported,
                "store schema version " + std::to_string(version) + " is newer than " +
                    std::to_string(kSchemaVersion),
                static_cast<uint32_t>(version));
  }
  for (int v = version; v < kMigrationCount; ++v) {
    KW_TRY(c->Simple(kMigrations[v]));
    const std::string sql =
        "INSERT INTO schema_version(version) VALUES(" + std::to_string(v + 1) + ")";
    KW_TRY(c->Simple(sql.c_str()));
  }
  {
    // The per-store pseudonym key, created once (the first node to migrate wins).
    KW_ASSIGN_OR_RETURN(Bytes key, RandomBytes(32));
    PgParams p;
    p.AddBytes(key);
    p.Build();
    PgResult ins(PQexecParams(c->raw(),
                              "INSERT INTO meta(key, value) VALUES('pseudonym_key', $1) "
                              "ON CONFLICT (key) DO NOTHING",
                              1, nullptr, p.values(), p.lengths(), p.formats(), 0));
    KW_TRY(c->Check(std::move(ins), "meta"));
    KW_ASSIGN_OR_RETURN(PgResult r, c->Simple("SELECT value FROM meta WHERE key='pseudonym_key'"));
    if (r.Rows() != 1) return Fail(ErrorCode::kStoreCorrupt, "pseudonym key missing");
    pseudonym_key_ = SecretBytes(r.Blob(0, 0));
  }
  KW_TRY(c->Simple("COMMIT"));
  return Ok();
}

std::string PgStore::Pseudonym(std::string_view principal_id) const {
  return PrincipalPseudonym(pseudonym_key_.reveal(), principal_id);
}

std::string PgStore::CredentialPseudonym(ByteSpan credential_id) const {
  return authenticator::CredentialPseudonym(pseudonym_key_.reveal(), credential_id);
}

PgStore::AuditPieces PgStore::Pieces(const AuditEvent& e) const {
  AuditPieces p;
  p.principal = Pseudonym(e.principal_id);
  AuditTemplate t =
      SplitAuditRecord(AuditBody(e, p.principal, CredentialPseudonym(e.credential_id)));
  p.before_prev = std::move(t.before_prev);
  p.before_seq = std::move(t.before_seq);
  p.after_seq = std::move(t.after_seq);
  return p;
}

Result<void> PgStore::AppendAuditOn(PgConnection& c, const AuditEvent& e) {
  AuditPieces p = Pieces(e);
  PgParams params;
  params.Add(p.principal).Add(p.before_prev).Add(p.before_seq).Add(p.after_seq);
  KW_TRY(c.Exec("audit_append", params));
  return Ok();
}

namespace {
// BEGIN … COMMIT around `body` on one leased connection; rolled back (by the lease) on error.
template <typename Body>
Result<void> InTransaction(PgLease& c, Body body) {
  KW_TRY(c->Exec("begin"));
  KW_TRY(body(*c));
  KW_TRY(c->Exec("commit"));
  return Ok();
}
}  // namespace

Result<void> PgStore::AppendAudit(const AuditEvent& event) {
  KW_ASSIGN_OR_RETURN(PgLease c, Acquire());
  // One statement: its own transaction.
  return AppendAuditOn(*c, event);
}

Result<void> PgStore::CreatePrincipal(const Principal& p, const AuditEvent* audit) {
  KW_ASSIGN_OR_RETURN(PgLease c, Acquire());
  return InTransaction(c, [&](PgConnection& conn) -> Result<void> {
    PgParams params;
    params.Add(p.id).AddBytes(p.user_handle).Add(p.name).Add(p.display_name).Add(p.created_at);
    KW_TRY(conn.Exec("principal_insert", params));
    if (audit != nullptr) KW_TRY(AppendAuditOn(conn, *audit));
    return Ok();
  });
}

namespace {
Result<Principal> OnePrincipal(Result<PgResult> r) {
  if (!r) return Fail(r.error());
  if (r->Rows() == 0) return Fail(ErrorCode::kNotFound, "no such principal");
  return ReadPrincipal(*r, 0);
}
}  // namespace

Result<Principal> PgStore::GetPrincipal(std::string_view id) {
  KW_ASSIGN_OR_RETURN(PgLease c, Acquire());
  PgParams p;
  p.Add(id);
  return OnePrincipal(c->Exec("principal_by_id", p));
}

Result<Principal> PgStore::FindPrincipalByName(std::string_view name) {
  KW_ASSIGN_OR_RETURN(PgLease c, Acquire());
  PgParams p;
  p.Add(name);
  return OnePrincipal(c->Exec("principal_by_name", p));
}

Result<Principal> PgStore::FindPrincipalByUserHandle(ByteSpan user_handle) {
  KW_ASSIGN_OR_RETURN(PgLease c, Acquire());
  PgParams p;
  p.AddBytes(user_handle);
  return OnePrincipal(c->Exec("principal_by_handle", p));
}

Result<std::vector<Principal>> PgStore::ListPrincipals() {
  KW_ASSIGN_OR_RETURN(PgLease c, Acquire());
  KW_ASSIGN_OR_RETURN(PgResult r, c->Exec("principal_list"));
  std::vector<Principal> out;
  for (int i = 0; i < r.Rows(); ++i) out.push_back(ReadPrincipal(r, i));
  return out;
}

Result<void> PgStore::SetDisplayName(std::string_view principal_id, std::string_view display_name,
                                     const AuditEvent* audit) {
  KW_ASSIGN_OR_RETURN(PgLease c, Acquire());
  return InTransaction(c, [&](PgConnection& conn) -> Result<void> {
    PgParams p;
    p.Add(display_name).Add(principal_id);
    KW_ASSIGN_OR_RETURN(PgResult r, conn.Exec("principal_display_name", p));
    if (r.Affected() != 1) return Fail(ErrorCode::kNotFound, "no such principal");
    if (audit != nullptr) KW_TRY(AppendAuditOn(conn, *audit));
    return Ok();
  });
}

Result<void> PgStore::AddCredential(const Credential& cred, const AuditEvent* audit) {
  KW_ASSIGN_OR_RETURN(PgLease c, Acquire());
  return InTransaction(c, [&](PgConnection& conn) -> Result<void> {
    PgParams p;
    BindCredential(p, cred);
    auto r = conn.Exec("credential_insert", p);
    if (!r) {
      Error e = r.error();
      if (e.code == ErrorCode::kNotFound) e.detail = "no such principal";
      return Fail(std::move(e));
    }
    if (audit != nullptr) KW_TRY(AppendAuditOn(conn, *audit));
    return Ok();
  });
}

Result<Credential> PgStore::GetCredential(ByteSpan credential_id) {
  KW_ASSIGN_OR_RETURN(PgLease c, Acquire());
  PgParams p;
  p.AddBytes(credential_id);
  KW_ASSIGN_OR_RETURN(PgResult r, c->Exec("credential_by_id", p));
  if (r.Rows() == 0) return Fail(ErrorCode::kNotFound, "no such credential");
  return ReadCredential(r, 0);
}

Result<std::vector<Credential>> PgStore::ListCredentials(std::string_view principal_id) {
  KW_ASSIGN_OR_RETURN(PgLease c, Acquire());
  PgParams p;
  p.Add(principal_id);
  KW_ASSIGN_OR_RETURN(PgResult r, c->Exec("credential_list", p));
  std::vector<Credential> out;
  for (int i = 0; i < r.Rows(); ++i) {
    KW_ASSIGN_OR_RETURN(Credential cred, ReadCredential(r, i));
    out.push_back(std::move(cred));
  }
  return out;
}

namespace {
Result<void> CasSignCount(PgConnection& conn, ByteSpan id, uint32_t expected, uint32_t next,
                          bool bs, int64_t used_at) {
  PgParams p;
  p.Add(static_cast<int64_t>(next))
      .AddBool(bs)
      .Add(used_at)
      .AddBytes(id)
      .Add(static_cast<int64_t>(expected));
  KW_ASSIGN_OR_RETURN(PgResult r, conn.Exec("credential_cas", p));
  if (r.Affected() == 1) return Ok();
  PgParams q;
  q.AddBytes(id);
  KW_ASSIGN_OR_RETURN(PgResult e, conn.Exec("credential_exists", q));
  if (e.Rows() == 0) return Fail(ErrorCode::kNotFound, "no such credential");
  return Fail(ErrorCode::kStoreConflict, "sign count changed concurrently");
}

Result<void> Spend(PgConnection& conn, ByteSpan challenge, int64_t now) {
  PgParams p;
  p.Add(now).AddBytes(challenge);
  KW_ASSIGN_OR_RETURN(PgResult r, conn.Exec("challenge_spend", p));
  if (r.Affected() != 1) return Fail(ErrorCode::kChallengeReplayed, "challenge already used");
  return Ok();
}
}  // namespace

Result<void> PgStore::RecordUse(ByteSpan credential_id, uint32_t expected_sign_count,
                                uint32_t new_sign_count, bool backup_state, int64_t used_at,
                                const AuditEvent* audit) {
  KW_ASSIGN_OR_RETURN(PgLease c, Acquire());
  return InTransaction(c, [&](PgConnection& conn) -> Result<void> {
    KW_TRY(CasSignCount(conn, credential_id, expected_sign_count, new_sign_count, backup_state,
                        used_at));
    if (audit != nullptr) KW_TRY(AppendAuditOn(conn, *audit));
    return Ok();
  });
}

Result<void> PgStore::SetNickname(ByteSpan credential_id, std::string_view nickname,
                                  const AuditEvent* audit) {
  KW_ASSIGN_OR_RETURN(PgLease c, Acquire());
  return InTransaction(c, [&](PgConnection& conn) -> Result<void> {
    PgParams p;
    p.Add(nickname).AddBytes(credential_id);
    KW_ASSIGN_OR_RETURN(PgResult r, conn.Exec("credential_nickname", p));
    if (r.Affected() != 1) return Fail(ErrorCode::kNotFound, "no such credential");
    if (audit != nullptr) KW_TRY(AppendAuditOn(conn, *audit));
    return Ok();
  });
}

Result<void> PgStore::RemoveCredential(ByteSpan credential_id, const AuditEvent* audit) {
  KW_ASSIGN_OR_RETURN(PgLease c, Acquire());
  return InTransaction(c, [&](PgConnection& conn) -> Result<void> {
    PgParams p;
    p.AddBytes(credential_id);
    KW_ASSIGN_OR_RETURN(PgResult r, conn.Exec("credential_delete", p));
    if (r.Affected() != 1) return Fail(ErrorCode::kNotFound, "no such credential");
    if (audit != nullptr) KW_TRY(AppendAuditOn(conn, *audit));
    return Ok();
  });
}

Result<void> PgStore::ErasePrincipal(std::string_view principal_id, const AuditEvent* audit) {
  KW_ASSIGN_OR_RETURN(PgLease c, Acquire());
  return InTransaction(c, [&](PgConnection& conn) -> Result<void> {
    for (const char* stmt : {"challenge_delete_principal", "credential_delete_principal"}) {
      PgParams p;
      p.Add(principal_id);
      KW_TRY(conn.Exec(stmt, p));
    }
    PgParams p;
    p.Add(principal_id);
    KW_ASSIGN_OR_RETURN(PgResult r, conn.Exec("principal_delete", p));
    if (r.Affected() != 1) return Fail(ErrorCode::kNotFound, "no such principal");
    if (audit != nullptr) KW_TRY(AppendAuditOn(conn, *audit));
    return Ok();
  });
}

Result<void> PgStore::PutChallenge(const ChallengeRecord& rec) {
  KW_ASSIGN_OR_RETURN(PgLease c, Acquire());
  return InTransaction(c, [&](PgConnection& conn) -> Result<void> {
    {
      // Housekeeping as SqliteStore: challenges a day past expiry are dropped.
      PgParams p;
      p.Add(rec.created_at - 86400);
      KW_TRY(conn.Exec("challenge_expire", p));
    }
    PgParams p;
    p.AddBytes(rec.challenge).Add(rec.purpose).AddTextOrNull(rec.principal_id);
    p.Add(rec.state_json).Add(rec.created_at).Add(rec.expires_at).AddNull();
    auto r = conn.Exec("challenge_insert", p);
    if (!r) {
      Error e = r.error();
      if (e.code == ErrorCode::kNotFound) e.detail = "no such principal";
      return Fail(std::move(e));
    }
    return Ok();
  });
}

Result<ChallengeRecord> PgStore::ConsumeChallenge(ByteSpan challenge, std::string_view purpose,
                                                  int64_t now) {
  KW_ASSIGN_OR_RETURN(PgLease c, Acquire());
  ChallengeRecord rec;
  KW_TRY(InTransaction(c, [&](PgConnection& conn) -> Result<void> {
    PgParams p;
    p.AddBytes(challenge);
    KW_ASSIGN_OR_RETURN(PgResult r, conn.Exec("challenge_read", p));
    if (r.Rows() == 0) {
      return Fail(ErrorCode::kChallengeUnknown, "challenge was not issued by this store");
    }
    rec = ReadChallenge(r, 0);
    if (rec.purpose != purpose) {
      return Fail(ErrorCode::kChallengeUnknown, "challenge was issued for another ceremony");
    }
    if (rec.used) return Fail(ErrorCode::kChallengeReplayed, "challenge already used");
    return Spend(conn, challenge, now);
  }));
  // Expiry is checked after marking it used: an expired challenge is also burnt.
  if (now >= rec.expires_at) return Fail(ErrorCode::kChallengeExpired, "challenge expired");
  rec.used = true;
  rec.used_at = now;
  return rec;
}

namespace {
// The rows of the login_snapshot statement as a LoginSnapshot.
LoginSnapshot SnapshotFrom(const PgResult& r, ByteSpan challenge, std::string_view purpose,
                           int64_t now, ByteSpan credential_id) {
  LoginSnapshot snap;
  if (r.Rows() == 0 || r.IsNull(0, 0)) {
    snap.challenge = Fail(ErrorCode::kChallengeUnknown, "challenge was not issued by this store");
    return snap;
  }
  ChallengeRecord ch;
  ch.challenge = ToBytes(challenge);
  ch.purpose = r.Text(0, 0);
  ch.principal_id = r.IsNull(0, 1) ? std::string() : r.Text(0, 1);
  ch.state_json = r.Text(0, 2);
  ch.created_at = r.Int(0, 3);
  ch.expires_at = r.Int(0, 4);
  ch.used = r.Bool(0, 5);
  snap.challenge = CheckChallenge(std::move(ch), purpose, now);
  if (!snap.challenge || credential_id.empty()) return snap;
  if (!r.Bool(0, 6)) {
    snap.credential = Fail(ErrorCode::kNotFound, "no such credential");
    return snap;
  }
  constexpr int kP = 7;       // principal columns
  constexpr int kC = kP + 5;  // credential columns
  std::vector<Credential> creds;
  for (int i = 0; i < r.Rows(); ++i) {
    if (r.IsNull(i, kC)) continue;
    auto c = ReadCredential(r, i, kC);
    if (!c) {
      snap.credential = Fail(c.error());
      return snap;
    }
    creds.push_back(std::move(*c));
  }
  auto it = std::find_if(creds.begin(), creds.end(), [&](const Credential& c) {
    return std::equal(c.id.begin(), c.id.end(), credential_id.begin(), credential_id.end());
  });
  if (it == creds.end()) {
    snap.credential = Fail(ErrorCode::kNotFound, "no such credential");
    return snap;
  }
  snap.credential = *it;
  if (r.IsNull(0, kP)) {
    snap.principal = Fail(ErrorCode::kNotFound, "no such principal");
    return snap;
  }
  snap.principal = ReadPrincipal(r, 0, kP);
  snap.principal_credentials = std::move(creds);
  return snap;
}
}  // namespace

Result<void> PgStore::SpendChallenge(ByteSpan challenge, int64_t now, const AuditEvent* audit) {
  KW_ASSIGN_OR_RETURN(PgLease c, Acquire());
  return InTransaction(c, [&](PgConnection& conn) -> Result<void> {
    KW_TRY(Spend(conn, challenge, now));
    if (audit != nullptr) KW_TRY(AppendAuditOn(conn, *audit));
    return Ok();
  });
}

Result<void> PgStore::RunLogin(ByteSpan challenge, std::string_view purpose, int64_t now,
                               ByteSpan credential_id, const LoginPlanner& plan) {
  KW_ASSIGN_OR_RETURN(PgLease c, Acquire());
  PGconn* conn = c->raw();
  struct PipelineExit {
    PGconn* conn;
    ~PipelineExit() {
      if (PQpipelineStatus(conn) != PQ_PIPELINE_OFF) PQexitPipelineMode(conn);
    }
  } exit_pipeline{conn};
  if (PQenterPipelineMode(conn) != 1) return Fail(c->ErrorOf(nullptr, "pipeline"));

  // Round trip 1: BEGIN + the snapshot.
  PgParams read;
  read.AddBytes(challenge).AddBytes(credential_id);
  read.Build();
  if (PQsendQueryPrepared(conn, "begin", 0, nullptr, nullptr, nullptr, 0) != 1 ||
      PQsendQueryPrepared(conn, "login_snapshot", read.count(), read.values(), read.lengths(),
                          read.formats(), 0) != 1 ||
      PQpipelineSync(conn) != 1) {
    return Fail(c->ErrorOf(nullptr, "send login snapshot"));
  }
  auto begun = c->NextResult("begin");
  auto rows = c->NextResult("login snapshot");
  auto sync1 = c->NextResult("sync");
  if (!begun) return Fail(begun.error());
  if (!rows) return Fail(rows.error());
  if (!sync1) return Fail(sync1.error());
  const LoginSnapshot snap = SnapshotFrom(*rows, challenge, purpose, now, credential_id);
  const LoginWrite w = plan(snap);
  if (!w.spend && !w.record_use && w.audit.empty()) return Ok();  // the lease rolls back
  if (w.audit.size() > 2) return Fail(ErrorCode::kInternal, "at most two audit records per login");

  // Round trip 2: the writes (one server-side function) + COMMIT.
  PgParams write;
  write.AddBytes(challenge).Add(now).AddBool(w.spend).AddBool(w.record_use);
  write.AddBytes(w.credential_id)
      .Add(static_cast<int64_t>(w.expected_sign_count))
      .Add(static_cast<int64_t>(w.new_sign_count))
      .AddBool(w.backup_state);
  for (size_t i = 0; i < 2; ++i) {
    if (i < w.audit.size()) {
      AuditPieces p = Pieces(w.audit[i]);
      write.Add(p.principal).Add(p.before_prev).Add(p.before_seq).Add(p.after_seq);
    } else {
      write.AddNull().AddNull().AddNull().AddNull();
    }
  }
  write.Build();
  if (PQsendQueryPrepared(conn, "login_write", write.count(), write.values(), write.lengths(),
                          write.formats(), 0) != 1 ||
      PQsendQueryPrepared(conn, "commit", 0, nullptr, nullptr, nullptr, 0) != 1 ||
      PQpipelineSync(conn) != 1) {
    return Fail(c->ErrorOf(nullptr, "send login write"));
  }
  auto written = c->NextResult("login write");
  auto committed = c->NextResult("commit");
  auto sync2 = c->NextResult("sync");
  if (!written) return Fail(written.error());  // the lease rolls the aborted block back
  if (!committed) return Fail(committed.error());
  if (!sync2) return Fail(sync2.error());
  if (written->Rows() == 1 && written->Int(0, 0) == 1) {
    return Fail(ErrorCode::kChallengeReplayed, "challenge already used");
  }
  return Ok();
}

Result<std::vector<ChallengeRecord>> PgStore::ListChallenges(std::string_view principal_id) {
  KW_ASSIGN_OR_RETURN(PgLease c, Acquire());
  PgParams p;
  p.Add(principal_id);
  KW_ASSIGN_OR_RETURN(PgResult r, c->Exec("challenge_list", p));
  std::vector<ChallengeRecord> out;
  for (int i = 0; i < r.Rows(); ++i) {
    ChallengeRecord rec;
    rec.challenge = r.Blob(i, 0);
    rec.purpose = r.Text(i, 1);
    rec.principal_id = std::string(principal_id);
    rec.state_json = r.Text(i, 2);
    rec.created_at = r.Int(i, 3);
    rec.expires_at = r.Int(i, 4);
    rec.used = r.Bool(i, 5);
    out.push_back(std::move(rec));
  }
  return out;
}

Result<std::vector<std::string>> PgStore::AuditTail(size_t n) {
  KW_ASSIGN_OR_RETURN(PgLease c, Acquire());
  if (n == 0) {
    KW_ASSIGN_OR_RETURN(PgResult r, c->Exec("audit_all"));
    return FirstColumn(r);
  }
  PgParams p;
  p.Add(static_cast<int64_t>(n));
  KW_ASSIGN_OR_RETURN(PgResult r, c->Exec("audit_tail", p));
  return FirstColumn(r);
}

Result<std::vector<std::string>> PgStore::AuditFor(std::string_view principal_id) {
  KW_ASSIGN_OR_RETURN(PgLease c, Acquire());
  PgParams p;
  p.Add(Pseudonym(principal_id));
  KW_ASSIGN_OR_RETURN(PgResult r, c->Exec("audit_for", p));
  return FirstColumn(r);
}

Result<AuditVerification> PgStore::VerifyAuditChain() {
  std::vector<std::string> lines;
  int64_t head_seq = 0;
  std::string head_hash;
  {
    KW_ASSIGN_OR_RETURN(PgLease c, Acquire());
    // One snapshot for the lines and the head.
    KW_TRY(c->Simple("BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY"));
    {
      KW_ASSIGN_OR_RETURN(PgResult r, c->Exec("audit_all"));
      KW_ASSIGN_OR_RETURN(lines, FirstColumn(r));
    }
    KW_ASSIGN_OR_RETURN(PgResult h, c->Exec("audit_head"));
    if (h.Rows() == 1) {
      head_seq = h.Int(0, 0);
      head_hash = h.Text(0, 1);
    }
    KW_TRY(c->Exec("commit"));
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

Result<std::array<uint64_t, 4>> PgStore::Counts() {
  KW_ASSIGN_OR_RETURN(PgLease c, Acquire());
  KW_ASSIGN_OR_RETURN(PgResult r, c->Simple("SELECT (SELECT count(*) FROM principals), "
                                            "(SELECT count(*) FROM credentials), "
                                            "(SELECT count(*) FROM challenges), "
                                            "(SELECT count(*) FROM audit)"));
  return std::array<uint64_t, 4>{
      static_cast<uint64_t>(r.Int(0, 0)), static_cast<uint64_t>(r.Int(0, 1)),
      static_cast<uint64_t>(r.Int(0, 2)), static_cast<uint64_t>(r.Int(0, 3))};
}

Result<StoreContents> PgStore::DumpAll() {
  KW_ASSIGN_OR_RETURN(PgLease c, Acquire());
  KW_TRY(c->Simple("BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY"));
  StoreContents out;
  out.pseudonym_key = pseudonym_key_;
  {
    KW_ASSIGN_OR_RETURN(
        PgResult r,
        c->Simple(
            (std::string("SELECT ") + kPrincipalColumns + " FROM principals ORDER BY id").c_str()));
    for (int i = 0; i < r.Rows(); ++i) out.principals.push_back(ReadPrincipal(r, i));
  }
  {
    KW_ASSIGN_OR_RETURN(PgResult r, c->Simple((std::string("SELECT ") + kCredentialColumns +
                                               " FROM credentials ORDER BY id")
                                                  .c_str()));
    for (int i = 0; i < r.Rows(); ++i) {
      KW_ASSIGN_OR_RETURN(Credential cred, ReadCredential(r, i));
      out.credentials.push_back(std::move(cred));
    }
  }
  {
    KW_ASSIGN_OR_RETURN(PgResult r,
                        c->Simple("SELECT challenge, purpose, principal_id, state, created_at, "
                                  "expires_at, used_at FROM challenges ORDER BY challenge"));
    for (int i = 0; i < r.Rows(); ++i) out.challenges.push_back(ReadChallenge(r, i));
  }
  {
    KW_ASSIGN_OR_RETURN(PgResult r,
                        c->Simple("SELECT seq, principal, line, hash FROM audit ORDER BY seq"));
    for (int i = 0; i < r.Rows(); ++i) {
      out.audit.push_back(AuditRow{r.Int(i, 0), r.Text(i, 1), r.Text(i, 2), r.Text(i, 3)});
    }
  }
  KW_TRY(c->Exec("commit"));
  return out;
}

Result<void> PgStore::LoadAll(const StoreContents& in) {
  if (in.pseudonym_key.size() != 32) {
    return Fail(ErrorCode::kStoreCorrupt, "source pseudonym key is not 32 bytes");
  }
  KW_ASSIGN_OR_RETURN(PgLease c, Acquire());
  KW_TRY(c->Simple("BEGIN"));
  // No appender may run while the chain is replaced.
  KW_TRY(c->Simple("SELECT 1 FROM audit_head WHERE id=1 FOR UPDATE"));
  {
    KW_ASSIGN_OR_RETURN(
        PgResult r, c->Simple("SELECT EXISTS(SELECT 1 FROM principals) OR "
                              "EXISTS(SELECT 1 FROM audit) OR EXISTS(SELECT 1 FROM challenges)"));
    if (r.Bool(0, 0)) return Fail(ErrorCode::kAlreadyExists, "target store is not empty");
  }
  for (const Principal& p : in.principals) {
    PgParams params;
    params.Add(p.id).AddBytes(p.user_handle).Add(p.name).Add(p.display_name).Add(p.created_at);
    KW_TRY(c->Exec("principal_insert", params));
  }
  for (const Credential& cred : in.credentials) {
    PgParams params;
    BindCredential(params, cred);
    KW_TRY(c->Exec("credential_insert", params));
  }
  for (const ChallengeRecord& r : in.challenges) {
    PgParams params;
    params.AddBytes(r.challenge).Add(r.purpose).AddTextOrNull(r.principal_id);
    params.Add(r.state_json).Add(r.created_at).Add(r.expires_at);
    if (r.used) {
      params.Add(r.used_at);
    } else {
      params.AddNull();
    }
    KW_TRY(c->Exec("challenge_insert", params));
  }
  for (const AuditRow& a : in.audit) {
    PgParams params;
    params.Add(a.seq).Add(a.principal).Add(a.line).Add(a.hash);
    params.Build();
    KW_TRY(c->Check(
        PgResult(PQexecParams(c->raw(),
                              "INSERT INTO audit(seq, principal, line, hash) "
                              "VALUES($1,$2,$3,$4)",
                              4, nullptr, params.values(), params.lengths(), params.formats(), 0)),
        "audit copy"));
  }
  if (!in.audit.empty()) {
    PgParams params;
    params.Add(in.audit.back().seq).Add(in.audit.back().hash);
    params.Build();
    KW_TRY(c->Check(
        PgResult(PQexecParams(c->raw(), "UPDATE audit_head SET seq=$1, hash=$2 WHERE id=1", 2,
                              nullptr, params.values(), params.lengths(), params.formats(), 0)),
        "audit head"));
  }
  {
    PgParams params;
    params.AddBytes(in.pseudonym_key.reveal());
    params.Build();
    KW_TRY(c->Check(
        PgResult(PQexecParams(c->raw(), "UPDATE meta SET value=$1 WHERE key='pseudonym_key'", 1,
                              nullptr, params.values(), params.lengths(), params.formats(), 0)),
        "pseudonym key"));
  }
  KW_TRY(c->Exec("commit"));
  pseudonym_key_ = in.pseudonym_key;
  return Ok();
}

namespace {
Result<void> CopyIn(PgConnection& c, const char* sql, const std::string& data) {
  KW_ASSIGN_OR_RETURN(PgResult start, [&]() -> Result<PgResult> {
    PgResult r(PQexec(c.raw(), sql));
    if (PQresultStatus(r.raw()) != PGRES_COPY_IN) return Fail(c.ErrorOf(r.raw(), "copy"));
    return r;
  }());
  (void)start;
  if (PQputCopyData(c.raw(), data.data(), static_cast<int>(data.size())) != 1 ||
      PQputCopyEnd(c.raw(), nullptr) != 1) {
    return Fail(c.ErrorOf(nullptr, "copy data"));
  }
  PgResult end(PQgetResult(c.raw()));
  KW_TRY(c.Check(std::move(end), "copy end"));
  while (PGresult* more = PQgetResult(c.raw())) PQclear(more);
  return Ok();
}
}  // namespace

Result<void> PgStore::BulkAddPrincipals(std::span<const Principal> principals) {
  std::string data;
  for (const Principal& p : principals) {
    CopyText(data, p.id);
    data += '\t';
    CopyBytes(data, p.user_handle);
    data += '\t';
    CopyText(data, p.name);
    data += '\t';
    CopyText(data, p.display_name);
    data += '\t';
    data += std::to_string(p.created_at);
    data += '\n';
  }
  KW_ASSIGN_OR_RETURN(PgLease c, Acquire());
  return InTransaction(c, [&](PgConnection& conn) {
    return CopyIn(
        conn, "COPY principals(id, user_handle, name, display_name, created_at) FROM STDIN", data);
  });
}

Result<void> PgStore::BulkAddCredentials(std::span<const Credential> credentials) {
  std::string data;
  for (const Credential& c : credentials) {
    CopyBytes(data, c.id);
    data += '\t';
    CopyText(data, c.principal_id);
    data += '\t';
    CopyText(data, CredentialKindName(c.kind));
    data += '\t';
    CopyBytes(data, c.public_key);
    data += '\t';
    CopyBytes(data, c.certificate);
    data += '\t' + std::to_string(c.alg) + '\t' + std::to_string(c.sign_count) + '\t';
    if (c.aaguid) {
      CopyBytes(data, ByteSpan(*c.aaguid));
    } else {
      data += "\\N";
    }
    for (const std::string* s :
         {&c.cert_issuer, &c.cert_serial, &c.cert_subject, &c.attestation_fmt, &c.attestation_type,
          &c.trust_status, &c.trust_anchor}) {
      data += '\t';
      CopyText(data, *s);
    }
    data += '\t';
    CopyText(data, JoinTransports(c.transports));
    data += c.backup_eligible ? "\tt" : "\tf";
    data += c.backup_state ? "\tt" : "\tf";
    data += c.user_verified_at_registration ? "\tt" : "\tf";
    data += '\t' + std::to_string(c.created_at) + '\t' + std::to_string(c.last_used_at) + '\t';
    CopyText(data, c.nickname);
    data += '\t';
    CopyBytes(data, PackCertificates(c.certificate_intermediates));
    data += '\n';
  }
  KW_ASSIGN_OR_RETURN(PgLease c, Acquire());
  const std::string sql = std::string("COPY credentials(") + kCredentialColumns + ") FROM STDIN";
  return InTransaction(c, [&](PgConnection& conn) { return CopyIn(conn, sql.c_str(), data); });
}

}  // namespace keyward::authenticator

namespace keyward::authenticator {

Result<void> PgStore::PutWebState(const WebStateEntry& e) {
  KW_TRY(WebStateEntry::CheckKey(e.key));
  KW_ASSIGN_OR_RETURN(PgLease c, Acquire());
  PgParams p;
  p.AddBytes(e.key).Add(e.kind).Add(e.data).Add(e.expires_at);
  KW_TRY(c->Exec("web_state_put", p));
  return Ok();
}

Result<WebStateEntry> PgStore::PutWebStateIfAbsent(const WebStateEntry& e, int64_t now) {
  KW_TRY(WebStateEntry::CheckKey(e.key));
  if (e.expires_at <= now) return Fail(ErrorCode::kInvalidArgument, "web state already expired");
  {
    KW_ASSIGN_OR_RETURN(PgLease c, Acquire());
    PgParams p;
    p.AddBytes(e.key).Add(e.kind).Add(e.data).Add(e.expires_at).Add(now);
    KW_ASSIGN_OR_RETURN(PgResult r, c->Exec("web_state_put_if_absent", p));
    if (r.Rows() > 0) {
      return WebStateEntry{e.key, r.Text(0, 0), r.Text(0, 1), r.Int(0, 2)};
    }
  }
  return GetWebState(e.key, now);  // a holder committed after the statement's snapshot
}

Result<WebStateEntry> PgStore::GetWebState(ByteSpan key, int64_t now) {
  KW_TRY(WebStateEntry::CheckKey(key));
  KW_ASSIGN_OR_RETURN(PgLease c, Acquire());
  PgParams p;
  p.AddBytes(key).Add(now);
  KW_ASSIGN_OR_RETURN(PgResult r, c->Exec("web_state_get", p));
  if (r.Rows() == 0) return Fail(ErrorCode::kNotFound, "no such web state");
  return WebStateEntry{Bytes(key.begin(), key.end()), r.Text(0, 0), r.Text(0, 1), r.Int(0, 2)};
}

Result<WebStateEntry> PgStore::TakeWebState(ByteSpan key, int64_t now) {
  KW_TRY(WebStateEntry::CheckKey(key));
  KW_ASSIGN_OR_RETURN(PgLease c, Acquire());
  PgParams p;
  p.AddBytes(key).Add(now);
  KW_ASSIGN_OR_RETURN(PgResult r, c->Exec("web_state_take", p));
  if (r.Rows() == 0) return Fail(ErrorCode::kNotFound, "no such web state");
  return WebStateEntry{Bytes(key.begin(), key.end()), r.Text(0, 0), r.Text(0, 1), r.Int(0, 2)};
}

Result<void> PgStore::DeleteWebState(ByteSpan key) {
  KW_TRY(WebStateEntry::CheckKey(key));
  KW_ASSIGN_OR_RETURN(PgLease c, Acquire());
  PgParams p;
  p.AddBytes(key);
  KW_TRY(c->Exec("web_state_delete", p));
  return Ok();
}

Result<std::vector<WebStateEntry>> PgStore::SweepWebState(int64_t now, size_t limit) {
  KW_ASSIGN_OR_RETURN(PgLease c, Acquire());
  PgParams p;
  p.Add(now).Add(static_cast<int64_t>(limit));
  KW_ASSIGN_OR_RETURN(PgResult r, c->Exec("web_state_sweep", p));
  std::vector<WebStateEntry> out;
  for (int i = 0; i < r.Rows(); ++i) {
    out.push_back(WebStateEntry{r.Blob(i, 0), r.Text(i, 1), r.Text(i, 2), r.Int(i, 3)});
  }
  return out;
}

}  // namespace keyward::authenticator
