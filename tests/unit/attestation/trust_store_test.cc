#include "attestation/trust_store.h"

#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>

#include "attestation/metadata.h"
#include "tests/unit/attestation/test_pki.h"

namespace keyward::attestation::testing {
namespace {

namespace fs = std::filesystem;

class TrustStoreTest : public ::testing::Test {
 protected:
  TrustStoreTest() {
    CertSpec spec;
    spec.subject = {
        {"C", "AA"}, {"O", "Vendor"}, {"OU", "Authenticator Attestation"}, {"CN", "leaf"}};
    spec.serial = 77;
    leaf_ = MakeCert(spec, leaf_key_.get(), int_key_.get(), &intermediate_);
    statement_.type = AttestationType::kBasic;
    statement_.trust_path = {*leaf_, intermediate_};
    dir_ = fs::temp_directory_path() / ("keyward-trust-" + std::to_string(getpid()));
    fs::create_directories(dir_);
  }
  ~TrustStoreTest() override { fs::remove_all(dir_); }

  void Write(const fs::path& p, std::string_view data) {
    fs::create_directories(p.parent_path());
    std::ofstream(p, std::ios::binary) << data;
  }

  EvpPkeyPtr root_key_ = GenerateEc();
  Certificate root_ = MakeCa("Test Root", root_key_.get());
  EvpPkeyPtr int_key_ = GenerateEc();
  Certificate intermediate_ = MakeCa("Test Intermediate", int_key_.get(), root_key_.get(), &root_);
  EvpPkeyPtr leaf_key_ = GenerateEc();
  std::optional<Certificate> leaf_;
  StatementResult statement_;
  fs::path dir_;
};

TEST_F(TrustStoreTest, NoStoreOrNoPathIsUnverified) {
  EXPECT_EQ(EvaluateTrust(statement_, "packed", TestAaguid(), nullptr, kNow).status,
            TrustStatus::kUnverified);
  TrustStore store;
  store.AddRoot(root_);
  StatementResult self;
  self.type = AttestationType::kSelf;
  EXPECT_EQ(EvaluateTrust(self, "packed", TestAaguid(), &store, kNow).status,
            TrustStatus::kUnverified);
}

TEST_F(TrustStoreTest, ChainToRootIsTrustedAndNamesAnchor) {
  TrustStore store;
  store.AddRoot(root_);
  TrustVerdict v = EvaluateTrust(statement_, "packed", TestAaguid(), &store, kNow);
  ASSERT_EQ(v.status, TrustStatus::kTrusted);
  EXPECT_NE(v.anchor.find("Test Root"), std::string::npos);
  EXPECT_EQ(v.path.size(), 3u);
}

TEST_F(TrustStoreTest, OtherRootIsUntrustedWithChainError) {
  auto k = GenerateEc();
  TrustStore store;
  store.AddRoot(MakeCa("Other Root", k.get()));
  TrustVerdict v = EvaluateTrust(statement_, "packed", TestAaguid(), &store, kNow);
  EXPECT_EQ(v.status, TrustStatus::kUntrusted);
  ASSERT_TRUE(v.error);
  EXPECT_EQ(v.error->code, ErrorCode::kCertificateUntrusted);
}

TEST_F(TrustStoreTest, ExpiredAtVerifyTimeIsUntrusted) {
  TrustStore store;
  store.AddRoot(root_);
  TrustVerdict v =
      EvaluateTrust(statement_, "packed", TestAaguid(), &store, kNow + 2 * 365 * 86400);
  EXPECT_EQ(v.status, TrustStatus::kUntrusted);
  EXPECT_EQ(v.error->code, ErrorCode::kCertificateExpired);
}

TEST_F(TrustStoreTest, PerFormatAndPerAaguidRootsApplyOnlyThere) {
  TrustStore store;
  store.AddRootForFormat("tpm", root_);
  EXPECT_EQ(EvaluateTrust(statement_, "tpm", TestAaguid(), &store, kNow).status,
            TrustStatus::kTrusted);
  EXPECT_EQ(EvaluateTrust(statement_, "packed", TestAaguid(), &store, kNow).status,
            TrustStatus::kUnverified);
  TrustStore by_aaguid;
  by_aaguid.AddRootForAaguid(TestAaguid(), root_);
  EXPECT_EQ(EvaluateTrust(statement_, "packed", TestAaguid(), &by_aaguid, kNow).status,
            TrustStatus::kTrusted);
  EXPECT_EQ(EvaluateTrust(statement_, "packed", Aaguid{}, &by_aaguid, kNow).status,
            TrustStatus::kUnverified);
}

TEST_F(TrustStoreTest, CrlRevokingTheAttestationCertificate) {
  TrustStore store;
  store.AddRoot(root_);
  store.AddCrl(MakeCrl(intermediate_, int_key_.get(), {5, 77}));
  TrustVerdict v = EvaluateTrust(statement_, "packed", TestAaguid(), &store, kNow);
  EXPECT_EQ(v.status, TrustStatus::kUntrusted);
  EXPECT_EQ(v.error->code, ErrorCode::kCertificateRevoked);
  TrustStore clean;
  clean.AddRoot(root_);
  clean.AddCrl(MakeCrl(intermediate_, int_key_.get(), {5}));
  clean.AddCrl(MakeCrl(root_, root_key_.get(), {}));
  EXPECT_EQ(EvaluateTrust(statement_, "packed", TestAaguid(), &clean, kNow).status,
            TrustStatus::kTrusted);
}

TEST_F(TrustStoreTest, CrlSignedByWrongKeyIsRejected) {
  TrustStore store;
  store.AddRoot(root_);
  auto wrong = GenerateEc();
  store.AddCrl(MakeCrl(intermediate_, wrong.get(), {}));
  TrustVerdict v = EvaluateTrust(statement_, "packed", TestAaguid(), &store, kNow);
  EXPECT_EQ(v.status, TrustStatus::kUntrusted);
  EXPECT_EQ(v.error->code, ErrorCode::kCrlInvalid);
}

TEST_F(TrustStoreTest, LoadsTrustDirectoryLayout) {
  Write(dir_ / "README", "ignored");
  Write(dir_ / "formats" / "tpm" / "tpm-root.pem", ToPem(root_));
  Write(dir_ / "aaguids" / FormatAaguid(TestAaguid()) / "root.der", AsChars(root_.der()));
  unsigned char* der = nullptr;
  X509CrlPtr crl = MakeCrl(intermediate_, int_key_.get(), {77});
  int len = i2d_X509_CRL(crl.get(), &der);
  Write(dir_ / "crls" / "int.crl", std::string_view(reinterpret_cast<char*>(der), len));
  OPENSSL_free(der);
  TrustStore store;
  ASSERT_TRUE(store.AddDirectory(dir_.string()));
  EXPECT_EQ(store.anchor_count(), 2u);
  EXPECT_EQ(store.crls().size(), 1u);
  TrustVerdict v = EvaluateTrust(statement_, "tpm", Aaguid{}, &store, kNow);
  EXPECT_EQ(v.error->code, ErrorCode::kCertificateRevoked);
  // A broken certificate file is an error naming it.
  Write(dir_ / "broken.pem", "-----BEGIN CERTIFICATE-----\nAAAA\n-----END CERTIFICATE-----\n");
  TrustStore broken;
  EXPECT_EQ(broken.AddDirectory(dir_.string()).error().code, ErrorCode::kConfigInvalid);
  fs::remove(dir_ / "broken.pem");
  fs::create_directories(dir_ / "aaguids" / "not-an-aaguid");
  TrustStore bad_name;
  EXPECT_EQ(bad_name.AddDirectory(dir_.string()).error().code, ErrorCode::kConfigInvalid);
  TrustStore missing;
  EXPECT_EQ(missing.AddDirectory((dir_ / "nope").string()).error().code, ErrorCode::kConfigInvalid);
}

TEST_F(TrustStoreTest, VerifyChainReturnsTheCallersCertificates) {
  ChainOptions options;
  options.verify_time = kNow;
  std::vector<Certificate> intermediates = {intermediate_};
  std::vector<Certificate> anchors = {root_};
  auto chain = VerifyChain(*leaf_, intermediates, anchors, options);
  ASSERT_TRUE(chain) << chain.error().ToString();
  ASSERT_EQ(chain->path.size(), 3u);
  EXPECT_EQ(chain->path[0].get(), leaf_->get());
  EXPECT_EQ(chain->path[1].get(), intermediate_.get());
  EXPECT_EQ(chain->path[2].get(), root_.get());
  EXPECT_TRUE(std::equal(chain->path[2].der().begin(), chain->path[2].der().end(),
                         root_.der().begin(), root_.der().end()));
  // The anchors are the only trusted certificates: the intermediate alone does not chain
  // without an anchor, and a wrong anchor is untrusted.
  EvpPkeyPtr other_key = GenerateEc();
  std::vector<Certificate> other = {MakeCa("Other Root", other_key.get())};
  EXPECT_EQ(VerifyChain(*leaf_, intermediates, other, options).error().code,
            ErrorCode::kCertificateUntrusted);
  EXPECT_EQ(VerifyChain(*leaf_, {}, anchors, options).error().code,
            ErrorCode::kCertificateUntrusted);
}

TEST_F(TrustStoreTest, SharedParseIsTheSameCertificateAndStaysStrict) {
  // First sighting: parsed without the key decoder; second: parsed once more with plain
  // d2i_X509 (it repeats); from then on shared (core/x509.h).
  auto a = Certificate::ParseDerShared(leaf_->der());
  auto b = Certificate::ParseDerShared(leaf_->der());
  auto b2 = Certificate::ParseDerShared(leaf_->der());
  ASSERT_TRUE(a && b && b2);
  EXPECT_EQ(b->get(), b2->get());  // shared
  EXPECT_EQ(a->Fingerprint(), leaf_->Fingerprint());
  EXPECT_EQ(b->Fingerprint(), leaf_->Fingerprint());
  auto c = Certificate::ParseDerShared(intermediate_.der());
  ASSERT_TRUE(c);
  EXPECT_NE(c->get(), a->get());
  EXPECT_EQ(c->Fingerprint(), intermediate_.Fingerprint());
  // Trailing bytes and truncation are refused, even for bytes whose prefix is cached.
  Bytes trailing = ToBytes(leaf_->der());
  trailing.push_back(0);
  EXPECT_EQ(Certificate::ParseDerShared(trailing).error().code, ErrorCode::kCertificateMalformed);
  Bytes truncated(leaf_->der().begin(), leaf_->der().end() - 1);
  EXPECT_EQ(Certificate::ParseDerShared(truncated).error().code, ErrorCode::kCertificateMalformed);
  EXPECT_EQ(Certificate::ParseDerShared({}).error().code, ErrorCode::kCertificateMalformed);
  // More distinct certificates than the cache keeps: old entries are evicted and parse again,
  // each to its own certificate.
  std::vector<Bytes> ders;
  CertSpec spec;
  spec.subject = {{"CN", "many"}};
  for (long i = 0; i < 1100; ++i) {  // NOLINT(runtime/int)
    spec.serial = 1000 + i;
    ders.push_back(ToBytes(MakeCert(spec, leaf_key_.get(), int_key_.get(), &intermediate_).der()));
  }
  for (const Bytes& d : ders) ASSERT_TRUE(Certificate::ParseDerShared(d));
  auto first = Certificate::ParseDerShared(ders[0]);
  ASSERT_TRUE(first);
  EXPECT_TRUE(std::equal(first->der().begin(), first->der().end(), ders[0].begin(), ders[0].end()));
  EXPECT_EQ(first->SerialHex(), "03E8");
}

TEST_F(TrustStoreTest, CompoundTrustedWhenOneInnerIsTrusted) {
  TrustStore store;
  store.AddRoot(root_);
  StatementResult compound;
  StatementResult self;
  self.type = AttestationType::kSelf;
  compound.inner.push_back({"packed", self});
  compound.inner.push_back({"tpm", statement_});
  TrustVerdict v = EvaluateTrust(compound, "compound", TestAaguid(), &store, kNow);
  EXPECT_EQ(v.status, TrustStatus::kTrusted);
  EXPECT_EQ(v.inner_fmt, "tpm");
}

// A batch certificate its authenticator signs anew for every credential (Chromium's virtual
// authenticators): the anchor is the (subject, key) pair, not the bytes (trust_store.cc).
class SelfSignedBatchTest : public TrustStoreTest {
 protected:
  Certificate Batch(long serial, int64_t not_after, EVP_PKEY* signer = nullptr,  // NOLINT
                    std::vector<std::pair<std::string, std::string>> subject = {}) {
    CertSpec spec;
    spec.subject = subject.empty() ? kSubject : subject;
    spec.serial = serial;
    spec.not_after = not_after;
    return MakeCert(spec, batch_key_.get(), signer ? signer : batch_key_.get(), nullptr);
  }
  StatementResult Statement(const Certificate& leaf) {
    StatementResult s;
    s.type = AttestationType::kBasic;
    s.trust_path = {leaf};
    return s;
  }
  const std::vector<std::pair<std::string, std::string>> kSubject = {
      {"C", "US"}, {"O", "Vendor"}, {"OU", "Authenticator Attestation"}, {"CN", "Batch"}};
  EvpPkeyPtr batch_key_ = GenerateEc();
};

TEST_F(SelfSignedBatchTest, ResignedCopyIsTrustedThroughSubjectAndKey) {
  TrustStore store;
  store.AddRoot(Batch(1, kNow + 30 * 86400));
  Certificate leaf = Batch(2, kNow + 3650 * 86400);  // other bytes: serial, notAfter, signature
  TrustVerdict v = EvaluateTrust(Statement(leaf), "packed", TestAaguid(), &store, kNow);
  ASSERT_EQ(v.status, TrustStatus::kTrusted) << (v.error ? v.error->ToString() : "");
  EXPECT_NE(v.anchor.find("CN=Batch"), std::string::npos);
  ASSERT_EQ(v.path.size(), 2u);
  EXPECT_EQ(v.path[0].get(), leaf.get());
  // The exact copy stays trusted as before.
  Certificate exact = Batch(3, kNow + 86400);
  TrustStore exact_store;
  exact_store.AddRoot(exact);
  EXPECT_EQ(EvaluateTrust(Statement(exact), "packed", TestAaguid(), &exact_store, kNow).status,
            TrustStatus::kTrusted);
}

TEST_F(SelfSignedBatchTest, CaAnchorWithTheSameSubjectAndKeyServesToo) {
  CertSpec ca;
  ca.subject = kSubject;
  ca.ca = true;
  ca.not_after = kNow + 86400;
  TrustStore store;
  store.AddRoot(MakeCert(ca, batch_key_.get(), batch_key_.get(), nullptr));
  EXPECT_EQ(
      EvaluateTrust(Statement(Batch(9, kNow + 86400)), "packed", TestAaguid(), &store, kNow).status,
      TrustStatus::kTrusted);
}

TEST_F(SelfSignedBatchTest, OtherKeyOrOtherSubjectIsUntrusted) {
  TrustStore store;
  store.AddRoot(Batch(1, kNow + 86400));
  // Same subject, another key (a key substitution): untrusted.
  EvpPkeyPtr other = GenerateEc();
  CertSpec spec;
  spec.subject = kSubject;
  Certificate mimic = MakeCert(spec, other.get(), other.get(), nullptr);
  TrustVerdict v = EvaluateTrust(Statement(mimic), "packed", TestAaguid(), &store, kNow);
  EXPECT_EQ(v.status, TrustStatus::kUntrusted);
  EXPECT_EQ(v.error->code, ErrorCode::kCertificateUntrusted);
  // Same key, another subject: untrusted.
  Certificate renamed = Batch(2, kNow + 86400, nullptr, {{"CN", "Another Batch"}});
  v = EvaluateTrust(Statement(renamed), "packed", TestAaguid(), &store, kNow);
  EXPECT_EQ(v.status, TrustStatus::kUntrusted);
  EXPECT_EQ(v.error->code, ErrorCode::kCertificateUntrusted);
}

TEST_F(SelfSignedBatchTest, SelfIssuedButSignedByAnotherKeyIsUntrusted) {
  TrustStore store;
  store.AddRoot(Batch(1, kNow + 86400));
  // The anchor's subject and key, but the signature is someone else's.
  EvpPkeyPtr forger = GenerateEc();
  Certificate forged = Batch(2, kNow + 86400, forger.get());
  TrustVerdict v = EvaluateTrust(Statement(forged), "packed", TestAaguid(), &store, kNow);
  EXPECT_EQ(v.status, TrustStatus::kUntrusted);
  EXPECT_EQ(v.error->code, ErrorCode::kCertificateUntrusted);
}

TEST_F(SelfSignedBatchTest, ValidityOfLeafAndAnchorAtVerifyTime) {
  TrustStore store;
  store.AddRoot(Batch(1, kNow + 30 * 86400));
  // The leaf expired.
  TrustVerdict v =
      EvaluateTrust(Statement(Batch(2, kNow - 3600)), "packed", TestAaguid(), &store, kNow);
  EXPECT_EQ(v.status, TrustStatus::kUntrusted);
  EXPECT_EQ(v.error->code, ErrorCode::kCertificateExpired);
  // The anchor expired while the re-signed leaf claims a longer life.
  v = EvaluateTrust(Statement(Batch(3, kNow + 3650 * 86400)), "packed", TestAaguid(), &store,
                    kNow + 60 * 86400);
  EXPECT_EQ(v.status, TrustStatus::kUntrusted);
  EXPECT_EQ(v.error->code, ErrorCode::kCertificateExpired);
}

TEST_F(SelfSignedBatchTest, CrlOfTheAnchorRevokesTheLeaf) {
  Certificate anchor = Batch(1, kNow + 86400);
  TrustStore store;
  store.AddRoot(anchor);
  store.AddCrl(MakeCrl(anchor, batch_key_.get(), {42}));
  TrustVerdict v =
      EvaluateTrust(Statement(Batch(42, kNow + 86400)), "packed", TestAaguid(), &store, kNow);
  EXPECT_EQ(v.status, TrustStatus::kUntrusted);
  EXPECT_EQ(v.error->code, ErrorCode::kCertificateRevoked);
  EXPECT_EQ(EvaluateTrust(Statement(Batch(43, kNow + 86400)), "packed", TestAaguid(), &store, kNow)
                .status,
            TrustStatus::kTrusted);
}

}  // namespace
}  // namespace keyward::attestation::testing
