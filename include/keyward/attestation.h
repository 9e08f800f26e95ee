// keyward attestation: what a relying party configures (WebAuthn L3 §7.1 steps 21-24, §8; FIDO
// Metadata Service v3): per-format verification options and the attestation policy a
// registration ceremony enforces after the statement verified and trust was evaluated.
//
// Invariants:
//  - An AttestationPolicy that demands trusted attestation always holds a trust source: the only
//    way to build one is a factory taking a TrustStore or a MetadataBlob by reference. The
//    referenced objects must outlive the policy.
//  - `ciam` accepts every statement that verified (none, self, any trust status) and reports the
//    trust verdict; metadata status reports that mark an authenticator compromised still reject.
//  - `workforce` requires a trusted attestation; optionally an AAGUID allow-list and a minimum
//    FIDO certification level (both need the AAGUID to be attested, i.e. a trusted statement).
#ifndef KEYWARD_ATTESTATION_H_
#define KEYWARD_ATTESTATION_H_

#include <array>
#include <cstdint>
#include <optional>
#include <string_view>
#include <vector>

#include "keyward/export.h"
#include "keyward/result.h"

KEYWARD_API_BEGIN

namespace keyward::attestation {

using Aaguid = std::array<uint8_t, 16>;

class TrustStore;    // attestation/trust_store.h
class MetadataBlob;  // attestation/metadata.h

// Per-format verification options (defaults are the spec's behaviour).
struct AttestationOptions {
  // android-safetynet: the response's timestampMs must be at most this old at the verification
  // time, and never later than the verification time plus `safetynet_max_future_skew_ms`.
  int64_t safetynet_max_age_ms = 60'000;
  int64_t safetynet_max_future_skew_ms = 0;
  // android-key: judge origin/purpose on teeEnforced only (WebAuthn L3 §8.4 lets an RP that
  // accepts only TEE keys do so); default is the union of softwareEnforced and teeEnforced.
  bool android_key_require_tee = false;
};

// FIDO certification levels, as metadata status reports name them (FIDO_CERTIFIED counts as L1).
enum class CertificationLevel : uint8_t {
  kNotCertified = 0,
  kL1 = 1,
  kL1Plus = 2,
  kL2 = 3,
  kL2Plus = 4,
  kL3 = 5,
  kL3Plus = 6,
};
std::string_view CertificationLevelName(CertificationLevel level);  // "L1", "L2+", ...

class AttestationPolicy {
 public:
  // Accept every verified statement; report trust against the optional sources.
  static AttestationPolicy Ciam(const TrustStore* trust = nullptr,
                                const MetadataBlob* metadata = nullptr);
  // Require a trusted attestation. Anchors come from `trust` (and `metadata` when given).
  static AttestationPolicy Workforce(const TrustStore& trust,
                                     const MetadataBlob* metadata = nullptr);
  // Require a trusted attestation with anchors from metadata (attestationRootCertificates).
  static AttestationPolicy Workforce(const MetadataBlob& metadata);

  // Workforce refinements.
  AttestationPolicy& AllowAaguids(std::vector<Aaguid> allowed);
  // Needs metadata: without an entry for the authenticator the check fails.
  AttestationPolicy& RequireCertificationLevel(CertificationLevel minimum);

  bool requires_trust() const { return requires_trust_; }
  const TrustStore* trust_store() const { return trust_; }
  const MetadataBlob* metadata() const { return metadata_; }
  const std::optional<std::vector<Aaguid>>& allowed_aaguids() const { return allowed_; }
  std::optional<CertificationLevel> minimum_level() const { return minimum_level_; }
  std::string_view name() const { return requires_trust_ ? "workforce" : "ciam"; }

 private:
  AttestationPolicy(bool requires_trust, const TrustStore* trust, const MetadataBlob* metadata)
      : requires_trust_(requires_trust), trust_(trust), metadata_(metadata) {}
  bool requires_trust_;
  const TrustStore* trust_;
  const MetadataBlob* metadata_;
  std::optional<std::vector<Aaguid>> allowed_;
  std::optional<CertificationLevel> minimum_level_;
};

}  // namespace keyward::attestation

KEYWARD_API_END

#endif  // KEYWARD_ATTESTATION_H_
