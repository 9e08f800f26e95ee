// Fuzz target: strict base64url / base64 decoding; any accepted input must round-trip exactly.
#include <cstdlib>

#include "core/base64url.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  std::string_view text(reinterpret_cast<const char*>(data), size);
  if (auto b = keyward::Base64UrlDecode(text); b) {
    if (keyward::Base64UrlEncode(*b) != text) std::abort();  // canonical: one encoding per value
  }
  if (auto b = keyward::Base64Decode(text); b) {
    if (keyward::Base64Encode(*b) != text) std::abort();
  }
  return 0;
}
