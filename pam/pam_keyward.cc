// pam_keyward.so: PAM glue over keyward's smart-card login (pkcs11/) and security keys (fido/).
// The proofs, the policy and the return codes live in pam/authenticate.*; this file reads the
// module arguments and the config, talks to the application through the PAM conversation and
// writes one log line per attempt to syslog (authpriv).
//
// Built twice from this file: pam_keyward.so (installed) and pam_keyward_testhooks.so
// (KEYWARD_PAM_TEST_HOOKS: test_log= and test_fido_device=, for the tests only, never installed).
#include <fcntl.h>
#include <security/pam_appl.h>
#include <security/pam_ext.h>
#include <security/pam_modules.h>
#include <syslog.h>
#include <unistd.h>

#include <climits>
#include <cstdlib>
#include <cstring>
#include <memory>
#include <string>
#include <vector>

#include "pam/authenticate.h"
#include "pam/module_args.h"
#include "pam/pam_config.h"

#ifdef KEYWARD_PAM_TEST_HOOKS
#include "tools/softctap/soft_authenticator.h"
#include "tools/softctap/soft_hid_device.h"
#endif

namespace keyward::pam {
namespace {

class PamConversation final : public Conversation {
 public:
  explicit PamConversation(pam_handle_t* pamh) : pamh_(pamh) {}

  Result<SecretBytes> AskSecret(const std::string& prompt) override {
    char* resp = nullptr;
    int rc = pam_prompt(pamh_, PAM_PROMPT_ECHO_OFF, &resp, "%s", prompt.c_str());
    if (rc != PAM_SUCCESS || resp == nullptr) {
      if (resp) Wipe(resp);
      return Fail(ErrorCode::kPamConversationFailed, "no answer to the prompt");
    }
    SecretBytes s{std::string_view(resp)};
    Wipe(resp);
    return s;
  }
  void Info(const std::string& text) override { Say(PAM_TEXT_INFO, text); }
  void ErrorMessage(const std::string& text) override { Say(PAM_ERROR_MSG, text); }

 private:
  static void Wipe(char* s) {
    explicit_bzero(s, std::strlen(s));
    std::free(s);
  }
  void Say(int style, const std::string& text) {
    char* resp = nullptr;
    (void)pam_prompt(pamh_, style, &resp, "%s", text.c_str());
    if (resp) Wipe(resp);
  }
  pam_handle_t* pamh_;
};

std::string HostName() {
  char buf[HOST_NAME_MAX + 1] = {};
  if (gethostname(buf, sizeof(buf) - 1) != 0 || buf[0] == '\0') return "localhost";
  return buf;
}

void Log(pam_handle_t* pamh, const ModuleArgs* args, int priority, const std::string& line) {
  pam_syslog(pamh, priority, "%s", line.c_str());  // LOG_AUTHPRIV
#ifdef KEYWARD_PAM_TEST_HOOKS
  if (args && !args->test_log.empty()) {
    int fd = open(args->test_log.c_str(), O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC, 0600);
    if (fd >= 0) {
      std::string l = line + "\n";
      (void)!write(fd, l.data(), l.size());
      close(fd);
    }
  }
#else
  (void)args;
#endif
}

#ifdef KEYWARD_PAM_TEST_HOOKS
// The software CTAP key (tools/softctap) behind libfido2's custom I/O, as the fido tests reach it.
class SoftFidoDevice final : public FidoDeviceHandle {
 public:
  std::unique_ptr<softctap::SoftAuthenticator> soft;
  std::unique_ptr<softctap::SoftHidDevice> hid;
  std::optional<fido::Device> dev;
  fido::Device& device() override { return *dev; }
  ~SoftFidoDevice() override {
    dev.reset();
    hid.reset();
    soft.reset();
  }
};

Result<std::unique_ptr<FidoDeviceHandle>> OpenSoftDevice(const std::string& spec) {
  size_t colon = spec.find(':');
  std::string kind = spec.substr(0, colon);
  if (colon == std::string::npos || (kind != "soft" && kind != "soft-notouch" && kind != "soft-uv"))
    return Fail(ErrorCode::kPamModuleArgumentInvalid, "test_fido_device: soft[-notouch|-uv]:FILE");
  auto h = std::make_unique<SoftFidoDevice>();
  KW_ASSIGN_OR_RETURN(h->soft, softctap::SoftAuthenticator::OpenFile(spec.substr(colon + 1)));
  h->soft->switches().builtin_uv = kind == "soft-uv";
  h->hid = std::make_unique<softctap::SoftHidDevice>(h->soft.get());
  if (kind == "soft-notouch") h->hid->SetPresenceMode(softctap::PresenceMode::kWaitForTouch);
  KW_ASSIGN_OR_RETURN(fido::Device d, fido::Device::OpenTransport(h->hid.get()));
  h->dev.emplace(std::move(d));
  return std::unique_ptr<FidoDeviceHandle>(std::move(h));
}
#endif

int Run(pam_handle_t* pamh, int argc, const char** argv) {
  Attempt attempt;
  attempt.hostname = HostName();
  const void* item = nullptr;
  if (pam_get_item(pamh, PAM_SERVICE, &item) == PAM_SUCCESS && item)
    attempt.service = static_cast<const char*>(item);
  item = nullptr;
  if (pam_get_item(pamh, PAM_RHOST, &item) == PAM_SUCCESS && item)
    attempt.rhost = static_cast<const char*>(item);

  auto fail_early = [&](const ModuleArgs* args, ErrorCode code, const std::string& detail) {
    Outcome o;
    o.code = code;
    o.pam_code = PamCodeFor(code);
    o.facts = "detail=\"" + detail.substr(0, 200) + "\"";
    for (char& c : o.facts) {
      if (static_cast<unsigned char>(c) < 0x20) c = '_';
    }
    Log(pamh, args, LOG_ERR, LogLine(attempt, o));
    return o.pam_code;
  };

  std::vector<std::string> arg_list;
  for (int i = 0; i < argc; ++i) arg_list.emplace_back(argv[i] ? argv[i] : "");
#ifdef KEYWARD_PAM_TEST_HOOKS
  constexpr bool kTestHooks = true;
#else
  constexpr bool kTestHooks = false;
#endif
  auto args = ParseModuleArgs(arg_list, kTestHooks);
  if (!args) {
    ModuleArgs log_only;  // so a test still sees the line of a refused argument list
    if (kTestHooks) {
      for (const auto& a : arg_list) {
        if (a.rfind("test_log=", 0) == 0) log_only.test_log = a.substr(9);
      }
    }
    return fail_early(&log_only, args.error().code, args.error().detail);
  }

  const char* user = nullptr;
  int rc = pam_get_user(pamh, &user, nullptr);
  if (rc != PAM_SUCCESS || user == nullptr || user[0] == '\0') {
    return fail_early(&*args, ErrorCode::kPamUserUnknown, "no user name");
  }
  attempt.user = user;

  auto config = PamConfig::Load(args->config, /*check_owner=*/true);
  if (!config) return fail_early(&*args, config.error().code, config.error().detail);
  auto policy = config->Resolve(args->service.empty() ? attempt.service : args->service);
  if (!policy) return fail_early(&*args, policy.error().code, policy.error().detail);

  Hooks hooks;
#ifdef KEYWARD_PAM_TEST_HOOKS
  if (!args->test_fido_device.empty()) {
    std::string spec = args->test_fido_device;
    hooks.open_fido = [spec](const ServicePolicy&) { return OpenSoftDevice(spec); };
  }
  hooks.clock_offset = args->test_clock_offset;
#endif
  PamConversation conv(pamh);
  Outcome o = Authenticate(*policy, attempt, conv, hooks);
  if (o.ok && !o.card_cert_sha256.empty()) {
    // Which card logged in, for the session (keyward-lock-on-card-removal locks only when THIS
    // card leaves its reader). A certificate hash: no secret.
    std::string env = "KEYWARD_CARD_CERT_SHA256=" + o.card_cert_sha256;
    pam_putenv(pamh, env.c_str());
  }
  Log(pamh, &*args, o.ok ? LOG_NOTICE : LOG_WARNING, LogLine(attempt, o));
  return o.pam_code;
}

}  // namespace
}  // namespace keyward::pam

// The module is built with hidden visibility (and a version script): only these two leave it.
#define KW_PAM_EXPORT __attribute__((visibility("default")))

extern "C" {

KW_PAM_EXPORT PAM_EXTERN int pam_sm_authenticate(pam_handle_t* pamh, int /*flags*/, int argc,
                                                 const char** argv) {
  try {
    return keyward::pam::Run(pamh, argc, argv);
  } catch (...) {
    pam_syslog(pamh, LOG_ERR, "pam_keyward: internal error");
    return PAM_SYSTEM_ERR;
  }
}

KW_PAM_EXPORT PAM_EXTERN int pam_sm_setcred(pam_handle_t* /*pamh*/, int /*flags*/, int /*argc*/,
                                            const char** /*argv*/) {
  return PAM_SUCCESS;
}

}  // extern "C"
