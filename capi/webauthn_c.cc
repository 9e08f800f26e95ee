// C ABI: WebAuthn options, attestation trust and verification (keyward/webauthn.h underneath).
#include <cstring>
#include <memory>

#include "attestation/metadata.h"
#include "attestation/trust_store.h"
#include "capi/c_api.h"
#include "capi/trust.h"
#include "core/base64url.h"
#include "core/x509.h"
#include "keyward/webauthn.h"
#include "webauthn/verdict_json.h"

namespace keyward::capi {
namespace {

namespace wa = keyward::webauthn;

Result<std::vector<wa::CredentialDescriptor>> Descriptors(const ObjectReader& r,
                                                          std::string_view key) {
  std::vector<wa::CredentialDescriptor> out;
  auto list = r.Get(key);
  if (!list) return out;
  if (!list->IsArray())
    return Fail(ErrorCode::kJsonWrongType, std::string(key) + " must be a list");
  for (const JsonValue& e : list->Children()) {
    KW_ASSIGN_OR_RETURN(auto d, ObjectReader::Make(e, key, {"id", "transports", "type"}));
    wa::CredentialDescriptor desc;
    KW_ASSIGN_OR_RETURN(desc.id, d.Base64Url("id"));
    KW_ASSIGN_OR_RETURN(auto t, d.OptStrings("transports"));
    if (t) desc.transports = std::move(*t);
    out.push_back(std::move(desc));
  }
  return out;
}

Result<Bytes> ChallengeOrNew(const ObjectReader& r) {
  KW_ASSIGN_OR_RETURN(auto c, r.OptBase64Url("challenge"));
  if (c) return std::move(*c);
  return wa::NewChallenge();
}

Result<uint32_t> TimeoutMs(const ObjectReader& r, uint32_t fallback) {
  KW_ASSIGN_OR_RETURN(auto t, r.OptInt("timeout_ms"));
  if (!t) return fallback;
  if (*t < 0 || *t > UINT32_MAX) return Fail(ErrorCode::kOptionsInvalid, "timeout_ms out of range");
  return static_cast<uint32_t>(*t);
}

Result<std::string> CreationOptions(std::string_view text) {
  KW_ASSIGN_OR_RETURN(JsonDocument doc, ParseObject(text, "params"));
  KW_ASSIGN_OR_RETURN(
      auto r, ObjectReader::Make(doc.root(), "params",
                                 {"rp", "user", "challenge", "pub_key_cred_params", "timeout_ms",
                                  "exclude_credentials", "authenticator_selection", "hints",
                                  "attestation", "attestation_formats", "extensions"}));
  wa::CreationOptions o;
  auto rp = r.Get("rp");
  if (!rp) return Fail(ErrorCode::kJsonMissingField, "params.rp is required");
  KW_ASSIGN_OR_RETURN(auto rpr, ObjectReader::Make(*rp, "rp", {"id", "name"}));
  KW_ASSIGN_OR_RETURN(auto rp_id, rpr.String("id"));
  KW_ASSIGN_OR_RETURN(auto rp_name, rpr.OptString("name"));
  o.rp = {std::string(rp_id), std::string(rp_name.value_or(rp_id))};
  auto user = r.Get("user");
  if (!user) return Fail(ErrorCode::kJsonMissingField, "params.user is required");
  KW_ASSIGN_OR_RETURN(auto ur, ObjectReader::Make(*user, "user", {"id", "name", "display_name"}));
  KW_ASSIGN_OR_RETURN(o.user.id, ur.Base64Url("id"));
  KW_ASSIGN_OR_RETURN(auto name, ur.String("name"));
  KW_ASSIGN_OR_RETURN(auto display, ur.OptString("display_name"));
  o.user.name = std::string(name);
  o.user.display_name = std::string(display.value_or(name));
  KW_ASSIGN_OR_RETURN(o.challenge, ChallengeOrNew(r));
  KW_ASSIGN_OR_RETURN(auto algs, r.OptInts("pub_key_cred_params"));
  if (algs) o.pub_key_cred_params = std::move(*algs);
  KW_ASSIGN_OR_RETURN(o.timeout_ms, TimeoutMs(r, o.timeout_ms));
  KW_ASSIGN_OR_RETURN(o.exclude_credentials, Descriptors(r, "exclude_credentials"));
  if (auto sel = r.Get("authenticator_selection")) {
    KW_ASSIGN_OR_RETURN(auto s, ObjectReader::Make(*sel, "authenticator_selection",
                                                   {"authenticator_attachment", "resident_key",
                                                    "user_verification"}));
    KW_ASSIGN_OR_RETURN(auto att, s.OptString("authenticator_attachment"));
    if (att) o.authenticator_selection.authenticator_attachment = std::string(*att);
    KW_ASSIGN_OR_RETURN(auto rk, s.OptString("resident_key"));
    if (rk) o.authenticator_selection.resident_key = std::string(*rk);
    KW_ASSIGN_OR_RETURN(auto uv, s.OptString("user_verification"));
    if (uv) o.authenticator_selection.user_verification = std::string(*uv);
  }
  KW_ASSIGN_OR_RETURN(auto hints, r.OptStrings("hints"));
  if (hints) o.hints = std::move(*hints);
  KW_ASSIGN_OR_RETURN(auto attestation, r.OptString("attestation"));
  if (attestation) o.attestation = std::string(*attestation);
  KW_ASSIGN_OR_RETURN(auto formats, r.OptStrings("attestation_formats"));
  if (formats) o.attestation_formats = std::move(*formats);
  if (auto ext = r.Get("extensions")) {
    KW_ASSIGN_OR_RETURN(auto e,
                        ObjectReader::Make(*ext, "extensions",
                                           {"cred_props", "cred_protect", "enforce_cred_protect",
                                            "large_blob_support", "prf", "min_pin_length"}));
    KW_ASSIGN_OR_RETURN(auto cp, e.OptBool("cred_props"));
    o.extensions.cred_props = cp.value_or(false);
    KW_ASSIGN_OR_RETURN(auto prot, e.OptInt("cred_protect"));
    if (prot) {
      if (*prot < 1 || *prot > 3) return Fail(ErrorCode::kOptionsInvalid, "cred_protect is 1..3");
      o.extensions.cred_protect = static_cast<int>(*prot);
    }
    KW_ASSIGN_OR_RETURN(auto enforce, e.OptBool("enforce_cred_protect"));
    o.extensions.enforce_cred_protect = enforce.value_or(false);
    KW_ASSIGN_OR_RETURN(auto lb, e.OptString("large_blob_support"));
    if (lb) o.extensions.large_blob_support = std::string(*lb);
    KW_ASSIGN_OR_RETURN(auto prf, e.OptBool("prf"));
    o.extensions.prf = prf.value_or(false);
    KW_ASSIGN_OR_RETURN(auto mpl, e.OptBool("min_pin_length"));
    o.extensions.min_pin_length = mpl.value_or(false);
  }
  return wa::CreationOptionsToJson(o);
}

Result<std::string> RequestOptions(std::string_view text) {
  KW_ASSIGN_OR_RETURN(JsonDocument doc, ParseObject(text, "params"));
  KW_ASSIGN_OR_RETURN(auto r,
                      ObjectReader::Make(doc.root(), "params",
                                         {"rp_id", "challenge", "timeout_ms", "allow_credentials",
                                          "user_verification", "hints", "extensions"}));
  wa::RequestOptions o;
  KW_ASSIGN_OR_RETURN(auto rp_id, r.String("rp_id"));
  o.rp_id = std::string(rp_id);
  KW_ASSIGN_OR_RETURN(o.challenge, ChallengeOrNew(r));
  KW_ASSIGN_OR_RETURN(o.timeout_ms, TimeoutMs(r, o.timeout_ms));
  KW_ASSIGN_OR_RETURN(o.allow_credentials, Descriptors(r, "allow_credentials"));
  KW_ASSIGN_OR_RETURN(auto uv, r.OptString("user_verification"));
  if (uv) o.user_verification = std::string(*uv);
  KW_ASSIGN_OR_RETURN(auto hints, r.OptStrings("hints"));
  if (hints) o.hints = std::move(*hints);
  if (auto ext = r.Get("extensions")) {
    KW_ASSIGN_OR_RETURN(
        auto e, ObjectReader::Make(*ext, "extensions",
                                   {"appid", "prf_first", "prf_second", "large_blob_read"}));
    KW_ASSIGN_OR_RETURN(auto appid, e.OptString("appid"));
    if (appid) o.extensions.appid = std::string(*appid);
    KW_ASSIGN_OR_RETURN(o.extensions.prf_first, e.OptBase64Url("prf_first"));
    KW_ASSIGN_OR_RETURN(o.extensions.prf_second, e.OptBase64Url("prf_second"));
    KW_ASSIGN_OR_RETURN(auto lb, e.OptString("large_blob_read"));
    if (lb) o.extensions.large_blob_read = std::string(*lb);
  }
  return wa::RequestOptionsToJson(o);
}

// Members both ceremonies' expectations share.
struct CommonExpectations {
  Bytes challenge;
  std::string rp_id;
  wa::OriginPolicy origin;
  bool require_uv = false;
  std::optional<int64_t> verify_time;
  bool insecure_allow_rs1 = false;
};

Result<CommonExpectations> ReadCommon(const ObjectReader& r) {
  CommonExpectations c;
  KW_ASSIGN_OR_RETURN(c.challenge, r.Base64Url("expected_challenge"));
  KW_ASSIGN_OR_RETURN(auto rp, r.String("expected_rp_id"));
  c.rp_id = std::string(rp);
  KW_ASSIGN_OR_RETURN(auto origins, r.OptStrings("expected_origin"));
  if (!origins) return Fail(ErrorCode::kJsonMissingField, "expected_origin is required");
  c.origin.origins = std::move(*origins);
  KW_ASSIGN_OR_RETURN(auto uv, r.OptBool("require_user_verification"));
  c.require_uv = uv.value_or(false);
  KW_ASSIGN_OR_RETURN(auto xo, r.OptBool("allow_cross_origin"));
  c.origin.allow_cross_origin = xo.value_or(false);
  KW_ASSIGN_OR_RETURN(auto top, r.OptStrings("expected_top_origin"));
  if (top) c.origin.top_origins = std::move(*top);
  KW_ASSIGN_OR_RETURN(auto at, r.OptString("verify_at"));
  KW_ASSIGN_OR_RETURN(auto t, r.OptInt("verify_time"));
  if (at && t) return Fail(ErrorCode::kInvalidArgument, "give verify_at or verify_time, not both");
  if (at) {
    KW_ASSIGN_OR_RETURN(c.verify_time, wa::ParseIso8601(*at));
  } else if (t) {
    c.verify_time = *t;
  }
  KW_ASSIGN_OR_RETURN(auto rs1, r.OptBool("insecure_allow_rs1"));
  c.insecure_allow_rs1 = rs1.value_or(false);
  return c;
}

#define KW_COMMON_EXPECTATIONS                                                            \
  "expected_challenge", "expected_origin", "expected_rp_id", "require_user_verification", \
      "allow_cross_origin", "expected_top_origin", "verify_at", "verify_time",            \
      "insecure_allow_rs1"

Result<attestation::CertificationLevel> LevelFromName(std::string_view name) {
  for (int i = 0; i <= static_cast<int>(attestation::CertificationLevel::kL3Plus); ++i) {
    auto level = static_cast<attestation::CertificationLevel>(i);
    if (attestation::CertificationLevelName(level) == name) return level;
  }
  return Fail(ErrorCode::kInvalidArgument, "unknown certification level");
}

Result<std::string> VerifyRegistration(const keyward_trust* trust, std::string_view response,
                                       std::string_view expectations) {
  KW_ASSIGN_OR_RETURN(JsonDocument doc, ParseObject(expectations, "expectations"));
  KW_ASSIGN_OR_RETURN(
      auto r, ObjectReader::Make(
                  doc.root(), "expectations",
                  {KW_COMMON_EXPECTATIONS, "pub_key_cred_params_algs", "allow_conditional_create",
                   "attestation_trust_anchor_der", "attestation_policy", "aaguid_allow_list",
                   "minimum_certification_level", "safetynet_max_age_ms",
                   "safetynet_max_future_skew_ms", "android_key_require_tee"}));
  KW_ASSIGN_OR_RETURN(CommonExpectations common, ReadCommon(r));
  wa::RegistrationExpectations exp;
  exp.challenge = std::move(common.challenge);
  exp.rp_id = std::move(common.rp_id);
  exp.origin = std::move(common.origin);
  exp.require_user_verification = common.require_uv;
  exp.verify_time = common.verify_time;
  exp.insecure.insecure_allow_rs1 = common.insecure_allow_rs1;
  KW_ASSIGN_OR_RETURN(auto algs, r.OptInts("pub_key_cred_params_algs"));
  if (algs) exp.allowed_algorithms = std::move(*algs);
  KW_ASSIGN_OR_RETURN(auto cc, r.OptBool("allow_conditional_create"));
  exp.allow_conditional_create = cc.value_or(false);
  KW_ASSIGN_OR_RETURN(auto age, r.OptInt("safetynet_max_age_ms"));
  if (age) exp.attestation_options.safetynet_max_age_ms = *age;
  KW_ASSIGN_OR_RETURN(auto skew, r.OptInt("safetynet_max_future_skew_ms"));
  if (skew) exp.attestation_options.safetynet_max_future_skew_ms = *skew;
  KW_ASSIGN_OR_RETURN(auto tee, r.OptBool("android_key_require_tee"));
  exp.attestation_options.android_key_require_tee = tee.value_or(false);

  // The trust for this call: the caller's anchors, plus a per-call root when given.
  const attestation::TrustStore* store =
      trust != nullptr ? &trust->state->anchors.store() : nullptr;
  std::optional<attestation::TrustStore> extended;
  KW_ASSIGN_OR_RETURN(auto anchor, r.OptBase64Url("attestation_trust_anchor_der"));
  if (anchor) {
    extended.emplace(store != nullptr ? *store : attestation::TrustStore());
    KW_ASSIGN_OR_RETURN(Certificate root, Certificate::ParseDer(*anchor, CertificateRole::kIssuer));
    extended->AddRoot(std::move(root));
    store = &*extended;
  }
  if (store != nullptr && !store->empty()) exp.trust = store;

  KW_ASSIGN_OR_RETURN(auto policy_name, r.OptString("attestation_policy"));
  KW_ASSIGN_OR_RETURN(auto allow_list, r.OptStrings("aaguid_allow_list"));
  KW_ASSIGN_OR_RETURN(auto level, r.OptString("minimum_certification_level"));
  std::optional<attestation::AttestationPolicy> policy;
  const attestation::MetadataBlob* metadata = store != nullptr ? store->metadata() : nullptr;
  if (!policy_name || *policy_name == "ciam") {
    if (allow_list || level) {
      return Fail(ErrorCode::kInvalidArgument,
                  "aaguid_allow_list and minimum_certification_level need the workforce policy");
    }
  } else if (*policy_name == "workforce") {
    if (exp.trust == nullptr) {
      return Fail(ErrorCode::kInvalidArgument, "the workforce policy needs trust anchors");
    }
    policy = attestation::AttestationPolicy::Workforce(*exp.trust, metadata);
    if (allow_list) {
      std::vector<attestation::Aaguid> aaguids;
      for (const std::string& a : *allow_list) {
        auto parsed = attestation::ParseAaguid(a);
        if (!parsed) return Fail(ErrorCode::kInvalidArgument, "aaguid_allow_list: bad AAGUID");
        aaguids.push_back(*parsed);
      }
      policy->AllowAaguids(std::move(aaguids));
    }
    if (level) {
      KW_ASSIGN_OR_RETURN(auto l, LevelFromName(*level));
      policy->RequireCertificationLevel(l);
    }
  } else {
    return Fail(ErrorCode::kInvalidArgument, "attestation_policy is \"ciam\" or \"workforce\"");
  }
  if (policy) exp.policy = &*policy;

  KW_ASSIGN_OR_RETURN(wa::VerifiedRegistration reg,
                      wa::VerifyRegistrationResponseJson(response, exp));
  return wa::RegistrationVerdictJson(reg).dump();
}

Result<wa::VerifiedAssertion> VerifyAuthentication(std::string_view response,
                                                   std::string_view expectations) {
  KW_ASSIGN_OR_RETURN(JsonDocument doc, ParseObject(expectations, "expectations"));
  KW_ASSIGN_OR_RETURN(
      auto r, ObjectReader::Make(
                  doc.root(), "expectations",
                  {KW_COMMON_EXPECTATIONS, "credential_public_key", "prior_sign_count",
                   "credential_id", "allow_credentials", "user_handle", "prior_backup_eligible",
                   "prior_backup_state", "expected_appid", "sign_count_policy"}));
  KW_ASSIGN_OR_RETURN(CommonExpectations common, ReadCommon(r));
  wa::AssertionExpectations exp;
  exp.challenge = std::move(common.challenge);
  exp.rp_id = std::move(common.rp_id);
  exp.origin = std::move(common.origin);
  exp.require_user_verification = common.require_uv;
  exp.verify_time = common.verify_time;
  exp.insecure.insecure_allow_rs1 = common.insecure_allow_rs1;
  KW_ASSIGN_OR_RETURN(exp.credential_public_key, r.Base64Url("credential_public_key"));
  KW_ASSIGN_OR_RETURN(auto count, r.OptInt("prior_sign_count"));
  if (count) {
    if (*count < 0 || *count > UINT32_MAX) {
      return Fail(ErrorCode::kInvalidArgument,
                  "prior_sign_count must be an unsigned 32-bit integer");
    }
    exp.prior_sign_count = static_cast<uint32_t>(*count);
  }
  KW_ASSIGN_OR_RETURN(exp.user_handle, r.OptBase64Url("user_handle"));
  KW_ASSIGN_OR_RETURN(exp.prior_backup_eligible, r.OptBool("prior_backup_eligible"));
  KW_ASSIGN_OR_RETURN(exp.prior_backup_state, r.OptBool("prior_backup_state"));
  KW_ASSIGN_OR_RETURN(auto appid, r.OptString("expected_appid"));
  if (appid) exp.appid = std::string(*appid);
  KW_ASSIGN_OR_RETURN(auto scp, r.OptString("sign_count_policy"));
  if (scp && *scp == "flag") {
    exp.sign_count_policy = wa::SignCountPolicy::kFlag;
  } else if (scp && *scp != "reject") {
    return Fail(ErrorCode::kInvalidArgument, "sign_count_policy is \"reject\" or \"flag\"");
  }
  KW_ASSIGN_OR_RETURN(auto credential_id, r.OptBase64Url("credential_id"));
  KW_ASSIGN_OR_RETURN(auto allow, r.OptBase64UrlList("allow_credentials"));

  KW_ASSIGN_OR_RETURN(wa::AuthenticationResponse parsed,
                      wa::ParseAuthenticationResponseJson(response));
  // Without a credential id the caller looked the credential up by the response's rawId (as a
  // `keyward verify` case does); allowCredentials then defaults to that one credential.
  exp.credential_id = credential_id ? std::move(*credential_id) : parsed.raw_id;
  if (allow) {
    exp.allow_credentials = std::move(*allow);
  } else {
    exp.allow_credentials.push_back(exp.credential_id);
  }
  return wa::VerifyAssertion(parsed, exp);
}

}  // namespace
}  // namespace keyward::capi

using keyward::Result;
using keyward::capi::Arg;
using keyward::capi::Clear;
using keyward::capi::Emit;
using keyward::capi::Guard;
using keyward::capi::NullArgument;

extern "C" {

int keyward_new_challenge(char** challenge_out, keyward_error* err) {
  Clear(challenge_out);
  return Guard(err, [&]() -> Result<void> {
    if (challenge_out == nullptr) return NullArgument("challenge_out");
    KW_ASSIGN_OR_RETURN(auto c, keyward::webauthn::NewChallenge());
    Emit(challenge_out, keyward::Base64UrlEncode(c));
    return keyward::Ok();
  });
}

int keyward_creation_options(const char* params_json, char** options_json_out, keyward_error* err) {
  Clear(options_json_out);
  return Guard(err, [&]() -> Result<void> {
    KW_ASSIGN_OR_RETURN(auto params, Arg(params_json, "params_json"));
    if (options_json_out == nullptr) return NullArgument("options_json_out");
    KW_ASSIGN_OR_RETURN(std::string out, keyward::capi::CreationOptions(params));
    Emit(options_json_out, out);
    return keyward::Ok();
  });
}

int keyward_request_options(const char* params_json, char** options_json_out, keyward_error* err) {
  Clear(options_json_out);
  return Guard(err, [&]() -> Result<void> {
    KW_ASSIGN_OR_RETURN(auto params, Arg(params_json, "params_json"));
    if (options_json_out == nullptr) return NullArgument("options_json_out");
    KW_ASSIGN_OR_RETURN(std::string out, keyward::capi::RequestOptions(params));
    Emit(options_json_out, out);
    return keyward::Ok();
  });
}

int keyward_verify_registration(const keyward_trust* trust, const char* response_json,
                                const char* expectations_json, char** result_json_out,
                                keyward_error* err) {
  Clear(result_json_out);
  return Guard(err, [&]() -> Result<void> {
    KW_ASSIGN_OR_RETURN(auto response, Arg(response_json, "response_json"));
    KW_ASSIGN_OR_RETURN(auto expectations, Arg(expectations_json, "expectations_json"));
    KW_ASSIGN_OR_RETURN(std::string out,
                        keyward::capi::VerifyRegistration(trust, response, expectations));
    Emit(result_json_out, out);
    return keyward::Ok();
  });
}

int keyward_verify_authentication(const char* response_json, const char* expectations_json,
                                  char** result_json_out, keyward_error* err) {
  Clear(result_json_out);
  return Guard(err, [&]() -> Result<void> {
    KW_ASSIGN_OR_RETURN(auto response, Arg(response_json, "response_json"));
    KW_ASSIGN_OR_RETURN(auto expectations, Arg(expectations_json, "expectations_json"));
    KW_ASSIGN_OR_RETURN(auto a, keyward::capi::VerifyAuthentication(response, expectations));
    Emit(result_json_out, keyward::webauthn::AssertionVerdictText(a));
    return keyward::Ok();
  });
}

int keyward_verify_authentication_struct(const char* response_json, const char* expectations_json,
                                         keyward_assertion* result_out, keyward_error* err) {
  return Guard(err, [&]() -> Result<void> {
    if (result_out == nullptr) return NullArgument("result_out");
    std::memset(result_out, 0, sizeof(*result_out));
    KW_ASSIGN_OR_RETURN(auto response, Arg(response_json, "response_json"));
    KW_ASSIGN_OR_RETURN(auto expectations, Arg(expectations_json, "expectations_json"));
    KW_ASSIGN_OR_RETURN(auto a, keyward::capi::VerifyAuthentication(response, expectations));
    if (a.credential_id.size() > sizeof(result_out->credential_id) ||
        (a.user_handle && a.user_handle->size() > sizeof(result_out->user_handle))) {
      return keyward::Fail(keyward::ErrorCode::kInternal, "verified ids exceed their bounds");
    }
    result_out->sign_count = a.sign_count;
    result_out->flags = (a.flags.user_present ? KEYWARD_FLAG_UP : 0u) |
                        (a.flags.user_verified ? KEYWARD_FLAG_UV : 0u) |
                        (a.flags.backup_eligible ? KEYWARD_FLAG_BE : 0u) |
                        (a.flags.backup_state ? KEYWARD_FLAG_BS : 0u);
    result_out->sign_count_regressed = a.sign_count_regressed ? 1 : 0;
    result_out->backup_state_changed = a.backup_state_changed ? 1 : 0;
    result_out->appid_used = a.appid_used ? 1 : 0;
    result_out->credential_id_len = a.credential_id.size();
    std::memcpy(result_out->credential_id, a.credential_id.data(), a.credential_id.size());
    if (a.user_handle) {
      result_out->user_handle_len = a.user_handle->size();
      std::memcpy(result_out->user_handle, a.user_handle->data(), a.user_handle->size());
    }
    return keyward::Ok();
  });
}

int keyward_verify_case(const keyward_trust* trust, const char* case_json, char** verdict_json_out,
                        keyward_error* err) {
  Clear(verdict_json_out);
  return Guard(err, [&]() -> Result<void> {
    KW_ASSIGN_OR_RETURN(auto text, Arg(case_json, "case_json"));
    keyward::webauthn::CaseOptions options;
    if (trust != nullptr && !trust->state->anchors.store().empty())
      options.trust = &trust->state->anchors.store();
    keyward::webauthn::CaseVerdict verdict = keyward::webauthn::RunVerificationCase(text, options);
    Emit(verdict_json_out, verdict.json);
    if (verdict.exit_code == 0) return keyward::Ok();
    // The verdict names the failure by its stable name; hand back the same code.
    auto parsed = keyward::ParseJson(verdict.json);
    keyward::ErrorCode code = keyward::ErrorCode::kInternal;
    std::string message;
    if (parsed && parsed->contains("error")) {
      const keyward::Json& e = (*parsed)["error"];
      if (e.contains("code") && e["code"].is_string()) {
        code = keyward::ErrorCodeFromName(e["code"].get<std::string>())
                   .value_or(keyward::ErrorCode::kInternal);
      }
      if (e.contains("message") && e["message"].is_string()) message = e["message"];
    }
    return keyward::Fail(code, message);
  });
}

}  // extern "C"
