// PIN/UV auth protocols one and two (CTAP 2.1 §6.5.6, §6.5.7), both sides.
#include "tools/softctap/pin_uv_auth_protocol.h"

#include <gtest/gtest.h>

#include "tools/softctap/soft_crypto.h"

namespace keyward::softctap {
namespace {

class PinUvAuthProtocolTest : public ::testing::TestWithParam<int> {};

TEST_P(PinUvAuthProtocolTest, BothSidesAgreeAndAuthenticate) {
  const PinUvAuthProtocol* p = PinUvAuthProtocol::ForVersion(GetParam());
  ASSERT_NE(p, nullptr);
  auto a = EcdhKey::Generate();
  auto b = EcdhKey::Generate();
  ASSERT_TRUE(a && b);
  // Extract b's public point from its COSE encoding: keys -2 / -3 at fixed offsets.
  Bytes cose_b = b->CosePublicKey();
  Bytes cose_a = a->CosePublicKey();
  auto xy = [](const Bytes& cose) {
    // a5 01 02 03 38 18 20 01 21 58 20 <x> 22 58 20 <y>
    return std::pair(Bytes(cose.begin() + 11, cose.begin() + 43),
                     Bytes(cose.begin() + 46, cose.begin() + 78));
  };
  auto [bx, by] = xy(cose_b);
  auto [ax, ay] = xy(cose_a);
  auto za = a->SharedX(bx, by);
  auto zb = b->SharedX(ax, ay);
  ASSERT_TRUE(za && zb);
  SecretBytes sa = p->Kdf(*za), sb = p->Kdf(*zb);
  EXPECT_EQ(sa.size(), GetParam() == 1 ? 32u : 64u);
  Bytes msg(64, 0x33);
  auto enc = p->Encrypt(sa, msg);
  ASSERT_TRUE(enc);
  EXPECT_EQ(enc->size(), GetParam() == 1 ? 64u : 80u);
  auto dec = p->Decrypt(sb, *enc);
  ASSERT_TRUE(dec);
  EXPECT_EQ(Bytes(dec->reveal().begin(), dec->reveal().end()), msg);
  Bytes tag = p->Authenticate(sa.reveal(), msg);
  EXPECT_EQ(tag.size(), GetParam() == 1 ? 16u : 32u);
  EXPECT_TRUE(p->Verify(sb.reveal(), msg, tag));
  tag[0] ^= 1;
  EXPECT_FALSE(p->Verify(sb.reveal(), msg, tag));
  EXPECT_FALSE(p->Verify(sb.reveal(), msg, Bytes(3, 0)));
  EXPECT_FALSE(p->Decrypt(sb, Bytes(15, 0)));
}

INSTANTIATE_TEST_SUITE_P(Versions, PinUvAuthProtocolTest, ::testing::Values(1, 2));

TEST(PinUvAuthProtocolVersionTest, OnlyOneAndTwo) {
  EXPECT_EQ(PinUvAuthProtocol::ForVersion(0), nullptr);
  EXPECT_EQ(PinUvAuthProtocol::ForVersion(3), nullptr);
}

TEST(SoftCryptoTest, PointNotOnCurveIsRejected) {
  auto k = EcdhKey::Generate();
  ASSERT_TRUE(k);
  auto z = k->SharedX(Bytes(32, 1), Bytes(32, 2));
  ASSERT_FALSE(z);
  EXPECT_EQ(z.error().code, ErrorCode::kPointNotOnCurve);
}

TEST(SoftCryptoTest, GcmOpenFailsOnWrongAad) {
  Bytes key(32, 4);
  auto sealed = Aes256GcmSeal(key, Bytes{1}, Bytes{9, 9, 9});
  ASSERT_TRUE(sealed);
  EXPECT_TRUE(Aes256GcmOpen(key, Bytes{1}, *sealed));
  auto bad = Aes256GcmOpen(key, Bytes{2}, *sealed);
  ASSERT_FALSE(bad);
  EXPECT_EQ(bad.error().code, ErrorCode::kSignatureInvalid);
}

}  // namespace
}  // namespace keyward::softctap
