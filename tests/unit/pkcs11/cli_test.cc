// The CLI against SoftHSM2: `keyward token list|certs --json` and `keyward card login --json`
// with the PIN from --pin-fd (never on the command line, never in the output).
#include <gtest/gtest.h>
#include <poll.h>
#include <pty.h>
#include <sys/wait.h>
#include <unistd.h>

#include <nlohmann/json.hpp>

#include "tests/unit/pkcs11/test_env.h"

namespace keyward::pkcs11 {
namespace {

using testing::kDay;

class CliTest : public ::testing::Test {
 protected:
  void SetUp() override {
    now_ = UnixNow();
    ca_ = testing::TestCa::Create("CLI CA", now_);
    hsm_.InitToken("cli");
    EvpPkeyPtr pub = hsm_.GenerateKey("cli", "01", "EC:prime256v1");
    testing::LeafSpec s;
    s.upn = {"erin@corp.example"};
    s.not_before = now_ - kDay;
    s.not_after = now_ + kDay;
    cert_ = testing::IssueLeaf(ca_, pub.get(), s);
    hsm_.WriteCertificate("cli", "01", cert_.get(), "erin");
    testing::WriteFile(dir() + "/ca.pem", ca_.CertPem());
  }
  std::string dir() const { return hsm_.dir(); }

  // Runs keyward; returns {exit code, stdout as JSON}.
  std::pair<int, nlohmann::json> Keyward(std::vector<std::string> args,
                                         const std::string& pin = "") {
    args.insert(args.begin(), std::string(KEYWARD_BIN_DIR) + "/keyward");
    testing::WriteFile(dir() + "/pin", pin + "\n");
    int rc = testing::RunCapture(args, dir() + "/cli.log", dir() + "/out.json", dir() + "/pin");
    auto text = ReadFileToString(dir() + "/out.json");
    nlohmann::json j = nlohmann::json::parse(text.value_or(""), nullptr, false);
    return {rc, j};
  }

  int64_t now_ = 0;
  testing::SoftHsm hsm_;
  testing::TestCa ca_;
  X509Ptr cert_;
};

TEST_F(CliTest, TokenListAndCerts) {
  auto [rc, j] = Keyward({"token", "list", "--module", testing::kSoftHsmModule, "--json"});
  ASSERT_EQ(rc, 0);
  bool found = false;
  for (const auto& t : j["tokens"]) {
    if (t["label"] == "cli") {
      found = true;
      EXPECT_EQ(t["manufacturer"], "SoftHSM project");
      EXPECT_EQ(t["login_required"], true);
      EXPECT_EQ(t["pin"]["locked"], false);
    }
  }
  EXPECT_TRUE(found);
  auto [rc2, c] =
      Keyward({"token", "certs", "--module", testing::kSoftHsmModule, "--token", "cli", "--json"});
  ASSERT_EQ(rc2, 0);
  ASSERT_EQ(c["certificates"].size(), 1u);
  EXPECT_EQ(c["certificates"][0]["id"], "01");
  EXPECT_EQ(c["certificates"][0]["key_type"], "ec");
  EXPECT_EQ(c["certificates"][0]["key_bits"], 256);
  EXPECT_EQ(c["certificates"][0]["certificate"]["serial"],
            testing::ToCertificate(cert_.get()).SerialHex());
}

TEST_F(CliTest, ModulesAndP11KitNames) {
  auto [rc, m] = Keyward({"token", "modules", "--json"});
  ASSERT_EQ(rc, 0);
  bool softhsm = false, opensc = false;
  for (const auto& e : m["modules"]) {
    softhsm = softhsm || e["name"] == "softhsm2";
    opensc = opensc || e["name"] == "opensc-pkcs11";
  }
  EXPECT_TRUE(softhsm && opensc) << m.dump();
  // --module takes the p11-kit name; the output says which module it was.
  auto [rc2, j] = Keyward({"token", "list", "--module", "softhsm2", "--json"});
  ASSERT_EQ(rc2, 0);
  bool found = false;
  for (const auto& t : j["tokens"]) {
    if (t["label"] != "cli") continue;
    found = true;
    EXPECT_EQ(t["module_name"], "softhsm2");
  }
  EXPECT_TRUE(found) << j.dump();
  auto [rc3, l] = Keyward({"card", "login", "--module", "softhsm2", "--token", "cli", "--ca",
                           dir() + "/ca.pem", "--pin-fd", "0", "--host", "ws1", "--json"},
                          testing::kUserPin);
  ASSERT_EQ(rc3, 0) << l.dump();
  EXPECT_EQ(l["account"], "erin@corp.example");
  auto [rc4, u] = Keyward({"token", "list", "--module", "no-such-module", "--json"});
  EXPECT_EQ(rc4, 3);
  EXPECT_EQ(u["error"]["code"], "pkcs11_module_load_failed");
}

TEST_F(CliTest, CardLoginWithPinFd) {
  auto [rc, j] = Keyward({"card", "login", "--module", testing::kSoftHsmModule, "--token", "cli",
                          "--ca", dir() + "/ca.pem", "--pin-fd", "0", "--host", "ws1", "--json"},
                         testing::kUserPin);
  ASSERT_EQ(rc, 0) << j.dump();
  EXPECT_EQ(j["ok"], true);
  EXPECT_EQ(j["account"], "erin@corp.example");
  EXPECT_EQ(j["mechanism"], "CKM_ECDSA");
  EXPECT_EQ(j["assurance"]["level"], "aal2");
  EXPECT_EQ(j["revocation"]["status"], "not_checked");
  EXPECT_EQ(j.dump().find(testing::kUserPin), std::string::npos);
}

// The PIN typed at the prompt on a terminal (a pseudo-terminal here) is not echoed.
TEST_F(CliTest, CardLoginPromptsWithoutEcho) {
  int master = -1;
  std::string keyward = std::string(KEYWARD_BIN_DIR) + "/keyward";
  std::string ca = dir() + "/ca.pem";
  pid_t pid = forkpty(&master, nullptr, nullptr, nullptr);
  ASSERT_GE(pid, 0);
  if (pid == 0) {
    execl(keyward.c_str(), keyward.c_str(), "card", "login", "--module", testing::kSoftHsmModule,
          "--token", "cli", "--ca", ca.c_str(), "--host", "ws1", "--json",
          static_cast<char*>(nullptr));
    _exit(127);
  }
  std::string seen;
  bool sent = false;
  for (int i = 0; i < 200; ++i) {  // bounded: 20 s
    pollfd p{master, POLLIN, 0};
    if (poll(&p, 1, 100) <= 0) continue;
    char buf[4096];
    ssize_t n = read(master, buf, sizeof(buf));
    if (n <= 0) break;  // EIO once the child closed the terminal
    seen.append(buf, static_cast<size_t>(n));
    if (!sent && seen.find("PIN: ") != std::string::npos) {
      std::string line = std::string(testing::kUserPin) + "\n";
      ASSERT_EQ(write(master, line.data(), line.size()), static_cast<ssize_t>(line.size()));
      sent = true;
    }
  }
  close(master);
  int status = 0;
  ASSERT_EQ(waitpid(pid, &status, 0), pid);
  ASSERT_TRUE(sent) << seen;
  EXPECT_TRUE(WIFEXITED(status) && WEXITSTATUS(status) == 0) << seen;
  EXPECT_NE(seen.find("\"ok\": true"), std::string::npos) << seen;
  EXPECT_EQ(seen.find(testing::kUserPin), std::string::npos) << "PIN echoed";
}

TEST_F(CliTest, CardLoginWrongPinReportsCodeAndFlags) {
  auto [rc, j] = Keyward({"card", "login", "--module", testing::kSoftHsmModule, "--token", "cli",
                          "--ca", dir() + "/ca.pem", "--pin-fd", "0", "--json"},
                         "000000");
  EXPECT_EQ(rc, 1);
  EXPECT_EQ(j["ok"], false);
  EXPECT_EQ(j["error"]["code"], "pin_incorrect");
  EXPECT_EQ(j["error"]["native"], 0xa0);  // CKR_PIN_INCORRECT
  EXPECT_EQ(j["pin"]["count_low"], true);
  EXPECT_EQ(j.dump().find("000000"), std::string::npos);
}

TEST_F(CliTest, CardLoginBadRulesIsUsageError) {
  testing::WriteFile(dir() + "/rules", "rule broken <SUBJECT>x => upn\n");
  auto [rc, j] =
      Keyward({"card", "login", "--module", testing::kSoftHsmModule, "--ca", dir() + "/ca.pem",
               "--rules", dir() + "/rules", "--pin-fd", "0", "--json"},
              testing::kUserPin);
  EXPECT_EQ(rc, 2);
  EXPECT_EQ(j["error"]["code"], "mapping_rule_invalid");
}

TEST_F(CliTest, CardLoginMissingModuleIsEnvironmentError) {
  auto [rc, j] = Keyward({"card", "login", "--module", dir() + "/none.so", "--ca",
                          dir() + "/ca.pem", "--pin-fd", "0", "--json"},
                         testing::kUserPin);
  EXPECT_EQ(rc, 3);
  EXPECT_EQ(j["error"]["code"], "pkcs11_module_load_failed");
}

// RFC 7512 module-path / module-name in the --token URI pick the module (no --module needed);
// a URI and a --module that disagree, and a module-name nothing matches, are refused.
TEST_F(CliTest, TokenUriNamesTheModule) {
  const std::string lib = testing::kSoftHsmModule;
  const std::string dir_of_lib = lib.substr(0, lib.rfind('/'));
  for (const std::string& uri :
       {std::string("pkcs11:token=cli?module-name=softhsm2"),
        std::string("pkcs11:token=cli?module-name=LibSoftHsm2"),
        "pkcs11:token=cli?module-path=" + lib,
        "pkcs11:token=cli?module-path=" + dir_of_lib + "&module-name=libsofthsm2"}) {
    SCOPED_TRACE(uri);
    auto [rc, c] = Keyward({"token", "certs", "--token", uri, "--json"});
    ASSERT_EQ(rc, 0) << c.dump();
    ASSERT_EQ(c["certificates"].size(), 1u);
    EXPECT_EQ(c["certificates"][0]["id"], "01");
  }
  auto [rc1, l] = Keyward({"card", "login", "--token", "pkcs11:token=cli?module-name=softhsm2",
                           "--ca", dir() + "/ca.pem", "--pin-fd", "0", "--host", "ws1", "--json"},
                          testing::kUserPin);
  ASSERT_EQ(rc1, 0) << l.dump();
  EXPECT_EQ(l["account"], "erin@corp.example");

  auto [rc2, e2] = Keyward({"token", "certs", "--module", "/nonexistent/other.so", "--token",
                            "pkcs11:token=cli?module-name=softhsm2", "--json"});
  EXPECT_NE(rc2, 0);
  EXPECT_EQ(e2["error"]["code"], "pkcs11_uri_invalid") << e2.dump();
  auto [rc3, e3] =
      Keyward({"token", "certs", "--token", "pkcs11:token=cli?module-name=no-such", "--json"});
  EXPECT_EQ(rc3, 3);
  EXPECT_EQ(e3["error"]["code"], "pkcs11_module_load_failed") << e3.dump();
  auto [rc4, e4] = Keyward(
      {"token", "certs", "--token", "pkcs11:token=cli?module-path=" + dir_of_lib, "--json"});
  EXPECT_NE(rc4, 0);
  EXPECT_EQ(e4["error"]["code"], "pkcs11_uri_invalid") << e4.dump();
  // The same module named twice (a p11-kit name and its file) is not a conflict.
  auto [rc5, c5] = Keyward({"token", "certs", "--module", "softhsm2", "--token",
                            "pkcs11:token=cli?module-path=" + lib, "--json"});
  EXPECT_EQ(rc5, 0) << c5.dump();
}

// `keyward token wait` against SoftHSM2 (its slots never change, so only the present / absent
// answers and the bounded timeout can be seen here; insertion and removal of a real card under
// pcscd are in opensc_e2e_test.cc).
TEST_F(CliTest, TokenWaitAnswersAtOnceOrTimesOut) {
  const std::string lib = testing::kSoftHsmModule;
  auto [rc, j] = Keyward({"token", "wait", "--module", lib, "--token", "cli", "--json"});
  ASSERT_EQ(rc, 0) << j.dump();
  EXPECT_EQ(j["event"], "present");
  EXPECT_EQ(j["token"]["label"], "cli");
  auto [rc2, a] =
      Keyward({"token", "wait", "--module", lib, "--token", "nosuch", "--removed", "--json"});
  ASSERT_EQ(rc2, 0) << a.dump();
  EXPECT_EQ(a["event"], "absent");
  EXPECT_TRUE(a["token"].is_null());
  for (const auto& args : {std::vector<std::string>{"--token", "cli", "--removed"},
                           std::vector<std::string>{"--token", "nosuch"}}) {
    std::vector<std::string> cmd = {"token", "wait", "--module", lib, "--timeout", "1", "--json"};
    cmd.insert(cmd.end(), args.begin(), args.end());
    auto [rc3, t] = Keyward(cmd);
    EXPECT_NE(rc3, 0);
    EXPECT_EQ(t["error"]["code"], "timeout") << t.dump();
  }
  auto [rc4, u] = Keyward({"token", "wait", "--module", lib, "--timeout", "0"});
  EXPECT_EQ(rc4, 2);  // usage: the timeout must be 1-3600 s
}

}  // namespace
}  // namespace keyward::pkcs11
