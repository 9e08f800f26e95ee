// Trust anchors for attestation (WebAuthn L3 §7.1 steps 23-24 "obtain a list of acceptable trust
// anchors ... assess the attestation trustworthiness").
//
// Anchors apply to every statement, to one fmt, or to one AAGUID; with metadata attached
// (SetMetadata), the matching entry's attestationRootCertificates are anchors too. Trust
// evaluation chains the statement's trust path (x5c) to the applicable anchors at the
// verification time, then applies the store's CRLs (revocation.h):
//  - no trust path (none, self)         → kUnverified: nothing to evaluate;
//  - no store / no applicable anchor    → kUnverified;
//  - path reaches an anchor             → kTrusted, naming the anchor (and the metadata entry);
//  - path is one self-signed certificate with an anchor's subject and public key, signed with
//    that key, both valid at the verification time → kTrusted too, even when its bytes differ
//    from the anchor's (RFC 5280 §6.1.1 (d): an anchor is a name and a key; OpenSSL alone
//    accepts a self-signed leaf only as an exact copy, and some authenticators sign their batch
//    certificate anew per credential). Nobody gains by it: only the holder of the key that signs
//    the attestation statement can sign such a certificate;
//  - otherwise                          → kUntrusted, with the chain error;
//  - metadata attached but stale at the verification time (its nextUpdate date has passed,
//    metadata.h) and a trust path to evaluate → kUntrusted with kMetadataStale, whatever the
//    other anchors say: the BLOB's revocations may be missing, so nothing is trusted through a
//    store that relies on it until a fresh BLOB is attached.
// Bundled vendor roots (bundled_roots.h): a store uses them by default for the formats they
// serve (apple, android-key, android-safetynet) on top of the operator's anchors;
// SetUseBundledRoots(false) turns them off ("no bundled roots" is a legitimate choice: a store
// then trusts exactly what the operator added). Evaluating with no store (null) uses the bundled
// roots alone (DefaultTrustStore()).
// Compound statements (§8.9) are trusted when one inner statement is; the verdict names it.
// Whether an unverified or untrusted attestation is acceptable is policy (policy.h).
//
// Strict on signatures and validity; lenient on extension encodings that do not bear on the path
// (OpenSSL does not parse certificatePolicies unless policy checking is requested, so TPM AIK
// certificates with a malformed policy entry still chain).
#ifndef KEYWARD_ATTESTATION_TRUST_STORE_H_
#define KEYWARD_ATTESTATION_TRUST_STORE_H_

#include <map>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "attestation/format.h"

namespace keyward::attestation {

class MetadataBlob;
struct MetadataEntry;

enum class TrustStatus { kUnverified, kTrusted, kUntrusted };
std::string_view TrustStatusName(TrustStatus status);  // "unverified", "trusted", "untrusted"

class TrustStore {
 public:
  void AddRoot(Certificate root);
  void AddRootForFormat(std::string fmt, Certificate root);
  void AddRootForAaguid(const Aaguid& aaguid, Certificate root);
  // Adds every certificate of a PEM or DER file as a root for all statements.
  Result<void> AddFile(const std::string& path);
  // Loads a trust directory:
  //   DIR/*.pem|crt|cer|der           roots for every statement
  //   DIR/formats/<fmt>/*             roots for one attestation format
  //   DIR/aaguids/<aaguid>/*          roots for one AAGUID (canonical 8-4-4-4-12 form)
  //   DIR/**/*.crl (and DIR/crls/*)   CRLs (PEM or DER)
  // Other files (README, dotfiles) are ignored; an unreadable certificate or CRL file is an error
  // naming it (kConfigInvalid).
  Result<void> AddDirectory(const std::string& dir);
  void AddCrl(X509CrlPtr crl);
  // Bundled vendor roots for apple / android-key / android-safetynet statements (default on).
  void SetUseBundledRoots(bool use) { use_bundled_roots_ = use; }
  bool use_bundled_roots() const { return use_bundled_roots_; }
  Result<void> AddCrlFile(const std::string& path);
  // Metadata whose entries' roots become anchors; not owned, must outlive the store.
  void SetMetadata(const MetadataBlob* metadata) { metadata_ = metadata; }
  const MetadataBlob* metadata() const { return metadata_; }

  // Behaves as the default store: no operator anchors, no metadata, bundled roots on.
  bool empty() const;
  size_t anchor_count() const;  // operator anchors (bundled roots are not counted)
  // Operator anchors for the statement, then (when enabled) the bundled roots for `fmt`.
  std::vector<Certificate> AnchorsFor(std::string_view fmt, const Aaguid& aaguid) const;
  std::vector<X509_CRL*> crls() const;
  // The operator anchors with what they serve: "*" (every statement), a fmt, or "aaguid:<id>".
  struct ScopedAnchor {
    std::string scope;
    Certificate certificate;
  };
  std::vector<ScopedAnchor> OperatorAnchors() const;

 private:
  Result<void> AddCertificatesFrom(const std::string& path, std::vector<Certificate>& into);
  std::vector<Certificate> all_;
  std::map<std::string, std::vector<Certificate>, std::less<>> by_format_;
  std::map<Aaguid, std::vector<Certificate>> by_aaguid_;
  std::vector<std::shared_ptr<X509_CRL>> crls_;  // shared so the store stays copyable
  const MetadataBlob* metadata_ = nullptr;
  bool use_bundled_roots_ = true;
};

// A store with the bundled vendor roots only (what evaluation with a null store uses).
const TrustStore& DefaultTrustStore();

// What metadata said about the authenticator (FIDO MDS3 entry), for verdicts and audit.
struct MetadataSummary {
  std::string description;
  std::string aaguid;       // canonical form, "" for key-identifier entries
  std::string status;       // the governing status report
  std::string status_date;  // its effectiveDate
  CertificationLevel certification_level = CertificationLevel::kNotCertified;
  bool compromised = false;
  std::vector<std::string> attestation_types;
};
MetadataSummary Summarize(const MetadataEntry& entry);

struct TrustVerdict {
  TrustStatus status = TrustStatus::kUnverified;
  std::string anchor;             // subject DN of the anchor reached (trusted only)
  std::optional<Error> error;     // why the path failed (untrusted only)
  std::vector<Certificate> path;  // validated path, leaf first (trusted only)
  // The metadata entry for the authenticator, when metadata is attached and has one.
  std::optional<MetadataSummary> metadata;
  // Set when metadata refines the statement's type (basic → attca: the entry declares AttCA and
  // not basic_full).
  std::optional<AttestationType> attestation_type;
  std::string inner_fmt;  // compound: the inner statement the verdict is about
};

TrustVerdict EvaluateTrust(const StatementResult& statement, std::string_view fmt,
                           const Aaguid& aaguid, const TrustStore* store, int64_t verify_time);

}  // namespace keyward::attestation

#endif  // KEYWARD_ATTESTATION_TRUST_STORE_H_
