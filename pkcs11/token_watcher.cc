// keyward::pkcs11::TokenWatcher (keyward/pkcs11.h): bounded waits for token insertion and removal
// over PKCS#11 v2.40 §5.5 C_WaitForSlotEvent, polled with CKF_DONT_BLOCK (see token.h).
#include "pkcs11/card_login.h"
#include "pkcs11/token.h"

namespace keyward::pkcs11 {

struct TokenWatcher::Impl {
  std::shared_ptr<Module> module;
};

TokenWatcher::TokenWatcher(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}
TokenWatcher::TokenWatcher(TokenWatcher&&) noexcept = default;
TokenWatcher& TokenWatcher::operator=(TokenWatcher&&) noexcept = default;
TokenWatcher::~TokenWatcher() = default;

Result<TokenWatcher> TokenWatcher::Open(const std::string& module_path) {
  KW_ASSIGN_OR_RETURN(auto module, Module::Load(module_path));
  auto impl = std::make_unique<Impl>();
  impl->module = std::move(module);
  return TokenWatcher(std::move(impl));
}

Result<TokenEvent> TokenWatcher::Wait(std::chrono::milliseconds timeout) {
  if (!impl_) return Fail(ErrorCode::kInvalidArgument, "moved-from TokenWatcher");
  const Module& module = *impl_->module;
  KW_ASSIGN_OR_RETURN(CK_SLOT_ID slot, WaitForSlotEventFor(module, timeout));
  KW_ASSIGN_OR_RETURN(SlotInfo info, GetSlotInfo(module, slot));
  TokenEvent ev;
  ev.slot_id = slot;
  ev.slot_description = info.description;
  if (info.token_present) {
    auto token = GetTokenInfo(module, info);
    if (token) {
      ev.token_present = true;
      ev.token = SummarizeToken(*token);
    } else if (token.error().code != ErrorCode::kPkcs11TokenRemoved) {
      return Fail(token.error());  // already gone again: reported as a removal
    }
  }
  return ev;
}

}  // namespace keyward::pkcs11
