// Reader and card events from SCardGetStatusChange (PC/SC Part 5 §3.1.5; pcsc-lite's special
// reader name "\\?PnP?\Notification" for reader arrival/removal).
//
// A Monitor owns its own Context (SCardCancel cancels every blocking call on a context, so it
// must not be shared). Wait() blocks up to a timeout for the next event; Cancel() — from any
// thread — makes a blocked or the next Wait() return kPcscCancelled. Run() delivers events to a
// callback until cancelled. If pcscd restarts, the monitor re-establishes its context once per
// loss and reports the reader differences as events.
#ifndef KEYWARD_PCSC_MONITOR_H_
#define KEYWARD_PCSC_MONITOR_H_

#include <atomic>
#include <chrono>
#include <deque>
#include <functional>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include "keyward/bytes.h"
#include "keyward/export.h"
#include "keyward/pcsc/context.h"

KEYWARD_API_BEGIN

namespace keyward::pcsc {

enum class EventType { kReaderAdded, kReaderRemoved, kCardInserted, kCardRemoved };
std::string_view EventTypeName(EventType t);  // "reader_added", "card_inserted", ...

struct Event {
  EventType type;
  std::string reader;
  Bytes atr;  // for kCardInserted
};

struct ReaderState {
  std::string reader;
  bool card_present = false;
  bool exclusive = false;  // another connection holds the card exclusively
  bool in_use = false;
  Bytes atr;
};

class Monitor {
 public:
  static Result<std::unique_ptr<Monitor>> Create();
  ~Monitor();

  // The state of every reader now (also the baseline for events).
  Result<std::vector<ReaderState>> Snapshot();

  // The next event, or kPcscTimeout after `timeout`, or kPcscCancelled after Cancel().
  Result<Event> Wait(std::chrono::milliseconds timeout);

  // Calls `on_event` for every event until Cancel() (returns Ok) or an error.
  Result<void> Run(const std::function<void(const Event&)>& on_event);

  // Thread-safe; sticky until the next Wait()/Run() call returns.
  void Cancel();

 private:
  explicit Monitor(std::shared_ptr<Context> ctx) : context_(std::move(ctx)) {}
  struct Tracked {
    unsigned long state = 0;  // last dwEventState
    bool present = false;
  };
  Result<void> Refresh();  // re-list readers, queue added/removed events
  Result<void> Poll(std::chrono::milliseconds timeout);

  std::shared_ptr<Context> context_;
  std::map<std::string, Tracked> readers_;
  unsigned long pnp_state_ = 0;
  bool initialized_ = false;
  std::deque<Event> pending_;
  std::atomic<bool> cancelled_{false};
};

}  // namespace keyward::pcsc

KEYWARD_API_END

#endif  // KEYWARD_PCSC_MONITOR_H_
