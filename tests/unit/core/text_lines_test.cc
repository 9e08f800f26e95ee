#include "core/text_lines.h"

#include <gtest/gtest.h>

#include <string>
#include <vector>

namespace keyward {
namespace {

std::vector<std::string> All(std::string_view text, std::vector<size_t>* numbers = nullptr) {
  TextLines lines(text);
  std::vector<std::string> out;
  std::string_view line;
  while (lines.Next(line)) {
    out.emplace_back(line);
    if (numbers) numbers->push_back(lines.number());
  }
  return out;
}

TEST(TextLinesTest, SplitsAtNewlineStripsOneCarriageReturnAndNumbersFromOne) {
  std::vector<size_t> numbers;
  EXPECT_EQ(All("a\r\nb\n\nc", &numbers), (std::vector<std::string>{"a", "b", "", "c"}));
  EXPECT_EQ(numbers, (std::vector<size_t>{1, 2, 3, 4}));
  // Only the CR right before the newline goes; one inside a line stays for the caller to judge.
  EXPECT_EQ(All("x\ry\r\r\n"), (std::vector<std::string>{"x\ry\r"}));
  EXPECT_TRUE(All("").empty());
  EXPECT_EQ(All("\n"), (std::vector<std::string>{""}));
  EXPECT_EQ(All("last without newline"), (std::vector<std::string>{"last without newline"}));
}

TEST(TextLinesTest, AtEndTellsWhetherTheLineReadWasTheLast) {
  TextLines lines("one\ntwo");
  std::string_view line;
  ASSERT_TRUE(lines.Next(line));
  EXPECT_FALSE(lines.AtEnd());
  ASSERT_TRUE(lines.Next(line));
  EXPECT_EQ(line, "two");
  EXPECT_TRUE(lines.AtEnd());
  EXPECT_FALSE(lines.Next(line));
}

}  // namespace
}  // namespace keyward
