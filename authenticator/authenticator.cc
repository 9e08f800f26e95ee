// The facade: ceremonies dispatched to keyward::webauthn (passkeys, security keys) and to the
// certificate checks (smart cards), with the store, policy, assurance and audit around them.
#include "keyward/authenticator.h"

#include <algorithm>
#include <functional>
#include <mutex>

#include "authenticator/certificate_login.h"
#include "authenticator/json_view.h"
#include "authenticator/policy.h"
#include "authenticator/store_url.h"
#include "authenticator/trust_source.h"
#include "core/base64url.h"
#include "core/hash.h"
#include "core/json.h"
#include "core/x509.h"
#include "keyward/webauthn.h"

namespace keyward::authenticator {

struct KEYWARD_HIDDEN Authenticator::Impl {
  AuthenticatorConfig config;
  Policy policy;
  std::unique_ptr<CredentialStore> store;
  std::vector<Certificate> smart_card_anchors;
  std::vector<X509CrlPtr> smart_card_crls;
  std::vector<X509_CRL*> smart_card_crl_ptrs;  // views of smart_card_crls for ChainOptions
  std::unique_ptr<TrustSource> trust_source;   // attestation trust, MDS, authenticator names

  int64_t Now() const { return config.clock ? config.clock() : UnixNow(); }

  // Records a failed ceremony and returns its error (the audit write's own failure is secondary).
  Unexpected AuditFailure(AuditEvent ev, Error error) {
    ev.outcome = "failure";
    ev.code = std::string(ErrorCodeName(error.code));
    (void)store->AppendAudit(ev);
    return Fail(std::move(error));
  }

  // A login that fails after its challenge was read: spend the challenge and audit the failure in
  // one transaction. When a concurrent login spent the challenge first, this response is a replay
  // of an answered ceremony: the result is challenge_replayed, whatever else was wrong with it
  // (deterministic for the loser of two racing submissions, which may have read the winner's
  // counter and so seen a regression).
  Unexpected SpendAndFail(ByteSpan challenge, int64_t now, AuditEvent ev, Error error) {
    AuditEvent failed = ev;
    failed.outcome = "failure";
    failed.code = std::string(ErrorCodeName(error.code));
    return SpendOrReplayed(challenge, now, std::move(ev), failed, std::move(error));
  }

  // Spends the challenge with `record` as its audit record and returns `error`; see SpendAndFail.
  Unexpected SpendOrReplayed(ByteSpan challenge, int64_t now, AuditEvent base,
                             const AuditEvent& record, Error error) {
    auto spent = store->SpendChallenge(challenge, now, &record);
    if (!spent && spent.error().code == ErrorCode::kChallengeReplayed) {
      return AuditFailure(std::move(base), spent.error());
    }
    if (!spent) (void)store->AppendAudit(record);
    return Fail(std::move(error));
  }

  webauthn::OriginPolicy Origins() const {
    webauthn::OriginPolicy o;
    o.origins = config.origins;
    return o;
  }

  // The policy's answer for a login whose proof verified; no store access.
  struct Decided {
    AuthResult result;           // credential: as it will be stored (new counter, last used)
    AuditEvent event;            // the login record (success / step_up_required / denied)
    std::optional<Error> error;  // policy_denied or step_up_required
    bool deny = false;           // denied: the challenge is spent, the counter kept
    uint32_t expected_sign_count = 0;
    uint32_t stored_count = 0;
    bool backup_state = false;
    std::optional<AuditEvent> step_up_event;  // the caller's session is raised
  };
  Decided Decide(const Principal& principal, Credential credential, const LoginFacts& facts,
                 RiskSignals risk, const Json& state, const RequestContext& context, int64_t now,
                 uint32_t new_sign_count, bool backup_state,
                 const std::vector<Credential>& principal_credentials,
                 const Session* session) const;
  // After the commit: the session and the result.
  Result<AuthResult> Finish(Decided d, Session* session);
  // What a login's planner (CredentialStore::RunLogin) leaves for its caller.
  struct PlannedLogin {
    AuditEvent ev;                    // the failure record's base
    std::optional<Error> failure;     // a refusal decided from the snapshot
    std::optional<Decided> decided;   // the proof verified: the policy's decision
  };
  // A refusal decided from the snapshot: audited, the challenge spent when `spend` (it was read
  // and is still open).
  static LoginWrite Refuse(PlannedLogin& out, Error e, bool spend);
  // The writes of a decided login: the challenge spent, the record(s), and unless denied the
  // counter's compare-and-set.
  static LoginWrite Writes(PlannedLogin& out, Decided d, ByteSpan credential_id);
  // RunLogin's answer as the caller's result: the store unavailable (retryable), the loser of a
  // race (challenge_replayed), a counter that moved after the snapshot, else the decision.
  Result<AuthResult> Conclude(Result<void> ran, PlannedLogin& out, ByteSpan challenge, int64_t now,
                              Session* session);
  // Both smart-card logins in ONE store transaction: the ceremony, the enrolled smart-card
  // credential with this certificate fingerprint (which the ceremony must have asked for), its
  // certificate re-validated at `now` (anchors, validity, CRLs: the enrolment-time verdict is never
  // trusted), the card's own proof (`evidence`, given the challenge), the PIN for a step-up, then
  // policy, the challenge spent, the use recorded and the audit record committed together. Every
  // refusal is audited (and spends the challenge once it was read).
  Result<AuthResult> RunCardLogin(std::string_view ceremony_id, const Result<Bytes>& fingerprint,
                                  bool pin_verified, bool hardware_key,
                                  const std::function<Result<void>(ByteSpan)>& evidence,
                                  const RequestContext& context, int64_t now, Session* session);
};

namespace {

Result<Bytes> CeremonyChallenge(std::string_view ceremony_id) {
  auto b = Base64UrlDecode(ceremony_id);
  if (!b || b->size() < 16) {
    return Fail(ErrorCode::kChallengeUnknown, "ceremony id is not a challenge this store issued");
  }
  return *b;
}

AuditEvent MakeEvent(int64_t now, std::string event, std::string principal_id = {}) {
  AuditEvent e;
  e.time = now;
  e.event = std::move(event);
  e.outcome = "success";
  e.principal_id = std::move(principal_id);
  return e;
}

std::vector<std::string> KindNames(const std::vector<CredentialKind>& kinds) {
  std::vector<std::string> out;
  for (auto k : kinds) out.emplace_back(CredentialKindName(k));
  return out;
}

bool KindListed(const Json& state, CredentialKind kind) {
  auto it = state.find("kinds");
  if (it == state.end() || !it->is_array() || it->empty()) return true;
  for (const auto& k : *it) {
    if (k.is_string() && k.get<std::string>() == CredentialKindName(kind)) return true;
  }
  return false;
}

AuditEvent CardLoginEvent(int64_t now, const RequestContext& context) {
  AuditEvent ev = MakeEvent(now, "login");
  ev.action = context.action;
  ev.kind = "smart_card";
  return ev;
}

std::optional<Aal> StateStepUp(const Json& state) {
  auto it = state.find("step_up_to");
  if (it == state.end() || !it->is_string()) return std::nullopt;
  return AalFromName(it->get<std::string>());
}

}  // namespace

Authenticator::Authenticator(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}
Authenticator::~Authenticator() = default;

Result<std::unique_ptr<Authenticator>> Authenticator::Open(const AuthenticatorConfig& config) {
  auto impl = std::make_unique<Impl>();
  impl->config = config;
  if (config.db_path.empty() && config.store_url.empty()) {
    return Fail(ErrorCode::kConfigInvalid, "store_url (or db_path) is required");
  }
  StoreUrl url;
  if (config.store_url.empty()) {
    url.target = config.db_path;  // a plain SQLite path, whatever it looks like
  } else {
    KW_ASSIGN_OR_RETURN(url, ParseStoreUrl(config.store_url));
  }
  KW_ASSIGN_OR_RETURN(impl->policy, Policy::Load(config.policy));
  for (const Bytes& der : config.smart_card_anchors) {
    KW_ASSIGN_OR_RETURN(Certificate c, Certificate::ParseDer(der, CertificateRole::kIssuer));
    impl->smart_card_anchors.push_back(std::move(c));
  }
  for (const Bytes& crl : config.smart_card_crls) {
    KW_ASSIGN_OR_RETURN(X509CrlPtr c, ParseCrl(crl));
    impl->smart_card_crl_ptrs.push_back(c.get());
    impl->smart_card_crls.push_back(std::move(c));
  }
  StoreOpenOptions store_options;
  store_options.relaxed_durability = config.store_relaxed_durability;
  store_options.pool_size = config.store_pool_size;
  KW_ASSIGN_OR_RETURN(impl->store, OpenCredentialStore(url, store_options));
  KW_ASSIGN_OR_RETURN(impl->trust_source, TrustSource::Open(config));
  return std::unique_ptr<Authenticator>(new Authenticator(std::move(impl)));
}

// ---- principals ----

Result<Principal> Authenticator::CreatePrincipal(std::string_view name,
                                                 std::string_view display_name) {
  if (name.empty() || name.size() > 256 || display_name.size() > 256) {
    return Fail(ErrorCode::kInvalidArgument, "name must be 1..256 bytes, display name <= 256");
  }
  Principal p;
  KW_ASSIGN_OR_RETURN(Bytes id, RandomBytes(16));
  p.id = "p_" + HexEncode(id);
  KW_ASSIGN_OR_RETURN(p.user_handle, RandomBytes(32));
  p.name = std::string(name);
  p.display_name = std::string(display_name);
  p.created_at = impl_->Now();
  AuditEvent ev = MakeEvent(p.created_at, "principal_created", p.id);
  KW_TRY(impl_->store->CreatePrincipal(p, &ev));
  return p;
}

Result<Principal> Authenticator::GetPrincipal(std::string_view principal_id) {
  return impl_->store->GetPrincipal(principal_id);
}
Result<Principal> Authenticator::FindPrincipalByName(std::string_view name) {
  return impl_->store->FindPrincipalByName(name);
}
Result<std::vector<Principal>> Authenticator::ListPrincipals() {
  return impl_->store->ListPrincipals();
}
Result<std::vector<Credential>> Authenticator::ListCredentials(std::string_view principal_id) {
  KW_TRY(impl_->store->GetPrincipal(principal_id));
  KW_ASSIGN_OR_RETURN(auto creds, impl_->store->ListCredentials(principal_id));
  for (Credential& c : creds) impl_->trust_source->Name(&c);
  return creds;
}

// ---- registration ----

Result<CeremonyStart> Authenticator::BeginRegistration(std::string_view principal_id,
                                                       CredentialKind kind) {
  if (kind == CredentialKind::kSmartCard) {
    return Fail(ErrorCode::kInvalidArgument, "smart cards enrol with EnrollCertificate");
  }
  const Policy& policy = impl_->policy;
  if (!policy.Allows(kind)) {
    return Fail(ErrorCode::kPolicyDenied,
                std::string(CredentialKindName(kind)) + " is not allowed by the policy");
  }
  KW_ASSIGN_OR_RETURN(Principal p, impl_->store->GetPrincipal(principal_id));
  KW_ASSIGN_OR_RETURN(auto existing, impl_->store->ListCredentials(p.id));
  webauthn::CreationOptions o;
  o.rp = {impl_->config.rp_id,
          impl_->config.rp_name.empty() ? impl_->config.rp_id : impl_->config.rp_name};
  o.user = {p.user_handle, p.name, p.display_name};
  KW_ASSIGN_OR_RETURN(o.challenge, webauthn::NewChallenge());
  o.timeout_ms = static_cast<uint32_t>(policy.challenge_ttl_seconds * 1000);
  for (const Credential& c : existing) {
    if (c.kind != CredentialKind::kSmartCard) o.exclude_credentials.push_back({c.id, c.transports});
  }
  o.authenticator_selection.user_verification = policy.user_verification;
  if (kind == CredentialKind::kPasskey) {
    o.authenticator_selection.resident_key = "required";
    o.hints = {"client-device", "hybrid"};
    o.extensions.cred_props = true;
  } else {
    o.authenticator_selection.authenticator_attachment = "cross-platform";
    o.authenticator_selection.resident_key = "discouraged";
    o.hints = {"security-key"};
  }
  o.attestation =
      (policy.attestation == "trusted" || kind == CredentialKind::kSecurityKey) ? "direct" : "none";
  KW_ASSIGN_OR_RETURN(std::string options_json, webauthn::CreationOptionsToJson(o));
  const int64_t now = impl_->Now();
  ChallengeRecord rec;
  rec.challenge = o.challenge;
  rec.purpose = "register";
  rec.principal_id = p.id;
  rec.state_json = Json{{"kind", CredentialKindName(kind)}}.dump();
  rec.created_at = now;
  rec.expires_at = now + policy.challenge_ttl_seconds;
  KW_TRY(impl_->store->PutChallenge(rec));
  return CeremonyStart{Base64UrlEncode(o.challenge), std::move(options_json), o.challenge,
                       rec.expires_at};
}

Result<Credential> Authenticator::FinishRegistration(std::string_view ceremony_id,
                                                     std::string_view response_json,
                                                     std::string_view nickname) {
  Impl& im = *impl_;
  const int64_t now = im.Now();
  AuditEvent ev = MakeEvent(now, "registration");
  auto challenge = CeremonyChallenge(ceremony_id);
  if (!challenge) return im.AuditFailure(ev, challenge.error());
  auto rec = im.store->ConsumeChallenge(*challenge, "register", now);
  if (!rec) return im.AuditFailure(ev, rec.error());
  ev.principal_id = rec->principal_id;
  auto state = ParseJson(rec->state_json);
  CredentialKind kind = CredentialKind::kPasskey;
  if (state && state->contains("kind") && (*state)["kind"].is_string()) {
    kind = CredentialKindFromName((*state)["kind"].get<std::string>()).value_or(kind);
  }
  ev.kind = std::string(CredentialKindName(kind));

  webauthn::RegistrationExpectations exp;
  exp.challenge = *challenge;
  exp.rp_id = im.config.rp_id;
  exp.origin = im.Origins();
  exp.require_user_verification = im.policy.RequiresUv();
  TrustSource::Use trust;
  im.trust_source->Current(&trust);
  exp.trust = trust.store;
  exp.verify_time = now;
  auto reg = webauthn::VerifyRegistrationResponseJson(response_json, exp);
  if (!reg) return im.AuditFailure(ev, reg.error());
  ev.credential_id = reg->credential_id;

  // A backup-eligible credential can leave the device: it is a (synced) passkey whatever was asked.
  if (reg->flags.backup_eligible) kind = CredentialKind::kPasskey;
  ev.kind = std::string(CredentialKindName(kind));
  RegistrationFacts facts;
  facts.kind = kind;
  facts.user_verified = reg->flags.user_verified;
  facts.backup_eligible = reg->flags.backup_eligible;
  facts.trust_status = std::string(webauthn::TrustStatusName(reg->trust.status));
  facts.attestation_type = std::string(webauthn::AttestationTypeName(reg->attestation_type));
  facts.aaguid = reg->aaguid;
  if (auto ok = CheckRegistration(im.policy, facts); !ok) return im.AuditFailure(ev, ok.error());

  Credential c;
  c.id = reg->credential_id;
  c.principal_id = rec->principal_id;
  c.kind = kind;
  c.public_key = reg->credential_public_key;
  c.alg = reg->alg;
  c.sign_count = reg->sign_count;
  c.aaguid = reg->aaguid;
  c.attestation_fmt = reg->fmt;
  c.attestation_type = std::string(webauthn::AttestationTypeName(reg->attestation_type));
  c.trust_status = facts.trust_status;
  c.trust_anchor = reg->trust.anchor;
  c.transports = reg->transports;
  c.backup_eligible = reg->flags.backup_eligible;
  c.backup_state = reg->flags.backup_state;
  c.user_verified_at_registration = reg->flags.user_verified;
  c.created_at = now;
  c.nickname = std::string(nickname);
  if (auto added = im.store->AddCredential(c, &ev); !added) {
    return im.AuditFailure(ev, added.error());
  }
  im.trust_source->Name(&c);
  return c;
}

Result<Credential> Authenticator::EnrollCertificate(std::string_view principal_id,
                                                    const CertificateEnrollment& enrollment) {
  Impl& im = *impl_;
  const int64_t now = im.Now();
  AuditEvent ev = MakeEvent(now, "enrollment", std::string(principal_id));
  ev.kind = "smart_card";
  if (!im.policy.Allows(CredentialKind::kSmartCard)) {
    return im.AuditFailure(ev, Error{ErrorCode::kPolicyDenied, 0, "smart cards are not allowed"});
  }
  KW_ASSIGN_OR_RETURN(Principal p, im.store->GetPrincipal(principal_id));
  auto validated =
      ValidateSmartCardCertificate(enrollment, im.smart_card_anchors, im.smart_card_crl_ptrs, now);
  if (!validated) return im.AuditFailure(ev, validated.error());
  const Certificate& cert = validated->certificate;
  const Sha256Digest fp = cert.Fingerprint();
  Credential c;
  c.id = Bytes(fp.begin(), fp.end());
  c.principal_id = p.id;
  c.kind = CredentialKind::kSmartCard;
  c.certificate = ToBytes(cert.der());
  c.certificate_intermediates = enrollment.intermediates;
  c.cert_issuer = cert.Issuer();
  c.cert_serial = cert.SerialHex();
  c.cert_subject = cert.Subject();
  c.attestation_fmt = "x509";
  c.attestation_type = "certificate";
  c.trust_status = "trusted";
  c.trust_anchor = validated->anchor_subject;
  c.created_at = now;
  c.nickname = enrollment.nickname;
  ev.credential_id = c.id;
  if (auto added = im.store->AddCredential(c, &ev); !added) {
    return im.AuditFailure(ev, added.error());
  }
  return c;
}

// ---- login ----

Result<CeremonyStart> Authenticator::BeginLogin(const LoginRequest& request) {
  Impl& im = *impl_;
  const Policy& policy = im.policy;
  const int64_t now = im.Now();
  std::vector<CredentialKind> kinds;
  for (CredentialKind k :
       request.kinds.empty()
           ? std::vector<CredentialKind>{CredentialKind::kPasskey, CredentialKind::kSecurityKey,
                                         CredentialKind::kSmartCard}
           : request.kinds) {
    if (policy.Allows(k)) kinds.push_back(k);
  }
  if (kinds.empty()) return Fail(ErrorCode::kPolicyDenied, "no requested kind is allowed");

  webauthn::RequestOptions o;
  KW_ASSIGN_OR_RETURN(o.challenge, webauthn::NewChallenge());
  o.rp_id = im.config.rp_id;
  o.timeout_ms = static_cast<uint32_t>(policy.challenge_ttl_seconds * 1000);
  o.user_verification = request.step_up_to ? "required" : policy.user_verification;
  Json state = Json::object();
  state["kinds"] = KindNames(kinds);
  if (request.step_up_to) state["step_up_to"] = AalName(*request.step_up_to);
  bool any_webauthn = false;
  if (request.principal_id) {
    KW_ASSIGN_OR_RETURN(Principal p, im.store->GetPrincipal(*request.principal_id));
    KW_ASSIGN_OR_RETURN(auto creds, im.store->ListCredentials(p.id));
    size_t usable = 0;
    for (const Credential& c : creds) {
      if (std::find(kinds.begin(), kinds.end(), c.kind) == kinds.end()) continue;
      if (c.backup_eligible && !policy.allow_synced_passkeys) continue;
      if (request.step_up_to && MaxReachableAal(c) < *request.step_up_to) continue;
      ++usable;
      if (c.kind != CredentialKind::kSmartCard) {
        o.allow_credentials.push_back({c.id, c.transports});
        any_webauthn = true;
      }
    }
    if (usable == 0) {
      return Fail(ErrorCode::kPolicyDenied,
                  "the principal has no credential that can satisfy this login");
    }
    Json allow = Json::array();
    for (const auto& d : o.allow_credentials) allow.push_back(Base64UrlEncode(d.id));
    state["allow"] = allow;
  } else {
    any_webauthn = std::any_of(kinds.begin(), kinds.end(),
                               [](CredentialKind k) { return k != CredentialKind::kSmartCard; });
  }
  CeremonyStart start;
  if (any_webauthn) {
    if (std::find(kinds.begin(), kinds.end(), CredentialKind::kSecurityKey) != kinds.end() &&
        std::find(kinds.begin(), kinds.end(), CredentialKind::kPasskey) == kinds.end()) {
      o.hints = {"security-key"};
    }
    KW_ASSIGN_OR_RETURN(start.options_json, webauthn::RequestOptionsToJson(o));
  }
  ChallengeRecord rec;
  rec.challenge = o.challenge;
  rec.purpose = "login";
  rec.principal_id = request.principal_id.value_or("");
  rec.state_json = state.dump();
  rec.created_at = now;
  rec.expires_at = now + policy.challenge_ttl_seconds;
  KW_TRY(im.store->PutChallenge(rec));
  start.ceremony_id = Base64UrlEncode(o.challenge);
  start.challenge = o.challenge;
  start.expires_at = rec.expires_at;
  return start;
}

Authenticator::Impl::Decided Authenticator::Impl::Decide(
    const Principal& principal, Credential credential, const LoginFacts& facts, RiskSignals risk,
    const Json& state, const RequestContext& context, int64_t now, uint32_t new_sign_count,
    bool backup_state, const std::vector<Credential>& principal_credentials,
    const Session* session) const {
  Decided d;
  AuditEvent& ev = d.event;
  ev = MakeEvent(now, "login", principal.id);
  ev.credential_id = credential.id;
  ev.kind = std::string(CredentialKindName(credential.kind));
  ev.action = context.action;
  ev.risk = risk.Names();

  AuthResult& result = d.result;
  result.principal = principal;
  result.kind = credential.kind;
  result.assurance = ComputeAssurance(facts);
  result.user_verified = facts.user_verified;
  result.risk = risk;
  result.decision =
      Evaluate(policy, facts, result.assurance, risk, context, now, principal_credentials);
  // A step-up ceremony must reach the level it was started for.
  if (auto target = StateStepUp(state);
      target && result.decision.outcome == Decision::kAllow && result.assurance.level < *target) {
    result.decision.outcome = Decision::kStepUp;
    result.decision.required_aal = *target;
    result.decision.reasons.push_back("step_up_ceremony_below_target");
  }
  ev.aal = std::string(AalName(result.assurance.level));
  ev.reasons = result.decision.reasons;
  d.expected_sign_count = credential.sign_count;
  d.stored_count = std::max(credential.sign_count, new_sign_count);
  d.backup_state = backup_state;

  if (result.decision.outcome == Decision::kDeny) {
    // The stored counter stays where it was: a clone's lower counter must not replace it.
    d.deny = true;
    ev.outcome = "denied";
    ev.code = std::string(ErrorCodeName(ErrorCode::kPolicyDenied));
    std::string detail = "policy denied:";
    for (const auto& r : result.decision.reasons) detail += " " + r;
    d.error = Error{ErrorCode::kPolicyDenied, 0, std::move(detail)};
    return d;
  }
  credential.sign_count = d.stored_count;
  credential.backup_state = backup_state;
  credential.last_used_at = now;
  result.credential = std::move(credential);
  if (result.decision.outcome == Decision::kStepUp) {
    ev.outcome = "step_up_required";
    ev.code = std::string(ErrorCodeName(ErrorCode::kStepUpRequired));
    std::string detail = "step-up to " + std::string(AalName(result.decision.required_aal)) +
                         " required; satisfied by:";
    for (auto k : result.decision.satisfying_kinds)
      detail += " " + std::string(CredentialKindName(k));
    d.error = Error{ErrorCode::kStepUpRequired, static_cast<uint32_t>(result.decision.required_aal),
                    std::move(detail)};
    return d;
  }
  // A session of this principal raised to a higher level: a step_up record beside the login's.
  if (session != nullptr && session->principal_id == principal.id &&
      result.assurance.level > session->aal) {
    AuditEvent up = MakeEvent(now, "step_up", principal.id);
    up.aal = std::string(AalName(result.assurance.level));
    up.kind = ev.kind;
    up.credential_id = result.credential.id;
    d.step_up_event = std::move(up);
  }
  return d;
}

Result<AuthResult> Authenticator::Impl::Finish(Decided d, Session* session) {
  if (d.error) {
    if (d.error->code == ErrorCode::kStepUpRequired && session != nullptr) {
      session->pending_step_up = d.result.decision;
    }
    return Fail(std::move(*d.error));
  }
  AuthResult& result = d.result;
  if (session != nullptr) {
    if (session->principal_id != result.principal.id) *session = Session{};
    if (result.assurance.level > session->aal || session->principal_id.empty()) {
      session->aal = std::max(session->aal, result.assurance.level);
      session->aal_reason = result.assurance.reason;
    }
    session->principal_id = result.principal.id;
    session->authenticated_at = result.credential.last_used_at;
    session->pending_step_up.reset();
  }
  trust_source->Name(&result.credential);
  return std::move(result);
}

LoginWrite Authenticator::Impl::Refuse(PlannedLogin& out, Error e, bool spend) {
  LoginWrite w;
  AuditEvent failed = out.ev;
  failed.outcome = "failure";
  failed.code = std::string(ErrorCodeName(e.code));
  w.spend = spend;
  w.audit = {std::move(failed)};
  out.failure = std::move(e);
  return w;
}

LoginWrite Authenticator::Impl::Writes(PlannedLogin& out, Decided d, ByteSpan credential_id) {
  LoginWrite w;
  w.spend = true;
  w.audit.push_back(d.event);
  if (!d.deny) {
    w.record_use = true;
    w.credential_id = ToBytes(credential_id);
    w.expected_sign_count = d.expected_sign_count;
    w.new_sign_count = d.stored_count;
    w.backup_state = d.backup_state;
    if (d.step_up_event) w.audit.push_back(*d.step_up_event);
  }
  out.decided = std::move(d);
  return w;
}

Result<AuthResult> Authenticator::Impl::Conclude(Result<void> ran, PlannedLogin& out,
                                                 ByteSpan challenge, int64_t now,
                                                 Session* session) {
  if (!ran) {
    const ErrorCode code = ran.error().code;
    if (code == ErrorCode::kStoreUnavailable) return Fail(ran.error());
    // Another login spent the challenge after our snapshot: this response answered an answered
    // ceremony (the loser of two racing submissions may have read the winner's counter and seen a
    // regression: the replay, not that, is the answer).
    if (code == ErrorCode::kChallengeReplayed) return AuditFailure(out.ev, ran.error());
    if (out.decided && !out.decided->deny) {
      // The counter moved after the snapshot (kStoreConflict) or the credential went away.
      AuditEvent ev = out.decided->event;
      ev.outcome = "success";
      ev.code.clear();
      return SpendAndFail(challenge, now, std::move(ev), ran.error());
    }
    return AuditFailure(out.ev, ran.error());
  }
  if (out.failure) return Fail(std::move(*out.failure));
  if (!out.decided) return Fail(ErrorCode::kInternal, "login planner did not run");
  return Finish(std::move(*out.decided), session);
}

Result<AuthResult> Authenticator::FinishLogin(std::string_view ceremony_id,
                                              std::string_view response_json,
                                              const RequestContext& context, Session* session) {
  Impl& im = *impl_;
  const int64_t now = context.time.value_or(im.Now());
  AuditEvent base = MakeEvent(now, "login");
  base.action = context.action;
  auto challenge = CeremonyChallenge(ceremony_id);
  if (!challenge) return im.AuditFailure(base, challenge.error());
  auto response = webauthn::ParseAuthenticationResponseJson(response_json);

  // The whole login is ONE store transaction (CredentialStore::RunLogin): the snapshot (the
  // challenge, read and not yet spent; the credential; its principal and the principal's
  // credentials for the policy), verification and policy in the planner below, then spending the
  // challenge, the counter's compare-and-set and the audit record(s), committed together. The
  // planner may run twice (SQLite retries a stale optimistic snapshot): it only fills `out`.
  Impl::PlannedLogin out;
  auto plan = [&](const LoginSnapshot& snap) -> LoginWrite {
    out = Impl::PlannedLogin{};
    out.ev = base;
    AuditEvent& ev = out.ev;
    const auto& rec = snap.challenge;
    if (!rec) return Impl::Refuse(out, rec.error(), false);
    ev.principal_id = rec->principal_id;
    auto state = ParseJson(rec->state_json);
    if (!state) {
      return Impl::Refuse(out, Error{ErrorCode::kStoreCorrupt, 0, "ceremony state"}, true);
    }
    if (!response) return Impl::Refuse(out, response.error(), true);
    ev.credential_id = response->raw_id;
    const auto& cred = snap.credential;
    if (!cred) return Impl::Refuse(out, cred.error(), true);
    ev.kind = std::string(CredentialKindName(cred->kind));
    if (cred->kind == CredentialKind::kSmartCard) {
      return Impl::Refuse(out,
                          Error{ErrorCode::kCredentialTypeInvalid, 0,
                                "a smart card logs in with FinishCertificateLogin"},
                          true);
    }
    if (!rec->principal_id.empty() && cred->principal_id != rec->principal_id) {
      return Impl::Refuse(
          out, Error{ErrorCode::kCredentialNotAllowed, 0, "credential belongs to another principal"},
          false);
    }
    if (!KindListed(*state, cred->kind)) {
      return Impl::Refuse(
          out, Error{ErrorCode::kCredentialNotAllowed, 0, "credential kind not requested"}, false);
    }
    ev.principal_id = cred->principal_id;
    const auto& principal = snap.principal;
    if (!principal) return Impl::Refuse(out, principal.error(), true);
    if (!snap.principal_credentials) {
      return Impl::Refuse(out, snap.principal_credentials.error(), true);
    }

    webauthn::AssertionExpectations exp;
    exp.challenge = *challenge;
    exp.rp_id = im.config.rp_id;
    exp.origin = im.Origins();
    exp.require_user_verification = im.policy.RequiresUv() || StateStepUp(*state).has_value();
    exp.credential_id = cred->id;
    exp.credential_public_key = cred->public_key;
    exp.prior_sign_count = cred->sign_count;
    exp.prior_backup_eligible = cred->backup_eligible;
    exp.prior_backup_state = cred->backup_state;
    if (auto it = state->find("allow"); it != state->end() && it->is_array()) {
      for (const auto& a : *it) {
        if (!a.is_string()) continue;
        if (auto b = Base64UrlDecode(a.get<std::string>()); b) exp.allow_credentials.push_back(*b);
      }
    }
    exp.user_handle = principal->user_handle;
    exp.sign_count_policy = webauthn::SignCountPolicy::kFlag;  // the policy engine decides
    exp.verify_time = now;
    auto verified = webauthn::VerifyAssertion(*response, exp);
    if (!verified) return Impl::Refuse(out, verified.error(), true);

    RiskSignals risk = ComputeRiskSignals(*cred, verified->sign_count, verified->flags.backup_state,
                                          now, im.policy.unused_days);
    risk.sign_count_regressed = risk.sign_count_regressed || verified->sign_count_regressed;
    risk.backup_state_changed = risk.backup_state_changed || verified->backup_state_changed;
    LoginFacts facts;
    facts.kind = cred->kind;
    facts.user_verified = verified->flags.user_verified;
    facts.backup_eligible = verified->flags.backup_eligible;
    facts.attestation_trusted = cred->trust_status == "trusted";
    return Impl::Writes(out,
                        im.Decide(*principal, *cred, facts, risk, *state, context, now,
                                  verified->sign_count, verified->flags.backup_state,
                                  *snap.principal_credentials, session),
                        cred->id);
  };
  auto ran = im.store->RunLogin(*challenge, "login", now,
                                response ? ByteSpan(response->raw_id) : ByteSpan(), plan);
  return im.Conclude(std::move(ran), out, *challenge, now, session);
}

Result<AuthResult> Authenticator::Impl::RunCardLogin(
    std::string_view ceremony_id, const Result<Bytes>& fingerprint, bool pin_verified,
    bool hardware_key, const std::function<Result<void>(ByteSpan)>& evidence,
    const RequestContext& context, int64_t now, Session* session) {
  const AuditEvent base = CardLoginEvent(now, context);
  auto challenge = CeremonyChallenge(ceremony_id);
  if (!challenge) return AuditFailure(base, challenge.error());
  PlannedLogin out;
  auto plan = [&](const LoginSnapshot& snap) -> LoginWrite {
    out = PlannedLogin{};
    out.ev = base;
    AuditEvent& ev = out.ev;
    const auto& rec = snap.challenge;
    if (!rec) return Refuse(out, rec.error(), false);
    ev.principal_id = rec->principal_id;
    auto state = ParseJson(rec->state_json);
    if (!state) return Refuse(out, Error{ErrorCode::kStoreCorrupt, 0, "state"}, true);
    if (!fingerprint) return Refuse(out, fingerprint.error(), true);
    ev.credential_id = *fingerprint;
    const auto& cred = snap.credential;
    if (!cred) return Refuse(out, cred.error(), true);
    if (cred->kind != CredentialKind::kSmartCard) {
      return Refuse(out, Error{ErrorCode::kCredentialTypeInvalid, 0, "not a smart card"}, true);
    }
    if ((!rec->principal_id.empty() && cred->principal_id != rec->principal_id) ||
        !KindListed(*state, CredentialKind::kSmartCard)) {
      return Refuse(out,
                    Error{ErrorCode::kCredentialNotAllowed, 0,
                          "this certificate was not asked for in this ceremony"},
                    true);
    }
    ev.principal_id = cred->principal_id;
    const auto& principal = snap.principal;
    if (!principal) return Refuse(out, principal.error(), true);
    // The certificate as it stands now: expired, revoked or no longer under an anchor is refused.
    CertificateEnrollment enrolled;
    enrolled.certificate = cred->certificate;
    enrolled.intermediates = cred->certificate_intermediates;
    if (auto valid =
            ValidateSmartCardCertificate(enrolled, smart_card_anchors, smart_card_crl_ptrs, now);
        !valid) {
      return Refuse(out, valid.error(), true);
    }
    if (auto proven = evidence(*challenge); !proven) return Refuse(out, proven.error(), true);
    if (StateStepUp(*state) && !pin_verified) {
      return Refuse(out, Error{ErrorCode::kUserNotVerified, 0, "step-up needs the PIN"}, true);
    }
    if (!snap.principal_credentials) {
      return Refuse(out, snap.principal_credentials.error(), true);
    }
    RiskSignals risk = ComputeRiskSignals(*cred, 0, false, now, policy.unused_days);
    LoginFacts facts;
    facts.kind = CredentialKind::kSmartCard;
    facts.user_verified = pin_verified;
    facts.attestation_trusted = true;
    facts.hardware_key = hardware_key;
    return Writes(out,
                  Decide(*principal, *cred, facts, risk, *state, context, now, 0, false,
                         *snap.principal_credentials, session),
                  cred->id);
  };
  auto ran = store->RunLogin(*challenge, "login", now,
                             fingerprint ? ByteSpan(*fingerprint) : ByteSpan(), plan);
  return Conclude(std::move(ran), out, *challenge, now, session);
}

Result<AuthResult> Authenticator::FinishCertificateLogin(std::string_view ceremony_id,
                                                         const CertificateLoginEvidence& evidence,
                                                         const RequestContext& context,
                                                         Session* session) {
  Impl& im = *impl_;
  const int64_t now = context.time.value_or(im.Now());
  const Sha256Digest fp = Sha256(evidence.certificate);
  // The card itself signed this ceremony's challenge: a hardware key (AAL3 with the PIN).
  return im.RunCardLogin(
      ceremony_id, Bytes(fp.begin(), fp.end()), evidence.pin_verified, /*hardware_key=*/true,
      [&](ByteSpan challenge) { return VerifyCertificateSignature(challenge, evidence, now); },
      context, now, session);
}

Result<AuthResult> Authenticator::FinishVerifiedCardLogin(std::string_view ceremony_id,
                                                          const VerifiedCardLogin& login,
                                                          const RequestContext& context,
                                                          Session* session) {
  Impl& im = *impl_;
  const int64_t now = context.time.value_or(im.Now());
  Result<Bytes> fp = HexDecode(login.certificate_fingerprint_sha256);
  if (!fp || fp->size() != 32 ||
      (login.assurance_level != "aal3" && login.assurance_level != "aal2")) {
    fp = Fail(ErrorCode::kInvalidArgument, "malformed verified card login");
  }
  // The caller (pkcs11::CardLogin) checked the card's proof and the PIN.
  return im.RunCardLogin(
      ceremony_id, fp, login.pin_verified, login.assurance_level == "aal3",
      [](ByteSpan) -> Result<void> { return Ok(); }, context, now, session);
}

Result<void> Authenticator::Authorize(Session* session, std::string_view action) {
  Impl& im = *impl_;
  if (session == nullptr || session->principal_id.empty() || session->aal == Aal::kNone) {
    return Fail(ErrorCode::kPolicyDenied, "no authenticated principal in the session");
  }
  auto level = ActionLevel(im.policy, action);
  if (!level) return Fail(ErrorCode::kPolicyDenied, "unknown action");
  if (session->aal >= *level) return Ok();
  PolicyDecision d;
  d.outcome = Decision::kStepUp;
  d.required_aal = *level;
  d.reasons = {std::string("action_needs_") + std::string(AalName(*level))};
  KW_ASSIGN_OR_RETURN(auto creds, im.store->ListCredentials(session->principal_id));
  for (const Credential& c : creds) {
    if (!im.policy.Allows(c.kind) || MaxReachableAal(c) < *level) continue;
    if (c.backup_eligible && !im.policy.allow_synced_passkeys) continue;
    if (std::find(d.satisfying_kinds.begin(), d.satisfying_kinds.end(), c.kind) ==
        d.satisfying_kinds.end()) {
      d.satisfying_kinds.push_back(c.kind);
    }
  }
  session->pending_step_up = d;
  AuditEvent ev = MakeEvent(im.Now(), "step_up", session->principal_id);
  ev.outcome = "step_up_required";
  ev.code = std::string(ErrorCodeName(ErrorCode::kStepUpRequired));
  ev.action = std::string(action);
  ev.aal = std::string(AalName(session->aal));
  (void)im.store->AppendAudit(ev);
  return Fail(ErrorCode::kStepUpRequired,
              "action needs " + std::string(AalName(*level)) + ", session has " +
                  std::string(AalName(session->aal)),
              static_cast<uint32_t>(*level));
}

// ---- administration ----

Result<void> Authenticator::SetDisplayName(std::string_view principal_id,
                                           std::string_view display_name) {
  if (display_name.size() > 256) return Fail(ErrorCode::kInvalidArgument, "display name too long");
  AuditEvent ev = MakeEvent(impl_->Now(), "admin", std::string(principal_id));
  ev.action = "set_display_name";
  return impl_->store->SetDisplayName(principal_id, display_name, &ev);
}

Result<void> Authenticator::RenameCredential(std::span<const uint8_t> credential_id,
                                             std::string_view nickname) {
  KW_ASSIGN_OR_RETURN(Credential c, impl_->store->GetCredential(credential_id));
  AuditEvent ev = MakeEvent(impl_->Now(), "admin", c.principal_id);
  ev.action = "rename_credential";
  ev.credential_id = c.id;
  return impl_->store->SetNickname(credential_id, nickname, &ev);
}

Result<void> Authenticator::RemoveCredential(std::span<const uint8_t> credential_id) {
  KW_ASSIGN_OR_RETURN(Credential c, impl_->store->GetCredential(credential_id));
  AuditEvent ev = MakeEvent(impl_->Now(), "admin", c.principal_id);
  ev.action = "remove_credential";
  ev.credential_id = c.id;
  ev.kind = std::string(CredentialKindName(c.kind));
  return impl_->store->RemoveCredential(credential_id, &ev);
}

namespace {
bool AdminToken(std::string_view s, size_t max, std::string_view extra) {
  if (s.empty() || s.size() > max) return false;
  for (char c : s) {
    if (!((c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || extra.find(c) != std::string::npos)) {
      return false;
    }
  }
  return true;
}

// Member names that would carry a secret; refused anywhere in admin details.
bool SecretLikeMember(const Json& j) {
  static constexpr std::string_view kNames[] = {
      "pin",      "puk",      "new_pin", "old_pin",     "new_puk",
      "old_puk",  "password", "secret",  "key",         "management_key",
      "mgmt_key", "new_key",  "old_key", "private_key", "passcode"};
  if (j.is_object()) {
    for (const auto& [k, v] : j.items()) {
      std::string lower(k);
      for (char& c : lower) {
        if (c >= 'A' && c <= 'Z') c = static_cast<char>(c - 'A' + 'a');
      }
      for (std::string_view n : kNames) {
        if (lower == n) return true;
      }
      if (SecretLikeMember(v)) return true;
    }
  } else if (j.is_array()) {
    for (const auto& v : j) {
      if (SecretLikeMember(v)) return true;
    }
  }
  return false;
}
}  // namespace

Result<void> Authenticator::RecordAdminAction(std::string_view action, std::string_view subject,
                                              std::string_view outcome,
                                              std::string_view details_json) {
  if (!AdminToken(action, 64, "._-")) {
    return Fail(ErrorCode::kInvalidArgument, "admin action must be 1-64 of [a-z0-9._-]");
  }
  if (!AdminToken(outcome, 64, "_")) {
    return Fail(ErrorCode::kInvalidArgument, "admin outcome must be \"ok\" or an error code name");
  }
  if (subject.size() > 256) return Fail(ErrorCode::kInvalidArgument, "admin subject too long");
  for (char c : subject) {
    if (c < 0x20 || c > 0x7e) {
      return Fail(ErrorCode::kInvalidArgument, "admin subject must be printable ASCII");
    }
  }
  Json details;
  if (!details_json.empty()) {
    JsonLimits limits;
    limits.max_depth = 8;
    limits.max_bytes = 16 * 1024;
    auto parsed = ParseJson(details_json, limits);
    if (!parsed || !parsed->is_object()) {
      return Fail(ErrorCode::kInvalidArgument, "admin details must be a JSON object");
    }
    if (SecretLikeMember(*parsed)) {
      return Fail(ErrorCode::kInvalidArgument, "admin details must not carry secrets");
    }
    if (!parsed->empty()) details = std::move(parsed).value();
  }
  Impl& im = *impl_;
  AuditEvent ev = MakeEvent(im.Now(), "admin");
  ev.action = std::string(action);
  if (outcome != "ok") {
    ev.outcome = "failure";
    ev.code = std::string(outcome);
  }
  if (!subject.empty()) {
    if (im.store->GetPrincipal(subject)) {
      ev.principal_id = std::string(subject);
    } else {
      ev.subject = std::string(subject);
    }
  }
  ev.details = std::move(details);
  return im.store->AppendAudit(ev);
}

// ---- privacy ----

Result<std::string> Authenticator::ExportPrincipal(std::string_view principal_id) {
  Impl& im = *impl_;
  KW_ASSIGN_OR_RETURN(Principal p, im.store->GetPrincipal(principal_id));
  KW_ASSIGN_OR_RETURN(auto creds, im.store->ListCredentials(p.id));
  KW_ASSIGN_OR_RETURN(auto challenges, im.store->ListChallenges(p.id));
  AuditEvent ev = MakeEvent(im.Now(), "admin", p.id);
  ev.action = "export_principal";
  KW_TRY(im.store->AppendAudit(ev));
  KW_ASSIGN_OR_RETURN(auto audit, im.store->AuditFor(p.id));
  Json j = Json::object();
  j["principal"] = PrincipalJson(p);
  j["audit_pseudonym"] = im.store->Pseudonym(p.id);
  j["credentials"] = Json::array();
  for (const Credential& c : creds) j["credentials"].push_back(CredentialJson(c));
  j["challenges"] = Json::array();
  for (const ChallengeRecord& r : challenges) {
    j["challenges"].push_back(Json{{"purpose", r.purpose},
                                   {"created_at", r.created_at},
                                   {"expires_at", r.expires_at},
                                   {"used", r.used}});
  }
  j["audit"] = Json::array();
  for (const std::string& line : audit) {
    auto parsed = ParseJson(line);
    if (parsed) j["audit"].push_back(*parsed);
  }
  return j.dump(2);
}

Result<void> Authenticator::ErasePrincipal(std::string_view principal_id) {
  AuditEvent ev = MakeEvent(impl_->Now(), "erasure", std::string(principal_id));
  return impl_->store->ErasePrincipal(principal_id, &ev);
}

// ---- audit ----

Result<std::vector<std::string>> Authenticator::AuditTail(size_t n) {
  return impl_->store->AuditTail(n);
}
Result<AuditVerification> Authenticator::VerifyAuditChain() {
  return impl_->store->VerifyAuditChain();
}

std::string Authenticator::MetadataMetrics() const { return impl_->trust_source->MetricsText(); }

}  // namespace keyward::authenticator
