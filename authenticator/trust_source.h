// Where the facade's attestation trust comes from (keyward/authenticator.h AuthenticatorConfig):
// the caller's TrustStore or, without one, the bundled vendor roots (unless
// attestation_bundled_roots is false); plus the FIDO MDS3 BLOB — the stored copy at
// mds_store_path, kept current in the background by an attestation::MdsRefresher when
// mds_background_refresh is set, or the caller's mds_source. Each registration takes a snapshot
// (Use) that holds the BLOB it saw alive for the whole verification, so a refresh never swaps
// metadata mid-ceremony.
#ifndef KEYWARD_AUTHENTICATOR_TRUST_SOURCE_H_
#define KEYWARD_AUTHENTICATOR_TRUST_SOURCE_H_

#include <memory>
#include <optional>
#include <string>

#include "attestation/mds_refresher.h"
#include "attestation/trust_store.h"
#include "keyward/authenticator.h"

namespace keyward::authenticator {

class TrustSource {
 public:
  // kConfigInvalid for an unreadable stored BLOB (without background refresh) or a refresher
  // that cannot start.
  static Result<std::unique_ptr<TrustSource>> Open(const AuthenticatorConfig& config);

  struct Use {
    std::optional<attestation::TrustStore> owned;
    std::shared_ptr<const attestation::MetadataBlob> blob;
    const attestation::TrustStore* store = nullptr;  // what to verify with (may be null)
  };
  // Fills `use` (not movable afterwards: `store` may point into `owned`).
  void Current(Use* use) const;
  std::shared_ptr<const attestation::MetadataBlob> Metadata() const;
  // "" when unknown; see attestation/authenticator_names.h.
  void Name(Credential* credential) const;
  std::string MetricsText() const;

 private:
  TrustSource() = default;
  const attestation::TrustStore* caller_ = nullptr;
  bool bundled_ = true;
  std::shared_ptr<const attestation::MetadataBlob> fixed_;  // stored copy, no refresher
  std::unique_ptr<attestation::MdsRefresher> refresher_;
  std::function<std::shared_ptr<const attestation::MetadataBlob>()> source_;  // caller's
};

}  // namespace keyward::authenticator

#endif  // KEYWARD_AUTHENTICATOR_TRUST_SOURCE_H_
