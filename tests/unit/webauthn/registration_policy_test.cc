// The registration ceremony enforces the attestation policy (keyward/attestation.h) after trust
// evaluation: ciam accepts and reports, workforce demands a trusted statement.
#include <gtest/gtest.h>

#include "attestation/trust_store.h"
#include "keyward/attestation.h"
#include "keyward/webauthn.h"
#include "tests/support/webauthn_test_authenticator.h"

namespace keyward::webauthn {
namespace {

using testing::RegistrationSpec;
using testing::TestAttestationCa;
using testing::TestAuthenticator;
using testing::TestFormat;

class RegistrationPolicyTest : public ::testing::Test {
 protected:
  RegistrationPolicyTest() {
    Bytes challenge = *NewChallenge();
    spec_.client.challenge = challenge;
    expected_.challenge = challenge;
    expected_.rp_id = "example.com";
    expected_.origin.origins = {"https://example.com"};
    store_.AddRoot(ca_.ca_cert);
  }
  void UseFullAttestation() {
    spec_.format = TestFormat::kPackedFull;
    spec_.attestation_key = &ca_.leaf_key;
    spec_.x5c = {ca_.leaf_cert};
  }
  Result<VerifiedRegistration> Verify() { return VerifyRegistration(auth_.Register(spec_), expected_); }

  TestAuthenticator auth_;
  TestAttestationCa ca_;
  attestation::TrustStore store_;
  RegistrationSpec spec_;
  RegistrationExpectations expected_;
};

TEST_F(RegistrationPolicyTest, CiamAcceptsEveryVerifiedStatement) {
  auto policy = attestation::AttestationPolicy::Ciam(&store_);
  expected_.policy = &policy;
  auto none = Verify();
  ASSERT_TRUE(none);
  EXPECT_EQ(none->trust.status, TrustStatus::kUnverified);
  UseFullAttestation();
  auto full = Verify();
  ASSERT_TRUE(full);
  EXPECT_EQ(full->trust.status, TrustStatus::kTrusted);  // the policy's store is used
}

TEST_F(RegistrationPolicyTest, WorkforceRequiresTrustedAttestation) {
  auto policy = attestation::AttestationPolicy::Workforce(store_);
  expected_.policy = &policy;
  EXPECT_EQ(Verify().error().code, ErrorCode::kAttestationTrustRequired);  // none
  spec_.format = TestFormat::kPackedSelf;
  EXPECT_EQ(Verify().error().code, ErrorCode::kAttestationTrustRequired);  // self
  UseFullAttestation();
  auto ok = Verify();
  ASSERT_TRUE(ok) << ok.error().ToString();
  EXPECT_EQ(ok->trust.status, TrustStatus::kTrusted);

  TestAttestationCa other(std::nullopt, "another root");
  attestation::TrustStore other_store;
  other_store.AddRoot(other.ca_cert);
  auto strict = attestation::AttestationPolicy::Workforce(other_store);
  expected_.policy = &strict;
  EXPECT_EQ(Verify().error().code, ErrorCode::kAttestationUntrusted);
}

TEST_F(RegistrationPolicyTest, WorkforceAaguidAllowList) {
  auto policy = attestation::AttestationPolicy::Workforce(store_);
  attestation::Aaguid allowed{};
  allowed.fill(0x11);
  policy.AllowAaguids({allowed});
  expected_.policy = &policy;
  UseFullAttestation();
  EXPECT_EQ(Verify().error().code, ErrorCode::kAaguidNotAllowed);  // AAGUID is all zero
  spec_.aaguid = allowed;
  EXPECT_TRUE(Verify());
}

}  // namespace
}  // namespace keyward::webauthn
