// The C ABI's keyward_trust handle: attestation anchors and an optional FIDO MDS3 BLOB, i.e. the
// C++ API's attestation::TrustAnchors. The state is shared (shared_ptr).
#ifndef KEYWARD_CAPI_TRUST_H_
#define KEYWARD_CAPI_TRUST_H_

#include <memory>

#include "attestation/trust_store.h"
#include "keyward/trust.h"

namespace keyward::capi {

// The public C++ value (keyward/trust.h); copies are independent snapshots.
struct TrustState {
  attestation::TrustAnchors anchors;
};

}  // namespace keyward::capi

struct keyward_trust {
  std::shared_ptr<keyward::capi::TrustState> state;
};

#endif  // KEYWARD_CAPI_TRUST_H_
