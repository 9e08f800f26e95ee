// CTAPHID framing (CTAP 2.1 §11.2.4 "Message and packet structure", §11.2.9 commands): 64-byte
// HID reports; an initialization packet CID(4) CMD(1, bit 7 set) BCNT(2) DATA(57) followed by
// continuation packets CID(4) SEQ(1, 0..127) DATA(59). A message is at most 57 + 128 × 59 = 7609
// bytes.
//
// CtapHidReassembler is the authenticator side's receive state machine; it is pure (no threads,
// no clock) so it can be fuzzed. Rules it enforces:
//  - CID 0 is invalid (ERR_INVALID_CHANNEL); a message longer than 7609 bytes is ERR_INVALID_LEN;
//  - a continuation with the wrong sequence number aborts the message (ERR_INVALID_SEQ);
//  - an initialization packet on the channel being reassembled aborts it: INIT resynchronises,
//    anything else is ERR_INVALID_SEQ; on another channel it is ERR_CHANNEL_BUSY;
//  - a continuation packet with no message in progress, or for another channel, is ignored.
#ifndef KEYWARD_TOOLS_SOFTCTAP_CTAPHID_H_
#define KEYWARD_TOOLS_SOFTCTAP_CTAPHID_H_

#include <array>
#include <cstdint>
#include <vector>

#include "core/bytes.h"

namespace keyward::softctap {

inline constexpr size_t kHidReportSize = 64;
inline constexpr size_t kHidInitData = 57;
inline constexpr size_t kHidContData = 59;
inline constexpr size_t kHidMaxMessage = kHidInitData + 128 * kHidContData;
inline constexpr uint32_t kBroadcastCid = 0xffffffff;

namespace hid_cmd {
inline constexpr uint8_t kPing = 0x81;
inline constexpr uint8_t kMsg = 0x83;
inline constexpr uint8_t kLock = 0x84;
inline constexpr uint8_t kInit = 0x86;
inline constexpr uint8_t kWink = 0x88;
inline constexpr uint8_t kCbor = 0x90;
inline constexpr uint8_t kCancel = 0x91;
inline constexpr uint8_t kKeepalive = 0xbb;
inline constexpr uint8_t kError = 0xbf;
}  // namespace hid_cmd

namespace hid_err {
inline constexpr uint8_t kInvalidCmd = 0x01;
inline constexpr uint8_t kInvalidPar = 0x02;
inline constexpr uint8_t kInvalidLen = 0x03;
inline constexpr uint8_t kInvalidSeq = 0x04;
inline constexpr uint8_t kChannelBusy = 0x06;
inline constexpr uint8_t kInvalidChannel = 0x0b;
inline constexpr uint8_t kOther = 0x7f;
}  // namespace hid_err

using HidReport = std::array<uint8_t, kHidReportSize>;

struct HidMessage {
  uint32_t cid = 0;
  uint8_t cmd = 0;
  Bytes payload;
};

struct HidFeedResult {
  enum class Kind { kIncomplete, kMessage, kError, kIgnored };
  Kind kind = Kind::kIncomplete;
  HidMessage message;  // kMessage
  uint32_t cid = 0;    // kError: the channel to answer
  uint8_t error = 0;   // kError: CTAPHID error code
};

class CtapHidReassembler {
 public:
  HidFeedResult Feed(ByteSpan report);
  bool busy() const { return active_; }
  void Reset() { active_ = false; }

 private:
  bool active_ = false;
  uint32_t cid_ = 0;
  uint8_t cmd_ = 0;
  size_t expected_ = 0;
  uint8_t next_seq_ = 0;
  Bytes buf_;
};

// Splits a response into reports (zero-padded).
std::vector<HidReport> FragmentHidMessage(uint32_t cid, uint8_t cmd, ByteSpan payload);

inline uint32_t ReadCid(const uint8_t* p) {
  return (uint32_t{p[0]} << 24) | (uint32_t{p[1]} << 16) | (uint32_t{p[2]} << 8) | p[3];
}
inline void WriteCid(uint8_t* p, uint32_t cid) {
  p[0] = static_cast<uint8_t>(cid >> 24);
  p[1] = static_cast<uint8_t>(cid >> 16);
  p[2] = static_cast<uint8_t>(cid >> 8);
  p[3] = static_cast<uint8_t>(cid);
}

}  // namespace keyward::softctap

#endif  // KEYWARD_TOOLS_SOFTCTAP_CTAPHID_H_
