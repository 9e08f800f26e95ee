#include "core/cose_key.h"

#include <gtest/gtest.h>

#include "core/bytes.h"
#include "core/cbor_writer.h"
#include "core/public_key.h"
#include "tests/support/test_pki.h"

namespace keyward {
namespace {

using testing::TestKey;

ErrorCode ParseCode(const Bytes& b) {
  auto r = CoseKey::Parse(b);
  EXPECT_FALSE(r);
  return r ? ErrorCode::kInternal : r.error().code;
}

TEST(CoseKeyTest, RoundTripsEveryKeyType) {
  for (auto alg : {CoseAlgorithm::kES256, CoseAlgorithm::kES384, CoseAlgorithm::kES512,
                   CoseAlgorithm::kEdDSA, CoseAlgorithm::kEd448, CoseAlgorithm::kRS256}) {
    TestKey k = TestKey::Generate(alg);
    Bytes enc = k.CoseBytes();
    auto parsed = CoseKey::Parse(enc);
    ASSERT_TRUE(parsed) << CoseAlgorithmName(alg);
    EXPECT_EQ(parsed->Encode(), enc);
    auto pk = PublicKey::FromCose(*parsed, {});
    ASSERT_TRUE(pk);
    Bytes msg = {1, 2, 3};
    EXPECT_TRUE(pk->Verify(msg, k.Sign(msg)));
  }
}

TEST(CoseKeyTest, TypeCurveAndAlgorithmMustAgree) {
  CoseKey k = TestKey::Generate(CoseAlgorithm::kES256).Cose();
  k.alg = CoseAlgorithm::kES384;  // P-256 key claiming ES384
  EXPECT_EQ(ParseCode(k.Encode()), ErrorCode::kKeyAlgorithmMismatch);
  k.alg = CoseAlgorithm::kRS256;
  EXPECT_EQ(ParseCode(k.Encode()), ErrorCode::kKeyAlgorithmMismatch);
  CoseKey ed = TestKey::Generate(CoseAlgorithm::kEdDSA).Cose();
  ed.alg = CoseAlgorithm::kEd448;
  EXPECT_EQ(ParseCode(ed.Encode()), ErrorCode::kKeyAlgorithmMismatch);
  // OKP key type with an EC2 curve.
  Bytes mixed = CborWriter()
                    .Map(4)
                    .Int(1)
                    .Int(1)
                    .Int(3)
                    .Int(-8)
                    .Int(-1)
                    .Int(1)
                    .Int(-2)
                    .Bytes(Bytes(32, 1))
                    .Take();
  EXPECT_EQ(ParseCode(mixed), ErrorCode::kKeyAlgorithmMismatch);
}

TEST(CoseKeyTest, RejectsMalformedKeys) {
  EXPECT_EQ(ParseCode({0x01}), ErrorCode::kKeyMalformed);
  EXPECT_EQ(ParseCode(CborWriter().Map(1).Int(1).Int(2).Take()), ErrorCode::kKeyMalformed);
  EXPECT_EQ(ParseCode(CborWriter().Map(2).Int(1).Int(4).Int(3).Int(-7).Take()),
            ErrorCode::kUnsupportedKeyType);
  EXPECT_EQ(ParseCode(CborWriter().Map(2).Int(1).Int(2).Int(3).Int(-47).Take()),
            ErrorCode::kUnsupportedAlgorithm);
  CoseKey k = TestKey::Generate(CoseAlgorithm::kES256).Cose();
  k.x.pop_back();
  EXPECT_EQ(ParseCode(k.Encode()), ErrorCode::kKeyMalformed);
  // An ES256 key up to the label of y (kty, alg, crv, x, then -3): the bytes after it are y.
  CoseKey full = TestKey::Generate(CoseAlgorithm::kES256).Cose();
  const Bytes up_to_y = CborWriter().Map(5).Int(1).Int(2).Int(3).Int(-7).Int(-1).Int(1).Int(-2)
                            .Bytes(full.x).Int(-3).Take();
  auto with_y = [&](const Bytes& y) {
    Bytes b = up_to_y;
    b.insert(b.end(), y.begin(), y.end());
    return b;
  };
  // Compressed point (y as a boolean).
  EXPECT_EQ(ParseCode(with_y({0xf5})), ErrorCode::kKeyMalformed);
  // y as a half, single or double float (found by fuzz_authenticator_data: libcbor's bool check
  // asserted on them and aborted the process): refused like any other non-bytes y.
  for (const Bytes& f : {Bytes{0xf9, 0x3c, 0x00}, Bytes{0xfa, 0x3f, 0x80, 0x00, 0x00},
                         Bytes{0xfb, 0x3f, 0xf0, 0, 0, 0, 0, 0, 0}}) {
    EXPECT_EQ(ParseCode(with_y(f)), ErrorCode::kKeyMalformed) << HexEncode(f);
  }
  // Private key material.
  Bytes with_d = CborWriter().Map(6).Int(1).Int(2).Int(3).Int(-7).Int(-1).Int(1).Int(-2)
                     .Bytes(full.x).Int(-3).Bytes(full.y).Int(-4).Bytes(Bytes(32, 7)).Take();
  EXPECT_EQ(ParseCode(with_d), ErrorCode::kKeyMalformed);
  EXPECT_EQ(ParseCode(Bytes{0xff}), ErrorCode::kKeyMalformed);
}

TEST(CoseKeyTest, TrailingBytesOnlyWithConsumed) {
  Bytes enc = TestKey::Generate(CoseAlgorithm::kES256).CoseBytes();
  size_t key_len = enc.size();
  enc.push_back(0x00);
  EXPECT_EQ(ParseCode(enc), ErrorCode::kKeyMalformed);
  size_t consumed = 0;
  ASSERT_TRUE(CoseKey::Parse(enc, &consumed));
  EXPECT_EQ(consumed, key_len);
}

TEST(CoseKeyTest, RsaKeySize) {
  CoseKey k = TestKey::Generate(CoseAlgorithm::kRS256).Cose();
  k.n.erase(k.n.begin(), k.n.begin() + 1);  // 2040 bits
  EXPECT_EQ(ParseCode(k.Encode()), ErrorCode::kRsaKeyTooSmall);
  CoseKey even = TestKey::Generate(CoseAlgorithm::kRS256).Cose();
  even.e = {0x01, 0x00, 0x00};
  EXPECT_EQ(ParseCode(even.Encode()), ErrorCode::kKeyMalformed);
}

TEST(PublicKeyTest, PointMustBeOnTheCurve) {
  CoseKey k = TestKey::Generate(CoseAlgorithm::kES256).Cose();
  k.y.back() ^= 1;
  auto parsed = CoseKey::Parse(k.Encode());
  ASSERT_TRUE(parsed);
  EXPECT_EQ(PublicKey::FromCose(*parsed, {}).error().code, ErrorCode::kPointNotOnCurve);
  CoseKey big = k;
  std::fill(big.x.begin(), big.x.end(), 0xff);  // x >= p
  EXPECT_EQ(PublicKey::FromCose(*CoseKey::Parse(big.Encode()), {}).error().code,
            ErrorCode::kPointNotOnCurve);
}

TEST(PublicKeyTest, Rs1NeedsExplicitOptIn) {
  CoseKey k = TestKey::Generate(CoseAlgorithm::kRS1).Cose();
  EXPECT_EQ(PublicKey::FromCose(k, {}).error().code, ErrorCode::kInsecureAlgorithmRefused);
  InsecureAlgorithms insecure;
  insecure.insecure_allow_rs1 = true;
  EXPECT_TRUE(PublicKey::FromCose(k, insecure));
}

TEST(PublicKeyTest, FromEvpChecksTheAlgorithmFits) {
  TestKey ec = TestKey::Generate(CoseAlgorithm::kES256);
  EXPECT_TRUE(PublicKey::FromEvp(ec.pkey(), CoseAlgorithm::kES256, {}));
  EXPECT_EQ(PublicKey::FromEvp(ec.pkey(), CoseAlgorithm::kES384, {}).error().code,
            ErrorCode::kKeyAlgorithmMismatch);
  EXPECT_EQ(PublicKey::FromEvp(ec.pkey(), CoseAlgorithm::kRS256, {}).error().code,
            ErrorCode::kKeyAlgorithmMismatch);
  EXPECT_EQ(PublicKey::FromEvp(nullptr, CoseAlgorithm::kES256, {}).error().code,
            ErrorCode::kKeyMalformed);
  auto from_cose = PublicKey::FromCose(ec.Cose(), {});
  ASSERT_TRUE(from_cose);
  EXPECT_TRUE(SamePublicKey(*from_cose->Evp(), ec.pkey()));
  EXPECT_FALSE(SamePublicKey(*from_cose->Evp(), TestKey::Generate(CoseAlgorithm::kES256).pkey()));
}

TEST(PublicKeyTest, SignatureErrors) {
  TestKey k = TestKey::Generate(CoseAlgorithm::kES256);
  auto pk = PublicKey::FromCose(k.Cose(), {});
  Bytes msg = {1};
  EXPECT_EQ(pk->Verify(msg, Bytes{0x30, 0x01}).error().code, ErrorCode::kSignatureMalformed);
  EXPECT_EQ(pk->Verify(msg, k.Sign(Bytes{2})).error().code, ErrorCode::kSignatureInvalid);
  EXPECT_EQ(pk->Verify(msg, Bytes(63, 1), SignatureFormat::kP1363).error().code,
            ErrorCode::kSignatureMalformed);
}

}  // namespace
}  // namespace keyward
