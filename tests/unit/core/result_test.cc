#include "keyward/result.h"

#include <gtest/gtest.h>

#include <set>
#include <string>

namespace keyward {
namespace {

Result<int> Half(int v) {
  if (v % 2) return Fail(ErrorCode::kInvalidArgument, "odd");
  return v / 2;
}

Result<int> Quarter(int v) {
  KW_ASSIGN_OR_RETURN(int h, Half(v));
  return Half(h);
}

Result<void> CheckEven(int v) {
  KW_TRY(Half(v));
  return Ok();
}

TEST(ResultTest, ValueAndError) {
  auto ok = Half(4);
  ASSERT_TRUE(ok);
  EXPECT_EQ(*ok, 2);
  auto bad = Half(3);
  ASSERT_FALSE(bad);
  EXPECT_EQ(bad.error().code, ErrorCode::kInvalidArgument);
  EXPECT_EQ(bad.value_or(7), 7);
}

TEST(ResultTest, PropagationMacros) {
  EXPECT_EQ(*Quarter(8), 2);
  EXPECT_EQ(Quarter(6).error().code, ErrorCode::kInvalidArgument);
  EXPECT_TRUE(CheckEven(2));
  EXPECT_EQ(CheckEven(1).error().code, ErrorCode::kInvalidArgument);
}

TEST(ResultTest, CopyMoveAssign) {
  Result<std::string> a = std::string("x");
  Result<std::string> b = Fail(ErrorCode::kNotFound);
  Result<std::string> c = a;
  c = b;
  EXPECT_EQ(c.error().code, ErrorCode::kNotFound);
  c = std::move(a);
  EXPECT_EQ(*c, "x");
}

struct CodeRow {
  ErrorCode code;
  int value;
  std::string_view name;
};
constexpr CodeRow kAllCodes[] = {
#define KW_ERROR(name, value, text) {ErrorCode::name, value, text},
#include "keyward/error_codes.inc"
#undef KW_ERROR
};

TEST(ErrorCodeTest, NamesAreUniqueSnakeCaseAndRoundTrip) {
  std::set<std::string_view> names;
  std::set<int> values;
  for (const CodeRow& row : kAllCodes) {
    EXPECT_TRUE(names.insert(row.name).second) << row.name;
    EXPECT_TRUE(values.insert(row.value).second) << row.value;
    EXPECT_EQ(static_cast<int>(row.code), row.value);
    EXPECT_EQ(ErrorCodeName(row.code), row.name);
    EXPECT_EQ(ErrorCodeFromName(row.name), row.code);
    for (char ch : row.name) {
      EXPECT_TRUE((ch >= 'a' && ch <= 'z') || (ch >= '0' && ch <= '9') || ch == '_') << row.name;
    }
  }
  EXPECT_EQ(ErrorCodeName(static_cast<ErrorCode>(9999)), "unknown");
  EXPECT_FALSE(ErrorCodeFromName("no_such_code").has_value());
}

TEST(ErrorCodeTest, StableValues) {
  // A few anchors: these numbers are part of the public contract.
  EXPECT_EQ(static_cast<int>(ErrorCode::kChallengeMismatch), 202);
  EXPECT_EQ(static_cast<int>(ErrorCode::kRpIdHashMismatch), 211);
  EXPECT_EQ(static_cast<int>(ErrorCode::kPinIncorrect), 650);
  EXPECT_EQ(ErrorCodeName(ErrorCode::kSignCountRegression), "sign_count_regression");
}

}  // namespace
}  // namespace keyward
