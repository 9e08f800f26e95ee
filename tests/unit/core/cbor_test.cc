#include "core/cbor.h"

#include <gtest/gtest.h>

#include "core/bytes.h"
#include "core/cbor_writer.h"

namespace keyward {
namespace {

ErrorCode Code(const Bytes& b, CborLimits limits = {}) {
  auto r = DecodeCbor(b, limits);
  EXPECT_FALSE(r);
  return r ? ErrorCode::kInternal : r.error().code;
}

TEST(CborTest, DecodesWriterOutput) {
  Bytes b =
      CborWriter().Map(3).Int(1).Int(-7).Text("k").Bytes(Bytes{1, 2}).Text("t").Bool(true).Take();
  auto r = DecodeCbor(b);
  ASSERT_TRUE(r);
  EXPECT_EQ(r->consumed, b.size());
  EXPECT_EQ(*r->item.Find(1).GetInt(), -7);
  EXPECT_EQ(ToBytes(*r->item.Find("k").GetBytes()), (Bytes{1, 2}));
  EXPECT_TRUE(*r->item.Find("t").GetBool());
  EXPECT_FALSE(r->item.Find("absent"));
  EXPECT_EQ(r->item.Find("k").GetInt().error().code, ErrorCode::kCborUnexpectedType);
}

TEST(CborTest, FloatsAreNotBooleans) {
  for (const Bytes& f : {Bytes{0xf9, 0x3c, 0x00}, Bytes{0xfa, 0x3f, 0x80, 0x00, 0x00},
                         Bytes{0xfb, 0x3f, 0xf0, 0, 0, 0, 0, 0, 0}}) {
    auto r = DecodeCbor(f);
    ASSERT_TRUE(r) << HexEncode(f);
    EXPECT_FALSE(r->item.IsBool());
    EXPECT_EQ(r->item.GetBool().error().code, ErrorCode::kCborUnexpectedType);
  }
  auto t = DecodeCbor(Bytes{0xf5});
  ASSERT_TRUE(t);
  EXPECT_TRUE(*t->item.GetBool());
}

TEST(CborTest, IntegerEdges) {
  auto big = DecodeCbor(Bytes{0x1b, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff});
  ASSERT_TRUE(big);
  EXPECT_EQ(big->item.GetInt().error().code, ErrorCode::kCborLimitExceeded);
  auto neg = DecodeCbor(Bytes{0x3b, 0x7f, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff});
  ASSERT_TRUE(neg);
  EXPECT_EQ(*neg->item.GetInt(), INT64_MIN);
}

TEST(CborTest, RejectsMalformed) {
  EXPECT_EQ(Code({}), ErrorCode::kCborMalformed);
  EXPECT_EQ(Code({0x42, 0x01}), ErrorCode::kCborMalformed);  // truncated bytes
  EXPECT_EQ(Code({0x1c}), ErrorCode::kCborMalformed);        // reserved info 28
  EXPECT_EQ(Code({0x19, 0x01}), ErrorCode::kCborMalformed);  // truncated argument
  EXPECT_EQ(Code({0xf8, 0x10}), ErrorCode::kCborMalformed);  // simple value in 2 bytes
  EXPECT_EQ(Code({0x9b, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff}),
            ErrorCode::kCborMalformed);                      // absurd array length
  EXPECT_EQ(Code({0xa1, 0x01}), ErrorCode::kCborMalformed);  // map missing value
}

TEST(CborTest, RejectsIndefiniteLengths) {
  EXPECT_EQ(Code({0x5f, 0x41, 0x00, 0xff}), ErrorCode::kCborIndefiniteLength);
  EXPECT_EQ(Code({0x9f, 0xff}), ErrorCode::kCborIndefiniteLength);
  EXPECT_EQ(Code({0xbf, 0xff}), ErrorCode::kCborIndefiniteLength);
}

TEST(CborTest, RejectsDuplicateKeysEvenWhenEncodedDifferently) {
  EXPECT_EQ(Code({0xa2, 0x01, 0x00, 0x01, 0x00}), ErrorCode::kCborDuplicateKey);
  EXPECT_EQ(Code({0xa2, 0x01, 0x00, 0x18, 0x01, 0x00}), ErrorCode::kCborDuplicateKey);
  EXPECT_EQ(Code({0xa2, 0x61, 'a', 0x00, 0x61, 'a', 0x01}), ErrorCode::kCborDuplicateKey);
}

TEST(CborTest, LimitsAndTrailingData) {
  Bytes deep(20, 0x81);
  deep.push_back(0x00);
  EXPECT_EQ(Code(deep), ErrorCode::kCborLimitExceeded);
  CborLimits few;
  few.max_items = 3;
  EXPECT_EQ(Code({0x84, 0x01, 0x02, 0x03, 0x04}, few), ErrorCode::kCborLimitExceeded);
  CborLimits small;
  small.max_bytes = 2;
  EXPECT_EQ(Code({0x43, 1, 2, 3}, small), ErrorCode::kCborLimitExceeded);
  EXPECT_EQ(Code({0x01, 0x02}), ErrorCode::kTrailingData);
  CborLimits trailing;
  trailing.allow_trailing = true;
  auto r = DecodeCbor(Bytes{0x01, 0x02}, trailing);
  ASSERT_TRUE(r);
  EXPECT_EQ(r->consumed, 1u);
}

TEST(CborTest, CanonicalChecksOnRequest) {
  CborLimits canonical;
  canonical.require_canonical = true;
  EXPECT_EQ(Code({0x18, 0x05}, canonical), ErrorCode::kCborNotCanonical);  // 5 in two bytes
  EXPECT_TRUE(DecodeCbor(Bytes{0x18, 0x05}));                              // fine when lenient
  EXPECT_EQ(Code({0xa2, 0x02, 0x00, 0x01, 0x00}, canonical), ErrorCode::kCborNotCanonical);
  EXPECT_EQ(Code({0xa2, 0x62, 'a', 'a', 0x00, 0x61, 'b', 0x00}, canonical),
            ErrorCode::kCborNotCanonical);  // shorter key must come first
  EXPECT_TRUE(DecodeCbor(Bytes{0xa2, 0x01, 0x00, 0x20, 0x00}, canonical));  // 1 before -1
}

}  // namespace
}  // namespace keyward
