// keyward card: smart cards through PC/SC (readers, watch, info; see card_command.h for adding
// subcommands).
#include <iostream>
#include <map>
#include <memory>

#include "pcsc/scard_error.h"
#include "tools/keyward/card_command.h"

namespace keyward::cli::card {
namespace {

std::multimap<int, CardSubcommandFactory>& Registry() {
  static std::multimap<int, CardSubcommandFactory> r;
  return r;
}

Command MakeCard(CLI::App& root) {
  auto* app = root.add_subcommand("card", "Smart cards via PC/SC: readers, events, PIV card info");
  app->require_subcommand(1);
  auto subs = std::make_shared<std::vector<CardSubcommand>>();
  for (CardSubcommandFactory f : RegisteredCardSubcommands()) subs->push_back(f(*app));
  return {app, [subs]() -> int {
            for (const CardSubcommand& s : *subs) {
              if (s.app && s.app->parsed()) return s.run();
            }
            return kExitUsage;
          }};
}

}  // namespace

bool RegisterCardSubcommand(int order, CardSubcommandFactory factory) {
  Registry().emplace(order, factory);
  return true;
}

std::vector<CardSubcommandFactory> RegisteredCardSubcommands() {
  std::vector<CardSubcommandFactory> out;
  for (const auto& [order, f] : Registry()) out.push_back(f);
  return out;
}

int ExitCodeFor(ErrorCode code) {
  switch (code) {
    case ErrorCode::kPcscNoService:
    case ErrorCode::kPcscNoReaders:
    case ErrorCode::kPcscReaderUnavailable:
    case ErrorCode::kPcscReaderNotFound:
    case ErrorCode::kPcscNoCard:
    case ErrorCode::kPcscCardRemoved:
    case ErrorCode::kPcscSharingViolation:
    case ErrorCode::kPcscCommError:
    case ErrorCode::kPcscInternal:
      return kExitEnvironment;
    case ErrorCode::kInvalidArgument:
      return kExitUsage;
    default:
      return kExitRejected;
  }
}

int ReportError(const Error& error, bool json, const std::string& command) {
  std::string message = error.code == ErrorCode::kPcscNoService
                            ? std::string(pcsc::kStartPcscdHint) + "."
                            : error.ToString();
  std::cerr << "keyward card " << command << ": " << message << "\n";
  if (json) {
    PrintJson({{"error", {{"code", std::string(ErrorCodeName(error.code))},
                          {"message", message},
                          {"native", error.native}}}});
  }
  return ExitCodeFor(error.code);
}

void PrintJson(const nlohmann::json& j) { std::cout << j.dump(2) << "\n"; }

KEYWARD_REGISTER_COMMAND(40, MakeCard);

}  // namespace keyward::cli::card
