// Slots and tokens (PKCS#11 v2.40 §5.5 slot and token management: C_GetSlotList, C_GetSlotInfo,
// C_GetTokenInfo, C_WaitForSlotEvent) and token selection by label, serial or PKCS#11 URI.
//
// Invariants: SelectToken returns exactly one present token or fails — kPkcs11TokenNotFound when
// none matches, kInvalidArgument when the selector is ambiguous (two tokens match).
#ifndef KEYWARD_PKCS11_TOKEN_H_
#define KEYWARD_PKCS11_TOKEN_H_

#include <chrono>
#include <optional>
#include <string>
#include <vector>

#include "pkcs11/ck_error.h"
#include "pkcs11/module.h"
#include "pkcs11/uri.h"

namespace keyward::pkcs11 {

struct SlotInfo {
  CK_SLOT_ID id = 0;
  std::string description;
  std::string manufacturer;
  CK_FLAGS flags = 0;
  bool token_present = false;
  bool removable = false;
  bool hardware = false;  // CKF_HW_SLOT
};

struct TokenInfo {
  SlotInfo slot;
  std::string label;
  std::string manufacturer;
  std::string model;
  std::string serial;
  CK_FLAGS flags = 0;
  bool login_required = false;
  bool protected_authentication_path = false;
  bool user_pin_initialized = false;
  bool token_initialized = false;
  PinStatus pin;
};

Result<SlotInfo> GetSlotInfo(const Module& module, CK_SLOT_ID id);
Result<std::vector<SlotInfo>> ListSlots(const Module& module, bool token_present_only);
Result<TokenInfo> GetTokenInfo(const Module& module, const SlotInfo& slot);
// Every slot with a token present, with its token information.
Result<std::vector<TokenInfo>> ListTokens(const Module& module);

struct TokenSelector {
  std::optional<std::string> label;
  std::optional<std::string> serial;
  std::optional<std::string> manufacturer;
  std::optional<std::string> model;

  static TokenSelector FromUri(const Pkcs11Uri& uri);
  bool Matches(const TokenInfo& t) const;
};

// Only initialised tokens are candidates. An empty selector picks the only one (ambiguous when
// several are).
Result<TokenInfo> SelectToken(const Module& module, const TokenSelector& selector);

// One slot event (insertion/removal), the raw call. `block`=false polls (CKF_DONT_BLOCK): nullopt
// when there was no event. `block`=true waits with no bound: PKCS#11 has no timeout for it and no
// portable way to interrupt it (only C_Finalize from another thread, which OpenSC and others do not
// all honour) - prefer WaitForSlotEventFor. kNotSupported (native CKR_FUNCTION_NOT_SUPPORTED) when
// the module does not implement the requested form (SoftHSM2: blocking).
Result<std::optional<CK_SLOT_ID>> WaitForSlotEvent(const Module& module, bool block);

// Bounded wait for one slot event: polls C_WaitForSlotEvent(CKF_DONT_BLOCK) every
// `poll_interval` until an event or `timeout`. kTimeout (native CKR_NO_EVENT) when nothing
// happened in time - also what a module without removable slots gives (SoftHSM2 answers polls
// with CKR_NO_EVENT); kNotSupported when the module refuses polling too.
Result<CK_SLOT_ID> WaitForSlotEventFor(
    const Module& module, std::chrono::milliseconds timeout,
    std::chrono::milliseconds poll_interval = std::chrono::milliseconds(100));

}  // namespace keyward::pkcs11

#endif  // KEYWARD_PKCS11_TOKEN_H_
