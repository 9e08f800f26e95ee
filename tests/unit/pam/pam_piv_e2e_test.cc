// pam_keyward end to end with a PIV card: pam_wrapper + libpamtest → pam_keyward_testhooks.so →
// OpenSC's PKCS#11 module → pcscd → vpcd → the software PIV card (keyward-softpiv), all started
// by scripts/with-pcscd in a private namespace. The card is provisioned with keyward's PIV client
// (key generated on the card, certificate from a CA made here) as in pkcs11_opensc_e2e_test.
// What SoftHSM2 cannot show: a PIN that blocks, a card pulled while it signs, a card inserted
// while the module waits for it.
#include <gtest/gtest.h>
#include <signal.h>
#include <sys/prctl.h>

#include <chrono>
#include <filesystem>
#include <memory>
#include <optional>
#include <thread>

#include "core/hash.h"
#include "keyward/pcsc.h"
#include "tests/unit/pam/pam_fixture.h"
#include "tests/unit/pcsc/harness.h"

namespace keyward::pam {
namespace {

namespace pt = ::keyward::pcsc::testing;

constexpr char kOpenSc[] = "/usr/lib/x86_64-linux-gnu/opensc-pkcs11.so";
constexpr char kPin[] = "123456";
constexpr char kUserName[] = "nobody";

class PamPivTest : public PamModuleTest {
 protected:
  void SetUp() override {
    PamModuleTest::SetUp();
    if (HasFatalFailure()) return;
    now_ = UnixNow();
    ca_ = t::TestCa::Create("PAM PIV CA", now_);
    t::WriteFile(dir_ + "/ca.pem", ca_.CertPem());
    t::WriteFile(dir_ + "/rules", "rule piv: <EKU>smartcardLogon && <SAN:upn>@corp => upn-user\n");
    card_state_ = dir_ + "/card.json";
    ASSERT_TRUE(pt::WaitForCard(false));  // the previous test's card may still be seen
  }

  // Starts the card, provisions 9A for `user`@corp.example, stops it again.
  void ProvisionCard(const std::string& user) {
    auto card = pt::StartSoftCard(card_state_);
    ASSERT_TRUE(card) << card.error().ToString();
    ASSERT_TRUE(pt::WaitForCard(true));
    auto ctx = pcsc::Context::Establish();
    ASSERT_TRUE(ctx) << ctx.error().ToString();
    auto client = pcsc::piv::PivClient::Open(*ctx, pt::SoftReader());
    ASSERT_TRUE(client) << client.error().ToString();
    ASSERT_TRUE((*client)->AuthenticateManagementKey(pcsc::piv::ManagementKey::Default()));
    auto pub =
        (*client)->GenerateKey(pcsc::piv::Slot::kAuthentication, pcsc::piv::Algorithm::kEccP256);
    ASSERT_TRUE(pub) << pub.error().ToString();
    auto key = pub->ToEvp();
    ASSERT_TRUE(key);
    t::LeafSpec spec;
    spec.cn = "PIV " + user;
    spec.upn = {user + "@corp.example"};
    spec.not_before = now_ - t::kDay;
    spec.not_after = now_ + 365 * t::kDay;
    X509Ptr cert = t::IssueLeaf(ca_, key->get(), spec);
    ASSERT_TRUE((*client)->WriteCertificate(pcsc::piv::Slot::kAuthentication, t::Der(cert.get())));
    Bytes der = t::Der(cert.get());
    cert_sha256_ = HexEncode(Sha256(der));
    cert_ = std::move(cert);
    client->reset();
    card->Stop();
    ASSERT_TRUE(pt::WaitForCard(false));
  }

  std::string PivConfig(const std::string& more = "") {
    return "methods = card\ncard_module = " + std::string(kOpenSc) + "\ncard_ca = " + dir_ +
           "/ca.pem\ncard_rules = " + dir_ + "/rules\n" + more;
  }

  int64_t now_ = 0;
  t::TestCa ca_;
  std::string card_state_;
  X509Ptr cert_;             // the last provisioned card's 9A certificate
  std::string cert_sha256_;  // ... and its SHA-256 (hex)
};

size_t CountFiles(const std::string& dir) {
  if (!std::filesystem::exists(dir)) return 0;
  size_t n = 0;
  for (const auto& e : std::filesystem::directory_iterator(dir)) n += e.is_regular_file();
  return n;
}

TEST_F(PamPivTest, LoginThroughOpenScAndAPinThatBlocks) {
  ProvisionCard(kUserName);
  auto card = pt::StartSoftCard(card_state_);
  ASSERT_TRUE(card) << card.error().ToString();
  ASSERT_TRUE(pt::WaitForCard(true));
  Configure(PivConfig());

  EXPECT_EQ(Authenticate(kUserName, {kPin}), PAM_SUCCESS);
  ExpectLog("PAM_SUCCESS", "ok");
  EXPECT_NE(Log().find("alg=ES256"), std::string::npos) << Log();

  Conv wrong;
  wrong.answers = {"654321"};
  EXPECT_EQ(Authenticate(kUserName, wrong), PAM_AUTH_ERR);
  ExpectLog("PAM_AUTH_ERR", "pin_incorrect");
  ASSERT_FALSE(wrong.errors.empty());
  EXPECT_EQ(wrong.errors[0].rfind("Wrong PIN.", 0), 0u);

  // Wrong PINs until the card blocks the PIN (the software card allows 3 tries).
  std::string code;
  for (int i = 0; i < 4; ++i) {
    EXPECT_EQ(Authenticate(kUserName, {"654321"}), PAM_AUTH_ERR);
    if (Log().find("code=pin_blocked") != std::string::npos) break;
  }
  ExpectLog("PAM_AUTH_ERR", "pin_blocked");

  // Blocked: said so, and the right PIN is not even asked for.
  Conv after;
  after.answers = {kPin};
  EXPECT_EQ(Authenticate(kUserName, after), PAM_AUTH_ERR);
  ExpectLog("PAM_AUTH_ERR", "pin_blocked");
  EXPECT_TRUE(after.prompts.empty());
  ASSERT_FALSE(after.errors.empty());
  EXPECT_NE(after.errors[0].find("blocked"), std::string::npos);
}

TEST_F(PamPivTest, CardPulledMidAuthentication) {
  ProvisionCard(kUserName);
  auto card = pt::StartSoftCard(card_state_, {"--test-remove-during-sign", "--once"});
  ASSERT_TRUE(card) << card.error().ToString();
  ASSERT_TRUE(pt::WaitForCard(true));
  Configure(PivConfig());
  EXPECT_EQ(Authenticate(kUserName, {kPin}), PAM_AUTHINFO_UNAVAIL);
  ExpectLog("PAM_AUTHINFO_UNAVAIL", "pkcs11_token_removed");
}

TEST_F(PamPivTest, CardInsertedWhileWaitingAndCardAbsent) {
  ProvisionCard(kUserName);
  Configure(PivConfig("card_wait = 1\n"));
  Conv absent;
  EXPECT_EQ(Authenticate(kUserName, absent), PAM_AUTHINFO_UNAVAIL);
  ExpectLog("PAM_AUTHINFO_UNAVAIL", "pkcs11_token_not_found");
  EXPECT_TRUE(absent.prompts.empty());

  Configure(PivConfig("card_wait = 30\n"));
  std::optional<pt::ChildProcess> late;
  std::thread inserter([&] {
    std::this_thread::sleep_for(std::chrono::seconds(1));
    auto c = pt::StartSoftCard(card_state_);
    if (c) late.emplace(std::move(*c));
  });
  Conv waited;
  waited.answers = {kPin};
  int rc = Authenticate(kUserName, waited);
  inserter.join();
  EXPECT_EQ(rc, PAM_SUCCESS);
  ExpectLog("PAM_SUCCESS", "ok");
  ASSERT_FALSE(waited.info.empty());
  EXPECT_EQ(waited.info[0], "Insert your smart card.");
  ASSERT_TRUE(late.has_value());
}

// OCSP through `openssl ocsp` with card_ocsp_cache: a good answer is cached and, with the
// responder gone, decides until its nextUpdate (openssl ocsp -ndays 1); past it (the module's
// test clock 2 days ahead) the hard-fail policy refuses. The live answer always wins.
TEST_F(PamPivTest, OcspAnswerCachedWithinItsValidity) {
  ProvisionCard(kUserName);
  auto card = pt::StartSoftCard(card_state_);
  ASSERT_TRUE(card) << card.error().ToString();
  ASSERT_TRUE(pt::WaitForCard(true));
  const std::string cache = dir_ + "/ocsp-cache";
  auto responder =
      std::make_unique<t::OcspResponder>(ca_, dir_, t::IndexLine(cert_.get(), false, now_));
  ASSERT_TRUE(responder->ready());
  const std::string ocsp = "card_ocsp = " + responder->url() + "\ncard_ocsp_timeout = 2\n";
  Configure(PivConfig(ocsp + "card_ocsp_cache = " + cache + "\n"));

  EXPECT_EQ(Authenticate(kUserName, {kPin}), PAM_SUCCESS);
  ExpectLog("PAM_SUCCESS", "ok");
  EXPECT_NE(Log().find("revocation=ocsp/good "), std::string::npos) << Log();
  EXPECT_EQ(CountFiles(cache), 1u);
  struct stat st {};
  ASSERT_EQ(stat(cache.c_str(), &st), 0);
  EXPECT_EQ(st.st_mode & 0777, 0700u);

  responder.reset();  // the responder is gone
  EXPECT_EQ(Authenticate(kUserName, {kPin}), PAM_SUCCESS);
  ExpectLog("PAM_SUCCESS", "ok");
  EXPECT_NE(Log().find("revocation=ocsp/good(cached)"), std::string::npos) << Log();

  // Without the cache the same outage is a hard failure.
  Configure(PivConfig(ocsp));
  EXPECT_EQ(Authenticate(kUserName, {kPin}), PAM_AUTHINFO_UNAVAIL);
  ExpectLog("PAM_AUTHINFO_UNAVAIL", "ocsp_unavailable");

  // Two days later the cached answer is past its nextUpdate: never used, and dropped.
  Configure(PivConfig(ocsp + "card_ocsp_cache = " + cache + "\n"), "test_clock_offset=172800");
  EXPECT_EQ(Authenticate(kUserName, {kPin}), PAM_AUTHINFO_UNAVAIL);
  ExpectLog("PAM_AUTHINFO_UNAVAIL", "ocsp_unavailable");
  EXPECT_EQ(CountFiles(cache), 0u);
}

// A revoked answer is never cached, and it removes a good one: afterwards an outage finds
// nothing to reuse.
TEST_F(PamPivTest, RevokedOcspAnswerIsNeverReusedAsGood) {
  ProvisionCard(kUserName);
  auto card = pt::StartSoftCard(card_state_);
  ASSERT_TRUE(card) << card.error().ToString();
  ASSERT_TRUE(pt::WaitForCard(true));
  const std::string cache = dir_ + "/ocsp-cache";
  auto good = std::make_unique<t::OcspResponder>(ca_, dir_, t::IndexLine(cert_.get(), false, now_));
  ASSERT_TRUE(good->ready());
  const std::string url = good->url();
  const std::string conf =
      "card_ocsp = " + url + "\ncard_ocsp_timeout = 2\ncard_ocsp_cache = " + cache + "\n";
  Configure(PivConfig(conf));
  EXPECT_EQ(Authenticate(kUserName, {kPin}), PAM_SUCCESS);
  EXPECT_EQ(CountFiles(cache), 1u);
  good.reset();

  // The certificate is revoked now; the responder says so.
  std::filesystem::create_directories(dir_ + "/r");
  auto revoked =
      std::make_unique<t::OcspResponder>(ca_, dir_ + "/r", t::IndexLine(cert_.get(), true, now_));
  ASSERT_TRUE(revoked->ready());
  Configure(PivConfig("card_ocsp = " + revoked->url() + "\ncard_ocsp_timeout = 2\n" +
                      "card_ocsp_cache = " + cache + "\n"));
  EXPECT_EQ(Authenticate(kUserName, {kPin}), PAM_AUTH_ERR);
  ExpectLog("PAM_AUTH_ERR", "certificate_revoked");
  EXPECT_EQ(CountFiles(cache), 0u) << "the revoked answer removed the good one";
  revoked.reset();
  EXPECT_EQ(Authenticate(kUserName, {kPin}), PAM_AUTHINFO_UNAVAIL);
  ExpectLog("PAM_AUTHINFO_UNAVAIL", "ocsp_unavailable");
}

// Lock on removal, on the real stack: two software PIV cards in the two vpcd readers under
// pcscd, `keyward card watch --json --identify` behind pam/keyward-lock-on-card-removal, the
// card named by what pam_keyward exported at login (KEYWARD_CARD_CERT_SHA256). Pulling the
// OTHER card does not lock; pulling the card that logged in does.
TEST_F(PamPivTest, LockOnRemovalOnlyForTheCardThatLoggedIn) {
  const std::string state_b = dir_ + "/card-b.json";
  card_state_ = state_b;
  ProvisionCard("daemon");  // card B: someone else's card
  const std::string cert_b = cert_sha256_;
  card_state_ = dir_ + "/card.json";
  ProvisionCard(kUserName);  // card A: the user's
  ASSERT_NE(cert_b, cert_sha256_);

  auto card_a = pt::StartSoftCard(card_state_);
  ASSERT_TRUE(card_a) << card_a.error().ToString();
  ASSERT_TRUE(pt::WaitForCard(true));
  Configure(PivConfig());
  Conv login;
  login.answers = {kPin};
  ASSERT_EQ(Authenticate(kUserName, login), PAM_SUCCESS);
  ExpectLog("PAM_SUCCESS", "ok");
  std::string exported;
  for (const auto& e : login.env) {
    if (e.rfind("KEYWARD_CARD_CERT_SHA256=", 0) == 0) exported = e.substr(25);
  }
  EXPECT_EQ(exported, cert_sha256_) << "the module exports the card that logged in";
  EXPECT_NE(Log().find("cert_sha256=" + cert_sha256_), std::string::npos) << Log();

  // Card B in the second reader.
  auto card_b = pt::StartSoftCard(state_b, {"--port", std::to_string(pt::VpcdPort() + 1)});
  ASSERT_TRUE(card_b) << card_b.error().ToString();

  // The service: keyward card watch (the real one, teeing its events for the test) and a
  // recording loginctl.
  const std::string events = dir_ + "/events", calls = dir_ + "/calls";
  t::WriteFile(dir_ + "/keyward-tee", "#!/bin/sh\n\"" + std::string(KEYWARD_BIN_DIR) +
                                          "/keyward\" \"$@\" | tee -a " + events + "\n");
  t::WriteFile(dir_ + "/loginctl", "#!/bin/sh\necho \"$@\" >> " + calls + "\n");
  chmod((dir_ + "/keyward-tee").c_str(), 0755);
  chmod((dir_ + "/loginctl").c_str(), 0755);
  ASSERT_EQ(prctl(PR_SET_CHILD_SUBREAPER, 1), 0);  // the pipeline's processes stay ours to reap
  pid_t watcher = fork();
  if (watcher == 0) {
    setpgid(0, 0);
    setenv("KEYWARD", (dir_ + "/keyward-tee").c_str(), 1);
    setenv("LOGINCTL", (dir_ + "/loginctl").c_str(), 1);
    setenv("XDG_SESSION_ID", "7", 1);
    setenv("KEYWARD_CARD_CERT_SHA256", exported.c_str(), 1);
    std::string script = std::string(KEYWARD_SOURCE_DIR) + "/pam/keyward-lock-on-card-removal";
    execl("/bin/sh", "sh", script.c_str(), static_cast<char*>(nullptr));
    _exit(127);
  }
  ASSERT_GT(watcher, 0);
  setpgid(watcher, watcher);
  auto wait_for = [&](const std::string& file, const std::string& what, size_t count) {
    for (int i = 0; i < 300; ++i) {  // bounded: 30 s
      std::string text = ReadAll(file);
      size_t n = 0;
      for (size_t p = text.find(what); p != std::string::npos; p = text.find(what, p + 1)) ++n;
      if (n >= count) return true;
      std::this_thread::sleep_for(std::chrono::milliseconds(100));
    }
    return false;
  };
  // Both cards seen and identified.
  EXPECT_TRUE(wait_for(events, cert_sha256_, 1)) << ReadAll(events);
  EXPECT_TRUE(wait_for(events, cert_b, 1)) << ReadAll(events);

  card_b->Stop();  // the other card leaves: no lock
  EXPECT_TRUE(wait_for(events, "\"card_removed\"", 1)) << ReadAll(events);
  std::this_thread::sleep_for(std::chrono::milliseconds(300));  // let the script act on it
  EXPECT_EQ(ReadAll(calls), "") << ReadAll(events);

  card_a->Stop();  // the card that logged in leaves: lock
  EXPECT_TRUE(wait_for(events, "\"card_removed\"", 2)) << ReadAll(events);
  EXPECT_TRUE(wait_for(calls, "lock-session 7", 1)) << ReadAll(events);
  EXPECT_EQ(ReadAll(calls), "lock-session 7\n");

  // Stop the pipeline (its own process group) and reap every process of it.
  kill(-watcher, SIGTERM);
  for (int i = 0; i < 100; ++i) {
    int st = 0;
    pid_t r = waitpid(-watcher, &st, WNOHANG);
    if (r < 0 && errno == ECHILD) break;
    if (r == 0) std::this_thread::sleep_for(std::chrono::milliseconds(100));
    if (i == 50) kill(-watcher, SIGKILL);
  }
  prctl(PR_SET_CHILD_SUBREAPER, 0);
}

}  // namespace
}  // namespace keyward::pam
