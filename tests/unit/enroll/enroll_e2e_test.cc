// End to end: `keyward card enroll` / `import-cert` / `--batch` against keyward-softpiv behind a
// real pcscd + vpcd (scripts/with-pcscd), each enrolment finishing with a real certificate login
// through OpenSC's PKCS#11 module. Every failure case asserts its error code.
#include <gtest/gtest.h>
#include <signal.h>
#include <sys/wait.h>

#include <cstdio>
#include <fstream>
#include <sstream>
#include <thread>

#include "core/hash.h"
#include "core/json.h"
#include "enroll/profile.h"
#include "keyward/authenticator.h"
#include "keyward/pcsc.h"
#include "pkcs11/mapping_rules.h"
#include "tests/unit/pcsc/harness.h"
#include "tests/unit/pkcs11/test_pki.h"
#include "tools/softpiv/card_state.h"

namespace keyward::enroll {
namespace {

namespace pt = ::keyward::pcsc::testing;
namespace kt = ::keyward::pkcs11::testing;
namespace piv = ::keyward::pcsc::piv;

constexpr char kSid[] = "S-1-5-21-3623811015-3361044348-30300820-1013";

std::string Keyward() { return std::string(KEYWARD_BIN_DIR) + "/keyward"; }

std::string ReadFile(const std::string& path) {
  std::ifstream in(path);
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

size_t CountLines(const std::string& path) {
  std::string text = ReadFile(path);
  size_t n = 0;
  for (char c : text) n += c == '\n';
  return n;
}

std::vector<Json> JsonLines(const std::string& path) {
  std::vector<Json> out;
  std::stringstream ss(ReadFile(path));
  std::string line;
  while (std::getline(ss, line)) {
    if (!line.empty()) out.push_back(Json::parse(line));
  }
  return out;
}

class EnrollE2eTest : public ::testing::Test {
 protected:
  void SetUp() override {
    now_ = UnixNow();
    ca_ = kt::TestCa::Create("Enrolment Lab CA", now_);
    kt::WriteFile(ca_cert_, ca_.CertPem());
    kt::WriteFile(ca_key_, ca_.KeyPem());
    kt::WriteFile(secrets_, "new_pin=24681357\nnew_puk=97531864\n");
    ASSERT_TRUE(pt::WaitForCard(false));
  }

  // Runs keyward with `args`; stdout parsed as JSON into *out (when given); returns the exit code.
  int Run(const std::string& args, Json* out = nullptr) {
    std::string err = dir_.File("stderr.txt");
    std::string cmd = Keyward() + " " + args + " 2>" + err;
    FILE* f = popen(cmd.c_str(), "r");
    if (!f) return -1;
    std::string text;
    char buf[4096];
    size_t n;
    while ((n = fread(buf, 1, sizeof(buf), f)) > 0) text.append(buf, n);
    int status = pclose(f);
    last_stdout_ = text;
    last_stderr_ = ReadFile(err);
    if (out) {
      auto j = Json::parse(text, nullptr, false);
      *out = j.is_discarded() ? Json() : j;
    }
    return WIFEXITED(status) ? WEXITSTATUS(status) : -1;
  }

  std::string EnrollArgs(const std::string& user, const std::string& extra = "") {
    return "card enroll --user " + user + " --name 'Test " + user + "' --upn " + user +
           "@corp.example --email " + user + "@mail.example --ca-cert " + ca_cert_ +
           " --journal-dir " + journal_ + " --json " + extra;
  }
  std::string Local() { return " --ca-key " + ca_key_; }

  pt::ChildProcess Card(const std::string& state, const std::vector<std::string>& extra = {}) {
    auto c = pt::StartSoftCard(state, extra);
    EXPECT_TRUE(c) << c.error().ToString();
    EXPECT_TRUE(pt::WaitForCard(true));
    return c ? std::move(*c) : pt::ChildProcess();
  }
  void Remove(pt::ChildProcess& c) {
    c.Stop();
    ASSERT_TRUE(pt::WaitForCard(false));
  }

  std::unique_ptr<piv::PivClient> Open() {
    auto ctx = pcsc::Context::Establish();
    EXPECT_TRUE(ctx);
    auto c = piv::PivClient::Open(*ctx, pt::SoftReader());
    EXPECT_TRUE(c) << c.error().ToString();
    return c ? std::move(*c) : nullptr;
  }

  std::string Diag() const { return "stdout:\n" + last_stdout_ + "\nstderr:\n" + last_stderr_; }

  int64_t now_ = 0;
  kt::TestCa ca_;
  pt::TempDir dir_;
  std::string ca_cert_ = dir_.File("ca.pem");
  std::string ca_key_ = dir_.File("ca.key");
  std::string secrets_ = dir_.File("secrets.txt");
  std::string journal_ = dir_.File("journal");
  std::string last_stdout_, last_stderr_;
};

std::string StepStatus(const Json& report, const std::string& step) {
  for (const auto& s : report["steps"]) {
    if (s["step"] == step) return s["status"];
  }
  return "";
}

class AlgorithmTest : public EnrollE2eTest,
                      public ::testing::WithParamInterface<std::pair<const char*, const char*>> {};

TEST_P(AlgorithmTest, EnrolsAndTheNewCardLogsInThroughOpenSc) {
  const auto [alg, sig_alg] = GetParam();
  auto card = Card(dir_.File("card.json"));
  Json r;
  int rc = Run(EnrollArgs("alice", Local() + " --sid " + kSid + " --algorithm " + alg +
                                       " --secrets-file " + secrets_),
               &r);
  ASSERT_EQ(rc, 0) << Diag();
  EXPECT_TRUE(r["ok"]);
  EXPECT_TRUE(r["completed"]);
  EXPECT_EQ(r["algorithm"], alg);
  EXPECT_EQ(r["slot"], "9a");
  EXPECT_EQ(r["login"]["result"], "PASS") << Diag();
  EXPECT_EQ(r["login"]["account"], kSid);
  EXPECT_EQ(r["login"]["mapping_source"], "sid");
  EXPECT_EQ(r["login"]["signature_algorithm"], sig_alg);
  EXPECT_EQ(r["login"]["assurance"], "aal3");
  for (const char* s :
       {"key_generated", "csr_signed", "certificate_issued", "certificate_written", "ccc_written",
        "pin_changed", "puk_changed", "management_key_changed", "login_verified"}) {
    EXPECT_EQ(StepStatus(r, s), "done") << s << Diag();
  }
  // Operator-supplied PIN and PUK are never echoed; the generated management key is shown once.
  ASSERT_TRUE(r.contains("generated"));
  EXPECT_FALSE(r["generated"].contains("pin"));
  EXPECT_FALSE(r["generated"].contains("puk"));
  std::string mk = r["generated"]["management_key"];
  EXPECT_EQ(mk.size(), 48u);  // AES-192
  EXPECT_EQ(r["generated"]["management_key_algorithm"], "aes192");
  EXPECT_EQ(last_stdout_.find("24681357"), std::string::npos);
  EXPECT_EQ(ReadFile(dir_.File("journal/" + std::string(r["guid"]) + ".json")).find(mk),
            std::string::npos);

  // The card as a relying party sees it: the SID extension is there and maps.
  auto client = Open();
  ASSERT_TRUE(client);
  auto obj = client->ReadCertificate(piv::Slot::kAuthentication);
  ASSERT_TRUE(obj);
  auto cert = Certificate::ParseDer(obj->der);
  ASSERT_TRUE(cert);
  auto sid = cert->ExtensionValue(kSidExtensionOid);
  ASSERT_TRUE(sid);
  EXPECT_EQ(*DecodeSidExtension(*sid), kSid);
  auto rules = pkcs11::MappingRules::Parse("rule s: <EKU>smartcardLogon => sid\n");
  ASSERT_TRUE(rules);
  EXPECT_EQ(rules->Map(*cert)->account, kSid);
  // Defaults are gone: the old management key and PIN no longer work, the new ones do.
  auto old_key = client->AuthenticateManagementKey(piv::ManagementKey::Default());
  ASSERT_FALSE(old_key);
  EXPECT_EQ(old_key.error().code, ErrorCode::kPivUnsupportedAlgorithm)
      << old_key.error().ToString();
  auto raw = HexDecode(mk);
  auto new_key = piv::ManagementKey::Create(piv::Algorithm::kAes192, SecretBytes(*raw));
  ASSERT_TRUE(new_key);
  EXPECT_TRUE(client->AuthenticateManagementKey(*new_key));
  EXPECT_TRUE(client->VerifyPin(SecretBytes(std::string_view("24681357"))));
  EXPECT_TRUE(client->ReadCardCapabilityContainer());

  // Running the same command again does nothing twice.
  Json again;
  EXPECT_EQ(Run(EnrollArgs("alice", Local() + " --sid " + kSid + " --algorithm " + alg), &again),
            1);
  EXPECT_EQ(again["error"]["code"], "enroll_card_already_enrolled") << Diag();
}

INSTANTIATE_TEST_SUITE_P(Algorithms, AlgorithmTest,
                         ::testing::Values(std::make_pair("eccp256", "ES256"),
                                           std::make_pair("eccp384", "ES384"),
                                           std::make_pair("rsa2048", "PS256")));

TEST_F(EnrollE2eTest, GeneratedPinAndPukAreShownOnceAndWorkForTheLogin) {
  auto card = Card(dir_.File("card.json"));
  Json r;
  ASSERT_EQ(Run(EnrollArgs("gina", Local() + " --slot 9c --mgmt-key-algorithm aes256"), &r), 0)
      << Diag();
  EXPECT_EQ(r["slot"], "9c");
  EXPECT_EQ(r["login"]["result"], "PASS");
  EXPECT_EQ(r["login"]["account"], "gina@corp.example");
  std::string pin = r["generated"]["pin"];
  EXPECT_EQ(pin.size(), 8u);
  EXPECT_EQ(r["generated"]["management_key_algorithm"], "aes256");
  auto client = Open();
  EXPECT_TRUE(client->VerifyPin(SecretBytes(pin)));
  // Never in the journal.
  EXPECT_EQ(ReadFile(dir_.File("journal/" + std::string(r["guid"]) + ".json")).find(pin),
            std::string::npos);
}

TEST_F(EnrollE2eTest, OccupiedSlotIsRefusedThenForced) {
  auto card = Card(dir_.File("card.json"));
  {
    auto client = Open();
    ASSERT_TRUE(client->AuthenticateManagementKey(piv::ManagementKey::Default()));
    auto pub = client->GenerateKey(piv::Slot::kAuthentication, piv::Algorithm::kEccP256);
    ASSERT_TRUE(pub);
    auto key = pub->ToEvp();
    auto der = pt::MakeCertificate(key->get(), "someone else");
    ASSERT_TRUE(client->WriteCertificate(piv::Slot::kAuthentication, *der));
  }
  Json r;
  EXPECT_EQ(Run(EnrollArgs("hank", Local() + " --secrets-file " + secrets_), &r), 1);
  EXPECT_EQ(r["error"]["code"], "piv_slot_occupied") << Diag();
  EXPECT_EQ(StepStatus(r, "slot_check"), "failed");
  ASSERT_EQ(Run(EnrollArgs("hank", Local() + " --force --secrets-file " + secrets_), &r), 0)
      << Diag();
  EXPECT_EQ(r["login"]["result"], "PASS");
}

TEST_F(EnrollE2eTest, WrongManagementKeyIsItsCode) {
  auto state = softpiv::CardState::Fresh();
  ASSERT_TRUE(state);
  state->mgmt_algorithm = piv::Algorithm::kAes192;
  state->mgmt_key = SecretBytes(*RandomBytes(24));
  ASSERT_TRUE(state->Save(dir_.File("card.json")));
  auto card = Card(dir_.File("card.json"));
  // The operator believes the card has this AES-192 key; it has another.
  kt::WriteFile(dir_.File("wrong-mk.txt"),
                "current_management_key=" + HexEncode(*RandomBytes(24)) + "\n");
  Json r;
  EXPECT_EQ(
      Run(EnrollArgs("ivan", Local() + " --current-mgmt-key-algorithm aes192 --secrets-file " +
                                 dir_.File("wrong-mk.txt")),
          &r),
      1);
  EXPECT_EQ(r["error"]["code"], "piv_management_key_auth_failed") << Diag();
  EXPECT_EQ(StepStatus(r, "management_key"), "failed");
  // Nothing was generated.
  auto client = Open();
  EXPECT_FALSE(client->ReadCertificate(piv::Slot::kAuthentication));
}

TEST_F(EnrollE2eTest, RequestForAnExternalCaThenImport) {
  auto card = Card(dir_.File("card.json"));
  std::string csr = dir_.File("req.pem");
  Json r;
  ASSERT_EQ(Run(EnrollArgs("judy", "--sid " + std::string(kSid) + " --csr-out " + csr +
                                       " --secrets-file " + secrets_),
                &r),
            0)
      << Diag();
  EXPECT_TRUE(r["awaiting_certificate"]);
  EXPECT_FALSE(r["completed"]);
  EXPECT_EQ(StepStatus(r, "csr_written"), "done");
  // The external CA: openssl itself, copying the requested extensions.
  std::string cert = dir_.File("judy.pem");
  std::string out;
  ASSERT_EQ(pt::RunCommand("openssl req -in " + csr + " -noout -verify", &out), 0) << out;
  ASSERT_EQ(
      pt::RunCommand("openssl x509 -req -in " + csr + " -CA " + ca_cert_ + " -CAkey " + ca_key_ +
                         " -days 30 -copy_extensions copy -set_serial 77 -out " + cert,
                     &out),
      0)
      << out;
  // A certificate for another key is refused and nothing is written.
  auto other = kt::GenerateKey("EC:prime256v1");
  kt::LeafSpec spec;
  spec.upn = {"judy@corp.example"};
  spec.not_before = now_ - 60;
  spec.not_after = now_ + 86400;
  std::string wrong = dir_.File("wrong.pem");
  kt::WriteFile(wrong, kt::Pem(kt::IssueLeaf(ca_, other.get(), spec).get()));
  Json w;
  EXPECT_EQ(
      Run("card import-cert --slot 9a " + wrong + " --journal-dir " + journal_ + " --json", &w), 1);
  EXPECT_EQ(w["error"]["code"], "enroll_certificate_key_mismatch") << Diag();
  EXPECT_FALSE(Open()->ReadCertificate(piv::Slot::kAuthentication));
  Json ok;
  ASSERT_EQ(
      Run("card import-cert --slot 9a " + cert + " --journal-dir " + journal_ + " --json", &ok), 0)
      << Diag();
  EXPECT_EQ(ok["key_check"], "metadata");
  EXPECT_TRUE(ok["journal_updated"]);
  // Finishing the card: the same enrol command without --csr-out resumes after the import.
  ASSERT_EQ(
      Run(EnrollArgs("judy", "--sid " + std::string(kSid) + " --secrets-file " + secrets_), &r), 0)
      << Diag();
  EXPECT_EQ(StepStatus(r, "key_generated"), "already_done");
  EXPECT_EQ(StepStatus(r, "certificate_written"), "already_done");
  EXPECT_EQ(r["login"]["result"], "PASS");
  EXPECT_EQ(r["login"]["account"], kSid);
}

TEST_F(EnrollE2eTest, CardPulledMidEnrolmentThenResumedToPass) {
  std::string state = dir_.File("card.json");
  std::string first_spki;
  {
    // The card vanishes at the first PUT DATA: the certificate write.
    auto card = Card(state, {"--test-remove-at", "DB:1", "--once"});
    Json r;
    EXPECT_NE(Run(EnrollArgs("kate", Local() + " --secrets-file " + secrets_), &r), 0);
    EXPECT_EQ(r["error"]["code"], "pcsc_card_removed") << Diag();
    EXPECT_EQ(StepStatus(r, "key_generated"), "done");
    EXPECT_EQ(StepStatus(r, "certificate_issued"), "done");
    EXPECT_EQ(StepStatus(r, "certificate_written"), "failed");
    auto journal = Json::parse(ReadFile(dir_.File("journal/" + std::string(r["guid"]) + ".json")));
    for (const auto& s : journal["steps"]) {
      if (s["step"] == "key_generated") first_spki = s["data"]["spki"];
      EXPECT_NE(s["step"], "certificate_written");
    }
    ASSERT_FALSE(first_spki.empty());
    Remove(card);
  }
  auto card = Card(state);
  Json r;
  ASSERT_EQ(Run(EnrollArgs("kate", Local() + " --secrets-file " + secrets_), &r), 0) << Diag();
  EXPECT_EQ(StepStatus(r, "key_generated"), "already_done");
  EXPECT_EQ(StepStatus(r, "certificate_issued"), "already_done");
  EXPECT_EQ(StepStatus(r, "certificate_written"), "done");
  EXPECT_EQ(r["login"]["result"], "PASS");
  // The certificate on the card is for the first (only) key.
  auto obj = Open()->ReadCertificate(piv::Slot::kAuthentication);
  ASSERT_TRUE(obj);
  auto cert = Certificate::ParseDer(obj->der);
  unsigned char* der = nullptr;
  int len = i2d_PUBKEY(cert->public_key(), &der);
  EXPECT_EQ(HexEncode(ByteSpan(der, static_cast<size_t>(len))), first_spki);
  OPENSSL_free(der);
}

TEST_F(EnrollE2eTest, CardPulledDuringGenerateThenResumed) {
  std::string state = dir_.File("card.json");
  {
    auto card = Card(state, {"--test-remove-at", "47:1", "--once"});
    Json r;
    EXPECT_NE(Run(EnrollArgs("liam", Local() + " --secrets-file " + secrets_), &r), 0);
    EXPECT_EQ(r["error"]["code"], "pcsc_card_removed") << Diag();
    EXPECT_EQ(StepStatus(r, "key_generated"), "failed");
    Remove(card);
  }
  auto card = Card(state);
  Json r;
  ASSERT_EQ(Run(EnrollArgs("liam", Local() + " --secrets-file " + secrets_), &r), 0) << Diag();
  EXPECT_EQ(StepStatus(r, "slot_check"), "already_done");
  EXPECT_EQ(StepStatus(r, "key_generated"), "done");
  EXPECT_EQ(r["login"]["result"], "PASS");
}

TEST_F(EnrollE2eTest, CompressedCertificateStillLogsIn) {
  auto card = Card(dir_.File("card.json"));
  Json r;
  // Repetitive names make a certificate larger than 800 bytes that gzip shrinks below it.
  std::string a(60, 'a');
  ASSERT_EQ(
      Run(EnrollArgs("mona", Local() + " --subject-base 'L=" + a + ",O=" + a + ",OU=" + a +
                                 ",OU=" + a + "' --max-object-size 800 --secrets-file " + secrets_),
          &r),
      0)
      << Diag();
  EXPECT_TRUE(r["certificate"]["compressed"]);
  EXPECT_EQ(r["login"]["result"], "PASS");
  auto obj = Open()->ReadCertificate(piv::Slot::kAuthentication);
  ASSERT_TRUE(obj);
  EXPECT_TRUE(obj->compressed);
}

TEST_F(EnrollE2eTest, DbRecordsTheEnrolmentAndEnrolsTheCertificate) {
  auto card = Card(dir_.File("card.json"));
  std::string db = dir_.File("keyward.db");
  Json r;
  ASSERT_EQ(Run(EnrollArgs("nina", Local() + " --secrets-file " + secrets_ + " --db " + db), &r), 0)
      << Diag();
  authenticator::AuthenticatorConfig cfg;
  cfg.db_path = db;
  cfg.rp_id = "localhost";
  auto auth = authenticator::Authenticator::Open(cfg);
  ASSERT_TRUE(auth) << auth.error().ToString();
  auto p = (*auth)->FindPrincipalByName("nina");
  ASSERT_TRUE(p) << p.error().ToString();
  auto creds = (*auth)->ListCredentials(p->id);
  ASSERT_TRUE(creds);
  ASSERT_EQ(creds->size(), 1u);
  EXPECT_EQ((*creds)[0].kind, authenticator::CredentialKind::kSmartCard);
  EXPECT_EQ(HexEncode(Sha256((*creds)[0].certificate)), r["certificate"]["sha256"]);
  auto tail = (*auth)->AuditTail(20);
  ASSERT_TRUE(tail);
  std::string all;
  for (const auto& l : *tail) all += l + "\n";
  EXPECT_NE(all.find("\"enrollment\""), std::string::npos) << all;
  EXPECT_NE(all.find("\"card.enroll\""), std::string::npos) << all;
  EXPECT_EQ(all.find(std::string(r["generated"]["management_key"])), std::string::npos);
  EXPECT_EQ(all.find("24681357"), std::string::npos);
  ASSERT_TRUE((*auth)->VerifyAuditChain());
  // A refused run is recorded too, with its code as the outcome.
  Json again;
  EXPECT_EQ(Run(EnrollArgs("nina", Local() + " --db " + db), &again), 1);
  auto after = (*auth)->AuditTail(1);
  ASSERT_TRUE(after);
  ASSERT_EQ(after->size(), 1u);
  EXPECT_NE((*after)[0].find("enroll_card_already_enrolled"), std::string::npos) << (*after)[0];
}

class BatchTest : public EnrollE2eTest {
 protected:
  void SetUp() override {
    EnrollE2eTest::SetUp();
    kt::WriteFile(users_,
                  "username,display_name,upn,email,sid\n"
                  "alice,Alice A,alice@corp.example,alice@mail.example,S-1-5-21-1-2-3-1101\n"
                  "bob,Bob B,bob@corp.example,,S-1-5-21-1-2-3-1102\n"
                  "carol,\"Carol, C\",carol@corp.example,,\n");
    for (int i = 0; i < 3; ++i) states_.push_back(dir_.File("card" + std::to_string(i) + ".json"));
  }

  Result<pt::ChildProcess> StartBatch() {
    std::string cmd = "exec " + Keyward() + " card enroll --batch " + users_ + " --report " +
                      report_ + " --secrets-out " + secrets_out_ + " --ca-cert " + ca_cert_ +
                      " --ca-key " + ca_key_ + " --journal-dir " + journal_ +
                      " --card-timeout 60 --removal-timeout 60 >" + dir_.File("batch.out") +
                      " 2>>" + dir_.File("batch.err");
    return pt::ChildProcess::Spawn({"/bin/sh", "-c", cmd});
  }

  // Inserts card `i`, waits (bounded) until the report has `lines` lines, removes it.
  void Feed(size_t i, size_t lines) {
    auto card = Card(states_[i]);
    for (int t = 0; t < 600 && CountLines(report_) < lines; ++t) {
      std::this_thread::sleep_for(std::chrono::milliseconds(100));
    }
    ASSERT_EQ(CountLines(report_), lines) << ReadFile(dir_.File("batch.err"));
    Remove(card);
  }

  std::string users_ = dir_.File("users.csv");
  std::string report_ = dir_.File("report.jsonl");
  std::string secrets_out_ = dir_.File("generated.jsonl");
  std::vector<std::string> states_;
};

TEST_F(BatchTest, ThreeCardsOneFailureInTheMiddle) {
  // Bob's card has a management key nobody told keyward about.
  auto bad = softpiv::CardState::Fresh();
  ASSERT_TRUE(bad);
  bad->mgmt_key = SecretBytes(*RandomBytes(24));
  ASSERT_TRUE(bad->Save(states_[1]));
  auto batch = StartBatch();
  ASSERT_TRUE(batch);
  Feed(0, 1);
  Feed(1, 2);
  Feed(2, 3);
  int status = batch->Wait(std::chrono::seconds(60));
  ASSERT_TRUE(WIFEXITED(status)) << ReadFile(dir_.File("batch.err"));
  EXPECT_EQ(WEXITSTATUS(status), 1);  // one card failed
  auto lines = JsonLines(report_);
  ASSERT_EQ(lines.size(), 3u);
  EXPECT_EQ(lines[0]["username"], "alice");
  EXPECT_EQ(lines[0]["status"], "enrolled");
  EXPECT_EQ(lines[0]["login"]["result"], "PASS");
  EXPECT_EQ(lines[0]["login"]["account"], "S-1-5-21-1-2-3-1101");
  EXPECT_EQ(lines[1]["username"], "bob");
  EXPECT_EQ(lines[1]["status"], "failed");
  EXPECT_EQ(lines[1]["error"]["code"], "piv_management_key_auth_failed");
  EXPECT_EQ(lines[2]["username"], "carol");
  EXPECT_EQ(lines[2]["status"], "enrolled");
  EXPECT_EQ(lines[2]["login"]["account"], "carol@corp.example");
  // Generated secrets went to --secrets-out only, once per enrolled card.
  auto generated = JsonLines(secrets_out_);
  ASSERT_EQ(generated.size(), 2u);
  EXPECT_EQ(generated[0]["username"], "alice");
  std::string pin = generated[0]["generated"]["pin"];
  EXPECT_EQ(ReadFile(report_).find(pin), std::string::npos);
  std::string err = ReadFile(dir_.File("batch.err"));
  EXPECT_NE(err.find("[done 2 / left 0 / failed 1 of 3]"), std::string::npos) << err;
  EXPECT_EQ(err.find(pin), std::string::npos);
}

TEST_F(BatchTest, InterruptedBatchResumesWithoutEnrollingAnyoneTwice) {
  {
    auto batch = StartBatch();
    ASSERT_TRUE(batch);
    Feed(0, 1);
    // Interrupted while waiting for bob's card.
    kill(batch->pid(), SIGKILL);
    batch->Wait(std::chrono::seconds(10));
  }
  auto batch = StartBatch();
  ASSERT_TRUE(batch);
  Feed(1, 2);
  Feed(2, 3);
  int status = batch->Wait(std::chrono::seconds(60));
  ASSERT_TRUE(WIFEXITED(status));
  EXPECT_EQ(WEXITSTATUS(status), 0) << ReadFile(dir_.File("batch.err"));
  auto lines = JsonLines(report_);
  ASSERT_EQ(lines.size(), 3u);
  std::vector<std::string> names;
  for (const auto& l : lines) {
    names.push_back(l["username"]);
    EXPECT_EQ(l["status"], "enrolled") << l.dump();
  }
  EXPECT_EQ(names, (std::vector<std::string>{"alice", "bob", "carol"}));
  EXPECT_NE(ReadFile(dir_.File("batch.err")).find("1 already enrolled"), std::string::npos);
  // Alice's card, inserted again for another run, is refused: it is enrolled already.
  kt::WriteFile(users_, "username,upn\nzed,zed@corp.example\n");
  auto again = StartBatch();
  ASSERT_TRUE(again);
  Feed(0, 4);
  again->Wait(std::chrono::seconds(60));
  auto last = JsonLines(report_).back();
  EXPECT_EQ(last["username"], "zed");
  EXPECT_EQ(last["error"]["code"], "enroll_card_already_enrolled");
}

}  // namespace
}  // namespace keyward::enroll
