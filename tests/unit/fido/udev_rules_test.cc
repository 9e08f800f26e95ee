// udev/70-keyward-fido.rules.in rendered by udev/install-rules: strict syntax check (Debian 12's
// udev 252 has no `udevadm verify`), GOTO/LABEL pairing, and every fallback vendor/product entry
// well-formed and unique.
#include <gtest/gtest.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <map>
#include <regex>
#include <set>
#include <sstream>
#include <string>
#include <vector>

namespace {

struct Token {
  std::string key;  // e.g. ATTRS{idVendor}
  std::string op;   // == != = +=
  std::string value;
};

// Splits one rule line into KEY OP "VALUE" tokens separated by ", ". Empty on a syntax error.
std::vector<Token> ParseLine(const std::string& line, std::string* error) {
  static const std::regex token(
      R"re(^([A-Z]+(\{[A-Za-z0-9_]+\})?)(==|!=|\+=|=)"([^"\\]*)"(, |$))re");
  std::vector<Token> out;
  std::string rest = line;
  while (!rest.empty()) {
    std::smatch m;
    if (!std::regex_search(rest, m, token)) {
      *error = "cannot parse: " + rest;
      return {};
    }
    out.push_back({m[1], m[3], m[4]});
    rest = m.suffix();
  }
  return out;
}

bool IsMatchKey(const std::string& key) {
  static const std::regex match(
      R"(^(ACTION|SUBSYSTEM|KERNEL|TEST|ENV\{[A-Z_]+\}|ATTRS\{[a-zA-Z]+\})$)");
  return std::regex_match(key, match);
}
bool IsAssignKey(const std::string& key) {
  static const std::regex assign(
      R"(^(GOTO|LABEL|TAG|GROUP|MODE|ENV\{[A-Z_]+\}|IMPORT\{program\})$)");
  return std::regex_match(key, assign);
}

class UdevRulesTest : public ::testing::Test {
 protected:
  void SetUp() override {
    char tmpl[] = "/tmp/keyward-udev-XXXXXX";
    ASSERT_NE(mkdtemp(tmpl), nullptr);
    dir_ = tmpl;
  }
  void TearDown() override { std::filesystem::remove_all(dir_); }

  int Install(const std::string& args) {
    std::string cmd = std::string(KEYWARD_SOURCE_DIR) + "/udev/install-rules --dest " + dir_ +
                      " --no-reload " + args + " >/dev/null 2>&1";
    int status = std::system(cmd.c_str());
    return WEXITSTATUS(status);
  }
  std::string Rendered() {
    std::ifstream in(dir_ + "/70-keyward-fido.rules");
    std::stringstream ss;
    ss << in.rdbuf();
    return ss.str();
  }
  std::string dir_;
};

TEST_F(UdevRulesTest, RenderedRulesAreWellFormed) {
  ASSERT_EQ(Install("--group fido-users"), 0);
  std::string text = Rendered();
  ASSERT_FALSE(text.empty());
  EXPECT_EQ(text.find('@'), std::string::npos) << "unsubstituted placeholder";
  EXPECT_NE(text.find("GROUP=\"fido-users\""), std::string::npos);
  EXPECT_NE(text.find("TAG+=\"uaccess\""), std::string::npos);

  std::istringstream lines(text);
  std::string line;
  std::set<std::string> labels;
  std::vector<std::string> gotos;
  std::map<std::string, std::set<std::string>> fallback;
  bool saw_usage_page_detection = false;
  int n = 0;
  while (std::getline(lines, line)) {
    ++n;
    if (line.empty() || line[0] == '#') continue;
    EXPECT_EQ(line.find('\t'), std::string::npos) << "line " << n;
    EXPECT_NE(line.back(), ' ') << "line " << n << ": trailing space";
    std::string error;
    std::vector<Token> tokens = ParseLine(line, &error);
    ASSERT_FALSE(tokens.empty()) << "line " << n << ": " << error;
    std::string vendor, products;
    for (const Token& t : tokens) {
      bool match_op = t.op == "==" || t.op == "!=";
      if (match_op) {
        EXPECT_TRUE(IsMatchKey(t.key)) << "line " << n << ": " << t.key << " cannot match";
      } else {
        EXPECT_TRUE(IsAssignKey(t.key)) << "line " << n << ": " << t.key << " cannot be assigned";
        if (t.key == "GOTO" || t.key == "LABEL" || t.key == "GROUP" || t.key == "MODE" ||
            t.key.rfind("IMPORT", 0) == 0) {
          EXPECT_EQ(t.op, "=") << "line " << n;
        }
      }
      if (t.key == "LABEL") {
        EXPECT_TRUE(labels.insert(t.value).second) << "duplicate label";
      }
      if (t.key == "GOTO") gotos.push_back(t.value);
      if (t.key == "MODE") {
        EXPECT_TRUE(std::regex_match(t.value, std::regex("0[0-7]{3}")));
      }
      if (t.key == "IMPORT{program}" && t.value.find("fido_id") != std::string::npos) {
        saw_usage_page_detection = true;
      }
      if (t.key == "ATTRS{idVendor}") vendor = t.value;
      if (t.key == "ATTRS{idProduct}") products = t.value;
    }
    if (!vendor.empty() || !products.empty()) {
      // A fallback entry: both IDs, 4 lower-case hex digits each, a product list with '|'.
      EXPECT_TRUE(std::regex_match(vendor, std::regex("[0-9a-f]{4}"))) << "line " << n;
      EXPECT_TRUE(std::regex_match(products, std::regex("[0-9a-f]{4}(\\|[0-9a-f]{4})*")))
          << "line " << n;
      EXPECT_EQ(tokens.back().key, "GOTO") << "line " << n;
      std::stringstream ps(products);
      std::string pid;
      while (std::getline(ps, pid, '|')) {
        EXPECT_TRUE(fallback[vendor].insert(pid).second) << "duplicate " << vendor << ":" << pid;
      }
    }
  }
  EXPECT_TRUE(saw_usage_page_detection);
  EXPECT_GE(fallback.size(), 5u);
  for (const std::string& g : gotos) EXPECT_TRUE(labels.count(g)) << "GOTO without LABEL " << g;
  EXPECT_TRUE(labels.count("keyward_fido_end"));
  // No rule for smart-card readers: pcscd owns them.
  EXPECT_EQ(text.find("SUBSYSTEM==\"usb\""), std::string::npos);
}

TEST_F(UdevRulesTest, DefaultGroupIsPlugdevAndBadGroupsAreRefused) {
  ASSERT_EQ(Install(""), 0);
  EXPECT_NE(Rendered().find("GROUP=\"plugdev\""), std::string::npos);
  EXPECT_EQ(Install("--group 'bad\"group'"), 2);
  EXPECT_EQ(Install("--group ''"), 2);
}

TEST(UdevRuleParserTest, RejectsBrokenLines) {
  std::string error;
  EXPECT_TRUE(ParseLine("KERNEL==hidraw*", &error).empty());
  EXPECT_TRUE(ParseLine("GROUP=\"a\",MODE=\"0660\"", &error).empty());
  EXPECT_FALSE(ParseLine("GROUP=\"a\", MODE=\"0660\"", &error).empty());
}

}  // namespace
