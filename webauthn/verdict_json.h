// The verdict objects of `keyward verify` (README "Verification cases") for a verified
// registration or assertion, shared by the verification cases and the C ABI (capi/), so both
// speak the same JSON.
#ifndef KEYWARD_WEBAUTHN_VERDICT_JSON_H_
#define KEYWARD_WEBAUTHN_VERDICT_JSON_H_

#include "core/json.h"
#include "keyward/webauthn.h"

namespace keyward::webauthn {

// {verified: true, kind: "registration", fmt, attestation_type, aaguid, credential_id,
//  credential_public_key, alg, sign_count, flags {up, uv, be, bs}, trust {status, anchor?,
//  metadata?, error?}, notes?, transports?, authenticator_attachment?, cred_props_rk?,
//  cred_protect?}
Json RegistrationVerdictJson(const VerifiedRegistration& reg);
// {verified: true, kind: "authentication", credential_id, sign_count, flags, sign_count_regressed,
//  backup_state_changed, appid_used, user_handle?}
Json AssertionVerdictJson(const VerifiedAssertion& assertion);
// The same object as compact JSON text (AssertionVerdictJson(a).dump() == AssertionVerdictText(a)),
// written without a DOM for the hot path.
std::string AssertionVerdictText(const VerifiedAssertion& assertion);

}  // namespace keyward::webauthn

#endif  // KEYWARD_WEBAUTHN_VERDICT_JSON_H_
