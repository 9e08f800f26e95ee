// keyward card watch [--timeout S] [--json] [--identify]: reader and card events until Ctrl-C
// (or the timeout). --identify reads the PIV certificates (slots 9A, 9C, 9D, 9E) of each card seen
// and names them by SHA-256 in its present/inserted event and again in its removal event, so a
// consumer can tell WHICH card left (keyward-lock-on-card-removal). SIGINT/SIGTERM are taken by a
// sigwait thread that cancels the monitor (SCardCancel).
#include <pthread.h>
#include <signal.h>

#include <atomic>
#include <chrono>
#include <iostream>
#include <map>
#include <memory>
#include <thread>
#include <vector>

#include "core/bytes.h"
#include "core/hash.h"
#include "keyward/pcsc.h"
#include "tools/keyward/card_command.h"

namespace keyward::cli::card {
namespace {

nlohmann::json EventJson(std::string_view type, const std::string& reader, const Bytes& atr,
                         const std::vector<std::string>* certs) {
  nlohmann::json j = {{"event", std::string(type)}, {"reader", reader}};
  if (!atr.empty()) j["atr"] = HexEncode(atr);
  if (certs) j["certificates"] = *certs;
  return j;
}

void Print(bool json, std::string_view type, const std::string& reader, const Bytes& atr,
           const std::vector<std::string>* certs = nullptr) {
  if (json) {
    std::cout << EventJson(type, reader, atr, certs).dump() << std::endl;
  } else {
    std::string c;
    if (certs) {
      for (const auto& h : *certs) c += (c.empty() ? "\t" : ",") + h;
    }
    std::cout << type << "\t" << reader << (atr.empty() ? "" : "\t" + HexEncode(atr)) << c
              << std::endl;
  }
}

// SHA-256 (hex) of each certificate in the PIV slots of the card in `reader`; empty for a card
// without the PIV application or certificates (the card is then not identifiable).
std::vector<std::string> CardCertificates(const std::string& reader) {
  std::vector<std::string> out;
  auto ctx = pcsc::Context::Establish();
  if (!ctx) return out;
  auto client = pcsc::piv::PivClient::Open(*ctx, reader);
  if (!client) return out;
  for (auto slot : {pcsc::piv::Slot::kAuthentication, pcsc::piv::Slot::kSignature,
                    pcsc::piv::Slot::kKeyManagement, pcsc::piv::Slot::kCardAuthentication}) {
    auto cert = (*client)->ReadCertificate(slot);
    if (cert && !cert->der.empty()) out.push_back(HexEncode(Sha256(cert->der)));
  }
  return out;
}

CardSubcommand MakeWatch(CLI::App& card_app) {
  auto* app = card_app.add_subcommand(
      "watch", "Print reader/card events until Ctrl-C (the current state first)");
  auto json = std::make_shared<bool>(false);
  auto timeout = std::make_shared<double>(0);
  auto identify = std::make_shared<bool>(false);
  app->add_flag("--json", *json,
                "one JSON object per line: {event: card_present|card_inserted|card_removed|"
                "reader_added|reader_removed, reader, atr (hex, for cards)}");
  app->add_option("--timeout", *timeout, "stop after this many seconds (0: until Ctrl-C)")
      ->check(CLI::NonNegativeNumber);
  app->add_flag("--identify", *identify,
                "name each card by the SHA-256 of its PIV certificates (9A 9C 9D 9E): "
                "`certificates` in present/inserted events and again when it is removed");
  return {app, [json, timeout, identify]() -> int {
            // Block the stop signals before any thread exists; a sigwait thread handles them.
            sigset_t set;
            sigemptyset(&set);
            sigaddset(&set, SIGINT);
            sigaddset(&set, SIGTERM);
            pthread_sigmask(SIG_BLOCK, &set, nullptr);
            auto monitor = pcsc::Monitor::Create();
            if (!monitor) return ReportError(monitor.error(), *json, "watch");
            auto snapshot = (*monitor)->Snapshot();
            if (!snapshot) return ReportError(snapshot.error(), *json, "watch");
            std::map<std::string, std::vector<std::string>> seen;  // reader → its card
            for (const auto& r : *snapshot) {
              if (!r.card_present) continue;
              if (*identify) {
                seen[r.reader] = CardCertificates(r.reader);
                Print(*json, "card_present", r.reader, r.atr, &seen[r.reader]);
              } else {
                Print(*json, "card_present", r.reader, r.atr);
              }
            }
            pcsc::Monitor* m = monitor->get();
            std::atomic<bool> done{false};
            std::thread stopper([&] {
              int sig = 0;
              sigwait(&set, &sig);
              if (!done) m->Cancel();
            });
            const bool forever = *timeout <= 0;
            auto deadline = std::chrono::steady_clock::now() +
                            std::chrono::milliseconds(static_cast<int64_t>(*timeout * 1000));
            int rc = kExitOk;
            while (true) {
              auto left = forever ? std::chrono::milliseconds(3600 * 1000)
                                  : std::chrono::duration_cast<std::chrono::milliseconds>(
                                        deadline - std::chrono::steady_clock::now());
              if (left.count() <= 0) break;
              auto e = m->Wait(left);
              if (!e) {
                if (e.error().code == ErrorCode::kPcscTimeout) {
                  if (forever) continue;
                  break;
                }
                if (e.error().code == ErrorCode::kPcscCancelled) break;
                rc = ReportError(e.error(), *json, "watch");
                break;
              }
              if (*identify && e->type == pcsc::EventType::kCardInserted) {
                seen[e->reader] = CardCertificates(e->reader);
                Print(*json, pcsc::EventTypeName(e->type), e->reader, e->atr, &seen[e->reader]);
              } else if (*identify && (e->type == pcsc::EventType::kCardRemoved ||
                                       e->type == pcsc::EventType::kReaderRemoved)) {
                std::vector<std::string> certs = seen[e->reader];
                seen.erase(e->reader);
                Print(*json, pcsc::EventTypeName(e->type), e->reader, e->atr, &certs);
              } else {
                Print(*json, pcsc::EventTypeName(e->type), e->reader, e->atr);
              }
            }
            done = true;
            pthread_kill(stopper.native_handle(), SIGTERM);  // wakes sigwait if still waiting
            stopper.join();
            return rc;
          }};
}

KEYWARD_REGISTER_CARD_SUBCOMMAND(20, MakeWatch);

}  // namespace
}  // namespace keyward::cli::card
