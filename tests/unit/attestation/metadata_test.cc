#include "attestation/metadata.h"

#include <gtest/gtest.h>
#include <unistd.h>

#include <filesystem>

#include "attestation/policy.h"
#include "attestation/trust_store.h"
#include "tests/unit/attestation/mds_blob.h"

namespace keyward::attestation::testing {
namespace {

constexpr char kAaguid[] = "6b657977-6172-642d-7465-737400000001";  // TestAaguid()

class MetadataTest : public ::testing::Test {
 protected:
  MetadataTest() {
    CertSpec spec;
    spec.subject = {{"CN", "Metadata signer"}};
    spec.serial = 9;
    signer_ = MakeCert(spec, signer_key_.get(), root_key_.get(), &root_);
    spec.not_after = kNow - 86400;
    spec.not_before = kNow - 400 * 86400;
    expired_signer_ = MakeCert(spec, signer_key_.get(), root_key_.get(), &root_);
  }

  Json Entries() {
    return Json::array({MdsEntry(
        kAaguid, "Keyward Test Key",
        {{"FIDO_CERTIFIED_L1", "2023-01-01"}, {"FIDO_CERTIFIED_L2", "2024-01-01"}}, {&att_root_})});
  }
  std::string Blob(int64_t no, Json entries) {
    return MakeJwt(MdsPayload(no, std::move(entries)), signer_key_.get(), {&*signer_});
  }
  // A BLOB whose nextUpdate member is `next_update` (removed when null).
  std::string BlobNextUpdate(int64_t no, const Json& next_update) {
    Json payload = MdsPayload(no, Entries());
    if (next_update.is_null()) {
      payload.erase("nextUpdate");
    } else {
      payload["nextUpdate"] = next_update;
    }
    return MakeJwt(payload, signer_key_.get(), {&*signer_});
  }
  Result<MetadataBlob> VerifyAt(std::string_view jwt, int64_t at, bool insecure_accept_stale) {
    MetadataVerifyOptions o;
    o.verify_time = at;
    o.insecure_accept_stale = insecure_accept_stale;
    std::vector<Certificate> roots{root_};
    return MetadataBlob::Verify(jwt, roots, o);
  }
  Result<MetadataBlob> Verify(std::string_view jwt, std::optional<int64_t> stored = std::nullopt) {
    MetadataVerifyOptions o;
    o.verify_time = kNow;
    o.stored_serial = stored;
    std::vector<Certificate> roots{root_};
    return MetadataBlob::Verify(jwt, roots, o);
  }

  EvpPkeyPtr root_key_ = GenerateEc();
  Certificate root_ = MakeCa("MDS Test Root", root_key_.get());
  EvpPkeyPtr signer_key_ = GenerateEc();
  std::optional<Certificate> signer_, expired_signer_;
  EvpPkeyPtr att_root_key_ = GenerateEc();
  Certificate att_root_ = MakeCa("Vendor Attestation Root", att_root_key_.get());
};

TEST_F(MetadataTest, GoodBlobVerifiesAndIndexesByAaguid) {
  auto blob = Verify(Blob(42, Entries()));
  ASSERT_TRUE(blob) << blob.error().ToString();
  EXPECT_EQ(blob->serial(), 42);
  EXPECT_EQ(blob->size(), 1u);
  const MetadataEntry* e = blob->FindByAaguid(TestAaguid());
  ASSERT_NE(e, nullptr);
  EXPECT_EQ(e->description, "Keyward Test Key");
  EXPECT_EQ(e->certification_level(), CertificationLevel::kL2);
  EXPECT_EQ(e->status(), "FIDO_CERTIFIED_L2");
  EXPECT_FALSE(e->compromised());
  ASSERT_EQ(e->roots.size(), 1u);
  EXPECT_EQ(blob->FindByAaguid(Aaguid{}), nullptr);
}

TEST_F(MetadataTest, Rs256BlobVerifies) {
  auto rsa = GenerateRsa();
  CertSpec spec;
  spec.subject = {{"CN", "RSA signer"}};
  Certificate rsa_signer = MakeCert(spec, rsa.get(), root_key_.get(), &root_);
  std::string jwt = MakeJwt(MdsPayload(1, Entries()), rsa.get(), {&rsa_signer}, false);
  EXPECT_TRUE(Verify(jwt));
}

TEST_F(MetadataTest, IndexesByAttestationCertificateKeyIdentifier) {
  auto k = GenerateEc();
  Certificate u2f = SelfSigned(k.get(), "U2F");
  Json entry = {{"attestationCertificateKeyIdentifiers", {KeyIdentifier(u2f)}},
                {"metadataStatement", {{"description", "U2F key"}}}};
  auto blob = Verify(Blob(1, Json::array({entry})));
  ASSERT_TRUE(blob);
  const MetadataEntry* e = blob->FindFor(Aaguid{}, &u2f);
  ASSERT_NE(e, nullptr);
  EXPECT_EQ(e->description, "U2F key");
}

TEST_F(MetadataTest, MalformedBlobsRejected) {
  EXPECT_EQ(Verify("not a jwt").error().code, ErrorCode::kMetadataMalformed);
  EXPECT_EQ(Verify("a.b.c").error().code, ErrorCode::kMetadataMalformed);
  Json no_entries = {{"no", 1}};
  EXPECT_EQ(Verify(MakeJwt(no_entries, signer_key_.get(), {&*signer_})).error().code,
            ErrorCode::kMetadataMalformed);
  Json bad_no = {{"no", "1"}, {"entries", Json::array()}};
  EXPECT_EQ(Verify(MakeJwt(bad_no, signer_key_.get(), {&*signer_})).error().code,
            ErrorCode::kMetadataMalformed);
  // alg none is refused.
  std::string jwt = Blob(1, Entries());
  Json header = {{"alg", "none"}, {"x5c", {Base64Encode(signer_->der())}}};
  std::string none = Base64UrlEncode(AsBytes(header.dump())) + jwt.substr(jwt.find('.'));
  EXPECT_EQ(Verify(none).error().code, ErrorCode::kMetadataMalformed);
}

TEST_F(MetadataTest, MalformedEntrySkippedUnknownFieldsIgnored) {
  Json entries = Entries();
  entries.push_back({{"aaguid", "not-a-uuid"}});
  entries.push_back({{"aaguid", kAaguid}, {"statusReports", "oops"}});
  auto blob = Verify(Blob(3, entries));
  ASSERT_TRUE(blob) << blob.error().ToString();
  EXPECT_EQ(blob->size(), 1u);
  EXPECT_EQ(blob->skipped_entries(), 2u);
}

TEST_F(MetadataTest, BadSignatureRejected) {
  std::string jwt = Blob(1, Entries());
  jwt[jwt.size() - 5] = jwt[jwt.size() - 5] == 'A' ? 'B' : 'A';
  EXPECT_EQ(Verify(jwt).error().code, ErrorCode::kMetadataSignatureInvalid);
  // Payload swapped under a valid header/signature.
  std::string other = Blob(2, Json::array());
  std::string spliced = jwt.substr(0, jwt.find('.')) +
                        other.substr(other.find('.'), other.rfind('.') - other.find('.')) +
                        jwt.substr(jwt.rfind('.'));
  EXPECT_EQ(Verify(spliced).error().code, ErrorCode::kMetadataSignatureInvalid);
}

TEST_F(MetadataTest, ExpiredOrUntrustedChainRejected) {
  std::string jwt = MakeJwt(MdsPayload(1, Entries()), signer_key_.get(), {&*expired_signer_});
  EXPECT_EQ(Verify(jwt).error().code, ErrorCode::kCertificateExpired);
  auto k = GenerateEc();
  Certificate rogue = SelfSigned(k.get(), "Rogue");
  EXPECT_EQ(Verify(MakeJwt(MdsPayload(1, Entries()), k.get(), {&rogue})).error().code,
            ErrorCode::kCertificateUntrusted);
}

TEST_F(MetadataTest, RevokedSignerRejectedWhenCrlGiven) {
  X509CrlPtr crl = MakeCrl(root_, root_key_.get(), {9});
  MetadataVerifyOptions o;
  o.verify_time = kNow;
  o.crls = {crl.get()};
  std::vector<Certificate> roots{root_};
  EXPECT_EQ(MetadataBlob::Verify(Blob(1, Entries()), roots, o).error().code,
            ErrorCode::kCertificateRevoked);
}

TEST_F(MetadataTest, RollbackRejected) {
  EXPECT_EQ(Verify(Blob(5, Entries()), 5).error().code, ErrorCode::kMetadataRollback);
  EXPECT_EQ(Verify(Blob(4, Entries()), 5).error().code, ErrorCode::kMetadataRollback);
  EXPECT_TRUE(Verify(Blob(6, Entries()), 5));
}

TEST_F(MetadataTest, ImportStoresAtomicallyAndRefusesRollback) {
  std::string path = (std::filesystem::temp_directory_path() /
                      ("keyward-mds-" + std::to_string(getpid()) + ".jwt"))
                         .string();
  std::vector<Certificate> roots{root_};
  MetadataVerifyOptions o;
  o.verify_time = kNow;
  ASSERT_TRUE(MetadataBlob::Import(Blob(10, Entries()), roots, o, path));
  auto stored = MetadataBlob::LoadStored(path);
  ASSERT_TRUE(stored);
  EXPECT_EQ(stored->serial(), 10);
  EXPECT_NE(stored->FindByAaguid(TestAaguid()), nullptr);
  EXPECT_EQ(MetadataBlob::Import(Blob(9, Entries()), roots, o, path).error().code,
            ErrorCode::kMetadataRollback);
  EXPECT_EQ(MetadataBlob::LoadStored(path)->serial(), 10);
  ASSERT_TRUE(MetadataBlob::Import(Blob(11, Entries()), roots, o, path));
  EXPECT_EQ(MetadataBlob::LoadStored(path)->serial(), 11);
  std::filesystem::remove(path);
}

TEST_F(MetadataTest, LatestStatusReportGoverns) {
  Json entries = Json::array({MdsEntry(kAaguid, "Revoked key",
                                       {{"FIDO_CERTIFIED_L1", "2023-01-01"},
                                        {"REVOKED", "2024-06-01"},
                                        {"FIDO_CERTIFIED_L2", "2022-01-01"}})});
  auto blob = Verify(Blob(1, entries));
  ASSERT_TRUE(blob);
  const MetadataEntry* e = blob->FindByAaguid(TestAaguid());
  EXPECT_TRUE(e->compromised());
  EXPECT_EQ(e->certification_level(), CertificationLevel::kNotCertified);
  Json fixed = Json::array({MdsEntry(kAaguid, "Fixed key",
                                     {{"USER_VERIFICATION_BYPASS", "2023-01-01"},
                                      {"FIDO_CERTIFIED_L1", "2022-01-01"},
                                      {"UPDATE_AVAILABLE", "2023-03-01"}})});
  auto blob2 = Verify(Blob(2, fixed));
  EXPECT_FALSE(blob2->FindByAaguid(TestAaguid())->compromised());
  EXPECT_EQ(blob2->FindByAaguid(TestAaguid())->certification_level(), CertificationLevel::kL1);
}

TEST_F(MetadataTest, StaleBlobRefusedUnlessInsecurelyAccepted) {
  // kNow is 2025-01-01T00:00:00Z. Fresh through the nextUpdate day, stale from the next midnight.
  std::string today = BlobNextUpdate(1, "2025-01-01");
  auto fresh = VerifyAt(today, kNow + 86399, false);
  ASSERT_TRUE(fresh) << fresh.error().ToString();
  EXPECT_EQ(fresh->next_update(), "2025-01-01");
  EXPECT_EQ(fresh->next_update_time(), kNow);
  EXPECT_FALSE(fresh->IsStaleAt(kNow + 86399));
  EXPECT_TRUE(fresh->IsStaleAt(kNow + 86400));
  EXPECT_EQ(VerifyAt(today, kNow + 86400, false).error().code, ErrorCode::kMetadataStale);
  std::string yesterday = BlobNextUpdate(1, "2024-12-31");
  EXPECT_EQ(VerifyAt(yesterday, kNow, false).error().code, ErrorCode::kMetadataStale);
  auto accepted = VerifyAt(yesterday, kNow, true);
  ASSERT_TRUE(accepted) << accepted.error().ToString();
  EXPECT_TRUE(accepted->IsStaleAt(kNow));
  // The insecure switch accepts staleness only: signature and chain stay checked.
  std::string tampered = yesterday;
  tampered[tampered.size() - 5] ^= 1;
  EXPECT_NE(VerifyAt(tampered, kNow, true).error().code, ErrorCode::kMetadataStale);
  EXPECT_FALSE(VerifyAt(tampered, kNow, true));
  // Leap day arithmetic.
  auto leap = VerifyAt(BlobNextUpdate(1, "2028-02-29"), kNow, false);
  ASSERT_TRUE(leap) << leap.error().ToString();
  EXPECT_EQ(leap->next_update_time(), 1835395200);  // 2028-02-29T00:00:00Z
}

TEST_F(MetadataTest, MissingOrMalformedNextUpdateRejected) {
  for (const Json& bad :
       {Json(), Json(20250201), Json("2025-02-30"), Json("2025-2-01"), Json("2025-02-01T00:00:00Z"),
        Json("2023-02-29"), Json("2025-13-01"), Json("2025-00-10"), Json("20x5-02-01"), Json("")}) {
    EXPECT_EQ(VerifyAt(BlobNextUpdate(1, bad), kNow, true).error().code,
              ErrorCode::kMetadataMalformed)
        << bad.dump();
  }
}

TEST_F(MetadataTest, ImportRefusesStaleBlobUnlessInsecurelyAccepted) {
  std::string path = (std::filesystem::temp_directory_path() /
                      ("keyward-mds-stale-" + std::to_string(getpid()) + ".jwt"))
                         .string();
  std::vector<Certificate> roots{root_};
  MetadataVerifyOptions o;
  o.verify_time = kNow;
  ASSERT_TRUE(MetadataBlob::Import(Blob(10, Entries()), roots, o, path));
  EXPECT_EQ(MetadataBlob::Import(BlobNextUpdate(11, "2024-12-31"), roots, o, path).error().code,
            ErrorCode::kMetadataStale);
  EXPECT_EQ(MetadataBlob::LoadStored(path)->serial(), 10);  // untouched
  o.insecure_accept_stale = true;
  ASSERT_TRUE(MetadataBlob::Import(BlobNextUpdate(11, "2024-12-31"), roots, o, path));
  EXPECT_EQ(MetadataBlob::LoadStored(path)->serial(), 11);
  std::filesystem::remove(path);
}

TEST_F(MetadataTest, StoredCopyConsultedAfterNextUpdateIsReportedStale) {
  std::string path = (std::filesystem::temp_directory_path() /
                      ("keyward-mds-aged-" + std::to_string(getpid()) + ".jwt"))
                         .string();
  std::vector<Certificate> roots{root_};
  MetadataVerifyOptions o;
  o.verify_time = kNow;
  ASSERT_TRUE(MetadataBlob::Import(Blob(3, Entries()), roots, o, path));  // nextUpdate 2025-02-01
  auto stored = MetadataBlob::LoadStored(path);  // reading the store never judges age
  ASSERT_TRUE(stored) << stored.error().ToString();
  std::filesystem::remove(path);

  CertSpec spec;
  spec.subject = {{"CN", "attestation"}};
  EvpPkeyPtr leaf_key = GenerateEc();
  StatementResult statement;
  statement.type = AttestationType::kBasic;
  statement.trust_path = {MakeCert(spec, leaf_key.get(), att_root_key_.get(), &att_root_)};
  TrustStore store;
  store.SetMetadata(&*stored);
  AttestationPolicy wf = AttestationPolicy::Workforce(store);

  TrustVerdict fresh = EvaluateTrust(statement, "packed", TestAaguid(), &store, kNow);
  EXPECT_EQ(fresh.status, TrustStatus::kTrusted);
  EXPECT_TRUE(CheckAttestationPolicy(wf, "packed", statement, fresh, TestAaguid(), nullptr));

  const int64_t later = kNow + 32 * 86400;  // 2025-02-02: past nextUpdate 2025-02-01
  TrustVerdict stale = EvaluateTrust(statement, "packed", TestAaguid(), &store, later);
  EXPECT_EQ(stale.status, TrustStatus::kUntrusted);
  ASSERT_TRUE(stale.error);
  EXPECT_EQ(stale.error->code, ErrorCode::kMetadataStale);
  EXPECT_FALSE(stale.metadata);
  EXPECT_EQ(
      CheckAttestationPolicy(wf, "packed", statement, stale, TestAaguid(), nullptr).error().code,
      ErrorCode::kMetadataStale);
  // Even when another anchor of the store would chain the path.
  store.AddRoot(att_root_);
  EXPECT_EQ(EvaluateTrust(statement, "packed", TestAaguid(), &store, later).error->code,
            ErrorCode::kMetadataStale);
  // Nothing to consult for self attestation: unverified, not stale.
  StatementResult self;
  self.type = AttestationType::kSelf;
  EXPECT_EQ(EvaluateTrust(self, "packed", TestAaguid(), &store, later).status,
            TrustStatus::kUnverified);
}

TEST(AaguidTextTest, RoundTrips) {
  auto a = ParseAaguid(kAaguid);
  ASSERT_TRUE(a);
  EXPECT_EQ(*a, TestAaguid());
  EXPECT_EQ(FormatAaguid(*a), kAaguid);
  EXPECT_FALSE(ParseAaguid("6b657977-6172-642d-7465-7374000000011"));
  EXPECT_FALSE(ParseAaguid("6b6579776172-642d-7465-737400000001"));
}

}  // namespace
}  // namespace keyward::attestation::testing
