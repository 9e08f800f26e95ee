#include <gtest/gtest.h>

#include "attestation/android_key_description.h"
#include "tests/unit/attestation/der_builder.h"
#include "tests/unit/attestation/test_pki.h"

namespace keyward::attestation::testing {
namespace {

constexpr char kKeyDescriptionOid[] = "1.3.6.1.4.1.11129.2.1.17";

struct ListSpec {
  std::vector<uint8_t> purpose;
  std::optional<uint8_t> origin;
  bool all_applications = false;
  bool extra_tags = false;  // algorithm [2], keySize [3], ecCurve [10], creationDateTime [701]
};

Bytes AuthorizationListDer(const ListSpec& l) {
  Bytes content;
  auto add = [&](const Bytes& b) { content.insert(content.end(), b.begin(), b.end()); };
  if (!l.purpose.empty()) {
    Bytes ints;
    for (uint8_t p : l.purpose) {
      Bytes i = DerInt(p);
      ints.insert(ints.end(), i.begin(), i.end());
    }
    add(DerExplicit(1, Tlv(0x31, ints)));
  }
  if (l.extra_tags) {
    add(DerExplicit(2, DerInt(3)));
    add(DerExplicit(3, DerInt(0xff)));
    add(DerExplicit(10, DerInt(1)));
  }
  if (l.all_applications) add(DerExplicit(600, DerNull()));
  if (l.extra_tags) add(DerExplicit(701, DerInt(9)));
  if (l.origin) add(DerExplicit(702, DerInt(*l.origin)));
  return Tlv(0x30, content);
}

Bytes KeyDescriptionDer(ByteSpan challenge, const ListSpec& sw, const ListSpec& tee) {
  return DerSeq({DerInt(3), DerEnum(1), DerInt(4), DerEnum(1), DerOctets(challenge),
                 DerOctets(Bytes{}), AuthorizationListDer(sw), AuthorizationListDer(tee)});
}

class AndroidKeyTest : public ::testing::Test {
 protected:
  ListSpec GoodTee() { return ListSpec{{2}, 0, false, true}; }
  Bytes Challenge() {
    return Bytes(reg_.client_data_hash().begin(), reg_.client_data_hash().end());
  }

  void SetStatement(std::optional<Bytes> ext, EVP_PKEY* cert_key = nullptr,
                    bool corrupt_sig = false) {
    CertSpec spec;
    spec.subject = {{"CN", "Android Keystore Key"}};
    if (ext) spec.extensions.push_back({kKeyDescriptionOid, *ext, false});
    EVP_PKEY* key = cert_key ? cert_key : reg_.credential_private_key();
    Certificate leaf = MakeCert(spec, key, ca_key_.get(), &ca_);
    Bytes sig = Sign(key, reg_.AttToBeSigned());
    if (corrupt_sig) sig[sig.size() - 3] ^= 0x01;
    CborWriter w;
    w.Map(3)
        .Text("alg")
        .Int(-7)
        .Text("sig")
        .Bytes(sig)
        .Text("x5c")
        .Array(2)
        .Bytes(leaf.der())
        .Bytes(ca_.der());
    reg_.SetStatement(w.bytes());
  }

  Registration reg_;
  EvpPkeyPtr ca_key_ = GenerateEc();
  Certificate ca_ = MakeCa("Android Keystore CA (test)", ca_key_.get());
};

TEST_F(AndroidKeyTest, GenuineStatementVerifies) {
  SetStatement(KeyDescriptionDer(Challenge(), {}, GoodTee()));
  auto r = reg_.Verify("android-key");
  ASSERT_TRUE(r) << r.error().ToString();
  EXPECT_EQ(r->type, AttestationType::kBasic);
  EXPECT_EQ(r->trust_path.size(), 2u);
}

TEST_F(AndroidKeyTest, SoftwareEnforcedCountsUnlessTeeRequired) {
  SetStatement(KeyDescriptionDer(Challenge(), GoodTee(), {}));
  EXPECT_TRUE(reg_.Verify("android-key"));
  reg_.options.android_key_require_tee = true;
  EXPECT_EQ(reg_.Verify("android-key").error().code, ErrorCode::kAndroidKeyAuthorizationInvalid);
}

TEST_F(AndroidKeyTest, ChallengeMismatchRejected) {
  Bytes c = Challenge();
  c[0] ^= 1;
  SetStatement(KeyDescriptionDer(c, {}, GoodTee()));
  EXPECT_EQ(reg_.Verify("android-key").error().code, ErrorCode::kAndroidKeyChallengeMismatch);
}

TEST_F(AndroidKeyTest, AllApplicationsRejected) {
  ListSpec sw;
  sw.all_applications = true;
  SetStatement(KeyDescriptionDer(Challenge(), sw, GoodTee()));
  EXPECT_EQ(reg_.Verify("android-key").error().code, ErrorCode::kAndroidKeyAuthorizationInvalid);
}

TEST_F(AndroidKeyTest, OriginNotGeneratedRejected) {
  ListSpec tee = GoodTee();
  tee.origin = 2;  // KM_ORIGIN_IMPORTED
  SetStatement(KeyDescriptionDer(Challenge(), {}, tee));
  EXPECT_EQ(reg_.Verify("android-key").error().code, ErrorCode::kAndroidKeyAuthorizationInvalid);
}

TEST_F(AndroidKeyTest, PurposeWithoutSignRejected) {
  ListSpec tee = GoodTee();
  tee.purpose = {0, 1};  // encrypt, decrypt
  SetStatement(KeyDescriptionDer(Challenge(), {}, tee));
  EXPECT_EQ(reg_.Verify("android-key").error().code, ErrorCode::kAndroidKeyAuthorizationInvalid);
}

TEST_F(AndroidKeyTest, EmptyAuthorizationListsRejected) {
  SetStatement(KeyDescriptionDer(Challenge(), {}, {}));
  EXPECT_EQ(reg_.Verify("android-key").error().code, ErrorCode::kAndroidKeyAuthorizationInvalid);
}

TEST_F(AndroidKeyTest, MissingExtensionRejected) {
  SetStatement(std::nullopt);
  EXPECT_EQ(reg_.Verify("android-key").error().code, ErrorCode::kAndroidKeyDescriptionInvalid);
}

TEST_F(AndroidKeyTest, MalformedExtensionRejected) {
  Bytes kd = KeyDescriptionDer(Challenge(), {}, GoodTee());
  kd.push_back(0x00);  // trailing byte
  SetStatement(kd);
  EXPECT_EQ(reg_.Verify("android-key").error().code, ErrorCode::kAndroidKeyDescriptionInvalid);
}

TEST_F(AndroidKeyTest, CertificateKeyNotCredentialKeyRejected) {
  auto other = GenerateEc();
  SetStatement(KeyDescriptionDer(Challenge(), {}, GoodTee()), other.get());
  EXPECT_EQ(reg_.Verify("android-key").error().code, ErrorCode::kAttestationPublicKeyMismatch);
}

TEST_F(AndroidKeyTest, BadSignatureRejected) {
  SetStatement(KeyDescriptionDer(Challenge(), {}, GoodTee()), nullptr, /*corrupt_sig=*/true);
  EXPECT_EQ(reg_.Verify("android-key").error().code, ErrorCode::kAttestationSignatureInvalid);
}

TEST(KeyDescriptionTest, ParsesFieldsAndSkipsUnknownTags) {
  Bytes challenge(32, 0xab);
  auto kd = KeyDescription::Parse(KeyDescriptionDer(challenge, ListSpec{{2, 3}, 0, false, true},
                                                    ListSpec{{}, {}, true, false}));
  ASSERT_TRUE(kd) << kd.error().ToString();
  EXPECT_EQ(kd->attestation_version, 3);
  EXPECT_EQ(kd->attestation_challenge, challenge);
  EXPECT_EQ(kd->software_enforced.purpose, (std::vector<int64_t>{2, 3}));
  EXPECT_EQ(kd->software_enforced.origin, 0);
  EXPECT_TRUE(kd->tee_enforced.all_applications);
}

TEST(KeyDescriptionTest, RejectsUnorderedTagsAndUntaggedElements) {
  Bytes list =
      Tlv(0x30, Concat({DerExplicit(702, DerInt(0)), DerExplicit(1, DerSet({DerInt(2)}))}));
  Bytes kd = DerSeq({DerInt(3), DerEnum(1), DerInt(4), DerEnum(1), DerOctets(Bytes(32)),
                     DerOctets(Bytes{}), list, Tlv(0x30, {})});
  EXPECT_EQ(KeyDescription::Parse(kd).error().code, ErrorCode::kAndroidKeyDescriptionInvalid);
  Bytes untagged = Tlv(0x30, DerInt(2));
  Bytes kd2 = DerSeq({DerInt(3), DerEnum(1), DerInt(4), DerEnum(1), DerOctets(Bytes(32)),
                      DerOctets(Bytes{}), untagged, Tlv(0x30, {})});
  EXPECT_EQ(KeyDescription::Parse(kd2).error().code, ErrorCode::kAndroidKeyDescriptionInvalid);
  // origin holding a NULL instead of an INTEGER.
  Bytes wrong = Tlv(0x30, DerExplicit(702, DerNull()));
  Bytes kd3 = DerSeq({DerInt(3), DerEnum(1), DerInt(4), DerEnum(1), DerOctets(Bytes(32)),
                      DerOctets(Bytes{}), wrong, Tlv(0x30, {})});
  EXPECT_EQ(KeyDescription::Parse(kd3).error().code, ErrorCode::kAndroidKeyDescriptionInvalid);
}

}  // namespace
}  // namespace keyward::attestation::testing
