#include "pkcs11/ck_error.h"

#include <gtest/gtest.h>

namespace keyward::pkcs11 {
namespace {

TEST(CkErrorTest, MapsTheReturnValuesLoginCaresAbout) {
  EXPECT_EQ(MapCkr(CKR_PIN_INCORRECT), ErrorCode::kPinIncorrect);
  EXPECT_EQ(MapCkr(CKR_PIN_LOCKED), ErrorCode::kPinBlocked);
  EXPECT_EQ(MapCkr(CKR_PIN_LEN_RANGE), ErrorCode::kPinInvalid);
  EXPECT_EQ(MapCkr(CKR_PIN_INVALID), ErrorCode::kPinInvalid);
  EXPECT_EQ(MapCkr(CKR_PIN_EXPIRED), ErrorCode::kPinChangeRequired);
  EXPECT_EQ(MapCkr(CKR_USER_NOT_LOGGED_IN), ErrorCode::kPinRequired);
  EXPECT_EQ(MapCkr(CKR_USER_PIN_NOT_INITIALIZED), ErrorCode::kPinNotSet);
  EXPECT_EQ(MapCkr(CKR_TOKEN_NOT_PRESENT), ErrorCode::kPkcs11TokenRemoved);
  EXPECT_EQ(MapCkr(CKR_DEVICE_REMOVED), ErrorCode::kPkcs11TokenRemoved);
  EXPECT_EQ(MapCkr(CKR_DEVICE_ERROR), ErrorCode::kPkcs11DeviceError);
  EXPECT_EQ(MapCkr(CKR_MECHANISM_INVALID), ErrorCode::kPkcs11MechanismInvalid);
  EXPECT_EQ(MapCkr(CKR_KEY_TYPE_INCONSISTENT), ErrorCode::kPkcs11MechanismInvalid);
  EXPECT_EQ(MapCkr(CKR_SESSION_HANDLE_INVALID), ErrorCode::kPkcs11SessionError);
  EXPECT_EQ(MapCkr(CKR_SLOT_ID_INVALID), ErrorCode::kPkcs11TokenNotFound);
  EXPECT_EQ(MapCkr(CKR_OBJECT_HANDLE_INVALID), ErrorCode::kPkcs11ObjectNotFound);
  EXPECT_EQ(MapCkr(CKR_FUNCTION_NOT_SUPPORTED), ErrorCode::kNotSupported);
  EXPECT_EQ(MapCkr(CKR_FUNCTION_CANCELED), ErrorCode::kCancelled);
  EXPECT_EQ(MapCkr(CKR_PIN_TOO_WEAK), ErrorCode::kPinPolicyViolation);
  EXPECT_EQ(MapCkr(0x80000123UL), ErrorCode::kPkcs11Error);  // vendor-defined
}

TEST(CkErrorTest, KeepsNativeAndNamesTheConstant) {
  Error e = CkError(CKR_PIN_LOCKED, "C_Login");
  EXPECT_EQ(e.code, ErrorCode::kPinBlocked);
  EXPECT_EQ(e.native, CKR_PIN_LOCKED);
  EXPECT_EQ(CkrName(CKR_PIN_LOCKED), "CKR_PIN_LOCKED");
  EXPECT_EQ(CkrName(0x80000123UL), "CKR_0x80000123");
}

TEST(CkErrorTest, PinFlagsBecomeRetryHints) {
  EXPECT_EQ(PinStatusFromFlags(CKF_LOGIN_REQUIRED | CKF_USER_PIN_INITIALIZED).Hint(), "ok");
  PinStatus low = PinStatusFromFlags(CKF_USER_PIN_COUNT_LOW);
  EXPECT_TRUE(low.count_low);
  EXPECT_EQ(low.Hint(), "count_low");
  PinStatus final_try = PinStatusFromFlags(CKF_USER_PIN_COUNT_LOW | CKF_USER_PIN_FINAL_TRY);
  EXPECT_TRUE(final_try.final_try);
  EXPECT_EQ(final_try.Hint(), "final_try");
  PinStatus locked = PinStatusFromFlags(CKF_USER_PIN_LOCKED | CKF_USER_PIN_TO_BE_CHANGED);
  EXPECT_TRUE(locked.locked);
  EXPECT_TRUE(locked.to_be_changed);
  EXPECT_EQ(locked.Hint(), "locked");
}

}  // namespace
}  // namespace keyward::pkcs11
