#include "pam/fido_store.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <ctime>

#include "authenticator/store_url.h"
#include "core/hash.h"

namespace keyward::pam {
namespace {

using authenticator::AuditEvent;
using authenticator::CredentialKind;

bool StoreDown(ErrorCode c) {
  return c == ErrorCode::kNotFound || c == ErrorCode::kStoreIo || c == ErrorCode::kStoreBusy ||
         c == ErrorCode::kStoreUnavailable || c == ErrorCode::kStoreCorrupt ||
         c == ErrorCode::kSchemaVersionUnsupported || c == ErrorCode::kNotSupported;
}

Unexpected Unavailable(const Error& e) {
  return Fail(ErrorCode::kPamStoreUnavailable, std::string(ErrorCodeName(e.code)) + ": " + e.detail,
              e.native);
}

// The SQLite file must not be something another local user can rewrite.
Result<void> CheckSqliteFile(const std::string& path) {
  struct stat st {};
  if (lstat(path.c_str(), &st) != 0) {
    if (errno == ENOENT) return Fail(ErrorCode::kPamStoreUnavailable, "no store " + path);
    return Fail(ErrorCode::kPamStoreUnavailable,
                "cannot stat " + path + ": " + std::strerror(errno));
  }
  if (S_ISLNK(st.st_mode) || !S_ISREG(st.st_mode))
    return Fail(ErrorCode::kPamCredentialFileInsecure, path + " is not a regular file");
  if (st.st_uid != 0 && st.st_uid != geteuid())
    return Fail(ErrorCode::kPamCredentialFileInsecure,
                path + " is owned by neither root nor this process's user");
  if ((st.st_mode & (S_IWGRP | S_IWOTH)) != 0)
    return Fail(ErrorCode::kPamCredentialFileInsecure, path + " is writable by group or others");
  // Readable at all? (sqlite3 would report a read failure only on the first query.)
  int fd = open(path.c_str(), O_RDONLY | O_CLOEXEC | O_NOFOLLOW | O_NONBLOCK);
  if (fd < 0)
    return Fail(ErrorCode::kPamStoreUnavailable,
                "cannot open " + path + ": " + std::strerror(errno));
  close(fd);
  return {};
}

int64_t Now() { return static_cast<int64_t>(std::time(nullptr)); }

}  // namespace

Result<std::unique_ptr<PamFidoStore>> PamFidoStore::Open(const std::string& url, bool create) {
  auto parsed = authenticator::ParseStoreUrl(url);
  if (!parsed) return Fail(ErrorCode::kConfigInvalid, "fido_store: " + parsed.error().detail);
  const bool sqlite = parsed->backend == authenticator::StoreUrl::Backend::kSqlite;
  bool created = false;
  if (sqlite) {
    struct stat st {};
    if (create && lstat(parsed->target.c_str(), &st) != 0 && errno == ENOENT) {
      // A new store: private from the first byte (it holds the audit log's pseudonym key).
      int fd =
          open(parsed->target.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC | O_NOFOLLOW, 0600);
      if (fd < 0)
        return Fail(ErrorCode::kPamStoreUnavailable,
                    "cannot create " + parsed->target + ": " + std::strerror(errno));
      close(fd);
      created = true;
    }
    KW_TRY(CheckSqliteFile(parsed->target));
  }
  authenticator::StoreOpenOptions o;
  o.create = created;
  o.pool_size = 1;
  auto store = authenticator::OpenCredentialStore(*parsed, o);
  if (!store) {
    if (created) unlink(parsed->target.c_str());
    if (StoreDown(store.error().code)) return Unavailable(store.error());
    return Fail(store.error());
  }
  return std::unique_ptr<PamFidoStore>(new PamFidoStore(std::move(*store)));
}

Result<PamFidoStore::UserCredentials> PamFidoStore::Read(const std::string& user,
                                                         const std::string& rp_id) {
  auto principal = store_->FindPrincipalByName(user);
  if (!principal) {
    if (principal.error().code == ErrorCode::kNotFound)
      return Fail(ErrorCode::kPamNotEnrolled, "no principal named like the account");
    return Unavailable(principal.error());
  }
  auto creds = store_->ListCredentials(principal->id);
  if (!creds) return Unavailable(creds.error());
  UserCredentials out;
  out.principal_id = principal->id;
  for (const auto& c : *creds) {
    if (c.kind != CredentialKind::kSecurityKey || c.nickname != rp_id) continue;
    out.credentials.push_back(PamFidoCredential{rp_id, c.id, c.public_key, c.sign_count});
  }
  if (out.credentials.empty())
    return Fail(ErrorCode::kPamNotEnrolled, "no security key for " + rp_id + " in the store");
  return out;
}

Result<void> PamFidoStore::RecordLogin(const std::string& principal_id, const Bytes& credential_id,
                                       uint32_t expected_sign_count, uint32_t new_sign_count,
                                       bool backup_state, const std::string& service) {
  AuditEvent ev;
  ev.time = Now();
  ev.event = "login";
  ev.outcome = "success";
  ev.principal_id = principal_id;
  ev.credential_id = credential_id;
  ev.kind = "security_key";
  ev.action = "pam:" + service;
  auto r = store_->RecordUse(credential_id, expected_sign_count, new_sign_count, backup_state,
                             ev.time, &ev);
  if (!r) {
    if (r.error().code == ErrorCode::kStoreConflict) return Fail(r.error());
    return Unavailable(r.error());
  }
  return {};
}

void PamFidoStore::RecordFailure(const std::string& principal_id, const Bytes& credential_id,
                                 ErrorCode code, const std::string& service) {
  AuditEvent ev;
  ev.time = Now();
  ev.event = "login";
  ev.outcome = "failure";
  ev.code = std::string(ErrorCodeName(code));
  ev.principal_id = principal_id;
  ev.credential_id = credential_id;
  ev.kind = "security_key";
  ev.action = "pam:" + service;
  (void)store_->AppendAudit(ev);
}

Result<size_t> PamFidoStore::Enroll(const std::string& user, const std::string& rp_id,
                                    const webauthn::VerifiedRegistration& reg) {
  const int64_t now = Now();
  auto enrol_event = [&](const char* what, const std::string& principal_id) {
    AuditEvent ev;
    ev.time = now;
    ev.event = what;
    ev.outcome = "success";
    ev.principal_id = principal_id;
    ev.action = "pam:enroll";
    return ev;
  };
  auto principal = store_->FindPrincipalByName(user);
  if (!principal && principal.error().code != ErrorCode::kNotFound) return Fail(principal.error());
  if (!principal) {
    authenticator::Principal p;
    KW_ASSIGN_OR_RETURN(Bytes id, RandomBytes(16));
    p.id = "p_" + HexEncode(id);
    KW_ASSIGN_OR_RETURN(p.user_handle, RandomBytes(32));
    p.name = user;
    p.display_name = user;
    p.created_at = now;
    AuditEvent ev = enrol_event("principal_created", p.id);
    KW_TRY(store_->CreatePrincipal(p, &ev));
    principal = p;
  }
  authenticator::Credential c;
  c.id = reg.credential_id;
  c.principal_id = principal->id;
  c.kind = CredentialKind::kSecurityKey;
  c.public_key = reg.credential_public_key;
  c.alg = reg.alg;
  c.sign_count = reg.sign_count;
  c.aaguid = reg.aaguid;
  c.attestation_fmt = reg.fmt;
  c.attestation_type = std::string(webauthn::AttestationTypeName(reg.attestation_type));
  c.trust_status = "unverified";
  c.transports = reg.transports;
  c.backup_eligible = reg.flags.backup_eligible;
  c.backup_state = reg.flags.backup_state;
  c.user_verified_at_registration = reg.flags.user_verified;
  c.created_at = now;
  c.nickname = rp_id;
  AuditEvent ev = enrol_event("registration", principal->id);
  ev.credential_id = c.id;
  ev.kind = "security_key";
  KW_TRY(store_->AddCredential(c, &ev));
  KW_ASSIGN_OR_RETURN(auto all, store_->ListCredentials(principal->id));
  size_t n = 0;
  for (const auto& x : all) n += (x.kind == CredentialKind::kSecurityKey && x.nickname == rp_id);
  return n;
}

}  // namespace keyward::pam
