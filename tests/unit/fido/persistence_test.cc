// The software authenticator's state survives a restart (a new process opening the same file).
#include <sys/stat.h>
#include <unistd.h>

#include <cstdlib>
#include <filesystem>

#include "tests/unit/fido/soft_fixture.h"

namespace keyward::fido::testing {
namespace {

class PersistenceTest : public SoftDeviceTest {
 protected:
  void SetUp() override {
    char tmpl[] = "/tmp/keyward-softctap-XXXXXX";
    ASSERT_NE(mkdtemp(tmpl), nullptr);
    dir_ = tmpl;
    path_ = dir_ + "/key.state";
    Open();
  }
  void TearDown() override {
    Detach();
    std::filesystem::remove_all(dir_);
  }
  void Open() {
    auto a = softctap::SoftAuthenticator::OpenFile(path_);
    ASSERT_TRUE(a) << a.error().ToString();
    Attach(std::move(a).value());
  }
  std::string dir_, path_;
};

TEST_F(PersistenceTest, PinCredentialsAndCounterSurviveARestart) {
  SecretBytes pin = Pin("1234");
  ASSERT_TRUE(dev_->SetPin(pin));
  auto req = Request("example.com", "alice");
  req.resident_key = true;
  auto rk = dev_->MakeCredential(req, &pin);
  ASSERT_TRUE(rk);
  auto nonrk = dev_->MakeCredential(Request("example.com", "bob"), nullptr);
  ASSERT_TRUE(nonrk);
  EXPECT_FALSE(dev_->GetCredentialMetadata(Pin("0000")));
  Bytes ca = auth_->CaCertificateDer();

  Detach();
  struct stat st {};
  ASSERT_EQ(stat(path_.c_str(), &st), 0);
  EXPECT_EQ(st.st_mode & 0777, 0600u);
  Open();

  auto info = dev_->GetInfo();
  ASSERT_TRUE(info);
  EXPECT_EQ(info->Option("clientPin"), true);
  EXPECT_EQ(info->pin_retries, 7);
  EXPECT_EQ(auth_->CaCertificateDer(), ca);
  auto creds = dev_->ListCredentials("example.com", pin);
  ASSERT_TRUE(creds) << creds.error().ToString();
  ASSERT_EQ(creds->size(), 1u);
  EXPECT_EQ((*creds)[0].id, rk->id);
  auto areq = AssertRequest("example.com");
  areq.allow_list = {nonrk->id};
  auto a = dev_->GetAssertion(areq, nullptr);
  ASSERT_TRUE(a) << a.error().ToString();
  EXPECT_GT((*a)[0].sign_count, nonrk->sign_count);
}

TEST_F(PersistenceTest, CorruptStateFileIsRefused) {
  Detach();
  FILE* f = std::fopen(path_.c_str(), "wb");
  ASSERT_NE(f, nullptr);
  std::fputs("not a state file", f);
  std::fclose(f);
  auto a = softctap::SoftAuthenticator::OpenFile(path_);
  ASSERT_FALSE(a);
  EXPECT_EQ(a.error().code, ErrorCode::kStoreCorrupt);
}

}  // namespace
}  // namespace keyward::fido::testing
