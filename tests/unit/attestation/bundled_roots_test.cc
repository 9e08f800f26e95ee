// The bundled vendor roots (attestation/data, attestation/bundled_roots.h) and how trust
// evaluation uses them by default for apple / android-key / android-safetynet statements.
#include "attestation/bundled_roots.h"

#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <map>
#include <set>
#include <sstream>

#include "attestation/trust_store.h"
#include "tests/unit/attestation/test_pki.h"

namespace keyward::attestation::testing {
namespace {

// Fingerprints as the vendors publish them (attestation/data/README.md names the sources); the
// table in bundled_roots.cc must agree with this independent copy and with the README.
const std::map<std::string, std::pair<std::string, std::string>> kPublished = {
    {"apple/apple-webauthn-root-ca.pem",
     {"apple", "0915dd5c07a28db549d1f677bb5a75d4bfbe9561a773424327762e9e02f9bb29"}},
    {"android-key/google-hardware-attestation-root-2016.pem",
     {"android-key", "c1984a3ef45c1e2a918551de10603c86f7051b2249c4891cae3230eabd0c97d5"}},
    {"android-key/google-hardware-attestation-root-2019.pem",
     {"android-key", "1ef1a04b8ba58ab94589ac498c8982a783f24ea7307e0159a0c3a73b377d87cc"}},
    {"android-key/google-hardware-attestation-root-2021.pem",
     {"android-key", "ab6641178a36e179aa0c1cdddf9a16eb45fa20943e2b8cd7c7c05c26cf8b487a"}},
    {"android-key/google-hardware-attestation-root-2022.pem",
     {"android-key", "cedb1cb6dc896ae5ec797348bce9286753c2b38ee71ce0fbe34a9a1248800dfc"}},
    {"android-key/google-key-attestation-ca1.pem",
     {"android-key", "6d9db4ce6c5c0b293166d08986e05774a8776ceb525d9e4329520de12ba4bcc0"}},
    {"android-safetynet/globalsign-root-ca.pem",
     {"android-safetynet", "ebd41040e4bb3ec742c9e381d31ef2a41a48b6685c96e7cef3c1df6cd4331c99"}},
    {"android-safetynet/globalsign-root-ca-r2.pem",
     {"android-safetynet", "69e2d06c30f366166165e91d68d1cee5cc47584a80227e76666086c0107241eb"}},
    {"android-safetynet/gts-root-r1.pem",
     {"android-safetynet", "d947432abde7b7fa90fc2e6b59101b1280e0e1c7e4e40fa3c6887fff57a7f4cf"}},
    {"mds/globalsign-root-ca-r3.pem",
     {"mds", "cbb522d7b7f127ad6a0113865bdf1cd4102e7d0759af635a7cf4720dc963c53b"}},
};

std::string ReadSource(const std::string& rel) {
  std::ifstream in(std::string(KEYWARD_SOURCE_DIR) + "/" + rel);
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

TEST(BundledRootsTest, EveryRootParsesIsSelfSignedAndHasItsPublishedFingerprint) {
  auto roots = BundledRoots();
  ASSERT_TRUE(roots) << roots.error().ToString();
  ASSERT_EQ(roots->size(), kPublished.size());
  std::string readme = ReadSource("attestation/data/README.md");
  for (const BundledRoot& r : *roots) {
    auto it = kPublished.find(std::string(r.file));
    ASSERT_NE(it, kPublished.end()) << r.file;
    EXPECT_EQ(r.purpose, it->second.first) << r.file;
    EXPECT_EQ(HexEncode(r.certificate.Fingerprint()), it->second.second) << r.file;
    EXPECT_NE(readme.find(it->second.second), std::string::npos) << r.file << " not in README";
    EXPECT_NE(readme.find(std::string(r.file)), std::string::npos) << r.file << " not in README";
    // The file in the tree is the one embedded.
    auto from_tree = Certificate::ParsePem(ReadSource("attestation/data/" + std::string(r.file)));
    ASSERT_TRUE(from_tree && from_tree->size() == 1) << r.file;
    EXPECT_EQ(HexEncode(from_tree->front().Fingerprint()), it->second.second) << r.file;
    // A root: issuer = subject, its own signature verifies, a CA.
    EXPECT_EQ(r.certificate.Subject(), r.certificate.Issuer()) << r.file;
    EXPECT_EQ(X509_verify(r.certificate.get(), r.certificate.public_key()), 1) << r.file;
    EXPECT_EQ(r.certificate.IsCa().value_or(false), true) << r.file;
    ChainOptions at_start;
    at_start.verify_time = *r.certificate.NotBefore() + 86400;
    EXPECT_TRUE(VerifyChain(r.certificate, {}, std::span(&r.certificate, 1), at_start)) << r.file;
  }
}

TEST(BundledRootsTest, SubjectsAndValidityAreTheVendorsOnes) {
  auto roots = BundledRoots();
  ASSERT_TRUE(roots);
  std::map<std::string, std::string> subject_by_file;
  std::map<std::string, int64_t> not_after;
  for (const BundledRoot& r : *roots) {
    subject_by_file[std::string(r.file)] = r.certificate.Subject();
    not_after[std::string(r.file)] = *r.certificate.NotAfter();
  }
  EXPECT_EQ(subject_by_file["apple/apple-webauthn-root-ca.pem"],
            "ST=California,O=Apple Inc.,CN=Apple WebAuthn Root CA");
  EXPECT_EQ(subject_by_file["android-key/google-key-attestation-ca1.pem"],
            "C=US,O=Google LLC,OU=Android,CN=Key Attestation CA1");
  EXPECT_EQ(subject_by_file["android-key/google-hardware-attestation-root-2022.pem"],
            "serialNumber=f92009e853b6b045");
  EXPECT_EQ(subject_by_file["android-safetynet/gts-root-r1.pem"],
            "CN=GTS Root R1,O=Google Trust Services LLC,C=US");
  EXPECT_EQ(subject_by_file["mds/globalsign-root-ca-r3.pem"],
            "CN=GlobalSign,O=GlobalSign,OU=GlobalSign Root CA - R3");
  EXPECT_EQ(not_after["apple/apple-webauthn-root-ca.pem"], 2373148800);  // 2045-03-15
  EXPECT_EQ(not_after["mds/globalsign-root-ca-r3.pem"], 1868522400);     // 2029-03-18T10:00Z
  EXPECT_EQ(not_after["android-key/google-key-attestation-ca1.pem"],
            2068151538);  // 2035-07-15T22:32:18Z
}

TEST(BundledRootsTest, PurposesSelectTheirRoots) {
  EXPECT_EQ(BundledRootsFor("apple").size(), 1u);
  EXPECT_EQ(BundledRootsFor("android-key").size(), 5u);
  EXPECT_EQ(BundledRootsFor("android-safetynet").size(), 3u);
  EXPECT_EQ(BundledRootsFor("mds").size(), 1u);
  EXPECT_TRUE(BundledRootsFor("packed").empty());
  TrustStore store;
  EXPECT_EQ(store.AnchorsFor("apple", TestAaguid()).size(), 1u);
  EXPECT_TRUE(store.AnchorsFor("packed", TestAaguid()).empty());
  EXPECT_TRUE(store.AnchorsFor("mds", TestAaguid()).empty());  // not an attestation fmt
  store.SetUseBundledRoots(false);
  EXPECT_TRUE(store.AnchorsFor("apple", TestAaguid()).empty());
}

// Statements under a test PKI: the bundled roots judge apple / android chains by default.
class BundledTrustTest : public ::testing::Test {
 protected:
  BundledTrustTest() {
    CertSpec spec;
    spec.subject = {{"CN", "attestation leaf"}};
    leaf_ = MakeCert(spec, leaf_key_.get(), root_key_.get(), &root_);
    statement_.type = AttestationType::kAnonCa;
    statement_.trust_path = {*leaf_};
  }
  StatementResult WithValidity(int64_t not_before, int64_t not_after) {
    CertSpec spec;
    spec.subject = {{"CN", "attestation leaf"}};
    spec.not_before = not_before;
    spec.not_after = not_after;
    StatementResult s;
    s.type = AttestationType::kAnonCa;
    s.trust_path = {MakeCert(spec, leaf_key_.get(), root_key_.get(), &root_)};
    return s;
  }
  EvpPkeyPtr root_key_ = GenerateEc();
  Certificate root_ = MakeCa("Test Vendor Root", root_key_.get());
  EvpPkeyPtr leaf_key_ = GenerateEc();
  std::optional<Certificate> leaf_;
  StatementResult statement_;
};

TEST_F(BundledTrustTest, WrongRootIsUntrustedAgainstTheBundledRoots) {
  for (const char* fmt : {"apple", "android-key", "android-safetynet"}) {
    TrustVerdict v = EvaluateTrust(statement_, fmt, TestAaguid(), nullptr, kNow);
    EXPECT_EQ(v.status, TrustStatus::kUntrusted) << fmt;
    ASSERT_TRUE(v.error) << fmt;
    EXPECT_EQ(v.error->code, ErrorCode::kCertificateUntrusted) << fmt;
    TrustStore operator_store;  // an operator store keeps the bundled roots by default
    v = EvaluateTrust(statement_, fmt, TestAaguid(), &operator_store, kNow);
    EXPECT_EQ(v.status, TrustStatus::kUntrusted) << fmt;
  }
  // Formats the bundle does not serve are not judged by it.
  EXPECT_EQ(EvaluateTrust(statement_, "packed", TestAaguid(), nullptr, kNow).status,
            TrustStatus::kUnverified);
}

TEST_F(BundledTrustTest, TurnedOffTheyJudgeNothing) {
  TrustStore store;
  store.SetUseBundledRoots(false);
  EXPECT_EQ(EvaluateTrust(statement_, "apple", TestAaguid(), &store, kNow).status,
            TrustStatus::kUnverified);
}

TEST_F(BundledTrustTest, OperatorRootsAddToThem) {
  TrustStore store;
  store.AddRootForFormat("apple", root_);
  TrustVerdict v = EvaluateTrust(statement_, "apple", TestAaguid(), &store, kNow);
  EXPECT_EQ(v.status, TrustStatus::kTrusted);
  EXPECT_EQ(v.anchor, root_.Subject());
  EXPECT_EQ(store.AnchorsFor("apple", TestAaguid()).size(), 2u);
}

TEST_F(BundledTrustTest, ChainErrorsAtTheVerificationTime) {
  TrustStore store;
  store.AddRootForFormat("android-key", root_);
  StatementResult expired = WithValidity(kNow - 10 * 86400, kNow - 86400);
  TrustVerdict v = EvaluateTrust(expired, "android-key", TestAaguid(), &store, kNow);
  EXPECT_EQ(v.status, TrustStatus::kUntrusted);
  ASSERT_TRUE(v.error);
  EXPECT_EQ(v.error->code, ErrorCode::kCertificateExpired);
  // The same chain at a time inside its validity is trusted: the verification time decides.
  EXPECT_EQ(EvaluateTrust(expired, "android-key", TestAaguid(), &store, kNow - 2 * 86400).status,
            TrustStatus::kTrusted);
  StatementResult future = WithValidity(kNow + 86400, kNow + 10 * 86400);
  v = EvaluateTrust(future, "android-key", TestAaguid(), &store, kNow);
  ASSERT_TRUE(v.error);
  EXPECT_EQ(v.error->code, ErrorCode::kCertificateNotYetValid);
}

TEST(BundledRootsTest, ARootOutsideItsValidityFailsAtThatTime) {
  // GlobalSign Root CA - R2 expired 2021-12-15: a path to it after that is expired.
  auto r2 = BundledRootsFor("android-safetynet");
  const Certificate* root = nullptr;
  for (const auto& c : r2) {
    if (c.Subject().find("R2") != std::string::npos) root = &c;
  }
  ASSERT_NE(root, nullptr);
  ChainOptions after;
  after.verify_time = *root->NotAfter() + 1;
  auto chain = VerifyChain(*root, {}, std::span(root, 1), after);
  ASSERT_FALSE(chain);
  EXPECT_EQ(chain.error().code, ErrorCode::kCertificateExpired);
}

// A real RKP chain from Google's android/keyattestation test data (tests/data/vendor): the
// bundled "Key Attestation CA1" anchors it while its short-lived intermediates are valid.
TEST(BundledRootsTest, KeyAttestationCa1AnchorsARealRkpChain) {
  std::ifstream in(std::string(KEYWARD_TEST_DATA_DIR) +
                   "/vendor/android-keyattestation-tegu-sdk36-TEE_EC_2026_ROOT.pem");
  std::stringstream ss;
  ss << in.rdbuf();
  auto chain = Certificate::ParsePem(ss.str());
  ASSERT_TRUE(chain) << chain.error().ToString();
  ASSERT_EQ(chain->size(), 5u);
  StatementResult s;
  s.type = AttestationType::kBasic;
  s.trust_path.assign(chain->begin(), chain->end() - 1);  // what a device sends, root left out
  const int64_t march_2026 = 1772323200;                  // 2026-03-01T00:00:00Z
  TrustVerdict v = EvaluateTrust(s, "android-key", Aaguid{}, nullptr, march_2026);
  ASSERT_EQ(v.status, TrustStatus::kTrusted) << (v.error ? v.error->ToString() : "");
  EXPECT_EQ(v.anchor, "C=US,O=Google LLC,OU=Android,CN=Key Attestation CA1");
  EXPECT_EQ(HexEncode(v.path.back().Fingerprint()),
            "6d9db4ce6c5c0b293166d08986e05774a8776ceb525d9e4329520de12ba4bcc0");
  // Droid CA3 expired 2026-04-30, the TEE intermediate on 2026-03-08.
  v = EvaluateTrust(s, "android-key", Aaguid{}, nullptr, march_2026 + 31 * 86400);
  ASSERT_TRUE(v.error);
  EXPECT_EQ(v.error->code, ErrorCode::kCertificateExpired);
  // Before the root was made: not yet valid.
  v = EvaluateTrust(s, "android-key", Aaguid{}, nullptr, 1735689600);
  ASSERT_TRUE(v.error);
  EXPECT_EQ(v.error->code, ErrorCode::kCertificateNotYetValid);
  // Without the bundled roots nothing anchors it.
  TrustStore none;
  none.SetUseBundledRoots(false);
  EXPECT_EQ(EvaluateTrust(s, "android-key", Aaguid{}, &none, march_2026).status,
            TrustStatus::kUnverified);
}

}  // namespace
}  // namespace keyward::attestation::testing
