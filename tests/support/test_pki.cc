#include "tests/support/test_pki.h"

#include <openssl/core_names.h>
#include <openssl/ec.h>
#include <openssl/rsa.h>

#include <cstdlib>
#include <iostream>

namespace keyward::testing {
namespace {

[[noreturn]] void Die(const char* what) {
  std::cerr << "test_pki: " << what << ": " << TakeOpensslError("") << "\n";
  std::abort();
}

Bytes BnParam(EVP_PKEY* k, const char* name, size_t pad_to) {
  BIGNUM* bn = nullptr;
  if (EVP_PKEY_get_bn_param(k, name, &bn) != 1) Die(name);
  Bytes out(pad_to ? pad_to : static_cast<size_t>(BN_num_bytes(bn)));
  BN_bn2binpad(bn, out.data(), static_cast<int>(out.size()));
  BN_free(bn);
  return out;
}

}  // namespace

TestKey TestKey::Generate(CoseAlgorithm alg) {
  TestKey k;
  k.alg_ = alg;
  EVP_PKEY* p = nullptr;
  switch (alg) {
    case CoseAlgorithm::kES256:
    case CoseAlgorithm::kESP256:
      p = EVP_PKEY_Q_keygen(nullptr, nullptr, "EC", "P-256");
      break;
    case CoseAlgorithm::kES384:
    case CoseAlgorithm::kESP384:
      p = EVP_PKEY_Q_keygen(nullptr, nullptr, "EC", "P-384");
      break;
    case CoseAlgorithm::kES512:
    case CoseAlgorithm::kESP512:
      p = EVP_PKEY_Q_keygen(nullptr, nullptr, "EC", "P-521");
      break;
    case CoseAlgorithm::kEdDSA:
    case CoseAlgorithm::kEd25519:
      p = EVP_PKEY_Q_keygen(nullptr, nullptr, "ED25519");
      break;
    case CoseAlgorithm::kEd448:
      p = EVP_PKEY_Q_keygen(nullptr, nullptr, "ED448");
      break;
    default:
      p = EVP_PKEY_Q_keygen(nullptr, nullptr, "RSA", static_cast<size_t>(2048));
      break;
  }
  if (!p) Die("keygen");
  k.key_.reset(p);
  return k;
}

CoseKey TestKey::Cose() const {
  CoseKey c;
  c.alg = alg_;
  c.kty = KeyTypeOf(alg_);
  EVP_PKEY* k = key_.get();
  if (c.kty == CoseKeyType::kEc2) {
    size_t fs = EVP_PKEY_get_bits(k) == 256 ? 32 : EVP_PKEY_get_bits(k) == 384 ? 48 : 66;
    c.crv = fs == 32 ? CoseCurve::kP256 : fs == 48 ? CoseCurve::kP384 : CoseCurve::kP521;
    c.x = BnParam(k, OSSL_PKEY_PARAM_EC_PUB_X, fs);
    c.y = BnParam(k, OSSL_PKEY_PARAM_EC_PUB_Y, fs);
  } else if (c.kty == CoseKeyType::kOkp) {
    bool ed448 = EVP_PKEY_is_a(k, "ED448");
    c.crv = ed448 ? CoseCurve::kEd448 : CoseCurve::kEd25519;
    size_t len = ed448 ? 57 : 32;
    c.x.resize(len);
    EVP_PKEY_get_raw_public_key(k, c.x.data(), &len);
  } else {
    c.n = BnParam(k, OSSL_PKEY_PARAM_RSA_N, 0);
    c.e = BnParam(k, OSSL_PKEY_PARAM_RSA_E, 0);
  }
  return c;
}

Bytes TestKey::Sign(ByteSpan message) const {
  EvpMdCtxPtr ctx(EVP_MD_CTX_new());
  const EVP_MD* md = nullptr;
  switch (alg_) {
    case CoseAlgorithm::kES384:
    case CoseAlgorithm::kESP384:
    case CoseAlgorithm::kRS384:
    case CoseAlgorithm::kPS384:
      md = EVP_sha384();
      break;
    case CoseAlgorithm::kES512:
    case CoseAlgorithm::kESP512:
    case CoseAlgorithm::kRS512:
    case CoseAlgorithm::kPS512:
      md = EVP_sha512();
      break;
    case CoseAlgorithm::kEdDSA:
    case CoseAlgorithm::kEd25519:
    case CoseAlgorithm::kEd448:
      md = nullptr;
      break;
    case CoseAlgorithm::kRS1:
      md = EVP_sha1();
      break;
    default:
      md = EVP_sha256();
  }
  EVP_PKEY_CTX* pctx = nullptr;
  if (EVP_DigestSignInit(ctx.get(), &pctx, md, nullptr, key_.get()) != 1) Die("sign init");
  if (alg_ == CoseAlgorithm::kPS256 || alg_ == CoseAlgorithm::kPS384 ||
      alg_ == CoseAlgorithm::kPS512) {
    EVP_PKEY_CTX_set_rsa_padding(pctx, RSA_PKCS1_PSS_PADDING);
    EVP_PKEY_CTX_set_rsa_pss_saltlen(pctx, RSA_PSS_SALTLEN_DIGEST);
  }
  size_t len = 0;
  if (EVP_DigestSign(ctx.get(), nullptr, &len, message.data(), message.size()) != 1) Die("sign");
  Bytes sig(len);
  if (EVP_DigestSign(ctx.get(), sig.data(), &len, message.data(), message.size()) != 1) Die("sign");
  sig.resize(len);
  return sig;
}

Certificate IssueCertificate(const TestKey& subject_key, const CertSpec& spec,
                             const TestKey* issuer_key, const Certificate* issuer_cert) {
  X509Ptr x(X509_new());
  X509_set_version(x.get(), spec.version - 1);
  static long serial = 1000;  // NOLINT(runtime/int)
  ASN1_INTEGER_set(X509_get_serialNumber(x.get()), ++serial);
  int64_t now = UnixNow();
  ASN1_TIME_set(X509_getm_notBefore(x.get()), spec.not_before ? spec.not_before : now - 86400);
  ASN1_TIME_set(X509_getm_notAfter(x.get()), spec.not_after ? spec.not_after : now + 10 * 365 * 86400LL);
  X509_NAME* name = X509_get_subject_name(x.get());
  for (const auto& [k, v] : spec.subject) {
    X509_NAME_add_entry_by_txt(name, k.c_str(), MBSTRING_UTF8,
                               reinterpret_cast<const unsigned char*>(v.c_str()), -1, -1, 0);
  }
  X509_set_issuer_name(x.get(), issuer_cert ? X509_get_subject_name(issuer_cert->get()) : name);
  X509_set_pubkey(x.get(), subject_key.pkey());
  X509V3_CTX ctx;
  X509V3_set_ctx(&ctx, issuer_cert ? issuer_cert->get() : x.get(), x.get(), nullptr, nullptr, 0);
  auto add = [&](int nid, const char* value) {
    X509_EXTENSION* e = X509V3_EXT_conf_nid(nullptr, &ctx, nid, value);
    if (!e) Die("extension");
    X509_add_ext(x.get(), e, -1);
    X509_EXTENSION_free(e);
  };
  if (spec.version == 3) {
    if (spec.include_basic_constraints) add(NID_basic_constraints, spec.is_ca ? "critical,CA:TRUE" : "CA:FALSE");
    add(NID_subject_key_identifier, "hash");
    if (spec.is_ca) add(NID_key_usage, "critical,keyCertSign,cRLSign");
    if (!spec.eku.empty()) {
      std::string list;
      for (const auto& e : spec.eku) list += (list.empty() ? "" : ",") + e;
      add(NID_ext_key_usage, list.c_str());
    }
    for (const auto& ext : spec.extensions) {
      ASN1_OBJECT* obj = OBJ_txt2obj(ext.oid.c_str(), 1);
      ASN1_OCTET_STRING* os = ASN1_OCTET_STRING_new();
      ASN1_OCTET_STRING_set(os, ext.value.data(), static_cast<int>(ext.value.size()));
      X509_EXTENSION* e = X509_EXTENSION_create_by_OBJ(nullptr, obj, ext.critical ? 1 : 0, os);
      X509_add_ext(x.get(), e, -1);
      X509_EXTENSION_free(e);
      ASN1_OCTET_STRING_free(os);
      ASN1_OBJECT_free(obj);
    }
  }
  const TestKey& signer = issuer_key ? *issuer_key : subject_key;
  bool eddsa = KeyTypeOf(signer.alg()) == CoseKeyType::kOkp;
  if (X509_sign(x.get(), signer.pkey(), eddsa ? nullptr : EVP_sha256()) <= 0) Die("X509_sign");
  return Certificate::FromX509(x.get());
}

}  // namespace keyward::testing
