#include <gtest/gtest.h>

#include "tests/unit/attestation/test_pki.h"

namespace keyward::attestation::testing {
namespace {

class FidoU2fTest : public ::testing::Test {
 protected:
  Bytes SignatureBase() const {
    Bytes b{0x00};
    ByteSpan rp = reg_.rp_id_hash();
    b.insert(b.end(), rp.begin(), rp.end());
    b.insert(b.end(), reg_.client_data_hash().begin(), reg_.client_data_hash().end());
    b.insert(b.end(), reg_.credential_id().begin(), reg_.credential_id().end());
    b.push_back(0x04);
    b.insert(b.end(), reg_.credential_key().x.begin(), reg_.credential_key().x.end());
    b.insert(b.end(), reg_.credential_key().y.begin(), reg_.credential_key().y.end());
    return b;
  }

  void SetStatement(ByteSpan sig, std::vector<const Certificate*> x5c) {
    CborWriter w;
    w.Map(2).Text("sig").Bytes(sig).Text("x5c").Array(x5c.size());
    for (const auto* c : x5c) w.Bytes(c->der());
    reg_.SetStatement(w.bytes());
  }

  Registration reg_;
  EvpPkeyPtr att_key_ = GenerateEc();
  Certificate att_cert_ = SelfSigned(att_key_.get(), "U2F test attestation");
};

TEST_F(FidoU2fTest, GenuineStatementVerifies) {
  SetStatement(Sign(att_key_.get(), SignatureBase()), {&att_cert_});
  auto r = reg_.Verify("fido-u2f");
  ASSERT_TRUE(r) << r.error().ToString();
  EXPECT_EQ(r->type, AttestationType::kBasic);
  EXPECT_EQ(r->alg, CoseAlgorithm::kES256);
  ASSERT_EQ(r->trust_path.size(), 1u);
}

TEST_F(FidoU2fTest, SignatureOverOtherDataRejected) {
  Bytes base = SignatureBase();
  base[0] = 0x01;
  SetStatement(Sign(att_key_.get(), base), {&att_cert_});
  EXPECT_EQ(reg_.Verify("fido-u2f").error().code, ErrorCode::kAttestationSignatureInvalid);
}

TEST_F(FidoU2fTest, TwoCertificatesRejected) {
  SetStatement(Sign(att_key_.get(), SignatureBase()), {&att_cert_, &att_cert_});
  EXPECT_EQ(reg_.Verify("fido-u2f").error().code, ErrorCode::kAttestationStatementMalformed);
}

TEST_F(FidoU2fTest, NonP256CertificateKeyRejected) {
  auto key = GenerateEc("P-384");
  Certificate cert = SelfSigned(key.get(), "P-384");
  SetStatement(Sign(key.get(), SignatureBase()), {&cert});
  EXPECT_EQ(reg_.Verify("fido-u2f").error().code, ErrorCode::kAttestationCertificateInvalid);
}

TEST_F(FidoU2fTest, RsaCertificateKeyRejected) {
  auto key = GenerateRsa();
  Certificate cert = SelfSigned(key.get(), "RSA");
  SetStatement(Sign(key.get(), SignatureBase()), {&cert});
  EXPECT_EQ(reg_.Verify("fido-u2f").error().code, ErrorCode::kAttestationCertificateInvalid);
}

TEST_F(FidoU2fTest, NonP256CredentialKeyRejected) {
  auto key = GenerateEc("P-384");
  reg_.SetCredentialKey(key.get(), CoseAlgorithm::kES384);
  SetStatement(Sign(att_key_.get(), SignatureBase()), {&att_cert_});
  EXPECT_EQ(reg_.Verify("fido-u2f").error().code, ErrorCode::kAttestationPublicKeyMismatch);
}

TEST_F(FidoU2fTest, MissingSigOrX5cRejected) {
  CborWriter w;
  w.Map(1).Text("x5c").Array(1).Bytes(att_cert_.der());
  reg_.SetStatement(w.bytes());
  EXPECT_EQ(reg_.Verify("fido-u2f").error().code, ErrorCode::kAttestationStatementMalformed);
  CborWriter w2;
  w2.Map(1).Text("sig").Bytes(Sign(att_key_.get(), SignatureBase()));
  reg_.SetStatement(w2.bytes());
  EXPECT_EQ(reg_.Verify("fido-u2f").error().code, ErrorCode::kAttestationStatementMalformed);
}

}  // namespace
}  // namespace keyward::attestation::testing
