#include "attestation/policy.h"

#include <gtest/gtest.h>

#include "attestation/metadata.h"
#include "tests/unit/attestation/mds_blob.h"

namespace keyward::attestation::testing {
namespace {

constexpr char kAaguid[] = "6b657977-6172-642d-7465-737400000001";  // TestAaguid()

class PolicyTest : public ::testing::Test {
 protected:
  PolicyTest() {
    CertSpec spec;
    spec.subject = {{"CN", "attestation"}};
    leaf_ = MakeCert(spec, leaf_key_.get(), att_root_key_.get(), &att_root_);
    trusted_.type = AttestationType::kBasic;
    trusted_.trust_path = {*leaf_};
    self_.type = AttestationType::kSelf;
  }

  MetadataBlob Blob(const std::vector<std::pair<std::string, std::string>>& reports,
                    std::vector<std::string> types = {"basic_full"}) {
    Json entry = MdsEntry(kAaguid, "Keyward Test Key", reports, {&att_root_});
    entry["metadataStatement"]["attestationTypes"] = types;
    CertSpec spec;
    spec.subject = {{"CN", "MDS signer"}};
    Certificate signer = MakeCert(spec, mds_key_.get(), mds_key_.get(), nullptr);
    MetadataVerifyOptions o;
    o.verify_time = kNow;
    std::vector<Certificate> roots{signer};
    return *MetadataBlob::Verify(
        MakeJwt(MdsPayload(1, Json::array({entry})), mds_key_.get(), {&signer}), roots, o);
  }

  ErrorCode Check(const AttestationPolicy& p, const StatementResult& s, const TrustVerdict& v,
                  const Aaguid& aaguid = TestAaguid()) {
    auto r = CheckAttestationPolicy(p, "packed", s, v, aaguid, nullptr);
    return r ? ErrorCode::kInternal : r.error().code;  // kInternal = accepted
  }

  EvpPkeyPtr att_root_key_ = GenerateEc();
  Certificate att_root_ = MakeCa("Vendor Attestation Root", att_root_key_.get());
  EvpPkeyPtr leaf_key_ = GenerateEc();
  EvpPkeyPtr mds_key_ = GenerateEc();
  std::optional<Certificate> leaf_;
  StatementResult trusted_, self_;
};

TEST_F(PolicyTest, CiamAcceptsEveryVerifiedStatement) {
  AttestationPolicy ciam = AttestationPolicy::Ciam();
  EXPECT_FALSE(ciam.requires_trust());
  TrustVerdict unverified;
  TrustVerdict untrusted;
  untrusted.status = TrustStatus::kUntrusted;
  EXPECT_EQ(Check(ciam, self_, unverified), ErrorCode::kInternal);
  EXPECT_EQ(Check(ciam, trusted_, untrusted), ErrorCode::kInternal);
}

TEST_F(PolicyTest, WorkforceRequiresTrust) {
  TrustStore store;
  store.AddRoot(att_root_);
  AttestationPolicy wf = AttestationPolicy::Workforce(store);
  EXPECT_TRUE(wf.requires_trust());
  EXPECT_EQ(wf.trust_store(), &store);
  TrustVerdict unverified = EvaluateTrust(self_, "packed", TestAaguid(), &store, kNow);
  EXPECT_EQ(Check(wf, self_, unverified), ErrorCode::kAttestationTrustRequired);
  TrustStore other;
  auto k = GenerateEc();
  other.AddRoot(MakeCa("Other", k.get()));
  TrustVerdict untrusted = EvaluateTrust(trusted_, "packed", TestAaguid(), &other, kNow);
  EXPECT_EQ(Check(wf, trusted_, untrusted), ErrorCode::kAttestationUntrusted);
  TrustVerdict ok = EvaluateTrust(trusted_, "packed", TestAaguid(), &store, kNow);
  EXPECT_EQ(Check(wf, trusted_, ok), ErrorCode::kInternal);
}

TEST_F(PolicyTest, AaguidAllowList) {
  TrustStore store;
  store.AddRoot(att_root_);
  AttestationPolicy wf = AttestationPolicy::Workforce(store);
  wf.AllowAaguids({TestAaguid()});
  TrustVerdict ok = EvaluateTrust(trusted_, "packed", TestAaguid(), &store, kNow);
  EXPECT_EQ(Check(wf, trusted_, ok), ErrorCode::kInternal);
  Aaguid other = TestAaguid();
  other[15] = 9;
  TrustVerdict ok2 = EvaluateTrust(trusted_, "packed", other, &store, kNow);
  EXPECT_EQ(Check(wf, trusted_, ok2, other), ErrorCode::kAaguidNotAllowed);
}

TEST_F(PolicyTest, MetadataRootsTrustAndCertificationLevel) {
  MetadataBlob blob = Blob({{"FIDO_CERTIFIED_L1", "2023-01-01"}});
  TrustStore store;
  store.SetMetadata(&blob);
  TrustVerdict v = EvaluateTrust(trusted_, "packed", TestAaguid(), &store, kNow);
  ASSERT_EQ(v.status, TrustStatus::kTrusted);
  ASSERT_TRUE(v.metadata);
  EXPECT_EQ(v.metadata->description, "Keyward Test Key");
  EXPECT_EQ(v.metadata->certification_level, CertificationLevel::kL1);
  EXPECT_EQ(v.metadata->status, "FIDO_CERTIFIED_L1");

  AttestationPolicy l1 = AttestationPolicy::Workforce(blob);
  l1.RequireCertificationLevel(CertificationLevel::kL1);
  EXPECT_EQ(Check(l1, trusted_, v), ErrorCode::kInternal);
  AttestationPolicy l2 = AttestationPolicy::Workforce(blob);
  l2.RequireCertificationLevel(CertificationLevel::kL2);
  EXPECT_EQ(Check(l2, trusted_, v), ErrorCode::kMetadataCertificationInsufficient);
  // No entry for this AAGUID at all.
  Aaguid unknown{};
  unknown[0] = 1;
  TrustStore plain;
  plain.AddRoot(att_root_);
  TrustVerdict v2 = EvaluateTrust(trusted_, "packed", unknown, &plain, kNow);
  EXPECT_EQ(Check(l1, trusted_, v2, unknown), ErrorCode::kMetadataCertificationInsufficient);
}

TEST_F(PolicyTest, RevokedAuthenticatorRejectedUnderEveryPolicy) {
  MetadataBlob blob =
      Blob({{"FIDO_CERTIFIED_L1", "2023-01-01"}, {"ATTESTATION_KEY_COMPROMISE", "2024-02-01"}});
  TrustStore store;
  store.SetMetadata(&blob);
  TrustVerdict v = EvaluateTrust(trusted_, "packed", TestAaguid(), &store, kNow);
  EXPECT_TRUE(v.metadata->compromised);
  EXPECT_EQ(Check(AttestationPolicy::Ciam(&store), trusted_, v),
            ErrorCode::kMetadataAuthenticatorRevoked);
  EXPECT_EQ(Check(AttestationPolicy::Workforce(store), trusted_, v),
            ErrorCode::kMetadataAuthenticatorRevoked);
  for (const char* status : {"REVOKED", "USER_VERIFICATION_BYPASS", "USER_KEY_REMOTE_COMPROMISE",
                             "USER_KEY_PHYSICAL_COMPROMISE"}) {
    MetadataBlob b = Blob({{status, "2024-02-01"}});
    EXPECT_EQ(Check(AttestationPolicy::Workforce(b), trusted_, v),
              ErrorCode::kMetadataAuthenticatorRevoked)
        << status;
  }
}

TEST_F(PolicyTest, MetadataDeclaringAttCaRefinesBasic) {
  MetadataBlob blob = Blob({{"FIDO_CERTIFIED", "2023-01-01"}}, {"attca"});
  TrustStore store;
  store.SetMetadata(&blob);
  TrustVerdict v = EvaluateTrust(trusted_, "packed", TestAaguid(), &store, kNow);
  EXPECT_EQ(v.attestation_type, AttestationType::kAttCa);
  MetadataBlob both = Blob({{"FIDO_CERTIFIED", "2023-01-01"}}, {"basic_full", "attca"});
  store.SetMetadata(&both);
  EXPECT_FALSE(EvaluateTrust(trusted_, "packed", TestAaguid(), &store, kNow).attestation_type);
}

}  // namespace
}  // namespace keyward::attestation::testing
