// Command registration for the keyward CLI. Each cmd_*.cc defines a factory that adds its
// subcommand (with options and help) to the root app and returns how to run it, then registers
// the factory with KEYWARD_REGISTER_COMMAND. main.cc parses and runs the chosen command.
//
// Exit codes used by every command: 0 success / verified, 1 the operation ran and said no
// (rejected, failed check), 2 unusable input or usage, 3 environment problem (service down,
// device missing).
#ifndef KEYWARD_TOOLS_KEYWARD_COMMAND_H_
#define KEYWARD_TOOLS_KEYWARD_COMMAND_H_

#include <CLI/CLI.hpp>

#include <functional>
#include <string>
#include <vector>

namespace keyward::cli {

constexpr int kExitOk = 0;
constexpr int kExitRejected = 1;
constexpr int kExitUsage = 2;
constexpr int kExitEnvironment = 3;

struct Command {
  CLI::App* app = nullptr;   // the subcommand
  std::function<int()> run;  // called when `app` was the one parsed
};

using CommandFactory = Command (*)(CLI::App& root);

// Registers a factory; `order` sorts commands in --help.
bool RegisterCommand(int order, CommandFactory factory);
std::vector<CommandFactory> RegisteredCommands();

}  // namespace keyward::cli

#define KEYWARD_REGISTER_COMMAND(order, factory) \
  static const bool kw_registered_##factory = ::keyward::cli::RegisterCommand(order, factory)

#endif  // KEYWARD_TOOLS_KEYWARD_COMMAND_H_
