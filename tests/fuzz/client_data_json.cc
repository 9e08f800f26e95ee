// Fuzz target: clientDataJSON parsing and the ceremony checks, plus the L3 response JSON parsers.
#include "keyward/webauthn.h"
#include "webauthn/client_data.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using namespace keyward::webauthn;
  std::string_view text(reinterpret_cast<const char*>(data), size);
  (void)CollectedClientData::Parse(text);
  OriginPolicy origin;
  origin.origins = {"https://example.org"};
  origin.allow_cross_origin = size % 2;
  origin.top_origins = {"https://example.com"};
  const uint8_t challenge[32] = {0};
  (void)VerifyClientData(text, "webauthn.get", challenge, origin);
  (void)ParseAuthenticationResponseJson(text);
  (void)ParseRegistrationResponseJson(text);
  return 0;
}
