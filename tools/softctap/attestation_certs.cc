#include "tools/softctap/attestation_certs.h"

#include <openssl/asn1.h>
#include <openssl/bio.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/x509.h>
#include <openssl/x509v3.h>

#include "core/hash.h"
#include "core/openssl_util.h"
#include "tools/softctap/soft_crypto.h"

namespace keyward::softctap {
namespace {

using X509NamePtr = std::unique_ptr<X509_NAME, OsslDeleter<X509_NAME, X509_NAME_free>>;
using ExtPtr = std::unique_ptr<X509_EXTENSION, OsslDeleter<X509_EXTENSION, X509_EXTENSION_free>>;

X509NamePtr MakeName(const char* ou, const char* cn) {
  X509NamePtr name(X509_NAME_new());
  auto add = [&](const char* field, const char* value) {
    X509_NAME_add_entry_by_txt(name.get(), field, MBSTRING_UTF8,
                               reinterpret_cast<const unsigned char*>(value), -1, -1, 0);
  };
  add("C", "US");
  add("O", "keyward test");
  add("OU", ou);
  add("CN", cn);
  return name;
}

bool AddExt(X509* cert, X509* issuer, int nid, const char* value) {
  X509V3_CTX ctx;
  X509V3_set_ctx_nodb(&ctx);
  X509V3_set_ctx(&ctx, issuer, cert, nullptr, nullptr, 0);
  ExtPtr ext(X509V3_EXT_conf_nid(nullptr, &ctx, nid, value));
  return ext && X509_add_ext(cert, ext.get(), -1) == 1;
}

Result<Bytes> Issue(EVP_PKEY* subject_key, EVP_PKEY* issuer_key, X509* issuer_cert,
                    const X509NamePtr& subject, bool is_ca, ByteSpan aaguid) {
  X509Ptr cert(X509_new());
  KW_ASSIGN_OR_RETURN(Bytes serial, RandomBytes(16));
  serial[0] &= 0x7f;
  BignumPtr bn(BN_bin2bn(serial.data(), static_cast<int>(serial.size()), nullptr));
  bool ok = cert && bn && X509_set_version(cert.get(), 2) == 1 &&
            BN_to_ASN1_INTEGER(bn.get(), X509_get_serialNumber(cert.get())) != nullptr &&
            X509_set_subject_name(cert.get(), subject.get()) == 1 &&
            X509_set_issuer_name(cert.get(), issuer_cert ? X509_get_subject_name(issuer_cert)
                                                         : subject.get()) == 1 &&
            X509_gmtime_adj(X509_getm_notBefore(cert.get()), -86400L) != nullptr &&
            X509_time_adj_ex(X509_getm_notAfter(cert.get()), 365 * 20, 0, nullptr) != nullptr &&
            X509_set_pubkey(cert.get(), subject_key) == 1;
  X509* issuer = issuer_cert ? issuer_cert : cert.get();
  if (ok && is_ca) {
    ok = AddExt(cert.get(), issuer, NID_basic_constraints, "critical,CA:TRUE") &&
         AddExt(cert.get(), issuer, NID_key_usage, "critical,keyCertSign,cRLSign") &&
         AddExt(cert.get(), issuer, NID_subject_key_identifier, "hash");
  } else if (ok) {
    ok = AddExt(cert.get(), issuer, NID_basic_constraints, "critical,CA:FALSE") &&
         AddExt(cert.get(), issuer, NID_key_usage, "critical,digitalSignature") &&
         AddExt(cert.get(), issuer, NID_authority_key_identifier, "keyid:always");
    if (ok) {
      // id-fido-gen-ce-aaguid: extnValue is an OCTET STRING containing the 16-byte AAGUID
      // OCTET STRING.
      ASN1_OBJECT* obj = OBJ_txt2obj("1.3.6.1.4.1.45724.1.1.4", 1);
      uint8_t inner[18] = {0x04, 0x10};
      std::copy(aaguid.begin(), aaguid.end(), inner + 2);
      ASN1_OCTET_STRING* os = ASN1_OCTET_STRING_new();
      ok = obj && os && ASN1_OCTET_STRING_set(os, inner, sizeof(inner)) == 1;
      X509_EXTENSION* ext = ok ? X509_EXTENSION_create_by_OBJ(nullptr, obj, 0, os) : nullptr;
      ok = ok && ext && X509_add_ext(cert.get(), ext, -1) == 1;
      X509_EXTENSION_free(ext);
      ASN1_OCTET_STRING_free(os);
      ASN1_OBJECT_free(obj);
    }
  }
  ok = ok && X509_sign(cert.get(), issuer_key, EVP_sha256()) > 0;
  if (!ok) return Fail(ErrorCode::kCryptoInternal, TakeOpensslError("issue certificate"));
  int len = i2d_X509(cert.get(), nullptr);
  Bytes der(static_cast<size_t>(len));
  uint8_t* p = der.data();
  i2d_X509(cert.get(), &p);
  return der;
}

}  // namespace

Result<AttestationMaterial> CreateAttestationMaterial(ByteSpan aaguid) {
  if (aaguid.size() != 16) return Fail(ErrorCode::kInvalidArgument, "AAGUID must be 16 bytes");
  KW_ASSIGN_OR_RETURN(SigningKey ca_key, SigningKey::Generate(KeyAlg::kEs256));
  KW_ASSIGN_OR_RETURN(SigningKey batch_key, SigningKey::Generate(KeyAlg::kEs256));
  AttestationMaterial m;
  KW_ASSIGN_OR_RETURN(m.ca_cert, Issue(ca_key.evp(), ca_key.evp(), nullptr,
                                       MakeName("Test CA", "keyward softctap test CA"), true, {}));
  const uint8_t* p = m.ca_cert.data();
  X509Ptr ca(d2i_X509(nullptr, &p, static_cast<long>(m.ca_cert.size())));
  if (!ca) return Fail(ErrorCode::kCryptoInternal, "re-reading CA certificate");
  KW_ASSIGN_OR_RETURN(
      m.batch_cert,
      Issue(batch_key.evp(), ca_key.evp(), ca.get(),
            MakeName("Authenticator Attestation", "keyward softctap batch"), false, aaguid));
  m.ca_key = SecretBytes(ca_key.private_bytes().reveal());
  m.batch_key = SecretBytes(batch_key.private_bytes().reveal());
  return m;
}

std::string CertificateToPem(ByteSpan der) {
  const uint8_t* p = der.data();
  X509Ptr cert(d2i_X509(nullptr, &p, static_cast<long>(der.size())));
  if (!cert) return {};
  BIO* bio = BIO_new(BIO_s_mem());
  PEM_write_bio_X509(bio, cert.get());
  char* data = nullptr;
  long n = BIO_get_mem_data(bio, &data);
  std::string out(data, static_cast<size_t>(n));
  BIO_free(bio);
  return out;
}

}  // namespace keyward::softctap
