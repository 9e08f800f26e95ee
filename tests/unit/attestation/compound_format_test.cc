#include <gtest/gtest.h>

#include "core/hash.h"
#include "tests/unit/attestation/der_builder.h"
#include "tests/unit/attestation/test_pki.h"

namespace keyward::attestation::testing {
namespace {

class CompoundTest : public ::testing::Test {
 protected:
  // packed self attestation
  void PackedSelf(CborWriter& w, bool corrupt = false) {
    Bytes sig = Sign(reg_.credential_private_key(), reg_.AttToBeSigned());
    if (corrupt) sig[sig.size() - 2] ^= 1;
    w.Map(2)
        .Text("fmt")
        .Text("packed")
        .Text("attStmt")
        .Map(2)
        .Text("alg")
        .Int(-7)
        .Text("sig")
        .Bytes(sig);
  }
  // apple anonymous attestation
  void Apple(CborWriter& w) {
    Sha256Digest d = Sha256(reg_.AttToBeSigned());
    CertSpec spec;
    spec.subject = {{"CN", "credential"}};
    spec.extensions.push_back(
        {"1.2.840.113635.100.8.2", DerSeq({DerExplicit(1, DerOctets(d))}), false});
    Certificate leaf = MakeCert(spec, reg_.credential_private_key(), ca_key_.get(), &ca_);
    w.Map(2).Text("fmt").Text("apple").Text("attStmt").Map(1).Text("x5c").Array(1).Bytes(
        leaf.der());
  }

  Registration reg_;
  EvpPkeyPtr ca_key_ = GenerateEc();
  Certificate ca_ = MakeCa("Apple (test)", ca_key_.get());
};

TEST_F(CompoundTest, EveryInnerStatementVerified) {
  CborWriter w;
  w.Array(2);
  PackedSelf(w);
  Apple(w);
  reg_.SetStatement(w.bytes());
  auto r = reg_.Verify("compound");
  ASSERT_TRUE(r) << r.error().ToString();
  ASSERT_EQ(r->inner.size(), 2u);
  EXPECT_EQ(r->inner[0].fmt, "packed");
  EXPECT_EQ(r->inner[0].result.type, AttestationType::kSelf);
  EXPECT_EQ(r->inner[1].result.type, AttestationType::kAnonCa);
}

TEST_F(CompoundTest, OneBadInnerStatementFailsTheWhole) {
  CborWriter w;
  w.Array(2);
  PackedSelf(w, /*corrupt=*/true);
  Apple(w);
  reg_.SetStatement(w.bytes());
  EXPECT_EQ(reg_.Verify("compound").error().code, ErrorCode::kAttestationSignatureInvalid);
}

TEST_F(CompoundTest, StructuralDefectsRejected) {
  CborWriter one;
  one.Array(1);
  PackedSelf(one);
  reg_.SetStatement(one.bytes());
  EXPECT_EQ(reg_.Verify("compound").error().code, ErrorCode::kAttestationStatementMalformed);

  CborWriter nested;
  nested.Array(2);
  PackedSelf(nested);
  nested.Map(2).Text("fmt").Text("compound").Text("attStmt").Array(0);
  reg_.SetStatement(nested.bytes());
  EXPECT_EQ(reg_.Verify("compound").error().code, ErrorCode::kAttestationStatementMalformed);

  CborWriter unknown;
  unknown.Array(2);
  PackedSelf(unknown);
  unknown.Map(2).Text("fmt").Text("x-vendor").Text("attStmt").Map(0);
  reg_.SetStatement(unknown.bytes());
  EXPECT_EQ(reg_.Verify("compound").error().code, ErrorCode::kAttestationFormatUnsupported);

  CborWriter map;
  map.Map(0);
  reg_.SetStatement(map.bytes());
  EXPECT_EQ(reg_.Verify("compound").error().code, ErrorCode::kAttestationStatementMalformed);
}

}  // namespace
}  // namespace keyward::attestation::testing
