// Signature verification for COSE algorithms (RFC 9053 §2, RFC 8230, WebAuthn L3 §6.5.6
// "Signature Formats"), built for the hot path of assertion verification.
//
//  - ECDSA (ES256/384/512, ESP256/384/512): the signature is an ASN.1 DER Ecdsa-Sig-Value; BER
//    or otherwise non-DER encodings are kSignatureMalformed / kSignatureInvalid. High-S
//    signatures are mathematically valid and accepted, as Wycheproof classifies them.
//  - EdDSA (-8), Ed25519 (-19), Ed448 (-53): pure EdDSA over the message.
//  - RS256/384/512: RSASSA-PKCS1-v1_5; PS256/384/512: RSASSA-PSS, MGF1 with the same hash,
//    salt length = hash length (RFC 8230 §2).
//  - RS1 (SHA-1) only when the caller passes InsecureAllowRs1; otherwise
//    kInsecureAlgorithmRefused.
//
// Keys are built from raw parameters through OpenSSL's low-level EC/RSA objects (with cached
// curve groups), not through the OpenSSL 3 decoder or OSSL_PARAM framework: measured here the
// decoder costs more than the verification itself (see bench/ and README "Performance").
// Building a key checks the EC point is on the curve and in range.
#ifndef KEYWARD_CORE_PUBLIC_KEY_H_
#define KEYWARD_CORE_PUBLIC_KEY_H_

#include <memory>
#include <optional>

#include "core/bytes.h"
#include "core/cose_key.h"
#include "core/hash.h"
#include "core/openssl_util.h"

namespace keyward {

// Opt-in for algorithms the WebAuthn and FIDO world still meets but that are broken.
struct InsecureAlgorithms {
  bool insecure_allow_rs1 = false;
};

enum class SignatureFormat {
  kDer,    // ECDSA as DER Ecdsa-Sig-Value (WebAuthn, X.509)
  kP1363,  // ECDSA as r || s, each the field size (TPM, JOSE/JWS)
};

HashAlgorithm HashFor(CoseAlgorithm alg);

class PublicKey {
 public:
  // Builds a verification key from a parsed COSE key.
  static Result<PublicKey> FromCose(const CoseKey& key, InsecureAlgorithms insecure);
  // Parses and builds in one step (the stored-credential path).
  static Result<PublicKey> FromCoseBytes(ByteSpan cose, InsecureAlgorithms insecure);
  // Wraps an existing key (e.g. from an X.509 certificate) for use with algorithm `alg`; the
  // key's type must fit the algorithm. The EVP_PKEY's reference count is incremented.
  static Result<PublicKey> FromEvp(EVP_PKEY* key, CoseAlgorithm alg, InsecureAlgorithms insecure);

  PublicKey(PublicKey&&) noexcept;
  PublicKey& operator=(PublicKey&&) noexcept;
  ~PublicKey();

  CoseAlgorithm algorithm() const { return alg_; }

  // kSignatureInvalid when the signature does not verify, kSignatureMalformed when it cannot be
  // a signature of this algorithm at all.
  Result<void> Verify(ByteSpan message, ByteSpan signature,
                      SignatureFormat format = SignatureFormat::kDer) const;

  // An EVP_PKEY for comparisons (e.g. attestation certificate key == credential key). The
  // returned pointer is owned by the PublicKey. Built lazily.
  Result<EVP_PKEY*> Evp() const;

 private:
  struct Impl;
  explicit PublicKey(std::unique_ptr<Impl> impl, CoseAlgorithm alg);
  // FromEvp for keys backed by low-level EC_KEY / RSA objects; nullopt = take the EVP path.
  static std::optional<Result<PublicKey>> FromLegacyEvp(EVP_PKEY* key, CoseAlgorithm alg);
  std::unique_ptr<Impl> impl_;
  CoseAlgorithm alg_;
};

// True when the two keys are the same public key.
bool SamePublicKey(EVP_PKEY* a, EVP_PKEY* b);

// Keys of X.509 SubjectPublicKeyInfos built without OpenSSL 3's decoder framework (for
// core/x509's certificate parser; see the cost model in core/x509.h). The EVP_PKEYs are backed by
// the low-level objects, which PublicKey::FromEvp verifies with directly.
//  - EcSpkiKey: id-ecPublicKey with namedCurve `curve_nid` (P-256, P-384, P-521 only) and the
//    subjectPublicKey contents `point` (SEC 1 octets, compressed or not); the point must be on
//    the curve. nullptr otherwise.
//  - RsaSpkiKey: rsaEncryption; `rsa_public_key` is the subjectPublicKey contents, a DER
//    RSAPublicKey consumed exactly. nullptr otherwise.
EvpPkeyPtr EcSpkiKey(int curve_nid, ByteSpan point);
EvpPkeyPtr RsaSpkiKey(ByteSpan rsa_public_key);

}  // namespace keyward

#endif  // KEYWARD_CORE_PUBLIC_KEY_H_
