#include "tools/softctap/ctaphid.h"

#include <algorithm>

namespace keyward::softctap {
namespace {

HidFeedResult Error(uint32_t cid, uint8_t code) {
  HidFeedResult r;
  r.kind = HidFeedResult::Kind::kError;
  r.cid = cid;
  r.error = code;
  return r;
}

}  // namespace

HidFeedResult CtapHidReassembler::Feed(ByteSpan report) {
  if (report.size() < 5)
    return Error(report.size() >= 4 ? ReadCid(report.data()) : 0, hid_err::kInvalidLen);
  uint32_t cid = ReadCid(report.data());
  if (report.size() != kHidReportSize) return Error(cid, hid_err::kInvalidLen);
  if (cid == 0) return Error(cid, hid_err::kInvalidChannel);
  uint8_t head = report[4];
  if (head & 0x80) {
    if (active_ && cid != cid_) return Error(cid, hid_err::kChannelBusy);
    if (active_ && head != hid_cmd::kInit) {
      active_ = false;
      return Error(cid, hid_err::kInvalidSeq);
    }
    active_ = false;
    size_t len = (size_t{report[5]} << 8) | report[6];
    if (len > kHidMaxMessage) return Error(cid, hid_err::kInvalidLen);
    size_t first = std::min(len, kHidInitData);
    if (len == first) {
      HidFeedResult r;
      r.kind = HidFeedResult::Kind::kMessage;
      r.message.cid = cid;
      r.message.cmd = head;
      r.message.payload.assign(report.begin() + 7, report.begin() + 7 + static_cast<long>(first));
      return r;
    }
    active_ = true;
    cid_ = cid;
    cmd_ = head;
    expected_ = len;
    next_seq_ = 0;
    buf_.assign(report.begin() + 7, report.begin() + 7 + static_cast<long>(first));
    return {};
  }
  if (!active_ || cid != cid_) {
    HidFeedResult r;
    r.kind = HidFeedResult::Kind::kIgnored;
    return r;
  }
  if (head != next_seq_) {
    active_ = false;
    return Error(cid, hid_err::kInvalidSeq);
  }
  ++next_seq_;
  size_t take = std::min(expected_ - buf_.size(), kHidContData);
  buf_.insert(buf_.end(), report.begin() + 5, report.begin() + 5 + static_cast<long>(take));
  if (buf_.size() < expected_) return {};
  active_ = false;
  HidFeedResult r;
  r.kind = HidFeedResult::Kind::kMessage;
  r.message.cid = cid_;
  r.message.cmd = cmd_;
  r.message.payload = std::move(buf_);
  buf_.clear();
  return r;
}

std::vector<HidReport> FragmentHidMessage(uint32_t cid, uint8_t cmd, ByteSpan payload) {
  std::vector<HidReport> out;
  HidReport r{};
  WriteCid(r.data(), cid);
  r[4] = cmd;
  r[5] = static_cast<uint8_t>(payload.size() >> 8);
  r[6] = static_cast<uint8_t>(payload.size());
  size_t n = std::min(payload.size(), kHidInitData);
  std::copy(payload.begin(), payload.begin() + static_cast<long>(n), r.begin() + 7);
  out.push_back(r);
  size_t off = n;
  for (uint8_t seq = 0; off < payload.size() && seq < 128; ++seq) {
    HidReport c{};
    WriteCid(c.data(), cid);
    c[4] = seq;
    size_t m = std::min(payload.size() - off, kHidContData);
    std::copy(payload.begin() + static_cast<long>(off),
              payload.begin() + static_cast<long>(off + m), c.begin() + 5);
    out.push_back(c);
    off += m;
  }
  return out;
}

}  // namespace keyward::softctap
