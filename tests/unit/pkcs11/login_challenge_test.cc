#include "pkcs11/login_challenge.h"

#include <gtest/gtest.h>

namespace keyward::pkcs11 {
namespace {

TEST(LoginChallengeTest, SignedMessageIsDomainSeparated) {
  LoginChallenge a{Bytes(32, 1), "login", "host-a", 0, 0};
  LoginChallenge b = a;
  b.relying_host = "host-b";
  LoginChallenge c = a;
  c.context = "sudo";
  EXPECT_NE(a.SignedMessage(), b.SignedMessage());
  EXPECT_NE(a.SignedMessage(), c.SignedMessage());
  // Moving a byte between fields changes the message (length prefixes).
  LoginChallenge d{Bytes(32, 1), "logi", "nhost-a", 0, 0};
  EXPECT_NE(a.SignedMessage(), d.SignedMessage());
  std::string prefix = "keyward card-login v1";
  Bytes m = a.SignedMessage();
  EXPECT_EQ(std::string(m.begin(), m.begin() + static_cast<std::ptrdiff_t>(prefix.size())), prefix);
}

TEST(ChallengeRegistryTest, SingleUseWithExpiry) {
  ChallengeRegistry reg(60);
  auto c = reg.Issue("login", "h", 1000);
  ASSERT_TRUE(c);
  EXPECT_EQ(c->nonce.size(), 32u);
  auto c2 = reg.Issue("login", "h", 1000);
  ASSERT_TRUE(c2);
  EXPECT_NE(c->nonce, c2->nonce);
  ASSERT_TRUE(reg.Consume(c->nonce, "login", "h", 1010));
  EXPECT_EQ(reg.Consume(c->nonce, "login", "h", 1010).error().code,
            ErrorCode::kLoginChallengeReplayed);
  EXPECT_EQ(reg.Consume(c2->nonce, "login", "h", 1061).error().code,
            ErrorCode::kLoginChallengeExpired);
  // Expired is burnt too.
  EXPECT_EQ(reg.Consume(c2->nonce, "login", "h", 1062).error().code,
            ErrorCode::kLoginChallengeReplayed);
}

TEST(ChallengeRegistryTest, WrongPurposeHostOrUnknownNonce) {
  ChallengeRegistry reg(60);
  auto c = reg.Issue("login", "h", 0);
  ASSERT_TRUE(c);
  EXPECT_EQ(reg.Consume(c->nonce, "sudo", "h", 1).error().code, ErrorCode::kLoginChallengeInvalid);
  EXPECT_EQ(reg.Consume(c->nonce, "login", "other", 1).error().code,
            ErrorCode::kLoginChallengeInvalid);
  EXPECT_EQ(reg.Consume(Bytes(32, 7), "login", "h", 1).error().code,
            ErrorCode::kLoginChallengeInvalid);
  // The failed attempts did not consume it.
  EXPECT_TRUE(reg.Consume(c->nonce, "login", "h", 1));
}

TEST(ChallengeRegistryTest, RejectsShortNoncesAndMissingBinding) {
  ChallengeRegistry reg(60);
  EXPECT_EQ(reg.Issue("login", "h", 0, 16).error().code, ErrorCode::kInvalidArgument);
  EXPECT_EQ(reg.Issue("", "h", 0).error().code, ErrorCode::kInvalidArgument);
  EXPECT_EQ(reg.Issue("login", "", 0).error().code, ErrorCode::kInvalidArgument);
  auto big = reg.Issue("login", "h", 0, 64);
  ASSERT_TRUE(big);
  EXPECT_EQ(big->nonce.size(), 64u);
}

TEST(ChallengeRegistryTest, BoundedByDroppingTheOldest) {
  ChallengeRegistry reg(60, 2);
  auto a = reg.Issue("l", "h", 0);
  auto b = reg.Issue("l", "h", 1);
  auto c = reg.Issue("l", "h", 2);
  ASSERT_TRUE(a && b && c);
  EXPECT_EQ(reg.Consume(a->nonce, "l", "h", 3).error().code, ErrorCode::kLoginChallengeInvalid);
  EXPECT_TRUE(reg.Consume(b->nonce, "l", "h", 3));
  EXPECT_TRUE(reg.Consume(c->nonce, "l", "h", 3));
}

}  // namespace
}  // namespace keyward::pkcs11
