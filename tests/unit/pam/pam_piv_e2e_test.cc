// pam_keyward end to end with a PIV card: pam_wrapper + libpamtest → pam_keyward_testhooks.so →
// OpenSC's PKCS#11 module → pcscd → vpcd → the software PIV card (keyward-softpiv), all started
// by scripts/with-pcscd in a private namespace. The card is provisioned with keyward's PIV client
// (key generated on the card, certificate from a CA made here) as in pkcs11_opensc_e2e_test.
// What SoftHSM2 cannot show: a PIN that blocks, a card pulled while it signs, a card inserted
// while the module waits for it.
#include <gtest/gtest.h>

#include <chrono>
#include <optional>
#include <thread>

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
};

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

}  // namespace
}  // namespace keyward::pam
