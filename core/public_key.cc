// Low-level EC_KEY / RSA objects are deprecated in OpenSSL 3 but remain the fastest way to build a
// verification key from raw parameters (see the header). They are used only in this file.
#define OPENSSL_SUPPRESS_DEPRECATED 1
#include "core/public_key.h"

#include <openssl/bn.h>
#include <openssl/ec.h>
#include <openssl/ecdsa.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/obj_mac.h>
#include <openssl/rsa.h>

#include <mutex>
#include <optional>

#include "core/openssl_util.h"

namespace keyward {
namespace {

const EC_GROUP* CachedGroup(CoseCurve crv) {
  static EC_GROUP* p256 = EC_GROUP_new_by_curve_name(NID_X9_62_prime256v1);
  static EC_GROUP* p384 = EC_GROUP_new_by_curve_name(NID_secp384r1);
  static EC_GROUP* p521 = EC_GROUP_new_by_curve_name(NID_secp521r1);
  switch (crv) {
    case CoseCurve::kP256:
      return p256;
    case CoseCurve::kP384:
      return p384;
    case CoseCurve::kP521:
      return p521;
    default:
      return nullptr;
  }
}

// The curves keyward verifies with, by OpenSSL NID (nullopt for any other).
std::optional<CoseCurve> CurveOfNid(int nid) {
  switch (nid) {
    case NID_X9_62_prime256v1:
      return CoseCurve::kP256;
    case NID_secp384r1:
      return CoseCurve::kP384;
    case NID_secp521r1:
      return CoseCurve::kP521;
    default:
      return std::nullopt;
  }
}

// One EC_KEY per curve and thread, re-pointed at each key's point for the duration of a
// verification: building a fresh EC_KEY per credential would copy the curve group every time,
// which costs more than everything else in key construction.
EC_KEY* ScratchKey(CoseCurve crv) {
  struct Keys {
    EC_KEY* k[3] = {nullptr, nullptr, nullptr};
    ~Keys() {
      for (EC_KEY* key : k) EC_KEY_free(key);
    }
  };
  thread_local Keys keys;
  int i = crv == CoseCurve::kP256 ? 0 : crv == CoseCurve::kP384 ? 1 : 2;
  if (!keys.k[i]) {
    keys.k[i] = EC_KEY_new();
    if (keys.k[i] && EC_KEY_set_group(keys.k[i], CachedGroup(crv)) != 1) {
      EC_KEY_free(keys.k[i]);
      keys.k[i] = nullptr;
    }
  }
  return keys.k[i];
}

const EVP_MD* MdFor(HashAlgorithm h) {
  switch (h) {
    case HashAlgorithm::kSha1:
      return EVP_sha1();
    case HashAlgorithm::kSha256:
      return EVP_sha256();
    case HashAlgorithm::kSha384:
      return EVP_sha384();
    case HashAlgorithm::kSha512:
      return EVP_sha512();
  }
  return EVP_sha256();
}

int NidFor(HashAlgorithm h) {
  switch (h) {
    case HashAlgorithm::kSha1:
      return NID_sha1;
    case HashAlgorithm::kSha256:
      return NID_sha256;
    case HashAlgorithm::kSha384:
      return NID_sha384;
    case HashAlgorithm::kSha512:
      return NID_sha512;
  }
  return NID_sha256;
}

bool IsEcdsa(CoseAlgorithm a) { return KeyTypeOf(a) == CoseKeyType::kEc2; }
bool IsPss(CoseAlgorithm a) {
  return a == CoseAlgorithm::kPS256 || a == CoseAlgorithm::kPS384 || a == CoseAlgorithm::kPS512;
}

size_t EcFieldBytes(CoseAlgorithm a) {
  switch (a) {
    case CoseAlgorithm::kES384:
    case CoseAlgorithm::kESP384:
      return 48;
    case CoseAlgorithm::kES512:
    case CoseAlgorithm::kESP512:
      return 66;
    default:
      return 32;
  }
}

// r || s → DER Ecdsa-Sig-Value.
Result<Bytes> P1363ToDer(ByteSpan sig, size_t field_bytes) {
  if (sig.size() != 2 * field_bytes) {
    return Fail(ErrorCode::kSignatureMalformed, "P1363 signature has the wrong length");
  }
  ECDSA_SIG* s = ECDSA_SIG_new();
  BIGNUM* r = BN_bin2bn(sig.data(), static_cast<int>(field_bytes), nullptr);
  BIGNUM* ss = BN_bin2bn(sig.data() + field_bytes, static_cast<int>(field_bytes), nullptr);
  if (!s || !r || !ss || ECDSA_SIG_set0(s, r, ss) != 1) {
    ECDSA_SIG_free(s);
    BN_free(r);
    BN_free(ss);
    return Fail(ErrorCode::kCryptoInternal, "ECDSA_SIG");
  }
  unsigned char* der = nullptr;
  int len = i2d_ECDSA_SIG(s, &der);
  ECDSA_SIG_free(s);
  if (len <= 0) return Fail(ErrorCode::kCryptoInternal, "i2d_ECDSA_SIG");
  Bytes out(der, der + len);
  OPENSSL_free(der);
  return out;
}

}  // namespace

HashAlgorithm HashFor(CoseAlgorithm alg) {
  switch (alg) {
    case CoseAlgorithm::kES384:
    case CoseAlgorithm::kESP384:
    case CoseAlgorithm::kPS384:
    case CoseAlgorithm::kRS384:
      return HashAlgorithm::kSha384;
    case CoseAlgorithm::kES512:
    case CoseAlgorithm::kESP512:
    case CoseAlgorithm::kPS512:
    case CoseAlgorithm::kRS512:
      return HashAlgorithm::kSha512;
    case CoseAlgorithm::kRS1:
      return HashAlgorithm::kSha1;
    default:
      return HashAlgorithm::kSha256;
  }
}

struct PublicKey::Impl {
  EC_POINT* ec_point = nullptr;  // raw-parameter ECDSA keys: the point, on `ec_curve`
  CoseCurve ec_curve = CoseCurve::kP256;
  RSA* rsa = nullptr;       // raw-parameter RSA keys
  EVP_PKEY* evp = nullptr;  // EdDSA keys, wrapped keys, or the lazily built comparison key
  std::once_flag evp_once;
  ~Impl() {
    EC_POINT_free(ec_point);
    RSA_free(rsa);
    EVP_PKEY_free(evp);
  }
};

PublicKey::PublicKey(std::unique_ptr<Impl> impl, CoseAlgorithm alg)
    : impl_(std::move(impl)), alg_(alg) {}
PublicKey::PublicKey(PublicKey&&) noexcept = default;
PublicKey& PublicKey::operator=(PublicKey&&) noexcept = default;
PublicKey::~PublicKey() = default;

Result<PublicKey> PublicKey::FromCose(const CoseKey& key, InsecureAlgorithms insecure) {
  if (key.alg == CoseAlgorithm::kRS1 && !insecure.insecure_allow_rs1) {
    return Fail(ErrorCode::kInsecureAlgorithmRefused, "RS1 (SHA-1) refused");
  }
  auto impl = std::make_unique<Impl>();
  switch (key.kty) {
    case CoseKeyType::kEc2: {
      const EC_GROUP* group = key.crv ? CachedGroup(*key.crv) : nullptr;
      if (!group) return Fail(ErrorCode::kUnsupportedKeyType, "EC curve");
      uint8_t buf[1 + 2 * 66];
      buf[0] = 0x04;
      std::copy(key.x.begin(), key.x.end(), buf + 1);
      std::copy(key.y.begin(), key.y.end(), buf + 1 + key.x.size());
      size_t len = 1 + key.x.size() + key.y.size();
      EC_POINT* point = EC_POINT_new(group);
      // oct2point rejects coordinates >= p and points not on the curve.
      if (!point || EC_POINT_oct2point(group, point, buf, len, nullptr) != 1) {
        EC_POINT_free(point);
        ERR_clear_error();
        return Fail(ErrorCode::kPointNotOnCurve, "EC point is not on the curve");
      }
      impl->ec_point = point;
      impl->ec_curve = *key.crv;
      break;
    }
    case CoseKeyType::kRsa: {
      BIGNUM* n = BN_bin2bn(key.n.data(), static_cast<int>(key.n.size()), nullptr);
      BIGNUM* e = BN_bin2bn(key.e.data(), static_cast<int>(key.e.size()), nullptr);
      impl->rsa = RSA_new();
      if (!n || !e || !impl->rsa || RSA_set0_key(impl->rsa, n, e, nullptr) != 1) {
        BN_free(n);
        BN_free(e);
        return Fail(ErrorCode::kCryptoInternal, TakeOpensslError("RSA"));
      }
      if (RSA_bits(impl->rsa) < 2048) return Fail(ErrorCode::kRsaKeyTooSmall, "RSA < 2048 bits");
      break;
    }
    case CoseKeyType::kOkp: {
      int type = key.crv == CoseCurve::kEd448 ? EVP_PKEY_ED448 : EVP_PKEY_ED25519;
      impl->evp = EVP_PKEY_new_raw_public_key(type, nullptr, key.x.data(), key.x.size());
      if (!impl->evp) return Fail(ErrorCode::kKeyMalformed, TakeOpensslError("EdDSA key"));
      break;
    }
  }
  return PublicKey(std::move(impl), key.alg);
}

Result<PublicKey> PublicKey::FromCoseBytes(ByteSpan cose, InsecureAlgorithms insecure) {
  KW_ASSIGN_OR_RETURN(CoseKey key, CoseKey::Parse(cose));
  return FromCose(key, insecure);
}

Result<PublicKey> PublicKey::FromEvp(EVP_PKEY* key, CoseAlgorithm alg,
                                     InsecureAlgorithms insecure) {
  if (!key) return Fail(ErrorCode::kKeyMalformed, "no key");
  if (alg == CoseAlgorithm::kRS1 && !insecure.insecure_allow_rs1) {
    return Fail(ErrorCode::kInsecureAlgorithmRefused, "RS1 (SHA-1) refused");
  }
  // Keys backed by low-level objects (EcSpkiKey / RsaSpkiKey: certificates core/x509 parsed)
  // verify through them directly, like raw COSE keys; provider keys take the EVP path below.
  if (EVP_PKEY_get0_provider(key) == nullptr) {
    if (auto fast = FromLegacyEvp(key, alg)) return std::move(*fast);
  }
  bool fits = false;
  switch (KeyTypeOf(alg)) {
    case CoseKeyType::kEc2: {
      char group[64] = {0};
      size_t glen = 0;
      if (EVP_PKEY_is_a(key, "EC") &&
          EVP_PKEY_get_utf8_string_param(key, "group", group, sizeof(group), &glen) == 1) {
        std::string_view g(group, glen);
        size_t fb = EcFieldBytes(alg);
        fits = (fb == 32 && (g == "prime256v1" || g == "P-256")) ||
               (fb == 48 && (g == "secp384r1" || g == "P-384")) ||
               (fb == 66 && (g == "secp521r1" || g == "P-521"));
      }
      break;
    }
    case CoseKeyType::kRsa:
      fits = EVP_PKEY_is_a(key, "RSA") || EVP_PKEY_is_a(key, "RSA-PSS");
      if (fits && EVP_PKEY_get_bits(key) < 2048) {
        return Fail(ErrorCode::kRsaKeyTooSmall, "RSA < 2048 bits");
      }
      break;
    case CoseKeyType::kOkp:
      fits = alg == CoseAlgorithm::kEd448 ? EVP_PKEY_is_a(key, "ED448")
             : alg == CoseAlgorithm::kEd25519
                 ? EVP_PKEY_is_a(key, "ED25519")
                 : EVP_PKEY_is_a(key, "ED25519") || EVP_PKEY_is_a(key, "ED448");
      break;
  }
  ERR_clear_error();
  if (!fits) return Fail(ErrorCode::kKeyAlgorithmMismatch, "key does not fit the algorithm");
  auto impl = std::make_unique<Impl>();
  EVP_PKEY_up_ref(key);
  impl->evp = key;
  return PublicKey(std::move(impl), alg);
}

Result<void> PublicKey::Verify(ByteSpan message, ByteSpan signature, SignatureFormat format) const {
  const HashAlgorithm h = HashFor(alg_);
  Bytes converted;
  if (IsEcdsa(alg_) && format == SignatureFormat::kP1363) {
    KW_ASSIGN_OR_RETURN(converted, P1363ToDer(signature, EcFieldBytes(alg_)));
    signature = converted;
  }
  if (impl_->ec_point) {
    EC_KEY* ec = ScratchKey(impl_->ec_curve);
    if (!ec || EC_KEY_set_public_key(ec, impl_->ec_point) != 1) {
      return Fail(ErrorCode::kCryptoInternal, TakeOpensslError("EC_KEY_set_public_key"));
    }
    uint8_t digest[64];
    size_t dlen = DigestSize(h);
    if (h == HashAlgorithm::kSha256) {
      Sha256Digest d = Sha256(message);
      std::copy(d.begin(), d.end(), digest);
    } else {
      Bytes d = Digest(h, message);
      std::copy(d.begin(), d.end(), digest);
    }
    // ECDSA_verify decodes the DER signature, rejects any non-DER encoding and verifies.
    int rc = ECDSA_verify(0, digest, static_cast<int>(dlen), signature.data(),
                          static_cast<int>(signature.size()), ec);
    ERR_clear_error();
    if (rc == 1) return Ok();
    if (rc == 0) return Fail(ErrorCode::kSignatureInvalid, "ECDSA signature does not verify");
    return Fail(ErrorCode::kSignatureMalformed, "ECDSA signature is not valid DER");
  }
  if (impl_->rsa) {
    Bytes digest = Digest(h, message);
    size_t mod_len = static_cast<size_t>(RSA_size(impl_->rsa));
    if (signature.size() != mod_len) {
      return Fail(ErrorCode::kSignatureInvalid, "RSA signature length != modulus length");
    }
    int rc = 0;
    if (IsPss(alg_)) {
      Bytes em(mod_len);
      int n = RSA_public_decrypt(static_cast<int>(signature.size()), signature.data(), em.data(),
                                 impl_->rsa, RSA_NO_PADDING);
      rc = n == static_cast<int>(mod_len) &&
           RSA_verify_PKCS1_PSS_mgf1(impl_->rsa, digest.data(), MdFor(h), MdFor(h), em.data(),
                                     RSA_PSS_SALTLEN_DIGEST) == 1;
    } else {
      rc = RSA_verify(NidFor(h), digest.data(), static_cast<unsigned int>(digest.size()),
                      signature.data(), static_cast<unsigned int>(signature.size()), impl_->rsa);
    }
    ERR_clear_error();
    if (rc == 1) return Ok();
    return Fail(ErrorCode::kSignatureInvalid, "RSA signature does not verify");
  }
  // EVP path: EdDSA keys and keys wrapped from certificates.
  EvpMdCtxPtr ctx(EVP_MD_CTX_new());
  if (!ctx) return Fail(ErrorCode::kCryptoInternal, "EVP_MD_CTX_new");
  bool eddsa = KeyTypeOf(alg_) == CoseKeyType::kOkp;
  EVP_PKEY_CTX* pctx = nullptr;
  if (EVP_DigestVerifyInit(ctx.get(), &pctx, eddsa ? nullptr : MdFor(h), nullptr, impl_->evp) !=
      1) {
    return Fail(ErrorCode::kCryptoInternal, TakeOpensslError("EVP_DigestVerifyInit"));
  }
  if (IsPss(alg_)) {
    if (EVP_PKEY_CTX_set_rsa_padding(pctx, RSA_PKCS1_PSS_PADDING) != 1 ||
        EVP_PKEY_CTX_set_rsa_pss_saltlen(pctx, RSA_PSS_SALTLEN_DIGEST) != 1 ||
        EVP_PKEY_CTX_set_rsa_mgf1_md(pctx, MdFor(h)) != 1) {
      return Fail(ErrorCode::kCryptoInternal, TakeOpensslError("PSS parameters"));
    }
  }
  int rc = EVP_DigestVerify(ctx.get(), signature.data(), signature.size(), message.data(),
                            message.size());
  ERR_clear_error();
  if (rc == 1) return Ok();
  return Fail(ErrorCode::kSignatureInvalid, "signature does not verify");
}

Result<EVP_PKEY*> PublicKey::Evp() const {
  std::call_once(impl_->evp_once, [this] {
    if (impl_->evp) return;
    EVP_PKEY* k = EVP_PKEY_new();
    if (!k) return;
    bool ok = false;
    if (impl_->ec_point) {
      EC_KEY* ec = EC_KEY_new();
      ok = ec && EC_KEY_set_group(ec, CachedGroup(impl_->ec_curve)) == 1 &&
           EC_KEY_set_public_key(ec, impl_->ec_point) == 1 && EVP_PKEY_set1_EC_KEY(k, ec) == 1;
      EC_KEY_free(ec);
    } else if (impl_->rsa) {
      ok = EVP_PKEY_set1_RSA(k, impl_->rsa) == 1;
    }
    if (ok) {
      impl_->evp = k;
    } else {
      EVP_PKEY_free(k);
    }
  });
  if (!impl_->evp) return Fail(ErrorCode::kCryptoInternal, TakeOpensslError("EVP_PKEY"));
  return impl_->evp;
}

std::optional<Result<PublicKey>> PublicKey::FromLegacyEvp(EVP_PKEY* key, CoseAlgorithm alg) {
  auto impl = std::make_unique<Impl>();
  if (EVP_PKEY_get_base_id(key) == EVP_PKEY_EC) {
    const EC_KEY* ec = EVP_PKEY_get0_EC_KEY(key);
    const EC_POINT* point = ec ? EC_KEY_get0_public_key(ec) : nullptr;
    const EC_GROUP* group = ec ? EC_KEY_get0_group(ec) : nullptr;
    if (!point || !group) return std::nullopt;
    const std::optional<CoseCurve> crv = CurveOfNid(EC_GROUP_get_curve_name(group));
    if (!crv) return std::nullopt;
    const size_t fb = static_cast<size_t>(EC_GROUP_get_degree(group) + 7) / 8;
    if (!IsEcdsa(alg) || EcFieldBytes(alg) != fb) {
      return Result<PublicKey>(
          Fail(ErrorCode::kKeyAlgorithmMismatch, "key does not fit the algorithm"));
    }
    impl->ec_point = EC_POINT_dup(point, CachedGroup(*crv));
    if (!impl->ec_point) return std::nullopt;
    impl->ec_curve = *crv;
  } else if (EVP_PKEY_get_base_id(key) == EVP_PKEY_RSA) {
    if (KeyTypeOf(alg) != CoseKeyType::kRsa) {
      return Result<PublicKey>(
          Fail(ErrorCode::kKeyAlgorithmMismatch, "key does not fit the algorithm"));
    }
    RSA* rsa = EVP_PKEY_get1_RSA(key);
    if (!rsa) return std::nullopt;
    impl->rsa = rsa;
    if (RSA_bits(rsa) < 2048) {
      return Result<PublicKey>(Fail(ErrorCode::kRsaKeyTooSmall, "RSA < 2048 bits"));
    }
  } else {
    return std::nullopt;
  }
  EVP_PKEY_up_ref(key);
  impl->evp = key;  // for Evp(): comparisons see the caller's key
  return Result<PublicKey>(PublicKey(std::move(impl), alg));
}

EvpPkeyPtr EcSpkiKey(int curve_nid, ByteSpan point) {
  const std::optional<CoseCurve> crv = CurveOfNid(curve_nid);
  if (!crv) return nullptr;
  const EC_GROUP* group = CachedGroup(*crv);
  if (!group || point.empty()) return nullptr;
  EC_KEY* ec = EC_KEY_new();
  if (!ec || EC_KEY_set_group(ec, group) != 1) {
    EC_KEY_free(ec);
    return nullptr;
  }
  // o2i checks the point is on the curve and keeps its encoding form (compressed or not), so a
  // re-encoding of the key gives back the same octets.
  const unsigned char* p = point.data();
  if (!o2i_ECPublicKey(&ec, &p, static_cast<long>(point.size())) ||  // NOLINT(runtime/int)
      p != point.data() + point.size()) {
    EC_KEY_free(ec);
    ERR_clear_error();
    return nullptr;
  }
  EvpPkeyPtr k(EVP_PKEY_new());
  if (!k || EVP_PKEY_assign_EC_KEY(k.get(), ec) != 1) {
    EC_KEY_free(ec);
    return nullptr;
  }
  return k;
}

EvpPkeyPtr RsaSpkiKey(ByteSpan rsa_public_key) {
  const unsigned char* p = rsa_public_key.data();
  RSA* rsa = d2i_RSAPublicKey(nullptr, &p, static_cast<long>(rsa_public_key.size()));  // NOLINT
  if (!rsa || p != rsa_public_key.data() + rsa_public_key.size()) {
    RSA_free(rsa);
    ERR_clear_error();
    return nullptr;
  }
  EvpPkeyPtr k(EVP_PKEY_new());
  if (!k || EVP_PKEY_assign_RSA(k.get(), rsa) != 1) {
    RSA_free(rsa);
    return nullptr;
  }
  return k;
}

bool SamePublicKey(EVP_PKEY* a, EVP_PKEY* b) {
  bool same = a && b && EVP_PKEY_eq(a, b) == 1;
  ERR_clear_error();
  return same;
}

}  // namespace keyward
