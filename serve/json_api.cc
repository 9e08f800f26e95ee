#include "serve/json_api.h"

// g++ 12 reports a false maybe-uninitialized inside std::optional<std::optional<...>> here.
#pragma GCC diagnostic ignored "-Wmaybe-uninitialized"

#include "core/base64url.h"
#include "serve/service.h"

namespace keyward::serve {

namespace au = keyward::authenticator;

std::optional<Json> ParseBodyObject(const HttpRequest& req, HttpResponse& resp) {
  if (req.body.empty()) return Json::object();
  JsonLimits limits;
  limits.max_depth = 16;
  limits.max_bytes = req.body.size() + 1;
  auto j = ParseJson(req.body, limits);
  if (!j) {
    SendError(resp, 400, "json_malformed", "json_malformed: the body is not valid JSON");
    return std::nullopt;
  }
  if (!j->is_object()) {
    SendError(resp, 400, "json_malformed", "json_malformed: the body must be a JSON object");
    return std::nullopt;
  }
  return std::move(*j);
}

std::optional<std::string_view> ReqString(const Json& obj, const char* key, HttpResponse& resp) {
  auto it = obj.find(key);
  if (it == obj.end() || it->is_null()) {
    SendError(resp, 400, "json_missing_field", std::string("json_missing_field: ") + key);
    return std::nullopt;
  }
  if (!it->is_string()) {
    SendError(resp, 400, "json_wrong_type", std::string("json_wrong_type: ") + key);
    return std::nullopt;
  }
  return std::string_view(it->get_ref<const std::string&>());
}

std::optional<const Json*> ReqObject(const Json& obj, const char* key, HttpResponse& resp) {
  auto it = obj.find(key);
  if (it == obj.end() || it->is_null()) {
    SendError(resp, 400, "json_missing_field", std::string("json_missing_field: ") + key);
    return std::nullopt;
  }
  if (!it->is_object()) {
    SendError(resp, 400, "json_wrong_type", std::string("json_wrong_type: ") + key);
    return std::nullopt;
  }
  return &*it;
}

std::optional<std::optional<std::string_view>> OptString(const Json& obj, const char* key,
                                                         HttpResponse& resp) {
  auto it = obj.find(key);
  if (it == obj.end() || it->is_null()) return std::optional<std::string_view>();
  if (!it->is_string()) {
    SendError(resp, 400, "json_wrong_type", std::string("json_wrong_type: ") + key);
    return std::nullopt;
  }
  return std::optional<std::string_view>(it->get_ref<const std::string&>());
}

std::optional<std::optional<bool>> OptBool(const Json& obj, const char* key, HttpResponse& resp) {
  auto it = obj.find(key);
  if (it == obj.end() || it->is_null()) return std::optional<bool>();
  if (!it->is_boolean()) {
    SendError(resp, 400, "json_wrong_type", std::string("json_wrong_type: ") + key);
    return std::nullopt;
  }
  return std::optional<bool>(it->get<bool>());
}

Json UserView(const au::Principal& p) {
  return {
      {"id", Base64UrlEncode(p.user_handle)}, {"name", p.name}, {"displayName", p.display_name}};
}

std::string AaguidString(const au::Credential& c) {
  if (!c.aaguid) return "";
  std::string hex = HexEncode(*c.aaguid);
  return hex.substr(0, 8) + "-" + hex.substr(8, 4) + "-" + hex.substr(12, 4) + "-" +
         hex.substr(16, 4) + "-" + hex.substr(20);
}

Json CredentialView(const au::Credential& c) {
  return {{"id", Base64UrlEncode(c.id)},
          {"nickname", c.nickname},
          {"authenticatorName", ""},
          {"aaguid", AaguidString(c)},
          {"kind", au::CredentialKindName(c.kind)},
          {"synced", c.backup_eligible},
          {"backedUp", c.backup_state},
          {"createdAt", c.created_at},
          {"lastUsedAt", c.last_used_at},
          {"transports", c.transports}};
}

Json StepUpExtra(const au::PolicyDecision& d) {
  Json kinds = Json::array();
  for (auto k : d.satisfying_kinds) kinds.push_back(au::CredentialKindName(k));
  std::string reason;
  for (const auto& r : d.reasons) reason += (reason.empty() ? "" : ", ") + r;
  return {
      {"requiredAal", au::AalName(d.required_aal)}, {"satisfyingKinds", kinds}, {"reason", reason}};
}

std::optional<au::Credential> OwnedCredential(au::Authenticator& auth,
                                              const std::string& principal_id,
                                              std::string_view id_b64url, HttpResponse& resp) {
  auto id = Base64UrlDecode(id_b64url);
  if (id) {
    auto creds = auth.ListCredentials(principal_id);
    if (!creds) {
      SendError(resp, creds.error());
      return std::nullopt;
    }
    for (auto& c : *creds) {
      if (c.id == *id) return c;
    }
  }
  SendError(resp, 404, "not_found", "not_found: no such credential");
  return std::nullopt;
}

}  // namespace keyward::serve
