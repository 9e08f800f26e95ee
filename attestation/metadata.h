// FIDO Metadata Service v3 (FIDO Alliance "FIDO Metadata Service" v3.0 §3.1 "Metadata BLOB",
// "FIDO Metadata Statement" v3.0): the signed BLOB, its entries and their status reports.
//
// A MetadataBlob exists only after verification (MetadataBlob::Verify) or when read back from
// keyward's own offline store, which holds only BLOBs that verified when imported
// (MetadataBlob::LoadStored).
//
// Verification (Verify): the BLOB is a JWS compact JWT (ES256 or RS256) whose header x5c chains
// to one of the caller's roots at the verification time (expired chain → kCertificateExpired),
// with the caller's CRLs honoured (revoked → kCertificateRevoked); the signature verifies with
// the x5c leaf (kMetadataSignatureInvalid); its serial `no` is newer than the caller's stored one
// (kMetadataRollback); it is not stale at the verification time (kMetadataStale, below).
// Structural defects are kMetadataMalformed.
//
// Staleness (MDS3 §3.1.6 nextUpdate, "ISO-8601 formatted date when the next update will be
// provided at latest"): nextUpdate is required and must be a date YYYY-MM-DD. The BLOB is fresh
// through the whole nextUpdate day (UTC) and stale from the next midnight on, i.e. when the
// nextUpdate date is before the verification time's date. A stale BLOB is refused by Verify and
// Import (kMetadataStale) unless MetadataVerifyOptions::insecure_accept_stale is set. A copy
// already stored is read back by LoadStored whatever its age; trust evaluation that consults it
// at a verification time past its nextUpdate reports it stale (trust_store.h): its status
// reports and roots can no longer be taken as current.
//
// Leniency: unknown members anywhere are ignored; an entry whose known fields are malformed is
// skipped (counted in skipped_entries()), never failing the BLOB.
//
// Status reports: the latest by effectiveDate governs (ties: the later in the array). REVOKED,
// ATTESTATION_KEY_COMPROMISE, USER_VERIFICATION_BYPASS, USER_KEY_REMOTE_COMPROMISE and
// USER_KEY_PHYSICAL_COMPROMISE make an entry compromised. The certification level is the last
// FIDO_CERTIFIED[_Lx] status in date order, reset by a later NOT_FIDO_CERTIFIED or REVOKED.
#ifndef KEYWARD_ATTESTATION_METADATA_H_
#define KEYWARD_ATTESTATION_METADATA_H_

#include <map>
#include <optional>
#include <span>
#include <string>
#include <vector>

#include "core/json.h"
#include "core/x509.h"
#include "keyward/attestation.h"

namespace keyward::attestation {

struct StatusReport {
  std::string status;          // e.g. "FIDO_CERTIFIED_L1", "REVOKED"
  std::string effective_date;  // "YYYY-MM-DD" ("" when absent)
};

struct MetadataEntry {
  std::optional<Aaguid> aaguid;
  std::vector<std::string> key_identifiers;  // attestationCertificateKeyIdentifiers, lower hex
  std::string description;
  std::vector<std::string> attestation_types;  // "basic_full", "attca", "anonca", ...
  std::vector<Certificate> roots;              // attestationRootCertificates
  std::vector<StatusReport> status_reports;
  std::string time_of_last_status_change;
  Json raw;  // the entry exactly as the BLOB had it (for display)

  // The governing status report (latest effectiveDate), or null when there is none.
  const StatusReport* LatestStatus() const;
  CertificationLevel certification_level() const;
  bool compromised() const;
  std::string_view status() const;  // LatestStatus()->status or ""
};

struct MetadataVerifyOptions {
  int64_t verify_time = 0;               // Unix seconds; required
  std::vector<X509_CRL*> crls;           // CRLs for the signer chain (not owned)
  std::optional<int64_t> stored_serial;  // `no` of the copy already held
  // Accept a BLOB whose nextUpdate has passed (kMetadataStale otherwise). Dangerous: its status
  // reports (revocations) may be out of date.
  bool insecure_accept_stale = false;
};

class MetadataBlob {
 public:
  static Result<MetadataBlob> Verify(std::string_view jwt, std::span<const Certificate> roots,
                                     const MetadataVerifyOptions& options);
  // Reads a BLOB from keyward's store (written only after Verify succeeded): no signature check.
  static Result<MetadataBlob> LoadStored(const std::string& path);
  // Verifies and writes the BLOB to `path` atomically (temp file + rename, mode 0644); refuses a
  // rollback against a BLOB already stored there.
  static Result<MetadataBlob> Import(std::string_view jwt, std::span<const Certificate> roots,
                                     MetadataVerifyOptions options, const std::string& path);

  // Parses a BLOB payload (the JWT's JSON claims) WITHOUT any verification: for fuzzing and for
  // tools inspecting a payload. Never use the result for trust decisions.
  static Result<MetadataBlob> InsecureParseUnverifiedPayload(std::string_view payload_json);

  int64_t serial() const { return serial_; }
  const std::string& next_update() const { return next_update_; }
  // nextUpdate as Unix seconds (00:00:00 UTC of that date).
  int64_t next_update_time() const { return next_update_time_; }
  // True when the nextUpdate date is before the date of `verify_time` (UTC).
  bool IsStaleAt(int64_t verify_time) const;
  const std::string& legal_header() const { return legal_header_; }
  size_t size() const { return entries_.size(); }
  size_t skipped_entries() const { return skipped_; }
  const std::vector<MetadataEntry>& entries() const { return entries_; }
  const std::string& jwt() const { return jwt_; }

  const MetadataEntry* FindByAaguid(const Aaguid& aaguid) const;
  const MetadataEntry* FindByKeyIdentifier(std::string_view hex) const;
  // By AAGUID; for an all-zero AAGUID (U2F) by the attestation certificate's key identifier.
  const MetadataEntry* FindFor(const Aaguid& aaguid, const Certificate* attestation_cert) const;

 private:
  MetadataBlob() = default;
  static Result<MetadataBlob> FromPayload(const Json& payload, std::string jwt);
  int64_t serial_ = 0;
  std::string next_update_;
  int64_t next_update_time_ = 0;
  std::string legal_header_;
  std::vector<MetadataEntry> entries_;
  size_t skipped_ = 0;
  std::map<Aaguid, size_t> by_aaguid_;
  std::map<std::string, size_t, std::less<>> by_key_id_;
  std::string jwt_;
};

// "xxxxxxxx-xxxx-xxxx-xxxx-xxxxxxxxxxxx" ↔ Aaguid.
std::optional<Aaguid> ParseAaguid(std::string_view text);
std::string FormatAaguid(const Aaguid& aaguid);
// attestationCertificateKeyIdentifier: lower-hex SHA-1 of the subjectPublicKey BIT STRING.
std::string KeyIdentifier(const Certificate& cert);
std::optional<CertificationLevel> CertificationLevelFromStatus(std::string_view status);

}  // namespace keyward::attestation

#endif  // KEYWARD_ATTESTATION_METADATA_H_
