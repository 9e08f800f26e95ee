// The README documents every stable error code (scripts/gen-error-table regenerates the table).
#include <gtest/gtest.h>

#include <fstream>
#include <sstream>

#include "keyward/result.h"

namespace keyward {
namespace {

TEST(ReadmeTest, NamesEveryErrorCode) {
  std::ifstream in(std::string(KEYWARD_SOURCE_DIR) + "/README.md");
  ASSERT_TRUE(in) << "README.md not found";
  std::stringstream ss;
  ss << in.rdbuf();
  const std::string readme = ss.str();
  static constexpr std::string_view kNames[] = {
#define KW_ERROR(name, value, text) text,
#include "keyward/error_codes.inc"
#undef KW_ERROR
  };
  for (std::string_view name : kNames) {
    EXPECT_NE(readme.find("`" + std::string(name) + "`"), std::string::npos)
        << name << " is not in README.md";
  }
}

}  // namespace
}  // namespace keyward
