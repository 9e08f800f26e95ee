#include "pcsc/monitor.h"

#include <PCSC/winscard.h>

#include <set>
#include <thread>

#include "pcsc/scard_error.h"

namespace keyward::pcsc {

std::string_view EventTypeName(EventType t) {
  switch (t) {
    case EventType::kReaderAdded: return "reader_added";
    case EventType::kReaderRemoved: return "reader_removed";
    case EventType::kCardInserted: return "card_inserted";
    case EventType::kCardRemoved: return "card_removed";
  }
  return "unknown";
}

namespace {
constexpr char kPnpName[] = "\\\\?PnP?\\Notification";

bool Present(DWORD s) { return (s & SCARD_STATE_PRESENT) && !(s & SCARD_STATE_MUTE); }
}  // namespace

Result<std::unique_ptr<Monitor>> Monitor::Create() {
  KW_ASSIGN_OR_RETURN(auto ctx, Context::Establish());
  return std::unique_ptr<Monitor>(new Monitor(std::move(ctx)));
}

Monitor::~Monitor() = default;

void Monitor::Cancel() {
  cancelled_ = true;
  (void)context_->Cancel();
}

Result<void> Monitor::Refresh() {
  KW_ASSIGN_OR_RETURN(auto names, context_->ListReaders());
  std::set<std::string> now(names.begin(), names.end());
  for (auto it = readers_.begin(); it != readers_.end();) {
    if (!now.count(it->first)) {
      if (it->second.present) pending_.push_back({EventType::kCardRemoved, it->first, {}});
      pending_.push_back({EventType::kReaderRemoved, it->first, {}});
      it = readers_.erase(it);
    } else {
      ++it;
    }
  }
  for (const auto& n : names) {
    if (!readers_.count(n)) {
      readers_[n] = Tracked{};
      if (initialized_) pending_.push_back({EventType::kReaderAdded, n, {}});
    }
  }
  return Ok();
}

Result<std::vector<ReaderState>> Monitor::Snapshot() {
  KW_ASSIGN_OR_RETURN(auto names, context_->ListReaders());
  std::vector<ReaderState> out;
  if (names.empty()) return out;
  std::vector<SCARD_READERSTATE> rs(names.size());
  for (size_t i = 0; i < names.size(); ++i) {
    rs[i].szReader = names[i].c_str();
    rs[i].dwCurrentState = SCARD_STATE_UNAWARE;
  }
  LONG rv = SCardGetStatusChange(context_->handle(), 0, rs.data(), static_cast<DWORD>(rs.size()));
  if (rv != SCARD_S_SUCCESS && rv != SCARD_E_TIMEOUT) {
    return Fail(ScardError(rv, "SCardGetStatusChange"));
  }
  for (size_t i = 0; i < names.size(); ++i) {
    ReaderState s;
    s.reader = names[i];
    s.card_present = Present(rs[i].dwEventState);
    s.exclusive = rs[i].dwEventState & SCARD_STATE_EXCLUSIVE;
    s.in_use = rs[i].dwEventState & SCARD_STATE_INUSE;
    if (s.card_present) s.atr.assign(rs[i].rgbAtr, rs[i].rgbAtr + rs[i].cbAtr);
    out.push_back(std::move(s));
  }
  return out;
}

Result<void> Monitor::Poll(std::chrono::milliseconds timeout) {
  if (!initialized_) {
    KW_TRY(Refresh());
    initialized_ = true;
    // Baseline: cards already present are state, not events.
    for (auto& [n, t] : readers_) {
      SCARD_READERSTATE one{};
      one.szReader = n.c_str();
      one.dwCurrentState = SCARD_STATE_UNAWARE;
      if (SCardGetStatusChange(context_->handle(), 0, &one, 1) == SCARD_S_SUCCESS) {
        t.state = one.dwEventState & ~static_cast<DWORD>(SCARD_STATE_CHANGED);
        t.present = Present(one.dwEventState);
      }
    }
    SCARD_READERSTATE pnp{};
    pnp.szReader = kPnpName;
    pnp.dwCurrentState = SCARD_STATE_UNAWARE;
    if (SCardGetStatusChange(context_->handle(), 0, &pnp, 1) == SCARD_S_SUCCESS) {
      pnp_state_ = pnp.dwEventState & ~static_cast<DWORD>(SCARD_STATE_CHANGED);
    }
  }
  std::vector<std::string> names;
  for (const auto& [n, t] : readers_) names.push_back(n);
  std::vector<SCARD_READERSTATE> rs(names.size() + 1);
  for (size_t i = 0; i < names.size(); ++i) {
    rs[i].szReader = names[i].c_str();
    rs[i].dwCurrentState = readers_[names[i]].state;
  }
  rs.back().szReader = kPnpName;
  rs.back().dwCurrentState = pnp_state_;
  LONG rv = SCardGetStatusChange(context_->handle(), static_cast<DWORD>(timeout.count()),
                                 rs.data(), static_cast<DWORD>(rs.size()));
  if (rv == SCARD_E_TIMEOUT) return Fail(ScardError(rv, "waiting for a reader or card event"));
  if (rv == SCARD_E_CANCELLED || cancelled_) {
    return Fail(ErrorCode::kPcscCancelled, "monitor cancelled", static_cast<uint32_t>(rv));
  }
  if (IsServiceLost(rv) || rv == SCARD_E_NO_READERS_AVAILABLE) {
    // pcscd went away: re-establish once; if it is still down, report it.
    KW_TRY(context_->Reestablish());
    KW_TRY(Refresh());
    for (auto& [n, t] : readers_) t.state = SCARD_STATE_UNAWARE;
    pnp_state_ = 0;
    return Ok();
  }
  if (rv == SCARD_E_UNKNOWN_READER) {
    KW_TRY(Refresh());
    return Ok();
  }
  if (rv != SCARD_S_SUCCESS) return Fail(ScardError(rv, "SCardGetStatusChange"));
  bool pnp_changed = rs.back().dwEventState & SCARD_STATE_CHANGED;
  pnp_state_ = rs.back().dwEventState & ~static_cast<DWORD>(SCARD_STATE_CHANGED);
  for (size_t i = 0; i < names.size(); ++i) {
    Tracked& t = readers_[names[i]];
    DWORD ev = rs[i].dwEventState;
    if (ev & (SCARD_STATE_UNKNOWN | SCARD_STATE_IGNORE)) {
      pnp_changed = true;
      continue;
    }
    bool now = Present(ev);
    bool counter_moved = (ev >> 16) != (t.state >> 16) && t.state != SCARD_STATE_UNAWARE;
    if (t.present && (!now || counter_moved)) {
      pending_.push_back({EventType::kCardRemoved, names[i], {}});
      t.present = false;
    }
    if (now && !t.present) {
      pending_.push_back(
          {EventType::kCardInserted, names[i], Bytes(rs[i].rgbAtr, rs[i].rgbAtr + rs[i].cbAtr)});
      t.present = true;
    }
    t.state = ev & ~static_cast<DWORD>(SCARD_STATE_CHANGED);
  }
  if (pnp_changed) KW_TRY(Refresh());
  return Ok();
}

Result<Event> Monitor::Wait(std::chrono::milliseconds timeout) {
  auto deadline = std::chrono::steady_clock::now() + timeout;
  while (pending_.empty()) {
    if (cancelled_.exchange(false)) return Fail(ErrorCode::kPcscCancelled, "monitor cancelled");
    auto left = std::chrono::duration_cast<std::chrono::milliseconds>(
        deadline - std::chrono::steady_clock::now());
    if (left.count() <= 0) return Fail(ErrorCode::kPcscTimeout, "no event before the timeout");
    auto r = Poll(left);
    if (!r) {
      if (r.error().code == ErrorCode::kPcscCancelled) cancelled_ = false;
      if (r.error().code == ErrorCode::kPcscNoService) {
        // pcscd is down: keep trying until the deadline (it may be restarting).
        std::this_thread::sleep_for(std::chrono::milliseconds(100));
        if (std::chrono::steady_clock::now() < deadline) continue;
      }
      return Fail(std::move(r).error());
    }
  }
  Event e = std::move(pending_.front());
  pending_.pop_front();
  return e;
}

Result<void> Monitor::Run(const std::function<void(const Event&)>& on_event) {
  while (true) {
    auto e = Wait(std::chrono::hours(1));
    if (!e) {
      if (e.error().code == ErrorCode::kPcscTimeout) continue;
      if (e.error().code == ErrorCode::kPcscCancelled) return Ok();
      return Fail(std::move(e).error());
    }
    on_event(*e);
  }
}

}  // namespace keyward::pcsc
