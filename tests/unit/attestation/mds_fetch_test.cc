// `FetchMetadata` / `HttpGet` against a loopback HTTPS server started by the test (own TLS CA),
// serving BLOBs signed by a test MDS root whose signer names a CRL distribution point on the
// same server: fresh, unchanged, stale, rolled back, bad signature, truncated, cut short, slow,
// too large, 404, plain http, untrusted TLS, unreachable, CRL missing, signer revoked.
#include "attestation/mds_fetch.h"

#include <gtest/gtest.h>

#include <filesystem>

#include "tests/unit/attestation/mds_https.h"

namespace keyward::attestation::testing {
namespace {

namespace fs = std::filesystem;

class MdsFetchTest : public ::testing::Test {
 protected:
  MdsFetchTest()
      : dir_(fs::temp_directory_path() / ("keyward-mds-fetch-" + std::to_string(getpid()))),
        server_(MakeDir(dir_)) {
    CertSpec spec;
    spec.subject = {{"CN", "MDS signer"}};
    spec.serial = 42;
    spec.extensions = {{"2.5.29.31", CdpExtension(server_.http("root.crl")), false}};
    signer_ = MakeCert(spec, signer_key_.get(), root_key_.get(), &root_);
    server_.Put("root.crl", CrlDer(MakeCrl(root_, root_key_.get(), {}).get()));
  }
  ~MdsFetchTest() override { fs::remove_all(dir_); }

  static const fs::path& MakeDir(const fs::path& d) {
    fs::create_directories(d);
    return d;
  }

  std::string Blob(int64_t no, const std::string& next_update = "2025-02-01") {
    Json entries = Json::array({MdsEntry("6b657977-6172-642d-7465-737400000001", "Keyward Key",
                                         {{"FIDO_CERTIFIED_L1", "2023-01-01"}})});
    Json payload = MdsPayload(no, entries);
    payload["nextUpdate"] = next_update;
    return MakeJwt(payload, signer_key_.get(), {&*signer_}) + "\n";
  }

  MdsFetchOptions Options(const std::string& name) {
    MdsFetchOptions o;
    o.url = server_.https(name);
    o.store_path = (dir_ / "store" / "mds.jwt").string();
    o.roots = {root_};
    o.verify_time = kNow;
    o.http.tls_ca_file = server_.tls_ca_file();
    o.http.connect_timeout_ms = 5000;
    o.http.total_timeout_ms = 10000;
    return o;
  }

  ErrorCode FetchError(const MdsFetchOptions& o) {
    auto r = FetchMetadata(o);
    EXPECT_FALSE(r) << "fetched unexpectedly";
    return r ? ErrorCode::kInternal : r.error().code;
  }

  fs::path dir_;
  LocalHttpsServer server_;
  EvpPkeyPtr root_key_ = GenerateEc();
  Certificate root_ = MakeCa("Test MDS Root", root_key_.get());
  EvpPkeyPtr signer_key_ = GenerateEc();
  std::optional<Certificate> signer_;
};

TEST_F(MdsFetchTest, FreshBlobIsVerifiedWithItsCrlAndStored) {
  ASSERT_TRUE(server_.running());
  server_.Put("fresh.jwt", Blob(10));
  auto r = FetchMetadata(Options("fresh.jwt"));
  ASSERT_TRUE(r) << r.error().ToString();
  EXPECT_EQ(r->blob->serial(), 10);
  EXPECT_FALSE(r->unchanged);
  ASSERT_EQ(r->crl_urls.size(), 1u);
  EXPECT_EQ(r->crl_urls[0], server_.http("root.crl"));
  auto stored = MetadataBlob::LoadStored(Options("x").store_path);
  ASSERT_TRUE(stored);
  EXPECT_EQ(stored->serial(), 10);
  // The same BLOB again: verified, reported unchanged, not a rollback.
  r = FetchMetadata(Options("fresh.jwt"));
  ASSERT_TRUE(r) << r.error().ToString();
  EXPECT_TRUE(r->unchanged);
}

TEST_F(MdsFetchTest, RolledBackBlobIsRefusedAndTheStoreKept) {
  server_.Put("b11.jwt", Blob(11));
  server_.Put("b9.jwt", Blob(9));
  ASSERT_TRUE(FetchMetadata(Options("b11.jwt")));
  EXPECT_EQ(FetchError(Options("b9.jwt")), ErrorCode::kMetadataRollback);
  EXPECT_EQ(MetadataBlob::LoadStored(Options("x").store_path)->serial(), 11);
}

TEST_F(MdsFetchTest, StaleBlobIsRefused) {
  server_.Put("stale.jwt", Blob(12, "2024-12-01"));
  EXPECT_EQ(FetchError(Options("stale.jwt")), ErrorCode::kMetadataStale);
  EXPECT_FALSE(fs::exists(Options("x").store_path));
}

TEST_F(MdsFetchTest, BadSignatureIsRefused) {
  std::string jwt = Blob(13);
  jwt[jwt.size() - 5] = jwt[jwt.size() - 5] == 'A' ? 'B' : 'A';
  server_.Put("badsig.jwt", jwt);
  EXPECT_EQ(FetchError(Options("badsig.jwt")), ErrorCode::kMetadataSignatureInvalid);
}

TEST_F(MdsFetchTest, UntrustedRootIsRefused) {
  server_.Put("fresh.jwt", Blob(10));
  MdsFetchOptions o = Options("fresh.jwt");
  o.roots.clear();  // the bundled GlobalSign root: the test signer does not chain to it
  EXPECT_EQ(FetchError(o), ErrorCode::kCertificateUntrusted);
}

TEST_F(MdsFetchTest, TruncatedBlobIsMalformed) {
  std::string jwt = Blob(14);
  server_.Put("truncated.jwt", jwt.substr(0, jwt.size() / 2));
  EXPECT_EQ(FetchError(Options("truncated.jwt")), ErrorCode::kMetadataMalformed);
}

TEST_F(MdsFetchTest, TransferCutShortIsIncomplete) {
  server_.Put("cut-blob.jwt", Blob(15));
  EXPECT_EQ(FetchError(Options("cut-blob.jwt")), ErrorCode::kMetadataDownloadIncomplete);
}

TEST_F(MdsFetchTest, SlowServerTimesOut) {
  server_.Put("slow-blob.jwt", Blob(16));
  MdsFetchOptions o = Options("slow-blob.jwt");
  o.http.total_timeout_ms = 1000;
  EXPECT_EQ(FetchError(o), ErrorCode::kMetadataFetchTimeout);
}

TEST_F(MdsFetchTest, MissingBlobIsAnHttpErrorWithItsStatus) {
  auto r = FetchMetadata(Options("absent.jwt"));
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error().code, ErrorCode::kMetadataHttpError);
  EXPECT_EQ(r.error().native, 404u);
}

TEST_F(MdsFetchTest, DownloadsAreCappedWithAndWithoutContentLength) {
  server_.Put("fresh.jwt", Blob(17));
  MdsFetchOptions o = Options("fresh.jwt");
  o.http.max_bytes = 100;
  EXPECT_EQ(FetchError(o), ErrorCode::kMetadataDownloadTooLarge);
  o = Options("endless");
  o.http.max_bytes = 1 << 20;
  EXPECT_EQ(FetchError(o), ErrorCode::kMetadataDownloadTooLarge);
}

TEST_F(MdsFetchTest, PlainHttpIsRefused) {
  server_.Put("fresh.jwt", Blob(18));
  MdsFetchOptions o = Options("fresh.jwt");
  o.url = server_.http("fresh.jwt");
  EXPECT_EQ(FetchError(o), ErrorCode::kMetadataUrlInvalid);
  o.url = "ftp://localhost/fresh.jwt";
  EXPECT_EQ(FetchError(o), ErrorCode::kMetadataUrlInvalid);
}

TEST_F(MdsFetchTest, ServerNotTrustedByTheSystemStoreFailsTls) {
  server_.Put("fresh.jwt", Blob(19));
  MdsFetchOptions o = Options("fresh.jwt");
  o.http.tls_ca_file.clear();  // the system's CAs do not know the test CA
  EXPECT_EQ(FetchError(o), ErrorCode::kMetadataTlsFailed);
}

TEST_F(MdsFetchTest, UnreachableServerFails) {
  MdsFetchOptions o = Options("fresh.jwt");
  o.url = "https://localhost:1/fresh.jwt";  // nothing listens on port 1
  EXPECT_EQ(FetchError(o), ErrorCode::kMetadataFetchFailed);
}

TEST_F(MdsFetchTest, MissingCrlFailsTheDownload) {
  server_.Put("fresh.jwt", Blob(20));
  server_.Remove("root.crl");
  EXPECT_EQ(FetchError(Options("fresh.jwt")), ErrorCode::kMetadataCrlUnavailable);
  server_.Put("root.crl", "not a CRL");
  EXPECT_EQ(FetchError(Options("fresh.jwt")), ErrorCode::kMetadataCrlUnavailable);
}

TEST_F(MdsFetchTest, SignerRevokedByItsFetchedCrlIsRefused) {
  server_.Put("fresh.jwt", Blob(21));
  server_.Put("root.crl", CrlDer(MakeCrl(root_, root_key_.get(), {42}).get()));
  EXPECT_EQ(FetchError(Options("fresh.jwt")), ErrorCode::kCertificateRevoked);
}

TEST(CrlDistributionPointsTest, ReadsHttpUrisOnly) {
  EvpPkeyPtr key = GenerateEc();
  CertSpec spec;
  spec.subject = {{"CN", "x"}};
  spec.extensions = {{"2.5.29.31", CdpExtension("http://crl.example/a.crl"), false}};
  Certificate c = MakeCert(spec, key.get(), key.get(), nullptr);
  EXPECT_EQ(CrlDistributionPoints(c), std::vector<std::string>{"http://crl.example/a.crl"});
  spec.extensions = {{"2.5.29.31", CdpExtension("ldap://crl.example/a"), false}};
  EXPECT_TRUE(CrlDistributionPoints(MakeCert(spec, key.get(), key.get(), nullptr)).empty());
  EXPECT_TRUE(CrlDistributionPoints(SelfSigned(key.get(), "none")).empty());
}

}  // namespace
}  // namespace keyward::attestation::testing
