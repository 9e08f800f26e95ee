// The integration API /v1/* for back ends (docs/serve.md): JSON over POST, authenticated by an
// API key (`Authorization: Bearer kw_...`, hashed at rest, serve/api_keys.h) or by a client
// certificate verified against tls.client_ca (mTLS). The back end keeps the session state: it
// passes the `session` object a login returned into /v1/authorize and step-up logins.
// Registered only when api_keys_file or tls.client_ca is configured.
//
// Account existence: /v1/login/begin with a `name` that does not exist (or has no usable
// credential) answers like an existing one (decoy allowCredentials); lookups by name
// (/v1/principals/get) are for the trusted back end and answer not_found.
#include <algorithm>

#include "core/base64url.h"
#include "core/hash.h"
#include "core/json.h"
#include "serve/api_keys.h"
#include "serve/json_api.h"
#include "serve/service.h"

namespace keyward::serve {

namespace au = keyward::authenticator;

namespace {

struct V1Route {
  const char* method;
  const char* path;
  const char* summary;
  void (*handler)(Service&, HttpRequest&, HttpResponse&, const Json&);
};

Json SessionJson(const au::Session& s) {
  Json j = {{"principalId", s.principal_id},
            {"aal", au::AalName(s.aal)},
            {"aalReason", s.aal_reason},
            {"authenticatedAt", s.authenticated_at}};
  return j;
}

// The session object a back end passes back; kInvalidArgument when malformed.
std::optional<au::Session> SessionFrom(const Json& body, HttpResponse& resp) {
  au::Session s;
  auto it = body.find("session");
  if (it == body.end() || it->is_null()) return s;
  if (!it->is_object()) {
    SendError(resp, 400, "json_wrong_type", "json_wrong_type: session");
    return std::nullopt;
  }
  const Json& j = *it;
  if (j.contains("principalId") && j["principalId"].is_string()) {
    s.principal_id = j["principalId"].get<std::string>();
  }
  if (j.contains("aal") && j["aal"].is_string()) {
    auto aal = au::AalFromName(j["aal"].get<std::string>());
    if (!aal) {
      SendError(resp, 400, "invalid_argument", "invalid_argument: session.aal");
      return std::nullopt;
    }
    s.aal = *aal;
  }
  if (j.contains("authenticatedAt") && j["authenticatedAt"].is_number_integer()) {
    s.authenticated_at = j["authenticatedAt"].get<int64_t>();
  }
  return s;
}

void Ok(HttpResponse& resp, Json j) {
  j["status"] = "ok";
  SendJson(resp, 200, j.dump(-1, ' ', false, Json::error_handler_t::replace));
}

Json Raw(const std::string& json_text) {
  auto j = ParseJson(json_text);
  return j ? *j : Json();
}

std::optional<au::CredentialKind> KindArg(const Json& body, HttpResponse& resp,
                                          au::CredentialKind def) {
  auto k = OptString(body, "kind", resp);
  if (!k) return std::nullopt;
  if (!k->has_value()) return def;
  auto kind = au::CredentialKindFromName(**k);
  if (!kind || *kind == au::CredentialKind::kSmartCard) {
    SendError(resp, 400, "invalid_argument", "invalid_argument: kind");
    return std::nullopt;
  }
  return kind;
}

std::optional<Bytes> CredentialIdArg(const Json& body, HttpResponse& resp) {
  auto id = ReqString(body, "credentialId", resp);
  if (!id) return std::nullopt;
  auto b = Base64UrlDecode(*id);
  if (!b) {
    SendError(resp, 400, "base64_invalid", "base64_invalid: credentialId");
    return std::nullopt;
  }
  return *b;
}

const std::vector<V1Route>& V1Routes() {
  static const std::vector<V1Route> routes = {
      {"POST", "/v1/principals/create", "Create a principal {name, displayName}",
       [](Service& s, HttpRequest& req, HttpResponse& resp, const Json& b) {
         auto name = ReqString(b, "name", resp);
         if (!name) return;
         auto display = OptString(b, "displayName", resp);
         if (!display) return;
         auto p = s.Auth(req).CreatePrincipal(*name, display->value_or(*name));
         if (!p) return SendError(resp, p.error());
         Ok(resp, {{"principal", Raw(au::PrincipalToJson(*p))}});
       }},
      {"POST", "/v1/principals/get", "A principal by {principalId} or {name}",
       [](Service& s, HttpRequest& req, HttpResponse& resp, const Json& b) {
         auto id = OptString(b, "principalId", resp);
         if (!id) return;
         auto name = OptString(b, "name", resp);
         if (!name) return;
         if (!id->has_value() && !name->has_value()) {
           return SendError(resp, 400, "json_missing_field",
                            "json_missing_field: principalId or name");
         }
         auto p = id->has_value() ? s.Auth(req).GetPrincipal(**id)
                                  : s.Auth(req).FindPrincipalByName(**name);
         if (!p) return SendError(resp, p.error());
         Ok(resp, {{"principal", Raw(au::PrincipalToJson(*p))}});
       }},
      {"POST", "/v1/principals/list", "Every principal",
       [](Service& s, HttpRequest& req, HttpResponse& resp, const Json&) {
         auto list = s.Auth(req).ListPrincipals();
         if (!list) return SendError(resp, list.error());
         Json out = Json::array();
         for (const auto& p : *list) out.push_back(Raw(au::PrincipalToJson(p)));
         Ok(resp, {{"principals", out}});
       }},
      {"POST", "/v1/principals/export", "Everything stored about a principal {principalId}",
       [](Service& s, HttpRequest& req, HttpResponse& resp, const Json& b) {
         auto id = ReqString(b, "principalId", resp);
         if (!id) return;
         auto doc = s.Auth(req).ExportPrincipal(*id);
         if (!doc) return SendError(resp, doc.error());
         Ok(resp, {{"export", Raw(*doc)}});
       }},
      {"POST", "/v1/principals/erase", "Erase a principal {principalId} (audited pseudonymously)",
       [](Service& s, HttpRequest& req, HttpResponse& resp, const Json& b) {
         auto id = ReqString(b, "principalId", resp);
         if (!id) return;
         if (auto r = s.Auth(req).ErasePrincipal(*id); !r) return SendError(resp, r.error());
         Ok(resp, Json::object());
       }},
      {"POST", "/v1/registration/begin", "Start a registration {principalId, kind?}",
       [](Service& s, HttpRequest& req, HttpResponse& resp, const Json& b) {
         auto id = ReqString(b, "principalId", resp);
         if (!id) return;
         auto kind = KindArg(b, resp, au::CredentialKind::kPasskey);
         if (!kind) return;
         auto start = s.Auth(req).BeginRegistration(*id, *kind);
         if (!start) return SendError(resp, start.error());
         s.metrics().Ceremony("v1_registration", "begun", "");
         Ok(resp, {{"ceremonyId", start->ceremony_id},
                   {"publicKey", Raw(start->options_json)},
                   {"expiresAt", start->expires_at}});
       }},
      {"POST", "/v1/registration/finish",
       "Finish a registration {ceremonyId, credential, nickname?}",
       [](Service& s, HttpRequest& req, HttpResponse& resp, const Json& b) {
         auto id = ReqString(b, "ceremonyId", resp);
         if (!id) return;
         auto cred = ReqObject(b, "credential", resp);
         if (!cred) return;
         auto nick = OptString(b, "nickname", resp);
         if (!nick) return;
         auto c = s.Auth(req).FinishRegistration(*id, (*cred)->dump(),
                                                 nick->value_or(std::string_view()));
         if (!c) {
           s.metrics().Ceremony("v1_registration", "failure",
                                std::string(ErrorCodeName(c.error().code)));
           return SendError(resp, c.error());
         }
         s.metrics().Ceremony("v1_registration", "success", "");
         Ok(resp, {{"credential", Raw(au::CredentialToJson(*c))}});
       }},
      {"POST", "/v1/login/begin",
       "Start a login {principalId? | name?, stepUpTo?, kinds?}; none: discoverable",
       [](Service& s, HttpRequest& req, HttpResponse& resp, const Json& b) {
         auto id = OptString(b, "principalId", resp);
         if (!id) return;
         auto name = OptString(b, "name", resp);
         if (!name) return;
         auto step = OptString(b, "stepUpTo", resp);
         if (!step) return;
         au::LoginRequest lr;
         if (step->has_value()) {
           auto aal = au::AalFromName(**step);
           if (!aal) return SendError(resp, 400, "invalid_argument", "invalid_argument: stepUpTo");
           lr.step_up_to = aal;
         }
         if (auto k = b.find("kinds"); k != b.end() && !k->is_null()) {
           if (!k->is_array())
             return SendError(resp, 400, "json_wrong_type", "json_wrong_type: kinds");
           for (const auto& e : *k) {
             auto kind =
                 e.is_string() ? au::CredentialKindFromName(e.get<std::string>()) : std::nullopt;
             if (!kind) return SendError(resp, 400, "invalid_argument", "invalid_argument: kinds");
             lr.kinds.push_back(*kind);
           }
         }
         auto& auth = s.Auth(req);
         bool decoy = false;
         if (id->has_value()) {
           lr.principal_id = std::string(**id);
         } else if (name->has_value()) {
           auto p = auth.FindPrincipalByName(**name);
           if (p) {
             lr.principal_id = p->id;
           } else if (p.error().code == ErrorCode::kNotFound) {
             decoy = true;
           } else {
             return SendError(resp, p.error());
           }
         }
         auto start = auth.BeginLogin(lr);
         if (!start && name->has_value() && start.error().code == ErrorCode::kPolicyDenied) {
           decoy = true;
         }
         if (decoy) {
           lr.principal_id.reset();
           start = auth.BeginLogin(lr);
         }
         if (!start) return SendError(resp, start.error());
         Json options = Raw(start->options_json);
         if (decoy) options["allowCredentials"] = s.DecoyAllowCredentials(**name);
         s.metrics().Ceremony("v1_login", "begun", "");
         Ok(resp, {{"ceremonyId", start->ceremony_id},
                   {"publicKey", options},
                   {"expiresAt", start->expires_at}});
       }},
      {"POST", "/v1/login/finish",
       "Finish a login {ceremonyId, credential, context?, session?}: the full AuthResult",
       [](Service& s, HttpRequest& req, HttpResponse& resp, const Json& b) {
         auto id = ReqString(b, "ceremonyId", resp);
         if (!id) return;
         auto cred = ReqObject(b, "credential", resp);
         if (!cred) return;
         auto session = SessionFrom(b, resp);
         if (!session) return;
         au::RequestContext ctx;
         if (auto c = b.find("context"); c != b.end() && c->is_object()) {
           if (c->contains("ip") && (*c)["ip"].is_string()) ctx.ip = (*c)["ip"];
           if (c->contains("country") && (*c)["country"].is_string()) ctx.country = (*c)["country"];
           if (c->contains("action") && (*c)["action"].is_string()) ctx.action = (*c)["action"];
           if (c->contains("devicePosture") && (*c)["devicePosture"].is_array()) {
             for (const auto& d : (*c)["devicePosture"]) {
               if (d.is_string()) ctx.device_posture.push_back(d.get<std::string>());
             }
           }
         }
         auto r = s.Auth(req).FinishLogin(*id, (*cred)->dump(), ctx, &*session);
         if (!r) {
           s.metrics().Ceremony("v1_login", "failure", std::string(ErrorCodeName(r.error().code)));
           if (r.error().code == ErrorCode::kStepUpRequired && session->pending_step_up) {
             return SendError(resp, 403, "step_up_required", "step_up_required",
                              StepUpExtra(*session->pending_step_up).dump());
           }
           return SendError(resp, r.error());
         }
         s.metrics().Ceremony("v1_login", "success", "");
         Ok(resp, {{"result", Raw(au::AuthResultToJson(*r))}, {"session", SessionJson(*session)}});
       }},
      {"POST", "/v1/authorize", "Does {session} satisfy {action}? ok or step_up_required",
       [](Service& s, HttpRequest& req, HttpResponse& resp, const Json& b) {
         auto action = ReqString(b, "action", resp);
         if (!action) return;
         auto session = SessionFrom(b, resp);
         if (!session) return;
         auto r = s.Auth(req).Authorize(&*session, *action);
         if (r) return Ok(resp, Json::object());
         if (r.error().code == ErrorCode::kStepUpRequired && session->pending_step_up) {
           return SendError(resp, 403, "step_up_required", "step_up_required",
                            StepUpExtra(*session->pending_step_up).dump());
         }
         SendError(resp, r.error());
       }},
      {"POST", "/v1/credentials/list", "The credentials of {principalId}",
       [](Service& s, HttpRequest& req, HttpResponse& resp, const Json& b) {
         auto id = ReqString(b, "principalId", resp);
         if (!id) return;
         auto list = s.Auth(req).ListCredentials(*id);
         if (!list) return SendError(resp, list.error());
         Json out = Json::array();
         for (const auto& c : *list) out.push_back(Raw(au::CredentialToJson(c)));
         Ok(resp, {{"credentials", out}});
       }},
      {"POST", "/v1/credentials/rename", "Rename {credentialId, nickname}",
       [](Service& s, HttpRequest& req, HttpResponse& resp, const Json& b) {
         auto id = CredentialIdArg(b, resp);
         if (!id) return;
         auto nick = ReqString(b, "nickname", resp);
         if (!nick) return;
         if (auto r = s.Auth(req).RenameCredential(*id, *nick); !r) {
           return SendError(resp, r.error());
         }
         Ok(resp, Json::object());
       }},
      {"POST", "/v1/credentials/remove", "Remove {credentialId}",
       [](Service& s, HttpRequest& req, HttpResponse& resp, const Json& b) {
         auto id = CredentialIdArg(b, resp);
         if (!id) return;
         if (auto r = s.Auth(req).RemoveCredential(*id); !r) return SendError(resp, r.error());
         Ok(resp, Json::object());
       }},
      {"POST", "/v1/audit/tail", "The last {n} audit records (default 20, at most 10000)",
       [](Service& s, HttpRequest& req, HttpResponse& resp, const Json& b) {
         size_t n = 20;
         if (auto it = b.find("n"); it != b.end() && !it->is_null()) {
           if (!it->is_number_unsigned() || it->get<uint64_t>() < 1 ||
               it->get<uint64_t>() > 10000) {
             return SendError(resp, 400, "invalid_argument", "invalid_argument: n is 1-10000");
           }
           n = it->get<size_t>();
         }
         auto lines = s.Auth(req).AuditTail(n);
         if (!lines) return SendError(resp, lines.error());
         Json out = Json::array();
         for (const auto& l : *lines) out.push_back(Raw(l));
         Ok(resp, {{"records", out}});
       }},
      {"POST", "/v1/audit/verify", "Recompute the audit hash chain",
       [](Service& s, HttpRequest& req, HttpResponse& resp, const Json&) {
         auto v = s.Auth(req).VerifyAuditChain();
         if (!v) return SendError(resp, v.error());
         Ok(resp, {{"records", v->records}, {"headHash", v->head_hash}});
       }},
  };
  return routes;
}

// 401 api_key_invalid unless the request carries a valid key or a verified client certificate.
bool Authenticated(const Service& s, const HttpRequest& req, HttpResponse& resp) {
  if (!req.tls_client_fingerprint.empty()) return true;
  std::string_view auth = req.Header("authorization");
  if (s.api_keys() && auth.size() > 7 &&
      (auth.substr(0, 7) == "Bearer " || auth.substr(0, 7) == "bearer ")) {
    if (s.api_keys()->Check(auth.substr(7))) return true;
  }
  resp.headers.emplace_back("WWW-Authenticate", "Bearer");
  SendError(resp, 401, "api_key_invalid",
            "api_key_invalid: send Authorization: Bearer <key> or a client certificate");
  return false;
}

}  // namespace

std::string IntegrationOpenApi() {
  Json paths = Json::object();
  Json error = {
      {"description", "failure"},
      {"content", {{"application/json", {{"schema", {{"$ref", "#/components/schemas/Error"}}}}}}}};
  for (const auto& r : V1Routes()) {
    std::string method = r.method;
    for (char& c : method) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
    paths[r.path][method] = {
        {"summary", r.summary},
        {"security", Json::array({{{"apiKey", Json::array()}}, {{"mutualTLS", Json::array()}}})},
        {"requestBody",
         {{"required", true},
          {"content", {{"application/json", {{"schema", {{"type", "object"}}}}}}}}},
        {"responses",
         {{"200",
           {{"description", "ok"},
            {"content",
             {{"application/json",
               {{"schema", {{"type", "object"}, {"required", {"status"}}}}}}}}}},
          {"400", error},
          {"401", error},
          {"403", error},
          {"404", error},
          {"429", error}}}};
  }
  paths["/v1/openapi.json"]["get"] = {
      {"summary", "This document"},
      {"security", Json::array()},
      {"responses", {{"200", {{"description", "OpenAPI 3 document"}}}}}};
  Json doc = {{"openapi", "3.0.3"},
              {"info",
               {{"title", "keyward serve integration API"},
                {"version", "1"},
                {"description", "Back-end API of keyward serve; see docs/serve.md."}}},
              {"paths", paths},
              {"components",
               {{"securitySchemes",
                 {{"apiKey", {{"type", "http"}, {"scheme", "bearer"}}},
                  {"mutualTLS", {{"type", "mutualTLS"}}}}},
                {"schemas",
                 {{"Error",
                   {{"type", "object"},
                    {"required", {"status", "errorCode", "errorMessage"}},
                    {"properties",
                     {{"status", {{"type", "string"}, {"enum", {"failed"}}}},
                      {"errorCode", {{"type", "string"}}},
                      {"errorMessage", {{"type", "string"}}}}}}}}}}}};
  return doc.dump(1);
}

void AddIntegrationRoutes(Service& service) {
  const ServeConfig& cfg = service.config();
  bool mtls = cfg.tls && !cfg.tls->client_ca.empty();
  if (service.api_keys() == nullptr && !mtls) return;
  service.AddRoute({"GET", "/v1/openapi.json", [](Service&, HttpRequest&, HttpResponse& resp) {
                      SendJson(resp, 200, IntegrationOpenApi());
                    }});
  for (const auto& r : V1Routes()) {
    auto handler = r.handler;
    service.AddRoute(
        {r.method, r.path, [handler](Service& s, HttpRequest& req, HttpResponse& resp) {
           if (!Authenticated(s, req, resp)) return;
           auto body = ParseBodyObject(req, resp);
           if (!body) return;
           handler(s, req, resp, *body);
         }});
  }
}

}  // namespace keyward::serve
