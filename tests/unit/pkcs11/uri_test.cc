#include "pkcs11/uri.h"

#include <gtest/gtest.h>

namespace keyward::pkcs11 {
namespace {

TEST(Pkcs11UriTest, ParsesTokenAndObjectAttributes) {
  auto u = Pkcs11Uri::Parse(
      "pkcs11:token=My%20Card;manufacturer=piv_II;serial=00112233;model=PKCS%2315;"
      "object=Certificate%20for%20PIV%20Authentication;id=%01%9a;type=cert;slot-id=3"
      "?module-path=/usr/lib/x86_64-linux-gnu/opensc-pkcs11.so");
  ASSERT_TRUE(u) << u.error().ToString();
  EXPECT_EQ(u->token, "My Card");
  EXPECT_EQ(u->manufacturer, "piv_II");
  EXPECT_EQ(u->serial, "00112233");
  EXPECT_EQ(u->model, "PKCS#15");
  EXPECT_EQ(u->object, "Certificate for PIV Authentication");
  EXPECT_EQ(u->id, (Bytes{0x01, 0x9a}));
  EXPECT_EQ(u->type, ObjectClass::kCertificate);
  EXPECT_EQ(u->module_path, "/usr/lib/x86_64-linux-gnu/opensc-pkcs11.so");
}

TEST(Pkcs11UriTest, EmptyUriSelectsEverything) {
  auto u = Pkcs11Uri::Parse("pkcs11:");
  ASSERT_TRUE(u);
  EXPECT_FALSE(u->token);
}

TEST(Pkcs11UriTest, RefusesPinsWithoutEchoingThem) {
  for (const char* s : {"pkcs11:token=a?pin-value=123456", "pkcs11:token=a?pin-source=file:/x"}) {
    auto u = Pkcs11Uri::Parse(s);
    ASSERT_FALSE(u) << s;
    EXPECT_EQ(u.error().code, ErrorCode::kPkcs11UriInvalid);
    EXPECT_EQ(u.error().detail.find("123456"), std::string::npos);
  }
}

TEST(Pkcs11UriTest, RejectsMalformedUris) {
  for (const char* s : {"pkcs12:token=a", "token=a", "pkcs11:token=a;token=b", "pkcs11:token",
                        "pkcs11:=x", "pkcs11:token=%4", "pkcs11:token=%zz", "pkcs11:type=secret",
                        "pkcs11:colour=red", "pkcs11:?unknown=1", "pkcs11:id=%01;id=%02"}) {
    auto u = Pkcs11Uri::Parse(s);
    ASSERT_FALSE(u) << s;
    EXPECT_EQ(u.error().code, ErrorCode::kPkcs11UriInvalid) << s;
  }
  EXPECT_EQ(Pkcs11Uri::Parse("pkcs11:token=" + std::string(5000, 'a')).error().code,
            ErrorCode::kPkcs11UriInvalid);
}

}  // namespace
}  // namespace keyward::pkcs11
