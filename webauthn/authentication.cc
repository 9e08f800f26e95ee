// Authentication ceremony verification, WebAuthn L3 §7.2 "Verifying an Authentication
// Assertion". Step numbers in comments refer to that section.
#include <algorithm>

#include "core/hash.h"
#include "core/public_key.h"
#include "keyward/webauthn.h"
#include "webauthn/authenticator_data.h"
#include "webauthn/ceremony_checks.h"
#include "webauthn/client_data.h"

namespace keyward::webauthn {

Result<VerifiedAssertion> VerifyAssertion(const AuthenticationResponse& response,
                                          const AssertionExpectations& expected) {
  // Step 5: the credential is one the RP allowed.
  if (!expected.allow_credentials.empty() &&
      std::find(expected.allow_credentials.begin(), expected.allow_credentials.end(),
                response.raw_id) == expected.allow_credentials.end()) {
    return Fail(ErrorCode::kCredentialNotAllowed, "credential not in allowCredentials");
  }
  // Step 6: identify the credential; id == rawId == the stored credential's id.
  if (response.id != response.raw_id || response.raw_id != expected.credential_id) {
    return Fail(ErrorCode::kCredentialIdMismatch, "credential id differs from the stored one");
  }
  // Step 6 (user handle): a discoverable login identifies the user by userHandle, so it must be
  // present and the owner's handle must be known to compare with. Otherwise a userHandle that is
  // present is compared when the owner's handle is known, and reported either way.
  if (expected.allow_credentials.empty()) {
    if (!response.user_handle) {
      return Fail(ErrorCode::kUserHandleMissing, "discoverable login without userHandle");
    }
    if (!expected.user_handle) {
      return Fail(ErrorCode::kInvalidArgument,
                  "discoverable login: the credential owner's user handle is required");
    }
  }
  if (response.user_handle && expected.user_handle &&
      !ConstantTimeEqual(*response.user_handle, *expected.user_handle)) {
    return Fail(ErrorCode::kUserHandleMismatch, "userHandle is not the credential owner's");
  }
  // Step 7: the stored public key.
  InsecureAlgorithms insecure{expected.insecure.insecure_allow_rs1};
  KW_ASSIGN_OR_RETURN(PublicKey key, PublicKey::FromCoseBytes(expected.credential_public_key, insecure));
  // Steps 10-14: clientDataJSON.
  KW_TRY(VerifyClientData(response.client_data_json, "webauthn.get", expected.challenge,
                          expected.origin));
  // Steps 15-18: authenticator data.
  KW_ASSIGN_OR_RETURN(AuthenticatorData ad, AuthenticatorData::Parse(response.authenticator_data));
  if (ad.attested_credential_data) {
    return Fail(ErrorCode::kAttestedCredentialDataUnexpected, "AT flag set in an assertion");
  }
  std::optional<std::string_view> appid;
  if (expected.appid && response.appid_extension.value_or(false)) appid = *expected.appid;
  KW_ASSIGN_OR_RETURN(bool appid_used, CheckRpIdHash(ad, expected.rp_id, appid));
  if (!(ad.flags & AuthenticatorData::kFlagUp)) {
    return Fail(ErrorCode::kUserNotPresent, "UP flag not set");
  }
  KW_TRY(CheckUserVerification(ad, expected.require_user_verification));
  KW_TRY(CheckBackupFlags(ad));
  const bool be = ad.flags & AuthenticatorData::kFlagBe;
  const bool bs = ad.flags & AuthenticatorData::kFlagBs;
  if (expected.prior_backup_eligible && *expected.prior_backup_eligible != be) {
    return Fail(ErrorCode::kBackupEligibilityChanged, "BE differs from registration (§6.1.3)");
  }
  // Steps 19-20: signature over authenticatorData ‖ SHA-256(clientDataJSON).
  const Sha256Digest cdh = Sha256(AsBytes(response.client_data_json));
  Bytes signed_data;
  signed_data.reserve(response.authenticator_data.size() + cdh.size());
  signed_data.insert(signed_data.end(), response.authenticator_data.begin(),
                     response.authenticator_data.end());
  signed_data.insert(signed_data.end(), cdh.begin(), cdh.end());
  if (auto v = key.Verify(signed_data, response.signature); !v) {
    return Fail(ErrorCode::kAssertionSignatureInvalid, v.error().detail);
  }
  // Step 21: signature counter.
  VerifiedAssertion out;
  if ((ad.sign_count != 0 || expected.prior_sign_count != 0) &&
      ad.sign_count <= expected.prior_sign_count) {
    if (expected.sign_count_policy == SignCountPolicy::kReject) {
      return Fail(ErrorCode::kSignCountRegression,
                  "signCount " + std::to_string(ad.sign_count) + " <= stored " +
                      std::to_string(expected.prior_sign_count));
    }
    out.sign_count_regressed = true;
  }
  out.credential_id = response.raw_id;
  out.sign_count = ad.sign_count;
  out.flags = ad.Flags();
  out.backup_state_changed = expected.prior_backup_state && *expected.prior_backup_state != bs;
  out.user_handle = response.user_handle;
  out.appid_used = appid_used;
  return out;
}

Result<VerifiedAssertion> VerifyAuthenticationResponseJson(std::string_view json,
                                                           const AssertionExpectations& expected) {
  KW_ASSIGN_OR_RETURN(AuthenticationResponse r, ParseAuthenticationResponseJson(json));
  return VerifyAssertion(r, expected);
}

}  // namespace keyward::webauthn
