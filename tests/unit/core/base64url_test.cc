#include "core/base64url.h"

#include <gtest/gtest.h>

namespace keyward {
namespace {

TEST(Base64UrlTest, Rfc4648Vectors) {
  const char* plain[] = {"", "f", "fo", "foo", "foob", "fooba", "foobar"};
  const char* url[] = {"", "Zg", "Zm8", "Zm9v", "Zm9vYg", "Zm9vYmE", "Zm9vYmFy"};
  const char* std64[] = {"", "Zg==", "Zm8=", "Zm9v", "Zm9vYg==", "Zm9vYmE=", "Zm9vYmFy"};
  for (int i = 0; i < 7; ++i) {
    EXPECT_EQ(Base64UrlEncode(AsBytes(plain[i])), url[i]);
    EXPECT_EQ(Base64Encode(AsBytes(plain[i])), std64[i]);
    EXPECT_EQ(AsChars(*Base64UrlDecode(url[i])), plain[i]);
    EXPECT_EQ(AsChars(*Base64Decode(std64[i])), plain[i]);
  }
}

TEST(Base64UrlTest, UrlAlphabetOnly) {
  Bytes b = {0xfb, 0xff, 0xbf};
  EXPECT_EQ(Base64UrlEncode(b), "-_-_");
  EXPECT_EQ(*Base64UrlDecode("-_-_"), b);
  EXPECT_EQ(Base64UrlDecode("+/+/").error().code, ErrorCode::kBase64Invalid);
  EXPECT_EQ(Base64Decode("-_-_").error().code, ErrorCode::kBase64Invalid);
}

TEST(Base64UrlTest, RejectsPaddingWhitespaceAndBadLengths) {
  EXPECT_EQ(Base64UrlDecode("Zg==").error().code, ErrorCode::kBase64Invalid);
  EXPECT_EQ(Base64UrlDecode("Zm9v\n").error().code, ErrorCode::kBase64Invalid);
  EXPECT_EQ(Base64UrlDecode("Zm9 v").error().code, ErrorCode::kBase64Invalid);
  EXPECT_EQ(Base64UrlDecode("Z").error().code, ErrorCode::kBase64Invalid);
  EXPECT_EQ(Base64UrlDecode("Zm9vY").error().code, ErrorCode::kBase64Invalid);
  EXPECT_EQ(Base64Decode("Zg=").error().code, ErrorCode::kBase64Invalid);
  EXPECT_EQ(Base64Decode("Zg").error().code, ErrorCode::kBase64Invalid);
  EXPECT_EQ(Base64Decode("Z===").error().code, ErrorCode::kBase64Invalid);
  std::string with_nul("Zm9v", 4);
  with_nul[1] = '\0';
  EXPECT_EQ(Base64UrlDecode(with_nul).error().code, ErrorCode::kBase64Invalid);
}

TEST(Base64UrlTest, RejectsNonCanonicalTrailingBits) {
  // "Zh" decodes to 'f' only if the low 4 bits are ignored; strict decoding refuses.
  EXPECT_EQ(Base64UrlDecode("Zh").error().code, ErrorCode::kBase64Invalid);
  EXPECT_EQ(Base64UrlDecode("Zm9").error().code, ErrorCode::kBase64Invalid);
  EXPECT_TRUE(Base64UrlDecode("Zm8"));
}

TEST(Base64UrlTest, RoundTripsAllByteValues) {
  Bytes all(256);
  for (int i = 0; i < 256; ++i) all[i] = static_cast<uint8_t>(i);
  for (size_t n = 0; n <= all.size(); n += 17) {
    ByteSpan s(all.data(), n);
    EXPECT_EQ(*Base64UrlDecode(Base64UrlEncode(s)), ToBytes(s));
    EXPECT_EQ(*Base64Decode(Base64Encode(s)), ToBytes(s));
  }
}

TEST(HexTest, EncodeDecode) {
  EXPECT_EQ(HexEncode(Bytes{0x00, 0xab, 0xff}), "00abff");
  EXPECT_EQ(*HexDecode("00ABff"), (Bytes{0x00, 0xab, 0xff}));
  EXPECT_EQ(HexDecode("0").error().code, ErrorCode::kInvalidArgument);
  EXPECT_EQ(HexDecode("zz").error().code, ErrorCode::kInvalidArgument);
}

TEST(ByteReaderTest, BoundsChecked) {
  Bytes b = {1, 2, 3, 4, 5, 6, 7};
  ByteReader r(b);
  EXPECT_EQ(*r.U8(), 1);
  EXPECT_EQ(*r.U16(), 0x0203);
  EXPECT_EQ(*r.U32(), 0x04050607u);
  EXPECT_EQ(r.U8().error().code, ErrorCode::kTruncated);
  EXPECT_TRUE(r.empty());
}

TEST(ConstantTimeEqualTest, Works) {
  EXPECT_TRUE(ConstantTimeEqual(Bytes{1, 2}, Bytes{1, 2}));
  EXPECT_FALSE(ConstantTimeEqual(Bytes{1, 2}, Bytes{1, 3}));
  EXPECT_FALSE(ConstantTimeEqual(Bytes{1, 2}, Bytes{1}));
  EXPECT_TRUE(ConstantTimeEqual(Bytes{}, Bytes{}));
}

}  // namespace
}  // namespace keyward
