// The policy engine: every decision path of the ciam and workforce presets, the config file
// format, assurance levels and risk signals.
#include "authenticator/policy.h"

#include <gtest/gtest.h>

namespace keyward::authenticator {
namespace {

constexpr int64_t kNow = 1700000000 + 12 * 3600;  // 12:00 UTC
constexpr AaguidBytes kYubiAaguid = {0xee, 0x88, 0x28, 0x79, 0x72, 0x1c, 0x49, 0x13,
                                     0x97, 0x75, 0x3d, 0xfc, 0xce, 0x97, 0x07, 0x2a};

Policy MustLoad(std::string_view s) {
  auto p = Policy::Load(s);
  if (!p) {
    ADD_FAILURE() << p.error().ToString();
    return Policy{};
  }
  return *p;
}

Credential Cred(CredentialKind kind, bool be, std::string trust = "unverified") {
  Credential c;
  c.kind = kind;
  c.backup_eligible = be;
  c.trust_status = std::move(trust);
  return c;
}

struct Login {
  LoginFacts facts;
  RiskSignals risk;
  RequestContext ctx;
  std::vector<Credential> creds;
};

PolicyDecision Decide(const Policy& p, const Login& l) {
  return Evaluate(p, l.facts, ComputeAssurance(l.facts), l.risk, l.ctx, kNow, l.creds);
}

Login SyncedPasskey(bool uv) {
  Login l;
  l.facts = {CredentialKind::kPasskey, uv, /*be=*/true, false};
  l.creds = {Cred(CredentialKind::kPasskey, true)};
  return l;
}

Login AttestedKey(bool uv) {
  Login l;
  l.facts = {CredentialKind::kSecurityKey, uv, false, /*trusted=*/true};
  l.creds = {Cred(CredentialKind::kSecurityKey, false, "trusted")};
  l.ctx.device_posture = {"managed"};
  return l;
}

bool HasReason(const PolicyDecision& d, std::string_view r) {
  return std::find(d.reasons.begin(), d.reasons.end(), r) != d.reasons.end();
}

// ---- assurance ----

TEST(Assurance, LevelsAndReasons) {
  EXPECT_EQ(ComputeAssurance({CredentialKind::kPasskey, false, true, false}).level, Aal::kAal1);
  EXPECT_EQ(ComputeAssurance({CredentialKind::kSecurityKey, false, false, true}).level, Aal::kAal1);
  EXPECT_EQ(ComputeAssurance({CredentialKind::kPasskey, true, true, true}).level, Aal::kAal2);
  EXPECT_EQ(ComputeAssurance({CredentialKind::kSecurityKey, true, false, false}).level, Aal::kAal2);
  EXPECT_EQ(ComputeAssurance({CredentialKind::kSecurityKey, true, false, true}).level, Aal::kAal3);
  EXPECT_EQ(ComputeAssurance({CredentialKind::kPasskey, true, false, true}).level, Aal::kAal3);
  EXPECT_EQ(ComputeAssurance({CredentialKind::kSmartCard, true, false, false}).level, Aal::kAal3);
  EXPECT_EQ(ComputeAssurance({CredentialKind::kSmartCard, false, false, false}).level, Aal::kAal1);
  EXPECT_EQ(ComputeAssurance({CredentialKind::kSmartCard, true, false, false, false}).level,
            Aal::kAal2);
  EXPECT_FALSE(ComputeAssurance({CredentialKind::kPasskey, true, true, false}).reason.empty());
  EXPECT_EQ(MaxReachableAal(Cred(CredentialKind::kPasskey, true, "trusted")), Aal::kAal2);
  EXPECT_EQ(MaxReachableAal(Cred(CredentialKind::kSecurityKey, false, "trusted")), Aal::kAal3);
  EXPECT_EQ(MaxReachableAal(Cred(CredentialKind::kSecurityKey, false)), Aal::kAal2);
  EXPECT_EQ(MaxReachableAal(Cred(CredentialKind::kSmartCard, false)), Aal::kAal3);
}

// ---- risk signals ----

TEST(RiskSignalsTest, SignCountRules) {
  Credential c;
  c.sign_count = 0;
  EXPECT_FALSE(ComputeRiskSignals(c, 0, false, kNow, 90).sign_count_regressed);  // no counter
  EXPECT_FALSE(ComputeRiskSignals(c, 1, false, kNow, 90).sign_count_regressed);
  c.sign_count = 5;
  EXPECT_TRUE(ComputeRiskSignals(c, 5, false, kNow, 90).sign_count_regressed);
  EXPECT_TRUE(ComputeRiskSignals(c, 0, false, kNow, 90).sign_count_regressed);
  EXPECT_TRUE(ComputeRiskSignals(c, 4, false, kNow, 90).sign_count_regressed);
  EXPECT_FALSE(ComputeRiskSignals(c, 6, false, kNow, 90).sign_count_regressed);
}

TEST(RiskSignalsTest, UseHistoryAndBackupState) {
  Credential c;
  auto r = ComputeRiskSignals(c, 0, false, kNow, 90);
  EXPECT_TRUE(r.first_use);
  EXPECT_FALSE(r.unused_long);
  EXPECT_EQ(r.days_since_last_use, -1);
  c.last_used_at = kNow - 89 * 86400;
  r = ComputeRiskSignals(c, 0, false, kNow, 90);
  EXPECT_FALSE(r.first_use);
  EXPECT_FALSE(r.unused_long);
  EXPECT_EQ(r.days_since_last_use, 89);
  c.last_used_at = kNow - 90 * 86400;
  EXPECT_TRUE(ComputeRiskSignals(c, 0, false, kNow, 90).unused_long);
  EXPECT_TRUE(ComputeRiskSignals(c, 0, true, kNow, 90).backup_state_changed);
  EXPECT_EQ(ComputeRiskSignals(c, 0, true, kNow, 90).Names(),
            (std::vector<std::string>{"backup_state_changed", "unused_long"}));
}

// ---- ciam preset ----

TEST(CiamPreset, Registration) {
  Policy p = MustLoad("ciam");
  EXPECT_TRUE(CheckRegistration(p, {CredentialKind::kPasskey, false, true, "unverified", {}}));
  EXPECT_TRUE(CheckRegistration(p, {CredentialKind::kSecurityKey, true, false, "untrusted", {}}));
  auto sc = CheckRegistration(p, {CredentialKind::kSmartCard, true, false, "trusted", {}});
  ASSERT_FALSE(sc);
  EXPECT_EQ(sc.error().code, ErrorCode::kPolicyDenied);
}

TEST(CiamPreset, SyncedPasskeyWithUvIsAal2AndAllowed) {
  auto d = Decide(MustLoad("ciam"), SyncedPasskey(true));
  EXPECT_EQ(d.outcome, Decision::kAllow);
  EXPECT_EQ(ComputeAssurance(SyncedPasskey(true).facts).level, Aal::kAal2);
}

TEST(CiamPreset, UpOnlyLoginIsAllowedAtAal1) {
  auto d = Decide(MustLoad("ciam"), SyncedPasskey(false));
  EXPECT_EQ(d.outcome, Decision::kAllow);
}

TEST(CiamPreset, UpOnlyForPaymentStepsUpToAal2) {
  Login l = SyncedPasskey(false);
  l.ctx.action = "payment";
  auto d = Decide(MustLoad("ciam"), l);
  EXPECT_EQ(d.outcome, Decision::kStepUp);
  EXPECT_EQ(d.required_aal, Aal::kAal2);
  EXPECT_EQ(d.satisfying_kinds, std::vector<CredentialKind>{CredentialKind::kPasskey});
  EXPECT_TRUE(HasReason(d, "action_needs_aal2"));
}

TEST(CiamPreset, PaymentWithUvIsAllowed) {
  Login l = SyncedPasskey(true);
  l.ctx.action = "payment";
  EXPECT_EQ(Decide(MustLoad("ciam"), l).outcome, Decision::kAllow);
}

TEST(CiamPreset, SignCountRegressionIsDenied) {
  Login l = SyncedPasskey(true);
  l.risk.sign_count_regressed = true;
  auto d = Decide(MustLoad("ciam"), l);
  EXPECT_EQ(d.outcome, Decision::kDeny);
  EXPECT_TRUE(HasReason(d, "clone_suspected"));
}

TEST(CiamPreset, DormantCredentialStepsUpWhenOnlyUp) {
  Login l = SyncedPasskey(false);
  l.risk.unused_long = true;
  auto d = Decide(MustLoad("ciam"), l);
  EXPECT_EQ(d.outcome, Decision::kStepUp);
  EXPECT_EQ(d.required_aal, Aal::kAal2);
  EXPECT_TRUE(HasReason(d, "dormant_credential"));
  l.facts.user_verified = true;
  EXPECT_EQ(Decide(MustLoad("ciam"), l).outcome, Decision::kAllow);
}

TEST(CiamPreset, SmartCardKindIsDenied) {
  Login l;
  l.facts = {CredentialKind::kSmartCard, true, false, false};
  auto d = Decide(MustLoad("ciam"), l);
  EXPECT_EQ(d.outcome, Decision::kDeny);
  EXPECT_TRUE(HasReason(d, "kind_not_allowed"));
}

TEST(CiamPreset, UnknownActionIsDenied) {
  Login l = SyncedPasskey(true);
  l.ctx.action = "launch_missiles";
  auto d = Decide(MustLoad("ciam"), l);
  EXPECT_EQ(d.outcome, Decision::kDeny);
  EXPECT_TRUE(HasReason(d, "unknown_action"));
}

TEST(CiamPreset, BackupStateChangeAndFirstUseAreInformational) {
  Login l = SyncedPasskey(true);
  l.risk.backup_state_changed = true;
  l.risk.first_use = true;
  EXPECT_EQ(Decide(MustLoad("ciam"), l).outcome, Decision::kAllow);
}

// ---- workforce preset ----

TEST(WorkforcePreset, RegistrationRefusesSyncedUntrustedAndUnverified) {
  Policy p = MustLoad("workforce");
  EXPECT_TRUE(CheckRegistration(p, {CredentialKind::kSecurityKey, true, false, "trusted", {}}));
  EXPECT_TRUE(CheckRegistration(p, {CredentialKind::kSmartCard, true, false, "trusted", {}}));
  EXPECT_EQ(
      CheckRegistration(p, {CredentialKind::kPasskey, true, true, "trusted", {}}).error().code,
      ErrorCode::kPolicyDenied);
  EXPECT_EQ(CheckRegistration(p, {CredentialKind::kSecurityKey, true, false, "unverified", {}})
                .error()
                .code,
            ErrorCode::kAttestationTrustRequired);
  EXPECT_EQ(CheckRegistration(p, {CredentialKind::kSecurityKey, true, false, "untrusted", {}})
                .error()
                .code,
            ErrorCode::kAttestationTrustRequired);
  EXPECT_EQ(CheckRegistration(p, {CredentialKind::kSecurityKey, false, false, "trusted", {}})
                .error()
                .code,
            ErrorCode::kUserNotVerified);
}

// "verified": none and self attestation pass; a certificate path must reach a trust anchor.
TEST(Policy, VerifiedAttestationRefusesOnlyCertificatePathsThatDoNotChain) {
  Policy p = MustLoad(R"({"extends": "ciam", "attestation": "verified"})");
  auto facts = [](std::string trust, std::string type) {
    RegistrationFacts f{CredentialKind::kSecurityKey, true, false, std::move(trust), {}};
    f.attestation_type = std::move(type);
    return f;
  };
  EXPECT_TRUE(CheckRegistration(p, facts("unverified", "none")));
  EXPECT_TRUE(CheckRegistration(p, facts("unverified", "self")));
  for (const char* type : {"basic", "attca", "anonca"}) {
    EXPECT_TRUE(CheckRegistration(p, facts("trusted", type))) << type;
    auto untrusted = CheckRegistration(p, facts("untrusted", type));
    ASSERT_FALSE(untrusted) << type;
    EXPECT_EQ(untrusted.error().code, ErrorCode::kAttestationUntrusted) << type;
    auto unanchored = CheckRegistration(p, facts("unverified", type));
    ASSERT_FALSE(unanchored) << type;
    EXPECT_EQ(unanchored.error().code, ErrorCode::kAttestationTrustRequired) << type;
  }
  // "any" records the same facts without refusing; "trusted" refuses none as well.
  Policy any = MustLoad("ciam");
  EXPECT_TRUE(CheckRegistration(any, facts("untrusted", "basic")));
  Policy trusted = MustLoad(R"({"extends": "ciam", "attestation": "trusted"})");
  EXPECT_EQ(CheckRegistration(trusted, facts("unverified", "none")).error().code,
            ErrorCode::kAttestationTrustRequired);
}

TEST(WorkforcePreset, AaguidAllowList) {
  Policy p = MustLoad(
      R"({"extends": "workforce", "aaguid_allow_list": ["ee882879-721c-4913-9775-3dfcce97072a"]})");
  EXPECT_EQ(p.name, "workforce");
  EXPECT_TRUE(
      CheckRegistration(p, {CredentialKind::kSecurityKey, true, false, "trusted", kYubiAaguid}));
  AaguidBytes other{};
  auto r = CheckRegistration(p, {CredentialKind::kSecurityKey, true, false, "trusted", other});
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error().code, ErrorCode::kPolicyDenied);
}

TEST(WorkforcePreset, AttestedKeyWithUvIsAal3AndAllowedForAdmin) {
  Login l = AttestedKey(true);
  EXPECT_EQ(ComputeAssurance(l.facts).level, Aal::kAal3);
  EXPECT_EQ(Decide(MustLoad("workforce"), l).outcome, Decision::kAllow);
  l.ctx.action = "admin";
  EXPECT_EQ(Decide(MustLoad("workforce"), l).outcome, Decision::kAllow);
}

TEST(WorkforcePreset, UnattestedKeyStepsUpForAdminNamingSmartCard) {
  Login l;
  l.facts = {CredentialKind::kSecurityKey, true, false, /*trusted=*/false};
  l.creds = {Cred(CredentialKind::kSecurityKey, false), Cred(CredentialKind::kSmartCard, false)};
  l.ctx.device_posture = {"managed"};
  EXPECT_EQ(Decide(MustLoad("workforce"), l).outcome, Decision::kAllow);  // login needs AAL2
  l.ctx.action = "admin";
  auto d = Decide(MustLoad("workforce"), l);
  EXPECT_EQ(d.outcome, Decision::kStepUp);
  EXPECT_EQ(d.required_aal, Aal::kAal3);
  EXPECT_EQ(d.satisfying_kinds, std::vector<CredentialKind>{CredentialKind::kSmartCard});
}

TEST(WorkforcePreset, StepUpWithNothingThatCanReachItIsDenied) {
  Login l;
  l.facts = {CredentialKind::kSecurityKey, true, false, false};
  l.creds = {Cred(CredentialKind::kSecurityKey, false)};
  l.ctx.device_posture = {"managed"};
  l.ctx.action = "admin";
  auto d = Decide(MustLoad("workforce"), l);
  EXPECT_EQ(d.outcome, Decision::kDeny);
  EXPECT_TRUE(HasReason(d, "no_credential_can_step_up"));
}

TEST(WorkforcePreset, SyncedPasskeyIsDenied) {
  auto d = Decide(MustLoad("workforce"), SyncedPasskey(true));
  EXPECT_EQ(d.outcome, Decision::kDeny);
  EXPECT_TRUE(HasReason(d, "synced_passkey_refused"));
}

TEST(WorkforcePreset, MissingUserVerificationIsDenied) {
  auto d = Decide(MustLoad("workforce"), AttestedKey(false));
  EXPECT_EQ(d.outcome, Decision::kDeny);
  EXPECT_TRUE(HasReason(d, "user_verification_required"));
}

TEST(WorkforcePreset, SmartCardWithPinIsAal3WithoutPinDenied) {
  Login l;
  l.facts = {CredentialKind::kSmartCard, true, false, false};
  l.creds = {Cred(CredentialKind::kSmartCard, false)};
  l.ctx.device_posture = {"managed"};
  l.ctx.action = "admin";
  EXPECT_EQ(Decide(MustLoad("workforce"), l).outcome, Decision::kAllow);
  l.facts.user_verified = false;
  auto d = Decide(MustLoad("workforce"), l);
  EXPECT_EQ(d.outcome, Decision::kDeny);
  EXPECT_TRUE(HasReason(d, "user_verification_required"));
}

TEST(WorkforcePreset, RegressionAndBackupStateChangeAreDenied) {
  Login l = AttestedKey(true);
  l.risk.sign_count_regressed = true;
  auto d = Decide(MustLoad("workforce"), l);
  EXPECT_EQ(d.outcome, Decision::kDeny);
  EXPECT_TRUE(HasReason(d, "clone_suspected"));
  l = AttestedKey(true);
  l.risk.backup_state_changed = true;
  d = Decide(MustLoad("workforce"), l);
  EXPECT_EQ(d.outcome, Decision::kDeny);
  EXPECT_TRUE(HasReason(d, "backup_state_changed"));
}

TEST(WorkforcePreset, DormantCredentialStepsUpToAal3) {
  Login l;
  l.facts = {CredentialKind::kSecurityKey, true, false, false};
  l.creds = {Cred(CredentialKind::kSecurityKey, false), Cred(CredentialKind::kSmartCard, false)};
  l.ctx.device_posture = {"managed"};
  l.risk.unused_long = true;
  auto d = Decide(MustLoad("workforce"), l);
  EXPECT_EQ(d.outcome, Decision::kStepUp);
  EXPECT_EQ(d.required_aal, Aal::kAal3);
  EXPECT_TRUE(HasReason(d, "dormant_credential"));
  // An AAL3 login satisfies the same rule.
  Login a = AttestedKey(true);
  a.risk.unused_long = true;
  EXPECT_EQ(Decide(MustLoad("workforce"), a).outcome, Decision::kAllow);
}

TEST(WorkforcePreset, UnmanagedDeviceStepsUp) {
  Login l;
  l.facts = {CredentialKind::kSecurityKey, true, false, false};
  l.creds = {Cred(CredentialKind::kSecurityKey, false), Cred(CredentialKind::kSmartCard, false)};
  auto d = Decide(MustLoad("workforce"), l);  // no posture flags at all
  EXPECT_EQ(d.outcome, Decision::kStepUp);
  EXPECT_TRUE(HasReason(d, "unmanaged_device"));
  l.ctx.device_posture = {"managed"};
  EXPECT_EQ(Decide(MustLoad("workforce"), l).outcome, Decision::kAllow);
}

// ---- config file: context rules ----

constexpr std::string_view kContextPolicy = R"({
  "name": "context",
  "allowed_kinds": ["passkey", "security_key", "smart_card"],
  "actions": {"login": "aal1"},
  "rules": [
    {"name": "embargo", "if": {"country_in": ["kp"]}, "then": "deny"},
    {"name": "abroad", "if": {"country_not_in": ["DE", "FR"]}, "then": {"step_up": "aal2"}},
    {"name": "off_net", "if": {"network_not_in": ["10.0.0.0/8", "2001:db8::/32"]},
     "then": {"step_up_kind": "smart_card"}},
    {"name": "night", "if": {"outside_hours_utc": [6, 20], "kinds": ["passkey"]},
     "then": "deny"}
  ]
})";

Login OnNetFromDe() {
  Login l = SyncedPasskey(false);
  l.ctx.country = "de";
  l.ctx.ip = "10.1.2.3";
  l.creds.push_back(Cred(CredentialKind::kSmartCard, false));
  return l;
}

TEST(PolicyFile, ContextRulesAllowWhenNothingFires) {
  EXPECT_EQ(Decide(MustLoad(kContextPolicy), OnNetFromDe()).outcome, Decision::kAllow);
}

TEST(PolicyFile, CountryRules) {
  Policy p = MustLoad(kContextPolicy);
  Login l = OnNetFromDe();
  l.ctx.country = "KP";
  EXPECT_EQ(Decide(p, l).outcome, Decision::kDeny);
  l.ctx.country = "US";
  auto d = Decide(p, l);
  EXPECT_EQ(d.outcome, Decision::kStepUp);
  EXPECT_EQ(d.required_aal, Aal::kAal2);
  l.ctx.country = "";  // unknown counts as "not in"
  EXPECT_EQ(Decide(p, l).outcome, Decision::kStepUp);
}

TEST(PolicyFile, NetworkRuleDemandsAKind) {
  Policy p = MustLoad(kContextPolicy);
  Login l = OnNetFromDe();
  l.ctx.ip = "2001:db8:1::5";
  EXPECT_EQ(Decide(p, l).outcome, Decision::kAllow);
  l.ctx.ip = "192.0.2.1";
  auto d = Decide(p, l);
  EXPECT_EQ(d.outcome, Decision::kStepUp);
  EXPECT_EQ(d.satisfying_kinds, std::vector<CredentialKind>{CredentialKind::kSmartCard});
  EXPECT_TRUE(HasReason(d, "off_net"));
  l.ctx.ip = "garbage";
  EXPECT_EQ(Decide(p, l).outcome, Decision::kStepUp);
  // The smart card itself satisfies it.
  Login sc = OnNetFromDe();
  sc.ctx.ip = "192.0.2.1";
  sc.facts = {CredentialKind::kSmartCard, true, false, false};
  EXPECT_EQ(Decide(p, sc).outcome, Decision::kAllow);
}

TEST(PolicyFile, HoursRule) {
  Policy p = MustLoad(kContextPolicy);
  Login l = OnNetFromDe();
  const int64_t night = 1700000000 - (1700000000 % 86400) + 3 * 3600;  // 03:00 UTC
  auto d = Evaluate(p, l.facts, ComputeAssurance(l.facts), l.risk, l.ctx, night, l.creds);
  EXPECT_EQ(d.outcome, Decision::kDeny);
  EXPECT_TRUE(HasReason(d, "night"));
}

TEST(PolicyFile, InvalidDocumentsAreRefused) {
  for (
      std::string_view bad : {
          R"({"allowed_kinds": ["passkey"], "colour": "red"})",
          R"({"allowed_kinds": []})",
          R"({"allowed_kinds": ["password"]})",
          R"({"allowed_kinds": ["passkey"], "actions": {"login": "aal4"}})",
          R"({"allowed_kinds": ["passkey"], "user_verification": "sometimes"})",
          R"({"allowed_kinds": ["passkey"], "attestation": "maybe"})",
          R"({"allowed_kinds": ["passkey"], "aaguid_allow_list": ["abcd"]})",
          R"({"allowed_kinds": ["passkey"], "unused_days": 0})",
          R"({"allowed_kinds": ["passkey"], "rules": [{"if": {"signals": ["moon"]}, "then": "deny"}]})",
          R"({"allowed_kinds": ["passkey"], "rules": [{"if": {"network_in": ["10.0.0.0/99"]}, "then": "deny"}]})",
          R"({"allowed_kinds": ["passkey"], "rules": [{"if": {"weather": "rain"}, "then": "deny"}]})",
          R"({"allowed_kinds": ["passkey"], "rules": [{"if": {}, "then": "maybe"}]})",
          R"({"allowed_kinds": ["passkey"], "rules": [{"if": {}}]})",
          R"({"allowed_kinds": ["passkey"], "rules": [{"if": {"outside_hours_utc": [1]}, "then": "deny"}]})",
          R"({"extends": "bank"})",
          R"([1, 2])",
      }) {
    auto p = Policy::FromJson(bad);
    ASSERT_FALSE(p) << bad;
    EXPECT_EQ(p.error().code, ErrorCode::kConfigInvalid) << bad;
  }
  EXPECT_EQ(Policy::FromJson("{not json").error().code, ErrorCode::kJsonMalformed);
  EXPECT_EQ(Policy::Preset("bank").error().code, ErrorCode::kConfigInvalid);
}

TEST(IpNetworkTest, Matching) {
  auto v4 = IpNetwork::Parse("192.168.0.0/16");
  ASSERT_TRUE(v4);
  EXPECT_TRUE(v4->Contains("192.168.7.9"));
  EXPECT_FALSE(v4->Contains("192.169.0.1"));
  EXPECT_FALSE(v4->Contains("::1"));
  auto host = IpNetwork::Parse("203.0.113.7");
  ASSERT_TRUE(host);
  EXPECT_TRUE(host->Contains("203.0.113.7"));
  EXPECT_FALSE(host->Contains("203.0.113.8"));
  auto v6 = IpNetwork::Parse("2001:db8::/33");
  ASSERT_TRUE(v6);
  EXPECT_TRUE(v6->Contains("2001:db8:7fff::1"));
  EXPECT_FALSE(v6->Contains("2001:db8:8000::1"));
  EXPECT_FALSE(IpNetwork::Parse("10.0.0.0/"));
  EXPECT_FALSE(IpNetwork::Parse("nonsense/8"));
}

}  // namespace
}  // namespace keyward::authenticator
