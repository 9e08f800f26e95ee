// Transceive's ISO 7816-4 exchange rules against a scripted fake card (one unit's edge cases; the
// same paths run against the software card on a real pcscd in pcsc_e2e_test).
#include "pcsc/transceive.h"

#include <gtest/gtest.h>

#include <deque>

namespace keyward::pcsc {
namespace {

Bytes Hex(const char* h) { return *HexDecode(h); }

class ScriptedChannel : public ApduChannel {
 public:
  struct Step {
    Bytes expect;
    Bytes answer;
  };
  std::deque<Step> steps;
  std::vector<Bytes> sent;
  bool fail = false;
  bool loop_61 = false;

  Result<Bytes> TransmitRaw(ByteSpan command) override {
    sent.push_back(ToBytes(command));
    if (fail) return Fail(ErrorCode::kPcscCardRemoved, "gone");
    if (loop_61) return Hex("AA6101");
    if (steps.empty()) return Fail(ErrorCode::kInternal, "unexpected command");
    Step s = steps.front();
    steps.pop_front();
    EXPECT_EQ(HexEncode(command), HexEncode(s.expect));
    return s.answer;
  }
};

TEST(TransceiveTest, PlainCommand) {
  ScriptedChannel ch;
  ch.steps = {{Hex("00A4040000"), Hex("01029000")}};
  auto r = Transceive(ch, {0x00, 0xA4, 0x04, 0x00, {}, 256});
  ASSERT_TRUE(r);
  EXPECT_EQ(r->data, Hex("0102"));
  EXPECT_TRUE(r->sw.ok());
}

TEST(TransceiveTest, FollowsGetResponse) {
  ScriptedChannel ch;
  ch.steps = {{Hex("00CB3FFF035C017E08"), Hex("11111111111111116104")},
              {Hex("00C0000004"), Hex("222222226102")},
              {Hex("00C0000002"), Hex("33339000")}};
  auto r = Transceive(ch, {0x00, 0xCB, 0x3F, 0xFF, {0x5C, 0x01, 0x7E}, 8});
  ASSERT_TRUE(r);
  EXPECT_EQ(r->data, Hex("1111111111111111222222223333"));
  EXPECT_TRUE(r->sw.ok());
}

TEST(TransceiveTest, ResendsWithExactLe) {
  ScriptedChannel ch;
  ch.steps = {{Hex("80FE000001"), Hex("6C03")}, {Hex("80FE000003"), Hex("0102039000")}};
  auto r = Transceive(ch, {0x80, 0xFE, 0x00, 0x00, {}, 1});
  ASSERT_TRUE(r);
  EXPECT_EQ(r->data, Hex("010203"));
}

TEST(TransceiveTest, ChainsLongData) {
  ScriptedChannel ch;
  Bytes data(300, 0xAB);
  Bytes first = Hex("10DB3FFFFF");
  first.insert(first.end(), 255, 0xAB);
  Bytes last = Hex("00DB3FFF2D");
  last.insert(last.end(), 45, 0xAB);
  ch.steps = {{first, Hex("9000")}, {last, Hex("9000")}};
  auto r = Transceive(ch, {0x00, 0xDB, 0x3F, 0xFF, data, 0});
  ASSERT_TRUE(r);
  EXPECT_TRUE(r->sw.ok());
  EXPECT_TRUE(ch.steps.empty());
}

TEST(TransceiveTest, ChainRefusedMidwayReturnsCardStatus) {
  ScriptedChannel ch;
  Bytes first = Hex("10DB3FFFFF");
  first.insert(first.end(), 255, 0x01);
  ch.steps = {{first, Hex("6884")}};
  auto r = Transceive(ch, {0x00, 0xDB, 0x3F, 0xFF, Bytes(300, 0x01), 0});
  ASSERT_TRUE(r);
  EXPECT_EQ(r->sw.value(), 0x6884);
  EXPECT_EQ(ch.sent.size(), 1u);
}

TEST(TransceiveTest, ExtendedFormSendsOneApdu) {
  ScriptedChannel ch;
  Bytes cmd = Hex("00DB3FFF00012C");
  cmd.insert(cmd.end(), 300, 0x02);
  ch.steps = {{cmd, Hex("9000")}};
  auto r = Transceive(ch, {0x00, 0xDB, 0x3F, 0xFF, Bytes(300, 0x02), 0},
                      {LengthForm::kExtended});
  ASSERT_TRUE(r);
  EXPECT_EQ(ch.sent.size(), 1u);
}

TEST(TransceiveTest, Rejections) {
  ScriptedChannel removed;
  removed.fail = true;
  EXPECT_EQ(Transceive(removed, {0, 0xA4, 4, 0, {}, 0}).error().code, ErrorCode::kPcscCardRemoved);

  ScriptedChannel looping;
  looping.loop_61 = true;
  EXPECT_EQ(Transceive(looping, {0, 0xCA, 0, 0, {}, 1}).error().code, ErrorCode::kApduMalformed);

  ScriptedChannel short_answer;
  short_answer.steps = {{Hex("00A40400"), Hex("90")}};
  EXPECT_EQ(Transceive(short_answer, {0, 0xA4, 4, 0, {}, 0}).error().code,
            ErrorCode::kApduMalformed);

  ScriptedChannel unused;
  EXPECT_EQ(Transceive(unused, {0, 0xDB, 0, 0, Bytes(70000), 0}, {LengthForm::kExtended})
                .error()
                .code,
            ErrorCode::kApduTooLong);
}

}  // namespace
}  // namespace keyward::pcsc
