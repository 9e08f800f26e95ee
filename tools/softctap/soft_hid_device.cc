#include "tools/softctap/soft_hid_device.h"

#include <cstring>

#include "tools/softctap/ctap_status.h"

namespace keyward::softctap {
namespace {
constexpr auto kKeepaliveInterval = std::chrono::milliseconds(100);
constexpr uint8_t kKeepaliveProcessing = 1;
constexpr uint8_t kKeepaliveUpNeeded = 2;
}  // namespace

SoftHidDevice::SoftHidDevice(SoftAuthenticator* authenticator)
    : authenticator_(authenticator), worker_([this] { Worker(); }) {}

SoftHidDevice::~SoftHidDevice() {
  {
    std::lock_guard<std::mutex> lock(mu_);
    stop_ = true;
    cancel_ = true;
  }
  cv_.notify_all();
  worker_.join();
}

void SoftHidDevice::SetPresenceMode(PresenceMode mode) {
  std::lock_guard<std::mutex> lock(mu_);
  mode_ = mode;
}

void SoftHidDevice::SetTouchTimeout(std::chrono::milliseconds timeout) {
  std::lock_guard<std::mutex> lock(mu_);
  touch_timeout_ = timeout;
}

bool SoftHidDevice::Touch() {
  std::lock_guard<std::mutex> lock(mu_);
  if (!waiting_touch_) return false;
  touched_ = true;
  cv_.notify_all();
  return true;
}

bool SoftHidDevice::AwaitTouchRequest(std::chrono::milliseconds limit) {
  std::unique_lock<std::mutex> lock(mu_);
  return cv_.wait_for(lock, limit, [this] { return waiting_touch_; });
}

uint64_t SoftHidDevice::wink_count() const {
  std::lock_guard<std::mutex> lock(mu_);
  return winks_;
}

void SoftHidDevice::QueueLocked(uint32_t cid, uint8_t cmd, ByteSpan payload) {
  for (const HidReport& r : FragmentHidMessage(cid, cmd, payload)) out_.push_back(r);
  cv_.notify_all();
}

void SoftHidDevice::DropQueuedLocked(uint32_t cid) {
  std::erase_if(out_, [cid](const HidReport& r) { return ReadCid(r.data()) == cid; });
}

int SoftHidDevice::Write(const uint8_t* data, size_t len) {
  // libfido2 writes report id 0 followed by the 64-byte report.
  if (len != kHidReportSize + 1 || data[0] != 0) return -1;
  ByteSpan report(data + 1, kHidReportSize);
  std::unique_lock<std::mutex> lock(mu_);
  HidFeedResult r = reassembler_.Feed(report);
  switch (r.kind) {
    case HidFeedResult::Kind::kIncomplete:
    case HidFeedResult::Kind::kIgnored:
      return static_cast<int>(len);
    case HidFeedResult::Kind::kError: {
      uint8_t code = r.error;
      QueueLocked(r.cid, hid_cmd::kError, ByteSpan(&code, 1));
      return static_cast<int>(len);
    }
    case HidFeedResult::Kind::kMessage:
      break;
  }
  HidMessage& m = r.message;
  if (m.cmd == hid_cmd::kCancel) {
    if (busy_ && busy_cid_ == m.cid) {
      cancel_ = true;
      cv_.notify_all();
    }
    return static_cast<int>(len);  // CANCEL has no response of its own
  }
  if (m.cmd == hid_cmd::kInit) {
    if (m.payload.size() != 8) {
      uint8_t code = hid_err::kInvalidLen;
      QueueLocked(m.cid, hid_cmd::kError, ByteSpan(&code, 1));
      return static_cast<int>(len);
    }
    uint32_t new_cid = m.cid;
    if (m.cid == kBroadcastCid) {
      new_cid = next_cid_++;
      if (next_cid_ == kBroadcastCid || next_cid_ == 0) next_cid_ = 1;
    } else {
      DropQueuedLocked(m.cid);
    }
    Bytes reply(m.payload.begin(), m.payload.end());  // nonce
    reply.resize(17);
    WriteCid(reply.data() + 8, new_cid);
    reply[12] = 2;                   // CTAPHID protocol version
    reply[13] = 1;                   // major
    reply[14] = 0;                   // minor
    reply[15] = 0;                   // build
    reply[16] = 0x01 | 0x04 | 0x08;  // WINK | CBOR | NMSG
    QueueLocked(m.cid, hid_cmd::kInit, reply);
    return static_cast<int>(len);
  }
  if (m.cid == kBroadcastCid) {
    uint8_t code = hid_err::kInvalidChannel;
    QueueLocked(m.cid, hid_cmd::kError, ByteSpan(&code, 1));
    return static_cast<int>(len);
  }
  if (busy_ && cancel_ && busy_cid_ == m.cid) {
    // The host cancelled and moved on: the cancelled request ends within moments.
    cv_.wait_for(lock, std::chrono::seconds(2), [this] { return !busy_; });
  }
  if (busy_) {
    uint8_t code = hid_err::kChannelBusy;
    QueueLocked(m.cid, hid_cmd::kError, ByteSpan(&code, 1));
    return static_cast<int>(len);
  }
  DropQueuedLocked(m.cid);
  switch (m.cmd) {
    case hid_cmd::kPing:
      QueueLocked(m.cid, hid_cmd::kPing, m.payload);
      break;
    case hid_cmd::kWink:
      ++winks_;
      QueueLocked(m.cid, hid_cmd::kWink, {});
      break;
    case hid_cmd::kCbor:
      if (m.payload.empty()) {
        uint8_t code = hid_err::kInvalidLen;
        QueueLocked(m.cid, hid_cmd::kError, ByteSpan(&code, 1));
        break;
      }
      busy_ = true;
      busy_cid_ = m.cid;
      cancel_ = false;
      request_ = std::move(m);
      cv_.notify_all();
      break;
    default: {  // MSG (U2F), LOCK and anything unknown
      uint8_t code = hid_err::kInvalidCmd;
      QueueLocked(m.cid, hid_cmd::kError, ByteSpan(&code, 1));
      break;
    }
  }
  return static_cast<int>(len);
}

int SoftHidDevice::Read(uint8_t* buf, size_t len, int ms) {
  if (len != kHidReportSize) return -1;
  std::unique_lock<std::mutex> lock(mu_);
  auto deadline = ms < 0 ? std::chrono::steady_clock::time_point::max()
                         : std::chrono::steady_clock::now() + std::chrono::milliseconds(ms);
  for (;;) {
    if (!out_.empty()) {
      std::memcpy(buf, out_.front().data(), kHidReportSize);
      out_.pop_front();
      return static_cast<int>(kHidReportSize);
    }
    auto now = std::chrono::steady_clock::now();
    if (now >= deadline) return -1;
    if (busy_) {
      auto until = std::min(deadline, now + kKeepaliveInterval);
      if (cv_.wait_until(lock, until, [this] { return !out_.empty(); })) continue;
      if (std::chrono::steady_clock::now() >= deadline) return -1;
      if (!busy_) continue;
      HidReport k{};
      WriteCid(k.data(), busy_cid_);
      k[4] = hid_cmd::kKeepalive;
      k[6] = 1;
      k[7] = waiting_touch_ ? kKeepaliveUpNeeded : kKeepaliveProcessing;
      std::memcpy(buf, k.data(), kHidReportSize);
      return static_cast<int>(kHidReportSize);
    }
    if (ms < 0) {
      cv_.wait(lock, [this] { return !out_.empty() || busy_; });
    } else if (!cv_.wait_until(lock, deadline, [this] { return !out_.empty() || busy_; })) {
      return -1;
    }
  }
}

uint8_t SoftHidDevice::WaitForTouch() {
  std::unique_lock<std::mutex> lock(mu_);
  if (mode_ == PresenceMode::kImmediate) return ctap::kOk;
  waiting_touch_ = true;
  touched_ = false;
  cv_.notify_all();
  bool done = cv_.wait_for(lock, touch_timeout_, [this] { return touched_ || cancel_; });
  waiting_touch_ = false;
  uint8_t status = ctap::kUserActionTimeout;
  if (done) status = touched_ ? ctap::kOk : ctap::kKeepaliveCancel;
  touched_ = false;
  return status;
}

void SoftHidDevice::Worker() {
  std::unique_lock<std::mutex> lock(mu_);
  for (;;) {
    cv_.wait(lock, [this] { return stop_ || request_.has_value(); });
    if (stop_) return;
    HidMessage m = std::move(*request_);
    request_.reset();
    lock.unlock();
    Bytes response = authenticator_->Handle(m.payload, *this);
    lock.lock();
    busy_ = false;
    cancel_ = false;
    QueueLocked(m.cid, hid_cmd::kCbor, response);
  }
}

}  // namespace keyward::softctap
