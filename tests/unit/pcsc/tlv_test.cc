#include "pcsc/tlv.h"

#include <gtest/gtest.h>

namespace keyward::pcsc {
namespace {

Bytes Hex(const char* h) { return *HexDecode(h); }

TEST(TlvTest, MultiByteTagsAndLongLengths) {
  Bytes value(300, 0x55);
  Bytes enc;
  AppendTlv(enc, 0x5FC102, value);
  AppendTlv(enc, 0x7F49, Hex("8601AA"));
  AppendTlv(enc, 0x53, {});
  EXPECT_EQ(Bytes(enc.begin(), enc.begin() + 6), Hex("5FC10282012C"));
  auto tlvs = ParseTlvs(enc);
  ASSERT_TRUE(tlvs);
  ASSERT_EQ(tlvs->size(), 3u);
  EXPECT_EQ((*tlvs)[0].tag, 0x5FC102u);
  EXPECT_EQ((*tlvs)[0].value.size(), 300u);
  EXPECT_EQ((*tlvs)[1].tag, 0x7F49u);
  EXPECT_TRUE(FindTlv(*tlvs, 0x53)->empty());
  EXPECT_FALSE(FindTlv(*tlvs, 0x99).has_value());
}

TEST(TlvTest, LengthForms) {
  Bytes out;
  AppendLength(out, 0x7F);
  AppendLength(out, 0x80);
  AppendLength(out, 0x1234);
  AppendLength(out, 0x10000);
  EXPECT_EQ(out, Hex("7F818082123483010000"));
}

TEST(TlvTest, Rejections) {
  EXPECT_EQ(ParseTlvs(Hex("530401")).error().code, ErrorCode::kPivObjectMalformed);
  EXPECT_EQ(ParseTlvs(Hex("5384")).error().code, ErrorCode::kPivObjectMalformed);
  EXPECT_EQ(ParseTlvs(Hex("5380")).error().code, ErrorCode::kPivObjectMalformed);
  EXPECT_EQ(ParseTlvs(Hex("5FC1C1C101")).error().code, ErrorCode::kPivObjectMalformed);
  EXPECT_EQ(ParseTlvs(Hex("5F")).error().code, ErrorCode::kPivObjectMalformed);
  EXPECT_EQ(ParseSingleTlv(Hex("53005300")).error().code, ErrorCode::kPivObjectMalformed);
}

}  // namespace
}  // namespace keyward::pcsc
