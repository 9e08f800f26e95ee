#include "webauthn/ceremony_checks.h"

#include "core/hash.h"

namespace keyward::webauthn {

Result<bool> CheckRpIdHash(const AuthenticatorData& ad, std::string_view rp_id,
                           std::optional<std::string_view> appid) {
  if (ConstantTimeEqual(ad.rp_id_hash, Sha256(AsBytes(rp_id)))) return false;
  if (appid && ConstantTimeEqual(ad.rp_id_hash, Sha256(AsBytes(*appid)))) return true;
  return Fail(ErrorCode::kRpIdHashMismatch,
              "rpIdHash is not SHA-256(\"" + std::string(rp_id) + "\")");
}

Result<void> CheckUserVerification(const AuthenticatorData& ad, bool required) {
  if (required && !(ad.flags & AuthenticatorData::kFlagUv)) {
    return Fail(ErrorCode::kUserNotVerified, "UV flag not set but user verification is required");
  }
  return Ok();
}

Result<void> CheckBackupFlags(const AuthenticatorData& ad) {
  if ((ad.flags & AuthenticatorData::kFlagBs) && !(ad.flags & AuthenticatorData::kFlagBe)) {
    return Fail(ErrorCode::kBackupStateInvalid, "BS set without BE");
  }
  return Ok();
}

}  // namespace keyward::webauthn
