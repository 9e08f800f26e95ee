// Checks shared by both ceremonies (WebAuthn L3 §7.1 steps 13-16 and §7.2 steps 15-18).
#ifndef KEYWARD_WEBAUTHN_CEREMONY_CHECKS_H_
#define KEYWARD_WEBAUTHN_CEREMONY_CHECKS_H_

#include <optional>
#include <string_view>

#include "webauthn/authenticator_data.h"

namespace keyward::webauthn {

// rpIdHash == SHA-256(rp_id), or, when `appid` is given (the AppID extension was used and the
// client said so), SHA-256(appid). Returns true when the AppID matched. kRpIdHashMismatch.
Result<bool> CheckRpIdHash(const AuthenticatorData& ad, std::string_view rp_id,
                           std::optional<std::string_view> appid);
// kUserNotVerified when required and UV is not set.
Result<void> CheckUserVerification(const AuthenticatorData& ad, bool required);
// kBackupStateInvalid when BS is set without BE (§6.1 "flags").
Result<void> CheckBackupFlags(const AuthenticatorData& ad);

}  // namespace keyward::webauthn

#endif  // KEYWARD_WEBAUTHN_CEREMONY_CHECKS_H_
