#include "attestation/fido_u2f_format.h"

namespace keyward::attestation {

Result<StatementResult> FidoU2fFormat::Verify(const AttestationInput& input) const {
  const CborItem& stmt = input.att_stmt;
  if (!stmt.IsMap()) return Fail(ErrorCode::kAttestationStatementMalformed, "attStmt not a map");
  auto sig = stmt.Find("sig").GetBytes();
  if (!sig) return Fail(ErrorCode::kAttestationStatementMalformed, "fido-u2f: sig missing");
  KW_ASSIGN_OR_RETURN(std::vector<Certificate> x5c, ReadX5c(stmt));
  if (x5c.size() != 1) {
    return Fail(ErrorCode::kAttestationStatementMalformed,
                "fido-u2f: x5c must hold exactly one certificate");
  }
  const Certificate& cert = x5c.front();
  auto key = PublicKey::FromEvp(cert.public_key(), CoseAlgorithm::kES256, {});
  if (!key) {
    return Fail(ErrorCode::kAttestationCertificateInvalid,
                "fido-u2f: certificate key is not EC P-256: " + key.error().detail);
  }
  const CoseKey& ck = input.credential_key;
  if (ck.kty != CoseKeyType::kEc2 || ck.crv != CoseCurve::kP256 || ck.x.size() != 32 ||
      ck.y.size() != 32) {
    return Fail(ErrorCode::kAttestationPublicKeyMismatch,
                "fido-u2f: credential key is not an EC2 P-256 key");
  }
  if (input.rp_id_hash.size() != 32) {
    return Fail(ErrorCode::kAttestationStatementMalformed, "fido-u2f: rpIdHash is not 32 bytes");
  }
  Bytes base;
  base.reserve(1 + 32 + 32 + input.credential_id.size() + 65);
  base.push_back(0x00);
  base.insert(base.end(), input.rp_id_hash.begin(), input.rp_id_hash.end());
  base.insert(base.end(), input.client_data_hash.begin(), input.client_data_hash.end());
  base.insert(base.end(), input.credential_id.begin(), input.credential_id.end());
  base.push_back(0x04);
  base.insert(base.end(), ck.x.begin(), ck.x.end());
  base.insert(base.end(), ck.y.begin(), ck.y.end());
  if (!key->Verify(base, *sig)) {
    return Fail(ErrorCode::kAttestationSignatureInvalid, "fido-u2f: signature does not verify");
  }
  StatementResult result;
  result.type = AttestationType::kBasic;
  result.alg = CoseAlgorithm::kES256;
  result.trust_path = std::move(x5c);
  return result;
}

}  // namespace keyward::attestation
