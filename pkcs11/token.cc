#include "pkcs11/token.h"

#include <thread>

namespace keyward::pkcs11 {

Result<SlotInfo> GetSlotInfo(const Module& module, CK_SLOT_ID id) {
  CK_SLOT_INFO info{};
  CK_RV rv = module.fn()->C_GetSlotInfo(id, &info);
  if (rv != CKR_OK) return Fail(CkError(rv, "C_GetSlotInfo"));
  SlotInfo s;
  s.id = id;
  s.description = PaddedToString(info.slotDescription, sizeof(info.slotDescription));
  s.manufacturer = PaddedToString(info.manufacturerID, sizeof(info.manufacturerID));
  s.flags = info.flags;
  s.token_present = (info.flags & CKF_TOKEN_PRESENT) != 0;
  s.removable = (info.flags & CKF_REMOVABLE_DEVICE) != 0;
  s.hardware = (info.flags & CKF_HW_SLOT) != 0;
  return s;
}

Result<std::vector<SlotInfo>> ListSlots(const Module& module, bool token_present_only) {
  CK_FUNCTION_LIST* f = module.fn();
  std::vector<CK_SLOT_ID> ids;
  // The list can grow between the two calls (hot-plug): retry on CKR_BUFFER_TOO_SMALL.
  for (int attempt = 0; attempt < 4; ++attempt) {
    CK_ULONG count = 0;
    CK_RV rv = f->C_GetSlotList(token_present_only ? CK_TRUE : CK_FALSE, nullptr, &count);
    if (rv != CKR_OK) return Fail(CkError(rv, "C_GetSlotList"));
    ids.resize(count);
    if (count == 0) break;
    rv = f->C_GetSlotList(token_present_only ? CK_TRUE : CK_FALSE, ids.data(), &count);
    if (rv == CKR_BUFFER_TOO_SMALL) continue;
    if (rv != CKR_OK) return Fail(CkError(rv, "C_GetSlotList"));
    ids.resize(count);
    break;
  }
  std::vector<SlotInfo> out;
  for (CK_SLOT_ID id : ids) {
    KW_ASSIGN_OR_RETURN(SlotInfo s, GetSlotInfo(module, id));
    out.push_back(std::move(s));
  }
  return out;
}

Result<TokenInfo> GetTokenInfo(const Module& module, const SlotInfo& slot) {
  CK_TOKEN_INFO info{};
  CK_RV rv = module.fn()->C_GetTokenInfo(slot.id, &info);
  if (rv != CKR_OK) return Fail(CkError(rv, "C_GetTokenInfo"));
  TokenInfo t;
  t.slot = slot;
  t.label = PaddedToString(info.label, sizeof(info.label));
  t.manufacturer = PaddedToString(info.manufacturerID, sizeof(info.manufacturerID));
  t.model = PaddedToString(info.model, sizeof(info.model));
  t.serial = PaddedToString(info.serialNumber, sizeof(info.serialNumber));
  t.flags = info.flags;
  t.login_required = (info.flags & CKF_LOGIN_REQUIRED) != 0;
  t.protected_authentication_path = (info.flags & CKF_PROTECTED_AUTHENTICATION_PATH) != 0;
  t.user_pin_initialized = (info.flags & CKF_USER_PIN_INITIALIZED) != 0;
  t.token_initialized = (info.flags & CKF_TOKEN_INITIALIZED) != 0;
  t.pin = PinStatusFromFlags(info.flags);
  return t;
}

Result<std::vector<TokenInfo>> ListTokens(const Module& module) {
  KW_ASSIGN_OR_RETURN(auto slots, ListSlots(module, true));
  std::vector<TokenInfo> out;
  for (const SlotInfo& s : slots) {
    auto t = GetTokenInfo(module, s);
    if (!t) {
      // Removed between the slot list and now, or unrecognised: not a usable token.
      if (t.error().code == ErrorCode::kPkcs11TokenRemoved ||
          t.error().native == CKR_TOKEN_NOT_RECOGNIZED) {
        continue;
      }
      return Fail(t.error());
    }
    out.push_back(std::move(*t));
  }
  return out;
}

TokenSelector TokenSelector::FromUri(const Pkcs11Uri& uri) {
  TokenSelector s;
  s.label = uri.token;
  s.serial = uri.serial;
  s.manufacturer = uri.manufacturer;
  s.model = uri.model;
  return s;
}

bool TokenSelector::Matches(const TokenInfo& t) const {
  if (label && *label != t.label) return false;
  if (serial && *serial != t.serial) return false;
  if (manufacturer && *manufacturer != t.manufacturer) return false;
  if (model && *model != t.model) return false;
  return true;
}

Result<TokenInfo> SelectToken(const Module& module, const TokenSelector& selector) {
  KW_ASSIGN_OR_RETURN(auto tokens, ListTokens(module));
  std::optional<TokenInfo> found;
  for (TokenInfo& t : tokens) {
    // An uninitialised token (e.g. SoftHSM's spare free slot) cannot log anyone in.
    if (!t.token_initialized || !selector.Matches(t)) continue;
    if (found) {
      return Fail(ErrorCode::kInvalidArgument,
                  "more than one token matches; select by label, serial or URI");
    }
    found = std::move(t);
  }
  if (!found) return Fail(ErrorCode::kPkcs11TokenNotFound, "no matching token present");
  return std::move(*found);
}

Result<std::optional<CK_SLOT_ID>> WaitForSlotEvent(const Module& module, bool block) {
  CK_SLOT_ID slot = 0;
  CK_RV rv = module.fn()->C_WaitForSlotEvent(block ? 0 : CKF_DONT_BLOCK, &slot, nullptr);
  if (rv == CKR_NO_EVENT) return std::optional<CK_SLOT_ID>();
  if (rv != CKR_OK) return Fail(CkError(rv, "C_WaitForSlotEvent"));
  return std::optional<CK_SLOT_ID>(slot);
}

Result<CK_SLOT_ID> WaitForSlotEventFor(const Module& module, std::chrono::milliseconds timeout,
                                       std::chrono::milliseconds poll_interval) {
  auto deadline = std::chrono::steady_clock::now() + timeout;
  for (;;) {
    KW_ASSIGN_OR_RETURN(std::optional<CK_SLOT_ID> event, WaitForSlotEvent(module, false));
    if (event) return *event;
    auto now = std::chrono::steady_clock::now();
    if (now >= deadline) {
      return Fail(ErrorCode::kTimeout, "no slot event before the deadline",
                  static_cast<uint32_t>(CKR_NO_EVENT));
    }
    std::this_thread::sleep_for(
        std::min<std::chrono::steady_clock::duration>(poll_interval, deadline - now));
  }
}

}  // namespace keyward::pkcs11
