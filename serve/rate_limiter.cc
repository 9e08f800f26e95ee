#include "serve/rate_limiter.h"

#include <algorithm>
#include <chrono>
#include <cmath>

namespace keyward::serve {

double MonotonicSeconds() {
  using namespace std::chrono;
  return duration<double>(steady_clock::now().time_since_epoch()).count();
}

bool TokenBuckets::Take(const std::string& key, double now, uint32_t* retry_after_s) {
  std::lock_guard lock(mu_);
  if (buckets_.size() >= max_keys_) {
    // Drop buckets that have refilled completely: they hold no information.
    for (auto it = buckets_.begin(); it != buckets_.end();) {
      if (it->second.tokens + (now - it->second.updated) * rate_ >= burst_) {
        it = buckets_.erase(it);
      } else {
        ++it;
      }
    }
    if (buckets_.size() >= max_keys_) buckets_.clear();  // under a flood of distinct keys
  }
  auto [it, inserted] = buckets_.try_emplace(key, Bucket{burst_, now});
  Bucket& b = it->second;
  if (!inserted) {
    b.tokens = std::min(burst_, b.tokens + (now - b.updated) * rate_);
    b.updated = now;
  }
  if (b.tokens >= 1) {
    b.tokens -= 1;
    return true;
  }
  if (retry_after_s) {
    *retry_after_s = static_cast<uint32_t>(std::max(1.0, std::ceil((1 - b.tokens) / rate_)));
  }
  return false;
}

uint32_t FailureBackoff::LockedFor(const std::string& key, double now) {
  std::lock_guard lock(mu_);
  auto it = entries_.find(key);
  if (it == entries_.end() || it->second.until <= now) return 0;
  return static_cast<uint32_t>(std::max(1.0, std::ceil(it->second.until - now)));
}

void FailureBackoff::Failure(const std::string& key, double now) {
  std::lock_guard lock(mu_);
  if (entries_.size() >= max_keys_) {
    // Entries whose lock expired long ago (a day) are forgotten first.
    for (auto it = entries_.begin(); it != entries_.end();) {
      it = (now - it->second.last > 86400) ? entries_.erase(it) : std::next(it);
    }
    if (entries_.size() >= max_keys_) entries_.erase(entries_.begin());
  }
  Entry& e = entries_[key];
  ++e.failures;
  e.last = now;
  if (e.failures >= free_) {
    uint32_t shift = std::min<uint32_t>(e.failures - free_, 20);
    double lock_s = std::min<double>(max_, static_cast<double>(base_) * (1u << shift));
    e.until = now + lock_s;
  }
}

void FailureBackoff::Success(const std::string& key) {
  std::lock_guard lock(mu_);
  entries_.erase(key);
}

}  // namespace keyward::serve
