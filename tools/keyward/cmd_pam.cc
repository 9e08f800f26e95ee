// keyward pam check [--config F] [--service S] [--json]: validates /etc/keyward/pam.conf (or F)
// the way pam_keyward.so reads it (strict parser, owner and mode of the file, every section's
// invariants) and explains what a service — or every section — would require of a user.
#include <unistd.h>

#include <iostream>
#include <memory>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "keyward/authenticator.h"
#include "pam/pam_config.h"
#include "tools/keyward/command.h"

namespace keyward::cli {
namespace {

using nlohmann::json;

struct PamArgs {
  std::string config = pam::kDefaultConfigPath;
  std::string service;
  bool json = false;
};

int ExitFor(ErrorCode code) {
  switch (code) {
    case ErrorCode::kIo:
      return kExitEnvironment;
    case ErrorCode::kPermissionDenied:
      return kExitRejected;
    default:
      return kExitUsage;
  }
}

int ReportFailure(const PamArgs& a, const Error& e) {
  if (a.json) {
    std::cout << json{{"ok", false},
                      {"config", a.config},
                      {"error",
                       {{"code", std::string(ErrorCodeName(e.code))}, {"detail", e.detail}}}}
                     .dump()
              << "\n";
  } else {
    std::cerr << "keyward pam check: " << ErrorCodeName(e.code) << ": " << e.detail << "\n";
  }
  return ExitFor(e.code);
}

// Files the module will read: missing ones are reported (the module would answer
// PAM_SYSTEM_ERR at login time).
void CheckFile(const std::string& what, const std::string& path, std::vector<std::string>& out) {
  if (access(path.c_str(), R_OK) != 0) out.push_back(what + " " + path + " is not readable");
}

json Explain(const pam::ServicePolicy& p, std::vector<std::string>& requires_text,
             std::vector<std::string>& warnings) {
  json methods = json::array();
  for (auto m : p.methods) methods.push_back(std::string(pam::MethodName(m)));
  json j = {{"section", p.service},
            {"methods", methods},
            {"remote_sessions", p.allow_remote ? "allowed" : "refused"},
            {"no_credential", p.ignore_unenrolled ? "ignore" : "fail"}};
  std::string order;
  for (auto m : p.methods)
    order += (order.empty() ? "" : ", then ") + std::string(pam::MethodName(m));
  requires_text.push_back("methods tried in order: " + order +
                          " (the first with a card or key present decides)");
  requires_text.push_back(p.allow_remote ? "remote sessions (PAM_RHOST set) are accepted"
                                         : "remote sessions (PAM_RHOST set) are refused");
  for (auto m : p.methods) {
    if (m == pam::Method::kCard) {
      json ekus = json::array();
      for (const auto& e : p.card_eku) ekus.push_back(e);
      if (ekus.empty()) ekus = {"smartcardLogon", "clientAuth"};
      j["card"] = {{"module", p.card_module.empty() ? "(from the token URI)" : p.card_module},
                   {"token", p.card_token.empty() ? "(the only token)" : p.card_token},
                   {"ca", p.card_ca},
                   {"crl", p.card_crl},
                   {"ocsp", p.card_ocsp},
                   {"ocsp_failure", std::string(pam::OcspFailureName(p.card_ocsp_failure))},
                   {"ocsp_timeout", p.card_ocsp_timeout},
                   {"ocsp_cache", p.card_ocsp_cache},
                   {"eku", ekus},
                   {"rules", p.card_rules.empty() ? "(UPN, then e-mail)" : p.card_rules},
                   {"wait", p.card_wait},
                   {"timeout", p.card_timeout},
                   {"pinpad", p.card_pinpad}};
      std::string revocation =
          p.card_crl.empty() ? "" : "CRLs (" + std::to_string(p.card_crl.size()) + ")";
      if (p.card_ocsp != "off") {
        revocation +=
            std::string(revocation.empty() ? "" : " and ") + "OCSP with nonce (" +
            (p.card_ocsp == "aia" ? "the certificate's AIA" : p.card_ocsp) + "; responder down: " +
            (p.card_ocsp_cache.empty() ? "" : "a cached good answer within its validity, else ") +
            (p.card_ocsp_failure == pam::OcspFailure::kHard   ? "login fails"
             : p.card_ocsp_failure == pam::OcspFailure::kSoft ? "login proceeds (soft-fail)"
                                                              : "the cached CRLs decide") +
            ")";
      }
      requires_text.push_back(
          "card: a certificate chaining to " + std::to_string(p.card_ca.size()) +
          " configured CA file(s), valid now, with EKU " + ekus.dump() +
          ", mapped to exactly the PAM user by " +
          (p.card_rules.empty() ? std::string("UPN then e-mail") : "the rules in " + p.card_rules) +
          "; revocation: " + (revocation.empty() ? "not checked" : revocation) + "; the " +
          (p.card_pinpad ? "PIN on the reader's pinpad" : "PIN through the PAM conversation") +
          "; the card signs a fresh challenge; card awaited " + std::to_string(p.card_wait) +
          " s, card operations bounded to " + std::to_string(p.card_timeout) + " s");
      for (const auto& f : p.card_ca) CheckFile("card_ca", f, warnings);
      for (const auto& f : p.card_crl) CheckFile("card_crl", f, warnings);
      if (!p.card_rules.empty()) CheckFile("card_rules", p.card_rules, warnings);
      if (p.card_ocsp == "off" && p.card_crl.empty())
        warnings.push_back("[" + p.service + "] card certificates are not checked for revocation");
    } else {
      std::string origin = p.fido_origin.empty() ? "pam://<this host>" : p.fido_origin;
      j["fido"] = {{"credentials", p.fido_credentials},
                   {"device", p.fido_device.empty() ? "(the first FIDO device)" : p.fido_device},
                   {"origin", origin},
                   {"verification", std::string(pam::FidoVerificationName(p.fido_verification))},
                   {"timeout", p.fido_timeout},
                   {"wait", p.fido_wait},
                   {"cue", p.fido_cue}};
      if (!p.fido_store.empty()) {
        auto url = authenticator::ParseStoreUrl(p.fido_store);
        j["fido"]["credentials"] = nullptr;
        j["fido"]["store"] = url ? url->Redacted() : p.fido_store;
      }
      std::string verification = p.fido_verification == pam::FidoVerification::kPresence ? "a touch"
                                 : p.fido_verification == pam::FidoVerification::kPin
                                     ? "a touch and the key's PIN (through the PAM conversation)"
                                     : "a touch and the key's built-in user verification";
      std::string where = p.fido_store.empty()
                              ? p.fido_credentials + " (mode 0600, owned by the user or root)"
                              : "the keyward store " + j["fido"]["store"].get<std::string>() +
                                    " (principal named like the account)";
      requires_text.push_back("fido: a security key enrolled for " + origin + " in " + where +
                              ", " + verification + " within " + std::to_string(p.fido_timeout) +
                              " s; its sign counter must grow");
    }
  }
  requires_text.push_back(p.ignore_unenrolled
                              ? "no card present and no key enrolled: PAM_IGNORE"
                              : "no card or key: PAM_AUTHINFO_UNAVAIL (the stack may fall back)");
  return j;
}

Command MakePam(CLI::App& root) {
  auto* pam_app = root.add_subcommand("pam", "The PAM module's configuration (pam_keyward.so)");
  pam_app->require_subcommand(1);
  auto a = std::make_shared<PamArgs>();
  auto* check = pam_app->add_subcommand(
      "check", "Validate the PAM config and explain what a service would require");
  check->add_option("--config", a->config, "config file (default /etc/keyward/pam.conf)");
  check->add_option("--service", a->service,
                    "PAM service to explain (default: every section of the file)");
  check->add_flag("--json", a->json,
                  "one JSON object: {ok, config, services: [{service, section, methods, "
                  "remote_sessions, no_credential, card, fido, requires}], warnings}");
  auto run = [a]() -> int {
    auto cfg = pam::PamConfig::Load(a->config, /*check_owner=*/true);
    if (!cfg) return ReportFailure(*a, cfg.error());
    std::vector<std::string> services;
    if (!a->service.empty()) {
      services.push_back(a->service);
    } else {
      if (cfg->has_default()) services.push_back("");
      for (const auto& s : cfg->Services()) services.push_back(s);
    }
    json out = {{"ok", true}, {"config", a->config}, {"services", json::array()}};
    std::vector<std::string> warnings;
    std::string text;
    for (const auto& s : services) {
      auto p = cfg->Resolve(s);
      if (!p) return ReportFailure(*a, p.error());
      std::vector<std::string> req;
      json j = Explain(*p, req, warnings);
      j["service"] = s.empty() ? "(any service without a section)" : s;
      j["requires"] = req;
      out["services"].push_back(j);
      text += (s.empty() ? std::string("[default]") : "service " + s + " ([" + p->service + "])") +
              ":\n";
      for (const auto& r : req) text += "  - " + r + "\n";
    }
    out["warnings"] = warnings;
    if (a->json) {
      std::cout << out.dump() << "\n";
    } else {
      std::cout << a->config << ": valid\n" << text;
      for (const auto& w : warnings) std::cout << "warning: " << w << "\n";
    }
    return kExitOk;
  };
  return {pam_app, run};
}

KEYWARD_REGISTER_COMMAND(75, MakePam);

}  // namespace
}  // namespace keyward::cli
