// keyward: one vendor-neutral CLI for passkey verification, smart cards and FIDO2 keys.
#include <algorithm>
#include <cstdio>
#include <map>

#include "keyward/version.h"
#include "tools/keyward/command.h"

namespace keyward::cli {
namespace {
std::multimap<int, CommandFactory>& Registry() {
  static std::multimap<int, CommandFactory> r;
  return r;
}
}  // namespace

bool RegisterCommand(int order, CommandFactory factory) {
  Registry().emplace(order, factory);
  return true;
}

std::vector<CommandFactory> RegisteredCommands() {
  std::vector<CommandFactory> out;
  for (const auto& [order, f] : Registry()) out.push_back(f);
  return out;
}

}  // namespace keyward::cli

int main(int argc, char** argv) {
  using namespace keyward::cli;
  CLI::App app{"keyward: WebAuthn relying-party verification, smart cards and FIDO2 keys"};
  app.require_subcommand(1);
  app.set_version_flag("--version", "keyward " + std::string(keyward::Version()));
  std::vector<Command> commands;
  for (CommandFactory f : RegisteredCommands()) commands.push_back(f(app));
  try {
    app.parse(argc, argv);
  } catch (const CLI::ParseError& e) {
    int rc = app.exit(e);
    return rc == 0 ? kExitOk : kExitUsage;
  }
  for (const Command& c : commands) {
    if (c.app && c.app->parsed()) return c.run();
  }
  std::fputs(app.help().c_str(), stderr);
  return kExitUsage;
}
