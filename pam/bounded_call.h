// A bound on calls that cannot be interrupted (a PKCS#11 module stuck in C_Login or C_Sign, a
// reader that never answers): the call runs on its own thread; when the deadline passes the
// caller gets kTimeout and the thread is left to finish on its own. Its state is shared, so
// nothing it touches goes away under it, and this shared object is pinned in memory
// (RTLD_NODELETE) so a PAM application's pam_end → dlclose cannot unmap its code.
#ifndef KEYWARD_PAM_BOUNDED_CALL_H_
#define KEYWARD_PAM_BOUNDED_CALL_H_

#include <chrono>
#include <condition_variable>
#include <functional>
#include <memory>
#include <mutex>
#include <optional>
#include <thread>

#include "keyward/result.h"

namespace keyward::pam {

// Keeps the shared object that holds this code loaded until the process exits.
void PinThisModule();

template <typename T>
Result<T> BoundedCall(std::function<Result<T>()> fn, std::chrono::milliseconds limit) {
  struct State {
    std::mutex mu;
    std::condition_variable cv;
    std::optional<Result<T>> result;
  };
  auto state = std::make_shared<State>();
  std::thread worker([state, fn = std::move(fn)]() mutable {
    Result<T> r = fn();
    std::lock_guard<std::mutex> lock(state->mu);
    state->result.emplace(std::move(r));
    state->cv.notify_all();
  });
  std::unique_lock<std::mutex> lock(state->mu);
  if (!state->cv.wait_for(lock, limit, [&] { return state->result.has_value(); })) {
    lock.unlock();
    PinThisModule();
    worker.detach();
    return Fail(ErrorCode::kTimeout, "the operation did not finish within its bound");
  }
  Result<T> r = std::move(*state->result);
  lock.unlock();
  worker.join();
  return r;
}

}  // namespace keyward::pam

#endif  // KEYWARD_PAM_BOUNDED_CALL_H_
