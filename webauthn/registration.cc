// Registration ceremony verification, WebAuthn L3 §7.1 "Registering a New Credential".
// Step numbers in comments refer to that section.
#include <algorithm>

#include "attestation/metadata.h"
#include "attestation/policy.h"
#include "attestation/registry.h"
#include "attestation/trust_store.h"
#include "core/hash.h"
#include "core/public_key.h"
#include "core/x509.h"
#include "keyward/webauthn.h"
#include "webauthn/attestation_object.h"
#include "webauthn/ceremony_checks.h"
#include "webauthn/client_data.h"

namespace keyward::webauthn {

Result<VerifiedRegistration> VerifyRegistration(const RegistrationResponse& response,
                                                const RegistrationExpectations& expected) {
  const int64_t now = expected.verify_time.value_or(UnixNow());
  // Steps 5-10: clientDataJSON.
  KW_TRY(VerifyClientData(response.client_data_json, "webauthn.create", expected.challenge,
                          expected.origin));
  // Step 11.
  const Sha256Digest client_data_hash = Sha256(AsBytes(response.client_data_json));
  // Step 12.
  KW_ASSIGN_OR_RETURN(AttestationObject obj, AttestationObject::Parse(response.attestation_object));
  const AuthenticatorData& ad = obj.auth_data;
  // Steps 13-16: rpIdHash, UP, UV, BE/BS.
  KW_TRY(CheckRpIdHash(ad, expected.rp_id, std::nullopt));
  if (!(ad.flags & AuthenticatorData::kFlagUp) && !expected.allow_conditional_create) {
    return Fail(ErrorCode::kUserNotPresent, "UP flag not set");
  }
  KW_TRY(CheckUserVerification(ad, expected.require_user_verification));
  KW_TRY(CheckBackupFlags(ad));
  if (!ad.attested_credential_data) {
    return Fail(ErrorCode::kAttestedCredentialDataMissing, "AT flag not set");
  }
  const AttestedCredentialData& acd = *ad.attested_credential_data;
  // Step 27 (checked early: cheap and decisive): id == rawId == attested credential id.
  if (response.id != response.raw_id ||
      !std::equal(acd.credential_id.begin(), acd.credential_id.end(), response.raw_id.begin(),
                  response.raw_id.end())) {
    return Fail(ErrorCode::kCredentialIdMismatch, "id, rawId and attested credential id differ");
  }
  // Step 17: the credential algorithm is one the RP asked for.
  const int64_t alg = static_cast<int64_t>(acd.key.alg);
  if (!expected.allowed_algorithms.empty() &&
      std::find(expected.allowed_algorithms.begin(), expected.allowed_algorithms.end(), alg) ==
          expected.allowed_algorithms.end()) {
    return Fail(ErrorCode::kAlgorithmNotAllowed,
                std::string(CoseAlgorithmName(acd.key.alg)) + " was not requested");
  }
  InsecureAlgorithms insecure{expected.insecure.insecure_allow_rs1};
  KW_ASSIGN_OR_RETURN(PublicKey credential_key, PublicKey::FromCose(acd.key, insecure));

  // Steps 19-21: the attestation statement format's verification procedure.
  const attestation::AttestationFormat* format = attestation::FindFormat(obj.fmt);
  if (!format) {
    return Fail(ErrorCode::kAttestationFormatUnsupported, "fmt \"" + obj.fmt + "\"");
  }
  attestation::AttestationInput input{obj.att_stmt,   ad.raw,         client_data_hash,
                                      ad.rp_id_hash,  acd.aaguid,     acd.credential_id,
                                      acd.key,        acd.credential_public_key,
                                      credential_key, now,            insecure,
                                      expected.attestation_options};
  KW_ASSIGN_OR_RETURN(attestation::StatementResult statement, format->Verify(input));
  // Steps 22-24: trust (the policy's sources when the caller gave no store), then policy.
  const attestation::TrustStore* store =
      expected.trust ? expected.trust : expected.policy ? expected.policy->trust_store() : nullptr;
  attestation::TrustVerdict trust =
      attestation::EvaluateTrust(statement, obj.fmt, acd.aaguid, store, now);
  const attestation::MetadataBlob* metadata = store ? store->metadata() : nullptr;
  if (expected.policy) {
    KW_TRY(attestation::CheckAttestationPolicy(*expected.policy, obj.fmt, statement, trust,
                                               acd.aaguid, metadata));
  } else if (metadata) {
    KW_TRY(attestation::CheckAttestationPolicy(attestation::AttestationPolicy::Ciam(store, metadata),
                                               obj.fmt, statement, trust, acd.aaguid, metadata));
  }

  VerifiedRegistration out;
  out.credential_id = ToBytes(acd.credential_id);
  out.credential_public_key = ToBytes(acd.credential_public_key);
  out.alg = alg;
  out.sign_count = ad.sign_count;
  out.flags = ad.Flags();
  out.aaguid = acd.aaguid;
  out.fmt = obj.fmt;
  out.attestation_type =
      static_cast<AttestationType>(trust.attestation_type.value_or(statement.type));
  for (const auto& c : statement.trust_path) out.trust_path.push_back(ToBytes(c.der()));
  out.trust.status = static_cast<TrustStatus>(trust.status);
  out.trust.anchor = trust.anchor;
  out.trust.error = trust.error;
  if (trust.metadata) {
    out.trust.metadata_description = trust.metadata->description;
    out.trust.metadata_status = trust.metadata->status;
    out.trust.certification_level =
        std::string(attestation::CertificationLevelName(trust.metadata->certification_level));
    if (out.trust.anchor.empty()) out.trust.anchor = trust.metadata->description;
  }
  out.transports = response.transports;
  out.authenticator_attachment = response.authenticator_attachment;
  out.cred_props_rk = response.cred_props_rk;
  if (ad.extensions) {
    auto cp = ad.extensions.Find("credProtect").GetInt();
    if (cp) out.cred_protect = static_cast<int>(*cp);
  }
  out.notes = std::move(statement.notes);
  return out;
}

Result<VerifiedRegistration> VerifyRegistrationResponseJson(std::string_view json,
                                                            const RegistrationExpectations& expected) {
  KW_ASSIGN_OR_RETURN(RegistrationResponse r, ParseRegistrationResponseJson(json));
  return VerifyRegistration(r, expected);
}

std::string_view AttestationTypeName(AttestationType type) {
  return attestation::AttestationTypeName(static_cast<attestation::AttestationType>(type));
}

std::string_view TrustStatusName(TrustStatus status) {
  return attestation::TrustStatusName(static_cast<attestation::TrustStatus>(status));
}

// The public enums mirror the internal ones value for value.
static_assert(static_cast<int>(AttestationType::kAnonCa) ==
              static_cast<int>(attestation::AttestationType::kAnonCa));
static_assert(static_cast<int>(TrustStatus::kUntrusted) ==
              static_cast<int>(attestation::TrustStatus::kUntrusted));

}  // namespace keyward::webauthn
