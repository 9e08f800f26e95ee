// Fuzz target: the authenticator policy document parser (Policy::FromJson), then one evaluation
// of whatever policy it accepted, so rule matching sees fuzzed networks, hours and lists.
#include <cstddef>
#include <cstdint>
#include <string_view>

#include "authenticator/policy.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using namespace keyward::authenticator;
  auto policy = Policy::FromJson(std::string_view(reinterpret_cast<const char*>(data), size));
  if (!policy) return 0;
  LoginFacts facts{CredentialKind::kSecurityKey, true, false, false};
  RiskSignals risk;
  risk.unused_long = size % 2 == 0;
  RequestContext ctx;
  ctx.ip = size % 3 == 0 ? "10.1.2.3" : "2001:db8::7";
  ctx.country = "DE";
  Credential c;
  c.kind = CredentialKind::kSmartCard;
  Credential cs[] = {c};
  (void)Evaluate(*policy, facts, ComputeAssurance(facts), risk, ctx,
                 1700000000 + static_cast<int64_t>(size) * 3600, cs);
  return 0;
}
