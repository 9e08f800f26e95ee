// COSE_Key (RFC 9052 §7, RFC 9053 §2 / §7, RFC 8230) as WebAuthn L3 §5.8.5 / §6.5.1.1 uses it:
// the credential public key inside attested credential data, and the stored form of a
// credential's key.
//
// Invariants of a parsed CoseKey (Parse enforces them; an object that exists is consistent):
//  - kty, alg present; alg is one keyward knows (IANA "COSE Algorithms");
//  - kty, crv and alg agree: ES256/ESP256 ↔ EC2 P-256, ES384/ESP384 ↔ P-384, ES512/ESP512 ↔ P-521,
//    EdDSA ↔ OKP Ed25519 or Ed448, Ed25519 (-19) ↔ Ed25519, Ed448 (-53) ↔ Ed448,
//    RS*/PS*/RS1 ↔ RSA;
//  - EC2 coordinates are byte strings of exactly the field size (uncompressed points only);
//  - OKP x is 32 (Ed25519) or 57 (Ed448) bytes;
//  - RSA n has at least 2048 and at most 16384 significant bits, e is odd and > 1;
//  - no private parameter (d, p, q, ...) is present.
// Whether the point is on the curve is checked when a PublicKey is built from the key
// (core/public_key.h), since that needs the curve arithmetic anyway.
#ifndef KEYWARD_CORE_COSE_KEY_H_
#define KEYWARD_CORE_COSE_KEY_H_

#include <cstdint>
#include <optional>
#include <string_view>

#include "core/bytes.h"

namespace keyward {

enum class CoseKeyType : int64_t { kOkp = 1, kEc2 = 2, kRsa = 3 };

enum class CoseCurve : int64_t { kP256 = 1, kP384 = 2, kP521 = 3, kEd25519 = 6, kEd448 = 7 };

enum class CoseAlgorithm : int64_t {
  kES256 = -7,
  kEdDSA = -8,
  kESP256 = -9,
  kEd25519 = -19,
  kES384 = -35,
  kES512 = -36,
  kPS256 = -37,
  kPS384 = -38,
  kPS512 = -39,
  kESP384 = -51,
  kESP512 = -52,
  kEd448 = -53,
  kRS256 = -257,
  kRS384 = -258,
  kRS512 = -259,
  kRS1 = -65535,
};

// "ES256", "EdDSA", ...; "unknown" for other values.
std::string_view CoseAlgorithmName(CoseAlgorithm alg);
std::optional<CoseAlgorithm> CoseAlgorithmFromInt(int64_t value);
CoseKeyType KeyTypeOf(CoseAlgorithm alg);

struct CoseKey {
  CoseKeyType kty = CoseKeyType::kEc2;
  CoseAlgorithm alg = CoseAlgorithm::kES256;
  std::optional<CoseCurve> crv;  // EC2 and OKP
  Bytes x, y;                    // EC2 (x, y) and OKP (x)
  Bytes n, e;                    // RSA

  // Parses one COSE_Key. With `consumed`, bytes may follow the key (as in authenticator data)
  // and their offset is stored; without it, trailing bytes are kTrailingData.
  static Result<CoseKey> Parse(ByteSpan cbor, size_t* consumed = nullptr);

  // Canonical CTAP2 encoding of the key (round-trips Parse).
  Bytes Encode() const;
};

}  // namespace keyward

#endif  // KEYWARD_CORE_COSE_KEY_H_
