// Fuzz target: the FIDO MDS3 BLOB (attestation/metadata.h). First byte even: the input is a
// payload (JSON claims) parsed without verification — entries, status reports, roots, indexes;
// odd: the input is a whole JWT verified against a fixed (unrelated) root, exercising JWS and
// chain handling. Lookups of every parsed entry must find it.
#include <cstdlib>
#include <string_view>

#include "attestation/metadata.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using namespace keyward;
  using namespace keyward::attestation;
  if (size == 0) return 0;
  std::string_view text(reinterpret_cast<const char*>(data + 1), size - 1);
  if ((data[0] & 1) == 0) {
    auto blob = MetadataBlob::InsecureParseUnverifiedPayload(text);
    if (!blob) return 0;
    for (const auto& e : blob->entries()) {
      if (e.aaguid && blob->FindByAaguid(*e.aaguid) == nullptr) std::abort();
      for (const auto& k : e.key_identifiers) {
        if (blob->FindByKeyIdentifier(k) == nullptr) std::abort();
      }
      (void)e.certification_level();
      (void)e.compromised();
    }
  } else {
    MetadataVerifyOptions options;
    options.verify_time = 1735689600;
    (void)MetadataBlob::Verify(text, {}, options);
  }
  return 0;
}
