// Units of serve/ without sockets: config validation, addresses behind proxies, API keys, rate
// limits (time is passed in), metrics text.
#include <gtest/gtest.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <set>

#include "core/json.h"
#include "serve/api_keys.h"
#include "serve/config.h"
#include "serve/metrics.h"
#include "serve/net_util.h"
#include "serve/rate_limiter.h"
#include "serve/service.h"

namespace keyward::serve {
namespace {

std::vector<std::string> ProblemPaths(const std::string& json) {
  std::vector<ConfigProblem> problems;
  auto r = ParseServeConfig(json, "", &problems);
  EXPECT_FALSE(r);
  if (!r) {
    EXPECT_EQ(r.error().code, ErrorCode::kConfigInvalid);
  }
  std::vector<std::string> out;
  for (const auto& p : problems) out.push_back(p.path);
  return out;
}

TEST(ServeConfig, MinimalConfigGetsDefaults) {
  std::vector<ConfigProblem> problems;
  auto c = ParseServeConfig(
      R"({"rp_id":"example.com","origins":["https://example.com"],"store":"sqlite:/tmp/x.db",
          "web_root":""})",
      "", &problems);
  ASSERT_TRUE(c) << c.error().ToString();
  EXPECT_EQ(c->listen_host, "127.0.0.1");
  EXPECT_EQ(c->listen_port, 8443);
  EXPECT_EQ(c->store_path, "/tmp/x.db");
  EXPECT_EQ(c->policy, "ciam");
  EXPECT_TRUE(c->cookie_secure);
  EXPECT_FALSE(c->relaxed_durability);
  EXPECT_FALSE(c->tls.has_value());
}

TEST(ServeConfig, EveryProblemIsNamedByItsPath) {
  auto paths = ProblemPaths(
      R"({"rp_id":"https://example.com","origins":["https://example.com/path","ftp://x",
          "http://example.com"],"store":"mysql://db","listen":"nohost","bogus":1,
          "limits":{"max_body_bytes":1,"nope":2},"durability":"sometimes","policy":"/no/such",
          "trusted_proxies":["10.0.0.0/33"],"tls":{"cert":"/no/cert"},"threads":-1})");
  for (const char* expected :
       {"/rp_id", "/origins/0", "/origins/1", "/origins/2", "/store", "/listen", "/bogus",
        "/limits/max_body_bytes", "/limits/nope", "/durability", "/policy", "/trusted_proxies/0",
        "/tls/cert", "/tls/key", "/threads"}) {
    EXPECT_NE(std::find(paths.begin(), paths.end(), expected), paths.end()) << expected;
  }
}

TEST(ServeConfig, PostgresStoreUrlIsTakenAsTheSharedStore) {
  std::vector<ConfigProblem> problems;
  auto c = ParseServeConfig(R"({"rp_id":"example.com","origins":["https://example.com"],
                                "store":"postgresql:///keyward?host=/run/pg"})",
                            "", &problems);
  ASSERT_TRUE(c) << (problems.empty() ? "" : problems[0].path);
  EXPECT_EQ(c->store_url, "postgresql:///keyward?host=/run/pg");
  EXPECT_TRUE(c->store_path.empty());
  auto bad = ProblemPaths(R"({"rp_id":"example.com","origins":["https://example.com"],
                              "store":"mysql://db/keyward"})");
  EXPECT_NE(std::find(bad.begin(), bad.end(), "/store"), bad.end());
}

TEST(ServeConfig, RequiredMembers) {
  auto paths = ProblemPaths("{}");
  EXPECT_NE(std::find(paths.begin(), paths.end(), "/rp_id"), paths.end());
  EXPECT_NE(std::find(paths.begin(), paths.end(), "/origins"), paths.end());
  EXPECT_NE(std::find(paths.begin(), paths.end(), "/store"), paths.end());
  EXPECT_EQ(ProblemPaths("[1]").size(), 1u);
  EXPECT_EQ(ProblemPaths("{").size(), 1u);
}

TEST(ServeConfig, MdsRefreshMembers) {
  std::string dir = ::testing::TempDir() + "/serve-mds-config-" + std::to_string(getpid());
  std::filesystem::create_directories(dir);
  std::ofstream(dir + "/not-a-cert.pem") << "hello";
  std::vector<ConfigProblem> problems;
  auto ok = ParseServeConfig(R"({"rp_id":"example.com","origins":["https://example.com"],
      "store":"sqlite:x.db","mds_store":"mds.jwt","mds_refresh":true,
      "mds_url":"https://mds.example/blob"})",
                             dir, &problems);
  ASSERT_TRUE(ok) << (problems.empty() ? "" : problems[0].path + problems[0].message);
  EXPECT_TRUE(ok->mds_refresh);
  EXPECT_EQ(ok->mds_store, dir + "/mds.jwt");  // need not exist yet: the refresher writes it
  EXPECT_EQ(ok->mds_url, "https://mds.example/blob");
  auto has = [](const std::vector<std::string>& v, const char* p) {
    return std::find(v.begin(), v.end(), p) != v.end();
  };
  auto bad = ProblemPaths(R"({"rp_id":"example.com","origins":["https://example.com"],
      "store":"sqlite:x.db","mds_refresh":true,"mds_url":"http://mds.example/",
      "mds_root":")" + dir +
                          R"(/not-a-cert.pem","mds_tls_ca":"/no/such/ca.pem",
      "conformance":true,"conformance_mds":["/no/such.jwt"],"conformance_mds_root":"/no/r.pem"})");
  for (const char* p : {"/mds_store", "/mds_url", "/mds_root", "/mds_tls_ca", "/mds_refresh"}) {
    EXPECT_TRUE(has(bad, p)) << p;
  }
  auto off = ProblemPaths(R"({"rp_id":"example.com","origins":["https://example.com"],
      "store":"sqlite:x.db","mds_url":"https://mds.example/"})");
  EXPECT_TRUE(has(off, "/mds_url"));  // only with mds_refresh
  auto no_dir = ProblemPaths(R"({"rp_id":"example.com","origins":["https://example.com"],
      "store":"sqlite:x.db","mds_refresh":true,"mds_store":"/no/such/dir/mds.jwt"})");
  EXPECT_TRUE(has(no_dir, "/mds_store"));
  std::filesystem::remove_all(dir);
}

TEST(ServeNet, ForwardedForOnlyFromTrustedProxies) {
  std::vector<Cidr> trusted = {*ParseCidr("10.0.0.0/8"), *ParseCidr("::1")};
  // Untrusted peer: its header is ignored.
  EXPECT_EQ(ClientAddress("192.0.2.1", "198.51.100.7", trusted), "192.0.2.1");
  // Trusted peer: the right-most untrusted entry; a client-written left part is ignored.
  EXPECT_EQ(ClientAddress("10.1.2.3", "6.6.6.6, 198.51.100.7", trusted), "198.51.100.7");
  EXPECT_EQ(ClientAddress("10.1.2.3", "198.51.100.7, 10.9.9.9", trusted), "198.51.100.7");
  EXPECT_EQ(ClientAddress("::1", "garbage", trusted), "::1");
  EXPECT_EQ(ClientAddress("10.1.2.3", "", trusted), "10.1.2.3");
  EXPECT_EQ(ClientAddress("::ffff:192.0.2.5", "", {}), "192.0.2.5");
  EXPECT_FALSE(ParseCidr("10.0.0.0/33"));
  EXPECT_FALSE(ParseCidr("10.0.0.0/"));
  EXPECT_FALSE(ParseCidr("host"));
  EXPECT_TRUE(ParseCidr("2001:db8::/32")->Contains(*ParseIp("2001:db8::1")));
  EXPECT_FALSE(ParseCidr("2001:db8::/32")->Contains(*ParseIp("2001:db9::1")));
  EXPECT_EQ(SplitHostPort("[::1]:80")->first, "::1");
  EXPECT_FALSE(SplitHostPort("::1:80"));
  EXPECT_FALSE(SplitHostPort("host:99999"));
}

TEST(ServeApiKeys, OnlyTheHashIsStoredAndChecked) {
  auto m = ApiKeys::Mint("backend-1");
  ASSERT_TRUE(m);
  EXPECT_EQ(m->key.rfind("kw_", 0), 0u);
  EXPECT_EQ(m->line.find(m->key), std::string::npos);  // the file never holds the key
  auto keys = ApiKeys::Parse("# comment\n\n" + m->line + "\n");
  ASSERT_TRUE(keys) << keys.error().ToString();
  EXPECT_EQ(keys->Check(m->key), std::optional<std::string>("backend-1"));
  EXPECT_FALSE(keys->Check(m->key + "x"));
  EXPECT_FALSE(keys->Check(""));
  EXPECT_EQ(ApiKeys::Parse("bad name sha256:00").error().code, ErrorCode::kConfigInvalid);
  EXPECT_EQ(ApiKeys::Parse("n sha1:00").error().code, ErrorCode::kConfigInvalid);
  EXPECT_EQ(ApiKeys::Parse("n sha256:" + std::string(64, 'g')).error().code,
            ErrorCode::kConfigInvalid);
  EXPECT_EQ(ApiKeys::Mint("bad name").error().code, ErrorCode::kInvalidArgument);
}

TEST(ServeRateLimits, TokenBucketRefillsAtItsRate) {
  TokenBuckets b(2, 3);
  uint32_t retry = 0;
  EXPECT_TRUE(b.Take("ip", 100, &retry));
  EXPECT_TRUE(b.Take("ip", 100, &retry));
  EXPECT_TRUE(b.Take("ip", 100, &retry));
  EXPECT_FALSE(b.Take("ip", 100, &retry));
  EXPECT_EQ(retry, 1u);
  EXPECT_TRUE(b.Take("other", 100, &retry));  // per key
  EXPECT_TRUE(b.Take("ip", 100.5, &retry));   // one token back after 0.5 s at 2/s
  EXPECT_FALSE(b.Take("ip", 100.5, &retry));
}

TEST(ServeRateLimits, BackoffDoublesAfterTheFreeFailures) {
  FailureBackoff f(3, 2, 10);
  f.Failure("a", 0);
  f.Failure("a", 0);
  EXPECT_EQ(f.LockedFor("a", 0), 0u);
  f.Failure("a", 0);
  EXPECT_EQ(f.LockedFor("a", 0), 2u);
  f.Failure("a", 0);
  EXPECT_EQ(f.LockedFor("a", 0), 4u);
  f.Failure("a", 0);
  f.Failure("a", 0);
  EXPECT_EQ(f.LockedFor("a", 0), 10u);  // capped
  EXPECT_EQ(f.LockedFor("a", 11), 0u);
  EXPECT_EQ(f.LockedFor("b", 0), 0u);
  f.Success("a");
  EXPECT_EQ(f.LockedFor("a", 0), 0u);
}

TEST(ServeMetrics, PrometheusText) {
  Metrics m;
  m.Request("/api/login/finish", "POST", 200, 0.002);
  m.Request("/api/login/finish", "POST", 400, 0.2);
  m.Ceremony("login", "failure", "signature_invalid");
  std::string t = m.Render({{"open_connections", 3}});
  EXPECT_NE(t.find("keyward_http_requests_total{route=\"/api/login/finish\",method=\"POST\","
                   "status=\"400\"} 1"),
            std::string::npos);
  EXPECT_NE(t.find("keyward_ceremonies_total{ceremony=\"login\",outcome=\"failure\",code="
                   "\"signature_invalid\"} 1"),
            std::string::npos);
  EXPECT_NE(t.find("keyward_http_request_duration_seconds_bucket{route=\"/api/login/finish\","
                   "le=\"0.0025\"} 1"),
            std::string::npos);
  EXPECT_NE(t.find("keyward_http_request_duration_seconds_count{route=\"/api/login/finish\"} 2"),
            std::string::npos);
  EXPECT_NE(t.find("keyward_open_connections 3"), std::string::npos);
}

}  // namespace
}  // namespace keyward::serve

namespace keyward::serve {
namespace {

// Every /v1 route the router serves is in the OpenAPI document, and every documented path is
// served.
TEST(ServeOpenApi, DocumentMatchesTheRouter) {
  std::string dir =
      std::filesystem::temp_directory_path() / ("kw-openapi-" + std::to_string(::getpid()));
  std::filesystem::create_directories(dir);
  auto minted = ApiKeys::Mint("k");
  ASSERT_TRUE(minted);
  std::ofstream(dir + "/keys") << minted->line << "\n";
  std::vector<ConfigProblem> problems;
  auto cfg = ParseServeConfig(R"({"rp_id":"localhost","origins":["http://localhost:1"],
      "store":"sqlite:)" + dir + R"(/s.db","web_root":"","api_keys_file":")" +
                                  dir + R"(/keys"})",
                              "", &problems);
  ASSERT_TRUE(cfg) << cfg.error().ToString();
  auto service = Service::Create(*cfg, 1);
  ASSERT_TRUE(service) << service.error().ToString();
  std::set<std::pair<std::string, std::string>> routed, documented;
  for (const auto& [method, path] : (*service)->Routes()) {
    if (path.rfind("/v1/", 0) == 0) routed.insert({method, path});
  }
  auto doc = ParseJson(IntegrationOpenApi());
  ASSERT_TRUE(doc);
  for (auto p = (*doc)["paths"].begin(); p != (*doc)["paths"].end(); ++p) {
    for (auto m = p.value().begin(); m != p.value().end(); ++m) {
      std::string method = m.key();
      for (char& ch : method) ch = static_cast<char>(std::toupper(static_cast<unsigned char>(ch)));
      documented.insert({method, p.key()});
    }
  }
  EXPECT_EQ(routed, documented);
  EXPECT_GE(routed.size(), 15u);
  std::filesystem::remove_all(dir);
}

}  // namespace
}  // namespace keyward::serve
