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
#include "core/public_key.h"

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

namespace {

// --- Parsing without OpenSSL 3.0's key decoder -------------------------------------------------
//
// d2i_X509 decodes the subject public key through OSSL_DECODER_CTX_new_for_pkey, ~1.2 M
// instructions per certificate; with an algorithm OID no provider knows, the decoder gives up
// early (~0.36 M). So for the key types certificates here carry (id-ecPublicKey on
// P-256/384/521, rsaEncryption) DecodeWithoutKeyDecoder parses a copy whose SPKI algorithm OID
// has its last arc replaced by an unregistered one of the same length, attaches the key
// core/public_key builds from the raw subjectPublicKey, and re-encodes the certificate. The
// result is kept only when that re-encoding is byte for byte the input: then it is the
// certificate d2i_X509 would have returned, with the same key. Anything else (other key types,
// explicit curve parameters, missing RSA NULL parameters, a point off the curve, BER) returns
// nullptr and the caller uses plain d2i_X509, so what is accepted or refused never changes.

// One definite-length DER TLV: single-byte tag, length in at most 4 bytes. Only used to locate
// the SPKI algorithm OID; a wrong guess costs the fast path, never correctness (the final
// whole-DER comparison refuses any result that is not the input).
bool NextTlv(ByteSpan& in, uint8_t& tag, ByteSpan& content) {
  if (in.size() < 2 || (in[0] & 0x1f) == 0x1f) return false;
  tag = in[0];
  size_t len = in[1];
  size_t header = 2;
  if (len & 0x80) {
    const size_t n = len & 0x7f;
    if (n == 0 || n > 4 || in.size() < 2 + n) return false;
    len = 0;
    for (size_t i = 0; i < n; ++i) len = (len << 8) | in[2 + i];
    header += n;
  }
  if (in.size() - header < len) return false;
  content = in.subspan(header, len);
  in = in.subspan(header + len);
  return true;
}

// The SPKI algorithm OID's contents (a view into `der`), or nullopt.
std::optional<ByteSpan> SpkiAlgorithmOid(ByteSpan der) {
  uint8_t tag = 0;
  ByteSpan cert, tbs, field, spki, alg, oid;
  if (!NextTlv(der, tag, cert) || tag != 0x30) return std::nullopt;
  if (!NextTlv(cert, tag, tbs) || tag != 0x30) return std::nullopt;
  if (!NextTlv(tbs, tag, field)) return std::nullopt;
  if (tag == 0xa0 && !NextTlv(tbs, tag, field)) return std::nullopt;  // version, then serial
  // signature, issuer, validity, subject, subjectPublicKeyInfo
  for (int i = 0; i < 5; ++i) {
    if (!NextTlv(tbs, tag, i < 4 ? field : spki) || tag != 0x30) return std::nullopt;
  }
  if (!NextTlv(spki, tag, alg) || tag != 0x30) return std::nullopt;
  if (!NextTlv(alg, tag, oid) || tag != 0x06) return std::nullopt;
  return oid;
}

constexpr uint8_t kIdEcPublicKey[] = {0x2a, 0x86, 0x48, 0xce, 0x3d, 0x02, 0x01};
constexpr uint8_t kRsaEncryption[] = {0x2a, 0x86, 0x48, 0x86, 0xf7, 0x0d, 0x01, 0x01, 0x01};
constexpr uint8_t kUnregisteredLastArc = 0x7f;  // 1.2.840.10045.2.127, 1.2.840.113549.1.1.127

bool SubstituteOidsUnknown() {
  static const bool unknown = OBJ_txt2nid("1.2.840.10045.2.127") == NID_undef &&
                              OBJ_txt2nid("1.2.840.113549.1.1.127") == NID_undef;
  return unknown;
}

X509Ptr DecodeWithoutKeyDecoder(ByteSpan der) {
  auto oid = SpkiAlgorithmOid(der);
  if (!oid || !SubstituteOidsUnknown()) return nullptr;
  const bool ec =
      std::equal(oid->begin(), oid->end(), std::begin(kIdEcPublicKey), std::end(kIdEcPublicKey));
  const bool rsa =
      std::equal(oid->begin(), oid->end(), std::begin(kRsaEncryption), std::end(kRsaEncryption));
  if (!ec && !rsa) return nullptr;
  Bytes copy = ToBytes(der);
  copy[static_cast<size_t>(oid->data() - der.data()) + oid->size() - 1] = kUnregisteredLastArc;

  ERR_set_mark();
  const unsigned char* p = copy.data();
  X509Ptr x(d2i_X509(nullptr, &p, static_cast<long>(copy.size())));  // NOLINT(runtime/int)
  EvpPkeyPtr key;
  if (x && p == copy.data() + copy.size()) {
    X509_PUBKEY* pub = X509_get_X509_PUBKEY(x.get());
    const unsigned char* bits = nullptr;
    int bits_len = 0;
    X509_ALGOR* alg = nullptr;
    const ASN1_OBJECT* alg_oid = nullptr;
    int param_type = V_ASN1_UNDEF;
    const void* param = nullptr;
    if (pub && X509_PUBKEY_get0_param(nullptr, &bits, &bits_len, &alg, pub) == 1 && bits) {
      X509_ALGOR_get0(&alg_oid, &param_type, &param, alg);
      const ByteSpan key_bits(bits, static_cast<size_t>(bits_len));
      if (ec && param_type == V_ASN1_OBJECT) {
        key = EcSpkiKey(OBJ_obj2nid(static_cast<const ASN1_OBJECT*>(param)), key_bits);
      } else if (rsa && param_type == V_ASN1_NULL) {
        key = RsaSpkiKey(key_bits);
      }
    }
  }
  // X509_set_pubkey re-encodes the SPKI with the real OID from the key; i2d_re_X509_tbs makes
  // every later encoding of the certificate come from its fields, not the parsed copy's bytes.
  bool same = false;
  if (key && X509_set_pubkey(x.get(), key.get()) == 1 && i2d_re_X509_tbs(x.get(), nullptr) > 0 &&
      X509_get0_pubkey(x.get()) == key.get()) {
    unsigned char* again = nullptr;  // one encoding, compared with the input
    const int len = i2d_X509(x.get(), &again);
    same = len > 0 && static_cast<size_t>(len) == der.size() &&
           std::equal(der.begin(), der.end(), again);
    OPENSSL_free(again);
  }
  ERR_pop_to_mark();
  if (!same) return nullptr;
  return x;
}

}  // namespace

Result<std::shared_ptr<const Certificate::Data>> Certificate::Decode(ByteSpan der,
                                                                     CertificateRole role) {
  if (der.empty()) return Fail(ErrorCode::kCertificateMalformed, "empty certificate");
  if (role == CertificateRole::kEndEntity) {
    if (X509Ptr fast = DecodeWithoutKeyDecoder(der)) {
      return std::make_shared<const Data>(Data{std::move(fast), ToBytes(der), false});
    }
  }
  const unsigned char* p = der.data();
  X509Ptr x(d2i_X509(nullptr, &p, static_cast<long>(der.size())));  // NOLINT(runtime/int)
  if (!x) return Fail(ErrorCode::kCertificateMalformed, TakeOpensslError("d2i_X509"));
  if (p != der.data() + der.size()) {
    return Fail(ErrorCode::kCertificateMalformed, "bytes after the certificate");
  }
  return std::make_shared<const Data>(Data{std::move(x), ToBytes(der), true});
}

Result<Certificate> Certificate::ParseDer(ByteSpan der, CertificateRole role) {
  KW_ASSIGN_OR_RETURN(auto data, Decode(der, role));
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

  // A certificate met for the first time is parsed for its role (an end entity without the key
  // decoder). Met again, it is one that repeats (a batch attestation certificate, an
  // intermediate): an entry without a provider-native key is then parsed once more with plain
  // d2i_X509 and replaced, so from then on OpenSSL's path validation neither re-encodes its
  // TBSCertificate (the bypass leaves the X509 without a cached encoding) nor goes through the
  // slower low-level key.
  Result<Certificate> Get(ByteSpan der, CertificateRole role) {
    std::string_view key(reinterpret_cast<const char*>(der.data()), der.size());
    bool seen = false;
    {
      std::lock_guard<std::mutex> lock(mu_);
      if (auto it = index_.find(key); it != index_.end()) {
        lru_.splice(lru_.begin(), lru_, it->second);
        if ((*it->second)->provider_key) return Certificate(*it->second);
        seen = true;
      }
    }
    KW_ASSIGN_OR_RETURN(auto data,
                        Certificate::Decode(der, seen ? CertificateRole::kIssuer : role));
    std::lock_guard<std::mutex> lock(mu_);
    std::string_view own(reinterpret_cast<const char*>(data->der.data()), data->der.size());
    if (auto it = index_.find(own); it != index_.end()) {
      if (!data->provider_key || (*it->second)->provider_key) return Certificate(*it->second);
      const auto old = it->second;
      index_.erase(it);  // its key views the old entry's DER: erase it before the entry
      lru_.erase(old);
    }
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

Result<Certificate> Certificate::ParseDerShared(ByteSpan der, CertificateRole role) {
  return CertificateCache::Instance().Get(der, role);
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
        Certificate(std::make_shared<const Data>(Data{X509Ptr(x), Bytes(der, der + len), true})));
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
  return Certificate(std::make_shared<const Data>(Data{
      X509Ptr(cert), std::move(bytes), EVP_PKEY_get0_provider(X509_get0_pubkey(cert)) != nullptr}));
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
