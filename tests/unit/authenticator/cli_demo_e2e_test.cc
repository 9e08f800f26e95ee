// `keyward demo` on every real stack: run under scripts/with-pcscd (a private pcscd with the vpcd
// driver), with keyward's software PIV card started here on that reader. The demo generates a
// key on the card, enrols its certificate, and steps up by signing the login challenge on the card
// (VERIFY PIN + GENERAL AUTHENTICATE through pcscd); the passkey and security key run on the
// software CTAP 2.1 authenticator through libfido2.
#include <gtest/gtest.h>
#include <sys/wait.h>

#include <cstdio>
#include <fstream>
#include <map>

#include "core/json.h"
#include "tests/unit/authenticator/test_util.h"
#include "tests/unit/pcsc/harness.h"

namespace keyward::authenticator {
namespace {

namespace pt = ::keyward::pcsc::testing;

using testing::CliRun;
using testing::Keyward;
using testing::MustJson;

std::map<std::string, Json> Steps(const Json& demo) {
  std::map<std::string, Json> steps;
  for (const auto& s : demo["steps"]) steps[s["step"].get<std::string>()] = s;
  return steps;
}

class DemoE2eTest : public ::testing::Test {
 protected:
  void SetUp() override {
    auto card = pt::StartSoftCard(dir_.File("card.json"));
    ASSERT_TRUE(card) << card.error().ToString();
    card_ = std::move(*card);
    ASSERT_TRUE(pt::WaitForCard(true));
  }
  // The next test's card must not be mistaken for this one: wait until pcscd saw it leave.
  void TearDown() override {
    card_.Stop();
    if (!pcscd_stopped_) {
      EXPECT_TRUE(pt::WaitForCard(false));
    }
  }
  std::string Demo(const std::string& db, const std::string& extra = "") {
    return "demo --json --db " + dir_.File(db) + " --provision-card '" + pt::SoftReader() + "' " +
           extra;
  }
  pt::TempDir dir_;
  pt::ChildProcess card_;
  bool pcscd_stopped_ = false;
};

TEST_F(DemoE2eTest, SmartCardOnPcscdSatisfiesTheStepUp) {
  CliRun run = Keyward(Demo("demo.db"));
  ASSERT_EQ(run.exit_code, 0) << run.out;
  Json demo = MustJson(run.out);
  EXPECT_EQ(demo["ok"], true);
  auto steps = Steps(demo);
  EXPECT_EQ(steps.count("smart_card_skipped"), 0u);
  EXPECT_EQ(steps["enroll_smart_card"]["detail"]["kind"], "smart_card");
  EXPECT_NE(
      steps["enroll_smart_card"]["detail"]["cert_subject"].get<std::string>().find("Demo User"),
      std::string::npos);
  EXPECT_EQ(steps["login_passkey"]["auth_result"]["aal"], "aal2");
  const Json& pending = steps["authorize_admin"]["detail"]["pending_step_up"];
  EXPECT_NE(std::find(pending["satisfying_kinds"].begin(), pending["satisfying_kinds"].end(),
                      "smart_card"),
            pending["satisfying_kinds"].end());
  EXPECT_EQ(steps["step_up_smart_card"]["auth_result"]["kind"], "smart_card");
  EXPECT_EQ(steps["step_up_smart_card"]["auth_result"]["aal"], "aal3");
  EXPECT_EQ(steps["step_up_smart_card"]["auth_result"]["user_verified"], true);
  EXPECT_EQ(steps["authorize_admin_again"]["detail"]["session_aal"], "aal3");
  EXPECT_EQ(steps["login_security_key"]["auth_result"]["aal"], "aal3");
  EXPECT_EQ(steps["replay_security_key"]["detail"]["code"], "challenge_replayed");

  Json list = MustJson(Keyward("users list --json --db " + dir_.File("demo.db")).out);
  ASSERT_EQ(list["principals"].size(), 1u);
  EXPECT_EQ(list["principals"][0]["credentials"], 3);
  EXPECT_EQ(list["principals"][0]["credential_kinds"]["smart_card"], 1);
  CliRun verify = Keyward("audit verify --json --db " + dir_.File("demo.db"));
  EXPECT_EQ(verify.exit_code, 0) << verify.out;
  EXPECT_EQ(MustJson(verify.out)["verified"], true);

  // Again on the same card: a new key replaces the old one in slot 9A, the store gets a second
  // principal; the previous principal's card credential no longer matches the card.
  CliRun again = Keyward(Demo("demo.db"));
  ASSERT_EQ(again.exit_code, 0) << again.out;
  EXPECT_EQ(Steps(MustJson(again.out))["step_up_smart_card"]["auth_result"]["aal"], "aal3");
}

TEST_F(DemoE2eTest, WrongCardPinIsRefusedWithItsCode) {
  { std::ofstream(dir_.File("pin")) << "654321\n"; }
  CliRun run = Keyward(Demo("pin.db", "--card-pin-fd 3 3<" + dir_.File("pin")));
  EXPECT_EQ(run.exit_code, 1) << run.out;
  Json demo = MustJson(run.out);
  EXPECT_EQ(demo["ok"], false);
  EXPECT_EQ(demo["error"]["code"], "pin_incorrect");
}

TEST_F(DemoE2eTest, UnknownReaderIsAnEnvironmentError) {
  CliRun run =
      Keyward("demo --json --db " + dir_.File("r.db") + " --provision-card 'No Such Reader'");
  EXPECT_EQ(run.exit_code, 3) << run.out;
  EXPECT_EQ(MustJson(run.out)["error"]["code"], "pcsc_reader_not_found");
}

// Last: stops the wrapper's pcscd. Without pcscd, a named card is an environment error and an
// unnamed one is skipped with pcscd as the reason.
TEST_F(DemoE2eTest, WithoutPcscdTheCardPartSaysWhy) {
  pcscd_stopped_ = true;
  ASSERT_TRUE(pt::StopWrapperPcscd());
  CliRun named = Keyward(Demo("named.db"));
  EXPECT_EQ(named.exit_code, 3) << named.out;
  EXPECT_EQ(MustJson(named.out)["error"]["code"], "pcsc_no_service");
  CliRun plain = Keyward("demo --json --db " + dir_.File("plain.db"));
  ASSERT_EQ(plain.exit_code, 0) << plain.out;
  auto steps = Steps(MustJson(plain.out));
  EXPECT_EQ(steps["smart_card_skipped"]["detail"]["skipped"], true);
  EXPECT_NE(steps["smart_card_skipped"]["detail"]["reason"].get<std::string>().find("pcscd"),
            std::string::npos);
  EXPECT_EQ(steps["step_up_security_key"]["auth_result"]["aal"], "aal3");
}

}  // namespace
}  // namespace keyward::authenticator
