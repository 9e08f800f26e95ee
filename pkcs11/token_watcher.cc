// keyward::pkcs11::TokenWatcher (keyward/pkcs11.h): bounded waits for token insertion and removal
// over PKCS#11 v2.40 §5.5 C_WaitForSlotEvent, polled with CKF_DONT_BLOCK (see token.h).
#include <algorithm>
#include <thread>

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

Result<TokenEvent> TokenWatcher::WaitFor(const std::string& token, bool present,
                                         std::chrono::milliseconds timeout) {
  if (!impl_) return Fail(ErrorCode::kInvalidArgument, "moved-from TokenWatcher");
  KW_ASSIGN_OR_RETURN(TokenSelector selector, ParseTokenSelector(token));
  const auto deadline = std::chrono::steady_clock::now() + timeout;
  TokenEvent last_seen;
  for (bool first = true;; first = false) {
    // The state, then an event: a change between the two is still an event, so none is lost.
    KW_ASSIGN_OR_RETURN(auto tokens, ListTokens(*impl_->module));
    const TokenInfo* match = nullptr;
    for (const TokenInfo& t : tokens) {
      if (selector.Matches(t)) {
        match = &t;
        break;
      }
    }
    if (match) {
      last_seen.slot_id = match->slot.id;
      last_seen.slot_description = match->slot.description;
    }
    if (present && match) {
      TokenEvent ev = last_seen;
      ev.token_present = true;
      ev.token = SummarizeToken(*match);
      ev.already = first;
      return ev;
    }
    if (!present && !match) {
      TokenEvent ev = last_seen;
      ev.already = first;
      return ev;
    }
    const auto left = std::chrono::duration_cast<std::chrono::milliseconds>(
        deadline - std::chrono::steady_clock::now());
    if (left.count() <= 0) {
      return Fail(ErrorCode::kTimeout, present ? "no matching token was inserted in time"
                                               : "the matching token was not removed in time");
    }
    auto ev = Wait(left);
    if (ev) continue;
    switch (ev.error().code) {
      case ErrorCode::kTimeout:             // the state is checked once more, then it is final
      case ErrorCode::kPkcs11TokenRemoved:  // gone again before it could be read
        continue;
      case ErrorCode::kNotSupported:  // no slot events: poll the token list instead
        std::this_thread::sleep_for(std::min(left, std::chrono::milliseconds(100)));
        continue;
      default:
        return Fail(ev.error());
    }
  }
}

}  // namespace keyward::pkcs11
