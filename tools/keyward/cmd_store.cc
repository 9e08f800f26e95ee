// keyward store migrate | copy: create or upgrade a credential store, and copy one store into
// another (SQLite → PostgreSQL). Public API: keyward/authenticator.h (MigrateStore, CopyStore).
#include <cstdlib>
#include <iostream>
#include <memory>

#include "core/json.h"
#include "keyward/authenticator.h"
#include "tools/keyward/command.h"

namespace keyward::cli {
namespace {

struct StoreOptions {
  std::string db;
  std::string from;
  std::string to;
  bool json = false;
};

int ExitFor(const Error& e) {
  switch (e.code) {
    case ErrorCode::kStoreUrlInvalid:
    case ErrorCode::kInvalidArgument:
    case ErrorCode::kConfigInvalid:
      return kExitUsage;
    case ErrorCode::kAlreadyExists:
    case ErrorCode::kStoreConflict:
    case ErrorCode::kAuditChainBroken:
      return kExitRejected;
    default:
      return kExitEnvironment;
  }
}

int Report(const Error& e, bool json, std::string_view what) {
  if (json) {
    std::cout << Json{{"ok", false},
                      {"error", {{"code", ErrorCodeName(e.code)}, {"message", e.detail}}}}
                     .dump()
              << "\n";
  } else {
    std::cerr << "keyward store " << what << ": " << e.ToString() << "\n";
  }
  return ExitFor(e);
}

// For output: never echo a password given in a URL.
std::string Shown(const std::string& url) {
  auto parsed = authenticator::ParseStoreUrl(url);
  return parsed ? parsed->Redacted() : std::string("(invalid)");
}

int RunMigrate(const StoreOptions& o) {
  if (auto r = authenticator::MigrateStore(o.db); !r) return Report(r.error(), o.json, "migrate");
  if (o.json) {
    std::cout << Json{{"ok", true}, {"db", Shown(o.db)}}.dump() << "\n";
  } else {
    std::cout << "store " << Shown(o.db) << " is at the current schema\n";
  }
  return kExitOk;
}

int RunCopy(const StoreOptions& o) {
  auto r = authenticator::CopyStore(o.from, o.to);
  if (!r) return Report(r.error(), o.json, "copy");
  if (o.json) {
    std::cout << Json{{"ok", true},
                      {"from", Shown(o.from)},
                      {"to", Shown(o.to)},
                      {"principals", r->principals},
                      {"credentials", r->credentials},
                      {"challenges", r->challenges},
                      {"audit_records", r->audit_records},
                      {"audit_head_hash", r->audit_head_hash}}
                     .dump()
              << "\n";
  } else {
    std::cout << "copied " << r->principals << " principals, " << r->credentials << " credentials, "
              << r->challenges << " challenges, " << r->audit_records
              << " audit records; counts match, audit chain verified on the target (head "
              << r->audit_head_hash << ")\n";
  }
  return kExitOk;
}

constexpr char kStoreHelp[] = R"(Credential store maintenance. A store is a URL: a path or
sqlite:PATH (SQLite), or postgresql://... (a libpq connection URI, e.g.
postgresql:///keyward?host=/run/postgresql). --db defaults to $KEYWARD_DB, then ./keyward.db.

migrate  creates the store or brings its schema to the current version (every node runs the
         same migrations at open; this does it ahead of a rollout). --json: {ok, db}.
copy     copies every principal, credential, challenge, audit record (verbatim, so the hash
         chain and the pseudonyms stay valid) and the pseudonym key from --from into the EMPTY
         store --to in one transaction, then compares the row counts and verifies the audit
         chain on the target. --json: {ok, from, to, principals, credentials, challenges,
         audit_records, audit_head_hash}. Stop writers on the source first.
Exit: 0 done, 1 refused (target not empty: already_exists; counts differ: store_conflict;
source chain broken: audit_chain_broken), 2 usage (store_url_invalid), 3 store unusable.)";

Command MakeStore(CLI::App& root) {
  auto* app = root.add_subcommand("store", "Migrate or copy a credential store");
  app->footer(kStoreHelp);
  app->require_subcommand(1);
  auto opts = std::make_shared<StoreOptions>();
  const char* env = std::getenv("KEYWARD_DB");
  opts->db = env != nullptr && *env != '\0' ? env : "keyward.db";
  auto* migrate = app->add_subcommand("migrate", "Create or upgrade a store's schema");
  migrate->add_option("--db", opts->db, "the store: a path, sqlite:PATH or postgresql://...");
  migrate->add_flag("--json", opts->json, "JSON output");
  auto* copy = app->add_subcommand("copy", "Copy a store into an empty one");
  copy->add_option("--from", opts->from, "source store URL")->required();
  copy->add_option("--to", opts->to, "target store URL (empty or new)")->required();
  copy->add_flag("--json", opts->json, "JSON output");
  return {app, [opts, migrate, copy]() -> int {
            if (migrate->parsed()) return RunMigrate(*opts);
            if (copy->parsed()) return RunCopy(*opts);
            return kExitUsage;
          }};
}

}  // namespace

KEYWARD_REGISTER_COMMAND(95, MakeStore);

}  // namespace keyward::cli
