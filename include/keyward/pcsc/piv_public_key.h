// A public key as GENERATE ASYMMETRIC KEY PAIR returns it, NIST SP 800-73-4 Part 2 §3.3.2 and
// Table 11: template 7F49 with 81 modulus / 82 public exponent (RSA) or 86 uncompressed EC point
// (P-256, P-384).
#ifndef KEYWARD_PCSC_PIV_PUBLIC_KEY_H_
#define KEYWARD_PCSC_PIV_PUBLIC_KEY_H_

#include "keyward/bytes.h"
#include "keyward/core/openssl_util.h"
#include "keyward/export.h"
#include "keyward/pcsc/piv_types.h"

KEYWARD_API_BEGIN

namespace keyward::pcsc::piv {

struct PivPublicKey {
  Algorithm algorithm = Algorithm::kEccP256;
  Bytes ec_point;      // 04 || X || Y
  Bytes rsa_modulus;   // big-endian
  Bytes rsa_exponent;  // big-endian

  // Parses the 7F49 template (the full response data) for `alg`.
  static Result<PivPublicKey> Parse(Algorithm alg, ByteSpan response);
  // The 7F49 template (what the card sends).
  Bytes Encode() const;
  Result<EvpPkeyPtr> ToEvp() const;
  // DER SubjectPublicKeyInfo.
  Result<Bytes> ToSpki() const;
  static Result<PivPublicKey> FromEvp(EVP_PKEY* key);
};

}  // namespace keyward::pcsc::piv

KEYWARD_API_END

#endif  // KEYWARD_PCSC_PIV_PUBLIC_KEY_H_
