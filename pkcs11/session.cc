#include "pkcs11/session.h"

#include <openssl/core_names.h>
#include <openssl/rsa.h>

#include <algorithm>
#include <chrono>
#include <cstring>
#include <thread>

#include "core/openssl_util.h"

namespace keyward::pkcs11 {
namespace {

// CKA_EC_POINT is a DER OCTET STRING holding the point (v2.40 §2.3.3); some modules return the
// bare point. Accept both.
bool EcPointMatches(ByteSpan attribute, ByteSpan point) {
  if (point.empty()) return false;
  if (attribute.size() == point.size() &&
      std::equal(point.begin(), point.end(), attribute.begin())) {
    return true;
  }
  ByteReader r(attribute);
  auto tag = r.U8();
  if (!tag || *tag != 0x04) return false;
  auto len = r.U8();
  if (!len) return false;
  size_t n = *len;
  if (n == 0x81) {
    auto l = r.U8();
    if (!l) return false;
    n = *l;
  } else if (n > 0x7f) {
    return false;
  }
  if (r.remaining() != n) return false;
  ByteSpan inner = r.rest();
  return inner.size() == point.size() && std::equal(point.begin(), point.end(), inner.begin());
}

Bytes RsaModulus(EVP_PKEY* key) {
  BIGNUM* n = nullptr;
  if (EVP_PKEY_get_bn_param(key, OSSL_PKEY_PARAM_RSA_N, &n) != 1) return {};
  Bytes out(static_cast<size_t>(BN_num_bytes(n)));
  BN_bn2bin(n, out.data());
  BN_free(n);
  return out;
}

Bytes StripLeadingZeros(ByteSpan b) {
  size_t i = 0;
  while (i < b.size() && b[i] == 0) ++i;
  return Bytes(b.begin() + static_cast<std::ptrdiff_t>(i), b.end());
}

}  // namespace

Error Session::Failure(CK_RV rv, std::string_view call) const {
  Error e = CkError(rv, call);
  if (e.code != ErrorCode::kPkcs11DeviceError && e.code != ErrorCode::kPkcs11SessionError &&
      e.code != ErrorCode::kPkcs11Error) {
    return e;
  }
  // Modules report a card pulled mid-operation in many ways (CKR_DEVICE_ERROR,
  // CKR_FUNCTION_FAILED, CKR_SESSION_HANDLE_INVALID ...): ask the slot whether the token is still
  // there and name the removal when it is not.
  // The reader layer may notice the removal a moment after the failed call (pcscd polls readers
  // about every 0.4 s): look again for up to ~1 s, only on this failure path.
  for (int attempt = 0; attempt < 10; ++attempt) {
    CK_SLOT_INFO info{};
    CK_RV srv = module_->fn()->C_GetSlotInfo(token_.slot.id, &info);
    if ((srv == CKR_OK && (info.flags & CKF_TOKEN_PRESENT) == 0) || srv == CKR_SLOT_ID_INVALID ||
        srv == CKR_DEVICE_REMOVED || srv == CKR_TOKEN_NOT_PRESENT) {
      e.code = ErrorCode::kPkcs11TokenRemoved;
      e.detail += " (token no longer present)";
      break;
    }
    if (srv != CKR_OK) break;
    std::this_thread::sleep_for(std::chrono::milliseconds(100));
  }
  return e;
}

Result<Session> Session::Open(std::shared_ptr<Module> module, const TokenInfo& token) {
  CK_SESSION_HANDLE h = CK_INVALID_HANDLE;
  CK_RV rv = module->fn()->C_OpenSession(token.slot.id, CKF_SERIAL_SESSION, nullptr, nullptr, &h);
  if (rv != CKR_OK) return Fail(CkError(rv, "C_OpenSession"));
  return Session(std::move(module), token, h);
}

Session::Session(Session&& o) noexcept
    : module_(std::move(o.module_)),
      token_(std::move(o.token_)),
      handle_(o.handle_),
      logged_in_(o.logged_in_),
      protected_path_(o.protected_path_),
      pin_(std::move(o.pin_)) {
  o.handle_ = CK_INVALID_HANDLE;
  o.logged_in_ = false;
}

Session::~Session() {
  if (!module_ || handle_ == CK_INVALID_HANDLE) return;
  if (logged_in_) module_->fn()->C_Logout(handle_);
  module_->fn()->C_CloseSession(handle_);
}

Result<void> Session::Login(const SecretBytes& pin) {
  auto pin_bytes = pin.reveal();
  // PKCS#11 takes a non-const pointer; modules do not write through it.
  CK_RV rv = module_->fn()->C_Login(handle_, CKU_USER,
                                    const_cast<CK_UTF8CHAR*>(pin_bytes.data()),  // NOLINT
                                    static_cast<CK_ULONG>(pin_bytes.size()));
  if (rv != CKR_OK && rv != CKR_USER_ALREADY_LOGGED_IN) {
    Error e = Failure(rv, "C_Login");
    if (auto t = RefreshTokenInfo(); t) {
      e.detail += std::string(" (PIN status: ") + std::string(t->pin.Hint()) + ")";
    }
    return Fail(std::move(e));
  }
  logged_in_ = rv == CKR_OK;
  pin_ = pin;
  return Ok();
}

Result<void> Session::LoginProtectedPath() {
  if (!token_.protected_authentication_path) {
    return Fail(ErrorCode::kNotSupported, "token has no protected authentication path");
  }
  CK_RV rv = module_->fn()->C_Login(handle_, CKU_USER, nullptr, 0);
  if (rv != CKR_OK && rv != CKR_USER_ALREADY_LOGGED_IN) return Fail(Failure(rv, "C_Login"));
  logged_in_ = rv == CKR_OK;
  protected_path_ = true;
  return Ok();
}

Result<TokenInfo> Session::RefreshTokenInfo() const { return GetTokenInfo(*module_, token_.slot); }

Result<Bytes> Session::Attribute(CK_OBJECT_HANDLE object, CK_ATTRIBUTE_TYPE type) const {
  CK_ATTRIBUTE a{type, nullptr, 0};
  CK_RV rv = module_->fn()->C_GetAttributeValue(handle_, object, &a, 1);
  if (rv == CKR_ATTRIBUTE_TYPE_INVALID || rv == CKR_ATTRIBUTE_SENSITIVE ||
      a.ulValueLen == CK_UNAVAILABLE_INFORMATION) {
    return Fail(ErrorCode::kPkcs11ObjectNotFound, "attribute unavailable",
                static_cast<uint32_t>(rv));
  }
  if (rv != CKR_OK) return Fail(Failure(rv, "C_GetAttributeValue"));
  if (a.ulValueLen > (1u << 20)) return Fail(ErrorCode::kPkcs11Error, "attribute too large");
  Bytes out(a.ulValueLen);
  a.pValue = out.data();
  rv = module_->fn()->C_GetAttributeValue(handle_, object, &a, 1);
  if (rv != CKR_OK) return Fail(Failure(rv, "C_GetAttributeValue"));
  out.resize(a.ulValueLen);
  return out;
}

Result<bool> Session::BoolAttribute(CK_OBJECT_HANDLE object, CK_ATTRIBUTE_TYPE type) const {
  CK_BBOOL v = CK_FALSE;
  CK_ATTRIBUTE a{type, &v, sizeof(v)};
  CK_RV rv = module_->fn()->C_GetAttributeValue(handle_, object, &a, 1);
  if (rv == CKR_ATTRIBUTE_TYPE_INVALID || rv == CKR_ATTRIBUTE_SENSITIVE) return false;
  if (rv != CKR_OK) return Fail(Failure(rv, "C_GetAttributeValue"));
  return v == CK_TRUE;
}

Result<std::vector<CK_OBJECT_HANDLE>> Session::FindObjects(std::vector<CK_ATTRIBUTE> tmpl) const {
  CK_FUNCTION_LIST* f = module_->fn();
  CK_RV rv = f->C_FindObjectsInit(handle_, tmpl.data(), static_cast<CK_ULONG>(tmpl.size()));
  if (rv != CKR_OK) return Fail(Failure(rv, "C_FindObjectsInit"));
  std::vector<CK_OBJECT_HANDLE> out;
  constexpr size_t kMaxObjects = 4096;
  while (out.size() < kMaxObjects) {
    CK_OBJECT_HANDLE batch[32];
    CK_ULONG n = 0;
    rv = f->C_FindObjects(handle_, batch, 32, &n);
    if (rv != CKR_OK) {
      f->C_FindObjectsFinal(handle_);
      return Fail(Failure(rv, "C_FindObjects"));
    }
    if (n == 0) break;
    out.insert(out.end(), batch, batch + n);
  }
  rv = f->C_FindObjectsFinal(handle_);
  if (rv != CKR_OK) return Fail(Failure(rv, "C_FindObjectsFinal"));
  return out;
}

Result<std::vector<CertificateObject>> Session::FindCertificates() {
  CK_OBJECT_CLASS cls = CKO_CERTIFICATE;
  CK_CERTIFICATE_TYPE type = CKC_X_509;
  KW_ASSIGN_OR_RETURN(auto handles, FindObjects({{CKA_CLASS, &cls, sizeof(cls)},
                                                 {CKA_CERTIFICATE_TYPE, &type, sizeof(type)}}));
  std::vector<CertificateObject> out;
  for (CK_OBJECT_HANDLE h : handles) {
    KW_ASSIGN_OR_RETURN(Bytes der, Attribute(h, CKA_VALUE));
    auto cert = Certificate::ParseDer(der);
    if (!cert) continue;  // a certificate object keyward cannot parse is not a login candidate
    CertificateObject c{h, {}, {}, std::move(*cert)};
    if (auto id = Attribute(h, CKA_ID); id) c.id = std::move(*id);
    if (auto label = Attribute(h, CKA_LABEL); label) c.label.assign(label->begin(), label->end());
    out.push_back(std::move(c));
  }
  return out;
}

Result<PrivateKeyObject> Session::DescribeKey(CK_OBJECT_HANDLE h, const Certificate& cert) const {
  PrivateKeyObject k;
  k.handle = h;
  if (auto id = Attribute(h, CKA_ID); id) k.id = std::move(*id);
  if (auto label = Attribute(h, CKA_LABEL); label) k.label.assign(label->begin(), label->end());
  KW_ASSIGN_OR_RETURN(Bytes kt, Attribute(h, CKA_KEY_TYPE));
  CK_KEY_TYPE key_type = 0;
  if (kt.size() != sizeof(key_type)) return Fail(ErrorCode::kPkcs11Error, "bad CKA_KEY_TYPE");
  std::memcpy(&key_type, kt.data(), sizeof(key_type));
  k.key_type = key_type == CKK_RSA  ? KeyType::kRsa
               : key_type == CKK_EC ? KeyType::kEc
                                    : KeyType::kOther;
  if (EVP_PKEY* pub = cert.public_key()) k.bits = EVP_PKEY_get_bits(pub);
  KW_ASSIGN_OR_RETURN(k.always_authenticate, BoolAttribute(h, CKA_ALWAYS_AUTHENTICATE));
  KW_ASSIGN_OR_RETURN(k.sensitive, BoolAttribute(h, CKA_SENSITIVE));
  KW_ASSIGN_OR_RETURN(k.never_extractable, BoolAttribute(h, CKA_NEVER_EXTRACTABLE));
  KW_ASSIGN_OR_RETURN(k.always_sensitive, BoolAttribute(h, CKA_ALWAYS_SENSITIVE));
  return k;
}

Result<PrivateKeyObject> Session::FindPrivateKeyFor(const CertificateObject& cert) {
  CK_OBJECT_CLASS cls = CKO_PRIVATE_KEY;
  if (!cert.id.empty()) {
    Bytes id = cert.id;
    KW_ASSIGN_OR_RETURN(auto handles, FindObjects({{CKA_CLASS, &cls, sizeof(cls)},
                                                   {CKA_ID, id.data(), id.size()}}));
    if (handles.size() == 1) return DescribeKey(handles[0], cert.certificate);
  }
  // Fallback: compare public halves.
  EVP_PKEY* pub = cert.certificate.public_key();
  if (!pub) return Fail(ErrorCode::kKeyMalformed, "certificate key unreadable");
  KW_ASSIGN_OR_RETURN(auto keys, FindObjects({{CKA_CLASS, &cls, sizeof(cls)}}));
  if (EVP_PKEY_base_id(pub) == EVP_PKEY_RSA) {
    Bytes n = RsaModulus(pub);
    for (CK_OBJECT_HANDLE h : keys) {
      auto mod = Attribute(h, CKA_MODULUS);
      if (mod && StripLeadingZeros(*mod) == StripLeadingZeros(n)) {
        KW_ASSIGN_OR_RETURN(auto k, DescribeKey(h, cert.certificate));
        k.matched_by_public_key = true;
        return k;
      }
    }
  } else if (EVP_PKEY_base_id(pub) == EVP_PKEY_EC) {
    Bytes point = EncodedPublicKey(pub);
    CK_OBJECT_CLASS pub_cls = CKO_PUBLIC_KEY;
    KW_ASSIGN_OR_RETURN(auto pubs, FindObjects({{CKA_CLASS, &pub_cls, sizeof(pub_cls)}}));
    for (CK_OBJECT_HANDLE ph : pubs) {
      auto ec_point = Attribute(ph, CKA_EC_POINT);
      if (!ec_point || !EcPointMatches(*ec_point, point)) continue;
      auto pid = Attribute(ph, CKA_ID);
      if (!pid) continue;
      Bytes id = *pid;
      KW_ASSIGN_OR_RETURN(auto handles, FindObjects({{CKA_CLASS, &cls, sizeof(cls)},
                                                     {CKA_ID, id.data(), id.size()}}));
      if (handles.size() == 1) {
        KW_ASSIGN_OR_RETURN(auto k, DescribeKey(handles[0], cert.certificate));
        k.matched_by_public_key = true;
        return k;
      }
    }
  }
  return Fail(ErrorCode::kPkcs11ObjectNotFound, "no private key for certificate");
}

Result<std::vector<CK_MECHANISM_TYPE>> Session::Mechanisms() const {
  CK_ULONG count = 0;
  CK_RV rv = module_->fn()->C_GetMechanismList(token_.slot.id, nullptr, &count);
  if (rv != CKR_OK) return Fail(Failure(rv, "C_GetMechanismList"));
  std::vector<CK_MECHANISM_TYPE> out(count);
  if (count == 0) return out;
  rv = module_->fn()->C_GetMechanismList(token_.slot.id, out.data(), &count);
  if (rv != CKR_OK) return Fail(Failure(rv, "C_GetMechanismList"));
  out.resize(count);
  return out;
}

Result<Bytes> Session::Sign(const PrivateKeyObject& key, CK_MECHANISM* mechanism, ByteSpan data) {
  CK_FUNCTION_LIST* f = module_->fn();
  CK_RV rv = f->C_SignInit(handle_, mechanism, key.handle);
  if (rv != CKR_OK) return Fail(Failure(rv, "C_SignInit"));
  if (key.always_authenticate) {
    if (protected_path_) {
      rv = f->C_Login(handle_, CKU_CONTEXT_SPECIFIC, nullptr, 0);
    } else {
      auto p = pin_.reveal();
      rv = f->C_Login(handle_, CKU_CONTEXT_SPECIFIC, const_cast<CK_UTF8CHAR*>(p.data()),  // NOLINT
                      static_cast<CK_ULONG>(p.size()));
    }
    if (rv != CKR_OK) return Fail(Failure(rv, "C_Login(CKU_CONTEXT_SPECIFIC)"));
  }
  CK_ULONG len = 0;
  auto* in = const_cast<CK_BYTE*>(data.data());  // NOLINT: PKCS#11 API is not const-correct
  rv = f->C_Sign(handle_, in, static_cast<CK_ULONG>(data.size()), nullptr, &len);
  if (rv != CKR_OK) return Fail(Failure(rv, "C_Sign"));
  if (len == 0 || len > 8192) return Fail(ErrorCode::kPkcs11Error, "implausible signature length");
  Bytes sig(len);
  rv = f->C_Sign(handle_, in, static_cast<CK_ULONG>(data.size()), sig.data(), &len);
  if (rv != CKR_OK) return Fail(Failure(rv, "C_Sign"));
  sig.resize(len);
  return sig;
}

}  // namespace keyward::pkcs11
