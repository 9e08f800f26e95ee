// The attestation statement formats keyward knows, by fmt identifier (IANA "WebAuthn Attestation
// Statement Format Identifiers").
#ifndef KEYWARD_ATTESTATION_REGISTRY_H_
#define KEYWARD_ATTESTATION_REGISTRY_H_

#include <string_view>
#include <vector>

#include "attestation/format.h"

namespace keyward::attestation {

// nullptr for an unknown fmt (the caller rejects with kAttestationFormatUnsupported).
const AttestationFormat* FindFormat(std::string_view fmt);
std::vector<std::string_view> SupportedFormats();

}  // namespace keyward::attestation

#endif  // KEYWARD_ATTESTATION_REGISTRY_H_
