// `keyward mds import|show` end to end: BLOB files built by the test PKI, the real CLI binary.
#include <gtest/gtest.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cstdio>
#include <filesystem>
#include <fstream>

#include "tests/unit/attestation/mds_blob.h"

namespace keyward::attestation::testing {
namespace {

namespace fs = std::filesystem;

struct CliRun {
  int exit_code = -1;
  std::string out;
};

CliRun Keyward(const std::string& args) {
  std::string cmd = std::string(KEYWARD_BIN_DIR) + "/keyward " + args + " 2>/dev/null";
  CliRun r;
  FILE* p = popen(cmd.c_str(), "r");
  if (!p) return r;
  char buf[4096];
  size_t n;
  while ((n = fread(buf, 1, sizeof(buf), p)) > 0) r.out.append(buf, n);
  int status = pclose(p);  // waits for the child
  r.exit_code = WIFEXITED(status) ? WEXITSTATUS(status) : -1;
  return r;
}

class MdsCliTest : public ::testing::Test {
 protected:
  MdsCliTest() {
    dir_ = fs::temp_directory_path() / ("keyward-mds-cli-" + std::to_string(getpid()));
    fs::create_directories(dir_);
    CertSpec spec;
    spec.subject = {{"CN", "MDS signer"}};
    signer_ = MakeCert(spec, signer_key_.get(), root_key_.get(), &root_);
    Write("root.pem", ToPem(root_));
  }
  ~MdsCliTest() override { fs::remove_all(dir_); }

  std::string Write(const std::string& name, const std::string& data) {
    std::ofstream(dir_ / name, std::ios::binary) << data;
    return (dir_ / name).string();
  }
  std::string BlobFile(const std::string& name, int64_t no) {
    Json entries = Json::array({MdsEntry("6b657977-6172-642d-7465-737400000001", "Keyward CLI Key",
                                         {{"FIDO_CERTIFIED_L1", "2023-01-01"}})});
    return Write(name, MakeJwt(MdsPayload(no, entries), signer_key_.get(), {&*signer_}) + "\n");
  }
  std::string Import(const std::string& blob) {
    return "mds import " + blob + " --root " + (dir_ / "root.pem").string() + " --store " +
           Store() + " --at 2025-01-01T00:00:00Z --json";
  }
  std::string Store() { return (dir_ / "store" / "mds.jwt").string(); }

  fs::path dir_;
  EvpPkeyPtr root_key_ = GenerateEc();
  Certificate root_ = MakeCa("MDS CLI Root", root_key_.get());
  EvpPkeyPtr signer_key_ = GenerateEc();
  std::optional<Certificate> signer_;
};

TEST_F(MdsCliTest, ImportShowAndRollback) {
  CliRun missing =
      Keyward("mds show 6b657977-6172-642d-7465-737400000001 --json --store " + Store());
  EXPECT_EQ(missing.exit_code, 3);

  CliRun imported = Keyward(Import(BlobFile("b7.jwt", 7)));
  ASSERT_EQ(imported.exit_code, 0) << imported.out;
  Json j = *ParseJson(imported.out);
  EXPECT_EQ(j["no"], 7);
  EXPECT_EQ(j["entries"], 1);

  CliRun shown = Keyward("mds show 6b657977-6172-642d-7465-737400000001 --json --store " + Store());
  ASSERT_EQ(shown.exit_code, 0) << shown.out;
  Json s = *ParseJson(shown.out);
  EXPECT_EQ(s["description"], "Keyward CLI Key");
  EXPECT_EQ(s["certification_level"], "L1");
  EXPECT_EQ(s["status"], "FIDO_CERTIFIED_L1");
  EXPECT_EQ(s["compromised"], false);

  CliRun unknown =
      Keyward("mds show 00000000-0000-0000-0000-000000000001 --json --store " + Store());
  EXPECT_EQ(unknown.exit_code, 1);
  EXPECT_EQ((*ParseJson(unknown.out))["error"]["code"], "metadata_entry_not_found");

  CliRun rollback = Keyward(Import(BlobFile("b6.jwt", 6)));
  EXPECT_EQ(rollback.exit_code, 1);
  EXPECT_EQ((*ParseJson(rollback.out))["error"]["code"], "metadata_rollback");

  std::string good = MakeJwt(MdsPayload(8, Json::array()), signer_key_.get(), {&*signer_});
  good[good.size() - 3] = good[good.size() - 3] == 'A' ? 'B' : 'A';
  CliRun bad = Keyward(Import(Write("bad.jwt", good)));
  EXPECT_EQ(bad.exit_code, 1);
  EXPECT_EQ((*ParseJson(bad.out))["error"]["code"], "metadata_signature_invalid");
  // The stored copy is untouched by the refused imports.
  CliRun still = Keyward("mds show 6b657977-6172-642d-7465-737400000001 --json --store " + Store());
  EXPECT_EQ((*ParseJson(still.out))["no"], 7);

  CliRun no_root =
      Keyward("mds import " + (dir_ / "b7.jwt").string() + " --root /nonexistent --json");
  EXPECT_EQ(no_root.exit_code, 2);
}

TEST_F(MdsCliTest, StaleBlobNeedsTheInsecureFlag) {
  // nextUpdate 2025-02-01: stale on 2025-02-02.
  std::string file = BlobFile("b3.jwt", 3);
  std::string base = "mds import " + file + " --root " + (dir_ / "root.pem").string() +
                     " --store " + Store() + " --at 2025-02-02T00:00:00Z --json";
  CliRun refused = Keyward(base);
  EXPECT_EQ(refused.exit_code, 1) << refused.out;
  EXPECT_EQ((*ParseJson(refused.out))["error"]["code"], "metadata_stale");
  CliRun missing =
      Keyward("mds show 6b657977-6172-642d-7465-737400000001 --json --store " + Store());
  EXPECT_EQ(missing.exit_code, 3);  // nothing was stored

  CliRun accepted = Keyward(base + " --insecure-accept-stale");
  ASSERT_EQ(accepted.exit_code, 0) << accepted.out;
  Json j = *ParseJson(accepted.out);
  EXPECT_EQ(j["no"], 3);
  EXPECT_EQ(j["stale"], true);
  EXPECT_EQ(j["next_update"], "2025-02-01");

  CliRun fresh = Keyward(Import(BlobFile("b4.jwt", 4)));  // --at 2025-01-01
  ASSERT_EQ(fresh.exit_code, 0) << fresh.out;
  EXPECT_EQ((*ParseJson(fresh.out))["stale"], false);
}

}  // namespace
}  // namespace keyward::attestation::testing
