// The FIDO2 Server Conformance Test API (FIDO Alliance, "Server requirements and transport
// binding profile", §7 transport binding): what the FIDO conformance tools drive.
//   POST /attestation/options  ServerPublicKeyCredentialCreationOptionsRequest
//        {username, displayName, authenticatorSelection?, attestation?, extensions?}
//     →  {"status":"ok","errorMessage":"", ...PublicKeyCredentialCreationOptions members}
//   POST /attestation/result   ServerPublicKeyCredential {id, rawId, type, response{clientDataJSON,
//        attestationObject}, getClientExtensionResults?}   → {"status":"ok","errorMessage":""}
//   POST /assertion/options    {username, userVerification?, extensions?}
//     →  {"status":"ok","errorMessage":"", challenge, timeout, rpId, allowCredentials,
//         userVerification}
//   POST /assertion/result     ServerPublicKeyCredential {.., response{authenticatorData,
//        signature, userHandle, clientDataJSON}}   → {"status":"ok","errorMessage":""}
// Failure: HTTP 4xx/5xx with {"status":"failed","errorMessage":"<error code name>: <detail>"}.
// The ceremony is found by the challenge in clientDataJSON (the facade's ceremony id is the
// base64url challenge), so no cookie is needed. Only served with "conformance": true.
#include <fstream>
#include <sstream>

#include "attestation/metadata.h"
#include "attestation/trust_store.h"
#include "core/base64url.h"
#include "core/json.h"
#include "core/json_reader.h"
#include "core/x509.h"
#include "serve/json_api.h"
#include "serve/service.h"

namespace keyward::serve {

namespace au = keyward::authenticator;

namespace {

void ConformanceError(HttpResponse& resp, int status, std::string_view code,
                      std::string_view message) {
  Json j = {{"status", "failed"},
            {"errorMessage", std::string(code) + ": " + std::string(message)}};
  resp.status = status;
  resp.content_type = "application/json";
  resp.body = j.dump(-1, ' ', false, Json::error_handler_t::replace);
  resp.error_code = std::string(code);
}

void ConformanceError(HttpResponse& resp, const Error& e) {
  ConformanceError(resp, StatusFor(e.code) >= 500 ? StatusFor(e.code) : 400, ErrorCodeName(e.code),
                   e.detail.empty() ? std::string(ErrorCodeName(e.code)) : e.detail);
}

// The body as an object; failures answered in the conformance shape.
std::optional<Json> Body(const HttpRequest& req, HttpResponse& resp) {
  JsonLimits limits;
  limits.max_depth = 16;
  limits.max_bytes = req.body.size() + 1;
  auto j = ParseJson(req.body, limits);
  if (!j || !j->is_object()) {
    ConformanceError(resp, 400, "json_malformed", "the body must be a JSON object");
    return std::nullopt;
  }
  return std::move(*j);
}

std::optional<std::string> StringMember(const Json& j, const char* key, HttpResponse& resp,
                                        bool required) {
  auto it = j.find(key);
  if (it == j.end() || it->is_null()) {
    if (required) ConformanceError(resp, 400, "json_missing_field", key);
    return required ? std::nullopt : std::optional<std::string>("");
  }
  if (!it->is_string()) {
    ConformanceError(resp, 400, "json_wrong_type", key);
    return std::nullopt;
  }
  return it->get<std::string>();
}

// The challenge (= ceremony id) inside response.clientDataJSON, or "" when unreadable (the facade
// then refuses the response with its own code).
// A ServerPublicKeyCredential body, read with the strict reader (the same strictness as the
// DOM parser: duplicate members, bad UTF-8 and trailing bytes refused). The result routes hand
// the body to the facade as received, so it is parsed without building a DOM and never
// re-serialised; the facade's response parser reads it again.
std::optional<JsonDocument> CredentialBody(const HttpRequest& req, HttpResponse& resp) {
  JsonLimits limits;
  limits.max_depth = 16;
  limits.max_bytes = req.body.size() + 1;
  auto doc = JsonDocument::Parse(req.body, limits);
  if (!doc || !doc->root().IsObject()) {
    ConformanceError(resp, 400, "json_malformed", "the body must be a JSON object");
    return std::nullopt;
  }
  return std::move(*doc);
}

// The ceremony a credential answers: the challenge in its clientDataJSON, "" when there is none
// (the facade then refuses it as an unknown ceremony).
std::string ChallengeOf(const JsonValue& credential) {
  auto r = credential.Find("response");
  if (!r || !r->IsObject()) return "";
  auto raw = r->GetBase64Url("clientDataJSON");
  if (!raw) return "";
  auto j = JsonDocument::Parse(AsChars(*raw));
  if (!j || !j->root().IsObject()) return "";
  auto ch = j->root().GetString("challenge");
  if (!ch) return "";
  return std::string(*ch);
}

void OkWith(HttpResponse& resp, Json j) {
  j["status"] = "ok";
  j["errorMessage"] = "";
  SendJson(resp, 200, j.dump(-1, ' ', false, Json::error_handler_t::replace));
}

}  // namespace

Result<std::vector<attestation::MetadataBlob>> VerifyConformanceMetadata(const ServeConfig& cfg) {
  std::vector<attestation::MetadataBlob> out;
  if (cfg.conformance_mds.empty()) return out;
  attestation::TrustStore roots;
  KW_TRY(roots.AddFile(cfg.conformance_mds_root));
  auto anchors = roots.AnchorsFor("", attestation::Aaguid{});
  attestation::MetadataVerifyOptions options;
  options.verify_time = UnixNow();
  // Conformance BLOBs carry test dates; their freshness is not what the tools test.
  options.insecure_accept_stale = true;
  for (const auto& path : cfg.conformance_mds) {
    std::ifstream in(path, std::ios::binary);
    std::ostringstream text;
    text << in.rdbuf();
    std::string jwt = text.str();
    while (!jwt.empty() && (jwt.back() == '\n' || jwt.back() == '\r' || jwt.back() == ' ')) {
      jwt.pop_back();
    }
    auto blob = attestation::MetadataBlob::Verify(jwt, anchors, options);
    if (!blob) {
      return Fail(blob.error().code, "conformance_mds " + path + ": " + blob.error().detail);
    }
    out.push_back(std::move(*blob));
  }
  return out;
}

Result<void> CheckConfigFiles(const ServeConfig& cfg) {
  KW_TRY(VerifyConformanceMetadata(cfg));
  return Ok();
}

Result<void> LoadConformanceMetadata(Service& s) {
  KW_ASSIGN_OR_RETURN(auto blobs, VerifyConformanceMetadata(s.config_));
  for (auto& blob : blobs) {
    s.metadata_.push_back(std::make_unique<attestation::MetadataBlob>(std::move(blob)));
  }
  // The trust store takes one metadata source: the first BLOB; the tools' BLOBs differ only in
  // which test entries they carry.
  if (!blobs.empty()) s.trust_->SetMetadata(s.metadata_.front().get());
  return Ok();
}

void AddConformanceRoutes(Service& service) {
  service.AddRoute(
      {"POST", "/attestation/options", [](Service& s, HttpRequest& req, HttpResponse& resp) {
         auto body = Body(req, resp);
         if (!body) return;
         auto username = StringMember(*body, "username", resp, true);
         if (!username) return;
         auto display = StringMember(*body, "displayName", resp, false);
         if (!display) return;
         if (username->empty() || username->size() > 64) {
           return ConformanceError(resp, 400, "invalid_argument",
                                   "username must be 1-64 characters");
         }
         auto& auth = s.Auth(req);
         auto p = auth.FindPrincipalByName(*username);
         if (!p && p.error().code == ErrorCode::kNotFound) {
           p = auth.CreatePrincipal(*username, display->empty() ? *username : *display);
         }
         if (!p) return ConformanceError(resp, p.error());
         au::CredentialKind kind = au::CredentialKind::kSecurityKey;
         if (auto sel = body->find("authenticatorSelection");
             sel != body->end() && sel->is_object()) {
           auto rk = sel->find("residentKey");
           auto rrk = sel->find("requireResidentKey");
           if ((rk != sel->end() && rk->is_string() && *rk == "required") ||
               (rrk != sel->end() && rrk->is_boolean() && rrk->get<bool>())) {
             kind = au::CredentialKind::kPasskey;
           }
         }
         auto start = auth.BeginRegistration(p->id, kind);
         if (!start) return ConformanceError(resp, start.error());
         auto options = ParseJson(start->options_json);
         if (!options) return ConformanceError(resp, options.error());
         Json o = *options;
         o["user"]["name"] = *username;
         o["user"]["displayName"] = display->empty() ? *username : *display;
         // Echo what the tools asked for (the policy decides what is enforced).
         if (auto it = body->find("attestation"); it != body->end() && it->is_string()) {
           o["attestation"] = *it;
         }
         if (auto it = body->find("authenticatorSelection"); it != body->end() && it->is_object()) {
           o["authenticatorSelection"] = *it;
         }
         if (auto it = body->find("extensions"); it != body->end() && it->is_object()) {
           o["extensions"] = *it;
         }
         s.metrics().Ceremony("conformance_registration", "begun", "");
         OkWith(resp, o);
       }});

  service.AddRoute(
      {"POST", "/attestation/result", [](Service& s, HttpRequest& req, HttpResponse& resp) {
         auto body = CredentialBody(req, resp);
         if (!body) return;
         std::string ceremony = ChallengeOf(body->root());
         auto& auth = s.Auth(req);
         auto r = auth.FinishRegistration(ceremony, req.body, "");
         if (!r) {
           s.metrics().Ceremony("conformance_registration", "failure",
                                std::string(ErrorCodeName(r.error().code)));
           return ConformanceError(resp, r.error());
         }
         s.metrics().Ceremony("conformance_registration", "success", "");
         OkWith(resp, Json::object());
       }});

  service.AddRoute(
      {"POST", "/assertion/options", [](Service& s, HttpRequest& req, HttpResponse& resp) {
         auto body = Body(req, resp);
         if (!body) return;
         auto username = StringMember(*body, "username", resp, false);
         if (!username) return;
         auto& auth = s.Auth(req);
         au::LoginRequest lr;
         if (!username->empty()) {
           auto p = auth.FindPrincipalByName(*username);
           if (!p) return ConformanceError(resp, p.error());
           lr.principal_id = p->id;
         }
         auto start = auth.BeginLogin(lr);
         if (!start) return ConformanceError(resp, start.error());
         auto options = ParseJson(start->options_json);
         if (!options) return ConformanceError(resp, options.error());
         Json o = *options;
         if (auto it = body->find("userVerification"); it != body->end() && it->is_string()) {
           o["userVerification"] = *it;
         }
         if (auto it = body->find("extensions"); it != body->end() && it->is_object()) {
           o["extensions"] = *it;
         }
         if (!o.contains("allowCredentials")) o["allowCredentials"] = Json::array();
         s.metrics().Ceremony("conformance_login", "begun", "");
         OkWith(resp, o);
       }});

  service.AddRoute(
      {"POST", "/assertion/result", [](Service& s, HttpRequest& req, HttpResponse& resp) {
         auto body = CredentialBody(req, resp);
         if (!body) return;
         std::string ceremony = ChallengeOf(body->root());
         auto& auth = s.Auth(req);
         au::RequestContext ctx;
         ctx.ip = req.client_ip;
         au::Session session;
         auto r = auth.FinishLogin(ceremony, req.body, ctx, &session);
         if (!r) {
           s.metrics().Ceremony("conformance_login", "failure",
                                std::string(ErrorCodeName(r.error().code)));
           return ConformanceError(resp, r.error());
         }
         s.metrics().Ceremony("conformance_login", "success", "");
         OkWith(resp, Json::object());
       }});
}

}  // namespace keyward::serve
