// Helpers shared by the authenticator tests: temporary directories and credentials.
#ifndef KEYWARD_TESTS_UNIT_AUTHENTICATOR_TEST_UTIL_H_
#define KEYWARD_TESTS_UNIT_AUTHENTICATOR_TEST_UTIL_H_

#include <openssl/x509.h>

#include <string>
#include <vector>

#include "core/json.h"
#include "keyward/authenticator.h"

namespace keyward::authenticator::testing {

// A fresh directory under $TMPDIR, removed with its contents on destruction.
class TempDir {
 public:
  TempDir();
  ~TempDir();
  TempDir(const TempDir&) = delete;
  TempDir& operator=(const TempDir&) = delete;
  const std::string& path() const { return path_; }
  std::string File(const std::string& name) const { return path_ + "/" + name; }

 private:
  std::string path_;
};

Principal MakePrincipal(const std::string& name);
// A credential whose every field is derived from `n`, so a torn record is detectable.
Credential MakeCredential(const std::string& principal_id, uint32_t n);
bool CredentialMatchesSeed(const Credential& c, uint32_t n);

// A DER CRL (v2) issued by `issuer` (certificate + key) revoking `revoked` (certificates of that
// issuer), valid from this_update to next_update (Unix seconds). Aborts on failure (tests only).
Bytes MakeCrl(X509* issuer, EVP_PKEY* issuer_key, const std::vector<X509*>& revoked,
              int64_t this_update, int64_t next_update);

// Reads a whole file (empty when missing).
std::string ReadAll(const std::string& path);

// Runs this build's keyward binary with `args` (shell words; stderr discarded).
struct CliRun {
  int exit_code = -1;
  std::string out;  // stdout
};
CliRun Keyward(const std::string& args);
// `text` as JSON; a test failure (and an empty object) when it is not.
Json MustJson(const std::string& text);

}  // namespace keyward::authenticator::testing

#endif  // KEYWARD_TESTS_UNIT_AUTHENTICATOR_TEST_UTIL_H_
