#include "attestation/tpm_structures.h"

namespace keyward::attestation {
namespace {

Unexpected Malformed(const std::string& what) {
  return Fail(ErrorCode::kTpmStructureMalformed, what);
}

Result<Bytes> Tpm2b(ByteReader& r) {
  KW_ASSIGN_OR_RETURN(uint16_t size, r.U16());
  KW_ASSIGN_OR_RETURN(ByteSpan b, r.Take(size));
  return ToBytes(b);
}

// Wraps a ByteReader error (kTruncated) as a TPM structure error naming the field.
template <typename T>
Result<T> Field(Result<T> r, const char* field) {
  if (!r) return Malformed(std::string("truncated at ") + field);
  return r;
}

// TPMT_SYM_DEF_OBJECT (for a signing key, normally TPM_ALG_NULL).
Result<void> SkipSymDef(ByteReader& r) {
  KW_ASSIGN_OR_RETURN(uint16_t alg, Field(r.U16(), "symmetric.algorithm"));
  if (alg != kTpmAlgNull) {
    KW_TRY(Field(r.U16(), "symmetric.keyBits"));
    KW_TRY(Field(r.U16(), "symmetric.mode"));
  }
  return Ok();
}

// TPMT_*_SCHEME / TPMT_KDF_SCHEME: a scheme id, then its hashAlg unless the scheme is NULL.
Result<void> SkipScheme(ByteReader& r, const char* what) {
  KW_ASSIGN_OR_RETURN(uint16_t scheme, Field(r.U16(), what));
  if (scheme != kTpmAlgNull) KW_TRY(Field(r.U16(), what));
  return Ok();
}

}  // namespace

std::optional<HashAlgorithm> TpmHashAlgorithm(uint16_t alg_id) {
  switch (alg_id) {
    case kTpmAlgSha1:
      return HashAlgorithm::kSha1;
    case kTpmAlgSha256:
      return HashAlgorithm::kSha256;
    case kTpmAlgSha384:
      return HashAlgorithm::kSha384;
    case kTpmAlgSha512:
      return HashAlgorithm::kSha512;
    default:
      return std::nullopt;
  }
}

Result<TpmsAttest> TpmsAttest::Parse(ByteSpan data) {
  ByteReader r(data);
  TpmsAttest a;
  KW_ASSIGN_OR_RETURN(a.magic, Field(r.U32(), "magic"));
  KW_ASSIGN_OR_RETURN(a.type, Field(r.U16(), "type"));
  KW_ASSIGN_OR_RETURN(a.qualified_signer, Field(Tpm2b(r), "qualifiedSigner"));
  KW_ASSIGN_OR_RETURN(a.extra_data, Field(Tpm2b(r), "extraData"));
  KW_ASSIGN_OR_RETURN(a.clock, Field(r.U64(), "clockInfo.clock"));
  KW_ASSIGN_OR_RETURN(a.reset_count, Field(r.U32(), "clockInfo.resetCount"));
  KW_ASSIGN_OR_RETURN(a.restart_count, Field(r.U32(), "clockInfo.restartCount"));
  KW_ASSIGN_OR_RETURN(a.safe, Field(r.U8(), "clockInfo.safe"));
  KW_ASSIGN_OR_RETURN(a.firmware_version, Field(r.U64(), "firmwareVersion"));
  if (a.type != kTpmStAttestCertify) {
    // Only TPMS_CERTIFY_INFO is defined for WebAuthn; other TPMU_ATTEST arms are not parsed.
    return Fail(ErrorCode::kTpmAttestInvalid, "certInfo type is not TPM_ST_ATTEST_CERTIFY");
  }
  KW_ASSIGN_OR_RETURN(a.attested_name, Field(Tpm2b(r), "attested.name"));
  KW_ASSIGN_OR_RETURN(a.attested_qualified_name, Field(Tpm2b(r), "attested.qualifiedName"));
  if (!r.empty()) return Malformed("bytes after TPMS_ATTEST");
  return a;
}

Result<TpmtPublic> TpmtPublic::Parse(ByteSpan data) {
  ByteReader r(data);
  TpmtPublic p;
  KW_ASSIGN_OR_RETURN(p.type, Field(r.U16(), "type"));
  KW_ASSIGN_OR_RETURN(p.name_alg, Field(r.U16(), "nameAlg"));
  KW_ASSIGN_OR_RETURN(p.object_attributes, Field(r.U32(), "objectAttributes"));
  KW_ASSIGN_OR_RETURN(p.auth_policy, Field(Tpm2b(r), "authPolicy"));
  if (p.type == kTpmAlgRsa) {
    KW_TRY(SkipSymDef(r));
    KW_TRY(SkipScheme(r, "rsa scheme"));
    KW_ASSIGN_OR_RETURN(p.rsa_key_bits, Field(r.U16(), "keyBits"));
    KW_ASSIGN_OR_RETURN(p.rsa_exponent, Field(r.U32(), "exponent"));
    KW_ASSIGN_OR_RETURN(p.rsa_modulus, Field(Tpm2b(r), "unique.rsa"));
  } else if (p.type == kTpmAlgEcc) {
    KW_TRY(SkipSymDef(r));
    KW_TRY(SkipScheme(r, "ecc scheme"));
    KW_ASSIGN_OR_RETURN(p.ecc_curve, Field(r.U16(), "curveID"));
    KW_TRY(SkipScheme(r, "kdf"));
    KW_ASSIGN_OR_RETURN(p.ecc_x, Field(Tpm2b(r), "unique.ecc.x"));
    KW_ASSIGN_OR_RETURN(p.ecc_y, Field(Tpm2b(r), "unique.ecc.y"));
  } else {
    return Malformed("pubArea type is neither TPM_ALG_RSA nor TPM_ALG_ECC");
  }
  if (!r.empty()) return Malformed("bytes after TPMT_PUBLIC");
  return p;
}

}  // namespace keyward::attestation
