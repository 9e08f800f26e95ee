// The software authenticator behind a CTAPHID "wire": libfido2 (through
// keyward::fido::Device::OpenTransport, i.e. fido_dev_set_io_functions) writes 65-byte output
// reports (report id 0 + 64 bytes) and reads 64-byte input reports.
//
// Commands (CTAP 2.1 §11.2.9): INIT (on the broadcast or an allocated channel), PING (echo),
// WINK, CBOR, CANCEL, LOCK and MSG. MSG (U2F) is answered ERR_INVALID_CMD: this authenticator
// is CTAP2-only and says so with the NMSG capability. LOCK is answered ERR_INVALID_CMD too.
//
// A CBOR request runs on a worker thread. While it runs, reads return KEEPALIVE reports
// (status PROCESSING, or UPNEEDED while waiting for a touch) about every 100 ms. A CANCEL on
// the busy channel makes a pending touch wait end with CTAP2_ERR_KEEPALIVE_CANCEL. A new request
// on a channel drops that channel's unread old response.
//
// Presence: kImmediate (a touch is always there) or kWaitForTouch (the request waits until
// Touch(), a CANCEL, or touch_timeout → CTAP2_ERR_USER_ACTION_TIMEOUT).
#ifndef KEYWARD_TOOLS_SOFTCTAP_SOFT_HID_DEVICE_H_
#define KEYWARD_TOOLS_SOFTCTAP_SOFT_HID_DEVICE_H_

#include <chrono>
#include <condition_variable>
#include <deque>
#include <mutex>
#include <optional>
#include <thread>

#include "keyward/fido.h"
#include "tools/softctap/ctaphid.h"
#include "tools/softctap/soft_authenticator.h"

namespace keyward::softctap {

enum class PresenceMode { kImmediate, kWaitForTouch };

class SoftHidDevice final : public fido::HidTransport, private UserPresence {
 public:
  // `authenticator` must outlive the device.
  explicit SoftHidDevice(SoftAuthenticator* authenticator);
  ~SoftHidDevice() override;
  SoftHidDevice(const SoftHidDevice&) = delete;
  SoftHidDevice& operator=(const SoftHidDevice&) = delete;

  int Write(const uint8_t* data, size_t len) override;
  int Read(uint8_t* buf, size_t len, int ms) override;

  void SetPresenceMode(PresenceMode mode);
  void SetTouchTimeout(std::chrono::milliseconds timeout);
  // Gives the touch a waiting request asks for; false when nothing is waiting.
  bool Touch();
  // Blocks until a request waits for a touch or `limit` passes; true when one waits.
  bool AwaitTouchRequest(std::chrono::milliseconds limit);
  uint64_t wink_count() const;

 private:
  uint8_t WaitForTouch() override;
  void Worker();
  void QueueLocked(uint32_t cid, uint8_t cmd, ByteSpan payload);
  void DropQueuedLocked(uint32_t cid);

  SoftAuthenticator* authenticator_;
  mutable std::mutex mu_;
  std::condition_variable cv_;
  CtapHidReassembler reassembler_;
  std::deque<HidReport> out_;
  uint32_t next_cid_ = 1;
  std::optional<HidMessage> request_;  // waiting for the worker
  bool busy_ = false;
  uint32_t busy_cid_ = 0;
  bool cancel_ = false;
  bool waiting_touch_ = false;
  bool touched_ = false;
  bool stop_ = false;
  PresenceMode mode_ = PresenceMode::kImmediate;
  std::chrono::milliseconds touch_timeout_{30000};
  uint64_t winks_ = 0;
  std::thread worker_;
};

}  // namespace keyward::softctap

#endif  // KEYWARD_TOOLS_SOFTCTAP_SOFT_HID_DEVICE_H_
