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
#define KW_ERROR(name, value, text) \
  EXPECT_NE(readme.find("`" text "`"), std::string::npos) << text << " is not in README.md";
#include "keyward/error_codes.inc"
#undef KW_ERROR
}

}  // namespace
}  // namespace keyward
