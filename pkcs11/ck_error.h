// Mapping of PKCS#11 return values (PKCS#11 v2.40 §5.1 "Return values", v3.0 §5.1) to keyward's
// ErrorCode, and of the token's PIN flags (v2.40 §4.5.1 CK_TOKEN_INFO flags) to retry hints.
//
// Invariants: every CK_RV maps to exactly one ErrorCode; the CK_RV itself is kept in
// Error::native; the detail names the failing call and the CKR_* constant, never a PIN.
#ifndef KEYWARD_PKCS11_CK_ERROR_H_
#define KEYWARD_PKCS11_CK_ERROR_H_

#include <p11-kit/pkcs11.h>

#include <string>
#include <string_view>

#include "keyward/result.h"

namespace keyward::pkcs11 {

ErrorCode MapCkr(CK_RV rv);
// "CKR_PIN_INCORRECT", or "CKR_0x..." for a value this table does not know.
std::string CkrName(CK_RV rv);
// Error{MapCkr(rv), rv, "<call>: CKR_..."}.
Error CkError(CK_RV rv, std::string_view call);

// What the token says about its user PIN (CKF_USER_PIN_* flags).
struct PinStatus {
  bool count_low =
      false;  // CKF_USER_PIN_COUNT_LOW: a wrong PIN was entered since the last good one
  bool final_try = false;      // CKF_USER_PIN_FINAL_TRY: one more wrong PIN locks it
  bool locked = false;         // CKF_USER_PIN_LOCKED
  bool to_be_changed = false;  // CKF_USER_PIN_TO_BE_CHANGED
  // "locked", "final_try", "count_low" or "ok": the strongest hint.
  std::string_view Hint() const;
};
PinStatus PinStatusFromFlags(CK_FLAGS token_flags);

}  // namespace keyward::pkcs11

#endif  // KEYWARD_PKCS11_CK_ERROR_H_
