// RAII over the sqlite3 C API for the credential store: one connection, a statement cache,
// IMMEDIATE transactions, and the mapping of SQLite result codes onto keyward's store errors.
//
// Invariants:
//  - A SqliteDb always holds an open connection in WAL mode with busy_timeout set, foreign keys
//    on, synchronous=FULL (a committed transaction survives a process crash and a power loss)
//    and secure_delete on (erased personal data is overwritten, not left in free pages).
//  - Statements come from a cache keyed by their SQL text; a Statement handle resets and clears
//    its bindings when it goes out of scope, so a cached statement never holds a read lock.
//    BEGIN, BEGIN IMMEDIATE, COMMIT and ROLLBACK are cached statements too (a login runs them
//    every time; sqlite3_exec would compile them each time).
//  - Not thread-safe by itself: the owner serializes access (SqliteStore holds a mutex).
//
// Error mapping (Error::native = SQLite extended result code):
//   SQLITE_BUSY / SQLITE_LOCKED           → kStoreBusy
//   SQLITE_CORRUPT / SQLITE_NOTADB        → kStoreCorrupt
//   SQLITE_CONSTRAINT_PRIMARYKEY / UNIQUE → kAlreadyExists
//   anything else                         → kStoreIo
#ifndef KEYWARD_AUTHENTICATOR_SQLITE_DB_H_
#define KEYWARD_AUTHENTICATOR_SQLITE_DB_H_

#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <unordered_map>

#include "core/bytes.h"

struct sqlite3;
struct sqlite3_stmt;

namespace keyward::authenticator {

Error SqliteError(int extended_code, std::string_view what);

class Statement {
 public:
  explicit Statement(sqlite3_stmt* stmt) : stmt_(stmt) {}
  Statement(const Statement&) = delete;
  Statement& operator=(const Statement&) = delete;
  Statement(Statement&& o) noexcept : stmt_(o.stmt_) { o.stmt_ = nullptr; }
  ~Statement();

  // Parameters are 1-based, as in SQLite.
  Statement& Bind(int index, int64_t value);
  Statement& Bind(int index, std::string_view text);
  Statement& Bind(int index, ByteSpan blob);
  Statement& BindNull(int index);
  Statement& Bind(int index, const std::optional<int64_t>& value);

  // true: a row is available; false: done. Errors per the mapping above.
  Result<bool> Step();
  // Runs to completion (for INSERT/UPDATE/DELETE).
  Result<void> Run();

  bool IsNull(int column) const;
  int64_t Int(int column) const;
  std::string Text(int column) const;
  Bytes Blob(int column) const;

 private:
  sqlite3_stmt* stmt_;
};

class SqliteDb {
 public:
  // Opens (creating when `create`) the database at `path` and applies the connection settings.
  // `sync_full` false selects synchronous=NORMAL (see SqliteStore::Options).
  static Result<std::unique_ptr<SqliteDb>> Open(const std::string& path, bool create,
                                                bool sync_full = true);
  ~SqliteDb();
  SqliteDb(const SqliteDb&) = delete;
  SqliteDb& operator=(const SqliteDb&) = delete;

  Result<void> Exec(const char* sql);
  Result<Statement> Prepare(std::string_view sql);  // cached
  int Changes() const;

  Result<void> BeginImmediate();
  // A deferred BEGIN: the first read takes a snapshot, the first write then asks for the write
  // lock; kStoreBusy (native SQLITE_BUSY_SNAPSHOT) when another connection committed after the
  // snapshot was taken, or SQLITE_BUSY when one holds the write lock (no busy wait for an
  // upgrade: waiting could not make the snapshot current).
  Result<void> BeginDeferred();
  Result<void> Commit();
  // Ends the open transaction (if any) without committing.
  void Rollback() noexcept;

  sqlite3* raw() const { return db_; }

 private:
  explicit SqliteDb(sqlite3* db) : db_(db) {}
  sqlite3* db_;
  sqlite3_stmt* rollback_ = nullptr;  // prepared at Open: Rollback() must not fail or allocate
  // Keyed by the SQL text: one hash of it per lookup instead of a tree walk of string compares
  // (statements share long prefixes), on every statement of every transaction.
  struct SqlHash {
    using is_transparent = void;
    size_t operator()(std::string_view sql) const { return std::hash<std::string_view>{}(sql); }
  };
  std::unordered_map<std::string, sqlite3_stmt*, SqlHash, std::equal_to<>> cache_;
};

// BEGIN IMMEDIATE on construction (via Begin), ROLLBACK on destruction unless committed.
class Transaction {
 public:
  static Result<Transaction> Begin(SqliteDb& db);
  Transaction(Transaction&& o) noexcept : db_(o.db_) { o.db_ = nullptr; }
  Transaction(const Transaction&) = delete;
  Transaction& operator=(const Transaction&) = delete;
  ~Transaction();
  Result<void> Commit();

 private:
  explicit Transaction(SqliteDb* db) : db_(db) {}
  SqliteDb* db_;
};

}  // namespace keyward::authenticator

#endif  // KEYWARD_AUTHENTICATOR_SQLITE_DB_H_
