// keyward card status: what an IT desk checks before handing a card out — per slot (9A/9C/9D/9E)
// whether a key and a certificate are present (certificate summary), PIN and PUK retries left,
// and whether PIN, PUK and management key are still the factory defaults.
// With GET METADATA (YubiKey-compatible INS F7) everything comes from the card. Without it: the
// PIN retries from VERIFY without data (no retry spent), the management key's default-ness by
// authenticating with the factory key (3DES, then AES-192; a wrong management key costs no retry),
// PIN/PUK default-ness and PUK retries "unknown" — a PIN or PUK is NEVER tried, that would burn a
// retry. Key presence without metadata is unknown (null) unless a certificate is there.
#include <openssl/x509.h>

#include <ctime>
#include <memory>
#include <sstream>

#include "core/openssl_util.h"
#include "core/x509.h"
#include "tools/keyward/card_admin.h"

namespace keyward::cli::card {
namespace {

using pcsc::piv::Algorithm;
using pcsc::piv::ManagementKey;
using pcsc::piv::Slot;

nlohmann::json CertSummary(const Bytes& der, bool compressed) {
  nlohmann::json j = {{"present", true}, {"compressed", compressed}};
  auto cert = Certificate::ParseDer(der);
  if (!cert) {
    j["error"] = "certificate does not parse";
    return j;
  }
  j["subject"] = cert->Subject();
  j["issuer"] = cert->Issuer();
  std::tm tm{};
  if (ASN1_TIME_to_tm(X509_get0_notAfter(cert->get()), &tm) == 1) {
    char buf[32];
    std::strftime(buf, sizeof(buf), "%Y-%m-%dT%H:%M:%SZ", &tm);
    j["not_after"] = buf;
  }
  return j;
}

nlohmann::json OrNull(const std::optional<bool>& b) {
  return b ? nlohmann::json(*b) : nlohmann::json(nullptr);
}
nlohmann::json OrNull(int v) { return v >= 0 ? nlohmann::json(v) : nlohmann::json(nullptr); }

std::string Word(const nlohmann::json& v) {
  if (v.is_null()) return "unknown";
  if (v.is_boolean()) return v.get<bool>() ? "yes" : "no";
  return v.dump();
}

int Run(const AdminOptions& o) {
  const std::string command = "status", action = "card.status";
  auto client = OpenAdminCard(o);
  if (!client) return ReportError(client.error(), o.json, command);
  auto& c = **client;
  const std::string subject = CardSubject(c, c.card().reader());
  nlohmann::json out = {{"reader", c.card().reader()}, {"subject", subject}};

  // Metadata support: probe with the PIN reference (reading it costs nothing).
  auto pin_md = c.GetMetadata(pcsc::piv::kPinReference);
  bool md = static_cast<bool>(pin_md);
  if (!pin_md && pin_md.error().code != ErrorCode::kPivMetadataUnsupported) {
    return FinishAdmin(o, command, action, subject, Fail(pin_md.error()), {}, {}, "");
  }
  out["metadata_supported"] = md;
  nlohmann::json pin = nlohmann::json::object(), puk = nlohmann::json::object(),
                 mgmt = nlohmann::json::object();
  if (md) {
    pin = {{"retries_left", OrNull(pin_md->retries_left)},
           {"retries_total", OrNull(pin_md->retries_total)},
           {"default", OrNull(pin_md->is_default)}};
    auto puk_md = c.GetMetadata(pcsc::piv::kPukReference);
    if (!puk_md) return FinishAdmin(o, command, action, subject, Fail(puk_md.error()), {}, {}, "");
    puk = {{"retries_left", OrNull(puk_md->retries_left)},
           {"retries_total", OrNull(puk_md->retries_total)},
           {"default", OrNull(puk_md->is_default)}};
    auto mk = c.GetMetadata(0x9B);
    if (!mk) return FinishAdmin(o, command, action, subject, Fail(mk.error()), {}, {}, "");
    mgmt = {{"algorithm", mk->algorithm ? std::string(pcsc::piv::AlgorithmName(*mk->algorithm))
                                        : std::string("unknown")},
            {"default", OrNull(mk->is_default)},
            {"source", "metadata"}};
  } else {
    auto st = c.GetPinStatus();
    if (!st) return FinishAdmin(o, command, action, subject, Fail(st.error()), {}, {}, "");
    pin = {{"retries_left", OrNull(st->retries_left)},
           {"retries_total", nullptr},
           {"default", nullptr}};
    puk = {{"retries_left", nullptr}, {"retries_total", nullptr}, {"default", nullptr}};
    // Trying the factory management key is safe: management-key authentication has no counter.
    bool is_default = false;
    std::string alg = "unknown";
    if (c.AuthenticateManagementKey(ManagementKey::Default())) {
      is_default = true;
      alg = "3des";
    } else if (auto aes = ManagementKey::Create(
                   Algorithm::kAes192, SecretBytes(ManagementKey::Default().key().reveal()));
               aes && c.AuthenticateManagementKey(*aes)) {
      is_default = true;
      alg = "aes192";
    }
    mgmt = {{"algorithm", alg}, {"default", is_default}, {"source", "default_key_probe"}};
  }
  out["pin"] = pin;
  out["puk"] = puk;
  out["management_key"] = mgmt;

  nlohmann::json slots = nlohmann::json::array();
  std::ostringstream text;
  text << "reader:         " << c.card().reader() << "\ncard:           " << subject
       << "\nmetadata:       " << (md ? "supported" : "not supported (fallbacks used)")
       << "\nPIN:            retries left " << Word(pin["retries_left"]) << ", default "
       << Word(pin["default"]) << "\nPUK:            retries left " << Word(puk["retries_left"])
       << ", default " << Word(puk["default"])
       << "\nmanagement key: " << mgmt["algorithm"].get<std::string>() << ", default "
       << Word(mgmt["default"]) << "\n";
  for (Slot s :
       {Slot::kAuthentication, Slot::kSignature, Slot::kKeyManagement, Slot::kCardAuthentication}) {
    nlohmann::json js = {{"slot", std::string(pcsc::piv::SlotName(s))}};
    auto cert = c.ReadCertificate(s);
    if (cert) {
      js["certificate"] = CertSummary(cert->der, cert->compressed);
    } else if (cert.error().code == ErrorCode::kPivObjectNotFound) {
      js["certificate"] = {{"present", false}};
    } else {
      js["certificate"] = {{"present", nullptr},
                           {"error", std::string(ErrorCodeName(cert.error().code))}};
    }
    if (md) {
      auto km = c.GetMetadata(static_cast<uint8_t>(s));
      if (km) {
        js["key"] = true;
        js["algorithm"] = km->algorithm ? std::string(pcsc::piv::AlgorithmName(*km->algorithm))
                                        : std::string("unknown");
        if (km->origin) js["origin"] = pcsc::piv::OriginName(*km->origin);
        if (km->pin_policy) js["pin_policy"] = pcsc::piv::PinPolicyName(*km->pin_policy);
        if (km->touch_policy) js["touch_policy"] = pcsc::piv::TouchPolicyName(*km->touch_policy);
      } else if (km.error().code == ErrorCode::kPivObjectNotFound) {
        js["key"] = false;
      } else {
        return FinishAdmin(o, command, action, subject, Fail(km.error()), {}, {}, "");
      }
    } else {
      js["key"] = cert ? nlohmann::json(true) : nlohmann::json(nullptr);
    }
    text << "slot " << js["slot"].get<std::string>() << ":        key " << Word(js["key"]);
    if (js.contains("algorithm")) text << " (" << js["algorithm"].get<std::string>() << ")";
    text << ", certificate ";
    if (js["certificate"].value("present", false)) {
      text << js["certificate"].value("subject", std::string("?")) << " until "
           << js["certificate"].value("not_after", std::string("?"));
    } else {
      text << "none";
    }
    text << "\n";
    slots.push_back(js);
  }
  out["slots"] = slots;
  std::string t = text.str();
  if (!t.empty()) t.pop_back();
  nlohmann::json details = {{"reader", c.card().reader()},
                            {"metadata_supported", md},
                            {"pin_default", pin["default"]},
                            {"puk_default", puk["default"]},
                            {"mgmt_default", mgmt["default"]}};
  return FinishAdmin(o, command, action, subject, Ok(), details, out, t);
}

CardSubcommand MakeCardStatus(CLI::App& card_app) {
  auto o = std::make_shared<AdminOptions>();
  CLI::App* app = card_app.add_subcommand(
      "status", "Slots, certificates, PIN/PUK retries, whether defaults are still set");
  AddAdminOptions(app, *o);
  return {app, [o]() { return Run(*o); }};
}

}  // namespace

KEYWARD_REGISTER_CARD_SUBCOMMAND(53, MakeCardStatus);

}  // namespace keyward::cli::card
