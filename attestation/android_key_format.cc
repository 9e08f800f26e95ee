#include "attestation/android_key_format.h"

#include <algorithm>

#include "attestation/android_key_description.h"

namespace keyward::attestation {
namespace {

Unexpected Authorization(const std::string& what) {
  return Fail(ErrorCode::kAndroidKeyAuthorizationInvalid, "android-key: " + what);
}

}  // namespace

Result<StatementResult> AndroidKeyFormat::Verify(const AttestationInput& input) const {
  const CborItem& stmt = input.att_stmt;
  if (!stmt.IsMap()) return Fail(ErrorCode::kAttestationStatementMalformed, "attStmt not a map");
  KW_ASSIGN_OR_RETURN(CoseAlgorithm alg, ReadAlg(stmt, "android-key"));
  auto sig = stmt.Find("sig").GetBytes();
  if (!sig) return Fail(ErrorCode::kAttestationStatementMalformed, "android-key: sig missing");
  KW_ASSIGN_OR_RETURN(std::vector<Certificate> x5c, ReadX5c(stmt));
  const Certificate& cred_cert = x5c.front();

  auto key = PublicKey::FromEvp(cred_cert.public_key(), alg, input.insecure);
  if (!key) {
    return Fail(ErrorCode::kAttestationAlgorithmMismatch,
                "android-key: certificate key does not fit alg: " + key.error().detail);
  }
  if (!key->Verify(AttToBeSigned(input), *sig)) {
    return Fail(ErrorCode::kAttestationSignatureInvalid, "android-key: signature does not verify");
  }
  if (!CertificateKeyIsCredentialKey(cred_cert, input)) {
    return Fail(ErrorCode::kAttestationPublicKeyMismatch,
                "android-key: certificate key is not the credential key");
  }
  auto ext = cred_cert.ExtensionValue("1.3.6.1.4.1.11129.2.1.17");
  if (!ext) {
    return Fail(ErrorCode::kAndroidKeyDescriptionInvalid,
                "android-key: KeyDescription extension missing");
  }
  KW_ASSIGN_OR_RETURN(KeyDescription kd, KeyDescription::Parse(*ext));
  if (!ConstantTimeEqual(kd.attestation_challenge, input.client_data_hash)) {
    return Fail(ErrorCode::kAndroidKeyChallengeMismatch,
                "android-key: attestationChallenge != clientDataHash");
  }
  if (kd.software_enforced.all_applications || kd.tee_enforced.all_applications) {
    return Authorization("allApplications is present (key not scoped to the RP)");
  }
  bool tee_only = input.options.android_key_require_tee;
  auto origin_ok = [](const AuthorizationList& l) {
    return l.origin.has_value() && *l.origin == kKmOriginGenerated;
  };
  auto purpose_ok = [](const AuthorizationList& l) {
    return std::find(l.purpose.begin(), l.purpose.end(), kKmPurposeSign) != l.purpose.end();
  };
  bool origin = origin_ok(kd.tee_enforced) || (!tee_only && origin_ok(kd.software_enforced));
  bool purpose = purpose_ok(kd.tee_enforced) || (!tee_only && purpose_ok(kd.software_enforced));
  if (!origin) return Authorization("origin is not KM_ORIGIN_GENERATED");
  if (!purpose) return Authorization("purpose does not include KM_PURPOSE_SIGN");

  StatementResult result;
  result.type = AttestationType::kBasic;
  result.alg = alg;
  result.trust_path = std::move(x5c);
  return result;
}

}  // namespace keyward::attestation
