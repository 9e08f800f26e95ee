// keyward's WebAuthn Level 3 relying-party core: options for the browser, and verification of
// registration (§7.1 "Registering a New Credential") and authentication (§7.2 "Verifying an
// Authentication Assertion") responses, every step, with a stable error code for each rejection.
//
// Typical server use:
//   auto challenge = keyward::webauthn::NewChallenge();                 // store it with the session
//   ... send CreationOptionsToJson(options) to the browser ...
//   keyward::webauthn::RegistrationExpectations exp{...};              // challenge, rp_id, origins
//   auto reg = keyward::webauthn::VerifyRegistrationResponseJson(body, exp);
//   if (!reg) reject(keyward::ErrorCodeName(reg.error().code));
//   store(reg->credential_id, reg->credential_public_key, reg->sign_count, reg->flags, ...);
//
// Strict defaults: user presence required, cross-origin refused, RS1 refused, sign-counter
// regression rejected, BS without BE rejected, rawId == id == attested credential id.
#ifndef KEYWARD_WEBAUTHN_H_
#define KEYWARD_WEBAUTHN_H_

#include <array>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "keyward/attestation.h"
#include "keyward/export.h"
#include "keyward/result.h"

KEYWARD_API_BEGIN

namespace keyward::attestation {
class TrustStore;
}  // namespace keyward::attestation

namespace keyward::webauthn {

using Bytes = std::vector<uint8_t>;
using Aaguid = std::array<uint8_t, 16>;

// ---- Options (§5.4 PublicKeyCredentialCreationOptions, §5.5 ...RequestOptions), L3 JSON form ----

// 32 random bytes (§13.4.3: at least 16).
Result<Bytes> NewChallenge();

struct RelyingPartyEntity {
  std::string id;    // RP ID, e.g. "example.com"
  std::string name;
};

struct UserEntity {
  Bytes id;  // user handle: 1..64 opaque bytes, never personal data
  std::string name;
  std::string display_name;
};

struct CredentialDescriptor {
  Bytes id;
  std::vector<std::string> transports;  // "usb", "nfc", "ble", "hybrid", "internal", ...
};

struct AuthenticatorSelection {
  std::optional<std::string> authenticator_attachment;  // "platform" | "cross-platform"
  std::string resident_key = "preferred";               // "discouraged" | "preferred" | "required"
  std::string user_verification = "preferred";          // "discouraged" | "preferred" | "required"
};

struct RegistrationExtensionInputs {
  bool cred_props = false;
  std::optional<int> cred_protect;                   // 1 optional, 2 optionalWithCredIDList, 3 required
  bool enforce_cred_protect = false;
  std::optional<std::string> large_blob_support;     // "required" | "preferred"
  bool prf = false;                                  // request PRF support (no eval at creation)
  bool min_pin_length = false;
};

struct CreationOptions {
  RelyingPartyEntity rp;
  UserEntity user;
  Bytes challenge;
  std::vector<int64_t> pub_key_cred_params = {-8, -7, -257};  // EdDSA, ES256, RS256
  uint32_t timeout_ms = 300000;
  std::vector<CredentialDescriptor> exclude_credentials;
  AuthenticatorSelection authenticator_selection;
  std::vector<std::string> hints;  // "security-key" | "client-device" | "hybrid"
  std::string attestation = "none";  // "none" | "indirect" | "direct" | "enterprise"
  std::vector<std::string> attestation_formats;
  RegistrationExtensionInputs extensions;
};

struct AuthenticationExtensionInputs {
  std::optional<std::string> appid;  // FIDO AppID (legacy U2F credentials)
  std::optional<Bytes> prf_first;    // PRF eval.first
  std::optional<Bytes> prf_second;
  std::optional<std::string> large_blob_read;  // "read" to request reading
};

struct RequestOptions {
  Bytes challenge;
  std::string rp_id;
  uint32_t timeout_ms = 300000;
  std::vector<CredentialDescriptor> allow_credentials;  // empty: discoverable credentials
  std::string user_verification = "preferred";
  std::vector<std::string> hints;
  AuthenticationExtensionInputs extensions;
};

// L3 PublicKeyCredentialCreationOptionsJSON / ...RequestOptionsJSON. kOptionsInvalid when a
// field is out of range (challenge < 16 bytes, user id not 1..64 bytes, unknown enum value, ...).
Result<std::string> CreationOptionsToJson(const CreationOptions& options);
Result<std::string> RequestOptionsToJson(const RequestOptions& options);

// ---- Verification ----------------------------------------------------------------------------

struct AuthenticatorFlags {
  bool user_present = false;            // UP
  bool user_verified = false;           // UV
  bool backup_eligible = false;         // BE
  bool backup_state = false;            // BS
  bool attested_credential_data = false;  // AT
  bool extension_data = false;          // ED
};

enum class AttestationType { kNone, kSelf, kBasic, kAttCa, kAnonCa };
enum class TrustStatus { kUnverified, kTrusted, kUntrusted };
std::string_view AttestationTypeName(AttestationType type);  // "none", "self", "basic", "attca", "anonca"
std::string_view TrustStatusName(TrustStatus status);        // "unverified", "trusted", "untrusted"

struct OriginPolicy {
  std::vector<std::string> origins;  // acceptable clientData.origin values, compared exactly
  // Cross-origin iframes (clientData.crossOrigin == true) are refused unless allowed. When
  // allowed and `top_origins` is non-empty, clientData.topOrigin must be one of them.
  bool allow_cross_origin = false;
  std::vector<std::string> top_origins;
};

// Switches that weaken verification. All off by default; set them by name.
struct InsecureOptions {
  bool insecure_allow_rs1 = false;  // accept RSASSA-PKCS1-v1_5 with SHA-1 credential keys
};

struct RegistrationExpectations {
  Bytes challenge;  // the challenge issued for this ceremony
  std::string rp_id;
  OriginPolicy origin;
  bool require_user_verification = false;
  // L3 conditional create (§5.1.3 mediation "conditional"): accept UP = 0. Off by default.
  bool allow_conditional_create = false;
  // pubKeyCredParams the RP sent; a credential of another algorithm is rejected. Empty: any
  // algorithm keyward supports.
  std::vector<int64_t> allowed_algorithms;
  // Trust anchors and metadata; null → the bundled vendor roots judge apple / android-key /
  // android-safetynet statements, every other one is reported unverified.
  const attestation::TrustStore* trust = nullptr;
  // Attestation policy (keyward/attestation.h: Ciam / Workforce). Null → accept every statement
  // that verifies and report its trust; a metadata entry marking the authenticator compromised
  // is rejected either way when metadata is attached to `trust`.
  const attestation::AttestationPolicy* policy = nullptr;
  attestation::AttestationOptions attestation_options;  // per-format options (SafetyNet window)
  std::optional<int64_t> verify_time;  // Unix seconds; default now
  InsecureOptions insecure;
};

struct TrustInfo {
  TrustStatus status = TrustStatus::kUnverified;
  std::string anchor;          // subject of the anchor reached, or the metadata description
  std::optional<Error> error;  // why the trust path failed (untrusted)
  // From FIDO metadata, when attached and the authenticator has an entry.
  std::string metadata_description;
  std::string metadata_status;          // governing status report, e.g. "FIDO_CERTIFIED_L1"
  std::string certification_level;      // "not_certified", "L1", "L1+", ... (empty: no entry)
};

struct VerifiedRegistration {
  Bytes credential_id;
  Bytes credential_public_key;  // COSE_Key, exactly as the authenticator sent it: store this
  int64_t alg = 0;
  uint32_t sign_count = 0;
  AuthenticatorFlags flags;
  Aaguid aaguid{};
  std::string fmt;
  AttestationType attestation_type = AttestationType::kNone;
  std::vector<Bytes> trust_path;  // DER certificates, attestation certificate first
  TrustInfo trust;
  std::vector<std::string> transports;                  // as the client reported them
  std::optional<std::string> authenticator_attachment;  // as the client reported it
  std::optional<bool> cred_props_rk;                    // clientExtensionResults.credProps.rk
  std::optional<int> cred_protect;                      // authenticator extension output
  std::vector<std::string> notes;                       // remarks (legacy algorithms accepted, ...)
};

enum class SignCountPolicy {
  kReject,  // a regression is rejected (kSignCountRegression)
  kFlag,    // a regression is accepted and reported in VerifiedAssertion::sign_count_regressed
};

struct AssertionExpectations {
  Bytes challenge;
  std::string rp_id;
  OriginPolicy origin;
  bool require_user_verification = false;
  // The stored credential this assertion is checked against.
  Bytes credential_id;
  Bytes credential_public_key;  // COSE_Key bytes from VerifiedRegistration
  uint32_t prior_sign_count = 0;
  std::optional<bool> prior_backup_eligible;  // stored BE, to detect a change (rejected)
  std::optional<bool> prior_backup_state;     // stored BS, to report a change
  // allowCredentials the RP sent; when non-empty the credential must be one of them.
  std::vector<Bytes> allow_credentials;
  // The stored user handle of the credential's owner. For discoverable requests (empty
  // allow_credentials) the response must carry a userHandle equal to it.
  std::optional<Bytes> user_handle;
  std::optional<std::string> appid;  // the FIDO AppID extension value the RP sent, if any
  SignCountPolicy sign_count_policy = SignCountPolicy::kReject;
  std::optional<int64_t> verify_time;
  InsecureOptions insecure;
};

struct VerifiedAssertion {
  Bytes credential_id;
  uint32_t sign_count = 0;  // the new counter: store it
  AuthenticatorFlags flags;
  bool sign_count_regressed = false;  // clone suspicion (only when policy is kFlag)
  bool backup_state_changed = false;  // BS differs from prior_backup_state
  std::optional<Bytes> user_handle;
  bool appid_used = false;  // rpIdHash matched SHA-256(appid) instead of the RP ID
};

// The decoded L3 response JSON (RegistrationResponseJSON / AuthenticationResponseJSON).
struct RegistrationResponse {
  Bytes id;      // base64url-decoded `id`
  Bytes raw_id;  // base64url-decoded `rawId`
  std::string client_data_json;
  Bytes attestation_object;
  std::vector<std::string> transports;
  std::optional<std::string> authenticator_attachment;
  std::optional<bool> cred_props_rk;
};

struct AuthenticationResponse {
  Bytes id;
  Bytes raw_id;
  std::string client_data_json;
  Bytes authenticator_data;
  Bytes signature;
  std::optional<Bytes> user_handle;
  std::optional<bool> appid_extension;  // clientExtensionResults.appid
};

// kResponseMalformed / kJson* / kBase64Invalid / kCredentialTypeInvalid on a bad response.
Result<RegistrationResponse> ParseRegistrationResponseJson(std::string_view json);
Result<AuthenticationResponse> ParseAuthenticationResponseJson(std::string_view json);

Result<VerifiedRegistration> VerifyRegistration(const RegistrationResponse& response,
                                                const RegistrationExpectations& expected);
Result<VerifiedAssertion> VerifyAssertion(const AuthenticationResponse& response,
                                          const AssertionExpectations& expected);

// Parse + verify in one call.
Result<VerifiedRegistration> VerifyRegistrationResponseJson(std::string_view json,
                                                            const RegistrationExpectations& expected);
Result<VerifiedAssertion> VerifyAuthenticationResponseJson(std::string_view json,
                                                           const AssertionExpectations& expected);

// ---- Verification cases (`keyward verify`) ----------------------------------------------------
// A case is one ceremony response plus everything the RP expects of it (README, "Verification
// cases"). The verdict is one JSON object; exit_code is 0 verified, 1 rejected, 2 the case itself
// is unusable.
struct CaseOptions {
  const attestation::TrustStore* trust = nullptr;  // extra anchors (--trust-dir, --mds)
};

struct CaseVerdict {
  int exit_code = 2;
  std::string json;
};

CaseVerdict RunVerificationCase(std::string_view case_json, const CaseOptions& options);

// "xxxxxxxx-xxxx-xxxx-xxxx-xxxxxxxxxxxx"
std::string AaguidToString(const Aaguid& aaguid);
// Parses "YYYY-MM-DDTHH:MM:SS[.fff](Z|+HH:MM|-HH:MM)" to Unix seconds; kInvalidArgument.
Result<int64_t> ParseIso8601(std::string_view text);

}  // namespace keyward::webauthn

KEYWARD_API_END

#endif  // KEYWARD_WEBAUTHN_H_
