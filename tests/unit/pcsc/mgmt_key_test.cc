#include "pcsc/mgmt_key.h"

#include <gtest/gtest.h>

namespace keyward::pcsc::piv {
namespace {

Bytes Hex(const char* h) { return *HexDecode(h); }

TEST(ManagementKeyTest, AesKnownAnswers) {  // FIPS-197 Appendix C
  auto k128 = ManagementKey::Create(Algorithm::kAes128,
                                    SecretBytes(Hex("000102030405060708090a0b0c0d0e0f")));
  ASSERT_TRUE(k128);
  auto c = k128->EncryptBlock(Hex("00112233445566778899aabbccddeeff"));
  ASSERT_TRUE(c);
  EXPECT_EQ(HexEncode(*c), "69c4e0d86a7b0430d8cdb78070b4c55a");
  EXPECT_EQ(HexEncode(*k128->DecryptBlock(*c)), "00112233445566778899aabbccddeeff");

  auto k256 = ManagementKey::Create(
      Algorithm::kAes256,
      SecretBytes(Hex("000102030405060708090a0b0c0d0e0f101112131415161718191a1b1c1d1e1f")));
  ASSERT_TRUE(k256);
  EXPECT_EQ(HexEncode(*k256->EncryptBlock(Hex("00112233445566778899aabbccddeeff"))),
            "8ea2b7ca516745bfeafc49904b496089");
  auto k192 = ManagementKey::Create(
      Algorithm::kAes192, SecretBytes(Hex("000102030405060708090a0b0c0d0e0f1011121314151617")));
  ASSERT_TRUE(k192);
  EXPECT_EQ(HexEncode(*k192->EncryptBlock(Hex("00112233445566778899aabbccddeeff"))),
            "dda97ca4864cdfe06eaf70a0ec0d7191");
}

TEST(ManagementKeyTest, DefaultTripleDesRoundTrip) {
  ManagementKey k = ManagementKey::Default();
  EXPECT_EQ(k.algorithm(), Algorithm::kTripleDes);
  EXPECT_EQ(HexEncode(k.key().reveal()), "010203040506070801020304050607080102030405060708");
  Bytes block = Hex("0011223344556677");
  auto c = k.EncryptBlock(block);
  ASSERT_TRUE(c);
  EXPECT_NE(*c, block);
  EXPECT_EQ(*k.DecryptBlock(*c), block);
}

TEST(ManagementKeyTest, Rejections) {
  EXPECT_EQ(ManagementKey::Create(Algorithm::kAes128, SecretBytes(Hex("00"))).error().code,
            ErrorCode::kInvalidArgument);
  EXPECT_EQ(ManagementKey::Create(Algorithm::kEccP256, SecretBytes(Bytes(32))).error().code,
            ErrorCode::kPivUnsupportedAlgorithm);
  EXPECT_EQ(ManagementKey::Default().EncryptBlock(Bytes(16)).error().code,
            ErrorCode::kInvalidArgument);
}

}  // namespace
}  // namespace keyward::pcsc::piv
