#include "attestation/trust_store.h"

namespace keyward::attestation {

std::string_view TrustStatusName(TrustStatus status) {
  switch (status) {
    case TrustStatus::kUnverified:
      return "unverified";
    case TrustStatus::kTrusted:
      return "trusted";
    case TrustStatus::kUntrusted:
      return "untrusted";
  }
  return "unverified";
}

void TrustStore::AddRoot(Certificate root) { all_.push_back(std::move(root)); }
void TrustStore::AddRootForFormat(std::string fmt, Certificate root) {
  by_format_[std::move(fmt)].push_back(std::move(root));
}
void TrustStore::AddRootForAaguid(const Aaguid& aaguid, Certificate root) {
  by_aaguid_[aaguid].push_back(std::move(root));
}

Result<void> TrustStore::AddFile(const std::string& path) {
  KW_ASSIGN_OR_RETURN(std::string text, ReadFileToString(path, 1 << 20));
  if (text.find("-----BEGIN") != std::string::npos) {
    KW_ASSIGN_OR_RETURN(auto certs, Certificate::ParsePem(text));
    for (auto& c : certs) AddRoot(std::move(c));
    return Ok();
  }
  KW_ASSIGN_OR_RETURN(Certificate c, Certificate::ParseDer(AsBytes(text)));
  AddRoot(std::move(c));
  return Ok();
}

bool TrustStore::empty() const { return all_.empty() && by_format_.empty() && by_aaguid_.empty(); }

std::vector<Certificate> TrustStore::AnchorsFor(std::string_view fmt, const Aaguid& aaguid) const {
  std::vector<Certificate> out = all_;
  if (auto it = by_format_.find(fmt); it != by_format_.end()) {
    out.insert(out.end(), it->second.begin(), it->second.end());
  }
  if (auto it = by_aaguid_.find(aaguid); it != by_aaguid_.end()) {
    out.insert(out.end(), it->second.begin(), it->second.end());
  }
  return out;
}

TrustVerdict EvaluateTrust(const StatementResult& statement, std::string_view fmt,
                           const Aaguid& aaguid, const TrustStore* store, int64_t verify_time) {
  TrustVerdict v;
  if (statement.trust_path.empty() || store == nullptr) return v;
  std::vector<Certificate> anchors = store->AnchorsFor(fmt, aaguid);
  if (anchors.empty()) return v;
  std::span<const Certificate> intermediates(statement.trust_path.data() + 1,
                                             statement.trust_path.size() - 1);
  ChainOptions options;
  options.verify_time = verify_time;
  auto chain = VerifyChain(statement.trust_path.front(), intermediates, anchors, options);
  if (!chain) {
    v.status = TrustStatus::kUntrusted;
    v.error = chain.error();
    return v;
  }
  v.status = TrustStatus::kTrusted;
  v.anchor = chain->anchor().Subject();
  v.path = std::move(chain->path);
  return v;
}

}  // namespace keyward::attestation
