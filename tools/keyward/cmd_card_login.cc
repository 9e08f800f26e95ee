// `keyward card-login`: certificate-based login with a smart card (or any PKCS#11 token).
// To be wired as `keyward card login` once the `card` command group exists.
#include <openssl/crypto.h>

#include <cstdio>
#include <cstring>
#include <memory>

#include "keyward/pkcs11.h"
#include "tools/keyward/card_command.h"
#include "tools/keyward/command.h"
#include "tools/keyward/pkcs11_json.h"
#include "tools/keyward/secret_prompt.h"

namespace keyward::cli {
namespace {

constexpr size_t kMaxPin = 256;

struct LoginOptions {
  pkcs11::CardLoginOptions login;
  std::vector<std::string> ekus;
  bool ocsp_aia = false;
  bool ocsp_soft_fail = false;
  int pin_fd = -1;
  bool json = false;
};

// The PIN from --pin-fd, or typed on the terminal without echo.
long ReadPin(const LoginOptions& o, char* buf, size_t cap) {  // NOLINT(runtime/int)
  return ReadSecret(o.pin_fd, "PIN: ", buf, cap);
}

std::string EkuOid(const std::string& name) {
  if (name == "smartcardLogon") return pkcs11::kSmartCardLogonOid;
  if (name == "clientAuth") return pkcs11::kClientAuthOid;
  return name;  // a dotted OID
}

int Run(LoginOptions& o) {
  if (!o.ekus.empty()) {
    o.login.accepted_ekus.clear();
    for (const auto& e : o.ekus) o.login.accepted_ekus.push_back(EkuOid(e));
  }
  o.login.ocsp = o.ocsp_aia || !o.login.ocsp_url.empty();
  o.login.ocsp_failure = o.ocsp_soft_fail ? pkcs11::OcspFailurePolicy::kSoftFail
                                          : pkcs11::OcspFailurePolicy::kHardFail;
  char pin[kMaxPin];
  long n = 0;  // NOLINT(runtime/int)
  if (!o.login.use_protected_path) {
    n = ReadPin(o, pin, sizeof(pin));
    if (n < 0) {
      OPENSSL_cleanse(pin, sizeof(pin));
      return ReportError(Error{ErrorCode::kPinRequired, 0,
                               n == -2 ? "no terminal for the PIN prompt: use --pin-fd"
                                       : "PIN unreadable or too long"},
                         o.json);
    }
  }
  auto result = pkcs11::CardLogin(
      o.login,
      std::span<const uint8_t>(reinterpret_cast<const uint8_t*>(pin), static_cast<size_t>(n)));
  OPENSSL_cleanse(pin, sizeof(pin));
  if (!result) {
    const Error& e = result.error();
    if (o.json && (e.code == ErrorCode::kPinIncorrect || e.code == ErrorCode::kPinBlocked)) {
      nlohmann::json j = ErrorJson(e);
      auto module = pkcs11::ModuleForToken(o.login.module_path, o.login.token);
      if (auto tokens = pkcs11::ListModuleTokens(module ? *module : o.login.module_path)) {
        for (const auto& t : *tokens) {
          if (o.login.token.empty() || t.label == o.login.token) {
            j["pin"] = {{"count_low", t.pin_count_low},
                        {"final_try", t.pin_final_try},
                        {"locked", t.pin_locked}};
            break;
          }
        }
      }
      std::printf("%s\n", j.dump(2).c_str());
      return ExitCodeFor(e.code);
    }
    return ReportError(e, o.json);
  }
  if (o.json) {
    std::printf("%s\n", ToJson(*result).dump(2).c_str());
  } else {
    std::printf("login ok: %s (rule %s, %s)\n  certificate %s\n  revocation %s/%s, assurance %s\n",
                result->account.c_str(), result->rule.c_str(), result->mapping_source.c_str(),
                result->certificate.subject.c_str(), result->revocation.method.c_str(),
                result->revocation.status.c_str(), result->assurance.level.c_str());
  }
  return kExitOk;
}

card::CardSubcommand MakeCardLogin(CLI::App& card_app) {
  auto o = std::make_shared<LoginOptions>();
  CLI::App* app = card_app.add_subcommand(
      "login", "Certificate login with a smart card / PKCS#11 token (challenge, chain, mapping)");
  app->add_option("--module", o->login.module_path,
                  "PKCS#11 module file or p11-kit module name (or module-path / module-name in "
                  "the --token URI)");
  app->add_option("--token", o->login.token, "Token label or pkcs11: URI");
  app->add_option("--ca", o->login.ca_files, "Trusted CA certificates (PEM/DER), repeatable")
      ->required();
  app->add_option("--rules", o->login.rules_file, "Mapping rules file (default: UPN, then e-mail)");
  app->add_option("--crl", o->login.crl_files, "CRL files (PEM/DER), repeatable");
  app->add_option("--ocsp", o->login.ocsp_url, "Query this OCSP responder (http://)");
  app->add_flag("--ocsp-aia", o->ocsp_aia, "Query the OCSP responder named in the certificate");
  app->add_flag("--ocsp-soft-fail", o->ocsp_soft_fail,
                "Accept when the responder is unreachable or answers unknown (default: fail)");
  app->add_option("--ocsp-timeout", o->login.ocsp_timeout_seconds, "OCSP timeout in seconds");
  app->add_option("--eku", o->ekus,
                  "Accepted EKU: smartcardLogon, clientAuth or an OID (repeatable; default both)");
  app->add_option("--host", o->login.relying_host, "Relying host bound into the challenge");
  app->add_option("--context", o->login.context, "Purpose bound into the challenge");
  app->add_option("--time", o->login.verify_time, "Validate at this Unix time (default: now)");
  app->add_option("--pin-fd", o->pin_fd, "Read the PIN from this file descriptor (one line)");
  app->add_flag("--protected-auth", o->login.use_protected_path,
                "Use the reader's PIN pad (protected authentication path)");
  app->add_flag("--json", o->json, "Machine-readable output");
  return {app, [o]() { return Run(*o); }};
}

}  // namespace

KEYWARD_REGISTER_CARD_SUBCOMMAND(40, MakeCardLogin);

}  // namespace keyward::cli
