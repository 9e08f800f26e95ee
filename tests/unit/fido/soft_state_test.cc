// The soft authenticator's state encoding and file handling.
#include "tools/softctap/soft_state.h"

#include <gtest/gtest.h>

#include <cstdlib>
#include <filesystem>

namespace keyward::softctap {
namespace {

TEST(SoftStateTest, EncodeDecodeRoundTrip) {
  auto s = NewSoftState();
  ASSERT_TRUE(s);
  s->pin_hash = SecretBytes(Bytes(16, 9));
  s->pin_code_points = 6;
  s->pin_retries = 5;
  s->min_pin_length_rp_ids = {"a.example"};
  s->always_uv = true;
  s->sign_count = 77;
  ResidentCredential c;
  c.id = {2, 3, 4};
  c.rp_id = "a.example";
  c.user_id = {1};
  c.user_name = "alice";
  c.private_key = SecretBytes(Bytes(32, 5));
  c.cred_protect = 2;
  c.sequence = 4;
  s->credentials.push_back(c);
  Bytes enc = EncodeSoftState(*s);
  auto back = DecodeSoftState(enc);
  ASSERT_TRUE(back) << back.error().ToString();
  EXPECT_EQ(EncodeSoftState(*back), enc);
  EXPECT_EQ(back->pin_retries, 5);
  EXPECT_EQ(back->credentials.at(0).user_name, "alice");
  EXPECT_EQ(back->credentials.at(0).cred_protect, 2);
}

TEST(SoftStateTest, CorruptOrForeignStateIsRejected) {
  auto s = NewSoftState();
  ASSERT_TRUE(s);
  Bytes enc = EncodeSoftState(*s);
  Bytes truncated(enc.begin(), enc.begin() + static_cast<long>(enc.size() / 2));
  auto t = DecodeSoftState(truncated);
  ASSERT_FALSE(t);
  EXPECT_EQ(t.error().code, ErrorCode::kStoreCorrupt);
  Bytes other_version = enc;
  ASSERT_EQ(other_version[1], 0x01);  // key 1
  other_version[2] = 0x02;            // version 2
  auto v = DecodeSoftState(other_version);
  ASSERT_FALSE(v);
  EXPECT_EQ(v.error().code, ErrorCode::kSchemaVersionUnsupported);
}

TEST(SoftStateTest, MissingFileIsNotFoundAndSaveIsAtomic) {
  char tmpl[] = "/tmp/keyward-state-XXXXXX";
  ASSERT_NE(mkdtemp(tmpl), nullptr);
  std::string path = std::string(tmpl) + "/s";
  auto missing = LoadSoftStateFile(path);
  ASSERT_FALSE(missing);
  EXPECT_EQ(missing.error().code, ErrorCode::kNotFound);
  auto s = NewSoftState();
  ASSERT_TRUE(s);
  ASSERT_TRUE(SaveSoftStateFile(path, *s));
  ASSERT_TRUE(SaveSoftStateFile(path, *s));
  size_t files = 0;
  for (const auto& e : std::filesystem::directory_iterator(tmpl)) {
    (void)e;
    ++files;
  }
  EXPECT_EQ(files, 1u);  // no temporary left behind
  auto loaded = LoadSoftStateFile(path);
  ASSERT_TRUE(loaded);
  EXPECT_EQ(loaded->attestation.ca_cert, s->attestation.ca_cert);
  auto unwritable = SaveSoftStateFile(std::string(tmpl) + "/no/such/dir/s", *s);
  ASSERT_FALSE(unwritable);
  EXPECT_EQ(unwritable.error().code, ErrorCode::kStoreIo);
  std::filesystem::remove_all(tmpl);
}

}  // namespace
}  // namespace keyward::softctap
