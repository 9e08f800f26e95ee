#include "core/x509.h"

#include <openssl/asn1.h>
#include <openssl/err.h>
#include <openssl/objects.h>
#include <openssl/pem.h>
#include <openssl/x509v3.h>

#include <chrono>
#include <fstream>
#include <list>
#include <mutex>
#include <sstream>
#include <unordered_map>

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

Result<std::shared_ptr<const Certificate::Data>> Certificate::Decode(ByteSpan der) {
  if (der.empty()) return Fail(ErrorCode::kCertificateMalformed, "empty certificate");
  const unsigned char* p = der.data();
  X509Ptr x(d2i_X509(nullptr, &p, static_cast<long>(der.size())));  // NOLINT(runtime/int)
  if (!x) return Fail(ErrorCode::kCertificateMalformed, TakeOpensslError("d2i_X509"));
  if (p != der.data() + der.size()) {
    return Fail(ErrorCode::kCertificateMalformed, "bytes after the certificate");
  }
  return std::make_shared<const Data>(Data{std::move(x), ToBytes(der)});
}

Result<Certificate> Certificate::ParseDer(ByteSpan der) {
  KW_ASSIGN_OR_RETURN(auto data, Decode(der));
  return Certificate(std::move(data));
}

// Least-recently-used map from exact DER bytes to the parsed certificate. The key views the
// entry's own DER, so an entry and its key live and die together.
class CertificateCache {
 public:
  static constexpr size_t kCapacity = 1024;

  static CertificateCache& Instance() {
    static CertificateCache* cache = new CertificateCache();  // never destroyed (exit order)
    return *cache;
  }

  Result<Certificate> Get(ByteSpan der) {
    std::string_view key(reinterpret_cast<const char*>(der.data()), der.size());
    {
      std::lock_guard<std::mutex> lock(mu_);
      if (auto it = index_.find(key); it != index_.end()) {
        lru_.splice(lru_.begin(), lru_, it->second);
        return Certificate(*it->second);
      }
    }
    KW_ASSIGN_OR_RETURN(auto data, Certificate::Decode(der));
    std::lock_guard<std::mutex> lock(mu_);
    std::string_view own(reinterpret_cast<const char*>(data->der.data()), data->der.size());
    if (auto it = index_.find(own); it != index_.end()) return Certificate(*it->second);
    lru_.push_front(data);
    index_.emplace(own, lru_.begin());
    while (lru_.size() > kCapacity) {
      const Bytes& d = lru_.back()->der;
      index_.erase(std::string_view(reinterpret_cast<const char*>(d.data()), d.size()));
      lru_.pop_back();
    }
    return Certificate(std::move(data));
  }

 private:
  using List = std::list<std::shared_ptr<const Certificate::Data>>;
  std::mutex mu_;
  List lru_;  // most recently used first
  std::unordered_map<std::string_view, List::iterator> index_;
};

Result<Certificate> Certificate::ParseDerShared(ByteSpan der) {
  return CertificateCache::Instance().Get(der);
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
    out.push_back(
        Certificate(std::make_shared<const Data>(Data{X509Ptr(x), Bytes(der, der + len)})));
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
  return Certificate(std::make_shared<const Data>(Data{X509Ptr(cert), std::move(bytes)}));
}

EVP_PKEY* Certificate::public_key() const {
  EVP_PKEY* k = X509_get0_pubkey(get());
  ERR_clear_error();
  return k;
}

int Certificate::version() const { return static_cast<int>(X509_get_version(get())) + 1; }
std::string Certificate::Subject() const { return NameToString(X509_get_subject_name(get())); }
std::string Certificate::Issuer() const { return NameToString(X509_get_issuer_name(get())); }
bool Certificate::SubjectIsEmpty() const {
  return X509_NAME_entry_count(X509_get_subject_name(get())) == 0;
}

std::string Certificate::SerialHex() const {
  const ASN1_INTEGER* serial = X509_get0_serialNumber(get());
  BIGNUM* bn = ASN1_INTEGER_to_BN(serial, nullptr);
  if (!bn) return {};
  char* hex = BN_bn2hex(bn);
  std::string out = hex ? hex : "";
  OPENSSL_free(hex);
  BN_free(bn);
  return out;
}

std::optional<int64_t> Certificate::NotBefore() const {
  return AsnTimeToUnix(X509_get0_notBefore(get()));
}
std::optional<int64_t> Certificate::NotAfter() const {
  return AsnTimeToUnix(X509_get0_notAfter(get()));
}
Sha256Digest Certificate::Fingerprint() const { return Sha256(d_->der); }

std::optional<Bytes> Certificate::ExtensionValue(const char* oid) const {
  int idx = ExtensionIndex(get(), oid);
  if (idx < 0) return std::nullopt;
  X509_EXTENSION* ext = X509_get_ext(get(), idx);
  const ASN1_OCTET_STRING* data = X509_EXTENSION_get_data(ext);
  if (!data) return std::nullopt;
  return Bytes(ASN1_STRING_get0_data(data), ASN1_STRING_get0_data(data) + ASN1_STRING_length(data));
}

bool Certificate::ExtensionIsCritical(const char* oid) const {
  int idx = ExtensionIndex(get(), oid);
  return idx >= 0 && X509_EXTENSION_get_critical(X509_get_ext(get(), idx)) == 1;
}

std::optional<bool> Certificate::IsCa() const {
  int crit = 0;
  auto* bc = static_cast<BASIC_CONSTRAINTS*>(
      X509_get_ext_d2i(get(), NID_basic_constraints, &crit, nullptr));
  ERR_clear_error();
  if (!bc) return std::nullopt;
  bool ca = bc->ca != 0;
  BASIC_CONSTRAINTS_free(bc);
  return ca;
}

std::vector<std::string> Certificate::ExtendedKeyUsages() const {
  std::vector<std::string> out;
  auto* eku = static_cast<EXTENDED_KEY_USAGE*>(
      X509_get_ext_d2i(get(), NID_ext_key_usage, nullptr, nullptr));
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
  uint32_t ku = X509_get_key_usage(get());
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
  X509_NAME* name = X509_get_subject_name(get());
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
                                  std::span<const Certificate> anchors,
                                  const ChainOptions& options) {
  if (anchors.empty()) return Fail(ErrorCode::kCertificateUntrusted, "no trust anchors");
  // The anchors go in as the context's trusted stack and the CRLs as its CRL stack, over one
  // empty shared store: nothing is copied, indexed or allocated per anchor, and a shared store
  // is only read (X509_STORE is thread-safe for lookups).
  static X509_STORE* const empty_store = X509_STORE_new();
  if (!empty_store) return Fail(ErrorCode::kInternal, "X509_STORE_new");
  struct Stacks {
    STACK_OF(X509) * trusted = sk_X509_new_reserve(nullptr, 4);
    STACK_OF(X509) * untrusted = sk_X509_new_reserve(nullptr, 4);
    STACK_OF(X509_CRL) * crls = sk_X509_CRL_new_null();
    ~Stacks() {
      sk_X509_free(trusted);
      sk_X509_free(untrusted);
      sk_X509_CRL_free(crls);
    }
  } st;
  if (!st.trusted || !st.untrusted || !st.crls) return Fail(ErrorCode::kInternal, "sk_new");
  for (const auto& a : anchors) sk_X509_push(st.trusted, a.get());
  for (const auto& c : intermediates) sk_X509_push(st.untrusted, c.get());
  for (X509_CRL* crl : options.crls) sk_X509_CRL_push(st.crls, crl);

  X509StoreCtxPtr ctx(X509_STORE_CTX_new());
  if (!ctx || X509_STORE_CTX_init(ctx.get(), empty_store, leaf.get(), st.untrusted) != 1) {
    return Fail(ErrorCode::kInternal, TakeOpensslError("X509_STORE_CTX_init"));
  }
  X509_STORE_CTX_set0_trusted_stack(ctx.get(), st.trusted);
  X509_STORE_CTX_set0_crls(ctx.get(), st.crls);
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
    // Hand back the caller's Certificates (OpenSSL's chain holds the same X509 objects).
    auto find = [&](X509* x) -> std::optional<Certificate> {
      if (x == leaf.get()) return leaf;
      for (const auto& c : intermediates) {
        if (c.get() == x) return c;
      }
      for (const auto& a : anchors) {
        if (a.get() == x) return a;
      }
      return std::nullopt;
    };
    VerifiedChain chain;
    STACK_OF(X509)* path = X509_STORE_CTX_get0_chain(ctx.get());
    chain.path.reserve(static_cast<size_t>(sk_X509_num(path)));
    for (int i = 0; i < sk_X509_num(path); ++i) {
      X509* x = sk_X509_value(path, i);
      std::optional<Certificate> c = find(x);
      chain.path.push_back(c ? std::move(*c) : Certificate::FromX509(x));
    }
    result = std::move(chain);
  } else {
    int err = X509_STORE_CTX_get_error(ctx.get());
    result =
        Fail(MapVerifyError(err), X509_verify_cert_error_string(err), static_cast<uint32_t>(err));
  }
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
