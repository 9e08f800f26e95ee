// Names of the public enums of keyward/authenticator.h (stable: JSON output and audit records).
#include <string>

#include "keyward/authenticator.h"

namespace keyward::authenticator {

std::string_view CredentialKindName(CredentialKind kind) {
  switch (kind) {
    case CredentialKind::kPasskey:
      return "passkey";
    case CredentialKind::kSecurityKey:
      return "security_key";
    case CredentialKind::kSmartCard:
      return "smart_card";
  }
  return "unknown";
}

std::optional<CredentialKind> CredentialKindFromName(std::string_view name) {
  for (CredentialKind k :
       {CredentialKind::kPasskey, CredentialKind::kSecurityKey, CredentialKind::kSmartCard}) {
    if (CredentialKindName(k) == name) return k;
  }
  return std::nullopt;
}

std::string_view AalName(Aal aal) {
  switch (aal) {
    case Aal::kNone:
      return "none";
    case Aal::kAal1:
      return "aal1";
    case Aal::kAal2:
      return "aal2";
    case Aal::kAal3:
      return "aal3";
  }
  return "none";
}

std::optional<Aal> AalFromName(std::string_view name) {
  for (Aal a : {Aal::kNone, Aal::kAal1, Aal::kAal2, Aal::kAal3}) {
    if (AalName(a) == name) return a;
  }
  return std::nullopt;
}

std::string_view DecisionName(Decision d) {
  switch (d) {
    case Decision::kAllow:
      return "allow";
    case Decision::kStepUp:
      return "step_up";
    case Decision::kDeny:
      return "deny";
  }
  return "deny";
}

std::vector<std::string> RiskSignals::Names() const {
  std::vector<std::string> out;
  if (sign_count_regressed) out.emplace_back("sign_count_regressed");
  if (backup_state_changed) out.emplace_back("backup_state_changed");
  if (first_use) out.emplace_back("first_use");
  if (unused_long) out.emplace_back("unused_long");
  return out;
}

}  // namespace keyward::authenticator
