#include "fido/fido_error.h"

#include <fido.h>

#include <string>

namespace keyward::fido {

Error FidoError(int rc, std::string_view what, FidoContext context) {
  ErrorCode code = ErrorCode::kFidoCtapError;
  switch (rc) {
    case FIDO_ERR_PIN_INVALID:
      code = ErrorCode::kPinIncorrect;
      break;
    case FIDO_ERR_PIN_BLOCKED:
    case FIDO_ERR_PIN_AUTH_BLOCKED:
      code = ErrorCode::kPinBlocked;
      break;
    case FIDO_ERR_PIN_NOT_SET:
      code = ErrorCode::kPinNotSet;
      break;
    case FIDO_ERR_PIN_REQUIRED:
      code = ErrorCode::kPinRequired;
      break;
    case FIDO_ERR_PIN_POLICY_VIOLATION:
      code = context == FidoContext::kPinChange ? ErrorCode::kPinPolicyViolation
                                                : ErrorCode::kPinChangeRequired;
      break;
    case FIDO_ERR_PIN_AUTH_INVALID:
    case FIDO_ERR_PIN_TOKEN_EXPIRED:
      code = ErrorCode::kFidoPinAuthInvalid;
      break;
    case FIDO_ERR_UNAUTHORIZED_PERM:
      code = ErrorCode::kFidoPermissionDenied;
      break;
    case FIDO_ERR_UV_BLOCKED:
      code = ErrorCode::kFidoUvBlocked;
      break;
    case FIDO_ERR_UV_INVALID:
      code = ErrorCode::kFidoUvInvalid;
      break;
    case FIDO_ERR_CREDENTIAL_EXCLUDED:
      code = ErrorCode::kFidoCredentialExcluded;
      break;
    case FIDO_ERR_NO_CREDENTIALS:
      code = ErrorCode::kFidoNoCredentials;
      break;
    case FIDO_ERR_KEEPALIVE_CANCEL:
      code = ErrorCode::kFidoCancelled;
      break;
    case FIDO_ERR_USER_ACTION_TIMEOUT:
    case FIDO_ERR_ACTION_TIMEOUT:
      code = ErrorCode::kFidoUserActionTimeout;
      break;
    case FIDO_ERR_KEY_STORE_FULL:
      code = ErrorCode::kFidoKeyStoreFull;
      break;
    case FIDO_ERR_NOT_ALLOWED:
    case FIDO_ERR_OPERATION_DENIED:
      code = ErrorCode::kFidoNotAllowed;
      break;
    case FIDO_ERR_UNSUPPORTED_OPTION:
    case FIDO_ERR_INVALID_OPTION:
    case FIDO_ERR_UNSUPPORTED_EXTENSION:
      code = ErrorCode::kFidoUnsupportedOption;
      break;
    case FIDO_ERR_UNSUPPORTED_ALGORITHM:
      code = ErrorCode::kUnsupportedAlgorithm;
      break;
    case FIDO_ERR_TX:
    case FIDO_ERR_RX:
    case FIDO_ERR_RX_NOT_CBOR:
    case FIDO_ERR_RX_INVALID_CBOR:
    case FIDO_ERR_INVALID_PARAM:
    case FIDO_ERR_INVALID_SIG:
      code = ErrorCode::kFidoDeviceError;
      break;
    case FIDO_ERR_INVALID_ARGUMENT:
      code = ErrorCode::kInvalidArgument;
      break;
    case FIDO_ERR_NOTFOUND:
      code = ErrorCode::kFidoDeviceNotFound;
      break;
    case FIDO_ERR_INTERNAL:
      code = ErrorCode::kInternal;
      break;
    default:
      code = ErrorCode::kFidoCtapError;
      break;
  }
  return Error{code, static_cast<uint32_t>(rc), std::string(what) + ": " + fido_strerr(rc)};
}

}  // namespace keyward::fido
