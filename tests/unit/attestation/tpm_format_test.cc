#include "attestation/tpm_format.h"

#include <gtest/gtest.h>

#include "attestation/tpm_structures.h"
#include "attestation/trust_store.h"
#include "core/hash.h"
#include "tests/unit/attestation/test_pki.h"

namespace keyward::attestation::testing {
namespace {

void U16(Bytes& b, uint16_t v) {
  b.push_back(static_cast<uint8_t>(v >> 8));
  b.push_back(static_cast<uint8_t>(v));
}
void U32(Bytes& b, uint32_t v) {
  for (int s = 24; s >= 0; s -= 8) b.push_back(static_cast<uint8_t>(v >> s));
}
void U64(Bytes& b, uint64_t v) {
  for (int s = 56; s >= 0; s -= 8) b.push_back(static_cast<uint8_t>(v >> s));
}
void Tpm2b(Bytes& b, ByteSpan v) {
  U16(b, static_cast<uint16_t>(v.size()));
  b.insert(b.end(), v.begin(), v.end());
}

// Knobs for one TPM statement, each defaulting to the genuine value.
struct TpmCase {
  CoseAlgorithm alg = CoseAlgorithm::kRS256;  // AIK signature algorithm
  bool ec_aik = false;
  bool p1363_sig = false;
  std::string ver = "2.0";
  uint32_t magic = kTpmGeneratedValue;
  uint16_t type = kTpmStAttestCertify;
  bool bad_extra_data = false;
  bool bad_name = false;
  bool corrupt_sig = false;
  bool certinfo_trailing = false;
  EVP_PKEY* pub_area_key = nullptr;  // default: the credential key
  uint32_t rsa_exponent = 0;         // pubArea exponent field (0 = default 65537)
  bool truncate_pub_area = false;
  // AIK certificate defects
  int version = 3;
  bool subject = false;
  bool san = true;
  bool san_incomplete = false;
  bool eku = true;
  std::optional<bool> ca = false;
  std::optional<Aaguid> cert_aaguid;
  bool malformed_policies = false;
};

class TpmTest : public ::testing::Test {
 protected:
  Bytes PubArea(const TpmCase& c) {
    EVP_PKEY* key = c.pub_area_key ? c.pub_area_key : reg_.credential_private_key();
    Bytes b;
    bool rsa = EVP_PKEY_is_a(key, "RSA");
    U16(b, rsa ? kTpmAlgRsa : kTpmAlgEcc);
    U16(b, kTpmAlgSha256);
    U32(b, 0x00060472);
    Tpm2b(b, {});
    U16(b, kTpmAlgNull);  // symmetric
    if (rsa) {
      U16(b, kTpmAlgNull);  // scheme
      Bytes n = RsaN(key);
      U16(b, static_cast<uint16_t>(n.size() * 8));
      U32(b, c.rsa_exponent);
      Tpm2b(b, n);
    } else {
      U16(b, 0x0018);  // TPM_ALG_ECDSA
      U16(b, kTpmAlgSha256);
      U16(b, kTpmEccNistP256);
      U16(b, kTpmAlgNull);  // kdf
      Tpm2b(b, EcX(key));
      Tpm2b(b, EcY(key));
    }
    if (c.truncate_pub_area)
      b = Bytes(b.begin(), b.begin() + static_cast<std::ptrdiff_t>(b.size() / 2));
    return b;
  }

  Bytes CertInfo(const TpmCase& c, ByteSpan pub_area) {
    Bytes b;
    U32(b, c.magic);
    U16(b, c.type);
    Tpm2b(b, Bytes(34, 0x11));  // qualifiedSigner
    Bytes extra = Digest(HashFor(c.alg), reg_.AttToBeSigned());
    if (c.bad_extra_data) extra[0] ^= 1;
    Tpm2b(b, extra);
    U64(b, 123456789);  // clock
    U32(b, 7);
    U32(b, 1);
    b.push_back(1);
    U64(b, 0x0001000200030004ULL);
    Bytes h = Digest(HashAlgorithm::kSha256, pub_area);
    Bytes name(2 + h.size());
    name[0] = static_cast<uint8_t>(kTpmAlgSha256 >> 8);
    name[1] = static_cast<uint8_t>(kTpmAlgSha256);
    std::copy(h.begin(), h.end(), name.begin() + 2);
    if (c.bad_name) name.back() ^= 1;
    Tpm2b(b, name);
    Tpm2b(b, Bytes(34, 0x22));  // qualifiedName
    if (c.certinfo_trailing) b.push_back(0);
    return b;
  }

  Certificate AikCert(const TpmCase& c, EVP_PKEY* aik_key) {
    CertSpec spec;
    spec.version = c.version;
    if (c.subject) spec.subject = {{"CN", "not empty"}};
    spec.tpm_san = c.san;
    spec.tpm_san_incomplete = c.san_incomplete;
    if (c.eku) spec.eku = {"2.23.133.8.3"};
    spec.ca = c.ca;
    if (c.cert_aaguid) {
      Bytes v(18);
      v[0] = 0x04;
      v[1] = 0x10;
      std::copy(c.cert_aaguid->begin(), c.cert_aaguid->end(), v.begin() + 2);
      spec.extensions.push_back({"1.3.6.1.4.1.45724.1.1.4", v, false});
    }
    if (c.malformed_policies) {
      // certificatePolicies whose qualifier is not valid DER for its declared type.
      spec.extensions.push_back(
          {"2.5.29.32",
           Bytes{0x30, 0x0b, 0x30, 0x09, 0x06, 0x03, 0x2a, 0x03, 0x04, 0x30, 0x02, 0x05, 0x01},
           false});
    }
    return MakeCert(spec, aik_key, ca_key_.get(), &ca_);
  }

  void Build(const TpmCase& c) {
    EVP_PKEY* aik = c.ec_aik ? ec_aik_.get() : rsa_aik_.get();
    Bytes pub_area = PubArea(c);
    Bytes cert_info = CertInfo(c, pub_area);
    const EVP_MD* md = HashFor(c.alg) == HashAlgorithm::kSha1 ? EVP_sha1() : EVP_sha256();
    Bytes sig = c.p1363_sig ? SignP1363(aik, cert_info) : Sign(aik, cert_info, md);
    if (c.corrupt_sig) sig[sig.size() / 2] ^= 0x01;
    Certificate aik_cert = AikCert(c, aik);
    CborWriter w;
    w.Map(6).Text("ver").Text(c.ver).Text("alg").Int(static_cast<int64_t>(c.alg));
    w.Text("x5c").Array(2).Bytes(aik_cert.der()).Bytes(ca_.der());
    w.Text("sig").Bytes(sig).Text("certInfo").Bytes(cert_info).Text("pubArea").Bytes(pub_area);
    reg_.SetStatement(w.bytes());
  }

  ErrorCode Code(const TpmCase& c) {
    Build(c);
    auto r = reg_.Verify("tpm");
    return r ? ErrorCode::kInternal : r.error().code;
  }

  Registration reg_{CoseAlgorithm::kRS256};
  EvpPkeyPtr ca_key_ = GenerateEc();
  Certificate ca_ = MakeCa("TPM Manufacturer CA (test)", ca_key_.get());
  EvpPkeyPtr rsa_aik_ = GenerateRsa();
  EvpPkeyPtr ec_aik_ = GenerateEc();
};

TEST_F(TpmTest, GenuineRsaStatementVerifies) {
  Build({});
  auto r = reg_.Verify("tpm");
  ASSERT_TRUE(r) << r.error().ToString();
  EXPECT_EQ(r->type, AttestationType::kAttCa);
  EXPECT_EQ(r->alg, CoseAlgorithm::kRS256);
  EXPECT_EQ(r->trust_path.size(), 2u);
  EXPECT_TRUE(r->notes.empty());
}

TEST_F(TpmTest, GenuineEccCredentialWithEcAikVerifies) {
  auto key = GenerateEc();
  reg_.SetCredentialKey(key.get(), CoseAlgorithm::kES256);
  TpmCase c;
  c.alg = CoseAlgorithm::kES256;
  c.ec_aik = true;
  Build(c);
  auto r = reg_.Verify("tpm");
  ASSERT_TRUE(r) << r.error().ToString();
  c.p1363_sig = true;  // r ‖ s form is accepted as well
  Build(c);
  EXPECT_TRUE(reg_.Verify("tpm"));
}

TEST_F(TpmTest, Rs1AcceptedOnlyWithNote) {
  TpmCase c;
  c.alg = CoseAlgorithm::kRS1;
  Build(c);
  auto r = reg_.Verify("tpm");
  ASSERT_TRUE(r) << r.error().ToString();
  ASSERT_EQ(r->notes.size(), 1u);
  EXPECT_NE(r->notes[0].find("RS1"), std::string::npos);
}

TEST_F(TpmTest, MalformedCertificatePoliciesTolerated) {
  TpmCase c;
  c.malformed_policies = true;
  Build(c);
  auto r = reg_.Verify("tpm");
  ASSERT_TRUE(r) << r.error().ToString();
  // ... and the AIK chain still validates.
  TrustStore store;
  store.AddRoot(ca_);
  TrustVerdict v = EvaluateTrust(*r, "tpm", TestAaguid(), &store, kNow);
  EXPECT_EQ(v.status, TrustStatus::kTrusted) << (v.error ? v.error->ToString() : "");
}

TEST_F(TpmTest, StatementDefectsRejected) {
  TpmCase c;
  c.ver = "1.2";
  EXPECT_EQ(Code(c), ErrorCode::kAttestationStatementMalformed);
  c = {};
  c.corrupt_sig = true;
  EXPECT_EQ(Code(c), ErrorCode::kAttestationSignatureInvalid);
}

TEST_F(TpmTest, CertInfoDefectsRejected) {
  TpmCase c;
  c.magic = 0xff544348;
  EXPECT_EQ(Code(c), ErrorCode::kTpmAttestInvalid);
  c = {};
  c.type = 0x8018;  // TPM_ST_ATTEST_QUOTE
  EXPECT_EQ(Code(c), ErrorCode::kTpmAttestInvalid);
  c = {};
  c.bad_extra_data = true;
  EXPECT_EQ(Code(c), ErrorCode::kTpmAttestInvalid);
  c = {};
  c.bad_name = true;
  EXPECT_EQ(Code(c), ErrorCode::kTpmAttestInvalid);
  c = {};
  c.certinfo_trailing = true;
  EXPECT_EQ(Code(c), ErrorCode::kTpmStructureMalformed);
}

TEST_F(TpmTest, PubAreaDefectsRejected) {
  auto other = GenerateRsa();
  TpmCase c;
  c.pub_area_key = other.get();
  EXPECT_EQ(Code(c), ErrorCode::kTpmPublicMismatch);
  c = {};
  c.rsa_exponent = 3;
  EXPECT_EQ(Code(c), ErrorCode::kTpmPublicMismatch);
  auto ec = GenerateEc();
  c = {};
  c.pub_area_key = ec.get();
  EXPECT_EQ(Code(c), ErrorCode::kTpmPublicMismatch);
  c = {};
  c.truncate_pub_area = true;
  EXPECT_EQ(Code(c), ErrorCode::kTpmStructureMalformed);
}

TEST_F(TpmTest, AikCertificateRequirementsEnforced) {
  TpmCase c;
  c.version = 1;
  c.san = false;
  c.eku = false;
  c.ca = std::nullopt;
  EXPECT_EQ(Code(c), ErrorCode::kTpmAikCertificateInvalid);
  c = {};
  c.subject = true;
  EXPECT_EQ(Code(c), ErrorCode::kTpmAikCertificateInvalid);
  c = {};
  c.san = false;
  EXPECT_EQ(Code(c), ErrorCode::kTpmAikCertificateInvalid);
  c = {};
  c.san_incomplete = true;
  EXPECT_EQ(Code(c), ErrorCode::kTpmAikCertificateInvalid);
  c = {};
  c.eku = false;
  EXPECT_EQ(Code(c), ErrorCode::kTpmAikCertificateInvalid);
  c = {};
  c.ca = true;
  EXPECT_EQ(Code(c), ErrorCode::kTpmAikCertificateInvalid);
  c = {};
  c.ca = std::nullopt;
  EXPECT_EQ(Code(c), ErrorCode::kTpmAikCertificateInvalid);
  c = {};
  c.cert_aaguid = TestAaguid();
  EXPECT_EQ(Code(c), ErrorCode::kInternal);  // matching AAGUID extension: accepted
  Aaguid other = TestAaguid();
  other[0] ^= 1;
  c.cert_aaguid = other;
  EXPECT_EQ(Code(c), ErrorCode::kAttestationAaguidMismatch);
}

TEST(TpmStructuresTest, ParsesCertifyInfoAndRejectsTruncation) {
  Bytes b;
  U32(b, kTpmGeneratedValue);
  U16(b, kTpmStAttestCertify);
  Tpm2b(b, Bytes(3, 1));
  Tpm2b(b, Bytes(32, 2));
  U64(b, 1);
  U32(b, 2);
  U32(b, 3);
  b.push_back(1);
  U64(b, 4);
  Tpm2b(b, Bytes(34, 5));
  Tpm2b(b, Bytes(34, 6));
  auto a = TpmsAttest::Parse(b);
  ASSERT_TRUE(a) << a.error().ToString();
  EXPECT_EQ(a->extra_data, Bytes(32, 2));
  EXPECT_EQ(a->attested_name, Bytes(34, 5));
  for (size_t n = 0; n < b.size(); ++n) {
    EXPECT_FALSE(TpmsAttest::Parse(ByteSpan(b).first(n))) << n;
  }
}

}  // namespace
}  // namespace keyward::attestation::testing
