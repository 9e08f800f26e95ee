// Credential management (CTAP 2.1 §6.8) through libfido2's credman API.
#include <fido/err.h>

#include "tests/unit/fido/soft_fixture.h"

namespace keyward::fido::testing {
namespace {

class CredentialManagementTest : public SoftDeviceTest {
 protected:
  void SetUp() override {
    SoftDeviceTest::SetUp();
    ASSERT_TRUE(dev_->SetPin(pin_));
    for (auto [rp, user] : {std::pair{"a.example", "alice"}, std::pair{"a.example", "bob"},
                            std::pair{"b.example", "carol"}}) {
      auto req = Request(rp, user);
      req.resident_key = true;
      auto c = dev_->MakeCredential(req, &pin_);
      ASSERT_TRUE(c) << c.error().ToString();
      ids_.push_back(c->id);
    }
  }
  SecretBytes pin_ = Pin("1234");
  std::vector<Bytes> ids_;
};

TEST_F(CredentialManagementTest, MetadataCountsDiscoverableCredentials) {
  auto md = dev_->GetCredentialMetadata(pin_);
  ASSERT_TRUE(md) << md.error().ToString();
  EXPECT_EQ(md->existing, 3u);
  EXPECT_EQ(md->remaining, 22u);
}

TEST_F(CredentialManagementTest, ListsRelyingPartiesAndTheirCredentials) {
  auto rps = dev_->ListRelyingParties(pin_);
  ASSERT_TRUE(rps) << rps.error().ToString();
  ASSERT_EQ(rps->size(), 2u);
  EXPECT_EQ((*rps)[0].id, "a.example");
  EXPECT_EQ((*rps)[0].name, "a.example name");
  EXPECT_EQ((*rps)[0].id_hash, Hash32("a.example"));
  EXPECT_EQ((*rps)[1].id, "b.example");
  auto creds = dev_->ListCredentials("a.example", pin_);
  ASSERT_TRUE(creds) << creds.error().ToString();
  ASSERT_EQ(creds->size(), 2u);
  EXPECT_EQ((*creds)[0].user_name, "alice");
  EXPECT_EQ((*creds)[0].id, ids_[0]);
  EXPECT_EQ((*creds)[1].user_display_name, "bob display");
  EXPECT_EQ((*creds)[1].algorithm, -7);
}

TEST_F(CredentialManagementTest, DeleteRemovesTheCredential) {
  ASSERT_TRUE(dev_->DeleteCredential(ids_[0], pin_));
  auto creds = dev_->ListCredentials("a.example", pin_);
  ASSERT_TRUE(creds);
  ASSERT_EQ(creds->size(), 1u);
  EXPECT_EQ((*creds)[0].user_name, "bob");
  EXPECT_EQ(dev_->GetCredentialMetadata(pin_)->existing, 2u);
  auto req = AssertRequest("a.example");
  req.allow_list = {ids_[0]};
  auto a = dev_->GetAssertion(req, &pin_);
  ASSERT_FALSE(a);
  EXPECT_EQ(a.error().code, ErrorCode::kFidoNoCredentials);
  auto again = dev_->DeleteCredential(ids_[0], pin_);
  ASSERT_FALSE(again);
  EXPECT_EQ(again.error().code, ErrorCode::kFidoNoCredentials);
}

TEST_F(CredentialManagementTest, DeletingTheLastCredentialOfAnRpRemovesTheRp) {
  ASSERT_TRUE(dev_->DeleteCredential(ids_[2], pin_));
  auto rps = dev_->ListRelyingParties(pin_);
  ASSERT_TRUE(rps);
  ASSERT_EQ(rps->size(), 1u);
  auto none = dev_->ListCredentials("b.example", pin_);
  ASSERT_TRUE(none) << none.error().ToString();  // NO_CREDENTIALS is an empty list
  EXPECT_TRUE(none->empty());
}

TEST_F(CredentialManagementTest, UpdateUserChangesNames) {
  Bytes alice{'a', 'l', 'i', 'c', 'e'};
  auto r = dev_->UpdateUser("a.example", ids_[0], alice, "alice2", "Alice Two", pin_);
  ASSERT_TRUE(r) << r.error().ToString();
  auto creds = dev_->ListCredentials("a.example", pin_);
  ASSERT_TRUE(creds);
  EXPECT_EQ((*creds)[0].user_name, "alice2");
  EXPECT_EQ((*creds)[0].user_display_name, "Alice Two");
  Bytes other{'x'};
  auto bad = dev_->UpdateUser("a.example", ids_[0], other, "x", "x", pin_);
  ASSERT_FALSE(bad);
  EXPECT_EQ(bad.error().native, static_cast<uint32_t>(FIDO_ERR_INVALID_PARAMETER));
}

TEST_F(CredentialManagementTest, WrongPinIsIncorrect) {
  auto r = dev_->ListRelyingParties(Pin("9999"));
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error().code, ErrorCode::kPinIncorrect);
}

TEST_F(SoftDeviceTest, CredentialManagementWithoutPinSet) {
  auto r = dev_->GetCredentialMetadata(Pin("1234"));
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error().code, ErrorCode::kPinNotSet);
}

}  // namespace
}  // namespace keyward::fido::testing
