#include "pcsc/status_word.h"

#include <gtest/gtest.h>

namespace keyward::pcsc {
namespace {

TEST(StatusWordTest, NamesAndGroups) {
  EXPECT_EQ(StatusWord(0x9000).Name(), "success");
  EXPECT_EQ(StatusWord(0x6982).Name(), "security_status_not_satisfied");
  EXPECT_EQ(StatusWord(0x6A82).Name(), "file_or_application_not_found");
  EXPECT_EQ(StatusWord(0x6110).Name(), "bytes_remaining(16)");
  EXPECT_EQ(StatusWord(0x6C20).Name(), "wrong_le(exact=32)");
  EXPECT_EQ(StatusWord(0x63C2).Name(), "verification_failed(retries=2)");
  EXPECT_EQ(StatusWord(0x6982).Hex(), "6982");
  EXPECT_TRUE(StatusWord(0x61, 0x00).bytes_remaining());
  EXPECT_TRUE(StatusWord(0x6C10).wrong_le());
  EXPECT_TRUE(StatusWord(0x63C1).counter());
  EXPECT_EQ(StatusWord(0x63C1).counter_value(), 1);
  EXPECT_FALSE(StatusWord(0x6300).counter());
}

TEST(StatusWordTest, ErrorMapping) {
  EXPECT_TRUE(CheckStatus(StatusWord(0x9000), "x"));
  auto expect = [](uint16_t sw, ErrorCode code) {
    Error e = StatusWordError(StatusWord(sw), "ctx");
    EXPECT_EQ(e.code, code) << std::hex << sw;
    EXPECT_EQ(e.native, sw);
  };
  expect(0x63C2, ErrorCode::kPinIncorrect);
  expect(0x63C0, ErrorCode::kPinBlocked);
  expect(0x6983, ErrorCode::kPinBlocked);
  expect(0x6982, ErrorCode::kPivSecurityStatusNotSatisfied);
  expect(0x6A82, ErrorCode::kPivObjectNotFound);
  expect(0x6A88, ErrorCode::kPivObjectNotFound);
  expect(0x6A80, ErrorCode::kInvalidArgument);
  expect(0x6D00, ErrorCode::kApduStatusError);
}

}  // namespace
}  // namespace keyward::pcsc
