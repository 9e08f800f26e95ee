// keyward users list | show | export | erase: the principals of a keyward credential store
// (SQLite) and their passkeys, security keys and smart cards. Public API: keyward/authenticator.h.
#include <cstdlib>
#include <filesystem>
#include <iostream>
#include <memory>

#include "attestation/metadata.h"
#include "core/json.h"
#include "keyward/authenticator.h"
#include "tools/keyward/command.h"

namespace keyward::cli {
namespace {

using authenticator::Authenticator;
using authenticator::AuthenticatorConfig;

std::string DefaultDb() {
  const char* env = std::getenv("KEYWARD_DB");
  return env != nullptr && *env != '\0' ? env : "keyward.db";
}

int ExitFor(const Error& e) {
  switch (e.code) {
    case ErrorCode::kStoreIo:
    case ErrorCode::kStoreBusy:
    case ErrorCode::kStoreUnavailable:
    case ErrorCode::kStoreCorrupt:
    case ErrorCode::kSchemaVersionUnsupported:
      return kExitEnvironment;
    case ErrorCode::kNotFound:
      return kExitRejected;
    default:
      return kExitUsage;
  }
}

int Report(const Error& e, bool json, std::string_view what) {
  if (json) {
    std::cout << Json{{"ok", false},
                      {"error", {{"code", ErrorCodeName(e.code)}, {"message", e.detail}}}}
                     .dump()
              << "\n";
  } else {
    std::cerr << "keyward users " << what << ": " << e.ToString() << "\n";
  }
  return ExitFor(e);
}

Result<std::unique_ptr<Authenticator>> OpenExisting(const std::string& db) {
  // A path, sqlite:PATH or postgresql://... (an existing SQLite file: these commands never
  // create one).
  KW_ASSIGN_OR_RETURN(authenticator::StoreUrl url, authenticator::ParseStoreUrl(db));
  if (url.backend == authenticator::StoreUrl::Backend::kSqlite &&
      !std::filesystem::exists(url.target)) {
    return ::keyward::Fail(ErrorCode::kNotFound,
                           "no store at " + url.target + " (use --db or KEYWARD_DB)");
  }
  authenticator::AuthenticatorConfig config;
  config.store_url = db;
  config.rp_id = "localhost";
  return Authenticator::Open(config);
}

// A principal by id ("p_...") or by name.
Result<authenticator::Principal> Lookup(Authenticator& a, const std::string& who) {
  auto by_id = a.GetPrincipal(who);
  if (by_id) return by_id;
  return a.FindPrincipalByName(who);
}

std::string Time(int64_t t) {
  if (t == 0) return "never";
  char buf[32];
  std::time_t tt = static_cast<std::time_t>(t);
  std::tm tm{};
  gmtime_r(&tt, &tm);
  std::strftime(buf, sizeof buf, "%Y-%m-%dT%H:%M:%SZ", &tm);
  return buf;
}

struct Options {
  std::string db = DefaultDb();
  bool json = false;
  std::string who;
  bool yes = false;
  std::string mds;  // audit-keys: the MDS store (default as `keyward mds`)
};

int RunList(const Options& o) {
  auto a = OpenExisting(o.db);
  if (!a) return Report(a.error(), o.json, "list");
  auto principals = (*a)->ListPrincipals();
  if (!principals) return Report(principals.error(), o.json, "list");
  Json out = Json::array();
  for (const auto& p : *principals) {
    auto creds = (*a)->ListCredentials(p.id);
    if (!creds) return Report(creds.error(), o.json, "list");
    Json j = ParseJson(authenticator::PrincipalToJson(p)).value_or(Json::object());
    Json kinds = Json::object();
    for (const auto& c : *creds) kinds[std::string(CredentialKindName(c.kind))] = 0;
    for (const auto& c : *creds)
      kinds[std::string(CredentialKindName(c.kind))] =
          kinds[std::string(CredentialKindName(c.kind))].get<int>() + 1;
    j["credentials"] = creds->size();
    j["credential_kinds"] = kinds;
    out.push_back(j);
  }
  if (o.json) {
    std::cout << Json{{"ok", true}, {"principals", out}}.dump() << "\n";
  } else {
    std::printf("%-36s %-24s %-28s %s\n", "ID", "NAME", "DISPLAY NAME", "CREDENTIALS");
    for (const auto& j : out) {
      std::printf("%-36s %-24s %-28s %d\n", j["id"].get<std::string>().c_str(),
                  j["name"].get<std::string>().c_str(),
                  j["display_name"].get<std::string>().c_str(), j["credentials"].get<int>());
    }
  }
  return kExitOk;
}

int RunShow(const Options& o) {
  auto a = OpenExisting(o.db);
  if (!a) return Report(a.error(), o.json, "show");
  auto p = Lookup(**a, o.who);
  if (!p) return Report(p.error(), o.json, "show");
  auto creds = (*a)->ListCredentials(p->id);
  if (!creds) return Report(creds.error(), o.json, "show");
  if (o.json) {
    Json j = ParseJson(authenticator::PrincipalToJson(*p)).value_or(Json::object());
    j["credentials"] = Json::array();
    for (const auto& c : *creds) {
      j["credentials"].push_back(
          ParseJson(authenticator::CredentialToJson(c)).value_or(Json::object()));
    }
    std::cout << Json{{"ok", true}, {"principal", j}}.dump() << "\n";
    return kExitOk;
  }
  std::cout << "principal     " << p->id << "\nname          " << p->name << "\ndisplay name  "
            << p->display_name << "\ncreated       " << Time(p->created_at) << "\n";
  for (const auto& c : *creds) {
    std::cout << "\n  " << CredentialKindName(c.kind) << "  \"" << c.nickname << "\"\n";
    Json j = ParseJson(authenticator::CredentialToJson(c)).value_or(Json::object());
    std::cout << "    id           " << j["id"].get<std::string>() << "\n";
    if (c.kind == authenticator::CredentialKind::kSmartCard) {
      std::cout << "    subject      " << c.cert_subject << "\n    issuer       " << c.cert_issuer
                << "\n    serial       " << c.cert_serial << "\n";
    } else {
      std::cout << "    alg          " << c.alg << "\n    sign count   " << c.sign_count << "\n";
      if (j.contains("aaguid"))
        std::cout << "    aaguid       " << j["aaguid"].get<std::string>() << "\n";
      if (!c.authenticator_name.empty())
        std::cout << "    authenticator " << c.authenticator_name << "\n";
      std::cout << "    backup       eligible=" << (c.backup_eligible ? "yes" : "no")
                << " state=" << (c.backup_state ? "yes" : "no") << "\n";
    }
    std::cout << "    attestation  " << c.attestation_type << " (" << c.trust_status
              << (c.trust_anchor.empty() ? "" : ": " + c.trust_anchor) << ")\n"
              << "    created      " << Time(c.created_at) << "\n    last used    "
              << Time(c.last_used_at) << "\n";
  }
  return kExitOk;
}

int RunExport(const Options& o) {
  auto a = OpenExisting(o.db);
  if (!a) return Report(a.error(), true, "export");
  auto p = Lookup(**a, o.who);
  if (!p) return Report(p.error(), true, "export");
  auto doc = (*a)->ExportPrincipal(p->id);
  if (!doc) return Report(doc.error(), true, "export");
  std::cout << *doc << "\n";
  return kExitOk;
}

int RunErase(const Options& o) {
  if (!o.yes) {
    return Report(Error{ErrorCode::kInvalidArgument, 0, "erasure is permanent: repeat with --yes"},
                  o.json, "erase");
  }
  auto a = OpenExisting(o.db);
  if (!a) return Report(a.error(), o.json, "erase");
  auto p = Lookup(**a, o.who);
  if (!p) return Report(p.error(), o.json, "erase");
  auto erased = (*a)->ErasePrincipal(p->id);
  if (!erased) return Report(erased.error(), o.json, "erase");
  if (o.json) {
    std::cout << Json{{"ok", true}, {"erased", p->id}}.dump() << "\n";
  } else {
    std::cout << "erased " << p->id << " (credentials and personal fields deleted; the audit log "
              << "keeps a pseudonymous record)\n";
  }
  return kExitOk;
}

// The MDS store `keyward mds` uses by default.
std::string DefaultMdsStore() {
  if (const char* p = std::getenv("KEYWARD_MDS_STORE"); p && *p) return p;
  if (const char* x = std::getenv("XDG_DATA_HOME"); x && *x) {
    return std::string(x) + "/keyward/mds.jwt";
  }
  if (const char* h = std::getenv("HOME"); h && *h) {
    return std::string(h) + "/.local/share/keyward/mds.jwt";
  }
  return "mds.jwt";
}

// Credentials whose authenticator the FIDO MDS now reports compromised (REVOKED,
// ATTESTATION_KEY_COMPROMISE, USER_VERIFICATION_BYPASS, USER_KEY_REMOTE_COMPROMISE,
// USER_KEY_PHYSICAL_COMPROMISE as the governing status report). Exit 1 when any is found.
int RunAuditKeys(const Options& o) {
  std::string mds_path = o.mds.empty() ? DefaultMdsStore() : o.mds;
  auto blob = attestation::MetadataBlob::LoadStored(mds_path);
  if (!blob) {
    Error e = blob.error();
    if (e.code == ErrorCode::kIo) e.code = ErrorCode::kNotFound;
    e.detail = "MDS store " + mds_path + ": " + e.detail + " (run `keyward mds fetch`)";
    Report(e, o.json, "audit-keys");
    return kExitEnvironment;
  }
  if (!std::filesystem::exists(o.db)) {
    return Report(
        Error{ErrorCode::kNotFound, 0, "no store at " + o.db + " (use --db or KEYWARD_DB)"}, o.json,
        "audit-keys");
  }
  AuthenticatorConfig config;
  config.db_path = o.db;
  config.rp_id = "localhost";
  config.mds_store_path = mds_path;  // names from the same BLOB
  auto a = Authenticator::Open(config);
  if (!a) return Report(a.error(), o.json, "audit-keys");
  auto principals = (*a)->ListPrincipals();
  if (!principals) return Report(principals.error(), o.json, "audit-keys");
  Json revoked = Json::array();
  size_t scanned = 0;
  for (const auto& p : *principals) {
    auto creds = (*a)->ListCredentials(p.id);
    if (!creds) return Report(creds.error(), o.json, "audit-keys");
    for (const auto& c : *creds) {
      if (!c.aaguid) continue;
      ++scanned;
      const attestation::MetadataEntry* e = blob->FindByAaguid(*c.aaguid);
      if (e == nullptr || !e->compromised()) continue;
      Json cj = ParseJson(authenticator::CredentialToJson(c)).value_or(Json::object());
      const attestation::StatusReport* r = e->LatestStatus();
      revoked.push_back({{"principal_id", p.id},
                         {"principal_name", p.name},
                         {"credential_id", cj["id"]},
                         {"nickname", c.nickname},
                         {"aaguid", cj.value("aaguid", "")},
                         {"authenticator_name", c.authenticator_name},
                         {"metadata_description", e->description},
                         {"status", r ? r->status : ""},
                         {"effective_date", r ? r->effective_date : ""}});
    }
  }
  bool stale = blob->IsStaleAt(UnixNow());
  if (o.json) {
    std::cout << Json{{"ok", true},
                      {"mds_no", blob->serial()},
                      {"mds_next_update", blob->next_update()},
                      {"mds_stale", stale},
                      {"scanned", scanned},
                      {"revoked", revoked}}
                     .dump()
              << "\n";
  } else {
    std::cout << "scanned " << scanned << " credentials with an AAGUID against metadata BLOB no "
              << blob->serial() << (stale ? " (STALE: run `keyward mds fetch`)" : "") << "\n";
    for (const auto& r : revoked) {
      std::cout << "  " << r["status"].get<std::string>() << " since "
                << r["effective_date"].get<std::string>() << "  "
                << r["principal_name"].get<std::string>() << "  \""
                << r["nickname"].get<std::string>() << "\"  "
                << r["metadata_description"].get<std::string>() << "  "
                << r["credential_id"].get<std::string>() << "\n";
    }
  }
  return revoked.empty() ? kExitOk : kExitRejected;
}

constexpr char kUsersHelp[] =
    R"(Principals in a keyward credential store (SQLite; --db or $KEYWARD_DB,
default ./keyward.db). USER is a principal id (p_...) or a login name.

--json output (one object per invocation):
  list   {ok, principals: [{id, user_handle, name, display_name, created_at, credentials,
                            credential_kinds: {passkey: n, ...}}]}
  show   {ok, principal: {id, user_handle, name, display_name, created_at, credentials: [...]}}
         credential fields: see `keyward users export`
  export the full export document: {principal, audit_pseudonym, credentials: [{id, kind, alg,
         sign_count, aaguid, public_key_cose | certificate_der, cert_issuer, cert_serial,
         cert_subject, attestation_fmt, attestation_type, trust_status, trust_anchor, transports,
         backup_eligible, backup_state, user_verified_at_registration, created_at, last_used_at,
         nickname}], challenges: [{purpose, created_at, expires_at, used}], audit: [records]}
  erase  {ok, erased: principal id}
  audit-keys {ok, mds_no, mds_next_update, mds_stale, scanned, revoked: [{principal_id,
         principal_name, credential_id, nickname, aaguid, authenticator_name,
         metadata_description, status, effective_date}]} (exit 1 when revoked is not empty)
Errors: {ok: false, error: {code, message}}. Exit: 0 ok, 1 not found, 2 usage, 3 store unusable.)";

Command MakeUsers(CLI::App& root) {
  auto* app = root.add_subcommand("users", "List, show, export or erase principals of a store");
  app->footer(kUsersHelp);
  app->require_subcommand(1);
  auto opts = std::make_shared<Options>();
  auto common = [&](CLI::App* sub) {
    sub->add_option("--db", opts->db, "credential store: a path, sqlite:PATH or postgresql://...");
    sub->add_flag("--json", opts->json, "JSON output");
  };
  auto* list = app->add_subcommand("list", "List principals");
  common(list);
  auto* show = app->add_subcommand("show", "Show a principal and its credentials");
  common(show);
  show->add_option("user", opts->who, "principal id or name")->required();
  auto* exp = app->add_subcommand("export", "Export everything stored about a principal (JSON)");
  common(exp);
  exp->add_option("user", opts->who, "principal id or name")->required();
  auto* erase = app->add_subcommand("erase", "Erase a principal (right to be forgotten)");
  common(erase);
  erase->add_option("user", opts->who, "principal id or name")->required();
  erase->add_flag("--yes", opts->yes, "confirm the permanent erasure");
  auto* audit_keys = app->add_subcommand(
      "audit-keys", "List credentials whose authenticator the FIDO MDS now reports revoked");
  common(audit_keys);
  audit_keys->add_option("--mds", opts->mds,
                         "verified MDS store (default $KEYWARD_MDS_STORE or "
                         "~/.local/share/keyward/mds.jwt)");
  return {app, [opts, list, show, exp, erase, audit_keys]() -> int {
            if (audit_keys->parsed()) return RunAuditKeys(*opts);
            if (list->parsed()) return RunList(*opts);
            if (show->parsed()) return RunShow(*opts);
            if (exp->parsed()) return RunExport(*opts);
            if (erase->parsed()) return RunErase(*opts);
            return kExitUsage;
          }};
}

KEYWARD_REGISTER_COMMAND(60, MakeUsers);

}  // namespace
}  // namespace keyward::cli
