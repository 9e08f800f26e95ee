// Keeps the FIDO MDS3 BLOB current in the background (FIDO MDS3 §3.1.6: a relying party
// "SHOULD" fetch the BLOB again at nextUpdate).
//
// One thread per refresher. It serves the last good copy at all times: at start the stored copy
// (MdsFetchOptions::store_path) when there is one, afterwards each BLOB that downloaded and
// verified (mds_fetch.h: rollback refused, CRLs checked, stored atomically). Schedule:
//  - the first attempt at start (Options::fetch_at_start) or when the stored copy is due;
//  - after a success, at the BLOB's nextUpdate (00:00 UTC of that date), but not sooner than
//    `min_interval_s` and not later than `max_interval_s` after the attempt;
//  - after a failure, again after a back-off: initial_backoff_s doubling per consecutive failure
//    up to max_backoff_s (bounded retries: at most one attempt per max_backoff_s while the
//    source stays down), never later than the regular schedule.
// A failure never drops the copy being served (a stale copy is then reported stale by trust
// evaluation, trust_store.h). Stop() (and the destructor) wakes the thread through a condition
// variable and joins it; an attempt in flight ends within its HTTP timeouts.
// Current() takes no mutex: the copy being served is an atomically swapped shared_ptr, so many
// verifying threads can share one refresher (keyward serve's workers do).
#ifndef KEYWARD_ATTESTATION_MDS_REFRESHER_H_
#define KEYWARD_ATTESTATION_MDS_REFRESHER_H_

#include <atomic>
#include <condition_variable>
#include <functional>
#include <memory>
#include <mutex>
#include <optional>
#include <thread>

#include "attestation/mds_fetch.h"

namespace keyward::attestation {

class MdsRefresher {
 public:
  struct Options {
    MdsFetchOptions fetch;  // url, store_path, roots, http; verify_time is taken from `clock`
    std::function<int64_t()> clock;  // Unix seconds; default: the wall clock
    bool fetch_at_start = true;
    int64_t min_interval_s = 3600;
    int64_t max_interval_s = 7 * 86400;
    int64_t initial_backoff_s = 60;
    int64_t max_backoff_s = 3600;
  };

  struct Status {
    uint64_t attempts = 0;
    uint64_t successes = 0;
    uint64_t failures = 0;  // consecutive failures are in consecutive_failures
    uint64_t consecutive_failures = 0;
    // Unix seconds when the copy being served was stored: the store file's modification time
    // for the copy loaded at start, else the attempt that downloaded it (0: none). A download
    // identical to the stored copy does not change it.
    int64_t copy_stored = 0;
    int64_t last_attempt = 0;         // Unix seconds, 0: never
    int64_t last_success = 0;         // Unix seconds, 0: never
    std::optional<Error> last_error;  // of the latest attempt, when it failed
    int64_t serial = 0;               // `no` of the copy being served (0: none)
    std::string next_update;          // its nextUpdate
    int64_t next_attempt = 0;         // Unix seconds
  };

  // Loads the stored copy (a corrupt one is reported in last_error and not served) and starts
  // the thread. kInvalidArgument without a store path.
  static Result<std::unique_ptr<MdsRefresher>> Start(Options options);
  ~MdsRefresher();
  MdsRefresher(const MdsRefresher&) = delete;
  MdsRefresher& operator=(const MdsRefresher&) = delete;

  void Stop();
  // Wakes the thread for an attempt now (operators, tests).
  void RefreshNow();
  // Waits (bounded by `timeout_ms`) until at least `n` attempts have finished; true if they have.
  bool WaitForAttempts(uint64_t n, int64_t timeout_ms);

  // The copy being served (null when there is none yet). Keep the pointer for the duration of a
  // verification; the refresher may swap in a newer copy meanwhile.
  std::shared_ptr<const MetadataBlob> Current() const;
  Status status() const;
  // Prometheus text lines (keyward_mds_*): last success time and its age, age of the served
  // copy (since it was stored), seconds until its nextUpdate, serial, attempts, successes,
  // failures, 1 for the last error's code.
  std::string MetricsText() const;

 private:
  explicit MdsRefresher(Options options);
  void Run();
  int64_t Now() const;

  Options options_;
  mutable std::mutex mu_;
  std::condition_variable cv_;
  bool stop_ = false;
  bool wake_ = false;
  std::atomic<std::shared_ptr<const MetadataBlob>> current_;  // written under mu_
  Status status_;
  std::thread thread_;
};

}  // namespace keyward::attestation

#endif  // KEYWARD_ATTESTATION_MDS_REFRESHER_H_
