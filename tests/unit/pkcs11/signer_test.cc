#include "pkcs11/signer.h"

#include <gtest/gtest.h>

namespace keyward::pkcs11 {
namespace {

TEST(SignerTest, ChoosesFromTheTokenMechanisms) {
  std::vector<CK_MECHANISM_TYPE> all = {CKM_RSA_PKCS, CKM_RSA_PKCS_PSS, CKM_ECDSA};
  EXPECT_EQ(*ChooseScheme(KeyType::kEc, all, std::nullopt), SignScheme::kEcdsa);
  EXPECT_EQ(*ChooseScheme(KeyType::kRsa, all, std::nullopt), SignScheme::kRsaPss);
  std::vector<CK_MECHANISM_TYPE> pkcs1 = {CKM_RSA_PKCS, CKM_ECDSA};
  EXPECT_EQ(*ChooseScheme(KeyType::kRsa, pkcs1, std::nullopt), SignScheme::kRsaPkcs1);
  EXPECT_EQ(ChooseScheme(KeyType::kRsa, pkcs1, SignScheme::kRsaPss).error().code,
            ErrorCode::kPkcs11MechanismInvalid);
  EXPECT_EQ(ChooseScheme(KeyType::kEc, pkcs1, SignScheme::kRsaPkcs1).error().code,
            ErrorCode::kPkcs11MechanismInvalid);
  std::vector<CK_MECHANISM_TYPE> none = {CKM_SHA256};
  EXPECT_EQ(ChooseScheme(KeyType::kEc, none, std::nullopt).error().code,
            ErrorCode::kPkcs11MechanismInvalid);
  EXPECT_EQ(ChooseScheme(KeyType::kOther, all, std::nullopt).error().code,
            ErrorCode::kPkcs11MechanismInvalid);
}

TEST(SignerTest, DigestInfoMatchesRfc8017) {
  Bytes digest(32, 0xab);
  auto info = DigestInfo(HashAlgorithm::kSha256, digest);
  ASSERT_TRUE(info);
  EXPECT_EQ(HexEncode(ByteSpan(*info).first(19)), "3031300d060960864801650304020105000420");
  EXPECT_EQ(info->size(), 51u);
  auto info384 = DigestInfo(HashAlgorithm::kSha384, Bytes(48, 1));
  ASSERT_TRUE(info384);
  EXPECT_EQ(HexEncode(ByteSpan(*info384).first(19)), "3041300d060960864801650304020205000430");
  EXPECT_EQ(DigestInfo(HashAlgorithm::kSha256, Bytes(31, 0)).error().code,
            ErrorCode::kInvalidArgument);
  EXPECT_EQ(DigestInfo(HashAlgorithm::kSha1, Bytes(20, 0)).error().code,
            ErrorCode::kUnsupportedAlgorithm);
}

}  // namespace
}  // namespace keyward::pkcs11
