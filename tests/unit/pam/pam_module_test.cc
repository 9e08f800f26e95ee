// pam_keyward end to end under pam_wrapper (no /etc touched): libpamtest runs
// pam_authenticate on a service file written to PAM_WRAPPER_SERVICE_DIR, whose auth line names
// the module by its absolute path (the test build, pam_keyward_testhooks.so, so that every log
// line also goes to a file the test reads). Each case asserts the PAM return code and the log
// line's outcome and code.
//  - Smart card: SoftHSM2 tokens in SSSD's scenarios (tests/unit/pkcs11 helpers: key generated on
//    the token, certificate from a CA made in the test), CRLs, OCSP through the test responder.
//  - Security key: the software CTAP key through libfido2 (test_fido_device=soft:FILE), enrolled
//    with `keyward fido enroll --pam`.
//  - Remote sessions through pamtester (-I rhost=...).
// Needs root: the config file must be root-owned, as the module demands, and the test accounts
// are the system's `nobody` and `daemon`.
#include <gtest/gtest.h>
#include <security/pam_appl.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>
#include <sstream>
#include <string>
#include <vector>

#include "pam/fido_enroll.h"
#include "pam/fido_store.h"
#include "tests/unit/pam/pam_fixture.h"
#include "tests/unit/pkcs11/test_env.h"

namespace keyward::pam {
namespace {

constexpr char kUser[] = "nobody";
constexpr char kOtherUser[] = "daemon";
constexpr char kToken[] = "pam-card";
constexpr char kRules[] = "rule by-upn: <SUBJECT>.* => upn-user\n";

// ---- Smart card: SoftHSM2 ----------------------------------------------------------------------

class PamCardTest : public PamModuleTest {
 protected:
  void SetUp() override {
    PamModuleTest::SetUp();
    if (HasFatalFailure()) return;
    now_ = UnixNow();
    ca_ = t::TestCa::Create("PAM Test CA", now_);
    ca_file_ = dir_ + "/ca.pem";
    t::WriteFile(ca_file_, ca_.CertPem());
    rules_ = dir_ + "/rules";
    t::WriteFile(rules_, kRules);
    hsm_.InitToken(kToken);
  }

  t::LeafSpec Spec(const std::string& user) {
    t::LeafSpec s;
    s.cn = "User " + user;
    s.upn = {user + "@corp.example"};
    s.not_before = now_ - t::kDay;
    s.not_after = now_ + 365 * t::kDay;
    return s;
  }
  X509Ptr Enrol(const std::string& id, const t::LeafSpec& spec, const t::TestCa* ca = nullptr) {
    EvpPkeyPtr pub = hsm_.GenerateKey(kToken, id, "EC:prime256v1");
    X509Ptr cert = t::IssueLeaf(ca ? *ca : ca_, pub.get(), spec);
    hsm_.WriteCertificate(kToken, id, cert.get(), "cert" + id);
    return cert;
  }
  std::string CardConfig(const std::string& more = "") {
    return "methods = card\ncard_module = " + std::string(t::kSoftHsmModule) +
           "\ncard_token = " + kToken + "\ncard_ca = " + ca_file_ + "\ncard_rules = " + rules_ +
           "\n" + more;
  }

  int64_t now_ = 0;
  t::SoftHsm hsm_;
  t::TestCa ca_;
  std::string ca_file_, rules_;
};

TEST_F(PamCardTest, ValidCardLogsIn) {
  Enrol("01", Spec(kUser));
  Configure(CardConfig());
  Conv c;
  c.answers = {t::kUserPin};
  EXPECT_EQ(Authenticate(kUser, c), PAM_SUCCESS);
  ExpectLog("PAM_SUCCESS", "ok");
  EXPECT_NE(Log().find("method=card"), std::string::npos);
  EXPECT_NE(Log().find("account=nobody"), std::string::npos);
  EXPECT_EQ(Log().find(t::kUserPin), std::string::npos) << "the PIN is never logged";
  ASSERT_EQ(c.prompts.size(), 1u);
  EXPECT_EQ(c.prompts[0], std::string("PIN for ") + kToken + ": ");
}

TEST_F(PamCardTest, TwoCertificatesTheValidOneIsUsed) {
  t::LeafSpec expired = Spec(kUser);
  expired.not_before = now_ - 30 * t::kDay;
  expired.not_after = now_ - t::kDay;
  Enrol("01", expired);
  Enrol("02", Spec(kUser));
  Configure(CardConfig());
  EXPECT_EQ(Authenticate(kUser, {t::kUserPin}), PAM_SUCCESS);
  ExpectLog("PAM_SUCCESS", "ok");
}

TEST_F(PamCardTest, ExpiredCertificateIsRefused) {
  t::LeafSpec s = Spec(kUser);
  s.not_before = now_ - 30 * t::kDay;
  s.not_after = now_ - t::kDay;
  Enrol("01", s);
  Configure(CardConfig());
  EXPECT_EQ(Authenticate(kUser, {t::kUserPin}), PAM_AUTH_ERR);
  ExpectLog("PAM_AUTH_ERR", "certificate_expired");
}

TEST_F(PamCardTest, RevokedCertificateIsRefusedByTheCrl) {
  X509Ptr cert = Enrol("01", Spec(kUser));
  X509CrlPtr crl = t::MakeCrl(ca_, {cert.get()}, now_);
  t::WriteFile(dir_ + "/ca.crl", t::CrlPem(crl.get()));
  Configure(CardConfig("card_crl = " + dir_ + "/ca.crl\n"));
  EXPECT_EQ(Authenticate(kUser, {t::kUserPin}), PAM_AUTH_ERR);
  ExpectLog("PAM_AUTH_ERR", "certificate_revoked");
}

TEST_F(PamCardTest, UntrustedIssuerIsRefused) {
  t::TestCa other = t::TestCa::Create("Other CA", now_);
  Enrol("01", Spec(kUser), &other);
  Configure(CardConfig());
  EXPECT_EQ(Authenticate(kUser, {t::kUserPin}), PAM_AUTH_ERR);
  EXPECT_NE(Log().find("outcome=PAM_AUTH_ERR code=certificate_"), std::string::npos) << Log();
}

TEST_F(PamCardTest, WrongPinIsRefused) {
  Enrol("01", Spec(kUser));
  Configure(CardConfig());
  Conv c;
  c.answers = {"000000"};
  EXPECT_EQ(Authenticate(kUser, c), PAM_AUTH_ERR);
  ExpectLog("PAM_AUTH_ERR", "pin_incorrect");
  ASSERT_FALSE(c.errors.empty());
  EXPECT_EQ(c.errors[0].rfind("Wrong PIN.", 0), 0u);
}

TEST_F(PamCardTest, CancelledPinPromptIsNeverALogin) {
  Enrol("01", Spec(kUser));
  Configure(CardConfig());
  EXPECT_EQ(Authenticate(kUser, std::vector<std::string>{}), PAM_AUTH_ERR);
  ExpectLog("PAM_AUTH_ERR", "pam_conversation_failed");
  EXPECT_EQ(Authenticate(kUser, {""}), PAM_AUTH_ERR);  // an empty PIN is not tried
  ExpectLog("PAM_AUTH_ERR", "pin_required");
}

TEST_F(PamCardTest, CertificateForAnotherUserIsRefused) {
  Enrol("01", Spec(kOtherUser));
  Configure(CardConfig());
  EXPECT_EQ(Authenticate(kUser, {t::kUserPin}), PAM_AUTH_ERR);
  ExpectLog("PAM_AUTH_ERR", "pam_account_mismatch");
  EXPECT_NE(Log().find("account=daemon"), std::string::npos) << Log();
}

TEST_F(PamCardTest, CardAbsentIsAuthinfoUnavail) {
  Enrol("01", Spec(kUser));
  Configure("methods = card\ncard_module = " + std::string(t::kSoftHsmModule) +
            "\ncard_token = no-such-card\ncard_ca = " + ca_file_ + "\ncard_wait = 1\n");
  Conv c;
  EXPECT_EQ(Authenticate(kUser, c), PAM_AUTHINFO_UNAVAIL);
  ExpectLog("PAM_AUTHINFO_UNAVAIL", "pkcs11_token_not_found");
  EXPECT_TRUE(c.prompts.empty()) << "no PIN is asked without a card";
  ASSERT_FALSE(c.info.empty());
  EXPECT_EQ(c.info[0], "Insert your smart card.");
}

TEST_F(PamCardTest, OcspGoodIsRecorded) {
  X509Ptr cert = Enrol("01", Spec(kUser));
  t::HostileOcspResponder ocsp(ca_, dir_, {"--status", "good"});
  ASSERT_TRUE(ocsp.ready());
  Configure(CardConfig("card_ocsp = " + ocsp.url() + "\n"));
  EXPECT_EQ(Authenticate(kUser, {t::kUserPin}), PAM_SUCCESS);
  ExpectLog("PAM_SUCCESS", "ok");
  EXPECT_NE(Log().find("revocation=ocsp/good"), std::string::npos) << Log();
}

TEST_F(PamCardTest, OcspRevokedIsRefused) {
  Enrol("01", Spec(kUser));
  t::HostileOcspResponder ocsp(ca_, dir_, {"--status", "revoked"});
  ASSERT_TRUE(ocsp.ready());
  Configure(CardConfig("card_ocsp = " + ocsp.url() + "\ncard_ocsp_failure = soft\n"));
  EXPECT_EQ(Authenticate(kUser, {t::kUserPin}), PAM_AUTH_ERR);
  ExpectLog("PAM_AUTH_ERR", "certificate_revoked");
}

TEST_F(PamCardTest, OcspDownHardFail) {
  Enrol("01", Spec(kUser));
  std::string url = "http://127.0.0.1:" + std::to_string(t::FreeLoopbackPort()) + "/";
  Configure(CardConfig("card_ocsp = " + url + "\ncard_ocsp_timeout = 2\n"));
  EXPECT_EQ(Authenticate(kUser, {t::kUserPin}), PAM_AUTHINFO_UNAVAIL);
  ExpectLog("PAM_AUTHINFO_UNAVAIL", "ocsp_unavailable");
}

TEST_F(PamCardTest, OcspDownSoftFail) {
  Enrol("01", Spec(kUser));
  std::string url = "http://127.0.0.1:" + std::to_string(t::FreeLoopbackPort()) + "/";
  Configure(
      CardConfig("card_ocsp = " + url + "\ncard_ocsp_timeout = 2\ncard_ocsp_failure = soft\n"));
  EXPECT_EQ(Authenticate(kUser, {t::kUserPin}), PAM_SUCCESS);
  ExpectLog("PAM_SUCCESS", "ok");
  EXPECT_NE(Log().find("revocation=ocsp/soft_fail"), std::string::npos) << Log();
}

TEST_F(PamCardTest, OcspDownOfflineCrlDecides) {
  X509Ptr cert = Enrol("01", Spec(kUser));
  std::string url = "http://127.0.0.1:" + std::to_string(t::FreeLoopbackPort()) + "/";
  // A current CRL that does not list the certificate: login proceeds on the cached CRL.
  X509CrlPtr clean = t::MakeCrl(ca_, {}, now_);
  t::WriteFile(dir_ + "/clean.crl", t::CrlPem(clean.get()));
  Configure(CardConfig("card_ocsp = " + url + "\ncard_ocsp_timeout = 2\n" +
                       "card_ocsp_failure = crl\ncard_crl = " + dir_ + "/clean.crl\n"));
  EXPECT_EQ(Authenticate(kUser, {t::kUserPin}), PAM_SUCCESS);
  ExpectLog("PAM_SUCCESS", "ok");
  EXPECT_NE(Log().find("revocation=crl/good(ocsp-unavailable)"), std::string::npos) << Log();
}

TEST_F(PamCardTest, OcspDownOfflineCrlRevoked) {
  X509Ptr cert = Enrol("01", Spec(kUser));
  std::string url = "http://127.0.0.1:" + std::to_string(t::FreeLoopbackPort()) + "/";
  X509CrlPtr crl = t::MakeCrl(ca_, {cert.get()}, now_);
  t::WriteFile(dir_ + "/ca.crl", t::CrlPem(crl.get()));
  Configure(CardConfig("card_ocsp = " + url + "\ncard_ocsp_timeout = 2\n" +
                       "card_ocsp_failure = crl\ncard_crl = " + dir_ + "/ca.crl\n"));
  EXPECT_EQ(Authenticate(kUser, {t::kUserPin}), PAM_AUTH_ERR);
  ExpectLog("PAM_AUTH_ERR", "certificate_revoked");
}

TEST_F(PamCardTest, UnknownUser) {
  Enrol("01", Spec(kUser));
  Configure(CardConfig());
  EXPECT_EQ(Authenticate("kw-no-such-user", {t::kUserPin}), PAM_USER_UNKNOWN);
  ExpectLog("PAM_USER_UNKNOWN", "pam_user_unknown");
}

TEST_F(PamCardTest, BrokenConfigIsSystemErr) {
  Configure("methods = card\ncard_waitt = 3\n");
  EXPECT_EQ(Authenticate(kUser, {t::kUserPin}), PAM_SYSTEM_ERR);
  ExpectLog("PAM_SYSTEM_ERR", "config_invalid");
  EXPECT_NE(Log().find("line 3"), std::string::npos) << Log();

  Configure(CardConfig(), "no_such_argument");
  EXPECT_EQ(Authenticate(kUser, {t::kUserPin}), PAM_SYSTEM_ERR);
  ExpectLog("PAM_SYSTEM_ERR", "pam_module_argument_invalid");

  Configure(CardConfig());
  chmod(config_.c_str(), 0666);  // anyone could rewrite it
  EXPECT_EQ(Authenticate(kUser, {t::kUserPin}), PAM_SYSTEM_ERR);
  ExpectLog("PAM_SYSTEM_ERR", "permission_denied");

  Configure("methods = card\ncard_module = /nonexistent/module.so\ncard_ca = " + ca_file_ + "\n");
  EXPECT_EQ(Authenticate(kUser, {t::kUserPin}), PAM_SYSTEM_ERR);
  ExpectLog("PAM_SYSTEM_ERR", "pkcs11_module_load_failed");
}

// ---- Security key: the software CTAP key -------------------------------------------------------

struct CliResult {
  int exit_code = -1;
  nlohmann::json out;
};

class PamFidoTest : public PamModuleTest {
 protected:
  void SetUp() override {
    PamModuleTest::SetUp();
    if (HasFatalFailure()) return;
    key_ = dir_ + "/key.state";
    creds_ = dir_ + "/creds-%u";
  }
  std::string CredFile(const std::string& user) { return dir_ + "/creds-" + user; }

  CliResult Keyward(const std::string& args, const std::string& pins = "") {
    std::string pin_file = dir_ + "/pins";
    t::WriteFile(pin_file, pins);
    std::string cmd = std::string(KEYWARD_BIN_DIR) + "/keyward " + args + " --json < " + pin_file +
                      " 2>>" + dir_ + "/cli.err";
    FILE* p = popen(cmd.c_str(), "r");
    std::string text;
    char buf[4096];
    size_t n;
    while ((n = std::fread(buf, 1, sizeof(buf), p)) > 0) text.append(buf, n);
    int status = pclose(p);
    CliResult r;
    r.exit_code = WIFEXITED(status) ? WEXITSTATUS(status) : -1;
    r.out = nlohmann::json::parse(text, nullptr, false);
    return r;
  }
  void EnrolKey(const std::string& user, const std::string& pin = "") {
    CliResult r = Keyward("fido enroll --device soft:" + key_ + " --pam " + user + " --pam-file " +
                              CredFile(user) + (pin.empty() ? "" : " --pin-fd 0"),
                          pin.empty() ? "" : pin + "\n");
    ASSERT_EQ(r.exit_code, 0) << r.out.dump() << ReadAll(dir_ + "/cli.err");
    EXPECT_EQ(r.out["pam"]["user"], user);
    EXPECT_EQ(r.out["pam"]["rp_id"].get<std::string>().rfind("pam://", 0), 0u);
  }
  std::string FidoConfig(const std::string& more = "") {
    return "methods = fido\nfido_credentials = " + creds_ + "\n" + more;
  }
  std::string Device(const std::string& kind = "soft") {
    return "test_fido_device=" + kind + ":" + key_;
  }

  std::string key_, creds_;
};

TEST_F(PamFidoTest, EnrolmentFileIsPrivate) {
  EnrolKey(kUser);
  struct stat st {};
  ASSERT_EQ(stat(CredFile(kUser).c_str(), &st), 0);
  EXPECT_EQ(st.st_mode & 0777, 0600u);
  EXPECT_EQ(st.st_uid, 65534u);  // nobody
}

// Without --pam-file the file goes to the user's home, written as the user: daemon's home
// (/usr/sbin) belongs to root, so the enrolment must fail rather than have root write there.
TEST_F(PamFidoTest, DefaultFileIsWrittenAsTheUser) {
  const std::string would_be = "/usr/sbin/.config/keyward/pam_fido";
  ASSERT_FALSE(std::filesystem::exists(would_be));
  const bool had_dir = std::filesystem::exists("/usr/sbin/.config");
  CliResult r = Keyward("fido enroll --device soft:" + key_ + " --pam " + kOtherUser);
  EXPECT_NE(r.exit_code, 0) << r.out.dump();
  EXPECT_EQ(r.out["error"]["code"], "io_error") << r.out.dump();
  EXPECT_FALSE(std::filesystem::exists(would_be));
  if (!had_dir) std::filesystem::remove_all("/usr/sbin/.config");  // only after a regression
}

TEST_F(PamFidoTest, PresenceLogsInAndStoresTheCounter) {
  EnrolKey(kUser);
  Configure(FidoConfig(), Device());
  Conv c;
  EXPECT_EQ(Authenticate(kUser, c), PAM_SUCCESS);
  ExpectLog("PAM_SUCCESS", "ok");
  EXPECT_NE(Log().find("method=fido"), std::string::npos);
  ASSERT_FALSE(c.info.empty());
  EXPECT_EQ(c.info.back(), "Touch your security key.");
  std::string first = ReadAll(CredFile(kUser));
  EXPECT_EQ(Authenticate(kUser, std::vector<std::string>{}), PAM_SUCCESS);
  EXPECT_NE(ReadAll(CredFile(kUser)), first) << "the sign counter is stored after each login";
}

TEST_F(PamFidoTest, PinRequired) {
  ASSERT_EQ(Keyward("fido set-pin --device soft:" + key_ + " --pin-fd 0", "4321\n").exit_code, 0);
  EnrolKey(kUser, "4321");
  Configure(FidoConfig("fido_verification = pin\n"), Device());
  Conv ok;
  ok.answers = {"4321"};
  EXPECT_EQ(Authenticate(kUser, ok), PAM_SUCCESS);
  ExpectLog("PAM_SUCCESS", "ok");
  EXPECT_NE(Log().find("uv=yes"), std::string::npos) << Log();
  EXPECT_EQ(Log().find("4321"), std::string::npos) << "the PIN is never logged";

  EXPECT_EQ(Authenticate(kUser, {"9999"}), PAM_AUTH_ERR);
  ExpectLog("PAM_AUTH_ERR", "pin_incorrect");
}

TEST_F(PamFidoTest, CancelledPinPromptIsNeverALogin) {
  // pam_u2f CVE-2021-31924: a failed PIN prompt must not turn into a presence-only login.
  ASSERT_EQ(Keyward("fido set-pin --device soft:" + key_ + " --pin-fd 0", "4321\n").exit_code, 0);
  EnrolKey(kUser, "4321");
  Configure(FidoConfig("fido_verification = pin\n"), Device());
  EXPECT_EQ(Authenticate(kUser, std::vector<std::string>{}), PAM_AUTH_ERR);
  ExpectLog("PAM_AUTH_ERR", "pam_conversation_failed");
  EXPECT_EQ(Authenticate(kUser, {""}), PAM_AUTH_ERR);
  ExpectLog("PAM_AUTH_ERR", "pin_required");
}

TEST_F(PamFidoTest, BuiltInUserVerification) {
  EnrolKey(kUser);
  Configure(FidoConfig("fido_verification = uv\n"), Device("soft-uv"));
  EXPECT_EQ(Authenticate(kUser, std::vector<std::string>{}), PAM_SUCCESS);
  ExpectLog("PAM_SUCCESS", "ok");
  EXPECT_NE(Log().find("uv=yes"), std::string::npos) << Log();
  // A key without UV cannot satisfy the policy.
  Configure(FidoConfig("fido_verification = uv\n"), Device("soft"));
  EXPECT_EQ(Authenticate(kUser, std::vector<std::string>{}), PAM_AUTH_ERR);
  EXPECT_NE(Log().find("outcome=PAM_AUTH_ERR"), std::string::npos) << Log();
}

TEST_F(PamFidoTest, NoTouchWithinTheTimeout) {
  EnrolKey(kUser);
  Configure(FidoConfig("fido_timeout = 1\n"), Device("soft-notouch"));
  EXPECT_EQ(Authenticate(kUser, std::vector<std::string>{}), PAM_AUTH_ERR);
  ExpectLog("PAM_AUTH_ERR", "fido_timeout");
}

TEST_F(PamFidoTest, ClonedCounterIsRefused) {
  EnrolKey(kUser);
  // The stored counter is ahead of the key: what a clone's counter looks like to the host.
  std::string text = ReadAll(CredFile(kUser));
  size_t last_space = text.rfind(' ');
  ASSERT_NE(last_space, std::string::npos);
  text = text.substr(0, last_space) + " 1000000\n";
  t::WriteFile(CredFile(kUser), text);
  chmod(CredFile(kUser).c_str(), 0600);
  Configure(FidoConfig(), Device());
  EXPECT_EQ(Authenticate(kUser, std::vector<std::string>{}), PAM_AUTH_ERR);
  ExpectLog("PAM_AUTH_ERR", "sign_count_regression");
}

TEST_F(PamFidoTest, AnotherUsersKeyIsRefused) {
  EnrolKey(kOtherUser);  // the key belongs to daemon
  std::string other_key = key_;
  key_ = dir_ + "/key2.state";
  EnrolKey(kUser);   // nobody has a key of their own
  key_ = other_key;  // ... but daemon's key is the one plugged in
  Configure(FidoConfig(), Device());
  EXPECT_EQ(Authenticate(kUser, std::vector<std::string>{}), PAM_AUTH_ERR);
  EXPECT_NE(Log().find("outcome=PAM_AUTH_ERR"), std::string::npos) << Log();
  EXPECT_EQ(Log().find("code=ok"), std::string::npos);
}

TEST_F(PamFidoTest, NotEnrolled) {
  Configure(FidoConfig(), Device());
  EXPECT_EQ(Authenticate(kUser, std::vector<std::string>{}), PAM_AUTHINFO_UNAVAIL);
  ExpectLog("PAM_AUTHINFO_UNAVAIL", "pam_not_enrolled");
  // With no_credential = ignore the module steps aside and the rest of the stack decides: here a
  // `pam_permit` after it (in a real stack, the password module).
  Configure(FidoConfig("no_credential = ignore\n"), Device(), "auth required pam_permit.so\n");
  EXPECT_EQ(Authenticate(kUser, std::vector<std::string>{}), PAM_SUCCESS);
  ExpectLog("PAM_IGNORE", "pam_not_enrolled");
  // Without it, the same stack fails: PAM_AUTHINFO_UNAVAIL from a required module.
  Configure(FidoConfig(), Device(), "auth required pam_permit.so\n");
  EXPECT_EQ(Authenticate(kUser, std::vector<std::string>{}), PAM_AUTHINFO_UNAVAIL);
  ExpectLog("PAM_AUTHINFO_UNAVAIL", "pam_not_enrolled");
}

TEST_F(PamFidoTest, InsecureCredentialFileIsRefused) {
  EnrolKey(kUser);
  Configure(FidoConfig(), Device());
  chmod(CredFile(kUser).c_str(), 0644);
  EXPECT_EQ(Authenticate(kUser, std::vector<std::string>{}), PAM_AUTH_ERR);
  ExpectLog("PAM_AUTH_ERR", "pam_credential_file_insecure");
  chmod(CredFile(kUser).c_str(), 0600);
  ASSERT_EQ(chown(CredFile(kUser).c_str(), 1, 1), 0);  // daemon owns nobody's file
  EXPECT_EQ(Authenticate(kUser, std::vector<std::string>{}), PAM_AUTH_ERR);
  ExpectLog("PAM_AUTH_ERR", "pam_credential_file_insecure");
}

TEST_F(PamFidoTest, UnknownUser) {
  Configure(FidoConfig(), Device());
  EXPECT_EQ(Authenticate("kw-no-such-user", std::vector<std::string>{}), PAM_USER_UNKNOWN);
  ExpectLog("PAM_USER_UNKNOWN", "pam_user_unknown");
}

TEST_F(PamFidoTest, KeyAbsentIsAuthinfoUnavail) {
  EnrolKey(kUser);
  // The production device path (no test device): a key that is not there, awaited 1 s.
  Configure(FidoConfig("fido_device = /nonexistent/hidraw-kw\nfido_wait = 1\n"));
  Conv c;
  EXPECT_EQ(Authenticate(kUser, c), PAM_AUTHINFO_UNAVAIL);
  ExpectLog("PAM_AUTHINFO_UNAVAIL", "fido_device_not_found");
  ASSERT_FALSE(c.info.empty());
  EXPECT_EQ(c.info[0], "Insert your security key.");
}

// Methods in order: no card present moves on to the security key; a card that is present but
// fails decides (no fallback to the next method).
TEST_F(PamFidoTest, NoCardFallsThroughToTheKey) {
  EnrolKey(kUser);
  t::TestCa ca = t::TestCa::Create("Fallback CA", UnixNow());
  t::WriteFile(dir_ + "/ca.pem", ca.CertPem());
  t::SoftHsm hsm;
  hsm.InitToken("present-card");
  Configure("methods = card fido\ncard_module = " + std::string(t::kSoftHsmModule) +
                "\ncard_token = absent-card\ncard_ca = " + dir_ +
                "/ca.pem\nfido_credentials = " + creds_ + "\n",
            Device());
  EXPECT_EQ(Authenticate(kUser, std::vector<std::string>{}), PAM_SUCCESS);
  ExpectLog("PAM_SUCCESS", "ok");
  EXPECT_NE(Log().find("method=fido"), std::string::npos) << Log();

  // The card is there but holds no login certificate: that failure decides.
  Configure("methods = card fido\ncard_module = " + std::string(t::kSoftHsmModule) +
                "\ncard_token = present-card\ncard_ca = " + dir_ +
                "/ca.pem\nfido_credentials = " + creds_ + "\n",
            Device());
  EXPECT_EQ(Authenticate(kUser, {t::kUserPin}), PAM_AUTH_ERR);
  EXPECT_NE(Log().find("method=card outcome=PAM_AUTH_ERR"), std::string::npos) << Log();
}

// pamtester drives the same stack; PAM_RHOST set → refused unless allow_remote = yes.
TEST_F(PamFidoTest, RemoteSessionIsRefusedThroughPamtester) {
  EnrolKey(kUser);
  Configure(FidoConfig(), Device());
  auto pamtester = [&](const std::string& rhost) {
    std::string cmd = "pamtester -I rhost=" + rhost + " " + service_ + " " + kUser +
                      " authenticate </dev/null >>" + dir_ + "/pamtester.out 2>&1";
    int status = std::system(cmd.c_str());
    return WIFEXITED(status) ? WEXITSTATUS(status) : -1;
  };
  EXPECT_NE(pamtester("203.0.113.7"), 0);
  ExpectLog("PAM_AUTH_ERR", "pam_remote_refused");
  EXPECT_NE(Log().find("rhost=203.0.113.7"), std::string::npos) << Log();

  Configure(FidoConfig("allow_remote = yes\n"), Device());
  EXPECT_EQ(pamtester("203.0.113.7"), 0) << ReadAll(dir_ + "/pamtester.out");
  ExpectLog("PAM_SUCCESS", "ok");
}

// ---- Security key: credentials in a keyward store (fido_store) ---------------------------------

class PamFidoStoreTest : public PamFidoTest {
 protected:
  void SetUp() override {
    PamFidoTest::SetUp();
    if (HasFatalFailure()) return;
    db_ = dir_ + "/pam.db";
  }
  void EnrolIntoStore(const std::string& user) {
    CliResult r =
        Keyward("fido enroll --device soft:" + key_ + " --pam " + user + " --db sqlite:" + db_);
    ASSERT_EQ(r.exit_code, 0) << r.out.dump() << ReadAll(dir_ + "/cli.err");
    EXPECT_EQ(r.out["pam"]["user"], user);
    EXPECT_EQ(r.out["pam"]["store"], "sqlite:" + db_);
    EXPECT_EQ(r.out["pam"]["file"], "");
  }
  std::string StoreConfig(const std::string& more = "") {
    return "methods = fido\nfido_store = sqlite:" + db_ + "\n" + more;
  }
  // The stored credential of `user` (through the same code the module uses).
  PamFidoStore::UserCredentials Stored(const std::string& user) {
    auto store = PamFidoStore::Open("sqlite:" + db_, false);
    EXPECT_TRUE(store) << store.error().ToString();
    if (!store) return {};
    auto creds = (*store)->Read(user, DefaultPamRpId());
    EXPECT_TRUE(creds) << creds.error().ToString();
    return creds ? *creds : PamFidoStore::UserCredentials{};
  }
  std::string db_;
};

TEST_F(PamFidoStoreTest, EnrolledInTheStoreLogsInThroughPamtester) {
  EnrolIntoStore(kUser);
  struct stat st {};
  ASSERT_EQ(stat(db_.c_str(), &st), 0);
  EXPECT_EQ(st.st_mode & 0777, 0600u) << "a new store is private";
  EXPECT_FALSE(std::filesystem::exists(CredFile(kUser))) << "no per-user file";
  auto before = Stored(kUser);
  ASSERT_EQ(before.credentials.size(), 1u);

  Configure(StoreConfig(), Device());
  std::string cmd = "pamtester " + service_ + " " + kUser + " authenticate </dev/null >>" + dir_ +
                    "/pamtester.out 2>&1";
  int status = std::system(cmd.c_str());
  EXPECT_TRUE(WIFEXITED(status) && WEXITSTATUS(status) == 0) << ReadAll(dir_ + "/pamtester.out");
  ExpectLog("PAM_SUCCESS", "ok");
  EXPECT_NE(Log().find("method=fido"), std::string::npos) << Log();
  EXPECT_NE(Log().find("store=sqlite:" + db_), std::string::npos) << Log();
  auto after = Stored(kUser);
  ASSERT_EQ(after.credentials.size(), 1u);
  EXPECT_GT(after.credentials[0].sign_count, before.credentials[0].sign_count)
      << "the counter is advanced in the store";

  // Through libpamtest as well; the store's audit chain holds both logins and stays intact.
  EXPECT_EQ(Authenticate(kUser, std::vector<std::string>{}), PAM_SUCCESS);
  ExpectLog("PAM_SUCCESS", "ok");
  CliResult audit = Keyward("audit verify --db sqlite:" + db_);
  EXPECT_EQ(audit.exit_code, 0) << audit.out.dump();
  const std::string tail_file = dir_ + "/audit.jsonl";
  ASSERT_EQ(std::system((std::string(KEYWARD_BIN_DIR) +
                         "/keyward audit tail --all --json --db sqlite:" + db_ + " > " + tail_file +
                         " 2>&1")
                            .c_str()),
            0);
  std::string tail = ReadAll(tail_file);
  EXPECT_NE(tail.find("pam:" + service_), std::string::npos) << tail;
}

TEST_F(PamFidoStoreTest, EnrolmentArgumentsAreChecked) {
  // --db and --pam-file exclude each other; --db without --pam is refused; nothing is created.
  CliResult both = Keyward("fido enroll --device soft:" + key_ + " --pam " + kUser +
                           " --db sqlite:" + db_ + " --pam-file " + CredFile(kUser));
  EXPECT_NE(both.exit_code, 0);
  EXPECT_EQ(both.out["error"]["code"], "invalid_argument") << both.out.dump();
  CliResult no_pam = Keyward("fido enroll --device soft:" + key_ +
                             " --rp example.com --user x --db sqlite:" + db_);
  EXPECT_NE(no_pam.exit_code, 0);
  EXPECT_EQ(no_pam.out["error"]["code"], "invalid_argument") << no_pam.out.dump();
  EXPECT_FALSE(std::filesystem::exists(db_));
}

TEST_F(PamFidoStoreTest, ClonedCounterIsRefusedByTheStore) {
  EnrolIntoStore(kUser);
  // The store's counter is ahead of the key: what a clone looks like to the host.
  auto creds = Stored(kUser);
  ASSERT_EQ(creds.credentials.size(), 1u);
  {
    auto store = PamFidoStore::Open("sqlite:" + db_, false);
    ASSERT_TRUE(store);
    ASSERT_TRUE((*store)->RecordLogin(creds.principal_id, creds.credentials[0].id,
                                      creds.credentials[0].sign_count, 1000000, false, "test"));
  }
  Configure(StoreConfig(), Device());
  EXPECT_EQ(Authenticate(kUser, std::vector<std::string>{}), PAM_AUTH_ERR);
  ExpectLog("PAM_AUTH_ERR", "sign_count_regression");
  EXPECT_EQ(Stored(kUser).credentials[0].sign_count, 1000000u) << "nothing written";
}

TEST_F(PamFidoStoreTest, UnknownAndUnenrolledUsers) {
  EnrolIntoStore(kUser);
  Configure(StoreConfig(), Device());
  EXPECT_EQ(Authenticate("kw-no-such-user", std::vector<std::string>{}), PAM_USER_UNKNOWN);
  ExpectLog("PAM_USER_UNKNOWN", "pam_user_unknown");
  // daemon exists but has no principal in the store.
  EXPECT_EQ(Authenticate(kOtherUser, std::vector<std::string>{}), PAM_AUTHINFO_UNAVAIL);
  ExpectLog("PAM_AUTHINFO_UNAVAIL", "pam_not_enrolled");
}

TEST_F(PamFidoStoreTest, AnotherUsersKeyIsRefused) {
  EnrolIntoStore(kOtherUser);  // the plugged-in key belongs to daemon
  std::string daemons_key = key_;
  key_ = dir_ + "/key2.state";
  EnrolIntoStore(kUser);
  key_ = daemons_key;
  Configure(StoreConfig(), Device());
  EXPECT_EQ(Authenticate(kUser, std::vector<std::string>{}), PAM_AUTH_ERR);
  EXPECT_NE(Log().find("outcome=PAM_AUTH_ERR"), std::string::npos) << Log();
}

TEST_F(PamFidoStoreTest, MissingUnreadableOrInsecureStore) {
  Configure(StoreConfig(), Device());
  EXPECT_EQ(Authenticate(kUser, std::vector<std::string>{}), PAM_AUTHINFO_UNAVAIL);
  ExpectLog("PAM_AUTHINFO_UNAVAIL", "pam_store_unavailable");
  EXPECT_FALSE(std::filesystem::exists(db_)) << "the module never creates a store";

  t::WriteFile(db_, std::string(4096, 'x'));  // not a SQLite database
  chmod(db_.c_str(), 0600);
  EXPECT_EQ(Authenticate(kUser, std::vector<std::string>{}), PAM_AUTHINFO_UNAVAIL);
  ExpectLog("PAM_AUTHINFO_UNAVAIL", "pam_store_unavailable");
  std::filesystem::remove(db_);

  EnrolIntoStore(kUser);
  chmod(db_.c_str(), 0666);  // anyone could enrol a key
  EXPECT_EQ(Authenticate(kUser, std::vector<std::string>{}), PAM_AUTH_ERR);
  ExpectLog("PAM_AUTH_ERR", "pam_credential_file_insecure");
  chmod(db_.c_str(), 0600);
  EXPECT_EQ(Authenticate(kUser, std::vector<std::string>{}), PAM_SUCCESS);
  ExpectLog("PAM_SUCCESS", "ok");
}

}  // namespace
}  // namespace keyward::pam
