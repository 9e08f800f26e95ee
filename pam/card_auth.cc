// The smart-card method: wait (bounded) for the card, ask the PIN through the conversation (or
// use the pinpad), and run keyward's certificate login (pkcs11::CardLogin): the card signs a
// fresh random challenge that the host verifies with the certificate's key — a successful
// C_Login alone never logs anyone in — after chain, validity, EKU, CRL and OCSP checks and the
// mapping rules. The mapped account must be the PAM user.
#include <chrono>
#include <ctime>
#include <string>

#include "keyward/pkcs11.h"
#include "pam/authenticate.h"
#include "pam/bounded_call.h"

namespace keyward::pam {
namespace {

using std::chrono::milliseconds;
using std::chrono::seconds;

Outcome Failed(ErrorCode code, std::string facts = {}) {
  Outcome o;
  o.code = code;
  o.pam_code = PamCodeFor(code);
  o.facts = std::move(facts);
  return o;
}

std::string PinHint(const pkcs11::TokenSummary& t) {
  if (t.pin_locked) return "The card's PIN is blocked.";
  if (t.pin_final_try) return "One PIN try left before the card blocks the PIN.";
  if (t.pin_count_low) return "Few PIN tries left.";
  return {};
}

// The card's PIN flags now (after a failed try), when the module reports them.
std::string PinHintNow(const std::string& module, const std::string& token) {
  auto tokens = pkcs11::ListModuleTokens(module);
  if (!tokens) return {};
  for (const auto& t : *tokens) {
    if (!t.token_initialized) continue;
    if (token.empty() || t.label == token) return PinHint(t);
  }
  return {};
}

pkcs11::CardLoginOptions LoginOptions(const ServicePolicy& p, const std::string& module,
                                      const Attempt& attempt) {
  pkcs11::CardLoginOptions o;
  o.module_path = module;
  o.token = p.card_token;
  o.ca_files = p.card_ca;
  o.crl_files = p.card_crl;
  if (p.card_ocsp != "off") {
    o.ocsp = true;
    if (p.card_ocsp != "aia") o.ocsp_url = p.card_ocsp;
    o.ocsp_failure = p.card_ocsp_failure == OcspFailure::kSoft
                         ? pkcs11::OcspFailurePolicy::kSoftFail
                         : pkcs11::OcspFailurePolicy::kHardFail;
    o.ocsp_timeout_seconds = p.card_ocsp_timeout;
    o.ocsp_cache_dir = p.card_ocsp_cache;
  }
  if (!p.card_eku.empty()) {
    o.accepted_ekus.clear();
    for (const auto& e : p.card_eku) o.accepted_ekus.push_back(EkuOid(e));
  }
  o.rules_file = p.card_rules;
  o.context = "keyward pam login";
  o.relying_host = attempt.hostname;
  o.use_protected_path = p.card_pinpad;
  return o;
}

}  // namespace

Outcome CardAuthenticate(const ServicePolicy& policy, const Attempt& attempt, Conversation& conv,
                         const Hooks& hooks) {
  auto module = pkcs11::ModuleForToken(policy.card_module, policy.card_token);
  if (!module) return Failed(module.error().code);
  if (module->empty()) return Failed(ErrorCode::kPkcs11ModuleLoadFailed);

  // The card: present now, or inserted within card_wait seconds.
  auto watcher = pkcs11::TokenWatcher::Open(*module);
  if (!watcher) return Failed(watcher.error().code);
  auto ev = watcher->WaitFor(policy.card_token, true, milliseconds(0));
  if (!ev && ev.error().code == ErrorCode::kTimeout && policy.card_wait > 0) {
    conv.Info("Insert your smart card.");
    ev = watcher->WaitFor(policy.card_token, true, seconds(policy.card_wait));
  }
  if (!ev) {
    ErrorCode c =
        ev.error().code == ErrorCode::kTimeout ? ErrorCode::kPkcs11TokenNotFound : ev.error().code;
    return Failed(c);
  }
  const pkcs11::TokenSummary token = ev->token;
  const std::string token_fact = " token=" + LogSafe(token.label);
  if (token.pin_locked) {
    conv.ErrorMessage("The card's PIN is blocked: ask your administrator to unblock it.");
    return Failed(ErrorCode::kPinBlocked, token_fact.substr(1));
  }

  SecretBytes pin;
  if (!policy.card_pinpad) {
    std::string hint = PinHint(token);
    if (!hint.empty()) conv.Info(hint);
    auto answer =
        conv.AskSecret("PIN for " + (token.label.empty() ? "the card" : token.label) + ": ");
    if (!answer) return Failed(ErrorCode::kPamConversationFailed, token_fact.substr(1));
    if (answer->empty()) return Failed(ErrorCode::kPinRequired, token_fact.substr(1));
    pin = std::move(*answer);
  } else {
    conv.Info("Enter your PIN on the reader's keypad.");
  }

  pkcs11::CardLoginOptions options = LoginOptions(policy, *module, attempt);
  if (hooks.clock_offset != 0)
    options.verify_time = static_cast<int64_t>(std::time(nullptr)) + hooks.clock_offset;
  auto run = [&](const pkcs11::CardLoginOptions& o) {
    return BoundedCall<pkcs11::LoginResult>(
        [o, pin]() { return pkcs11::CardLogin(o, pin.reveal()); },
        seconds(policy.card_timeout + (o.ocsp ? 2 * policy.card_ocsp_timeout : 0)));
  };
  auto result = run(options);
  bool crl_fallback = false;
  if (!result && policy.card_ocsp_failure == OcspFailure::kCrl &&
      (result.error().code == ErrorCode::kOcspUnavailable ||
       result.error().code == ErrorCode::kRevocationUnknown)) {
    // Offline: the cached CRLs (within their validity, covering the certificate) decide.
    pkcs11::CardLoginOptions offline = options;
    offline.ocsp = false;
    offline.ocsp_url.clear();
    result = run(offline);
    crl_fallback = true;
  }
  if (!result) {
    const ErrorCode c = result.error().code;
    if (c == ErrorCode::kPinIncorrect) {
      std::string hint = PinHintNow(*module, policy.card_token);
      conv.ErrorMessage("Wrong PIN." + (hint.empty() ? "" : " " + hint));
    } else if (c == ErrorCode::kPinBlocked) {
      conv.ErrorMessage("The card's PIN is blocked: ask your administrator to unblock it.");
    }
    return Failed(c, token_fact.substr(1) + (crl_fallback ? " revocation=crl-fallback" : ""));
  }
  std::string facts = "token=" + LogSafe(result->token_label) +
                      " account=" + LogSafe(result->account) + " rule=" + LogSafe(result->rule) +
                      " cert_sha256=" + result->certificate.fingerprint_sha256 +
                      " revocation=" + result->revocation.method + "/" + result->revocation.status +
                      (result->revocation.ocsp_cached ? std::string("(cached)") : std::string()) +
                      (crl_fallback ? std::string("(ocsp-unavailable)") : std::string()) +
                      " alg=" + result->signature_algorithm;
  if (result->account != attempt.user) {
    conv.ErrorMessage("This card belongs to another account.");
    return Failed(ErrorCode::kPamAccountMismatch, facts);
  }
  Outcome o;
  o.ok = true;
  o.code = ErrorCode::kInternal;
  o.pam_code = 0;  // PAM_SUCCESS
  o.facts = facts;
  o.card_cert_sha256 = result->certificate.fingerprint_sha256;
  return o;
}

}  // namespace keyward::pam
