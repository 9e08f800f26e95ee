#include "enroll/csr.h"

#include <openssl/core_names.h>
#include <openssl/err.h>
#include <openssl/pem.h>
#include <openssl/x509.h>

#include "core/base64url.h"

namespace keyward::enroll {
namespace {

using X509ReqPtr = std::unique_ptr<X509_REQ, OsslDeleter<X509_REQ, X509_REQ_free>>;
using ExtStack = STACK_OF(X509_EXTENSION);

void FreeExtStack(ExtStack* s) { sk_X509_EXTENSION_pop_free(s, X509_EXTENSION_free); }

Result<int> SignatureNid(EVP_PKEY* key, HashAlgorithm hash) {
  if (EVP_PKEY_is_a(key, "EC")) {
    return hash == HashAlgorithm::kSha384 ? NID_ecdsa_with_SHA384 : NID_ecdsa_with_SHA256;
  }
  if (EVP_PKEY_is_a(key, "RSA")) return NID_sha256WithRSAEncryption;
  return Fail(ErrorCode::kUnsupportedKeyType, "request keys are EC or RSA");
}

}  // namespace

Result<HashAlgorithm> HashForKey(EVP_PKEY* key) {
  if (!key) return Fail(ErrorCode::kKeyMalformed, "no key");
  if (EVP_PKEY_is_a(key, "EC")) {
    return EVP_PKEY_get_bits(key) > 256 ? HashAlgorithm::kSha384 : HashAlgorithm::kSha256;
  }
  if (EVP_PKEY_is_a(key, "RSA")) return HashAlgorithm::kSha256;
  return Fail(ErrorCode::kUnsupportedKeyType, "request keys are EC or RSA");
}

Result<VerifiedCsr> BuildCsr(const X509_NAME* subject, EVP_PKEY* public_key,
                             const std::vector<Extension>& extensions, const DigestSigner& signer) {
  KW_ASSIGN_OR_RETURN(HashAlgorithm hash, HashForKey(public_key));
  KW_ASSIGN_OR_RETURN(int sig_nid, SignatureNid(public_key, hash));
  X509ReqPtr req(X509_REQ_new());
  if (!req || X509_REQ_set_version(req.get(), X509_REQ_VERSION_1) != 1 ||
      X509_REQ_set_subject_name(req.get(), subject) != 1 ||
      X509_REQ_set_pubkey(req.get(), public_key) != 1) {
    return Fail(ErrorCode::kCryptoInternal, TakeOpensslError("X509_REQ"));
  }
  if (!extensions.empty()) {
    std::unique_ptr<ExtStack, OsslDeleter<ExtStack, FreeExtStack>> exts(
        sk_X509_EXTENSION_new_null());
    for (const Extension& e : extensions) {
      KW_ASSIGN_OR_RETURN(X509_EXTENSION * x, ToX509Extension(e));
      sk_X509_EXTENSION_push(exts.get(), x);
    }
    if (X509_REQ_add_extensions(req.get(), exts.get()) != 1) {
      return Fail(ErrorCode::kCryptoInternal, TakeOpensslError("extensionRequest"));
    }
  }
  // The algorithm identifier is not part of certificationRequestInfo, but set it first so the
  // finished structure is complete. ECDSA: parameters absent (RFC 5758 §3.2); RSA: NULL.
  X509_ALGOR* alg = X509_ALGOR_new();
  if (!alg || X509_ALGOR_set0(alg, OBJ_nid2obj(sig_nid),
                              EVP_PKEY_is_a(public_key, "RSA") ? V_ASN1_NULL : V_ASN1_UNDEF,
                              nullptr) != 1) {
    X509_ALGOR_free(alg);
    return Fail(ErrorCode::kCryptoInternal, "AlgorithmIdentifier");
  }
  int set_alg = X509_REQ_set1_signature_algo(req.get(), alg);
  X509_ALGOR_free(alg);
  if (set_alg != 1) return Fail(ErrorCode::kCryptoInternal, TakeOpensslError("signature algo"));

  unsigned char* tbs = nullptr;
  int tbs_len = i2d_re_X509_REQ_tbs(req.get(), &tbs);
  if (tbs_len <= 0) return Fail(ErrorCode::kCryptoInternal, TakeOpensslError("i2d tbs"));
  Bytes digest = Digest(hash, ByteSpan(tbs, static_cast<size_t>(tbs_len)));
  OPENSSL_free(tbs);
  KW_ASSIGN_OR_RETURN(Bytes sig, signer(hash, digest));
  ASN1_BIT_STRING* bits = ASN1_BIT_STRING_new();
  if (!bits || ASN1_BIT_STRING_set(bits, sig.data(), static_cast<int>(sig.size())) != 1) {
    ASN1_BIT_STRING_free(bits);
    return Fail(ErrorCode::kCryptoInternal, "signature bits");
  }
  bits->flags &= ~(ASN1_STRING_FLAG_BITS_LEFT | 0x07);
  bits->flags |= ASN1_STRING_FLAG_BITS_LEFT;
  X509_REQ_set0_signature(req.get(), bits);
  unsigned char* der = nullptr;
  int len = i2d_X509_REQ(req.get(), &der);
  if (len <= 0) return Fail(ErrorCode::kCryptoInternal, TakeOpensslError("i2d_X509_REQ"));
  Bytes out(der, der + len);
  OPENSSL_free(der);
  return VerifyCsr(out);
}

Result<VerifiedCsr> VerifyCsr(ByteSpan der) {
  const unsigned char* p = der.data();
  X509ReqPtr req(d2i_X509_REQ(nullptr, &p, static_cast<long>(der.size())));  // NOLINT
  if (!req || p != der.data() + der.size()) {
    ERR_clear_error();
    return Fail(ErrorCode::kEnrollCsrMalformed, "not a DER PKCS#10 request");
  }
  EVP_PKEY* key = X509_REQ_get0_pubkey(req.get());
  if (!key) {
    ERR_clear_error();
    return Fail(ErrorCode::kEnrollCsrMalformed, "request public key unreadable");
  }
  if (X509_REQ_verify(req.get(), key) != 1) {
    ERR_clear_error();
    return Fail(ErrorCode::kEnrollCsrSignatureInvalid,
                "the request's self-signature does not verify (no proof of possession)");
  }
  VerifiedCsr v;
  v.der = ToBytes(der);
  EVP_PKEY_up_ref(key);
  v.public_key.reset(key);
  unsigned char* spki = nullptr;
  int slen = i2d_PUBKEY(key, &spki);
  if (slen <= 0) return Fail(ErrorCode::kCryptoInternal, "i2d_PUBKEY");
  v.spki.assign(spki, spki + slen);
  OPENSSL_free(spki);
  BIO* bio = BIO_new(BIO_s_mem());
  X509_NAME_print_ex(bio, X509_REQ_get_subject_name(req.get()), 0, XN_FLAG_RFC2253);
  char* data = nullptr;
  long n = BIO_get_mem_data(bio, &data);  // NOLINT(runtime/int)
  v.subject.assign(data, static_cast<size_t>(n));
  BIO_free(bio);
  ExtStack* exts = X509_REQ_get_extensions(req.get());
  for (int i = 0; exts && i < sk_X509_EXTENSION_num(exts); ++i) {
    X509_EXTENSION* x = sk_X509_EXTENSION_value(exts, i);
    char oid[80] = {};
    OBJ_obj2txt(oid, sizeof(oid), X509_EXTENSION_get_object(x), 1);
    const ASN1_OCTET_STRING* os = X509_EXTENSION_get_data(x);
    Extension e;
    e.oid = oid;
    e.critical = X509_EXTENSION_get_critical(x) == 1;
    e.value.assign(ASN1_STRING_get0_data(os), ASN1_STRING_get0_data(os) + ASN1_STRING_length(os));
    v.extensions.push_back(std::move(e));
  }
  if (exts) FreeExtStack(exts);
  ERR_clear_error();
  return v;
}

std::string CsrToPem(ByteSpan der) {
  std::string b64 = Base64Encode(der);
  std::string out = "-----BEGIN CERTIFICATE REQUEST-----\n";
  for (size_t i = 0; i < b64.size(); i += 64) {
    out.append(b64, i, 64);
    out.push_back('\n');
  }
  out += "-----END CERTIFICATE REQUEST-----\n";
  return out;
}

Result<Bytes> CsrFromPem(std::string_view pem) {
  BIO* bio = BIO_new_mem_buf(pem.data(), static_cast<int>(pem.size()));
  if (!bio) return Fail(ErrorCode::kInternal, "BIO");
  X509_REQ* req = PEM_read_bio_X509_REQ(bio, nullptr, nullptr, nullptr);
  BIO_free(bio);
  if (!req) {
    ERR_clear_error();
    return Fail(ErrorCode::kEnrollCsrMalformed, "no CERTIFICATE REQUEST block");
  }
  X509ReqPtr owned(req);
  unsigned char* der = nullptr;
  int len = i2d_X509_REQ(req, &der);
  if (len <= 0) return Fail(ErrorCode::kEnrollCsrMalformed, "request re-encoding failed");
  Bytes out(der, der + len);
  OPENSSL_free(der);
  return out;
}

}  // namespace keyward::enroll
