// keyward fido: administer FIDO2 security keys through libfido2 (list, info, PIN, enrol,
// credential management, config, reset). Every subcommand takes --device PATH (a hidraw path
// from `keyward fido list`) or --device soft:FILE (the software CTAP 2.1 authenticator whose
// state lives in FILE, created on first use), and --json.
//
// PINs come from a no-echo prompt on /dev/tty or from --pin-fd N (one PIN per line; change-pin
// reads the old PIN then the new one). They are never printed.
#include <fcntl.h>
#include <termios.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <iostream>
#include <memory>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <vector>

#include "core/base64url.h"
#include "core/hash.h"
#include "keyward/fido.h"
#include "tools/keyward/command.h"
#include "tools/softctap/soft_authenticator.h"
#include "tools/softctap/soft_hid_device.h"
#ifdef KEYWARD_HAVE_PAM
#include "pam/fido_enroll.h"
#endif

namespace keyward::cli {
namespace {

using nlohmann::json;

constexpr char kFidoHelp[] =
    R"(Devices: --device PATH (see `keyward fido list`) or --device soft:FILE
(software CTAP 2.1 authenticator; FILE is created on first use). Without --device the first
FIDO device found is used.
PINs: prompted without echo on the terminal, or read from --pin-fd N (one per line; change-pin
reads old then new). PINs are never printed.
--json prints one JSON object; errors as {"ok": false, "error": {"code", "message"}}.
Exit status: 0 done, 1 the device refused, 2 bad usage, 3 no device / environment problem.)";

struct Common {
  std::string device;
  bool json = false;
  int pin_fd = -1;
  int timeout_ms = 30000;
};

// An open device and whatever backs it.
struct Opened {
  std::unique_ptr<softctap::SoftAuthenticator> soft;
  std::unique_ptr<softctap::SoftHidDevice> hid;
  std::optional<fido::Device> device;
  ~Opened() {
    device.reset();
    hid.reset();
    soft.reset();
  }
};

int ExitFor(const Error& e) {
  switch (e.code) {
    case ErrorCode::kFidoDeviceNotFound:
    case ErrorCode::kStoreIo:
    case ErrorCode::kStoreCorrupt:
    case ErrorCode::kSchemaVersionUnsupported:
    case ErrorCode::kIo:
      return kExitEnvironment;
    case ErrorCode::kInvalidArgument:
      return kExitUsage;
    default:
      return kExitRejected;
  }
}

int Report(const Common& c, const Error& e) {
  if (c.json) {
    json j = {{"ok", false},
              {"error", {{"code", std::string(ErrorCodeName(e.code))}, {"message", e.detail}}}};
    if (e.native != 0) j["error"]["native"] = e.native;
    std::cout << j.dump() << "\n";
  } else {
    std::cerr << "keyward fido: " << e.ToString() << "\n";
  }
  return ExitFor(e);
}

int Done(const Common& c, json j, const std::string& text) {
  j["ok"] = true;
  if (c.json) {
    std::cout << j.dump() << "\n";
  } else if (!text.empty()) {
    std::cout << text << "\n";
  }
  return kExitOk;
}

Result<std::unique_ptr<Opened>> OpenDevice(const Common& c) {
  auto o = std::make_unique<Opened>();
  std::string path = c.device;
  if (path.rfind("soft:", 0) == 0) {
    KW_ASSIGN_OR_RETURN(o->soft, softctap::SoftAuthenticator::OpenFile(path.substr(5)));
    o->hid = std::make_unique<softctap::SoftHidDevice>(o->soft.get());
    KW_ASSIGN_OR_RETURN(fido::Device d, fido::Device::OpenTransport(o->hid.get()));
    o->device.emplace(std::move(d));
  } else {
    if (path.empty()) {
      KW_ASSIGN_OR_RETURN(auto list, fido::ListDevices());
      if (list.empty()) return Fail(ErrorCode::kFidoDeviceNotFound, "no FIDO device found");
      path = list[0].path;
    }
    KW_ASSIGN_OR_RETURN(fido::Device d, fido::Device::Open(path));
    o->device.emplace(std::move(d));
  }
  o->device->SetTimeout(std::chrono::milliseconds(c.timeout_ms));
  return o;
}

// Reads one line from fd (without the newline).
Result<SecretBytes> ReadLineFd(int fd) {
  std::vector<uint8_t> buf;
  for (;;) {
    uint8_t ch = 0;
    ssize_t n = read(fd, &ch, 1);
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) return Fail(ErrorCode::kIo, "cannot read the PIN");
    if (n == 0 || ch == '\n') break;
    buf.push_back(ch);
    if (buf.size() > 256) return Fail(ErrorCode::kPinInvalid, "PIN line too long");
  }
  if (!buf.empty() && buf.back() == '\r') buf.pop_back();
  SecretBytes s(buf);
  OPENSSL_cleanse(buf.data(), buf.size());
  return s;
}

Result<SecretBytes> PromptPin(const char* prompt) {
  int tty = open("/dev/tty", O_RDWR | O_CLOEXEC);
  if (tty < 0)
    return Fail(ErrorCode::kInvalidArgument, "no terminal for the PIN prompt: use --pin-fd");
  termios old{};
  bool have_termios = tcgetattr(tty, &old) == 0;
  if (have_termios) {
    termios quiet = old;
    quiet.c_lflag &= ~static_cast<tcflag_t>(ECHO);
    tcsetattr(tty, TCSAFLUSH, &quiet);
  }
  (void)!write(tty, prompt, std::strlen(prompt));
  auto pin = ReadLineFd(tty);
  if (have_termios) tcsetattr(tty, TCSAFLUSH, &old);
  (void)!write(tty, "\n", 1);
  close(tty);
  return pin;
}

Result<SecretBytes> GetPin(const Common& c, const char* prompt) {
  if (c.pin_fd >= 0) return ReadLineFd(c.pin_fd);
  return PromptPin(prompt);
}

json InfoJson(const fido::DeviceInfo& i) {
  json options = json::object();
  for (const auto& [k, v] : i.options) options[k] = v;
  json certs = json::object();
  for (const auto& [k, v] : i.certifications) certs[k] = v;
  json j = {{"versions", i.versions},
            {"extensions", i.extensions},
            {"aaguid", HexEncode(i.aaguid)},
            {"options", options},
            {"max_msg_size", i.max_msg_size},
            {"pin_protocols", i.pin_protocols},
            {"max_credential_count_in_list", i.max_credential_count_in_list},
            {"max_credential_id_length", i.max_credential_id_length},
            {"transports", i.transports},
            {"algorithms", i.algorithms},
            {"force_pin_change", i.force_pin_change},
            {"min_pin_length", i.min_pin_length},
            {"firmware_version", i.firmware_version},
            {"max_cred_blob_length", i.max_cred_blob_length},
            {"certifications", certs}};
  j["remaining_discoverable_credentials"] =
      i.remaining_discoverable_credentials ? json(*i.remaining_discoverable_credentials) : json();
  j["pin_retries"] = i.pin_retries ? json(*i.pin_retries) : json();
  j["uv_retries"] = i.uv_retries ? json(*i.uv_retries) : json();
  return j;
}

std::string InfoText(const fido::DeviceInfo& i) {
  std::string s = "aaguid: " + HexEncode(i.aaguid) + "\nversions:";
  for (const auto& v : i.versions) s += " " + v;
  s += "\nextensions:";
  for (const auto& v : i.extensions) s += " " + v;
  s += "\noptions:";
  for (const auto& [k, v] : i.options) s += " " + k + (v ? "=true" : "=false");
  s += "\nmin PIN length: " + std::to_string(i.min_pin_length);
  if (i.pin_retries) s += "\nPIN retries: " + std::to_string(*i.pin_retries);
  if (i.remaining_discoverable_credentials) {
    s += "\nremaining discoverable credentials: " +
         std::to_string(*i.remaining_discoverable_credentials);
  }
  return s;
}

// A PIN when the device has one set (or when --pin-fd is given), else none.
Result<std::optional<SecretBytes>> PinIfSet(const Common& c, fido::Device& d) {
  if (c.pin_fd >= 0) {
    KW_ASSIGN_OR_RETURN(SecretBytes p, ReadLineFd(c.pin_fd));
    return std::optional<SecretBytes>(std::move(p));
  }
  KW_ASSIGN_OR_RETURN(fido::DeviceInfo info, d.GetInfo());
  if (info.Option("clientPin").value_or(false)) {
    KW_ASSIGN_OR_RETURN(SecretBytes p, PromptPin("PIN: "));
    return std::optional<SecretBytes>(std::move(p));
  }
  return std::optional<SecretBytes>();
}

void AddCommon(CLI::App* app, Common& c, bool device = true) {
  if (device) app->add_option("--device", c.device, "device path or soft:FILE");
  app->add_flag("--json", c.json, "print one JSON object");
  if (device) {
    app->add_option("--pin-fd", c.pin_fd, "read the PIN(s) from this file descriptor");
    app->add_option("--timeout", c.timeout_ms, "milliseconds to wait for the device / a touch")
        ->check(CLI::PositiveNumber);
  }
}

Command MakeFido(CLI::App& root) {
  auto* fido_app = root.add_subcommand("fido", "Administer FIDO2 security keys (libfido2)");
  fido_app->footer(kFidoHelp);
  fido_app->require_subcommand(1);
  auto c = std::make_shared<Common>();
  struct Args {
    std::string rp, user, alg = "es256", origin, cred_id, rp_filter;
    std::string pam_user, pam_file, pam_db;  // enroll --pam USER [--pam-file PATH | --db URL]
    bool rk = false, uv = false, hmac_secret = false, yes = false;
    int cred_protect = 0;
    size_t min_pin_length = 0;
  };
  auto a = std::make_shared<Args>();

  auto* list = fido_app->add_subcommand("list", "List FIDO HID devices");
  AddCommon(list, *c, false);
  auto* info = fido_app->add_subcommand("info", "Show what the device reports (getInfo)");
  AddCommon(info, *c);
  auto* set_pin = fido_app->add_subcommand("set-pin", "Set the PIN of a device without one");
  AddCommon(set_pin, *c);
  auto* change_pin = fido_app->add_subcommand("change-pin", "Change the PIN");
  AddCommon(change_pin, *c);
  auto* enroll = fido_app->add_subcommand("enroll", "Create a credential for a user at an RP");
  AddCommon(enroll, *c);
  enroll->add_option("--rp", a->rp, "relying party ID (with --pam: default pam://HOST)");
  enroll->add_option("--user", a->user, "user name (also the user handle)");
#ifdef KEYWARD_HAVE_PAM
  enroll->add_option("--pam", a->pam_user,
                     "enrol the key for local login of this account (pam_keyward): rp and "
                     "origin pam://HOST, stored in the user's file (see docs/pam.md)");
  enroll->add_option("--pam-file", a->pam_file,
                     "with --pam: the credential file (default ~USER/.config/keyward/pam_fido)");
  enroll->add_option("--db", a->pam_db,
                     "with --pam: store the credential in this keyward store instead (sqlite:PATH "
                     "or postgresql://...; pam.conf fido_store)");
#endif
  enroll->add_option("--origin", a->origin, "origin for clientDataJSON (default https://RP)");
  enroll->add_option("--alg", a->alg, "es256 or eddsa")->check(CLI::IsMember({"es256", "eddsa"}));
  enroll->add_flag("--rk", a->rk, "discoverable (resident) credential");
  enroll->add_flag("--uv", a->uv, "require user verification");
  enroll->add_flag("--hmac-secret", a->hmac_secret, "enable the hmac-secret extension");
  enroll->add_option("--cred-protect", a->cred_protect, "credProtect level 1-3")
      ->check(CLI::Range(1, 3));
  auto* creds = fido_app->add_subcommand("creds", "Discoverable credentials on the device");
  creds->require_subcommand(1);
  auto* creds_list = creds->add_subcommand("list", "List relying parties and credentials");
  AddCommon(creds_list, *c);
  creds_list->add_option("--rp", a->rp_filter, "only this relying party");
  auto* creds_delete = creds->add_subcommand("delete", "Delete one credential");
  AddCommon(creds_delete, *c);
  creds_delete->add_option("--id", a->cred_id, "credential id (base64url)")->required();
  auto* config = fido_app->add_subcommand("config", "authenticatorConfig settings");
  config->require_subcommand(1);
  auto* always_uv = config->add_subcommand("always-uv", "Toggle alwaysUv");
  AddCommon(always_uv, *c);
  auto* min_pin = config->add_subcommand("min-pin-length", "Raise the minimum PIN length");
  AddCommon(min_pin, *c);
  min_pin->add_option("length", a->min_pin_length, "new minimum (4-63)")
      ->required()
      ->check(CLI::Range(4, 63));
  auto* force = config->add_subcommand("force-pin-change", "Require a PIN change before use");
  AddCommon(force, *c);
  auto* ep = config->add_subcommand("enable-ep", "Enable enterprise attestation");
  AddCommon(ep, *c);
  auto* reset = fido_app->add_subcommand(
      "reset", "Factory-reset the device: ERASES every credential and the PIN");
  AddCommon(reset, *c);
  reset->add_flag("--yes", a->yes, "confirm the reset (required)");

  auto run = [=]() -> int {
    if (list->parsed()) {
      auto devices = fido::ListDevices();
      if (!devices) return Report(*c, devices.error());
      json arr = json::array();
      std::string text;
      for (const auto& d : *devices) {
        arr.push_back({{"path", d.path},
                       {"manufacturer", d.manufacturer},
                       {"product", d.product},
                       {"vendor_id", d.vendor_id},
                       {"product_id", d.product_id}});
        text += d.path + "  " + d.manufacturer + " " + d.product + "\n";
      }
      if (devices->empty()) text = "no FIDO devices found";
      return Done(*c, {{"devices", arr}}, text);
    }
    if (enroll->parsed() && a->pam_user.empty() && (a->rp.empty() || a->user.empty())) {
      return Report(*c, Error{ErrorCode::kInvalidArgument, 0, "enroll needs --rp and --user"});
    }
#ifdef KEYWARD_HAVE_PAM
    if (enroll->parsed() && !a->pam_user.empty()) {
      if (a->rp.empty()) a->rp = pam::DefaultPamRpId();
      if (a->user.empty()) a->user = a->pam_user;
      if (a->user != a->pam_user || !a->origin.empty() || a->rp.rfind("pam://", 0) != 0) {
        return Report(*c, Error{ErrorCode::kInvalidArgument, 0,
                                "with --pam the user is the account and rp/origin are pam://HOST"});
      }
      a->origin = a->rp;
    } else if (enroll->parsed() && (!a->pam_file.empty() || !a->pam_db.empty())) {
      return Report(*c, Error{ErrorCode::kInvalidArgument, 0, "--pam-file and --db need --pam"});
    }
    if (enroll->parsed() && !a->pam_file.empty() && !a->pam_db.empty()) {
      return Report(
          *c, Error{ErrorCode::kInvalidArgument, 0, "--pam-file and --db exclude each other"});
    }
#endif
    if (reset->parsed() && !a->yes) {
      std::cerr << "keyward fido reset ERASES every credential on the device and its PIN; "
                   "accounts that rely on them will need a new enrolment. Re-run with --yes.\n";
      return Report(*c, Error{ErrorCode::kInvalidArgument, 0, "reset needs --yes"});
    }
    auto opened = OpenDevice(*c);
    if (!opened) return Report(*c, opened.error());
    fido::Device& dev = *(*opened)->device;

    if (info->parsed()) {
      auto i = dev.GetInfo();
      if (!i) return Report(*c, i.error());
      return Done(*c, InfoJson(*i), InfoText(*i));
    }
    if (set_pin->parsed()) {
      auto pin = GetPin(*c, "New PIN: ");
      if (!pin) return Report(*c, pin.error());
      if (c->pin_fd < 0) {
        auto again = PromptPin("Repeat new PIN: ");
        if (!again) return Report(*c, again.error());
        if (!ConstantTimeEqual(pin->reveal(), again->reveal()) || pin->size() != again->size()) {
          return Report(*c, Error{ErrorCode::kInvalidArgument, 0, "the PINs differ"});
        }
      }
      if (auto r = dev.SetPin(*pin); !r) return Report(*c, r.error());
      return Done(*c, json::object(), "PIN set");
    }
    if (change_pin->parsed()) {
      auto old_pin = GetPin(*c, "Current PIN: ");
      if (!old_pin) return Report(*c, old_pin.error());
      auto new_pin = GetPin(*c, "New PIN: ");
      if (!new_pin) return Report(*c, new_pin.error());
      if (auto r = dev.ChangePin(*old_pin, *new_pin); !r) return Report(*c, r.error());
      return Done(*c, json::object(), "PIN changed");
    }
    if (enroll->parsed()) {
      auto pin = PinIfSet(*c, dev);
      if (!pin) return Report(*c, pin.error());
      auto challenge = RandomBytes(32);
      if (!challenge) return Report(*c, challenge.error());
      std::string origin = a->origin.empty() ? "https://" + a->rp : a->origin;
      std::string client_data = fido::MakeClientDataJson("webauthn.create", *challenge, origin);
      auto hash = Sha256(AsBytes(client_data));
      fido::MakeCredentialRequest req;
      req.rp_id = a->rp;
      req.rp_name = a->rp;
      req.user_id = ToBytes(AsBytes(a->user));
      req.user_name = a->user;
      req.user_display_name = a->user;
      req.client_data_hash.assign(hash.begin(), hash.end());
      req.algorithm = a->alg == "eddsa" ? fido::Algorithm::kEdDsa : fido::Algorithm::kEs256;
      req.resident_key = a->rk;
      if (a->uv) req.user_verification = true;
      req.cred_protect = a->cred_protect;
      req.hmac_secret = a->hmac_secret;
      if (!c->json) std::cerr << "Touch the security key...\n";
      auto cred = dev.MakeCredential(req, *pin ? &**pin : nullptr);
      if (!cred) return Report(*c, cred.error());
      auto att = fido::MakeAttestationObject(*cred);
      json j = {{"rp_id", a->rp},
                {"user", a->user},
                {"credential_id", Base64UrlEncode(cred->id)},
                {"public_key", Base64UrlEncode(cred->cose_public_key)},
                {"fmt", cred->fmt},
                {"aaguid", HexEncode(cred->aaguid)},
                {"sign_count", cred->sign_count},
                {"flags", {{"up", (cred->flags & 0x01) != 0}, {"uv", (cred->flags & 0x04) != 0}}},
                {"resident_key", a->rk},
                {"client_data_json", Base64UrlEncode(AsBytes(client_data))}};
      if (att) j["attestation_object"] = Base64UrlEncode(*att);
#ifdef KEYWARD_HAVE_PAM
      if (!a->pam_user.empty()) {
        auto saved = pam::SavePamEnrollment(a->pam_user, a->rp, a->pam_file, a->pam_db, *cred,
                                            client_data, *challenge, a->uv);
        if (!saved) return Report(*c, saved.error());
        j["pam"] = {{"user", saved->user},
                    {"file", saved->file},
                    {"store", saved->store},
                    {"rp_id", saved->rp_id},
                    {"credentials_in_file", saved->credentials_in_file}};
        return Done(*c, j,
                    "security key enrolled for local login of " + saved->user + " (" +
                        saved->rp_id + ") in " +
                        (saved->store.empty() ? saved->file : saved->store));
      }
#endif
      return Done(
          *c, j,
          "credential " + Base64UrlEncode(cred->id) + " created for " + a->user + " at " + a->rp);
    }
    if (creds_list->parsed() || creds_delete->parsed()) {
      auto pin = GetPin(*c, "PIN: ");
      if (!pin) return Report(*c, pin.error());
      if (creds_delete->parsed()) {
        auto id = Base64UrlDecode(a->cred_id);
        if (!id) return Report(*c, Error{ErrorCode::kInvalidArgument, 0, "--id is not base64url"});
        if (auto r = dev.DeleteCredential(*id, *pin); !r) return Report(*c, r.error());
        return Done(*c, {{"deleted", a->cred_id}}, "credential deleted");
      }
      auto md = dev.GetCredentialMetadata(*pin);
      if (!md) return Report(*c, md.error());
      std::vector<fido::RelyingParty> rps;
      if (a->rp_filter.empty()) {
        auto all = dev.ListRelyingParties(*pin);
        if (!all) return Report(*c, all.error());
        rps = std::move(all).value();
      } else {
        rps.push_back(fido::RelyingParty{a->rp_filter, "", {}});
      }
      json arr = json::array();
      std::string text = std::to_string(md->existing) + " discoverable credentials, " +
                         std::to_string(md->remaining) + " more fit";
      for (const auto& rp : rps) {
        auto list_creds = dev.ListCredentials(rp.id, *pin);
        if (!list_creds) return Report(*c, list_creds.error());
        json cj = json::array();
        for (const auto& s : *list_creds) {
          cj.push_back({{"id", Base64UrlEncode(s.id)},
                        {"user_id", Base64UrlEncode(s.user_id)},
                        {"user_name", s.user_name},
                        {"display_name", s.user_display_name},
                        {"cred_protect", s.cred_protect},
                        {"alg", s.algorithm}});
          text += "\n" + rp.id + "  " + s.user_name + "  " + Base64UrlEncode(s.id);
        }
        arr.push_back({{"id", rp.id}, {"name", rp.name}, {"credentials", cj}});
      }
      return Done(*c, {{"existing", md->existing}, {"remaining", md->remaining}, {"rps", arr}},
                  text);
    }
    if (always_uv->parsed() || min_pin->parsed() || force->parsed() || ep->parsed()) {
      auto pin = PinIfSet(*c, dev);
      if (!pin) return Report(*c, pin.error());
      const SecretBytes* p = *pin ? &**pin : nullptr;
      Result<void> r = always_uv->parsed() ? dev.ToggleAlwaysUv(p)
                       : min_pin->parsed() ? dev.SetMinPinLength(a->min_pin_length, p)
                       : force->parsed()   ? dev.ForcePinChange(p)
                                           : dev.EnableEnterpriseAttestation(p);
      if (!r) return Report(*c, r.error());
      auto i = dev.GetInfo();
      if (!i) return Report(*c, i.error());
      return Done(*c,
                  {{"always_uv", i->Option("alwaysUv").value_or(false)},
                   {"min_pin_length", i->min_pin_length},
                   {"force_pin_change", i->force_pin_change},
                   {"ep", i->Option("ep").value_or(false)}},
                  "configuration changed");
    }
    if (reset->parsed()) {
      if (!c->json) std::cerr << "Touch the security key to confirm the reset...\n";
      if (auto r = dev.Reset(); !r) return Report(*c, r.error());
      return Done(*c, {{"reset", true}}, "device reset: all credentials and the PIN are gone");
    }
    return kExitUsage;
  };
  return {fido_app, run};
}

KEYWARD_REGISTER_COMMAND(60, MakeFido);

}  // namespace
}  // namespace keyward::cli
