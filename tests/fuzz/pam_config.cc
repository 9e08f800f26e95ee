// Fuzz target: the PAM config parser (pam/pam_config.h) and, on the same bytes, the per-user
// security-key file (pam/fido_credentials.h). Parsing must never crash, hang or leak; a parsed
// config is then resolved for [default] and for every service section it names.
#include "pam/pam_config.h"

#include <cstddef>
#include <cstdint>
#include <string_view>

#include "pam/fido_credentials.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  std::string_view text(reinterpret_cast<const char*>(data), size);
  auto cfg = keyward::pam::PamConfig::Parse(text);
  if (cfg) {
    (void)cfg->Resolve("");
    (void)cfg->Resolve("fuzz-service");
    for (const auto& s : cfg->Services()) (void)cfg->Resolve(s);
  }
  (void)keyward::pam::ParseCredentialFile(text);
  return 0;
}
