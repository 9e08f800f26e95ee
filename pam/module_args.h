// The arguments of pam_keyward.so on its /etc/pam.d line:
//   config=PATH     the configuration file (default /etc/keyward/pam.conf)
//   service=NAME    the config section to use (default: the PAM service name)
// Only in the test build (pam_keyward_testhooks.so, never installed):
//   test_log=PATH           append every log line to PATH as well (tests assert it)
//   test_fido_device=SPEC   soft:FILE, soft-notouch:FILE or soft-uv:FILE: the software CTAP key
//   test_clock_offset=S     card logins verify at now + S seconds (0..10^8; OCSP cache expiry)
// Anything else — an unknown or repeated argument, an empty value, a test argument in the
// production module — is kPamModuleArgumentInvalid (the module answers PAM_SYSTEM_ERR).
#ifndef KEYWARD_PAM_MODULE_ARGS_H_
#define KEYWARD_PAM_MODULE_ARGS_H_

#include <cstdint>
#include <string>
#include <vector>

#include "keyward/result.h"
#include "pam/pam_config.h"

namespace keyward::pam {

struct ModuleArgs {
  std::string config = kDefaultConfigPath;
  std::string service;  // empty: PAM_SERVICE
  std::string test_log;
  std::string test_fido_device;
  int64_t test_clock_offset = 0;
};

Result<ModuleArgs> ParseModuleArgs(const std::vector<std::string>& args, bool test_hooks);

}  // namespace keyward::pam

#endif  // KEYWARD_PAM_MODULE_ARGS_H_
