// JSON shapes and exit codes shared by `keyward token ...` and `keyward card-login` (the
// documented --json fields of docs/pkcs11.md).
#ifndef KEYWARD_TOOLS_KEYWARD_PKCS11_JSON_H_
#define KEYWARD_TOOLS_KEYWARD_PKCS11_JSON_H_

#include <cstdio>
#include <nlohmann/json.hpp>
#include <string>

#include "keyward/pkcs11.h"
#include "tools/keyward/command.h"

namespace keyward::cli {

inline nlohmann::json ToJson(const pkcs11::CertificateSummary& c) {
  return {{"subject", c.subject},       {"issuer", c.issuer},
          {"serial", c.serial_hex},     {"fingerprint_sha256", c.fingerprint_sha256},
          {"not_before", c.not_before}, {"not_after", c.not_after}};
}

inline nlohmann::json ToJson(const pkcs11::TokenSummary& t) {
  return {
      {"slot_id", t.slot_id},
      {"slot_description", t.slot_description},
      {"label", t.label},
      {"manufacturer", t.manufacturer},
      {"model", t.model},
      {"serial", t.serial},
      {"hardware_slot", t.hardware_slot},
      {"removable", t.removable},
      {"token_initialized", t.token_initialized},
      {"login_required", t.login_required},
      {"protected_authentication_path", t.protected_authentication_path},
      {"pin",
       {{"count_low", t.pin_count_low}, {"final_try", t.pin_final_try}, {"locked", t.pin_locked}}}};
}

inline nlohmann::json ToJson(const pkcs11::LoginResult& r) {
  return {{"ok", true},
          {"account", r.account},
          {"rule", r.rule},
          {"mapping_source", r.mapping_source},
          {"certificate", ToJson(r.certificate)},
          {"trust_anchor", r.trust_anchor},
          {"revocation",
           {{"method", r.revocation.method},
            {"status", r.revocation.status},
            {"ocsp_url", r.revocation.ocsp_url},
            {"ocsp_this_update", r.revocation.ocsp_this_update},
            {"ocsp_next_update", r.revocation.ocsp_next_update},
            {"soft_fail_reason", r.revocation.soft_fail_reason}}},
          {"assurance", {{"level", r.assurance.level}, {"reason", r.assurance.reason}}},
          {"token", r.token_label},
          {"mechanism", r.mechanism},
          {"signature_algorithm", r.signature_algorithm}};
}

inline nlohmann::json ErrorJson(const Error& e) {
  return {
      {"ok", false},
      {"error",
       {{"code", std::string(ErrorCodeName(e.code))}, {"native", e.native}, {"detail", e.detail}}}};
}

// 3: the environment (module, token, device); 2: unusable input; 1: the check said no.
inline int ExitCodeFor(ErrorCode code) {
  switch (code) {
    case ErrorCode::kPkcs11ModuleLoadFailed:
    case ErrorCode::kPkcs11TokenNotFound:
    case ErrorCode::kPkcs11TokenRemoved:
    case ErrorCode::kPkcs11DeviceError:
    case ErrorCode::kPkcs11Error:
    case ErrorCode::kPkcs11SessionError:
    case ErrorCode::kOcspUnavailable:
    case ErrorCode::kIo:
      return kExitEnvironment;
    case ErrorCode::kInvalidArgument:
    case ErrorCode::kConfigInvalid:
    case ErrorCode::kMappingRuleInvalid:
    case ErrorCode::kPkcs11UriInvalid:
    case ErrorCode::kPemMalformed:
    case ErrorCode::kCrlInvalid:
    case ErrorCode::kNotSupported:
      return kExitUsage;
    default:
      return kExitRejected;
  }
}

inline int ReportError(const Error& e, bool json) {
  if (json) {
    std::printf("%s\n", ErrorJson(e).dump(2).c_str());
  } else {
    std::fprintf(stderr, "keyward: %s\n", e.ToString().c_str());
  }
  return ExitCodeFor(e.code);
}

}  // namespace keyward::cli

#endif  // KEYWARD_TOOLS_KEYWARD_PKCS11_JSON_H_
