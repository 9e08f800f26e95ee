// End to end: certificate login through OpenSC's PKCS#11 module → pcscd → vpcd → the software
// PIV card (keyward-softpiv), all started by scripts/with-pcscd in a private namespace. The card
// is provisioned with keyward's PIV client (key generated on the card, certificate from a CA made
// here), then keyward logs in and maps it exactly as it would a real card.
#include <gtest/gtest.h>

#include <atomic>
#include <cstdio>
#include <cstdlib>
#include <nlohmann/json.hpp>
#include <thread>

#include "core/x509.h"
#include "keyward/pcsc.h"
#include "pkcs11/card_login.h"
#include "pkcs11/token.h"
#include "tests/unit/pcsc/harness.h"
#include "tests/unit/pkcs11/test_pki.h"

namespace keyward::pkcs11 {
namespace {

namespace pt = ::keyward::pcsc::testing;
using testing::kDay;

constexpr char kOpenSc[] = "/usr/lib/x86_64-linux-gnu/opensc-pkcs11.so";

class OpenScE2eTest : public ::testing::Test {
 protected:
  void SetUp() override {
    now_ = UnixNow();
    ca_ = testing::TestCa::Create("PIV Login CA", now_);
    // A card of the previous test may still be seen until pcscd's next poll.
    ASSERT_TRUE(pt::WaitForCard(false));
  }

  // Generates a P-256 key in slot 9A and stores a logon certificate for it.
  void Provision(const std::string& upn) {
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
    testing::LeafSpec spec;
    spec.cn = "PIV user";
    spec.upn = {upn};
    spec.not_before = now_ - kDay;
    spec.not_after = now_ + 365 * kDay;
    X509Ptr cert = testing::IssueLeaf(ca_, key->get(), spec);
    ASSERT_TRUE(
        (*client)->WriteCertificate(pcsc::piv::Slot::kAuthentication, testing::Der(cert.get())));
  }

  Result<LoginResult> Login(const std::string& pin) {
    CertificatePolicy policy;
    policy.anchors.push_back(testing::ToCertificate(ca_.cert.get()));
    auto rules =
        MappingRules::Parse("rule piv: <EKU>smartcardLogon && <SAN:upn>@corp => upn-user\n");
    if (!rules) return Fail(rules.error());
    LoginVerifier verifier(std::move(policy), std::move(*rules), nullptr);
    CardLoginRequest req;
    req.module_path = kOpenSc;
    req.pin = SecretBytes(std::string_view(pin));
    req.relying_host = "ws1.corp.example";
    req.now = now_;
    return RunCardLogin(req, verifier);
  }

  std::optional<TokenSummary> Token() {
    auto tokens = ListModuleTokens(kOpenSc);
    if (!tokens || tokens->empty()) return std::nullopt;
    return (*tokens)[0];
  }

  int64_t now_ = 0;
  testing::TestCa ca_;
  pt::TempDir dir_;
};

TEST_F(OpenScE2eTest, LoginMapsAndAWrongPinLocksThePin) {
  auto card = pt::StartSoftCard(dir_.File("card.json"));
  ASSERT_TRUE(card) << card.error().ToString();
  ASSERT_TRUE(pt::WaitForCard(true));
  Provision("frank@corp.example");

  auto r = Login("123456");
  ASSERT_TRUE(r) << r.error().ToString();
  EXPECT_EQ(r->account, "frank");
  EXPECT_EQ(r->rule, "piv");
  EXPECT_EQ(r->mechanism, "CKM_ECDSA");
  EXPECT_EQ(r->signature_algorithm, "ES256");
  EXPECT_FALSE(r->token_label.empty());
  EXPECT_EQ(r->assurance.level, "aal3") << r->assurance.reason;

  auto wrong = Login("654321");
  ASSERT_FALSE(wrong);
  EXPECT_EQ(wrong.error().code, ErrorCode::kPinIncorrect);
  EXPECT_EQ(wrong.error().native, CKR_PIN_INCORRECT);

  // The software card allows 3 tries: keep failing until the PIN is blocked.
  ErrorCode last = ErrorCode::kPinIncorrect;
  for (int i = 0; i < 4 && last == ErrorCode::kPinIncorrect; ++i) {
    auto again = Login("654321");
    ASSERT_FALSE(again);
    last = again.error().code;
  }
  EXPECT_EQ(last, ErrorCode::kPinBlocked);
  auto blocked = Login("123456");
  ASSERT_FALSE(blocked);
  EXPECT_EQ(blocked.error().code, ErrorCode::kPinBlocked);
  auto token = Token();
  ASSERT_TRUE(token);
  EXPECT_TRUE(token->pin_locked);
}

TEST_F(OpenScE2eTest, CardRemovedMidLoginIsTokenRemoved) {
  {
    auto card = pt::StartSoftCard(dir_.File("card.json"));
    ASSERT_TRUE(card) << card.error().ToString();
    ASSERT_TRUE(pt::WaitForCard(true));
    Provision("grace@corp.example");
    card->Stop();
    ASSERT_TRUE(pt::WaitForCard(false));
  }
  // The same card again, this time vanishing when asked to sign (and staying out).
  auto card = pt::StartSoftCard(dir_.File("card.json"), {"--test-remove-during-sign", "--once"});
  ASSERT_TRUE(card) << card.error().ToString();
  ASSERT_TRUE(pt::WaitForCard(true));
  auto r = Login("123456");
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error().code, ErrorCode::kPkcs11TokenRemoved) << r.error().ToString();
}

// Slot events through OpenSC's C_WaitForSlotEvent (pcscd's reader state underneath): the card is
// inserted and removed by starting and stopping keyward-softpiv by PID.
class OpenScSlotEventTest : public OpenScE2eTest {
 protected:
  // Forgets events that predate the test (a previous test's card), bounded.
  static void Drain(TokenWatcher& w) {
    for (int i = 0; i < 20; ++i) {
      auto ev = w.Wait(std::chrono::milliseconds(300));
      if (!ev) {
        ASSERT_EQ(ev.error().code, ErrorCode::kTimeout) << ev.error().ToString();
        return;
      }
    }
    FAIL() << "slot events never stop";
  }
};

TEST_F(OpenScSlotEventTest, InsertionAndRemovalSeenAndTimeoutHonoured) {
  auto watcher = TokenWatcher::Open(kOpenSc);
  ASSERT_TRUE(watcher) << watcher.error().ToString();
  Drain(*watcher);
  // Nothing happens: the bounded wait ends with kTimeout (native CKR_NO_EVENT).
  auto idle = watcher->Wait(std::chrono::seconds(1));
  ASSERT_FALSE(idle);
  EXPECT_EQ(idle.error().code, ErrorCode::kTimeout);
  EXPECT_EQ(idle.error().native, CKR_NO_EVENT);

  auto card = pt::StartSoftCard(dir_.File("card.json"));
  ASSERT_TRUE(card) << card.error().ToString();
  auto inserted = watcher->Wait(std::chrono::seconds(20));
  ASSERT_TRUE(inserted) << inserted.error().ToString();
  EXPECT_TRUE(inserted->token_present);
  EXPECT_FALSE(inserted->token.label.empty());
  EXPECT_TRUE(inserted->token.removable);

  card->Stop();
  auto removed = watcher->Wait(std::chrono::seconds(20));
  ASSERT_TRUE(removed) << removed.error().ToString();
  EXPECT_EQ(removed->slot_id, inserted->slot_id);
  EXPECT_FALSE(removed->token_present);
}

// `keyward token wait` through OpenSC: started before the card is inserted, it answers
// "inserted"; started with --removed before the card is pulled, "removed".
TEST_F(OpenScSlotEventTest, CliTokenWaitSeesInsertionAndRemoval) {
  const std::string keyward = std::string(KEYWARD_BIN_DIR) + "/keyward";
  auto run_wait = [&](const std::string& extra, const std::string& out_file, int* rc) {
    return std::thread([=] {
      std::string log;
      *rc = pt::RunCommand(keyward + " token wait --module " + kOpenSc + " --timeout 60 --json " +
                               extra + " > " + out_file,
                           &log);
    });
  };
  auto read_json = [](const std::string& file) {
    auto text = ReadFileToString(file);
    return nlohmann::json::parse(text.value_or(""), nullptr, false);
  };
  int rc = -1;
  std::thread waiter = run_wait("", dir_.File("inserted.json"), &rc);
  std::this_thread::sleep_for(std::chrono::seconds(3));  // the command is waiting by now
  auto card = pt::StartSoftCard(dir_.File("card.json"));
  ASSERT_TRUE(card) << card.error().ToString();
  waiter.join();
  ASSERT_EQ(rc, 0);
  auto in = read_json(dir_.File("inserted.json"));
  EXPECT_EQ(in["event"], "inserted") << in.dump();
  EXPECT_FALSE(in["token"]["label"].get<std::string>().empty()) << in.dump();

  ASSERT_TRUE(pt::WaitForCard(true));
  waiter = run_wait("--removed", dir_.File("removed.json"), &rc);
  std::this_thread::sleep_for(std::chrono::seconds(3));
  card->Stop();
  waiter.join();
  ASSERT_EQ(rc, 0);
  auto out = read_json(dir_.File("removed.json"));
  EXPECT_EQ(out["event"], "removed") << out.dump();
  EXPECT_EQ(out["slot_id"], in["slot_id"]);
  EXPECT_TRUE(out["token"].is_null());
}

TEST_F(OpenScSlotEventTest, BlockingCallReturnsTheInsertion) {
  // OpenSC implements the blocking form. It cannot be bounded or interrupted, so the card is in
  // before the call (OpenSC reports a pending event without blocking) and a watchdog ends the
  // process should the call hang anyway.
  auto module = Module::Load(kOpenSc);
  ASSERT_TRUE(module) << module.error().ToString();
  for (int i = 0; i < 20; ++i) {
    auto ev = WaitForSlotEvent(**module, false);
    ASSERT_TRUE(ev) << ev.error().ToString();
    if (!ev->has_value()) break;
  }
  auto card = pt::StartSoftCard(dir_.File("card.json"));
  ASSERT_TRUE(card) << card.error().ToString();
  ASSERT_TRUE(pt::WaitForCard(true));
  std::atomic<bool> returned{false};
  std::thread watchdog([&returned] {
    for (int i = 0; i < 300 && !returned; ++i) {
      std::this_thread::sleep_for(std::chrono::milliseconds(100));
    }
    if (!returned) {
      std::fprintf(stderr, "blocking C_WaitForSlotEvent did not return within 30 s\n");
      std::_Exit(1);
    }
  });
  auto ev = WaitForSlotEvent(**module, true);
  returned = true;
  watchdog.join();
  ASSERT_TRUE(ev) << ev.error().ToString();
  ASSERT_TRUE(ev->has_value());
  auto slot = GetSlotInfo(**module, **ev);
  ASSERT_TRUE(slot);
  EXPECT_TRUE(slot->token_present);
}

}  // namespace
}  // namespace keyward::pkcs11
