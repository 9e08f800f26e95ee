// OCSP against a real `openssl ocsp` responder on loopback, and the login policy around it.
#include <gtest/gtest.h>

#include "pkcs11/card_login.h"
#include "pkcs11/ocsp_client.h"
#include "tests/unit/pkcs11/test_env.h"

namespace keyward::pkcs11 {
namespace {

using testing::kDay;

class PrivateNetwork : public ::testing::Environment {
 public:
  void SetUp() override {
    std::string why;
    ASSERT_TRUE(testing::EnterPrivateNetworkNamespace(&why)) << why;
  }
};
[[maybe_unused]] ::testing::Environment* const kPrivateNetwork =
    ::testing::AddGlobalTestEnvironment(new PrivateNetwork);

class OcspTest : public ::testing::Test {
 protected:
  void SetUp() override {
    now_ = UnixNow();
    ca_ = testing::TestCa::Create("OCSP Test CA", now_);
    hsm_.InitToken("ocsp");
    pub_ = hsm_.GenerateKey("ocsp", "01", "EC:prime256v1");
    other_key_ = testing::GenerateKey("EC:prime256v1");
    testing::LeafSpec s;
    s.upn = {"dave@corp.example"};
    s.not_before = now_ - kDay;
    s.not_after = now_ + 30 * kDay;
    good_ = testing::IssueLeaf(ca_, pub_.get(), s);
    revoked_ = testing::IssueLeaf(ca_, other_key_.get(), s);
  }

  void StartResponder() {
    responder_ = std::make_unique<testing::OcspResponder>(
        ca_, hsm_.dir(),
        testing::IndexLine(good_.get(), false, now_) +
            testing::IndexLine(revoked_.get(), true, now_));
    ASSERT_TRUE(responder_->ready());
  }

  std::vector<Certificate> Trusted() { return {testing::ToCertificate(ca_.cert.get())}; }

  Result<LoginResult> LoginWith(X509* cert_on_token, OcspFailurePolicy failure,
                                const std::string& url) {
    hsm_.WriteCertificate("ocsp", "01", cert_on_token, "c");
    CertificatePolicy p;
    p.anchors = Trusted();
    OcspOptions o;
    o.url = url;
    o.timeout_seconds = 2;
    p.ocsp = o;
    p.ocsp_failure = failure;
    LoginVerifier v(std::move(p), MappingRules::Default(), nullptr);
    CardLoginRequest req;
    req.module_path = testing::kSoftHsmModule;
    req.token.label = "ocsp";
    req.pin = SecretBytes(std::string_view(testing::kUserPin));
    req.relying_host = "h";
    req.now = now_;
    return RunCardLogin(req, v);
  }

  int64_t now_ = 0;
  testing::SoftHsm hsm_;
  testing::TestCa ca_;
  EvpPkeyPtr pub_, other_key_;
  X509Ptr good_, revoked_;
  std::unique_ptr<testing::OcspResponder> responder_;
};

TEST_F(OcspTest, GoodAndRevokedFromTheResponder) {
  StartResponder();
  OcspOptions o;
  o.url = responder_->url();
  Certificate issuer = testing::ToCertificate(ca_.cert.get());
  auto good = CheckOcsp(testing::ToCertificate(good_.get()), issuer, Trusted(), o, now_);
  ASSERT_TRUE(good) << good.error().ToString();
  EXPECT_EQ(good->status, OcspAnswer::Status::kGood);
  EXPECT_GT(good->next_update, now_);
  auto revoked = CheckOcsp(testing::ToCertificate(revoked_.get()), issuer, Trusted(), o, now_);
  ASSERT_TRUE(revoked) << revoked.error().ToString();
  EXPECT_EQ(revoked->status, OcspAnswer::Status::kRevoked);
}

TEST_F(OcspTest, StaleAtALaterCallerTime) {
  StartResponder();
  OcspOptions o;
  o.url = responder_->url();
  // -ndays 1: nextUpdate is a day after thisUpdate; at now + 3 days the answer is stale.
  auto r = CheckOcsp(testing::ToCertificate(good_.get()), testing::ToCertificate(ca_.cert.get()),
                     Trusted(), o, now_ + 3 * kDay);
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error().code, ErrorCode::kOcspStale);
}

TEST_F(OcspTest, ResponseSignedForAnotherCaIsInvalid) {
  StartResponder();
  OcspOptions o;
  o.url = responder_->url();
  testing::TestCa other = testing::TestCa::Create("Unrelated CA", now_);
  std::vector<Certificate> trusted = {testing::ToCertificate(other.cert.get())};
  auto r = CheckOcsp(testing::ToCertificate(good_.get()), testing::ToCertificate(ca_.cert.get()),
                     trusted, o, now_);
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error().code, ErrorCode::kOcspResponseInvalid);
}

TEST_F(OcspTest, LoginWithGoodStatusCarriesEvidence) {
  StartResponder();
  auto r = LoginWith(good_.get(), OcspFailurePolicy::kHardFail, responder_->url());
  ASSERT_TRUE(r) << r.error().ToString();
  EXPECT_EQ(r->revocation.method, "ocsp");
  EXPECT_EQ(r->revocation.status, "good");
  EXPECT_EQ(r->revocation.ocsp_url, responder_->url());
  EXPECT_GT(r->revocation.ocsp_this_update, 0);
}

TEST_F(OcspTest, LoginRevokedByOcsp) {
  StartResponder();
  // The token holds the revoked certificate with the token's own key.
  testing::LeafSpec s;
  s.upn = {"dave@corp.example"};
  s.not_before = now_ - kDay;
  s.not_after = now_ + 30 * kDay;
  X509Ptr revoked_on_token = testing::IssueLeaf(ca_, pub_.get(), s);
  responder_.reset();
  responder_ = std::make_unique<testing::OcspResponder>(
      ca_, hsm_.dir(), testing::IndexLine(revoked_on_token.get(), true, now_));
  ASSERT_TRUE(responder_->ready());
  auto r = LoginWith(revoked_on_token.get(), OcspFailurePolicy::kSoftFail, responder_->url());
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error().code, ErrorCode::kCertificateRevoked);
}

TEST_F(OcspTest, ResponderDownHardFails) {
  std::string url = "http://127.0.0.1:" + std::to_string(testing::FreeLoopbackPort()) + "/";
  auto r = LoginWith(good_.get(), OcspFailurePolicy::kHardFail, url);
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error().code, ErrorCode::kOcspUnavailable);
}

TEST_F(OcspTest, ResponderDownSoftFails) {
  std::string url = "http://127.0.0.1:" + std::to_string(testing::FreeLoopbackPort()) + "/";
  auto r = LoginWith(good_.get(), OcspFailurePolicy::kSoftFail, url);
  ASSERT_TRUE(r) << r.error().ToString();
  EXPECT_EQ(r->revocation.method, "ocsp");
  EXPECT_EQ(r->revocation.status, "soft_fail");
  EXPECT_EQ(r->revocation.soft_fail_reason, "ocsp_unavailable");
}

TEST_F(OcspTest, NoUrlAnywhereIsUnavailable) {
  OcspOptions o;  // no URL and the certificate has no AIA
  auto r = CheckOcsp(testing::ToCertificate(good_.get()), testing::ToCertificate(ca_.cert.get()),
                     Trusted(), o, now_);
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error().code, ErrorCode::kOcspUnavailable);
}

TEST_F(OcspTest, UrlFromAia) {
  StartResponder();
  testing::LeafSpec s;
  s.ocsp_url = responder_->url();
  s.not_before = now_ - kDay;
  s.not_after = now_ + kDay;
  X509Ptr with_aia = testing::IssueLeaf(ca_, other_key_.get(), s);
  OcspOptions o;
  auto r = CheckOcsp(testing::ToCertificate(with_aia.get()), testing::ToCertificate(ca_.cert.get()),
                     Trusted(), o, now_);
  ASSERT_TRUE(r) << r.error().ToString();
  // Not in the responder's index: openssl answers "unknown".
  EXPECT_EQ(r->status, OcspAnswer::Status::kUnknown);
  EXPECT_EQ(r->url, responder_->url());
}

}  // namespace
}  // namespace keyward::pkcs11
