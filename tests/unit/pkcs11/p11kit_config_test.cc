// p11-kit's module configuration decides what keyward discovers. p11-kit reads only fixed system
// directories (/etc/pkcs11/modules, /usr/share/p11-kit/modules) and ignores the user's
// ~/.config/pkcs11 when running as root, with no environment override; so this test moves itself
// into a private mount namespace (unshare(CLONE_NEWNS), needs root as CI has) and mounts its own
// tmpfs over those directories there. The machine's files are never touched.
#include <gtest/gtest.h>
#include <sched.h>
#include <sys/mount.h>

#include <cerrno>
#include <cstring>
#include <filesystem>

#include "pkcs11/module.h"
#include "pkcs11/token.h"
#include "tests/unit/pkcs11/test_env.h"

namespace keyward::pkcs11 {
namespace {

constexpr char kSystemModules[] = "/usr/share/p11-kit/modules";
constexpr char kEtcModules[] = "/etc/pkcs11/modules";

class PrivateMounts : public ::testing::Environment {
 public:
  void SetUp() override {
    ASSERT_EQ(unshare(CLONE_NEWNS), 0) << "unshare(CLONE_NEWNS): " << std::strerror(errno);
    ASSERT_EQ(mount(nullptr, "/", nullptr, MS_REC | MS_PRIVATE, nullptr), 0)
        << std::strerror(errno);
  }
};
[[maybe_unused]] ::testing::Environment* const kPrivateMounts =
    ::testing::AddGlobalTestEnvironment(new PrivateMounts);

// Replaces p11-kit's module directories (in this namespace) with a temporary one.
class P11KitConfigTest : public ::testing::Test {
 protected:
  void SetUp() override {
    ASSERT_EQ(mount("tmpfs", kSystemModules, "tmpfs", 0, "mode=0755"), 0) << std::strerror(errno);
    mounted_.push_back(kSystemModules);
    if (std::filesystem::is_directory(kEtcModules)) {
      ASSERT_EQ(mount("tmpfs", kEtcModules, "tmpfs", 0, "mode=0755"), 0) << std::strerror(errno);
      mounted_.push_back(kEtcModules);
    }
  }
  void TearDown() override {
    for (const std::string& m : mounted_) EXPECT_EQ(umount(m.c_str()), 0) << m;
  }
  static void Register(const std::string& name, const std::string& text) {
    testing::WriteFile(std::string(kSystemModules) + "/" + name + ".module", text);
  }
  std::vector<std::string> mounted_;
};

TEST_F(P11KitConfigTest, ListsExactlyWhatTheConfigurationRegisters) {
  Register("keyward-fake", std::string("module: ") + KEYWARD_FAKE_P11_MODULE + "\n");
  // p11-kit's disable-in names programs that must not see a module: this test is one.
  Register("hidden-softhsm", std::string("module: ") + testing::kSoftHsmModule +
                                 "\ndisable-in: " + program_invocation_short_name + "\n");
  auto modules = RegisteredModules();
  ASSERT_EQ(modules.size(), 1u);
  EXPECT_EQ(modules[0].name, "keyward-fake");
  EXPECT_EQ(std::filesystem::canonical(modules[0].path),
            std::filesystem::canonical(KEYWARD_FAKE_P11_MODULE));

  auto m = Module::Load("keyward-fake");
  ASSERT_TRUE(m) << m.error().ToString();
  EXPECT_TRUE((*m)->via_get_interface());
  auto token = SelectToken(**m, TokenSelector{});
  ASSERT_TRUE(token) << token.error().ToString();
  EXPECT_EQ(token->label, "fake token");
  // Not registered here (and no such file): the name does not load.
  auto gone = Module::Load("softhsm2");
  ASSERT_FALSE(gone);
  EXPECT_EQ(gone.error().code, ErrorCode::kPkcs11ModuleLoadFailed);
  auto hidden = Module::Load("hidden-softhsm");
  ASSERT_FALSE(hidden);
  EXPECT_EQ(hidden.error().code, ErrorCode::kPkcs11ModuleLoadFailed);
}

TEST_F(P11KitConfigTest, EmptyConfigurationListsNothing) {
  EXPECT_TRUE(RegisteredModules().empty());
}

TEST_F(P11KitConfigTest, CliWithoutModuleUsesTheRegisteredOnes) {
  Register("keyward-fake", std::string("module: ") + KEYWARD_FAKE_P11_MODULE + "\n");
  testing::TempDir dir;
  int rc = testing::RunCapture({std::string(KEYWARD_BIN_DIR) + "/keyward", "token", "list"},
                               dir.path() + "/log", dir.path() + "/out", "/dev/null");
  ASSERT_EQ(rc, 0);
  auto out = ReadFileToString(dir.path() + "/out");
  ASSERT_TRUE(out);
  EXPECT_NE(out->find("fake token"), std::string::npos) << *out;
  EXPECT_EQ(out->find("SoftHSM"), std::string::npos) << *out;
}

}  // namespace
}  // namespace keyward::pkcs11
