// Creation and request options in their L3 JSON form (§5.4 PublicKeyCredentialCreationOptionsJSON,
// §5.5 PublicKeyCredentialRequestOptionsJSON), validated before they leave the server.
#include <algorithm>
#include <initializer_list>

#include "core/base64url.h"
#include "core/cose_key.h"
#include "core/hash.h"
#include "core/json.h"
#include "keyward/webauthn.h"

namespace keyward::webauthn {
namespace {

Unexpected Invalid(const std::string& what) { return Fail(ErrorCode::kOptionsInvalid, what); }

bool OneOf(std::string_view v, std::initializer_list<std::string_view> allowed) {
  return std::find(allowed.begin(), allowed.end(), v) != allowed.end();
}

Result<void> CheckChallenge(const Bytes& challenge) {
  if (challenge.size() < 16 || challenge.size() > 64) {
    return Invalid("challenge must be 16..64 bytes (32 recommended)");
  }
  return Ok();
}

Result<void> CheckHints(const std::vector<std::string>& hints) {
  for (const auto& h : hints) {
    if (!OneOf(h, {"security-key", "client-device", "hybrid"})) return Invalid("hint " + h);
  }
  return Ok();
}

Result<Json> Descriptors(const std::vector<CredentialDescriptor>& list) {
  Json out = Json::array();
  for (const auto& d : list) {
    if (d.id.empty() || d.id.size() > 1023) return Invalid("credential id must be 1..1023 bytes");
    Json j = {{"type", "public-key"}, {"id", Base64UrlEncode(d.id)}};
    if (!d.transports.empty()) j["transports"] = d.transports;
    out.push_back(std::move(j));
  }
  return out;
}

}  // namespace

Result<Bytes> NewChallenge() { return RandomBytes(32); }

Result<std::string> CreationOptionsToJson(const CreationOptions& o) {
  KW_TRY(CheckChallenge(o.challenge));
  if (o.rp.id.empty() || o.rp.name.empty()) return Invalid("rp.id and rp.name are required");
  if (o.user.id.empty() || o.user.id.size() > 64) return Invalid("user.id must be 1..64 bytes");
  if (o.user.name.empty()) return Invalid("user.name is required");
  if (o.pub_key_cred_params.empty()) return Invalid("pubKeyCredParams is empty");
  for (int64_t alg : o.pub_key_cred_params) {
    if (!CoseAlgorithmFromInt(alg)) return Invalid("unknown COSE algorithm " + std::to_string(alg));
  }
  const auto& sel = o.authenticator_selection;
  if (sel.authenticator_attachment && !OneOf(*sel.authenticator_attachment, {"platform", "cross-platform"})) {
    return Invalid("authenticatorAttachment");
  }
  if (!OneOf(sel.resident_key, {"discouraged", "preferred", "required"})) return Invalid("residentKey");
  if (!OneOf(sel.user_verification, {"discouraged", "preferred", "required"})) {
    return Invalid("userVerification");
  }
  if (!OneOf(o.attestation, {"none", "indirect", "direct", "enterprise"})) return Invalid("attestation");
  KW_TRY(CheckHints(o.hints));

  Json j;
  j["rp"] = {{"id", o.rp.id}, {"name", o.rp.name}};
  j["user"] = {{"id", Base64UrlEncode(o.user.id)},
               {"name", o.user.name},
               {"displayName", o.user.display_name.empty() ? o.user.name : o.user.display_name}};
  j["challenge"] = Base64UrlEncode(o.challenge);
  j["pubKeyCredParams"] = Json::array();
  for (int64_t alg : o.pub_key_cred_params) {
    j["pubKeyCredParams"].push_back({{"type", "public-key"}, {"alg", alg}});
  }
  j["timeout"] = o.timeout_ms;
  KW_ASSIGN_OR_RETURN(j["excludeCredentials"], Descriptors(o.exclude_credentials));
  Json as = {{"residentKey", sel.resident_key},
             {"requireResidentKey", sel.resident_key == "required"},
             {"userVerification", sel.user_verification}};
  if (sel.authenticator_attachment) as["authenticatorAttachment"] = *sel.authenticator_attachment;
  j["authenticatorSelection"] = as;
  j["hints"] = o.hints;
  j["attestation"] = o.attestation;
  if (!o.attestation_formats.empty()) j["attestationFormats"] = o.attestation_formats;
  Json ext = Json::object();
  const auto& e = o.extensions;
  if (e.cred_props) ext["credProps"] = true;
  if (e.cred_protect) {
    static constexpr const char* kPolicies[] = {"userVerificationOptional",
                                                "userVerificationOptionalWithCredentialIDList",
                                                "userVerificationRequired"};
    if (*e.cred_protect < 1 || *e.cred_protect > 3) return Invalid("credProtect must be 1..3");
    ext["credentialProtectionPolicy"] = kPolicies[*e.cred_protect - 1];
    ext["enforceCredentialProtectionPolicy"] = e.enforce_cred_protect;
  }
  if (e.large_blob_support) {
    if (!OneOf(*e.large_blob_support, {"required", "preferred"})) return Invalid("largeBlob.support");
    ext["largeBlob"] = {{"support", *e.large_blob_support}};
  }
  if (e.prf) ext["prf"] = Json::object();
  if (e.min_pin_length) ext["minPinLength"] = true;
  j["extensions"] = ext;
  return j.dump();
}

Result<std::string> RequestOptionsToJson(const RequestOptions& o) {
  KW_TRY(CheckChallenge(o.challenge));
  if (o.rp_id.empty()) return Invalid("rpId is required");
  if (!OneOf(o.user_verification, {"discouraged", "preferred", "required"})) {
    return Invalid("userVerification");
  }
  KW_TRY(CheckHints(o.hints));
  Json j;
  j["challenge"] = Base64UrlEncode(o.challenge);
  j["rpId"] = o.rp_id;
  j["timeout"] = o.timeout_ms;
  KW_ASSIGN_OR_RETURN(j["allowCredentials"], Descriptors(o.allow_credentials));
  j["userVerification"] = o.user_verification;
  j["hints"] = o.hints;
  Json ext = Json::object();
  const auto& e = o.extensions;
  if (e.appid) ext["appid"] = *e.appid;
  if (e.prf_first) {
    Json eval = {{"first", Base64UrlEncode(*e.prf_first)}};
    if (e.prf_second) eval["second"] = Base64UrlEncode(*e.prf_second);
    ext["prf"] = {{"eval", eval}};
  } else if (e.prf_second) {
    return Invalid("prf.eval.second without first");
  }
  if (e.large_blob_read) {
    if (*e.large_blob_read != "read") return Invalid("largeBlob.read");
    ext["largeBlob"] = {{"read", true}};
  }
  j["extensions"] = ext;
  return j.dump();
}

}  // namespace keyward::webauthn
