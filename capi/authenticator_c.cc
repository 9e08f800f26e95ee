// C ABI: the unified authenticator (keyward/authenticator.h underneath). Sessions cross as JSON.
#include <limits>
#include <memory>

#include "capi/c_api.h"
#include "capi/trust.h"
#include "core/base64url.h"
#include "keyward/authenticator.h"

namespace authn = keyward::authenticator;

struct keyward_authenticator {
  // The trust snapshot the facade points at (config.attestation_trust), kept alive with it.
  std::shared_ptr<keyward::capi::TrustState> trust;
  std::unique_ptr<authn::Authenticator> auth;
};

namespace keyward::capi {
namespace {

Result<authn::AuthenticatorConfig> ReadConfig(std::string_view text) {
  KW_ASSIGN_OR_RETURN(JsonDocument doc, ParseObject(text, "config"));
  KW_ASSIGN_OR_RETURN(auto r, ObjectReader::Make(doc.root(), "config",
                                                 {"db_path", "rp_id", "rp_name", "origins",
                                                  "policy", "smart_card_anchors_der",
                                                  "smart_card_crls", "store_relaxed_durability"}));
  authn::AuthenticatorConfig c;
  KW_ASSIGN_OR_RETURN(auto db, r.String("db_path"));
  c.db_path = std::string(db);
  KW_ASSIGN_OR_RETURN(auto rp, r.String("rp_id"));
  c.rp_id = std::string(rp);
  KW_ASSIGN_OR_RETURN(auto rp_name, r.OptString("rp_name"));
  c.rp_name = std::string(rp_name.value_or(""));
  KW_ASSIGN_OR_RETURN(auto origins, r.OptStrings("origins"));
  if (!origins) return Fail(ErrorCode::kJsonMissingField, "config.origins is required");
  c.origins = std::move(*origins);
  if (auto p = r.Get("policy")) {
    if (p->IsString()) {
      c.policy = std::string(p->string());
    } else if (p->IsObject()) {
      c.policy = ToJson(*p).dump();
    } else {
      return Fail(ErrorCode::kJsonWrongType, "config.policy must be a preset name or an object");
    }
  }
  KW_ASSIGN_OR_RETURN(auto anchors, r.OptBase64UrlList("smart_card_anchors_der"));
  if (anchors) c.smart_card_anchors = std::move(*anchors);
  KW_ASSIGN_OR_RETURN(auto crls, r.OptBase64UrlList("smart_card_crls"));
  if (crls) c.smart_card_crls = std::move(*crls);
  KW_ASSIGN_OR_RETURN(auto relaxed, r.OptBool("store_relaxed_durability"));
  c.store_relaxed_durability = relaxed.value_or(false);
  return c;
}

Result<keyward_authenticator*> Open(const char* config_json, const keyward_trust* trust,
                                    keyward_clock_fn clock, void* clock_context) {
  KW_ASSIGN_OR_RETURN(auto text, Arg(config_json, "config_json"));
  KW_ASSIGN_OR_RETURN(authn::AuthenticatorConfig config, ReadConfig(text));
  auto handle = std::make_unique<keyward_authenticator>();
  if (trust != nullptr) {
    handle->trust = std::make_shared<TrustState>(*trust->state);  // snapshot
    const auto& store = handle->trust->anchors.store();
    if (!store.empty()) config.attestation_trust = &store;
  }
  if (clock != nullptr) config.clock = [clock, clock_context]() { return clock(clock_context); };
  KW_ASSIGN_OR_RETURN(handle->auth, authn::Authenticator::Open(config));
  return handle.release();
}

std::string Dump(const Json& j) { return j.dump(); }

Json Parsed(const std::string& json_text) {
  auto j = ParseJson(json_text);
  return j ? *j : Json(nullptr);
}

Json ArrayOf(const std::vector<std::string>& objects) {
  Json a = Json::array();
  for (const std::string& o : objects) a.push_back(Parsed(o));
  return a;
}

std::string StartJson(const authn::CeremonyStart& s) {
  Json j{{"ceremony_id", s.ceremony_id},
         {"options", s.options_json.empty() ? Json(nullptr) : Parsed(s.options_json)},
         {"challenge", Base64UrlEncode(s.challenge)},
         {"expires_at", s.expires_at}};
  return Dump(j);
}

// ---- sessions ----

std::string SessionJson(const authn::Session& s) {
  Json j{{"principal_id", s.principal_id},
         {"aal", authn::AalName(s.aal)},
         {"aal_reason", s.aal_reason},
         {"authenticated_at", s.authenticated_at},
         {"pending_step_up",
          s.pending_step_up ? Parsed(authn::DecisionToJson(*s.pending_step_up)) : Json(nullptr)}};
  return Dump(j);
}

Result<authn::Aal> AalNamed(std::string_view name) {
  auto a = authn::AalFromName(name);
  if (!a) return Fail(ErrorCode::kInvalidArgument, "unknown assurance level");
  return *a;
}

Result<std::vector<authn::CredentialKind>> KindsNamed(const std::vector<std::string>& names) {
  std::vector<authn::CredentialKind> out;
  for (const std::string& n : names) {
    auto k = authn::CredentialKindFromName(n);
    if (!k) return Fail(ErrorCode::kInvalidArgument, "unknown credential kind");
    out.push_back(*k);
  }
  return out;
}

Result<authn::PolicyDecision> DecisionFrom(const JsonValue& v) {
  KW_ASSIGN_OR_RETURN(
      auto r, ObjectReader::Make(v, "pending_step_up",
                                 {"outcome", "required_aal", "satisfying_kinds", "reasons"}));
  authn::PolicyDecision d;
  KW_ASSIGN_OR_RETURN(auto outcome, r.String("outcome"));
  if (outcome == "allow") {
    d.outcome = authn::Decision::kAllow;
  } else if (outcome == "step_up") {
    d.outcome = authn::Decision::kStepUp;
  } else if (outcome == "deny") {
    d.outcome = authn::Decision::kDeny;
  } else {
    return Fail(ErrorCode::kInvalidArgument, "unknown decision outcome");
  }
  KW_ASSIGN_OR_RETURN(auto aal, r.OptString("required_aal"));
  if (aal) {
    KW_ASSIGN_OR_RETURN(d.required_aal, AalNamed(*aal));
  }
  KW_ASSIGN_OR_RETURN(auto kinds, r.OptStrings("satisfying_kinds"));
  if (kinds) {
    KW_ASSIGN_OR_RETURN(d.satisfying_kinds, KindsNamed(*kinds));
  }
  KW_ASSIGN_OR_RETURN(auto reasons, r.OptStrings("reasons"));
  if (reasons) d.reasons = std::move(*reasons);
  return d;
}

Result<authn::Session> ReadSession(const char* session_json) {
  authn::Session s;
  if (session_json == nullptr || *session_json == '\0') return s;
  KW_ASSIGN_OR_RETURN(JsonDocument doc, ParseObject(session_json, "session"));
  KW_ASSIGN_OR_RETURN(auto r, ObjectReader::Make(doc.root(), "session",
                                                 {"principal_id", "aal", "aal_reason",
                                                  "authenticated_at", "pending_step_up"}));
  KW_ASSIGN_OR_RETURN(auto pid, r.OptString("principal_id"));
  s.principal_id = std::string(pid.value_or(""));
  KW_ASSIGN_OR_RETURN(auto aal, r.OptString("aal"));
  if (aal) {
    KW_ASSIGN_OR_RETURN(s.aal, AalNamed(*aal));
  }
  KW_ASSIGN_OR_RETURN(auto reason, r.OptString("aal_reason"));
  s.aal_reason = std::string(reason.value_or(""));
  KW_ASSIGN_OR_RETURN(auto at, r.OptInt("authenticated_at"));
  s.authenticated_at = at.value_or(0);
  KW_ASSIGN_OR_RETURN(auto pending, r.OptObject("pending_step_up"));
  if (pending) {
    KW_ASSIGN_OR_RETURN(s.pending_step_up, DecisionFrom(*pending));
  }
  return s;
}

Result<authn::RequestContext> ReadContext(const char* context_json) {
  authn::RequestContext c;
  if (context_json == nullptr || *context_json == '\0') return c;
  KW_ASSIGN_OR_RETURN(JsonDocument doc, ParseObject(context_json, "context"));
  KW_ASSIGN_OR_RETURN(auto r,
                      ObjectReader::Make(doc.root(), "context",
                                         {"ip", "country", "device_posture", "time", "action"}));
  KW_ASSIGN_OR_RETURN(auto ip, r.OptString("ip"));
  c.ip = std::string(ip.value_or(""));
  KW_ASSIGN_OR_RETURN(auto country, r.OptString("country"));
  c.country = std::string(country.value_or(""));
  KW_ASSIGN_OR_RETURN(auto posture, r.OptStrings("device_posture"));
  if (posture) c.device_posture = std::move(*posture);
  KW_ASSIGN_OR_RETURN(c.time, r.OptInt("time"));
  KW_ASSIGN_OR_RETURN(auto action, r.OptString("action"));
  if (action) c.action = std::string(*action);
  return c;
}

Result<authn::LoginRequest> ReadLoginRequest(const char* request_json) {
  authn::LoginRequest req;
  if (request_json == nullptr || *request_json == '\0') return req;
  KW_ASSIGN_OR_RETURN(JsonDocument doc, ParseObject(request_json, "request"));
  KW_ASSIGN_OR_RETURN(
      auto r, ObjectReader::Make(doc.root(), "request", {"principal_id", "step_up_to", "kinds"}));
  KW_ASSIGN_OR_RETURN(auto pid, r.OptString("principal_id"));
  if (pid) req.principal_id = std::string(*pid);
  KW_ASSIGN_OR_RETURN(auto step, r.OptString("step_up_to"));
  if (step) {
    KW_ASSIGN_OR_RETURN(req.step_up_to, AalNamed(*step));
  }
  KW_ASSIGN_OR_RETURN(auto kinds, r.OptStrings("kinds"));
  if (kinds) {
    KW_ASSIGN_OR_RETURN(req.kinds, KindsNamed(*kinds));
  }
  return req;
}

Result<authn::CertificateEnrollment> ReadEnrollment(std::string_view text) {
  KW_ASSIGN_OR_RETURN(JsonDocument doc, ParseObject(text, "enrollment"));
  KW_ASSIGN_OR_RETURN(auto r,
                      ObjectReader::Make(doc.root(), "enrollment",
                                         {"certificate_der", "intermediates_der", "nickname"}));
  authn::CertificateEnrollment e;
  KW_ASSIGN_OR_RETURN(e.certificate, r.Base64Url("certificate_der"));
  KW_ASSIGN_OR_RETURN(auto inter, r.OptBase64UrlList("intermediates_der"));
  if (inter) e.intermediates = std::move(*inter);
  KW_ASSIGN_OR_RETURN(auto nick, r.OptString("nickname"));
  e.nickname = std::string(nick.value_or(""));
  return e;
}

Result<authn::CertificateLoginEvidence> ReadEvidence(std::string_view text) {
  KW_ASSIGN_OR_RETURN(JsonDocument doc, ParseObject(text, "evidence"));
  KW_ASSIGN_OR_RETURN(
      auto r, ObjectReader::Make(doc.root(), "evidence",
                                 {"certificate_der", "signature", "cose_alg", "pin_verified"}));
  authn::CertificateLoginEvidence e;
  KW_ASSIGN_OR_RETURN(e.certificate, r.Base64Url("certificate_der"));
  KW_ASSIGN_OR_RETURN(e.signature, r.Base64Url("signature"));
  KW_ASSIGN_OR_RETURN(auto alg, r.OptInt("cose_alg"));
  if (alg) e.cose_alg = *alg;
  KW_ASSIGN_OR_RETURN(auto pin, r.OptBool("pin_verified"));
  e.pin_verified = pin.value_or(false);
  return e;
}

Result<authn::VerifiedCardLogin> ReadVerifiedCardLogin(std::string_view text) {
  KW_ASSIGN_OR_RETURN(JsonDocument doc, ParseObject(text, "login"));
  KW_ASSIGN_OR_RETURN(auto r, ObjectReader::Make(doc.root(), "login",
                                                 {"certificate_fingerprint_sha256",
                                                  "assurance_level", "pin_verified"}));
  authn::VerifiedCardLogin l;
  KW_ASSIGN_OR_RETURN(auto fp, r.String("certificate_fingerprint_sha256"));
  l.certificate_fingerprint_sha256 = std::string(fp);
  KW_ASSIGN_OR_RETURN(auto level, r.OptString("assurance_level"));
  if (level) l.assurance_level = std::string(*level);
  KW_ASSIGN_OR_RETURN(auto pin, r.OptBool("pin_verified"));
  l.pin_verified = pin.value_or(true);
  return l;
}

Result<authn::Authenticator*> Handle(keyward_authenticator* auth) {
  if (auth == nullptr || !auth->auth) return NullArgument("auth");
  return auth->auth.get();
}

Result<Bytes> CredentialId(const char* id) {
  KW_ASSIGN_OR_RETURN(auto text, Arg(id, "credential_id"));
  auto b = Base64UrlDecode(text);
  if (!b) return Fail(ErrorCode::kBase64Invalid, "credential_id is not base64url");
  return std::move(*b);
}

// The three logins share their session handling: read it, run the facade, hand the session back
// whatever the outcome.
// `prepare` reads the login's own argument (evidence) before the facade runs, so a refused
// argument hands back no session.
template <typename Prepare, typename Login>
int RunLogin(keyward_authenticator* auth, const char* context_json, const char* session_json,
             char** result_json_out, char** session_json_out, keyward_error* err, Prepare prepare,
             Login login) {
  Clear(result_json_out);
  Clear(session_json_out);
  return Guard(err, [&]() -> Result<void> {
    KW_ASSIGN_OR_RETURN(authn::RequestContext context, ReadContext(context_json));
    KW_ASSIGN_OR_RETURN(authn::Session session, ReadSession(session_json));
    KW_TRY(prepare());
    KW_ASSIGN_OR_RETURN(authn::Authenticator * a, Handle(auth));
    Result<authn::AuthResult> result = login(*a, context, &session);
    Emit(session_json_out, SessionJson(session));
    if (!result) return Fail(std::move(result).error());
    Emit(result_json_out, authn::AuthResultToJson(*result));
    return Ok();
  });
}

}  // namespace
}  // namespace keyward::capi

using keyward::Result;
using keyward::capi::Arg;
using keyward::capi::Clear;
using keyward::capi::Emit;
using keyward::capi::Guard;
using keyward::capi::Handle;
using keyward::capi::NullArgument;

extern "C" {

int keyward_authenticator_open_with_clock(const char* config_json, const keyward_trust* trust,
                                          keyward_clock_fn clock, void* clock_context,
                                          keyward_authenticator** auth_out, keyward_error* err) {
  if (auth_out != nullptr) *auth_out = nullptr;
  return Guard(err, [&]() -> Result<void> {
    if (auth_out == nullptr) return NullArgument("auth_out");
    KW_ASSIGN_OR_RETURN(*auth_out, keyward::capi::Open(config_json, trust, clock, clock_context));
    return keyward::Ok();
  });
}

int keyward_authenticator_open(const char* config_json, const keyward_trust* trust,
                               keyward_authenticator** auth_out, keyward_error* err) {
  return keyward_authenticator_open_with_clock(config_json, trust, nullptr, nullptr, auth_out, err);
}

void keyward_authenticator_close(keyward_authenticator* auth) { delete auth; }

int keyward_create_principal(keyward_authenticator* auth, const char* name,
                             const char* display_name, char** principal_json_out,
                             keyward_error* err) {
  Clear(principal_json_out);
  return Guard(err, [&]() -> Result<void> {
    KW_ASSIGN_OR_RETURN(authn::Authenticator * a, Handle(auth));
    KW_ASSIGN_OR_RETURN(auto n, Arg(name, "name"));
    std::string_view display = display_name != nullptr ? display_name : "";
    KW_ASSIGN_OR_RETURN(authn::Principal p, a->CreatePrincipal(n, display));
    Emit(principal_json_out, authn::PrincipalToJson(p));
    return keyward::Ok();
  });
}

int keyward_get_principal(keyward_authenticator* auth, const char* principal_id,
                          char** principal_json_out, keyward_error* err) {
  Clear(principal_json_out);
  return Guard(err, [&]() -> Result<void> {
    KW_ASSIGN_OR_RETURN(authn::Authenticator * a, Handle(auth));
    KW_ASSIGN_OR_RETURN(auto id, Arg(principal_id, "principal_id"));
    KW_ASSIGN_OR_RETURN(authn::Principal p, a->GetPrincipal(id));
    Emit(principal_json_out, authn::PrincipalToJson(p));
    return keyward::Ok();
  });
}

int keyward_find_principal_by_name(keyward_authenticator* auth, const char* name,
                                   char** principal_json_out, keyward_error* err) {
  Clear(principal_json_out);
  return Guard(err, [&]() -> Result<void> {
    KW_ASSIGN_OR_RETURN(authn::Authenticator * a, Handle(auth));
    KW_ASSIGN_OR_RETURN(auto n, Arg(name, "name"));
    KW_ASSIGN_OR_RETURN(authn::Principal p, a->FindPrincipalByName(n));
    Emit(principal_json_out, authn::PrincipalToJson(p));
    return keyward::Ok();
  });
}

int keyward_list_principals(keyward_authenticator* auth, char** principals_json_out,
                            keyward_error* err) {
  Clear(principals_json_out);
  return Guard(err, [&]() -> Result<void> {
    KW_ASSIGN_OR_RETURN(authn::Authenticator * a, Handle(auth));
    KW_ASSIGN_OR_RETURN(auto list, a->ListPrincipals());
    std::vector<std::string> objects;
    for (const auto& p : list) objects.push_back(authn::PrincipalToJson(p));
    Emit(principals_json_out, keyward::capi::ArrayOf(objects).dump());
    return keyward::Ok();
  });
}

int keyward_list_credentials(keyward_authenticator* auth, const char* principal_id,
                             char** credentials_json_out, keyward_error* err) {
  Clear(credentials_json_out);
  return Guard(err, [&]() -> Result<void> {
    KW_ASSIGN_OR_RETURN(authn::Authenticator * a, Handle(auth));
    KW_ASSIGN_OR_RETURN(auto id, Arg(principal_id, "principal_id"));
    KW_ASSIGN_OR_RETURN(auto list, a->ListCredentials(id));
    std::vector<std::string> objects;
    for (const auto& c : list) objects.push_back(authn::CredentialToJson(c));
    Emit(credentials_json_out, keyward::capi::ArrayOf(objects).dump());
    return keyward::Ok();
  });
}

int keyward_begin_registration(keyward_authenticator* auth, const char* principal_id,
                               const char* kind, char** start_json_out, keyward_error* err) {
  Clear(start_json_out);
  return Guard(err, [&]() -> Result<void> {
    KW_ASSIGN_OR_RETURN(authn::Authenticator * a, Handle(auth));
    KW_ASSIGN_OR_RETURN(auto id, Arg(principal_id, "principal_id"));
    KW_ASSIGN_OR_RETURN(auto kind_name, Arg(kind, "kind"));
    auto k = authn::CredentialKindFromName(kind_name);
    if (!k) return keyward::Fail(keyward::ErrorCode::kInvalidArgument, "unknown credential kind");
    KW_ASSIGN_OR_RETURN(authn::CeremonyStart s, a->BeginRegistration(id, *k));
    Emit(start_json_out, keyward::capi::StartJson(s));
    return keyward::Ok();
  });
}

int keyward_finish_registration(keyward_authenticator* auth, const char* ceremony_id,
                                const char* response_json, const char* nickname,
                                char** credential_json_out, keyward_error* err) {
  Clear(credential_json_out);
  return Guard(err, [&]() -> Result<void> {
    KW_ASSIGN_OR_RETURN(authn::Authenticator * a, Handle(auth));
    KW_ASSIGN_OR_RETURN(auto id, Arg(ceremony_id, "ceremony_id"));
    KW_ASSIGN_OR_RETURN(auto response, Arg(response_json, "response_json"));
    KW_ASSIGN_OR_RETURN(authn::Credential c,
                        a->FinishRegistration(id, response, nickname != nullptr ? nickname : ""));
    Emit(credential_json_out, authn::CredentialToJson(c));
    return keyward::Ok();
  });
}

int keyward_enroll_certificate(keyward_authenticator* auth, const char* principal_id,
                               const char* enrollment_json, char** credential_json_out,
                               keyward_error* err) {
  Clear(credential_json_out);
  return Guard(err, [&]() -> Result<void> {
    KW_ASSIGN_OR_RETURN(authn::Authenticator * a, Handle(auth));
    KW_ASSIGN_OR_RETURN(auto id, Arg(principal_id, "principal_id"));
    KW_ASSIGN_OR_RETURN(auto text, Arg(enrollment_json, "enrollment_json"));
    KW_ASSIGN_OR_RETURN(auto enrollment, keyward::capi::ReadEnrollment(text));
    KW_ASSIGN_OR_RETURN(authn::Credential c, a->EnrollCertificate(id, enrollment));
    Emit(credential_json_out, authn::CredentialToJson(c));
    return keyward::Ok();
  });
}

int keyward_begin_login(keyward_authenticator* auth, const char* request_json,
                        char** start_json_out, keyward_error* err) {
  Clear(start_json_out);
  return Guard(err, [&]() -> Result<void> {
    KW_ASSIGN_OR_RETURN(authn::Authenticator * a, Handle(auth));
    KW_ASSIGN_OR_RETURN(auto request, keyward::capi::ReadLoginRequest(request_json));
    KW_ASSIGN_OR_RETURN(authn::CeremonyStart s, a->BeginLogin(request));
    Emit(start_json_out, keyward::capi::StartJson(s));
    return keyward::Ok();
  });
}

int keyward_finish_login(keyward_authenticator* auth, const char* ceremony_id,
                         const char* response_json, const char* context_json,
                         const char* session_json, char** result_json_out, char** session_json_out,
                         keyward_error* err) {
  if (ceremony_id == nullptr || response_json == nullptr) {
    Clear(result_json_out);
    Clear(session_json_out);
    return keyward::capi::SetError(
        err,
        keyward::Error{keyward::ErrorCode::kInvalidArgument, 0,
                       ceremony_id == nullptr ? "ceremony_id is NULL" : "response_json is NULL"});
  }
  return keyward::capi::RunLogin(
      auth, context_json, session_json, result_json_out, session_json_out, err,
      [] { return keyward::Ok(); },
      [&](authn::Authenticator& a, const authn::RequestContext& c, authn::Session* s) {
        return a.FinishLogin(ceremony_id, response_json, c, s);
      });
}

int keyward_finish_certificate_login(keyward_authenticator* auth, const char* ceremony_id,
                                     const char* evidence_json, const char* context_json,
                                     const char* session_json, char** result_json_out,
                                     char** session_json_out, keyward_error* err) {
  if (ceremony_id == nullptr || evidence_json == nullptr) {
    Clear(result_json_out);
    Clear(session_json_out);
    return keyward::capi::SetError(
        err,
        keyward::Error{keyward::ErrorCode::kInvalidArgument, 0,
                       ceremony_id == nullptr ? "ceremony_id is NULL" : "evidence_json is NULL"});
  }
  authn::CertificateLoginEvidence evidence;
  return keyward::capi::RunLogin(
      auth, context_json, session_json, result_json_out, session_json_out, err,
      [&]() -> Result<void> {
        KW_ASSIGN_OR_RETURN(evidence, keyward::capi::ReadEvidence(evidence_json));
        return keyward::Ok();
      },
      [&](authn::Authenticator& a, const authn::RequestContext& c, authn::Session* s) {
        return a.FinishCertificateLogin(ceremony_id, evidence, c, s);
      });
}

int keyward_finish_verified_card_login(keyward_authenticator* auth, const char* ceremony_id,
                                       const char* login_json, const char* context_json,
                                       const char* session_json, char** result_json_out,
                                       char** session_json_out, keyward_error* err) {
  if (ceremony_id == nullptr || login_json == nullptr) {
    Clear(result_json_out);
    Clear(session_json_out);
    return keyward::capi::SetError(
        err, keyward::Error{keyward::ErrorCode::kInvalidArgument, 0,
                            ceremony_id == nullptr ? "ceremony_id is NULL" : "login_json is NULL"});
  }
  authn::VerifiedCardLogin login;
  return keyward::capi::RunLogin(
      auth, context_json, session_json, result_json_out, session_json_out, err,
      [&]() -> Result<void> {
        KW_ASSIGN_OR_RETURN(login, keyward::capi::ReadVerifiedCardLogin(login_json));
        return keyward::Ok();
      },
      [&](authn::Authenticator& a, const authn::RequestContext& c, authn::Session* s) {
        return a.FinishVerifiedCardLogin(ceremony_id, login, c, s);
      });
}

int keyward_authorize(keyward_authenticator* auth, const char* session_json, const char* action,
                      char** session_json_out, keyward_error* err) {
  Clear(session_json_out);
  return Guard(err, [&]() -> Result<void> {
    KW_ASSIGN_OR_RETURN(authn::Authenticator * a, Handle(auth));
    KW_ASSIGN_OR_RETURN(auto act, Arg(action, "action"));
    KW_ASSIGN_OR_RETURN(authn::Session session, keyward::capi::ReadSession(session_json));
    Result<void> r = a->Authorize(&session, act);
    Emit(session_json_out, keyward::capi::SessionJson(session));
    return r;
  });
}

int keyward_set_display_name(keyward_authenticator* auth, const char* principal_id,
                             const char* display_name, keyward_error* err) {
  return Guard(err, [&]() -> Result<void> {
    KW_ASSIGN_OR_RETURN(authn::Authenticator * a, Handle(auth));
    KW_ASSIGN_OR_RETURN(auto id, Arg(principal_id, "principal_id"));
    KW_ASSIGN_OR_RETURN(auto name, Arg(display_name, "display_name"));
    return a->SetDisplayName(id, name);
  });
}

int keyward_rename_credential(keyward_authenticator* auth, const char* credential_id,
                              const char* nickname, keyward_error* err) {
  return Guard(err, [&]() -> Result<void> {
    KW_ASSIGN_OR_RETURN(authn::Authenticator * a, Handle(auth));
    KW_ASSIGN_OR_RETURN(auto id, keyward::capi::CredentialId(credential_id));
    KW_ASSIGN_OR_RETURN(auto nick, Arg(nickname, "nickname"));
    return a->RenameCredential(id, nick);
  });
}

int keyward_remove_credential(keyward_authenticator* auth, const char* credential_id,
                              keyward_error* err) {
  return Guard(err, [&]() -> Result<void> {
    KW_ASSIGN_OR_RETURN(authn::Authenticator * a, Handle(auth));
    KW_ASSIGN_OR_RETURN(auto id, keyward::capi::CredentialId(credential_id));
    return a->RemoveCredential(id);
  });
}

int keyward_record_admin_action(keyward_authenticator* auth, const char* action,
                                const char* subject, const char* outcome, const char* details_json,
                                keyward_error* err) {
  return Guard(err, [&]() -> Result<void> {
    KW_ASSIGN_OR_RETURN(authn::Authenticator * a, Handle(auth));
    KW_ASSIGN_OR_RETURN(auto act, Arg(action, "action"));
    KW_ASSIGN_OR_RETURN(auto subj, Arg(subject, "subject"));
    KW_ASSIGN_OR_RETURN(auto out, Arg(outcome, "outcome"));
    return a->RecordAdminAction(act, subj, out, details_json != nullptr ? details_json : "");
  });
}

int keyward_export_principal(keyward_authenticator* auth, const char* principal_id,
                             char** export_json_out, keyward_error* err) {
  Clear(export_json_out);
  return Guard(err, [&]() -> Result<void> {
    KW_ASSIGN_OR_RETURN(authn::Authenticator * a, Handle(auth));
    KW_ASSIGN_OR_RETURN(auto id, Arg(principal_id, "principal_id"));
    KW_ASSIGN_OR_RETURN(std::string doc, a->ExportPrincipal(id));
    Emit(export_json_out, doc);
    return keyward::Ok();
  });
}

int keyward_erase_principal(keyward_authenticator* auth, const char* principal_id,
                            keyward_error* err) {
  return Guard(err, [&]() -> Result<void> {
    KW_ASSIGN_OR_RETURN(authn::Authenticator * a, Handle(auth));
    KW_ASSIGN_OR_RETURN(auto id, Arg(principal_id, "principal_id"));
    return a->ErasePrincipal(id);
  });
}

int keyward_audit_tail(keyward_authenticator* auth, size_t n, char** jsonl_out,
                       keyward_error* err) {
  Clear(jsonl_out);
  return Guard(err, [&]() -> Result<void> {
    KW_ASSIGN_OR_RETURN(authn::Authenticator * a, Handle(auth));
    if (jsonl_out == nullptr) return NullArgument("jsonl_out");
    KW_ASSIGN_OR_RETURN(auto lines, a->AuditTail(n));  // 0: all
    std::string out;
    for (const std::string& l : lines) out += l + "\n";
    Emit(jsonl_out, out);
    return keyward::Ok();
  });
}

namespace {
std::string VerificationJson(const authn::AuditVerification& v) {
  return keyward::Json{{"records", v.records}, {"head_hash", v.head_hash}}.dump();
}
}  // namespace

int keyward_audit_verify(keyward_authenticator* auth, char** result_json_out, keyward_error* err) {
  Clear(result_json_out);
  return Guard(err, [&]() -> Result<void> {
    KW_ASSIGN_OR_RETURN(authn::Authenticator * a, Handle(auth));
    KW_ASSIGN_OR_RETURN(auto v, a->VerifyAuditChain());
    Emit(result_json_out, VerificationJson(v));
    return keyward::Ok();
  });
}

int keyward_audit_verify_lines(const char* jsonl, char** result_json_out, keyward_error* err) {
  Clear(result_json_out);
  return Guard(err, [&]() -> Result<void> {
    KW_ASSIGN_OR_RETURN(auto text, Arg(jsonl, "jsonl"));
    std::vector<std::string> lines;
    size_t start = 0;
    while (start < text.size()) {
      size_t end = text.find('\n', start);
      if (end == std::string_view::npos) end = text.size();
      if (end > start) lines.emplace_back(text.substr(start, end - start));
      start = end + 1;
    }
    KW_ASSIGN_OR_RETURN(auto v, authn::VerifyAuditLines(lines));
    Emit(result_json_out, VerificationJson(v));
    return keyward::Ok();
  });
}

}  // extern "C"
