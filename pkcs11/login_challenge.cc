#include "pkcs11/login_challenge.h"

#include "core/hash.h"

namespace keyward::pkcs11 {
namespace {

constexpr std::string_view kDomain = "keyward card-login v1";
// Records of used challenges stay this long after expiry, so a late replay is still named a
// replay; after that it is an unknown challenge, which is rejected as well.
constexpr int64_t kUsedRetention = 3600;

void AppendField(Bytes& out, ByteSpan field) {
  out.push_back(static_cast<uint8_t>(field.size() >> 8));
  out.push_back(static_cast<uint8_t>(field.size() & 0xff));
  out.insert(out.end(), field.begin(), field.end());
}

}  // namespace

Bytes LoginChallenge::SignedMessage() const {
  Bytes out(kDomain.begin(), kDomain.end());
  out.push_back(0);
  AppendField(out, AsBytes(context));
  AppendField(out, AsBytes(relying_host));
  AppendField(out, nonce);
  return out;
}

ChallengeRegistry::ChallengeRegistry(int64_t lifetime_seconds, size_t max_outstanding)
    : lifetime_(lifetime_seconds > 0 ? lifetime_seconds : 120),
      max_outstanding_(max_outstanding > 0 ? max_outstanding : 1) {}

Result<LoginChallenge> ChallengeRegistry::Issue(std::string context, std::string relying_host,
                                                int64_t now, size_t nonce_bytes) {
  if (nonce_bytes < kMinChallengeBytes || nonce_bytes > 1024) {
    return Fail(ErrorCode::kInvalidArgument, "challenge must be 32..1024 bytes");
  }
  if (context.empty() || context.size() > 0xffff || relying_host.empty() ||
      relying_host.size() > 0xffff) {
    return Fail(ErrorCode::kInvalidArgument, "context and relying host are required");
  }
  KW_ASSIGN_OR_RETURN(Bytes nonce, RandomBytes(nonce_bytes));
  LoginChallenge c{std::move(nonce), std::move(context), std::move(relying_host), now,
                   now + lifetime_};
  std::lock_guard<std::mutex> lock(mu_);
  PurgeLocked(now);
  while (records_.size() >= max_outstanding_) {
    // Drop the oldest record.
    auto oldest = records_.begin();
    for (auto it = records_.begin(); it != records_.end(); ++it) {
      if (it->second.challenge.issued_at < oldest->second.challenge.issued_at) oldest = it;
    }
    records_.erase(oldest);
  }
  records_.emplace(c.nonce, Record{c, false});
  return c;
}

Result<LoginChallenge> ChallengeRegistry::Consume(ByteSpan nonce, std::string_view expected_context,
                                                  std::string_view expected_relying_host,
                                                  int64_t now) {
  std::lock_guard<std::mutex> lock(mu_);
  auto it = records_.find(Bytes(nonce.begin(), nonce.end()));
  if (it == records_.end()) {
    return Fail(ErrorCode::kLoginChallengeInvalid, "challenge was not issued here");
  }
  Record& r = it->second;
  if (r.used) return Fail(ErrorCode::kLoginChallengeReplayed, "challenge already used");
  if (r.challenge.context != expected_context ||
      r.challenge.relying_host != expected_relying_host) {
    return Fail(ErrorCode::kLoginChallengeInvalid, "challenge issued for another purpose or host");
  }
  r.used = true;  // also when expired: it can never be used again
  if (now > r.challenge.expires_at) {
    return Fail(ErrorCode::kLoginChallengeExpired, "challenge expired");
  }
  return r.challenge;
}

void ChallengeRegistry::PurgeLocked(int64_t now) {
  for (auto it = records_.begin(); it != records_.end();) {
    const Record& r = it->second;
    int64_t keep_until = r.challenge.expires_at + (r.used ? kUsedRetention : kUsedRetention);
    if (now > keep_until) {
      it = records_.erase(it);
    } else {
      ++it;
    }
  }
}

}  // namespace keyward::pkcs11
