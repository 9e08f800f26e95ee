// Fuzz target: COSE_Key parsing and key construction (point-on-curve, RSA size checks); an
// accepted key must re-encode to something that parses to the same key.
#include <cstdlib>

#include "core/cose_key.h"
#include "core/public_key.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using namespace keyward;
  auto key = CoseKey::Parse(ByteSpan(data, size));
  if (!key) return 0;
  auto again = CoseKey::Parse(key->Encode());
  if (!again || again->Encode() != key->Encode()) std::abort();
  InsecureAlgorithms insecure;
  insecure.insecure_allow_rs1 = true;
  auto pk = PublicKey::FromCose(*key, insecure);
  if (pk) {
    const uint8_t msg[4] = {1, 2, 3, 4};
    (void)pk->Verify(ByteSpan(msg, 4), ByteSpan(data, size));
  }
  return 0;
}
