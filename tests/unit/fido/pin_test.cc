// PIN set / change / retries / blocking through libfido2 (CTAP 2.1 §6.5).
#include <fido/err.h>

#include "tests/unit/fido/soft_fixture.h"

namespace keyward::fido::testing {
namespace {

TEST_F(SoftDeviceTest, SetPinShowsInInfo) {
  ASSERT_TRUE(dev_->SetPin(Pin("1234")));
  auto info = dev_->GetInfo();
  ASSERT_TRUE(info);
  EXPECT_EQ(info->Option("clientPin"), true);
  EXPECT_EQ(info->pin_retries, 8);
  auto again = dev_->SetPin(Pin("5678"));
  ASSERT_FALSE(again);
  EXPECT_EQ(again.error().code, ErrorCode::kFidoNotAllowed);
  EXPECT_EQ(again.error().native, static_cast<uint32_t>(FIDO_ERR_NOT_ALLOWED));
}

TEST_F(SoftDeviceTest, ChangePinReplacesThePin) {
  ASSERT_TRUE(dev_->SetPin(Pin("1234")));
  auto changed = dev_->ChangePin(Pin("1234"), Pin("98765"));
  ASSERT_TRUE(changed) << changed.error().ToString();
  auto old_pin = dev_->GetCredentialMetadata(Pin("1234"));
  ASSERT_FALSE(old_pin);
  EXPECT_EQ(old_pin.error().code, ErrorCode::kPinIncorrect);
  EXPECT_TRUE(dev_->GetCredentialMetadata(Pin("98765")));
}

TEST_F(SoftDeviceTest, ChangePinWithWrongOldPinIsIncorrect) {
  ASSERT_TRUE(dev_->SetPin(Pin("1234")));
  auto r = dev_->ChangePin(Pin("0000"), Pin("98765"));
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error().code, ErrorCode::kPinIncorrect);
  EXPECT_EQ(r.error().native, static_cast<uint32_t>(FIDO_ERR_PIN_INVALID));
  auto retries = dev_->PinRetries();
  ASSERT_TRUE(retries);
  EXPECT_EQ(*retries, 7);
}

TEST_F(SoftDeviceTest, ChangePinWithoutPinIsPinNotSet) {
  auto r = dev_->ChangePin(Pin("1234"), Pin("98765"));
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error().code, ErrorCode::kPinNotSet);
}

TEST_F(SoftDeviceTest, DeviceEnforcesMinimumPinLength) {
  ASSERT_TRUE(dev_->SetMinPinLength(6, nullptr));
  auto r = dev_->SetPin(Pin("12345"));
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error().code, ErrorCode::kPinPolicyViolation);
  EXPECT_EQ(r.error().native, static_cast<uint32_t>(FIDO_ERR_PIN_POLICY_VIOLATION));
  EXPECT_TRUE(dev_->SetPin(Pin("123456")));
}

TEST_F(SoftDeviceTest, PinWithNulByteIsInvalid) {
  auto r =
      dev_->SetPin(SecretBytes(std::string_view("12\0"
                                                "34",
                                                5)));
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error().code, ErrorCode::kPinInvalid);
}

TEST_F(SoftDeviceTest, WrongPinsSoftBlockThenBlock) {
  ASSERT_TRUE(dev_->SetPin(Pin("1234")));
  // Three wrong in one power cycle: invalid, invalid, then the soft block.
  for (int i = 0; i < 2; ++i) {
    auto r = dev_->GetCredentialMetadata(Pin("0000"));
    ASSERT_FALSE(r);
    EXPECT_EQ(r.error().code, ErrorCode::kPinIncorrect);
  }
  auto third = dev_->GetCredentialMetadata(Pin("0000"));
  ASSERT_FALSE(third);
  EXPECT_EQ(third.error().code, ErrorCode::kPinBlocked);
  EXPECT_EQ(third.error().native, static_cast<uint32_t>(FIDO_ERR_PIN_AUTH_BLOCKED));
  // Even the right PIN is refused until a power cycle, without using up a retry.
  auto right = dev_->GetCredentialMetadata(Pin("1234"));
  ASSERT_FALSE(right);
  EXPECT_EQ(right.error().native, static_cast<uint32_t>(FIDO_ERR_PIN_AUTH_BLOCKED));
  EXPECT_EQ(*dev_->PinRetries(), 5);

  auth_->PowerCycle();
  for (int i = 0; i < 2; ++i) EXPECT_FALSE(dev_->GetCredentialMetadata(Pin("0000")));
  EXPECT_FALSE(dev_->GetCredentialMetadata(Pin("0000")));  // soft block again, 2 left
  auth_->PowerCycle();
  auto r7 = dev_->GetCredentialMetadata(Pin("0000"));
  ASSERT_FALSE(r7);
  EXPECT_EQ(r7.error().code, ErrorCode::kPinIncorrect);
  auto r8 = dev_->GetCredentialMetadata(Pin("0000"));
  ASSERT_FALSE(r8);
  EXPECT_EQ(r8.error().code, ErrorCode::kPinBlocked);
  EXPECT_EQ(r8.error().native, static_cast<uint32_t>(FIDO_ERR_PIN_BLOCKED));
  auth_->PowerCycle();
  auto blocked = dev_->GetCredentialMetadata(Pin("1234"));
  ASSERT_FALSE(blocked);
  EXPECT_EQ(blocked.error().code, ErrorCode::kPinBlocked);
  EXPECT_EQ(blocked.error().native, static_cast<uint32_t>(FIDO_ERR_PIN_BLOCKED));
  EXPECT_EQ(*dev_->PinRetries(), 0);
}

TEST_F(SoftDeviceTest, RightPinRestoresRetries) {
  ASSERT_TRUE(dev_->SetPin(Pin("1234")));
  EXPECT_FALSE(dev_->GetCredentialMetadata(Pin("0000")));
  EXPECT_EQ(*dev_->PinRetries(), 7);
  EXPECT_TRUE(dev_->GetCredentialMetadata(Pin("1234")));
  EXPECT_EQ(*dev_->PinRetries(), 8);
}

TEST_F(SoftDeviceTest, BuiltinUvFailuresBlockUv) {
  auth_->switches().builtin_uv = true;
  auth_->switches().uv_succeeds = false;
  Reopen();
  auto req = Request("uv.example", "alice");
  req.user_verification = true;
  for (int i = 0; i < 7; ++i) {
    auto r = dev_->MakeCredential(req, nullptr);
    ASSERT_FALSE(r);
    EXPECT_EQ(r.error().code, ErrorCode::kFidoUvInvalid);
  }
  auto last = dev_->MakeCredential(req, nullptr);
  ASSERT_FALSE(last);
  EXPECT_EQ(last.error().code, ErrorCode::kFidoUvBlocked);
  EXPECT_EQ(*dev_->UvRetries(), 0);
}

}  // namespace
}  // namespace keyward::fido::testing
