// SqliteStore: CRUD, single-use challenges, compare-and-set sign counts under threads and
// processes, crash safety under kill -9, schema versioning, and the audit hash chain.
#include "authenticator/sqlite_store.h"

#include <gtest/gtest.h>
#include <signal.h>
#include <sqlite3.h>
#include <sys/wait.h>
#include <unistd.h>

#include <atomic>
#include <chrono>
#include <cstdio>
#include <fstream>
#include <functional>
#include <thread>

#include "authenticator/audit_chain.h"
#include "tests/unit/authenticator/test_util.h"

namespace keyward::authenticator {
namespace {

using testing::CredentialMatchesSeed;
using testing::MakeCredential;
using testing::MakePrincipal;
using testing::TempDir;

std::unique_ptr<SqliteStore> OpenOrDie(const std::string& path) {
  auto s = SqliteStore::Open(path);
  if (!s) {
    ADD_FAILURE() << s.error().ToString();
    std::abort();
  }
  return std::move(s).value();
}

// Raw SQL on the store file, outside the store (a tamperer / another tool).
void RawExec(const std::string& path, const std::string& sql) {
  sqlite3* db = nullptr;
  ASSERT_EQ(sqlite3_open(path.c_str(), &db), SQLITE_OK);
  char* err = nullptr;
  const int rc = sqlite3_exec(db, sql.c_str(), nullptr, nullptr, &err);
  EXPECT_EQ(rc, SQLITE_OK) << (err ? err : "");
  sqlite3_free(err);
  sqlite3_close(db);
}

AuditEvent Event(const std::string& what, const std::string& principal_id) {
  AuditEvent e;
  e.time = 1700000000;
  e.event = what;
  e.outcome = "success";
  e.principal_id = principal_id;
  return e;
}

class StoreTest : public ::testing::Test {
 protected:
  void SetUp() override {
    path_ = dir_.File("store.db");
    store_ = OpenOrDie(path_);
    alice_ = MakePrincipal("alice");
    auto ev = Event("principal_created", alice_.id);
    ASSERT_TRUE(store_->CreatePrincipal(alice_, &ev));
  }
  TempDir dir_;
  std::string path_;
  std::unique_ptr<SqliteStore> store_;
  Principal alice_;
};

TEST_F(StoreTest, PrincipalRoundTripAndLookups) {
  auto p = store_->GetPrincipal(alice_.id);
  ASSERT_TRUE(p) << p.error().ToString();
  EXPECT_EQ(p->name, "alice");
  EXPECT_EQ(p->display_name, "Display alice");
  EXPECT_EQ(p->user_handle, alice_.user_handle);
  ASSERT_TRUE(store_->FindPrincipalByName("alice"));
  ASSERT_TRUE(store_->FindPrincipalByUserHandle(alice_.user_handle));
  EXPECT_EQ(store_->GetPrincipal("p_missing").error().code, ErrorCode::kNotFound);
  EXPECT_EQ(store_->FindPrincipalByName("bob").error().code, ErrorCode::kNotFound);
  // Same name again: unique.
  Principal dup = MakePrincipal("alice");
  dup.id = "p_other";
  dup.user_handle = {1, 2, 3};
  auto r = store_->CreatePrincipal(dup, nullptr);
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error().code, ErrorCode::kAlreadyExists);
  EXPECT_EQ(r.error().native, static_cast<uint32_t>(SQLITE_CONSTRAINT_UNIQUE));
  auto list = store_->ListPrincipals();
  ASSERT_TRUE(list);
  EXPECT_EQ(list->size(), 1u);
}

TEST_F(StoreTest, CredentialRoundTripEveryField) {
  for (uint32_t n = 0; n < 3; ++n) {
    ASSERT_TRUE(store_->AddCredential(MakeCredential(alice_.id, n), nullptr));
  }
  for (uint32_t n = 0; n < 3; ++n) {
    auto c = store_->GetCredential(MakeCredential(alice_.id, n).id);
    ASSERT_TRUE(c) << c.error().ToString();
    EXPECT_TRUE(CredentialMatchesSeed(*c, n));
  }
  auto list = store_->ListCredentials(alice_.id);
  ASSERT_TRUE(list);
  EXPECT_EQ(list->size(), 3u);
  auto dup = store_->AddCredential(MakeCredential(alice_.id, 1), nullptr);
  ASSERT_FALSE(dup);
  EXPECT_EQ(dup.error().code, ErrorCode::kAlreadyExists);
  EXPECT_EQ(dup.error().native, static_cast<uint32_t>(SQLITE_CONSTRAINT_PRIMARYKEY));
  auto orphan = store_->AddCredential(MakeCredential("p_nobody", 7), nullptr);
  ASSERT_FALSE(orphan);
  EXPECT_EQ(orphan.error().code, ErrorCode::kNotFound);
  EXPECT_EQ(store_->GetCredential(Bytes{9, 9}).error().code, ErrorCode::kNotFound);
}

TEST_F(StoreTest, CredentialLookupUsesTheIndex) {
  sqlite3* db = nullptr;
  ASSERT_EQ(sqlite3_open(path_.c_str(), &db), SQLITE_OK);
  sqlite3_stmt* st = nullptr;
  ASSERT_EQ(sqlite3_prepare_v2(db, "EXPLAIN QUERY PLAN SELECT * FROM credentials WHERE id=?", -1,
                               &st, nullptr),
            SQLITE_OK);
  std::string plan;
  while (sqlite3_step(st) == SQLITE_ROW) {
    plan += reinterpret_cast<const char*>(sqlite3_column_text(st, 3));
    plan += ";";
  }
  sqlite3_finalize(st);
  sqlite3_close(db);
  EXPECT_NE(plan.find("SEARCH credentials USING PRIMARY KEY (id=?)"), std::string::npos) << plan;
}

TEST_F(StoreTest, NicknameAndRemove) {
  Credential c = MakeCredential(alice_.id, 4);
  ASSERT_TRUE(store_->AddCredential(c, nullptr));
  ASSERT_TRUE(store_->SetNickname(c.id, "work key", nullptr));
  EXPECT_EQ(store_->GetCredential(c.id)->nickname, "work key");
  EXPECT_EQ(store_->SetNickname(Bytes{1}, "x", nullptr).error().code, ErrorCode::kNotFound);
  ASSERT_TRUE(store_->RemoveCredential(c.id, nullptr));
  EXPECT_EQ(store_->RemoveCredential(c.id, nullptr).error().code, ErrorCode::kNotFound);
}

TEST_F(StoreTest, SignCountCompareAndSet) {
  Credential c = MakeCredential(alice_.id, 5);
  ASSERT_TRUE(store_->AddCredential(c, nullptr));
  ASSERT_TRUE(store_->RecordUse(c.id, 5, 6, true, 1700000100, nullptr));
  auto stale = store_->RecordUse(c.id, 5, 7, true, 1700000101, nullptr);
  ASSERT_FALSE(stale);
  EXPECT_EQ(stale.error().code, ErrorCode::kStoreConflict);
  auto got = store_->GetCredential(c.id);
  EXPECT_EQ(got->sign_count, 6u);
  EXPECT_EQ(got->last_used_at, 1700000100);
  EXPECT_TRUE(got->backup_state);
  EXPECT_EQ(store_->RecordUse(Bytes{1, 2}, 0, 1, false, 0, nullptr).error().code,
            ErrorCode::kNotFound);
}

// Two threads, each with its own connection, race the same compare-and-set: exactly one wins.
TEST_F(StoreTest, RacingSignCountThreads) {
  Credential c = MakeCredential(alice_.id, 0);
  c.sign_count = 0;
  ASSERT_TRUE(store_->AddCredential(c, nullptr));
  auto s1 = OpenOrDie(path_);
  auto s2 = OpenOrDie(path_);
  for (uint32_t round = 0; round < 25; ++round) {
    std::atomic<int> ready{0};
    std::atomic<bool> go{false};
    Result<void> r1, r2;
    auto run = [&](SqliteStore* s, Result<void>* out) {
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
    EXPECT_NE(r1.has_value(), r2.has_value()) << "round " << round;
    const Result<void>& loser = r1 ? r2 : r1;
    if (!loser) {
      EXPECT_EQ(loser.error().code, ErrorCode::kStoreConflict);
    }
  }
  EXPECT_EQ(store_->GetCredential(c.id)->sign_count, 25u);
}

// The same shared store object from two threads (the mutex serializes; CAS still decides).
TEST_F(StoreTest, RacingSignCountSharedConnection) {
  Credential c = MakeCredential(alice_.id, 0);
  ASSERT_TRUE(store_->AddCredential(c, nullptr));
  std::atomic<int> wins{0}, conflicts{0};
  std::vector<std::thread> threads;
  for (int i = 0; i < 4; ++i) {
    threads.emplace_back([&] {
      auto r = store_->RecordUse(c.id, 0, 1, false, 1, nullptr);
      if (r) {
        ++wins;
      } else if (r.error().code == ErrorCode::kStoreConflict) {
        ++conflicts;
      }
    });
  }
  for (auto& t : threads) t.join();
  EXPECT_EQ(wins.load(), 1);
  EXPECT_EQ(conflicts.load(), 3);
}

// Reaps two racing child processes: exactly one must have won (exit 0) and the other must have
// lost cleanly (exit 1); anything else is a failure.
void ExpectOneWinner(const pid_t (&pids)[2], uint32_t round) {
  int codes[2];
  for (int i = 0; i < 2; ++i) {
    int status = 0;
    ASSERT_EQ(waitpid(pids[i], &status, 0), pids[i]);
    ASSERT_TRUE(WIFEXITED(status));
    codes[i] = WEXITSTATUS(status);
  }
  EXPECT_EQ(std::min(codes[0], codes[1]), 0) << "round " << round;
  EXPECT_EQ(std::max(codes[0], codes[1]), 1) << "round " << round;
}

// Two processes race the same compare-and-set; exit status 0 = won, 1 = conflict, 2 = other.
TEST_F(StoreTest, RacingSignCountProcesses) {
  Credential c = MakeCredential(alice_.id, 0);
  ASSERT_TRUE(store_->AddCredential(c, nullptr));
  for (uint32_t round = 0; round < 10; ++round) {
    int gate[2];
    ASSERT_EQ(pipe(gate), 0);
    pid_t pids[2];
    for (pid_t& pid : pids) {
      pid = fork();
      ASSERT_GE(pid, 0);
      if (pid == 0) {
        close(gate[1]);
        auto s = SqliteStore::Open(path_);
        if (!s) _exit(3);
        char b;
        (void)!read(gate[0], &b, 1);  // released when the parent closes the write end
        auto r = (*s)->RecordUse(c.id, round, round + 1, false, 1, nullptr);
        _exit(r ? 0 : (r.error().code == ErrorCode::kStoreConflict ? 1 : 2));
      }
    }
    close(gate[0]);
    close(gate[1]);  // both children start
    ExpectOneWinner(pids, round);
  }
  EXPECT_EQ(store_->GetCredential(c.id)->sign_count, 10u);
}

// ---- VerifyAndRecordUse: one optimistic transaction per login ----

// Counts the callbacks; `verify` runs `during_verify` once, on its first call, while the login's
// read snapshot is open (another connection writing between the read and the write).
struct LoginProbe {
  int verifies = 0;
  int decides = 0;
  std::vector<uint32_t> counts_decided_on;
  std::function<void()> during_verify;
  uint32_t asserted = 0;
  Result<void> verify_result = Ok();

  SqliteStore::LoginVerifier Verifier() {
    return [this](const SqliteStore::LoginCredential&) -> Result<void> {
      ++verifies;
      if (during_verify) {
        auto f = std::move(during_verify);
        during_verify = nullptr;
        f();
      }
      return verify_result;
    };
  }
  SqliteStore::LoginDecider Decider() {
    return [this](const SqliteStore::LoginCredential& c) {
      ++decides;
      counts_decided_on.push_back(c.sign_count);
      return SqliteStore::AdvanceSignCount(c.sign_count, asserted, true);
    };
  }
};

TEST_F(StoreTest, VerifyAndRecordUseReadsVerifiesAndAdvancesInOneTransaction) {
  Credential c = MakeCredential(alice_.id, 5);
  ASSERT_TRUE(store_->AddCredential(c, nullptr));
  LoginProbe probe;
  probe.asserted = 9;
  AuditEvent ev = Event("login", alice_.id);
  auto r = store_->VerifyAndRecordUse(c.id, 1700000200, probe.Verifier(), probe.Decider(), &ev);
  ASSERT_TRUE(r) << r.error().ToString();
  EXPECT_EQ(r->id, c.id);
  EXPECT_EQ(r->principal_id, c.principal_id);
  EXPECT_EQ(r->kind, c.kind);
  EXPECT_EQ(r->public_key, c.public_key);
  EXPECT_EQ(r->alg, c.alg);
  EXPECT_EQ(r->sign_count, 5u);  // as read, before the update
  EXPECT_EQ(r->backup_eligible, c.backup_eligible);
  EXPECT_EQ(probe.verifies, 1);
  EXPECT_EQ(probe.decides, 1);
  auto got = store_->GetCredential(c.id);
  EXPECT_EQ(got->sign_count, 9u);
  EXPECT_TRUE(got->backup_state);
  EXPECT_EQ(got->last_used_at, 1700000200);
  EXPECT_EQ(store_->VerifyAuditChain()->records, 2u);  // principal_created + the login
}

TEST_F(StoreTest, VerifyAndRecordUseRejectionWritesNothing) {
  Credential c = MakeCredential(alice_.id, 5);
  ASSERT_TRUE(store_->AddCredential(c, nullptr));
  AuditEvent ev = Event("login", alice_.id);
  {
    LoginProbe probe;
    probe.asserted = 5;  // not above the stored 5
    auto r = store_->VerifyAndRecordUse(c.id, 1, probe.Verifier(), probe.Decider(), &ev);
    ASSERT_FALSE(r);
    EXPECT_EQ(r.error().code, ErrorCode::kSignCountRegression);
  }
  {
    LoginProbe probe;
    probe.asserted = 6;
    probe.verify_result = Fail(ErrorCode::kAssertionSignatureInvalid, "bad signature");
    auto r = store_->VerifyAndRecordUse(c.id, 1, probe.Verifier(), probe.Decider(), &ev);
    ASSERT_FALSE(r);
    EXPECT_EQ(r.error().code, ErrorCode::kAssertionSignatureInvalid);
    EXPECT_EQ(probe.decides, 0);
  }
  {
    LoginProbe probe;
    auto r = store_->VerifyAndRecordUse(Bytes{1, 2, 3}, 1, probe.Verifier(), probe.Decider(), &ev);
    ASSERT_FALSE(r);
    EXPECT_EQ(r.error().code, ErrorCode::kNotFound);
    EXPECT_EQ(probe.verifies, 0);
  }
  auto got = store_->GetCredential(c.id);
  EXPECT_EQ(got->sign_count, 5u);
  EXPECT_EQ(got->last_used_at, c.last_used_at);
  EXPECT_EQ(store_->VerifyAuditChain()->records, 1u);  // only principal_created
  // The store is usable afterwards (no transaction left open).
  ASSERT_TRUE(store_->RecordUse(c.id, 5, 6, false, 2, nullptr));
}

// Another connection commits an unrelated change between the login's read and its write: the
// write finds its snapshot stale (SQLITE_BUSY_SNAPSHOT); the login reads again and succeeds
// without verifying the signature a second time.
TEST_F(StoreTest, VerifyAndRecordUseRetriesAStaleSnapshotWithoutReverifying) {
  Credential c = MakeCredential(alice_.id, 5);
  Credential other = MakeCredential(alice_.id, 8);
  ASSERT_TRUE(store_->AddCredential(c, nullptr));
  ASSERT_TRUE(store_->AddCredential(other, nullptr));
  auto second = OpenOrDie(path_);
  LoginProbe probe;
  probe.asserted = 6;
  probe.during_verify = [&] { ASSERT_TRUE(second->RecordUse(other.id, 8, 9, false, 3, nullptr)); };
  auto r = store_->VerifyAndRecordUse(c.id, 4, probe.Verifier(), probe.Decider(), nullptr);
  ASSERT_TRUE(r) << r.error().ToString();
  EXPECT_EQ(probe.verifies, 1);
  EXPECT_EQ(probe.decides, 2);  // the stale attempt and the retry
  EXPECT_EQ(store_->GetCredential(c.id)->sign_count, 6u);
  EXPECT_EQ(store_->GetCredential(other.id)->sign_count, 9u);
}

// A racing login with the same assertion commits between this login's read and write: the retry
// reads the winner's counter and the decision refuses; the winner's counter stays.
TEST_F(StoreTest, VerifyAndRecordUseRetrySeesTheRacingLoginsCounter) {
  Credential c = MakeCredential(alice_.id, 5);
  ASSERT_TRUE(store_->AddCredential(c, nullptr));
  auto second = OpenOrDie(path_);
  LoginProbe probe;
  probe.asserted = 6;
  probe.during_verify = [&] { ASSERT_TRUE(second->RecordUse(c.id, 5, 6, false, 3, nullptr)); };
  auto r = store_->VerifyAndRecordUse(c.id, 4, probe.Verifier(), probe.Decider(), nullptr);
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error().code, ErrorCode::kSignCountRegression);
  EXPECT_EQ(probe.counts_decided_on, (std::vector<uint32_t>{5, 6}));
  auto got = store_->GetCredential(c.id);
  EXPECT_EQ(got->sign_count, 6u);
  EXPECT_EQ(got->last_used_at, 3);
}

// The credential was replaced (same id, another key) between the read and the write: the retry
// verifies again, against the key now stored.
TEST_F(StoreTest, VerifyAndRecordUseReverifiesWhenTheKeyChanged) {
  Credential c = MakeCredential(alice_.id, 5);
  ASSERT_TRUE(store_->AddCredential(c, nullptr));
  auto second = OpenOrDie(path_);
  Credential replaced = c;
  replaced.public_key.back() ^= 0xff;
  replaced.sign_count = 0;
  LoginProbe probe;
  probe.asserted = 6;
  probe.during_verify = [&] {
    ASSERT_TRUE(second->RemoveCredential(c.id, nullptr));
    ASSERT_TRUE(second->AddCredential(replaced, nullptr));
  };
  auto r = store_->VerifyAndRecordUse(c.id, 4, probe.Verifier(), probe.Decider(), nullptr);
  ASSERT_TRUE(r) << r.error().ToString();
  EXPECT_EQ(probe.verifies, 2);
  EXPECT_EQ(r->public_key, replaced.public_key);
  EXPECT_EQ(store_->GetCredential(c.id)->sign_count, 6u);
}

// Another connection holds the write lock when the login wants to write: the upgrade fails at
// once (no busy wait on a read snapshot); the retry waits for the lock under BEGIN IMMEDIATE.
TEST_F(StoreTest, VerifyAndRecordUseWaitsForAWriterOnRetry) {
  Credential c = MakeCredential(alice_.id, 5);
  ASSERT_TRUE(store_->AddCredential(c, nullptr));
  sqlite3* holder = nullptr;
  ASSERT_EQ(sqlite3_open(path_.c_str(), &holder), SQLITE_OK);
  std::thread releaser;
  LoginProbe probe;
  probe.asserted = 6;
  probe.during_verify = [&] {
    ASSERT_EQ(sqlite3_exec(holder, "BEGIN IMMEDIATE", nullptr, nullptr, nullptr), SQLITE_OK);
    releaser = std::thread([&] {
      std::this_thread::sleep_for(std::chrono::milliseconds(200));
      sqlite3_exec(holder, "ROLLBACK", nullptr, nullptr, nullptr);
    });
  };
  auto r = store_->VerifyAndRecordUse(c.id, 4, probe.Verifier(), probe.Decider(), nullptr);
  releaser.join();
  sqlite3_close(holder);
  ASSERT_TRUE(r) << r.error().ToString();
  EXPECT_EQ(probe.verifies, 1);
  EXPECT_EQ(probe.decides, 2);
  EXPECT_EQ(store_->GetCredential(c.id)->sign_count, 6u);
}

// Two processes log in with the same assertion at once (both read the counter before either
// writes: verification waits until both have read); exactly one passes. Exit status 0 = won,
// 1 = refused by the counter (regression or conflict), 2 = other.
TEST_F(StoreTest, VerifyAndRecordUseRacingProcesses) {
  Credential c = MakeCredential(alice_.id, 0);
  ASSERT_TRUE(store_->AddCredential(c, nullptr));
  for (uint32_t round = 0; round < 10; ++round) {
    int gate[2];
    int arrived[2];
    ASSERT_EQ(pipe(gate), 0);
    ASSERT_EQ(pipe(arrived), 0);
    pid_t pids[2];
    for (pid_t& pid : pids) {
      pid = fork();
      ASSERT_GE(pid, 0);
      if (pid == 0) {
        close(gate[1]);
        close(arrived[0]);
        auto s = SqliteStore::Open(path_);
        if (!s) _exit(3);
        bool first = true;
        auto verify = [&](const SqliteStore::LoginCredential&) -> Result<void> {
          if (first) {
            first = false;
            (void)!write(arrived[1], "x", 1);  // I have read the counter
            char b;
            (void)!read(gate[0], &b, 1);  // released once both have read
          }
          return Ok();
        };
        auto decide = [&](const SqliteStore::LoginCredential& cred) {
          return SqliteStore::AdvanceSignCount(cred.sign_count, round + 1, false);
        };
        auto r = (*s)->VerifyAndRecordUse(c.id, 1, verify, decide, nullptr);
        if (r) _exit(0);
        const ErrorCode code = r.error().code;
        _exit(code == ErrorCode::kSignCountRegression || code == ErrorCode::kStoreConflict ? 1 : 2);
      }
    }
    close(gate[0]);
    close(arrived[1]);
    char b[2];
    ASSERT_EQ(read(arrived[0], &b[0], 1), 1);
    ASSERT_EQ(read(arrived[0], &b[1], 1), 1);
    close(arrived[0]);
    close(gate[1]);  // both children hold a snapshot with the same counter: let them write
    ExpectOneWinner(pids, round);
  }
  EXPECT_EQ(store_->GetCredential(c.id)->sign_count, 10u);
}

// kill -9 during a burst of registrations: every registration the child reported committed is
// there, complete; nothing is torn; the audit chain still verifies and matches the credentials.
// Holds for both durability modes (relaxed only gives up on OS crashes / power loss).
class KillNineTest : public StoreTest, public ::testing::WithParamInterface<bool> {};

TEST_P(KillNineTest, SurvivesKillNineMidWrite) {
  SqliteStore::Options options;
  options.relaxed_durability = GetParam();
  uint32_t next = 1000;
  for (int round = 0; round < 3; ++round) {
    int report[2];
    ASSERT_EQ(pipe(report), 0);
    const uint32_t first = next;
    pid_t pid = fork();
    ASSERT_GE(pid, 0);
    if (pid == 0) {
      close(report[0]);
      auto s = SqliteStore::Open(path_, options);
      if (!s) _exit(3);
      for (uint32_t n = first;; ++n) {
        Credential cred = MakeCredential(alice_.id, n);
        AuditEvent ev = Event("registration", alice_.id);
        ev.credential_id = cred.id;
        if (!(*s)->AddCredential(cred, &ev)) _exit(2);
        if (write(report[1], &n, sizeof n) != sizeof n) _exit(4);
      }
    }
    close(report[1]);
    std::vector<uint32_t> committed;
    uint32_t n;
    while (committed.size() < static_cast<size_t>(20 + round * 15) &&
           read(report[0], &n, sizeof n) == sizeof n) {
      committed.push_back(n);
    }
    ASSERT_EQ(kill(pid, SIGKILL), 0);
    int status = 0;
    ASSERT_EQ(waitpid(pid, &status, 0), pid);
    EXPECT_TRUE(WIFSIGNALED(status));
    while (read(report[0], &n, sizeof n) == sizeof n) committed.push_back(n);
    close(report[0]);
    ASSERT_FALSE(committed.empty());

    auto s = OpenOrDie(path_);
    ASSERT_TRUE(s->CheckIntegrity());
    for (uint32_t id : committed) {
      auto got = s->GetCredential(MakeCredential(alice_.id, id).id);
      ASSERT_TRUE(got) << "committed registration " << id << " lost";
      EXPECT_TRUE(CredentialMatchesSeed(*got, id));
    }
    auto all = s->ListCredentials(alice_.id);
    ASSERT_TRUE(all);
    // At most one registration committed after its report could be written.
    const size_t before = static_cast<size_t>(next - 1000);
    EXPECT_GE(all->size(), before + committed.size());
    EXPECT_LE(all->size(), before + committed.size() + 1);
    for (const Credential& cred : *all) {
      bool matched = false;
      for (uint32_t k = first - (first - 1000); k < first + committed.size() + 2; ++k) {
        if (CredentialMatchesSeed(cred, k)) {
          matched = true;
          break;
        }
      }
      EXPECT_TRUE(matched) << "torn credential record";
    }
    auto v = s->VerifyAuditChain();
    ASSERT_TRUE(v) << v.error().ToString();
    EXPECT_EQ(v->records, 1 + all->size());  // principal_created + one per registration
    next = 1000 + static_cast<uint32_t>(all->size());
  }
}

INSTANTIATE_TEST_SUITE_P(Durability, KillNineTest, ::testing::Values(false, true),
                         [](const auto& p) { return p.param ? "Relaxed" : "Full"; });

TEST_F(StoreTest, ChallengesAreSingleUseAndExpire) {
  ChallengeRecord r;
  r.challenge = Bytes(32, 7);
  r.purpose = "login";
  r.principal_id = alice_.id;
  r.state_json = "{}";
  r.created_at = 1000;
  r.expires_at = 1300;
  ASSERT_TRUE(store_->PutChallenge(r));
  auto wrong = store_->ConsumeChallenge(r.challenge, "register", 1001);
  EXPECT_EQ(wrong.error().code, ErrorCode::kChallengeUnknown);
  auto ok = store_->ConsumeChallenge(r.challenge, "login", 1001);
  ASSERT_TRUE(ok) << ok.error().ToString();
  EXPECT_EQ(ok->principal_id, alice_.id);
  EXPECT_EQ(store_->ConsumeChallenge(r.challenge, "login", 1002).error().code,
            ErrorCode::kChallengeReplayed);
  EXPECT_EQ(store_->ConsumeChallenge(Bytes(32, 8), "login", 1002).error().code,
            ErrorCode::kChallengeUnknown);

  r.challenge = Bytes(32, 9);
  ASSERT_TRUE(store_->PutChallenge(r));
  EXPECT_EQ(store_->ConsumeChallenge(r.challenge, "login", 1300).error().code,
            ErrorCode::kChallengeExpired);
  // An expired challenge is burnt too.
  EXPECT_EQ(store_->ConsumeChallenge(r.challenge, "login", 1100).error().code,
            ErrorCode::kChallengeReplayed);
}

// Schema 1 → 2 adds the smart cards' intermediates; existing credentials read back with none.
TEST_F(StoreTest, MigrationFromSchemaOneKeepsCredentials) {
  Credential c = MakeCredential(alice_.id, 2);  // a smart card
  ASSERT_TRUE(store_->AddCredential(c, nullptr));
  store_.reset();
  RawExec(path_,
          "ALTER TABLE credentials DROP COLUMN cert_intermediates;"
          "DROP TABLE web_state;"
          "DELETE FROM schema_version WHERE version>=2;");
  auto s = SqliteStore::Open(path_);
  ASSERT_TRUE(s) << s.error().ToString();
  auto back = (*s)->GetCredential(c.id);
  ASSERT_TRUE(back) << back.error().ToString();
  EXPECT_TRUE(back->certificate_intermediates.empty());
  EXPECT_EQ(back->certificate, c.certificate);
  ASSERT_TRUE((*s)->CheckIntegrity());
}

TEST_F(StoreTest, TruncatedIntermediatesAreCorrupt) {
  Credential c = MakeCredential(alice_.id, 2);
  ASSERT_TRUE(store_->AddCredential(c, nullptr));
  RawExec(path_, "UPDATE credentials SET cert_intermediates=x'00000009AABB'");
  EXPECT_EQ(store_->GetCredential(c.id).error().code, ErrorCode::kStoreCorrupt);
  RawExec(path_, "UPDATE credentials SET cert_intermediates=x'0000'");
  EXPECT_EQ(store_->GetCredential(c.id).error().code, ErrorCode::kStoreCorrupt);
}

TEST_F(StoreTest, ChallengeConsumedOnceAcrossProcesses) {
  ChallengeRecord r;
  r.challenge = Bytes(32, 3);
  r.purpose = "login";
  r.state_json = "{}";
  r.created_at = 1000;
  r.expires_at = 2000;
  ASSERT_TRUE(store_->PutChallenge(r));
  int gate[2];
  ASSERT_EQ(pipe(gate), 0);
  pid_t pids[3];
  for (pid_t& pid : pids) {
    pid = fork();
    ASSERT_GE(pid, 0);
    if (pid == 0) {
      close(gate[1]);
      auto s = SqliteStore::Open(path_);
      if (!s) _exit(3);
      char b;
      (void)!read(gate[0], &b, 1);
      auto c = (*s)->ConsumeChallenge(r.challenge, "login", 1500);
      _exit(c ? 0 : (c.error().code == ErrorCode::kChallengeReplayed ? 1 : 2));
    }
  }
  close(gate[0]);
  close(gate[1]);
  int wins = 0, replays = 0;
  for (pid_t pid : pids) {
    int status = 0;
    ASSERT_EQ(waitpid(pid, &status, 0), pid);
    ASSERT_TRUE(WIFEXITED(status));
    if (WEXITSTATUS(status) == 0) ++wins;
    if (WEXITSTATUS(status) == 1) ++replays;
  }
  EXPECT_EQ(wins, 1);
  EXPECT_EQ(replays, 2);
}

TEST_F(StoreTest, NewerSchemaIsRefused) {
  store_.reset();
  RawExec(path_, "INSERT INTO schema_version(version) VALUES(99)");
  auto s = SqliteStore::Open(path_);
  ASSERT_FALSE(s);
  EXPECT_EQ(s.error().code, ErrorCode::kSchemaVersionUnsupported);
  EXPECT_EQ(s.error().native, 99u);
}

TEST_F(StoreTest, ReopenKeepsSchemaAndPseudonymKey) {
  const std::string before = store_->Pseudonym(alice_.id);
  store_.reset();
  auto s = OpenOrDie(path_);
  EXPECT_EQ(s->Pseudonym(alice_.id), before);
  EXPECT_TRUE(s->GetPrincipal(alice_.id));
}

TEST(StoreOpen, GarbageFileIsCorrupt) {
  TempDir dir;
  const std::string path = dir.File("garbage.db");
  {
    std::ofstream out(path, std::ios::binary);
    for (int i = 0; i < 512; ++i) out << "this is not a database ";
  }
  auto s = SqliteStore::Open(path);
  ASSERT_FALSE(s);
  EXPECT_EQ(s.error().code, ErrorCode::kStoreCorrupt);
  EXPECT_EQ(s.error().native & 0xff, static_cast<uint32_t>(SQLITE_NOTADB));
}

TEST(StoreOpen, MissingDirectoryIsIo) {
  auto s = SqliteStore::Open("/nonexistent-dir-kw/x/store.db");
  ASSERT_FALSE(s);
  EXPECT_EQ(s.error().code, ErrorCode::kStoreIo);
  EXPECT_EQ(s.error().native & 0xff, static_cast<uint32_t>(SQLITE_CANTOPEN));
}

TEST(StoreOpen, MissingFileWithoutCreateIsNotFound) {
  TempDir dir;
  auto s = SqliteStore::Open(dir.File("absent.db"), /*create=*/false);
  ASSERT_FALSE(s);
  EXPECT_EQ(s.error().code, ErrorCode::kNotFound);
}

TEST_F(StoreTest, BusyWhenAnotherProcessHoldsTheWriteLockPastTheTimeout) {
  // Hold the write lock from a raw connection and shorten the store's patience via a second
  // store whose busy handler we cannot wait 10 s for: use sqlite directly with timeout 0.
  sqlite3* holder = nullptr;
  ASSERT_EQ(sqlite3_open(path_.c_str(), &holder), SQLITE_OK);
  ASSERT_EQ(sqlite3_exec(holder, "BEGIN IMMEDIATE", nullptr, nullptr, nullptr), SQLITE_OK);
  auto db = SqliteDb::Open(path_, false);
  ASSERT_TRUE(db);
  ASSERT_TRUE((*db)->Exec("PRAGMA busy_timeout=0"));
  auto r = (*db)->BeginImmediate();
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error().code, ErrorCode::kStoreBusy);
  EXPECT_EQ(r.error().native & 0xff, static_cast<uint32_t>(SQLITE_BUSY));
  sqlite3_exec(holder, "ROLLBACK", nullptr, nullptr, nullptr);
  sqlite3_close(holder);
}

// ---- audit chain ----

class AuditTest : public StoreTest {
 protected:
  void SetUp() override {
    StoreTest::SetUp();
    for (int i = 0; i < 5; ++i) {
      AuditEvent e = Event("login", alice_.id);
      e.outcome = i % 2 ? "failure" : "success";
      if (i % 2) e.code = "assertion_signature_invalid";
      ASSERT_TRUE(store_->AppendAudit(e));
    }
  }
};

TEST_F(AuditTest, IntactChainVerifies) {
  auto v = store_->VerifyAuditChain();
  ASSERT_TRUE(v) << v.error().ToString();
  EXPECT_EQ(v->records, 6u);
  auto lines = store_->AuditTail(0);
  ASSERT_TRUE(lines);
  ASSERT_EQ(lines->size(), 6u);
  EXPECT_TRUE(VerifyAuditLines(*lines));
  // The records carry the pseudonym, never the principal id or name.
  for (const auto& l : *lines) {
    EXPECT_EQ(l.find(alice_.id), std::string::npos);
    EXPECT_EQ(l.find("alice"), std::string::npos);
    EXPECT_NE(l.find(store_->Pseudonym(alice_.id)), std::string::npos);
  }
  auto tail = store_->AuditTail(2);
  ASSERT_TRUE(tail);
  ASSERT_EQ(tail->size(), 2u);
  EXPECT_TRUE(VerifyAuditLines(*tail));  // a tail verifies on its own
}

TEST_F(AuditTest, AppendOnlyTriggersRefuseChanges) {
  sqlite3* db = nullptr;
  ASSERT_EQ(sqlite3_open(path_.c_str(), &db), SQLITE_OK);
  EXPECT_NE(sqlite3_exec(db, "UPDATE audit SET line='x' WHERE seq=2", nullptr, nullptr, nullptr),
            SQLITE_OK);
  EXPECT_NE(sqlite3_exec(db, "DELETE FROM audit WHERE seq=2", nullptr, nullptr, nullptr),
            SQLITE_OK);
  sqlite3_close(db);
  EXPECT_TRUE(store_->VerifyAuditChain());
}

TEST_F(AuditTest, TamperedLineIsDetectedWithItsLineNumber) {
  store_.reset();
  RawExec(path_,
          "DROP TRIGGER audit_append_only_update;"
          "UPDATE audit SET line=replace(line, '\"outcome\":\"failure\"', "
          "'\"outcome\":\"success\"') WHERE seq=5;");
  auto s = OpenOrDie(path_);
  auto v = s->VerifyAuditChain();
  ASSERT_FALSE(v);
  EXPECT_EQ(v.error().code, ErrorCode::kAuditChainBroken);
  EXPECT_EQ(v.error().native, 5u);
}

TEST_F(AuditTest, RemovedLineIsDetected) {
  store_.reset();
  RawExec(path_, "DROP TRIGGER audit_append_only_delete; DELETE FROM audit WHERE seq=3;");
  auto v = OpenOrDie(path_)->VerifyAuditChain();
  ASSERT_FALSE(v);
  EXPECT_EQ(v.error().code, ErrorCode::kAuditChainBroken);
  EXPECT_EQ(v.error().native, 3u);
}

TEST_F(AuditTest, TruncatedTailIsDetectedAgainstTheHead) {
  store_.reset();
  RawExec(path_, "DROP TRIGGER audit_append_only_delete; DELETE FROM audit WHERE seq=6;");
  auto v = OpenOrDie(path_)->VerifyAuditChain();
  ASSERT_FALSE(v);
  EXPECT_EQ(v.error().code, ErrorCode::kAuditChainBroken);
  EXPECT_EQ(v.error().native, 6u);
}

TEST_F(AuditTest, ReorderedExportedLinesAreDetected) {
  auto lines = store_->AuditTail(0);
  ASSERT_TRUE(lines);
  std::swap((*lines)[2], (*lines)[3]);
  auto v = VerifyAuditLines(*lines);
  ASSERT_FALSE(v);
  EXPECT_EQ(v.error().code, ErrorCode::kAuditChainBroken);
  EXPECT_EQ(v.error().native, 3u);
}

TEST_F(AuditTest, EditedExportedLineIsDetected) {
  auto lines = store_->AuditTail(0);
  ASSERT_TRUE(lines);
  std::string& l = (*lines)[1];
  l.replace(l.find("\"login\""), 7, "\"admin\"");
  auto v = VerifyAuditLines(*lines);
  ASSERT_FALSE(v);
  EXPECT_EQ(v.error().native, 2u);
  (*lines)[1] = "not json at all";
  EXPECT_EQ(VerifyAuditLines(*lines).error().code, ErrorCode::kAuditChainBroken);
}

TEST_F(AuditTest, ChainSerializesAcrossProcesses) {
  store_.reset();
  pid_t pids[3];
  for (pid_t& pid : pids) {
    pid = fork();
    ASSERT_GE(pid, 0);
    if (pid == 0) {
      auto s = SqliteStore::Open(path_);
      if (!s) _exit(3);
      for (int i = 0; i < 20; ++i) {
        if (!(*s)->AppendAudit(Event("admin", ""))) _exit(2);
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
  auto v = OpenOrDie(path_)->VerifyAuditChain();
  ASSERT_TRUE(v) << v.error().ToString();
  EXPECT_EQ(v->records, 66u);
}

}  // namespace
}  // namespace keyward::authenticator
