// An established PC/SC resource-manager context (PC/SC Part 5 SCardEstablishContext /
// SCardReleaseContext, pcsc-lite) and reader listing.
//
// Invariants: a Context that exists holds a valid handle (re-established at most once per call
// when pcscd restarted: SCARD_E_NO_SERVICE / SCARD_E_INVALID_HANDLE); it is released on
// destruction. One thread uses a Context at a time, except Cancel(), which any thread may call.
#ifndef KEYWARD_PCSC_CONTEXT_H_
#define KEYWARD_PCSC_CONTEXT_H_

#include <atomic>
#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "keyward/export.h"
#include "keyward/result.h"

KEYWARD_API_BEGIN

namespace keyward::pcsc {

class Context {
 public:
  // kPcscNoService when pcscd is not running.
  static Result<std::shared_ptr<Context>> Establish();
  ~Context();
  Context(const Context&) = delete;
  Context& operator=(const Context&) = delete;

  // Reader names; an empty list when there are none (not an error). Re-establishes the context
  // once if pcscd restarted since it was established.
  Result<std::vector<std::string>> ListReaders();

  // Releases the handle and establishes a new one (after pcscd restarted).
  Result<void> Reestablish();
  // Whether the handle is still valid (SCardIsValidContext).
  bool IsValid() const;
  // Cancels a blocking SCardGetStatusChange on this context (thread-safe).
  Result<void> Cancel();

  long handle() const { return handle_.load(); }
  // Incremented by every Reestablish(); connections compare it to notice a new handle.
  uint64_t generation() const { return generation_.load(); }

 private:
  explicit Context(long handle) : handle_(handle) {}
  std::atomic<long> handle_;
  std::atomic<uint64_t> generation_{0};
};

// True for the return codes that mean "this context died with pcscd" (re-establish once).
bool IsServiceLost(long rv);

}  // namespace keyward::pcsc

KEYWARD_API_END

#endif  // KEYWARD_PCSC_CONTEXT_H_
