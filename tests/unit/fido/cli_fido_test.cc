// `keyward fido ...` end to end against a soft:FILE device: JSON fields, exit codes, PINs from
// --pin-fd, reset confirmation.
#include <gtest/gtest.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <nlohmann/json.hpp>
#include <string>

namespace {

using nlohmann::json;

struct CliRun {
  int exit_code = -1;
  json out;
};

class FidoCliTest : public ::testing::Test {
 protected:
  void SetUp() override {
    char tmpl[] = "/tmp/keyward-fido-cli-XXXXXX";
    ASSERT_NE(mkdtemp(tmpl), nullptr);
    dir_ = tmpl;
    device_ = "soft:" + dir_ + "/key";
  }
  void TearDown() override { std::filesystem::remove_all(dir_); }

  // Runs keyward with `args`; `pins` (one per line) are fed on fd 0 for --pin-fd 0.
  CliRun Keyward(const std::string& args, const std::string& pins = "") {
    std::string pin_file = dir_ + "/pins";
    FILE* f = std::fopen(pin_file.c_str(), "w");
    std::fputs(pins.c_str(), f);
    std::fclose(f);
    std::string cmd = std::string(KEYWARD_BIN_DIR) + "/keyward fido " + args + " --json < " +
                      pin_file + " 2>/dev/null";
    FILE* p = popen(cmd.c_str(), "r");
    std::string text;
    char buf[4096];
    size_t n;
    while ((n = std::fread(buf, 1, sizeof(buf), p)) > 0) text.append(buf, n);
    int status = pclose(p);
    CliRun r;
    r.exit_code = WIFEXITED(status) ? WEXITSTATUS(status) : -1;
    r.out = json::parse(text, nullptr, false);
    return r;
  }
  std::string Dev() { return " --device " + device_; }

  std::string dir_, device_;
};

TEST_F(FidoCliTest, InfoEnrolListDeleteReset) {
  CliRun info = Keyward("info" + Dev());
  ASSERT_EQ(info.exit_code, 0);
  EXPECT_EQ(info.out["aaguid"], "6b6579776172642d736f667463746170");
  EXPECT_EQ(info.out["options"]["clientPin"], false);
  EXPECT_EQ(info.out["min_pin_length"], 4);

  ASSERT_EQ(Keyward("set-pin --pin-fd 0" + Dev(), "1234\n").exit_code, 0);
  EXPECT_EQ(Keyward("info" + Dev()).out["options"]["clientPin"], true);

  CliRun enrol = Keyward("enroll --rp example.com --user alice --rk --pin-fd 0" + Dev(), "1234\n");
  ASSERT_EQ(enrol.exit_code, 0) << enrol.out.dump();
  EXPECT_EQ(enrol.out["fmt"], "packed");
  EXPECT_EQ(enrol.out["flags"]["uv"], true);
  std::string id = enrol.out["credential_id"];
  EXPECT_FALSE(enrol.out["attestation_object"].get<std::string>().empty());
  EXPECT_FALSE(enrol.out["client_data_json"].get<std::string>().empty());

  CliRun list = Keyward("creds list --pin-fd 0" + Dev(), "1234\n");
  ASSERT_EQ(list.exit_code, 0);
  EXPECT_EQ(list.out["existing"], 1);
  EXPECT_EQ(list.out["rps"][0]["id"], "example.com");
  EXPECT_EQ(list.out["rps"][0]["credentials"][0]["id"], id);
  EXPECT_EQ(list.out["rps"][0]["credentials"][0]["user_name"], "alice");

  CliRun wrong = Keyward("creds list --pin-fd 0" + Dev(), "0000\n");
  EXPECT_EQ(wrong.exit_code, 1);
  EXPECT_EQ(wrong.out["ok"], false);
  EXPECT_EQ(wrong.out["error"]["code"], "pin_incorrect");

  ASSERT_EQ(Keyward("creds delete --id " + id + " --pin-fd 0" + Dev(), "1234\n").exit_code, 0);
  EXPECT_EQ(Keyward("creds list --pin-fd 0" + Dev(), "1234\n").out["existing"], 0);

  CliRun unconfirmed = Keyward("reset" + Dev());
  EXPECT_EQ(unconfirmed.exit_code, 2);
  EXPECT_EQ(unconfirmed.out["error"]["code"], "invalid_argument");
  EXPECT_EQ(Keyward("info" + Dev()).out["options"]["clientPin"], true);
  CliRun reset = Keyward("reset --yes" + Dev());
  ASSERT_EQ(reset.exit_code, 0);
  EXPECT_EQ(Keyward("info" + Dev()).out["options"]["clientPin"], false);
}

TEST_F(FidoCliTest, ChangePinAndConfig) {
  ASSERT_EQ(Keyward("set-pin --pin-fd 0" + Dev(), "1234\n").exit_code, 0);
  CliRun bad = Keyward("change-pin --pin-fd 0" + Dev(), "9999\n56789\n");
  EXPECT_EQ(bad.exit_code, 1);
  EXPECT_EQ(bad.out["error"]["code"], "pin_incorrect");
  ASSERT_EQ(Keyward("change-pin --pin-fd 0" + Dev(), "1234\n56789\n").exit_code, 0);
  CliRun cfg = Keyward("config min-pin-length 6 --pin-fd 0" + Dev(), "56789\n");
  ASSERT_EQ(cfg.exit_code, 0) << cfg.out.dump();
  EXPECT_EQ(cfg.out["min_pin_length"], 6);
  EXPECT_EQ(cfg.out["force_pin_change"], true);
  CliRun uv = Keyward("config always-uv --pin-fd 0" + Dev(), "56789\n");
  EXPECT_EQ(uv.exit_code, 1);
  EXPECT_EQ(uv.out["error"]["code"], "pin_change_required");
}

TEST_F(FidoCliTest, MissingDeviceIsAnEnvironmentError) {
  CliRun r = Keyward("info --device /nonexistent/hidraw9");
  EXPECT_EQ(r.exit_code, 3);
  EXPECT_EQ(r.out["error"]["code"], "fido_device_not_found");
  CliRun list = Keyward("list");
  EXPECT_EQ(list.exit_code, 0);
  EXPECT_TRUE(list.out["devices"].is_array());
}

}  // namespace
