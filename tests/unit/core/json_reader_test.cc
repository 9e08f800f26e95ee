#include "core/json_reader.h"

#include <gtest/gtest.h>

namespace keyward {
namespace {

ErrorCode Code(std::string_view text) {
  auto r = JsonDocument::Parse(text);
  EXPECT_FALSE(r) << text;
  return r ? ErrorCode::kInternal : r.error().code;
}

TEST(JsonReaderTest, ParsesObjectsArraysAndScalars) {
  auto doc = JsonDocument::Parse(R"( {"a":"x","b":[1,-2.5e3,true,false,null],"c":{"d":""}} )");
  ASSERT_TRUE(doc);
  JsonValue root = doc->root();
  EXPECT_EQ(*root.GetString("a"), "x");
  auto b = root.Find("b");
  ASSERT_TRUE(b && b->IsArray());
  auto items = b->Children();
  ASSERT_EQ(items.size(), 5u);
  EXPECT_EQ(items[1].string(), "-2.5e3");
  EXPECT_TRUE(items[2].boolean());
  EXPECT_TRUE(items[4].IsNull());
  EXPECT_EQ(*root.GetObject("c")->GetString("d"), "");
  EXPECT_FALSE(root.Find("zz"));
  EXPECT_EQ(root.GetString("b").error().code, ErrorCode::kJsonWrongType);
  EXPECT_EQ(root.GetString("zz").error().code, ErrorCode::kJsonMissingField);
  EXPECT_EQ(root.GetOptBool("a").error().code, ErrorCode::kJsonWrongType);
  EXPECT_FALSE(root.GetOptBool("zz")->has_value());
}

TEST(JsonReaderTest, DecodesEscapes) {
  auto doc = JsonDocument::Parse(R"({"k\u0041":"a\"b\\c\/\n\u00e9\ud83d\ude00","n":"plain"})");
  ASSERT_TRUE(doc);
  EXPECT_EQ(*doc->root().GetString("kA"), "a\"b\\c/\n\xc3\xa9\xf0\x9f\x98\x80");
  EXPECT_EQ(*doc->root().GetString("n"), "plain");
}

TEST(JsonReaderTest, RejectsWhatRfc8259Rejects) {
  for (const char* bad : {"", "{", "{\"a\"}", "{\"a\":}", "[1,]", "{\"a\":1,}", "01", "1.", ".5",
                          "1e", "-", "+1", "tru", "nul", "'a'", "\"a", "\"\\x\"", "\"\\u12\"",
                          "{} {}", "[1 2]", "{\"a\" 1}", "NaN", "Infinity", "\"\t\"",
                          "\"\\ud800\"", "\"\\udc00\"", "\"\\ud800\\u0041\"", "{a:1}"}) {
    EXPECT_EQ(Code(bad), ErrorCode::kJsonMalformed) << bad;
  }
}

TEST(JsonReaderTest, RejectsInvalidUtf8) {
  for (std::string bad : {std::string("\"\xc0\xaf\""), std::string("\"\xed\xa0\x80\""),
                          std::string("\"\xf4\x90\x80\x80\""), std::string("\"\x80\""),
                          std::string("\"\xe2\x82\""), std::string("\"\xff\"")}) {
    EXPECT_EQ(Code(bad), ErrorCode::kJsonMalformed);
  }
  EXPECT_TRUE(JsonDocument::Parse("\"\xe2\x82\xac\""));  // €
}

TEST(JsonReaderTest, RejectsDuplicateMembersAndDeepNesting) {
  EXPECT_EQ(Code(R"({"a":1,"b":2,"a":3})"), ErrorCode::kJsonMalformed);
  EXPECT_EQ(Code(R"({"a":1,"\u0061":3})"), ErrorCode::kJsonMalformed);  // same name, escaped
  EXPECT_TRUE(JsonDocument::Parse(R"({"a":{"a":1},"b":{"a":2}})"));     // distinct objects
  JsonLimits limits;
  limits.max_depth = 3;
  EXPECT_TRUE(JsonDocument::Parse("[[[1]]]", limits));
  EXPECT_EQ(JsonDocument::Parse("[[[[1]]]]", limits).error().code, ErrorCode::kJsonLimitExceeded);
  limits.max_bytes = 4;
  EXPECT_EQ(JsonDocument::Parse("[1,2,3]", limits).error().code, ErrorCode::kJsonLimitExceeded);
}

TEST(JsonReaderTest, AgreesWithTheDomParserOnAcceptance) {
  for (std::string text : std::initializer_list<std::string>{R"({"a":[1,2,{"b":null}],"c":"\u00e9"})", "[]", "{}", "0", "-0.0e+1",
                           "\"\\ud83d\\ude00\"", R"({"a":1,"a":1})", "[1,]", "\"\xc3\"",
                           "  true  ", "1e999", std::string("{}\0}", 3),
                           std::string("[1]\0", 4), std::string("\"a\0\"", 4)}) {
    EXPECT_EQ(JsonDocument::Parse(text).has_value(), ParseJson(text).has_value()) << text;
  }
}

}  // namespace
}  // namespace keyward
