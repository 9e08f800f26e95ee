#include "pcsc/apdu.h"

#include <gtest/gtest.h>

namespace keyward::pcsc {
namespace {

Bytes Hex(const char* h) { return *HexDecode(h); }
Bytes Enc(const CommandApdu& c, LengthForm f) { return *c.Encode(f); }
ErrorCode EncError(const CommandApdu& c, LengthForm f) { return c.Encode(f).error().code; }

TEST(ApduTest, ShortCases) {
  EXPECT_EQ(Enc((CommandApdu{0x00, 0xA4, 0x04, 0x00, {}, 0}), LengthForm::kShort), Hex("00A40400"));
  EXPECT_EQ(Enc((CommandApdu{0x00, 0xC0, 0, 0, {}, 256}), LengthForm::kShort), Hex("00C0000000"));
  EXPECT_EQ(Enc((CommandApdu{0x00, 0x20, 0, 0x80, {1, 2}, 0}), LengthForm::kShort),
            Hex("00200080020102"));
  EXPECT_EQ(Enc((CommandApdu{0x00, 0xCB, 0x3F, 0xFF, {0x5C, 0x01, 0x7E}, 8}), LengthForm::kShort),
            Hex("00CB3FFF035C017E08"));
}

TEST(ApduTest, ExtendedCases) {
  Bytes data(300, 0xAA);
  auto e = CommandApdu{0x00, 0xDB, 0x3F, 0xFF, data, 0}.Encode(LengthForm::kExtended);
  ASSERT_TRUE(e);
  EXPECT_EQ(Bytes(e->begin(), e->begin() + 7), Hex("00DB3FFF00012C"));
  EXPECT_EQ(e->size(), 7u + 300u);
  auto le_only = CommandApdu{0x00, 0xCA, 0, 0, {}, 65536}.Encode(LengthForm::kExtended);
  EXPECT_EQ(*le_only, Hex("00CA0000000000"));
  auto both = CommandApdu{0x00, 0x87, 0x07, 0x9A, data, 1000}.Encode(LengthForm::kExtended);
  ASSERT_TRUE(both);
  EXPECT_EQ(Bytes(both->end() - 2, both->end()), Hex("03E8"));
  // Short form used when it fits.
  EXPECT_EQ(Enc((CommandApdu{0x00, 0xC0, 0, 0, {}, 16}), LengthForm::kExtended), Hex("00C0000010"));
}

TEST(ApduTest, EncodeRejections) {
  Bytes data(256, 0);
  EXPECT_EQ(EncError((CommandApdu{0, 0xDB, 0, 0, data, 0}), LengthForm::kShort),
            ErrorCode::kApduTooLong);
  EXPECT_EQ(EncError((CommandApdu{0, 0xCA, 0, 0, {}, 257}), LengthForm::kShort),
            ErrorCode::kApduTooLong);
  EXPECT_EQ(EncError((CommandApdu{0, 0xCA, 0, 0, {}, 65537}), LengthForm::kExtended),
            ErrorCode::kApduTooLong);
  EXPECT_EQ(EncError((CommandApdu{0, 0xDB, 0, 0, Bytes(65536), 0}), LengthForm::kExtended),
            ErrorCode::kApduTooLong);
}

TEST(ApduTest, ParseRoundTripsAllCases) {
  const CommandApdu cases[] = {
      {0x00, 0xA4, 0x04, 0x00, {}, 0},
      {0x00, 0xC0, 0, 0, {}, 256},
      {0x00, 0x20, 0, 0x80, {1, 2, 3}, 0},
      {0x00, 0xCB, 0x3F, 0xFF, {0x5C, 1, 0x7E}, 8},
      {0x00, 0xCA, 0, 0, {}, 65536},
      {0x00, 0xDB, 0x3F, 0xFF, Bytes(300, 1), 0},
      {0x00, 0x87, 0x07, 0x9A, Bytes(300, 2), 512},
  };
  for (const auto& c : cases) {
    auto wire = c.Encode(LengthForm::kExtended);
    ASSERT_TRUE(wire);
    bool extended = false;
    auto back = CommandApdu::Parse(*wire, &extended);
    ASSERT_TRUE(back) << HexEncode(*wire);
    EXPECT_EQ(back->cla, c.cla);
    EXPECT_EQ(back->ins, c.ins);
    EXPECT_EQ(back->data, c.data);
    EXPECT_EQ(back->le, c.le);
    EXPECT_EQ(extended, c.data.size() > 255 || c.le > 256);
  }
}

TEST(ApduTest, ParseRejections) {
  EXPECT_EQ(CommandApdu::Parse(Hex("00A404")).error().code, ErrorCode::kApduMalformed);
  EXPECT_EQ(CommandApdu::Parse(Hex("00A4040005AABB")).error().code, ErrorCode::kApduMalformed);
  EXPECT_EQ(CommandApdu::Parse(Hex("00A404000000000101")).error().code, ErrorCode::kApduMalformed);
  EXPECT_EQ(CommandApdu::Parse(Hex("00A4040000000301")).error().code, ErrorCode::kApduMalformed);
}

TEST(ApduTest, ChainSplitsWithChainingBit) {
  CommandApdu c{0x00, 0xDB, 0x3F, 0xFF, Bytes(600, 7), 0};
  auto chain = c.Chain(255);
  ASSERT_EQ(chain.size(), 3u);
  EXPECT_EQ(chain[0].cla, 0x10);
  EXPECT_EQ(chain[1].cla, 0x10);
  EXPECT_EQ(chain[2].cla, 0x00);
  EXPECT_EQ(chain[0].data.size(), 255u);
  EXPECT_EQ(chain[2].data.size(), 90u);
  EXPECT_EQ((CommandApdu{0, 0xDB, 0, 0, Bytes(10), 0}).Chain().size(), 1u);
}

TEST(ApduTest, ResponseParse) {
  auto r = ResponseApdu::Parse(Hex("0102039000"));
  ASSERT_TRUE(r);
  EXPECT_EQ(r->data, Hex("010203"));
  EXPECT_TRUE(r->sw.ok());
  EXPECT_EQ(r->Encode(), Hex("0102039000"));
  EXPECT_EQ(ResponseApdu::Parse(Hex("90")).error().code, ErrorCode::kApduMalformed);
}

}  // namespace
}  // namespace keyward::pcsc
