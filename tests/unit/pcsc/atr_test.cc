#include "pcsc/atr.h"

#include <gtest/gtest.h>

namespace keyward::pcsc {
namespace {

Bytes Hex(const char* h) { return *HexDecode(h); }

TEST(AtrTest, SoftPivAtr) {
  auto atr = Atr::Parse(Hex("3B8B800180F9A00000030800001000C8"));
  ASSERT_TRUE(atr) << atr.error().ToString();
  EXPECT_EQ(atr->ts, 0x3B);
  EXPECT_FALSE(atr->inverse_convention);
  ASSERT_EQ(atr->groups.size(), 3u);
  EXPECT_EQ(atr->groups[0].td, 0x80);
  EXPECT_EQ(atr->groups[1].protocol, 0);
  EXPECT_EQ(atr->groups[1].td, 0x01);
  EXPECT_EQ(atr->groups[2].protocol, 1);
  EXPECT_EQ(atr->protocols, (std::vector<int>{0, 1}));
  EXPECT_EQ(atr->historical, Hex("80F9A00000030800001000"));
  EXPECT_EQ(atr->tck, 0xC8);
  EXPECT_EQ(atr->fi(), 372);
  EXPECT_EQ(atr->di(), 1);
}

TEST(AtrTest, YubiKeyStyleAtrWithAllInterfaceBytes) {
  auto atr = Atr::Parse(Hex("3BFD1300008131FE158073C021C057597562694B657940"));
  ASSERT_TRUE(atr) << atr.error().ToString();
  ASSERT_EQ(atr->groups.size(), 3u);
  EXPECT_EQ(atr->groups[0].ta, 0x13);
  EXPECT_EQ(atr->groups[0].tb, 0x00);
  EXPECT_EQ(atr->groups[0].tc, 0x00);
  EXPECT_EQ(atr->groups[2].ta, 0xFE);  // IFSC for T=1
  EXPECT_EQ(atr->groups[2].tb, 0x15);
  EXPECT_EQ(atr->groups[2].protocol, 1);
  EXPECT_EQ(atr->protocols, (std::vector<int>{1}));
  EXPECT_EQ(atr->fi(), 372);
  EXPECT_EQ(atr->di(), 4);
  EXPECT_EQ(atr->historical.size(), 13u);
}

TEST(AtrTest, T0OnlyHasNoTck) {
  auto atr = Atr::Parse(Hex("3B021450"));
  ASSERT_TRUE(atr);
  EXPECT_FALSE(atr->tck.has_value());
  EXPECT_EQ(atr->protocols, (std::vector<int>{0}));
  EXPECT_EQ(atr->historical, Hex("1450"));
}

TEST(AtrTest, InverseConvention) {
  auto atr = Atr::Parse(Hex("3F00"));
  ASSERT_TRUE(atr);
  EXPECT_TRUE(atr->inverse_convention);
}

TEST(AtrTest, Rejections) {
  EXPECT_EQ(Atr::Parse(Hex("3B")).error().code, ErrorCode::kAtrMalformed);
  EXPECT_EQ(Atr::Parse(Hex("3A00")).error().code, ErrorCode::kAtrMalformed);
  EXPECT_EQ(Atr::Parse(Hex("3B8B80")).error().code, ErrorCode::kAtrMalformed);  // truncated TD
  EXPECT_EQ(Atr::Parse(Hex("3B0214")).error().code, ErrorCode::kAtrMalformed);  // historical
  EXPECT_EQ(Atr::Parse(Hex("3B02145000")).error().code, ErrorCode::kAtrMalformed);  // trailing
  EXPECT_EQ(Atr::Parse(Hex("3B8B800180F9A00000030800001000")).error().code,
            ErrorCode::kAtrMalformed);  // TCK missing
  EXPECT_EQ(Atr::Parse(Hex("3B8B800180F9A00000030800001000C9")).error().code,
            ErrorCode::kAtrChecksumInvalid);
  Bytes long_atr(34, 0);
  long_atr[0] = 0x3B;
  EXPECT_EQ(Atr::Parse(long_atr).error().code, ErrorCode::kAtrMalformed);
}

}  // namespace
}  // namespace keyward::pcsc
