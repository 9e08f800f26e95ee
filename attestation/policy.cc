#include "attestation/policy.h"

#include <algorithm>

#include "attestation/metadata.h"

namespace keyward::attestation {

std::string_view CertificationLevelName(CertificationLevel level) {
  switch (level) {
    case CertificationLevel::kNotCertified:
      return "not_certified";
    case CertificationLevel::kL1:
      return "L1";
    case CertificationLevel::kL1Plus:
      return "L1+";
    case CertificationLevel::kL2:
      return "L2";
    case CertificationLevel::kL2Plus:
      return "L2+";
    case CertificationLevel::kL3:
      return "L3";
    case CertificationLevel::kL3Plus:
      return "L3+";
  }
  return "not_certified";
}

AttestationPolicy AttestationPolicy::Ciam(const TrustStore* trust, const MetadataBlob* metadata) {
  return AttestationPolicy(false, trust, metadata);
}

AttestationPolicy AttestationPolicy::Workforce(const TrustStore& trust,
                                               const MetadataBlob* metadata) {
  return AttestationPolicy(true, &trust, metadata ? metadata : trust.metadata());
}

AttestationPolicy AttestationPolicy::Workforce(const MetadataBlob& metadata) {
  return AttestationPolicy(true, nullptr, &metadata);
}

AttestationPolicy& AttestationPolicy::AllowAaguids(std::vector<Aaguid> allowed) {
  allowed_ = std::move(allowed);
  return *this;
}

AttestationPolicy& AttestationPolicy::RequireCertificationLevel(CertificationLevel minimum) {
  minimum_level_ = minimum;
  return *this;
}

Result<void> CheckAttestationPolicy(const AttestationPolicy& policy, std::string_view fmt,
                                    const StatementResult& statement, const TrustVerdict& verdict,
                                    const Aaguid& aaguid, const MetadataBlob* metadata) {
  if (!metadata) metadata = policy.metadata();
  if (!metadata && policy.trust_store()) metadata = policy.trust_store()->metadata();
  const MetadataEntry* entry = nullptr;
  if (metadata) {
    const Certificate* leaf = nullptr;
    if (!statement.trust_path.empty()) {
      leaf = &statement.trust_path.front();
    } else if (!statement.inner.empty() && !statement.inner.front().result.trust_path.empty()) {
      leaf = &statement.inner.front().result.trust_path.front();
    }
    entry = metadata->FindFor(aaguid, leaf);
    if (entry && entry->compromised()) {
      const StatusReport* r = entry->LatestStatus();
      return Fail(ErrorCode::kMetadataAuthenticatorRevoked, "metadata: \"" + entry->description +
                                                                "\" status " + r->status +
                                                                " since " + r->effective_date);
    }
  }
  if (!policy.requires_trust()) return Ok();

  switch (verdict.status) {
    case TrustStatus::kTrusted:
      break;
    case TrustStatus::kUntrusted:
      if (verdict.error && verdict.error->code == ErrorCode::kMetadataStale) {
        return Fail(ErrorCode::kMetadataStale, verdict.error->detail);
      }
      return Fail(ErrorCode::kAttestationUntrusted,
                  std::string(fmt) + " attestation does not chain to a trust anchor" +
                      (verdict.error ? ": " + verdict.error->ToString() : ""),
                  verdict.error ? verdict.error->native : 0);
    case TrustStatus::kUnverified:
      return Fail(ErrorCode::kAttestationTrustRequired,
                  std::string(fmt) + " attestation (" +
                      std::string(AttestationTypeName(statement.type)) +
                      ") cannot be verified against any trust anchor");
  }
  if (const auto& allowed = policy.allowed_aaguids()) {
    if (std::find(allowed->begin(), allowed->end(), aaguid) == allowed->end()) {
      return Fail(ErrorCode::kAaguidNotAllowed, "AAGUID " + FormatAaguid(aaguid) + " not allowed");
    }
  }
  if (auto minimum = policy.minimum_level()) {
    if (!entry) {
      return Fail(ErrorCode::kMetadataCertificationInsufficient,
                  "no metadata entry for AAGUID " + FormatAaguid(aaguid));
    }
    CertificationLevel level = entry->certification_level();
    if (level < *minimum) {
      return Fail(ErrorCode::kMetadataCertificationInsufficient,
                  "certification " + std::string(CertificationLevelName(level)) + " < required " +
                      std::string(CertificationLevelName(*minimum)));
    }
  }
  return Ok();
}

}  // namespace keyward::attestation
