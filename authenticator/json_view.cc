#include "authenticator/json_view.h"

#include "core/base64url.h"

namespace keyward::authenticator {

Json PrincipalJson(const Principal& p) {
  return Json{{"id", p.id},
              {"user_handle", Base64UrlEncode(p.user_handle)},
              {"name", p.name},
              {"display_name", p.display_name},
              {"created_at", p.created_at}};
}

Json CredentialJson(const Credential& c) {
  Json j{{"id", Base64UrlEncode(c.id)},
         {"principal_id", c.principal_id},
         {"kind", CredentialKindName(c.kind)},
         {"alg", c.alg},
         {"sign_count", c.sign_count},
         {"attestation_fmt", c.attestation_fmt},
         {"attestation_type", c.attestation_type},
         {"trust_status", c.trust_status},
         {"trust_anchor", c.trust_anchor},
         {"transports", c.transports},
         {"backup_eligible", c.backup_eligible},
         {"backup_state", c.backup_state},
         {"user_verified_at_registration", c.user_verified_at_registration},
         {"created_at", c.created_at},
         {"last_used_at", c.last_used_at},
         {"nickname", c.nickname}};
  if (!c.public_key.empty()) j["public_key_cose"] = Base64UrlEncode(c.public_key);
  if (!c.authenticator_name.empty()) j["authenticator_name"] = c.authenticator_name;
  if (!c.authenticator_icon.empty()) j["authenticator_icon"] = c.authenticator_icon;
  if (c.aaguid) {
    const std::string h = HexEncode(*c.aaguid);
    j["aaguid"] = h.substr(0, 8) + "-" + h.substr(8, 4) + "-" + h.substr(12, 4) + "-" +
                  h.substr(16, 4) + "-" + h.substr(20);
  }
  if (!c.certificate.empty()) {
    j["certificate_der"] = Base64UrlEncode(c.certificate);
    j["cert_issuer"] = c.cert_issuer;
    j["cert_serial"] = c.cert_serial;
    j["cert_subject"] = c.cert_subject;
    if (!c.certificate_intermediates.empty()) {
      Json chain = Json::array();
      for (const Bytes& der : c.certificate_intermediates) chain.push_back(Base64UrlEncode(der));
      j["cert_intermediates_der"] = std::move(chain);
    }
  }
  return j;
}

Json DecisionJson(const PolicyDecision& d) {
  Json kinds = Json::array();
  for (CredentialKind k : d.satisfying_kinds) kinds.push_back(CredentialKindName(k));
  return Json{{"outcome", DecisionName(d.outcome)},
              {"required_aal", AalName(d.required_aal)},
              {"satisfying_kinds", kinds},
              {"reasons", d.reasons}};
}

Json AuthResultJson(const AuthResult& r) {
  Json risk{{"sign_count_regressed", r.risk.sign_count_regressed},
            {"backup_state_changed", r.risk.backup_state_changed},
            {"first_use", r.risk.first_use},
            {"unused_long", r.risk.unused_long},
            {"days_since_last_use", r.risk.days_since_last_use}};
  return Json{{"principal_id", r.principal.id},
              {"principal_name", r.principal.name},
              {"credential_id", Base64UrlEncode(r.credential.id)},
              {"credential_nickname", r.credential.nickname},
              {"kind", CredentialKindName(r.kind)},
              {"aal", AalName(r.assurance.level)},
              {"aal_reason", r.assurance.reason},
              {"user_verified", r.user_verified},
              {"sign_count", r.credential.sign_count},
              {"risk", risk},
              {"decision", DecisionJson(r.decision)}};
}

std::string PrincipalToJson(const Principal& p) { return PrincipalJson(p).dump(); }
std::string CredentialToJson(const Credential& c) { return CredentialJson(c).dump(); }
std::string DecisionToJson(const PolicyDecision& d) { return DecisionJson(d).dump(); }
std::string AuthResultToJson(const AuthResult& r) { return AuthResultJson(r).dump(); }

}  // namespace keyward::authenticator
