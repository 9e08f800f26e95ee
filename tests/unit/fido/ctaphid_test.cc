// CTAPHID framing (CTAP 2.1 §11.2.4) and the software device's HID commands.
#include "tools/softctap/ctaphid.h"

#include <gtest/gtest.h>

#include <cstring>

#include "tools/softctap/soft_authenticator.h"
#include "tools/softctap/soft_hid_device.h"

namespace keyward::softctap {
namespace {

HidReport Init(uint32_t cid, uint8_t cmd, size_t len, uint8_t fill = 0) {
  HidReport r{};
  WriteCid(r.data(), cid);
  r[4] = cmd;
  r[5] = static_cast<uint8_t>(len >> 8);
  r[6] = static_cast<uint8_t>(len);
  std::memset(r.data() + 7, fill, kHidInitData);
  return r;
}
HidReport Cont(uint32_t cid, uint8_t seq) {
  HidReport r{};
  WriteCid(r.data(), cid);
  r[4] = seq;
  return r;
}

TEST(CtapHidReassemblerTest, ReassemblesFragmentedMessages) {
  Bytes payload(7609);
  for (size_t i = 0; i < payload.size(); ++i) payload[i] = static_cast<uint8_t>(i * 7);
  auto reports = FragmentHidMessage(0x01020304, hid_cmd::kCbor, payload);
  ASSERT_EQ(reports.size(), 129u);
  CtapHidReassembler r;
  for (size_t i = 0; i + 1 < reports.size(); ++i) {
    EXPECT_EQ(r.Feed(reports[i]).kind, HidFeedResult::Kind::kIncomplete);
  }
  HidFeedResult last = r.Feed(reports.back());
  ASSERT_EQ(last.kind, HidFeedResult::Kind::kMessage);
  EXPECT_EQ(last.message.cid, 0x01020304u);
  EXPECT_EQ(last.message.cmd, hid_cmd::kCbor);
  EXPECT_EQ(last.message.payload, payload);
}

TEST(CtapHidReassemblerTest, RejectsBadFrames) {
  CtapHidReassembler r;
  HidFeedResult zero = r.Feed(Init(0, hid_cmd::kPing, 1));
  EXPECT_EQ(zero.kind, HidFeedResult::Kind::kError);
  EXPECT_EQ(zero.error, hid_err::kInvalidChannel);
  HidFeedResult too_long = r.Feed(Init(5, hid_cmd::kPing, 7610));
  EXPECT_EQ(too_long.error, hid_err::kInvalidLen);
  Bytes short_report(10, 0);
  EXPECT_EQ(r.Feed(short_report).error, hid_err::kInvalidLen);
  EXPECT_EQ(r.Feed(Cont(5, 0)).kind, HidFeedResult::Kind::kIgnored);

  ASSERT_EQ(r.Feed(Init(5, hid_cmd::kPing, 100)).kind, HidFeedResult::Kind::kIncomplete);
  HidFeedResult busy = r.Feed(Init(6, hid_cmd::kPing, 1));
  EXPECT_EQ(busy.error, hid_err::kChannelBusy);
  EXPECT_EQ(busy.cid, 6u);
  HidFeedResult seq = r.Feed(Cont(5, 1));
  EXPECT_EQ(seq.error, hid_err::kInvalidSeq);
  EXPECT_FALSE(r.busy());

  ASSERT_EQ(r.Feed(Init(5, hid_cmd::kPing, 100)).kind, HidFeedResult::Kind::kIncomplete);
  EXPECT_EQ(r.Feed(Init(5, hid_cmd::kCbor, 1)).error, hid_err::kInvalidSeq);
  ASSERT_EQ(r.Feed(Init(5, hid_cmd::kPing, 100)).kind, HidFeedResult::Kind::kIncomplete);
  HidFeedResult resync = r.Feed(Init(5, hid_cmd::kInit, 8));
  EXPECT_EQ(resync.kind, HidFeedResult::Kind::kMessage);
  EXPECT_EQ(resync.message.cmd, hid_cmd::kInit);
}

class SoftHidDeviceTest : public ::testing::Test {
 protected:
  void SetUp() override {
    auto a = SoftAuthenticator::CreateInMemory();
    ASSERT_TRUE(a);
    auth_ = std::move(a).value();
    dev_ = std::make_unique<SoftHidDevice>(auth_.get());
  }
  void Send(const HidReport& r) {
    uint8_t buf[65] = {0};
    std::memcpy(buf + 1, r.data(), 64);
    ASSERT_EQ(dev_->Write(buf, 65), 65);
  }
  HidReport Receive() {
    HidReport r{};
    EXPECT_EQ(dev_->Read(r.data(), 64, 5000), 64);
    return r;
  }
  uint32_t Open() {
    HidReport init = Init(kBroadcastCid, hid_cmd::kInit, 8, 0x42);
    Send(init);
    HidReport reply = Receive();
    EXPECT_EQ(ReadCid(reply.data()), kBroadcastCid);
    EXPECT_EQ(reply[4], hid_cmd::kInit);
    EXPECT_EQ(reply[6], 17);
    EXPECT_EQ(std::memcmp(reply.data() + 7, init.data() + 7, 8), 0);  // nonce
    EXPECT_EQ(reply[19], 2);                                          // protocol version
    EXPECT_EQ(reply[23], 0x0d);                                       // WINK | CBOR | NMSG
    return ReadCid(reply.data() + 15);
  }
  std::unique_ptr<SoftAuthenticator> auth_;
  std::unique_ptr<SoftHidDevice> dev_;
};

TEST_F(SoftHidDeviceTest, InitPingAndWink) {
  uint32_t cid = Open();
  EXPECT_NE(cid, 0u);
  EXPECT_NE(cid, kBroadcastCid);
  Bytes payload(100);
  for (size_t i = 0; i < payload.size(); ++i) payload[i] = static_cast<uint8_t>(i);
  for (const HidReport& r : FragmentHidMessage(cid, hid_cmd::kPing, payload)) Send(r);
  CtapHidReassembler rx;
  HidFeedResult got = rx.Feed(Receive());
  if (got.kind == HidFeedResult::Kind::kIncomplete) got = rx.Feed(Receive());
  ASSERT_EQ(got.kind, HidFeedResult::Kind::kMessage);
  EXPECT_EQ(got.message.cmd, hid_cmd::kPing);
  EXPECT_EQ(got.message.payload, payload);
  Send(Init(cid, hid_cmd::kWink, 0));
  EXPECT_EQ(Receive()[4], hid_cmd::kWink);
  EXPECT_EQ(dev_->wink_count(), 1u);
}

TEST_F(SoftHidDeviceTest, U2fMessagesAndLockAreInvalidCommands) {
  uint32_t cid = Open();
  for (uint8_t cmd : {hid_cmd::kMsg, hid_cmd::kLock}) {
    Send(Init(cid, cmd, 1));
    HidReport r = Receive();
    EXPECT_EQ(r[4], hid_cmd::kError);
    EXPECT_EQ(r[7], hid_err::kInvalidCmd);
  }
}

TEST_F(SoftHidDeviceTest, CborOnBroadcastChannelIsInvalidChannel) {
  Send(Init(kBroadcastCid, hid_cmd::kCbor, 1, 0x04));
  HidReport r = Receive();
  EXPECT_EQ(r[4], hid_cmd::kError);
  EXPECT_EQ(r[7], hid_err::kInvalidChannel);
}

TEST_F(SoftHidDeviceTest, CborRequestIsAnswered) {
  uint32_t cid = Open();
  Send(Init(cid, hid_cmd::kCbor, 1, 0x04));
  HidReport r = Receive();
  while (r[4] == hid_cmd::kKeepalive) r = Receive();
  EXPECT_EQ(r[4], hid_cmd::kCbor);
  EXPECT_EQ(r[7], 0x00);  // CTAP2_OK
}

TEST_F(SoftHidDeviceTest, BadWritesAndIdleReads) {
  uint8_t small[10] = {0};
  EXPECT_EQ(dev_->Write(small, sizeof(small)), -1);
  uint8_t buf[64];
  EXPECT_EQ(dev_->Read(buf, 64, 0), -1);
  EXPECT_EQ(dev_->Read(buf, 63, 0), -1);
}

}  // namespace
}  // namespace keyward::softctap
