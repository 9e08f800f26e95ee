// Trust anchors for attestation (WebAuthn L3 §7.1 steps 23-24 "obtain a list of acceptable trust
// anchors ... assess the attestation trustworthiness").
//
// Anchors apply to every statement, to one fmt, or to one AAGUID. Trust evaluation chains the
// statement's trust path (x5c) to the applicable anchors at the verification time:
//  - no trust path (none, self)         → kUnverified: nothing to evaluate;
//  - no store / no applicable anchor    → kUnverified;
//  - path reaches an anchor             → kTrusted, naming the anchor;
//  - otherwise                          → kUntrusted, with the chain error.
// Whether an unverified or untrusted attestation is acceptable is policy, decided by the caller.
#ifndef KEYWARD_ATTESTATION_TRUST_STORE_H_
#define KEYWARD_ATTESTATION_TRUST_STORE_H_

#include <map>
#include <optional>
#include <string>
#include <vector>

#include "attestation/format.h"

namespace keyward::attestation {

enum class TrustStatus { kUnverified, kTrusted, kUntrusted };
std::string_view TrustStatusName(TrustStatus status);  // "unverified", "trusted", "untrusted"

class TrustStore {
 public:
  void AddRoot(Certificate root);
  void AddRootForFormat(std::string fmt, Certificate root);
  void AddRootForAaguid(const Aaguid& aaguid, Certificate root);
  // Adds every certificate of a PEM or DER file as a root for all statements.
  Result<void> AddFile(const std::string& path);

  bool empty() const;
  std::vector<Certificate> AnchorsFor(std::string_view fmt, const Aaguid& aaguid) const;

 private:
  std::vector<Certificate> all_;
  std::map<std::string, std::vector<Certificate>, std::less<>> by_format_;
  std::map<Aaguid, std::vector<Certificate>> by_aaguid_;
};

struct TrustVerdict {
  TrustStatus status = TrustStatus::kUnverified;
  std::string anchor;          // subject DN of the anchor reached (trusted only)
  std::optional<Error> error;  // why the path failed (untrusted only)
  std::vector<Certificate> path;  // validated path, leaf first (trusted only)
};

TrustVerdict EvaluateTrust(const StatementResult& statement, std::string_view fmt,
                           const Aaguid& aaguid, const TrustStore* store, int64_t verify_time);

}  // namespace keyward::attestation

#endif  // KEYWARD_ATTESTATION_TRUST_STORE_H_
