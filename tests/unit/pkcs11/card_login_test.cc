// Certificate login end to end through SoftHSM2 (a real PKCS#11 module, dlopen'd in process):
// keys generated on the token, certificates from a CA made in the test, the host verifying.
#include "pkcs11/card_login.h"

#include <gtest/gtest.h>

#include "keyward/pkcs11.h"
#include "pkcs11/module.h"
#include "tests/unit/pkcs11/test_env.h"

namespace keyward::pkcs11 {
namespace {

using testing::IssueLeaf;
using testing::kDay;
using testing::LeafSpec;
using testing::SoftHsm;
using testing::TestCa;

constexpr char kToken[] = "login-token";
constexpr char kHost[] = "ws1.corp.example";
constexpr char kContext[] = "keyward test login";

class CardLoginTest : public ::testing::Test {
 protected:
  void SetUp() override {
    now_ = UnixNow();
    ca_ = TestCa::Create("Test Login CA", now_);
    hsm_.InitToken(kToken);
    ca_file_ = hsm_.dir() + "/ca.pem";
    testing::WriteFile(ca_file_, ca_.CertPem());
  }

  LeafSpec Spec(const std::string& upn) {
    LeafSpec s;
    s.cn = "User " + upn;
    s.upn = {upn};
    s.not_before = now_ - kDay;
    s.not_after = now_ + 365 * kDay;
    return s;
  }

  // A key on the token and a certificate for it from `ca`.
  X509Ptr Enrol(const std::string& id, const std::string& key_spec, const LeafSpec& spec,
                const TestCa* ca = nullptr) {
    EvpPkeyPtr pub = hsm_.GenerateKey(kToken, id, key_spec);
    X509Ptr cert = IssueLeaf(ca ? *ca : ca_, pub.get(), spec);
    hsm_.WriteCertificate(kToken, id, cert.get(), "cert" + id);
    return cert;
  }

  CertificatePolicy Policy() {
    CertificatePolicy p;
    p.anchors.push_back(testing::ToCertificate(ca_.cert.get()));
    return p;
  }

  CardLoginRequest Request(const std::string& pin = testing::kUserPin) {
    CardLoginRequest r;
    r.module_path = testing::kSoftHsmModule;
    r.token.label = kToken;
    r.pin = SecretBytes(pin);
    r.context = kContext;
    r.relying_host = kHost;
    r.now = now_;
    return r;
  }

  Result<LoginResult> Login(CertificatePolicy policy, MappingRules rules,
                            const CardLoginRequest& req) {
    LoginVerifier v(std::move(policy), std::move(rules), std::make_shared<ChallengeRegistry>());
    return RunCardLogin(req, v);
  }
  Result<LoginResult> Login(const CardLoginRequest& req) {
    return Login(Policy(), MappingRules::Default(), req);
  }

  int64_t now_ = 0;
  SoftHsm hsm_;
  TestCa ca_;
  std::string ca_file_;
};

TEST_F(CardLoginTest, EcP256Succeeds) {
  X509Ptr cert = Enrol("01", "EC:prime256v1", Spec("alice@corp.example"));
  auto r = Login(Request());
  ASSERT_TRUE(r) << r.error().ToString();
  EXPECT_EQ(r->account, "alice@corp.example");
  EXPECT_EQ(r->rule, "default-upn");
  EXPECT_EQ(r->mapping_source, "upn");
  EXPECT_EQ(r->mechanism, "CKM_ECDSA");
  EXPECT_EQ(r->signature_algorithm, "ES256");
  EXPECT_EQ(r->token_label, kToken);
  EXPECT_EQ(r->certificate.fingerprint_sha256,
            HexEncode(testing::ToCertificate(cert.get()).Fingerprint()));
  EXPECT_EQ(r->certificate.not_after, testing::ToCertificate(cert.get()).NotAfter().value());
  EXPECT_EQ(r->revocation.method, "none");
  EXPECT_EQ(r->revocation.status, "not_checked");
  // SoftHSM is a software slot (no CKF_HW_SLOT): AAL2, not AAL3.
  EXPECT_EQ(r->assurance.level, "aal2");
  EXPECT_NE(r->trust_anchor.find("Test Login CA"), std::string::npos);
}

TEST_F(CardLoginTest, EcP384Succeeds) {
  Enrol("02", "EC:secp384r1", Spec("bob@corp.example"));
  auto r = Login(Request());
  ASSERT_TRUE(r) << r.error().ToString();
  EXPECT_EQ(r->account, "bob@corp.example");
  EXPECT_EQ(r->signature_algorithm, "ES384");
}

TEST_F(CardLoginTest, Rsa2048SucceedsWithPssAndPkcs1) {
  Enrol("03", "rsa:2048", Spec("carol@corp.example"));
  auto r = Login(Request());
  ASSERT_TRUE(r) << r.error().ToString();
  EXPECT_EQ(r->account, "carol@corp.example");
  EXPECT_EQ(r->mechanism, "CKM_RSA_PKCS_PSS");  // preferred when the token lists it
  EXPECT_EQ(r->signature_algorithm, "PS256");

  CardLoginRequest req = Request();
  req.scheme = SignScheme::kRsaPkcs1;
  auto r2 = Login(req);
  ASSERT_TRUE(r2) << r2.error().ToString();
  EXPECT_EQ(r2->mechanism, "CKM_RSA_PKCS");
  EXPECT_EQ(r2->signature_algorithm, "RS256");
}

TEST_F(CardLoginTest, PublicApiWithFiles) {
  Enrol("01", "EC:prime256v1", Spec("alice@corp.example"));
  std::string rules = hsm_.dir() + "/rules";
  testing::WriteFile(rules, "rule by-user: <EKU>smartcardLogon => upn-user\n");
  CardLoginOptions o;
  o.module_path = testing::kSoftHsmModule;
  o.token = std::string("pkcs11:token=") + kToken;
  o.ca_files = {ca_file_};
  o.rules_file = rules;
  std::string pin = testing::kUserPin;
  auto r = CardLogin(o, AsBytes(pin));
  ASSERT_TRUE(r) << r.error().ToString();
  EXPECT_EQ(r->account, "alice");
  EXPECT_EQ(r->rule, "by-user");
}

TEST_F(CardLoginTest, WrongPinIsPinIncorrectAndSetsCountLow) {
  Enrol("01", "EC:prime256v1", Spec("alice@corp.example"));
  auto r = Login(Request("000000"));
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error().code, ErrorCode::kPinIncorrect);
  EXPECT_EQ(r.error().native, CKR_PIN_INCORRECT);
  // Observed SoftHSM 2.6.1 behaviour: after a wrong PIN it sets CKF_USER_PIN_COUNT_LOW (and
  // never FINAL_TRY or LOCKED: it does not lock the user PIN at all).
  auto tokens = ListModuleTokens(testing::kSoftHsmModule);
  ASSERT_TRUE(tokens);
  // SoftHSM also lists its spare, uninitialised token.
  auto t = std::find_if(tokens->begin(), tokens->end(),
                        [](const TokenSummary& s) { return s.label == kToken; });
  ASSERT_NE(t, tokens->end());
  EXPECT_TRUE(t->token_initialized);
  EXPECT_TRUE(t->pin_count_low);
  EXPECT_FALSE(t->pin_final_try);
  EXPECT_FALSE(t->pin_locked);
  // The right PIN still works and the flag stays until SoftHSM clears it.
  auto ok = Login(Request());
  ASSERT_TRUE(ok) << ok.error().ToString();
}

TEST_F(CardLoginTest, EmptyPinIsPinRequired) {
  Enrol("01", "EC:prime256v1", Spec("alice@corp.example"));
  auto r = Login(Request(""));
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error().code, ErrorCode::kPinRequired);
}

TEST_F(CardLoginTest, CertificateFromAnotherCaIsUntrusted) {
  TestCa other = TestCa::Create("Other CA", now_);
  Enrol("01", "EC:prime256v1", Spec("alice@corp.example"), &other);
  auto r = Login(Request());
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error().code, ErrorCode::kCertificateUntrusted);
}

TEST_F(CardLoginTest, ExpiredCertificate) {
  LeafSpec s = Spec("alice@corp.example");
  s.not_before = now_ - 30 * kDay;
  s.not_after = now_ - kDay;
  Enrol("01", "EC:prime256v1", s);
  auto r = Login(Request());
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error().code, ErrorCode::kCertificateExpired);
}

TEST_F(CardLoginTest, NotYetValidAtCallerTime) {
  Enrol("01", "EC:prime256v1", Spec("alice@corp.example"));
  CardLoginRequest req = Request();
  req.now = now_ - 2 * kDay;  // the caller's time is before notBefore
  auto r = Login(req);
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error().code, ErrorCode::kCertificateNotYetValid);
}

TEST_F(CardLoginTest, WrongEku) {
  LeafSpec s = Spec("alice@corp.example");
  s.eku = "emailProtection";
  Enrol("01", "EC:prime256v1", s);
  auto r = Login(Request());
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error().code, ErrorCode::kCertificateEkuMissing);
}

TEST_F(CardLoginTest, EkuPolicySmartCardLogonOnly) {
  LeafSpec s = Spec("alice@corp.example");
  s.eku = "clientAuth";
  Enrol("01", "EC:prime256v1", s);
  CertificatePolicy p = Policy();
  p.accepted_ekus = {kSmartCardLogonOid};
  auto r = Login(std::move(p), MappingRules::Default(), Request());
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error().code, ErrorCode::kCertificateEkuMissing);
  CertificatePolicy p2 = Policy();
  p2.accepted_ekus = {kClientAuthOid};
  auto ok = Login(std::move(p2), MappingRules::Default(), Request());
  ASSERT_TRUE(ok) << ok.error().ToString();
}

TEST_F(CardLoginTest, KeyUsageWithoutDigitalSignature) {
  LeafSpec s = Spec("alice@corp.example");
  s.key_usage = "critical,keyAgreement";
  Enrol("01", "EC:prime256v1", s);
  auto r = Login(Request());
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error().code, ErrorCode::kCertificateKeyUsageInvalid);
}

TEST_F(CardLoginTest, RevokedByCrl) {
  X509Ptr cert = Enrol("01", "EC:prime256v1", Spec("alice@corp.example"));
  CertificatePolicy p = Policy();
  X509CrlPtr crl = testing::MakeCrl(ca_, {cert.get()}, now_);
  p.crls.emplace_back(crl.release(), X509_CRL_free);
  auto r = Login(std::move(p), MappingRules::Default(), Request());
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error().code, ErrorCode::kCertificateRevoked);
}

TEST_F(CardLoginTest, CrlWithoutTheCertificateIsGoodEvidence) {
  Enrol("01", "EC:prime256v1", Spec("alice@corp.example"));
  std::string crl_file = hsm_.dir() + "/ca.crl";
  X509CrlPtr crl = testing::MakeCrl(ca_, {}, now_);
  testing::WriteFile(crl_file, testing::CrlPem(crl.get()));
  std::vector<std::string> cas = {ca_file_}, crls = {crl_file};
  auto p = CertificatePolicy::FromFiles(cas, crls);
  ASSERT_TRUE(p);
  auto r = Login(std::move(*p), MappingRules::Default(), Request());
  ASSERT_TRUE(r) << r.error().ToString();
  EXPECT_EQ(r->revocation.method, "crl");
  EXPECT_EQ(r->revocation.status, "good");
}

TEST_F(CardLoginTest, CrlFromAnotherCaLeavesRevocationUnknown) {
  Enrol("01", "EC:prime256v1", Spec("alice@corp.example"));
  TestCa other = TestCa::Create("Other CA", now_);
  CertificatePolicy p = Policy();
  X509CrlPtr crl = testing::MakeCrl(other, {}, now_);
  p.crls.emplace_back(crl.release(), X509_CRL_free);
  auto r = Login(std::move(p), MappingRules::Default(), Request());
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error().code, ErrorCode::kRevocationUnknown);
}

TEST_F(CardLoginTest, MappingRuleMatchingNothing) {
  Enrol("01", "EC:prime256v1", Spec("alice@corp.example"));
  auto rules = MappingRules::Parse("rule only-hr: <ISSUER>CN=HR\\sCA => upn\n");
  ASSERT_TRUE(rules);
  auto r = Login(Policy(), std::move(*rules), Request());
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error().code, ErrorCode::kMappingNoMatch);
}

TEST_F(CardLoginTest, TwoCertificatesTheRulePicksTheRightOne) {
  LeafSpec mail = Spec("ignored@corp.example");
  mail.upn.clear();
  mail.email = {"alice@mail.example"};
  mail.eku = "clientAuth,emailProtection";
  mail.cn = "Alice Mail";
  Enrol("01", "EC:prime256v1", mail);
  LeafSpec logon = Spec("alice@corp.example");
  logon.cn = "Alice Logon";
  X509Ptr logon_cert = Enrol("02", "EC:prime256v1", logon);
  auto rules = MappingRules::Parse(
      "# only smart-card logon certificates with a UPN\n"
      "rule logon: <EKU>smartcardLogon && <SAN:upn>@corp\\.example$ => upn-user\n");
  ASSERT_TRUE(rules);
  auto r = Login(Policy(), std::move(*rules), Request());
  ASSERT_TRUE(r) << r.error().ToString();
  EXPECT_EQ(r->account, "alice");
  EXPECT_EQ(r->rule, "logon");
  EXPECT_EQ(r->certificate.serial_hex, testing::ToCertificate(logon_cert.get()).SerialHex());
}

TEST_F(CardLoginTest, NoCertificateOnToken) {
  hsm_.GenerateKey(kToken, "01", "EC:prime256v1");
  auto r = Login(Request());
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error().code, ErrorCode::kLoginNoUsableCertificate);
}

TEST_F(CardLoginTest, UnknownTokenLabel) {
  Enrol("01", "EC:prime256v1", Spec("alice@corp.example"));
  CardLoginRequest req = Request();
  req.token.label = "no-such-token";
  auto r = Login(req);
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error().code, ErrorCode::kPkcs11TokenNotFound);
}

// The host side directly: signatures by another key, replays, other purposes.
class VerifierTest : public CardLoginTest {
 protected:
  void SetUp() override {
    CardLoginTest::SetUp();
    cert_ = Enrol("01", "EC:prime256v1", Spec("alice@corp.example"));
    other_pub_ = hsm_.GenerateKey(kToken, "09", "EC:prime256v1");  // a key without certificate
    auto m = Module::Load(testing::kSoftHsmModule);
    ASSERT_TRUE(m);
    module_ = *m;
    auto t = SelectToken(*module_, Request().token);
    ASSERT_TRUE(t);
    auto s = Session::Open(module_, *t);
    ASSERT_TRUE(s);
    session_.emplace(std::move(*s));
    ASSERT_TRUE(session_->Login(SecretBytes(std::string_view(testing::kUserPin))));
    auto certs = session_->FindCertificates();
    ASSERT_TRUE(certs);
    ASSERT_EQ(certs->size(), 1u);
    cert_obj_ = (*certs)[0];
    auto key = session_->FindPrivateKeyFor(*cert_obj_);
    ASSERT_TRUE(key);
    key_ = *key;
  }
  void TearDown() override {
    session_.reset();
    module_.reset();
  }

  Result<LoginResponse> Sign(const LoginChallenge& c, const PrivateKeyObject& key) {
    return SignChallenge(*session_, *cert_obj_, key, c, std::nullopt);
  }

  X509Ptr cert_;
  EvpPkeyPtr other_pub_;
  std::shared_ptr<Module> module_;
  std::optional<Session> session_;
  std::optional<CertificateObject> cert_obj_;
  PrivateKeyObject key_;
  std::shared_ptr<ChallengeRegistry> registry_ = std::make_shared<ChallengeRegistry>(60);
};

TEST_F(VerifierTest, GoodSignatureVerifiesOnceThenReplayFails) {
  LoginVerifier v(Policy(), MappingRules::Default(), registry_);
  auto c = v.IssueChallenge(kContext, kHost, now_);
  ASSERT_TRUE(c);
  EXPECT_GE(c->nonce.size(), kMinChallengeBytes);
  auto resp = Sign(*c, key_);
  ASSERT_TRUE(resp) << resp.error().ToString();
  auto r = v.Verify(*resp, kContext, kHost, now_);
  ASSERT_TRUE(r) << r.error().ToString();
  EXPECT_EQ(r->account, "alice@corp.example");
  auto again = v.Verify(*resp, kContext, kHost, now_);
  ASSERT_FALSE(again);
  EXPECT_EQ(again.error().code, ErrorCode::kLoginChallengeReplayed);
}

TEST_F(VerifierTest, SignatureByDifferentKeyIsInvalid) {
  LoginVerifier v(Policy(), MappingRules::Default(), registry_);
  auto c = v.IssueChallenge(kContext, kHost, now_);
  ASSERT_TRUE(c);
  // The private key with id 09 belongs to no certificate; its signature travels with cert 01.
  CK_OBJECT_CLASS cls = CKO_PRIVATE_KEY;
  Bytes id = {0x09};
  auto handles = session_->FindObjects({{CKA_CLASS, &cls, sizeof(cls)}, {CKA_ID, id.data(), 1}});
  ASSERT_TRUE(handles);
  ASSERT_EQ(handles->size(), 1u);
  PrivateKeyObject other = key_;
  other.handle = (*handles)[0];
  auto resp = Sign(*c, other);
  ASSERT_TRUE(resp) << resp.error().ToString();
  auto r = v.Verify(*resp, kContext, kHost, now_);
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error().code, ErrorCode::kSignatureInvalid);
}

TEST_F(VerifierTest, SignatureForAnotherHostOrContextIsUseless) {
  LoginVerifier v(Policy(), MappingRules::Default(), registry_);
  auto c = v.IssueChallenge(kContext, "other-host", now_);
  ASSERT_TRUE(c);
  auto resp = Sign(*c, key_);
  ASSERT_TRUE(resp);
  auto r = v.Verify(*resp, kContext, kHost, now_);
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error().code, ErrorCode::kLoginChallengeInvalid);

  // A challenge for this host, but the card signed the message of another context: the
  // signature does not cover what the verifier expects.
  auto c2 = v.IssueChallenge(kContext, kHost, now_);
  ASSERT_TRUE(c2);
  LoginChallenge forged = *c2;
  forged.context = "sudo";
  auto resp2 = Sign(forged, key_);
  ASSERT_TRUE(resp2);
  auto r2 = v.Verify(*resp2, kContext, kHost, now_);
  ASSERT_FALSE(r2);
  EXPECT_EQ(r2.error().code, ErrorCode::kSignatureInvalid);
}

TEST_F(VerifierTest, ExpiredAndUnknownChallenges) {
  LoginVerifier v(Policy(), MappingRules::Default(), registry_);
  auto c = v.IssueChallenge(kContext, kHost, now_);
  ASSERT_TRUE(c);
  auto resp = Sign(*c, key_);
  ASSERT_TRUE(resp);
  auto late = v.Verify(*resp, kContext, kHost, now_ + 61);
  ASSERT_FALSE(late);
  EXPECT_EQ(late.error().code, ErrorCode::kLoginChallengeExpired);

  LoginResponse made_up = *resp;
  made_up.nonce = Bytes(32, 0x42);
  auto unknown = v.Verify(made_up, kContext, kHost, now_);
  ASSERT_FALSE(unknown);
  EXPECT_EQ(unknown.error().code, ErrorCode::kLoginChallengeInvalid);
}

}  // namespace
}  // namespace keyward::pkcs11
