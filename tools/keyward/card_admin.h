// Shared plumbing of the card administration commands (`keyward card pin|puk|mgmt-key|status`):
// picking the reader, opening the PIV client, reading PINs/PUKs/keys without echo or from a file
// descriptor, recording every action in the audit log (`--db FILE`, via
// Authenticator::RecordAdminAction) and printing the result or the error.
#ifndef KEYWARD_TOOLS_KEYWARD_CARD_ADMIN_H_
#define KEYWARD_TOOLS_KEYWARD_CARD_ADMIN_H_

#include <memory>
#include <nlohmann/json.hpp>
#include <string>

#include "core/secret.h"
#include "keyward/pcsc.h"
#include "tools/keyward/card_command.h"

namespace keyward::cli::card {

struct AdminOptions {
  std::string reader;  // empty: the first reader with a card
  std::string db;      // empty: no audit record
  bool json = false;
};

// Adds --reader, --db, --json.
void AddAdminOptions(CLI::App* app, AdminOptions& o);

// The PIV client on the chosen reader.
Result<std::unique_ptr<pcsc::piv::PivClient>> OpenAdminCard(const AdminOptions& o);

// "guid:<hex>" from the CHUID, else "reader:<name>".
std::string CardSubject(pcsc::piv::PivClient& client, const std::string& reader);

// A PIN or PUK (fd >= 0: one line from it; else a no-echo prompt). kPinRequired when it cannot be
// read (no terminal: use the --*-fd option).
Result<SecretBytes> ReadCardSecret(int fd, const char* prompt);

// Records (when --db is set) and reports the outcome of `action`. On success prints `result` as
// JSON (--json) or `text`, returns 0; on failure records the error code name and returns
// ReportError's exit code. An audit failure after a successful card operation is reported
// (exit 1, code of the store error) — the card change has happened.
int FinishAdmin(const AdminOptions& o, const std::string& command, const std::string& action,
                const std::string& subject, const Result<void>& outcome,
                const nlohmann::json& details, const nlohmann::json& result,
                const std::string& text);

}  // namespace keyward::cli::card

#endif  // KEYWARD_TOOLS_KEYWARD_CARD_ADMIN_H_
