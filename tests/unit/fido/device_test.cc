// Device discovery and getInfo through libfido2 against the software authenticator.
#include <algorithm>

#include "tests/unit/fido/soft_fixture.h"

namespace keyward::fido::testing {
namespace {

bool Contains(const std::vector<std::string>& v, const std::string& s) {
  return std::find(v.begin(), v.end(), s) != v.end();
}

TEST_F(SoftDeviceTest, GetInfoIsDecoded) {
  auto info = dev_->GetInfo();
  ASSERT_TRUE(info) << info.error().ToString();
  EXPECT_TRUE(Contains(info->versions, "FIDO_2_1"));
  EXPECT_TRUE(Contains(info->versions, "FIDO_2_0"));
  EXPECT_TRUE(Contains(info->extensions, "hmac-secret"));
  EXPECT_TRUE(Contains(info->extensions, "credProtect"));
  EXPECT_TRUE(Contains(info->extensions, "credBlob"));
  EXPECT_TRUE(Contains(info->extensions, "largeBlobKey"));
  EXPECT_TRUE(Contains(info->extensions, "minPinLength"));
  EXPECT_EQ(std::string(info->aaguid.begin(), info->aaguid.end()), "keyward-softctap");
  EXPECT_EQ(info->Option("rk"), true);
  EXPECT_EQ(info->Option("clientPin"), false);
  EXPECT_EQ(info->Option("pinUvAuthToken"), true);
  EXPECT_EQ(info->Option("credMgmt"), true);
  EXPECT_EQ(info->Option("alwaysUv"), false);
  EXPECT_EQ(info->Option("ep"), false);
  EXPECT_EQ(info->Option("bioEnroll"), std::nullopt);
  EXPECT_EQ(info->Option("uv"), std::nullopt);
  EXPECT_EQ(info->pin_protocols, (std::vector<uint8_t>{2, 1}));
  EXPECT_EQ(info->algorithms, (std::vector<int64_t>{-7, -8}));
  EXPECT_EQ(info->firmware_version, 0x010000u);
  EXPECT_EQ(info->min_pin_length, 4u);
  EXPECT_EQ(info->max_credential_count_in_list, 8u);
  EXPECT_EQ(info->remaining_discoverable_credentials, 25);
  EXPECT_FALSE(info->force_pin_change);
  EXPECT_EQ(info->pin_retries, 8);  // clientPin false: supported, not set
  EXPECT_TRUE(Contains(info->transports, "usb"));
}

TEST_F(SoftDeviceTest, GetInfoReportsBuiltinUvAndRetries) {
  auth_->switches().builtin_uv = true;
  auto info = dev_->GetInfo();
  ASSERT_TRUE(info) << info.error().ToString();
  EXPECT_EQ(info->Option("uv"), true);
  EXPECT_EQ(info->uv_retries, 8);
  EXPECT_EQ(info->uv_modality, 2u);
}

TEST(FidoDiscoveryTest, ManifestListsNoDevicesWithoutHardware) {
  // No hidraw devices exist in the test environment; the call itself must work.
  auto list = ListDevices();
  ASSERT_TRUE(list) << list.error().ToString();
  for (const auto& d : *list) EXPECT_FALSE(d.path.empty());
}

TEST(FidoDiscoveryTest, OpeningAMissingPathIsDeviceNotFound) {
  auto d = Device::Open("/nonexistent/hidraw99");
  ASSERT_FALSE(d);
  EXPECT_EQ(d.error().code, ErrorCode::kFidoDeviceNotFound);
}

TEST(FidoDiscoveryTest, NullTransportIsRejected) {
  auto d = Device::OpenTransport(nullptr);
  ASSERT_FALSE(d);
  EXPECT_EQ(d.error().code, ErrorCode::kInvalidArgument);
}

}  // namespace
}  // namespace keyward::fido::testing
