#include "tools/keyward/card_admin.h"

#include <openssl/crypto.h>

#include <cstdlib>
#include <iostream>

#include "keyward/authenticator.h"
#include "tools/keyward/secret_prompt.h"

namespace keyward::cli::card {

void AddAdminOptions(CLI::App* app, AdminOptions& o) {
  app->add_option("--reader", o.reader, "reader name (default: the first with a card)");
  app->add_option("--db", o.db, "record the action in this store's audit log (SQLite file)");
  app->add_flag("--json", o.json, "Machine-readable output");
}

Result<std::unique_ptr<pcsc::piv::PivClient>> OpenAdminCard(const AdminOptions& o) {
  KW_ASSIGN_OR_RETURN(auto monitor, pcsc::Monitor::Create());
  KW_ASSIGN_OR_RETURN(auto readers, monitor->Snapshot());
  if (readers.empty()) return Fail(ErrorCode::kPcscNoReaders, "no PC/SC reader is connected");
  std::string name;
  for (const auto& r : readers) {
    if (!o.reader.empty() && r.reader != o.reader) continue;
    if (r.card_present) {
      name = r.reader;
      break;
    }
    if (!o.reader.empty()) return Fail(ErrorCode::kPcscNoCard, "no card in reader " + o.reader);
  }
  if (name.empty()) {
    if (!o.reader.empty()) return Fail(ErrorCode::kPcscReaderNotFound, "no reader " + o.reader);
    return Fail(ErrorCode::kPcscNoCard, "no card in any reader");
  }
  KW_ASSIGN_OR_RETURN(auto ctx, pcsc::Context::Establish());
  return pcsc::piv::PivClient::Open(ctx, name);
}

std::string CardSubject(pcsc::piv::PivClient& client, const std::string& reader) {
  if (auto chuid = client.ReadChuid()) return "guid:" + HexEncode(chuid->guid);
  return "reader:" + reader;
}

Result<SecretBytes> ReadCardSecret(int fd, const char* prompt) {
  char buf[256];
  long n = ReadSecret(fd, prompt, buf, sizeof(buf));  // NOLINT(runtime/int)
  if (n < 0) {
    OPENSSL_cleanse(buf, sizeof(buf));
    return Fail(ErrorCode::kPinRequired, n == -2 ? "no terminal to prompt on: use the --*-fd option"
                                                 : "secret unreadable or too long");
  }
  SecretBytes s(ByteSpan(reinterpret_cast<const uint8_t*>(buf), static_cast<size_t>(n)));
  OPENSSL_cleanse(buf, sizeof(buf));
  return s;
}

namespace {
Result<void> Record(const AdminOptions& o, const std::string& action, const std::string& subject,
                    const std::string& outcome, const nlohmann::json& details) {
  if (o.db.empty()) return Ok();
  authenticator::AuthenticatorConfig config;
  config.store_url = o.db;  // a path, sqlite:PATH or postgresql://...
  config.rp_id = "localhost";
  KW_ASSIGN_OR_RETURN(auto a, authenticator::Authenticator::Open(config));
  return a->RecordAdminAction(action, subject, outcome, details.is_object() ? details.dump() : "");
}
}  // namespace

int FinishAdmin(const AdminOptions& o, const std::string& command, const std::string& action,
                const std::string& subject, const Result<void>& outcome,
                const nlohmann::json& details, const nlohmann::json& result,
                const std::string& text) {
  nlohmann::json d = details.is_object() ? details : nlohmann::json::object();
  if (!outcome) {
    d["native"] = outcome.error().native;
    int retries = pcsc::piv::PivClient::RetriesLeft(outcome.error());
    if (retries >= 0) d["retries_left"] = retries;
    (void)Record(o, action, subject, std::string(ErrorCodeName(outcome.error().code)), d);
    return ReportError(outcome.error(), o.json, command);
  }
  auto recorded = Record(o, action, subject, "ok", d);
  if (!recorded) return ReportError(recorded.error(), o.json, command + " (audit)");
  if (o.json) {
    PrintJson(result);
  } else {
    std::cout << text << "\n";
  }
  return kExitOk;
}

}  // namespace keyward::cli::card
