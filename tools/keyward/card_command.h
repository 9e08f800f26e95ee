// `keyward card ...`: a small registry of card subcommands, so each one lives in its own
// cmd_card_<name>.cc (readers, watch, info here; enroll, pin ... later) without touching the
// others. A subcommand factory adds itself to the `card` app and returns how to run it.
//
// Shared helpers: the pcscd-missing sentence (exit 3), the JSON error object, hex.
#ifndef KEYWARD_TOOLS_KEYWARD_CARD_COMMAND_H_
#define KEYWARD_TOOLS_KEYWARD_CARD_COMMAND_H_

#include <functional>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "keyward/result.h"
#include "tools/keyward/command.h"

namespace keyward::cli::card {

struct CardSubcommand {
  CLI::App* app = nullptr;
  std::function<int()> run;
};
using CardSubcommandFactory = CardSubcommand (*)(CLI::App& card_app);

bool RegisterCardSubcommand(int order, CardSubcommandFactory factory);
std::vector<CardSubcommandFactory> RegisteredCardSubcommands();

// Prints `error` (stderr sentence; on --json also {"error": {code, message}} on stdout) and
// returns the exit code: 3 for an environment problem (pcscd down, no reader, no card), 1 for
// a card that said no, 2 for unusable input.
int ReportError(const Error& error, bool json, const std::string& command);

// Exit code for an error code (see command.h).
int ExitCodeFor(ErrorCode code);

void PrintJson(const nlohmann::json& j);

}  // namespace keyward::cli::card

#define KEYWARD_REGISTER_CARD_SUBCOMMAND(order, factory) \
  static const bool kw_card_registered_##factory =       \
      ::keyward::cli::card::RegisterCardSubcommand(order, factory)

#endif  // KEYWARD_TOOLS_KEYWARD_CARD_COMMAND_H_
