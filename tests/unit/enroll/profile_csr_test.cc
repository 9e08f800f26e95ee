// Certificate profile, PKCS#10 builder and local CA: the DER is parsed back with OpenSSL and each
// extension checked; every rejection asserts its code.
#include <gtest/gtest.h>
#include <openssl/pem.h>
#include <openssl/x509v3.h>

#include "core/hash.h"
#include "enroll/csr.h"
#include "enroll/local_ca.h"
#include "enroll/profile.h"
#include "pkcs11/mapping_rules.h"
#include "tests/unit/pkcs11/test_pki.h"

namespace keyward::enroll {
namespace {

namespace pt = ::keyward::pkcs11::testing;

UserRecord Alice() {
  return {"alice", "Alice Example", "alice@corp.example", "alice@mail.example",
          "S-1-5-21-3623811015-3361044348-30300820-1013"};
}

// A signer with a software key, standing in for the card's GENERAL AUTHENTICATE.
DigestSigner SoftSigner(EVP_PKEY* key) {
  return [key](HashAlgorithm hash, ByteSpan digest) -> Result<Bytes> {
    EvpPkeyCtxPtr ctx(EVP_PKEY_CTX_new(key, nullptr));
    EVP_PKEY_sign_init(ctx.get());
    if (EVP_PKEY_is_a(key, "RSA")) {
      EVP_PKEY_CTX_set_rsa_padding(ctx.get(), RSA_PKCS1_PADDING);
      EVP_PKEY_CTX_set_signature_md(ctx.get(), EVP_sha256());
    }
    (void)hash;
    size_t n = 0;
    EVP_PKEY_sign(ctx.get(), nullptr, &n, digest.data(), digest.size());
    Bytes sig(n);
    if (EVP_PKEY_sign(ctx.get(), sig.data(), &n, digest.data(), digest.size()) != 1) {
      return Fail(ErrorCode::kCryptoInternal, "sign");
    }
    sig.resize(n);
    return sig;
  };
}

const Extension* Find(const std::vector<Extension>& exts, const std::string& oid) {
  for (const auto& e : exts) {
    if (e.oid == oid) return &e;
  }
  return nullptr;
}

TEST(ProfileTest, WorkforceProfileCarriesEveryExtension) {
  auto p = WorkforceProfile::Create(Alice(), "O=Example Corp,C=DE");
  ASSERT_TRUE(p) << p.error().ToString();
  ASSERT_EQ(p->extensions.size(), 4u);
  const Extension* ku = Find(p->extensions, "2.5.29.15");
  ASSERT_TRUE(ku);
  EXPECT_TRUE(ku->critical);
  EXPECT_EQ(HexEncode(ku->value), "03020780");  // BIT STRING, digitalSignature only
  const Extension* sid = Find(p->extensions, kSidExtensionOid);
  ASSERT_TRUE(sid);
  auto decoded = DecodeSidExtension(sid->value);
  ASSERT_TRUE(decoded);
  EXPECT_EQ(*decoded, Alice().sid);
  // 30 { A0 { 06 0A 2B0601040182371902 01, A0 { 04 <SID text> } } }
  std::string hex = HexEncode(sid->value);
  EXPECT_EQ(hex, "303ea03c060a2b060104018237190201a02e042c" + HexEncode(AsBytes(Alice().sid)));
}

TEST(ProfileTest, NoSidNoSidExtension) {
  UserRecord u = Alice();
  u.sid.clear();
  auto p = WorkforceProfile::Create(u, "");
  ASSERT_TRUE(p);
  EXPECT_EQ(Find(p->extensions, kSidExtensionOid), nullptr);
  EXPECT_EQ(p->extensions.size(), 3u);
}

TEST(ProfileTest, Rejections) {
  auto code = [](UserRecord u) {
    auto p = WorkforceProfile::Create(u, "");
    return p ? ErrorCode::kInternal : p.error().code;
  };
  UserRecord u = Alice();
  u.username = "";
  EXPECT_EQ(code(u), ErrorCode::kEnrollUserInvalid);
  u = Alice();
  u.username = "al ice";
  EXPECT_EQ(code(u), ErrorCode::kEnrollUserInvalid);
  u = Alice();
  u.upn = "alice";
  EXPECT_EQ(code(u), ErrorCode::kEnrollUserInvalid);
  u = Alice();
  u.email = "alice@@x";
  EXPECT_EQ(code(u), ErrorCode::kEnrollUserInvalid);
  u = Alice();
  u.display_name = std::string("a\x01", 2);
  EXPECT_EQ(code(u), ErrorCode::kEnrollUserInvalid);
  u = Alice();
  u.display_name = "\xC3\x28";  // invalid UTF-8
  EXPECT_EQ(code(u), ErrorCode::kEnrollUserInvalid);
  u = Alice();
  u.upn.clear();
  u.email.clear();
  EXPECT_EQ(code(u), ErrorCode::kEnrollUserInvalid);
  for (const char* bad : {"S-1", "S-2-5-21", "S-1-5", "S-1-5-", "S-1-x-21", "S-1-5-4294967296",
                          "S-1-281474976710656-1", "S-1-5-01", "s-1-5-21"}) {
    u = Alice();
    u.sid = bad;
    EXPECT_EQ(code(u), ErrorCode::kEnrollSidInvalid) << bad;
  }
  EXPECT_TRUE(ValidateSid("S-1-5-21-1-2-3-4294967295"));
  EXPECT_TRUE(ValidateSid("S-1-281474976710655-1"));
  // Subject base.
  EXPECT_EQ(ParseSubjectBase("X=1").error().code, ErrorCode::kEnrollOptionsInvalid);
  EXPECT_EQ(ParseSubjectBase("O=").error().code, ErrorCode::kEnrollOptionsInvalid);
  EXPECT_EQ(ParseSubjectBase("C=DEU").error().code, ErrorCode::kEnrollOptionsInvalid);
  EXPECT_EQ(ParseSubjectBase("O=a+b").error().code, ErrorCode::kEnrollOptionsInvalid);
  EXPECT_TRUE(ParseSubjectBase("DC=corp, DC=example, O=Example"));
  // SID extension decoder.
  EXPECT_EQ(DecodeSidExtension(Bytes{0x30, 0x00}).error().code, ErrorCode::kEnrollSidInvalid);
  auto san = EncodeSubjectAltName("a@b.c", "");
  ASSERT_TRUE(san);
  EXPECT_EQ(DecodeSidExtension(*san).error().code, ErrorCode::kEnrollSidInvalid);
}

struct KeyCase {
  const char* spec;
  int sig_nid;
};

class CsrTest : public ::testing::TestWithParam<KeyCase> {};

TEST_P(CsrTest, BuildVerifyAndParseBack) {
  EvpPkeyPtr key = pt::GenerateKey(GetParam().spec);
  ASSERT_TRUE(key);
  auto profile = WorkforceProfile::Create(Alice(), "O=Example Corp");
  ASSERT_TRUE(profile);
  auto csr =
      BuildCsr(profile->subject.get(), key.get(), profile->extensions, SoftSigner(key.get()));
  ASSERT_TRUE(csr) << csr.error().ToString();
  EXPECT_EQ(csr->subject, "CN=Alice Example,O=Example Corp");
  ASSERT_EQ(csr->extensions.size(), 4u);
  // OpenSSL reads it back: version 0, the signature algorithm, self-signature, extensions.
  const unsigned char* p = csr->der.data();
  X509_REQ* req = d2i_X509_REQ(nullptr, &p, static_cast<long>(csr->der.size()));
  ASSERT_TRUE(req);
  EXPECT_EQ(X509_REQ_get_version(req), 0);
  EXPECT_EQ(X509_REQ_get_signature_nid(req), GetParam().sig_nid);
  EXPECT_EQ(X509_REQ_verify(req, key.get()), 1);
  STACK_OF(X509_EXTENSION)* exts = X509_REQ_get_extensions(req);
  ASSERT_EQ(sk_X509_EXTENSION_num(exts), 4);
  // The PEM round trip.
  auto back = CsrFromPem(CsrToPem(csr->der));
  ASSERT_TRUE(back);
  EXPECT_EQ(*back, csr->der);
  sk_X509_EXTENSION_pop_free(exts, X509_EXTENSION_free);
  X509_REQ_free(req);
}

INSTANTIATE_TEST_SUITE_P(Keys, CsrTest,
                         ::testing::Values(KeyCase{"EC:prime256v1", NID_ecdsa_with_SHA256},
                                           KeyCase{"EC:secp384r1", NID_ecdsa_with_SHA384},
                                           KeyCase{"rsa:2048", NID_sha256WithRSAEncryption}));

TEST(CsrTest, WrongSignerIsNoProofOfPossession) {
  EvpPkeyPtr key = pt::GenerateKey("EC:prime256v1");
  EvpPkeyPtr other = pt::GenerateKey("EC:prime256v1");
  auto profile = WorkforceProfile::Create(Alice(), "");
  ASSERT_TRUE(profile);
  auto csr =
      BuildCsr(profile->subject.get(), key.get(), profile->extensions, SoftSigner(other.get()));
  ASSERT_FALSE(csr);
  EXPECT_EQ(csr.error().code, ErrorCode::kEnrollCsrSignatureInvalid);
  EXPECT_EQ(VerifyCsr(Bytes{0x30, 0x03, 0x02, 0x01, 0x00}).error().code,
            ErrorCode::kEnrollCsrMalformed);
  EXPECT_EQ(CsrFromPem("nothing").error().code, ErrorCode::kEnrollCsrMalformed);
  // A signer error propagates unchanged.
  DigestSigner broken = [](HashAlgorithm, ByteSpan) -> Result<Bytes> {
    return Fail(ErrorCode::kPcscCardRemoved, "pulled");
  };
  auto pulled = BuildCsr(profile->subject.get(), key.get(), profile->extensions, broken);
  ASSERT_FALSE(pulled);
  EXPECT_EQ(pulled.error().code, ErrorCode::kPcscCardRemoved);
}

TEST(LocalCaTest, IssuesTheProfileAndKeywardMapsIt) {
  int64_t now = UnixNow();
  pt::TestCa ca = pt::TestCa::Create("Enrol CA", now);
  auto local = LocalCa::FromPem(ca.CertPem(), ca.KeyPem(), now);
  ASSERT_TRUE(local) << local.error().ToString();
  EvpPkeyPtr key = pt::GenerateKey("EC:prime256v1");
  auto profile = WorkforceProfile::Create(Alice(), "O=Example Corp,C=DE");
  ASSERT_TRUE(profile);
  auto csr =
      BuildCsr(profile->subject.get(), key.get(), profile->extensions, SoftSigner(key.get()));
  ASSERT_TRUE(csr);
  auto serial = RandomSerial();
  ASSERT_TRUE(serial);
  EXPECT_EQ(serial->size(), 16u);
  EXPECT_LT((*serial)[0], 0x80);
  auto der = local->Issue(*csr, *profile, now, 30, *serial);
  ASSERT_TRUE(der) << der.error().ToString();
  auto cert = Certificate::ParseDer(*der);
  ASSERT_TRUE(cert);
  EXPECT_EQ(cert->version(), 3);
  EXPECT_EQ(cert->Subject(), "CN=Alice Example,C=DE,O=Example Corp");  // RFC 2253: last RDN first
  BignumPtr bn(BN_bin2bn(serial->data(), static_cast<int>(serial->size()), nullptr));
  char* serial_hex = BN_bn2hex(bn.get());
  EXPECT_EQ(cert->SerialHex(), serial_hex);
  OPENSSL_free(serial_hex);
  EXPECT_EQ(X509_verify(cert->get(), X509_get0_pubkey(ca.cert.get())), 1);
  EXPECT_EQ(EVP_PKEY_eq(cert->public_key(), key.get()), 1);
  EXPECT_EQ(cert->IsCa(), std::optional<bool>(false));
  EXPECT_TRUE(cert->ExtensionIsCritical("2.5.29.19"));
  EXPECT_TRUE(cert->ExtensionIsCritical("2.5.29.15"));
  EXPECT_EQ(cert->KeyUsage(), std::optional<uint32_t>(KU_DIGITAL_SIGNATURE));
  EXPECT_EQ(cert->ExtendedKeyUsages(),
            (std::vector<std::string>{kSmartCardLogonEkuOid, kClientAuthEkuOid}));
  EXPECT_TRUE(cert->ExtensionValue("2.5.29.14"));
  EXPECT_TRUE(cert->ExtensionValue("2.5.29.35"));
  EXPECT_LE(*cert->NotAfter() - *cert->NotBefore(), 30 * 86400 + 300);
  // UPN (otherName UTF8String), e-mail and SID as keyward's own mapping reads them.
  auto facts = pkcs11::CertificateFacts::From(*cert);
  EXPECT_EQ(facts.san_upn, std::vector<std::string>{"alice@corp.example"});
  EXPECT_EQ(facts.san_email, std::vector<std::string>{"alice@mail.example"});
  EXPECT_EQ(facts.sid, std::vector<std::string>{Alice().sid});
  // The UPN otherName's value is a UTF8String (OpenSSL's own decoder).
  auto* names = static_cast<GENERAL_NAMES*>(
      X509_get_ext_d2i(cert->get(), NID_subject_alt_name, nullptr, nullptr));
  ASSERT_TRUE(names);
  bool saw_upn = false;
  for (int i = 0; i < sk_GENERAL_NAME_num(names); ++i) {
    GENERAL_NAME* g = sk_GENERAL_NAME_value(names, i);
    if (g->type == GEN_OTHERNAME) {
      EXPECT_EQ(OBJ_obj2nid(g->d.otherName->type_id), NID_ms_upn);
      EXPECT_EQ(g->d.otherName->value->type, V_ASN1_UTF8STRING);
      saw_upn = true;
    }
  }
  EXPECT_TRUE(saw_upn);
  GENERAL_NAMES_free(names);
}

TEST(LocalCaTest, Rejections) {
  int64_t now = UnixNow();
  pt::TestCa ca = pt::TestCa::Create("Enrol CA", now);
  pt::TestCa other = pt::TestCa::Create("Other CA", now);
  EXPECT_EQ(LocalCa::FromPem(ca.CertPem(), other.KeyPem(), now).error().code,
            ErrorCode::kEnrollCaInvalid);
  EXPECT_EQ(LocalCa::FromPem("junk", ca.KeyPem(), now).error().code, ErrorCode::kEnrollCaInvalid);
  EXPECT_EQ(LocalCa::FromPem(ca.CertPem(), "junk", now).error().code, ErrorCode::kEnrollCaInvalid);
  EXPECT_EQ(LocalCa::FromPem(ca.CertPem(), ca.KeyPem(), now + 40LL * 365 * 86400).error().code,
            ErrorCode::kEnrollCaInvalid);
  // A leaf certificate is no CA.
  EvpPkeyPtr leaf_key = pt::GenerateKey("EC:prime256v1");
  pt::LeafSpec spec;
  spec.upn = {"x@y.z"};
  spec.not_before = now - 100;
  spec.not_after = now + 86400;
  X509Ptr leaf = pt::IssueLeaf(ca, leaf_key.get(), spec);
  BIO* bio = BIO_new(BIO_s_mem());
  PEM_write_bio_PrivateKey(bio, leaf_key.get(), nullptr, nullptr, 0, nullptr, nullptr);
  char* data = nullptr;
  long n = BIO_get_mem_data(bio, &data);  // NOLINT(runtime/int)
  std::string leaf_key_pem(data, static_cast<size_t>(n));
  BIO_free(bio);
  EXPECT_EQ(LocalCa::FromPem(pt::Pem(leaf.get()), leaf_key_pem, now).error().code,
            ErrorCode::kEnrollCaInvalid);
  auto local = LocalCa::FromPem(ca.CertPem(), ca.KeyPem(), now);
  ASSERT_TRUE(local);
  auto profile = WorkforceProfile::Create(Alice(), "");
  auto csr = BuildCsr(profile->subject.get(), leaf_key.get(), profile->extensions,
                      SoftSigner(leaf_key.get()));
  ASSERT_TRUE(csr);
  Bytes serial(16, 1);
  EXPECT_EQ(local->Issue(*csr, *profile, now, 0, serial).error().code,
            ErrorCode::kEnrollOptionsInvalid);
  EXPECT_EQ(local->Issue(*csr, *profile, now, 30, Bytes{}).error().code,
            ErrorCode::kInvalidArgument);
}

}  // namespace
}  // namespace keyward::enroll
