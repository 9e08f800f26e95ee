// Store URLs (keyward/authenticator.h StoreUrl) and opening the backend they name.
#ifndef KEYWARD_AUTHENTICATOR_STORE_URL_H_
#define KEYWARD_AUTHENTICATOR_STORE_URL_H_

#include <memory>
#include <string>

#include "authenticator/credential_store.h"
#include "keyward/authenticator.h"

namespace keyward::authenticator {

struct StoreOpenOptions {
  bool create = true;               // SQLite: create a missing file
  bool relaxed_durability = false;  // SQLite: synchronous=NORMAL
  int pool_size = 4;                // PostgreSQL: connections
};

// Opens the store and brings its schema to the current version. PostgreSQL needs a build with
// libpq (kNotSupported otherwise).
Result<std::unique_ptr<CredentialStore>> OpenCredentialStore(const StoreUrl& url,
                                                             const StoreOpenOptions& options);

}  // namespace keyward::authenticator

#endif  // KEYWARD_AUTHENTICATOR_STORE_URL_H_
