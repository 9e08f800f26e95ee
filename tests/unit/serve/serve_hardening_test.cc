// Open-internet hardening of `keyward serve`, against the running binary: size limits, a
// slow-loris client, rate limits and login back-off, SIGTERM during a burst of logins. No timing
// assertions: every wait is a bounded poll for an outcome.
#include <gtest/gtest.h>

#include <atomic>
#include <filesystem>
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

class ServeHardeningTest : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = TempDir(std::string("h-") +
                   ::testing::UnitTest::GetInstance()->current_test_info()->name());
  }
  void StartServer(Json cfg) {
    cfg["web_root"] = "";
    server_ = ServerProcess::Start(dir_, cfg);
    ASSERT_NE(server_, nullptr);
  }
  void TearDown() override {
    if (server_) {
      EXPECT_EQ(server_->Stop(), 0) << server_->StderrText();
    }
  }
  std::string dir_;
  std::unique_ptr<ServerProcess> server_;
};

TEST_F(ServeHardeningTest, OversizeBodyAndHeaders) {
  StartServer({{"limits", {{"max_body_bytes", 2048}, {"max_header_bytes", 2048}}}});
  HttpClient c(server_->port());
  auto big =
      c.Request("POST", "/api/login/begin", "{\"username\":\"" + std::string(5000, 'a') + "\"}");
  EXPECT_EQ(big.status, 413);
  EXPECT_EQ(big.ErrorCode(), "request_too_large");
  HttpClient c2(server_->port());
  auto headers = c2.Request("GET", "/healthz", "", {{"X-Filler", std::string(4096, 'b')}});
  EXPECT_EQ(headers.status, 431);
  EXPECT_EQ(headers.ErrorCode(), "headers_too_large");
  // The server still answers.
  HttpClient c3(server_->port());
  EXPECT_EQ(c3.Get("/healthz").status, 200);
  // Garbage that is not HTTP.
  RawConnection raw(server_->port());
  ASSERT_TRUE(raw.Send("\x16\x03\x01 not http\r\n\r\n"));
  auto [got, closed] = raw.ReadUntilClosed(10000);
  EXPECT_TRUE(closed);
  EXPECT_EQ(got.rfind("HTTP/1.1 400", 0), 0u) << got;
}

TEST_F(ServeHardeningTest, SlowLorisDoesNotHoldTheWorker) {
  StartServer({{"threads", 1}, {"limits", {{"read_timeout_ms", 500}, {"idle_timeout_ms", 2000}}}});
  std::vector<std::unique_ptr<RawConnection>> slow;
  for (int i = 0; i < 20; ++i) {
    slow.push_back(std::make_unique<RawConnection>(server_->port()));
    ASSERT_TRUE(slow.back()->Send("POST /api/login/begin HTTP/1.1\r\nHost: x\r\nX-A: "));
  }
  // The single worker thread still serves others while 20 requests trickle in.
  HttpClient c(server_->port());
  EXPECT_EQ(c.Get("/healthz").status, 200);
  // Each slow request is cut once its read deadline passes, however it trickles.
  for (auto& s : slow) {
    for (int i = 0; i < 3; ++i) s->Send("a");
    auto [got, closed] = s->ReadUntilClosed(15000);
    EXPECT_TRUE(closed);
    EXPECT_EQ(got.find("200 OK"), std::string::npos) << got;
  }
  // An idle keep-alive connection is closed after idle_timeout_ms.
  RawConnection idle(server_->port());
  auto [got, closed] = idle.ReadUntilClosed(15000);
  EXPECT_TRUE(closed);
  EXPECT_TRUE(got.empty());
}

TEST_F(ServeHardeningTest, FloodPastThePerIpRateLimit) {
  StartServer({{"limits", {{"ip_rate", 0.5}, {"ip_burst", 5}}}});
  HttpClient c(server_->port());
  int limited = 0;
  std::string retry_after;
  for (int i = 0; i < 20; ++i) {
    auto r = c.Post("/api/login/begin", Json::object());
    if (r.status == 429) {
      ++limited;
      EXPECT_EQ(r.ErrorCode(), "rate_limited");
      retry_after = r.Header("retry-after");
    } else {
      EXPECT_EQ(r.status, 200);
    }
  }
  EXPECT_GE(limited, 14);  // burst 5, refill 0.5/s: at most a few more get through
  EXPECT_FALSE(retry_after.empty());
  EXPECT_GE(std::stoi(retry_after), 1);
  // Operations routes are not rate limited (probes must see the truth).
  EXPECT_EQ(c.Get("/healthz").status, 200);
}

TEST_F(ServeHardeningTest, FailedLoginsBackOffProgressively) {
  StartServer({{"limits", {{"login_failures_before_backoff", 3}, {"backoff_base_seconds", 30}}}});
  HttpClient c(server_->port());
  Json bogus = {{"ceremonyId", "AAAAAAAAAAAAAAAAAAAAAA"}, {"credential", Json::object()}};
  for (int i = 0; i < 3; ++i) {
    EXPECT_EQ(c.Post("/api/login/finish", bogus).ErrorCode(), "ceremony_unknown");
  }
  auto locked = c.Post("/api/login/finish", bogus);
  EXPECT_EQ(locked.status, 429);
  EXPECT_EQ(locked.ErrorCode(), "rate_limited");
  EXPECT_GE(std::stoi(locked.Header("retry-after")), 1);
  // Login begin is still possible (only the finish is locked).
  EXPECT_EQ(c.Post("/api/login/begin", Json::object()).status, 200);
}

TEST_F(ServeHardeningTest, SigtermDuringABurstOfLoginsLosesNothing) {
  StartServer({{"threads", 2}, {"limits", {{"ip_rate", 100000}, {"ip_burst", 100000}}}});
  TestAuthenticator key;
  HttpClient setup(server_->port());
  auto begin = setup.Post("/api/register/begin", {{"username", "burst"}});
  ASSERT_EQ(begin.status, 200);
  RegistrationSpec rs;
  rs.rp_id = "localhost";
  rs.client.origin = "http://localhost:8080";
  rs.client.challenge = *Base64UrlDecode(begin.json()["publicKey"]["challenge"].get<std::string>());
  rs.flags = 0x45;
  auto fin = setup.Post("/api/register/finish",
                        {{"ceremonyId", begin.json()["ceremonyId"]},
                         {"credential", *ParseJson(TestAuthenticator::ToJson(key.Register(rs)))}});
  ASSERT_EQ(fin.status, 200) << fin.body;

  std::atomic<int> answered_ok{0};
  std::atomic<bool> stop{false};
  std::vector<std::thread> clients;
  for (int t = 0; t < 4; ++t) {
    clients.emplace_back([&, port = server_->port()] {
      HttpClient c(port);
      c.quiet = true;
      while (!stop.load()) {
        auto b = c.Post("/api/login/begin", {{"username", "burst"}});
        if (b.status != 200) break;
        AssertionSpec as;
        as.rp_id = "localhost";
        as.client.origin = "http://localhost:8080";
        as.client.challenge =
            *Base64UrlDecode(b.json()["publicKey"]["challenge"].get<std::string>());
        as.flags = 0x05;
        as.sign_count = 0;  // both-zero counters: no clone signal under concurrency
        auto f = c.Post("/api/login/finish",
                        {{"ceremonyId", b.json()["ceremonyId"]},
                         {"credential", *ParseJson(TestAuthenticator::ToJson(key.Assert(as)))}});
        if (f.status == 200) ++answered_ok;
        if (f.status == 0) break;
      }
    });
  }
  while (answered_ok.load() < 20) std::this_thread::sleep_for(std::chrono::milliseconds(5));
  EXPECT_EQ(server_->Stop(), 0);
  stop = true;
  ::testing::Test::RecordProperty("answered_ok", answered_ok.load());
  for (auto& t : clients) t.join();
  server_.reset();

  authenticator::AuthenticatorConfig ac;
  ac.db_path = dir_ + "/store.db";
  ac.rp_id = "localhost";
  auto auth = authenticator::Authenticator::Open(ac);
  ASSERT_TRUE(auth) << auth.error().ToString();
  auto verified = (*auth)->VerifyAuditChain();
  ASSERT_TRUE(verified) << verified.error().ToString();
  auto tail = (*auth)->AuditTail(1000000);
  ASSERT_TRUE(tail);
  int logins = 0;
  for (const auto& line : *tail) {
    auto j = ParseJson(line);
    if (j && (*j)["event"] == "login" && (*j)["outcome"] == "success") ++logins;
  }
  // Every answered login is committed (a login whose answer was cut by the shutdown may be
  // committed too, so the store can hold more, never fewer).
  EXPECT_GE(logins, answered_ok.load());
  EXPECT_GE(answered_ok.load(), 20);
}

}  // namespace
}  // namespace keyward::serve::testing
