// WebAuthn objects built from libfido2 results.
#include "core/base64url.h"
#include "core/cbor.h"
#include "tests/unit/fido/soft_fixture.h"

namespace keyward::fido::testing {
namespace {

TEST(ClientDataJsonTest, SerialisesLikeABrowser) {
  Bytes challenge{0xfb, 0xff, 0x00};
  EXPECT_EQ(MakeClientDataJson("webauthn.create", challenge, "https://example.com"),
            "{\"type\":\"webauthn.create\",\"challenge\":\"-_8A\",\"origin\":"
            "\"https://example.com\",\"crossOrigin\":false}");
  EXPECT_EQ(MakeClientDataJson("webauthn.get", {}, "https://a\"b\x01"),
            "{\"type\":\"webauthn.get\",\"challenge\":\"\",\"origin\":\"https://a\\\"b\\u0001\","
            "\"crossOrigin\":false}");
}

TEST_F(SoftDeviceTest, AttestationObjectCarriesFmtAttStmtAndAuthData) {
  auto cred = dev_->MakeCredential(Request("example.com", "alice"), nullptr);
  ASSERT_TRUE(cred);
  auto obj = MakeAttestationObject(*cred);
  ASSERT_TRUE(obj) << obj.error().ToString();
  CborLimits canonical;
  canonical.require_canonical = true;
  auto decoded = DecodeCbor(*obj, canonical);
  ASSERT_TRUE(decoded) << decoded.error().ToString();
  EXPECT_EQ(*decoded->item.Find(std::string_view("fmt")).GetText(), "packed");
  auto auth = decoded->item.Find(std::string_view("authData")).GetBytes();
  ASSERT_TRUE(auth);
  EXPECT_EQ(ToBytes(*auth), cred->auth_data);
  CborItem st = decoded->item.Find(std::string_view("attStmt"));
  EXPECT_EQ(*st.Find(std::string_view("alg")).GetInt(), -7);
  EXPECT_EQ(ToBytes(*st.Find(std::string_view("sig")).GetBytes()), cred->signature);
  EXPECT_EQ(ToBytes(*st.Find(std::string_view("x5c")).At(0).GetBytes()), cred->x5c);
}

TEST(AttestationObjectTest, OtherFormatsAreNotSupported) {
  Credential c;
  c.fmt = "fido-u2f";
  auto r = MakeAttestationObject(c);
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error().code, ErrorCode::kNotSupported);
  c.fmt = "packed";
  auto empty = MakeAttestationObject(c);
  ASSERT_FALSE(empty);
  EXPECT_EQ(empty.error().code, ErrorCode::kInvalidArgument);
}

}  // namespace
}  // namespace keyward::fido::testing
