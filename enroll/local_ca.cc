#include "enroll/local_ca.h"

#include <openssl/err.h>
#include <openssl/pem.h>
#include <openssl/x509v3.h>

#include "core/hash.h"

namespace keyward::enroll {

Result<Bytes> RandomSerial() {
  KW_ASSIGN_OR_RETURN(Bytes s, RandomBytes(16));
  s[0] &= 0x7F;
  if (s[0] == 0) s[0] = 0x01;
  return s;
}

Result<LocalCa> LocalCa::Load(const std::string& cert_pem_path, const std::string& key_pem_path,
                              int64_t now) {
  KW_ASSIGN_OR_RETURN(std::string cert, ReadFileToString(cert_pem_path, 1 << 20));
  KW_ASSIGN_OR_RETURN(std::string key, ReadFileToString(key_pem_path, 1 << 20));
  auto ca = FromPem(cert, key, now);
  OPENSSL_cleanse(key.data(), key.size());
  return ca;
}

Result<LocalCa> LocalCa::FromPem(std::string_view cert_pem, std::string_view key_pem, int64_t now) {
  auto certs = Certificate::ParsePem(cert_pem);
  if (!certs) return Fail(ErrorCode::kEnrollCaInvalid, "CA certificate: " + certs.error().detail);
  Certificate cert = certs->front();
  BIO* bio = BIO_new_mem_buf(key_pem.data(), static_cast<int>(key_pem.size()));
  EVP_PKEY* key = bio ? PEM_read_bio_PrivateKey(bio, nullptr, nullptr, nullptr) : nullptr;
  BIO_free(bio);
  ERR_clear_error();
  if (!key) return Fail(ErrorCode::kEnrollCaInvalid, "CA key: no unencrypted PEM private key");
  EvpPkeyPtr owned(key);
  if (X509_check_private_key(cert.get(), key) != 1) {
    ERR_clear_error();
    return Fail(ErrorCode::kEnrollCaInvalid, "the CA key does not belong to the CA certificate");
  }
  if (!cert.IsCa().value_or(false)) {
    return Fail(ErrorCode::kEnrollCaInvalid, "the CA certificate is not a CA (basicConstraints)");
  }
  if (auto ku = cert.KeyUsage(); ku && !(*ku & KU_KEY_CERT_SIGN)) {
    return Fail(ErrorCode::kEnrollCaInvalid, "the CA certificate lacks keyCertSign");
  }
  auto nb = cert.NotBefore();
  auto na = cert.NotAfter();
  if (!nb || !na || now < *nb || now > *na) {
    return Fail(ErrorCode::kEnrollCaInvalid, "the CA certificate is not valid now");
  }
  return LocalCa(std::move(cert), std::move(owned));
}

Result<Bytes> LocalCa::Issue(const VerifiedCsr& csr, const WorkforceProfile& profile, int64_t now,
                             int validity_days, ByteSpan serial) const {
  if (validity_days < 1 || validity_days > 3650) {
    return Fail(ErrorCode::kEnrollOptionsInvalid, "validity: 1-3650 days");
  }
  if (serial.empty() || serial.size() > 20) {
    return Fail(ErrorCode::kInvalidArgument, "serial: 1-20 bytes");
  }
  X509Ptr x(X509_new());
  if (!x) return Fail(ErrorCode::kCryptoInternal, "X509_new");
  BignumPtr bn(BN_bin2bn(serial.data(), static_cast<int>(serial.size()), nullptr));
  ASN1_INTEGER* sn = bn ? BN_to_ASN1_INTEGER(bn.get(), nullptr) : nullptr;
  if (!sn || X509_set_serialNumber(x.get(), sn) != 1) {
    ASN1_INTEGER_free(sn);
    return Fail(ErrorCode::kCryptoInternal, "serial");
  }
  ASN1_INTEGER_free(sn);
  int64_t not_before = now - 300;
  int64_t not_after = now + int64_t{validity_days} * 86400;
  if (auto ca_end = cert_.NotAfter(); ca_end && not_after > *ca_end) not_after = *ca_end;
  if (X509_set_version(x.get(), X509_VERSION_3) != 1 ||
      !ASN1_TIME_set(X509_getm_notBefore(x.get()), static_cast<time_t>(not_before)) ||
      !ASN1_TIME_set(X509_getm_notAfter(x.get()), static_cast<time_t>(not_after)) ||
      X509_set_subject_name(x.get(), profile.subject.get()) != 1 ||
      X509_set_issuer_name(x.get(), X509_get_subject_name(cert_.get())) != 1 ||
      X509_set_pubkey(x.get(), csr.public_key.get()) != 1) {
    return Fail(ErrorCode::kCryptoInternal, TakeOpensslError("certificate fields"));
  }
  for (const Extension& e : profile.extensions) {
    KW_ASSIGN_OR_RETURN(X509_EXTENSION * ext, ToX509Extension(e));
    int ok = X509_add_ext(x.get(), ext, -1);
    X509_EXTENSION_free(ext);
    if (ok != 1) return Fail(ErrorCode::kCryptoInternal, TakeOpensslError("add extension"));
  }
  X509V3_CTX ctx;
  X509V3_set_ctx_nodb(&ctx);
  X509V3_set_ctx(&ctx, cert_.get(), x.get(), nullptr, nullptr, 0);
  const char* conf[][2] = {{"basicConstraints", "critical,CA:FALSE"},
                           {"subjectKeyIdentifier", "hash"},
                           {"authorityKeyIdentifier", "keyid:always"}};
  for (const auto& kv : conf) {
    X509_EXTENSION* ext = X509V3_EXT_nconf(nullptr, &ctx, kv[0], kv[1]);
    if (!ext || X509_add_ext(x.get(), ext, -1) != 1) {
      X509_EXTENSION_free(ext);
      return Fail(ErrorCode::kCryptoInternal, TakeOpensslError(kv[0]));
    }
    X509_EXTENSION_free(ext);
  }
  const EVP_MD* md = EVP_sha256();
  if (EVP_PKEY_is_a(key_.get(), "EC") && EVP_PKEY_get_bits(key_.get()) > 256) md = EVP_sha384();
  if (EVP_PKEY_is_a(key_.get(), "ED25519")) md = nullptr;
  if (X509_sign(x.get(), key_.get(), md) <= 0) {
    return Fail(ErrorCode::kCryptoInternal, TakeOpensslError("X509_sign"));
  }
  unsigned char* der = nullptr;
  int len = i2d_X509(x.get(), &der);
  if (len <= 0) return Fail(ErrorCode::kCryptoInternal, "i2d_X509");
  Bytes out(der, der + len);
  OPENSSL_free(der);
  return out;
}

}  // namespace keyward::enroll
