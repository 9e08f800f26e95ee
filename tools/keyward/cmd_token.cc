// `keyward token modules`, `keyward token list`, `keyward token certs` and `keyward token wait`:
// what any PKCS#11 module shows. `--module` takes a file path or the name of a module registered
// with p11-kit; a `--token` pkcs11: URI may name the module instead (module-path, module-name).
#include <chrono>
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
  bool removed = false;  // wait: for the token to go
  int timeout_seconds = 30;
};

// The modules to look at: --module (a path, or a p11-kit name) or the one the --token URI names,
// else every registered module; kPkcs11ModuleLoadFailed when that leaves none.
Result<std::vector<pkcs11::RegisteredModule>> Modules(const TokenOptions& o) {
  KW_ASSIGN_OR_RETURN(std::string module, pkcs11::ModuleForToken(o.module, o.token));
  std::vector<pkcs11::RegisteredModule> out;
  if (module.empty()) {
    out = pkcs11::RegisteredModules();
  } else if (module.find('/') == std::string::npos) {
    for (auto& m : pkcs11::RegisteredModules()) {
      if (m.name == module) out = {m};
    }
  }
  if (!module.empty() && out.empty()) out = {{"", module}};
  if (out.empty()) {
    return Fail(ErrorCode::kPkcs11ModuleLoadFailed,
                "no --module given and p11-kit has no registered module");
  }
  return out;
}

void Describe(nlohmann::json& j, const pkcs11::RegisteredModule& m) {
  j["module"] = m.path;
  j["module_name"] = m.name.empty() ? nlohmann::json(nullptr) : nlohmann::json(m.name);
}

int RunModules(const TokenOptions& o) {
  nlohmann::json out = nlohmann::json::array();
  for (const auto& m : pkcs11::RegisteredModules()) {
    out.push_back({{"name", m.name}, {"path", m.path}});
    if (!o.json) std::printf("%-24s %s\n", m.name.c_str(), m.path.c_str());
  }
  if (o.json) std::printf("%s\n", nlohmann::json{{"modules", out}}.dump(2).c_str());
  return kExitOk;
}

int RunList(const TokenOptions& o) {
  nlohmann::json out = nlohmann::json::array();
  auto modules = Modules(o);
  if (!modules) return ReportError(modules.error(), o.json);
  for (const auto& m : *modules) {
    auto tokens = pkcs11::ListModuleTokens(m.path);
    if (!tokens) return ReportError(tokens.error(), o.json);
    for (const auto& t : *tokens) {
      nlohmann::json j = ToJson(t);
      Describe(j, m);
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
  if (!modules) return ReportError(modules.error(), o.json);
  for (const auto& m : *modules) {
    auto certs = pkcs11::ListTokenCertificates(m.path, o.token);
    if (!certs) return ReportError(certs.error(), o.json);
    for (const auto& c : *certs) {
      nlohmann::json j = {{"token", c.token_label},
                          {"label", c.object_label},
                          {"id", c.id_hex},
                          {"key_type", c.key_type},
                          {"key_bits", c.key_bits},
                          {"is_ca", c.is_ca},
                          {"certificate", ToJson(c.certificate)}};
      Describe(j, m);
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

// Blocks (bounded) until a matching token is present, or with --removed until none is.
int RunWait(const TokenOptions& o) {
  auto modules = Modules(o);
  if (!modules) return ReportError(modules.error(), o.json);
  if (modules->size() != 1) {
    return ReportError(Error{ErrorCode::kInvalidArgument, 0,
                             "token wait watches one module: give --module or a token URI "
                             "with module-path / module-name"},
                       o.json);
  }
  const pkcs11::RegisteredModule& m = modules->front();
  auto watcher = pkcs11::TokenWatcher::Open(m.path);
  if (!watcher) return ReportError(watcher.error(), o.json);
  auto ev = watcher->WaitFor(o.token, !o.removed, std::chrono::seconds(o.timeout_seconds));
  if (!ev) return ReportError(ev.error(), o.json);
  const char* what = ev->token_present ? (ev->already ? "present" : "inserted")
                                       : (ev->already ? "absent" : "removed");
  nlohmann::json j = {{"event", what}, {"slot_id", ev->slot_id}, {"slot", ev->slot_description}};
  j["token"] = ev->token_present ? ToJson(ev->token) : nlohmann::json(nullptr);
  Describe(j, m);
  if (o.json) {
    std::printf("%s\n", j.dump(2).c_str());
  } else {
    std::printf("%s: slot %llu (%s)%s%s\n", what, static_cast<unsigned long long>(ev->slot_id),
                ev->slot_description.c_str(), ev->token_present ? ", token " : "",
                ev->token_present ? ev->token.label.c_str() : "");
  }
  return kExitOk;
}

Command MakeTokenCommand(CLI::App& root) {
  auto opts = std::make_shared<TokenOptions>();
  CLI::App* token = root.add_subcommand("token", "PKCS#11 tokens of any module");
  token->require_subcommand(1);
  CLI::App* modules =
      token->add_subcommand("modules", "List the modules registered with p11-kit (name, file)");
  modules->add_flag("--json", opts->json, "Machine-readable output");
  CLI::App* list =
      token->add_subcommand("list", "List the tokens present (slots, flags, PIN hints)");
  CLI::App* certs = token->add_subcommand("certs", "List X.509 certificates on the tokens");
  for (CLI::App* sub : {list, certs}) {
    sub->add_option("--module", opts->module,
                    "PKCS#11 module file or p11-kit module name (default: every module "
                    "registered with p11-kit)");
    sub->add_flag("--json", opts->json, "Machine-readable output");
  }
  certs->add_option("--token", opts->token, "Token label or pkcs11: URI (default: all tokens)");
  CLI::App* wait = token->add_subcommand(
      "wait", "Wait (bounded) until a matching token is present, or with --removed gone");
  wait->add_option("--module", opts->module,
                   "PKCS#11 module file or p11-kit module name (or module-path / module-name in "
                   "the --token URI)");
  wait->add_option("--token", opts->token, "Token label or pkcs11: URI (default: any token)");
  wait->add_flag("--removed", opts->removed, "Wait until no matching token is present");
  wait->add_option("--timeout", opts->timeout_seconds, "Seconds to wait at most (default 30)")
      ->check(CLI::Range(1, 3600));
  wait->add_flag("--json", opts->json, "Machine-readable output");
  return {token, [opts, modules, list, certs, wait]() {
            if (modules->parsed()) return RunModules(*opts);
            if (list->parsed()) return RunList(*opts);
            if (certs->parsed()) return RunCerts(*opts);
            if (wait->parsed()) return RunWait(*opts);
            return kExitUsage;
          }};
}

}  // namespace

KEYWARD_REGISTER_COMMAND(50, MakeTokenCommand);

}  // namespace keyward::cli
