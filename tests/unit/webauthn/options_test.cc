// §5.4 / §5.5 options in L3 JSON form.
#include <gtest/gtest.h>

#include "core/base64url.h"
#include "core/json.h"
#include "keyward/webauthn.h"

namespace keyward::webauthn {
namespace {

CreationOptions Valid() {
  CreationOptions o;
  o.rp = {"example.com", "Example"};
  o.user = {Bytes{1, 2, 3}, "alice", "Alice"};
  o.challenge = *NewChallenge();
  return o;
}

TEST(OptionsTest, ChallengesAreFreshAndLongEnough) {
  Bytes a = *NewChallenge(), b = *NewChallenge();
  EXPECT_EQ(a.size(), 32u);
  EXPECT_NE(a, b);
}

TEST(OptionsTest, CreationOptionsJson) {
  CreationOptions o = Valid();
  o.exclude_credentials = {{Bytes{9, 9}, {"usb", "nfc"}}};
  o.authenticator_selection.resident_key = "required";
  o.authenticator_selection.user_verification = "required";
  o.authenticator_selection.authenticator_attachment = "cross-platform";
  o.hints = {"security-key"};
  o.attestation = "direct";
  o.extensions.cred_props = true;
  o.extensions.cred_protect = 2;
  o.extensions.large_blob_support = "preferred";
  o.extensions.prf = true;
  auto json = CreationOptionsToJson(o);
  ASSERT_TRUE(json) << json.error().ToString();
  Json j = *ParseJson(*json);
  EXPECT_EQ(j["rp"]["id"], "example.com");
  EXPECT_EQ(j["user"]["id"], Base64UrlEncode(Bytes{1, 2, 3}));
  EXPECT_EQ(j["challenge"], Base64UrlEncode(o.challenge));
  EXPECT_EQ(j["pubKeyCredParams"].size(), 3u);
  EXPECT_EQ(j["pubKeyCredParams"][1]["alg"], -7);
  EXPECT_EQ(j["excludeCredentials"][0]["id"], Base64UrlEncode(Bytes{9, 9}));
  EXPECT_EQ(j["excludeCredentials"][0]["transports"][1], "nfc");
  EXPECT_EQ(j["authenticatorSelection"]["requireResidentKey"], true);
  EXPECT_EQ(j["authenticatorSelection"]["authenticatorAttachment"], "cross-platform");
  EXPECT_EQ(j["hints"][0], "security-key");
  EXPECT_EQ(j["attestation"], "direct");
  EXPECT_EQ(j["extensions"]["credProps"], true);
  EXPECT_EQ(j["extensions"]["credentialProtectionPolicy"], "userVerificationOptionalWithCredentialIDList");
  EXPECT_EQ(j["extensions"]["largeBlob"]["support"], "preferred");
  EXPECT_TRUE(j["extensions"].contains("prf"));
}

TEST(OptionsTest, CreationOptionsRejectOutOfRangeValues) {
  auto code = [](const CreationOptions& o) { return CreationOptionsToJson(o).error().code; };
  CreationOptions o = Valid();
  o.challenge.resize(15);
  EXPECT_EQ(code(o), ErrorCode::kOptionsInvalid);
  o = Valid();
  o.user.id.resize(65);
  EXPECT_EQ(code(o), ErrorCode::kOptionsInvalid);
  o = Valid();
  o.user.id.clear();
  EXPECT_EQ(code(o), ErrorCode::kOptionsInvalid);
  o = Valid();
  o.rp.id.clear();
  EXPECT_EQ(code(o), ErrorCode::kOptionsInvalid);
  o = Valid();
  o.pub_key_cred_params = {-7, 12345};
  EXPECT_EQ(code(o), ErrorCode::kOptionsInvalid);
  o = Valid();
  o.pub_key_cred_params.clear();
  EXPECT_EQ(code(o), ErrorCode::kOptionsInvalid);
  o = Valid();
  o.attestation = "always";
  EXPECT_EQ(code(o), ErrorCode::kOptionsInvalid);
  o = Valid();
  o.authenticator_selection.resident_key = "maybe";
  EXPECT_EQ(code(o), ErrorCode::kOptionsInvalid);
  o = Valid();
  o.hints = {"usb"};
  EXPECT_EQ(code(o), ErrorCode::kOptionsInvalid);
  o = Valid();
  o.extensions.cred_protect = 4;
  EXPECT_EQ(code(o), ErrorCode::kOptionsInvalid);
  o = Valid();
  o.exclude_credentials = {{Bytes{}, {}}};
  EXPECT_EQ(code(o), ErrorCode::kOptionsInvalid);
}

TEST(OptionsTest, RequestOptionsJson) {
  RequestOptions o;
  o.challenge = *NewChallenge();
  o.rp_id = "example.com";
  o.allow_credentials = {{Bytes{1}, {}}};
  o.user_verification = "required";
  o.extensions.appid = "https://example.com/appid.json";
  o.extensions.prf_first = Bytes(32, 1);
  o.extensions.large_blob_read = "read";
  auto json = RequestOptionsToJson(o);
  ASSERT_TRUE(json);
  Json j = *ParseJson(*json);
  EXPECT_EQ(j["rpId"], "example.com");
  EXPECT_EQ(j["allowCredentials"][0]["type"], "public-key");
  EXPECT_EQ(j["userVerification"], "required");
  EXPECT_EQ(j["extensions"]["appid"], "https://example.com/appid.json");
  EXPECT_EQ(j["extensions"]["prf"]["eval"]["first"], Base64UrlEncode(Bytes(32, 1)));
  EXPECT_EQ(j["extensions"]["largeBlob"]["read"], true);

  o.extensions.prf_first.reset();
  o.extensions.prf_second = Bytes(32, 2);
  EXPECT_EQ(RequestOptionsToJson(o).error().code, ErrorCode::kOptionsInvalid);
  o.extensions.prf_second.reset();
  o.user_verification = "always";
  EXPECT_EQ(RequestOptionsToJson(o).error().code, ErrorCode::kOptionsInvalid);
  o.user_verification = "preferred";
  o.rp_id.clear();
  EXPECT_EQ(RequestOptionsToJson(o).error().code, ErrorCode::kOptionsInvalid);
}

}  // namespace
}  // namespace keyward::webauthn
