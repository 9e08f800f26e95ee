// Mapping of libfido2 return codes (FIDO_ERR_*, which include the CTAP 2.1 §8.2 status codes)
// to keyward ErrorCodes. The libfido2 code is kept in Error::native.
#ifndef KEYWARD_FIDO_FIDO_ERROR_H_
#define KEYWARD_FIDO_FIDO_ERROR_H_

#include <string_view>

#include "keyward/result.h"

namespace keyward::fido {

// Where the call happened changes one mapping: CTAP2_ERR_PIN_POLICY_VIOLATION answers a PIN
// token request on a device whose PIN must be changed first (kPinChangeRequired), but a
// setPIN / changePIN whose new PIN breaks the policy (kPinPolicyViolation).
enum class FidoContext { kGeneral, kPinChange };

Error FidoError(int rc, std::string_view what, FidoContext context = FidoContext::kGeneral);

}  // namespace keyward::fido

#endif  // KEYWARD_FIDO_FIDO_ERROR_H_
