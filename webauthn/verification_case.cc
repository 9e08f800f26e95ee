// Verification cases: the `keyward verify` input (README "Verification cases") turned into
// expectations, verified, and reported as one JSON verdict.
#include <cstdio>

#include "attestation/trust_store.h"
#include "core/base64url.h"
#include "core/json.h"
#include "core/x509.h"
#include "keyward/webauthn.h"
#include "webauthn/verdict_json.h"

namespace keyward::webauthn {
namespace {

Json FlagsJson(const AuthenticatorFlags& f) {
  return {{"up", f.user_present}, {"uv", f.user_verified}, {"be", f.backup_eligible},
          {"bs", f.backup_state}};
}

CaseVerdict Verdict(int exit_code, const Json& j) { return {exit_code, j.dump(2)}; }

CaseVerdict Rejected(const std::string& kind, const Error& e) {
  Json j = {{"verified", false},
            {"kind", kind},
            {"error", {{"code", std::string(ErrorCodeName(e.code))}, {"message", e.ToString()}}}};
  return Verdict(1, j);
}

CaseVerdict Unusable(const Error& e) {
  Json j = {{"verified", false},
            {"case_error", true},
            {"error", {{"code", std::string(ErrorCodeName(e.code))}, {"message", e.ToString()}}}};
  return Verdict(2, j);
}

Unexpected BadCase(const std::string& what) { return Fail(ErrorCode::kInvalidArgument, what); }
CaseVerdict Unusable(const Unexpected& u) { return Unusable(u.error()); }

struct Common {
  Bytes challenge;
  std::string rp_id;
  OriginPolicy origin;
  bool require_uv = false;
  std::optional<int64_t> verify_time;
};

Result<Common> ReadCommon(const Json& c) {
  Common out;
  auto ch = JsonBase64Url(c, "expected_challenge");
  if (!ch) return BadCase("expected_challenge missing or not base64url");
  out.challenge = std::move(*ch);
  auto rp = JsonString(c, "expected_rp_id");
  if (!rp) return BadCase("expected_rp_id missing");
  out.rp_id = std::string(*rp);
  auto it = c.find("expected_origin");
  if (it == c.end()) return BadCase("expected_origin missing");
  if (it->is_string()) {
    out.origin.origins.push_back(it->get<std::string>());
  } else if (it->is_array()) {
    for (const Json& o : *it) {
      if (!o.is_string()) return BadCase("expected_origin entries must be strings");
      out.origin.origins.push_back(o.get<std::string>());
    }
  } else {
    return BadCase("expected_origin must be a string or a list");
  }
  auto uv = JsonOptBool(c, "require_user_verification");
  if (!uv) return BadCase("require_user_verification must be a boolean");
  out.require_uv = uv->value_or(false);
  auto xo = JsonOptBool(c, "allow_cross_origin");
  if (!xo) return BadCase("allow_cross_origin must be a boolean");
  out.origin.allow_cross_origin = xo->value_or(false);
  auto top = JsonOptString(c, "expected_top_origin");
  if (!top) return BadCase("expected_top_origin must be a string");
  if (*top) out.origin.top_origins.push_back(std::string(**top));
  auto at = JsonOptString(c, "verify_at");
  if (!at) return BadCase("verify_at must be a string");
  if (*at) {
    auto t = ParseIso8601(**at);
    if (!t) return BadCase("verify_at is not an ISO-8601 UTC instant");
    out.verify_time = *t;
  }
  return out;
}

CaseVerdict RunRegistration(const Json& c, const Common& common, const CaseOptions& options) {
  RegistrationExpectations exp;
  exp.challenge = common.challenge;
  exp.rp_id = common.rp_id;
  exp.origin = common.origin;
  exp.require_user_verification = common.require_uv;
  exp.verify_time = common.verify_time;
  if (auto algs = c.find("pub_key_cred_params_algs"); algs != c.end()) {
    if (!algs->is_array()) return Unusable(BadCase("pub_key_cred_params_algs must be a list"));
    for (const Json& a : *algs) {
      if (!a.is_number_integer()) return Unusable(BadCase("algorithm ids must be integers"));
      exp.allowed_algorithms.push_back(a.get<int64_t>());
    }
  }
  attestation::TrustStore store;
  if (options.trust) store = *options.trust;
  if (c.contains("attestation_trust_anchor_der")) {
    auto der = JsonBase64Url(c, "attestation_trust_anchor_der");
    if (!der) return Unusable(BadCase("attestation_trust_anchor_der is not base64url"));
    auto cert = Certificate::ParseDer(*der);
    if (!cert) return Unusable(cert.error());
    store.AddRoot(std::move(*cert));
  }
  if (!store.empty()) exp.trust = &store;

  auto reg = VerifyRegistrationResponseJson(c["response"].dump(), exp);
  if (!reg) return Rejected("registration", reg.error());
  return Verdict(0, RegistrationVerdictJson(*reg));
}

CaseVerdict RunAuthentication(const Json& c, const Common& common) {
  AssertionExpectations exp;
  exp.challenge = common.challenge;
  exp.rp_id = common.rp_id;
  exp.origin = common.origin;
  exp.require_user_verification = common.require_uv;
  exp.verify_time = common.verify_time;
  auto key = JsonBase64Url(c, "credential_public_key");
  if (!key) return Unusable(BadCase("credential_public_key missing or not base64url"));
  exp.credential_public_key = std::move(*key);
  if (auto p = c.find("prior_sign_count"); p != c.end()) {
    if (!p->is_number_unsigned() || p->get<uint64_t>() > UINT32_MAX) {
      return Unusable(BadCase("prior_sign_count must be an unsigned 32-bit integer"));
    }
    exp.prior_sign_count = p->get<uint32_t>();
  }
  auto appid = JsonOptString(c, "expected_appid");
  if (!appid) return Unusable(BadCase("expected_appid must be a string"));
  if (*appid) exp.appid = std::string(**appid);

  auto response = ParseAuthenticationResponseJson(c["response"].dump());
  if (!response) return Rejected("authentication", response.error());
  // The case stands for "the RP looked up this credential and listed it in allowCredentials".
  exp.credential_id = response->raw_id;
  exp.allow_credentials.push_back(response->raw_id);
  auto a = VerifyAssertion(*response, exp);
  if (!a) return Rejected("authentication", a.error());
  return Verdict(0, AssertionVerdictJson(*a));
}

}  // namespace

Json RegistrationVerdictJson(const VerifiedRegistration& reg) {
  Json trust = {{"status", std::string(TrustStatusName(reg.trust.status))}};
  if (!reg.trust.anchor.empty()) trust["anchor"] = reg.trust.anchor;
  if (!reg.trust.metadata_description.empty()) {
    trust["metadata"] = {{"description", reg.trust.metadata_description},
                         {"status", reg.trust.metadata_status},
                         {"certification_level", reg.trust.certification_level}};
  }
  if (reg.trust.error) {
    trust["error"] = {{"code", std::string(ErrorCodeName(reg.trust.error->code))},
                      {"message", reg.trust.error->ToString()}};
  }
  Json j = {{"verified", true},
            {"kind", "registration"},
            {"fmt", reg.fmt},
            {"attestation_type", std::string(AttestationTypeName(reg.attestation_type))},
            {"aaguid", AaguidToString(reg.aaguid)},
            {"credential_id", Base64UrlEncode(reg.credential_id)},
            {"credential_public_key", Base64UrlEncode(reg.credential_public_key)},
            {"alg", reg.alg},
            {"sign_count", reg.sign_count},
            {"flags", FlagsJson(reg.flags)},
            {"trust", trust}};
  if (!reg.notes.empty()) j["notes"] = reg.notes;
  if (!reg.transports.empty()) j["transports"] = reg.transports;
  if (reg.authenticator_attachment) j["authenticator_attachment"] = *reg.authenticator_attachment;
  if (reg.cred_props_rk) j["cred_props_rk"] = *reg.cred_props_rk;
  if (reg.cred_protect) j["cred_protect"] = *reg.cred_protect;
  return j;
}

// Written directly (members in nlohmann's sorted order, so it equals the DOM's dump()): this is
// on every binding's hot path, where building a DOM cost several microseconds per assertion.
std::string AssertionVerdictText(const VerifiedAssertion& a) {
  auto b = [](bool v) { return v ? "true" : "false"; };
  std::string out;
  out.reserve(256);
  out += R"({"appid_used":)";
  out += b(a.appid_used);
  out += R"(,"backup_state_changed":)";
  out += b(a.backup_state_changed);
  out += R"(,"credential_id":")";
  out += Base64UrlEncode(a.credential_id);  // base64url: nothing to escape
  out += R"(","flags":{"be":)";
  out += b(a.flags.backup_eligible);
  out += R"(,"bs":)";
  out += b(a.flags.backup_state);
  out += R"(,"up":)";
  out += b(a.flags.user_present);
  out += R"(,"uv":)";
  out += b(a.flags.user_verified);
  out += R"(},"kind":"authentication","sign_count":)";
  out += std::to_string(a.sign_count);
  out += R"(,"sign_count_regressed":)";
  out += b(a.sign_count_regressed);
  if (a.user_handle) {
    out += R"(,"user_handle":")";
    out += Base64UrlEncode(*a.user_handle);
    out += '"';
  }
  out += R"(,"verified":true})";
  return out;
}

Json AssertionVerdictJson(const VerifiedAssertion& a) {
  auto j = ParseJson(AssertionVerdictText(a));
  return j ? *j : Json::object();
}

std::string AaguidToString(const Aaguid& aaguid) {
  std::string hex = HexEncode(aaguid);
  return hex.substr(0, 8) + "-" + hex.substr(8, 4) + "-" + hex.substr(12, 4) + "-" +
         hex.substr(16, 4) + "-" + hex.substr(20);
}

Result<int64_t> ParseIso8601(std::string_view text) {
  int y, mo, d, h, mi, s, n = 0;
  std::string str(text);
  if (std::sscanf(str.c_str(), "%4d-%2d-%2dT%2d:%2d:%2d%n", &y, &mo, &d, &h, &mi, &s, &n) != 6 ||
      n != 19) {
    return Fail(ErrorCode::kInvalidArgument, "not YYYY-MM-DDTHH:MM:SS");
  }
  size_t pos = 19;
  if (pos < str.size() && str[pos] == '.') {
    ++pos;
    while (pos < str.size() && isdigit(static_cast<unsigned char>(str[pos]))) ++pos;
  }
  int64_t offset = 0;
  std::string_view zone = std::string_view(str).substr(pos);
  if (zone == "Z") {
    offset = 0;
  } else if (zone.size() == 6 && (zone[0] == '+' || zone[0] == '-') && zone[3] == ':') {
    int oh = 0, om = 0;
    if (std::sscanf(std::string(zone.substr(1)).c_str(), "%2d:%2d", &oh, &om) != 2) {
      return Fail(ErrorCode::kInvalidArgument, "bad zone offset");
    }
    offset = (zone[0] == '+' ? 1 : -1) * (oh * 3600 + om * 60);
  } else {
    return Fail(ErrorCode::kInvalidArgument, "time zone must be Z or ±HH:MM");
  }
  if (mo < 1 || mo > 12 || d < 1 || d > 31 || h > 23 || mi > 59 || s > 60) {
    return Fail(ErrorCode::kInvalidArgument, "field out of range");
  }
  struct tm tm {};
  tm.tm_year = y - 1900;
  tm.tm_mon = mo - 1;
  tm.tm_mday = d;
  tm.tm_hour = h;
  tm.tm_min = mi;
  tm.tm_sec = s;
  return static_cast<int64_t>(timegm(&tm)) - offset;
}

CaseVerdict RunVerificationCase(std::string_view case_json, const CaseOptions& options) {
  JsonLimits limits;
  limits.max_bytes = 1 << 20;
  auto doc = ParseJson(case_json, limits);
  if (!doc) return Unusable(doc.error());
  if (!doc->is_object()) return Unusable(BadCase("a case is a JSON object"));
  auto kind = JsonString(*doc, "kind");
  if (!kind || (*kind != "registration" && *kind != "authentication")) {
    return Unusable(BadCase("kind must be \"registration\" or \"authentication\""));
  }
  if (!doc->contains("response") || !(*doc)["response"].is_object()) {
    return Unusable(BadCase("response must be an object"));
  }
  auto common = ReadCommon(*doc);
  if (!common) return Unusable(common.error());
  if (*kind == "registration") return RunRegistration(*doc, *common, options);
  return RunAuthentication(*doc, *common);
}

}  // namespace keyward::webauthn
