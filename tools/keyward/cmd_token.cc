// `keyward token list` and `keyward token certs`: what any PKCS#11 module shows.
#include <cstdio>
#include <memory>

#include "keyward/pkcs11.h"
#include "tools/keyward/command.h"
#include "tools/keyward/pkcs11_json.h"

namespace keyward::cli {
namespace {

struct TokenOptions {
  std::string module;
  std::string token;
  bool json = false;
};

std::vector<std::string> Modules(const TokenOptions& o) {
  if (!o.module.empty()) return {o.module};
  return pkcs11::RegisteredModules();
}

int RunList(const TokenOptions& o) {
  nlohmann::json out = nlohmann::json::array();
  auto modules = Modules(o);
  if (modules.empty()) {
    return ReportError(Error{ErrorCode::kPkcs11ModuleLoadFailed, 0,
                             "no --module given and p11-kit has no registered module"},
                       o.json);
  }
  for (const std::string& m : modules) {
    auto tokens = pkcs11::ListModuleTokens(m);
    if (!tokens) return ReportError(tokens.error(), o.json);
    for (const auto& t : *tokens) {
      nlohmann::json j = ToJson(t);
      j["module"] = m;
      out.push_back(std::move(j));
      if (!o.json) {
        std::printf("%-32s serial %-16s %s / %s%s%s%s\n", t.label.c_str(), t.serial.c_str(),
                    t.manufacturer.c_str(), t.model.c_str(),
                    t.token_initialized ? "" : " [uninitialised]",
                    t.protected_authentication_path ? " [pinpad]" : "",
                    t.pin_locked      ? " [PIN locked]"
                    : t.pin_final_try ? " [PIN: final try]"
                    : t.pin_count_low ? " [PIN: count low]"
                                      : "");
      }
    }
  }
  if (o.json) std::printf("%s\n", nlohmann::json{{"tokens", out}}.dump(2).c_str());
  return kExitOk;
}

int RunCerts(const TokenOptions& o) {
  nlohmann::json out = nlohmann::json::array();
  auto modules = Modules(o);
  if (modules.empty()) {
    return ReportError(Error{ErrorCode::kPkcs11ModuleLoadFailed, 0,
                             "no --module given and p11-kit has no registered module"},
                       o.json);
  }
  for (const std::string& m : modules) {
    auto certs = pkcs11::ListTokenCertificates(m, o.token);
    if (!certs) return ReportError(certs.error(), o.json);
    for (const auto& c : *certs) {
      nlohmann::json j = {{"module", m},
                          {"token", c.token_label},
                          {"label", c.object_label},
                          {"id", c.id_hex},
                          {"key_type", c.key_type},
                          {"key_bits", c.key_bits},
                          {"is_ca", c.is_ca},
                          {"certificate", ToJson(c.certificate)}};
      out.push_back(std::move(j));
      if (!o.json) {
        std::printf("%s  id=%s  %s-%d  %s\n    issuer %s  serial %s\n    sha256 %s\n",
                    c.token_label.c_str(), c.id_hex.c_str(), c.key_type.c_str(), c.key_bits,
                    c.certificate.subject.c_str(), c.certificate.issuer.c_str(),
                    c.certificate.serial_hex.c_str(), c.certificate.fingerprint_sha256.c_str());
      }
    }
  }
  if (o.json) std::printf("%s\n", nlohmann::json{{"certificates", out}}.dump(2).c_str());
  return kExitOk;
}

Command MakeTokenCommand(CLI::App& root) {
  auto opts = std::make_shared<TokenOptions>();
  CLI::App* token = root.add_subcommand("token", "PKCS#11 tokens of any module");
  token->require_subcommand(1);
  CLI::App* list =
      token->add_subcommand("list", "List the tokens present (slots, flags, PIN hints)");
  CLI::App* certs = token->add_subcommand("certs", "List X.509 certificates on the tokens");
  for (CLI::App* sub : {list, certs}) {
    sub->add_option("--module", opts->module,
                    "PKCS#11 module file (default: every module registered with p11-kit)");
    sub->add_flag("--json", opts->json, "Machine-readable output");
  }
  certs->add_option("--token", opts->token, "Token label or pkcs11: URI (default: all tokens)");
  return {token, [opts, list, certs]() {
            if (list->parsed()) return RunList(*opts);
            if (certs->parsed()) return RunCerts(*opts);
            return kExitUsage;
          }};
}

}  // namespace

KEYWARD_REGISTER_COMMAND(50, MakeTokenCommand);

}  // namespace keyward::cli
