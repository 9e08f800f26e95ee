#include "authenticator/policy.h"

#include <arpa/inet.h>
#include <sys/socket.h>

#include <algorithm>
#include <cctype>
#include <set>

namespace keyward::authenticator {
namespace {

constexpr std::string_view kCiamPreset = R"json({
  "name": "ciam",
  "allowed_kinds": ["passkey", "security_key"],
  "user_verification": "preferred",
  "attestation": "any",
  "allow_synced_passkeys": true,
  "unused_days": 180,
  "challenge_ttl_seconds": 300,
  "actions": {"login": "aal1", "account_settings": "aal2", "payment": "aal2"},
  "rules": [
    {"name": "clone_suspected", "if": {"signals": ["sign_count_regressed"]}, "then": "deny"},
    {"name": "dormant_credential", "if": {"signals": ["unused_long"]},
     "then": {"step_up": "aal2"}}
  ]
})json";

constexpr std::string_view kWorkforcePreset = R"json({
  "name": "workforce",
  "allowed_kinds": ["security_key", "smart_card", "passkey"],
  "user_verification": "required",
  "attestation": "trusted",
  "aaguid_allow_list": [],
  "allow_synced_passkeys": false,
  "unused_days": 90,
  "challenge_ttl_seconds": 120,
  "actions": {"login": "aal2", "admin": "aal3"},
  "rules": [
    {"name": "clone_suspected", "if": {"signals": ["sign_count_regressed"]}, "then": "deny"},
    {"name": "backup_state_changed", "if": {"signals": ["backup_state_changed"]},
     "then": "deny"},
    {"name": "dormant_credential", "if": {"signals": ["unused_long"]},
     "then": {"step_up": "aal3"}},
    {"name": "unmanaged_device", "if": {"posture_missing": ["managed"]},
     "then": {"step_up": "aal3"}}
  ]
})json";

const std::set<std::string, std::less<>> kSignalNames = {
    "sign_count_regressed", "backup_state_changed", "first_use", "unused_long"};

Unexpected Invalid(std::string detail) {
  return Fail(ErrorCode::kConfigInvalid, "policy: " + std::move(detail));
}

Result<std::vector<std::string>> StringList(const Json& j, std::string_view what) {
  if (!j.is_array()) return Invalid(std::string(what) + " must be an array of strings");
  std::vector<std::string> out;
  for (const auto& e : j) {
    if (!e.is_string()) return Invalid(std::string(what) + " must be an array of strings");
    out.push_back(e.get<std::string>());
  }
  return out;
}

Result<Aal> ParseAal(const Json& j, std::string_view what) {
  if (!j.is_string()) return Invalid(std::string(what) + " must be aal1|aal2|aal3");
  auto a = AalFromName(j.get<std::string>());
  if (!a || *a == Aal::kNone) return Invalid(std::string(what) + " must be aal1|aal2|aal3");
  return *a;
}

Result<std::vector<CredentialKind>> KindList(const Json& j, std::string_view what) {
  KW_ASSIGN_OR_RETURN(auto names, StringList(j, what));
  std::vector<CredentialKind> out;
  for (const auto& n : names) {
    auto k = CredentialKindFromName(n);
    if (!k) return Invalid("unknown credential kind \"" + n + "\" in " + std::string(what));
    out.push_back(*k);
  }
  return out;
}

std::string Upper(std::string s) {
  for (char& c : s) c = static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
  return s;
}

Result<PolicyRule> ParseRule(const Json& j, size_t index) {
  const std::string where = "rules[" + std::to_string(index) + "]";
  if (!j.is_object()) return Invalid(where + " must be an object");
  PolicyRule r;
  for (const auto& [key, value] : j.items()) {
    if (key == "name") {
      if (!value.is_string()) return Invalid(where + ".name must be a string");
      r.name = value.get<std::string>();
    } else if (key == "if") {
      if (!value.is_object()) return Invalid(where + ".if must be an object");
      for (const auto& [ck, cv] : value.items()) {
        const std::string cw = where + ".if." + ck;
        if (ck == "signals") {
          KW_ASSIGN_OR_RETURN(r.signals, StringList(cv, cw));
          for (const auto& s : r.signals) {
            if (!kSignalNames.contains(s)) return Invalid("unknown signal \"" + s + "\" in " + cw);
          }
        } else if (ck == "kinds") {
          KW_ASSIGN_OR_RETURN(r.kinds, KindList(cv, cw));
        } else if (ck == "country_in" || ck == "country_not_in") {
          KW_ASSIGN_OR_RETURN(auto list, StringList(cv, cw));
          for (auto& c : list) c = Upper(c);
          (ck == "country_in" ? r.country_in : r.country_not_in) = std::move(list);
        } else if (ck == "network_in" || ck == "network_not_in") {
          KW_ASSIGN_OR_RETURN(auto list, StringList(cv, cw));
          auto& target = ck == "network_in" ? r.network_in : r.network_not_in;
          for (const auto& cidr : list) {
            auto net = IpNetwork::Parse(cidr);
            if (!net) return Invalid("bad network \"" + cidr + "\" in " + cw);
            target.push_back(*net);
          }
        } else if (ck == "posture_missing") {
          KW_ASSIGN_OR_RETURN(r.posture_missing, StringList(cv, cw));
        } else if (ck == "outside_hours_utc") {
          if (!cv.is_array() || cv.size() != 2 || !cv[0].is_number_integer() ||
              !cv[1].is_number_integer()) {
            return Invalid(cw + " must be [start_hour, end_hour]");
          }
          const int a = cv[0].get<int>(), b = cv[1].get<int>();
          if (a < 0 || a > 24 || b < 0 || b > 24) return Invalid(cw + " hours must be 0..24");
          r.outside_hours_utc = std::make_pair(a, b);
        } else {
          return Invalid("unknown condition \"" + ck + "\" in " + where);
        }
      }
    } else if (key == "then") {
      if (value.is_string()) {
        const auto s = value.get<std::string>();
        if (s == "deny") {
          r.effect = Decision::kDeny;
        } else if (s == "allow") {
          r.effect = Decision::kAllow;
        } else {
          return Invalid(where + ".then must be \"allow\", \"deny\" or {\"step_up\": ...}");
        }
      } else if (value.is_object() && value.size() == 1 && value.contains("step_up")) {
        r.effect = Decision::kStepUp;
        KW_ASSIGN_OR_RETURN(r.step_up_aal, ParseAal(value["step_up"], where + ".then.step_up"));
      } else if (value.is_object() && value.size() == 1 && value.contains("step_up_kind")) {
        r.effect = Decision::kStepUp;
        const Json& k = value["step_up_kind"];
        auto kind = k.is_string() ? CredentialKindFromName(k.get<std::string>()) : std::nullopt;
        if (!kind) return Invalid(where + ".then.step_up_kind must be a credential kind");
        r.step_up_kind = *kind;
      } else {
        return Invalid(where + ".then must be \"allow\", \"deny\" or {\"step_up\": ...}");
      }
    } else {
      return Invalid("unknown member \"" + key + "\" in " + where);
    }
  }
  if (r.name.empty()) r.name = where;
  if (!j.contains("then")) return Invalid(where + " has no \"then\"");
  return r;
}

Result<void> ApplyJson(Policy& p, const Json& j) {
  for (const auto& [key, value] : j.items()) {
    if (key == "extends") continue;
    if (key == "name") {
      if (!value.is_string()) return Invalid("name must be a string");
      p.name = value.get<std::string>();
    } else if (key == "allowed_kinds") {
      KW_ASSIGN_OR_RETURN(p.allowed_kinds, KindList(value, key));
    } else if (key == "user_verification") {
      if (!value.is_string()) return Invalid("user_verification must be a string");
      const auto s = value.get<std::string>();
      if (s != "required" && s != "preferred" && s != "discouraged") {
        return Invalid("user_verification must be required|preferred|discouraged");
      }
      p.user_verification = s;
    } else if (key == "attestation") {
      if (!value.is_string()) return Invalid("attestation must be a string");
      const auto s = value.get<std::string>();
      if (s != "any" && s != "verified" && s != "trusted") {
        return Invalid("attestation must be any|verified|trusted");
      }
      p.attestation = s;
    } else if (key == "aaguid_allow_list") {
      KW_ASSIGN_OR_RETURN(auto list, StringList(value, key));
      p.aaguid_allow_list.clear();
      for (std::string s : list) {
        s.erase(std::remove(s.begin(), s.end(), '-'), s.end());
        auto bytes = HexDecode(s);
        if (!bytes || bytes->size() != 16) return Invalid("bad AAGUID \"" + s + "\"");
        AaguidBytes a{};
        std::copy(bytes->begin(), bytes->end(), a.begin());
        p.aaguid_allow_list.push_back(a);
      }
    } else if (key == "allow_synced_passkeys") {
      if (!value.is_boolean()) return Invalid("allow_synced_passkeys must be a boolean");
      p.allow_synced_passkeys = value.get<bool>();
    } else if (key == "unused_days" || key == "challenge_ttl_seconds") {
      if (!value.is_number_integer() || value.get<int64_t>() <= 0) {
        return Invalid(key + " must be a positive integer");
      }
      (key == "unused_days" ? p.unused_days : p.challenge_ttl_seconds) = value.get<int64_t>();
    } else if (key == "actions") {
      if (!value.is_object()) return Invalid("actions must be an object");
      for (const auto& [action, level] : value.items()) {
        KW_ASSIGN_OR_RETURN(p.actions[action], ParseAal(level, "actions." + action));
      }
    } else if (key == "rules") {
      if (!value.is_array()) return Invalid("rules must be an array");
      p.rules.clear();
      for (size_t i = 0; i < value.size(); ++i) {
        KW_ASSIGN_OR_RETURN(PolicyRule r, ParseRule(value[i], i));
        p.rules.push_back(std::move(r));
      }
    } else {
      return Invalid("unknown member \"" + key + "\"");
    }
  }
  if (p.allowed_kinds.empty()) return Invalid("allowed_kinds is empty");
  return Ok();
}

bool Contains(const std::vector<std::string>& v, std::string_view s) {
  return std::find(v.begin(), v.end(), s) != v.end();
}

bool RuleMatches(const PolicyRule& r, const LoginFacts& facts, const RiskSignals& risk,
                 const RequestContext& ctx, int64_t now) {
  const auto names = risk.Names();
  for (const auto& s : r.signals) {
    if (!Contains(names, s)) return false;
  }
  if (!r.kinds.empty() && std::find(r.kinds.begin(), r.kinds.end(), facts.kind) == r.kinds.end()) {
    return false;
  }
  const std::string country = Upper(ctx.country);
  if (!r.country_in.empty() && (country.empty() || !Contains(r.country_in, country))) {
    return false;
  }
  if (!r.country_not_in.empty() && !country.empty() && Contains(r.country_not_in, country)) {
    return false;
  }
  if (!r.network_in.empty() &&
      std::none_of(r.network_in.begin(), r.network_in.end(),
                   [&](const IpNetwork& n) { return n.Contains(ctx.ip); })) {
    return false;
  }
  if (!r.network_not_in.empty() &&
      std::any_of(r.network_not_in.begin(), r.network_not_in.end(),
                  [&](const IpNetwork& n) { return n.Contains(ctx.ip); })) {
    return false;
  }
  if (!r.posture_missing.empty() &&
      std::all_of(r.posture_missing.begin(), r.posture_missing.end(),
                  [&](const std::string& f) { return Contains(ctx.device_posture, f); })) {
    return false;
  }
  if (r.outside_hours_utc) {
    const int hour = static_cast<int>(((now % 86400) + 86400) % 86400 / 3600);
    const auto [a, b] = *r.outside_hours_utc;
    const bool inside = a <= b ? (hour >= a && hour < b) : (hour >= a || hour < b);
    if (inside) return false;
  }
  return true;
}

}  // namespace

Result<IpNetwork> IpNetwork::Parse(std::string_view cidr) {
  IpNetwork n;
  const size_t slash = cidr.find('/');
  const std::string addr(cidr.substr(0, slash));
  if (inet_pton(AF_INET, addr.c_str(), n.address.data()) == 1) {
    n.family = AF_INET;
  } else if (inet_pton(AF_INET6, addr.c_str(), n.address.data()) == 1) {
    n.family = AF_INET6;
  } else {
    return Fail(ErrorCode::kConfigInvalid, "not an IP network");
  }
  const int max = n.family == AF_INET ? 32 : 128;
  n.prefix = max;
  if (slash != std::string_view::npos) {
    const std::string p(cidr.substr(slash + 1));
    if (p.empty() || p.size() > 3 || !std::all_of(p.begin(), p.end(), ::isdigit)) {
      return Fail(ErrorCode::kConfigInvalid, "bad prefix length");
    }
    n.prefix = std::stoi(p);
    if (n.prefix > max) return Fail(ErrorCode::kConfigInvalid, "prefix length too long");
  }
  return n;
}

bool IpNetwork::Contains(std::string_view ip) const {
  std::array<uint8_t, 16> a{};
  const std::string s(ip);
  if (inet_pton(family, s.c_str(), a.data()) != 1) return false;
  int bits = prefix;
  for (size_t i = 0; bits > 0; ++i, bits -= 8) {
    const uint8_t mask = bits >= 8 ? 0xff : static_cast<uint8_t>(0xff << (8 - bits));
    if ((a[i] & mask) != (address[i] & mask)) return false;
  }
  return true;
}

Result<Policy> Policy::Preset(std::string_view name) {
  if (name == "ciam") return FromJson(kCiamPreset);
  if (name == "workforce") return FromJson(kWorkforcePreset);
  return Fail(ErrorCode::kConfigInvalid, "unknown policy preset");
}

Result<Policy> Policy::FromJson(std::string_view json) {
  KW_ASSIGN_OR_RETURN(Json j, ParseJson(json));
  if (!j.is_object()) return Invalid("document must be an object");
  Policy p;
  if (j.contains("extends")) {
    if (!j["extends"].is_string()) return Invalid("extends must be a preset name");
    const auto base = j["extends"].get<std::string>();
    if (base != "ciam" && base != "workforce") return Invalid("extends: unknown preset");
    KW_ASSIGN_OR_RETURN(p, Preset(base));
  }
  KW_TRY(ApplyJson(p, j));
  if (p.name.empty()) p.name = "custom";
  return p;
}

Result<Policy> Policy::Load(std::string_view preset_or_json) {
  if (preset_or_json == "ciam" || preset_or_json == "workforce") return Preset(preset_or_json);
  return FromJson(preset_or_json);
}

bool Policy::Allows(CredentialKind kind) const {
  return std::find(allowed_kinds.begin(), allowed_kinds.end(), kind) != allowed_kinds.end();
}

Result<void> CheckRegistration(const Policy& policy, const RegistrationFacts& f) {
  if (!policy.Allows(f.kind)) {
    return Fail(ErrorCode::kPolicyDenied,
                std::string(CredentialKindName(f.kind)) + " is not allowed by the policy");
  }
  if (f.backup_eligible && !policy.allow_synced_passkeys) {
    return Fail(ErrorCode::kPolicyDenied, "synced (backup-eligible) passkeys are refused");
  }
  if (policy.RequiresUv() && !f.user_verified) {
    return Fail(ErrorCode::kUserNotVerified, "the policy requires user verification");
  }
  if (f.kind != CredentialKind::kSmartCard) {
    if (policy.attestation == "trusted" && f.trust_status != "trusted") {
      return Fail(ErrorCode::kAttestationTrustRequired,
                  "the policy requires attestation chaining to a trusted anchor (got " +
                      f.trust_status + ")");
    }
    const bool has_path = f.attestation_type != "none" && f.attestation_type != "self";
    if (policy.attestation == "verified" && has_path && f.trust_status != "trusted") {
      if (f.trust_status == "untrusted") {
        return Fail(
            ErrorCode::kAttestationUntrusted,
            f.attestation_type + " attestation certificate does not chain to its trust anchors");
      }
      return Fail(ErrorCode::kAttestationTrustRequired,
                  f.attestation_type +
                      " attestation certificate reaches no trust anchor or metadata statement");
    }
    if (!policy.aaguid_allow_list.empty() &&
        (!f.aaguid || std::find(policy.aaguid_allow_list.begin(), policy.aaguid_allow_list.end(),
                                *f.aaguid) == policy.aaguid_allow_list.end())) {
      return Fail(ErrorCode::kPolicyDenied,
                  "authenticator model (AAGUID) is not on the allow-list");
    }
  }
  return Ok();
}

Assurance ComputeAssurance(const LoginFacts& f) {
  if (f.kind == CredentialKind::kSmartCard) {
    if (f.user_verified && !f.hardware_key) {
      return {Aal::kAal2, "smart card with PIN; key not proven to be hardware-generated"};
    }
    if (f.user_verified) {
      return {Aal::kAal3,
              "smart card: hardware-protected key with PIN (multi-factor cryptographic)"};
    }
    return {Aal::kAal1, "smart card without PIN: single-factor cryptographic device"};
  }
  if (!f.user_verified) return {Aal::kAal1, "user presence only, no user verification"};
  if (f.backup_eligible) {
    return {Aal::kAal2, "synced passkey with user verification (key may leave the device)"};
  }
  if (f.attestation_trusted) {
    return {Aal::kAal3,
            "device-bound key with trusted attestation and user verification (hardware, "
            "phishing-resistant)"};
  }
  return {Aal::kAal2, "device-bound key with user verification; hardware not attested"};
}

Aal MaxReachableAal(const Credential& c) {
  if (c.kind == CredentialKind::kSmartCard) return Aal::kAal3;
  if (c.backup_eligible) return Aal::kAal2;
  return c.trust_status == "trusted" ? Aal::kAal3 : Aal::kAal2;
}

RiskSignals ComputeRiskSignals(const Credential& stored, uint32_t new_sign_count, bool backup_state,
                               int64_t now, int64_t unused_days) {
  RiskSignals r;
  r.sign_count_regressed =
      (stored.sign_count != 0 || new_sign_count != 0) && new_sign_count <= stored.sign_count;
  r.backup_state_changed = stored.backup_state != backup_state;
  r.first_use = stored.last_used_at == 0;
  if (!r.first_use) {
    r.days_since_last_use = std::max<int64_t>(0, (now - stored.last_used_at) / 86400);
    r.unused_long = r.days_since_last_use >= unused_days;
  }
  return r;
}

std::optional<Aal> ActionLevel(const Policy& policy, std::string_view action) {
  auto it = policy.actions.find(action);
  if (it == policy.actions.end()) return std::nullopt;
  return it->second;
}

PolicyDecision Evaluate(const Policy& policy, const LoginFacts& facts, const Assurance& assurance,
                        const RiskSignals& risk, const RequestContext& context, int64_t now,
                        std::span<const Credential> principal_credentials) {
  PolicyDecision d;
  auto deny = [&](std::string reason) {
    d.outcome = Decision::kDeny;
    d.required_aal = Aal::kNone;
    d.satisfying_kinds.clear();
    d.reasons.push_back(std::move(reason));
    return d;
  };
  if (!policy.Allows(facts.kind)) return deny("kind_not_allowed");
  if (facts.kind == CredentialKind::kPasskey && facts.backup_eligible &&
      !policy.allow_synced_passkeys) {
    return deny("synced_passkey_refused");
  }
  if (policy.RequiresUv() && !facts.user_verified) return deny("user_verification_required");

  auto action_level = ActionLevel(policy, context.action);
  if (!action_level) return deny("unknown_action");
  Aal required = *action_level;
  std::optional<CredentialKind> required_kind;
  std::vector<std::string> step_reasons;
  for (const PolicyRule& rule : policy.rules) {
    if (!RuleMatches(rule, facts, risk, context, now)) continue;
    if (rule.effect == Decision::kDeny) return deny(rule.name);
    if (rule.effect == Decision::kStepUp) {
      if (rule.step_up_aal > required) required = rule.step_up_aal;
      if (rule.step_up_kind) required_kind = rule.step_up_kind;
      step_reasons.push_back(rule.name);
    }
  }
  const bool level_ok = assurance.level >= required;
  const bool kind_ok = !required_kind || *required_kind == facts.kind;
  if (level_ok && kind_ok) {
    d.outcome = Decision::kAllow;
    d.required_aal = required;
    d.reasons = step_reasons;  // rules that fired but were satisfied
    if (d.reasons.empty()) d.reasons.push_back("requirements_met");
    return d;
  }
  // Step-up: which of the principal's credentials could satisfy it?
  std::vector<CredentialKind> kinds;
  for (const Credential& c : principal_credentials) {
    if (!policy.Allows(c.kind)) continue;
    if (c.kind == CredentialKind::kPasskey && c.backup_eligible && !policy.allow_synced_passkeys) {
      continue;
    }
    if (MaxReachableAal(c) < required) continue;
    if (required_kind && c.kind != *required_kind) continue;
    if (std::find(kinds.begin(), kinds.end(), c.kind) == kinds.end()) kinds.push_back(c.kind);
  }
  if (!level_ok)
    step_reasons.push_back(std::string("action_needs_") + std::string(AalName(required)));
  if (!kind_ok) {
    step_reasons.push_back(std::string("needs_") + std::string(CredentialKindName(*required_kind)));
  }
  if (kinds.empty()) {
    d.reasons = step_reasons;
    return deny("no_credential_can_step_up");
  }
  d.outcome = Decision::kStepUp;
  d.required_aal = required;
  d.satisfying_kinds = std::move(kinds);
  d.reasons = std::move(step_reasons);
  return d;
}

}  // namespace keyward::authenticator
