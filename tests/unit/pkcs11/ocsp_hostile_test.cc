// OCSP against responders that misbehave on purpose (keyward-test-ocsp-responder, see
// hostile_ocsp_responder.cc): every way a response can be wrong has its own error code, and the
// soft-fail policy forgives only an unavailable responder, never a wrong answer.
#include <gtest/gtest.h>
#include <openssl/ocsp.h>

#include "pkcs11/certificate_login.h"
#include "pkcs11/ocsp_client.h"
#include "tests/unit/pkcs11/test_env.h"

namespace keyward::pkcs11 {
namespace {

using testing::kDay;

class OcspHostileTest : public ::testing::Test {
 protected:
  void SetUp() override {
    now_ = UnixNow();
    ca_ = testing::TestCa::Create("Hostile Test CA", now_);
    leaf_key_ = testing::GenerateKey("EC:prime256v1");
    testing::LeafSpec s;
    s.upn = {"erin@corp.example"};
    s.not_before = now_ - kDay;
    s.not_after = now_ + 30 * kDay;
    leaf_ = testing::IssueLeaf(ca_, leaf_key_.get(), s);
  }

  // Starts a responder with these options; signed by `signer` (default: the CA).
  void Start(std::vector<std::string> args, X509* signer = nullptr, EVP_PKEY* key = nullptr) {
    responder_ =
        std::make_unique<testing::HostileOcspResponder>(ca_, dir_.path(), args, signer, key);
    ASSERT_TRUE(responder_->ready());
  }

  Result<OcspAnswer> Check(bool require_nonce = true) {
    OcspOptions o;
    o.url = responder_->url();
    o.timeout_seconds = 2;
    o.require_nonce = require_nonce;
    std::vector<Certificate> trusted = {testing::ToCertificate(ca_.cert.get())};
    return CheckOcsp(testing::ToCertificate(leaf_.get()), testing::ToCertificate(ca_.cert.get()),
                     trusted, o, now_);
  }

  // The login policy around the same responder.
  Result<ValidatedCertificate> Validate(OcspFailurePolicy failure) {
    CertificatePolicy p;
    p.anchors = {testing::ToCertificate(ca_.cert.get())};
    OcspOptions o;
    o.url = responder_->url();
    o.timeout_seconds = 2;
    p.ocsp = o;
    p.ocsp_failure = failure;
    return ValidateLoginCertificate(testing::ToCertificate(leaf_.get()), p, now_);
  }

  // Hard and soft policy both reject with `code`.
  void ExpectRejectedWhateverThePolicy(ErrorCode code) {
    auto hard = Validate(OcspFailurePolicy::kHardFail);
    ASSERT_FALSE(hard);
    EXPECT_EQ(hard.error().code, code) << hard.error().ToString();
    auto soft = Validate(OcspFailurePolicy::kSoftFail);
    ASSERT_FALSE(soft);
    EXPECT_EQ(soft.error().code, code) << soft.error().ToString();
  }

  // Hard policy rejects with ocsp_unavailable; soft policy accepts and says why.
  void ExpectUnavailableAndSoftFailable() {
    auto hard = Validate(OcspFailurePolicy::kHardFail);
    ASSERT_FALSE(hard);
    EXPECT_EQ(hard.error().code, ErrorCode::kOcspUnavailable) << hard.error().ToString();
    auto soft = Validate(OcspFailurePolicy::kSoftFail);
    ASSERT_TRUE(soft) << soft.error().ToString();
    EXPECT_EQ(soft->revocation.status, "soft_fail");
    EXPECT_EQ(soft->revocation.soft_fail_reason, "ocsp_unavailable");
  }

  // A responder certificate issued by `issuer` for a fresh key (kept in responder_key_).
  X509Ptr ResponderCert(const testing::TestCa& issuer, const std::string& eku) {
    responder_key_ = testing::GenerateKey("EC:prime256v1");
    testing::LeafSpec s;
    s.cn = "OCSP Responder";
    s.eku = eku;
    s.not_before = now_ - kDay;
    s.not_after = now_ + 30 * kDay;
    return testing::IssueLeaf(issuer, responder_key_.get(), s);
  }

  int64_t now_ = 0;
  testing::TempDir dir_;
  testing::TestCa ca_;
  EvpPkeyPtr leaf_key_, responder_key_;
  X509Ptr leaf_;
  std::unique_ptr<testing::HostileOcspResponder> responder_;
};

// Positive controls: the responder itself is not broken.
TEST_F(OcspHostileTest, WellBehavedAnswerIsAccepted) {
  Start({"--mode", "echo"});
  auto r = Check();
  ASSERT_TRUE(r) << r.error().ToString();
  EXPECT_EQ(r->status, OcspAnswer::Status::kGood);
  auto v = Validate(OcspFailurePolicy::kHardFail);
  ASSERT_TRUE(v) << v.error().ToString();
  EXPECT_EQ(v->revocation.status, "good");
}

TEST_F(OcspHostileTest, ResponseWithoutCertsSignedByTheIssuerIsAccepted) {
  Start({"--mode", "no-certs"});
  auto r = Check();
  ASSERT_TRUE(r) << r.error().ToString();
  EXPECT_EQ(r->status, OcspAnswer::Status::kGood);
}

TEST_F(OcspHostileTest, DelegatedResponderIsAccepted) {
  X509Ptr delegated = ResponderCert(ca_, "OCSPSigning");
  Start({"--mode", "echo"}, delegated.get(), responder_key_.get());
  auto r = Check();
  ASSERT_TRUE(r) << r.error().ToString();
  EXPECT_EQ(r->status, OcspAnswer::Status::kGood);
}

TEST_F(OcspHostileTest, RevokedStatusFromAHostileResponderStillRevokes) {
  Start({"--mode", "echo", "--status", "revoked"});
  ExpectRejectedWhateverThePolicy(ErrorCode::kCertificateRevoked);
}

// Nonce.
TEST_F(OcspHostileTest, WrongNonceIsNonceMismatch) {
  Start({"--mode", "wrong-nonce"});
  auto r = Check();
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error().code, ErrorCode::kOcspNonceMismatch);
  // Even a caller that does not require a nonce refuses one that answers another request.
  auto lax = Check(/*require_nonce=*/false);
  ASSERT_FALSE(lax);
  EXPECT_EQ(lax.error().code, ErrorCode::kOcspNonceMismatch);
  ExpectRejectedWhateverThePolicy(ErrorCode::kOcspNonceMismatch);
}

TEST_F(OcspHostileTest, MissingNonceWhenRequiredIsNonceMissing) {
  Start({"--mode", "no-nonce"});
  auto r = Check();
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error().code, ErrorCode::kOcspNonceMissing);
  ExpectRejectedWhateverThePolicy(ErrorCode::kOcspNonceMissing);
}

TEST_F(OcspHostileTest, MissingNonceAcceptedWhenNotRequired) {
  Start({"--mode", "no-nonce"});
  auto r = Check(/*require_nonce=*/false);
  ASSERT_TRUE(r) << r.error().ToString();
  EXPECT_EQ(r->status, OcspAnswer::Status::kGood);
}

// Signer.
TEST_F(OcspHostileTest, SignedByAnUntrustedSelfSignedKeyIsInvalid) {
  testing::TestCa rogue = testing::TestCa::Create("Rogue Responder", now_);
  Start({"--mode", "echo"}, rogue.cert.get(), rogue.key.get());
  auto r = Check();
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error().code, ErrorCode::kOcspResponseInvalid);
  ExpectRejectedWhateverThePolicy(ErrorCode::kOcspResponseInvalid);
}

TEST_F(OcspHostileTest, SignedByACertificateOfTheCaWithoutOcspSigningIsInvalid) {
  // Chains to the trusted CA, but the CA never delegated OCSP signing to it.
  X509Ptr not_delegated = ResponderCert(ca_, "clientAuth");
  Start({"--mode", "echo"}, not_delegated.get(), responder_key_.get());
  auto r = Check();
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error().code, ErrorCode::kOcspResponseInvalid);
  ExpectRejectedWhateverThePolicy(ErrorCode::kOcspResponseInvalid);
}

TEST_F(OcspHostileTest, SignedByAnotherTrustedCasResponderIsInvalid) {
  // A real delegated responder, of another CA that is also trusted: not authorised for our CA.
  testing::TestCa other = testing::TestCa::Create("Other Trusted CA", now_);
  X509Ptr delegated = ResponderCert(other, "OCSPSigning");
  Start({"--mode", "echo"}, delegated.get(), responder_key_.get());
  OcspOptions o;
  o.url = responder_->url();
  o.timeout_seconds = 2;
  std::vector<Certificate> trusted = {testing::ToCertificate(ca_.cert.get()),
                                      testing::ToCertificate(other.cert.get())};
  auto r = CheckOcsp(testing::ToCertificate(leaf_.get()), testing::ToCertificate(ca_.cert.get()),
                     trusted, o, now_);
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error().code, ErrorCode::kOcspResponseInvalid);
}

TEST_F(OcspHostileTest, CorruptedSignatureIsInvalid) {
  Start({"--mode", "bad-signature"});
  auto r = Check();
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error().code, ErrorCode::kOcspResponseInvalid);
  ExpectRejectedWhateverThePolicy(ErrorCode::kOcspResponseInvalid);
}

// Freshness (default window: 5 min skew; 1 h without nextUpdate).
TEST_F(OcspHostileTest, PastNextUpdateIsStale) {
  Start({"--this-update", std::to_string(-3 * kDay), "--next-update", std::to_string(-2 * kDay)});
  auto r = Check();
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error().code, ErrorCode::kOcspStale);
  ExpectRejectedWhateverThePolicy(ErrorCode::kOcspStale);
}

TEST_F(OcspHostileTest, ThisUpdateInTheFutureIsStale) {
  Start({"--this-update", "3600", "--next-update", std::to_string(kDay)});
  auto r = Check();
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error().code, ErrorCode::kOcspStale);
}

TEST_F(OcspHostileTest, OldAnswerWithoutNextUpdateIsStale) {
  Start({"--this-update", "-7200", "--next-update", "none"});
  auto r = Check();
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error().code, ErrorCode::kOcspStale);
}

TEST_F(OcspHostileTest, RecentAnswerWithoutNextUpdateIsAccepted) {
  Start({"--this-update", "-60", "--next-update", "none"});
  auto r = Check();
  ASSERT_TRUE(r) << r.error().ToString();
  EXPECT_EQ(r->next_update, 0);
}

TEST_F(OcspHostileTest, NextUpdateBeforeThisUpdateIsInvalid) {
  // Both within the skew window of now, but inverted.
  Start({"--this-update", "0", "--next-update", "-120"});
  auto r = Check();
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error().code, ErrorCode::kOcspResponseInvalid);
}

// Content.
TEST_F(OcspHostileTest, AnswerForAnotherCertificateIsInvalid) {
  Start({"--mode", "other-certid"});
  auto r = Check();
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error().code, ErrorCode::kOcspResponseInvalid);
  ExpectRejectedWhateverThePolicy(ErrorCode::kOcspResponseInvalid);
}

TEST_F(OcspHostileTest, DerThatIsNoOcspResponseIsInvalid) {
  Start({"--mode", "garbage-der"});
  auto r = Check();
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error().code, ErrorCode::kOcspResponseInvalid);
  ExpectRejectedWhateverThePolicy(ErrorCode::kOcspResponseInvalid);
}

TEST_F(OcspHostileTest, NonDerBytesAreInvalid) {
  Start({"--mode", "garbage-text"});
  auto r = Check();
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error().code, ErrorCode::kOcspResponseInvalid);
  ExpectRejectedWhateverThePolicy(ErrorCode::kOcspResponseInvalid);
}

TEST_F(OcspHostileTest, UnauthorizedStatusIsInvalid) {
  Start({"--mode", "unauthorized"});
  auto r = Check();
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error().code, ErrorCode::kOcspResponseInvalid);
  EXPECT_EQ(r.error().native, static_cast<uint32_t>(OCSP_RESPONSE_STATUS_UNAUTHORIZED));
  ExpectRejectedWhateverThePolicy(ErrorCode::kOcspResponseInvalid);
}

// Unavailable: the only failures a soft-fail policy forgives.
TEST_F(OcspHostileTest, TryLaterIsUnavailable) {
  Start({"--mode", "try-later"});
  auto r = Check();
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error().code, ErrorCode::kOcspUnavailable);
  EXPECT_EQ(r.error().native, static_cast<uint32_t>(OCSP_RESPONSE_STATUS_TRYLATER));
  ExpectUnavailableAndSoftFailable();
}

TEST_F(OcspHostileTest, HttpErrorIsUnavailable) {
  Start({"--mode", "http-error"});
  auto r = Check();
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error().code, ErrorCode::kOcspUnavailable);
  ExpectUnavailableAndSoftFailable();
}

TEST_F(OcspHostileTest, SilentResponderTimesOutAsUnavailable) {
  // Accepts, reads the request, never answers: the 2 s timeout ends the wait.
  Start({"--mode", "silent"});
  auto r = Check();
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error().code, ErrorCode::kOcspUnavailable);
  ExpectUnavailableAndSoftFailable();
}

TEST_F(OcspHostileTest, UnknownStatusHardFailsAndSoftFails) {
  Start({"--mode", "echo", "--status", "unknown"});
  auto hard = Validate(OcspFailurePolicy::kHardFail);
  ASSERT_FALSE(hard);
  EXPECT_EQ(hard.error().code, ErrorCode::kRevocationUnknown);
  auto soft = Validate(OcspFailurePolicy::kSoftFail);
  ASSERT_TRUE(soft) << soft.error().ToString();
  EXPECT_EQ(soft->revocation.soft_fail_reason, "revocation_unknown");
}

// The body checks without a network (VerifyOcspResponse, what CheckOcsp runs on the HTTP body).
TEST_F(OcspHostileTest, BodyChecks) {
  Certificate leaf = testing::ToCertificate(leaf_.get());
  Certificate ca = testing::ToCertificate(ca_.cert.get());
  std::vector<Certificate> trusted = {ca};
  Bytes nonce(32, 7);
  OcspOptions o;
  const Bytes try_later = {0x30, 0x03, 0x0a, 0x01, 0x03};  // OCSPResponse{tryLater}
  auto r = VerifyOcspResponse(try_later, leaf, ca, trusted, nonce, o, now_);
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error().code, ErrorCode::kOcspUnavailable);
  Bytes trailing = try_later;
  trailing.push_back(0);
  r = VerifyOcspResponse(trailing, leaf, ca, trusted, nonce, o, now_);
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error().code, ErrorCode::kOcspResponseInvalid);
  Bytes huge(64 * 1024 + 1, 0x30);
  r = VerifyOcspResponse(huge, leaf, ca, trusted, nonce, o, now_);
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error().code, ErrorCode::kOcspResponseInvalid);
  r = VerifyOcspResponse({}, leaf, ca, trusted, nonce, o, now_);
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error().code, ErrorCode::kOcspResponseInvalid);
}

// The fuzz target's seeds (tests/fuzz/corpus/ocsp_response, first byte = options) are real
// responses for its fixed CA and leaf (also in tests/data/pkcs11): they pass the signature, so the
// fuzzer starts from inputs that reach every later check.
TEST(OcspFuzzSeeds, ReachThePostSignatureChecks) {
  std::string data = std::string(KEYWARD_TEST_DATA_DIR) + "/pkcs11/";
  std::string corpus = std::string(KEYWARD_SOURCE_DIR) + "/tests/fuzz/corpus/ocsp_response/";
  auto ca = Certificate::ParsePem(*ReadFileToString(data + "ocsp_fuzz_ca.pem"));
  auto leaf = Certificate::ParsePem(*ReadFileToString(data + "ocsp_fuzz_leaf.pem"));
  ASSERT_TRUE(ca && leaf);
  std::vector<Certificate> trusted = {(*ca)[0]};
  const uint8_t nonce[32] = {1, 2, 3, 4, 5, 6, 7, 8};
  const int64_t now = 1796163200;  // as in tests/fuzz/ocsp_response.cc
  OcspOptions o;
  o.require_nonce = false;
  auto seed = [&](const std::string& name) {
    auto text = ReadFileToString(corpus + name);
    EXPECT_TRUE(text && !text->empty()) << name;
    Bytes b = text ? ToBytes(AsBytes(*text)) : Bytes{0};
    return Bytes(b.begin() + 1, b.end());
  };
  auto good = VerifyOcspResponse(seed("good"), (*leaf)[0], (*ca)[0], trusted, nonce, o, now);
  ASSERT_TRUE(good) << good.error().ToString();
  EXPECT_EQ(good->status, OcspAnswer::Status::kGood);
  auto revoked = VerifyOcspResponse(seed("revoked"), (*leaf)[0], (*ca)[0], trusted, nonce, o, now);
  ASSERT_TRUE(revoked) << revoked.error().ToString();
  EXPECT_EQ(revoked->status, OcspAnswer::Status::kRevoked);
  auto other_nonce =
      VerifyOcspResponse(seed("nonce_no_certs"), (*leaf)[0], (*ca)[0], trusted, nonce, o, now);
  ASSERT_FALSE(other_nonce);
  EXPECT_EQ(other_nonce.error().code, ErrorCode::kOcspNonceMismatch);
}

}  // namespace
}  // namespace keyward::pkcs11
