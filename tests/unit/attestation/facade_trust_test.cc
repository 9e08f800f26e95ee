// The authenticator facade's attestation trust (authenticator/trust_source.h): authenticator
// names on credentials (MDS first, then the bundled community list), an MDS store applied at
// registration (a revoked authenticator is refused), `keyward users audit-keys` finding
// credentials whose authenticator was revoked later, the opt-in background refresh and its
// metrics, and the switch that turns the bundled roots off.
#include <gtest/gtest.h>
#include <sys/wait.h>

#include <chrono>
#include <filesystem>
#include <thread>

#include "attestation/authenticator_names.h"
#include "authenticator/trust_source.h"
#include "keyward/authenticator.h"
#include "tests/support/webauthn_test_authenticator.h"
#include "tests/unit/attestation/mds_https.h"

namespace keyward::attestation::testing {
namespace {

namespace fs = std::filesystem;
using authenticator::Authenticator;
using authenticator::AuthenticatorConfig;
using authenticator::Credential;
using authenticator::CredentialKind;
using keyward::testing::RegistrationSpec;
using keyward::testing::TestAuthenticator;

constexpr char kGpm[] = "ea9b8d66-4d01-1d21-3ce4-b6b48cb575d4";  // Google Password Manager
constexpr char kKeyA[] = "6b657977-6172-642d-7465-737400000001";
constexpr char kKeyB[] = "6b657977-6172-642d-7465-737400000002";
constexpr char kKeyC[] = "6b657977-6172-642d-7465-737400000003";

struct CliRun {
  int exit_code = -1;
  Json out;
};

CliRun Keyward(const std::string& args) {
  std::string cmd = std::string(KEYWARD_BIN_DIR) + "/keyward " + args + " 2>/dev/null";
  CliRun r;
  FILE* p = popen(cmd.c_str(), "r");
  if (!p) return r;
  std::string text;
  char buf[4096];
  size_t n;
  while ((n = fread(buf, 1, sizeof(buf), p)) > 0) text.append(buf, n);
  int status = pclose(p);
  r.exit_code = WIFEXITED(status) ? WEXITSTATUS(status) : -1;
  r.out = ParseJson(text).value_or(Json());
  return r;
}

class FacadeTrustTest : public ::testing::Test {
 protected:
  FacadeTrustTest()
      : dir_(fs::temp_directory_path() / ("keyward-facade-trust-" + std::to_string(getpid()))) {
    fs::create_directories(dir_);
    CertSpec spec;
    spec.subject = {{"CN", "MDS signer"}};
    signer_ = MakeCert(spec, signer_key_.get(), root_key_.get(), &root_);
  }
  ~FacadeTrustTest() override { fs::remove_all(dir_); }

  std::string Blob(int64_t no, const std::string& b_status) {
    Json entries = Json::array(
        {MdsEntry(kKeyA, "YubiKey 5 Series (test)", {{"FIDO_CERTIFIED_L1", "2023-01-01"}}),
         MdsEntry(kKeyB, "Revoked Key (test)",
                  {{"FIDO_CERTIFIED_L1", "2023-01-01"}, {"REVOKED", "2024-06-01"}}),
         MdsEntry(kKeyC, "Later Compromised Key (test)",
                  {{"FIDO_CERTIFIED_L1", "2023-01-01"}, {b_status, "2024-09-01"}})});
    return MakeJwt(MdsPayload(no, entries), signer_key_.get(), {&*signer_});
  }
  void Store(int64_t no, const std::string& c_status) {
    MetadataVerifyOptions o;
    o.verify_time = kNow;
    auto blob = MetadataBlob::Import(Blob(no, c_status), std::span(&root_, 1), o, MdsPath());
    ASSERT_TRUE(blob) << blob.error().ToString();
  }
  std::string MdsPath() const { return (dir_ / "mds.jwt").string(); }
  std::string DbPath() const { return (dir_ / "keyward.db").string(); }

  AuthenticatorConfig Config() {
    AuthenticatorConfig c;
    c.db_path = DbPath();
    c.rp_id = "example.com";
    c.rp_name = "Example";
    c.origins = {"https://example.com"};
    c.clock = [] { return kNow; };
    return c;
  }

  Result<Credential> Register(Authenticator& a, const std::string& principal,
                              const std::string& aaguid) {
    auto p = a.FindPrincipalByName(principal);
    if (!p) p = a.CreatePrincipal(principal, principal);
    if (!p) return Fail(p.error());
    auto start = a.BeginRegistration(p->id, CredentialKind::kSecurityKey);
    if (!start) return Fail(start.error());
    RegistrationSpec spec;
    spec.client.challenge = start->challenge;
    spec.flags = 0x01 | 0x04 | 0x40;  // UP UV AT
    auto id = ParseAaguid(aaguid);
    std::copy(id->begin(), id->end(), spec.aaguid.begin());
    TestAuthenticator device;
    return a.FinishRegistration(start->ceremony_id,
                                TestAuthenticator::ToJson(device.Register(spec)), "key");
  }

  fs::path dir_;
  EvpPkeyPtr root_key_ = GenerateEc();
  Certificate root_ = MakeCa("Test MDS Root", root_key_.get());
  EvpPkeyPtr signer_key_ = GenerateEc();
  std::optional<Certificate> signer_;
};

TEST_F(FacadeTrustTest, CredentialsCarryTheCommunityListName) {
  ASSERT_GT(CommunityAaguidCount(), 40u);
  auto a = Authenticator::Open(Config());
  ASSERT_TRUE(a) << a.error().ToString();
  auto c = Register(**a, "alice", kGpm);
  ASSERT_TRUE(c) << c.error().ToString();
  EXPECT_EQ(c->authenticator_name, "Google Password Manager");
  EXPECT_EQ(c->authenticator_icon.rfind("data:image/svg+xml;base64,", 0), 0u);
  auto listed = (*a)->ListCredentials(c->principal_id);
  ASSERT_TRUE(listed);
  ASSERT_EQ(listed->size(), 1u);
  EXPECT_EQ(listed->front().authenticator_name, "Google Password Manager");
  Json j = *ParseJson(authenticator::CredentialToJson(listed->front()));
  EXPECT_EQ(j["authenticator_name"], "Google Password Manager");
  // Unknown AAGUID: no name, no member.
  auto unknown = Register(**a, "bob", kKeyA);
  ASSERT_TRUE(unknown);
  EXPECT_EQ(unknown->authenticator_name, "");
  EXPECT_FALSE(
      ParseJson(authenticator::CredentialToJson(*unknown))->contains("authenticator_name"));
}

TEST_F(FacadeTrustTest, MdsNamesFirstAndRevokedAuthenticatorsAreRefused) {
  Store(10, "FIDO_CERTIFIED_L2");
  AuthenticatorConfig config = Config();
  config.mds_store_path = MdsPath();
  auto a = Authenticator::Open(config);
  ASSERT_TRUE(a) << a.error().ToString();
  auto c = Register(**a, "alice", kKeyA);
  ASSERT_TRUE(c) << c.error().ToString();
  EXPECT_EQ(c->authenticator_name, "YubiKey 5 Series (test)");
  auto revoked = Register(**a, "alice", kKeyB);
  ASSERT_FALSE(revoked);
  EXPECT_EQ(revoked.error().code, ErrorCode::kMetadataAuthenticatorRevoked);
  // A community-listed AAGUID the BLOB does not know keeps its community name.
  auto gpm = Register(**a, "alice", kGpm);
  ASSERT_TRUE(gpm);
  EXPECT_EQ(gpm->authenticator_name, "Google Password Manager");
}

TEST_F(FacadeTrustTest, AnUnreadableMdsStoreIsAConfigError) {
  AuthenticatorConfig config = Config();
  config.mds_store_path = (dir_ / "absent.jwt").string();
  auto a = Authenticator::Open(config);
  ASSERT_FALSE(a);
  EXPECT_EQ(a.error().code, ErrorCode::kConfigInvalid);
  config.mds_store_path.clear();
  config.mds_background_refresh = true;
  a = Authenticator::Open(config);
  ASSERT_FALSE(a);
  EXPECT_EQ(a.error().code, ErrorCode::kConfigInvalid);
}

TEST_F(FacadeTrustTest, AuditKeysListsCredentialsRevokedSinceRegistration) {
  Store(10, "FIDO_CERTIFIED_L2");
  {
    AuthenticatorConfig config = Config();
    config.mds_store_path = MdsPath();
    auto a = Authenticator::Open(config);
    ASSERT_TRUE(a);
    ASSERT_TRUE(Register(**a, "alice", kKeyC));
    ASSERT_TRUE(Register(**a, "bob", kKeyA));
  }
  std::string args = "users audit-keys --json --db " + DbPath() + " --mds " + MdsPath();
  CliRun r = Keyward(args);
  EXPECT_EQ(r.exit_code, 0) << r.out.dump();
  EXPECT_EQ(r.out["scanned"], 2);
  EXPECT_TRUE(r.out["revoked"].empty());
  Store(11, "USER_KEY_PHYSICAL_COMPROMISE");  // the BLOB now says key C is compromised
  r = Keyward(args);
  EXPECT_EQ(r.exit_code, 1) << r.out.dump();
  ASSERT_EQ(r.out["revoked"].size(), 1u) << r.out.dump();
  EXPECT_EQ(r.out["revoked"][0]["principal_name"], "alice");
  EXPECT_EQ(r.out["revoked"][0]["aaguid"], kKeyC);
  EXPECT_EQ(r.out["revoked"][0]["status"], "USER_KEY_PHYSICAL_COMPROMISE");
  EXPECT_EQ(r.out["revoked"][0]["authenticator_name"], "Later Compromised Key (test)");
  EXPECT_EQ(r.out["mds_no"], 11);
  r = Keyward("users audit-keys --json --db " + DbPath() + " --mds " + (dir_ / "none").string());
  EXPECT_EQ(r.exit_code, 3);
  EXPECT_EQ(r.out["error"]["code"], "not_found");
  CliRun show = Keyward("users show alice --json --db " + DbPath());
  ASSERT_EQ(show.exit_code, 0);
  // users show opens the store without MDS: the community list only (key C is not in it).
  EXPECT_FALSE(show.out["principal"]["credentials"][0].contains("authenticator_name"));
}

TEST_F(FacadeTrustTest, BackgroundRefreshServesTheDownloadedBlobAndReportsMetrics) {
  LocalHttpsServer server(dir_);
  ASSERT_TRUE(server.running());
  // The facade verifies against the bundled MDS root, which did not sign this test BLOB: the
  // refresh fails (certificate_untrusted), the facade keeps working, metrics say why.
  server.Put("mds.jwt", Blob(12, "FIDO_CERTIFIED_L2"));
  AuthenticatorConfig config = Config();
  config.mds_store_path = MdsPath();
  config.mds_background_refresh = true;
  config.mds_url = server.https("mds.jwt");
  config.mds_tls_ca_file = server.tls_ca_file();
  auto a = Authenticator::Open(config);
  ASSERT_TRUE(a) << a.error().ToString();
  std::string metrics;
  for (int i = 0; i < 300; ++i) {  // bounded: 30 s
    metrics = (*a)->MetadataMetrics();
    if (metrics.find("keyward_mds_refresh_attempts 1") != std::string::npos) break;
    std::this_thread::sleep_for(std::chrono::milliseconds(100));
  }
  EXPECT_NE(metrics.find("keyward_mds_refresh_attempts 1"), std::string::npos) << metrics;
  EXPECT_NE(metrics.find("keyward_mds_last_error{code=\"certificate_untrusted\"} 1"),
            std::string::npos)
      << metrics;
  EXPECT_NE(metrics.find("keyward_mds_last_success_age_seconds -1"), std::string::npos);
  EXPECT_TRUE(Register(**a, "alice", kGpm));  // registrations go on meanwhile
}

TEST(TrustSourceTest, ACallersSourceIsReadForEveryUseAndExcludesTheStorePath) {
  auto blob = MetadataBlob::InsecureParseUnverifiedPayload(
      MdsPayload(7, Json::array({MdsEntry(kKeyA, "Key A (source)", {})})).dump());
  ASSERT_TRUE(blob) << blob.error().ToString();
  auto current = std::make_shared<const MetadataBlob>(std::move(*blob));
  int calls = 0;
  AuthenticatorConfig config;
  config.mds_source = [&] {
    ++calls;
    return current;
  };
  auto source = authenticator::TrustSource::Open(config);
  ASSERT_TRUE(source) << source.error().ToString();
  authenticator::TrustSource::Use use;
  (*source)->Current(&use);
  EXPECT_EQ(use.blob, current);
  ASSERT_NE(use.store, nullptr);
  EXPECT_EQ(use.store->metadata(), current.get());
  current.reset();  // the source now has nothing: the next use sees that, this one keeps its copy
  authenticator::TrustSource::Use later;
  (*source)->Current(&later);
  EXPECT_EQ(later.blob, nullptr);
  EXPECT_NE(use.blob, nullptr);
  EXPECT_EQ(calls, 2);
  EXPECT_EQ((*source)->MetricsText(), "");
  config.mds_store_path = "/nonexistent/mds.jwt";
  auto both = authenticator::TrustSource::Open(config);
  ASSERT_FALSE(both);
  EXPECT_EQ(both.error().code, ErrorCode::kConfigInvalid);
  config.mds_store_path.clear();
  config.mds_background_refresh = true;
  both = authenticator::TrustSource::Open(config);
  ASSERT_FALSE(both);
  EXPECT_EQ(both.error().code, ErrorCode::kConfigInvalid);
}

TEST(TrustSourceTest, BundledRootsCanBeTurnedOff) {
  AuthenticatorConfig config;
  auto on = authenticator::TrustSource::Open(config);
  ASSERT_TRUE(on);
  authenticator::TrustSource::Use use;
  (*on)->Current(&use);
  EXPECT_EQ(use.store, nullptr);  // the default store: bundled roots
  config.attestation_bundled_roots = false;
  auto off = authenticator::TrustSource::Open(config);
  ASSERT_TRUE(off);
  authenticator::TrustSource::Use none;
  (*off)->Current(&none);
  ASSERT_NE(none.store, nullptr);
  EXPECT_FALSE(none.store->use_bundled_roots());
  EXPECT_TRUE(none.store->AnchorsFor("apple", Aaguid{}).empty());
  EXPECT_EQ((*off)->MetricsText(), "");
}

}  // namespace
}  // namespace keyward::attestation::testing
