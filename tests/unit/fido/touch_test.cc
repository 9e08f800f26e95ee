// Bounded touch waits: a touch completes the request, CANCEL ends it, and the device timeout
// bounds it. No timing assertions: waits are bounded, outcomes are asserted.
#include <fido/err.h>

#include <thread>

#include "tests/unit/fido/soft_fixture.h"

namespace keyward::fido::testing {
namespace {

constexpr auto kLimit = std::chrono::seconds(20);

TEST_F(SoftDeviceTest, TouchCompletesAWaitingRequest) {
  hid_->SetPresenceMode(softctap::PresenceMode::kWaitForTouch);
  std::optional<Result<Credential>> result;
  std::thread t([&] { result = dev_->MakeCredential(Request("example.com", "alice"), nullptr); });
  bool waiting = hid_->AwaitTouchRequest(kLimit);
  if (waiting) {
    EXPECT_TRUE(hid_->Touch());
  }
  t.join();
  ASSERT_TRUE(waiting);
  ASSERT_TRUE(*result) << result->error().ToString();
}

TEST_F(SoftDeviceTest, CancelDuringTouchWait) {
  hid_->SetPresenceMode(softctap::PresenceMode::kWaitForTouch);
  std::optional<Result<Credential>> result;
  std::thread t([&] { result = dev_->MakeCredential(Request("example.com", "alice"), nullptr); });
  bool waiting = hid_->AwaitTouchRequest(kLimit);
  if (waiting) {
    EXPECT_TRUE(dev_->Cancel());
  } else {
    hid_->Touch();
  }
  t.join();
  ASSERT_TRUE(waiting);
  ASSERT_FALSE(*result);
  EXPECT_EQ(result->error().code, ErrorCode::kFidoCancelled);
  EXPECT_EQ(result->error().native, static_cast<uint32_t>(FIDO_ERR_KEEPALIVE_CANCEL));
  // The device is usable again right away.
  hid_->SetPresenceMode(softctap::PresenceMode::kImmediate);
  EXPECT_TRUE(dev_->MakeCredential(Request("example.com", "alice"), nullptr));
}

TEST_F(SoftDeviceTest, NobodyTouchingEndsWithTheDeviceTimeout) {
  hid_->SetPresenceMode(softctap::PresenceMode::kWaitForTouch);
  dev_->SetTimeout(std::chrono::milliseconds(300));
  auto r = dev_->MakeCredential(Request("example.com", "alice"), nullptr);
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error().code, ErrorCode::kFidoTimeout);
  // The wrapper cancelled the wait; the next request gets a fresh answer.
  hid_->SetPresenceMode(softctap::PresenceMode::kImmediate);
  dev_->SetTimeout(std::chrono::seconds(30));
  auto next = dev_->MakeCredential(Request("example.com", "alice"), nullptr);
  ASSERT_TRUE(next) << next.error().ToString();
}

TEST_F(SoftDeviceTest, AuthenticatorGivesUpWhenNobodyTouches) {
  hid_->SetPresenceMode(softctap::PresenceMode::kWaitForTouch);
  hid_->SetTouchTimeout(std::chrono::milliseconds(200));
  auto r = dev_->MakeCredential(Request("example.com", "alice"), nullptr);
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error().code, ErrorCode::kFidoUserActionTimeout);
  EXPECT_EQ(r.error().native, static_cast<uint32_t>(FIDO_ERR_USER_ACTION_TIMEOUT));
}

}  // namespace
}  // namespace keyward::fido::testing
