#include <gtest/gtest.h>

#include "core/hash.h"
#include "tests/unit/attestation/der_builder.h"
#include "tests/unit/attestation/test_pki.h"

namespace keyward::attestation::testing {
namespace {

constexpr char kNonceOid[] = "1.2.840.113635.100.8.2";

class AppleTest : public ::testing::Test {
 protected:
  Bytes NonceExtension(ByteSpan nonce) { return DerSeq({DerExplicit(1, DerOctets(nonce))}); }
  Bytes GoodNonce() {
    Sha256Digest d = Sha256(reg_.AttToBeSigned());
    return Bytes(d.begin(), d.end());
  }

  void SetStatement(std::optional<Bytes> ext, EVP_PKEY* subject_key = nullptr) {
    CertSpec spec;
    spec.subject = {{"CN", "credential"}, {"O", "Apple Inc."}};
    if (ext) spec.extensions.push_back({kNonceOid, *ext, false});
    Certificate leaf = MakeCert(spec, subject_key ? subject_key : reg_.credential_private_key(),
                                ca_key_.get(), &ca_);
    CborWriter w;
    w.Map(1).Text("x5c").Array(2).Bytes(leaf.der()).Bytes(ca_.der());
    reg_.SetStatement(w.bytes());
  }

  Registration reg_;
  EvpPkeyPtr ca_key_ = GenerateEc("P-384");
  Certificate ca_ = MakeCa("Apple WebAuthn CA (test)", ca_key_.get());
};

TEST_F(AppleTest, GenuineStatementVerifies) {
  SetStatement(NonceExtension(GoodNonce()));
  auto r = reg_.Verify("apple");
  ASSERT_TRUE(r) << r.error().ToString();
  EXPECT_EQ(r->type, AttestationType::kAnonCa);
  EXPECT_EQ(r->trust_path.size(), 2u);
}

TEST_F(AppleTest, NonceMismatchRejected) {
  Bytes nonce = GoodNonce();
  nonce[5] ^= 1;
  SetStatement(NonceExtension(nonce));
  EXPECT_EQ(reg_.Verify("apple").error().code, ErrorCode::kAttestationNonceMismatch);
}

TEST_F(AppleTest, MissingNonceExtensionRejected) {
  SetStatement(std::nullopt);
  EXPECT_EQ(reg_.Verify("apple").error().code, ErrorCode::kAttestationCertificateInvalid);
}

TEST_F(AppleTest, MalformedNonceExtensionRejected) {
  // OCTET STRING without the [1] wrapper.
  SetStatement(DerSeq({DerOctets(GoodNonce())}));
  EXPECT_EQ(reg_.Verify("apple").error().code, ErrorCode::kAttestationCertificateInvalid);
}

TEST_F(AppleTest, CertificateKeyNotCredentialKeyRejected) {
  auto other = GenerateEc();
  SetStatement(NonceExtension(GoodNonce()), other.get());
  EXPECT_EQ(reg_.Verify("apple").error().code, ErrorCode::kAttestationPublicKeyMismatch);
}

TEST_F(AppleTest, MissingX5cRejected) {
  CborWriter w;
  w.Map(0);
  reg_.SetStatement(w.bytes());
  EXPECT_EQ(reg_.Verify("apple").error().code, ErrorCode::kAttestationStatementMalformed);
}

}  // namespace
}  // namespace keyward::attestation::testing
