// keyward card info [--reader NAME] [--json]: the card's ATR decoded, its PIV objects (CHUID,
// discovery), the certificates of slots 9A/9C/9D/9E (subject, issuer, validity) and the PIN
// retries left. Reads only; never asks for the PIN.
#include <openssl/x509.h>

#include <ctime>
#include <iostream>
#include <memory>

#include "core/bytes.h"
#include "core/openssl_util.h"
#include "keyward/pcsc.h"
#include "tools/keyward/card_command.h"

namespace keyward::cli::card {
namespace {

using pcsc::piv::Slot;

std::string NameString(const X509_NAME* name) {
  BIO* bio = BIO_new(BIO_s_mem());
  X509_NAME_print_ex(bio, name, 0, XN_FLAG_RFC2253);
  char* data = nullptr;
  long len = BIO_get_mem_data(bio, &data);
  std::string out(data, static_cast<size_t>(len));
  BIO_free(bio);
  return out;
}

std::string TimeString(const ASN1_TIME* t) {
  std::tm tm{};
  if (ASN1_TIME_to_tm(t, &tm) != 1) return "";
  char buf[32];
  std::strftime(buf, sizeof(buf), "%Y-%m-%dT%H:%M:%SZ", &tm);
  return buf;
}

nlohmann::json CertificateJson(const pcsc::piv::CertificateObject& obj) {
  nlohmann::json j = {{"compressed", obj.compressed}, {"der_length", obj.der.size()}};
  const unsigned char* p = obj.der.data();
  X509Ptr cert(d2i_X509(nullptr, &p, static_cast<long>(obj.der.size())));
  if (!cert) {
    j["error"] = "certificate does not parse";
    return j;
  }
  j["subject"] = NameString(X509_get_subject_name(cert.get()));
  j["issuer"] = NameString(X509_get_issuer_name(cert.get()));
  j["not_before"] = TimeString(X509_get0_notBefore(cert.get()));
  j["not_after"] = TimeString(X509_get0_notAfter(cert.get()));
  BignumPtr serial(ASN1_INTEGER_to_BN(X509_get0_serialNumber(cert.get()), nullptr));
  if (serial) {
    char* hex = BN_bn2hex(serial.get());
    j["serial"] = hex ? hex : "";
    OPENSSL_free(hex);
  }
  EVP_PKEY* key = X509_get0_pubkey(cert.get());
  if (key) {
    j["key_type"] = EVP_PKEY_get0_type_name(key) ? EVP_PKEY_get0_type_name(key) : "unknown";
    j["key_bits"] = EVP_PKEY_get_bits(key);
  }
  return j;
}

nlohmann::json AtrJson(const Bytes& raw) {
  nlohmann::json j = {{"hex", HexEncode(raw)}};
  auto atr = pcsc::Atr::Parse(raw);
  if (!atr) {
    j["error"] = std::string(ErrorCodeName(atr.error().code));
    return j;
  }
  j["convention"] = atr->inverse_convention ? "inverse" : "direct";
  j["protocols"] = atr->protocols;
  j["historical_bytes"] = HexEncode(atr->historical);
  j["fi"] = atr->fi();
  j["di"] = atr->di();
  j["tck"] = atr->tck ? nlohmann::json(*atr->tck) : nlohmann::json(nullptr);
  nlohmann::json groups = nlohmann::json::array();
  for (const auto& g : atr->groups) {
    nlohmann::json gj = {{"index", g.index}, {"protocol", g.protocol}};
    auto put = [&](const char* name, const std::optional<uint8_t>& v) {
      if (v) gj[name] = *v;
    };
    put("ta", g.ta);
    put("tb", g.tb);
    put("tc", g.tc);
    put("td", g.td);
    groups.push_back(gj);
  }
  j["interface_groups"] = groups;
  return j;
}

Result<std::string> PickReader(pcsc::Monitor& monitor, const std::string& wanted) {
  KW_ASSIGN_OR_RETURN(auto readers, monitor.Snapshot());
  if (readers.empty()) return Fail(ErrorCode::kPcscNoReaders, "no PC/SC reader is connected");
  for (const auto& r : readers) {
    if (!wanted.empty() && r.reader != wanted) continue;
    if (r.card_present) return r.reader;
    if (!wanted.empty()) return Fail(ErrorCode::kPcscNoCard, "no card in reader " + wanted);
  }
  if (!wanted.empty()) return Fail(ErrorCode::kPcscReaderNotFound, "no reader named " + wanted);
  return Fail(ErrorCode::kPcscNoCard, "no card in any reader");
}

void PrintText(const nlohmann::json& j) {
  std::cout << "reader:      " << j["reader"].get<std::string>() << "\n";
  std::cout << "atr:         " << j["atr"]["hex"].get<std::string>() << "\n";
  if (j["atr"].contains("protocols")) {
    std::cout << "protocols:   ";
    for (const auto& p : j["atr"]["protocols"]) std::cout << "T=" << p.get<int>() << " ";
    std::cout << "\nhistorical:  " << j["atr"]["historical_bytes"].get<std::string>() << "\n";
  }
  const auto& piv = j["piv"];
  if (!piv["present"].get<bool>()) {
    std::cout << "piv:         not present\n";
    return;
  }
  if (piv.contains("chuid")) {
    std::cout << "chuid guid:  " << piv["chuid"]["guid"].get<std::string>()
              << "  expires " << piv["chuid"]["expiration"].get<std::string>() << "\n";
  }
  if (piv.contains("pin")) {
    std::cout << "pin:         " << piv["pin"]["retries_left"].get<int>() << " tries left"
              << (piv["pin"]["blocked"].get<bool>() ? " (BLOCKED)" : "") << "\n";
  }
  for (const auto& c : piv["certificates"]) {
    std::cout << "slot " << c["slot"].get<std::string>() << ":     ";
    if (!c["present"].get<bool>()) {
      std::cout << "(empty)\n";
      continue;
    }
    if (c.contains("subject")) {
      std::cout << c["subject"].get<std::string>() << "\n             issuer "
                << c["issuer"].get<std::string>() << "\n             valid "
                << c["not_before"].get<std::string>() << " .. "
                << c["not_after"].get<std::string>() << "\n";
    } else {
      std::cout << "unreadable certificate\n";
    }
  }
}

CardSubcommand MakeInfo(CLI::App& card_app) {
  auto* app = card_app.add_subcommand(
      "info", "Show the card: ATR decoded, PIV objects, certificates, PIN retries");
  auto json = std::make_shared<bool>(false);
  auto reader = std::make_shared<std::string>();
  app->add_flag("--json", *json,
                "JSON: {reader, atr {hex, convention, protocols, historical_bytes, fi, di, tck, "
                "interface_groups}, piv {present, chuid {fasc_n, guid, expiration}, discovery "
                "{aid, pin_usage_policy}, pin {retries_left, verified, blocked}, certificates "
                "[{slot, present, subject, issuer, not_before, not_after, serial, key_type, "
                "key_bits, compressed}]}}");
  app->add_option("--reader", *reader, "reader name (default: the first with a card)");
  return {app, [json, reader]() -> int {
            auto monitor = pcsc::Monitor::Create();
            if (!monitor) return ReportError(monitor.error(), *json, "info");
            auto name = PickReader(**monitor, *reader);
            if (!name) return ReportError(name.error(), *json, "info");
            auto ctx = pcsc::Context::Establish();
            if (!ctx) return ReportError(ctx.error(), *json, "info");
            auto card = pcsc::Card::Connect(*ctx, *name);
            if (!card) return ReportError(card.error(), *json, "info");
            auto atr = (*card)->Atr();
            if (!atr) return ReportError(atr.error(), *json, "info");
            nlohmann::json out = {{"reader", *name}, {"atr", AtrJson(*atr)}};
            auto client = pcsc::piv::PivClient::Attach(std::move(card).value());
            nlohmann::json piv = {{"present", static_cast<bool>(client)}};
            if (!client && client.error().code != ErrorCode::kPivNotPresent) {
              return ReportError(client.error(), *json, "info");
            }
            if (client) {
              auto& c = **client;
              if (auto chuid = c.ReadChuid()) {
                piv["chuid"] = {{"fasc_n", HexEncode(chuid->fasc_n)},
                                {"guid", HexEncode(chuid->guid)},
                                {"expiration", chuid->expiration}};
              }
              if (auto d = c.ReadDiscovery()) {
                piv["discovery"] = {{"aid", HexEncode(d->aid)},
                                    {"pin_usage_policy", d->pin_usage_policy}};
              }
              if (auto pin = c.GetPinStatus()) {
                piv["pin"] = {{"retries_left", pin->retries_left},
                              {"verified", pin->verified},
                              {"blocked", pin->blocked}};
              }
              nlohmann::json certs = nlohmann::json::array();
              for (Slot s : {Slot::kAuthentication, Slot::kSignature, Slot::kKeyManagement,
                             Slot::kCardAuthentication}) {
                nlohmann::json cj = {{"slot", std::string(pcsc::piv::SlotName(s))}};
                auto cert = c.ReadCertificate(s);
                cj["present"] = static_cast<bool>(cert);
                if (cert) {
                  cj.update(CertificateJson(*cert));
                } else if (cert.error().code != ErrorCode::kPivObjectNotFound) {
                  cj["error"] = std::string(ErrorCodeName(cert.error().code));
                }
                certs.push_back(cj);
              }
              piv["certificates"] = certs;
            }
            out["piv"] = piv;
            if (*json) {
              PrintJson(out);
            } else {
              PrintText(out);
            }
            return kExitOk;
          }};
}

KEYWARD_REGISTER_CARD_SUBCOMMAND(30, MakeInfo);

}  // namespace
}  // namespace keyward::cli::card
