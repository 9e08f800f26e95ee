#include "core/x509.h"

#include <openssl/asn1.h>
#include <openssl/err.h>
#include <openssl/objects.h>
#include <openssl/pem.h>
#include <openssl/x509v3.h>

#include <chrono>
#include <fstream>
#include <sstream>

#include "core/hash.h"

namespace keyward {
namespace {

std::string NameToString(const X509_NAME* name) {
  BIO* bio = BIO_new(BIO_s_mem());
  if (!bio) return {};
  X509_NAME_print_ex(bio, name, 0, XN_FLAG_RFC2253);
  char* data = nullptr;
  long len = BIO_get_mem_data(bio, &data);  // NOLINT(runtime/int)
  std::string out(data, static_cast<size_t>(len));
  BIO_free(bio);
  return out;
}

std::optional<int64_t> AsnTimeToUnix(const ASN1_TIME* t) {
  struct tm tm {};
  if (!t || ASN1_TIME_to_tm(t, &tm) != 1) return std::nullopt;
  return static_cast<int64_t>(timegm(&tm));
}

int ExtensionIndex(X509* cert, const char* oid) {
  ASN1_OBJECT* obj = OBJ_txt2obj(oid, 1);
  if (!obj) return -1;
  int idx = X509_get_ext_by_OBJ(cert, obj, -1);
  ASN1_OBJECT_free(obj);
  return idx;
}

ErrorCode MapVerifyError(int err) {
  switch (err) {
    case X509_V_ERR_CERT_HAS_EXPIRED:
    case X509_V_ERR_CRL_HAS_EXPIRED:
      return err == X509_V_ERR_CERT_HAS_EXPIRED ? ErrorCode::kCertificateExpired
                                                : ErrorCode::kRevocationUnknown;
    case X509_V_ERR_CERT_NOT_YET_VALID:
      return ErrorCode::kCertificateNotYetValid;
    case X509_V_ERR_CERT_REVOKED:
      return ErrorCode::kCertificateRevoked;
    case X509_V_ERR_UNABLE_TO_GET_CRL:
    case X509_V_ERR_CRL_NOT_YET_VALID:
      return ErrorCode::kRevocationUnknown;
    case X509_V_ERR_UNABLE_TO_GET_ISSUER_CERT:
    case X509_V_ERR_UNABLE_TO_GET_ISSUER_CERT_LOCALLY:
    case X509_V_ERR_DEPTH_ZERO_SELF_SIGNED_CERT:
    case X509_V_ERR_SELF_SIGNED_CERT_IN_CHAIN:
    case X509_V_ERR_UNABLE_TO_VERIFY_LEAF_SIGNATURE:
    case X509_V_ERR_CERT_UNTRUSTED:
      return ErrorCode::kCertificateUntrusted;
    default:
      return ErrorCode::kCertificateChainInvalid;
  }
}

}  // namespace

Certificate::Certificate(X509Ptr x509, Bytes der) : x509_(std::move(x509)), der_(std::move(der)) {}

Certificate::Certificate(const Certificate& o) : der_(o.der_) {
  X509_up_ref(o.x509_.get());
  x509_.reset(o.x509_.get());
}

Certificate& Certificate::operator=(const Certificate& o) {
  if (this != &o) {
    X509_up_ref(o.x509_.get());
    x509_.reset(o.x509_.get());
    der_ = o.der_;
  }
  return *this;
}

Result<Certificate> Certificate::ParseDer(ByteSpan der) {
  if (der.empty()) return Fail(ErrorCode::kCertificateMalformed, "empty certificate");
  const unsigned char* p = der.data();
  X509Ptr x(d2i_X509(nullptr, &p, static_cast<long>(der.size())));  // NOLINT(runtime/int)
  if (!x) return Fail(ErrorCode::kCertificateMalformed, TakeOpensslError("d2i_X509"));
  if (p != der.data() + der.size()) {
    return Fail(ErrorCode::kCertificateMalformed, "bytes after the certificate");
  }
  return Certificate(std::move(x), ToBytes(der));
}

Result<std::vector<Certificate>> Certificate::ParsePem(std::string_view pem) {
  BIO* bio = BIO_new_mem_buf(pem.data(), static_cast<int>(pem.size()));
  if (!bio) return Fail(ErrorCode::kInternal, "BIO");
  std::vector<Certificate> out;
  while (true) {
    X509* x = PEM_read_bio_X509(bio, nullptr, nullptr, nullptr);
    if (!x) break;
    unsigned char* der = nullptr;
    int len = i2d_X509(x, &der);
    if (len <= 0) {
      X509_free(x);
      BIO_free(bio);
      return Fail(ErrorCode::kPemMalformed, "certificate re-encoding failed");
    }
    out.push_back(Certificate(X509Ptr(x), Bytes(der, der + len)));
    OPENSSL_free(der);
  }
  BIO_free(bio);
  unsigned long err = ERR_peek_last_error();  // NOLINT(runtime/int)
  ERR_clear_error();
  if (out.empty()) return Fail(ErrorCode::kPemMalformed, "no CERTIFICATE block");
  if (err != 0 && ERR_GET_REASON(err) != PEM_R_NO_START_LINE) {
    return Fail(ErrorCode::kPemMalformed, "a PEM block is malformed");
  }
  return out;
}

Certificate Certificate::FromX509(X509* cert) {
  X509_up_ref(cert);
  unsigned char* der = nullptr;
  int len = i2d_X509(cert, &der);
  Bytes bytes;
  if (len > 0) bytes.assign(der, der + len);
  OPENSSL_free(der);
  return Certificate(X509Ptr(cert), std::move(bytes));
}

EVP_PKEY* Certificate::public_key() const {
  EVP_PKEY* k = X509_get0_pubkey(x509_.get());
  ERR_clear_error();
  return k;
}

int Certificate::version() const { return static_cast<int>(X509_get_version(x509_.get())) + 1; }
std::string Certificate::Subject() const { return NameToString(X509_get_subject_name(x509_.get())); }
std::string Certificate::Issuer() const { return NameToString(X509_get_issuer_name(x509_.get())); }
bool Certificate::SubjectIsEmpty() const {
  return X509_NAME_entry_count(X509_get_subject_name(x509_.get())) == 0;
}

std::string Certificate::SerialHex() const {
  const ASN1_INTEGER* serial = X509_get0_serialNumber(x509_.get());
  BIGNUM* bn = ASN1_INTEGER_to_BN(serial, nullptr);
  if (!bn) return {};
  char* hex = BN_bn2hex(bn);
  std::string out = hex ? hex : "";
  OPENSSL_free(hex);
  BN_free(bn);
  return out;
}

std::optional<int64_t> Certificate::NotBefore() const {
  return AsnTimeToUnix(X509_get0_notBefore(x509_.get()));
}
std::optional<int64_t> Certificate::NotAfter() const {
  return AsnTimeToUnix(X509_get0_notAfter(x509_.get()));
}
Sha256Digest Certificate::Fingerprint() const { return Sha256(der_); }

std::optional<Bytes> Certificate::ExtensionValue(const char* oid) const {
  int idx = ExtensionIndex(x509_.get(), oid);
  if (idx < 0) return std::nullopt;
  X509_EXTENSION* ext = X509_get_ext(x509_.get(), idx);
  const ASN1_OCTET_STRING* data = X509_EXTENSION_get_data(ext);
  if (!data) return std::nullopt;
  return Bytes(ASN1_STRING_get0_data(data), ASN1_STRING_get0_data(data) + ASN1_STRING_length(data));
}

bool Certificate::ExtensionIsCritical(const char* oid) const {
  int idx = ExtensionIndex(x509_.get(), oid);
  return idx >= 0 && X509_EXTENSION_get_critical(X509_get_ext(x509_.get(), idx)) == 1;
}

std::optional<bool> Certificate::IsCa() const {
  int crit = 0;
  auto* bc = static_cast<BASIC_CONSTRAINTS*>(
      X509_get_ext_d2i(x509_.get(), NID_basic_constraints, &crit, nullptr));
  ERR_clear_error();
  if (!bc) return std::nullopt;
  bool ca = bc->ca != 0;
  BASIC_CONSTRAINTS_free(bc);
  return ca;
}

std::vector<std::string> Certificate::ExtendedKeyUsages() const {
  std::vector<std::string> out;
  auto* eku = static_cast<EXTENDED_KEY_USAGE*>(
      X509_get_ext_d2i(x509_.get(), NID_ext_key_usage, nullptr, nullptr));
  ERR_clear_error();
  if (!eku) return out;
  for (int i = 0; i < sk_ASN1_OBJECT_num(eku); ++i) {
    char buf[128];
    int n = OBJ_obj2txt(buf, sizeof(buf), sk_ASN1_OBJECT_value(eku, i), 1);
    if (n > 0 && n < static_cast<int>(sizeof(buf))) out.emplace_back(buf, static_cast<size_t>(n));
  }
  sk_ASN1_OBJECT_pop_free(eku, ASN1_OBJECT_free);
  return out;
}

std::optional<uint32_t> Certificate::KeyUsage() const {
  uint32_t ku = X509_get_key_usage(x509_.get());
  ERR_clear_error();
  if (ku == UINT32_MAX) return std::nullopt;
  return ku;
}

std::vector<std::string> Certificate::SubjectAttribute(const char* name_or_oid) const {
  std::vector<std::string> out;
  ASN1_OBJECT* obj = OBJ_txt2obj(name_or_oid, 0);
  if (!obj) {
    ERR_clear_error();
    return out;
  }
  X509_NAME* name = X509_get_subject_name(x509_.get());
  for (int i = X509_NAME_get_index_by_OBJ(name, obj, -1); i >= 0;
       i = X509_NAME_get_index_by_OBJ(name, obj, i)) {
    ASN1_STRING* s = X509_NAME_ENTRY_get_data(X509_NAME_get_entry(name, i));
    unsigned char* utf8 = nullptr;
    int len = ASN1_STRING_to_UTF8(&utf8, s);
    if (len >= 0) out.emplace_back(reinterpret_cast<char*>(utf8), static_cast<size_t>(len));
    OPENSSL_free(utf8);
  }
  ASN1_OBJECT_free(obj);
  return out;
}

Result<VerifiedChain> VerifyChain(const Certificate& leaf,
                                  std::span<const Certificate> intermediates,
                                  std::span<const Certificate> anchors, const ChainOptions& options) {
  if (anchors.empty()) return Fail(ErrorCode::kCertificateUntrusted, "no trust anchors");
  X509StorePtr store(X509_STORE_new());
  if (!store) return Fail(ErrorCode::kInternal, "X509_STORE_new");
  for (const auto& a : anchors) X509_STORE_add_cert(store.get(), a.get());
  for (X509_CRL* crl : options.crls) X509_STORE_add_crl(store.get(), crl);
  ERR_clear_error();

  STACK_OF(X509)* untrusted = sk_X509_new_null();
  for (const auto& c : intermediates) sk_X509_push(untrusted, c.get());
  X509StoreCtxPtr ctx(X509_STORE_CTX_new());
  if (!ctx || X509_STORE_CTX_init(ctx.get(), store.get(), leaf.get(), untrusted) != 1) {
    sk_X509_free(untrusted);
    return Fail(ErrorCode::kInternal, TakeOpensslError("X509_STORE_CTX_init"));
  }
  X509_VERIFY_PARAM* param = X509_STORE_CTX_get0_param(ctx.get());
  X509_VERIFY_PARAM_set_time(param, static_cast<time_t>(options.verify_time));
  X509_VERIFY_PARAM_set_depth(param, options.max_depth);
  unsigned long flags = 0;  // NOLINT(runtime/int)
  if (options.allow_partial_chain) flags |= X509_V_FLAG_PARTIAL_CHAIN;
  if (options.require_crls) flags |= X509_V_FLAG_CRL_CHECK | X509_V_FLAG_CRL_CHECK_ALL;
  X509_VERIFY_PARAM_set_flags(param, flags);

  int ok = X509_verify_cert(ctx.get());
  Result<VerifiedChain> result = Fail(ErrorCode::kInternal, "unreachable");
  if (ok == 1) {
    VerifiedChain chain;
    STACK_OF(X509)* path = X509_STORE_CTX_get0_chain(ctx.get());
    for (int i = 0; i < sk_X509_num(path); ++i) {
      chain.path.push_back(Certificate::FromX509(sk_X509_value(path, i)));
    }
    result = std::move(chain);
  } else {
    int err = X509_STORE_CTX_get_error(ctx.get());
    result = Fail(MapVerifyError(err), X509_verify_cert_error_string(err), static_cast<uint32_t>(err));
  }
  sk_X509_free(untrusted);
  ERR_clear_error();
  return result;
}

Result<std::string> ReadFileToString(const std::string& path, size_t max_bytes) {
  std::ifstream in(path, std::ios::binary);
  if (!in) return Fail(ErrorCode::kIo, "cannot open " + path);
  std::string out;
  char buf[65536];
  while (in) {
    in.read(buf, sizeof(buf));
    out.append(buf, static_cast<size_t>(in.gcount()));
    if (out.size() > max_bytes) return Fail(ErrorCode::kIo, path + " is too large");
  }
  if (in.bad()) return Fail(ErrorCode::kIo, "read error on " + path);
  return out;
}

Result<X509CrlPtr> ParseCrl(ByteSpan der_or_pem) {
  const unsigned char* p = der_or_pem.data();
  X509_CRL* crl = d2i_X509_CRL(nullptr, &p, static_cast<long>(der_or_pem.size()));  // NOLINT
  if (!crl) {
    BIO* bio = BIO_new_mem_buf(der_or_pem.data(), static_cast<int>(der_or_pem.size()));
    crl = bio ? PEM_read_bio_X509_CRL(bio, nullptr, nullptr, nullptr) : nullptr;
    BIO_free(bio);
  }
  if (!crl) return Fail(ErrorCode::kCrlInvalid, TakeOpensslError("CRL"));
  ERR_clear_error();
  return X509CrlPtr(crl);
}

int64_t UnixNow() {
  return std::chrono::duration_cast<std::chrono::seconds>(
             std::chrono::system_clock::now().time_since_epoch())
      .count();
}

}  // namespace keyward
