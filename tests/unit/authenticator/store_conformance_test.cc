// The store conformance suite: every test runs against BOTH backends (SQLite file, PostgreSQL 15
// started by scripts/with-postgres, $KEYWARD_TEST_PG_URL). CRUD, single-use challenges across
// processes, compare-and-set under threads and processes, the one-transaction login (RunLogin),
// kill -9 mid-burst, schema versioning, the audit hash chain (tampering, truncation, appends from
// several processes), copying a store. PostgreSQL-only at the end: a server restart mid-burst
// gives only store_unavailable and the pool recovers by itself.
#include <gtest/gtest.h>
#include <libpq-fe.h>
#include <signal.h>
#include <sqlite3.h>
#include <sys/wait.h>
#include <unistd.h>

#include <atomic>
#include <cstdlib>
#include <functional>
#include <set>
#include <thread>

#include "authenticator/audit_chain.h"
#include "authenticator/credential_store.h"
#include "authenticator/pg_store.h"
#include "authenticator/sqlite_store.h"
#include "authenticator/store_url.h"
#include "authenticator/web_state.h"
#include "tests/unit/authenticator/test_util.h"

namespace keyward::authenticator {
namespace {

using testing::CredentialMatchesSeed;
using testing::MakeCredential;
using testing::MakePrincipal;
using testing::TempDir;

AuditEvent Event(const std::string& what, const std::string& principal_id) {
  AuditEvent e;
  e.time = 1700000000;
  e.event = what;
  e.outcome = "success";
  e.principal_id = principal_id;
  return e;
}

// The snapshot a login would read (RunLogin with a plan that writes nothing).
LoginSnapshot Snapshot(CredentialStore& s, ByteSpan challenge, std::string_view purpose,
                       int64_t now, ByteSpan credential_id = {}) {
  LoginSnapshot out;
  auto ran = s.RunLogin(challenge, purpose, now, credential_id, [&](const LoginSnapshot& snap) {
    out = snap;
    return LoginWrite{};
  });
  EXPECT_TRUE(ran) << ran.error().ToString();
  return out;
}

// The challenge as a login reads it: unspent and unexpired, or why not.
Result<ChallengeRecord> PeekChallenge(CredentialStore& s, ByteSpan challenge,
                                      std::string_view purpose, int64_t now) {
  return Snapshot(s, challenge, purpose, now).challenge;
}

// ---- the two backends ----

class SqliteBackend {
 public:
  static constexpr const char* kName = "sqlite";
  std::string Url() const { return "sqlite:" + dir_.File("store.db"); }
  // Raw SQL outside the store (a tamperer, another tool); false when the database refused it.
  bool Raw(const std::string& sql) {
    sqlite3* db = nullptr;
    if (sqlite3_open(dir_.File("store.db").c_str(), &db) != SQLITE_OK) return false;
    const int rc = sqlite3_exec(db, sql.c_str(), nullptr, nullptr, nullptr);
    sqlite3_close(db);
    return rc == SQLITE_OK;
  }
  std::string Blob(const std::string& hex) const { return "x'" + hex + "'"; }
  std::string DisableAuditGuards() const {
    return "DROP TRIGGER audit_append_only_update; DROP TRIGGER audit_append_only_delete;";
  }

 private:
  TempDir dir_;
};

class PgBackend {
 public:
  static constexpr const char* kName = "postgresql";
  PgBackend() {
    const char* url = std::getenv("KEYWARD_TEST_PG_URL");
    if (url == nullptr || *url == '\0') {
      ADD_FAILURE() << "KEYWARD_TEST_PG_URL is not set: run under scripts/with-postgres";
      return;
    }
    url_ = url;
    // Every test starts from an empty database.
    EXPECT_TRUE(Raw("DROP SCHEMA IF EXISTS public CASCADE; CREATE SCHEMA public;"));
  }
  std::string Url() const { return url_; }
  bool Raw(const std::string& sql) {
    PGconn* c = PQconnectdb(url_.c_str());
    PQclear(PQexec(c, "SET client_min_messages=warning"));
    bool ok = PQstatus(c) == CONNECTION_OK;
    if (ok) {
      PGresult* r = PQexec(c, sql.c_str());
      ok = PQresultStatus(r) == PGRES_COMMAND_OK || PQresultStatus(r) == PGRES_TUPLES_OK;
      PQclear(r);
    }
    PQfinish(c);
    return ok;
  }
  std::string Blob(const std::string& hex) const { return "'\\x" + hex + "'::bytea"; }
  std::string DisableAuditGuards() const { return "ALTER TABLE audit DISABLE TRIGGER USER;"; }

 private:
  std::string url_;
};

template <typename B>
class StoreConformance : public ::testing::Test {
 protected:
  void SetUp() override {
    store_ = Open();
    ASSERT_NE(store_, nullptr);
    alice_ = MakePrincipal("alice");
    auto ev = Event("principal_created", alice_.id);
    ASSERT_TRUE(store_->CreatePrincipal(alice_, &ev));
  }
  std::unique_ptr<CredentialStore> Open() {
    auto url = ParseStoreUrl(backend_.Url());
    if (!url) {
      ADD_FAILURE() << url.error().ToString();
      return nullptr;
    }
    auto s = OpenCredentialStore(*url, StoreOpenOptions{});
    if (!s) {
      ADD_FAILURE() << s.error().ToString();
      return nullptr;
    }
    return std::move(s).value();
  }
  // In a forked child: its own store (connection), or _exit(3).
  std::unique_ptr<CredentialStore> OpenInChild() {
    auto url = ParseStoreUrl(backend_.Url());
    if (!url) _exit(3);
    auto s = OpenCredentialStore(*url, StoreOpenOptions{});
    if (!s) _exit(3);
    return std::move(s).value();
  }
  ChallengeRecord Challenge(uint8_t fill, int64_t created = 1000, int64_t expires = 2000) {
    ChallengeRecord r;
    r.challenge = Bytes(32, fill);
    r.purpose = "login";
    r.state_json = "{}";
    r.created_at = created;
    r.expires_at = expires;
    return r;
  }

  B backend_;
  std::unique_ptr<CredentialStore> store_;
  Principal alice_;
};

using Backends = ::testing::Types<SqliteBackend, PgBackend>;
class BackendNames {
 public:
  template <typename T>
  static std::string GetName(int) {
    return T::kName;
  }
};
TYPED_TEST_SUITE(StoreConformance, Backends, BackendNames);

// Exit statuses of racing children: 0 won, 1 lost cleanly (the expected code), 2 anything else.
void Reap(std::span<const pid_t> pids, int* wins, int* losses) {
  *wins = *losses = 0;
  for (pid_t pid : pids) {
    int status = 0;
    ASSERT_EQ(waitpid(pid, &status, 0), pid);
    ASSERT_TRUE(WIFEXITED(status));
    if (WEXITSTATUS(status) == 0) ++*wins;
    if (WEXITSTATUS(status) == 1) ++*losses;
  }
}

TYPED_TEST(StoreConformance, PrincipalRoundTripAndLookups) {
  auto& s = *this->store_;
  auto p = s.GetPrincipal(this->alice_.id);
  ASSERT_TRUE(p) << p.error().ToString();
  EXPECT_EQ(p->name, "alice");
  EXPECT_EQ(p->display_name, "Display alice");
  EXPECT_EQ(p->user_handle, this->alice_.user_handle);
  EXPECT_EQ(p->created_at, this->alice_.created_at);
  ASSERT_TRUE(s.FindPrincipalByName("alice"));
  ASSERT_TRUE(s.FindPrincipalByUserHandle(this->alice_.user_handle));
  EXPECT_EQ(s.GetPrincipal("p_missing").error().code, ErrorCode::kNotFound);
  EXPECT_EQ(s.FindPrincipalByName("bob").error().code, ErrorCode::kNotFound);
  EXPECT_EQ(s.FindPrincipalByUserHandle(Bytes{1}).error().code, ErrorCode::kNotFound);
  Principal dup = MakePrincipal("alice");
  dup.id = "p_other";
  dup.user_handle = {1, 2, 3};
  auto r = s.CreatePrincipal(dup, nullptr);
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error().code, ErrorCode::kAlreadyExists);
  ASSERT_TRUE(s.SetDisplayName(this->alice_.id, "Alice A.", nullptr));
  EXPECT_EQ(s.GetPrincipal(this->alice_.id)->display_name, "Alice A.");
  EXPECT_EQ(s.SetDisplayName("p_missing", "x", nullptr).error().code, ErrorCode::kNotFound);
  auto list = s.ListPrincipals();
  ASSERT_TRUE(list);
  EXPECT_EQ(list->size(), 1u);
}

TYPED_TEST(StoreConformance, CredentialRoundTripEveryField) {
  auto& s = *this->store_;
  for (uint32_t n = 0; n < 3; ++n)
    ASSERT_TRUE(s.AddCredential(MakeCredential(this->alice_.id, n), nullptr));
  for (uint32_t n = 0; n < 3; ++n) {
    auto c = s.GetCredential(MakeCredential(this->alice_.id, n).id);
    ASSERT_TRUE(c) << c.error().ToString();
    EXPECT_TRUE(CredentialMatchesSeed(*c, n)) << n;
  }
  auto list = s.ListCredentials(this->alice_.id);
  ASSERT_TRUE(list);
  ASSERT_EQ(list->size(), 3u);
  for (const Credential& c : *list) EXPECT_EQ(c.principal_id, this->alice_.id);
  auto dup = s.AddCredential(MakeCredential(this->alice_.id, 1), nullptr);
  ASSERT_FALSE(dup);
  EXPECT_EQ(dup.error().code, ErrorCode::kAlreadyExists);
  auto orphan = s.AddCredential(MakeCredential("p_nobody", 7), nullptr);
  ASSERT_FALSE(orphan);
  EXPECT_EQ(orphan.error().code, ErrorCode::kNotFound);
  EXPECT_EQ(s.GetCredential(Bytes{9, 9}).error().code, ErrorCode::kNotFound);
}

TYPED_TEST(StoreConformance, NicknameRemoveAndErase) {
  auto& s = *this->store_;
  Credential c = MakeCredential(this->alice_.id, 4);
  ASSERT_TRUE(s.AddCredential(c, nullptr));
  ASSERT_TRUE(s.SetNickname(c.id, "work key", nullptr));
  EXPECT_EQ(s.GetCredential(c.id)->nickname, "work key");
  EXPECT_EQ(s.SetNickname(Bytes{1}, "x", nullptr).error().code, ErrorCode::kNotFound);
  ASSERT_TRUE(s.RemoveCredential(c.id, nullptr));
  EXPECT_EQ(s.RemoveCredential(c.id, nullptr).error().code, ErrorCode::kNotFound);
  ASSERT_TRUE(s.AddCredential(MakeCredential(this->alice_.id, 5), nullptr));
  ChallengeRecord ch = this->Challenge(0x44);
  ch.principal_id = this->alice_.id;
  ASSERT_TRUE(s.PutChallenge(ch));
  auto listed = s.ListChallenges(this->alice_.id);
  ASSERT_TRUE(listed);
  EXPECT_EQ(listed->size(), 1u);
  AuditEvent ev = Event("erasure", this->alice_.id);
  ASSERT_TRUE(s.ErasePrincipal(this->alice_.id, &ev));
  EXPECT_EQ(s.GetPrincipal(this->alice_.id).error().code, ErrorCode::kNotFound);
  EXPECT_TRUE(s.ListCredentials(this->alice_.id)->empty());
  EXPECT_TRUE(s.ListChallenges(this->alice_.id)->empty());
  EXPECT_EQ(s.ErasePrincipal(this->alice_.id, &ev).error().code, ErrorCode::kNotFound);
  // The audit keeps both records, pseudonymous.
  auto mine = s.AuditFor(this->alice_.id);
  ASSERT_TRUE(mine);
  EXPECT_EQ(mine->size(), 2u);
}

TYPED_TEST(StoreConformance, SignCountCompareAndSet) {
  auto& s = *this->store_;
  Credential c = MakeCredential(this->alice_.id, 5);
  ASSERT_TRUE(s.AddCredential(c, nullptr));
  ASSERT_TRUE(s.RecordUse(c.id, 5, 6, true, 1700000100, nullptr));
  auto stale = s.RecordUse(c.id, 5, 7, true, 1700000101, nullptr);
  ASSERT_FALSE(stale);
  EXPECT_EQ(stale.error().code, ErrorCode::kStoreConflict);
  auto got = s.GetCredential(c.id);
  EXPECT_EQ(got->sign_count, 6u);
  EXPECT_EQ(got->last_used_at, 1700000100);
  EXPECT_TRUE(got->backup_state);
  EXPECT_EQ(s.RecordUse(Bytes{1, 2}, 0, 1, false, 0, nullptr).error().code, ErrorCode::kNotFound);
}

// Two threads, each with its own store (connection), race the same compare-and-set.
TYPED_TEST(StoreConformance, RacingSignCountThreads) {
  Credential c = MakeCredential(this->alice_.id, 0);
  c.sign_count = 0;
  ASSERT_TRUE(this->store_->AddCredential(c, nullptr));
  auto s1 = this->Open();
  auto s2 = this->Open();
  for (uint32_t round = 0; round < 15; ++round) {
    std::atomic<int> ready{0};
    std::atomic<bool> go{false};
    Result<void> r1, r2;
    auto run = [&](CredentialStore* s, Result<void>* out) {
      ready.fetch_add(1);
      while (!go.load()) std::this_thread::yield();
      *out = s->RecordUse(c.id, round, round + 1, false, 1700000000 + round, nullptr);
    };
    std::thread t1(run, s1.get(), &r1);
    std::thread t2(run, s2.get(), &r2);
    while (ready.load() < 2) std::this_thread::yield();
    go = true;
    t1.join();
    t2.join();
    ASSERT_NE(r1.has_value(), r2.has_value()) << "round " << round;
    EXPECT_EQ((r1 ? r2 : r1).error().code, ErrorCode::kStoreConflict);
  }
  EXPECT_EQ(this->store_->GetCredential(c.id)->sign_count, 15u);
}

TYPED_TEST(StoreConformance, RacingSignCountProcesses) {
  Credential c = MakeCredential(this->alice_.id, 0);
  ASSERT_TRUE(this->store_->AddCredential(c, nullptr));
  for (uint32_t round = 0; round < 6; ++round) {
    int gate[2];
    ASSERT_EQ(pipe(gate), 0);
    pid_t pids[2];
    for (pid_t& pid : pids) {
      pid = fork();
      ASSERT_GE(pid, 0);
      if (pid == 0) {
        close(gate[1]);
        auto s = this->OpenInChild();
        char b;
        (void)!read(gate[0], &b, 1);
        auto r = s->RecordUse(c.id, round, round + 1, false, 1, nullptr);
        _exit(r ? 0 : (r.error().code == ErrorCode::kStoreConflict ? 1 : 2));
      }
    }
    close(gate[0]);
    close(gate[1]);
    int wins = 0, losses = 0;
    Reap(pids, &wins, &losses);
    EXPECT_EQ(wins, 1) << "round " << round;
    EXPECT_EQ(losses, 1) << "round " << round;
  }
  EXPECT_EQ(this->store_->GetCredential(c.id)->sign_count, 6u);
}

TYPED_TEST(StoreConformance, ChallengesAreSingleUseAndExpire) {
  auto& s = *this->store_;
  ChallengeRecord r = this->Challenge(7, 1000, 1300);
  r.principal_id = this->alice_.id;
  ASSERT_TRUE(s.PutChallenge(r));
  EXPECT_EQ(s.PutChallenge(r).error().code, ErrorCode::kAlreadyExists);
  EXPECT_EQ(s.ConsumeChallenge(r.challenge, "register", 1001).error().code,
            ErrorCode::kChallengeUnknown);
  auto ok = s.ConsumeChallenge(r.challenge, "login", 1001);
  ASSERT_TRUE(ok) << ok.error().ToString();
  EXPECT_EQ(ok->principal_id, this->alice_.id);
  EXPECT_EQ(ok->state_json, "{}");
  EXPECT_EQ(s.ConsumeChallenge(r.challenge, "login", 1002).error().code,
            ErrorCode::kChallengeReplayed);
  EXPECT_EQ(s.ConsumeChallenge(Bytes(32, 8), "login", 1002).error().code,
            ErrorCode::kChallengeUnknown);
  r.challenge = Bytes(32, 9);
  ASSERT_TRUE(s.PutChallenge(r));
  EXPECT_EQ(s.ConsumeChallenge(r.challenge, "login", 1300).error().code,
            ErrorCode::kChallengeExpired);
  EXPECT_EQ(s.ConsumeChallenge(r.challenge, "login", 1100).error().code,
            ErrorCode::kChallengeReplayed);  // an expired challenge is burnt too
  ChallengeRecord orphan = this->Challenge(10);
  orphan.principal_id = "p_nobody";
  EXPECT_EQ(s.PutChallenge(orphan).error().code, ErrorCode::kNotFound);
}

TYPED_TEST(StoreConformance, TheLoginSnapshotDoesNotSpendTheChallenge) {
  auto& s = *this->store_;
  ChallengeRecord r = this->Challenge(0x5a);
  ASSERT_TRUE(s.PutChallenge(r));
  ASSERT_TRUE(PeekChallenge(s, r.challenge, "login", 1001));
  ASSERT_TRUE(PeekChallenge(s, r.challenge, "login", 1001));
  EXPECT_EQ(PeekChallenge(s, r.challenge, "login", 2000).error().code,
            ErrorCode::kChallengeExpired);
  EXPECT_EQ(PeekChallenge(s, Bytes(32, 1), "login", 1001).error().code,
            ErrorCode::kChallengeUnknown);
  EXPECT_EQ(s.VerifyAuditChain()->records, 1u);
}

TYPED_TEST(StoreConformance, SpendChallengeWithAuditIsOneTransaction) {
  auto& s = *this->store_;
  ChallengeRecord r = this->Challenge(0x6b);
  ASSERT_TRUE(s.PutChallenge(r));
  AuditEvent ev = Event("login", this->alice_.id);
  ev.outcome = "failure";
  ev.code = "assertion_signature_invalid";
  ASSERT_TRUE(s.SpendChallenge(r.challenge, 1001, &ev));
  EXPECT_EQ(PeekChallenge(s, r.challenge, "login", 1002).error().code,
            ErrorCode::kChallengeReplayed);
  EXPECT_EQ(s.VerifyAuditChain()->records, 2u);
  EXPECT_EQ(s.SpendChallenge(r.challenge, 1003, &ev).error().code, ErrorCode::kChallengeReplayed);
  EXPECT_EQ(s.VerifyAuditChain()->records, 2u);
  EXPECT_EQ(s.SpendChallenge(Bytes(32, 1), 1003, &ev).error().code,
            ErrorCode::kChallengeReplayed);  // never issued: nothing to spend
  EXPECT_EQ(s.VerifyAuditChain()->records, 2u);
}

TYPED_TEST(StoreConformance, TheLoginSnapshotReadsEverythingThePlanNeeds) {
  auto& s = *this->store_;
  for (uint32_t n : {3u, 4u})
    ASSERT_TRUE(s.AddCredential(MakeCredential(this->alice_.id, n), nullptr));
  ChallengeRecord r = this->Challenge(0x21);
  r.principal_id = this->alice_.id;
  r.state_json = R"({"kinds":["passkey"]})";
  ASSERT_TRUE(s.PutChallenge(r));
  const Bytes id = MakeCredential(this->alice_.id, 4).id;
  const LoginSnapshot snap = Snapshot(s, r.challenge, "login", 1001, id);
  ASSERT_TRUE(snap.challenge);
  EXPECT_EQ(snap.challenge->state_json, r.state_json);
  EXPECT_EQ(snap.challenge->principal_id, this->alice_.id);
  ASSERT_TRUE(snap.credential);
  EXPECT_TRUE(CredentialMatchesSeed(*snap.credential, 4));
  ASSERT_TRUE(snap.principal);
  EXPECT_EQ(snap.principal->name, "alice");
  ASSERT_TRUE(snap.principal_credentials);
  EXPECT_EQ(snap.principal_credentials->size(), 2u);
  EXPECT_EQ(Snapshot(s, r.challenge, "login", 1001, Bytes{1, 2, 3}).credential.error().code,
            ErrorCode::kNotFound);
  EXPECT_EQ(Snapshot(s, r.challenge, "register", 1001, id).challenge.error().code,
            ErrorCode::kChallengeUnknown);
  EXPECT_EQ(Snapshot(s, r.challenge, "login", 2000, id).challenge.error().code,
            ErrorCode::kChallengeExpired);
  EXPECT_EQ(Snapshot(s, Bytes(32, 0x22), "login", 1001, id).challenge.error().code,
            ErrorCode::kChallengeUnknown);
}

// ---- RunLogin: the whole login in one transaction ----

TYPED_TEST(StoreConformance, RunLoginWritesThePlanInOneTransaction) {
  auto& s = *this->store_;
  Credential c = MakeCredential(this->alice_.id, 3);
  ASSERT_TRUE(s.AddCredential(c, nullptr));
  ChallengeRecord r = this->Challenge(0x31);
  ASSERT_TRUE(s.PutChallenge(r));
  int calls = 0;
  auto plan = [&](const LoginSnapshot& snap) {
    ++calls;
    LoginWrite w;
    EXPECT_TRUE(snap.challenge);
    EXPECT_TRUE(snap.credential);
    if (!snap.credential) return w;
    w.spend = true;
    w.record_use = true;
    w.credential_id = snap.credential->id;
    w.expected_sign_count = snap.credential->sign_count;
    w.new_sign_count = snap.credential->sign_count + 10;
    w.backup_state = true;
    w.audit = {Event("login", this->alice_.id), Event("step_up", this->alice_.id)};
    return w;
  };
  ASSERT_TRUE(s.RunLogin(r.challenge, "login", 1001, c.id, plan));
  EXPECT_GE(calls, 1);
  auto got = s.GetCredential(c.id);
  EXPECT_EQ(got->sign_count, 13u);
  EXPECT_TRUE(got->backup_state);
  EXPECT_EQ(got->last_used_at, 1001);
  EXPECT_EQ(PeekChallenge(s, r.challenge, "login", 1002).error().code,
            ErrorCode::kChallengeReplayed);
  auto v = s.VerifyAuditChain();
  ASSERT_TRUE(v) << v.error().ToString();
  EXPECT_EQ(v->records, 3u);
  // The same login again: the snapshot shows the spent challenge.
  auto again = s.RunLogin(r.challenge, "login", 1003, c.id, [&](const LoginSnapshot& snap) {
    EXPECT_EQ(snap.challenge.error().code, ErrorCode::kChallengeReplayed);
    LoginWrite w;
    w.audit = {Event("login", this->alice_.id)};
    w.audit[0].outcome = "failure";
    return w;
  });
  ASSERT_TRUE(again);
  EXPECT_EQ(s.VerifyAuditChain()->records, 4u);
  // A plan that writes nothing leaves everything as it was.
  ChallengeRecord r2 = this->Challenge(0x32);
  ASSERT_TRUE(s.PutChallenge(r2));
  ASSERT_TRUE(s.RunLogin(r2.challenge, "login", 1004, c.id,
                         [](const LoginSnapshot&) { return LoginWrite{}; }));
  EXPECT_TRUE(PeekChallenge(s, r2.challenge, "login", 1005));
  EXPECT_EQ(s.VerifyAuditChain()->records, 4u);
}

// The counter moved after the snapshot (another node logged in): nothing is written, not even
// the challenge's spending or the audit record.
TYPED_TEST(StoreConformance, RunLoginConflictWritesNothing) {
  auto& s = *this->store_;
  Credential c = MakeCredential(this->alice_.id, 3);
  ASSERT_TRUE(s.AddCredential(c, nullptr));
  ChallengeRecord r = this->Challenge(0x33);
  ASSERT_TRUE(s.PutChallenge(r));
  auto other = this->Open();
  bool moved = false;
  auto result = s.RunLogin(r.challenge, "login", 1001, c.id, [&](const LoginSnapshot& snap) {
    LoginWrite w;
    // The first call: another connection advances the counter between read and write. A backend
    // that retries (SQLite) re-plans on the new counter, so plan against the stale one each time.
    if (!moved) {
      moved = true;
      if (!other->RecordUse(c.id, 3, 4, false, 1000, nullptr)) ADD_FAILURE();
    }
    (void)snap;
    w.spend = true;
    w.record_use = true;
    w.credential_id = c.id;
    w.expected_sign_count = 3;
    w.new_sign_count = 9;
    w.audit = {Event("login", this->alice_.id)};
    return w;
  });
  ASSERT_FALSE(result);
  EXPECT_EQ(result.error().code, ErrorCode::kStoreConflict);
  EXPECT_EQ(s.GetCredential(c.id)->sign_count, 4u);
  EXPECT_TRUE(PeekChallenge(s, r.challenge, "login", 1002));  // still open
  EXPECT_EQ(s.VerifyAuditChain()->records, 1u);
}

// Two processes run the same login (same challenge, same counter) at once: one passes, the other
// gets challenge_replayed or store_conflict and wrote nothing.
TYPED_TEST(StoreConformance, RunLoginRacingProcessesPassOnce) {
  Credential c = MakeCredential(this->alice_.id, 0);
  c.sign_count = 0;
  ASSERT_TRUE(this->store_->AddCredential(c, nullptr));
  for (uint8_t round = 0; round < 6; ++round) {
    ChallengeRecord r = this->Challenge(static_cast<uint8_t>(0x80 + round));
    ASSERT_TRUE(this->store_->PutChallenge(r));
    int gate[2];
    ASSERT_EQ(pipe(gate), 0);
    pid_t pids[2];
    for (pid_t& pid : pids) {
      pid = fork();
      ASSERT_GE(pid, 0);
      if (pid == 0) {
        close(gate[1]);
        auto s = this->OpenInChild();
        char b;
        (void)!read(gate[0], &b, 1);
        auto res = s->RunLogin(r.challenge, "login", 1001, c.id, [&](const LoginSnapshot& snap) {
          LoginWrite w;
          if (!snap.challenge || !snap.credential) {
            w.audit = {Event("login", "")};
            w.audit[0].outcome = "failure";
            return w;
          }
          w.spend = true;
          w.record_use = true;
          w.credential_id = c.id;
          w.expected_sign_count = snap.credential->sign_count;
          w.new_sign_count = round + 1u;
          w.audit = {Event("login", "")};
          return w;
        });
        // A loser either saw the spent challenge in its snapshot (planned a failure record: ok
        // but nothing spent) or lost at the write (replayed / conflict).
        if (res) {
          auto now = s->GetCredential(c.id);
          _exit(now && now->sign_count == round + 1u ? 0 : 2);
        }
        const ErrorCode code = res.error().code;
        _exit(code == ErrorCode::kChallengeReplayed || code == ErrorCode::kStoreConflict ? 1 : 2);
      }
    }
    close(gate[0]);
    close(gate[1]);
    for (pid_t pid : pids) {
      int status = 0;
      ASSERT_EQ(waitpid(pid, &status, 0), pid);
      ASSERT_TRUE(WIFEXITED(status));
      EXPECT_NE(WEXITSTATUS(status), 2) << "round " << int{round};
    }
    // Exactly one login advanced the counter and spent the challenge.
    EXPECT_EQ(this->store_->GetCredential(c.id)->sign_count, round + 1u);
    EXPECT_EQ(PeekChallenge(*this->store_, r.challenge, "login", 1002).error().code,
              ErrorCode::kChallengeReplayed);
  }
  auto v = this->store_->VerifyAuditChain();
  ASSERT_TRUE(v) << v.error().ToString();
}

TYPED_TEST(StoreConformance, ChallengeIssuedByOneSpentByAnother) {
  ChallengeRecord r = this->Challenge(3);
  ASSERT_TRUE(this->store_->PutChallenge(r));
  int gate[2];
  ASSERT_EQ(pipe(gate), 0);
  pid_t pids[3];
  for (pid_t& pid : pids) {
    pid = fork();
    ASSERT_GE(pid, 0);
    if (pid == 0) {
      close(gate[1]);
      auto s = this->OpenInChild();
      char b;
      (void)!read(gate[0], &b, 1);
      auto c = s->ConsumeChallenge(r.challenge, "login", 1500);
      _exit(c ? 0 : (c.error().code == ErrorCode::kChallengeReplayed ? 1 : 2));
    }
  }
  close(gate[0]);
  close(gate[1]);
  int wins = 0, losses = 0;
  Reap(pids, &wins, &losses);
  EXPECT_EQ(wins, 1);
  EXPECT_EQ(losses, 2);
}

// Web state (browser sessions, pending ceremonies of a web front end): put/replace, expiry,
// take once, delete, sweep, and the 32-byte key.
TYPED_TEST(StoreConformance, WebStateRoundTripExpiryAndSweep) {
  auto& s = *this->store_;
  WebStateEntry e{Bytes(32, 0x11), "session", R"({"principalId":"p_1"})", 2000};
  ASSERT_TRUE(s.PutWebState(e));
  auto got = s.GetWebState(e.key, 1000);
  ASSERT_TRUE(got) << got.error().ToString();
  EXPECT_EQ(got->kind, "session");
  EXPECT_EQ(got->data, e.data);
  EXPECT_EQ(got->expires_at, 2000);
  EXPECT_EQ(got->key, e.key);
  // Replaced in place.
  e.data = R"({"principalId":"p_2"})";
  e.expires_at = 3000;
  ASSERT_TRUE(s.PutWebState(e));
  got = s.GetWebState(e.key, 2500);
  ASSERT_TRUE(got);
  EXPECT_EQ(got->data, e.data);
  // Expired: invisible to get and take.
  EXPECT_EQ(s.GetWebState(e.key, 3000).error().code, ErrorCode::kNotFound);
  EXPECT_EQ(s.TakeWebState(e.key, 3000).error().code, ErrorCode::kNotFound);
  EXPECT_EQ(s.GetWebState(Bytes(32, 0x99), 0).error().code, ErrorCode::kNotFound);
  // Take: once.
  WebStateEntry c{Bytes(32, 0x22), "ceremony", R"({"type":"login"})", 5000};
  ASSERT_TRUE(s.PutWebState(c));
  auto taken = s.TakeWebState(c.key, 1000);
  ASSERT_TRUE(taken) << taken.error().ToString();
  EXPECT_EQ(taken->kind, "ceremony");
  EXPECT_EQ(taken->data, c.data);
  EXPECT_EQ(s.TakeWebState(c.key, 1000).error().code, ErrorCode::kNotFound);
  EXPECT_EQ(s.GetWebState(c.key, 1000).error().code, ErrorCode::kNotFound);
  // Delete (also of nothing).
  ASSERT_TRUE(s.PutWebState(c));
  ASSERT_TRUE(s.DeleteWebState(c.key));
  ASSERT_TRUE(s.DeleteWebState(c.key));
  EXPECT_EQ(s.GetWebState(c.key, 1000).error().code, ErrorCode::kNotFound);
  // Sweep: returns and deletes the expired ones only, up to the limit.
  for (uint8_t i = 0; i < 5; ++i) {
    ASSERT_TRUE(s.PutWebState({Bytes(32, static_cast<uint8_t>(0x40 + i)), "ceremony",
                               "{\"n\":" + std::to_string(i) + "}", 100 + i}));
  }
  ASSERT_TRUE(s.PutWebState({Bytes(32, 0x50), "session", "{}", 10000}));
  auto swept = s.SweepWebState(200, 3);
  ASSERT_TRUE(swept) << swept.error().ToString();
  EXPECT_EQ(swept->size(), 3u);
  for (const auto& w : *swept) {
    EXPECT_EQ(w.kind, "ceremony");
    EXPECT_EQ(w.key.size(), 32u);
    EXPECT_LE(w.expires_at, 200);
  }
  swept = s.SweepWebState(200, 100);
  ASSERT_TRUE(swept);
  EXPECT_EQ(swept->size(), 2u);  // the other two expired ceremonies
  EXPECT_TRUE(s.GetWebState(Bytes(32, 0x50), 200));
  EXPECT_TRUE(s.GetWebState(Bytes(32, 0x11), 200));
  // A key that is not 32 bytes is refused.
  EXPECT_EQ(s.PutWebState({Bytes(31, 1), "session", "{}", 10}).error().code,
            ErrorCode::kInvalidArgument);
  EXPECT_EQ(s.GetWebState(Bytes(33, 1), 0).error().code, ErrorCode::kInvalidArgument);
}

// The wrapper keyward serve uses: keys are hashes (kind-separated), inputs are bounded, expiry is
// on its clock.
TYPED_TEST(StoreConformance, WebStateStoreHashesTokensAndRefusesBadInput) {
  int64_t now = 1000;
  WebStateStore web(this->Open(), [&now] { return now; });
  ASSERT_TRUE(web.Put("session", "cookie-value-1", R"({"a":1})", 1100));
  auto got = web.Get("session", "cookie-value-1");
  ASSERT_TRUE(got) << got.error().ToString();
  EXPECT_EQ(got->data, R"({"a":1})");
  // Another kind with the same token is another record.
  EXPECT_EQ(web.Get("ceremony", "cookie-value-1").error().code, ErrorCode::kNotFound);
  auto key = WebStateStore::Key("session", "cookie-value-1");
  ASSERT_TRUE(key);
  EXPECT_EQ(key->size(), 32u);
  EXPECT_NE(*key, *WebStateStore::Key("ceremony", "cookie-value-1"));
  // Stored under the hash: the raw store finds it by the key, and the token is not in the row.
  auto raw = this->store_->GetWebState(*key, now);
  ASSERT_TRUE(raw);
  EXPECT_EQ(raw->data.find("cookie-value-1"), std::string::npos);
  // Expiry on the wrapper's clock.
  now = 1100;
  EXPECT_EQ(web.Get("session", "cookie-value-1").error().code, ErrorCode::kNotFound);
  auto swept = web.Sweep(10);
  ASSERT_TRUE(swept);
  ASSERT_EQ(swept->size(), 1u);
  EXPECT_EQ((*swept)[0].kind, "session");
  // Take once.
  ASSERT_TRUE(web.Put("ceremony", "c1", "{}", 2000));
  EXPECT_TRUE(web.Take("ceremony", "c1"));
  EXPECT_EQ(web.Take("ceremony", "c1").error().code, ErrorCode::kNotFound);
  ASSERT_TRUE(web.Delete("ceremony", "c1"));
  // Bad input.
  EXPECT_EQ(web.Put("", "t", "{}", 2000).error().code, ErrorCode::kInvalidArgument);
  EXPECT_EQ(web.Put("Session", "t", "{}", 2000).error().code, ErrorCode::kInvalidArgument);
  EXPECT_EQ(web.Put(std::string(33, 'a'), "t", "{}", 2000).error().code,
            ErrorCode::kInvalidArgument);
  EXPECT_EQ(web.Put("session", "", "{}", 2000).error().code, ErrorCode::kInvalidArgument);
  EXPECT_EQ(web.Get("session", std::string(513, 't')).error().code, ErrorCode::kInvalidArgument);
  EXPECT_EQ(web.Put("session", "t", std::string(65537, 'x'), 2000).error().code,
            ErrorCode::kInvalidArgument);
}

// A ceremony taken by several processes at once (several nodes): exactly one gets it.
TYPED_TEST(StoreConformance, WebStateTakenOnceAcrossProcesses) {
  for (int round = 0; round < 5; ++round) {
    Bytes key(32, static_cast<uint8_t>(0x60 + round));
    ASSERT_TRUE(this->store_->PutWebState({key, "ceremony", "{}", 5000}));
    int gate[2];
    ASSERT_EQ(pipe(gate), 0);
    pid_t pids[3];
    for (pid_t& pid : pids) {
      pid = fork();
      ASSERT_GE(pid, 0);
      if (pid == 0) {
        close(gate[1]);
        auto s = this->OpenInChild();
        char b;
        (void)!read(gate[0], &b, 1);
        auto t = s->TakeWebState(key, 1000);
        _exit(t ? 0 : (t.error().code == ErrorCode::kNotFound ? 1 : 2));
      }
    }
    close(gate[0]);
    close(gate[1]);
    int wins = 0, losses = 0;
    Reap(pids, &wins, &losses);
    EXPECT_EQ(wins, 1);
    EXPECT_EQ(losses, 2);
  }
}

// Put-if-absent (a value every node must agree on, e.g. keyward serve's decoy key): the first live
// entry stays, an expired one is replaced, an entry expired on arrival is refused.
TYPED_TEST(StoreConformance, WebStatePutIfAbsentKeepsTheLiveHolder) {
  auto& s = *this->store_;
  const Bytes key(32, 0x70);
  auto first = s.PutWebStateIfAbsent({key, "secret", "one", 2000}, 1000);
  ASSERT_TRUE(first) << first.error().ToString();
  EXPECT_EQ(first->data, "one");
  EXPECT_EQ(first->expires_at, 2000);
  auto second = s.PutWebStateIfAbsent({key, "secret", "two", 9000}, 1500);
  ASSERT_TRUE(second) << second.error().ToString();
  EXPECT_EQ(second->data, "one");
  EXPECT_EQ(second->expires_at, 2000);
  EXPECT_EQ(s.GetWebState(key, 1500)->data, "one");
  // Past the holder's expiry the new value takes the key.
  auto third = s.PutWebStateIfAbsent({key, "secret", "three", 9000}, 2000);
  ASSERT_TRUE(third) << third.error().ToString();
  EXPECT_EQ(third->data, "three");
  EXPECT_EQ(s.GetWebState(key, 2500)->data, "three");
  EXPECT_EQ(s.PutWebStateIfAbsent({Bytes(32, 0x71), "secret", "x", 100}, 100).error().code,
            ErrorCode::kInvalidArgument);
  EXPECT_EQ(s.GetWebState(Bytes(32, 0x71), 0).error().code, ErrorCode::kNotFound);
  EXPECT_EQ(s.PutWebStateIfAbsent({Bytes(5, 1), "secret", "x", 100}, 0).error().code,
            ErrorCode::kInvalidArgument);
  // The wrapper: same contract on (kind, token).
  int64_t now = 1000;
  WebStateStore web(this->Open(), [&now] { return now; });
  auto w1 = web.PutIfAbsent("decoy_key", "v1", "k1", 5000);
  ASSERT_TRUE(w1) << w1.error().ToString();
  EXPECT_EQ(web.PutIfAbsent("decoy_key", "v1", "k2", 5000)->data, "k1");
  EXPECT_EQ(web.PutIfAbsent("decoy_key", "v1", std::string(65537, 'x'), 5000).error().code,
            ErrorCode::kInvalidArgument);
}

// Several processes (nodes) creating one value at once all end up with the same one.
TYPED_TEST(StoreConformance, WebStatePutIfAbsentAgreesAcrossProcesses) {
  for (int round = 0; round < 5; ++round) {
    const Bytes key(32, static_cast<uint8_t>(0x80 + round));
    int gate[2];
    ASSERT_EQ(pipe(gate), 0);
    pid_t pids[3];
    for (int i = 0; i < 3; ++i) {
      pids[i] = fork();
      ASSERT_GE(pids[i], 0);
      if (pids[i] == 0) {
        close(gate[1]);
        auto s = this->OpenInChild();
        char b;
        (void)!read(gate[0], &b, 1);
        auto held = s->PutWebStateIfAbsent({key, "secret", std::string(1, 'a' + i), 5000}, 1000);
        _exit(held && held->data.size() == 1 ? 10 + (held->data[0] - 'a') : 2);
      }
    }
    close(gate[0]);
    close(gate[1]);
    std::set<int> holders;
    for (pid_t pid : pids) {
      int status = 0;
      ASSERT_EQ(waitpid(pid, &status, 0), pid);
      ASSERT_TRUE(WIFEXITED(status));
      holders.insert(WEXITSTATUS(status));
    }
    ASSERT_EQ(holders.size(), 1u) << "round " << round;
    const int winner = *holders.begin();
    ASSERT_GE(winner, 10);
    ASSERT_LE(winner, 12);
    EXPECT_EQ(this->store_->GetWebState(key, 1000)->data, std::string(1, 'a' + (winner - 10)));
  }
}

// kill -9 of a writer mid-burst: every reported commit is there and intact, nothing torn, the
// audit chain intact.
TYPED_TEST(StoreConformance, KillNineMidBurstLosesNothingCommitted) {
  int report[2];
  ASSERT_EQ(pipe(report), 0);
  pid_t pid = fork();
  ASSERT_GE(pid, 0);
  if (pid == 0) {
    close(report[0]);
    auto s = this->OpenInChild();
    for (uint32_t n = 1000;; ++n) {
      Credential cred = MakeCredential(this->alice_.id, n);
      AuditEvent ev = Event("registration", this->alice_.id);
      ev.credential_id = cred.id;
      if (!s->AddCredential(cred, &ev)) _exit(2);
      if (write(report[1], &n, sizeof n) != sizeof n) _exit(4);
    }
  }
  close(report[1]);
  std::vector<uint32_t> committed;
  uint32_t n;
  while (committed.size() < 30 && read(report[0], &n, sizeof n) == sizeof n) committed.push_back(n);
  ASSERT_EQ(kill(pid, SIGKILL), 0);
  int status = 0;
  ASSERT_EQ(waitpid(pid, &status, 0), pid);
  EXPECT_TRUE(WIFSIGNALED(status));
  while (read(report[0], &n, sizeof n) == sizeof n) committed.push_back(n);
  close(report[0]);
  ASSERT_FALSE(committed.empty());
  auto s = this->Open();
  for (uint32_t id : committed) {
    auto got = s->GetCredential(MakeCredential(this->alice_.id, id).id);
    ASSERT_TRUE(got) << "committed registration " << id << " lost";
    EXPECT_TRUE(CredentialMatchesSeed(*got, id));
  }
  auto all = s->ListCredentials(this->alice_.id);
  ASSERT_TRUE(all);
  EXPECT_GE(all->size(), committed.size());
  EXPECT_LE(all->size(), committed.size() + 1);
  for (const Credential& cred : *all) {
    bool matched = false;
    for (uint32_t k = 1000; k < 1000 + committed.size() + 2; ++k)
      matched |= CredentialMatchesSeed(cred, k);
    EXPECT_TRUE(matched) << "torn credential record";
  }
  auto v = s->VerifyAuditChain();
  ASSERT_TRUE(v) << v.error().ToString();
  EXPECT_EQ(v->records, 1 + all->size());
}

TYPED_TEST(StoreConformance, NewerSchemaIsRefused) {
  this->store_.reset();
  ASSERT_TRUE(this->backend_.Raw("INSERT INTO schema_version(version) VALUES(99)"));
  auto url = ParseStoreUrl(this->backend_.Url());
  auto s = OpenCredentialStore(*url, StoreOpenOptions{});
  ASSERT_FALSE(s);
  EXPECT_EQ(s.error().code, ErrorCode::kSchemaVersionUnsupported);
  EXPECT_EQ(s.error().native, 99u);
}

TYPED_TEST(StoreConformance, ReopenKeepsSchemaAndPseudonymKey) {
  const std::string before = this->store_->Pseudonym(this->alice_.id);
  EXPECT_EQ(before.rfind("ps_", 0), 0u);
  this->store_.reset();
  auto s = this->Open();
  EXPECT_EQ(s->Pseudonym(this->alice_.id), before);
  EXPECT_TRUE(s->GetPrincipal(this->alice_.id));
}

TYPED_TEST(StoreConformance, TruncatedIntermediatesAreCorrupt) {
  Credential c = MakeCredential(this->alice_.id, 2);
  ASSERT_TRUE(this->store_->AddCredential(c, nullptr));
  ASSERT_TRUE(this->backend_.Raw("UPDATE credentials SET cert_intermediates=" +
                                 this->backend_.Blob("00000009AABB")));
  EXPECT_EQ(this->store_->GetCredential(c.id).error().code, ErrorCode::kStoreCorrupt);
}

// ---- audit chain ----

template <typename B>
class AuditConformance : public StoreConformance<B> {
 protected:
  void SetUp() override {
    StoreConformance<B>::SetUp();
    for (int i = 0; i < 5; ++i) {
      AuditEvent e = Event("login", this->alice_.id);
      e.outcome = i % 2 ? "failure" : "success";
      if (i % 2) e.code = "assertion_signature_invalid";
      e.details = i == 4 ? Json{{"prev", "x"}, {"seq", 7}, {"note", "ünïcode \"q\""}} : Json();
      if (i == 4) e.event = "admin";
      ASSERT_TRUE(this->store_->AppendAudit(e));
    }
  }
};
TYPED_TEST_SUITE(AuditConformance, Backends, BackendNames);

TYPED_TEST(AuditConformance, IntactChainVerifies) {
  auto& s = *this->store_;
  auto v = s.VerifyAuditChain();
  ASSERT_TRUE(v) << v.error().ToString();
  EXPECT_EQ(v->records, 6u);
  auto lines = s.AuditTail(0);
  ASSERT_TRUE(lines);
  ASSERT_EQ(lines->size(), 6u);
  EXPECT_TRUE(VerifyAuditLines(*lines));
  EXPECT_EQ(VerifyAuditLines(*lines)->head_hash, v->head_hash);
  for (const auto& l : *lines) {
    EXPECT_EQ(l.find(this->alice_.id), std::string::npos);
    EXPECT_EQ(l.find("alice"), std::string::npos);
    EXPECT_NE(l.find(s.Pseudonym(this->alice_.id)), std::string::npos);
  }
  auto tail = s.AuditTail(2);
  ASSERT_TRUE(tail);
  ASSERT_EQ(tail->size(), 2u);
  EXPECT_EQ((*tail)[1], lines->back());
  EXPECT_TRUE(VerifyAuditLines(*tail));
  auto mine = s.AuditFor(this->alice_.id);
  ASSERT_TRUE(mine);
  EXPECT_EQ(mine->size(), 6u);
}

TYPED_TEST(AuditConformance, AppendOnlyRefusesChanges) {
  EXPECT_FALSE(this->backend_.Raw("UPDATE audit SET line='x' WHERE seq=2"));
  EXPECT_FALSE(this->backend_.Raw("DELETE FROM audit WHERE seq=2"));
  EXPECT_TRUE(this->store_->VerifyAuditChain());
}

TYPED_TEST(AuditConformance, TamperedLineIsDetectedWithItsLineNumber) {
  ASSERT_TRUE(this->backend_.Raw(this->backend_.DisableAuditGuards() +
                                 "UPDATE audit SET line=replace(line, '\"outcome\":\"failure\"', "
                                 "'\"outcome\":\"success\"') WHERE seq=5;"));
  auto v = this->Open()->VerifyAuditChain();
  ASSERT_FALSE(v);
  EXPECT_EQ(v.error().code, ErrorCode::kAuditChainBroken);
  EXPECT_EQ(v.error().native, 5u);
}

TYPED_TEST(AuditConformance, RemovedLineIsDetected) {
  ASSERT_TRUE(
      this->backend_.Raw(this->backend_.DisableAuditGuards() + "DELETE FROM audit WHERE seq=3;"));
  auto v = this->Open()->VerifyAuditChain();
  ASSERT_FALSE(v);
  EXPECT_EQ(v.error().code, ErrorCode::kAuditChainBroken);
  EXPECT_EQ(v.error().native, 3u);
}

TYPED_TEST(AuditConformance, TruncatedTailIsDetectedAgainstTheHead) {
  ASSERT_TRUE(
      this->backend_.Raw(this->backend_.DisableAuditGuards() + "DELETE FROM audit WHERE seq=6;"));
  auto v = this->Open()->VerifyAuditChain();
  ASSERT_FALSE(v);
  EXPECT_EQ(v.error().code, ErrorCode::kAuditChainBroken);
  EXPECT_EQ(v.error().native, 6u);
}

// Several processes (nodes) append at once: still ONE unbroken chain.
TYPED_TEST(AuditConformance, ChainSerializesAcrossProcesses) {
  pid_t pids[3];
  for (pid_t& pid : pids) {
    pid = fork();
    ASSERT_GE(pid, 0);
    if (pid == 0) {
      auto s = this->OpenInChild();
      for (int i = 0; i < 20; ++i) {
        if (!s->AppendAudit(Event("admin", ""))) _exit(2);
      }
      _exit(0);
    }
  }
  for (pid_t pid : pids) {
    int status = 0;
    ASSERT_EQ(waitpid(pid, &status, 0), pid);
    ASSERT_TRUE(WIFEXITED(status));
    EXPECT_EQ(WEXITSTATUS(status), 0);
  }
  auto v = this->Open()->VerifyAuditChain();
  ASSERT_TRUE(v) << v.error().ToString();
  EXPECT_EQ(v->records, 66u);
}

// `keyward store copy`: a SQLite store into this backend, every row and the chain intact.
TYPED_TEST(AuditConformance, CopyFromSqliteKeepsEverything) {
  TempDir src_dir;
  const std::string src = "sqlite:" + src_dir.File("src.db");
  {
    auto s = OpenCredentialStore(*ParseStoreUrl(src), StoreOpenOptions{});
    ASSERT_TRUE(s);
    Principal bob = MakePrincipal("bob");
    AuditEvent ev = Event("principal_created", bob.id);
    ASSERT_TRUE((*s)->CreatePrincipal(bob, &ev));
    for (uint32_t n = 0; n < 3; ++n) {
      Credential c = MakeCredential(bob.id, n);
      AuditEvent reg = Event("registration", bob.id);
      reg.credential_id = c.id;
      ASSERT_TRUE((*s)->AddCredential(c, &reg));
    }
    ChallengeRecord open = this->Challenge(0x41);
    open.principal_id = bob.id;
    ASSERT_TRUE((*s)->PutChallenge(open));
    ChallengeRecord spent = this->Challenge(0x42);
    ASSERT_TRUE((*s)->PutChallenge(spent));
    ASSERT_TRUE((*s)->ConsumeChallenge(spent.challenge, "login", 1001));
  }
  // The target is not empty (alice): refused, nothing changed.
  auto refused = CopyStore(src, this->backend_.Url());
  ASSERT_FALSE(refused);
  EXPECT_EQ(refused.error().code, ErrorCode::kAlreadyExists);
  // Into an empty store of this backend.
  this->store_.reset();
  TypeParam fresh;
  auto copied = CopyStore(src, fresh.Url());
  ASSERT_TRUE(copied) << copied.error().ToString();
  EXPECT_EQ(copied->principals, 1u);
  EXPECT_EQ(copied->credentials, 3u);
  EXPECT_EQ(copied->challenges, 2u);
  EXPECT_EQ(copied->audit_records, 4u);
  auto t = OpenCredentialStore(*ParseStoreUrl(fresh.Url()), StoreOpenOptions{});
  ASSERT_TRUE(t);
  auto bob = (*t)->FindPrincipalByName("bob");
  ASSERT_TRUE(bob);
  for (uint32_t n = 0; n < 3; ++n) {
    auto c = (*t)->GetCredential(MakeCredential(bob->id, n).id);
    ASSERT_TRUE(c);
    EXPECT_TRUE(CredentialMatchesSeed(*c, n));
  }
  EXPECT_TRUE(PeekChallenge(**t, Bytes(32, 0x41), "login", 1001));
  EXPECT_EQ(PeekChallenge(**t, Bytes(32, 0x42), "login", 1001).error().code,
            ErrorCode::kChallengeReplayed);
  // Same pseudonyms (the key moved along) and the chain continues on the target.
  auto src_store = OpenCredentialStore(*ParseStoreUrl(src), StoreOpenOptions{});
  EXPECT_EQ((*t)->Pseudonym(bob->id), (*src_store)->Pseudonym(bob->id));
  ASSERT_TRUE((*t)->AppendAudit(Event("admin", bob->id)));
  auto v = (*t)->VerifyAuditChain();
  ASSERT_TRUE(v) << v.error().ToString();
  EXPECT_EQ(v->records, 5u);
  EXPECT_EQ((*t)->AuditFor(bob->id)->size(), 5u);
}

// ---- PostgreSQL only: the server goes away mid-burst ----

// `pg_ctl restart` while a process logs in back to back: every failure is store_unavailable (the
// retryable code) or, for a commit whose answer was lost, a replay on the retry; the pool then
// reconnects by itself and nothing reported committed is lost.
TEST(PgStoreFailover, RestartMidBurstGivesOnlyRetryableErrorsThenRecovers) {
  PgBackend backend;
  const char* ctl = std::getenv("KEYWARD_PG_CTL");
  ASSERT_NE(ctl, nullptr) << "run under scripts/with-postgres";
  auto url = ParseStoreUrl(backend.Url());
  ASSERT_TRUE(url);
  StoreOpenOptions options;
  options.pool_size = 2;
  auto opened = OpenCredentialStore(*url, options);
  ASSERT_TRUE(opened) << opened.error().ToString();
  auto& s = **opened;
  Principal p = MakePrincipal("carol");
  ASSERT_TRUE(s.CreatePrincipal(p, nullptr));
  Credential c = MakeCredential(p.id, 0);
  c.sign_count = 0;
  ASSERT_TRUE(s.AddCredential(c, nullptr));

  std::atomic<bool> stop{false};
  std::atomic<int> ok{0}, unavailable{0}, other{0};
  std::vector<uint32_t> committed;
  std::thread burst([&] {
    uint32_t count = 0;
    for (uint32_t i = 0; !stop.load() && i < 100000; ++i) {
      ChallengeRecord r;
      r.challenge = Bytes(32, 0);
      for (int k = 0; k < 4; ++k) r.challenge[k] = static_cast<uint8_t>(i >> (8 * k));
      r.purpose = "login";
      r.state_json = "{}";
      r.created_at = 1000;
      r.expires_at = 2000;
      auto put = s.PutChallenge(r);
      if (!put) {
        (put.error().code == ErrorCode::kStoreUnavailable ? unavailable : other)++;
        if (put.error().code != ErrorCode::kStoreUnavailable)
          ADD_FAILURE() << put.error().ToString();
        std::this_thread::sleep_for(std::chrono::milliseconds(20));
        continue;
      }
      auto res = s.RunLogin(r.challenge, "login", 1001, c.id, [&](const LoginSnapshot& snap) {
        LoginWrite w;
        if (!snap.credential) return w;
        w.spend = true;
        w.record_use = true;
        w.credential_id = c.id;
        w.expected_sign_count = snap.credential->sign_count;
        w.new_sign_count = snap.credential->sign_count + 1;
        w.audit = {Event("login", p.id)};
        return w;
      });
      if (res) {
        ++ok;
        committed.push_back(++count);
      } else if (res.error().code == ErrorCode::kStoreUnavailable) {
        ++unavailable;
        // Did the commit land before the connection died? Ask again once the server is back.
        std::this_thread::sleep_for(std::chrono::milliseconds(20));
      } else {
        ++other;
        ADD_FAILURE() << res.error().ToString();
      }
    }
  });
  while (ok.load() < 50) std::this_thread::sleep_for(std::chrono::milliseconds(5));
  ASSERT_EQ(std::system((std::string(ctl) + " restart -m fast -w >/dev/null 2>&1").c_str()), 0);
  const int ok_at_restart = ok.load();
  // Recovery: logins succeed again after the restart (bounded wait).
  for (int i = 0; i < 600 && ok.load() < ok_at_restart + 50; ++i) {
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
  }
  stop = true;
  burst.join();
  EXPECT_GE(ok.load(), ok_at_restart + 50) << "no recovery after the restart";
  EXPECT_GE(unavailable.load(), 1) << "the restart was not noticed";
  EXPECT_EQ(other.load(), 0);
  // Nothing committed is lost: the counter counts every successful login (and at most the ones
  // whose answer was lost in the restart on top).
  auto got = s.GetCredential(c.id);
  ASSERT_TRUE(got) << got.error().ToString();
  EXPECT_GE(got->sign_count, static_cast<uint32_t>(ok.load()));
  EXPECT_LE(got->sign_count, static_cast<uint32_t>(ok.load() + unavailable.load()));
  auto v = s.VerifyAuditChain();
  ASSERT_TRUE(v) << v.error().ToString();
  EXPECT_EQ(v->records, got->sign_count);
}

TEST(PgStoreFailover, UnreachableServerIsUnavailable) {
  TempDir dir;
  auto url = ParseStoreUrl("postgresql:///keyward?host=" + dir.path() + "&connect_timeout=2");
  ASSERT_TRUE(url);
  auto s = OpenCredentialStore(*url, StoreOpenOptions{});
  ASSERT_FALSE(s);
  EXPECT_EQ(s.error().code, ErrorCode::kStoreUnavailable);
}

TEST(PgStorePool, BoundedAndReused) {
  PgBackend backend;
  PgStore::Options o;
  o.pool_size = 2;
  o.acquire_timeout_ms = 200;
  auto s = PgStore::Open(backend.Url(), o);
  ASSERT_TRUE(s) << s.error().ToString();
  std::vector<std::thread> threads;
  std::atomic<int> failures{0};
  for (int t = 0; t < 6; ++t) {
    threads.emplace_back([&] {
      for (int i = 0; i < 20; ++i) {
        auto r = (*s)->ListPrincipals();
        if (!r && r.error().code != ErrorCode::kStoreBusy) ++failures;
      }
    });
  }
  for (auto& t : threads) t.join();
  EXPECT_EQ(failures.load(), 0);
  EXPECT_LE((*s)->OpenConnections(), 2u);
  EXPECT_GE((*s)->OpenConnections(), 1u);
}

}  // namespace
}  // namespace keyward::authenticator
