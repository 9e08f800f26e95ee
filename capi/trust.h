// The C ABI's keyward_trust handle: attestation anchors and an optional FIDO MDS3 BLOB. The state
// is shared (shared_ptr) so an authenticator opened with it keeps its own snapshot alive.
#ifndef KEYWARD_CAPI_TRUST_H_
#define KEYWARD_CAPI_TRUST_H_

#include <memory>

#include "attestation/metadata.h"
#include "attestation/trust_store.h"

namespace keyward::capi {

struct TrustState {
  attestation::TrustStore store;  // store.metadata() points into `metadata` when set
  std::shared_ptr<const attestation::MetadataBlob> metadata;
};

}  // namespace keyward::capi

struct keyward_trust {
  std::shared_ptr<keyward::capi::TrustState> state;
};

#endif  // KEYWARD_CAPI_TRUST_H_
