// Attestation trust for installed C++ consumers (WebAuthn L3 §7.1 steps 23-24: "obtain a list of
// acceptable trust anchors ... assess the attestation trustworthiness"): operator anchors, CRLs
// and a verified FIDO Metadata Service v3 BLOB, in one value a relying party builds once and
// hands to verification (webauthn.h: RegistrationOptions::trust / VerifyOptions::trust) or to an
// AttestationPolicy (attestation.h: Ciam(&anchors.store()), Workforce(anchors.store())).
//
// The semantics are the library's trust store (docs/attestation.md):
//  - anchors apply to every statement (AddRootDer, AddFile), to one attestation format or to one
//    AAGUID; a trust directory lays these out (AddDirectory, below);
//  - the bundled vendor roots (apple, android-key, android-safetynet) are used on top of the
//    operator's anchors unless SetUseBundledRoots(false);
//  - with metadata loaded, each entry's attestationRootCertificates are anchors for its
//    authenticator, its status reports are applied (a REVOKED or compromised authenticator is
//    refused), and a BLOB past its nextUpdate makes every trust path through it untrusted
//    (metadata_stale) until a fresh one is loaded.
//
// Thread-safety: configure from one thread; a configured value may then be read by any number of
// threads verifying at once. Copies are independent (the metadata BLOB, immutable, is shared); a
// moved-from value is empty and usable.
#ifndef KEYWARD_TRUST_H_
#define KEYWARD_TRUST_H_

#include <cstddef>
#include <cstdint>
#include <memory>
#include <string>
#include <string_view>

#include "keyward/attestation.h"
#include "keyward/bytes.h"
#include "keyward/export.h"
#include "keyward/result.h"

KEYWARD_API_BEGIN

namespace keyward::attestation {

class TrustStore;
class MetadataBlob;

class TrustAnchors {
 public:
  TrustAnchors();
  ~TrustAnchors();
  TrustAnchors(const TrustAnchors& other);
  TrustAnchors& operator=(const TrustAnchors& other);
  TrustAnchors(TrustAnchors&& other) noexcept;
  TrustAnchors& operator=(TrustAnchors&& other) noexcept;

  // A trust directory:
  //   DIR/*.pem|crt|cer|der           roots for every statement
  //   DIR/formats/<fmt>/*             roots for one attestation format
  //   DIR/aaguids/<aaguid>/*          roots for one AAGUID (canonical 8-4-4-4-12 form)
  //   DIR/**/*.crl (and DIR/crls/*)   CRLs (PEM or DER)
  // config_invalid naming the file for an unreadable certificate or CRL; other files are ignored.
  Result<void> AddDirectory(const std::string& dir);
  // Every certificate of a PEM or DER file, as a root for every statement.
  Result<void> AddFile(const std::string& path);
  // One DER certificate as a root for every statement / one fmt / one AAGUID
  // (certificate_malformed when it does not parse).
  Result<void> AddRootDer(ByteSpan der);
  Result<void> AddRootDerForFormat(std::string_view fmt, ByteSpan der);
  Result<void> AddRootDerForAaguid(const Aaguid& aaguid, ByteSpan der);
  // A CRL file (PEM or DER) applied to attestation chains.
  Result<void> AddCrlFile(const std::string& path);
  // The bundled vendor roots (default on).
  void SetUseBundledRoots(bool use);

  // A verified FIDO MDS3 BLOB as stored by `keyward mds fetch` / `keyward mds import` (verified
  // before it was written; replaces a previously loaded one). Errors: io (unreadable file),
  // store_corrupt (not a stored BLOB), each naming the path.
  Result<void> LoadMetadata(const std::string& stored_blob_path);
  bool has_metadata() const;
  int64_t metadata_serial() const;           // 0 without metadata
  std::string metadata_next_update() const;  // "YYYY-MM-DD", "" without metadata
  size_t metadata_entries() const;           // 0 without metadata
  // True when the loaded BLOB's nextUpdate date is before the date of `unix_time` (UTC).
  bool metadata_stale_at(int64_t unix_time) const;

  // Operator anchors (neither bundled roots nor metadata roots are counted).
  size_t anchor_count() const;

  // The store verification and AttestationPolicy take; valid while this value lives.
  const TrustStore& store() const;

 private:
  std::unique_ptr<TrustStore> store_;
  std::shared_ptr<const MetadataBlob> metadata_;
};

}  // namespace keyward::attestation

KEYWARD_API_END

#endif  // KEYWARD_TRUST_H_
