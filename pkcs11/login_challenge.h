// The certificate-login challenge and its single-use registry.
//
// The card never signs the bare nonce. It signs the domain-separated message
//   "keyward card-login v1" 0x00 || u16be(len) context || u16be(len) relying_host
//                                || u16be(len) nonce
// so a signature made for one purpose (context) or one relying host is useless for another, and
// the fixed prefix keeps it from colliding with any other structure keyward asks a key to sign.
//
// Invariants: a nonce is ≥ 32 random bytes; the registry hands out each challenge once and
// accepts its response once (a second Consume is kLoginChallengeReplayed, also after expiry, as
// long as the record is kept); Consume after `expires_at` is kLoginChallengeExpired; a nonce the
// registry never issued, or one presented for another context or host, is kLoginChallengeInvalid.
#ifndef KEYWARD_PKCS11_LOGIN_CHALLENGE_H_
#define KEYWARD_PKCS11_LOGIN_CHALLENGE_H_

#include <cstdint>
#include <map>
#include <mutex>
#include <string>

#include "core/bytes.h"

namespace keyward::pkcs11 {

constexpr size_t kMinChallengeBytes = 32;

struct LoginChallenge {
  Bytes nonce;
  std::string context;       // what the signature is for, e.g. "workstation-login"
  std::string relying_host;  // who asks, e.g. the host name
  int64_t issued_at = 0;
  int64_t expires_at = 0;

  // The exact bytes the card signs.
  Bytes SignedMessage() const;
};

class ChallengeRegistry {
 public:
  // `lifetime_seconds` > 0; `max_outstanding` bounds memory (oldest records dropped first).
  explicit ChallengeRegistry(int64_t lifetime_seconds = 120, size_t max_outstanding = 10000);

  Result<LoginChallenge> Issue(std::string context, std::string relying_host, int64_t now,
                               size_t nonce_bytes = kMinChallengeBytes);
  // Marks the challenge used and returns it.
  Result<LoginChallenge> Consume(ByteSpan nonce, std::string_view expected_context,
                                 std::string_view expected_relying_host, int64_t now);

 private:
  struct Record {
    LoginChallenge challenge;
    bool used = false;
  };
  void PurgeLocked(int64_t now);

  int64_t lifetime_;
  size_t max_outstanding_;
  std::mutex mu_;
  std::map<Bytes, Record> records_;
};

}  // namespace keyward::pkcs11

#endif  // KEYWARD_PKCS11_LOGIN_CHALLENGE_H_
