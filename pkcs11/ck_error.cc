#include "pkcs11/ck_error.h"

#include <cstdio>

namespace keyward::pkcs11 {
namespace {

struct CkrEntry {
  CK_RV rv;
  const char* name;
  ErrorCode code;
};

// The v2.40 return values, with v3.0 additions spelled numerically where p11-kit 0.24's header
// lacks them.
constexpr CkrEntry kCkrTable[] = {
    {CKR_OK, "CKR_OK", ErrorCode::kInternal},
    {CKR_CANCEL, "CKR_CANCEL", ErrorCode::kCancelled},
    {CKR_HOST_MEMORY, "CKR_HOST_MEMORY", ErrorCode::kInternal},
    {CKR_SLOT_ID_INVALID, "CKR_SLOT_ID_INVALID", ErrorCode::kPkcs11TokenNotFound},
    {CKR_GENERAL_ERROR, "CKR_GENERAL_ERROR", ErrorCode::kPkcs11DeviceError},
    {CKR_FUNCTION_FAILED, "CKR_FUNCTION_FAILED", ErrorCode::kPkcs11DeviceError},
    {CKR_ARGUMENTS_BAD, "CKR_ARGUMENTS_BAD", ErrorCode::kInvalidArgument},
    {CKR_NO_EVENT, "CKR_NO_EVENT", ErrorCode::kTimeout},
    {CKR_NEED_TO_CREATE_THREADS, "CKR_NEED_TO_CREATE_THREADS", ErrorCode::kPkcs11Error},
    {CKR_CANT_LOCK, "CKR_CANT_LOCK", ErrorCode::kPkcs11Error},
    {CKR_ATTRIBUTE_READ_ONLY, "CKR_ATTRIBUTE_READ_ONLY", ErrorCode::kPkcs11Error},
    {CKR_ATTRIBUTE_SENSITIVE, "CKR_ATTRIBUTE_SENSITIVE", ErrorCode::kPkcs11Error},
    {CKR_ATTRIBUTE_TYPE_INVALID, "CKR_ATTRIBUTE_TYPE_INVALID", ErrorCode::kPkcs11Error},
    {CKR_ATTRIBUTE_VALUE_INVALID, "CKR_ATTRIBUTE_VALUE_INVALID", ErrorCode::kPkcs11Error},
    {CKR_ACTION_PROHIBITED, "CKR_ACTION_PROHIBITED", ErrorCode::kPermissionDenied},
    {CKR_DATA_INVALID, "CKR_DATA_INVALID", ErrorCode::kInvalidArgument},
    {CKR_DATA_LEN_RANGE, "CKR_DATA_LEN_RANGE", ErrorCode::kInvalidArgument},
    {CKR_DEVICE_ERROR, "CKR_DEVICE_ERROR", ErrorCode::kPkcs11DeviceError},
    {CKR_DEVICE_MEMORY, "CKR_DEVICE_MEMORY", ErrorCode::kPkcs11DeviceError},
    {CKR_DEVICE_REMOVED, "CKR_DEVICE_REMOVED", ErrorCode::kPkcs11TokenRemoved},
    {CKR_ENCRYPTED_DATA_INVALID, "CKR_ENCRYPTED_DATA_INVALID", ErrorCode::kInvalidArgument},
    {CKR_ENCRYPTED_DATA_LEN_RANGE, "CKR_ENCRYPTED_DATA_LEN_RANGE", ErrorCode::kInvalidArgument},
    {CKR_FUNCTION_CANCELED, "CKR_FUNCTION_CANCELED", ErrorCode::kCancelled},
    {CKR_FUNCTION_NOT_PARALLEL, "CKR_FUNCTION_NOT_PARALLEL", ErrorCode::kNotSupported},
    {CKR_FUNCTION_NOT_SUPPORTED, "CKR_FUNCTION_NOT_SUPPORTED", ErrorCode::kNotSupported},
    {CKR_KEY_HANDLE_INVALID, "CKR_KEY_HANDLE_INVALID", ErrorCode::kPkcs11ObjectNotFound},
    {CKR_KEY_SIZE_RANGE, "CKR_KEY_SIZE_RANGE", ErrorCode::kPkcs11MechanismInvalid},
    {CKR_KEY_TYPE_INCONSISTENT, "CKR_KEY_TYPE_INCONSISTENT", ErrorCode::kPkcs11MechanismInvalid},
    {CKR_KEY_NOT_NEEDED, "CKR_KEY_NOT_NEEDED", ErrorCode::kPkcs11Error},
    {CKR_KEY_CHANGED, "CKR_KEY_CHANGED", ErrorCode::kPkcs11Error},
    {CKR_KEY_NEEDED, "CKR_KEY_NEEDED", ErrorCode::kPkcs11Error},
    {CKR_KEY_INDIGESTIBLE, "CKR_KEY_INDIGESTIBLE", ErrorCode::kPkcs11Error},
    {CKR_KEY_FUNCTION_NOT_PERMITTED, "CKR_KEY_FUNCTION_NOT_PERMITTED",
     ErrorCode::kPkcs11MechanismInvalid},
    {CKR_KEY_NOT_WRAPPABLE, "CKR_KEY_NOT_WRAPPABLE", ErrorCode::kPkcs11Error},
    {CKR_KEY_UNEXTRACTABLE, "CKR_KEY_UNEXTRACTABLE", ErrorCode::kPkcs11Error},
    {CKR_MECHANISM_INVALID, "CKR_MECHANISM_INVALID", ErrorCode::kPkcs11MechanismInvalid},
    {CKR_MECHANISM_PARAM_INVALID, "CKR_MECHANISM_PARAM_INVALID",
     ErrorCode::kPkcs11MechanismInvalid},
    {CKR_OBJECT_HANDLE_INVALID, "CKR_OBJECT_HANDLE_INVALID", ErrorCode::kPkcs11ObjectNotFound},
    {CKR_OPERATION_ACTIVE, "CKR_OPERATION_ACTIVE", ErrorCode::kPkcs11SessionError},
    {CKR_OPERATION_NOT_INITIALIZED, "CKR_OPERATION_NOT_INITIALIZED",
     ErrorCode::kPkcs11SessionError},
    {CKR_PIN_INCORRECT, "CKR_PIN_INCORRECT", ErrorCode::kPinIncorrect},
    {CKR_PIN_INVALID, "CKR_PIN_INVALID", ErrorCode::kPinInvalid},
    {CKR_PIN_LEN_RANGE, "CKR_PIN_LEN_RANGE", ErrorCode::kPinInvalid},
    {CKR_PIN_EXPIRED, "CKR_PIN_EXPIRED", ErrorCode::kPinChangeRequired},
    {CKR_PIN_LOCKED, "CKR_PIN_LOCKED", ErrorCode::kPinBlocked},
    {CKR_SESSION_CLOSED, "CKR_SESSION_CLOSED", ErrorCode::kPkcs11SessionError},
    {CKR_SESSION_COUNT, "CKR_SESSION_COUNT", ErrorCode::kPkcs11SessionError},
    {CKR_SESSION_HANDLE_INVALID, "CKR_SESSION_HANDLE_INVALID", ErrorCode::kPkcs11SessionError},
    {CKR_SESSION_PARALLEL_NOT_SUPPORTED, "CKR_SESSION_PARALLEL_NOT_SUPPORTED",
     ErrorCode::kPkcs11SessionError},
    {CKR_SESSION_READ_ONLY, "CKR_SESSION_READ_ONLY", ErrorCode::kPkcs11SessionError},
    {CKR_SESSION_EXISTS, "CKR_SESSION_EXISTS", ErrorCode::kPkcs11SessionError},
    {CKR_SESSION_READ_ONLY_EXISTS, "CKR_SESSION_READ_ONLY_EXISTS", ErrorCode::kPkcs11SessionError},
    {CKR_SESSION_READ_WRITE_SO_EXISTS, "CKR_SESSION_READ_WRITE_SO_EXISTS",
     ErrorCode::kPkcs11SessionError},
    {CKR_SIGNATURE_INVALID, "CKR_SIGNATURE_INVALID", ErrorCode::kSignatureInvalid},
    {CKR_SIGNATURE_LEN_RANGE, "CKR_SIGNATURE_LEN_RANGE", ErrorCode::kSignatureMalformed},
    {CKR_TEMPLATE_INCOMPLETE, "CKR_TEMPLATE_INCOMPLETE", ErrorCode::kPkcs11Error},
    {CKR_TEMPLATE_INCONSISTENT, "CKR_TEMPLATE_INCONSISTENT", ErrorCode::kPkcs11Error},
    {CKR_TOKEN_NOT_PRESENT, "CKR_TOKEN_NOT_PRESENT", ErrorCode::kPkcs11TokenRemoved},
    {CKR_TOKEN_NOT_RECOGNIZED, "CKR_TOKEN_NOT_RECOGNIZED", ErrorCode::kPkcs11DeviceError},
    {CKR_TOKEN_WRITE_PROTECTED, "CKR_TOKEN_WRITE_PROTECTED", ErrorCode::kPermissionDenied},
    {CKR_UNWRAPPING_KEY_HANDLE_INVALID, "CKR_UNWRAPPING_KEY_HANDLE_INVALID",
     ErrorCode::kPkcs11ObjectNotFound},
    {CKR_UNWRAPPING_KEY_SIZE_RANGE, "CKR_UNWRAPPING_KEY_SIZE_RANGE", ErrorCode::kPkcs11Error},
    {CKR_UNWRAPPING_KEY_TYPE_INCONSISTENT, "CKR_UNWRAPPING_KEY_TYPE_INCONSISTENT",
     ErrorCode::kPkcs11Error},
    {CKR_USER_ALREADY_LOGGED_IN, "CKR_USER_ALREADY_LOGGED_IN", ErrorCode::kPkcs11SessionError},
    {CKR_USER_NOT_LOGGED_IN, "CKR_USER_NOT_LOGGED_IN", ErrorCode::kPinRequired},
    {CKR_USER_PIN_NOT_INITIALIZED, "CKR_USER_PIN_NOT_INITIALIZED", ErrorCode::kPinNotSet},
    {CKR_USER_TYPE_INVALID, "CKR_USER_TYPE_INVALID", ErrorCode::kPkcs11Error},
    {CKR_USER_ANOTHER_ALREADY_LOGGED_IN, "CKR_USER_ANOTHER_ALREADY_LOGGED_IN",
     ErrorCode::kPkcs11SessionError},
    {CKR_USER_TOO_MANY_TYPES, "CKR_USER_TOO_MANY_TYPES", ErrorCode::kPkcs11SessionError},
    {CKR_WRAPPED_KEY_INVALID, "CKR_WRAPPED_KEY_INVALID", ErrorCode::kPkcs11Error},
    {CKR_WRAPPED_KEY_LEN_RANGE, "CKR_WRAPPED_KEY_LEN_RANGE", ErrorCode::kPkcs11Error},
    {CKR_WRAPPING_KEY_HANDLE_INVALID, "CKR_WRAPPING_KEY_HANDLE_INVALID",
     ErrorCode::kPkcs11ObjectNotFound},
    {CKR_WRAPPING_KEY_SIZE_RANGE, "CKR_WRAPPING_KEY_SIZE_RANGE", ErrorCode::kPkcs11Error},
    {CKR_WRAPPING_KEY_TYPE_INCONSISTENT, "CKR_WRAPPING_KEY_TYPE_INCONSISTENT",
     ErrorCode::kPkcs11Error},
    {CKR_RANDOM_SEED_NOT_SUPPORTED, "CKR_RANDOM_SEED_NOT_SUPPORTED", ErrorCode::kNotSupported},
    {CKR_RANDOM_NO_RNG, "CKR_RANDOM_NO_RNG", ErrorCode::kNotSupported},
    {CKR_DOMAIN_PARAMS_INVALID, "CKR_DOMAIN_PARAMS_INVALID", ErrorCode::kPkcs11MechanismInvalid},
    {CKR_CURVE_NOT_SUPPORTED, "CKR_CURVE_NOT_SUPPORTED", ErrorCode::kPkcs11MechanismInvalid},
    {CKR_BUFFER_TOO_SMALL, "CKR_BUFFER_TOO_SMALL", ErrorCode::kInternal},
    {CKR_SAVED_STATE_INVALID, "CKR_SAVED_STATE_INVALID", ErrorCode::kPkcs11Error},
    {CKR_INFORMATION_SENSITIVE, "CKR_INFORMATION_SENSITIVE", ErrorCode::kPkcs11Error},
    {CKR_STATE_UNSAVEABLE, "CKR_STATE_UNSAVEABLE", ErrorCode::kPkcs11Error},
    {CKR_CRYPTOKI_NOT_INITIALIZED, "CKR_CRYPTOKI_NOT_INITIALIZED", ErrorCode::kPkcs11Error},
    {CKR_CRYPTOKI_ALREADY_INITIALIZED, "CKR_CRYPTOKI_ALREADY_INITIALIZED", ErrorCode::kPkcs11Error},
    {CKR_MUTEX_BAD, "CKR_MUTEX_BAD", ErrorCode::kPkcs11Error},
    {CKR_MUTEX_NOT_LOCKED, "CKR_MUTEX_NOT_LOCKED", ErrorCode::kPkcs11Error},
    {CKR_NEW_PIN_MODE, "CKR_NEW_PIN_MODE", ErrorCode::kPkcs11Error},
    {CKR_NEXT_OTP, "CKR_NEXT_OTP", ErrorCode::kPkcs11Error},
    {CKR_EXCEEDED_MAX_ITERATIONS, "CKR_EXCEEDED_MAX_ITERATIONS", ErrorCode::kPkcs11Error},
    {CKR_FIPS_SELF_TEST_FAILED, "CKR_FIPS_SELF_TEST_FAILED", ErrorCode::kPkcs11DeviceError},
    {CKR_LIBRARY_LOAD_FAILED, "CKR_LIBRARY_LOAD_FAILED", ErrorCode::kPkcs11ModuleLoadFailed},
    {CKR_PIN_TOO_WEAK, "CKR_PIN_TOO_WEAK", ErrorCode::kPinPolicyViolation},
    {CKR_PUBLIC_KEY_INVALID, "CKR_PUBLIC_KEY_INVALID", ErrorCode::kKeyMalformed},
    {CKR_FUNCTION_REJECTED, "CKR_FUNCTION_REJECTED", ErrorCode::kPermissionDenied},
    // PKCS#11 v3.0 additions (not in p11-kit 0.24's v2.40 header).
    {0x201UL, "CKR_TOKEN_RESOURCE_EXCEEDED", ErrorCode::kPkcs11DeviceError},
    {0x202UL, "CKR_OPERATION_CANCEL_FAILED", ErrorCode::kPkcs11Error},
};

const CkrEntry* Find(CK_RV rv) {
  for (const auto& e : kCkrTable) {
    if (e.rv == rv) return &e;
  }
  return nullptr;
}

}  // namespace

ErrorCode MapCkr(CK_RV rv) {
  const CkrEntry* e = Find(rv);
  return e ? e->code : ErrorCode::kPkcs11Error;
}

std::string CkrName(CK_RV rv) {
  if (const CkrEntry* e = Find(rv)) return e->name;
  char buf[32];
  std::snprintf(buf, sizeof(buf), "CKR_0x%lx", static_cast<unsigned long>(rv));  // NOLINT
  return buf;
}

Error CkError(CK_RV rv, std::string_view call) {
  return Error{MapCkr(rv), static_cast<uint32_t>(rv), std::string(call) + ": " + CkrName(rv)};
}

std::string_view PinStatus::Hint() const {
  if (locked) return "locked";
  if (final_try) return "final_try";
  if (count_low) return "count_low";
  return "ok";
}

PinStatus PinStatusFromFlags(CK_FLAGS f) {
  PinStatus s;
  s.count_low = (f & CKF_USER_PIN_COUNT_LOW) != 0;
  s.final_try = (f & CKF_USER_PIN_FINAL_TRY) != 0;
  s.locked = (f & CKF_USER_PIN_LOCKED) != 0;
  s.to_be_changed = (f & CKF_USER_PIN_TO_BE_CHANGED) != 0;
  return s;
}

}  // namespace keyward::pkcs11
