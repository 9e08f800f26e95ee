// Test fixture for pam_keyward under pam_wrapper: a service file of the test's own in
// PAM_WRAPPER_SERVICE_DIR naming the test build of the module (pam_keyward_testhooks.so) by its
// absolute path, a root-owned config in a temporary directory, pam_authenticate through
// libpamtest with a conversation that answers or cancels, and the module's log line read back
// from the test_log= file.
#ifndef KEYWARD_TESTS_UNIT_PAM_PAM_FIXTURE_H_
#define KEYWARD_TESTS_UNIT_PAM_PAM_FIXTURE_H_

#include <gtest/gtest.h>
#include <security/pam_appl.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cctype>
#include <cerrno>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>
#include <vector>

#include "tests/unit/pkcs11/test_env.h"

extern "C" {  // libpamtest.h has no C++ guard
#include <libpamtest.h>
}

namespace keyward::pam {

namespace t = keyward::pkcs11::testing;

inline std::string ReadAll(const std::string& path) {
  std::ifstream f(path);
  std::stringstream s;
  s << f.rdbuf();
  return s.str();
}

inline std::string LastLine(const std::string& path) {
  std::string text = ReadAll(path), line;
  std::istringstream in(text);
  std::string last;
  while (std::getline(in, line)) {
    if (!line.empty()) last = line;
  }
  return last;
}

// What the conversation answers and what it saw.
struct Conv {
  std::vector<std::string> answers;  // to no-echo prompts, in order; none left → PAM_CONV_ERR
  size_t next = 0;
  std::vector<std::string> prompts, info, errors;
  std::vector<std::string> env;  // the PAM environment after a successful authentication
};

inline int ConvFn(int n, const pam_message** msg, pam_response** resp, void* data) {
  auto* c = static_cast<Conv*>(data);
  auto* r = static_cast<pam_response*>(calloc(static_cast<size_t>(n), sizeof(pam_response)));
  for (int i = 0; i < n; ++i) {
    switch (msg[i]->msg_style) {
      case PAM_PROMPT_ECHO_OFF:
      case PAM_PROMPT_ECHO_ON:
        c->prompts.push_back(msg[i]->msg);
        if (c->next >= c->answers.size()) {  // the user cancels
          free(r);
          return PAM_CONV_ERR;
        }
        r[i].resp = strdup(c->answers[c->next++].c_str());
        break;
      case PAM_TEXT_INFO:
        c->info.push_back(msg[i]->msg);
        break;
      case PAM_ERROR_MSG:
        c->errors.push_back(msg[i]->msg);
        break;
    }
  }
  *resp = r;
  return PAM_SUCCESS;
}

inline constexpr char kPamChildFlag[] = "--keyward-pam-child";

// The child side of PamModuleTest::Authenticate: one pam_authenticate through libpamtest with
// the answers of the request file; writes the return code and what the conversation saw.
inline int RunPamChild(const char* request, const char* result) {
  std::istringstream in(ReadAll(request));
  std::string service, user, count;
  std::getline(in, service);
  std::getline(in, user);
  std::getline(in, count);
  Conv conv;
  for (int i = 0; i < std::atoi(count.c_str()); ++i) {
    std::string a;
    std::getline(in, a);
    conv.answers.push_back(a);
  }
  pam_testcase tests[] = {pam_test(PAMTEST_AUTHENTICATE, PAM_SUCCESS),
                          pam_test(PAMTEST_GETENVLIST, PAM_SUCCESS)};
  // run_pamtest_conv() is a macro with a misplaced parenthesis in libpamtest 1.1.4.
  auto rc = _pamtest_conv(service.c_str(), user.c_str(), ConvFn, &conv, tests, 2, nullptr);
  if (rc != PAMTEST_ERR_OK && rc != PAMTEST_ERR_CASE) return 1;
  std::string out = std::to_string(tests[0].op_rv) + "\n";
  if (rc == PAMTEST_ERR_OK && tests[1].case_out.envlist) {
    for (char** e = tests[1].case_out.envlist; *e; ++e) out += "V " + std::string(*e) + "\n";
    pamtest_free_env(tests[1].case_out.envlist);
  }
  for (const auto& p : conv.prompts) out += "P " + p + "\n";
  for (const auto& p : conv.info) out += "I " + p + "\n";
  for (const auto& p : conv.errors) out += "E " + p + "\n";
  t::WriteFile(result, out);
  return 0;
}

// Before main: a process started as `<test> --keyward-pam-child REQUEST RESULT` is such a child.
inline const bool kPamChildHook = [] {
  std::ifstream f("/proc/self/cmdline", std::ios::binary);
  std::vector<std::string> argv;
  std::string arg;
  while (std::getline(f, arg, '\0')) argv.push_back(arg);
  if (argv.size() == 4 && argv[1] == kPamChildFlag) {
    std::fflush(nullptr);
    _exit(RunPamChild(argv[2].c_str(), argv[3].c_str()));
  }
  return false;
}();

class PamModuleTest : public ::testing::Test {
 protected:
  void SetUp() override {
    ASSERT_EQ(geteuid(), 0u) << "pam_keyward's tests need root (root-owned config)";
    const char* sd = std::getenv("PAM_WRAPPER_SERVICE_DIR");
    ASSERT_NE(sd, nullptr) << "run under pam_wrapper (see tests/unit/pam/CMakeLists.txt)";
    service_dir_ = sd;
    std::filesystem::create_directories(service_dir_);
    const auto* info = ::testing::UnitTest::GetInstance()->current_test_info();
    service_ = std::string("kw-") + info->name();
    for (char& ch : service_) {  // libpam lowercases service names
      if (!isalnum(static_cast<unsigned char>(ch)) && ch != '-') ch = '-';
      ch = static_cast<char>(tolower(static_cast<unsigned char>(ch)));
    }
    dir_ = tmp_.path();
    chmod(dir_.c_str(), 0755);
    log_ = dir_ + "/pam.log";
    config_ = dir_ + "/pam.conf";
  }
  void TearDown() override { std::filesystem::remove(service_dir_ + "/" + service_); }

  // The service file and the config ([default] = `config`); `extra_args` go on the auth line.
  // `more_lines` follow in the service file (e.g. a second module).
  void Configure(const std::string& config, const std::string& extra_args = "",
                 const std::string& more_lines = "") {
    t::WriteFile(config_, "[default]\n" + config);
    chmod(config_.c_str(), 0644);
    t::WriteFile(service_dir_ + "/" + service_, "auth required " + std::string(KEYWARD_PAM_MODULE) +
                                                    " config=" + config_ + " test_log=" + log_ +
                                                    (extra_args.empty() ? "" : " " + extra_args) +
                                                    "\n" + more_lines);
  }

  // pam_authenticate through libpamtest in a fresh process (RunPamChild: pam_wrapper copies the
  // service directory when a process starts, so each attempt re-executes this test binary);
  // returns what pam_authenticate returned.
  int Authenticate(const std::string& user, Conv& conv) {
    std::string req = dir_ + "/pam-request", res = dir_ + "/pam-result";
    std::string text = service_ + "\n" + user + "\n" + std::to_string(conv.answers.size()) + "\n";
    for (const auto& a : conv.answers) text += a + "\n";
    t::WriteFile(req, text);
    std::filesystem::remove(res);
    pid_t pid = fork();
    if (pid == 0) {
      execl("/proc/self/exe", "pam-child", kPamChildFlag, req.c_str(), res.c_str(),
            static_cast<char*>(nullptr));
      _exit(127);
    }
    int status = 0;
    while (waitpid(pid, &status, 0) < 0 && errno == EINTR) {
    }
    EXPECT_TRUE(WIFEXITED(status) && WEXITSTATUS(status) == 0) << "pam child failed";
    std::istringstream in(ReadAll(res));
    std::string line;
    int rv = -1;
    if (std::getline(in, line)) rv = std::atoi(line.c_str());
    while (std::getline(in, line)) {
      if (line.size() < 2) continue;
      std::string v = line.substr(2);
      if (line[0] == 'P') conv.prompts.push_back(v);
      if (line[0] == 'I') conv.info.push_back(v);
      if (line[0] == 'E') conv.errors.push_back(v);
      if (line[0] == 'V') conv.env.push_back(v);
    }
    return rv;
  }
  int Authenticate(const std::string& user, std::vector<std::string> answers) {
    Conv c;
    c.answers = std::move(answers);
    return Authenticate(user, c);
  }

  // The last log line says this outcome and code (and is for this service).
  void ExpectLog(const std::string& outcome, const std::string& code) {
    std::string line = LastLine(log_);
    EXPECT_NE(line.find("service=" + service_ + " "), std::string::npos) << line;
    EXPECT_NE(line.find(" outcome=" + outcome + " code=" + code), std::string::npos) << line;
  }
  std::string Log() { return LastLine(log_); }

  t::TempDir tmp_;
  std::string service_dir_, service_, dir_, log_, config_;
};

}  // namespace keyward::pam

#endif  // KEYWARD_TESTS_UNIT_PAM_PAM_FIXTURE_H_
