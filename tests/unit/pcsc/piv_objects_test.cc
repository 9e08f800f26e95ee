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

TEST(PivObjectsTest, FreshChuidHasARandomGuid) {
  auto a = Chuid::Fresh("20361201");
  auto b = Chuid::Fresh("20361201");
  ASSERT_TRUE(a && b);
  EXPECT_EQ(a->guid.size(), 16u);
  EXPECT_NE(a->guid, b->guid);
  auto back = Chuid::Parse(a->Encode());
  ASSERT_TRUE(back);
  EXPECT_EQ(back->guid, a->guid);
  EXPECT_EQ(back->fasc_n.size(), 25u);
  EXPECT_EQ(back->expiration, "20361201");
  for (const char* bad : {"2036120", "2036-12-01", "", "2036120x"}) {
    auto r = Chuid::Fresh(bad);
    ASSERT_FALSE(r) << bad;
    EXPECT_EQ(r.error().code, ErrorCode::kInvalidArgument);
  }
}

TEST(PivObjectsTest, ChuidExpirationAddsYears) {
  using namespace std::chrono;
  sys_days d = 2026y / December / 1d;
  EXPECT_EQ(ChuidExpiration(d, 10), "20361201");
  sys_days leap = 2028y / February / 29d;
  EXPECT_EQ(ChuidExpiration(leap, 1), "20290228");
  EXPECT_EQ(ChuidExpiration(leap, 4), "20320229");
}

TEST(PivObjectsTest, CardCapabilityContainer) {
  auto a = CardCapabilityContainer::Fresh();
  auto b = CardCapabilityContainer::Fresh();
  ASSERT_TRUE(a && b);
  ASSERT_EQ(a->card_identifier.size(), 21u);
  EXPECT_EQ(HexEncode(ByteSpan(a->card_identifier.data(), 7)), "a000000116ff02");
  EXPECT_NE(a->card_identifier, b->card_identifier);
  Bytes enc = a->Encode();
  // F0 15 <id> F1 01 21 F2 01 21 F3 00 F4 01 00 F5 01 10 F6 00 F7 00 FA 00 FB 00 FC 00 FD 00 FE 00
  EXPECT_EQ(enc.size(), 2u + 21 + 3 + 3 + 2 + 3 + 3 + 7 * 2);
  EXPECT_EQ(HexEncode(ByteSpan(enc.data() + 23, enc.size() - 23)),
            "f10121f20121f300f40100f50110f600f700fa00fb00fc00fd00fe00");
  auto back = CardCapabilityContainer::Parse(enc);
  ASSERT_TRUE(back);
  EXPECT_EQ(back->card_identifier, a->card_identifier);
  EXPECT_EQ(back->data_model, 0x10);
  EXPECT_EQ(back->container_version, 0x21);
  for (const char* bad : {"F001AA", "F10121", "F015AA"}) {
    auto r = CardCapabilityContainer::Parse(Hex(bad));
    ASSERT_FALSE(r) << bad;
    EXPECT_EQ(r.error().code, ErrorCode::kPivObjectMalformed);
  }
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
