// Fuzz target: the Android Keystore KeyDescription extension parser (OpenSSL ASN.1 templates,
// attestation/android_key_description.h) and the Apple nonce extension parser.
#include "attestation/android_key_description.h"

#include <cstdlib>

#include "attestation/apple_format.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using namespace keyward;
  using namespace keyward::attestation;
  ByteSpan in(data, size);
  auto kd = KeyDescription::Parse(in);
  if (kd && kd->attestation_challenge.size() > size) std::abort();
  auto nonce = ParseAppleNonceExtension(in);
  if (nonce && nonce->size() > size) std::abort();
  return 0;
}
