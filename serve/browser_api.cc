// The browser session API (/api/*) of docs/serve-browser-api.md: sign-up, login, step-up and
// credential management for the passkey page, with a server-side session behind a __Host- cookie.
//
// No account-existence oracle: a sign-up with a taken name runs the same store work at begin
// (a throw-away principal gets the ceremony) and fails only at finish with registration_failed;
// a login naming an unknown account gets stable decoy allowCredentials (HMAC of the name under a
// per-process key).
#include <algorithm>
#include <cstdio>

#include "authenticator/web_state.h"
#include "core/base64url.h"
#include "core/hash.h"
#include "core/json.h"
#include "serve/json_api.h"
#include "serve/service.h"

namespace keyward::serve {

namespace au = keyward::authenticator;

namespace {

constexpr double kSessionIdle = 30 * 60;
constexpr double kSessionMax = 12 * 3600;
constexpr double kCeremonyTtl = 10 * 60;

std::string CookieName(const Service& s) {
  return s.config().cookie_secure ? "__Host-kw_session" : "kw_session";
}

std::string SessionKey(std::string_view cookie_value) {
  return HexEncode(Sha256(AsBytes(cookie_value)));
}

std::string CookieValue(const HttpRequest& req, std::string_view name) {
  for (const auto& [k, v] : req.headers) {
    if (k != "cookie") continue;
    std::string_view rest = v;
    while (!rest.empty()) {
      auto semi = rest.find(';');
      std::string_view part = rest.substr(0, semi);
      rest = semi == std::string_view::npos ? std::string_view() : rest.substr(semi + 1);
      while (!part.empty() && part.front() == ' ') part.remove_prefix(1);
      auto eq = part.find('=');
      if (eq != std::string_view::npos && part.substr(0, eq) == name) {
        return std::string(part.substr(eq + 1));
      }
    }
  }
  return "";
}

void SetCookie(const Service& s, HttpResponse& resp, const std::string& value, bool clear) {
  std::string c = CookieName(s) + "=" + (clear ? std::string() : value) + "; Path=/";
  if (s.config().cookie_secure) c += "; Secure";
  c += "; HttpOnly; SameSite=Strict";
  if (clear) c += "; Max-Age=0";
  resp.headers.emplace_back("Set-Cookie", c);
}

constexpr char kSessionKind[] = "session";
constexpr char kCeremonyKind[] = "ceremony";
constexpr char kSignupKind[] = "signup";
constexpr int64_t kTouchEvery = 60;  // last_seen is written back at most this often

int64_t SessionExpiry(const Service::BrowserSession& bs) {
  return std::min<int64_t>(bs.last_seen + static_cast<int64_t>(kSessionIdle),
                           bs.created + static_cast<int64_t>(kSessionMax));
}

std::string SessionData(const Service::BrowserSession& bs) {
  Json j = {{"principalId", bs.auth.principal_id},
            {"aal", au::AalName(bs.auth.aal)},
            {"aalReason", bs.auth.aal_reason},
            {"authenticatedAt", bs.auth.authenticated_at},
            {"created", bs.created},
            {"lastSeen", bs.last_seen}};
  return j.dump(-1, ' ', false, Json::error_handler_t::replace);
}

std::optional<Service::BrowserSession> ParseSessionData(const std::string& data) {
  auto j = ParseJson(data);
  if (!j || !j->is_object()) return std::nullopt;
  try {
    Service::BrowserSession bs;
    bs.auth.principal_id = (*j)["principalId"].get<std::string>();
    auto aal = au::AalFromName((*j)["aal"].get<std::string>());
    if (!aal) return std::nullopt;
    bs.auth.aal = *aal;
    bs.auth.aal_reason = (*j)["aalReason"].get<std::string>();
    bs.auth.authenticated_at = (*j)["authenticatedAt"].get<int64_t>();
    bs.created = (*j)["created"].get<int64_t>();
    bs.last_seen = (*j)["lastSeen"].get<int64_t>();
    return bs;
  } catch (...) {
    return std::nullopt;
  }
}

std::string CeremonyData(const Service::PendingCeremony& c) {
  Json j = {{"type", c.type},
            {"sessionKey", c.session_key},
            {"principalId", c.principal_id},
            {"accountKey", c.account_key},
            {"action", c.action},
            {"decoy", c.decoy}};
  return j.dump(-1, ' ', false, Json::error_handler_t::replace);
}

std::optional<Service::PendingCeremony> ParseCeremonyData(const std::string& data) {
  auto j = ParseJson(data);
  if (!j || !j->is_object()) return std::nullopt;
  try {
    Service::PendingCeremony c;
    c.type = (*j)["type"].get<std::string>();
    c.session_key = (*j)["sessionKey"].get<std::string>();
    c.principal_id = (*j)["principalId"].get<std::string>();
    c.account_key = (*j)["accountKey"].get<std::string>();
    c.action = (*j)["action"].get<std::string>();
    c.decoy = (*j)["decoy"].get<bool>();
    return c;
  } catch (...) {
    return std::nullopt;
  }
}

// A request's session: the cookie value and the session.
using SignedIn = std::pair<std::string, Service::BrowserSession>;

// The session of this request (first: the cookie value), refreshed; nullopt when none or expired.
// A store failure answers the request (resp.error_code set) and gives nullopt.
std::optional<SignedIn> CurrentSession(Service& s, const HttpRequest& req, HttpResponse& resp) {
  std::string value = CookieValue(req, CookieName(s));
  if (value.empty() || value.size() > 128) return std::nullopt;
  auto& web = s.WebStates(req);
  auto stored = web.Get(kSessionKind, value);
  if (!stored) {
    if (stored.error().code != ErrorCode::kNotFound) SendError(resp, stored.error());
    return std::nullopt;
  }
  auto bs = ParseSessionData(stored->data);
  if (!bs) return std::nullopt;
  int64_t now = web.Now();
  if (now >= SessionExpiry(*bs)) return std::nullopt;
  if (now - bs->last_seen >= kTouchEvery) {
    bs->last_seen = now;
    (void)web.Put(kSessionKind, value, SessionData(*bs), SessionExpiry(*bs));
  }
  return std::make_pair(value, *bs);
}

void StoreSession(Service& s, const HttpRequest& req, const std::string& cookie,
                  const Service::BrowserSession& session) {
  (void)s.WebStates(req).Put(kSessionKind, cookie, SessionData(session), SessionExpiry(session));
}

// A fresh session id (rotated at every sign-in), set as the cookie.
void StartSession(Service& s, const HttpRequest& req, HttpResponse& resp, const au::Session& auth,
                  const std::string& old_cookie) {
  auto raw = RandomBytes(32);
  if (!raw) return SendError(resp, raw.error());
  std::string value = Base64UrlEncode(*raw);
  auto& web = s.WebStates(req);
  Service::BrowserSession bs;
  bs.auth = auth;
  bs.auth.pending_step_up.reset();
  bs.created = bs.last_seen = web.Now();
  if (!old_cookie.empty()) (void)web.Delete(kSessionKind, old_cookie);
  if (auto r = web.Put(kSessionKind, value, SessionData(bs), SessionExpiry(bs)); !r) {
    return SendError(resp, r.error());
  }
  SetCookie(s, resp, value, false);
}

bool RequireSession(Service& s, const HttpRequest& req, HttpResponse& resp,
                    std::optional<SignedIn>& out) {
  out = CurrentSession(s, req, resp);
  if (!resp.error_code.empty()) return false;
  if (!out || out->second.auth.principal_id.empty()) {
    SendError(resp, 401, "not_signed_in", "not_signed_in: sign in first");
    return false;
  }
  return true;
}

// Who owns a pending sign-up of a principal: the hash of the newest sign-up ceremony's id (a
// newer sign-up of a credential-less name supersedes the pending one).
std::string SignupOwner(std::string_view ceremony_id) {
  return HexEncode(Sha256(AsBytes(ceremony_id)));
}

Result<void> PutCeremony(Service& s, const HttpRequest& req, const std::string& id,
                         const Service::PendingCeremony& c) {
  auto& web = s.WebStates(req);
  int64_t expires = web.Now() + static_cast<int64_t>(kCeremonyTtl);
  if (c.type == "signup" && !c.principal_id.empty()) {
    KW_TRY(web.Put(kSignupKind, c.principal_id, SignupOwner(id), expires));
  }
  return web.Put(kCeremonyKind, id, CeremonyData(c), expires);
}

// Removes and returns the ceremony when it exists (on any node), has the type and the binding;
// once across nodes. A store failure answers the request (resp.error_code set).
std::optional<Service::PendingCeremony> TakeCeremony(Service& s, const HttpRequest& req,
                                                     HttpResponse& resp, const std::string& id,
                                                     std::initializer_list<std::string_view> types,
                                                     const std::string& session_cookie) {
  if (id.empty()) return std::nullopt;
  auto& web = s.WebStates(req);
  auto peek = web.Get(kCeremonyKind, id);
  if (!peek) {
    if (peek.error().code != ErrorCode::kNotFound) SendError(resp, peek.error());
    return std::nullopt;
  }
  auto c = ParseCeremonyData(peek->data);
  if (!c) return std::nullopt;
  bool type_ok = std::find(types.begin(), types.end(), c->type) != types.end();
  std::string binding = session_cookie.empty() ? "" : SessionKey(session_cookie);
  if (!type_ok || (!c->session_key.empty() && c->session_key != binding)) return std::nullopt;
  auto taken = web.Take(kCeremonyKind, id);
  if (!taken) {
    if (taken.error().code != ErrorCode::kNotFound) SendError(resp, taken.error());
    return std::nullopt;  // another request took it first
  }
  if (c->type == "signup") {
    auto owner = web.Get(kSignupKind, c->principal_id);
    if (!owner || owner->data != SignupOwner(id)) return std::nullopt;  // superseded
    (void)web.Delete(kSignupKind, c->principal_id);
  }
  return c;
}

std::string AccountKey(std::string_view username) {
  std::string lower(username);
  for (char& ch : lower) ch = static_cast<char>(std::tolower(static_cast<unsigned char>(ch)));
  return "acct:" + HexEncode(Sha256(AsBytes(lower)));
}

// 429 when the IP or the account is in back-off after failed logins.
bool LoginBackoff(Service& s, const HttpRequest& req, const std::string& account_key,
                  HttpResponse& resp) {
  double now = MonotonicSeconds();
  uint32_t wait = s.login_backoff().LockedFor("ip:" + req.client_ip, now);
  if (!account_key.empty()) wait = std::max(wait, s.login_backoff().LockedFor(account_key, now));
  if (wait == 0) return false;
  resp.headers.emplace_back("Retry-After", std::to_string(wait));
  SendError(resp, 429, "rate_limited", "rate_limited: too many failed logins, retry later");
  return true;
}

void LoginOutcome(Service& s, const HttpRequest& req, const std::string& account_key, bool ok) {
  double now = MonotonicSeconds();
  if (ok) {
    s.login_backoff().Success("ip:" + req.client_ip);
    if (!account_key.empty()) s.login_backoff().Success(account_key);
  } else {
    s.login_backoff().Failure("ip:" + req.client_ip, now);
    if (!account_key.empty()) s.login_backoff().Failure(account_key, now);
  }
}

// A failed FinishLogin / FinishRegistration as the page sees it.
void CeremonyError(Service& s, HttpResponse& resp, const Error& e, const Json& credential,
                   std::string_view ceremony) {
  s.metrics().Ceremony(std::string(ceremony), "failure", std::string(ErrorCodeName(e.code)));
  if (e.code == ErrorCode::kNotFound && ceremony != "registration") {
    std::string id;
    if (credential.is_object()) {
      auto it = credential.find("id");
      if (it != credential.end() && it->is_string()) id = it->get<std::string>();
    }
    if (!Base64UrlDecode(id)) id.clear();
    Json extra = {{"credentialId", id}};
    return SendError(resp, 400, "credential_unknown",
                     "credential_unknown: this passkey is not registered here", extra.dump());
  }
  if (e.code == ErrorCode::kChallengeUnknown || e.code == ErrorCode::kChallengeExpired ||
      e.code == ErrorCode::kChallengeReplayed) {
    return SendError(resp, 400, ErrorCodeName(e.code), std::string(ErrorCodeName(e.code)));
  }
  SendError(resp, e);
}

// 403 step_up_required with the policy's decision (the level, the kinds reaching it) for the page.
void SendStepUpRequired(HttpResponse& resp, std::string_view why, const au::PolicyDecision& d) {
  SendError(resp, 403, "step_up_required", "step_up_required: " + std::string(why),
            StepUpExtra(d).dump());
}

void Ok(HttpResponse& resp, Json j) {
  j["status"] = "ok";
  SendJson(resp, 200, j.dump(-1, ' ', false, Json::error_handler_t::replace));
}

Result<Json> Options(const std::string& options_json) {
  KW_ASSIGN_OR_RETURN(Json o, ParseJson(options_json));
  return o;
}

}  // namespace

void AddBrowserRoutes(Service& service) {
  auto add = [&service](std::string path, Service::RouteHandler h) {
    service.AddRoute({"POST", std::move(path), std::move(h), true});
  };
  // A POST of a signed-in page: the body must be a JSON object, then a session is required.
  using SignedInHandler =
      void (*)(Service&, HttpRequest&, HttpResponse&, const Json& body, const SignedIn& session);
  auto add_signed_in = [&add](std::string path, SignedInHandler h) {
    add(std::move(path), [h](Service& s, HttpRequest& req, HttpResponse& resp) {
      auto body = ParseBodyObject(req, resp);
      if (!body) return;
      std::optional<SignedIn> session;
      if (!RequireSession(s, req, resp, session)) return;
      h(s, req, resp, *body, *session);
    });
  };

  add("/api/register/begin", [](Service& s, HttpRequest& req, HttpResponse& resp) {
    auto body = ParseBodyObject(req, resp);
    if (!body) return;
    auto& auth = s.Auth(req);
    auto kind_name = OptString(*body, "kind", resp);
    if (!kind_name) return;
    auto kind = au::CredentialKindFromName(kind_name->value_or("passkey"));
    if (!kind || *kind == au::CredentialKind::kSmartCard) {
      return SendError(resp, 400, "invalid_argument",
                       "invalid_argument: kind must be passkey or security_key");
    }
    auto username = OptString(*body, "username", resp);
    if (!username) return;
    auto display = OptString(*body, "displayName", resp);
    if (!display) return;
    auto session = CurrentSession(s, req, resp);
    if (!resp.error_code.empty()) return;
    Service::PendingCeremony c;
    std::string shown_name, shown_display;
    if (session && !session->second.auth.principal_id.empty() && !username->has_value()) {
      c.type = "add";
      c.session_key = SessionKey(session->first);
      c.principal_id = session->second.auth.principal_id;
    } else {
      if (!username->has_value()) {
        return SendError(resp, 400, "json_missing_field",
                         "json_missing_field: username is required to sign up");
      }
      std::string name(**username);
      if (name.empty() || name.size() > 64 || std::any_of(name.begin(), name.end(), [](char ch) {
            return static_cast<unsigned char>(ch) < 0x20;
          })) {
        return SendError(resp, 400, "invalid_argument",
                         "invalid_argument: username must be 1-64 characters");
      }
      shown_name = name;
      shown_display = display->has_value() ? std::string(**display) : name;
      if (shown_display.size() > 256) {
        return SendError(resp, 400, "invalid_argument",
                         "invalid_argument: displayName is at most 256 bytes");
      }
      double now = MonotonicSeconds();
      s.SweepBrowserState(auth, s.WebStates(req), now);
      auto existing = auth.FindPrincipalByName(name);
      bool taken = false;
      if (existing) {
        taken = true;
        // A name without a credential is free again: left by an abandoned sign-up, or by one
        // still pending (the browser's ceremony was cancelled, the server never hears of it).
        // A newer sign-up supersedes the pending one, whose finish then fails; the finish
        // below also refuses a sign-up whose principal ends with more than its one credential.
        // (PutCeremony records the new sign-up as the principal's owner: the older one's finish
        // then fails with ceremony_unknown, on whichever node it arrives.)
        auto creds = auth.ListCredentials(existing->id);
        if (creds && creds->empty()) {
          taken = false;
          c.principal_id = existing->id;
        }
      } else if (existing.error().code != ErrorCode::kNotFound) {
        return SendError(resp, existing.error());
      }
      c.type = "signup";
      if (taken) {
        // Same store work as a real sign-up; refused at finish.
        auto raw = RandomBytes(16);
        if (!raw) return SendError(resp, raw.error());
        auto decoy = auth.CreatePrincipal("~signup-decoy-" + HexEncode(*raw), "");
        if (!decoy) return SendError(resp, decoy.error());
        c.principal_id = decoy->id;
        c.decoy = true;
      } else if (c.principal_id.empty()) {
        auto p = auth.CreatePrincipal(name, shown_display);
        if (!p) return SendError(resp, p.error());
        c.principal_id = p->id;
      } else {
        (void)auth.SetDisplayName(c.principal_id, shown_display);
      }
    }
    auto start = auth.BeginRegistration(c.principal_id, *kind);
    if (!start) {
      if (c.decoy) (void)auth.ErasePrincipal(c.principal_id);
      return SendError(resp, start.error());
    }
    auto options = Options(start->options_json);
    if (!options) return SendError(resp, options.error());
    if (!shown_name.empty() && options->contains("user")) {
      (*options)["user"]["name"] = shown_name;
      (*options)["user"]["displayName"] = shown_display;
    }
    if (auto put = PutCeremony(s, req, start->ceremony_id, c); !put) {
      if (c.decoy) (void)auth.ErasePrincipal(c.principal_id);
      return SendError(resp, put.error());
    }
    s.metrics().Ceremony("registration", "begun", "");
    Ok(resp, {{"ceremonyId", start->ceremony_id}, {"publicKey", *options}});
  });

  add("/api/register/finish", [](Service& s, HttpRequest& req, HttpResponse& resp) {
    auto body = ParseBodyObject(req, resp);
    if (!body) return;
    auto id = ReqString(*body, "ceremonyId", resp);
    if (!id) return;
    auto cred = ReqObject(*body, "credential", resp);
    if (!cred) return;
    auto nickname = OptString(*body, "nickname", resp);
    if (!nickname) return;
    if (nickname->has_value() && (*nickname)->size() > 128) {
      return SendError(resp, 400, "invalid_argument", "invalid_argument: nickname too long");
    }
    auto session = CurrentSession(s, req, resp);
    if (!resp.error_code.empty()) return;
    std::string skey = session ? session->first : "";
    auto c = TakeCeremony(s, req, resp, std::string(*id), {"signup", "add"}, skey);
    if (!resp.error_code.empty()) return;
    if (!c) {
      return SendError(resp, 400, "ceremony_unknown",
                       "ceremony_unknown: start the registration again");
    }
    auto& auth = s.Auth(req);
    auto result = auth.FinishRegistration(*id, (*cred)->dump(),
                                          nickname->has_value() ? **nickname : std::string_view());
    if (c->decoy) {
      (void)auth.ErasePrincipal(c->principal_id);
      s.metrics().Ceremony("registration", "failure", "registration_failed");
      return SendError(resp, 400, "registration_failed",
                       "registration_failed: the account could not be created");
    }
    if (!result) {
      if (c->type == "signup") {
        // Nothing was stored for the new principal: the name is free again.
        auto creds = auth.ListCredentials(c->principal_id);
        if (creds && creds->empty()) (void)auth.ErasePrincipal(c->principal_id);
      }
      return CeremonyError(s, resp, result.error(), **cred, "registration");
    }
    if (c->type == "signup") {
      // Two sign-ups of one name racing through their finish: the account is the first one's;
      // a sign-up never adds a second credential to someone else's new account.
      auto creds = auth.ListCredentials(c->principal_id);
      if (!creds || creds->size() != 1) {
        (void)auth.RemoveCredential(result->id);
        s.metrics().Ceremony("registration", "failure", "registration_failed");
        return SendError(resp, 400, "registration_failed",
                         "registration_failed: the account could not be created");
      }
    }
    s.metrics().Ceremony("registration", "success", "");
    auto principal = auth.GetPrincipal(c->principal_id);
    if (!principal) return SendError(resp, principal.error());
    if (c->type == "signup") {
      au::Session fresh;
      fresh.principal_id = principal->id;
      // A new account's session stands on the registration ceremony: AAL1, or AAL2 with UV.
      fresh.aal = result->user_verified_at_registration ? au::Aal::kAal2 : au::Aal::kAal1;
      fresh.aal_reason = "registration";
      fresh.authenticated_at = static_cast<int64_t>(std::time(nullptr));
      StartSession(s, req, resp, fresh, skey);
      if (resp.status != 200 && !resp.body.empty()) return;
    }
    Ok(resp, {{"credential", CredentialView(*result)}, {"user", UserView(*principal)}});
  });

  add("/api/login/begin", [](Service& s, HttpRequest& req, HttpResponse& resp) {
    auto body = ParseBodyObject(req, resp);
    if (!body) return;
    auto username = OptString(*body, "username", resp);
    if (!username) return;
    auto& auth = s.Auth(req);
    s.SweepBrowserState(auth, s.WebStates(req), MonotonicSeconds());
    Service::PendingCeremony c;
    c.type = "login";
    Result<au::CeremonyStart> start = Fail(ErrorCode::kInternal, "");
    bool decoy = false;
    if (username->has_value() && !(*username)->empty()) {
      if ((*username)->size() > 64) {
        return SendError(resp, 400, "invalid_argument",
                         "invalid_argument: username must be 1-64 characters");
      }
      c.account_key = AccountKey(**username);
      auto p = auth.FindPrincipalByName(**username);
      if (p) {
        au::LoginRequest lr;
        lr.principal_id = p->id;
        start = auth.BeginLogin(lr);
      }
      if (!p || !start) {
        if (!p && p.error().code != ErrorCode::kNotFound) return SendError(resp, p.error());
        if (p && start.error().code != ErrorCode::kPolicyDenied) {
          return SendError(resp, start.error());
        }
        decoy = true;
        start = auth.BeginLogin({});
      }
    } else {
      start = auth.BeginLogin({});
    }
    if (!start) return SendError(resp, start.error());
    auto options = Options(start->options_json);
    if (!options) return SendError(resp, options.error());
    if (decoy) (*options)["allowCredentials"] = s.DecoyAllowCredentials(**username);
    if (auto put = PutCeremony(s, req, start->ceremony_id, c); !put) {
      return SendError(resp, put.error());
    }
    s.metrics().Ceremony("login", "begun", "");
    Ok(resp, {{"ceremonyId", start->ceremony_id}, {"publicKey", *options}});
  });

  add("/api/login/finish", [](Service& s, HttpRequest& req, HttpResponse& resp) {
    auto body = ParseBodyObject(req, resp);
    if (!body) return;
    auto id = ReqString(*body, "ceremonyId", resp);
    if (!id) return;
    auto cred = ReqObject(*body, "credential", resp);
    if (!cred) return;
    std::string account_key;
    if (!id->empty()) {
      auto peek = s.WebStates(req).Get(kCeremonyKind, *id);
      if (peek) {
        if (auto pc = ParseCeremonyData(peek->data)) account_key = pc->account_key;
      } else if (peek.error().code != ErrorCode::kNotFound) {
        return SendError(resp, peek.error());
      }
    }
    if (LoginBackoff(s, req, account_key, resp)) return;
    auto c = TakeCeremony(s, req, resp, std::string(*id), {"login"}, "");
    if (!resp.error_code.empty()) return;
    if (!c) {
      LoginOutcome(s, req, "", false);
      return SendError(resp, 400, "ceremony_unknown", "ceremony_unknown: start the login again");
    }
    auto session = CurrentSession(s, req, resp);
    if (!resp.error_code.empty()) return;
    au::Session auth_session;
    au::RequestContext ctx;
    ctx.ip = req.client_ip;
    auto& auth = s.Auth(req);
    auto result = auth.FinishLogin(*id, (*cred)->dump(), ctx, &auth_session);
    if (!result) {
      LoginOutcome(s, req, c->account_key, false);
      if (result.error().code == ErrorCode::kStepUpRequired && auth_session.pending_step_up) {
        s.metrics().Ceremony("login", "step_up_required", "step_up_required");
        return SendStepUpRequired(resp, "this sign-in needs a stronger authenticator",
                                  *auth_session.pending_step_up);
      }
      return CeremonyError(s, resp, result.error(), **cred, "login");
    }
    LoginOutcome(s, req, c->account_key, true);
    s.metrics().Ceremony("login", "success", "");
    StartSession(s, req, resp, auth_session, session ? session->first : "");
    if (!resp.error_code.empty()) return;
    Ok(resp, {{"user", UserView(result->principal)}, {"aal", au::AalName(auth_session.aal)}});
  });

  add("/api/logout", [](Service& s, HttpRequest& req, HttpResponse& resp) {
    auto body = ParseBodyObject(req, resp);
    if (!body) return;
    std::string cookie = CookieValue(req, CookieName(s));
    if (!cookie.empty() && cookie.size() <= 128) {
      if (auto r = s.WebStates(req).Delete(kSessionKind, cookie); !r) {
        return SendError(resp, r.error());
      }
    }
    SetCookie(s, resp, "", true);
    Ok(resp, Json::object());
  });

  service.AddRoute({"GET", "/api/me", [](Service& s, HttpRequest& req, HttpResponse& resp) {
                      std::optional<SignedIn> session;
                      if (!RequireSession(s, req, resp, session)) return;
                      auto& auth = s.Auth(req);
                      auto p = auth.GetPrincipal(session->second.auth.principal_id);
                      if (!p) {
                        // Erased meanwhile.
                        (void)s.WebStates(req).Delete(kSessionKind, session->first);
                        return SendError(resp, 401, "not_signed_in",
                                         "not_signed_in: sign in first");
                      }
                      auto creds = auth.ListCredentials(p->id);
                      if (!creds) return SendError(resp, creds.error());
                      Json list = Json::array();
                      for (const auto& c : *creds) list.push_back(CredentialView(c));
                      Ok(resp, {{"rpId", s.config().rp_id},
                                {"user", UserView(*p)},
                                {"aal", au::AalName(session->second.auth.aal)},
                                {"credentials", list}});
                    }});

  add_signed_in("/api/credentials/rename", [](Service& s, HttpRequest& req, HttpResponse& resp,
                                              const Json& body, const SignedIn& session) {
    auto id = ReqString(body, "id", resp);
    if (!id) return;
    auto nickname = ReqString(body, "nickname", resp);
    if (!nickname) return;
    if (nickname->size() > 128) {
      return SendError(resp, 400, "invalid_argument", "invalid_argument: nickname too long");
    }
    auto& auth = s.Auth(req);
    auto owned = OwnedCredential(auth, session.second.auth.principal_id, *id, resp);
    if (!owned) return;
    if (auto r = auth.RenameCredential(owned->id, *nickname); !r) return SendError(resp, r.error());
    Ok(resp, Json::object());
  });

  add_signed_in("/api/credentials/remove", [](Service& s, HttpRequest& req, HttpResponse& resp,
                                              const Json& body, const SignedIn& session) {
    auto id = ReqString(body, "id", resp);
    if (!id) return;
    auto confirm = OptBool(body, "confirmLast", resp);
    if (!confirm) return;
    auto& auth = s.Auth(req);
    auto owned = OwnedCredential(auth, session.second.auth.principal_id, *id, resp);
    if (!owned) return;
    auto creds = auth.ListCredentials(session.second.auth.principal_id);
    if (!creds) return SendError(resp, creds.error());
    if (creds->size() == 1 && !confirm->value_or(false)) {
      return SendError(resp, 409, "last_credential",
                       "last_credential: this is your only passkey; confirm to remove it");
    }
    if (auto r = auth.RemoveCredential(owned->id); !r) return SendError(resp, r.error());
    Json accepted = Json::array();
    for (const auto& c : *creds) {
      if (c.id != owned->id) accepted.push_back(Base64UrlEncode(c.id));
    }
    Ok(resp, {{"acceptedCredentialIds", accepted}});
  });

  add_signed_in("/api/profile", [](Service& s, HttpRequest& req, HttpResponse& resp,
                                   const Json& body, const SignedIn& session) {
    auto display = ReqString(body, "displayName", resp);
    if (!display) return;
    auto& auth = s.Auth(req);
    if (auto r = auth.SetDisplayName(session.second.auth.principal_id, *display); !r) {
      return SendError(resp, r.error());
    }
    auto p = auth.GetPrincipal(session.second.auth.principal_id);
    if (!p) return SendError(resp, p.error());
    Ok(resp, {{"user", UserView(*p)}});
  });

  add_signed_in("/api/action", [](Service& s, HttpRequest& req, HttpResponse& resp,
                                  const Json& body, const SignedIn& session) {
    auto action = ReqString(body, "action", resp);
    if (!action) return;
    auto& auth = s.Auth(req);
    au::Session as = session.second.auth;
    auto r = auth.Authorize(&as, *action);
    if (r) return Ok(resp, Json::object());
    if (r.error().code == ErrorCode::kStepUpRequired && as.pending_step_up) {
      return SendStepUpRequired(resp, "this action needs a stronger sign-in", *as.pending_step_up);
    }
    if (r.error().code == ErrorCode::kPolicyDenied) {
      return SendError(resp, 400, "invalid_argument", "invalid_argument: unknown action");
    }
    SendError(resp, r.error());
  });

  add_signed_in("/api/stepup/begin", [](Service& s, HttpRequest& req, HttpResponse& resp,
                                        const Json& body, const SignedIn& session) {
    auto action = ReqString(body, "action", resp);
    if (!action) return;
    auto& auth = s.Auth(req);
    au::Session probe = session.second.auth;
    probe.aal = au::Aal::kAal1;  // ask the policy which level the action needs
    auto r = auth.Authorize(&probe, *action);
    au::Aal target = au::Aal::kAal1;
    if (!r) {
      if (r.error().code == ErrorCode::kStepUpRequired && probe.pending_step_up) {
        target = probe.pending_step_up->required_aal;
      } else if (r.error().code == ErrorCode::kPolicyDenied) {
        return SendError(resp, 400, "invalid_argument", "invalid_argument: unknown action");
      } else {
        return SendError(resp, r.error());
      }
    }
    au::LoginRequest lr;
    lr.principal_id = session.second.auth.principal_id;
    lr.step_up_to = target;
    auto start = auth.BeginLogin(lr);
    if (!start) return SendError(resp, start.error());
    auto options = Options(start->options_json);
    if (!options) return SendError(resp, options.error());
    Service::PendingCeremony c;
    c.type = "stepup";
    c.session_key = SessionKey(session.first);
    c.principal_id = session.second.auth.principal_id;
    c.action = std::string(*action);
    if (auto put = PutCeremony(s, req, start->ceremony_id, c); !put) {
      return SendError(resp, put.error());
    }
    s.metrics().Ceremony("step_up", "begun", "");
    Ok(resp, {{"ceremonyId", start->ceremony_id}, {"publicKey", *options}});
  });

  add_signed_in("/api/stepup/finish", [](Service& s, HttpRequest& req, HttpResponse& resp,
                                         const Json& body, const SignedIn& session) {
    auto id = ReqString(body, "ceremonyId", resp);
    if (!id) return;
    auto cred = ReqObject(body, "credential", resp);
    if (!cred) return;
    std::string account_key = "acct-id:" + session.second.auth.principal_id;
    if (LoginBackoff(s, req, account_key, resp)) return;
    auto c = TakeCeremony(s, req, resp, std::string(*id), {"stepup"}, session.first);
    if (!resp.error_code.empty()) return;
    if (!c) {
      return SendError(resp, 400, "ceremony_unknown", "ceremony_unknown: start the step-up again");
    }
    au::Session as = session.second.auth;
    au::RequestContext ctx;
    ctx.ip = req.client_ip;
    ctx.action = c->action;
    auto& auth = s.Auth(req);
    auto result = auth.FinishLogin(*id, (*cred)->dump(), ctx, &as);
    if (!result) {
      LoginOutcome(s, req, account_key, false);
      if (result.error().code == ErrorCode::kStepUpRequired && as.pending_step_up) {
        s.metrics().Ceremony("step_up", "failure", "step_up_required");
        return SendStepUpRequired(resp, "this authenticator does not reach the level",
                                  *as.pending_step_up);
      }
      return CeremonyError(s, resp, result.error(), **cred, "step_up");
    }
    LoginOutcome(s, req, account_key, true);
    if (result->principal.id != c->principal_id) {
      return SendError(resp, 400, "credential_not_allowed",
                       "credential_not_allowed: a credential of another account");
    }
    s.metrics().Ceremony("step_up", "success", "");
    Service::BrowserSession raised = session.second;
    raised.auth = as;
    raised.auth.pending_step_up.reset();
    StoreSession(s, req, session.first, raised);
    Ok(resp, {{"aal", au::AalName(as.aal)}});
  });
}

void Service::SweepBrowserState(au::Authenticator& auth, au::WebStateStore& web, double now) {
  {
    std::lock_guard lock(browser_mu);
    if (now - last_sweep < 30) return;
    last_sweep = now;
  }
  // Each expired entry comes back to exactly one node.
  auto expired = web.Sweep(1000);
  if (!expired) return;
  for (const auto& e : *expired) {
    if (e.kind != kCeremonyKind) continue;
    auto c = ParseCeremonyData(e.data);
    if (!c || c->type != "signup") continue;
    auto creds = auth.ListCredentials(c->principal_id);
    if (creds && creds->empty()) (void)auth.ErasePrincipal(c->principal_id);
  }
}

}  // namespace keyward::serve
