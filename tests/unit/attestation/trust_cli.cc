// `keyward mds fetch` (against the loopback HTTPS server) and `keyward attestation roots` through
// the real CLI binary.
#include <gtest/gtest.h>
#include <sys/wait.h>

#include <cstdio>
#include <filesystem>
#include <fstream>
#include <map>

#include "tests/unit/attestation/mds_https.h"

namespace keyward::attestation::testing {
namespace {

namespace fs = std::filesystem;

struct CliResult {
  int exit_code = -1;
  Json out;
};

CliResult Keyward(const std::string& args) {
  std::string cmd = std::string(KEYWARD_BIN_DIR) + "/keyward " + args + " 2>/dev/null";
  CliResult r;
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

TEST(AttestationRootsCliTest, ListsBundledRootsWithExpiryAndFlagsExpiringOnes) {
  CliResult r = Keyward("attestation roots --json --at 2026-12-06T00:00:00Z");
  ASSERT_EQ(r.exit_code, 0);
  ASSERT_EQ(r.out["roots"].size(), 10u) << r.out.dump();
  std::map<std::string, Json> by_file;
  for (const auto& j : r.out["roots"]) by_file[j["file"]] = j;
  EXPECT_EQ(by_file["apple/apple-webauthn-root-ca.pem"]["status"], "valid");
  EXPECT_EQ(by_file["apple/apple-webauthn-root-ca.pem"]["purpose"], "apple");
  EXPECT_EQ(by_file["apple/apple-webauthn-root-ca.pem"]["not_after"], "2045-03-15T00:00:00Z");
  EXPECT_EQ(by_file["android-key/google-hardware-attestation-root-2016.pem"]["status"], "expired");
  EXPECT_EQ(by_file["android-safetynet/globalsign-root-ca-r2.pem"]["status"], "expired");
  EXPECT_EQ(by_file["mds/globalsign-root-ca-r3.pem"]["purpose"], "mds");
  // 60 days before GlobalSign Root CA - R3 expires (2029-03-18T10:00:00Z): flagged.
  r = Keyward("attestation roots --json --at 2029-01-17T10:00:00Z");
  ASSERT_EQ(r.exit_code, 0);
  for (const auto& j : r.out["roots"]) {
    if (j["file"] == "mds/globalsign-root-ca-r3.pem") {
      EXPECT_EQ(j["status"], "expiring");
      EXPECT_EQ(j["days_left"], 60);
    }
  }
  r = Keyward("attestation roots --json --no-bundled-roots");
  ASSERT_EQ(r.exit_code, 0);
  EXPECT_TRUE(r.out["roots"].empty());
  EXPECT_EQ(r.out["bundled_roots"], false);
}

TEST(AttestationRootsCliTest, ListsOperatorRootsByScope) {
  fs::path dir = fs::temp_directory_path() / ("keyward-roots-cli-" + std::to_string(getpid()));
  fs::create_directories(dir / "formats" / "tpm");
  EvpPkeyPtr key = GenerateEc();
  std::ofstream(dir / "formats" / "tpm" / "root.pem")
      << ToPem(MakeCa("Operator TPM Root", key.get()));
  CliResult r = Keyward("attestation roots --json --no-bundled-roots --trust-dir " + dir.string());
  fs::remove_all(dir);
  ASSERT_EQ(r.exit_code, 0);
  ASSERT_EQ(r.out["roots"].size(), 1u);
  EXPECT_EQ(r.out["roots"][0]["purpose"], "tpm");
  EXPECT_EQ(r.out["roots"][0]["source"], "trust-dir");
  EXPECT_EQ(Keyward("attestation roots --json --trust-dir /nonexistent").exit_code, 2);
  EXPECT_EQ(Keyward("attestation roots --json --at yesterday").exit_code, 2);
}

class MdsFetchCliTest : public ::testing::Test {
 protected:
  MdsFetchCliTest()
      : dir_(fs::temp_directory_path() / ("keyward-mds-fetch-cli-" + std::to_string(getpid()))),
        server_(MakeDir(dir_)) {
    CertSpec spec;
    spec.subject = {{"CN", "MDS signer"}};
    spec.not_before = UnixNow() - 86400;
    spec.not_after = UnixNow() + 86400;
    EvpPkeyPtr root_key = GenerateEc();
    CertSpec root_spec;
    root_spec.subject = {{"CN", "Test MDS Root"}};
    root_spec.ca = true;
    root_spec.not_before = UnixNow() - 86400;
    root_spec.not_after = UnixNow() + 86400;
    Certificate root = MakeCert(root_spec, root_key.get(), root_key.get(), nullptr);
    Certificate signer = MakeCert(spec, signer_key_.get(), root_key.get(), &root);
    std::ofstream(dir_ / "root.pem") << ToPem(root);
    Json entries = Json::array({MdsEntry("6b657977-6172-642d-7465-737400000001", "Keyward Key",
                                         {{"FIDO_CERTIFIED_L1", "2023-01-01"}})});
    Json payload = MdsPayload(7, entries);
    payload["nextUpdate"] = "2099-01-01";  // the CLI verifies at the wall-clock time
    server_.Put("blob.jwt", MakeJwt(payload, signer_key_.get(), {&signer}));
  }
  ~MdsFetchCliTest() override { fs::remove_all(dir_); }
  static const fs::path& MakeDir(const fs::path& d) {
    fs::create_directories(d);
    return d;
  }
  std::string Args(const std::string& name) {
    return "mds fetch " + server_.https(name) + " --store " + (dir_ / "store.jwt").string() +
           " --root " + (dir_ / "root.pem").string() + " --tls-ca " + server_.tls_ca_file() +
           " --timeout 10 --json";
  }
  fs::path dir_;
  LocalHttpsServer server_;
  EvpPkeyPtr signer_key_ = GenerateEc();
};

TEST_F(MdsFetchCliTest, FetchesStoresAndReportsErrorsWithTheirCodes) {
  CliResult r = Keyward(Args("blob.jwt"));
  ASSERT_EQ(r.exit_code, 0) << r.out.dump();
  EXPECT_EQ(r.out["no"], 7);
  EXPECT_EQ(r.out["unchanged"], false);
  r = Keyward(Args("blob.jwt"));
  ASSERT_EQ(r.exit_code, 0) << r.out.dump();
  EXPECT_EQ(r.out["unchanged"], true);
  r = Keyward("mds show 6b657977-6172-642d-7465-737400000001 --json --store " +
              (dir_ / "store.jwt").string());
  EXPECT_EQ(r.exit_code, 0);
  EXPECT_EQ(r.out["description"], "Keyward Key");
  r = Keyward(Args("absent.jwt"));
  EXPECT_EQ(r.exit_code, 3);
  EXPECT_EQ(r.out["error"]["code"], "metadata_http_error");
  r = Keyward("mds fetch " + server_.http("blob.jwt") + " --json --store " +
              (dir_ / "s2.jwt").string());
  EXPECT_EQ(r.exit_code, 2);
  EXPECT_EQ(r.out["error"]["code"], "metadata_url_invalid");
  // Without --root the bundled GlobalSign root judges the test signer: untrusted.
  r = Keyward("mds fetch " + server_.https("blob.jwt") + " --tls-ca " + server_.tls_ca_file() +
              " --json --store " + (dir_ / "s3.jwt").string());
  EXPECT_EQ(r.exit_code, 1);
  EXPECT_EQ(r.out["error"]["code"], "certificate_untrusted");
}

}  // namespace
}  // namespace keyward::attestation::testing
