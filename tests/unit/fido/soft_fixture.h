// Test fixture: a software CTAP 2.1 authenticator behind libfido2's custom I/O, opened through
// keyward::fido::Device exactly as a hidraw device would be.
#ifndef KEYWARD_TESTS_UNIT_FIDO_SOFT_FIXTURE_H_
#define KEYWARD_TESTS_UNIT_FIDO_SOFT_FIXTURE_H_

#include <gtest/gtest.h>

#include <memory>
#include <optional>
#include <string>

#include "core/hash.h"
#include "core/secret.h"
#include "keyward/fido.h"
#include "tools/softctap/soft_authenticator.h"
#include "tools/softctap/soft_hid_device.h"

namespace keyward::fido::testing {

inline SecretBytes Pin(std::string_view s) { return SecretBytes(s); }

inline Bytes Hash32(std::string_view s) {
  auto d = Sha256(AsBytes(s));
  return Bytes(d.begin(), d.end());
}

class SoftDeviceTest : public ::testing::Test {
 protected:
  void SetUp() override {
    auto a = softctap::SoftAuthenticator::CreateInMemory();
    ASSERT_TRUE(a) << a.error().ToString();
    Attach(std::move(a).value());
  }

  void Attach(std::unique_ptr<softctap::SoftAuthenticator> a) {
    dev_.reset();
    hid_.reset();
    auth_ = std::move(a);
    auth_->switches().reset_window_ms = 0;
    hid_ = std::make_unique<softctap::SoftHidDevice>(auth_.get());
    auto d = Device::OpenTransport(hid_.get());
    ASSERT_TRUE(d) << d.error().ToString();
    dev_.emplace(std::move(d).value());
  }

  // libfido2 reads getInfo when it opens a device; reopen after flipping a switch it caches.
  void Reopen() {
    dev_.reset();
    auto d = Device::OpenTransport(hid_.get());
    ASSERT_TRUE(d) << d.error().ToString();
    dev_.emplace(std::move(d).value());
  }

  void Detach() {
    dev_.reset();
    hid_.reset();
    auth_.reset();
  }

  MakeCredentialRequest Request(const std::string& rp, const std::string& user) {
    MakeCredentialRequest r;
    r.rp_id = rp;
    r.rp_name = rp + " name";
    r.user_id = Bytes(user.begin(), user.end());
    r.user_name = user;
    r.user_display_name = user + " display";
    r.client_data_hash = Hash32("client data for " + rp);
    return r;
  }

  GetAssertionRequest AssertRequest(const std::string& rp) {
    GetAssertionRequest r;
    r.rp_id = rp;
    r.client_data_hash = Hash32("assertion client data for " + rp);
    return r;
  }

  std::unique_ptr<softctap::SoftAuthenticator> auth_;
  std::unique_ptr<softctap::SoftHidDevice> hid_;
  std::optional<Device> dev_;
};

}  // namespace keyward::fido::testing

#endif  // KEYWARD_TESTS_UNIT_FIDO_SOFT_FIXTURE_H_
