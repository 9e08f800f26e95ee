// Edge cases SoftHSM2 cannot produce, against the tiny fake module (fake_module.cc): locked and
// nearly locked PINs surfaced as codes and hints, a token that disappears, slot events, and the
// PKCS#11 v3.0 C_GetInterface entry point.
#include <gtest/gtest.h>
#include <stdlib.h>

#include "pkcs11/session.h"
#include "pkcs11/token.h"

namespace keyward::pkcs11 {
namespace {

class FakeModuleTest : public ::testing::Test {
 protected:
  void TearDown() override {
    unsetenv("FAKE_P11_TOKEN_FLAGS");
    unsetenv("FAKE_P11_LOGIN_RV");
    unsetenv("FAKE_P11_TOKEN_RV");
    unsetenv("FAKE_P11_NO_SLOT_EVENTS");
  }
  static void SetEnv(const char* name, unsigned long v) {  // NOLINT(runtime/int)
    setenv(name, std::to_string(v).c_str(), 1);
  }
  static std::shared_ptr<Module> Load() {
    auto m = Module::Load(KEYWARD_FAKE_P11_MODULE);
    EXPECT_TRUE(m) << m.error().ToString();
    return m ? *m : nullptr;
  }
};

TEST_F(FakeModuleTest, LoadedThroughGetInterface) {
  auto m = Load();
  ASSERT_TRUE(m);
  EXPECT_TRUE(m->via_get_interface());
  EXPECT_EQ(m->Info()->cryptoki_major, 3);
}

TEST_F(FakeModuleTest, LockedPinIsPinBlockedWithHint) {
  SetEnv("FAKE_P11_TOKEN_FLAGS", CKF_TOKEN_INITIALIZED | CKF_LOGIN_REQUIRED |
                                     CKF_USER_PIN_INITIALIZED | CKF_USER_PIN_LOCKED);
  SetEnv("FAKE_P11_LOGIN_RV", CKR_PIN_LOCKED);
  auto m = Load();
  ASSERT_TRUE(m);
  auto t = SelectToken(*m, TokenSelector{});
  ASSERT_TRUE(t);
  EXPECT_TRUE(t->pin.locked);
  EXPECT_EQ(t->pin.Hint(), "locked");
  EXPECT_TRUE(t->slot.hardware);
  auto s = Session::Open(m, *t);
  ASSERT_TRUE(s);
  auto r = s->Login(SecretBytes(std::string_view("123456")));
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error().code, ErrorCode::kPinBlocked);
  EXPECT_EQ(r.error().native, CKR_PIN_LOCKED);
}

TEST_F(FakeModuleTest, ProtectedAuthenticationPathLogsInWithoutAPin) {
  SetEnv("FAKE_P11_TOKEN_FLAGS", CKF_TOKEN_INITIALIZED | CKF_LOGIN_REQUIRED |
                                     CKF_USER_PIN_INITIALIZED | CKF_PROTECTED_AUTHENTICATION_PATH);
  auto m = Load();
  ASSERT_TRUE(m);
  auto t = SelectToken(*m, TokenSelector{});
  ASSERT_TRUE(t);
  EXPECT_TRUE(t->protected_authentication_path);
  auto s = Session::Open(m, *t);
  ASSERT_TRUE(s);
  auto r = s->LoginProtectedPath();
  EXPECT_TRUE(r) << r.error().ToString();
}

TEST_F(FakeModuleTest, WrongPinOnThePinpadIsPinIncorrect) {
  SetEnv("FAKE_P11_TOKEN_FLAGS", CKF_TOKEN_INITIALIZED | CKF_LOGIN_REQUIRED |
                                     CKF_USER_PIN_INITIALIZED | CKF_PROTECTED_AUTHENTICATION_PATH);
  SetEnv("FAKE_P11_LOGIN_RV", CKR_PIN_INCORRECT);
  auto m = Load();
  ASSERT_TRUE(m);
  auto t = SelectToken(*m, TokenSelector{});
  ASSERT_TRUE(t);
  auto s = Session::Open(m, *t);
  ASSERT_TRUE(s);
  auto r = s->LoginProtectedPath();
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error().code, ErrorCode::kPinIncorrect);
}

TEST_F(FakeModuleTest, NoPinpadIsNotSupported) {
  auto m = Load();
  ASSERT_TRUE(m);
  auto t = SelectToken(*m, TokenSelector{});
  ASSERT_TRUE(t);
  ASSERT_FALSE(t->protected_authentication_path);
  auto s = Session::Open(m, *t);
  ASSERT_TRUE(s);
  auto r = s->LoginProtectedPath();
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error().code, ErrorCode::kNotSupported);
}

TEST_F(FakeModuleTest, FinalTryIsSurfaced) {
  SetEnv("FAKE_P11_TOKEN_FLAGS",
         CKF_TOKEN_INITIALIZED | CKF_USER_PIN_COUNT_LOW | CKF_USER_PIN_FINAL_TRY);
  SetEnv("FAKE_P11_LOGIN_RV", CKR_PIN_INCORRECT);
  auto m = Load();
  ASSERT_TRUE(m);
  auto t = SelectToken(*m, TokenSelector{});
  ASSERT_TRUE(t);
  EXPECT_EQ(t->pin.Hint(), "final_try");
  auto s = Session::Open(m, *t);
  ASSERT_TRUE(s);
  auto r = s->Login(SecretBytes(std::string_view("000000")));
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error().code, ErrorCode::kPinIncorrect);
  EXPECT_TRUE(s->RefreshTokenInfo()->pin.final_try);
}

TEST_F(FakeModuleTest, RemovedTokenIsTokenRemovedOrAbsent) {
  SetEnv("FAKE_P11_TOKEN_RV", CKR_TOKEN_NOT_PRESENT);
  auto m = Load();
  ASSERT_TRUE(m);
  auto slots = ListSlots(*m, true);
  ASSERT_TRUE(slots);
  ASSERT_EQ(slots->size(), 1u);
  auto info = GetTokenInfo(*m, (*slots)[0]);
  ASSERT_FALSE(info);
  EXPECT_EQ(info.error().code, ErrorCode::kPkcs11TokenRemoved);
  EXPECT_EQ(info.error().native, CKR_TOKEN_NOT_PRESENT);
  // Listing skips it; selecting finds nothing.
  EXPECT_TRUE(ListTokens(*m)->empty());
  EXPECT_EQ(SelectToken(*m, TokenSelector{}).error().code, ErrorCode::kPkcs11TokenNotFound);
}

TEST_F(FakeModuleTest, SlotEvents) {
  auto m = Load();
  ASSERT_TRUE(m);
  auto ev = WaitForSlotEvent(*m, false);
  ASSERT_TRUE(ev);
  ASSERT_TRUE(ev->has_value());
  EXPECT_EQ(**ev, 7u);
  auto none = WaitForSlotEvent(*m, false);
  ASSERT_TRUE(none);
  EXPECT_FALSE(none->has_value());
  auto blocking = WaitForSlotEvent(*m, true);
  ASSERT_FALSE(blocking);
  EXPECT_EQ(blocking.error().code, ErrorCode::kNotSupported);
}

TEST_F(FakeModuleTest, BoundedWaitReturnsThePendingEventThenTimesOut) {
  auto m = Load();
  ASSERT_TRUE(m);
  auto ev = WaitForSlotEventFor(*m, std::chrono::seconds(5));
  ASSERT_TRUE(ev) << ev.error().ToString();
  EXPECT_EQ(*ev, 7u);
  auto none = WaitForSlotEventFor(*m, std::chrono::milliseconds(200));
  ASSERT_FALSE(none);
  EXPECT_EQ(none.error().code, ErrorCode::kTimeout);
}

TEST_F(FakeModuleTest, ModuleWithoutSlotEventsIsNotSupported) {
  SetEnv("FAKE_P11_NO_SLOT_EVENTS", 1);
  auto m = Load();
  ASSERT_TRUE(m);
  auto ev = WaitForSlotEventFor(*m, std::chrono::seconds(5));
  ASSERT_FALSE(ev);
  EXPECT_EQ(ev.error().code, ErrorCode::kNotSupported);
  EXPECT_EQ(ev.error().native, CKR_FUNCTION_NOT_SUPPORTED);
  auto watcher = TokenWatcher::Open(KEYWARD_FAKE_P11_MODULE);
  ASSERT_TRUE(watcher);
  auto w = watcher->Wait(std::chrono::seconds(5));
  ASSERT_FALSE(w);
  EXPECT_EQ(w.error().code, ErrorCode::kNotSupported);
}

TEST_F(FakeModuleTest, DoubleLoadInitialisesOnce) {
  auto a = Load();
  auto b = Load();
  ASSERT_TRUE(a && b);
  EXPECT_EQ(a.get(), b.get());
  // The fake returns CKR_CRYPTOKI_ALREADY_INITIALIZED on a second C_Initialize: it never saw one.
  EXPECT_TRUE(SelectToken(*a, TokenSelector{}));
}

}  // namespace
}  // namespace keyward::pkcs11
