// Certificate::ParseDer's bypass of OpenSSL 3.0's key decoder (core/x509.h, "Cost model"): for
// every certificate, whichever way it is parsed, the result must be the certificate plain
// d2i_X509 returns — same DER, same fields and extension caches, same key, same path-validation
// verdicts — and the bypass must actually be taken for the key types it covers.
#include <gtest/gtest.h>
#include <openssl/bn.h>
#include <openssl/core_names.h>
#include <openssl/ec.h>
#include <openssl/evp.h>
#include <openssl/sha.h>
#include <openssl/x509.h>
#include <openssl/x509v3.h>

#include <algorithm>
#include <functional>

#include "core/public_key.h"
#include "core/x509.h"
#include "tests/support/test_pki.h"

namespace keyward {
namespace {

using testing::CertSpec;
using testing::IssueCertificate;
using testing::TestKey;

X509Ptr PlainD2i(ByteSpan der) {
  const unsigned char* p = der.data();
  X509Ptr x(d2i_X509(nullptr, &p, static_cast<long>(der.size())));  // NOLINT(runtime/int)
  if (x && p != der.data() + der.size()) return nullptr;
  return x;
}

Bytes I2d(X509* x) {
  unsigned char* out = nullptr;
  const int len = i2d_X509(x, &out);
  Bytes b;
  if (len > 0) b.assign(out, out + len);
  OPENSSL_free(out);
  return b;
}

Bytes Digest(X509* x, const EVP_MD* md) {
  unsigned char d[EVP_MAX_MD_SIZE];
  unsigned int n = 0;
  EXPECT_EQ(X509_digest(x, md, d, &n), 1);
  return Bytes(d, d + n);
}

bool LowLevelKey(const Certificate& c) {
  return c.public_key() != nullptr && EVP_PKEY_get0_provider(c.public_key()) == nullptr;
}

// Everything observable about `der` parsed by keyward equals plain d2i_X509's parse.
void ExpectSameAsPlainD2i(ByteSpan der, CertificateRole role = CertificateRole::kEndEntity) {
  SCOPED_TRACE(role == CertificateRole::kEndEntity ? "end entity" : "issuer");
  X509Ptr plain = PlainD2i(der);
  ASSERT_TRUE(plain);
  auto c = Certificate::ParseDer(der, role);
  ASSERT_TRUE(c) << c.error().ToString();
  X509* x = c->get();
  EXPECT_EQ(I2d(x), I2d(plain.get()));
  EXPECT_EQ(X509_cmp(x, plain.get()), 0);
  // The extension cache (SHA-1 fingerprint, flags, key usages) is computed over the real DER.
  EXPECT_EQ(Digest(x, EVP_sha1()), Digest(plain.get(), EVP_sha1()));
  EXPECT_EQ(Digest(x, EVP_sha256()), Digest(plain.get(), EVP_sha256()));
  EXPECT_EQ(X509_get_extension_flags(x), X509_get_extension_flags(plain.get()));
  EXPECT_EQ(X509_get_key_usage(x), X509_get_key_usage(plain.get()));
  EXPECT_EQ(X509_get_extended_key_usage(x), X509_get_extended_key_usage(plain.get()));
  EXPECT_EQ(X509_check_ca(x), X509_check_ca(plain.get()));
  EXPECT_EQ(X509_NAME_cmp(X509_get_subject_name(x), X509_get_subject_name(plain.get())), 0);
  EXPECT_EQ(X509_NAME_cmp(X509_get_issuer_name(x), X509_get_issuer_name(plain.get())), 0);
  EXPECT_EQ(ASN1_INTEGER_cmp(X509_get0_serialNumber(x), X509_get0_serialNumber(plain.get())), 0);
  EXPECT_EQ(ASN1_TIME_compare(X509_get0_notAfter(x), X509_get0_notAfter(plain.get())), 0);
  EXPECT_EQ(X509_get_ext_count(x), X509_get_ext_count(plain.get()));
  EVP_PKEY* k = c->public_key();
  EVP_PKEY* pk = X509_get0_pubkey(plain.get());
  ASSERT_EQ(k == nullptr, pk == nullptr);
  if (k) {
    EXPECT_EQ(EVP_PKEY_eq(k, pk), 1);
  }
}

struct KeyCase {
  const char* name;
  CoseAlgorithm alg;
  bool bypass;  // the decoder bypass covers this key type
};

class X509ParseKeyTest : public ::testing::TestWithParam<KeyCase> {};

TEST_P(X509ParseKeyTest, SameCertificateAsPlainD2iAndBypassTakenWhereCovered) {
  const KeyCase& kc = GetParam();
  TestKey root_key = TestKey::Generate(CoseAlgorithm::kES256);
  CertSpec ca_spec;
  ca_spec.subject = {{"CN", "Parse Test Root"}};
  ca_spec.is_ca = true;
  Certificate root = IssueCertificate(root_key, ca_spec, nullptr, nullptr);
  TestKey leaf_key = TestKey::Generate(kc.alg);
  CertSpec spec;
  spec.subject = {{"C", "AA"}, {"O", "Vendor"}, {"OU", "Authenticator Attestation"}, {"CN", "x"}};
  spec.eku = {"1.3.6.1.5.5.7.3.2"};
  Certificate made = IssueCertificate(leaf_key, spec, &root_key, &root);
  const Bytes der = ToBytes(made.der());

  ExpectSameAsPlainD2i(der, CertificateRole::kEndEntity);
  ExpectSameAsPlainD2i(der, CertificateRole::kIssuer);

  auto leaf = Certificate::ParseDer(der);
  ASSERT_TRUE(leaf);
  EXPECT_EQ(LowLevelKey(*leaf), kc.bypass);
  EXPECT_EQ(Bytes(leaf->der().begin(), leaf->der().end()), der);
  // kIssuer always parses with plain d2i_X509 (a provider-native key).
  auto issuer_role = Certificate::ParseDer(der, CertificateRole::kIssuer);
  ASSERT_TRUE(issuer_role);
  EXPECT_FALSE(LowLevelKey(*issuer_role));

  // The key verifies what the private key signed, through keyward and through OpenSSL.
  const Bytes msg = ToBytes(AsBytes("bypass"));
  const Bytes sig = leaf_key.Sign(msg);
  auto pub = PublicKey::FromEvp(leaf->public_key(), kc.alg, {});
  ASSERT_TRUE(pub) << pub.error().ToString();
  EXPECT_TRUE(pub->Verify(msg, sig));
  Bytes bad = sig;
  bad[bad.size() / 2] ^= 0x01;
  EXPECT_FALSE(pub->Verify(msg, bad));
  EXPECT_TRUE(SamePublicKey(leaf->public_key(), leaf_key.pkey()));
  // The parameters keyward reads from certificate keys (pkcs11/session.cc, pcsc/piv_public_key.cc,
  // core/public_key.cc) are answered by low-level keys as well.
  EVP_PKEY* key = leaf->public_key();
  EXPECT_EQ(EVP_PKEY_get_bits(key), EVP_PKEY_get_bits(leaf_key.pkey()));
  if (EVP_PKEY_is_a(key, "EC")) {
    EXPECT_EQ(EncodedPublicKey(key), EncodedPublicKey(leaf_key.pkey()));
    EXPECT_FALSE(EncodedPublicKey(key).empty());
    auto group = [](EVP_PKEY* k) {
      char g[32] = {};
      size_t n = 0;
      EXPECT_EQ(EVP_PKEY_get_utf8_string_param(k, OSSL_PKEY_PARAM_GROUP_NAME, g, sizeof(g), &n), 1);
      return std::string(g, n);
    };
    EXPECT_EQ(group(key), group(leaf_key.pkey()));
  } else if (EVP_PKEY_is_a(key, "RSA")) {
    for (const char* param : {OSSL_PKEY_PARAM_RSA_N, OSSL_PKEY_PARAM_RSA_E}) {
      BIGNUM* a = nullptr;
      BIGNUM* b = nullptr;
      EXPECT_EQ(EVP_PKEY_get_bn_param(key, param, &a), 1);
      EXPECT_EQ(EVP_PKEY_get_bn_param(leaf_key.pkey(), param, &b), 1);
      EXPECT_EQ(BN_cmp(a, b), 0);
      BN_free(a);
      BN_free(b);
    }
  }

  // Path validation gives the same verdicts as for the plain parse.
  ChainOptions opts;
  opts.verify_time = UnixNow();
  auto ok = VerifyChain(*leaf, {}, std::span(&root, 1), opts);
  EXPECT_TRUE(ok) << ok.error().ToString();
  opts.verify_time = UnixNow() + 20LL * 365 * 86400;
  auto expired = VerifyChain(*leaf, {}, std::span(&root, 1), opts);
  ASSERT_FALSE(expired);
  EXPECT_EQ(expired.error().code, ErrorCode::kCertificateExpired);
}

INSTANTIATE_TEST_SUITE_P(Keys, X509ParseKeyTest,
                         ::testing::Values(KeyCase{"P256", CoseAlgorithm::kES256, true},
                                           KeyCase{"P384", CoseAlgorithm::kES384, true},
                                           KeyCase{"P521", CoseAlgorithm::kES512, true},
                                           KeyCase{"RSA2048", CoseAlgorithm::kRS256, true},
                                           KeyCase{"Ed25519", CoseAlgorithm::kEdDSA, false}),
                         [](const ::testing::TestParamInfo<KeyCase>& p) {
                           return std::string(p.param.name);
                         });

// A certificate for an arbitrary EVP_PKEY (its SPKI as OpenSSL encodes that key), signed by
// `ca_key` under `ca`.
Bytes CertForKey(EVP_PKEY* key, const TestKey& ca_key, const Certificate& ca) {
  X509Ptr x(X509_new());
  X509_set_version(x.get(), 2);
  ASN1_INTEGER_set(X509_get_serialNumber(x.get()), 7);
  X509_NAME* name = X509_NAME_new();
  X509_NAME_add_entry_by_txt(name, "CN", MBSTRING_ASC,
                             reinterpret_cast<const unsigned char*>("encoding"), -1, -1, 0);
  X509_set_subject_name(x.get(), name);
  X509_NAME_free(name);
  X509_set_issuer_name(x.get(), X509_get_subject_name(ca.get()));
  X509_gmtime_adj(X509_getm_notBefore(x.get()), -86400);
  X509_gmtime_adj(X509_getm_notAfter(x.get()), 86400L * 365);
  EXPECT_EQ(X509_set_pubkey(x.get(), key), 1);
  EXPECT_GT(X509_sign(x.get(), ca_key.pkey(), EVP_sha256()), 0);
  return I2d(x.get());
}

struct Pki {
  TestKey ca_key = TestKey::Generate(CoseAlgorithm::kES256);
  Certificate ca = [this] {
    CertSpec s;
    s.subject = {{"CN", "Encoding CA"}};
    s.is_ca = true;
    return IssueCertificate(ca_key, s, nullptr, nullptr);
  }();
};

TEST(X509ParseTest, CompressedPointKeepsItsEncodingAndTakesTheBypass) {
  Pki pki;
  EvpPkeyPtr key(EVP_EC_gen("P-256"));
  ASSERT_EQ(EVP_PKEY_set_utf8_string_param(key.get(), "point-format", "compressed"), 1);
  const Bytes der = CertForKey(key.get(), pki.ca_key, pki.ca);
  ExpectSameAsPlainD2i(der);
  auto c = Certificate::ParseDer(der);
  ASSERT_TRUE(c);
  EXPECT_TRUE(LowLevelKey(*c));
  EXPECT_TRUE(SamePublicKey(c->public_key(), key.get()));
  ChainOptions opts;
  opts.verify_time = UnixNow();
  EXPECT_TRUE(VerifyChain(*c, {}, std::span(&pki.ca, 1), opts));
}

TEST(X509ParseTest, ExplicitCurveParametersFallBackToPlainD2i) {
  Pki pki;
  EvpPkeyPtr key(EVP_EC_gen("P-256"));
  ASSERT_EQ(EVP_PKEY_set_utf8_string_param(key.get(), "encoding", "explicit"), 1);
  const Bytes der = CertForKey(key.get(), pki.ca_key, pki.ca);
  ExpectSameAsPlainD2i(der);
  auto c = Certificate::ParseDer(der);
  ASSERT_TRUE(c);
  EXPECT_FALSE(LowLevelKey(*c));
}

// Offset of the first occurrence of `needle` in `hay` (the test's own certificates hold each
// searched pattern once).
size_t Find(const Bytes& hay, std::initializer_list<uint8_t> needle) {
  auto it = std::search(hay.begin(), hay.end(), needle.begin(), needle.end());
  EXPECT_NE(it, hay.end());
  return static_cast<size_t>(it - hay.begin());
}

// Adds `delta` to the length of the TLV whose header starts at `hdr` (30 81 L or 30 82 H L; the
// length must keep its form).
void AddToLength(Bytes& der, size_t hdr, int delta) {
  const size_t n = der[hdr + 1] == 0x81 ? 1 : 2;
  ASSERT_TRUE(der[hdr + 1] == 0x81 || der[hdr + 1] == 0x82);
  const int len = (n == 1 ? der[hdr + 2] : der[hdr + 2] << 8 | der[hdr + 3]) + delta;
  ASSERT_TRUE(len >= (n == 1 ? 0x80 : 0x100) && len <= (n == 1 ? 0xff : 0xffff));
  if (n == 2) der[hdr + 2] = static_cast<uint8_t>(len >> 8);
  der[hdr + 1 + n] = static_cast<uint8_t>(len);
}

// An ES256 certificate changed by `mutate` parses as plain d2i_X509 parses it: without a key.
void ExpectKeylessLikePlainD2i(const std::function<void(Bytes&)>& mutate) {
  Pki pki;
  TestKey k = TestKey::Generate(CoseAlgorithm::kES256);
  Bytes der = ToBytes(IssueCertificate(k, {}, &pki.ca_key, &pki.ca).der());
  mutate(der);
  ExpectSameAsPlainD2i(der);
  auto c = Certificate::ParseDer(der);
  ASSERT_TRUE(c);
  EXPECT_EQ(c->public_key(), nullptr);
}

TEST(X509ParseTest, PointOffTheCurveGivesTheSameKeylessCertificate) {
  ExpectKeylessLikePlainD2i([](Bytes& der) {
    // BIT STRING of 66 bytes: 03 42 00 04 X Y; flip a bit of Y.
    der[Find(der, {0x03, 0x42, 0x00, 0x04}) + 4 + 32 + 5] ^= 0x01;
  });
}

TEST(X509ParseTest, TheSubstituteOidItselfIsJustAnUnknownKeyType) {
  ExpectKeylessLikePlainD2i([](Bytes& der) {
    der[Find(der, {0x06, 0x07, 0x2a, 0x86, 0x48, 0xce, 0x3d, 0x02, 0x01}) + 8] = 0x7f;
  });
}

TEST(X509ParseTest, RsaWithoutNullParametersFallsBack) {
  Pki pki;
  TestKey k = TestKey::Generate(CoseAlgorithm::kRS256);
  Bytes der = ToBytes(IssueCertificate(k, {}, &pki.ca_key, &pki.ca).der());
  // SEQUENCE { OID rsaEncryption, NULL } -> SEQUENCE { OID rsaEncryption }: the enclosing SPKI,
  // TBS and certificate lengths shrink by 2. The signature no longer matches, which parsing does
  // not check.
  const size_t alg = Find(der, {0x30, 0x0d, 0x06, 0x09, 0x2a, 0x86, 0x48, 0x86, 0xf7, 0x0d, 0x01,
                                0x01, 0x01, 0x05, 0x00});
  der[alg + 1] = 0x0b;
  der.erase(der.begin() + static_cast<std::ptrdiff_t>(alg) + 13,
            der.begin() + static_cast<std::ptrdiff_t>(alg) + 15);
  AddToLength(der, 0, -2);  // Certificate
  AddToLength(der, 4, -2);  // TBSCertificate
  AddToLength(der, alg - 4,
              -2);  // SubjectPublicKeyInfo (30 82 xx xx before the AlgorithmIdentifier)
  ExpectSameAsPlainD2i(der);
  auto c = Certificate::ParseDer(der);
  ASSERT_TRUE(c);
  EXPECT_FALSE(LowLevelKey(*c));
}

TEST(X509ParseTest, NonDerLengthFallsBackAndKeepsTheCallersBytes) {
  Pki pki;
  TestKey k = TestKey::Generate(CoseAlgorithm::kES256);
  Bytes der = ToBytes(IssueCertificate(k, {}, &pki.ca_key, &pki.ca).der());
  // The signature BIT STRING's short length (03 47/48/49 00 30 ...) as long form: BER, which
  // d2i_X509 accepts; the bypass's re-encoding differs, so it must not be used.
  size_t at = der.size();
  for (size_t i = der.size() - 80; i < der.size() - 3; ++i) {
    if (der[i] == 0x03 && der[i + 2] == 0x00 && der[i + 3] == 0x30 &&
        i + 2 + der[i + 1] == der.size()) {
      at = i;
    }
  }
  ASSERT_LT(at, der.size());
  der.insert(der.begin() + static_cast<std::ptrdiff_t>(at) + 1, 0x81);
  AddToLength(der, 0, 1);  // the Certificate SEQUENCE
  ExpectSameAsPlainD2i(der);
  auto c = Certificate::ParseDer(der);
  ASSERT_TRUE(c);
  EXPECT_FALSE(LowLevelKey(*c));
  EXPECT_EQ(Bytes(c->der().begin(), c->der().end()), der);
}

TEST(X509ParseTest, MalformedInputIsRefusedWithItsCode) {
  Pki pki;
  TestKey k = TestKey::Generate(CoseAlgorithm::kES256);
  const Bytes der = ToBytes(IssueCertificate(k, {}, &pki.ca_key, &pki.ca).der());
  for (CertificateRole role : {CertificateRole::kEndEntity, CertificateRole::kIssuer}) {
    Bytes trailing = der;
    trailing.push_back(0x00);
    auto r = Certificate::ParseDer(trailing, role);
    ASSERT_FALSE(r);
    EXPECT_EQ(r.error().code, ErrorCode::kCertificateMalformed);
    for (size_t cut : {size_t{1}, size_t{10}, der.size() / 2, der.size() - 1}) {
      auto t = Certificate::ParseDer(ByteSpan(der).first(cut), role);
      ASSERT_FALSE(t) << cut;
      EXPECT_EQ(t.error().code, ErrorCode::kCertificateMalformed);
    }
    auto empty = Certificate::ParseDer({}, role);
    ASSERT_FALSE(empty);
    EXPECT_EQ(empty.error().code, ErrorCode::kCertificateMalformed);
  }
}

// A CA parsed as an end entity (low-level key) still validates what it issued. The shared cache
// parses a certificate it meets again (it repeats) with plain d2i_X509 once and keeps that; one
// asked for as an issuer the first time is parsed that way at once.
TEST(X509ParseTest, LowLevelKeysWorkAsIssuersAndTheCacheReparsesRepeatingCertificates) {
  Pki pki;
  TestKey int_key = TestKey::Generate(CoseAlgorithm::kES256);
  CertSpec int_spec;
  int_spec.subject = {{"CN", "Parse Test Intermediate"}};
  int_spec.is_ca = true;
  const Bytes int_der = ToBytes(IssueCertificate(int_key, int_spec, &pki.ca_key, &pki.ca).der());
  TestKey leaf_key = TestKey::Generate(CoseAlgorithm::kES256);
  auto int_cert = Certificate::ParseDer(int_der);
  ASSERT_TRUE(int_cert);
  Certificate made_leaf = IssueCertificate(leaf_key, {}, &int_key, &*int_cert);
  auto leaf = Certificate::ParseDer(made_leaf.der());
  ASSERT_TRUE(leaf);

  auto as_leaf = Certificate::ParseDerShared(int_der, CertificateRole::kEndEntity);
  ASSERT_TRUE(as_leaf);
  EXPECT_TRUE(LowLevelKey(*as_leaf));
  ChainOptions opts;
  opts.verify_time = UnixNow();
  auto v = VerifyChain(*leaf, std::span(&*as_leaf, 1), std::span(&pki.ca, 1), opts);
  EXPECT_TRUE(v) << v.error().ToString();

  auto met_again = Certificate::ParseDerShared(int_der, CertificateRole::kEndEntity);
  ASSERT_TRUE(met_again);
  EXPECT_FALSE(LowLevelKey(*met_again));
  EXPECT_TRUE(LowLevelKey(*as_leaf));  // handles already given out keep their parse
  auto as_issuer = Certificate::ParseDerShared(int_der, CertificateRole::kIssuer);
  ASSERT_TRUE(as_issuer);
  EXPECT_EQ(as_issuer->get(), met_again->get());  // one entry, no further parse

  auto issuer_first = Certificate::ParseDerShared(made_leaf.der(), CertificateRole::kIssuer);
  ASSERT_TRUE(issuer_first);
  EXPECT_FALSE(LowLevelKey(*issuer_first));
  v = VerifyChain(*leaf, std::span(&*as_issuer, 1), std::span(&pki.ca, 1), opts);
  EXPECT_TRUE(v) << v.error().ToString();
}

}  // namespace
}  // namespace keyward
