// Mapping of PC/SC (pcsc-lite winscard) return codes to keyward ErrorCodes. The SCARD_* value is
// kept in Error::native.
#ifndef KEYWARD_PCSC_SCARD_ERROR_H_
#define KEYWARD_PCSC_SCARD_ERROR_H_

#include <cstdint>
#include <string>

#include "keyward/export.h"
#include "keyward/result.h"

KEYWARD_API_BEGIN

namespace keyward::pcsc {

// `rv` is a winscard LONG return code (SCARD_S_SUCCESS is not an error: do not pass it).
Error ScardError(long rv, std::string what);
// "SCARD_E_NO_SERVICE" etc.
std::string ScardName(long rv);
// The sentence the CLI prints when pcscd is not running.
inline constexpr const char* kStartPcscdHint =
    "pcscd is not running: start it (e.g. `systemctl start pcscd.socket`, or `pcscd` as root)";

}  // namespace keyward::pcsc

KEYWARD_API_END

#endif  // KEYWARD_PCSC_SCARD_ERROR_H_
