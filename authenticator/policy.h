// The policy engine: which credential kinds and attestations a deployment accepts, the NIST
// SP 800-63B assurance level a login reaches, risk signals, and the rules that turn signals and
// request context into allow / step-up / deny.
//
// A Policy is either a preset ("ciam", "workforce") or a JSON document (docs/authenticator.md,
// "Policy file"); a document may start from a preset with "extends" and override members.
// Unknown members are refused (kConfigInvalid) so a typo cannot silently weaken a policy.
//
// Evaluation of a verified login (Evaluate), in order:
//   1. the credential kind must be allowed, synced passkeys must be allowed if BE=1, and user
//      verification must have happened when the policy requires it → otherwise deny;
//   2. every rule whose conditions all hold fires; a firing "deny" denies; "step_up" raises the
//      required level (or names a required kind);
//   3. the action's level (policy "actions"; an unknown action is denied) joins the requirement;
//   4. if the login's assurance is below the requirement (or the kind is not the required one):
//      step-up, naming the credential kinds of this principal that can reach it (deny if none);
//   5. otherwise allow.
#ifndef KEYWARD_AUTHENTICATOR_POLICY_H_
#define KEYWARD_AUTHENTICATOR_POLICY_H_

#include <array>
#include <map>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "core/bytes.h"
#include "core/json.h"
#include "keyward/authenticator.h"

namespace keyward::authenticator {

using AaguidBytes = std::array<uint8_t, 16>;

// An IPv4 or IPv6 network in CIDR form ("10.0.0.0/8", "2001:db8::/32").
struct IpNetwork {
  int family = 0;  // AF_INET / AF_INET6
  std::array<uint8_t, 16> address{};
  int prefix = 0;
  static Result<IpNetwork> Parse(std::string_view cidr);
  // False for an unparsable address or another family.
  bool Contains(std::string_view ip) const;
};

struct PolicyRule {
  std::string name;
  // Conditions: all present ones must hold.
  std::vector<std::string> signals;   // every one of these risk signals is set
  std::vector<CredentialKind> kinds;  // the credential is of one of these kinds
  std::vector<std::string> country_in;
  std::vector<std::string> country_not_in;  // an unknown country counts as "not in"
  std::vector<IpNetwork> network_in;
  std::vector<IpNetwork> network_not_in;     // an unknown / unparsable IP counts as "not in"
  std::vector<std::string> posture_missing;  // at least one of these flags is absent
  std::optional<std::pair<int, int>> outside_hours_utc;  // hour not in [first, second)
  // Effect.
  Decision effect = Decision::kAllow;
  Aal step_up_aal = Aal::kNone;
  std::optional<CredentialKind> step_up_kind;
};

struct Policy {
  std::string name;
  std::vector<CredentialKind> allowed_kinds;
  std::string user_verification = "preferred";  // "required" | "preferred" | "discouraged"
  // "any": every attestation is accepted (and recorded with its trust status); "verified": none
  // and self attestation are accepted, but an attestation certificate must chain to a trust
  // anchor or a loaded metadata statement (what the FIDO conformance tools expect); "trusted":
  // only attestation chaining to a trust anchor.
  std::string attestation = "any";
  std::vector<AaguidBytes> aaguid_allow_list;  // empty: any AAGUID
  bool allow_synced_passkeys = true;
  int64_t unused_days = 180;
  int64_t challenge_ttl_seconds = 300;
  std::map<std::string, Aal, std::less<>> actions;  // action → level it needs
  std::vector<PolicyRule> rules;

  static Result<Policy> Preset(std::string_view name);
  // A JSON document; kConfigInvalid (or kJson*) when it is not a valid policy.
  static Result<Policy> FromJson(std::string_view json);
  // A preset name, else a JSON document.
  static Result<Policy> Load(std::string_view preset_or_json);

  bool Allows(CredentialKind kind) const;
  bool RequiresUv() const { return user_verification == "required"; }
};

// Facts a registration produced, as the policy needs them.
struct RegistrationFacts {
  CredentialKind kind = CredentialKind::kPasskey;
  bool user_verified = false;
  bool backup_eligible = false;
  std::string trust_status;  // "trusted" | "unverified" | "untrusted"
  std::optional<AaguidBytes> aaguid;
  // "none" | "self" | "basic" | "attca" | "anonca" (the latter three carry a certificate path)
  std::string attestation_type = "none";
};

// kPolicyDenied (kind not allowed, synced passkey refused, AAGUID not on the allow-list),
// kAttestationTrustRequired (policy wants trusted attestation; "verified": a certificate path
// that reaches no anchor), kAttestationUntrusted ("verified": a certificate path that fails
// against its anchors), kUserNotVerified.
Result<void> CheckRegistration(const Policy& policy, const RegistrationFacts& facts);

// Facts of one verified login.
struct LoginFacts {
  CredentialKind kind = CredentialKind::kPasskey;
  bool user_verified = false;  // UV flag, or the card's PIN for smart cards
  bool backup_eligible = false;
  bool attestation_trusted = false;
  // Smart cards: the key is known to live in hardware (pkcs11 reports AAL3). False caps at AAL2.
  bool hardware_key = true;
};

Assurance ComputeAssurance(const LoginFacts& facts);
// The highest level a stored credential can reach with user verification.
Aal MaxReachableAal(const Credential& credential);

// Signals from the stored credential and the verified assertion. Sign-count regression follows
// WebAuthn L3 §7.2 step 21: both counters zero is "no counter", not a regression.
RiskSignals ComputeRiskSignals(const Credential& stored, uint32_t new_sign_count, bool backup_state,
                               int64_t now, int64_t unused_days);

PolicyDecision Evaluate(const Policy& policy, const LoginFacts& facts, const Assurance& assurance,
                        const RiskSignals& risk, const RequestContext& context, int64_t now,
                        std::span<const Credential> principal_credentials);

// The requirement of an action alone (Authorize). Unknown action: nullopt.
std::optional<Aal> ActionLevel(const Policy& policy, std::string_view action);

}  // namespace keyward::authenticator

#endif  // KEYWARD_AUTHENTICATOR_POLICY_H_
