#include "tests/unit/pkcs11/test_pki.h"

#include <openssl/bn.h>
#include <openssl/ec.h>
#include <openssl/pem.h>
#include <openssl/rand.h>
#include <openssl/rsa.h>

#include <cstdlib>
#include <fstream>
#include <stdexcept>

namespace keyward::pkcs11::testing {
namespace {

void Check(bool ok, const char* what) {
  if (!ok) throw std::runtime_error(std::string("test PKI: ") + what);
}

void SetTime(ASN1_TIME* t, int64_t when) {
  Check(ASN1_TIME_set(t, static_cast<time_t>(when)), "time");
}

void AddExt(X509* cert, X509* issuer, int nid, const std::string& value) {
  X509V3_CTX ctx;
  X509V3_set_ctx_nodb(&ctx);
  X509V3_set_ctx(&ctx, issuer, cert, nullptr, nullptr, 0);
  X509_EXTENSION* ext = X509V3_EXT_conf_nid(nullptr, &ctx, nid, value.c_str());
  Check(ext != nullptr, value.c_str());
  X509_add_ext(cert, ext, -1);
  X509_EXTENSION_free(ext);
}

void AddOtherNameSan(GENERAL_NAMES* names, const char* oid, int type, const std::string& value) {
  ASN1_TYPE* v = ASN1_TYPE_new();
  ASN1_STRING* s = ASN1_STRING_type_new(type);
  ASN1_STRING_set(s, value.data(), static_cast<int>(value.size()));
  ASN1_TYPE_set(v, type, s);
  GENERAL_NAME* g = GENERAL_NAME_new();
  Check(GENERAL_NAME_set0_othername(g, OBJ_txt2obj(oid, 1), v) == 1, "othername");
  sk_GENERAL_NAME_push(names, g);
}

void AddGeneralNamesExt(X509* cert, const char* oid, GENERAL_NAMES* names) {
  unsigned char* der = nullptr;
  int len = i2d_GENERAL_NAMES(names, &der);
  Check(len > 0, "GENERAL_NAMES");
  ASN1_OCTET_STRING* os = ASN1_OCTET_STRING_new();
  ASN1_OCTET_STRING_set(os, der, len);
  OPENSSL_free(der);
  ASN1_OBJECT* obj = OBJ_txt2obj(oid, 1);
  X509_EXTENSION* ext = X509_EXTENSION_create_by_OBJ(nullptr, obj, 0, os);
  Check(ext != nullptr, "extension");
  X509_add_ext(cert, ext, -1);
  X509_EXTENSION_free(ext);
  ASN1_OBJECT_free(obj);
  ASN1_OCTET_STRING_free(os);
}

void SetSerial(X509* cert, int64_t serial) {
  BIGNUM* bn = BN_new();
  if (serial > 0) {
    BN_set_word(bn, static_cast<BN_ULONG>(serial));
  } else {
    BN_rand(bn, 64, BN_RAND_TOP_ONE, BN_RAND_BOTTOM_ANY);
  }
  BN_to_ASN1_INTEGER(bn, X509_get_serialNumber(cert));
  BN_free(bn);
}

std::string BioToString(BIO* bio) {
  char* data = nullptr;
  long len = BIO_get_mem_data(bio, &data);  // NOLINT
  std::string out(data, static_cast<size_t>(len));
  BIO_free(bio);
  return out;
}

}  // namespace

EvpPkeyPtr GenerateKey(const std::string& spec) {
  EVP_PKEY* key = nullptr;
  if (spec == "rsa:2048") {
    key = EVP_RSA_gen(2048);
  } else if (spec == "EC:prime256v1") {
    key = EVP_EC_gen("P-256");
  } else if (spec == "EC:secp384r1") {
    key = EVP_EC_gen("P-384");
  }
  Check(key != nullptr, "keygen");
  return EvpPkeyPtr(key);
}

TestCa TestCa::Create(const std::string& cn, int64_t now) {
  TestCa ca;
  ca.key = GenerateKey("EC:prime256v1");
  ca.name = cn;
  ca.cert.reset(X509_new());
  X509* c = ca.cert.get();
  X509_set_version(c, 2);
  SetSerial(c, 0);
  X509_NAME* name = X509_get_subject_name(c);
  X509_NAME_add_entry_by_txt(name, "O", MBSTRING_UTF8,
                             reinterpret_cast<const unsigned char*>("keyward tests"), -1, -1, 0);
  X509_NAME_add_entry_by_txt(name, "CN", MBSTRING_UTF8,
                             reinterpret_cast<const unsigned char*>(cn.c_str()), -1, -1, 0);
  X509_set_issuer_name(c, name);
  SetTime(X509_getm_notBefore(c), now - 10 * kDay);
  SetTime(X509_getm_notAfter(c), now + 3650 * kDay);
  X509_set_pubkey(c, ca.key.get());
  AddExt(c, c, NID_basic_constraints, "critical,CA:TRUE");
  AddExt(c, c, NID_key_usage, "critical,keyCertSign,cRLSign,digitalSignature");
  AddExt(c, c, NID_subject_key_identifier, "hash");
  Check(X509_sign(c, ca.key.get(), EVP_sha256()) > 0, "CA sign");
  return ca;
}

std::string TestCa::CertPem() const { return Pem(cert.get()); }

std::string TestCa::KeyPem() const {
  BIO* bio = BIO_new(BIO_s_mem());
  PEM_write_bio_PrivateKey(bio, key.get(), nullptr, nullptr, 0, nullptr, nullptr);
  return BioToString(bio);
}

X509Ptr IssueLeaf(const TestCa& ca, EVP_PKEY* subject_key, const LeafSpec& spec) {
  X509Ptr cert(X509_new());
  X509* c = cert.get();
  X509_set_version(c, 2);
  SetSerial(c, spec.serial);
  X509_NAME* name = X509_get_subject_name(c);
  X509_NAME_add_entry_by_txt(name, "O", MBSTRING_UTF8,
                             reinterpret_cast<const unsigned char*>("keyward tests"), -1, -1, 0);
  X509_NAME_add_entry_by_txt(name, "CN", MBSTRING_UTF8,
                             reinterpret_cast<const unsigned char*>(spec.cn.c_str()), -1, -1, 0);
  X509_set_issuer_name(c, X509_get_subject_name(ca.cert.get()));
  SetTime(X509_getm_notBefore(c), spec.not_before);
  SetTime(X509_getm_notAfter(c), spec.not_after);
  X509_set_pubkey(c, subject_key);
  AddExt(c, ca.cert.get(), NID_basic_constraints, "critical,CA:FALSE");
  if (!spec.key_usage.empty()) AddExt(c, ca.cert.get(), NID_key_usage, spec.key_usage);
  if (!spec.eku.empty()) AddExt(c, ca.cert.get(), NID_ext_key_usage, spec.eku);
  AddExt(c, ca.cert.get(), NID_authority_key_identifier, "keyid");
  if (!spec.ocsp_url.empty()) {
    AddExt(c, ca.cert.get(), NID_info_access, "OCSP;URI:" + spec.ocsp_url);
  }
  if (!spec.upn.empty() || !spec.email.empty()) {
    GENERAL_NAMES* names = sk_GENERAL_NAME_new_null();
    for (const auto& u : spec.upn) {
      AddOtherNameSan(names, "1.3.6.1.4.1.311.20.2.3", V_ASN1_UTF8STRING, u);
    }
    for (const auto& e : spec.email) {
      GENERAL_NAME* g = GENERAL_NAME_new();
      ASN1_IA5STRING* s = ASN1_IA5STRING_new();
      ASN1_STRING_set(s, e.data(), static_cast<int>(e.size()));
      GENERAL_NAME_set0_value(g, GEN_EMAIL, s);
      sk_GENERAL_NAME_push(names, g);
    }
    AddGeneralNamesExt(c, "2.5.29.17", names);
    GENERAL_NAMES_free(names);
  }
  if (!spec.sid.empty()) {
    GENERAL_NAMES* names = sk_GENERAL_NAME_new_null();
    AddOtherNameSan(names, "1.3.6.1.4.1.311.25.2.1", V_ASN1_OCTET_STRING, spec.sid);
    AddGeneralNamesExt(c, "1.3.6.1.4.1.311.25.2", names);
    GENERAL_NAMES_free(names);
  }
  Check(X509_sign(c, ca.key.get(), EVP_sha256()) > 0, "leaf sign");
  return cert;
}

X509CrlPtr MakeCrl(const TestCa& ca, const std::vector<X509*>& revoked, int64_t now) {
  X509CrlPtr crl(X509_CRL_new());
  X509_CRL* r = crl.get();
  X509_CRL_set_version(r, 1);
  X509_CRL_set_issuer_name(r, X509_get_subject_name(ca.cert.get()));
  ASN1_TIME* last = ASN1_TIME_new();
  ASN1_TIME* next = ASN1_TIME_new();
  SetTime(last, now - kDay);
  SetTime(next, now + 7 * kDay);
  X509_CRL_set1_lastUpdate(r, last);
  X509_CRL_set1_nextUpdate(r, next);
  for (X509* c : revoked) {
    X509_REVOKED* rev = X509_REVOKED_new();
    X509_REVOKED_set_serialNumber(rev, X509_get_serialNumber(c));
    X509_REVOKED_set_revocationDate(rev, last);
    X509_CRL_add0_revoked(r, rev);
  }
  ASN1_TIME_free(last);
  ASN1_TIME_free(next);
  X509_CRL_sort(r);
  Check(X509_CRL_sign(r, ca.key.get(), EVP_sha256()) > 0, "CRL sign");
  return crl;
}

Bytes Der(X509* cert) {
  unsigned char* der = nullptr;
  int len = i2d_X509(cert, &der);
  Check(len > 0, "i2d_X509");
  Bytes out(der, der + len);
  OPENSSL_free(der);
  return out;
}

std::string Pem(X509* cert) {
  BIO* bio = BIO_new(BIO_s_mem());
  PEM_write_bio_X509(bio, cert);
  return BioToString(bio);
}

std::string CrlPem(X509_CRL* crl) {
  BIO* bio = BIO_new(BIO_s_mem());
  PEM_write_bio_X509_CRL(bio, crl);
  return BioToString(bio);
}

Certificate ToCertificate(X509* cert) { return Certificate::FromX509(cert); }

std::string SerialHexUpper(X509* cert) {
  BIGNUM* bn = ASN1_INTEGER_to_BN(X509_get_serialNumber(cert), nullptr);
  char* hex = BN_bn2hex(bn);
  std::string out(hex);
  OPENSSL_free(hex);
  BN_free(bn);
  return out;
}

void WriteFile(const std::string& path, const std::string& data) {
  std::ofstream out(path, std::ios::binary);
  out << data;
  Check(static_cast<bool>(out), "write file");
}

}  // namespace keyward::pkcs11::testing
