#include "attestation/packed_format.h"

namespace keyward::attestation {
namespace {

Unexpected Requirement(const std::string& what) {
  return Fail(ErrorCode::kAttestationCertificateInvalid, "packed certificate: " + what);
}

}  // namespace

Result<void> CheckPackedCertificateRequirements(const Certificate& cert, const Aaguid& aaguid) {
  if (cert.version() != 3) return Requirement("not version 3");
  if (cert.SubjectAttribute("C").size() != 1) return Requirement("subject C missing");
  if (cert.SubjectAttribute("O").size() != 1) return Requirement("subject O missing");
  auto ou = cert.SubjectAttribute("OU");
  if (ou.size() != 1 || ou[0] != "Authenticator Attestation") {
    return Requirement("subject OU is not \"Authenticator Attestation\"");
  }
  if (cert.SubjectAttribute("CN").size() != 1) return Requirement("subject CN missing");
  auto ca = AttestationCertificateIsCa(cert);
  if (!ca.has_value() || *ca) return Requirement("basicConstraints CA must be false");
  return CheckAaguidExtension(cert, aaguid);
}

Result<StatementResult> PackedFormat::Verify(const AttestationInput& input) const {
  const CborItem& stmt = input.att_stmt;
  if (!stmt.IsMap()) return Fail(ErrorCode::kAttestationStatementMalformed, "attStmt not a map");
  auto alg_int = stmt.Find("alg").GetInt();
  if (!alg_int) return Fail(ErrorCode::kAttestationStatementMalformed, "packed: alg missing");
  auto alg = CoseAlgorithmFromInt(*alg_int);
  if (!alg) {
    return Fail(ErrorCode::kUnsupportedAlgorithm, "packed: alg " + std::to_string(*alg_int));
  }
  auto sig = stmt.Find("sig").GetBytes();
  if (!sig) return Fail(ErrorCode::kAttestationStatementMalformed, "packed: sig missing");
  // Only alg, sig and x5c are defined; ecdaaKeyId was removed in L2 and is refused.
  if (stmt.Find("ecdaaKeyId")) {
    return Fail(ErrorCode::kAttestationStatementMalformed, "packed: ECDAA is not supported");
  }

  Bytes signed_data(input.auth_data.begin(), input.auth_data.end());
  signed_data.insert(signed_data.end(), input.client_data_hash.begin(),
                     input.client_data_hash.end());

  StatementResult result;
  result.alg = *alg;
  if (stmt.Find("x5c")) {
    KW_ASSIGN_OR_RETURN(result.trust_path, ReadX5c(stmt));
    const Certificate& leaf = result.trust_path.front();
    auto key = PublicKey::FromEvp(leaf.public_key(), *alg, input.insecure);
    if (!key) {
      return Fail(ErrorCode::kAttestationAlgorithmMismatch,
                  "packed: certificate key does not fit alg: " + key.error().detail);
    }
    if (!key->Verify(signed_data, *sig)) {
      return Fail(ErrorCode::kAttestationSignatureInvalid, "packed: signature does not verify");
    }
    KW_TRY(CheckPackedCertificateRequirements(leaf, input.aaguid));
    result.type = AttestationType::kBasic;
    return result;
  }
  // Self attestation.
  if (*alg != input.credential_key.alg) {
    return Fail(ErrorCode::kAttestationAlgorithmMismatch,
                "packed self: alg differs from the credential key's alg");
  }
  if (!input.credential_public_key.Verify(signed_data, *sig)) {
    return Fail(ErrorCode::kAttestationSignatureInvalid, "packed self: signature does not verify");
  }
  result.type = AttestationType::kSelf;
  return result;
}

}  // namespace keyward::attestation
