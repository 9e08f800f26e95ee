// Two `keyward serve` processes on ONE PostgreSQL database (issue #16): the binary from this
// build, twice, both on the private PostgreSQL 15 that scripts/with-postgres starts (and stops by
// PID). The faces used are the ones that keep no ceremony state in process memory: the FIDO2
// conformance API (the ceremony is the challenge in clientDataJSON, stored in the database) and,
// for the browser face, the session API whose sessions and pending ceremonies live in the store.
//
// Asserted: the same assertion sent to both nodes at once passes exactly once (the other answer is
// challenge_replayed); a challenge issued by one node is spent on the other; kill -9 of a node in
// the middle of a burst of logins loses no answered login and leaves nothing half-written (every
// spent login challenge has its audit record, the chain verifies); PostgreSQL restarted or stopped
// in the middle of a burst gives callers only 503 store_unavailable (and /readyz 503 while it is
// down), and both nodes recover by themselves. No timing assertions: every wait is a bounded poll.
#include <gtest/gtest.h>
#include <libpq-fe.h>
#include <signal.h>
#include <sys/wait.h>

#include <atomic>
#include <cstdlib>
#include <mutex>
#include <set>
#include <thread>

#include "core/base64url.h"
#include "core/json.h"
#include "keyward/authenticator.h"
#include "tests/support/webauthn_test_authenticator.h"
#include "tests/unit/serve/serve_fixture.h"

namespace keyward::serve::testing {
namespace {

using keyward::testing::AssertionSpec;
using keyward::testing::RegistrationSpec;
using keyward::testing::TestAuthenticator;

constexpr char kOrigin[] = "http://localhost:8080";

std::string PgUrl() {
  const char* url = std::getenv("KEYWARD_TEST_PG_URL");
  return url == nullptr ? "" : url;
}

// One SQL statement through libpq; the first column of the first row ("" when none, "ERROR"
// when the statement failed).
std::string Sql(const std::string& sql) {
  PGconn* c = PQconnectdb(PgUrl().c_str());
  std::string out = "ERROR";
  if (PQstatus(c) == CONNECTION_OK) {
    PQclear(PQexec(c, "SET client_min_messages=warning"));
    PGresult* r = PQexec(c, sql.c_str());
    if (PQresultStatus(r) == PGRES_TUPLES_OK) {
      out = PQntuples(r) > 0 ? PQgetvalue(r, 0, 0) : "";
    } else if (PQresultStatus(r) == PGRES_COMMAND_OK) {
      out = "";
    } else {
      ADD_FAILURE() << sql << ": " << PQerrorMessage(c);
    }
    PQclear(r);
  } else {
    ADD_FAILURE() << "connect: " << PQerrorMessage(c);
  }
  PQfinish(c);
  return out;
}

// The code name a conformance or /api answer carries ("challenge_replayed", ...).
std::string CodeOf(const HttpAnswer& a) {
  std::string code = a.ErrorCode();
  if (!code.empty()) return code;
  Json j = a.json();
  if (j.is_object() && j.contains("errorMessage") && j["errorMessage"].is_string()) {
    std::string m = j["errorMessage"];
    return m.substr(0, m.find(':'));
  }
  return "";
}

std::string AssertionBody(const TestAuthenticator& key, const Json& options, uint32_t count) {
  AssertionSpec as;
  as.rp_id = "localhost";
  as.client.origin = kOrigin;
  as.client.challenge = *Base64UrlDecode(options["challenge"].get<std::string>());
  as.flags = 0x05;  // UP + UV
  as.sign_count = count;
  return TestAuthenticator::ToJson(key.Assert(as));
}

class MultiNodeTest : public ::testing::Test {
 protected:
  void SetUp() override {
    ASSERT_FALSE(PgUrl().empty()) << "KEYWARD_TEST_PG_URL is not set: run under with-postgres";
    // Every test starts from an empty database.
    ASSERT_EQ(Sql("DROP SCHEMA IF EXISTS public CASCADE; CREATE SCHEMA public;"), "");
    std::string name = ::testing::UnitTest::GetInstance()->current_test_info()->name();
    dir_a_ = TempDir("mn-a-" + name);
    dir_b_ = TempDir("mn-b-" + name);
  }
  void TearDown() override {
    for (auto* node : {&a_, &b_}) {
      if (*node && !killed_.count(node->get())) {
        EXPECT_EQ((*node)->Stop(), 0) << (*node)->StderrText();
      }
    }
  }
  Json NodeConfig() {
    return {{"store", PgUrl()},
            {"conformance", true},
            {"web_root", ""},
            {"threads", 2},
            {"limits", {{"ip_rate", 100000}, {"ip_burst", 100000}}}};
  }
  void StartNodes() {
    a_ = ServerProcess::Start(dir_a_, NodeConfig());
    ASSERT_NE(a_, nullptr);
    b_ = ServerProcess::Start(dir_b_, NodeConfig());
    ASSERT_NE(b_, nullptr);
  }
  // Registers `key` for `username` through the conformance API of the node at `port`.
  void Register(uint16_t port, const TestAuthenticator& key, const std::string& username) {
    HttpClient c(port);
    auto opts = c.Post("/attestation/options", {{"username", username}});
    ASSERT_EQ(opts.status, 200) << opts.body;
    RegistrationSpec rs;
    rs.rp_id = "localhost";
    rs.client.origin = kOrigin;
    rs.client.challenge = *Base64UrlDecode(opts.json()["challenge"].get<std::string>());
    rs.flags = 0x45;
    auto res =
        c.Post("/attestation/result", *ParseJson(TestAuthenticator::ToJson(key.Register(rs))));
    ASSERT_EQ(res.status, 200) << res.body;
  }
  // The store as one node sees it, opened from this process.
  std::unique_ptr<authenticator::Authenticator> OpenStore() {
    authenticator::AuthenticatorConfig ac;
    ac.store_url = PgUrl();
    ac.rp_id = "localhost";
    auto auth = authenticator::Authenticator::Open(ac);
    if (!auth) {
      ADD_FAILURE() << auth.error().ToString();
      return nullptr;
    }
    return std::move(*auth);
  }
  // Successful login records in the (verified) audit chain, or -1.
  int VerifiedLoginSuccesses() {
    auto auth = OpenStore();
    if (!auth) return -1;
    auto verified = auth->VerifyAuditChain();
    EXPECT_TRUE(verified) << verified.error().ToString();
    if (!verified) return -1;
    auto tail = auth->AuditTail(0);
    EXPECT_TRUE(tail);
    if (!tail) return -1;
    int logins = 0;
    for (const auto& line : *tail) {
      auto j = ParseJson(line);
      if (j && (*j)["event"] == "login" && (*j)["outcome"] == "success") ++logins;
    }
    return logins;
  }
  void Kill(std::unique_ptr<ServerProcess>& node) {
    ::kill(node->pid(), SIGKILL);
    killed_.insert(node.get());
    int status = 0;
    ::waitpid(node->pid(), &status, 0);
  }
  // Polls GET /readyz on `port` until it answers `status` (bounded: 30 s).
  bool ReadyzBecomes(uint16_t port, int status) {
    for (int i = 0; i < 300; ++i) {
      HttpClient c(port);
      c.quiet = true;
      if (c.Get("/readyz").status == status) return true;
      std::this_thread::sleep_for(std::chrono::milliseconds(100));
    }
    return false;
  }

  std::string dir_a_, dir_b_;
  std::unique_ptr<ServerProcess> a_, b_;
  std::set<ServerProcess*> killed_;
};

TEST_F(MultiNodeTest, TheSameAssertionSentToBothNodesAtOncePassesOnce) {
  StartNodes();
  TestAuthenticator key;
  Register(a_->port(), key, "race");
  HttpClient ca(a_->port()), cb(b_->port());
  constexpr int kRounds = 20;
  for (int round = 0; round < kRounds; ++round) {
    HttpClient& issuer = round % 2 == 0 ? ca : cb;
    auto opts = issuer.Post("/assertion/options", {{"username", "race"}});
    ASSERT_EQ(opts.status, 200) << opts.body;
    std::string body = AssertionBody(key, opts.json(), static_cast<uint32_t>(round + 1));
    std::atomic<int> ready{0};
    HttpAnswer ra, rb;
    auto send = [&](HttpClient& c, HttpAnswer& out) {
      ++ready;
      while (ready.load() < 2) std::this_thread::yield();
      out = c.Request("POST", "/assertion/result", body);
    };
    std::thread ta(send, std::ref(ca), std::ref(ra));
    std::thread tb(send, std::ref(cb), std::ref(rb));
    ta.join();
    tb.join();
    int passed = (ra.status == 200) + (rb.status == 200);
    EXPECT_EQ(passed, 1) << "round " << round << ": " << ra.body << " / " << rb.body;
    const HttpAnswer& loser = ra.status == 200 ? rb : ra;
    EXPECT_EQ(loser.status, 400) << loser.body;
    EXPECT_EQ(CodeOf(loser), "challenge_replayed") << loser.body;
  }
  EXPECT_EQ(VerifiedLoginSuccesses(), kRounds);
  // The counter moved once per round.
  auto auth = OpenStore();
  ASSERT_NE(auth, nullptr);
  auto p = auth->FindPrincipalByName("race");
  ASSERT_TRUE(p);
  auto creds = auth->ListCredentials(p->id);
  ASSERT_TRUE(creds);
  ASSERT_EQ(creds->size(), 1u);
  EXPECT_EQ((*creds)[0].sign_count, static_cast<uint32_t>(kRounds));
}

TEST_F(MultiNodeTest, AChallengeIssuedByOneNodeIsSpentOnTheOther) {
  StartNodes();
  TestAuthenticator key;
  Register(b_->port(), key, "cross");
  HttpClient ca(a_->port()), cb(b_->port());
  // Registration begun on A, finished on B.
  TestAuthenticator key2;
  auto ropts = ca.Post("/attestation/options", {{"username", "cross2"}});
  ASSERT_EQ(ropts.status, 200);
  RegistrationSpec rs;
  rs.rp_id = "localhost";
  rs.client.origin = kOrigin;
  rs.client.challenge = *Base64UrlDecode(ropts.json()["challenge"].get<std::string>());
  rs.flags = 0x45;
  std::string reg = TestAuthenticator::ToJson(key2.Register(rs));
  EXPECT_EQ(cb.Request("POST", "/attestation/result", reg).status, 200);
  auto reg_again = ca.Request("POST", "/attestation/result", reg);
  EXPECT_EQ(reg_again.status, 400);
  EXPECT_EQ(CodeOf(reg_again), "challenge_replayed") << reg_again.body;
  // Login begun on A, finished on B; the same response on A is a replay.
  auto opts = ca.Post("/assertion/options", {{"username", "cross"}});
  ASSERT_EQ(opts.status, 200);
  std::string body = AssertionBody(key, opts.json(), 1);
  EXPECT_EQ(cb.Request("POST", "/assertion/result", body).status, 200);
  auto again = ca.Request("POST", "/assertion/result", body);
  EXPECT_EQ(again.status, 400);
  EXPECT_EQ(CodeOf(again), "challenge_replayed") << again.body;
  // And the other way round.
  auto opts2 = cb.Post("/assertion/options", {{"username", "cross2"}});
  ASSERT_EQ(opts2.status, 200);
  EXPECT_EQ(ca.Request("POST", "/assertion/result", AssertionBody(key2, opts2.json(), 1)).status,
            200);
  EXPECT_EQ(VerifiedLoginSuccesses(), 2);
}

// Logins in a loop against one node (options and result on it, or result on the other node):
// counts the 200 answers; stops at a dead connection or when told.
struct Burst {
  std::atomic<int> ok{0};
  std::atomic<int> other{0};
  std::atomic<bool> stop{false};
  std::mutex mu;
  std::multiset<std::string> codes;  // non-200 answers: "status code_name"
  std::vector<std::thread> threads;

  void Run(uint16_t options_port, uint16_t result_port, const TestAuthenticator& key,
           std::atomic<int>* node_ok) {
    threads.emplace_back([=, this, &key] {
      HttpClient co(options_port), cr(result_port);
      co.quiet = cr.quiet = true;
      while (!stop.load()) {
        auto o = co.Post("/assertion/options", {{"username", "burst"}});
        if (o.status == 0) break;
        if (o.status != 200) {
          Note(o);
          continue;
        }
        // Both counters zero: no clone signal under concurrency (synced-passkey style).
        auto r = cr.Request("POST", "/assertion/result", AssertionBody(key, o.json(), 0));
        if (r.status == 0) break;
        if (r.status == 200) {
          ++ok;
          if (node_ok) ++*node_ok;
        } else {
          Note(r);
        }
      }
    });
  }
  void Note(const HttpAnswer& a) {
    ++other;
    std::lock_guard lock(mu);
    codes.insert(std::to_string(a.status) + " " + CodeOf(a));
  }
  void Join() {
    stop = true;
    for (auto& t : threads) t.join();
    threads.clear();
  }
  bool WaitFor(const std::atomic<int>& counter, int at_least) {
    for (int i = 0; i < 6000 && counter.load() < at_least; ++i) {
      std::this_thread::sleep_for(std::chrono::milliseconds(10));
    }
    return counter.load() >= at_least;
  }
};

TEST_F(MultiNodeTest, KillNineOfANodeMidBurstLosesNothing) {
  StartNodes();
  TestAuthenticator key;
  Register(a_->port(), key, "burst");
  Burst burst;
  std::atomic<int> on_a{0}, on_b{0};
  burst.Run(a_->port(), a_->port(), key, &on_a);
  burst.Run(a_->port(), a_->port(), key, &on_a);
  burst.Run(b_->port(), b_->port(), key, &on_b);
  burst.Run(b_->port(), a_->port(), key, &on_a);  // begun on B, finished on A
  ASSERT_TRUE(burst.WaitFor(on_a, 30));
  Kill(a_);
  // B keeps serving after its peer died.
  int b_before = on_b.load();
  EXPECT_TRUE(burst.WaitFor(on_b, b_before + 20));
  burst.Join();
  // Only a dead connection ended the threads on A; no other answer than 200 was given.
  EXPECT_EQ(burst.other.load(), 0);
  for (const auto& c : burst.codes) ADD_FAILURE() << "unexpected answer: " << c;
  int logins = VerifiedLoginSuccesses();
  // Every answered login is committed (one cut off by the kill may be committed too).
  EXPECT_GE(logins, burst.ok.load());
  // Nothing half-written: every spent login challenge has exactly one login audit record (they
  // commit together), open challenges are untouched.
  std::string spent =
      Sql("SELECT count(*) FROM challenges WHERE purpose='login' AND used_at IS NOT NULL");
  std::string audited = Sql("SELECT count(*) FROM audit WHERE line LIKE '%\"event\":\"login\"%'");
  EXPECT_EQ(spent, audited);
  EXPECT_EQ(std::stoi(audited), logins);
}

TEST_F(MultiNodeTest, PostgresRestartMidBurstGivesOnlyTheRetryableCodeThenRecovers) {
  const char* pg_ctl = std::getenv("KEYWARD_PG_CTL");
  ASSERT_NE(pg_ctl, nullptr) << "run under scripts/with-postgres";
  StartNodes();
  TestAuthenticator key;
  Register(a_->port(), key, "burst");
  Burst burst;
  std::atomic<int> on_a{0}, on_b{0};
  burst.Run(a_->port(), a_->port(), key, &on_a);
  burst.Run(b_->port(), b_->port(), key, &on_b);
  burst.Run(a_->port(), b_->port(), key, &on_b);
  ASSERT_TRUE(burst.WaitFor(burst.ok, 20));

  // 1. pg_ctl restart -m fast in the middle of the burst.
  ASSERT_EQ(std::system((std::string(pg_ctl) + " restart -m fast -w >/dev/null 2>&1").c_str()), 0);
  int ok_after_restart = burst.ok.load();
  // Both nodes recover by themselves: logins succeed again on each.
  int a0 = on_a.load(), b0 = on_b.load();
  EXPECT_TRUE(burst.WaitFor(on_a, a0 + 10));
  EXPECT_TRUE(burst.WaitFor(on_b, b0 + 10));
  EXPECT_GT(burst.ok.load(), ok_after_restart);

  // 2. Stopped: /readyz says so on both nodes, callers get 503 store_unavailable.
  ASSERT_EQ(std::system((std::string(pg_ctl) + " stop -m fast -w >/dev/null 2>&1").c_str()), 0);
  EXPECT_TRUE(ReadyzBecomes(a_->port(), 503));
  EXPECT_TRUE(ReadyzBecomes(b_->port(), 503));
  {
    HttpClient c(a_->port());
    auto r = c.Post("/assertion/options", {{"username", "burst"}});
    EXPECT_EQ(r.status, 503) << r.body;
    EXPECT_EQ(CodeOf(r), "store_unavailable") << r.body;
  }
  ASSERT_EQ(std::system((std::string(pg_ctl) + " start -w >/dev/null 2>&1").c_str()), 0);
  EXPECT_TRUE(ReadyzBecomes(a_->port(), 200));
  EXPECT_TRUE(ReadyzBecomes(b_->port(), 200));
  a0 = on_a.load();
  b0 = on_b.load();
  EXPECT_TRUE(burst.WaitFor(on_a, a0 + 10));
  EXPECT_TRUE(burst.WaitFor(on_b, b0 + 10));
  burst.Join();

  // Every refusal was the retryable code, as a 503.
  {
    std::lock_guard lock(burst.mu);
    for (const auto& c : burst.codes) EXPECT_EQ(c, "503 store_unavailable");
  }
  // No answered login lost, the chain is one chain; every spent challenge has its record.
  int logins = VerifiedLoginSuccesses();
  EXPECT_GE(logins, burst.ok.load());
  EXPECT_EQ(Sql("SELECT count(*) FROM challenges WHERE purpose='login' AND used_at IS NOT NULL"),
            Sql("SELECT count(*) FROM audit WHERE line LIKE '%\"event\":\"login\"%'"));
}

// The browser face across nodes: a sign-up on A gives a session that B honours; a sign-in begun on
// A finishes on B; a restarted node keeps its sessions; a logout on one node ends the session on
// every node; a ceremony is taken once even when it reaches both nodes.
TEST_F(MultiNodeTest, BrowserSessionsAndCeremoniesAreSharedByTheNodes) {
  StartNodes();
  TestAuthenticator key;
  HttpClient ca(a_->port()), cb(b_->port());
  auto begin = ca.Post("/api/register/begin", {{"username", "web"}});
  ASSERT_EQ(begin.status, 200) << begin.body;
  RegistrationSpec rs;
  rs.rp_id = "localhost";
  rs.client.origin = kOrigin;
  rs.client.challenge = *Base64UrlDecode(begin.json()["publicKey"]["challenge"].get<std::string>());
  rs.flags = 0x45;
  // Begun on A, finished on B: B signs the new account in.
  auto fin = cb.Post("/api/register/finish",
                     {{"ceremonyId", begin.json()["ceremonyId"]},
                      {"credential", *ParseJson(TestAuthenticator::ToJson(key.Register(rs)))}});
  ASSERT_EQ(fin.status, 200) << fin.body;
  ASSERT_FALSE(cb.cookie().empty());
  // The session cookie B set is honoured by A.
  ca.cookie() = cb.cookie();
  auto me = ca.Get("/api/me");
  ASSERT_EQ(me.status, 200) << me.body;
  EXPECT_EQ(me.json()["user"]["name"], "web");
  // The store keeps only hashes: the cookie value is nowhere in the database.
  std::string cookie_value = cb.cookie().substr(cb.cookie().find('=') + 1);
  EXPECT_EQ(Sql("SELECT count(*) FROM web_state WHERE position(convert_to('" + cookie_value +
                "', 'UTF8') in key) > 0 OR position('" + cookie_value + "' in data) > 0"),
            "0");

  // A sign-in begun on A, finished on B; /api/me on A with B's new cookie.
  HttpClient la(a_->port()), lb(b_->port());
  auto lbegin = la.Post("/api/login/begin", {{"username", "web"}});
  ASSERT_EQ(lbegin.status, 200) << lbegin.body;
  std::string assertion = AssertionBody(key, lbegin.json()["publicKey"], 0);
  Json finish = {{"ceremonyId", lbegin.json()["ceremonyId"]},
                 {"credential", *ParseJson(assertion)}};
  auto lfin = lb.Post("/api/login/finish", finish);
  ASSERT_EQ(lfin.status, 200) << lfin.body;
  // The same finish on A: the ceremony is gone (taken once across nodes).
  auto replay = la.Post("/api/login/finish", finish);
  EXPECT_EQ(replay.status, 400);
  EXPECT_EQ(replay.ErrorCode(), "ceremony_unknown");
  la.cookie() = lb.cookie();
  EXPECT_EQ(la.Get("/api/me").status, 200);

  // A restart of A keeps the session (it lives in the store).
  EXPECT_EQ(a_->Stop(), 0);
  a_ = ServerProcess::Start(dir_a_, NodeConfig());
  ASSERT_NE(a_, nullptr);
  HttpClient ra(a_->port());
  ra.cookie() = lb.cookie();
  EXPECT_EQ(ra.Get("/api/me").status, 200);
  // Logout on the restarted A ends the session on B too.
  EXPECT_EQ(ra.Post("/api/logout", Json::object()).status, 200);
  HttpClient after(b_->port());
  after.cookie() = lb.cookie();
  auto gone = after.Get("/api/me");
  EXPECT_EQ(gone.status, 401);
  EXPECT_EQ(gone.ErrorCode(), "not_signed_in");
  // The first session (from the sign-up) is still there on both nodes.
  HttpClient first(b_->port());
  first.cookie() = cb.cookie();
  EXPECT_EQ(first.Get("/api/me").status, 200);
}

// An unknown name gets the same decoy allowCredentials from every node (and after a restart), as
// a real account's list is the same everywhere: asking two nodes must not tell the two apart.
TEST_F(MultiNodeTest, AnUnknownNameGetsTheSameDecoyListFromEveryNode) {
  StartNodes();
  TestAuthenticator key;
  Register(a_->port(), key, "known");
  auto allow = [](uint16_t port, const std::string& name) {
    HttpClient c(port);
    auto begin = c.Post("/api/login/begin", {{"username", name}});
    EXPECT_EQ(begin.status, 200) << begin.body;
    Json list = begin.json()["publicKey"]["allowCredentials"];
    EXPECT_TRUE(list.is_array() && !list.empty()) << begin.body;
    return list.dump();
  };
  const std::string on_a = allow(a_->port(), "nobody");
  EXPECT_EQ(allow(b_->port(), "nobody"), on_a);
  EXPECT_EQ(allow(b_->port(), "NoBody"), on_a);  // names compare case-insensitively
  EXPECT_NE(allow(a_->port(), "someone-else"), on_a);
  EXPECT_EQ(allow(a_->port(), "known"), allow(b_->port(), "known"));
  // One key for the whole store, kept across restarts.
  EXPECT_EQ(Sql("SELECT count(*) FROM web_state WHERE kind='decoy_key'"), "1");
  EXPECT_EQ(b_->Stop(), 0);
  b_ = ServerProcess::Start(dir_b_, NodeConfig());
  ASSERT_NE(b_, nullptr);
  EXPECT_EQ(allow(b_->port(), "nobody"), on_a);
}

}  // namespace
}  // namespace keyward::serve::testing
