// `keyward serve` over real HTTP: the binary from this build, port 0, a Beast client, and
// genuine WebAuthn responses from the test authenticator (tests/support). Asserts status codes
// and stable error code names, never messages or timings.
#include <gtest/gtest.h>
#include <sys/wait.h>

#include <cstdio>
#include <filesystem>
#include <fstream>
#include <sstream>

#include "core/base64url.h"
#include "core/json.h"
#include "keyward/authenticator.h"
#include "serve/api_keys.h"
#include "tests/support/webauthn_test_authenticator.h"
#include "tests/unit/serve/serve_fixture.h"

namespace keyward::serve::testing {
namespace {

using keyward::testing::AssertionSpec;
using keyward::testing::RegistrationSpec;
using keyward::testing::TestAuthenticator;

constexpr char kOrigin[] = "http://localhost:8080";
constexpr uint8_t kUp = 0x01, kUv = 0x04, kBe = 0x08, kBs = 0x10;

Bytes ChallengeOf(const Json& publicKey) {
  return *Base64UrlDecode(publicKey["challenge"].get<std::string>());
}

std::string RegistrationJson(const TestAuthenticator& a, const Json& publicKey,
                             uint8_t flags = kUp | kUv | kBe | kBs) {
  RegistrationSpec spec;
  spec.rp_id = "localhost";
  spec.client.origin = kOrigin;
  spec.client.challenge = ChallengeOf(publicKey);
  spec.flags = static_cast<uint8_t>(flags | 0x40);
  return TestAuthenticator::ToJson(a.Register(spec));
}

std::string AssertionJson(const TestAuthenticator& a, const Json& publicKey, uint32_t count,
                          std::optional<Bytes> user_handle = std::nullopt,
                          uint8_t flags = kUp | kUv | kBe | kBs, bool corrupt = false) {
  AssertionSpec spec;
  spec.rp_id = "localhost";
  spec.client.origin = kOrigin;
  spec.client.challenge = ChallengeOf(publicKey);
  spec.flags = flags;
  spec.sign_count = count;
  spec.user_handle = std::move(user_handle);
  spec.corrupt_signature = corrupt;
  return TestAuthenticator::ToJson(a.Assert(spec));
}

class ServeHttpTest : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = TempDir(::testing::UnitTest::GetInstance()->current_test_info()->name());
  }
  void StartServer(Json extra = Json::object()) {
    std::filesystem::create_directories(dir_ + "/web");
    std::ofstream(dir_ + "/web/index.html") << "<!doctype html><title>t</title>";
    std::ofstream(dir_ + "/web/app.js") << "console.log(1)";
    std::ofstream(dir_ + "/web/.hidden") << "secret";
    Json cfg = {{"web_root", dir_ + "/web"},
                {"related_origins", {"https://other.example"}},
                {"conformance", true}};
    for (auto it = extra.begin(); it != extra.end(); ++it) cfg[it.key()] = it.value();
    server_ = ServerProcess::Start(dir_, cfg);
    ASSERT_NE(server_, nullptr);
  }
  void TearDown() override {
    if (server_) {
      EXPECT_EQ(server_->Stop(), 0) << server_->StderrText();
    }
  }
  // Signs up `name` with `a` through the page API; the client holds the session afterwards.
  Json SignUp(HttpClient& c, const TestAuthenticator& a, const std::string& name) {
    auto begin = c.Post("/api/register/begin", {{"username", name}, {"displayName", "N " + name}});
    EXPECT_EQ(begin.status, 200) << begin.body;
    Json b = begin.json();
    auto fin = c.Post("/api/register/finish",
                      {{"ceremonyId", b["ceremonyId"]},
                       {"credential", *ParseJson(RegistrationJson(a, b["publicKey"]))},
                       {"nickname", "phone"}});
    EXPECT_EQ(fin.status, 200) << fin.body;
    return fin.json();
  }
  HttpAnswer Login(HttpClient& c, const TestAuthenticator& a, uint32_t count,
                   const std::string& username = "", std::optional<Bytes> handle = std::nullopt) {
    Json req = Json::object();
    if (!username.empty()) req["username"] = username;
    auto begin = c.Post("/api/login/begin", req);
    EXPECT_EQ(begin.status, 200) << begin.body;
    Json b = begin.json();
    return c.Post("/api/login/finish",
                  {{"ceremonyId", b["ceremonyId"]},
                   {"credential", *ParseJson(AssertionJson(a, b["publicKey"], count, handle))}});
  }

  std::string dir_;
  std::unique_ptr<ServerProcess> server_;
};

TEST_F(ServeHttpTest, OperationsAndStaticFilesCarrySecurityHeaders) {
  StartServer();
  HttpClient c(server_->port());
  auto h = c.Get("/healthz");
  EXPECT_EQ(h.status, 200);
  EXPECT_EQ(h.json()["status"], "ok");
  EXPECT_NE(h.Header("content-security-policy").find("frame-ancestors 'none'"), std::string::npos);
  EXPECT_EQ(h.Header("x-content-type-options"), "nosniff");
  EXPECT_EQ(h.Header("referrer-policy"), "no-referrer");
  EXPECT_EQ(h.Header("strict-transport-security"), "");  // plain HTTP: no HSTS
  EXPECT_FALSE(h.Header("x-request-id").empty());
  EXPECT_EQ(c.Get("/readyz").status, 200);
  auto idx = c.Get("/");
  EXPECT_EQ(idx.status, 200);
  EXPECT_EQ(idx.Header("content-type"), "text/html; charset=utf-8");
  EXPECT_EQ(c.Get("/app.js").Header("content-type"), "text/javascript; charset=utf-8");
  for (const char* bad : {"/../config.json", "/.hidden", "/%2e%2e/config.json", "//etc/passwd",
                          "/nope.html", "/web/../x"}) {
    auto r = c.Get(bad);
    EXPECT_EQ(r.status, 404) << bad;
    EXPECT_EQ(r.ErrorCode(), "route_not_found") << bad;
  }
  auto wk = c.Get("/.well-known/webauthn");
  EXPECT_EQ(wk.status, 200);
  EXPECT_EQ(wk.json()["origins"], Json::array({"https://other.example"}));
  auto m = c.Get("/metrics");
  EXPECT_EQ(m.status, 200);
  EXPECT_NE(m.body.find(
                "keyward_http_requests_total{route=\"/healthz\",method=\"GET\",status=\"200\"} 1"),
            std::string::npos)
      << m.body;
  EXPECT_NE(m.body.find("keyward_http_request_duration_seconds_bucket"), std::string::npos);
  auto wrong = c.Request("DELETE", "/healthz");
  EXPECT_EQ(wrong.status, 405);
  EXPECT_EQ(wrong.ErrorCode(), "method_not_allowed");
  EXPECT_EQ(wrong.Header("allow"), "GET");
}

TEST_F(ServeHttpTest, PostsNeedAnAllowedOriginAndJson) {
  StartServer();
  HttpClient c(server_->port());
  auto no_origin = c.Request("POST", "/api/login/begin", "{}", {}, /*add_origin=*/false);
  EXPECT_EQ(no_origin.status, 403);
  EXPECT_EQ(no_origin.ErrorCode(), "origin_not_allowed");
  auto evil = c.Request("POST", "/api/login/begin", "{}", {{"Origin", "https://evil.example"}});
  EXPECT_EQ(evil.status, 403);
  EXPECT_EQ(evil.ErrorCode(), "origin_not_allowed");
  auto form = c.Request("POST", "/api/login/begin", "{}",
                        {{"Content-Type", "application/x-www-form-urlencoded"}});
  EXPECT_EQ(form.status, 415);
  EXPECT_EQ(form.ErrorCode(), "unsupported_media_type");
}

TEST_F(ServeHttpTest, MalformedJsonOnEveryPostRoute) {
  StartServer();
  HttpClient c(server_->port());
  for (const char* route :
       {"/api/register/begin", "/api/register/finish", "/api/login/begin", "/api/login/finish",
        "/api/logout", "/api/credentials/rename", "/api/credentials/remove", "/api/profile",
        "/api/action", "/api/stepup/begin", "/api/stepup/finish", "/attestation/options",
        "/attestation/result", "/assertion/options", "/assertion/result"}) {
    for (const char* body : {"{", "[1]", "{\"a\":1,\"a\":2}", "\"x\"", "nul"}) {
      auto r = c.Request("POST", route, body);
      EXPECT_EQ(r.status, 400) << route << " " << body;
      if (std::string(route).rfind("/api/", 0) == 0) {
        EXPECT_EQ(r.ErrorCode(), "json_malformed") << route << " " << body;
      } else {
        EXPECT_EQ(r.json()["status"], "failed") << route;
        EXPECT_NE(r.json()["errorMessage"].get<std::string>().find("json_malformed"),
                  std::string::npos)
            << route;
      }
    }
  }
}

TEST_F(ServeHttpTest, SignUpLoginAndManageCredentials) {
  StartServer();
  HttpClient c(server_->port());
  EXPECT_EQ(c.Get("/api/me").ErrorCode(), "not_signed_in");
  TestAuthenticator phone;
  Json signed_up = SignUp(c, phone, "alice");
  EXPECT_EQ(signed_up["status"], "ok");
  EXPECT_EQ(signed_up["credential"]["nickname"], "phone");
  EXPECT_EQ(signed_up["credential"]["kind"], "passkey");
  EXPECT_EQ(signed_up["credential"]["synced"], true);
  auto me = c.Get("/api/me");
  ASSERT_EQ(me.status, 200) << me.body;
  EXPECT_EQ(me.json()["user"]["name"], "alice");
  EXPECT_EQ(me.json()["rpId"], "localhost");
  EXPECT_EQ(me.json()["credentials"].size(), 1u);
  Bytes handle = *Base64UrlDecode(me.json()["user"]["id"].get<std::string>());
  std::string cred_id = me.json()["credentials"][0]["id"];

  // A second passkey while signed in.
  TestAuthenticator key2;
  auto add = c.Post("/api/register/begin", {{"kind", "security_key"}});
  ASSERT_EQ(add.status, 200) << add.body;
  auto add_fin = c.Post(
      "/api/register/finish",
      {{"ceremonyId", add.json()["ceremonyId"]},
       {"credential", *ParseJson(RegistrationJson(key2, add.json()["publicKey"], kUp | kUv))}});
  ASSERT_EQ(add_fin.status, 200) << add_fin.body;
  EXPECT_EQ(add_fin.json()["credential"]["kind"], "security_key");

  EXPECT_EQ(c.Post("/api/credentials/rename", {{"id", cred_id}, {"nickname", "my phone"}}).status,
            200);
  auto unknown = c.Post("/api/credentials/rename", {{"id", "AAAA"}, {"nickname", "x"}});
  EXPECT_EQ(unknown.status, 404);
  EXPECT_EQ(unknown.ErrorCode(), "not_found");
  auto missing = c.Post("/api/credentials/rename", {{"id", cred_id}});
  EXPECT_EQ(missing.ErrorCode(), "json_missing_field");
  auto wrong_type = c.Post("/api/credentials/rename", {{"id", 7}, {"nickname", "x"}});
  EXPECT_EQ(wrong_type.ErrorCode(), "json_wrong_type");

  auto profile = c.Post("/api/profile", {{"displayName", "Alice A."}});
  ASSERT_EQ(profile.status, 200);
  EXPECT_EQ(profile.json()["user"]["displayName"], "Alice A.");

  // Remove the security key; then the phone is the last one.
  auto removed = c.Post("/api/credentials/remove", {{"id", add_fin.json()["credential"]["id"]}});
  ASSERT_EQ(removed.status, 200) << removed.body;
  EXPECT_EQ(removed.json()["acceptedCredentialIds"], Json::array({cred_id}));
  auto last = c.Post("/api/credentials/remove", {{"id", cred_id}});
  EXPECT_EQ(last.status, 409);
  EXPECT_EQ(last.ErrorCode(), "last_credential");

  // Log out, log in again (discoverable and by name).
  EXPECT_EQ(c.Post("/api/logout", Json::object()).status, 200);
  EXPECT_EQ(c.Get("/api/me").status, 401);
  auto login = Login(c, phone, 1, "", handle);
  ASSERT_EQ(login.status, 200) << login.body;
  EXPECT_EQ(login.json()["user"]["name"], "alice");
  EXPECT_EQ(login.json()["aal"], "aal2");
  EXPECT_NE(login.Header("set-cookie").find("HttpOnly; SameSite=Strict"), std::string::npos);
  EXPECT_EQ(c.Get("/api/me").status, 200);
  auto by_name = Login(c, phone, 2, "alice");
  EXPECT_EQ(by_name.status, 200) << by_name.body;

  // Actions and step-up (ciam: account_settings needs AAL2, which the session has).
  EXPECT_EQ(c.Post("/api/action", {{"action", "account_settings"}}).status, 200);
  auto bogus = c.Post("/api/action", {{"action", "no_such_action"}});
  EXPECT_EQ(bogus.ErrorCode(), "invalid_argument");

  // The request log: one JSON line per request, no name, session id, challenge or body.
  std::string log = server_->StderrText();
  std::string session_value = c.cookie().substr(c.cookie().find('=') + 1);
  ASSERT_FALSE(session_value.empty());
  EXPECT_EQ(log.find(session_value), std::string::npos);
  EXPECT_EQ(log.find("alice"), std::string::npos);
  EXPECT_EQ(log.find(cred_id), std::string::npos);
  EXPECT_EQ(log.find(add.json()["ceremonyId"].get<std::string>()), std::string::npos);
  size_t lines = 0;
  std::istringstream in(log);
  for (std::string line; std::getline(in, line);) {
    auto j = ParseJson(line);
    ASSERT_TRUE(j) << line;
    EXPECT_FALSE((*j)["rid"].get<std::string>().empty());
    ++lines;
  }
  EXPECT_GE(lines, 15u);
}

TEST_F(ServeHttpTest, SecureCookieIsHostPrefixed) {
  StartServer({{"cookie_secure", true}});
  HttpClient c(server_->port());
  TestAuthenticator phone;
  auto begin = c.Post("/api/register/begin", {{"username", "bob"}});
  Json b = begin.json();
  auto fin = c.Post("/api/register/finish",
                    {{"ceremonyId", b["ceremonyId"]},
                     {"credential", *ParseJson(RegistrationJson(phone, b["publicKey"]))}});
  ASSERT_EQ(fin.status, 200) << fin.body;
  std::string cookie = fin.Header("set-cookie");
  EXPECT_EQ(cookie.rfind("__Host-kw_session=", 0), 0u) << cookie;
  EXPECT_NE(cookie.find("; Path=/; Secure; HttpOnly; SameSite=Strict"), std::string::npos);
  EXPECT_EQ(cookie.find("Domain"), std::string::npos);
}

TEST_F(ServeHttpTest, NoAccountExistenceOracle) {
  StartServer();
  HttpClient c(server_->port());
  TestAuthenticator phone;
  SignUp(c, phone, "carol");
  HttpClient other(server_->port());
  // Sign-up with the taken name: begin answers like a free one, finish fails generically.
  auto begin = other.Post("/api/register/begin", {{"username", "carol"}});
  ASSERT_EQ(begin.status, 200) << begin.body;
  EXPECT_EQ(begin.json()["publicKey"]["user"]["name"], "carol");
  TestAuthenticator intruder;
  auto fin = other.Post(
      "/api/register/finish",
      {{"ceremonyId", begin.json()["ceremonyId"]},
       {"credential", *ParseJson(RegistrationJson(intruder, begin.json()["publicKey"]))}});
  EXPECT_EQ(fin.status, 400);
  EXPECT_EQ(fin.ErrorCode(), "registration_failed");
  EXPECT_EQ(other.Get("/api/me").status, 401);
  // Login by name: an unknown name gets allowCredentials too, stable across requests.
  auto known = other.Post("/api/login/begin", {{"username", "carol"}});
  auto unknown1 = other.Post("/api/login/begin", {{"username", "nobody"}});
  auto unknown2 = other.Post("/api/login/begin", {{"username", "nobody"}});
  EXPECT_EQ(known.status, 200);
  EXPECT_EQ(unknown1.status, 200);
  EXPECT_FALSE(known.json()["publicKey"]["allowCredentials"].empty());
  EXPECT_FALSE(unknown1.json()["publicKey"]["allowCredentials"].empty());
  EXPECT_EQ(unknown1.json()["publicKey"]["allowCredentials"],
            unknown2.json()["publicKey"]["allowCredentials"]);
  EXPECT_EQ(unknown1.json()["publicKey"].size(), known.json()["publicKey"].size());
  // The freed name of a failed sign-up can be used; a failed decoy left no account.
  auto again = other.Post("/api/register/begin", {{"username", "dave"}});
  EXPECT_EQ(again.status, 200);
}

TEST_F(ServeHttpTest, LoginErrorsCarryStableCodes) {
  StartServer();
  HttpClient c(server_->port());
  TestAuthenticator phone, stranger;
  SignUp(c, phone, "erin");
  c.Post("/api/logout", Json::object());
  auto unknown = Login(c, stranger, 1);
  EXPECT_EQ(unknown.status, 400);
  EXPECT_EQ(unknown.ErrorCode(), "credential_unknown");
  EXPECT_EQ(unknown.json()["credentialId"], Base64UrlEncode(stranger.credential_id()));
  auto no_ceremony = c.Post("/api/login/finish", {{"ceremonyId", "AAAAAAAAAAAAAAAAAAAAAA"},
                                                  {"credential", Json::object()}});
  EXPECT_EQ(no_ceremony.ErrorCode(), "ceremony_unknown");
  // A bad signature.
  auto begin = c.Post("/api/login/begin", {{"username", "erin"}});
  auto bad = c.Post(
      "/api/login/finish",
      {{"ceremonyId", begin.json()["ceremonyId"]},
       {"credential", *ParseJson(AssertionJson(phone, begin.json()["publicKey"], 5, std::nullopt,
                                               kUp | kUv | kBe | kBs, true))}});
  EXPECT_EQ(bad.status, 400);
  EXPECT_EQ(bad.ErrorCode(), "assertion_signature_invalid") << bad.body;
  // The ceremony is single-use.
  auto replay = c.Post("/api/login/finish", {{"ceremonyId", begin.json()["ceremonyId"]},
                                             {"credential", Json::object()}});
  EXPECT_EQ(replay.ErrorCode(), "ceremony_unknown");
  for (const char* route : {"/api/credentials/rename", "/api/credentials/remove", "/api/profile",
                            "/api/action", "/api/stepup/begin", "/api/stepup/finish"}) {
    auto r = c.Post(route, Json::object());
    EXPECT_EQ(r.status, 401) << route;
    EXPECT_EQ(r.ErrorCode(), "not_signed_in") << route;
  }
  auto need_name = c.Post("/api/register/begin", Json::object());
  EXPECT_EQ(need_name.ErrorCode(), "json_missing_field");
  auto bad_kind = c.Post("/api/register/begin", {{"username", "x"}, {"kind", "smart_card"}});
  EXPECT_EQ(bad_kind.ErrorCode(), "invalid_argument");
}

TEST_F(ServeHttpTest, ConformanceApiRegistersAndLogsIn) {
  StartServer();
  HttpClient c(server_->port());
  auto opts = c.Post(
      "/attestation/options",
      {{"username", "johndoe@example.com"},
       {"displayName", "John Doe"},
       {"authenticatorSelection", {{"residentKey", "required"}, {"userVerification", "preferred"}}},
       {"attestation", "direct"}});
  ASSERT_EQ(opts.status, 200) << opts.body;
  Json o = opts.json();
  EXPECT_EQ(o["status"], "ok");
  EXPECT_EQ(o["errorMessage"], "");
  EXPECT_EQ(o["user"]["name"], "johndoe@example.com");
  EXPECT_EQ(o["user"]["displayName"], "John Doe");
  EXPECT_EQ(o["attestation"], "direct");
  EXPECT_TRUE(o["pubKeyCredParams"].is_array());
  TestAuthenticator key;
  auto res = c.Post("/attestation/result", *ParseJson(RegistrationJson(key, o)));
  ASSERT_EQ(res.status, 200) << res.body;
  EXPECT_EQ(res.json(), (Json{{"status", "ok"}, {"errorMessage", ""}}));
  // The same response again: the challenge is spent.
  auto again = c.Post("/attestation/result", *ParseJson(RegistrationJson(key, o)));
  EXPECT_EQ(again.status, 400);
  EXPECT_EQ(again.json()["status"], "failed");
  EXPECT_FALSE(again.json()["errorMessage"].get<std::string>().empty());

  auto aopts = c.Post("/assertion/options",
                      {{"username", "johndoe@example.com"}, {"userVerification", "required"}});
  ASSERT_EQ(aopts.status, 200) << aopts.body;
  Json a = aopts.json();
  EXPECT_EQ(a["status"], "ok");
  EXPECT_EQ(a["rpId"], "localhost");
  EXPECT_EQ(a["allowCredentials"].size(), 1u);
  EXPECT_EQ(a["userVerification"], "required");
  auto ares = c.Post("/assertion/result", *ParseJson(AssertionJson(key, a, 1)));
  ASSERT_EQ(ares.status, 200) << ares.body;
  EXPECT_EQ(ares.json()["status"], "ok");
  // A tampered signature fails with the code name in errorMessage.
  auto a2 = c.Post("/assertion/options", {{"username", "johndoe@example.com"}}).json();
  auto bad =
      c.Post("/assertion/result",
             *ParseJson(AssertionJson(key, a2, 2, std::nullopt, kUp | kUv | kBe | kBs, true)));
  EXPECT_EQ(bad.status, 400);
  EXPECT_EQ(bad.json()["status"], "failed");
  EXPECT_EQ(bad.json()["errorMessage"].get<std::string>().rfind("assertion_signature_invalid", 0),
            0u)
      << bad.body;
  auto nouser = c.Post("/assertion/options", {{"username", "nobody@example.com"}});
  EXPECT_EQ(nouser.status, 400);
  EXPECT_EQ(nouser.json()["errorMessage"].get<std::string>().rfind("not_found", 0), 0u);
  auto missing = c.Post("/attestation/options", Json::object());
  EXPECT_EQ(missing.status, 400);
  EXPECT_EQ(missing.json()["errorMessage"].get<std::string>().rfind("json_missing_field", 0), 0u);
}

TEST_F(ServeHttpTest, ConformanceApiIsOffOutsideConformanceMode) {
  StartServer({{"conformance", false}});
  HttpClient c(server_->port());
  EXPECT_EQ(c.Post("/attestation/options", {{"username", "x"}}).ErrorCode(), "route_not_found");
}

}  // namespace
}  // namespace keyward::serve::testing

namespace keyward::serve::testing {
namespace {

TEST_F(ServeHttpTest, IntegrationApiWithApiKeys) {
  auto minted = ApiKeys::Mint("backend");
  ASSERT_TRUE(minted);
  std::ofstream(dir_ + "/keys") << "# test\n" << minted->line << "\n";
  StartServer({{"api_keys_file", dir_ + "/keys"}});
  HttpClient c(server_->port());
  const std::vector<std::pair<std::string, std::string>> auth = {
      {"Authorization", "Bearer " + minted->key}};
  auto call = [&](const std::string& path, const Json& body) {
    return c.Request("POST", path, body.dump(), auth, false);
  };
  // Unauthenticated: every route refuses.
  for (const char* route : {"/v1/principals/create", "/v1/login/begin", "/v1/audit/tail"}) {
    auto r = c.Request("POST", route, "{}", {}, false);
    EXPECT_EQ(r.status, 401) << route;
    EXPECT_EQ(r.ErrorCode(), "api_key_invalid") << route;
    auto wrong = c.Request("POST", route, "{}", {{"Authorization", "Bearer kw_wrong"}}, false);
    EXPECT_EQ(wrong.ErrorCode(), "api_key_invalid") << route;
  }
  auto doc = c.Get("/v1/openapi.json");
  ASSERT_EQ(doc.status, 200);
  EXPECT_EQ(doc.json()["openapi"], "3.0.3");

  auto p = call("/v1/principals/create", {{"name", "frank"}, {"displayName", "Frank"}});
  ASSERT_EQ(p.status, 200) << p.body;
  std::string pid = p.json()["principal"]["id"];
  EXPECT_EQ(call("/v1/principals/create", {{"name", "frank"}}).ErrorCode(), "already_exists");
  EXPECT_EQ(call("/v1/principals/get", {{"name", "frank"}}).json()["principal"]["id"], pid);
  EXPECT_EQ(call("/v1/principals/get", {{"principalId", "p_nope"}}).ErrorCode(), "not_found");
  EXPECT_EQ(call("/v1/principals/list", Json::object()).json()["principals"].size(), 1u);

  TestAuthenticator key;
  auto rb = call("/v1/registration/begin", {{"principalId", pid}, {"kind", "security_key"}});
  ASSERT_EQ(rb.status, 200) << rb.body;
  auto rf =
      call("/v1/registration/finish",
           {{"ceremonyId", rb.json()["ceremonyId"]},
            {"credential", *ParseJson(RegistrationJson(key, rb.json()["publicKey"], kUp | kUv))},
            {"nickname", "yubi"}});
  ASSERT_EQ(rf.status, 200) << rf.body;
  std::string cred_id = Base64UrlEncode(key.credential_id());

  auto lb = call("/v1/login/begin", {{"name", "frank"}});
  ASSERT_EQ(lb.status, 200) << lb.body;
  auto lf =
      call("/v1/login/finish",
           {{"ceremonyId", lb.json()["ceremonyId"]},
            {"credential",
             *ParseJson(AssertionJson(key, lb.json()["publicKey"], 1, std::nullopt, kUp | kUv))},
            {"context", {{"ip", "192.0.2.1"}}}});
  ASSERT_EQ(lf.status, 200) << lf.body;
  Json session = lf.json()["session"];
  EXPECT_EQ(session["principalId"], pid);
  EXPECT_EQ(session["aal"], "aal2");
  EXPECT_TRUE(lf.json()["result"].is_object());
  EXPECT_EQ(call("/v1/authorize", {{"session", session}, {"action", "account_settings"}}).status,
            200);
  auto payment = call("/v1/authorize", {{"session", {{"principalId", pid}, {"aal", "aal1"}}},
                                        {"action", "payment"}});
  EXPECT_EQ(payment.status, 403);
  EXPECT_EQ(payment.ErrorCode(), "step_up_required");
  EXPECT_FALSE(payment.json()["requiredAal"].get<std::string>().empty());

  // Unknown name: a decoy ceremony, indistinguishable in shape.
  auto ghost = call("/v1/login/begin", {{"name", "ghost"}});
  EXPECT_EQ(ghost.status, 200);
  EXPECT_FALSE(ghost.json()["publicKey"]["allowCredentials"].empty());

  EXPECT_EQ(call("/v1/credentials/list", {{"principalId", pid}}).json()["credentials"].size(), 1u);
  EXPECT_EQ(call("/v1/credentials/rename", {{"credentialId", cred_id}, {"nickname", "k"}}).status,
            200);
  EXPECT_EQ(call("/v1/credentials/rename", {{"credentialId", "!!"}, {"nickname", "k"}}).ErrorCode(),
            "base64_invalid");
  auto tail = call("/v1/audit/tail", {{"n", 5}});
  ASSERT_EQ(tail.status, 200);
  EXPECT_FALSE(tail.json()["records"].empty());
  EXPECT_EQ(call("/v1/audit/tail", {{"n", 0}}).ErrorCode(), "invalid_argument");
  auto verify = call("/v1/audit/verify", Json::object());
  ASSERT_EQ(verify.status, 200);
  EXPECT_GT(verify.json()["records"].get<int>(), 0);
  auto exported = call("/v1/principals/export", {{"principalId", pid}});
  ASSERT_EQ(exported.status, 200);
  EXPECT_TRUE(exported.json()["export"].is_object());
  EXPECT_EQ(call("/v1/credentials/remove", {{"credentialId", cred_id}}).status, 200);
  EXPECT_EQ(call("/v1/credentials/remove", {{"credentialId", cred_id}}).ErrorCode(), "not_found");
  EXPECT_EQ(call("/v1/principals/erase", {{"principalId", pid}}).status, 200);
  EXPECT_EQ(call("/v1/principals/get", {{"principalId", pid}}).ErrorCode(), "not_found");
  auto bad = call("/v1/login/finish", {{"ceremonyId", "x"}});
  EXPECT_EQ(bad.ErrorCode(), "json_missing_field");
}

}  // namespace
}  // namespace keyward::serve::testing

namespace keyward::serve::testing {
namespace {

// Runs a shell command (openssl, curl from Debian) and returns its stdout; *rc gets the status.
std::string RunCommand(const std::string& cmd, int* rc) {
  std::string out;
  FILE* p = ::popen(cmd.c_str(), "r");
  if (p == nullptr) {
    *rc = -1;
    return out;
  }
  char buf[4096];
  size_t n;
  while ((n = std::fread(buf, 1, sizeof buf, p)) > 0) out.append(buf, n);
  int status = ::pclose(p);
  *rc = WIFEXITED(status) ? WEXITSTATUS(status) : -1;
  return out;
}

TEST_F(ServeHttpTest, TlsWithHstsAndMutualTlsForV1) {
  int rc = 0;
  for (const char* who : {"server", "client"}) {
    RunCommand(
        "openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -days 2 -subj "
        "/CN=" +
            std::string(who) + " -addext subjectAltName=DNS:localhost,IP:127.0.0.1 -keyout " +
            dir_ + "/" + who + "-key.pem -out " + dir_ + "/" + who + ".pem 2>/dev/null",
        &rc);
    ASSERT_EQ(rc, 0) << who;
  }
  StartServer({{"tls",
                {{"cert", dir_ + "/server.pem"},
                 {"key", dir_ + "/server-key.pem"},
                 {"client_ca", dir_ + "/client.pem"}}}});
  std::string base = "https://127.0.0.1:" + std::to_string(server_->port());
  std::string curl = "curl -s --max-time 10 --cacert " + dir_ + "/server.pem ";
  std::string head = RunCommand(curl + "-D - -o /dev/null " + base + "/healthz", &rc);
  ASSERT_EQ(rc, 0) << head;
  for (char& ch : head) ch = static_cast<char>(std::tolower(static_cast<unsigned char>(ch)));
  EXPECT_NE(head.find("strict-transport-security: max-age=63072000; includesubdomains"),
            std::string::npos)
      << head;
  RunCommand(curl + "--tlsv1.3 -o /dev/null " + base + "/healthz", &rc);
  EXPECT_EQ(rc, 0);
  RunCommand(curl + "--tlsv1.2 --tls-max 1.2 -o /dev/null " + base + "/healthz", &rc);
  EXPECT_EQ(rc, 0);
  // /v1 with the client certificate (verified against client_ca), and without it.
  std::string post =
      "-X POST -H 'Content-Type: application/json' -d '{}' " + base + "/v1/principals/list";
  std::string with_cert = RunCommand(
      curl + "--cert " + dir_ + "/client.pem --key " + dir_ + "/client-key.pem " + post, &rc);
  ASSERT_EQ(rc, 0);
  EXPECT_EQ(ParseJson(with_cert)->value("status", ""), "ok") << with_cert;
  std::string without = RunCommand(curl + post, &rc);
  EXPECT_EQ(ParseJson(without)->value("errorCode", ""), "api_key_invalid") << without;
  // A certificate the client CA did not issue is not a credential.
  std::string other = RunCommand(
      curl + "--cert " + dir_ + "/server.pem --key " + dir_ + "/server-key.pem " + post, &rc);
  EXPECT_EQ(ParseJson(other)->value("errorCode", ""), "api_key_invalid") << other;
}

}  // namespace
}  // namespace keyward::serve::testing
