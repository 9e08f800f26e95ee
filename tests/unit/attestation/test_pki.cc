#include "tests/unit/attestation/test_pki.h"

#include <openssl/core_names.h>
#include <openssl/pem.h>
#include <openssl/rsa.h>
#include <openssl/x509v3.h>

#include <cstdio>
#include <cstdlib>
#include <cstring>

#include "attestation/registry.h"
#include "core/base64url.h"
#include "core/hash.h"
#include "core/json.h"

namespace keyward::attestation::testing {
namespace {

void Check(bool ok, const char* what) {
  if (!ok) {
    std::fprintf(stderr, "test_pki: %s failed: %s\n", what, TakeOpensslError("").c_str());
    std::abort();
  }
}

Bytes BnParam(EVP_PKEY* key, const char* name, size_t pad) {
  BIGNUM* bn = nullptr;
  Check(EVP_PKEY_get_bn_param(key, name, &bn) == 1, name);
  size_t n = pad ? pad : static_cast<size_t>(BN_num_bytes(bn));
  Bytes out(n);
  Check(BN_bn2binpad(bn, out.data(), static_cast<int>(n)) >= 0, "BN_bn2binpad");
  BN_free(bn);
  return out;
}

size_t FieldBytes(EVP_PKEY* key) { return static_cast<size_t>((EVP_PKEY_get_bits(key) + 7) / 8); }

void AddExtension(X509* x, const char* oid, ByteSpan der, bool critical) {
  ASN1_OBJECT* obj = OBJ_txt2obj(oid, 1);
  Check(obj != nullptr, "OBJ_txt2obj");
  ASN1_OCTET_STRING* os = ASN1_OCTET_STRING_new();
  ASN1_OCTET_STRING_set(os, der.data(), static_cast<int>(der.size()));
  X509_EXTENSION* ext = X509_EXTENSION_create_by_OBJ(nullptr, obj, critical ? 1 : 0, os);
  Check(ext != nullptr && X509_add_ext(x, ext, -1) == 1, "X509_add_ext");
  X509_EXTENSION_free(ext);
  ASN1_OCTET_STRING_free(os);
  ASN1_OBJECT_free(obj);
}

void AddConfExtension(X509* x, X509* issuer, int nid, const char* value) {
  X509V3_CTX ctx;
  X509V3_set_ctx(&ctx, issuer, x, nullptr, nullptr, 0);
  X509_EXTENSION* ext = X509V3_EXT_conf_nid(nullptr, &ctx, nid, value);
  Check(ext != nullptr && X509_add_ext(x, ext, -1) == 1, value);
  X509_EXTENSION_free(ext);
}

}  // namespace

EvpPkeyPtr GenerateEc(const char* curve) {
  EVP_PKEY* k = EVP_EC_gen(curve);
  Check(k != nullptr, "EVP_EC_gen");
  return EvpPkeyPtr(k);
}

EvpPkeyPtr GenerateRsa(int bits) {
  EVP_PKEY* k = EVP_RSA_gen(static_cast<unsigned>(bits));
  Check(k != nullptr, "EVP_RSA_gen");
  return EvpPkeyPtr(k);
}

Certificate MakeCert(const CertSpec& spec, EVP_PKEY* subject_key, EVP_PKEY* issuer_key,
                     const Certificate* issuer) {
  X509Ptr x(X509_new());
  Check(X509_set_version(x.get(), spec.version - 1) == 1, "version");
  ASN1_INTEGER_set(X509_get_serialNumber(x.get()), spec.serial);
  X509_NAME* name = X509_NAME_new();
  for (const auto& [k, v] : spec.subject) {
    Check(X509_NAME_add_entry_by_txt(name, k.c_str(), MBSTRING_UTF8,
                                     reinterpret_cast<const unsigned char*>(v.c_str()), -1, -1,
                                     0) == 1,
          "subject");
  }
  X509_set_subject_name(x.get(), name);
  X509_set_issuer_name(x.get(), issuer ? X509_get_subject_name(issuer->get()) : name);
  X509_NAME_free(name);
  ASN1_TIME_set(X509_getm_notBefore(x.get()), static_cast<time_t>(spec.not_before));
  ASN1_TIME_set(X509_getm_notAfter(x.get()), static_cast<time_t>(spec.not_after));
  X509_set_pubkey(x.get(), subject_key);
  if (spec.version == 3) {
    X509* iss = issuer ? issuer->get() : x.get();
    if (spec.ca.has_value()) {
      AddConfExtension(x.get(), iss, NID_basic_constraints,
                       *spec.ca ? "critical,CA:TRUE" : "critical,CA:FALSE");
    }
    if (spec.ca.value_or(false)) {
      AddConfExtension(x.get(), iss, NID_key_usage, "critical,keyCertSign,cRLSign");
    }
    AddConfExtension(x.get(), iss, NID_subject_key_identifier, "hash");
    if (issuer) AddConfExtension(x.get(), iss, NID_authority_key_identifier, "keyid");
    if (!spec.eku.empty()) {
      std::string v;
      for (const auto& e : spec.eku) v += (v.empty() ? "" : ",") + e;
      AddConfExtension(x.get(), iss, NID_ext_key_usage, v.c_str());
    }
    if (spec.tpm_san || !spec.dns_names.empty()) {
      GENERAL_NAMES* names = sk_GENERAL_NAME_new_null();
      if (spec.tpm_san) {
        X509_NAME* dn = X509_NAME_new();
        auto add = [&](const char* oid, const char* v) {
          Check(
              X509_NAME_add_entry_by_txt(dn, oid, MBSTRING_UTF8,
                                         reinterpret_cast<const unsigned char*>(v), -1, -1, 0) == 1,
              oid);
        };
        add("2.23.133.2.1", "id:FFFFF1D0");
        add("2.23.133.2.2", "keyward-test-tpm");
        if (!spec.tpm_san_incomplete) add("2.23.133.2.3", "id:00020000");
        GENERAL_NAME* gn = GENERAL_NAME_new();
        GENERAL_NAME_set0_value(gn, GEN_DIRNAME, dn);
        sk_GENERAL_NAME_push(names, gn);
      }
      for (const auto& d : spec.dns_names) {
        GENERAL_NAME* gn = GENERAL_NAME_new();
        ASN1_IA5STRING* s = ASN1_IA5STRING_new();
        ASN1_STRING_set(s, d.c_str(), static_cast<int>(d.size()));
        GENERAL_NAME_set0_value(gn, GEN_DNS, s);
        sk_GENERAL_NAME_push(names, gn);
      }
      Check(X509_add1_ext_i2d(x.get(), NID_subject_alt_name, names, spec.subject.empty() ? 1 : 0,
                              X509V3_ADD_DEFAULT) == 1,
            "SAN");
      GENERAL_NAMES_free(names);
    }
    for (const auto& e : spec.extensions)
      AddExtension(x.get(), e.oid.c_str(), e.der_value, e.critical);
  }
  const EVP_MD* md = spec.md ? spec.md : EVP_sha256();
  Check(X509_sign(x.get(), issuer_key, md) > 0, "X509_sign");
  return Certificate::FromX509(x.get());
}

Certificate MakeCa(const std::string& cn, EVP_PKEY* key, EVP_PKEY* issuer_key,
                   const Certificate* issuer) {
  CertSpec spec;
  spec.subject = {{"C", "AA"}, {"O", "keyward tests"}, {"CN", cn}};
  spec.ca = true;
  spec.not_before = kNow - 10 * 365 * 86400LL;
  spec.not_after = kNow + 10 * 365 * 86400LL;
  return MakeCert(spec, key, issuer_key ? issuer_key : key, issuer);
}

Certificate SelfSigned(EVP_PKEY* key, const std::string& cn) {
  CertSpec spec;
  spec.subject = {{"CN", cn}};
  return MakeCert(spec, key, key, nullptr);
}

std::string ToPem(const Certificate& cert) {
  BIO* bio = BIO_new(BIO_s_mem());
  PEM_write_bio_X509(bio, cert.get());
  char* data = nullptr;
  long len = BIO_get_mem_data(bio, &data);  // NOLINT(runtime/int)
  std::string out(data, static_cast<size_t>(len));
  BIO_free(bio);
  return out;
}

X509CrlPtr MakeCrl(const Certificate& issuer, EVP_PKEY* issuer_key,
                   std::vector<long> revoked) {  // NOLINT
  X509CrlPtr crl(X509_CRL_new());
  X509_CRL_set_version(crl.get(), 1);
  X509_CRL_set_issuer_name(crl.get(), X509_get_subject_name(issuer.get()));
  ASN1_TIME* t = ASN1_TIME_new();
  ASN1_TIME_set(t, static_cast<time_t>(kNow - 3600));
  X509_CRL_set1_lastUpdate(crl.get(), t);
  ASN1_TIME_set(t, static_cast<time_t>(kNow + 30 * 86400));
  X509_CRL_set1_nextUpdate(crl.get(), t);
  for (long serial : revoked) {  // NOLINT(runtime/int)
    X509_REVOKED* r = X509_REVOKED_new();
    ASN1_INTEGER* s = ASN1_INTEGER_new();
    ASN1_INTEGER_set(s, serial);
    X509_REVOKED_set_serialNumber(r, s);
    ASN1_TIME_set(t, static_cast<time_t>(kNow - 7200));
    X509_REVOKED_set_revocationDate(r, t);
    X509_CRL_add0_revoked(crl.get(), r);
    ASN1_INTEGER_free(s);
  }
  ASN1_TIME_free(t);
  X509_CRL_sort(crl.get());
  Check(X509_CRL_sign(crl.get(), issuer_key, EVP_sha256()) > 0, "X509_CRL_sign");
  return crl;
}

Bytes Sign(EVP_PKEY* key, ByteSpan msg, const EVP_MD* md) {
  EvpMdCtxPtr ctx(EVP_MD_CTX_new());
  Check(EVP_DigestSignInit(ctx.get(), nullptr, md ? md : EVP_sha256(), nullptr, key) == 1,
        "DigestSignInit");
  size_t len = 0;
  Check(EVP_DigestSign(ctx.get(), nullptr, &len, msg.data(), msg.size()) == 1, "DigestSign");
  Bytes sig(len);
  Check(EVP_DigestSign(ctx.get(), sig.data(), &len, msg.data(), msg.size()) == 1, "DigestSign");
  sig.resize(len);
  return sig;
}

Bytes SignP1363(EVP_PKEY* key, ByteSpan msg) {
  Bytes der = Sign(key, msg);
  const unsigned char* p = der.data();
  ECDSA_SIG* s = d2i_ECDSA_SIG(nullptr, &p, static_cast<long>(der.size()));  // NOLINT
  Check(s != nullptr, "d2i_ECDSA_SIG");
  size_t n = FieldBytes(key);
  Bytes out(2 * n);
  BN_bn2binpad(ECDSA_SIG_get0_r(s), out.data(), static_cast<int>(n));
  BN_bn2binpad(ECDSA_SIG_get0_s(s), out.data() + n, static_cast<int>(n));
  ECDSA_SIG_free(s);
  return out;
}

Bytes EcX(EVP_PKEY* key) { return BnParam(key, OSSL_PKEY_PARAM_EC_PUB_X, FieldBytes(key)); }
Bytes EcY(EVP_PKEY* key) { return BnParam(key, OSSL_PKEY_PARAM_EC_PUB_Y, FieldBytes(key)); }
Bytes RsaN(EVP_PKEY* key) { return BnParam(key, OSSL_PKEY_PARAM_RSA_N, 0); }

CoseKey CoseKeyFromEvp(EVP_PKEY* key, CoseAlgorithm alg) {
  CoseKey k;
  k.alg = alg;
  if (EVP_PKEY_is_a(key, "EC")) {
    k.kty = CoseKeyType::kEc2;
    size_t fb = FieldBytes(key);
    k.crv = fb == 32 ? CoseCurve::kP256 : fb == 48 ? CoseCurve::kP384 : CoseCurve::kP521;
    k.x = EcX(key);
    k.y = EcY(key);
  } else {
    k.kty = CoseKeyType::kRsa;
    k.n = RsaN(key);
    k.e = BnParam(key, OSSL_PKEY_PARAM_RSA_E, 0);
  }
  return k;
}

Aaguid TestAaguid() {
  return {0x6b, 0x65, 0x79, 0x77, 0x61, 0x72, 0x64, 0x2d,
          0x74, 0x65, 0x73, 0x74, 0x00, 0x00, 0x00, 0x01};
}

Registration::Registration(CoseAlgorithm alg, Aaguid aaguid) : aaguid_(aaguid) {
  cred_key_ = KeyTypeOf(alg) == CoseKeyType::kRsa ? GenerateRsa()
              : alg == CoseAlgorithm::kES384      ? GenerateEc("P-384")
                                                  : GenerateEc("P-256");
  cred_id_ = *RandomBytes(32);
  cdh_ = Sha256(AsBytes("{\"type\":\"webauthn.create\",\"challenge\":\"keyward\"}"));
  cose_key_ = CoseKeyFromEvp(cred_key_.get(), alg);
  Rebuild();
}

void Registration::SetCredentialKey(EVP_PKEY* key, CoseAlgorithm alg) {
  EVP_PKEY_up_ref(key);
  cred_key_.reset(key);
  cose_key_ = CoseKeyFromEvp(key, alg);
  Rebuild();
}

void Registration::Rebuild() {
  cose_bytes_ = cose_key_.Encode();
  Sha256Digest rp = Sha256(AsBytes("example.org"));
  auth_data_.assign(rp.begin(), rp.end());
  auth_data_.push_back(0x41);  // UP | AT
  for (int i = 0; i < 4; ++i) auth_data_.push_back(0);
  auth_data_.insert(auth_data_.end(), aaguid_.begin(), aaguid_.end());
  auth_data_.push_back(static_cast<uint8_t>(cred_id_.size() >> 8));
  auth_data_.push_back(static_cast<uint8_t>(cred_id_.size()));
  auth_data_.insert(auth_data_.end(), cred_id_.begin(), cred_id_.end());
  auth_data_.insert(auth_data_.end(), cose_bytes_.begin(), cose_bytes_.end());
  auto pk = PublicKey::FromCose(cose_key_, {});
  Check(pk.has_value(), "PublicKey::FromCose");
  public_key_.emplace(std::move(*pk));
}

Bytes Registration::AttToBeSigned() const {
  Bytes out = auth_data_;
  out.insert(out.end(), cdh_.begin(), cdh_.end());
  return out;
}

void Registration::SetClientDataJson(const std::string& json) {
  client_data_json_ = json;
  cdh_ = Sha256(AsBytes(json));
}

std::string Registration::RegistrationResponseJson(std::string_view fmt,
                                                   const Bytes& att_stmt_cbor) const {
  CborWriter ao;
  ao.Map(3)
      .Text("fmt")
      .Text(fmt)
      .Text("attStmt")
      .Raw(att_stmt_cbor)
      .Text("authData")
      .Bytes(auth_data_);
  Json j = {{"id", Base64UrlEncode(cred_id_)},
            {"rawId", Base64UrlEncode(cred_id_)},
            {"type", "public-key"},
            {"response",
             {{"clientDataJSON", Base64UrlEncode(AsBytes(client_data_json_))},
              {"attestationObject", Base64UrlEncode(ao.bytes())}}},
            {"clientExtensionResults", Json::object()}};
  return j.dump();
}

void Registration::SetStatement(const Bytes& cbor) {
  auto decoded = DecodeCbor(cbor);
  Check(decoded.has_value(), "DecodeCbor(attStmt)");
  stmt_ = decoded->item;
}

AttestationInput Registration::Input() const {
  AttestationInput in{stmt_,    auth_data_, cdh_,        rp_id_hash(), aaguid_,
                      cred_id_, cose_key_,  cose_bytes_, *public_key_};
  in.verify_time = verify_time;
  in.insecure = insecure;
  in.options = options;
  return in;
}

Result<StatementResult> Registration::Verify(std::string_view fmt) const {
  const AttestationFormat* f = FindFormat(fmt);
  Check(f != nullptr, "FindFormat");
  return f->Verify(Input());
}

}  // namespace keyward::attestation::testing
