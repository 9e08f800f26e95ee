// keyward card watch [--timeout S] [--json]: reader and card events until Ctrl-C (or the
// timeout). SIGINT/SIGTERM are taken by a sigwait thread that cancels the monitor (SCardCancel).
#include <pthread.h>
#include <signal.h>

#include <atomic>
#include <chrono>
#include <iostream>
#include <memory>
#include <thread>

#include "core/bytes.h"
#include "keyward/pcsc.h"
#include "tools/keyward/card_command.h"

namespace keyward::cli::card {
namespace {

nlohmann::json EventJson(std::string_view type, const std::string& reader, const Bytes& atr) {
  nlohmann::json j = {{"event", std::string(type)}, {"reader", reader}};
  if (!atr.empty()) j["atr"] = HexEncode(atr);
  return j;
}

void Print(bool json, std::string_view type, const std::string& reader, const Bytes& atr) {
  if (json) {
    std::cout << EventJson(type, reader, atr).dump() << std::endl;
  } else {
    std::cout << type << "\t" << reader << (atr.empty() ? "" : "\t" + HexEncode(atr)) << std::endl;
  }
}

CardSubcommand MakeWatch(CLI::App& card_app) {
  auto* app = card_app.add_subcommand(
      "watch", "Print reader/card events until Ctrl-C (the current state first)");
  auto json = std::make_shared<bool>(false);
  auto timeout = std::make_shared<double>(0);
  app->add_flag("--json", *json,
                "one JSON object per line: {event: card_present|card_inserted|card_removed|"
                "reader_added|reader_removed, reader, atr (hex, for cards)}");
  app->add_option("--timeout", *timeout, "stop after this many seconds (0: until Ctrl-C)")
      ->check(CLI::NonNegativeNumber);
  return {app, [json, timeout]() -> int {
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
            for (const auto& r : *snapshot) {
              if (r.card_present) Print(*json, "card_present", r.reader, r.atr);
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
              Print(*json, pcsc::EventTypeName(e->type), e->reader, e->atr);
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
