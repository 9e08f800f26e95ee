// WebAuthn L3 §7.2: every rejection step of authentication, each asserting its error code.
#include <gtest/gtest.h>

#include "core/cbor_writer.h"
#include "keyward/webauthn.h"
#include "tests/support/webauthn_test_authenticator.h"

namespace keyward::webauthn {
namespace {

using testing::AssertionSpec;
using testing::TestAuthenticator;

class AuthenticationTest : public ::testing::Test {
 protected:
  AuthenticationTest() {
    challenge_ = *NewChallenge();
    spec_.client.challenge = challenge_;
    expected_.challenge = challenge_;
    expected_.rp_id = "example.com";
    expected_.origin.origins = {"https://example.com"};
    expected_.credential_id = auth_.credential_id();
    expected_.credential_public_key = auth_.key().CoseBytes();
    expected_.allow_credentials = {auth_.credential_id()};
    expected_.prior_sign_count = 0;
  }
  Result<VerifiedAssertion> Verify() { return VerifyAssertion(auth_.Assert(spec_), expected_); }
  ErrorCode Code() {
    auto r = Verify();
    EXPECT_FALSE(r) << "expected a rejection";
    return r ? ErrorCode::kInternal : r.error().code;
  }

  TestAuthenticator auth_;
  Bytes challenge_;
  AssertionSpec spec_;
  AssertionExpectations expected_;
};

TEST_F(AuthenticationTest, VerifiesEveryAlgorithmThroughJson) {
  for (auto alg : {CoseAlgorithm::kES256, CoseAlgorithm::kES384, CoseAlgorithm::kES512,
                   CoseAlgorithm::kEdDSA, CoseAlgorithm::kEd448, CoseAlgorithm::kRS256,
                   CoseAlgorithm::kRS384, CoseAlgorithm::kRS512, CoseAlgorithm::kPS256,
                   CoseAlgorithm::kPS384, CoseAlgorithm::kPS512}) {
    TestAuthenticator a(alg);
    expected_.credential_id = a.credential_id();
    expected_.allow_credentials = {a.credential_id()};
    expected_.credential_public_key = a.key().CoseBytes();
    auto r = VerifyAuthenticationResponseJson(TestAuthenticator::ToJson(a.Assert(spec_)), expected_);
    ASSERT_TRUE(r) << CoseAlgorithmName(alg) << ": " << r.error().ToString();
    EXPECT_EQ(r->sign_count, 1u);
    EXPECT_FALSE(r->sign_count_regressed);
  }
}

TEST_F(AuthenticationTest, CredentialSelection) {
  expected_.allow_credentials = {Bytes{1, 2, 3}};
  EXPECT_EQ(Code(), ErrorCode::kCredentialNotAllowed);
  expected_.allow_credentials = {auth_.credential_id()};
  expected_.credential_id = Bytes{9, 9, 9};
  EXPECT_EQ(Code(), ErrorCode::kCredentialIdMismatch);
  expected_.credential_id = auth_.credential_id();
  auto r = auth_.Assert(spec_);
  r.id[0] ^= 1;
  EXPECT_EQ(VerifyAssertion(r, expected_).error().code, ErrorCode::kCredentialIdMismatch);
}

TEST_F(AuthenticationTest, UserHandle) {
  expected_.allow_credentials.clear();  // discoverable login
  EXPECT_EQ(Code(), ErrorCode::kUserHandleMissing);
  spec_.user_handle = Bytes{1, 2, 3, 4};
  EXPECT_EQ(Code(), ErrorCode::kInvalidArgument);  // owner's handle unknown to the caller
  expected_.user_handle = Bytes{5, 6, 7, 8};
  EXPECT_EQ(Code(), ErrorCode::kUserHandleMismatch);
  expected_.user_handle = Bytes{1, 2, 3, 4};
  auto r = Verify();
  ASSERT_TRUE(r);
  EXPECT_EQ(r->user_handle, (Bytes{1, 2, 3, 4}));
}

TEST_F(AuthenticationTest, ClientDataChecks) {
  spec_.client.type = "webauthn.create";
  EXPECT_EQ(Code(), ErrorCode::kClientDataTypeMismatch);
  spec_.client.type = "webauthn.get";
  spec_.client.challenge = *NewChallenge();
  EXPECT_EQ(Code(), ErrorCode::kChallengeMismatch);
  spec_.client.challenge = challenge_;
  spec_.client.origin = "http://example.com";
  EXPECT_EQ(Code(), ErrorCode::kOriginMismatch);
  expected_.origin.origins.push_back("http://example.com");
  EXPECT_TRUE(Verify());
  spec_.client.cross_origin = true;
  EXPECT_EQ(Code(), ErrorCode::kCrossOriginNotAllowed);
}

TEST_F(AuthenticationTest, AuthenticatorDataChecks) {
  spec_.rp_id = "evil.example";
  EXPECT_EQ(Code(), ErrorCode::kRpIdHashMismatch);
  spec_.rp_id = "example.com";
  spec_.flags = 0x00;
  EXPECT_EQ(Code(), ErrorCode::kUserNotPresent);
  spec_.flags = 0x01;
  expected_.require_user_verification = true;
  EXPECT_EQ(Code(), ErrorCode::kUserNotVerified);
  spec_.flags = 0x05;
  EXPECT_TRUE(Verify());
  expected_.require_user_verification = false;
  spec_.flags = 0x11;
  EXPECT_EQ(Code(), ErrorCode::kBackupStateInvalid);
  spec_.flags = 0x41;
  EXPECT_EQ(Code(), ErrorCode::kAuthenticatorDataMalformed);  // AT set, data missing
  spec_.flags = 0x81;
  spec_.extensions_cbor = CborWriter().Array(0).Take();
  EXPECT_EQ(Code(), ErrorCode::kExtensionDataMalformed);
  spec_.flags = 0x01;
  spec_.extensions_cbor.clear();
  auto r = auth_.Assert(spec_);
  r.authenticator_data.resize(36);
  EXPECT_EQ(VerifyAssertion(r, expected_).error().code, ErrorCode::kAuthenticatorDataMalformed);
}

TEST_F(AuthenticationTest, BackupFlags) {
  spec_.flags = 0x19;  // UP BE BS
  expected_.prior_backup_eligible = false;
  EXPECT_EQ(Code(), ErrorCode::kBackupEligibilityChanged);
  expected_.prior_backup_eligible = true;
  expected_.prior_backup_state = false;
  auto r = Verify();
  ASSERT_TRUE(r);
  EXPECT_TRUE(r->backup_state_changed);
  EXPECT_TRUE(r->flags.backup_eligible);
  EXPECT_TRUE(r->flags.backup_state);
  expected_.prior_backup_state = true;
  EXPECT_FALSE(Verify()->backup_state_changed);
}

TEST_F(AuthenticationTest, Signature) {
  spec_.corrupt_signature = true;
  EXPECT_EQ(Code(), ErrorCode::kAssertionSignatureInvalid);
  spec_.corrupt_signature = false;
  TestAuthenticator other;
  expected_.credential_public_key = other.key().CoseBytes();
  EXPECT_EQ(Code(), ErrorCode::kAssertionSignatureInvalid);
  expected_.credential_public_key = {0xa0};
  EXPECT_EQ(Code(), ErrorCode::kKeyMalformed);
  auto r = auth_.Assert(spec_);
  r.signature = {0x30, 0x00};
  expected_.credential_public_key = auth_.key().CoseBytes();
  EXPECT_EQ(VerifyAssertion(r, expected_).error().code, ErrorCode::kAssertionSignatureInvalid);
  // The signed client data is exactly what was sent: altering it breaks the signature.
  r = auth_.Assert(spec_);
  r.client_data_json.insert(r.client_data_json.size() - 1, R"(,"x":1)");
  EXPECT_EQ(VerifyAssertion(r, expected_).error().code, ErrorCode::kAssertionSignatureInvalid);
}

TEST_F(AuthenticationTest, SignCounter) {
  spec_.sign_count = 0;
  expected_.prior_sign_count = 0;
  auto zero = Verify();  // synced passkeys keep both at zero: not a clone
  ASSERT_TRUE(zero);
  EXPECT_FALSE(zero->sign_count_regressed);
  expected_.prior_sign_count = 5;
  spec_.sign_count = 5;
  EXPECT_EQ(Code(), ErrorCode::kSignCountRegression);
  spec_.sign_count = 0;
  EXPECT_EQ(Code(), ErrorCode::kSignCountRegression);
  spec_.sign_count = 4;
  EXPECT_EQ(Code(), ErrorCode::kSignCountRegression);
  expected_.sign_count_policy = SignCountPolicy::kFlag;
  auto flagged = Verify();
  ASSERT_TRUE(flagged);
  EXPECT_TRUE(flagged->sign_count_regressed);
  EXPECT_EQ(flagged->sign_count, 4u);
  expected_.sign_count_policy = SignCountPolicy::kReject;
  spec_.sign_count = 6;
  EXPECT_EQ(Verify()->sign_count, 6u);
}

TEST_F(AuthenticationTest, AppIdExtension) {
  spec_.rp_id = "https://example.com/appid.json";
  auto r = auth_.Assert(spec_);
  EXPECT_EQ(VerifyAssertion(r, expected_).error().code, ErrorCode::kRpIdHashMismatch);
  expected_.appid = "https://example.com/appid.json";
  EXPECT_EQ(VerifyAssertion(r, expected_).error().code, ErrorCode::kRpIdHashMismatch);
  r.appid_extension = true;  // the client says it used the AppID
  auto ok = VerifyAssertion(r, expected_);
  ASSERT_TRUE(ok);
  EXPECT_TRUE(ok->appid_used);
}

TEST_F(AuthenticationTest, ResponseJsonChecks) {
  std::string json = TestAuthenticator::ToJson(auth_.Assert(spec_));
  ASSERT_TRUE(VerifyAuthenticationResponseJson(json, expected_));
  std::string no_sig = json;
  no_sig.replace(no_sig.find("\"signature\""), 11, "\"signatures\"");
  EXPECT_EQ(VerifyAuthenticationResponseJson(no_sig, expected_).error().code,
            ErrorCode::kResponseMalformed);
  std::string bad_b64 = json;
  bad_b64.insert(bad_b64.find("\"authenticatorData\":\"") + 21, "*");
  EXPECT_EQ(VerifyAuthenticationResponseJson(bad_b64, expected_).error().code,
            ErrorCode::kBase64Invalid);
  std::string deep(100, '[');
  EXPECT_EQ(VerifyAuthenticationResponseJson(deep, expected_).error().code,
            ErrorCode::kJsonLimitExceeded);
}

}  // namespace
}  // namespace keyward::webauthn
