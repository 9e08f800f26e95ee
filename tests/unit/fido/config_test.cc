// authenticatorConfig and reset through libfido2.
#include <fido/err.h>

#include <thread>

#include "tests/unit/fido/soft_fixture.h"

namespace keyward::fido::testing {
namespace {

TEST_F(SoftDeviceTest, AlwaysUvRequiresUserVerification) {
  ASSERT_TRUE(dev_->SetPin(Pin("1234")));
  SecretBytes pin = Pin("1234");
  ASSERT_TRUE(dev_->ToggleAlwaysUv(&pin));
  auto info = dev_->GetInfo();
  ASSERT_TRUE(info);
  EXPECT_EQ(info->Option("alwaysUv"), true);
  EXPECT_EQ(info->Option("makeCredUvNotRqd"), false);
  auto r = dev_->MakeCredential(Request("example.com", "alice"), nullptr);
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error().code, ErrorCode::kPinRequired);
  EXPECT_TRUE(dev_->MakeCredential(Request("example.com", "alice"), &pin));
  ASSERT_TRUE(dev_->ToggleAlwaysUv(&pin));
  EXPECT_EQ(dev_->GetInfo()->Option("alwaysUv"), false);
}

TEST_F(SoftDeviceTest, ConfigNeedsThePinOnceSet) {
  ASSERT_TRUE(dev_->SetPin(Pin("1234")));
  auto r = dev_->ToggleAlwaysUv(nullptr);
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error().code, ErrorCode::kPinRequired);
  SecretBytes wrong = Pin("0000");
  auto w = dev_->ToggleAlwaysUv(&wrong);
  ASSERT_FALSE(w);
  EXPECT_EQ(w.error().code, ErrorCode::kPinIncorrect);
}

TEST_F(SoftDeviceTest, RaisingMinPinLengthForcesAPinChange) {
  ASSERT_TRUE(dev_->SetPin(Pin("1234")));
  SecretBytes pin = Pin("1234");
  ASSERT_TRUE(dev_->SetMinPinLength(6, &pin));
  auto info = dev_->GetInfo();
  ASSERT_TRUE(info);
  EXPECT_EQ(info->min_pin_length, 6u);
  EXPECT_TRUE(info->force_pin_change);
  auto r = dev_->MakeCredential(Request("example.com", "alice"), &pin);
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error().code, ErrorCode::kPinChangeRequired);
  auto lower = dev_->SetMinPinLength(5, &pin);
  ASSERT_FALSE(lower);
  auto too_short = dev_->ChangePin(pin, Pin("12345"));
  ASSERT_FALSE(too_short);
  EXPECT_EQ(too_short.error().code, ErrorCode::kPinPolicyViolation);
  ASSERT_TRUE(dev_->ChangePin(pin, Pin("123456")));
  SecretBytes new_pin = Pin("123456");
  EXPECT_FALSE(dev_->GetInfo()->force_pin_change);
  EXPECT_TRUE(dev_->MakeCredential(Request("example.com", "alice"), &new_pin));
}

TEST_F(SoftDeviceTest, ForcePinChangeThenSamePinIsRefused) {
  ASSERT_TRUE(dev_->SetPin(Pin("1234")));
  SecretBytes pin = Pin("1234");
  ASSERT_TRUE(dev_->ForcePinChange(&pin));
  EXPECT_TRUE(dev_->GetInfo()->force_pin_change);
  auto same = dev_->ChangePin(pin, pin);
  ASSERT_FALSE(same);
  EXPECT_EQ(same.error().code, ErrorCode::kPinPolicyViolation);
  EXPECT_TRUE(dev_->ChangePin(pin, Pin("4321")));
}

TEST_F(SoftDeviceTest, MinPinLengthExtensionOnlyForListedRps) {
  ASSERT_TRUE(dev_->SetMinPinLength(6, nullptr));
  auto set = dev_->SetMinPinLengthRpIds({"example.com"}, nullptr);
  ASSERT_TRUE(set) << set.error().ToString();
  auto listed = Request("example.com", "alice");
  listed.min_pin_length = true;
  auto c1 = dev_->MakeCredential(listed, nullptr);
  ASSERT_TRUE(c1) << c1.error().ToString();
  EXPECT_EQ(c1->min_pin_length, 6u);
  auto other = Request("other.example", "alice");
  other.min_pin_length = true;
  auto c2 = dev_->MakeCredential(other, nullptr);
  ASSERT_TRUE(c2) << c2.error().ToString();
  EXPECT_EQ(c2->min_pin_length, 0u);
  auto too_many = dev_->SetMinPinLengthRpIds({"a.example", "b.example", "c.example"}, nullptr);
  ASSERT_FALSE(too_many);
  EXPECT_EQ(too_many.error().native, static_cast<uint32_t>(FIDO_ERR_LIMIT_EXCEEDED));
}

TEST_F(SoftDeviceTest, EnterpriseAttestationCanBeEnabled) {
  ASSERT_TRUE(dev_->EnableEnterpriseAttestation(nullptr));
  EXPECT_EQ(dev_->GetInfo()->Option("ep"), true);
}

TEST_F(SoftDeviceTest, ResetErasesCredentialsAndPin) {
  ASSERT_TRUE(dev_->SetPin(Pin("1234")));
  SecretBytes pin = Pin("1234");
  auto req = Request("example.com", "alice");
  req.resident_key = true;
  auto rk = dev_->MakeCredential(req, &pin);
  ASSERT_TRUE(rk);
  auto nonrk = dev_->MakeCredential(Request("example.com", "bob"), nullptr);
  ASSERT_TRUE(nonrk);
  ASSERT_TRUE(dev_->Reset());
  auto info = dev_->GetInfo();
  ASSERT_TRUE(info);
  EXPECT_EQ(info->Option("clientPin"), false);
  EXPECT_EQ(info->remaining_discoverable_credentials, 25);
  EXPECT_EQ(auth_->resident_credential_count(), 0u);
  // Non-discoverable credentials die with the old master key too.
  auto areq = AssertRequest("example.com");
  areq.allow_list = {nonrk->id};
  auto a = dev_->GetAssertion(areq, nullptr);
  ASSERT_FALSE(a);
  EXPECT_EQ(a.error().code, ErrorCode::kFidoNoCredentials);
}

TEST_F(SoftDeviceTest, ResetLongAfterPowerUpIsNotAllowed) {
  auth_->switches().reset_window_ms = 1;
  std::this_thread::sleep_for(std::chrono::milliseconds(20));
  auto r = dev_->Reset();
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error().code, ErrorCode::kFidoNotAllowed);
  EXPECT_EQ(r.error().native, static_cast<uint32_t>(FIDO_ERR_NOT_ALLOWED));
}

}  // namespace
}  // namespace keyward::fido::testing
