// Background MDS refresh in `keyward serve` ("mds_refresh": true): the real binary downloads the
// BLOB from a loopback HTTPS server the test starts (its own TLS CA; BLOBs signed by a test MDS
// root given as mds_root), every worker's registrations see a refreshed copy without a restart,
// a failed download (404, bad signature, rolled-back serial) keeps the last good copy, and
// /metrics reports serial, attempts, successes, failures, the last error's code, the copy's age
// and the seconds until its nextUpdate. Refreshes are triggered with SIGHUP; every wait is bounded.
#include <gtest/gtest.h>
#include <signal.h>

#include <chrono>
#include <ctime>
#include <filesystem>
#include <fstream>
#include <thread>

#include "attestation/metadata.h"
#include "core/base64url.h"
#include "core/json.h"
#include "tests/support/webauthn_test_authenticator.h"
#include "tests/unit/attestation/mds_https.h"
#include "tests/unit/serve/serve_fixture.h"

namespace keyward::serve::testing {
namespace {

namespace at = keyward::attestation::testing;
using keyward::testing::RegistrationSpec;
using keyward::testing::TestAuthenticator;

constexpr char kOrigin[] = "http://localhost:8080";
constexpr char kKeyA[] = "6b657977-6172-642d-7465-737400000001";
constexpr char kKeyB[] = "6b657977-6172-642d-7465-737400000002";

// YYYY-MM-DD of the wall clock plus `days`.
std::string DateInDays(int days) {
  std::time_t t = std::time(nullptr) + static_cast<std::time_t>(days) * 86400;
  std::tm tm{};
  gmtime_r(&t, &tm);
  char buf[16];
  std::strftime(buf, sizeof buf, "%Y-%m-%d", &tm);
  return buf;
}

// The value of an unlabelled metric line "name value"; nullopt when absent.
std::optional<double> Metric(const std::string& text, const std::string& name) {
  size_t pos = 0;
  while ((pos = text.find(name + " ", pos)) != std::string::npos) {
    if (pos == 0 || text[pos - 1] == '\n') {
      return std::stod(text.substr(pos + name.size() + 1));
    }
    pos += name.size();
  }
  return std::nullopt;
}

class ServeMdsTest : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = TempDir(::testing::UnitTest::GetInstance()->current_test_info()->name());
    at::CertSpec spec;
    spec.subject = {{"CN", "MDS signer (serve test)"}};
    spec.not_before = UnixNow() - 86400;
    spec.not_after = UnixNow() + 365 * 86400;
    signer_ = at::MakeCert(spec, signer_key_.get(), root_key_.get(), &root_);
    std::ofstream(dir_ + "/mds-root.pem") << at::ToPem(root_);
    https_ = std::make_unique<at::LocalHttpsServer>(dir_ + "/https");
    ASSERT_TRUE(https_->running());
  }
  void TearDown() override {
    if (server_) {
      EXPECT_EQ(server_->Stop(), 0) << server_->StderrText();
    }
    https_.reset();
    std::filesystem::remove_all(dir_);
  }

  Json Payload(int64_t no, const std::string& b_status) {
    Json entries = Json::array(
        {at::MdsEntry(kKeyA, "Key A (serve test)", {{"FIDO_CERTIFIED_L1", "2023-01-01"}}),
         at::MdsEntry(kKeyB, "Key B (serve test)",
                      {{"FIDO_CERTIFIED_L1", "2023-01-01"}, {b_status, "2024-06-01"}})});
    return {
        {"legalHeader", "test"}, {"no", no}, {"nextUpdate", DateInDays(30)}, {"entries", entries}};
  }
  std::string Blob(int64_t no, const std::string& b_status) {
    return at::MakeJwt(Payload(no, b_status), signer_key_.get(), {&*signer_});
  }

  void StartServer() {
    Json cfg = {{"conformance", true},
                {"web_root", ""},
                {"mds_store", dir_ + "/mds.jwt"},
                {"mds_refresh", true},
                {"mds_url", https_->https("mds.jwt")},
                {"mds_root", dir_ + "/mds-root.pem"},
                {"mds_tls_ca", https_->tls_ca_file()}};
    server_ = ServerProcess::Start(dir_, cfg);
    ASSERT_NE(server_, nullptr);
  }

  std::string Metrics() {
    HttpClient c(server_->port());
    return c.Get("/metrics").body;
  }
  // Waits (bounded: 30 s) until `attempts` refresh attempts finished; the metrics text then.
  std::string WaitForAttempts(int attempts) {
    std::string text;
    for (int i = 0; i < 300; ++i) {
      text = Metrics();
      auto a = Metric(text, "keyward_mds_refresh_attempts");
      if (a && *a >= attempts) return text;
      std::this_thread::sleep_for(std::chrono::milliseconds(100));
    }
    ADD_FAILURE() << "no refresh attempt " << attempts << ": " << text;
    return text;
  }
  std::string RefreshNow(int attempts) {
    EXPECT_EQ(::kill(server_->pid(), SIGHUP), 0);
    return WaitForAttempts(attempts);
  }

  // A conformance-API registration of a fresh user with `aaguid` on a new connection (so it may
  // land on either worker); "" on success, else the code name that starts errorMessage.
  std::string Register(const std::string& aaguid) {
    HttpClient c(server_->port());
    std::string user = "user" + std::to_string(++users_) + "@example.com";
    auto opts = c.Post("/attestation/options", {{"username", user}, {"displayName", user}});
    EXPECT_EQ(opts.status, 200) << opts.body;
    Json o = opts.json();
    RegistrationSpec spec;
    spec.rp_id = "localhost";
    spec.client.origin = kOrigin;
    spec.client.challenge = *Base64UrlDecode(o["challenge"].get<std::string>());
    spec.flags = 0x01 | 0x04 | 0x40;  // UP UV AT
    auto id = attestation::ParseAaguid(aaguid);
    std::copy(id->begin(), id->end(), spec.aaguid.begin());
    TestAuthenticator key;
    auto res =
        c.Post("/attestation/result", *ParseJson(TestAuthenticator::ToJson(key.Register(spec))));
    if (res.status == 200 && res.json()["status"] == "ok") return "";
    std::string m = res.json()["errorMessage"].get<std::string>();
    return m.substr(0, m.find(':'));
  }

  std::string dir_;
  std::unique_ptr<at::LocalHttpsServer> https_;
  std::unique_ptr<ServerProcess> server_;
  EvpPkeyPtr root_key_ = at::GenerateEc();
  Certificate root_ = at::MakeCa("Serve Test MDS Root", root_key_.get());
  EvpPkeyPtr signer_key_ = at::GenerateEc();
  std::optional<Certificate> signer_;
  int users_ = 0;
};

TEST_F(ServeMdsTest, RefreshedBlobReachesEveryWorkerAndFailuresKeepTheLastGoodCopy) {
  https_->Put("mds.jwt", Blob(10, "FIDO_CERTIFIED_L2"));
  StartServer();
  // The first attempt runs at start (no stored copy yet).
  std::string m = WaitForAttempts(1);
  EXPECT_EQ(Metric(m, "keyward_mds_serial"), 10) << m;
  EXPECT_EQ(Metric(m, "keyward_mds_refresh_successes"), 1);
  EXPECT_EQ(Metric(m, "keyward_mds_refresh_failures"), 0);
  EXPECT_EQ(m.find("keyward_mds_last_error{"), std::string::npos);
  auto age = Metric(m, "keyward_mds_blob_age_seconds");
  ASSERT_TRUE(age);
  EXPECT_GE(*age, 0);
  EXPECT_LT(*age, 3600);  // stored by this run, not a day-old copy
  auto next = Metric(m, "keyward_mds_next_update_seconds");
  ASSERT_TRUE(next);
  EXPECT_GT(*next, 28 * 86400);  // nextUpdate is 30 days ahead (00:00 UTC of that date)
  EXPECT_LE(*next, 30 * 86400);
  EXPECT_GE(Metric(m, "keyward_mds_last_success_timestamp_seconds").value_or(0),
            static_cast<double>(UnixNow() - 3600));
  EXPECT_TRUE(std::filesystem::exists(dir_ + "/mds.jwt"));  // stored for the next start

  EXPECT_EQ(Register(kKeyA), "");
  EXPECT_EQ(Register(kKeyB), "");  // key B is certified in BLOB 10

  // BLOB 11 revokes key B: picked up without a restart, on every worker.
  https_->Put("mds.jwt", Blob(11, "REVOKED"));
  m = RefreshNow(2);
  EXPECT_EQ(Metric(m, "keyward_mds_serial"), 11) << m;
  EXPECT_EQ(Metric(m, "keyward_mds_refresh_successes"), 2);
  for (int i = 0; i < 4; ++i) EXPECT_EQ(Register(kKeyB), "metadata_authenticator_revoked");
  EXPECT_EQ(Register(kKeyA), "");

  // 404: counted, the last good copy (11) stays in force.
  https_->Remove("mds.jwt");
  m = RefreshNow(3);
  EXPECT_EQ(Metric(m, "keyward_mds_refresh_failures"), 1) << m;
  EXPECT_EQ(Metric(m, "keyward_mds_consecutive_failures"), 1);
  EXPECT_NE(m.find("keyward_mds_last_error{code=\"metadata_http_error\"} 1"), std::string::npos);
  EXPECT_EQ(Metric(m, "keyward_mds_serial"), 11);
  EXPECT_EQ(Register(kKeyB), "metadata_authenticator_revoked");

  // A bad signature: BLOB 12's signature over BLOB 13's payload (which would certify key B).
  std::string twelve = Blob(12, "FIDO_CERTIFIED_L2");
  std::string thirteen = Blob(13, "FIDO_CERTIFIED_L2");
  size_t p1 = twelve.find('.'), p2 = twelve.rfind('.');
  std::string forged =
      twelve.substr(0, p1) +
      thirteen.substr(thirteen.find('.'), thirteen.rfind('.') - thirteen.find('.')) +
      twelve.substr(p2);
  https_->Put("mds.jwt", forged);
  m = RefreshNow(4);
  EXPECT_EQ(Metric(m, "keyward_mds_refresh_failures"), 2) << m;
  EXPECT_NE(m.find("keyward_mds_last_error{code=\"metadata_signature_invalid\"} 1"),
            std::string::npos)
      << m;
  EXPECT_EQ(Metric(m, "keyward_mds_serial"), 11);
  EXPECT_EQ(Register(kKeyB), "metadata_authenticator_revoked");

  // A rolled-back serial (a validly signed older BLOB that still certifies key B).
  https_->Put("mds.jwt", Blob(9, "FIDO_CERTIFIED_L2"));
  m = RefreshNow(5);
  EXPECT_EQ(Metric(m, "keyward_mds_refresh_failures"), 3) << m;
  EXPECT_EQ(Metric(m, "keyward_mds_consecutive_failures"), 3);
  EXPECT_NE(m.find("keyward_mds_last_error{code=\"metadata_rollback\"} 1"), std::string::npos) << m;
  EXPECT_EQ(Metric(m, "keyward_mds_serial"), 11);
  EXPECT_EQ(Metric(m, "keyward_mds_refresh_successes"), 2);
  EXPECT_EQ(Register(kKeyB), "metadata_authenticator_revoked");

  // Recovery: a newer BLOB is taken again and clears the failure streak.
  https_->Put("mds.jwt", Blob(14, "FIDO_CERTIFIED_L2"));
  m = RefreshNow(6);
  EXPECT_EQ(Metric(m, "keyward_mds_serial"), 14) << m;
  EXPECT_EQ(Metric(m, "keyward_mds_consecutive_failures"), 0);
  EXPECT_EQ(m.find("keyward_mds_last_error{"), std::string::npos);
  EXPECT_EQ(Register(kKeyB), "");
}

TEST_F(ServeMdsTest, AStoredCopyIsServedWhenTheFirstDownloadFails) {
  // A previous run stored BLOB 11 (key B revoked); the server is now unreachable for the BLOB.
  std::ofstream(dir_ + "/mds.jwt") << Blob(11, "REVOKED");
  StartServer();
  std::string m = WaitForAttempts(1);
  EXPECT_EQ(Metric(m, "keyward_mds_refresh_failures"), 1) << m;
  EXPECT_NE(m.find("keyward_mds_last_error{code=\"metadata_http_error\"} 1"), std::string::npos);
  EXPECT_EQ(Metric(m, "keyward_mds_serial"), 11);
  EXPECT_EQ(Metric(m, "keyward_mds_last_success_age_seconds"), -1);
  EXPECT_GE(Metric(m, "keyward_mds_blob_age_seconds").value_or(-1), 0);
  EXPECT_EQ(Register(kKeyB), "metadata_authenticator_revoked");
  EXPECT_EQ(Register(kKeyA), "");
}

}  // namespace
}  // namespace keyward::serve::testing
