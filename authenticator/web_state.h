// Web state a front end shares between its nodes through the credential store: small, expiring
// records (keyward serve: browser sessions by cookie value, pending page ceremonies by ceremony
// id, the owner of a pending sign-up by principal id). Every node on a shared store (PostgreSQL)
// sees them and a restart keeps them.
//
// The store never holds the caller's secret: a record's key is
// SHA-256("keyward-web-state" 0x00 kind 0x00 token). Take is one DELETE … RETURNING, so of several
// nodes taking one token at once exactly one gets it. Expired records are invisible and swept.
//
// Internal to keyward (serve links it statically); it opens its own connection (SQLite) or pool
// (PostgreSQL) on the store the Authenticator uses.
#ifndef KEYWARD_AUTHENTICATOR_WEB_STATE_H_
#define KEYWARD_AUTHENTICATOR_WEB_STATE_H_

#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "authenticator/credential_store.h"
#include "keyward/authenticator.h"
#include "keyward/result.h"

namespace keyward::authenticator {

struct WebState {
  std::string kind;
  std::string data;
  int64_t expires_at = 0;  // Unix seconds
};

class WebStateStore {
 public:
  // The store of `config` (store_url, else db_path; its durability; a pool of `pool_size` on
  // PostgreSQL). The schema is migrated as by Authenticator::Open.
  static Result<std::unique_ptr<WebStateStore>> Open(const AuthenticatorConfig& config,
                                                     int pool_size = 2);
  // Over an open store (tests).
  WebStateStore(std::unique_ptr<CredentialStore> store, std::function<int64_t()> clock);

  // kind: 1-32 of [a-z_]; token: 1-512 bytes; data: at most 64 KiB; kInvalidArgument otherwise.
  // Inserts or replaces.
  Result<void> Put(std::string_view kind, std::string_view token, std::string_view data,
                   int64_t expires_at);
  // Puts unless a live record holds (kind, token), and returns the record that holds it: every
  // node racing to create one value (a secret shared by all nodes) ends up with the same one.
  Result<WebState> PutIfAbsent(std::string_view kind, std::string_view token, std::string_view data,
                               int64_t expires_at);
  // kNotFound when there is none (of this kind) or it expired.
  Result<WebState> Get(std::string_view kind, std::string_view token);
  // Reads and deletes in one statement: exactly one of several concurrent takers gets it.
  Result<WebState> Take(std::string_view kind, std::string_view token);
  Result<void> Delete(std::string_view kind, std::string_view token);
  // Deletes up to `limit` expired records and returns them, each to exactly one caller.
  Result<std::vector<WebState>> Sweep(size_t limit);
  // Unix seconds (the configured clock, else the wall clock).
  int64_t Now() const;

  // The store key of (kind, token), or kInvalidArgument.
  static Result<Bytes> Key(std::string_view kind, std::string_view token);

 private:
  std::unique_ptr<CredentialStore> store_;
  std::function<int64_t()> clock_;
};

}  // namespace keyward::authenticator

#endif  // KEYWARD_AUTHENTICATOR_WEB_STATE_H_
