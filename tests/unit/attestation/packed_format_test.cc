// packed (WebAuthn L3 §8.2) x5c statements whose attestation certificate carries the
// BasicConstraints encoding Chromium's virtual authenticator emitted (extnValue
// 30 03 01 01 00: cA FALSE written out although DER omits a DEFAULT value, X.690 §11.5), beside
// the encodings that must still be refused. Trust is evaluated on the same certificates, so the
// leniency is shown not to loosen signatures or validity.
#include <gtest/gtest.h>

#include "attestation/trust_store.h"
#include "tests/unit/attestation/test_pki.h"

namespace keyward::attestation::testing {
namespace {

constexpr char kBasicConstraints[] = "2.5.29.19";

class PackedBasicConstraintsTest : public ::testing::Test {
 protected:
  // An attestation certificate issued by root_ with basicConstraints extnValue `bc` (none when
  // empty), and the statement signed by it (or by `signer` when given).
  Certificate Issue(const Bytes& bc, bool critical = false, int64_t not_after = kNow + 86400) {
    CertSpec spec;
    spec.subject = {
        {"C", "US"}, {"O", "Chromium"}, {"OU", "Authenticator Attestation"}, {"CN", "Batch"}};
    spec.ca = std::nullopt;
    spec.not_after = not_after;
    if (!bc.empty()) spec.extensions.push_back({kBasicConstraints, bc, critical});
    return MakeCert(spec, att_key_.get(), root_key_.get(), &root_);
  }
  void SetStatement(const Certificate& cert, EVP_PKEY* signer = nullptr) {
    Bytes sig = Sign(signer ? signer : att_key_.get(), reg_.AttToBeSigned());
    CborWriter w;
    w.Map(3).Text("alg").Int(-7).Text("sig").Bytes(sig).Text("x5c").Array(1).Bytes(cert.der());
    reg_.SetStatement(w.bytes());
  }
  TrustVerdict Trust(const StatementResult& r) {
    TrustStore store;
    store.AddRoot(root_);
    return EvaluateTrust(r, "packed", TestAaguid(), &store, kNow);
  }

  Registration reg_;
  EvpPkeyPtr root_key_ = GenerateEc();
  Certificate root_ = MakeCa("Test Root", root_key_.get());
  EvpPkeyPtr att_key_ = GenerateEc();
};

TEST_F(PackedBasicConstraintsTest, ChromiumExplicitCaFalseIsAcceptedAndTrusted) {
  Certificate cert = Issue({0x30, 0x03, 0x01, 0x01, 0x00});
  ASSERT_EQ(cert.IsCa(), std::optional<bool>(false));
  SetStatement(cert);
  auto r = reg_.Verify("packed");
  ASSERT_TRUE(r) << r.error().ToString();
  EXPECT_EQ(r->type, AttestationType::kBasic);
  TrustVerdict v = Trust(*r);
  EXPECT_EQ(v.status, TrustStatus::kTrusted) << (v.error ? v.error->ToString() : "");
}

TEST_F(PackedBasicConstraintsTest, CriticalChromiumEncodingIsAcceptedToo) {
  SetStatement(Issue({0x30, 0x03, 0x01, 0x01, 0x00}, /*critical=*/true));
  auto r = reg_.Verify("packed");
  ASSERT_TRUE(r) << r.error().ToString();
  EXPECT_EQ(Trust(*r).status, TrustStatus::kTrusted);
}

TEST_F(PackedBasicConstraintsTest, DerCaFalseIsAccepted) {
  SetStatement(Issue({0x30, 0x00}));  // the DER form: empty SEQUENCE
  auto r = reg_.Verify("packed");
  ASSERT_TRUE(r) << r.error().ToString();
  EXPECT_EQ(Trust(*r).status, TrustStatus::kTrusted);
}

TEST_F(PackedBasicConstraintsTest, CaTrueIsRejected) {
  SetStatement(Issue({0x30, 0x03, 0x01, 0x01, 0xff}));
  EXPECT_EQ(reg_.Verify("packed").error().code, ErrorCode::kAttestationCertificateInvalid);
}

TEST_F(PackedBasicConstraintsTest, BerTrueIsStillTrue) {
  // BER allows any non-zero octet for TRUE; leniency must never read it as false.
  SetStatement(Issue({0x30, 0x03, 0x01, 0x01, 0x01}));
  EXPECT_EQ(reg_.Verify("packed").error().code, ErrorCode::kAttestationCertificateInvalid);
}

TEST_F(PackedBasicConstraintsTest, CaTrueWithPathLenIsRejected) {
  SetStatement(Issue({0x30, 0x06, 0x01, 0x01, 0xff, 0x02, 0x01, 0x00}));
  EXPECT_EQ(reg_.Verify("packed").error().code, ErrorCode::kAttestationCertificateInvalid);
}

TEST_F(PackedBasicConstraintsTest, AbsentBasicConstraintsIsRejected) {
  SetStatement(Issue({}));
  EXPECT_EQ(reg_.Verify("packed").error().code, ErrorCode::kAttestationCertificateInvalid);
}

TEST_F(PackedBasicConstraintsTest, UndecodableBasicConstraintsIsRejected) {
  for (const Bytes& bc :
       {Bytes{0x30, 0x03, 0x01, 0x01}, Bytes{0x04, 0x01, 0x00}, Bytes{0x30, 0x02, 0x05, 0x00},
        Bytes{0x31, 0x00}, Bytes{0x30, 0x03, 0x01, 0x02, 0x00}}) {
    SetStatement(Issue(bc));
    auto r = reg_.Verify("packed");
    ASSERT_FALSE(r) << HexEncode(bc);
    EXPECT_EQ(r.error().code, ErrorCode::kAttestationCertificateInvalid) << HexEncode(bc);
  }
}

TEST_F(PackedBasicConstraintsTest, ChromiumFormWithPathLenIsTheSameDefect) {
  // cA FALSE written out before a pathLenConstraint: the same single defect.
  SetStatement(Issue({0x30, 0x06, 0x01, 0x01, 0x00, 0x02, 0x01, 0x00}));
  auto r = reg_.Verify("packed");
  ASSERT_TRUE(r) << r.error().ToString();
}

TEST_F(PackedBasicConstraintsTest, OtherNonDerEncodingsAreRejected) {
  // Leniency is bounded to the explicit FALSE: other BER-isms OpenSSL may tolerate are refused.
  for (const Bytes& bc : {Bytes{0x30, 0x81, 0x00},                          // long-form length
                          Bytes{0x30, 0x81, 0x03, 0x01, 0x01, 0x00},        // ... with FALSE
                          Bytes{0x30, 0x04, 0x02, 0x02, 0x00, 0x00},        // padded INTEGER
                          Bytes{0x30, 0x05, 0x01, 0x01, 0x00, 0x05, 0x00},  // trailing NULL
                          Bytes{0x30, 0x00, 0x00}}) {                       // trailing byte
    SetStatement(Issue(bc));
    auto r = reg_.Verify("packed");
    ASSERT_FALSE(r) << HexEncode(bc);
    EXPECT_EQ(r.error().code, ErrorCode::kAttestationCertificateInvalid) << HexEncode(bc);
  }
}

TEST_F(PackedBasicConstraintsTest, LeniencyDoesNotLoosenSignatureOrValidity) {
  Certificate cert = Issue({0x30, 0x03, 0x01, 0x01, 0x00});
  EvpPkeyPtr other = GenerateEc();
  SetStatement(cert, other.get());
  EXPECT_EQ(reg_.Verify("packed").error().code, ErrorCode::kAttestationSignatureInvalid);

  Certificate expired = Issue({0x30, 0x03, 0x01, 0x01, 0x00}, false, kNow - 60);
  SetStatement(expired);
  auto r = reg_.Verify("packed");
  ASSERT_TRUE(r) << r.error().ToString();
  TrustVerdict v = Trust(*r);
  EXPECT_EQ(v.status, TrustStatus::kUntrusted);
  ASSERT_TRUE(v.error);
  EXPECT_EQ(v.error->code, ErrorCode::kCertificateExpired);

  // Signed by a key that is not the root's: the chain does not verify.
  EvpPkeyPtr rogue = GenerateEc();
  CertSpec spec;
  spec.subject = {{"C", "US"}, {"O", "Chromium"}, {"OU", "Authenticator Attestation"}, {"CN", "B"}};
  spec.ca = std::nullopt;
  spec.extensions.push_back({kBasicConstraints, {0x30, 0x03, 0x01, 0x01, 0x00}, false});
  Certificate forged = MakeCert(spec, att_key_.get(), rogue.get(), &root_);
  SetStatement(forged);
  r = reg_.Verify("packed");
  ASSERT_TRUE(r) << r.error().ToString();
  v = Trust(*r);
  EXPECT_EQ(v.status, TrustStatus::kUntrusted);
}

}  // namespace
}  // namespace keyward::attestation::testing
