// API keys for the integration API /v1: only their SHA-256 is stored.
//
// A key is "kw_" + base64url(32 random bytes) (256 bits of entropy, so an unsalted SHA-256 is
// enough: there is nothing to guess). The keys file holds one key per line:
//   NAME sha256:HEX64          (NAME: 1-64 of [A-Za-z0-9._-]; '#' starts a comment line)
// A request presents `Authorization: Bearer kw_...`; the presented key's SHA-256 is compared in
// constant time against EVERY entry (no early exit), and the matching NAME is the caller.
#ifndef KEYWARD_SERVE_API_KEYS_H_
#define KEYWARD_SERVE_API_KEYS_H_

#include <array>
#include <optional>
#include <string>
#include <vector>

#include "keyward/result.h"

namespace keyward::serve {

class ApiKeys {
 public:
  // kConfigInvalid naming the line for a malformed file.
  static Result<ApiKeys> Load(const std::string& path);
  static Result<ApiKeys> Parse(std::string_view text);
  // The name of the key, or nullopt.
  std::optional<std::string> Check(std::string_view presented_key) const;
  size_t size() const { return entries_.size(); }

  // A new key and its keys-file line ("NAME sha256:HEX").
  struct Minted {
    std::string key;
    std::string line;
  };
  static Result<Minted> Mint(std::string_view name);

 private:
  struct Entry {
    std::string name;
    std::array<uint8_t, 32> hash;
  };
  std::vector<Entry> entries_;
};

}  // namespace keyward::serve

#endif  // KEYWARD_SERVE_API_KEYS_H_
