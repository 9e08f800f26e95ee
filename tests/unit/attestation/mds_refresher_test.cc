// MdsRefresher against the loopback HTTPS server: refreshes, keeps serving the last good copy
// when the source fails (404, bad signature), reports the error for metrics, recovers, stops.
// No timing assertions: attempts are triggered with RefreshNow and awaited with a bound.
#include "attestation/mds_refresher.h"

#include <gtest/gtest.h>

#include <filesystem>

#include "tests/unit/attestation/mds_https.h"

namespace keyward::attestation::testing {
namespace {

namespace fs = std::filesystem;

class MdsRefresherTest : public ::testing::Test {
 protected:
  MdsRefresherTest()
      : dir_(fs::temp_directory_path() / ("keyward-mds-refresh-" + std::to_string(getpid()))),
        server_(MakeDir(dir_)) {
    CertSpec spec;
    spec.subject = {{"CN", "MDS signer"}};
    signer_ = MakeCert(spec, signer_key_.get(), root_key_.get(), &root_);
  }
  ~MdsRefresherTest() override { fs::remove_all(dir_); }
  static const fs::path& MakeDir(const fs::path& d) {
    fs::create_directories(d);
    return d;
  }
  std::string Blob(int64_t no) {
    Json entries = Json::array({MdsEntry("6b657977-6172-642d-7465-737400000001", "Keyward Key",
                                         {{"FIDO_CERTIFIED_L1", "2023-01-01"}})});
    return MakeJwt(MdsPayload(no, entries), signer_key_.get(), {&*signer_});
  }
  MdsRefresher::Options Options() {
    MdsRefresher::Options o;
    o.fetch.url = server_.https("mds.jwt");
    o.fetch.store_path = (dir_ / "store" / "mds.jwt").string();
    o.fetch.roots = {root_};
    o.fetch.http.tls_ca_file = server_.tls_ca_file();
    o.fetch.http.total_timeout_ms = 10000;
    o.clock = [] { return kNow; };
    return o;
  }

  fs::path dir_;
  LocalHttpsServer server_;
  EvpPkeyPtr root_key_ = GenerateEc();
  Certificate root_ = MakeCa("Test MDS Root", root_key_.get());
  EvpPkeyPtr signer_key_ = GenerateEc();
  std::optional<Certificate> signer_;
};

TEST_F(MdsRefresherTest, KeepsServingTheLastGoodCopyWhenTheSourceFails) {
  server_.Put("mds.jwt", Blob(10));
  auto r = MdsRefresher::Start(Options());
  ASSERT_TRUE(r) << r.error().ToString();
  MdsRefresher& refresher = **r;
  ASSERT_TRUE(refresher.WaitForAttempts(1, 30'000));
  ASSERT_NE(refresher.Current(), nullptr);
  EXPECT_EQ(refresher.Current()->serial(), 10);
  MdsRefresher::Status s = refresher.status();
  EXPECT_EQ(s.successes, 1u);
  EXPECT_EQ(s.last_success, kNow);
  EXPECT_FALSE(s.last_error);
  // Next regular attempt: the BLOB's nextUpdate (2025-02-01, a month away), but no later than
  // max_interval_s (7 days): BLOBs also appear before their predecessor's nextUpdate.
  EXPECT_EQ(s.next_attempt, kNow + 7 * 86400);

  server_.Remove("mds.jwt");  // the source is down: 404
  refresher.RefreshNow();
  ASSERT_TRUE(refresher.WaitForAttempts(2, 30'000));
  s = refresher.status();
  ASSERT_TRUE(s.last_error);
  EXPECT_EQ(s.last_error->code, ErrorCode::kMetadataHttpError);
  EXPECT_EQ(s.consecutive_failures, 1u);
  EXPECT_EQ(s.next_attempt, kNow + 60);          // first back-off step
  EXPECT_EQ(refresher.Current()->serial(), 10);  // still served
  std::string metrics = refresher.MetricsText();
  EXPECT_NE(metrics.find("keyward_mds_last_error{code=\"metadata_http_error\"} 1"),
            std::string::npos)
      << metrics;
  EXPECT_NE(metrics.find("keyward_mds_serial 10"), std::string::npos) << metrics;
  EXPECT_NE(metrics.find("keyward_mds_last_success_age_seconds 0"), std::string::npos);

  std::string bad = Blob(11);
  bad[bad.size() - 3] = bad[bad.size() - 3] == 'A' ? 'B' : 'A';
  server_.Put("mds.jwt", bad);
  refresher.RefreshNow();
  ASSERT_TRUE(refresher.WaitForAttempts(3, 30'000));
  s = refresher.status();
  ASSERT_TRUE(s.last_error);
  EXPECT_EQ(s.last_error->code, ErrorCode::kMetadataSignatureInvalid);
  EXPECT_EQ(s.next_attempt, kNow + 120);  // the back-off doubles
  EXPECT_EQ(refresher.Current()->serial(), 10);

  server_.Put("mds.jwt", Blob(12));
  refresher.RefreshNow();
  ASSERT_TRUE(refresher.WaitForAttempts(4, 30'000));
  s = refresher.status();
  EXPECT_FALSE(s.last_error);
  EXPECT_EQ(s.consecutive_failures, 0u);
  EXPECT_EQ(refresher.Current()->serial(), 12);
  refresher.Stop();
}

TEST_F(MdsRefresherTest, StartsFromTheStoredCopyWithoutTheNetwork) {
  server_.Put("mds.jwt", Blob(20));
  MdsFetchOptions fetch = Options().fetch;
  fetch.verify_time = kNow;
  ASSERT_TRUE(FetchMetadata(fetch));
  server_.Remove("mds.jwt");
  MdsRefresher::Options o = Options();
  o.fetch_at_start = false;
  auto r = MdsRefresher::Start(o);
  ASSERT_TRUE(r);
  ASSERT_NE((*r)->Current(), nullptr);
  EXPECT_EQ((*r)->Current()->serial(), 20);
  EXPECT_EQ((*r)->status().attempts, 0u);
  EXPECT_EQ((*r)->status().next_attempt, 1738368000);  // its nextUpdate
}

TEST_F(MdsRefresherTest, NeedsAStorePath) {
  MdsRefresher::Options o = Options();
  o.fetch.store_path.clear();
  auto r = MdsRefresher::Start(o);
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error().code, ErrorCode::kInvalidArgument);
}

TEST_F(MdsRefresherTest, ACorruptStoredCopyIsNeitherServedNorOverwritten) {
  // Its serial (the rollback floor) is unknown: the operator has to look at it.
  fs::create_directories(dir_ / "store");
  std::ofstream(dir_ / "store" / "mds.jwt") << "garbage";
  server_.Put("mds.jwt", Blob(30));
  auto r = MdsRefresher::Start(Options());
  ASSERT_TRUE(r);
  EXPECT_EQ((*r)->Current(), nullptr);
  ASSERT_TRUE((*r)->WaitForAttempts(1, 30'000));
  EXPECT_EQ((*r)->Current(), nullptr);
  ASSERT_TRUE((*r)->status().last_error);
  EXPECT_EQ((*r)->status().last_error->code, ErrorCode::kStoreCorrupt);
}

}  // namespace
}  // namespace keyward::attestation::testing
