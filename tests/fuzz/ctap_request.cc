// Fuzz target: the software authenticator's CTAP2 request handling (command byte + CBOR
// parameters). Every input gets exactly one status byte (and CBOR on success) and never crashes.
#include <cstddef>
#include <cstdint>
#include <cstdlib>

#include "tools/softctap/soft_authenticator.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using namespace keyward::softctap;
  static std::unique_ptr<SoftAuthenticator> authenticator;
  static unsigned runs = 0;
  // A fresh authenticator now and then so state from earlier inputs (a PIN, credentials) does
  // not pile up forever.
  if (!authenticator || ++runs % 512 == 0) {
    auto a = SoftAuthenticator::CreateInMemory();
    if (!a) std::abort();
    authenticator = std::move(a).value();
    authenticator->switches().reset_window_ms = 0;
  }
  ImmediatePresence presence;
  keyward::Bytes response = authenticator->Handle(keyward::ByteSpan(data, size), presence);
  if (response.empty()) std::abort();
  return 0;
}
