// The PAM config parser, the module arguments and the credential file: every rejection path with
// its stable code; no PAM stack needed.
#include "pam/pam_config.h"

#include <gtest/gtest.h>
#include <security/_pam_types.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <atomic>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <memory>
#include <string>
#include <thread>
#include <variant>

#include "pam/authenticate.h"
#include "pam/bounded_call.h"
#include "pam/fido_credentials.h"
#include "pam/module_args.h"
#include "pam/owned_file.h"
#include "pkcs11/ocsp_cache.h"

namespace keyward::pam {
namespace {

constexpr char kGood[] = R"(# keyward PAM
[default]
methods = card fido
card_ca = /etc/keyward/ca.pem /etc/keyward/issuing.pem
card_ocsp = aia
card_ocsp_failure = soft
card_wait = 10

[service sudo]
methods = fido
fido_verification = pin
allow_remote = yes

[service login]
no_credential = ignore
card_pinpad = yes
)";

TEST(PamConfigTest, ParsesAndResolvesWithInheritance) {
  auto cfg = PamConfig::Parse(kGood);
  ASSERT_TRUE(cfg) << cfg.error().ToString();
  EXPECT_EQ(cfg->Services(), (std::vector<std::string>{"sudo", "login"}));

  auto sudo = cfg->Resolve("sudo");
  ASSERT_TRUE(sudo) << sudo.error().ToString();
  EXPECT_EQ(sudo->service, "sudo");
  ASSERT_EQ(sudo->methods.size(), 1u);
  EXPECT_EQ(sudo->methods[0], Method::kFido);
  EXPECT_EQ(sudo->fido_verification, FidoVerification::kPin);
  EXPECT_TRUE(sudo->allow_remote);
  EXPECT_EQ(sudo->card_wait, 10);  // inherited

  auto login = cfg->Resolve("login");
  ASSERT_TRUE(login);
  EXPECT_EQ(login->methods.size(), 2u);
  EXPECT_TRUE(login->ignore_unenrolled);
  EXPECT_TRUE(login->card_pinpad);
  EXPECT_FALSE(login->allow_remote);
  EXPECT_EQ(login->card_ocsp, "aia");
  EXPECT_EQ(login->card_ocsp_failure, OcspFailure::kSoft);
  EXPECT_EQ(login->card_ca.size(), 2u);

  auto other = cfg->Resolve("gdm-password");  // no section: [default]
  ASSERT_TRUE(other);
  EXPECT_EQ(other->service, "default");
  EXPECT_EQ(other->fido_credentials, kDefaultFidoCredentials);
  EXPECT_EQ(other->fido_timeout, 15);
  EXPECT_FALSE(other->card_pinpad);
}

struct Bad {
  const char* text;
  const char* line;  // expected "line N:" prefix (empty: a section-level error)
};

class PamConfigRejects : public ::testing::TestWithParam<Bad> {};

TEST_P(PamConfigRejects, WithLineNumber) {
  auto cfg = PamConfig::Parse(GetParam().text);
  ASSERT_FALSE(cfg) << GetParam().text;
  EXPECT_EQ(cfg.error().code, ErrorCode::kConfigInvalid);
  EXPECT_EQ(cfg.error().detail.rfind(GetParam().line, 0), 0u) << cfg.error().detail;
}

INSTANTIATE_TEST_SUITE_P(
    Parse, PamConfigRejects,
    ::testing::Values(Bad{"methods = card\n", "line 1:"},            // outside a section
                      Bad{"[default]\nmethod = card\n", "line 2:"},  // unknown key
                      Bad{"[default]\nmethods = card\nmethods = fido\n", "line 3:"},  // twice
                      Bad{"[default]\n[default]\n", "line 2:"},                  // section twice
                      Bad{"[default]\nmethods = card pin\n", "line 2:"},         // not a method
                      Bad{"[default]\nmethods = card card\n", "line 2:"},        // repeated
                      Bad{"[default]\nmethods =\n", "line 2:"},                  // no value
                      Bad{"[default]\nallow_remote = true\n", "line 2:"},        // yes / no only
                      Bad{"[default]\ncard_wait = -1\n", "line 2:"},             // range
                      Bad{"[default]\ncard_wait = 601\n", "line 2:"},            // range
                      Bad{"[default]\ncard_timeout = 0\n", "line 2:"},           // range
                      Bad{"[default]\nfido_timeout = 5s\n", "line 2:"},          // number
                      Bad{"[default]\ncard_ocsp_failure = maybe\n", "line 2:"},  // choice
                      Bad{"[default]\ncard_module = a b\n", "line 2:"},          // one word
                      Bad{"[default]\nno equals sign\n", "line 2:"},             // syntax
                      Bad{"[default\n", "line 1:"},                              // header
                      Bad{"[services x]\n", "line 1:"},                          // header
                      Bad{"[service bad/name]\n", "line 1:"},                    // service name
                      Bad{"[default]\nmethods = card\x01\n", "line 2:"},  // control character
                      Bad{"# x\n\n[default]\nfido_cue = maybe\n", "line 4:"}));  // counts all lines

TEST(PamConfigTest, LongLinesAndFilesAreRefused) {
  std::string line = "[default]\ncard_ca = /" + std::string(5000, 'a') + "\n";
  auto r = PamConfig::Parse(line);
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error().code, ErrorCode::kConfigInvalid);
  std::string big = "[default]\n";
  while (big.size() < 70000) big += "# padding padding padding padding padding padding\n";
  auto b = PamConfig::Parse(big);
  ASSERT_FALSE(b);
  EXPECT_EQ(b.error().code, ErrorCode::kConfigInvalid);
}

TEST(PamConfigTest, ResolveEnforcesInvariants) {
  struct Case {
    const char* text;
    const char* service;
  };
  const Case cases[] = {
      {"[service sudo]\nmethods = fido\n", "login"},  // no section, no default
      {"[default]\ncard_wait = 3\n", "login"},        // no methods
      {"[default]\nmethods = card\n", "login"},       // card without CA
      {"[default]\nmethods = card\ncard_ca = /ca\ncard_ocsp = https://x/\n", "x"},
      {"[default]\nmethods = card\ncard_ca = /ca\ncard_ocsp = aia\ncard_ocsp_failure = crl\n",
       "x"},  // crl fallback without CRLs
      {"[default]\nmethods = card\ncard_ca = /ca\ncard_ocsp_failure = soft\n", "x"},  // no OCSP
      {"[default]\nmethods = card\ncard_ca = /ca\ncard_eku = serverAuthX\n", "x"},
      {"[default]\nmethods = card\ncard_ca = /ca\ncard_eku = 1..2\n", "x"},
      {"[default]\nmethods = fido\nfido_credentials = relative/path\n", "x"},
      {"[default]\nmethods = fido\nfido_credentials = /x/%d\n", "x"},
      {"[default]\nmethods = fido\nfido_origin = https://host\n", "x"},
      {"[default]\nmethods = fido\nfido_store = mysql://db/x\n", "x"},
      {"[default]\nmethods = fido\nfido_store = sqlite:relative.db\n", "x"},
      {"[default]\nmethods = fido\nfido_store = /s.db\nfido_credentials = /f\n", "x"},
      {"[default]\nmethods = card\ncard_ca = /ca\ncard_ocsp_cache = /var/cache/k\n", "x"},
      {"[default]\nmethods = card\ncard_ca = /ca\ncard_ocsp = aia\ncard_ocsp_cache = rel\n", "x"},
  };
  for (const auto& c : cases) {
    auto cfg = PamConfig::Parse(c.text);
    ASSERT_TRUE(cfg) << c.text << cfg.error().ToString();
    auto p = cfg->Resolve(c.service);
    ASSERT_FALSE(p) << c.text;
    EXPECT_EQ(p.error().code, ErrorCode::kConfigInvalid) << c.text;
  }
}

TEST(PamConfigTest, StoreAndOcspCacheKeys) {
  auto cfg = PamConfig::Parse(
      "[default]\nmethods = card fido\ncard_ca = /ca\ncard_ocsp = aia\n"
      "card_ocsp_cache = /var/cache/keyward/ocsp\nfido_store = sqlite:/var/lib/keyward/pam.db\n");
  ASSERT_TRUE(cfg) << cfg.error().ToString();
  auto p = cfg->Resolve("login");
  ASSERT_TRUE(p) << p.error().ToString();
  EXPECT_EQ(p->card_ocsp_cache, "/var/cache/keyward/ocsp");
  EXPECT_EQ(p->fido_store, "sqlite:/var/lib/keyward/pam.db");
  auto pg = PamConfig::Parse("[default]\nmethods = fido\nfido_store = postgresql:///k?host=/run\n");
  ASSERT_TRUE(pg);
  EXPECT_TRUE(pg->Resolve("login"));
}

// The one bounded, owner-checked read behind pam.conf and the credential files.
TEST(OwnedFileTest, EveryRefusalHasItsKind) {
  char dir[] = "/tmp/kw-owned-XXXXXX";
  ASSERT_NE(mkdtemp(dir), nullptr);
  const std::string d = dir, f = d + "/f";
  std::ofstream(f) << "hello";
  chmod(f.c_str(), 0600);
  using Kind = OwnedFileFailure::Kind;
  auto kind = [](const std::variant<std::string, OwnedFileFailure>& r) {
    return std::get<OwnedFileFailure>(r).kind;
  };
  OwnedFileRules rules;
  rules.owners = {geteuid()};
  rules.forbidden_mode = 077;
  rules.max_size = 16;
  auto ok = ReadOwnedFile(f, rules);
  ASSERT_TRUE(std::holds_alternative<std::string>(ok));
  EXPECT_EQ(std::get<std::string>(ok), "hello");
  EXPECT_EQ(kind(ReadOwnedFile(d + "/none", rules)), Kind::kMissing);
  ASSERT_EQ(symlink(f.c_str(), (d + "/l").c_str()), 0);
  EXPECT_EQ(kind(ReadOwnedFile(d + "/l", rules)), Kind::kSymlink);
  ASSERT_EQ(mkfifo((d + "/fifo").c_str(), 0600), 0);
  EXPECT_EQ(kind(ReadOwnedFile(d + "/fifo", rules)), Kind::kNotRegular);  // and never blocks
  EXPECT_EQ(kind(ReadOwnedFile(d, rules)), Kind::kNotRegular);
  chmod(f.c_str(), 0640);
  EXPECT_EQ(kind(ReadOwnedFile(f, rules)), Kind::kBadMode);
  chmod(f.c_str(), 0600);
  OwnedFileRules other = rules;
  other.owners = {geteuid() + 1};
  EXPECT_EQ(kind(ReadOwnedFile(f, other)), Kind::kBadOwner);
  std::ofstream(f, std::ios::app) << std::string(20, 'x');
  EXPECT_EQ(kind(ReadOwnedFile(f, rules)), Kind::kTooLarge);
  std::filesystem::remove_all(d);
}

// The on-disk OCSP answer cache behind card_ocsp_cache (pkcs11/ocsp_cache.h): only a fit
// directory is used, entries are bounded in size and number. (What is cached and when it is
// reused: pam_piv_e2e_test against `openssl ocsp`.)
TEST(OcspCacheTest, DirectoryRulesAndBounds) {
  char dir[] = "/tmp/kw-ocspcache-XXXXXX";
  ASSERT_NE(mkdtemp(dir), nullptr);
  const std::string base = dir, cache = base + "/cache";
  const std::string key(64, 'a');
  const Bytes der = {0x30, 0x03, 0x0a, 0x01, 0x00};
  EXPECT_FALSE(pkcs11::OcspCacheGet(cache, key));
  pkcs11::OcspCachePut(cache, key, der);  // creates the directory, mode 0700
  struct stat st {};
  ASSERT_EQ(stat(cache.c_str(), &st), 0);
  EXPECT_EQ(st.st_mode & 0777, 0700u);
  auto got = pkcs11::OcspCacheGet(cache, key);
  ASSERT_TRUE(got);
  EXPECT_EQ(*got, der);
  EXPECT_FALSE(pkcs11::OcspCacheGet(cache, "../etc/passwd"));  // keys are 64 hex digits
  EXPECT_FALSE(pkcs11::OcspCacheGet("relative/dir", key));
  // A directory others may write to is not used at all.
  chmod(cache.c_str(), 0777);
  EXPECT_FALSE(pkcs11::OcspCacheGet(cache, key));
  pkcs11::OcspCachePut(cache, std::string(64, 'b'), der);
  EXPECT_FALSE(std::filesystem::exists(cache + "/" + std::string(64, 'b')));
  chmod(cache.c_str(), 0700);
  // Nor is one reached through a symbolic link.
  ASSERT_EQ(symlink(cache.c_str(), (base + "/link").c_str()), 0);
  EXPECT_FALSE(pkcs11::OcspCacheGet(base + "/link", key));
  // Oversized answers are not stored; removal works.
  pkcs11::OcspCachePut(cache, std::string(64, 'c'), Bytes(pkcs11::kOcspCacheMaxResponse + 1, 0x30));
  EXPECT_FALSE(pkcs11::OcspCacheGet(cache, std::string(64, 'c')));
  pkcs11::OcspCacheRemove(cache, key);
  EXPECT_FALSE(pkcs11::OcspCacheGet(cache, key));
  // At most kOcspCacheMaxEntries files.
  for (size_t i = 0; i < pkcs11::kOcspCacheMaxEntries + 5; ++i) {
    char k[65];
    std::snprintf(k, sizeof(k), "%064zx", i);
    pkcs11::OcspCachePut(cache, k, der);
  }
  size_t n = 0;
  for (const auto& e : std::filesystem::directory_iterator(cache)) n += e.is_regular_file();
  EXPECT_EQ(n, pkcs11::kOcspCacheMaxEntries);
  std::filesystem::remove_all(base);
}

TEST(PamConfigTest, LoadChecksOwnerAndMode) {
  char dir[] = "/tmp/kw-pamcfg-XXXXXX";
  ASSERT_NE(mkdtemp(dir), nullptr);
  std::string path = std::string(dir) + "/pam.conf";
  std::ofstream(path) << kGood;
  chmod(path.c_str(), 0644);
  if (geteuid() == 0) {
    EXPECT_TRUE(PamConfig::Load(path, true));
    ASSERT_EQ(chown(path.c_str(), 65534, 65534), 0);  // nobody
    auto r = PamConfig::Load(path, true);
    ASSERT_FALSE(r);
    EXPECT_EQ(r.error().code, ErrorCode::kPermissionDenied);
    ASSERT_EQ(chown(path.c_str(), 0, 0), 0);
  }
  chmod(path.c_str(), 0664);  // group-writable
  auto w = PamConfig::Load(path, true);
  ASSERT_FALSE(w);
  EXPECT_EQ(w.error().code, ErrorCode::kPermissionDenied);
  EXPECT_TRUE(PamConfig::Load(path, false));  // the owner check off (drafts)
  auto missing = PamConfig::Load(std::string(dir) + "/none.conf", true);
  ASSERT_FALSE(missing);
  EXPECT_EQ(missing.error().code, ErrorCode::kIo);
  std::string link = std::string(dir) + "/link.conf";
  ASSERT_EQ(symlink(path.c_str(), link.c_str()), 0);
  EXPECT_FALSE(PamConfig::Load(link, false));  // symlinks are not followed
  unlink(link.c_str());
  unlink(path.c_str());
  rmdir(dir);
}

TEST(ModuleArgsTest, KnownArgumentsOnly) {
  auto ok = ParseModuleArgs({"config=/tmp/x.conf", "service=sudo"}, false);
  ASSERT_TRUE(ok);
  EXPECT_EQ(ok->config, "/tmp/x.conf");
  EXPECT_EQ(ok->service, "sudo");
  EXPECT_EQ(ParseModuleArgs({}, false)->config, kDefaultConfigPath);
  const std::vector<std::vector<std::string>> bad = {
      {"debug"},                         // unknown
      {"config=relative.conf"},          // not absolute
      {"config="},                       // empty
      {"service=a", "service=b"},        // twice
      {"test_log=/tmp/log"},             // test hook in the production module
      {"test_fido_device=soft:/tmp/k"},  // test hook in the production module
  };
  for (const auto& args : bad) {
    auto r = ParseModuleArgs(args, false);
    ASSERT_FALSE(r) << args[0];
    EXPECT_EQ(r.error().code, ErrorCode::kPamModuleArgumentInvalid);
  }
  auto hooks = ParseModuleArgs(
      {"test_log=/tmp/log", "test_fido_device=soft:/k", "test_clock_offset=172800"}, true);
  ASSERT_TRUE(hooks);
  EXPECT_EQ(hooks->test_log, "/tmp/log");
  EXPECT_EQ(hooks->test_clock_offset, 172800);
  for (const char* bad_clock : {"test_clock_offset=-1", "test_clock_offset=1x"}) {
    auto r = ParseModuleArgs({bad_clock}, true);
    ASSERT_FALSE(r) << bad_clock;
    EXPECT_EQ(r.error().code, ErrorCode::kPamModuleArgumentInvalid);
  }
  EXPECT_FALSE(ParseModuleArgs({"test_clock_offset=5"}, false));
}

TEST(PamCodesTest, NeverIgnoreByAccident) {
  EXPECT_EQ(PamCodeFor(ErrorCode::kPinIncorrect), PAM_AUTH_ERR);
  EXPECT_EQ(PamCodeFor(ErrorCode::kSignatureInvalid), PAM_AUTH_ERR);
  EXPECT_EQ(PamCodeFor(ErrorCode::kPamAccountMismatch), PAM_AUTH_ERR);
  EXPECT_EQ(PamCodeFor(ErrorCode::kPamConversationFailed), PAM_AUTH_ERR);
  EXPECT_EQ(PamCodeFor(ErrorCode::kSignCountRegression), PAM_AUTH_ERR);
  EXPECT_EQ(PamCodeFor(ErrorCode::kPkcs11TokenNotFound), PAM_AUTHINFO_UNAVAIL);
  EXPECT_EQ(PamCodeFor(ErrorCode::kPamNotEnrolled), PAM_AUTHINFO_UNAVAIL);
  EXPECT_EQ(PamCodeFor(ErrorCode::kPamStoreUnavailable), PAM_AUTHINFO_UNAVAIL);
  EXPECT_EQ(PamCodeFor(ErrorCode::kStoreConflict), PAM_AUTH_ERR);
  EXPECT_EQ(PamCodeFor(ErrorCode::kPamUserUnknown), PAM_USER_UNKNOWN);
  EXPECT_EQ(PamCodeFor(ErrorCode::kConfigInvalid), PAM_SYSTEM_ERR);
  // Every code maps to one of the five documented answers; none is PAM_IGNORE or PAM_SUCCESS.
  for (int v = 0; v < 2000; ++v) {
    auto name = ErrorCodeName(static_cast<ErrorCode>(v));
    if (name.empty() || name == "unknown") continue;
    int pc = PamCodeFor(static_cast<ErrorCode>(v));
    EXPECT_TRUE(pc == PAM_AUTH_ERR || pc == PAM_AUTHINFO_UNAVAIL || pc == PAM_USER_UNKNOWN ||
                pc == PAM_SYSTEM_ERR)
        << name;
  }
}

TEST(CredentialFileTest, ParseFormatRoundTrip) {
  std::vector<PamFidoCredential> creds = {{"pam://ws1", {1, 2, 3}, {0xa5, 0x01, 0x02}, 7},
                                          {"pam://ws1", {4, 5}, {0xa5}, 0}};
  auto back = ParseCredentialFile(FormatCredentialFile(creds));
  ASSERT_TRUE(back) << back.error().ToString();
  ASSERT_EQ(back->size(), 2u);
  EXPECT_EQ((*back)[0].id, creds[0].id);
  EXPECT_EQ((*back)[0].sign_count, 7u);
  EXPECT_EQ((*back)[1].public_key, creds[1].public_key);
}

TEST(CredentialFileTest, MalformedLinesAreRefused) {
  const char* bad[] = {
      "keyward-pam-fido v2 pam://h AQID pQEC 1\n",           // version
      "keyward-pam-fido v1 https://h AQID pQEC 1\n",         // rp
      "keyward-pam-fido v1 pam://h AQ=D pQEC 1\n",           // base64url
      "keyward-pam-fido v1 pam://h AQID pQEC -1\n",          // count
      "keyward-pam-fido v1 pam://h AQID pQEC 4294967296\n",  // count overflow
      "keyward-pam-fido v1 pam://h AQID pQEC\n",             // missing field
      "keyward-pam-fido v1 pam://h AQID pQEC 1\nkeyward-pam-fido v1 pam://h AQID pQEC 2\n",
      "keyward-pam-fido v1 pam://h AQID pQEC 1\x01\n",  // control character
  };
  for (const char* t : bad) {
    auto r = ParseCredentialFile(t);
    ASSERT_FALSE(r) << t;
    EXPECT_EQ(r.error().code, ErrorCode::kPamCredentialFileInvalid) << t;
  }
}

TEST(CredentialFileTest, PermissionsCheckedOnEveryRead) {
  char dir[] = "/tmp/kw-pamcred-XXXXXX";
  ASSERT_NE(mkdtemp(dir), nullptr);
  std::string path = std::string(dir) + "/creds";
  std::vector<PamFidoCredential> creds = {{"pam://ws1", {1, 2, 3}, {0xa5}, 1}};
  const uid_t me = geteuid();
  ASSERT_TRUE(WriteCredentialFile(path, creds, me, getegid(), false));
  struct stat st {};
  ASSERT_EQ(stat(path.c_str(), &st), 0);
  EXPECT_EQ(st.st_mode & 0777, 0600u);
  EXPECT_TRUE(ReadCredentialFile(path, me));

  chmod(path.c_str(), 0640);  // group-readable
  auto g = ReadCredentialFile(path, me);
  ASSERT_FALSE(g);
  EXPECT_EQ(g.error().code, ErrorCode::kPamCredentialFileInsecure);
  chmod(path.c_str(), 0604);  // world-readable
  EXPECT_EQ(ReadCredentialFile(path, me).error().code, ErrorCode::kPamCredentialFileInsecure);
  chmod(path.c_str(), 0600);
  if (me == 0) {
    // Owned by another user than the one logging in (and not root): refused.
    ASSERT_EQ(chown(path.c_str(), 2, 2), 0);
    EXPECT_EQ(ReadCredentialFile(path, 65534).error().code, ErrorCode::kPamCredentialFileInsecure);
    EXPECT_TRUE(ReadCredentialFile(path, 2));  // its own user
    ASSERT_EQ(chown(path.c_str(), 0, 0), 0);
    EXPECT_TRUE(ReadCredentialFile(path, 65534));  // root-owned is fine
  }
  std::string link = std::string(dir) + "/link";
  ASSERT_EQ(symlink(path.c_str(), link.c_str()), 0);
  EXPECT_EQ(ReadCredentialFile(link, me).error().code, ErrorCode::kPamCredentialFileInsecure);
  EXPECT_EQ(ReadCredentialFile(std::string(dir) + "/none", me).error().code,
            ErrorCode::kPamNotEnrolled);
  unlink(link.c_str());
  unlink(path.c_str());
  rmdir(dir);
}

TEST(CredentialFileTest, PathExpansion) {
  auto p = ExpandCredentialPath("%h/.config/keyward/pam_fido", "alice", "/home/alice");
  ASSERT_TRUE(p);
  EXPECT_EQ(*p, "/home/alice/.config/keyward/pam_fido");
  EXPECT_EQ(*ExpandCredentialPath("/etc/keyward/fido/%u%%", "bob", "/"), "/etc/keyward/fido/bob%");
  EXPECT_EQ(ExpandCredentialPath("/x/%q", "a", "/").error().code, ErrorCode::kConfigInvalid);
  EXPECT_EQ(ExpandCredentialPath("%h/x", "a", "").error().code, ErrorCode::kConfigInvalid);
  EXPECT_EQ(ExpandCredentialPath("/x/%u/y", "../..", "/").error().code, ErrorCode::kConfigInvalid);
}

// The bound on card operations: a call that does not return in time is left behind (kTimeout),
// one that does returns its own result, error included.
TEST(BoundedCallTest, TimesOutOrReturnsTheResult) {
  using std::chrono::milliseconds;
  auto fast = BoundedCall<int>([]() -> Result<int> { return 42; }, milliseconds(5000));
  ASSERT_TRUE(fast);
  EXPECT_EQ(*fast, 42);
  auto failing = BoundedCall<int>(
      []() -> Result<int> { return Fail(ErrorCode::kPinIncorrect, "x"); }, milliseconds(5000));
  ASSERT_FALSE(failing);
  EXPECT_EQ(failing.error().code, ErrorCode::kPinIncorrect);
  auto done = std::make_shared<std::atomic<bool>>(false);
  auto slow = BoundedCall<int>(
      [done]() -> Result<int> {
        std::this_thread::sleep_for(milliseconds(1500));
        done->store(true);
        return 1;
      },
      milliseconds(100));
  ASSERT_FALSE(slow);
  EXPECT_EQ(slow.error().code, ErrorCode::kTimeout);
  EXPECT_FALSE(done->load());  // the caller did not wait for it
  for (int i = 0; i < 50 && !done->load(); ++i) std::this_thread::sleep_for(milliseconds(100));
  EXPECT_TRUE(done->load());  // and it still ran to its end, on its own state
}

// `keyward pam check`: exit codes and the JSON explanation.
int PamCheck(const std::string& args, std::string* out) {
  std::string cmd = std::string(KEYWARD_BIN_DIR) + "/keyward pam check " + args + " 2>&1";
  FILE* p = popen(cmd.c_str(), "r");
  char buf[4096];
  size_t n;
  out->clear();
  while ((n = std::fread(buf, 1, sizeof(buf), p)) > 0) out->append(buf, n);
  int status = pclose(p);
  return WIFEXITED(status) ? WEXITSTATUS(status) : -1;
}

TEST(PamCheckCliTest, ValidatesAndExplains) {
  char dir[] = "/tmp/kw-pamcheck-XXXXXX";
  ASSERT_NE(mkdtemp(dir), nullptr);
  std::string d = dir, out;
  std::ofstream(d + "/ok.conf") << kGood;
  chmod((d + "/ok.conf").c_str(), 0644);
  ASSERT_EQ(PamCheck("--config " + d + "/ok.conf --service sudo --json", &out), 0) << out;
  EXPECT_NE(out.find("\"ok\":true"), std::string::npos) << out;
  EXPECT_NE(out.find("\"section\":\"sudo\""), std::string::npos) << out;
  EXPECT_NE(out.find("\"verification\":\"pin\""), std::string::npos) << out;
  EXPECT_NE(out.find("\"remote_sessions\":\"allowed\""), std::string::npos) << out;
  ASSERT_EQ(PamCheck("--config " + d + "/ok.conf", &out), 0) << out;
  EXPECT_NE(out.find("service login ([login])"), std::string::npos) << out;
  EXPECT_NE(out.find("warning: card_ca /etc/keyward/ca.pem is not readable"), std::string::npos)
      << out;

  std::ofstream(d + "/bad.conf") << "[default]\nmethods = card\ncard_wat = 1\n";
  chmod((d + "/bad.conf").c_str(), 0644);
  ASSERT_EQ(PamCheck("--config " + d + "/bad.conf --json", &out), 2) << out;
  EXPECT_NE(out.find("\"code\":\"config_invalid\""), std::string::npos) << out;
  EXPECT_NE(out.find("line 3"), std::string::npos) << out;

  std::ofstream(d + "/nomethods.conf") << "[service sshd]\nallow_remote = yes\n";
  chmod((d + "/nomethods.conf").c_str(), 0644);
  ASSERT_EQ(PamCheck("--config " + d + "/nomethods.conf --service sshd --json", &out), 2) << out;
  EXPECT_NE(out.find("\"code\":\"config_invalid\""), std::string::npos) << out;

  chmod((d + "/ok.conf").c_str(), 0666);  // anyone could rewrite it
  ASSERT_EQ(PamCheck("--config " + d + "/ok.conf --json", &out), 1) << out;
  EXPECT_NE(out.find("\"code\":\"permission_denied\""), std::string::npos) << out;

  ASSERT_EQ(PamCheck("--config " + d + "/missing.conf --json", &out), 3) << out;
  EXPECT_NE(out.find("\"code\":\"io_error\""), std::string::npos) << out;
  std::filesystem::remove_all(d);
}

// pam/keyward-lock-on-card-removal with a fake `keyward card watch --identify` and a recording
// loginctl: only the removal of the card that logged in locks (named by its certificate hash),
// optionally only from the watched reader; no card to watch → exit 0 without watching. (The real
// stack: pam_piv_e2e_test LockOnRemovalOnlyForTheCardThatLoggedIn.)
TEST(LockOnRemovalTest, LocksOnlyWhenTheLoginCardIsRemoved) {
  char dir[] = "/tmp/kw-pamlock-XXXXXX";
  ASSERT_NE(mkdtemp(dir), nullptr);
  std::string d = dir;
  const std::string mine(64, 'a'), other(64, 'b');
  std::ofstream(d + "/keyward")
      << "#!/bin/sh\n"
         "[ \"$*\" = 'card watch --json --identify' ] || exit 9\n"
         "echo '{\"event\":\"card_present\",\"reader\":\"R 00\",\"certificates\":[\""
      << mine
      << "\"]}'\n"
         "echo '{\"event\":\"card_removed\",\"reader\":\"Other 01\",\"certificates\":[\""
      << other
      << "\"]}'\n"
         "echo '{\"event\":\"card_removed\",\"reader\":\"R 00\",\"certificates\":[]}'\n"
         "echo '{\"event\":\"card_removed\",\"reader\":\"Other 01\",\"certificates\":[\""
      << mine << "\"]}'\n"
      << "echo '{\"event\":\"card_removed\",\"reader\":\"R 00\",\"certificates\":[\"" << mine
      << "\"]}'\n";
  std::ofstream(d + "/loginctl") << "#!/bin/sh\necho \"$@\" >> " << d << "/calls\n";
  chmod((d + "/keyward").c_str(), 0755);
  chmod((d + "/loginctl").c_str(), 0755);
  const std::string script = std::string(KEYWARD_SOURCE_DIR) + "/pam/keyward-lock-on-card-removal";
  const std::string env = "KEYWARD=" + d + "/keyward LOGINCTL=" + d + "/loginctl XDG_SESSION_ID=7 ";
  auto calls = [&] {
    std::ifstream in(d + "/calls");
    std::string all((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
    std::remove((d + "/calls").c_str());
    return all;
  };
  // The card from the session's environment, only reader R 00: one lock.
  ASSERT_EQ(
      std::system((env + "KEYWARD_CARD_CERT_SHA256=" + mine + " " + script + " 'R 00'").c_str()),
      0);
  EXPECT_EQ(calls(), "lock-session 7\n");
  // --card (upper-case hex accepted), any reader: both removals of that card lock.
  std::string upper = mine;
  for (char& c : upper) c = static_cast<char>(toupper(c));
  ASSERT_EQ(std::system((env + script + " --card " + upper).c_str()), 0);
  EXPECT_EQ(calls(), "lock-session 7\nlock-session 7\n");
  // No card logged in: nothing is watched, nothing locks.
  ASSERT_EQ(std::system((env + "KEYWARD_CARD_CERT_SHA256= " + script).c_str()), 0);
  EXPECT_EQ(calls(), "");
  // A malformed card hash is a usage error.
  int st = std::system((env + script + " --card xyz").c_str());
  EXPECT_EQ(WEXITSTATUS(st), 2);
  std::filesystem::remove_all(d);
}

}  // namespace
}  // namespace keyward::pam
