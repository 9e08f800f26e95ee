// TPM 2.0 structures WebAuthn L3 §8.3 reads (TPM 2.0 Library Part 2 "Structures"): TPMS_ATTEST
// (§10.12.12) for certInfo and TPMT_PUBLIC (§12.2.4) for pubArea. Big-endian, sized buffers
// are TPM2B (UINT16 size + bytes). Parse is strict: every field present, sizes in bounds, no
// trailing bytes; unknown algorithm ids where a union selector is needed are
// kTpmStructureMalformed.
#ifndef KEYWARD_ATTESTATION_TPM_STRUCTURES_H_
#define KEYWARD_ATTESTATION_TPM_STRUCTURES_H_

#include <cstdint>
#include <optional>

#include "core/bytes.h"
#include "core/hash.h"

namespace keyward::attestation {

inline constexpr uint32_t kTpmGeneratedValue = 0xff544347;
inline constexpr uint16_t kTpmStAttestCertify = 0x8017;
inline constexpr uint16_t kTpmAlgRsa = 0x0001;
inline constexpr uint16_t kTpmAlgSha1 = 0x0004;
inline constexpr uint16_t kTpmAlgSha256 = 0x000B;
inline constexpr uint16_t kTpmAlgSha384 = 0x000C;
inline constexpr uint16_t kTpmAlgSha512 = 0x000D;
inline constexpr uint16_t kTpmAlgNull = 0x0010;
inline constexpr uint16_t kTpmAlgEcc = 0x0023;
inline constexpr uint16_t kTpmEccNistP256 = 0x0003;
inline constexpr uint16_t kTpmEccNistP384 = 0x0004;
inline constexpr uint16_t kTpmEccNistP521 = 0x0005;

struct TpmsAttest {
  uint32_t magic = 0;
  uint16_t type = 0;
  Bytes qualified_signer;
  Bytes extra_data;
  uint64_t clock = 0;
  uint32_t reset_count = 0;
  uint32_t restart_count = 0;
  uint8_t safe = 0;
  uint64_t firmware_version = 0;
  // TPMS_CERTIFY_INFO (only when type == TPM_ST_ATTEST_CERTIFY).
  Bytes attested_name;
  Bytes attested_qualified_name;

  static Result<TpmsAttest> Parse(ByteSpan data);
};

struct TpmtPublic {
  uint16_t type = 0;  // kTpmAlgRsa or kTpmAlgEcc
  uint16_t name_alg = 0;
  uint32_t object_attributes = 0;
  Bytes auth_policy;
  // RSA
  uint16_t rsa_key_bits = 0;
  uint32_t rsa_exponent = 0;  // 0 means the default 65537
  Bytes rsa_modulus;
  // ECC
  uint16_t ecc_curve = 0;
  Bytes ecc_x, ecc_y;

  static Result<TpmtPublic> Parse(ByteSpan data);
};

// The hash algorithm a TPM_ALG_ID names (SHA-1/256/384/512), or nullopt.
std::optional<HashAlgorithm> TpmHashAlgorithm(uint16_t alg_id);

}  // namespace keyward::attestation

#endif  // KEYWARD_ATTESTATION_TPM_STRUCTURES_H_
