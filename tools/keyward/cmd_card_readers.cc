// keyward card readers [--json]: the PC/SC readers and whether a card is in each.
#include <iostream>
#include <memory>

#include "core/bytes.h"
#include "keyward/pcsc.h"
#include "tools/keyward/card_command.h"

namespace keyward::cli::card {
namespace {

CardSubcommand MakeReaders(CLI::App& card_app) {
  auto* app = card_app.add_subcommand("readers", "List PC/SC readers and the cards in them");
  auto json = std::make_shared<bool>(false);
  app->add_flag("--json", *json,
                "JSON: {readers: [{name, card_present, atr (hex or null), exclusive, in_use}]}");
  return {app, [json]() -> int {
            auto monitor = pcsc::Monitor::Create();
            if (!monitor) return ReportError(monitor.error(), *json, "readers");
            auto snapshot = (*monitor)->Snapshot();
            if (!snapshot) return ReportError(snapshot.error(), *json, "readers");
            if (*json) {
              nlohmann::json list = nlohmann::json::array();
              for (const auto& r : *snapshot) {
                list.push_back({{"name", r.reader},
                                {"card_present", r.card_present},
                                {"atr", r.card_present ? nlohmann::json(HexEncode(r.atr))
                                                       : nlohmann::json(nullptr)},
                                {"exclusive", r.exclusive},
                                {"in_use", r.in_use}});
              }
              PrintJson({{"readers", list}});
              return kExitOk;
            }
            if (snapshot->empty()) std::cout << "no readers\n";
            for (const auto& r : *snapshot) {
              std::cout << r.reader << "\t"
                        << (r.card_present ? "card " + HexEncode(r.atr) : std::string("empty"))
                        << (r.exclusive ? "\t(held exclusively)" : "") << "\n";
            }
            return kExitOk;
          }};
}

KEYWARD_REGISTER_CARD_SUBCOMMAND(10, MakeReaders);

}  // namespace
}  // namespace keyward::cli::card
