// The facade end to end: real WebAuthn responses from the shared test authenticator (real keys
// and signatures, packed attestation from a test CA), real certificates for smart cards, the
// real SQLite store. Covers registration and login for all three kinds, replayed / expired /
// unknown challenges, policy outcomes, step-up, racing logins, export and erasure.
#include "keyward/authenticator.h"

#include <gtest/gtest.h>
#include <sys/wait.h>
#if KEYWARD_HAVE_LIBPQ
#include <libpq-fe.h>
#endif
#include <unistd.h>

#include <atomic>
#include <thread>

#include "attestation/trust_store.h"
#include "core/base64url.h"
#include "core/hash.h"
#include "core/json.h"
#include "tests/support/test_pki.h"
#include "tests/support/webauthn_test_authenticator.h"
#include "tests/unit/authenticator/test_util.h"

namespace keyward::authenticator {
namespace {

using keyward::testing::AssertionSpec;
using keyward::testing::CertSpec;
using keyward::testing::IssueCertificate;
using keyward::testing::RegistrationSpec;
using keyward::testing::TestAttestationCa;
using keyward::testing::TestAuthenticator;
using keyward::testing::TestFormat;
using keyward::testing::TestKey;
using testing::TempDir;

constexpr uint8_t kUp = 0x01, kUv = 0x04, kBe = 0x08, kBs = 0x10, kAt = 0x40;
constexpr webauthn::Aaguid kKeyModel = {0xee, 0x88, 0x28, 0x79, 0x72, 0x1c, 0x49, 0x13,
                                        0x97, 0x75, 0x3d, 0xfc, 0xce, 0x97, 0x07, 0x2a};

struct SmartCardPki {
  explicit SmartCardPki(const std::string& cn = "keyward smart card CA")
      : ca_key(TestKey::Generate(CoseAlgorithm::kES256)),
        ca_cert(IssueCertificate(ca_key, CaSpec(cn), nullptr, nullptr)) {}
  TestKey ca_key;
  Certificate ca_cert;
  static CertSpec CaSpec(const std::string& cn) {
    CertSpec ca;
    ca.subject = {{"O", "keyward tests"}, {"CN", cn}};
    ca.is_ca = true;
    return ca;
  }
  // A card: its key and its certificate issued by this CA.
  std::pair<TestKey, Certificate> IssueCard(const std::string& cn, std::vector<std::string> eku = {
                                                                       "1.3.6.1.4.1.311.20.2.2",
                                                                       "1.3.6.1.5.5.7.3.2"}) const {
    TestKey k = TestKey::Generate(CoseAlgorithm::kES256);
    CertSpec leaf;
    leaf.subject = {{"O", "keyward tests"}, {"CN", cn}};
    leaf.eku = std::move(eku);
    Certificate c = IssueCertificate(k, leaf, &ca_key, &ca_cert);
    return {std::move(k), std::move(c)};
  }
};

// KEYWARD_FACADE_ON_PG=1 (the CTest run authenticator_facade_pg_test, under
// scripts/with-postgres): every facade test runs on PostgreSQL ($KEYWARD_TEST_PG_URL) instead of
// a SQLite file; each Open starts from an empty database.
bool OnPg() {
  const char* e = std::getenv("KEYWARD_FACADE_ON_PG");
  return e != nullptr && std::string_view(e) == "1";
}
std::string FreshPgStore() {
  const char* url = std::getenv("KEYWARD_TEST_PG_URL");
  if (url == nullptr) {
    ADD_FAILURE() << "KEYWARD_TEST_PG_URL is not set: run under scripts/with-postgres";
    return "";
  }
#if KEYWARD_HAVE_LIBPQ
  PGconn* c = PQconnectdb(url);
  PQclear(PQexec(c, "SET client_min_messages=warning"));
  PGresult* r = PQexec(c, "DROP SCHEMA IF EXISTS public CASCADE; CREATE SCHEMA public;");
  EXPECT_EQ(PQresultStatus(r), PGRES_COMMAND_OK) << PQerrorMessage(c);
  PQclear(r);
  PQfinish(c);
  return url;
#else
  ADD_FAILURE() << "built without libpq";
  return "";
#endif
}

class FacadeTest : public ::testing::Test {
 protected:
  void Open(const std::string& policy) {
    auth_.reset();
    trust_.AddRoot(att_ca_.ca_cert);
    config_.db_path = dir_.File("keyward" + std::to_string(opened_++) + ".db");
    if (OnPg()) config_.store_url = FreshPgStore();
    config_.rp_id = "example.com";
    config_.rp_name = "Example";
    config_.origins = {"https://example.com"};
    config_.policy = policy;
    config_.attestation_trust = &trust_;
    config_.smart_card_anchors = {ToBytes(sc_.ca_cert.der())};
    config_.clock = [this] { return now_.load(); };
    auto a = Authenticator::Open(config_);
    ASSERT_TRUE(a) << a.error().ToString();
    auth_ = std::move(*a);
    auto p = auth_->CreatePrincipal("alice@example.com", "Alice Example");
    ASSERT_TRUE(p) << p.error().ToString();
    alice_ = *p;
  }

  Result<Credential> Register(const TestAuthenticator& a, CredentialKind kind, uint8_t flags,
                              TestFormat format = TestFormat::kNone, uint32_t sign_count = 0,
                              const Principal* who = nullptr) {
    auto start = auth_->BeginRegistration((who ? *who : alice_).id, kind);
    if (!start) return Fail(start.error());
    RegistrationSpec spec;
    spec.client.challenge = start->challenge;
    spec.flags = flags | kAt;
    spec.sign_count = sign_count;
    spec.format = format;
    if (format == TestFormat::kPackedFull) {
      spec.aaguid = kKeyModel;
      spec.attestation_key = &att_ca_.leaf_key;
      spec.x5c = {att_ca_.leaf_cert};
    }
    return auth_->FinishRegistration(start->ceremony_id,
                                     TestAuthenticator::ToJson(a.Register(spec)), "my key");
  }

  std::string Assertion(const TestAuthenticator& a, const CeremonyStart& start, uint8_t flags,
                        uint32_t sign_count, bool corrupt = false,
                        std::optional<Bytes> user_handle = std::nullopt) {
    AssertionSpec spec;
    spec.client.challenge = start.challenge;
    spec.flags = flags;
    spec.sign_count = sign_count;
    spec.corrupt_signature = corrupt;
    spec.user_handle = user_handle;
    return TestAuthenticator::ToJson(a.Assert(spec));
  }

  Result<AuthResult> Login(const TestAuthenticator& a, uint8_t flags, uint32_t sign_count,
                           RequestContext ctx = {}, std::optional<Aal> step_up = std::nullopt) {
    LoginRequest req;
    req.principal_id = alice_.id;
    req.step_up_to = step_up;
    auto start = auth_->BeginLogin(req);
    if (!start) return Fail(start.error());
    return auth_->FinishLogin(start->ceremony_id, Assertion(a, *start, flags, sign_count), ctx,
                              &session_);
  }

  Result<Credential> EnrollCard(const Certificate& cert) {
    CertificateEnrollment e;
    e.certificate = ToBytes(cert.der());
    e.nickname = "badge";
    return auth_->EnrollCertificate(alice_.id, e);
  }

  Result<AuthResult> CardLogin(const TestKey& key, const Certificate& cert, bool pin,
                               RequestContext ctx = {}, bool corrupt = false) {
    LoginRequest req;
    req.principal_id = alice_.id;
    req.kinds = {CredentialKind::kSmartCard};
    auto start = auth_->BeginLogin(req);
    if (!start) return Fail(start.error());
    CertificateLoginEvidence ev;
    ev.certificate = ToBytes(cert.der());
    ev.signature = key.Sign(start->challenge);
    if (corrupt) ev.signature[ev.signature.size() / 2] ^= 1;
    ev.cose_alg = -7;
    ev.pin_verified = pin;
    return auth_->FinishCertificateLogin(start->ceremony_id, ev, ctx, &session_);
  }

  std::string AuditText() {
    auto lines = auth_->AuditTail(0);
    std::string all;
    for (const auto& l : *lines) all += l + "\n";
    return all;
  }

  static RequestContext Managed(std::string action = "login") {
    RequestContext c;
    c.device_posture = {"managed"};
    c.action = std::move(action);
    return c;
  }

  TempDir dir_;
  TestAttestationCa att_ca_;
  attestation::TrustStore trust_;
  SmartCardPki sc_;
  AuthenticatorConfig config_;
  std::atomic<int64_t> now_{UnixNow()};
  std::unique_ptr<Authenticator> auth_;
  Principal alice_;
  Session session_;
  int opened_ = 0;
};

// ---- ciam ----

TEST_F(FacadeTest, CiamSyncedPasskeyRegistersAndLogsInAtAal2) {
  Open("ciam");
  TestAuthenticator phone;
  auto cred = Register(phone, CredentialKind::kPasskey, kUp | kUv | kBe | kBs);
  ASSERT_TRUE(cred) << cred.error().ToString();
  EXPECT_EQ(cred->kind, CredentialKind::kPasskey);
  EXPECT_TRUE(cred->backup_eligible);
  EXPECT_EQ(cred->attestation_type, "none");
  EXPECT_EQ(cred->nickname, "my key");

  auto r = Login(phone, kUp | kUv | kBe | kBs, 0);
  ASSERT_TRUE(r) << r.error().ToString();
  EXPECT_EQ(r->principal.id, alice_.id);
  EXPECT_EQ(r->kind, CredentialKind::kPasskey);
  EXPECT_EQ(r->assurance.level, Aal::kAal2);
  EXPECT_TRUE(r->user_verified);
  EXPECT_TRUE(r->risk.first_use);
  EXPECT_EQ(r->decision.outcome, Decision::kAllow);
  EXPECT_EQ(session_.principal_id, alice_.id);
  EXPECT_EQ(session_.aal, Aal::kAal2);
  // Both-zero counters are not a clone; second use is not first use.
  now_ += 60;
  auto again = Login(phone, kUp | kUv | kBe | kBs, 0);
  ASSERT_TRUE(again) << again.error().ToString();
  EXPECT_FALSE(again->risk.first_use);
  EXPECT_EQ(again->risk.days_since_last_use, 0);
  const auto json = AuthResultToJson(*again);
  EXPECT_NE(json.find("\"aal\":\"aal2\""), std::string::npos);
}

TEST_F(FacadeTest, DiscoverableLoginFindsThePrincipalByCredential) {
  Open("ciam");
  TestAuthenticator phone;
  ASSERT_TRUE(Register(phone, CredentialKind::kPasskey, kUp | kUv | kBe | kBs));
  auto start = auth_->BeginLogin({});
  ASSERT_TRUE(start);
  EXPECT_NE(start->options_json.find("\"challenge\""), std::string::npos);
  auto r = auth_->FinishLogin(
      start->ceremony_id,
      Assertion(phone, *start, kUp | kUv | kBe | kBs, 0, false, alice_.user_handle), {}, &session_);
  ASSERT_TRUE(r) << r.error().ToString();
  EXPECT_EQ(r->principal.id, alice_.id);
  // Discoverable without the user handle: refused by the WebAuthn core.
  auto start2 = auth_->BeginLogin({});
  ASSERT_TRUE(start2);
  auto r2 = auth_->FinishLogin(start2->ceremony_id,
                               Assertion(phone, *start2, kUp | kUv | kBe | kBs, 0), {}, nullptr);
  ASSERT_FALSE(r2);
  EXPECT_EQ(r2.error().code, ErrorCode::kUserHandleMissing);
}

TEST_F(FacadeTest, ReplayedChallengeIsRejected) {
  Open("ciam");
  TestAuthenticator phone;
  ASSERT_TRUE(Register(phone, CredentialKind::kPasskey, kUp | kUv | kBe | kBs));
  LoginRequest req;
  req.principal_id = alice_.id;
  auto start = auth_->BeginLogin(req);
  ASSERT_TRUE(start);
  const std::string response = Assertion(phone, *start, kUp | kUv | kBe | kBs, 0);
  ASSERT_TRUE(auth_->FinishLogin(start->ceremony_id, response, {}, nullptr));
  auto replay = auth_->FinishLogin(start->ceremony_id, response, {}, nullptr);
  ASSERT_FALSE(replay);
  EXPECT_EQ(replay.error().code, ErrorCode::kChallengeReplayed);
  EXPECT_NE(AuditText().find("\"code\":\"challenge_replayed\""), std::string::npos);
}

TEST_F(FacadeTest, ReplayedRegistrationIsRejected) {
  Open("ciam");
  TestAuthenticator phone;
  auto start = auth_->BeginRegistration(alice_.id, CredentialKind::kPasskey);
  ASSERT_TRUE(start);
  RegistrationSpec spec;
  spec.client.challenge = start->challenge;
  spec.flags = kUp | kUv | kAt;
  const std::string json = TestAuthenticator::ToJson(phone.Register(spec));
  ASSERT_TRUE(auth_->FinishRegistration(start->ceremony_id, json, ""));
  auto again = auth_->FinishRegistration(start->ceremony_id, json, "");
  ASSERT_FALSE(again);
  EXPECT_EQ(again.error().code, ErrorCode::kChallengeReplayed);
}

TEST_F(FacadeTest, ExpiredChallengeIsRejected) {
  Open("ciam");
  TestAuthenticator phone;
  ASSERT_TRUE(Register(phone, CredentialKind::kPasskey, kUp | kUv | kBe | kBs));
  LoginRequest req;
  req.principal_id = alice_.id;
  auto start = auth_->BeginLogin(req);
  ASSERT_TRUE(start);
  now_ += 301;  // ciam challenge TTL is 300 s
  auto r =
      auth_->FinishLogin(start->ceremony_id, Assertion(phone, *start, kUp | kUv, 0), {}, nullptr);
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error().code, ErrorCode::kChallengeExpired);
  auto reg = auth_->BeginRegistration(alice_.id, CredentialKind::kPasskey);
  ASSERT_TRUE(reg);
  now_ += 301;
  auto fin = auth_->FinishRegistration(reg->ceremony_id, "{}", "");
  ASSERT_FALSE(fin);
  EXPECT_EQ(fin.error().code, ErrorCode::kChallengeExpired);
}

TEST_F(FacadeTest, UnknownChallengeIsRejected) {
  Open("ciam");
  auto r = auth_->FinishLogin(Base64UrlEncode(Bytes(32, 0x42)), "{}", {}, nullptr);
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error().code, ErrorCode::kChallengeUnknown);
  EXPECT_EQ(auth_->FinishLogin("!!", "{}", {}, nullptr).error().code, ErrorCode::kChallengeUnknown);
  // A registration challenge cannot finish a login.
  auto reg = auth_->BeginRegistration(alice_.id, CredentialKind::kPasskey);
  ASSERT_TRUE(reg);
  EXPECT_EQ(auth_->FinishLogin(reg->ceremony_id, "{}", {}, nullptr).error().code,
            ErrorCode::kChallengeUnknown);
}

TEST_F(FacadeTest, BadSignatureIsRejectedAndAudited) {
  Open("ciam");
  TestAuthenticator phone;
  ASSERT_TRUE(Register(phone, CredentialKind::kPasskey, kUp | kUv | kBe | kBs));
  LoginRequest req;
  req.principal_id = alice_.id;
  auto start = auth_->BeginLogin(req);
  ASSERT_TRUE(start);
  auto r = auth_->FinishLogin(
      start->ceremony_id, Assertion(phone, *start, kUp | kUv | kBe | kBs, 0, true), {}, nullptr);
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error().code, ErrorCode::kAssertionSignatureInvalid);
  EXPECT_NE(AuditText().find("\"code\":\"assertion_signature_invalid\""), std::string::npos);
  EXPECT_TRUE(auth_->VerifyAuditChain());
}

TEST_F(FacadeTest, UnknownCredentialAndOtherPrincipalsCredential) {
  Open("ciam");
  TestAuthenticator phone, stranger;
  ASSERT_TRUE(Register(phone, CredentialKind::kPasskey, kUp | kUv | kBe | kBs));
  LoginRequest req;
  req.principal_id = alice_.id;
  auto start = auth_->BeginLogin(req);
  ASSERT_TRUE(start);
  auto r = auth_->FinishLogin(start->ceremony_id, Assertion(stranger, *start, kUp | kUv, 0), {},
                              nullptr);
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error().code, ErrorCode::kNotFound);

  auto bob = auth_->CreatePrincipal("bob", "Bob");
  ASSERT_TRUE(bob);
  TestAuthenticator bobs_phone;
  ASSERT_TRUE(Register(bobs_phone, CredentialKind::kPasskey, kUp | kUv | kBe | kBs,
                       TestFormat::kNone, 0, &*bob));
  auto start2 = auth_->BeginLogin(req);
  ASSERT_TRUE(start2);
  auto r2 = auth_->FinishLogin(
      start2->ceremony_id, Assertion(bobs_phone, *start2, kUp | kUv | kBe | kBs, 0), {}, nullptr);
  ASSERT_FALSE(r2);
  EXPECT_EQ(r2.error().code, ErrorCode::kCredentialNotAllowed);
}

TEST_F(FacadeTest, CiamStepUpForPaymentThenAuthorize) {
  Open("ciam");
  TestAuthenticator phone;
  ASSERT_TRUE(Register(phone, CredentialKind::kPasskey, kUp | kUv | kBe | kBs));
  RequestContext pay;
  pay.action = "payment";
  auto r = Login(phone, kUp | kBe | kBs, 0, pay);  // presence only → AAL1
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error().code, ErrorCode::kStepUpRequired);
  EXPECT_EQ(r.error().native, 2u);
  ASSERT_TRUE(session_.pending_step_up);
  EXPECT_EQ(session_.pending_step_up->required_aal, Aal::kAal2);
  EXPECT_EQ(session_.pending_step_up->satisfying_kinds,
            std::vector<CredentialKind>{CredentialKind::kPasskey});
  EXPECT_EQ(session_.aal, Aal::kNone);
  // The step-up ceremony demands UV and reaches AAL2.
  auto up = Login(phone, kUp | kUv | kBe | kBs, 0, pay, Aal::kAal2);
  ASSERT_TRUE(up) << up.error().ToString();
  EXPECT_EQ(up->assurance.level, Aal::kAal2);
  EXPECT_EQ(session_.aal, Aal::kAal2);
  EXPECT_FALSE(session_.pending_step_up);
  EXPECT_TRUE(auth_->Authorize(&session_, "payment"));
}

TEST_F(FacadeTest, AuthorizeAsksForStepUpAndALaterCeremonyRaisesTheSession) {
  Open("ciam");
  TestAuthenticator phone;
  ASSERT_TRUE(Register(phone, CredentialKind::kPasskey, kUp | kUv | kBe | kBs));
  ASSERT_TRUE(Login(phone, kUp | kBe | kBs, 0));  // AAL1 login is enough for "login"
  EXPECT_EQ(session_.aal, Aal::kAal1);
  auto denied = auth_->Authorize(&session_, "account_settings");
  ASSERT_FALSE(denied);
  EXPECT_EQ(denied.error().code, ErrorCode::kStepUpRequired);
  ASSERT_TRUE(session_.pending_step_up);
  EXPECT_EQ(session_.pending_step_up->required_aal, Aal::kAal2);
  // A UV ceremony raises the level; the audit records the step-up.
  ASSERT_TRUE(Login(phone, kUp | kUv | kBe | kBs, 0, {}, Aal::kAal2));
  EXPECT_EQ(session_.aal, Aal::kAal2);
  EXPECT_TRUE(auth_->Authorize(&session_, "account_settings"));
  bool step_up_recorded = false;
  auto lines = auth_->AuditTail(0);
  ASSERT_TRUE(lines);
  for (const auto& line : *lines) {
    auto j = ParseJson(line);
    ASSERT_TRUE(j);
    if ((*j)["event"] == "step_up" && (*j)["outcome"] == "success" && (*j)["aal"] == "aal2") {
      step_up_recorded = true;
    }
  }
  EXPECT_TRUE(step_up_recorded);
  EXPECT_EQ(auth_->Authorize(&session_, "no_such_action").error().code, ErrorCode::kPolicyDenied);
  Session empty;
  EXPECT_EQ(auth_->Authorize(&empty, "login").error().code, ErrorCode::kPolicyDenied);
}

TEST_F(FacadeTest, StepUpCeremonyWithoutUvIsRejected) {
  Open("ciam");
  TestAuthenticator phone;
  ASSERT_TRUE(Register(phone, CredentialKind::kPasskey, kUp | kUv | kBe | kBs));
  auto r = Login(phone, kUp | kBe | kBs, 0, {}, Aal::kAal2);
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error().code, ErrorCode::kUserNotVerified);
}

TEST_F(FacadeTest, CiamRefusesSmartCards) {
  Open("ciam");
  auto [key, cert] = sc_.IssueCard("alice");
  auto r = EnrollCard(cert);
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error().code, ErrorCode::kPolicyDenied);
  EXPECT_EQ(auth_->BeginRegistration(alice_.id, CredentialKind::kSmartCard).error().code,
            ErrorCode::kInvalidArgument);
}

TEST_F(FacadeTest, SignCountRegressionIsDeniedAndCounterKept) {
  Open("ciam");
  TestAuthenticator key;
  auto cred = Register(key, CredentialKind::kSecurityKey, kUp | kUv, TestFormat::kPackedFull, 5);
  ASSERT_TRUE(cred) << cred.error().ToString();
  EXPECT_EQ(cred->kind, CredentialKind::kSecurityKey);
  ASSERT_TRUE(Login(key, kUp | kUv, 9));
  auto r = Login(key, kUp | kUv, 7);
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error().code, ErrorCode::kPolicyDenied);
  auto creds = auth_->ListCredentials(alice_.id);
  ASSERT_TRUE(creds);
  EXPECT_EQ((*creds)[0].sign_count, 9u);
  EXPECT_NE(AuditText().find("clone_suspected"), std::string::npos);
}

// ---- workforce ----

TEST_F(FacadeTest, WorkforceAttestedSecurityKeyReachesAal3) {
  Open("workforce");
  TestAuthenticator key;
  auto cred = Register(key, CredentialKind::kSecurityKey, kUp | kUv, TestFormat::kPackedFull, 1);
  ASSERT_TRUE(cred) << cred.error().ToString();
  EXPECT_EQ(cred->trust_status, "trusted");
  EXPECT_EQ(cred->attestation_type, "basic");
  ASSERT_TRUE(cred->aaguid);
  EXPECT_EQ(*cred->aaguid, kKeyModel);
  auto r = Login(key, kUp | kUv, 2, Managed());
  ASSERT_TRUE(r) << r.error().ToString();
  EXPECT_EQ(r->assurance.level, Aal::kAal3);
  EXPECT_EQ(r->credential.sign_count, 2u);
  EXPECT_TRUE(auth_->Authorize(&session_, "admin"));
}

TEST_F(FacadeTest, WorkforceRegistrationRefusals) {
  Open("workforce");
  TestAuthenticator synced, unattested, no_uv;
  auto a =
      Register(synced, CredentialKind::kPasskey, kUp | kUv | kBe | kBs, TestFormat::kPackedFull);
  ASSERT_FALSE(a);
  EXPECT_EQ(a.error().code, ErrorCode::kPolicyDenied);
  auto b = Register(unattested, CredentialKind::kSecurityKey, kUp | kUv, TestFormat::kNone);
  ASSERT_FALSE(b);
  EXPECT_EQ(b.error().code, ErrorCode::kAttestationTrustRequired);
  auto c = Register(no_uv, CredentialKind::kSecurityKey, kUp, TestFormat::kPackedFull);
  ASSERT_FALSE(c);
  EXPECT_EQ(c.error().code, ErrorCode::kUserNotVerified);
  EXPECT_TRUE(auth_->ListCredentials(alice_.id)->empty());
}

TEST_F(FacadeTest, WorkforceAaguidAllowList) {
  Open(
      R"({"extends": "workforce", "aaguid_allow_list": ["00112233-4455-6677-8899-aabbccddeeff"]})");
  TestAuthenticator key;
  auto r = Register(key, CredentialKind::kSecurityKey, kUp | kUv, TestFormat::kPackedFull);
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error().code, ErrorCode::kPolicyDenied);
}

TEST_F(FacadeTest, WorkforceSmartCardWithPinIsAal3) {
  Open("workforce");
  auto [key, cert] = sc_.IssueCard("alice");
  auto cred = EnrollCard(cert);
  ASSERT_TRUE(cred) << cred.error().ToString();
  EXPECT_EQ(cred->kind, CredentialKind::kSmartCard);
  EXPECT_EQ(cred->attestation_type, "certificate");
  EXPECT_NE(cred->cert_issuer.find("keyward smart card CA"), std::string::npos);
  EXPECT_FALSE(cred->cert_serial.empty());
  auto r = CardLogin(key, cert, /*pin=*/true, Managed("admin"));
  ASSERT_TRUE(r) << r.error().ToString();
  EXPECT_EQ(r->kind, CredentialKind::kSmartCard);
  EXPECT_EQ(r->assurance.level, Aal::kAal3);
  EXPECT_EQ(session_.aal, Aal::kAal3);
  // Without the PIN: workforce requires user verification.
  auto no_pin = CardLogin(key, cert, false, Managed());
  ASSERT_FALSE(no_pin);
  EXPECT_EQ(no_pin.error().code, ErrorCode::kPolicyDenied);
  // A bad signature.
  auto bad = CardLogin(key, cert, true, Managed(), /*corrupt=*/true);
  ASSERT_FALSE(bad);
  EXPECT_EQ(bad.error().code, ErrorCode::kSignatureInvalid);
  // Another card's key with this certificate.
  auto [other_key, other_cert] = sc_.IssueCard("mallory");
  auto wrong = CardLogin(other_key, cert, true, Managed());
  ASSERT_FALSE(wrong);
  EXPECT_EQ(wrong.error().code, ErrorCode::kSignatureInvalid);
  // A certificate that was never enrolled.
  auto unknown = CardLogin(other_key, other_cert, true, Managed());
  ASSERT_FALSE(unknown);
  EXPECT_EQ(unknown.error().code, ErrorCode::kNotFound);
}

// The pkcs11 seam: a login verified by keyward::pkcs11::CardLogin, mapped by fingerprint.
TEST_F(FacadeTest, VerifiedCardLoginFromPkcs11) {
  Open("workforce");
  auto [key, cert] = sc_.IssueCard("alice");
  ASSERT_TRUE(EnrollCard(cert));
  auto begin = [&] {
    LoginRequest req;
    req.principal_id = alice_.id;
    req.kinds = {CredentialKind::kSmartCard};
    return auth_->BeginLogin(req);
  };
  VerifiedCardLogin v;
  v.certificate_fingerprint_sha256 = HexEncode(cert.Fingerprint());
  auto s1 = begin();
  ASSERT_TRUE(s1);
  auto r = auth_->FinishVerifiedCardLogin(s1->ceremony_id, v, Managed("admin"), &session_);
  ASSERT_TRUE(r) << r.error().ToString();
  EXPECT_EQ(r->assurance.level, Aal::kAal3);
  EXPECT_EQ(auth_->FinishVerifiedCardLogin(s1->ceremony_id, v, Managed(), nullptr).error().code,
            ErrorCode::kChallengeReplayed);
  // pkcs11 says the key is not proven hardware: AAL2, admin needs a step-up.
  v.assurance_level = "aal2";
  auto s2 = begin();
  ASSERT_TRUE(s2);
  auto r2 = auth_->FinishVerifiedCardLogin(s2->ceremony_id, v, Managed("admin"), nullptr);
  ASSERT_FALSE(r2);
  EXPECT_EQ(r2.error().code, ErrorCode::kStepUpRequired);
  auto s3 = begin();
  ASSERT_TRUE(s3);
  v.certificate_fingerprint_sha256 = std::string(64, '0');
  EXPECT_EQ(auth_->FinishVerifiedCardLogin(s3->ceremony_id, v, Managed(), nullptr).error().code,
            ErrorCode::kNotFound);
  auto s4 = begin();
  ASSERT_TRUE(s4);
  v.certificate_fingerprint_sha256 = "xyz";
  EXPECT_EQ(auth_->FinishVerifiedCardLogin(s4->ceremony_id, v, Managed(), nullptr).error().code,
            ErrorCode::kInvalidArgument);
}

// A card login is one store transaction: every refusal is audited with its code and spends the
// ceremony's challenge in the same commit, so the ceremony cannot be answered again.
TEST_F(FacadeTest, CardLoginRefusalsAreAuditedAndSpendTheChallenge) {
  Open(R"({"extends": "workforce", "attestation": "any"})");
  auto [key, cert] = sc_.IssueCard("alice");
  ASSERT_TRUE(EnrollCard(cert));
  TestAuthenticator security_key;
  ASSERT_TRUE(Register(security_key, CredentialKind::kSecurityKey, kUp | kUv));
  auto begin = [&](std::vector<CredentialKind> kinds, std::optional<Aal> step_up) {
    LoginRequest req;
    req.principal_id = alice_.id;
    req.kinds = std::move(kinds);
    req.step_up_to = step_up;
    return auth_->BeginLogin(req);
  };
  auto code = [&](const CeremonyStart& start,
                  const VerifiedCardLogin& v) -> std::optional<ErrorCode> {
    auto r = auth_->FinishVerifiedCardLogin(start.ceremony_id, v, Managed(), nullptr);
    if (r) return std::nullopt;
    return r.error().code;
  };
  VerifiedCardLogin card;
  card.certificate_fingerprint_sha256 = HexEncode(cert.Fingerprint());

  // The ceremony asked for security keys only.
  auto keys_only = begin({CredentialKind::kSecurityKey}, std::nullopt);
  ASSERT_TRUE(keys_only) << keys_only.error().ToString();
  EXPECT_EQ(code(*keys_only, card), ErrorCode::kCredentialNotAllowed);
  EXPECT_EQ(code(*keys_only, card), ErrorCode::kChallengeReplayed);

  // A step-up ceremony answered without the PIN.
  auto up = begin({CredentialKind::kSmartCard}, Aal::kAal3);
  ASSERT_TRUE(up) << up.error().ToString();
  VerifiedCardLogin no_pin = card;
  no_pin.pin_verified = false;
  EXPECT_EQ(code(*up, no_pin), ErrorCode::kUserNotVerified);
  EXPECT_EQ(code(*up, card), ErrorCode::kChallengeReplayed);

  // A security key's credential presented as a card.
  auto any = begin({}, std::nullopt);
  ASSERT_TRUE(any) << any.error().ToString();
  VerifiedCardLogin not_a_card;
  not_a_card.certificate_fingerprint_sha256 = HexEncode(security_key.credential_id());
  EXPECT_EQ(code(*any, not_a_card), ErrorCode::kCredentialTypeInvalid);
  EXPECT_EQ(code(*any, card), ErrorCode::kChallengeReplayed);

  // The refusals are in the audit log with their codes; the credential was never used.
  const std::string audit = AuditText();
  for (const char* c : {"credential_not_allowed", "user_not_verified", "credential_type_invalid",
                        "challenge_replayed"}) {
    EXPECT_NE(audit.find(c), std::string::npos) << c;
  }
  auto creds = auth_->ListCredentials(alice_.id);
  ASSERT_TRUE(creds);
  for (const auto& c : *creds) EXPECT_EQ(c.last_used_at, 0) << HexEncode(c.id);

  // A fresh ceremony still logs in.
  auto ok = begin({CredentialKind::kSmartCard}, std::nullopt);
  ASSERT_TRUE(ok);
  EXPECT_EQ(code(*ok, card), std::nullopt);
}

// ---- smart cards: the certificate is re-validated at every login ----

class CardRevalidationTest : public FacadeTest {
 protected:
  // Reopens the same store with other smart-card CRLs / anchors (what an operator changes).
  void Reopen(std::vector<Bytes> crls, std::vector<Bytes> anchors) {
    auth_.reset();
    config_.smart_card_crls = std::move(crls);
    config_.smart_card_anchors = std::move(anchors);
    auto a = Authenticator::Open(config_);
    ASSERT_TRUE(a) << a.error().ToString();
    auth_ = std::move(*a);
  }
  Bytes Crl(const std::vector<X509*>& revoked) {
    return testing::MakeCrl(sc_.ca_cert.get(), sc_.ca_key.pkey(), revoked, now_ - 60, now_ + 86400);
  }
  Result<AuthResult> VerifiedLogin(const Certificate& cert) {
    LoginRequest req;
    req.principal_id = alice_.id;
    req.kinds = {CredentialKind::kSmartCard};
    auto start = auth_->BeginLogin(req);
    if (!start) return Fail(start.error());
    VerifiedCardLogin v;
    v.certificate_fingerprint_sha256 = HexEncode(cert.Fingerprint());
    return auth_->FinishVerifiedCardLogin(start->ceremony_id, v, Managed("admin"), &session_);
  }
  // Both smart-card logins refuse with `code`, and the audit log records it.
  void ExpectBothRefused(const TestKey& key, const Certificate& cert, ErrorCode code) {
    auto direct = CardLogin(key, cert, true, Managed("admin"));
    ASSERT_FALSE(direct);
    EXPECT_EQ(direct.error().code, code) << ErrorCodeName(direct.error().code);
    auto verified = VerifiedLogin(cert);
    ASSERT_FALSE(verified);
    EXPECT_EQ(verified.error().code, code) << ErrorCodeName(verified.error().code);
    auto tail = auth_->AuditTail(2);
    ASSERT_TRUE(tail);
    for (const std::string& line : *tail) {
      EXPECT_NE(line.find(std::string("\"code\":\"") + std::string(ErrorCodeName(code)) + "\""),
                std::string::npos)
          << line;
    }
  }
};

TEST_F(CardRevalidationTest, CertificateRevokedAfterEnrolmentIsRefusedAtLogin) {
  Open("workforce");
  auto [key, cert] = sc_.IssueCard("alice");
  auto [other_key, other_cert] = sc_.IssueCard("bob");
  Reopen({Crl({other_cert.get()})}, {ToBytes(sc_.ca_cert.der())});
  ASSERT_TRUE(EnrollCard(cert));
  ASSERT_TRUE(CardLogin(key, cert, true, Managed("admin")));
  ASSERT_TRUE(VerifiedLogin(cert));
  // The CA revokes the card; the host gets the new CRL. The enrolment stays, the login does not.
  Reopen({Crl({other_cert.get(), cert.get()})}, {ToBytes(sc_.ca_cert.der())});
  ExpectBothRefused(key, cert, ErrorCode::kCertificateRevoked);
  // Enrolling a revoked certificate is refused too.
  CertificateEnrollment e;
  e.certificate = ToBytes(other_cert.der());
  auto enrol = auth_->EnrollCertificate(alice_.id, e);
  ASSERT_FALSE(enrol);
  EXPECT_EQ(enrol.error().code, ErrorCode::kCertificateRevoked);
}

TEST_F(CardRevalidationTest, CrlsConfiguredButNoneForTheIssuerIsRevocationUnknown) {
  Open("workforce");
  auto [key, cert] = sc_.IssueCard("alice");
  ASSERT_TRUE(EnrollCard(cert));  // enrolled while no CRLs were configured
  SmartCardPki other_ca("another smart card CA");
  Bytes foreign =
      testing::MakeCrl(other_ca.ca_cert.get(), other_ca.ca_key.pkey(), {}, now_ - 60, now_ + 86400);
  Reopen({foreign}, {ToBytes(sc_.ca_cert.der())});
  ExpectBothRefused(key, cert, ErrorCode::kRevocationUnknown);
  // A stale CRL of the right issuer (next update passed) proves nothing either.
  Bytes stale = testing::MakeCrl(sc_.ca_cert.get(), sc_.ca_key.pkey(), {}, now_ - 7200, now_ - 60);
  Reopen({stale}, {ToBytes(sc_.ca_cert.der())});
  ExpectBothRefused(key, cert, ErrorCode::kRevocationUnknown);
}

TEST_F(CardRevalidationTest, CertificateExpiredAtLoginIsRefused) {
  Open("workforce");
  TestKey key = TestKey::Generate(CoseAlgorithm::kES256);
  CertSpec leaf;
  leaf.subject = {{"O", "keyward tests"}, {"CN", "alice"}};
  leaf.eku = {"1.3.6.1.4.1.311.20.2.2"};
  leaf.not_before = now_ - 3600;
  leaf.not_after = now_ + 3600;
  Certificate cert = IssueCertificate(key, leaf, &sc_.ca_key, &sc_.ca_cert);
  ASSERT_TRUE(EnrollCard(cert));
  ASSERT_TRUE(CardLogin(key, cert, true, Managed("admin")));
  now_ += 7200;  // past notAfter
  ExpectBothRefused(key, cert, ErrorCode::kCertificateExpired);
}

TEST_F(CardRevalidationTest, AnchorRemovedAfterEnrolmentIsRefused) {
  Open("workforce");
  auto [key, cert] = sc_.IssueCard("alice");
  ASSERT_TRUE(EnrollCard(cert));
  SmartCardPki other_ca("another smart card CA");
  Reopen({}, {ToBytes(other_ca.ca_cert.der())});
  ExpectBothRefused(key, cert, ErrorCode::kCertificateUntrusted);
}

TEST_F(CardRevalidationTest, IntermediatesAreKeptAndUsedAtLogin) {
  Open("workforce");
  TestKey sub_key = TestKey::Generate(CoseAlgorithm::kES256);
  CertSpec sub;
  sub.subject = {{"O", "keyward tests"}, {"CN", "keyward issuing CA"}};
  sub.is_ca = true;
  Certificate sub_cert = IssueCertificate(sub_key, sub, &sc_.ca_key, &sc_.ca_cert);
  TestKey key = TestKey::Generate(CoseAlgorithm::kES256);
  CertSpec leaf;
  leaf.subject = {{"O", "keyward tests"}, {"CN", "alice"}};
  leaf.eku = {"1.3.6.1.5.5.7.3.2"};
  Certificate cert = IssueCertificate(key, leaf, &sub_key, &sub_cert);
  CertificateEnrollment e;
  e.certificate = ToBytes(cert.der());
  e.intermediates = {ToBytes(sub_cert.der())};
  auto cred = auth_->EnrollCertificate(alice_.id, e);
  ASSERT_TRUE(cred) << cred.error().ToString();
  ASSERT_EQ(cred->certificate_intermediates.size(), 1u);
  auto listed = auth_->ListCredentials(alice_.id);
  ASSERT_TRUE(listed);
  ASSERT_EQ(listed->size(), 1u);
  EXPECT_EQ((*listed)[0].certificate_intermediates, e.intermediates);
  auto ok = CardLogin(key, cert, true, Managed("admin"));
  ASSERT_TRUE(ok) << ok.error().ToString();
  // The issuing CA is revoked by the root: every card under it is refused.
  Bytes root_crl = Crl({sub_cert.get()});
  Bytes sub_crl = testing::MakeCrl(sub_cert.get(), sub_key.pkey(), {}, now_ - 60, now_ + 86400);
  Reopen({root_crl, sub_crl}, {ToBytes(sc_.ca_cert.der())});
  ExpectBothRefused(key, cert, ErrorCode::kCertificateRevoked);
}

TEST_F(CardRevalidationTest, UnparsableCrlIsRefusedAtOpen) {
  Open("workforce");
  auth_.reset();
  config_.smart_card_crls = {Bytes{0x30, 0x03, 0x02, 0x01, 0x00}};
  auto a = Authenticator::Open(config_);
  ASSERT_FALSE(a);
  EXPECT_EQ(a.error().code, ErrorCode::kCrlInvalid);
}

TEST_F(FacadeTest, SmartCardEnrolmentRefusals) {
  Open("workforce");
  // Self-signed: no path to the smart-card CA.
  TestKey k = TestKey::Generate(CoseAlgorithm::kES256);
  CertSpec self;
  self.subject = {{"CN", "self"}};
  auto r = EnrollCard(IssueCertificate(k, self, nullptr, nullptr));
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error().code, ErrorCode::kCertificateUntrusted);
  // Wrong EKU (e-mail protection only).
  auto [key, cert] = sc_.IssueCard("alice", {"1.3.6.1.5.5.7.3.4"});
  auto eku = EnrollCard(cert);
  ASSERT_FALSE(eku);
  EXPECT_EQ(eku.error().code, ErrorCode::kCertificateEkuMissing);
  // Not DER.
  CertificateEnrollment junk;
  junk.certificate = {1, 2, 3};
  EXPECT_EQ(auth_->EnrollCertificate(alice_.id, junk).error().code,
            ErrorCode::kCertificateMalformed);
  // The same card twice.
  auto [k2, c2] = sc_.IssueCard("alice2");
  ASSERT_TRUE(EnrollCard(c2));
  EXPECT_EQ(EnrollCard(c2).error().code, ErrorCode::kAlreadyExists);
}

// Dormancy asks for AAL3; an attested key with UV is AAL3 already, so the login passes and the
// signal is reported.
TEST_F(FacadeTest, WorkforceDormantAal3KeyIsAllowedWithTheSignal) {
  Open("workforce");
  TestAuthenticator key;
  ASSERT_TRUE(Register(key, CredentialKind::kSecurityKey, kUp | kUv, TestFormat::kPackedFull, 1));
  ASSERT_TRUE(Login(key, kUp | kUv, 2, Managed()));
  now_ += 100 * 86400;
  auto r = Login(key, kUp | kUv, 3, Managed());
  ASSERT_TRUE(r) << r.error().ToString();
  EXPECT_TRUE(r->risk.unused_long);
  EXPECT_EQ(r->risk.days_since_last_use, 100);
}

TEST_F(FacadeTest, BackupEligibilityChangeIsRejected) {
  Open(R"({"extends": "workforce", "attestation": "any"})");
  TestAuthenticator key;
  ASSERT_TRUE(Register(key, CredentialKind::kSecurityKey, kUp | kUv, TestFormat::kNone, 1));
  auto r = Login(key, kUp | kUv | kBe, 2, Managed());
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error().code, ErrorCode::kBackupEligibilityChanged);
}

TEST_F(FacadeTest, BackupStateChangeIsASignalInCiamAndDeniedWhenAPolicySaysSo) {
  Open("ciam");
  TestAuthenticator phone;
  auto cred = Register(phone, CredentialKind::kPasskey, kUp | kUv | kBe);  // BE, not yet backed up
  ASSERT_TRUE(cred);
  EXPECT_FALSE(cred->backup_state);
  auto r = Login(phone, kUp | kUv | kBe | kBs, 0);
  ASSERT_TRUE(r) << r.error().ToString();
  EXPECT_TRUE(r->risk.backup_state_changed);
  EXPECT_TRUE(r->credential.backup_state);
  EXPECT_TRUE((*auth_->ListCredentials(alice_.id))[0].backup_state);
  // A policy that denies on the signal.
  Open(
      R"({"extends": "ciam", "rules": [{"name": "bs", "if": {"signals": ["backup_state_changed"]}, "then": "deny"}]})");
  TestAuthenticator phone2;
  ASSERT_TRUE(Register(phone2, CredentialKind::kPasskey, kUp | kUv | kBe));
  auto denied = Login(phone2, kUp | kUv | kBe | kBs, 0);
  ASSERT_FALSE(denied);
  EXPECT_EQ(denied.error().code, ErrorCode::kPolicyDenied);
}

TEST_F(FacadeTest, UnattestedDeviceBoundKeyStepsUpToSmartCardForAdmin) {
  Open(R"({"extends": "workforce", "attestation": "any"})");
  TestAuthenticator key;
  ASSERT_TRUE(Register(key, CredentialKind::kSecurityKey, kUp | kUv, TestFormat::kNone, 1));
  auto [card_key, card_cert] = sc_.IssueCard("alice");
  ASSERT_TRUE(EnrollCard(card_cert));
  auto r = Login(key, kUp | kUv, 2, Managed("admin"));
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error().code, ErrorCode::kStepUpRequired);
  EXPECT_EQ(r.error().native, 3u);
  ASSERT_TRUE(session_.pending_step_up);
  EXPECT_EQ(session_.pending_step_up->satisfying_kinds,
            std::vector<CredentialKind>{CredentialKind::kSmartCard});
  // Dormant key: the AAL2 key now needs AAL3 even for login.
  auto card = CardLogin(card_key, card_cert, true, Managed("admin"));
  ASSERT_TRUE(card) << card.error().ToString();
  EXPECT_EQ(session_.aal, Aal::kAal3);
  EXPECT_TRUE(auth_->Authorize(&session_, "admin"));
  // Dormant AAL2 key: now even "login" needs AAL3.
  now_ += 91 * 86400;
  auto dormant = Login(key, kUp | kUv, 3, Managed());
  ASSERT_FALSE(dormant);
  EXPECT_EQ(dormant.error().code, ErrorCode::kStepUpRequired);
}

// ---- races ----

// The same assertion submitted twice at once: exactly one login succeeds and the other is
// challenge_replayed, never policy_denied, even when it read the winner's new counter (which
// looks like a regression) before the challenge was spent.
TEST_F(FacadeTest, RacingSameAssertionThreads) {
  Open("ciam");
  TestAuthenticator key;
  ASSERT_TRUE(Register(key, CredentialKind::kSecurityKey, kUp | kUv, TestFormat::kNone, 1));
  auto second = Authenticator::Open(config_);
  ASSERT_TRUE(second);
  for (uint32_t round = 0; round < 40; ++round) {
    LoginRequest req;
    req.principal_id = alice_.id;
    auto start = auth_->BeginLogin(req);
    ASSERT_TRUE(start);
    const std::string response = Assertion(key, *start, kUp | kUv, 2 + round);
    std::atomic<int> ready{0};
    std::atomic<bool> go{false};
    Result<AuthResult> r1 = Fail(ErrorCode::kInternal), r2 = Fail(ErrorCode::kInternal);
    auto run = [&](Authenticator* a, Result<AuthResult>* out) {
      ready++;
      while (!go) std::this_thread::yield();
      *out = a->FinishLogin(start->ceremony_id, response, {}, nullptr);
    };
    std::thread t1(run, auth_.get(), &r1), t2(run, second->get(), &r2);
    while (ready < 2) std::this_thread::yield();
    go = true;
    t1.join();
    t2.join();
    ASSERT_NE(r1.has_value(), r2.has_value()) << "round " << round;
    const ErrorCode lost = (r1 ? r2 : r1).error().code;
    EXPECT_EQ(lost, ErrorCode::kChallengeReplayed)
        << "round " << round << ": " << ErrorCodeName(lost);
  }
  EXPECT_TRUE(auth_->VerifyAuditChain());
}

// A response to an answered ceremony whose counter is also behind the store's: the replay is
// what is reported (the challenge decides first), not the regression.
TEST_F(FacadeTest, ReplayOfAnsweredCeremonyAfterCounterAdvancedIsReplayNotRegression) {
  Open("ciam");
  TestAuthenticator key;
  ASSERT_TRUE(Register(key, CredentialKind::kSecurityKey, kUp | kUv, TestFormat::kNone, 1));
  LoginRequest req;
  req.principal_id = alice_.id;
  auto first = auth_->BeginLogin(req);
  ASSERT_TRUE(first);
  const std::string old_response = Assertion(key, *first, kUp | kUv, 5);
  ASSERT_TRUE(auth_->FinishLogin(first->ceremony_id, old_response, {}, nullptr));
  ASSERT_TRUE(Login(key, kUp | kUv, 9));
  auto again = auth_->FinishLogin(first->ceremony_id, old_response, {}, nullptr);
  ASSERT_FALSE(again);
  EXPECT_EQ(again.error().code, ErrorCode::kChallengeReplayed);
}

// The same assertion from three processes at once: one login, two challenge_replayed.
TEST_F(FacadeTest, RacingSameAssertionProcesses) {
  Open("ciam");
  TestAuthenticator key;
  ASSERT_TRUE(Register(key, CredentialKind::kSecurityKey, kUp | kUv, TestFormat::kNone, 1));
  constexpr int kProcs = 3;
  for (uint32_t round = 0; round < 8; ++round) {
    LoginRequest req;
    req.principal_id = alice_.id;
    auto start = auth_->BeginLogin(req);
    ASSERT_TRUE(start);
    const std::string response = Assertion(key, *start, kUp | kUv, 2 + round);
    int gate[2];
    ASSERT_EQ(pipe(gate), 0);
    pid_t pids[kProcs];
    for (int i = 0; i < kProcs; ++i) {
      pids[i] = fork();
      ASSERT_GE(pids[i], 0);
      if (pids[i] == 0) {
        close(gate[1]);
        auto a = Authenticator::Open(config_);
        if (!a) _exit(9);
        char b;
        (void)!read(gate[0], &b, 1);
        auto r = (*a)->FinishLogin(start->ceremony_id, response, {}, nullptr);
        if (r) _exit(0);
        if (r.error().code == ErrorCode::kChallengeReplayed) _exit(1);
        if (r.error().code == ErrorCode::kPolicyDenied) _exit(2);
        _exit(8);
      }
    }
    close(gate[0]);
    close(gate[1]);  // EOF releases every child at once
    int wins = 0, replays = 0;
    for (pid_t pid : pids) {
      int status = 0;
      ASSERT_EQ(waitpid(pid, &status, 0), pid);
      ASSERT_TRUE(WIFEXITED(status));
      const int code = WEXITSTATUS(status);
      if (code == 0) ++wins;
      if (code == 1) ++replays;
      EXPECT_TRUE(code == 0 || code == 1) << "round " << round << ": exit " << code;
    }
    EXPECT_EQ(wins, 1) << "round " << round;
    EXPECT_EQ(replays, kProcs - 1) << "round " << round;
  }
  EXPECT_TRUE(auth_->VerifyAuditChain());
}

// Two different ceremonies answered by a cloned key with the same counter, from two processes:
// at most one login passes (the other loses the compare-and-set or is denied as a regression).
TEST_F(FacadeTest, RacingClonedCounterProcesses) {
  Open("ciam");
  TestAuthenticator key;
  ASSERT_TRUE(Register(key, CredentialKind::kSecurityKey, kUp | kUv, TestFormat::kNone, 1));
  for (uint32_t round = 0; round < 6; ++round) {
    LoginRequest req;
    req.principal_id = alice_.id;
    auto s1 = auth_->BeginLogin(req);
    auto s2 = auth_->BeginLogin(req);
    ASSERT_TRUE(s1 && s2);
    const uint32_t count = 10 + round * 2;  // > stored, same for both
    const std::string resp[2] = {Assertion(key, *s1, kUp | kUv, count),
                                 Assertion(key, *s2, kUp | kUv, count)};
    const std::string ids[2] = {s1->ceremony_id, s2->ceremony_id};
    int gate[2];
    ASSERT_EQ(pipe(gate), 0);
    pid_t pids[2];
    for (int i = 0; i < 2; ++i) {
      pids[i] = fork();
      ASSERT_GE(pids[i], 0);
      if (pids[i] == 0) {
        close(gate[1]);
        auto a = Authenticator::Open(config_);
        if (!a) _exit(9);
        char b;
        (void)!read(gate[0], &b, 1);
        auto r = (*a)->FinishLogin(ids[i], resp[i], {}, nullptr);
        if (r) _exit(0);
        if (r.error().code == ErrorCode::kStoreConflict) _exit(1);
        if (r.error().code == ErrorCode::kPolicyDenied) _exit(2);
        _exit(8);
      }
    }
    close(gate[0]);
    close(gate[1]);
    int wins = 0, losses = 0;
    for (pid_t pid : pids) {
      int status = 0;
      ASSERT_EQ(waitpid(pid, &status, 0), pid);
      ASSERT_TRUE(WIFEXITED(status));
      const int code = WEXITSTATUS(status);
      if (code == 0) ++wins;
      if (code == 1 || code == 2) ++losses;
    }
    EXPECT_EQ(wins, 1) << "round " << round;
    EXPECT_EQ(losses, 1) << "round " << round;
  }
  EXPECT_TRUE(auth_->VerifyAuditChain());
}

// ---- privacy ----

TEST_F(FacadeTest, ExportThenEraseLeavesNothingPersonal) {
  Open("workforce");
  TestAuthenticator key;
  auto cred = Register(key, CredentialKind::kSecurityKey, kUp | kUv, TestFormat::kPackedFull, 1);
  ASSERT_TRUE(cred) << cred.error().ToString();
  auto [card_key, card_cert] = sc_.IssueCard("Alice Cardholder");
  auto card = EnrollCard(card_cert);
  ASSERT_TRUE(card);
  ASSERT_TRUE(Login(key, kUp | kUv, 2, Managed()));
  ASSERT_TRUE(auth_->BeginLogin({alice_.id, std::nullopt, {}}));  // an open challenge

  auto exported = auth_->ExportPrincipal(alice_.id);
  ASSERT_TRUE(exported) << exported.error().ToString();
  auto j = ParseJson(*exported);
  ASSERT_TRUE(j);
  EXPECT_EQ((*j)["principal"]["name"], "alice@example.com");
  EXPECT_EQ((*j)["credentials"].size(), 2u);
  // The registration's and the login's (used) and the open one.
  ASSERT_EQ((*j)["challenges"].size(), 3u);
  int open = 0;
  for (const auto& c : (*j)["challenges"]) open += c["used"] == false;
  EXPECT_EQ(open, 1);
  EXPECT_GE((*j)["audit"].size(), 4u);  // created, registration, enrollment, login, export

  ASSERT_TRUE(auth_->ErasePrincipal(alice_.id));
  EXPECT_EQ(auth_->ExportPrincipal(alice_.id).error().code, ErrorCode::kNotFound);
  EXPECT_EQ(auth_->GetPrincipal(alice_.id).error().code, ErrorCode::kNotFound);
  EXPECT_EQ(auth_->ErasePrincipal(alice_.id).error().code, ErrorCode::kNotFound);

  // The audit keeps pseudonymous records only, erasure included, and still verifies.
  const std::string audit = AuditText();
  EXPECT_NE(audit.find("\"event\":\"erasure\""), std::string::npos);
  for (const std::string& needle :
       {alice_.name, alice_.display_name, alice_.id, Base64UrlEncode(alice_.user_handle),
        Base64UrlEncode(cred->id), HexEncode(cred->id)}) {
    EXPECT_EQ(audit.find(needle), std::string::npos) << needle;
  }
  EXPECT_TRUE(auth_->VerifyAuditChain());

  // Nothing personal remains in the database files either (secure_delete + WAL checkpoint).
  // (SQLite only: PostgreSQL keeps deleted rows' bytes until VACUUM; see docs/authenticator.md.)
  auth_.reset();
  if (OnPg()) return;
  const std::string raw =
      testing::ReadAll(config_.db_path) + testing::ReadAll(config_.db_path + "-wal");
  auto contains = [&](ByteSpan needle) {
    return std::search(raw.begin(), raw.end(), needle.begin(), needle.end()) != raw.end();
  };
  EXPECT_FALSE(contains(AsBytes(alice_.name)));
  EXPECT_FALSE(contains(AsBytes(alice_.display_name)));
  EXPECT_FALSE(contains(AsBytes(alice_.id)));
  EXPECT_FALSE(contains(alice_.user_handle));
  EXPECT_FALSE(contains(cred->id));
  EXPECT_FALSE(contains(cred->public_key));
  EXPECT_FALSE(contains(card->certificate));
  EXPECT_FALSE(contains(AsBytes("Alice Cardholder")));
}

TEST_F(FacadeTest, AdminActionsAreAudited) {
  Open("ciam");
  TestAuthenticator phone;
  auto cred = Register(phone, CredentialKind::kPasskey, kUp | kUv | kBe | kBs);
  ASSERT_TRUE(cred);
  ASSERT_TRUE(auth_->RenameCredential(cred->id, "old phone"));
  EXPECT_EQ((*auth_->ListCredentials(alice_.id))[0].nickname, "old phone");
  ASSERT_TRUE(auth_->RemoveCredential(cred->id));
  EXPECT_EQ(auth_->RemoveCredential(cred->id).error().code, ErrorCode::kNotFound);
  const std::string audit = AuditText();
  EXPECT_NE(audit.find("rename_credential"), std::string::npos);
  EXPECT_NE(audit.find("remove_credential"), std::string::npos);
  EXPECT_EQ(audit.find("old phone"), std::string::npos);  // nicknames are not logged
}

TEST_F(FacadeTest, SetDisplayNameIsStoredAndAuditedWithoutTheName) {
  Open("ciam");
  ASSERT_TRUE(auth_->SetDisplayName(alice_.id, "Alice Renamed"));
  EXPECT_EQ(auth_->GetPrincipal(alice_.id)->display_name, "Alice Renamed");
  EXPECT_EQ(auth_->SetDisplayName("p_nobody", "X").error().code, ErrorCode::kNotFound);
  EXPECT_EQ(auth_->SetDisplayName(alice_.id, std::string(257, 'a')).error().code,
            ErrorCode::kInvalidArgument);
  const std::string audit = AuditText();
  EXPECT_NE(audit.find("set_display_name"), std::string::npos);
  EXPECT_EQ(audit.find("Alice Renamed"), std::string::npos);  // personal data is not logged
}

TEST_F(FacadeTest, BadPolicyAndStoreErrorsAtOpen) {
  AuthenticatorConfig c;
  c.db_path = dir_.File("x.db");
  c.policy = R"({"allowed_kinds": ["passkey"], "typo": 1})";
  EXPECT_EQ(Authenticator::Open(c).error().code, ErrorCode::kConfigInvalid);
  c.policy = "ciam";
  c.db_path = "";
  EXPECT_EQ(Authenticator::Open(c).error().code, ErrorCode::kConfigInvalid);
  c.db_path = "/nonexistent-kw-dir/x.db";
  EXPECT_EQ(Authenticator::Open(c).error().code, ErrorCode::kStoreIo);
}

}  // namespace
}  // namespace keyward::authenticator
