#include "authenticator/web_state.h"

#include <algorithm>
#include <ctime>

#include "authenticator/store_url.h"
#include "core/hash.h"

namespace keyward::authenticator {

Result<std::unique_ptr<WebStateStore>> WebStateStore::Open(const AuthenticatorConfig& config,
                                                           int pool_size) {
  StoreUrl url;
  if (config.store_url.empty()) {
    url.target = config.db_path;  // a plain SQLite path, as Authenticator::Open
  } else {
    KW_ASSIGN_OR_RETURN(url, ParseStoreUrl(config.store_url));
  }
  StoreOpenOptions options;
  options.relaxed_durability = config.store_relaxed_durability;
  options.pool_size = pool_size;
  KW_ASSIGN_OR_RETURN(auto store, OpenCredentialStore(url, options));
  return std::make_unique<WebStateStore>(std::move(store), config.clock);
}

WebStateStore::WebStateStore(std::unique_ptr<CredentialStore> store, std::function<int64_t()> clock)
    : store_(std::move(store)), clock_(std::move(clock)) {}

int64_t WebStateStore::Now() const {
  return clock_ ? clock_() : static_cast<int64_t>(std::time(nullptr));
}

Result<Bytes> WebStateStore::Key(std::string_view kind, std::string_view token) {
  if (kind.empty() || kind.size() > 32 || !std::all_of(kind.begin(), kind.end(), [](char c) {
        return (c >= 'a' && c <= 'z') || c == '_';
      })) {
    return Fail(ErrorCode::kInvalidArgument, "web state kind must be 1-32 of [a-z_]");
  }
  if (token.empty() || token.size() > 512) {
    return Fail(ErrorCode::kInvalidArgument, "web state token must be 1-512 bytes");
  }
  static constexpr uint8_t kZero = 0;
  Sha256Digest d = Sha256({AsBytes("keyward-web-state"), ByteSpan(&kZero, 1), AsBytes(kind),
                           ByteSpan(&kZero, 1), AsBytes(token)});
  return Bytes(d.begin(), d.end());
}

Result<void> WebStateStore::Put(std::string_view kind, std::string_view token,
                                std::string_view data, int64_t expires_at) {
  KW_ASSIGN_OR_RETURN(Bytes key, Key(kind, token));
  if (data.size() > 65536) return Fail(ErrorCode::kInvalidArgument, "web state data over 64 KiB");
  return store_->PutWebState(
      WebStateEntry{std::move(key), std::string(kind), std::string(data), expires_at});
}

Result<WebState> WebStateStore::PutIfAbsent(std::string_view kind, std::string_view token,
                                            std::string_view data, int64_t expires_at) {
  KW_ASSIGN_OR_RETURN(Bytes key, Key(kind, token));
  if (data.size() > 65536) return Fail(ErrorCode::kInvalidArgument, "web state data over 64 KiB");
  KW_ASSIGN_OR_RETURN(
      WebStateEntry e,
      store_->PutWebStateIfAbsent(
          WebStateEntry{std::move(key), std::string(kind), std::string(data), expires_at}, Now()));
  // Keys are kind-separated hashes, so the holder has this kind.
  return WebState{std::move(e.kind), std::move(e.data), e.expires_at};
}

Result<WebState> WebStateStore::Get(std::string_view kind, std::string_view token) {
  KW_ASSIGN_OR_RETURN(Bytes key, Key(kind, token));
  KW_ASSIGN_OR_RETURN(WebStateEntry e, store_->GetWebState(key, Now()));
  if (e.kind != kind) return Fail(ErrorCode::kNotFound, "no such web state");
  return WebState{std::move(e.kind), std::move(e.data), e.expires_at};
}

Result<WebState> WebStateStore::Take(std::string_view kind, std::string_view token) {
  KW_ASSIGN_OR_RETURN(Bytes key, Key(kind, token));
  KW_ASSIGN_OR_RETURN(WebStateEntry e, store_->TakeWebState(key, Now()));
  if (e.kind != kind) return Fail(ErrorCode::kNotFound, "no such web state");
  return WebState{std::move(e.kind), std::move(e.data), e.expires_at};
}

Result<void> WebStateStore::Delete(std::string_view kind, std::string_view token) {
  KW_ASSIGN_OR_RETURN(Bytes key, Key(kind, token));
  return store_->DeleteWebState(key);
}

Result<std::vector<WebState>> WebStateStore::Sweep(size_t limit) {
  KW_ASSIGN_OR_RETURN(auto entries, store_->SweepWebState(Now(), limit));
  std::vector<WebState> out;
  out.reserve(entries.size());
  for (auto& e : entries) {
    out.push_back(WebState{std::move(e.kind), std::move(e.data), e.expires_at});
  }
  return out;
}

}  // namespace keyward::authenticator
