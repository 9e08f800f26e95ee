// EC_KEY is deprecated in OpenSSL 3 but is the shortest way to build a P-256 key from a raw
// scalar or point; it is used only in this file.
#define OPENSSL_SUPPRESS_DEPRECATED 1
#include "tools/softctap/soft_crypto.h"

#include <openssl/bn.h>
#include <openssl/core_names.h>
#include <openssl/ec.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>
#include <openssl/kdf.h>
#include <openssl/obj_mac.h>

#include "core/cbor_writer.h"
#include "core/hash.h"
#include "core/openssl_util.h"

namespace keyward::softctap {
namespace {

using EcKeyPtr = std::unique_ptr<EC_KEY, OsslDeleter<EC_KEY, EC_KEY_free>>;
using EcPointPtr = std::unique_ptr<EC_POINT, OsslDeleter<EC_POINT, EC_POINT_free>>;
using CipherCtxPtr =
    std::unique_ptr<EVP_CIPHER_CTX, OsslDeleter<EVP_CIPHER_CTX, EVP_CIPHER_CTX_free>>;

const EC_GROUP* P256() {
  static EC_GROUP* g = EC_GROUP_new_by_curve_name(NID_X9_62_prime256v1);
  return g;
}

// Public point of an EC EVP_PKEY as (x, y), 32 bytes each.
void EcPublicXy(EVP_PKEY* pkey, Bytes* x, Bytes* y) {
  const EC_KEY* ec = EVP_PKEY_get0_EC_KEY(pkey);
  uint8_t buf[65];
  size_t n = EC_POINT_point2oct(P256(), EC_KEY_get0_public_key(ec), POINT_CONVERSION_UNCOMPRESSED,
                                buf, sizeof(buf), nullptr);
  if (n != 65) std::abort();
  x->assign(buf + 1, buf + 33);
  y->assign(buf + 33, buf + 65);
}

Bytes EcCose(EVP_PKEY* pkey, int64_t alg) {
  Bytes x, y;
  EcPublicXy(pkey, &x, &y);
  CborWriter w;
  w.Map(5).Uint(1).Uint(2).Uint(3).Int(alg).Int(-1).Uint(1).Int(-2).Bytes(x).Int(-3).Bytes(y);
  return w.Take();
}

Result<EVP_PKEY*> EcFromScalar(ByteSpan priv) {
  if (priv.size() != 32) return Fail(ErrorCode::kKeyMalformed, "P-256 scalar must be 32 bytes");
  EcKeyPtr ec(EC_KEY_new());
  BignumPtr d(BN_bin2bn(priv.data(), 32, nullptr));
  EcPointPtr pub(EC_POINT_new(P256()));
  if (!ec || !d || !pub || EC_KEY_set_group(ec.get(), P256()) != 1) {
    return Fail(ErrorCode::kCryptoInternal, TakeOpensslError("EC_KEY"));
  }
  if (BN_is_zero(d.get()) || BN_cmp(d.get(), EC_GROUP_get0_order(P256())) >= 0) {
    return Fail(ErrorCode::kKeyMalformed, "P-256 scalar out of range");
  }
  if (EC_POINT_mul(P256(), pub.get(), d.get(), nullptr, nullptr, nullptr) != 1 ||
      EC_KEY_set_private_key(ec.get(), d.get()) != 1 ||
      EC_KEY_set_public_key(ec.get(), pub.get()) != 1) {
    return Fail(ErrorCode::kCryptoInternal, TakeOpensslError("EC_KEY"));
  }
  EVP_PKEY* pkey = EVP_PKEY_new();
  if (!pkey || EVP_PKEY_set1_EC_KEY(pkey, ec.get()) != 1) {
    EVP_PKEY_free(pkey);
    return Fail(ErrorCode::kCryptoInternal, TakeOpensslError("EVP_PKEY"));
  }
  return pkey;
}

Result<EVP_PKEY*> EcGenerate() {
  EcKeyPtr ec(EC_KEY_new());
  if (!ec || EC_KEY_set_group(ec.get(), P256()) != 1 || EC_KEY_generate_key(ec.get()) != 1) {
    return Fail(ErrorCode::kCryptoInternal, TakeOpensslError("EC_KEY_generate_key"));
  }
  EVP_PKEY* pkey = EVP_PKEY_new();
  if (!pkey || EVP_PKEY_set1_EC_KEY(pkey, ec.get()) != 1) {
    EVP_PKEY_free(pkey);
    return Fail(ErrorCode::kCryptoInternal, TakeOpensslError("EVP_PKEY"));
  }
  return pkey;
}

SecretBytes EcScalar(EVP_PKEY* pkey) {
  const BIGNUM* d = EC_KEY_get0_private_key(EVP_PKEY_get0_EC_KEY(pkey));
  uint8_t buf[32];
  BN_bn2binpad(d, buf, 32);
  SecretBytes out(ByteSpan(buf, 32));
  OPENSSL_cleanse(buf, sizeof(buf));
  return out;
}

}  // namespace

SigningKey::SigningKey(KeyAlg alg, EVP_PKEY* pkey, SecretBytes priv)
    : alg_(alg), pkey_(pkey), priv_(std::move(priv)) {}
SigningKey::SigningKey(SigningKey&& o) noexcept
    : alg_(o.alg_), pkey_(o.pkey_), priv_(std::move(o.priv_)) {
  o.pkey_ = nullptr;
}
SigningKey& SigningKey::operator=(SigningKey&& o) noexcept {
  if (this != &o) {
    EVP_PKEY_free(pkey_);
    alg_ = o.alg_;
    pkey_ = o.pkey_;
    priv_ = std::move(o.priv_);
    o.pkey_ = nullptr;
  }
  return *this;
}
SigningKey::~SigningKey() { EVP_PKEY_free(pkey_); }

Result<SigningKey> SigningKey::Generate(KeyAlg alg) {
  if (alg == KeyAlg::kEs256) {
    KW_ASSIGN_OR_RETURN(EVP_PKEY * pkey, EcGenerate());
    return SigningKey(alg, pkey, EcScalar(pkey));
  }
  KW_ASSIGN_OR_RETURN(Bytes seed, RandomBytes(32));
  SecretBytes s(seed);
  OPENSSL_cleanse(seed.data(), seed.size());
  return FromPrivate(alg, s.reveal());
}

Result<SigningKey> SigningKey::FromPrivate(KeyAlg alg, ByteSpan priv) {
  if (alg == KeyAlg::kEs256) {
    KW_ASSIGN_OR_RETURN(EVP_PKEY * pkey, EcFromScalar(priv));
    return SigningKey(alg, pkey, SecretBytes(priv));
  }
  if (priv.size() != 32) return Fail(ErrorCode::kKeyMalformed, "Ed25519 seed must be 32 bytes");
  EVP_PKEY* pkey = EVP_PKEY_new_raw_private_key(EVP_PKEY_ED25519, nullptr, priv.data(), 32);
  if (!pkey) return Fail(ErrorCode::kKeyMalformed, TakeOpensslError("Ed25519 key"));
  return SigningKey(alg, pkey, SecretBytes(priv));
}

Bytes SigningKey::CosePublicKey() const {
  if (alg_ == KeyAlg::kEs256) return EcCose(pkey_, -7);
  uint8_t x[32];
  size_t len = sizeof(x);
  if (EVP_PKEY_get_raw_public_key(pkey_, x, &len) != 1 || len != 32) std::abort();
  CborWriter w;
  w.Map(4).Uint(1).Uint(1).Uint(3).Int(-8).Int(-1).Uint(6).Int(-2).Bytes(ByteSpan(x, 32));
  return w.Take();
}

Result<Bytes> SigningKey::Sign(ByteSpan message) const {
  EvpMdCtxPtr ctx(EVP_MD_CTX_new());
  const EVP_MD* md = alg_ == KeyAlg::kEs256 ? EVP_sha256() : nullptr;
  size_t len = 0;
  if (!ctx || EVP_DigestSignInit(ctx.get(), nullptr, md, nullptr, pkey_) != 1 ||
      EVP_DigestSign(ctx.get(), nullptr, &len, message.data(), message.size()) != 1) {
    return Fail(ErrorCode::kCryptoInternal, TakeOpensslError("sign init"));
  }
  Bytes sig(len);
  if (EVP_DigestSign(ctx.get(), sig.data(), &len, message.data(), message.size()) != 1) {
    return Fail(ErrorCode::kCryptoInternal, TakeOpensslError("sign"));
  }
  sig.resize(len);
  return sig;
}

EcdhKey::EcdhKey(EVP_PKEY* pkey) : pkey_(pkey) {}
EcdhKey::EcdhKey(EcdhKey&& o) noexcept : pkey_(o.pkey_) { o.pkey_ = nullptr; }
EcdhKey& EcdhKey::operator=(EcdhKey&& o) noexcept {
  if (this != &o) {
    EVP_PKEY_free(pkey_);
    pkey_ = o.pkey_;
    o.pkey_ = nullptr;
  }
  return *this;
}
EcdhKey::~EcdhKey() { EVP_PKEY_free(pkey_); }

Result<EcdhKey> EcdhKey::Generate() {
  KW_ASSIGN_OR_RETURN(EVP_PKEY * pkey, EcGenerate());
  return EcdhKey(pkey);
}

Bytes EcdhKey::CosePublicKey() const { return EcCose(pkey_, -25); }

Result<SecretBytes> EcdhKey::SharedX(ByteSpan peer_x, ByteSpan peer_y) const {
  if (peer_x.size() != 32 || peer_y.size() != 32) {
    return Fail(ErrorCode::kKeyMalformed, "ECDH coordinates must be 32 bytes");
  }
  uint8_t oct[65];
  oct[0] = 0x04;
  std::copy(peer_x.begin(), peer_x.end(), oct + 1);
  std::copy(peer_y.begin(), peer_y.end(), oct + 33);
  EcPointPtr point(EC_POINT_new(P256()));
  if (!point || EC_POINT_oct2point(P256(), point.get(), oct, sizeof(oct), nullptr) != 1) {
    TakeOpensslError("");
    return Fail(ErrorCode::kPointNotOnCurve, "peer key agreement point is not on P-256");
  }
  EcKeyPtr peer(EC_KEY_new());
  EvpPkeyPtr peer_pkey(EVP_PKEY_new());
  if (!peer || !peer_pkey || EC_KEY_set_group(peer.get(), P256()) != 1 ||
      EC_KEY_set_public_key(peer.get(), point.get()) != 1 ||
      EVP_PKEY_set1_EC_KEY(peer_pkey.get(), peer.get()) != 1) {
    return Fail(ErrorCode::kCryptoInternal, TakeOpensslError("peer key"));
  }
  EvpPkeyCtxPtr ctx(EVP_PKEY_CTX_new(pkey_, nullptr));
  uint8_t z[32];
  size_t zlen = sizeof(z);
  if (!ctx || EVP_PKEY_derive_init(ctx.get()) != 1 ||
      EVP_PKEY_derive_set_peer(ctx.get(), peer_pkey.get()) != 1 ||
      EVP_PKEY_derive(ctx.get(), z, &zlen) != 1 || zlen != 32) {
    return Fail(ErrorCode::kCryptoInternal, TakeOpensslError("ECDH"));
  }
  SecretBytes out(ByteSpan(z, 32));
  OPENSSL_cleanse(z, sizeof(z));
  return out;
}

std::array<uint8_t, 32> HmacSha256(ByteSpan key, ByteSpan data) {
  std::array<uint8_t, 32> out{};
  unsigned int len = 32;
  static const uint8_t kEmpty = 0;
  if (!HMAC(EVP_sha256(), key.empty() ? &kEmpty : key.data(), static_cast<int>(key.size()),
            data.data(), data.size(), out.data(), &len)) {
    std::abort();
  }
  return out;
}

SecretBytes HkdfSha256(ByteSpan salt, ByteSpan ikm, std::string_view info) {
  // RFC 5869: PRK = HMAC(salt, IKM); OKM = T(1) = HMAC(PRK, info || 0x01).
  auto prk = HmacSha256(salt, ikm);
  Bytes msg(info.begin(), info.end());
  msg.push_back(0x01);
  auto okm = HmacSha256(prk, msg);
  SecretBytes out(okm);
  OPENSSL_cleanse(prk.data(), prk.size());
  OPENSSL_cleanse(okm.data(), okm.size());
  return out;
}

namespace {
Result<Bytes> AesCbc(bool encrypt, ByteSpan key, ByteSpan iv, ByteSpan in) {
  if (key.size() != 32 || iv.size() != 16 || in.size() % 16 != 0) {
    return Fail(ErrorCode::kInvalidArgument, "AES-256-CBC: bad key, iv or length");
  }
  CipherCtxPtr ctx(EVP_CIPHER_CTX_new());
  Bytes out(in.size() + 16);
  int n1 = 0, n2 = 0;
  if (!ctx ||
      EVP_CipherInit_ex(ctx.get(), EVP_aes_256_cbc(), nullptr, key.data(), iv.data(),
                        encrypt ? 1 : 0) != 1 ||
      EVP_CIPHER_CTX_set_padding(ctx.get(), 0) != 1 ||
      EVP_CipherUpdate(ctx.get(), out.data(), &n1, in.data(), static_cast<int>(in.size())) != 1 ||
      EVP_CipherFinal_ex(ctx.get(), out.data() + n1, &n2) != 1) {
    return Fail(ErrorCode::kCryptoInternal, TakeOpensslError("AES-CBC"));
  }
  out.resize(static_cast<size_t>(n1 + n2));
  return out;
}
}  // namespace

Result<Bytes> Aes256CbcEncrypt(ByteSpan key, ByteSpan iv, ByteSpan plaintext) {
  return AesCbc(true, key, iv, plaintext);
}
Result<Bytes> Aes256CbcDecrypt(ByteSpan key, ByteSpan iv, ByteSpan ciphertext) {
  return AesCbc(false, key, iv, ciphertext);
}

Result<Bytes> Aes256GcmSeal(ByteSpan key, ByteSpan aad, ByteSpan plaintext) {
  if (key.size() != 32) return Fail(ErrorCode::kInvalidArgument, "AES-256-GCM key size");
  KW_ASSIGN_OR_RETURN(Bytes out, RandomBytes(12));
  CipherCtxPtr ctx(EVP_CIPHER_CTX_new());
  out.resize(12 + plaintext.size() + 16);
  int n = 0, n2 = 0;
  if (!ctx ||
      EVP_EncryptInit_ex(ctx.get(), EVP_aes_256_gcm(), nullptr, key.data(), out.data()) != 1 ||
      EVP_EncryptUpdate(ctx.get(), nullptr, &n, aad.data(), static_cast<int>(aad.size())) != 1 ||
      EVP_EncryptUpdate(ctx.get(), out.data() + 12, &n, plaintext.data(),
                        static_cast<int>(plaintext.size())) != 1 ||
      EVP_EncryptFinal_ex(ctx.get(), out.data() + 12 + n, &n2) != 1 ||
      EVP_CIPHER_CTX_ctrl(ctx.get(), EVP_CTRL_GCM_GET_TAG, 16,
                          out.data() + 12 + plaintext.size()) != 1) {
    return Fail(ErrorCode::kCryptoInternal, TakeOpensslError("AES-GCM seal"));
  }
  return out;
}

Result<SecretBytes> Aes256GcmOpen(ByteSpan key, ByteSpan aad, ByteSpan sealed) {
  if (key.size() != 32) return Fail(ErrorCode::kInvalidArgument, "AES-256-GCM key size");
  if (sealed.size() < 28) return Fail(ErrorCode::kTruncated, "sealed blob too short");
  size_t ct_len = sealed.size() - 28;
  CipherCtxPtr ctx(EVP_CIPHER_CTX_new());
  Bytes out(ct_len + 16);
  int n = 0, n2 = 0;
  Bytes tag(sealed.end() - 16, sealed.end());
  bool ok =
      ctx &&
      EVP_DecryptInit_ex(ctx.get(), EVP_aes_256_gcm(), nullptr, key.data(), sealed.data()) == 1 &&
      EVP_DecryptUpdate(ctx.get(), nullptr, &n, aad.data(), static_cast<int>(aad.size())) == 1 &&
      EVP_DecryptUpdate(ctx.get(), out.data(), &n, sealed.data() + 12, static_cast<int>(ct_len)) ==
          1 &&
      EVP_CIPHER_CTX_ctrl(ctx.get(), EVP_CTRL_GCM_SET_TAG, 16, tag.data()) == 1 &&
      EVP_DecryptFinal_ex(ctx.get(), out.data() + n, &n2) == 1;
  if (!ok) {
    OPENSSL_cleanse(out.data(), out.size());
    TakeOpensslError("");
    return Fail(ErrorCode::kSignatureInvalid, "AES-GCM authentication failed");
  }
  SecretBytes result(ByteSpan(out.data(), ct_len));
  OPENSSL_cleanse(out.data(), out.size());
  return result;
}

}  // namespace keyward::softctap
