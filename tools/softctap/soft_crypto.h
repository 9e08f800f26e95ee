// Cryptographic building blocks of the software CTAP2 authenticator: credential keys (ES256 on
// P-256, EdDSA on Ed25519), ECDH on P-256 for PIN/UV auth protocols (CTAP 2.1 §6.5.6), HMAC and
// HKDF with SHA-256, AES-256-CBC without padding (§6.5.6, §6.5.7) and AES-256-GCM for wrapping
// non-resident credential ids.
//
// Private keys live only in SecretBytes (raw P-256 scalar or Ed25519 seed, 32 bytes each).
#ifndef KEYWARD_TOOLS_SOFTCTAP_SOFT_CRYPTO_H_
#define KEYWARD_TOOLS_SOFTCTAP_SOFT_CRYPTO_H_

#include <array>
#include <cstdint>

#include "core/bytes.h"
#include "core/secret.h"
#include "keyward/result.h"

typedef struct evp_pkey_st EVP_PKEY;

namespace keyward::softctap {

enum class KeyAlg : int64_t { kEs256 = -7, kEdDsa = -8 };

// A credential or attestation signing key.
class SigningKey {
 public:
  static Result<SigningKey> Generate(KeyAlg alg);
  // From the 32 private bytes (P-256 scalar or Ed25519 seed); kKeyMalformed when invalid.
  static Result<SigningKey> FromPrivate(KeyAlg alg, ByteSpan priv);

  SigningKey(SigningKey&&) noexcept;
  SigningKey& operator=(SigningKey&&) noexcept;
  ~SigningKey();

  KeyAlg alg() const { return alg_; }
  const SecretBytes& private_bytes() const { return priv_; }
  // COSE_Key of the public key (alg -7 / -8), canonical CTAP2 encoding.
  Bytes CosePublicKey() const;
  // ES256: DER ECDSA over SHA-256(message). EdDSA: pure Ed25519 over message.
  Result<Bytes> Sign(ByteSpan message) const;
  EVP_PKEY* evp() const { return pkey_; }

 private:
  SigningKey(KeyAlg alg, EVP_PKEY* pkey, SecretBytes priv);
  KeyAlg alg_;
  EVP_PKEY* pkey_;
  SecretBytes priv_;
};

// An ephemeral P-256 key agreement key (authenticatorKeyAgreementKey / platform key).
class EcdhKey {
 public:
  static Result<EcdhKey> Generate();
  EcdhKey(EcdhKey&&) noexcept;
  EcdhKey& operator=(EcdhKey&&) noexcept;
  ~EcdhKey();
  // COSE_Key with alg -25 (ECDH-ES+HKDF-256), as CTAP 2.1 §6.5.6 getPublicKey().
  Bytes CosePublicKey() const;
  // Z = x coordinate of the shared point with the peer (x, y are 32 bytes each).
  // kPointNotOnCurve when the peer point is invalid.
  Result<SecretBytes> SharedX(ByteSpan peer_x, ByteSpan peer_y) const;

 private:
  explicit EcdhKey(EVP_PKEY* pkey);
  EVP_PKEY* pkey_;
};

std::array<uint8_t, 32> HmacSha256(ByteSpan key, ByteSpan data);
// HKDF-SHA-256 (RFC 5869), output 32 bytes.
SecretBytes HkdfSha256(ByteSpan salt, ByteSpan ikm, std::string_view info);
// AES-256-CBC, no padding; data must be a multiple of 16 bytes (kInvalidArgument otherwise).
Result<Bytes> Aes256CbcEncrypt(ByteSpan key, ByteSpan iv, ByteSpan plaintext);
Result<Bytes> Aes256CbcDecrypt(ByteSpan key, ByteSpan iv, ByteSpan ciphertext);
// AES-256-GCM: output is iv(12) || ciphertext || tag(16). Open fails (kSignatureInvalid) on a
// wrong key, tag or AAD.
Result<Bytes> Aes256GcmSeal(ByteSpan key, ByteSpan aad, ByteSpan plaintext);
Result<SecretBytes> Aes256GcmOpen(ByteSpan key, ByteSpan aad, ByteSpan sealed);

}  // namespace keyward::softctap

#endif  // KEYWARD_TOOLS_SOFTCTAP_SOFT_CRYPTO_H_
