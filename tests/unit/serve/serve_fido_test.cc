// The FIDO2 conformance API of a running `keyward serve`, driven the way a real client drives it:
// options from the server, the credential made and the assertion taken by keyward's software CTAP
// 2.1 authenticator through libfido2's own code path (fido_dev_make_cred / fido_dev_get_assert
// over CTAPHID, keyward::fido::Device), with the clientDataHash of the clientDataJSON the test
// builds, and the results posted back. Negative paths a real client can reach: a clientDataJSON
// with a challenge the server never issued, a wrong origin, a replayed assertion; each asserts
// the error code name that starts errorMessage (never the human text).
#include <gtest/gtest.h>
#include <sys/wait.h>

#include <cstdio>
#include <ctime>
#include <filesystem>
#include <fstream>
#include <sstream>

#include "attestation/metadata.h"
#include "core/base64url.h"
#include "core/hash.h"
#include "core/json.h"
#include "tests/support/webauthn_test_authenticator.h"
#include "tests/unit/attestation/mds_blob.h"
#include "tests/unit/fido/soft_fixture.h"
#include "tests/unit/serve/serve_fixture.h"

namespace keyward::serve::testing {
namespace {

constexpr char kOrigin[] = "http://localhost:8080";

Bytes B64(const Json& j) { return *Base64UrlDecode(j.get<std::string>()); }

// "code: detail" → "code"; "" for a success answer.
std::string CodeOf(const HttpAnswer& a) {
  Json j = a.json();
  if (a.status == 200 && j["status"] == "ok") return "";
  EXPECT_EQ(j["status"], "failed") << a.body;
  EXPECT_GE(a.status, 400) << a.body;
  std::string m = j["errorMessage"].get<std::string>();
  EXPECT_FALSE(m.empty());
  return m.substr(0, m.find(':'));
}

class ServeFidoTest : public fido::testing::SoftDeviceTest {
 protected:
  void SetUp() override {
    SoftDeviceTest::SetUp();
    ASSERT_TRUE(dev_->SetPin(fido::testing::Pin("4321")));
    dir_ = TempDir(::testing::UnitTest::GetInstance()->current_test_info()->name());
  }
  void StartServer(Json extra = Json::object()) {
    Json cfg = {{"conformance", true}, {"web_root", ""}};
    for (auto it = extra.begin(); it != extra.end(); ++it) cfg[it.key()] = it.value();
    server_ = ServerProcess::Start(dir_, cfg);
    ASSERT_NE(server_, nullptr);
  }
  void TearDown() override {
    if (server_) {
      EXPECT_EQ(server_->Stop(), 0) << server_->StderrText();
    }
    std::filesystem::remove_all(dir_);
  }

  // /attestation/options → makeCredential through libfido2 → the ServerPublicKeyCredential.
  // `origin` / `challenge` override what goes into clientDataJSON.
  Json MakeCredential(HttpClient& c, const std::string& user, const std::string& origin = kOrigin,
                      std::optional<Bytes> challenge = std::nullopt) {
    auto opts =
        c.Post("/attestation/options",
               {{"username", user}, {"displayName", "D " + user}, {"attestation", "direct"}});
    EXPECT_EQ(opts.status, 200) << opts.body;
    Json o = opts.json();
    EXPECT_EQ(o["status"], "ok");
    EXPECT_EQ(o["rp"]["id"], "localhost");
    std::string client_data = fido::MakeClientDataJson(
        "webauthn.create", challenge.value_or(B64(o["challenge"])), origin);
    fido::MakeCredentialRequest req;
    req.rp_id = o["rp"]["id"].get<std::string>();
    req.rp_name = o["rp"].value("name", req.rp_id);
    req.user_id = B64(o["user"]["id"]);
    req.user_name = o["user"]["name"].get<std::string>();
    req.user_display_name = o["user"]["displayName"].get<std::string>();
    auto h = Sha256(AsBytes(client_data));
    req.client_data_hash.assign(h.begin(), h.end());
    for (const auto& p : o["pubKeyCredParams"]) {
      if (p["alg"] == -7) req.algorithm = fido::Algorithm::kEs256;
    }
    SecretBytes pin = fido::testing::Pin("4321");
    auto cred = dev_->MakeCredential(req, &pin);
    EXPECT_TRUE(cred) << cred.error().ToString();
    if (!cred) return Json::object();
    EXPECT_EQ(cred->fmt, "packed");
    auto object = fido::MakeAttestationObject(*cred);
    EXPECT_TRUE(object);
    std::string id = Base64UrlEncode(cred->id);
    return {{"id", id},
            {"rawId", id},
            {"type", "public-key"},
            {"response",
             {{"clientDataJSON", Base64UrlEncode(AsBytes(client_data))},
              {"attestationObject", Base64UrlEncode(*object)}}},
            {"getClientExtensionResults", Json::object()}};
  }

  // /assertion/options → getAssertion through libfido2 → the ServerPublicKeyCredential.
  Json GetAssertion(HttpClient& c, const std::string& user, const std::string& origin = kOrigin,
                    std::optional<Bytes> challenge = std::nullopt) {
    auto opts =
        c.Post("/assertion/options", {{"username", user}, {"userVerification", "required"}});
    EXPECT_EQ(opts.status, 200) << opts.body;
    Json o = opts.json();
    EXPECT_EQ(o["status"], "ok");
    EXPECT_EQ(o["rpId"], "localhost");
    std::string client_data =
        fido::MakeClientDataJson("webauthn.get", challenge.value_or(B64(o["challenge"])), origin);
    fido::GetAssertionRequest req;
    req.rp_id = o["rpId"].get<std::string>();
    auto h = Sha256(AsBytes(client_data));
    req.client_data_hash.assign(h.begin(), h.end());
    for (const auto& d : o["allowCredentials"]) req.allow_list.push_back(B64(d["id"]));
    EXPECT_FALSE(req.allow_list.empty());
    SecretBytes pin = fido::testing::Pin("4321");
    auto got = dev_->GetAssertion(req, &pin);
    EXPECT_TRUE(got) << got.error().ToString();
    if (!got || got->empty()) return Json::object();
    const fido::Assertion& a = got->front();
    std::string id = Base64UrlEncode(a.credential_id);
    Json response = {{"clientDataJSON", Base64UrlEncode(AsBytes(client_data))},
                     {"authenticatorData", Base64UrlEncode(a.auth_data)},
                     {"signature", Base64UrlEncode(a.signature)},
                     {"userHandle", a.user_id.empty() ? "" : Base64UrlEncode(a.user_id)}};
    return {{"id", id},
            {"rawId", id},
            {"type", "public-key"},
            {"response", response},
            {"getClientExtensionResults", Json::object()}};
  }

  std::string dir_;
  std::unique_ptr<ServerProcess> server_;
};

TEST_F(ServeFidoTest, RegistersAndLogsInThroughLibfido2) {
  StartServer();
  HttpClient c(server_->port());
  auto reg = c.Post("/attestation/result", MakeCredential(c, "alice@example.com"));
  ASSERT_EQ(reg.status, 200) << reg.body;
  EXPECT_EQ(reg.json(), (Json{{"status", "ok"}, {"errorMessage", ""}}));
  for (int i = 0; i < 2; ++i) {  // two logins: the signature counter advances
    auto login = c.Post("/assertion/result", GetAssertion(c, "alice@example.com"));
    ASSERT_EQ(login.status, 200) << login.body;
    EXPECT_EQ(login.json(), (Json{{"status", "ok"}, {"errorMessage", ""}}));
  }
  HttpClient m(server_->port());
  std::string metrics = m.Get("/metrics").body;
  EXPECT_NE(metrics.find("keyward_ceremonies_total{ceremony=\"conformance_login\","
                         "outcome=\"success\",code=\"\"} 2"),
            std::string::npos)
      << metrics;
}

TEST_F(ServeFidoTest, RegistrationRefusalsARealClientCanCause) {
  StartServer();
  HttpClient c(server_->port());
  // A challenge the server never issued: no ceremony has it.
  auto foreign = c.Post("/attestation/result",
                        MakeCredential(c, "bob@example.com", kOrigin, *RandomBytes(32)));
  EXPECT_EQ(CodeOf(foreign), "challenge_unknown") << foreign.body;
  // The right challenge from another origin.
  auto origin =
      c.Post("/attestation/result", MakeCredential(c, "bob@example.com", "https://evil.example"));
  EXPECT_EQ(CodeOf(origin), "origin_mismatch") << origin.body;
  // The same (valid) response twice: the challenge is spent.
  Json ok = MakeCredential(c, "bob@example.com");
  EXPECT_EQ(CodeOf(c.Post("/attestation/result", ok)), "");
  EXPECT_EQ(CodeOf(c.Post("/attestation/result", ok)), "challenge_replayed");
}

TEST_F(ServeFidoTest, AssertionRefusalsARealClientCanCause) {
  StartServer();
  HttpClient c(server_->port());
  ASSERT_EQ(CodeOf(c.Post("/attestation/result", MakeCredential(c, "carol@example.com"))), "");
  auto foreign =
      c.Post("/assertion/result", GetAssertion(c, "carol@example.com", kOrigin, *RandomBytes(32)));
  EXPECT_EQ(CodeOf(foreign), "challenge_unknown") << foreign.body;
  auto origin =
      c.Post("/assertion/result", GetAssertion(c, "carol@example.com", "https://evil.example"));
  EXPECT_EQ(CodeOf(origin), "origin_mismatch") << origin.body;
  // Replay: the assertion that just succeeded, posted again.
  Json good = GetAssertion(c, "carol@example.com");
  EXPECT_EQ(CodeOf(c.Post("/assertion/result", good)), "");
  auto replay = c.Post("/assertion/result", good);
  EXPECT_EQ(CodeOf(replay), "challenge_replayed") << replay.body;
  // A tampered signature (the device's bytes, one bit flipped in transit).
  Json tampered = GetAssertion(c, "carol@example.com");
  Bytes sig = B64(tampered["response"]["signature"]);
  sig.back() ^= 1;
  tampered["response"]["signature"] = Base64UrlEncode(sig);
  EXPECT_EQ(CodeOf(c.Post("/assertion/result", tampered)), "assertion_signature_invalid");
  // And the login still works afterwards.
  EXPECT_EQ(CodeOf(c.Post("/assertion/result", GetAssertion(c, "carol@example.com"))), "");
}

// ---- Conformance mode with the conformance tools' metadata (conformance_mds) ----------------
// The software key's packed attestation chains to its test CA. A metadata statement for its
// AAGUID naming that CA as attestationRootCertificates makes the attestation trusted; a policy
// that wants trusted attestation then accepts it, and refuses it when the loaded BLOB has no
// statement for the key. A BLOB with a bad signature stops --check-config and the start.

namespace at = keyward::attestation::testing;

std::string DateInDays(int days) {
  std::time_t t = std::time(nullptr) + static_cast<std::time_t>(days) * 86400;
  std::tm tm{};
  gmtime_r(&t, &tm);
  char buf[16];
  std::strftime(buf, sizeof buf, "%Y-%m-%d", &tm);
  return buf;
}

struct CliRun {
  int exit_code = -1;
  std::string err;
};

// `keyward serve ARGS` with stdout/stderr captured (bounded by the command itself: both
// --check-config and a failing start exit at once).
CliRun Serve(const std::string& args, const std::string& err_file) {
  std::string cmd =
      std::string(KEYWARD_BIN_DIR) + "/keyward serve " + args + " >/dev/null 2>" + err_file;
  int status = std::system(cmd.c_str());
  CliRun r;
  r.exit_code = WIFEXITED(status) ? WEXITSTATUS(status) : -1;
  std::ifstream in(err_file);
  std::ostringstream text;
  text << in.rdbuf();
  r.err = text.str();
  return r;
}

class ServeConformanceMdsTest : public ServeFidoTest {
 protected:
  void SetUp() override {
    ServeFidoTest::SetUp();
    at::CertSpec spec;
    spec.subject = {{"CN", "Conformance MDS signer (test)"}};
    spec.not_before = UnixNow() - 86400;
    spec.not_after = UnixNow() + 365 * 86400;
    signer_ = at::MakeCert(spec, signer_key_.get(), root_key_.get(), &root_);
    std::ofstream(dir_ + "/mds-root.pem") << at::ToPem(root_);
    // The policy for conformance runs: none and self attestation pass, an attestation
    // certificate must chain to a loaded metadata statement.
    std::ofstream(dir_ + "/policy.json") << R"({"extends":"ciam","attestation":"verified"})";
    auto ca = Certificate::ParseDer(auth_->CaCertificateDer());
    ASSERT_TRUE(ca);
    soft_ca_.emplace(std::move(*ca));
    Bytes id = auth_->aaguid();
    ASSERT_EQ(id.size(), 16u);
    std::copy(id.begin(), id.end(), soft_aaguid_.begin());
  }

  // A conformance BLOB (JWT file) with a statement for `aaguid` whose root is `root` (default:
  // the soft key's CA).
  std::string WriteBlob(const std::string& name, const std::string& aaguid,
                        const Certificate* root = nullptr) {
    Json entries = Json::array(
        {at::MdsEntry(aaguid, "keyward soft CTAP key (test)", {{"FIDO_CERTIFIED_L1", "2023-01-01"}},
                      {root != nullptr ? root : &*soft_ca_})});
    Json payload = {
        {"legalHeader", "test"}, {"no", 1}, {"nextUpdate", DateInDays(30)}, {"entries", entries}};
    std::string path = dir_ + "/" + name;
    std::ofstream(path) << at::MakeJwt(payload, signer_key_.get(), {&*signer_}) << "\n";
    return path;
  }
  Json MdsConfig(const std::string& blob) {
    return {{"conformance_mds", {blob}},
            {"conformance_mds_root", dir_ + "/mds-root.pem"},
            {"policy", dir_ + "/policy.json"}};
  }

  EvpPkeyPtr root_key_ = at::GenerateEc();
  Certificate root_ = at::MakeCa("Conformance MDS Root (test)", root_key_.get());
  EvpPkeyPtr signer_key_ = at::GenerateEc();
  std::optional<Certificate> signer_;
  std::optional<Certificate> soft_ca_;
  attestation::Aaguid soft_aaguid_{};
};

TEST_F(ServeConformanceMdsTest, AttestationChainingToALoadedStatementIsTrusted) {
  StartServer(MdsConfig(WriteBlob("mds.jwt", attestation::FormatAaguid(soft_aaguid_))));
  HttpClient c(server_->port());
  auto reg = c.Post("/attestation/result", MakeCredential(c, "dave@example.com"));
  EXPECT_EQ(CodeOf(reg), "") << reg.body;
  EXPECT_EQ(CodeOf(c.Post("/assertion/result", GetAssertion(c, "dave@example.com"))), "");
}

TEST_F(ServeConformanceMdsTest, WithoutAStatementForTheKeyTheAttestationIsRefused) {
  // The BLOB only knows another authenticator model (same root, different AAGUID).
  StartServer(MdsConfig(WriteBlob("mds.jwt", "6b657977-6172-642d-7465-737400000009")));
  HttpClient c(server_->port());
  auto reg = c.Post("/attestation/result", MakeCredential(c, "erin@example.com"));
  EXPECT_EQ(CodeOf(reg), "attestation_trust_required") << reg.body;
  // Nothing was registered: there is no credential to log in with.
  auto login = c.Post("/assertion/options", {{"username", "erin@example.com"}});
  EXPECT_TRUE(login.json()["allowCredentials"].empty()) << login.body;
}

TEST_F(ServeConformanceMdsTest, AStatementWithAnotherRootMakesTheAttestationUntrusted) {
  EvpPkeyPtr other_key = at::GenerateEc();
  Certificate other = at::MakeCa("Another vendor's attestation root (test)", other_key.get());
  StartServer(MdsConfig(WriteBlob("mds.jwt", attestation::FormatAaguid(soft_aaguid_), &other)));
  HttpClient c(server_->port());
  auto reg = c.Post("/attestation/result", MakeCredential(c, "frank@example.com"));
  EXPECT_EQ(CodeOf(reg), "attestation_untrusted") << reg.body;
}

TEST_F(ServeConformanceMdsTest, NoneAttestationPassesTheVerifiedPolicy) {
  StartServer(MdsConfig(WriteBlob("mds.jwt", attestation::FormatAaguid(soft_aaguid_))));
  HttpClient c(server_->port());
  auto options =
      c.Post("/attestation/options",
             {{"username", "gina@example.com"}, {"displayName", "Gina"}, {"attestation", "none"}});
  ASSERT_EQ(options.status, 200) << options.body;
  keyward::testing::TestAuthenticator browser_key;
  keyward::testing::RegistrationSpec spec;  // fmt "none"
  spec.rp_id = "localhost";
  spec.client.origin = kOrigin;
  spec.client.challenge = B64(options.json()["challenge"]);
  spec.flags = 0x01 | 0x04 | 0x40;  // UP, UV, AT
  auto cred = ParseJson(keyward::testing::TestAuthenticator::ToJson(browser_key.Register(spec)));
  ASSERT_TRUE(cred);
  auto reg = c.Post("/attestation/result", *cred);
  EXPECT_EQ(CodeOf(reg), "") << reg.body;
}

TEST_F(ServeConformanceMdsTest, ABlobWithABadSignatureStopsCheckConfigAndStart) {
  std::string good = WriteBlob("good.jwt", attestation::FormatAaguid(soft_aaguid_));
  std::ifstream in(good);
  std::string jwt;
  std::getline(in, jwt);
  Bytes sig = *Base64UrlDecode(jwt.substr(jwt.rfind('.') + 1));
  sig[sig.size() / 2] ^= 1;
  std::string bad = dir_ + "/bad.jwt";
  std::ofstream(bad) << jwt.substr(0, jwt.rfind('.') + 1) + Base64UrlEncode(sig) << "\n";

  Json cfg = MdsConfig(good);
  cfg["rp_id"] = "localhost";
  cfg["origins"] = {kOrigin};
  cfg["store"] = "sqlite:" + dir_ + "/store.db";
  cfg["listen"] = "127.0.0.1:0";
  cfg["conformance"] = true;
  cfg["web_root"] = "";
  std::ofstream(dir_ + "/good.json") << cfg.dump();
  cfg["conformance_mds"] = {bad};
  std::ofstream(dir_ + "/bad.json") << cfg.dump();

  CliRun ok = Serve("--check-config " + dir_ + "/good.json", dir_ + "/err.txt");
  EXPECT_EQ(ok.exit_code, 0) << ok.err;
  CliRun check = Serve("--check-config " + dir_ + "/bad.json", dir_ + "/err.txt");
  EXPECT_EQ(check.exit_code, 2);
  auto line = ParseJson(check.err.substr(0, check.err.find('\n')));
  ASSERT_TRUE(line) << check.err;
  EXPECT_EQ((*line)["error"], "metadata_signature_invalid") << check.err;
  CliRun start = Serve("--config " + dir_ + "/bad.json", dir_ + "/err.txt");
  EXPECT_EQ(start.exit_code, 3);
  line = ParseJson(start.err.substr(0, start.err.find('\n')));
  ASSERT_TRUE(line) << start.err;
  EXPECT_EQ((*line)["code"], "metadata_signature_invalid") << start.err;
}

}  // namespace
}  // namespace keyward::serve::testing
