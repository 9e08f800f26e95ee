#include "attestation/metadata.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cctype>
#include <cerrno>
#include <cstring>
#include <filesystem>

#include "attestation/jws.h"
#include "attestation/revocation.h"
#include "core/base64url.h"
#include "core/hash.h"

namespace keyward::attestation {
namespace {

constexpr JsonLimits kBlobLimits{32, 64 << 20};

Unexpected Malformed(const std::string& what) {
  return Fail(ErrorCode::kMetadataMalformed, "metadata BLOB: " + what);
}

bool IsRejecting(std::string_view s) {
  return s == "REVOKED" || s == "ATTESTATION_KEY_COMPROMISE" || s == "USER_VERIFICATION_BYPASS" ||
         s == "USER_KEY_REMOTE_COMPROMISE" || s == "USER_KEY_PHYSICAL_COMPROMISE";
}

std::vector<const StatusReport*> InDateOrder(const std::vector<StatusReport>& reports) {
  std::vector<const StatusReport*> out;
  for (const auto& r : reports) out.push_back(&r);
  std::stable_sort(out.begin(), out.end(), [](const StatusReport* a, const StatusReport* b) {
    return a->effective_date < b->effective_date;
  });
  return out;
}

// "YYYY-MM-DD" (a real calendar date) → Unix seconds at 00:00:00 UTC.
std::optional<int64_t> ParseDate(std::string_view s) {
  if (s.size() != 10 || s[4] != '-' || s[7] != '-') return std::nullopt;
  auto digits = [&](size_t pos, size_t n) -> std::optional<int> {
    int v = 0;
    for (size_t i = pos; i < pos + n; ++i) {
      if (s[i] < '0' || s[i] > '9') return std::nullopt;
      v = v * 10 + (s[i] - '0');
    }
    return v;
  };
  auto y = digits(0, 4), m = digits(5, 2), d = digits(8, 2);
  if (!y || !m || !d || *m < 1 || *m > 12 || *d < 1) return std::nullopt;
  static constexpr int kDays[] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
  bool leap = (*y % 4 == 0 && *y % 100 != 0) || *y % 400 == 0;
  if (*d > kDays[*m - 1] + (*m == 2 && leap ? 1 : 0)) return std::nullopt;
  // Days since 1970-01-01 (proleptic Gregorian; H. Hinnant's days_from_civil).
  int64_t yy = *y - (*m <= 2 ? 1 : 0);
  int64_t era = yy / 400;
  int64_t yoe = yy - era * 400;
  int64_t doy = (153 * (*m + (*m > 2 ? -3 : 9)) + 2) / 5 + *d - 1;
  int64_t doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
  return (era * 146097 + doe - 719468) * 86400;
}

const std::string* OptString(const Json& obj, const char* key) {
  auto it = obj.find(key);
  if (it == obj.end() || !it->is_string()) return nullptr;
  return &it->get_ref<const std::string&>();
}

// One entry; nullopt when a known field is malformed (the entry is then skipped).
std::optional<MetadataEntry> ParseEntry(const Json& e) {
  if (!e.is_object()) return std::nullopt;
  MetadataEntry out;
  out.raw = e;
  if (auto it = e.find("aaguid"); it != e.end()) {
    if (!it->is_string()) return std::nullopt;
    out.aaguid = ParseAaguid(it->get_ref<const std::string&>());
    if (!out.aaguid) return std::nullopt;
  }
  if (auto it = e.find("attestationCertificateKeyIdentifiers"); it != e.end()) {
    if (!it->is_array()) return std::nullopt;
    for (const auto& k : *it) {
      if (!k.is_string() || !HexDecode(k.get_ref<const std::string&>())) return std::nullopt;
      std::string id = k.get<std::string>();
      std::transform(id.begin(), id.end(), id.begin(),
                     [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
      out.key_identifiers.push_back(std::move(id));
    }
  }
  if (auto it = e.find("metadataStatement"); it != e.end()) {
    const Json& ms = *it;
    if (!ms.is_object()) return std::nullopt;
    if (const std::string* d = OptString(ms, "description")) out.description = *d;
    if (auto at = ms.find("attestationTypes"); at != ms.end() && at->is_array()) {
      for (const auto& t : *at) {
        if (t.is_string()) out.attestation_types.push_back(t.get<std::string>());
      }
    }
    if (auto roots = ms.find("attestationRootCertificates"); roots != ms.end()) {
      if (!roots->is_array()) return std::nullopt;
      for (const auto& r : *roots) {
        if (!r.is_string()) return std::nullopt;
        auto der = Base64Decode(r.get_ref<const std::string&>());
        if (!der) return std::nullopt;
        auto cert = Certificate::ParseDer(*der, CertificateRole::kIssuer);
        if (!cert) return std::nullopt;
        out.roots.push_back(std::move(*cert));
      }
    }
  }
  if (auto it = e.find("statusReports"); it != e.end()) {
    if (!it->is_array()) return std::nullopt;
    for (const auto& r : *it) {
      if (!r.is_object()) return std::nullopt;
      const std::string* status = OptString(r, "status");
      if (!status) return std::nullopt;
      StatusReport report{*status, ""};
      if (const std::string* d = OptString(r, "effectiveDate")) report.effective_date = *d;
      out.status_reports.push_back(std::move(report));
    }
  }
  if (const std::string* t = OptString(e, "timeOfLastStatusChange")) {
    out.time_of_last_status_change = *t;
  }
  if (!out.aaguid && out.key_identifiers.empty()) return std::nullopt;  // cannot be found anyway
  return out;
}

Result<void> WriteAtomically(const std::string& path, std::string_view data) {
  std::string tmp = path + ".tmp." + std::to_string(getpid());
  int fd = open(tmp.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
  if (fd < 0) return Fail(ErrorCode::kStoreIo, "cannot create " + tmp + ": " + strerror(errno));
  size_t off = 0;
  while (off < data.size()) {
    ssize_t n = write(fd, data.data() + off, data.size() - off);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) {
      close(fd);
      unlink(tmp.c_str());
      return Fail(ErrorCode::kStoreIo, "write " + tmp + " failed");
    }
    off += static_cast<size_t>(n);
  }
  if (fsync(fd) != 0 || close(fd) != 0) {
    unlink(tmp.c_str());
    return Fail(ErrorCode::kStoreIo, "fsync/close " + tmp + " failed");
  }
  if (rename(tmp.c_str(), path.c_str()) != 0) {
    unlink(tmp.c_str());
    return Fail(ErrorCode::kStoreIo, "rename to " + path + " failed");
  }
  return Ok();
}

}  // namespace

std::optional<Aaguid> ParseAaguid(std::string_view text) {
  if (text.size() != 36) return std::nullopt;
  std::string hex;
  for (size_t i = 0; i < text.size(); ++i) {
    bool dash_pos = i == 8 || i == 13 || i == 18 || i == 23;
    if (dash_pos != (text[i] == '-')) return std::nullopt;
    if (!dash_pos) hex.push_back(text[i]);
  }
  auto bytes = HexDecode(hex);
  if (!bytes || bytes->size() != 16) return std::nullopt;
  Aaguid out;
  std::copy(bytes->begin(), bytes->end(), out.begin());
  return out;
}

std::string FormatAaguid(const Aaguid& aaguid) {
  std::string hex = HexEncode(aaguid);
  return hex.substr(0, 8) + "-" + hex.substr(8, 4) + "-" + hex.substr(12, 4) + "-" +
         hex.substr(16, 4) + "-" + hex.substr(20);
}

std::string KeyIdentifier(const Certificate& cert) {
  const ASN1_BIT_STRING* spk = X509_get0_pubkey_bitstr(cert.get());
  if (!spk) return {};
  Bytes d = Digest(HashAlgorithm::kSha1, ByteSpan(ASN1_STRING_get0_data(spk),
                                                  static_cast<size_t>(ASN1_STRING_length(spk))));
  return HexEncode(d);
}

std::optional<CertificationLevel> CertificationLevelFromStatus(std::string_view s) {
  if (s == "FIDO_CERTIFIED" || s == "FIDO_CERTIFIED_L1") return CertificationLevel::kL1;
  if (s == "FIDO_CERTIFIED_L1plus") return CertificationLevel::kL1Plus;
  if (s == "FIDO_CERTIFIED_L2") return CertificationLevel::kL2;
  if (s == "FIDO_CERTIFIED_L2plus") return CertificationLevel::kL2Plus;
  if (s == "FIDO_CERTIFIED_L3") return CertificationLevel::kL3;
  if (s == "FIDO_CERTIFIED_L3plus") return CertificationLevel::kL3Plus;
  return std::nullopt;
}

const StatusReport* MetadataEntry::LatestStatus() const {
  auto ordered = InDateOrder(status_reports);
  return ordered.empty() ? nullptr : ordered.back();
}

std::string_view MetadataEntry::status() const {
  const StatusReport* r = LatestStatus();
  return r ? std::string_view(r->status) : std::string_view();
}

bool MetadataEntry::compromised() const { return IsRejecting(status()); }

CertificationLevel MetadataEntry::certification_level() const {
  CertificationLevel level = CertificationLevel::kNotCertified;
  for (const StatusReport* r : InDateOrder(status_reports)) {
    if (auto l = CertificationLevelFromStatus(r->status)) {
      level = *l;
    } else if (r->status == "NOT_FIDO_CERTIFIED" || r->status == "REVOKED") {
      level = CertificationLevel::kNotCertified;
    }
  }
  return level;
}

Result<MetadataBlob> MetadataBlob::FromPayload(const Json& payload, std::string jwt) {
  MetadataBlob blob;
  auto no = payload.find("no");
  if (no == payload.end() || !no->is_number_integer()) return Malformed("no missing");
  blob.serial_ = no->get<int64_t>();
  const std::string* next = OptString(payload, "nextUpdate");
  if (!next) return Malformed("nextUpdate missing");
  auto next_time = ParseDate(*next);
  if (!next_time) return Malformed("nextUpdate \"" + *next + "\" is not a date YYYY-MM-DD");
  blob.next_update_ = *next;
  blob.next_update_time_ = *next_time;
  if (const std::string* s = OptString(payload, "legalHeader")) blob.legal_header_ = *s;
  auto entries = payload.find("entries");
  if (entries == payload.end() || !entries->is_array()) return Malformed("entries missing");
  for (const Json& e : *entries) {
    auto entry = ParseEntry(e);
    if (!entry) {
      ++blob.skipped_;
      continue;
    }
    size_t index = blob.entries_.size();
    if (entry->aaguid) blob.by_aaguid_.emplace(*entry->aaguid, index);
    for (const auto& k : entry->key_identifiers) blob.by_key_id_.emplace(k, index);
    blob.entries_.push_back(std::move(*entry));
  }
  blob.jwt_ = std::move(jwt);
  return blob;
}

Result<MetadataBlob> MetadataBlob::Verify(std::string_view jwt, std::span<const Certificate> roots,
                                          const MetadataVerifyOptions& options) {
  // Trim one trailing newline (files written by editors / curl).
  while (!jwt.empty() && (jwt.back() == '\n' || jwt.back() == '\r')) jwt.remove_suffix(1);
  KW_ASSIGN_OR_RETURN(Jws jws, ParseJwsCompact(jwt, ErrorCode::kMetadataMalformed, kBlobLimits));
  std::span<const Certificate> intermediates(jws.x5c.data() + 1, jws.x5c.size() - 1);
  ChainOptions chain_options;
  chain_options.verify_time = options.verify_time;
  KW_ASSIGN_OR_RETURN(VerifiedChain chain,
                      VerifyChain(jws.x5c.front(), intermediates, roots, chain_options));
  KW_TRY(CheckRevocation(chain.path, options.crls, options.verify_time));
  KW_TRY(VerifyJwsSignature(jws, ErrorCode::kMetadataSignatureInvalid));
  KW_ASSIGN_OR_RETURN(MetadataBlob blob, FromPayload(jws.payload, std::string(jwt)));
  if (options.stored_serial && blob.serial_ <= *options.stored_serial) {
    return Fail(ErrorCode::kMetadataRollback, "metadata BLOB no " + std::to_string(blob.serial_) +
                                                  " is not newer than stored " +
                                                  std::to_string(*options.stored_serial));
  }
  if (blob.IsStaleAt(options.verify_time) && !options.insecure_accept_stale) {
    return Fail(ErrorCode::kMetadataStale, "metadata BLOB no " + std::to_string(blob.serial_) +
                                               " is stale: nextUpdate " + blob.next_update_ +
                                               " has passed");
  }
  return blob;
}

Result<MetadataBlob> MetadataBlob::InsecureParseUnverifiedPayload(std::string_view payload_json) {
  KW_ASSIGN_OR_RETURN(Json payload, ParseJson(payload_json, kBlobLimits));
  if (!payload.is_object()) return Malformed("payload is not a JSON object");
  return FromPayload(payload, "");
}

Result<MetadataBlob> MetadataBlob::LoadStored(const std::string& path) {
  KW_ASSIGN_OR_RETURN(std::string text, ReadFileToString(path, 64 << 20));
  std::string_view jwt = text;
  while (!jwt.empty() && (jwt.back() == '\n' || jwt.back() == '\r')) jwt.remove_suffix(1);
  auto jws = ParseJwsCompact(jwt, ErrorCode::kStoreCorrupt, kBlobLimits);
  if (!jws) return Fail(ErrorCode::kStoreCorrupt, path + ": " + jws.error().detail);
  auto blob = FromPayload(jws->payload, std::string(jwt));
  if (!blob) return Fail(ErrorCode::kStoreCorrupt, path + ": " + blob.error().detail);
  return blob;
}

Result<MetadataBlob> MetadataBlob::Import(std::string_view jwt, std::span<const Certificate> roots,
                                          MetadataVerifyOptions options, const std::string& path) {
  if (access(path.c_str(), F_OK) == 0) {
    KW_ASSIGN_OR_RETURN(MetadataBlob stored, LoadStored(path));
    if (!options.stored_serial || *options.stored_serial < stored.serial()) {
      options.stored_serial = stored.serial();
    }
  }
  KW_ASSIGN_OR_RETURN(MetadataBlob blob, Verify(jwt, roots, options));
  std::error_code ec;
  std::filesystem::path parent = std::filesystem::path(path).parent_path();
  if (!parent.empty()) std::filesystem::create_directories(parent, ec);
  KW_TRY(WriteAtomically(path, blob.jwt_ + "\n"));
  return blob;
}

bool MetadataBlob::IsStaleAt(int64_t verify_time) const {
  // Fresh through the nextUpdate day: stale from the following midnight (UTC).
  return verify_time >= next_update_time_ + 86400;
}

const MetadataEntry* MetadataBlob::FindByAaguid(const Aaguid& aaguid) const {
  auto it = by_aaguid_.find(aaguid);
  return it == by_aaguid_.end() ? nullptr : &entries_[it->second];
}

const MetadataEntry* MetadataBlob::FindByKeyIdentifier(std::string_view hex) const {
  std::string lower(hex);
  std::transform(lower.begin(), lower.end(), lower.begin(),
                 [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
  auto it = by_key_id_.find(lower);
  return it == by_key_id_.end() ? nullptr : &entries_[it->second];
}

const MetadataEntry* MetadataBlob::FindFor(const Aaguid& aaguid,
                                           const Certificate* attestation_cert) const {
  static constexpr Aaguid kZero{};
  if (aaguid != kZero) return FindByAaguid(aaguid);
  if (!attestation_cert) return nullptr;
  return FindByKeyIdentifier(KeyIdentifier(*attestation_cert));
}

}  // namespace keyward::attestation
