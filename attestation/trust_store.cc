#include "attestation/trust_store.h"

#include <openssl/err.h>
#include <openssl/x509.h>

#include <algorithm>
#include <array>
#include <cctype>
#include <filesystem>

#include "attestation/bundled_roots.h"
#include "attestation/metadata.h"
#include "attestation/revocation.h"

namespace keyward::attestation {
namespace {

namespace fs = std::filesystem;

bool HasExtension(const fs::path& p, std::initializer_list<const char*> exts) {
  std::string e = p.extension().string();
  std::transform(e.begin(), e.end(), e.begin(),
                 [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
  for (const char* x : exts) {
    if (e == x) return true;
  }
  return false;
}

bool IsCertFile(const fs::path& p) { return HasExtension(p, {".pem", ".crt", ".cer", ".der"}); }
bool IsCrlFile(const fs::path& p) { return HasExtension(p, {".crl"}); }

std::vector<fs::path> SortedFiles(const fs::path& dir) {
  std::vector<fs::path> out;
  std::error_code ec;
  for (const auto& e : fs::directory_iterator(dir, ec)) {
    if (e.path().filename().string().starts_with(".")) continue;
    if (e.is_regular_file(ec)) out.push_back(e.path());
  }
  std::sort(out.begin(), out.end());
  return out;
}

std::vector<fs::path> SortedDirs(const fs::path& dir) {
  std::vector<fs::path> out;
  std::error_code ec;
  for (const auto& e : fs::directory_iterator(dir, ec)) {
    if (e.is_directory(ec)) out.push_back(e.path());
  }
  std::sort(out.begin(), out.end());
  return out;
}

}  // namespace

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
void TrustStore::AddCrl(X509CrlPtr crl) { crls_.emplace_back(crl.release(), X509_CRL_free); }

Result<void> TrustStore::AddCertificatesFrom(const std::string& path,
                                             std::vector<Certificate>& into) {
  KW_ASSIGN_OR_RETURN(std::string text, ReadFileToString(path, 1 << 20));
  if (text.find("-----BEGIN") != std::string::npos) {
    auto certs = Certificate::ParsePem(text);
    if (!certs) return Fail(ErrorCode::kConfigInvalid, path + ": " + certs.error().detail);
    for (auto& c : *certs) into.push_back(std::move(c));
    return Ok();
  }
  auto c = Certificate::ParseDer(AsBytes(text), CertificateRole::kIssuer);
  if (!c) return Fail(ErrorCode::kConfigInvalid, path + ": " + c.error().detail);
  into.push_back(std::move(*c));
  return Ok();
}

Result<void> TrustStore::AddFile(const std::string& path) {
  return AddCertificatesFrom(path, all_);
}

Result<void> TrustStore::AddCrlFile(const std::string& path) {
  KW_ASSIGN_OR_RETURN(std::string text, ReadFileToString(path, 16 << 20));
  auto crl = ParseCrl(AsBytes(text));
  if (!crl) return Fail(ErrorCode::kConfigInvalid, path + ": " + crl.error().detail);
  AddCrl(std::move(*crl));
  return Ok();
}

Result<void> TrustStore::AddDirectory(const std::string& dir) {
  std::error_code ec;
  if (!fs::is_directory(dir, ec)) {
    return Fail(ErrorCode::kConfigInvalid, dir + " is not a directory");
  }
  auto load_certs = [&](const fs::path& d, std::vector<Certificate>& into) -> Result<void> {
    for (const auto& f : SortedFiles(d)) {
      if (IsCertFile(f)) {
        KW_TRY(AddCertificatesFrom(f.string(), into));
      } else if (IsCrlFile(f)) {
        KW_TRY(AddCrlFile(f.string()));
      }
    }
    return Ok();
  };
  KW_TRY(load_certs(dir, all_));
  fs::path root(dir);
  for (const auto& f : SortedFiles(root / "crls")) {
    if (IsCrlFile(f) || HasExtension(f, {".pem", ".der"})) KW_TRY(AddCrlFile(f.string()));
  }
  for (const auto& d : SortedDirs(root / "formats")) {
    KW_TRY(load_certs(d, by_format_[d.filename().string()]));
  }
  for (const auto& d : SortedDirs(root / "aaguids")) {
    auto aaguid = ParseAaguid(d.filename().string());
    if (!aaguid) {
      return Fail(ErrorCode::kConfigInvalid, d.string() + ": directory name is not an AAGUID");
    }
    KW_TRY(load_certs(d, by_aaguid_[*aaguid]));
  }
  return Ok();
}

bool TrustStore::empty() const {
  return all_.empty() && by_format_.empty() && by_aaguid_.empty() && metadata_ == nullptr &&
         use_bundled_roots_;
}

size_t TrustStore::anchor_count() const {
  size_t n = all_.size();
  for (const auto& [k, v] : by_format_) n += v.size();
  for (const auto& [k, v] : by_aaguid_) n += v.size();
  return n;
}

std::vector<Certificate> TrustStore::AnchorsFor(std::string_view fmt, const Aaguid& aaguid) const {
  std::vector<Certificate> out = all_;
  if (auto it = by_format_.find(fmt); it != by_format_.end()) {
    out.insert(out.end(), it->second.begin(), it->second.end());
  }
  if (auto it = by_aaguid_.find(aaguid); it != by_aaguid_.end()) {
    out.insert(out.end(), it->second.begin(), it->second.end());
  }
  if (use_bundled_roots_ && fmt != "mds") {
    std::vector<Certificate> bundled = BundledRootsFor(fmt);
    out.insert(out.end(), bundled.begin(), bundled.end());
  }
  return out;
}

std::vector<TrustStore::ScopedAnchor> TrustStore::OperatorAnchors() const {
  std::vector<ScopedAnchor> out;
  for (const auto& c : all_) out.push_back({"*", c});
  for (const auto& [fmt, certs] : by_format_) {
    for (const auto& c : certs) out.push_back({fmt, c});
  }
  for (const auto& [aaguid, certs] : by_aaguid_) {
    for (const auto& c : certs) out.push_back({"aaguid:" + FormatAaguid(aaguid), c});
  }
  return out;
}

const TrustStore& DefaultTrustStore() {
  static const TrustStore store;
  return store;
}

std::vector<X509_CRL*> TrustStore::crls() const {
  std::vector<X509_CRL*> out;
  for (const auto& c : crls_) out.push_back(c.get());
  return out;
}

MetadataSummary Summarize(const MetadataEntry& entry) {
  MetadataSummary s;
  s.description = entry.description;
  if (entry.aaguid) s.aaguid = FormatAaguid(*entry.aaguid);
  if (const StatusReport* r = entry.LatestStatus()) {
    s.status = r->status;
    s.status_date = r->effective_date;
  }
  s.certification_level = entry.certification_level();
  s.compromised = entry.compromised();
  s.attestation_types = entry.attestation_types;
  return s;
}

namespace {

// The anchor that a self-signed attestation certificate stands for: an anchor with the leaf's
// subject and public key, where the leaf is self-issued and its signature verifies with that key.
// RFC 5280 §6.1.1 (d) takes a trust anchor as a name and a public key; OpenSSL accepts a
// self-signed leaf only as a byte-for-byte copy of an anchor, and an authenticator that signs its
// batch certificate anew for every credential (Chromium's virtual authenticators do: serial,
// notAfter and the ECDSA signature change) presents different bytes each time. This adds no power
// to anyone: whoever can sign such a leaf holds the anchor's private key, the key that signs the
// attestation statement itself.
const Certificate* SelfSignedAnchor(const Certificate& leaf, std::span<const Certificate> anchors) {
  X509* x = leaf.get();
  EVP_PKEY* key = leaf.public_key();
  if (key == nullptr || X509_NAME_cmp(X509_get_subject_name(x), X509_get_issuer_name(x)) != 0) {
    return nullptr;
  }
  for (const Certificate& a : anchors) {
    EVP_PKEY* anchor_key = a.public_key();
    if (anchor_key == nullptr ||
        X509_NAME_cmp(X509_get_subject_name(a.get()), X509_get_subject_name(x)) != 0 ||
        EVP_PKEY_eq(anchor_key, key) != 1) {
      continue;
    }
    bool signed_by_key = X509_verify(x, anchor_key) == 1;
    ERR_clear_error();
    return signed_by_key ? &a : nullptr;
  }
  ERR_clear_error();
  return nullptr;
}

// The path for a self-signed leaf that SelfSignedAnchor matched: both valid at the verification
// time and the leaf passing OpenSSL's checks as if it were installed itself (extensions, time).
Result<VerifiedChain> VerifySelfSignedAgainst(const Certificate& leaf, const Certificate& anchor,
                                              const ChainOptions& options) {
  std::array<Certificate, 1> as_leaf{leaf};
  KW_TRY(VerifyChain(leaf, {}, as_leaf, options));
  std::array<Certificate, 1> as_anchor{anchor};
  KW_TRY(VerifyChain(anchor, {}, as_anchor, options));
  VerifiedChain chain;
  chain.path = {leaf, anchor};
  return chain;
}

TrustVerdict EvaluateOne(const StatementResult& statement, std::string_view fmt,
                         const Aaguid& aaguid, const TrustStore* store, int64_t verify_time) {
  TrustVerdict v;
  if (statement.trust_path.empty()) return v;
  if (store == nullptr) store = &DefaultTrustStore();
  std::vector<Certificate> anchors = store->AnchorsFor(fmt, aaguid);
  const MetadataEntry* entry = nullptr;
  if (const MetadataBlob* md = store->metadata()) {
    if (md->IsStaleAt(verify_time)) {
      // Its roots and status reports can no longer be taken as current: nothing is trusted
      // through this store until a fresh BLOB is attached.
      v.status = TrustStatus::kUntrusted;
      v.error = Error{ErrorCode::kMetadataStale, 0,
                      "metadata BLOB no " + std::to_string(md->serial()) +
                          " is stale (nextUpdate " + md->next_update() + ")"};
      return v;
    }
    entry = md->FindFor(aaguid, &statement.trust_path.front());
    if (entry) {
      v.metadata = Summarize(*entry);
      anchors.insert(anchors.end(), entry->roots.begin(), entry->roots.end());
      const auto& types = entry->attestation_types;
      bool attca = std::find(types.begin(), types.end(), "attca") != types.end();
      bool basic = std::find(types.begin(), types.end(), "basic_full") != types.end();
      if (statement.type == AttestationType::kBasic && attca && !basic) {
        v.attestation_type = AttestationType::kAttCa;
      }
    }
  }
  if (anchors.empty()) return v;
  std::span<const Certificate> intermediates(statement.trust_path.data() + 1,
                                             statement.trust_path.size() - 1);
  ChainOptions options;
  options.verify_time = verify_time;
  auto chain = VerifyChain(statement.trust_path.front(), intermediates, anchors, options);
  if (!chain && intermediates.empty()) {
    if (const Certificate* a = SelfSignedAnchor(statement.trust_path.front(), anchors)) {
      chain = VerifySelfSignedAgainst(statement.trust_path.front(), *a, options);
    }
  }
  if (chain) {
    std::vector<X509_CRL*> crls = store->crls();
    auto revocation = CheckRevocation(chain->path, crls, verify_time);
    if (!revocation) {
      v.status = TrustStatus::kUntrusted;
      v.error = revocation.error();
      return v;
    }
  }
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

}  // namespace

TrustVerdict EvaluateTrust(const StatementResult& statement, std::string_view fmt,
                           const Aaguid& aaguid, const TrustStore* store, int64_t verify_time) {
  if (statement.inner.empty()) return EvaluateOne(statement, fmt, aaguid, store, verify_time);
  // compound: the first trusted inner statement wins; else the first untrusted one; else
  // unverified.
  std::optional<TrustVerdict> untrusted;
  for (const InnerStatement& in : statement.inner) {
    TrustVerdict v = EvaluateOne(in.result, in.fmt, aaguid, store, verify_time);
    v.inner_fmt = in.fmt;
    if (v.status == TrustStatus::kTrusted) return v;
    if (v.status == TrustStatus::kUntrusted && !untrusted) untrusted = std::move(v);
  }
  if (untrusted) return *untrusted;
  return TrustVerdict{};
}

}  // namespace keyward::attestation
