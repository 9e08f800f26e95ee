// keyward/trust.h: the public TrustAnchors value (anchors, CRLs, a stored MDS BLOB) and that
// trust evaluation through its store() behaves as the store it wraps.
#include <gtest/gtest.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>

#include "attestation/metadata.h"
#include "attestation/trust_store.h"
#include "keyward/trust.h"
#include "tests/unit/attestation/mds_blob.h"
#include "tests/unit/attestation/test_pki.h"

namespace keyward::attestation::testing {
namespace {

namespace fs = std::filesystem;

constexpr char kAaguid[] = "6b657977-6172-642d-7465-737400000001";  // TestAaguid()

class TrustAnchorsTest : public ::testing::Test {
 protected:
  TrustAnchorsTest() {
    CertSpec spec;
    spec.subject = {
        {"C", "AA"}, {"O", "Vendor"}, {"OU", "Authenticator Attestation"}, {"CN", "leaf"}};
    leaf_ = MakeCert(spec, leaf_key_.get(), root_key_.get(), &root_);
    statement_.type = AttestationType::kBasic;
    statement_.trust_path = {*leaf_};
    dir_ = fs::temp_directory_path() / ("keyward-anchors-" + std::to_string(getpid()));
    fs::create_directories(dir_);
  }
  ~TrustAnchorsTest() override { fs::remove_all(dir_); }

  TrustStatus Evaluate(const TrustAnchors& a, std::string_view fmt = "packed",
                       const Aaguid& aaguid = TestAaguid()) {
    return EvaluateTrust(statement_, fmt, aaguid, &a.store(), kNow).status;
  }

  // Stores a BLOB signed by a test MDS root whose one entry makes `root_` the anchor of
  // TestAaguid(), as `keyward mds import` would.
  std::string StoredBlob(int64_t no) {
    auto mds_root_key = GenerateEc();
    Certificate mds_root = MakeCa("MDS Root", mds_root_key.get());
    auto signer_key = GenerateEc();
    CertSpec spec;
    spec.subject = {{"CN", "Metadata signer"}};
    Certificate signer = MakeCert(spec, signer_key.get(), mds_root_key.get(), &mds_root);
    Json entries = Json::array(
        {MdsEntry(kAaguid, "Keyward Test Key", {{"FIDO_CERTIFIED_L1", "2023-01-01"}}, {&root_})});
    std::string jwt = MakeJwt(MdsPayload(no, entries), signer_key.get(), {&signer});
    std::vector<Certificate> roots{mds_root};
    MetadataVerifyOptions o;
    o.verify_time = kNow;
    const std::string path = (dir_ / "mds.jwt").string();
    EXPECT_TRUE(MetadataBlob::Import(jwt, roots, o, path));
    return path;
  }

  EvpPkeyPtr root_key_ = GenerateEc();
  Certificate root_ = MakeCa("Anchor Root", root_key_.get());
  EvpPkeyPtr leaf_key_ = GenerateEc();
  std::optional<Certificate> leaf_;
  StatementResult statement_;
  fs::path dir_;
};

TEST_F(TrustAnchorsTest, EmptyValueIsTheDefaultStore) {
  TrustAnchors a;
  EXPECT_TRUE(a.store().empty());
  EXPECT_EQ(a.anchor_count(), 0u);
  EXPECT_FALSE(a.has_metadata());
  EXPECT_EQ(a.metadata_serial(), 0);
  EXPECT_EQ(a.metadata_next_update(), "");
  EXPECT_EQ(Evaluate(a), TrustStatus::kUnverified);
}

TEST_F(TrustAnchorsTest, DerRootMakesThePathTrusted) {
  TrustAnchors a;
  ASSERT_TRUE(a.AddRootDer(root_.der()));
  EXPECT_EQ(a.anchor_count(), 1u);
  EXPECT_EQ(Evaluate(a), TrustStatus::kTrusted);
}

TEST_F(TrustAnchorsTest, MalformedDerIsRefusedAndAddsNothing) {
  TrustAnchors a;
  const Bytes garbage = {0x30, 0x03, 0x02, 0x01};
  EXPECT_EQ(a.AddRootDer(garbage).error().code, ErrorCode::kCertificateMalformed);
  EXPECT_EQ(a.AddRootDerForFormat("packed", garbage).error().code,
            ErrorCode::kCertificateMalformed);
  EXPECT_EQ(a.AddRootDerForAaguid(TestAaguid(), garbage).error().code,
            ErrorCode::kCertificateMalformed);
  EXPECT_EQ(a.AddRootDerForFormat("", root_.der()).error().code, ErrorCode::kInvalidArgument);
  EXPECT_EQ(a.anchor_count(), 0u);
}

TEST_F(TrustAnchorsTest, ScopedRootsApplyOnlyToTheirFormatOrAaguid) {
  TrustAnchors by_fmt;
  ASSERT_TRUE(by_fmt.AddRootDerForFormat("tpm", root_.der()));
  EXPECT_EQ(Evaluate(by_fmt, "tpm"), TrustStatus::kTrusted);
  EXPECT_EQ(Evaluate(by_fmt, "packed"), TrustStatus::kUnverified);
  TrustAnchors by_aaguid;
  ASSERT_TRUE(by_aaguid.AddRootDerForAaguid(TestAaguid(), root_.der()));
  EXPECT_EQ(Evaluate(by_aaguid), TrustStatus::kTrusted);
  EXPECT_EQ(Evaluate(by_aaguid, "packed", Aaguid{}), TrustStatus::kUnverified);
}

TEST_F(TrustAnchorsTest, FilesDirectoriesAndCrls) {
  std::ofstream(dir_ / "root.pem") << ToPem(root_);
  TrustAnchors from_file;
  ASSERT_TRUE(from_file.AddFile((dir_ / "root.pem").string()));
  EXPECT_EQ(Evaluate(from_file), TrustStatus::kTrusted);
  TrustAnchors from_dir;
  ASSERT_TRUE(from_dir.AddDirectory(dir_.string()));
  EXPECT_EQ(from_dir.anchor_count(), 1u);
  EXPECT_EQ(from_dir.AddDirectory((dir_ / "nope").string()).error().code,
            ErrorCode::kConfigInvalid);
  EXPECT_FALSE(from_dir.AddFile((dir_ / "nope.pem").string()));
  // A CRL of the root revoking the leaf's serial (1) turns the verdict.
  X509CrlPtr crl = MakeCrl(root_, root_key_.get(), {1});
  unsigned char* der = nullptr;
  const int len = i2d_X509_CRL(crl.get(), &der);
  std::ofstream(dir_ / "root.crl", std::ios::binary).write(reinterpret_cast<const char*>(der), len);
  OPENSSL_free(der);
  ASSERT_TRUE(from_file.AddCrlFile((dir_ / "root.crl").string()));
  EXPECT_EQ(Evaluate(from_file), TrustStatus::kUntrusted);
}

TEST_F(TrustAnchorsTest, BundledRootsCanBeTurnedOff) {
  TrustAnchors a;
  EXPECT_TRUE(a.store().use_bundled_roots());
  a.SetUseBundledRoots(false);
  EXPECT_FALSE(a.store().use_bundled_roots());
}

TEST_F(TrustAnchorsTest, StoredMetadataAnchorsItsAuthenticator) {
  TrustAnchors a;
  EXPECT_EQ(Evaluate(a), TrustStatus::kUnverified);
  ASSERT_TRUE(a.LoadMetadata(StoredBlob(42)));
  EXPECT_TRUE(a.has_metadata());
  EXPECT_EQ(a.metadata_serial(), 42);
  EXPECT_EQ(a.metadata_entries(), 1u);
  EXPECT_FALSE(a.metadata_next_update().empty());
  EXPECT_FALSE(a.metadata_stale_at(kNow));
  EXPECT_TRUE(a.metadata_stale_at(kNow + 5 * 365 * 86400));
  EXPECT_EQ(a.anchor_count(), 0u);  // metadata roots are not operator anchors
  TrustVerdict v = EvaluateTrust(statement_, "packed", TestAaguid(), &a.store(), kNow);
  EXPECT_EQ(v.status, TrustStatus::kTrusted);
  ASSERT_TRUE(v.metadata);
  EXPECT_EQ(v.metadata->description, "Keyward Test Key");
}

TEST_F(TrustAnchorsTest, MetadataLoadErrorsKeepThePreviousBlob) {
  TrustAnchors a;
  ASSERT_TRUE(a.LoadMetadata(StoredBlob(7)));
  EXPECT_EQ(a.LoadMetadata((dir_ / "missing.jwt").string()).error().code, ErrorCode::kIo);
  std::ofstream(dir_ / "garbage.jwt") << "not a jwt";
  EXPECT_EQ(a.LoadMetadata((dir_ / "garbage.jwt").string()).error().code, ErrorCode::kStoreCorrupt);
  EXPECT_EQ(a.metadata_serial(), 7);
  EXPECT_EQ(Evaluate(a), TrustStatus::kTrusted);
}

TEST_F(TrustAnchorsTest, CopiesAreIndependentAndShareTheBlob) {
  TrustAnchors a;
  ASSERT_TRUE(a.LoadMetadata(StoredBlob(3)));
  TrustAnchors b = a;
  ASSERT_TRUE(b.AddRootDer(root_.der()));
  EXPECT_EQ(a.anchor_count(), 0u);
  EXPECT_EQ(b.anchor_count(), 1u);
  EXPECT_EQ(b.metadata_serial(), 3);
  EXPECT_EQ(b.store().metadata(), a.store().metadata());
  // The copy keeps the BLOB alive after the original is gone.
  TrustAnchors c;
  {
    TrustAnchors d;
    ASSERT_TRUE(d.LoadMetadata(StoredBlob(4)));
    c = d;
  }
  EXPECT_EQ(c.metadata_serial(), 4);
  EXPECT_EQ(Evaluate(c), TrustStatus::kTrusted);
}

TEST_F(TrustAnchorsTest, MovedFromValueIsEmptyButUsable) {
  TrustAnchors a;
  ASSERT_TRUE(a.AddRootDer(root_.der()));
  TrustAnchors b = std::move(a);
  EXPECT_EQ(b.anchor_count(), 1u);
  EXPECT_EQ(Evaluate(b), TrustStatus::kTrusted);
  // NOLINTNEXTLINE(bugprone-use-after-move): the documented moved-from state
  EXPECT_EQ(a.anchor_count(), 0u);
  EXPECT_TRUE(a.store().empty());
  ASSERT_TRUE(a.AddRootDer(root_.der()));
  EXPECT_EQ(Evaluate(a), TrustStatus::kTrusted);
}

}  // namespace
}  // namespace keyward::attestation::testing
