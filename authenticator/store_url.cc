#include "authenticator/store_url.h"

#include "authenticator/audit_chain.h"
#include "authenticator/sqlite_store.h"
#if KEYWARD_HAVE_LIBPQ
#include "authenticator/pg_store.h"
#endif

namespace keyward::authenticator {
namespace {

bool StartsWith(std::string_view s, std::string_view prefix) {
  return s.substr(0, prefix.size()) == prefix;
}

}  // namespace

Result<StoreUrl> ParseStoreUrl(std::string_view url) {
  StoreUrl out;
  if (url.empty()) return Fail(ErrorCode::kStoreUrlInvalid, "empty store URL");
  if (StartsWith(url, "postgresql://") || StartsWith(url, "postgres://")) {
    out.backend = StoreUrl::Backend::kPostgres;
    out.target = std::string(url);
    return out;
  }
  if (StartsWith(url, "sqlite:")) {
    std::string_view path = url.substr(7);
    // sqlite:///abs/path and sqlite://./rel are accepted as sqlite:PATH with the slashes kept
    // for the absolute form.
    if (StartsWith(path, "//")) path.remove_prefix(2);
    if (path.empty()) return Fail(ErrorCode::kStoreUrlInvalid, "sqlite: URL without a path");
    out.target = std::string(path);
    return out;
  }
  // Anything else that looks like a scheme is a backend we do not have.
  const size_t colon = url.find("://");
  if (colon != std::string_view::npos && url.find('/') > colon) {
    return Fail(ErrorCode::kStoreUrlInvalid,
                "unknown store URL scheme (use sqlite:PATH, a path or postgresql://)");
  }
  out.target = std::string(url);
  return out;
}

std::string StoreUrl::Redacted() const {
  if (backend == Backend::kSqlite) return "sqlite:" + target;
  // postgresql://user:password@host/...: hide the password (userinfo ends at the first '@'
  // after the scheme, before any '/').
  std::string s = target;
  const size_t start = s.find("://") + 3;
  const size_t slash = s.find('/', start);
  const size_t at = s.find('@', start);
  if (at != std::string::npos && (slash == std::string::npos || at < slash)) {
    const size_t colon = s.find(':', start);
    if (colon != std::string::npos && colon < at) s.replace(colon + 1, at - colon - 1, "***");
  }
  // password=... in the query string
  for (size_t p = s.find("password="); p != std::string::npos; p = s.find("password=", p + 1)) {
    const size_t end = s.find('&', p);
    s.replace(p + 9, (end == std::string::npos ? s.size() : end) - p - 9, "***");
  }
  return s;
}

Result<std::unique_ptr<CredentialStore>> OpenCredentialStore(const StoreUrl& url,
                                                             const StoreOpenOptions& options) {
  if (url.backend == StoreUrl::Backend::kSqlite) {
    SqliteStore::Options o;
    o.create = options.create;
    o.relaxed_durability = options.relaxed_durability;
    KW_ASSIGN_OR_RETURN(auto store, SqliteStore::Open(url.target, o));
    return std::unique_ptr<CredentialStore>(std::move(store));
  }
#if KEYWARD_HAVE_LIBPQ
  PgStore::Options o;
  o.pool_size = options.pool_size;
  KW_ASSIGN_OR_RETURN(auto store, PgStore::Open(url.target, o));
  return std::unique_ptr<CredentialStore>(std::move(store));
#else
  return Fail(ErrorCode::kNotSupported, "this keyward was built without libpq (PostgreSQL)");
#endif
}

Result<void> MigrateStore(std::string_view url) {
  KW_ASSIGN_OR_RETURN(StoreUrl parsed, ParseStoreUrl(url));
  KW_ASSIGN_OR_RETURN(auto store, OpenCredentialStore(parsed, StoreOpenOptions{}));
  return Ok();
}

Result<StoreCopyReport> CopyStore(std::string_view from, std::string_view to) {
  KW_ASSIGN_OR_RETURN(StoreUrl from_url, ParseStoreUrl(from));
  KW_ASSIGN_OR_RETURN(StoreUrl to_url, ParseStoreUrl(to));
  StoreOpenOptions source_options;
  source_options.create = false;
  KW_ASSIGN_OR_RETURN(auto source, OpenCredentialStore(from_url, source_options));
  KW_ASSIGN_OR_RETURN(auto target, OpenCredentialStore(to_url, StoreOpenOptions{}));
  // The source's chain must be intact before it is copied: a copy never launders tampering.
  KW_TRY(source->VerifyAuditChain());
  KW_ASSIGN_OR_RETURN(StoreContents contents, source->DumpAll());
  KW_TRY(target->LoadAll(contents));
  KW_ASSIGN_OR_RETURN(auto source_counts, source->Counts());
  KW_ASSIGN_OR_RETURN(auto target_counts, target->Counts());
  const std::array<uint64_t, 4> dumped = {contents.principals.size(), contents.credentials.size(),
                                          contents.challenges.size(), contents.audit.size()};
  if (target_counts != dumped || source_counts != dumped) {
    return Fail(ErrorCode::kStoreConflict,
                "row counts differ after the copy (was the source written meanwhile?)");
  }
  KW_ASSIGN_OR_RETURN(AuditVerification v, target->VerifyAuditChain());
  StoreCopyReport r;
  r.principals = dumped[0];
  r.credentials = dumped[1];
  r.challenges = dumped[2];
  r.audit_records = dumped[3];
  r.audit_head_hash = v.head_hash;
  return r;
}

}  // namespace keyward::authenticator
