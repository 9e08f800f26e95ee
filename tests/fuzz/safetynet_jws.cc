// Fuzz target: JWS compact parsing and signature verification as android-safetynet uses it
// (attestation/jws.h): header JSON, x5c certificates, payload JSON, RS256/ES256 signature.
#include <string_view>

#include "attestation/jws.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using namespace keyward;
  using namespace keyward::attestation;
  std::string_view text(reinterpret_cast<const char*>(data), size);
  auto jws = ParseJwsCompact(text, ErrorCode::kSafetyNetInvalid);
  if (jws) (void)VerifyJwsSignature(*jws, ErrorCode::kAttestationSignatureInvalid);
  return 0;
}
