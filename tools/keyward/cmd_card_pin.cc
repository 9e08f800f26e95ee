// keyward card pin change | unblock, keyward card puk change: CHANGE REFERENCE DATA and RESET
// RETRY COUNTER (NIST SP 800-73-4 Part 2 §3.2.2, §3.2.3). Secrets come from --*-fd descriptors
// (one line each; the same descriptor may be given twice: lines are read in order) or no-echo
// prompts, never from argv.
#include <functional>
#include <memory>
#include <vector>

#include "tools/keyward/card_admin.h"

namespace keyward::cli::card {
namespace {

enum class Op { kPinChange, kPinUnblock, kPukChange };

struct RefOptions {
  AdminOptions admin;
  int first_fd = -1;   // current PIN / PUK
  int second_fd = -1;  // new PIN / PUK
};

int Run(Op op, const RefOptions& o) {
  const char* command = op == Op::kPinChange    ? "pin change"
                        : op == Op::kPinUnblock ? "pin unblock"
                                                : "puk change";
  const char* action = op == Op::kPinChange    ? "card.pin.change"
                       : op == Op::kPinUnblock ? "card.pin.unblock"
                                               : "card.puk.change";
  auto client = OpenAdminCard(o.admin);
  if (!client) return ReportError(client.error(), o.admin.json, command);
  auto& c = **client;
  std::string subject = CardSubject(c, c.card().reader());
  auto first = ReadCardSecret(o.first_fd, op == Op::kPinChange    ? "Current PIN: "
                                          : op == Op::kPinUnblock ? "PUK: "
                                                                  : "Current PUK: ");
  if (!first) return ReportError(first.error(), o.admin.json, command);
  auto second = ReadCardSecret(o.second_fd, op == Op::kPukChange ? "New PUK: " : "New PIN: ");
  if (!second) return ReportError(second.error(), o.admin.json, command);
  Result<void> r = op == Op::kPinChange    ? c.ChangePin(*first, *second)
                   : op == Op::kPinUnblock ? c.UnblockPin(*first, *second)
                                           : c.ChangePuk(*first, *second);
  nlohmann::json details = {{"reader", c.card().reader()}};
  nlohmann::json result = {{"ok", true}, {"action", action}, {"subject", subject}};
  return FinishAdmin(o.admin, command, action, subject, r, details, result,
                     op == Op::kPinChange    ? "PIN changed"
                     : op == Op::kPinUnblock ? "PIN unblocked and set"
                                             : "PUK changed");
}

CardSubcommand AddRef(CLI::App* parent, const char* name, const char* help, Op op,
                      const char* first_opt, const char* first_help, const char* second_opt,
                      const char* second_help) {
  auto o = std::make_shared<RefOptions>();
  CLI::App* app = parent->add_subcommand(name, help);
  AddAdminOptions(app, o->admin);
  app->add_option(first_opt, o->first_fd, first_help);
  app->add_option(second_opt, o->second_fd, second_help);
  return {app, [o, op]() { return Run(op, *o); }};
}

std::function<int()> Dispatch(std::vector<CardSubcommand> subs) {
  return [subs]() {
    for (const auto& s : subs) {
      if (s.app->parsed()) return s.run();
    }
    return kExitUsage;
  };
}

CardSubcommand MakeCardPin(CLI::App& card_app) {
  CLI::App* pin = card_app.add_subcommand("pin", "Change or unblock the PIV PIN");
  pin->require_subcommand(1);
  auto change =
      AddRef(pin, "change", "Change the PIN (needs the current PIN)", Op::kPinChange, "--pin-fd",
             "read the current PIN from this fd", "--new-pin-fd", "read the new PIN from this fd");
  auto unblock = AddRef(pin, "unblock", "Unblock the PIN with the PUK and set a new PIN",
                        Op::kPinUnblock, "--puk-fd", "read the PUK from this fd", "--new-pin-fd",
                        "read the new PIN from this fd");
  return {pin, Dispatch({change, unblock})};
}

CardSubcommand MakeCardPuk(CLI::App& card_app) {
  CLI::App* puk = card_app.add_subcommand("puk", "Change the PIV PUK");
  puk->require_subcommand(1);
  auto change =
      AddRef(puk, "change", "Change the PUK (needs the current PUK)", Op::kPukChange, "--puk-fd",
             "read the current PUK from this fd", "--new-puk-fd", "read the new PUK from this fd");
  return {puk, Dispatch({change})};
}

}  // namespace

KEYWARD_REGISTER_CARD_SUBCOMMAND(50, MakeCardPin);
KEYWARD_REGISTER_CARD_SUBCOMMAND(51, MakeCardPuk);

}  // namespace keyward::cli::card
