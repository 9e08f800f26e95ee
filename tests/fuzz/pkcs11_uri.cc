// Fuzz target: PKCS#11 URIs (pkcs11/uri.h, RFC 7512) as `--token` and configuration give them,
// and the token selector built from them. Must never crash, hang or leak; a URI carrying a PIN
// (pin-value, pin-source) must never parse. (ModuleForToken is left out: with module-name it
// asks p11-kit, which opens every registered module's library.)
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string>

#include "pkcs11/card_login.h"
#include "pkcs11/uri.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const std::string text(reinterpret_cast<const char*>(data), size);
  auto uri = keyward::pkcs11::Pkcs11Uri::Parse(text);
  if (uri && (text.find("pin-value") != std::string::npos ||
              text.find("pin-source") != std::string::npos)) {
    // Only a percent-encoded attribute *value* may contain those words.
    const size_t q = text.find('?');
    const std::string query = q == std::string::npos ? "" : text.substr(q + 1);
    if (query.rfind("pin-", 0) == 0 || query.find("&pin-") != std::string::npos) std::abort();
  }
  (void)keyward::pkcs11::ParseTokenSelector(text);
  return 0;
}
