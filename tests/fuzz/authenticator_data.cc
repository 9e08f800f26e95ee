// Fuzz target: authenticator data (WebAuthn §6.1) parsing; an accepted parse must describe
// exactly the input bytes.
#include <cstdlib>

#include "webauthn/authenticator_data.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  auto ad = keyward::webauthn::AuthenticatorData::Parse(keyward::ByteSpan(data, size));
  if (ad) {
    if (ad->raw.size() != size || ad->rp_id_hash.size() != 32) std::abort();
    if (ad->attested_credential_data && ad->attested_credential_data->credential_id.size() > 1023) {
      std::abort();
    }
  }
  return 0;
}
