#include "pcsc/piv_objects.h"

#include <gtest/gtest.h>

#include "pcsc/piv_types.h"
#include "pcsc/tlv.h"

namespace keyward::pcsc::piv {
namespace {

Bytes Hex(const char* h) { return *HexDecode(h); }

TEST(PivObjectsTest, ChuidRoundTrip) {
  Bytes guid(16, 0x42);
  Chuid c = Chuid::ForTestCard(guid, "20301231");
  auto back = Chuid::Parse(c.Encode());
  ASSERT_TRUE(back);
  EXPECT_EQ(back->guid, guid);
  EXPECT_EQ(back->fasc_n.size(), 25u);
  EXPECT_EQ(back->expiration, "20301231");
  EXPECT_EQ(Chuid::Parse(Hex("3001AA")).error().code, ErrorCode::kPivObjectMalformed);
  EXPECT_EQ(Chuid::Parse(Hex("3003AA")).error().code, ErrorCode::kPivObjectMalformed);
}

TEST(PivObjectsTest, CertificateObjectPlainAndCompressed) {
  Bytes der(900);
  for (size_t i = 0; i < der.size(); ++i) der[i] = static_cast<uint8_t>(i % 17);
  for (bool compress : {false, true}) {
    auto enc = CertificateObject::Encode(der, compress);
    ASSERT_TRUE(enc);
    auto back = CertificateObject::Parse(*enc);
    ASSERT_TRUE(back);
    EXPECT_EQ(back->der, der);
    EXPECT_EQ(back->compressed, compress);
    if (compress) {
      EXPECT_LT(enc->size(), der.size());
    }
  }
}

TEST(PivObjectsTest, CertificateRejections) {
  EXPECT_EQ(CertificateObject::Parse(Hex("710100FE00")).error().code,
            ErrorCode::kPivObjectMalformed);
  // CertInfo says compressed, the bytes are not gzip.
  EXPECT_EQ(CertificateObject::Parse(Hex("7003AABBCC710101")).error().code,
            ErrorCode::kPivObjectMalformed);
  // A compressed "certificate" that inflates past 64 KiB is refused.
  auto bomb = Gzip(Bytes(200 * 1024, 0));
  ASSERT_TRUE(bomb);
  Bytes obj;
  AppendTlv(obj, 0x70, *bomb);
  AppendTlv(obj, 0x71, Hex("01"));
  EXPECT_EQ(CertificateObject::Parse(obj).error().code, ErrorCode::kPivObjectMalformed);
  // Truncated gzip.
  auto gz = Gzip(Bytes(1000, 7));
  ASSERT_TRUE(gz);
  gz->resize(gz->size() / 2);
  EXPECT_EQ(Gunzip(*gz, 4096).error().code, ErrorCode::kPivObjectMalformed);
}

TEST(PivObjectsTest, DiscoveryAndWrapping) {
  auto d = Discovery::Parse(Discovery::EncodeDefault());
  ASSERT_TRUE(d);
  EXPECT_EQ(d->aid, Bytes(kPivAid.begin(), kPivAid.end()));
  EXPECT_EQ(d->pin_usage_policy, 0x4000);
  EXPECT_EQ(Discovery::Parse(Hex("5F2F024000")).error().code, ErrorCode::kPivObjectMalformed);

  Bytes wrapped = WrapDataObject(Hex("0102"));
  EXPECT_EQ(wrapped, Hex("53020102"));
  EXPECT_EQ(*UnwrapDataObject(wrapped), Hex("0102"));
  EXPECT_EQ(UnwrapDataObject(Hex("54020102")).error().code, ErrorCode::kPivObjectMalformed);
  EXPECT_EQ(UnwrapDataObject(Hex("7E020102"), 0x7E).value(), Hex("0102"));
}

}  // namespace
}  // namespace keyward::pcsc::piv
