// Rate limits for the open internet: token buckets per key (client IP) and a progressive
// back-off per key (account, IP) after repeated failed logins. Thread-safe; memory is bounded
// (entries idle for longer than their state matters are dropped when the table grows).
#ifndef KEYWARD_SERVE_RATE_LIMITER_H_
#define KEYWARD_SERVE_RATE_LIMITER_H_

#include <cstdint>
#include <mutex>
#include <string>
#include <unordered_map>

namespace keyward::serve {

class TokenBuckets {
 public:
  TokenBuckets(double rate_per_second, double burst, size_t max_keys = 100000)
      : rate_(rate_per_second), burst_(burst), max_keys_(max_keys) {}
  // Takes one token for `key` at `now` (seconds, monotonic). False: empty; *retry_after_s is when
  // the next token is there (whole seconds, at least 1).
  bool Take(const std::string& key, double now, uint32_t* retry_after_s);

 private:
  struct Bucket {
    double tokens;
    double updated;
  };
  std::mutex mu_;
  std::unordered_map<std::string, Bucket> buckets_;
  double rate_;
  double burst_;
  size_t max_keys_;
};

// After `free_failures` failures in a row a key is locked for base·2^(n−free_failures) seconds
// (capped at max), from the last failure. A success clears the key.
class FailureBackoff {
 public:
  FailureBackoff(uint32_t free_failures, uint32_t base_s, uint32_t max_s, size_t max_keys = 100000)
      : free_(free_failures), base_(base_s), max_(max_s), max_keys_(max_keys) {}
  // Seconds the key stays locked at `now` (0: not locked).
  uint32_t LockedFor(const std::string& key, double now);
  void Failure(const std::string& key, double now);
  void Success(const std::string& key);

 private:
  struct Entry {
    uint32_t failures = 0;
    double until = 0;
    double last = 0;
  };
  std::mutex mu_;
  std::unordered_map<std::string, Entry> entries_;
  uint32_t free_, base_, max_;
  size_t max_keys_;
};

double MonotonicSeconds();

}  // namespace keyward::serve

#endif  // KEYWARD_SERVE_RATE_LIMITER_H_
