#include "authenticator/sqlite_db.h"

#include <sqlite3.h>

#include <string>

namespace keyward::authenticator {

Error SqliteError(int extended_code, std::string_view what) {
  const int primary = extended_code & 0xff;
  ErrorCode code = ErrorCode::kStoreIo;
  switch (primary) {
    case SQLITE_BUSY:
    case SQLITE_LOCKED:
      code = ErrorCode::kStoreBusy;
      break;
    case SQLITE_CORRUPT:
    case SQLITE_NOTADB:
      code = ErrorCode::kStoreCorrupt;
      break;
    case SQLITE_CONSTRAINT:
      if (extended_code == SQLITE_CONSTRAINT_PRIMARYKEY ||
          extended_code == SQLITE_CONSTRAINT_UNIQUE) {
        code = ErrorCode::kAlreadyExists;
      }
      break;
    default:
      break;
  }
  std::string detail(what);
  detail += ": ";
  detail += sqlite3_errstr(extended_code);
  return Error{code, static_cast<uint32_t>(extended_code), std::move(detail)};
}

Statement::~Statement() {
  if (stmt_ != nullptr) {
    sqlite3_reset(stmt_);
    sqlite3_clear_bindings(stmt_);
  }
}

Statement& Statement::Bind(int index, int64_t value) {
  sqlite3_bind_int64(stmt_, index, value);
  return *this;
}
Statement& Statement::Bind(int index, std::string_view text) {
  sqlite3_bind_text64(stmt_, index, text.data(), text.size(), SQLITE_TRANSIENT, SQLITE_UTF8);
  return *this;
}
Statement& Statement::Bind(int index, ByteSpan blob) {
  // A zero-length blob must still be a blob, not NULL.
  static const uint8_t kEmpty = 0;
  sqlite3_bind_blob64(stmt_, index, blob.empty() ? &kEmpty : blob.data(), blob.size(),
                      SQLITE_TRANSIENT);
  return *this;
}
Statement& Statement::BindNull(int index) {
  sqlite3_bind_null(stmt_, index);
  return *this;
}
Statement& Statement::Bind(int index, const std::optional<int64_t>& value) {
  return value ? Bind(index, *value) : BindNull(index);
}

Result<bool> Statement::Step() {
  const int rc = sqlite3_step(stmt_);
  if (rc == SQLITE_ROW) return true;
  if (rc == SQLITE_DONE) return false;
  const int ext = sqlite3_extended_errcode(sqlite3_db_handle(stmt_));
  return Fail(SqliteError(ext, "sqlite3_step"));
}

Result<void> Statement::Run() {
  for (;;) {
    KW_ASSIGN_OR_RETURN(bool row, Step());
    if (!row) return Ok();
  }
}

bool Statement::IsNull(int column) const {
  return sqlite3_column_type(stmt_, column) == SQLITE_NULL;
}
int64_t Statement::Int(int column) const { return sqlite3_column_int64(stmt_, column); }
std::string Statement::Text(int column) const {
  const unsigned char* p = sqlite3_column_text(stmt_, column);
  const int n = sqlite3_column_bytes(stmt_, column);
  return p == nullptr ? std::string() : std::string(reinterpret_cast<const char*>(p), n);
}
Bytes Statement::Blob(int column) const {
  const auto* p = static_cast<const uint8_t*>(sqlite3_column_blob(stmt_, column));
  const int n = sqlite3_column_bytes(stmt_, column);
  return p == nullptr ? Bytes() : Bytes(p, p + n);
}

Result<std::unique_ptr<SqliteDb>> SqliteDb::Open(const std::string& path, bool create,
                                                 bool sync_full) {
  sqlite3* raw = nullptr;
  int flags = SQLITE_OPEN_READWRITE | SQLITE_OPEN_NOMUTEX;
  if (create) flags |= SQLITE_OPEN_CREATE;
  const int rc = sqlite3_open_v2(path.c_str(), &raw, flags, nullptr);
  if (rc != SQLITE_OK) {
    const int ext = raw != nullptr ? sqlite3_extended_errcode(raw) : rc;
    sqlite3_close_v2(raw);
    Error e = SqliteError(ext, "open " + path);
    if ((ext & 0xff) == SQLITE_CANTOPEN && !create) e.code = ErrorCode::kNotFound;
    return Fail(std::move(e));
  }
  sqlite3_extended_result_codes(raw, 1);
  std::unique_ptr<SqliteDb> db(new SqliteDb(raw));
  KW_TRY(db->Exec("PRAGMA busy_timeout=10000"));
  // journal_mode returns a row; run through Prepare to read it (it is "wal" when it worked).
  {
    KW_ASSIGN_OR_RETURN(Statement s, db->Prepare("PRAGMA journal_mode=WAL"));
    KW_ASSIGN_OR_RETURN(bool row, s.Step());
    if (!row || s.Text(0) != "wal") {
      return Fail(ErrorCode::kStoreIo, "cannot switch the store to WAL mode");
    }
  }
  KW_TRY(db->Exec(sync_full ? "PRAGMA synchronous=FULL" : "PRAGMA synchronous=NORMAL"));
  KW_TRY(db->Exec("PRAGMA foreign_keys=ON"));
  KW_TRY(db->Exec("PRAGMA secure_delete=ON"));
  if (sqlite3_prepare_v3(raw, "ROLLBACK", -1, SQLITE_PREPARE_PERSISTENT, &db->rollback_, nullptr) !=
      SQLITE_OK) {
    return Fail(SqliteError(sqlite3_extended_errcode(raw), "prepare ROLLBACK"));
  }
  return db;
}

SqliteDb::~SqliteDb() {
  for (auto& [sql, stmt] : cache_) sqlite3_finalize(stmt);
  sqlite3_finalize(rollback_);
  sqlite3_close_v2(db_);
}

Result<void> SqliteDb::Exec(const char* sql) {
  const int rc = sqlite3_exec(db_, sql, nullptr, nullptr, nullptr);
  if (rc != SQLITE_OK) return Fail(SqliteError(sqlite3_extended_errcode(db_), "exec"));
  return Ok();
}

Result<Statement> SqliteDb::Prepare(std::string_view sql) {
  auto it = cache_.find(sql);
  if (it != cache_.end()) return Statement(it->second);
  sqlite3_stmt* stmt = nullptr;
  const int rc = sqlite3_prepare_v3(db_, sql.data(), static_cast<int>(sql.size()),
                                    SQLITE_PREPARE_PERSISTENT, &stmt, nullptr);
  if (rc != SQLITE_OK) {
    return Fail(SqliteError(sqlite3_extended_errcode(db_), "prepare"));
  }
  cache_.emplace(std::string(sql), stmt);
  return Statement(stmt);
}

int SqliteDb::Changes() const { return sqlite3_changes(db_); }

// BEGIN IMMEDIATE and COMMIT run once per write: through cached statements, not sqlite3_exec
// (which compiles the SQL text every time).
Result<void> SqliteDb::BeginImmediate() {
  KW_ASSIGN_OR_RETURN(Statement s, Prepare("BEGIN IMMEDIATE"));
  return s.Run();
}
Result<void> SqliteDb::BeginDeferred() {
  KW_ASSIGN_OR_RETURN(Statement s, Prepare("BEGIN"));
  return s.Run();
}
Result<void> SqliteDb::Commit() {
  KW_ASSIGN_OR_RETURN(Statement s, Prepare("COMMIT"));
  return s.Run();
}
void SqliteDb::Rollback() noexcept {
  if (sqlite3_get_autocommit(db_) != 0) return;
  if (rollback_ != nullptr) {
    sqlite3_step(rollback_);
    sqlite3_reset(rollback_);
  }
  // Still open (the prepared ROLLBACK was refused): the uncached way.
  if (sqlite3_get_autocommit(db_) == 0) sqlite3_exec(db_, "ROLLBACK", nullptr, nullptr, nullptr);
}

Result<Transaction> Transaction::Begin(SqliteDb& db) {
  KW_TRY(db.BeginImmediate());
  return Transaction(&db);
}

Transaction::~Transaction() {
  if (db_ != nullptr) db_->Rollback();
}

Result<void> Transaction::Commit() {
  if (db_ == nullptr) return Fail(ErrorCode::kInternal, "transaction already finished");
  auto r = db_->Commit();
  if (!r) {
    return r;  // destructor rolls back
  }
  db_ = nullptr;
  return Ok();
}

}  // namespace keyward::authenticator
