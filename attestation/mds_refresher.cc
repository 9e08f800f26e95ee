#include "attestation/mds_refresher.h"

#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>

namespace keyward::attestation {

MdsRefresher::MdsRefresher(Options options) : options_(std::move(options)) {}

Result<std::unique_ptr<MdsRefresher>> MdsRefresher::Start(Options options) {
  if (options.fetch.store_path.empty()) {
    return Fail(ErrorCode::kInvalidArgument, "MDS refresher: no store path");
  }
  std::unique_ptr<MdsRefresher> r(new MdsRefresher(std::move(options)));
  int64_t now = r->Now();
  r->status_.next_attempt = now;
  if (access(r->options_.fetch.store_path.c_str(), F_OK) == 0) {
    auto stored = MetadataBlob::LoadStored(r->options_.fetch.store_path);
    if (stored) {
      auto blob = std::make_shared<const MetadataBlob>(std::move(*stored));
      r->status_.serial = blob->serial();
      r->status_.next_update = blob->next_update();
      struct stat st {};
      if (stat(r->options_.fetch.store_path.c_str(), &st) == 0) {
        r->status_.copy_stored = static_cast<int64_t>(st.st_mtime);
      }
      if (!r->options_.fetch_at_start) {
        r->status_.next_attempt = std::max(now, blob->next_update_time());
      }
      r->current_.store(std::move(blob), std::memory_order_release);
    } else {
      r->status_.last_error = stored.error();
    }
  }
  r->thread_ = std::thread([p = r.get()] { p->Run(); });
  return r;
}

MdsRefresher::~MdsRefresher() { Stop(); }

void MdsRefresher::Stop() {
  {
    std::lock_guard<std::mutex> lock(mu_);
    stop_ = true;
  }
  cv_.notify_all();
  if (thread_.joinable()) thread_.join();
}

void MdsRefresher::RefreshNow() {
  {
    std::lock_guard<std::mutex> lock(mu_);
    wake_ = true;
  }
  cv_.notify_all();
}

bool MdsRefresher::WaitForAttempts(uint64_t n, int64_t timeout_ms) {
  std::unique_lock<std::mutex> lock(mu_);
  return cv_.wait_for(lock, std::chrono::milliseconds(timeout_ms),
                      [&] { return status_.attempts >= n; });
}

std::shared_ptr<const MetadataBlob> MdsRefresher::Current() const {
  return current_.load(std::memory_order_acquire);
}

MdsRefresher::Status MdsRefresher::status() const {
  std::lock_guard<std::mutex> lock(mu_);
  return status_;
}

int64_t MdsRefresher::Now() const { return options_.clock ? options_.clock() : UnixNow(); }

std::string MdsRefresher::MetricsText() const {
  Status s = status();
  int64_t now = Now();
  std::string out;
  auto line = [&](const std::string& name, const std::string& help, int64_t v) {
    out += "# HELP " + name + " " + help + "\n# TYPE " + name + " gauge\n" + name + " " +
           std::to_string(v) + "\n";
  };
  line("keyward_mds_last_success_timestamp_seconds",
       "Unix time of the last successful MDS BLOB refresh (0: never)", s.last_success);
  line("keyward_mds_last_success_age_seconds",
       "seconds since the last successful MDS BLOB refresh (-1: never)",
       s.last_success ? now - s.last_success : -1);
  line("keyward_mds_serial", "no of the MDS BLOB being served (0: none)", s.serial);
  line("keyward_mds_blob_age_seconds",
       "seconds since the MDS BLOB being served was stored (-1: none served)",
       s.copy_stored ? now - s.copy_stored : -1);
  if (auto blob = Current()) {
    line("keyward_mds_next_update_seconds",
         "seconds until the nextUpdate of the MDS BLOB being served (negative: past)",
         blob->next_update_time() - now);
  }
  line("keyward_mds_refresh_attempts", "MDS refresh attempts since start",
       static_cast<int64_t>(s.attempts));
  line("keyward_mds_refresh_successes", "successful MDS refresh attempts since start",
       static_cast<int64_t>(s.successes));
  line("keyward_mds_refresh_failures", "failed MDS refresh attempts since start",
       static_cast<int64_t>(s.failures));
  line("keyward_mds_consecutive_failures", "MDS refresh failures since the last success",
       static_cast<int64_t>(s.consecutive_failures));
  if (s.last_error) {
    out +=
        "# HELP keyward_mds_last_error 1 for the error code of the last failed attempt\n"
        "# TYPE keyward_mds_last_error gauge\nkeyward_mds_last_error{code=\"" +
        std::string(ErrorCodeName(s.last_error->code)) + "\"} 1\n";
  }
  return out;
}

void MdsRefresher::Run() {
  std::unique_lock<std::mutex> lock(mu_);
  for (;;) {
    // Sleep until the next attempt is due, a wake-up, or stop. The clock may be injected, so
    // wake at least once a minute to re-read it.
    while (!stop_ && !wake_ && Now() < status_.next_attempt) {
      int64_t wait_s = std::clamp<int64_t>(status_.next_attempt - Now(), 1, 60);
      cv_.wait_for(lock, std::chrono::seconds(wait_s));
    }
    if (stop_) return;
    wake_ = false;
    MdsFetchOptions fetch = options_.fetch;
    lock.unlock();
    int64_t started = Now();
    fetch.verify_time = started;
    auto result = FetchMetadata(fetch);
    lock.lock();
    ++status_.attempts;
    status_.last_attempt = started;
    if (result) {
      std::shared_ptr<const MetadataBlob> blob = result->blob;
      if (!result->unchanged || status_.copy_stored == 0) status_.copy_stored = started;
      status_.serial = blob->serial();
      status_.next_update = blob->next_update();
      status_.last_success = started;
      status_.last_error.reset();
      status_.consecutive_failures = 0;
      ++status_.successes;
      status_.next_attempt = std::clamp(blob->next_update_time(), started + options_.min_interval_s,
                                        started + options_.max_interval_s);
      current_.store(std::move(blob), std::memory_order_release);
    } else {
      status_.last_error = result.error();
      ++status_.failures;
      ++status_.consecutive_failures;
      int64_t backoff = options_.initial_backoff_s;
      for (uint64_t i = 1; i < status_.consecutive_failures && backoff < options_.max_backoff_s;
           ++i) {
        backoff *= 2;
      }
      backoff = std::min(backoff, options_.max_backoff_s);
      status_.next_attempt = started + backoff;
    }
    cv_.notify_all();
  }
}

}  // namespace keyward::attestation
