// `keyward card readers|watch|info` against the software card on a real pcscd, and the one clear
// sentence (exit 3) when pcscd is not running. Own executable: it stops the wrapper's pcscd last.
#include <gtest/gtest.h>
#include <signal.h>
#include <sys/wait.h>

#include <nlohmann/json.hpp>
#include <thread>

#include "keyward/pcsc.h"
#include "tests/unit/pcsc/harness.h"

namespace keyward::pcsc {
namespace {

using namespace std::chrono_literals;

std::string Keyward() { return std::string(KEYWARD_BIN_DIR) + "/keyward"; }

nlohmann::json RunJson(const std::string& args, int* rc) {
  std::string out;
  *rc = testing::RunCommand("(" + Keyward() + " " + args + " 2>/dev/null)", &out);
  auto j = nlohmann::json::parse(out, nullptr, false);
  EXPECT_FALSE(j.is_discarded()) << out;
  return j;
}

TEST(PcscCliE2eTest, ReadersWatchInfoAndMissingPcscd) {
  testing::TempDir dir;
  auto card = testing::StartSoftCard(dir.File("card.json"));
  ASSERT_TRUE(card);
  ASSERT_TRUE(testing::WaitForCard(true));

  // A certificate in 9A so that info has something to decode.
  {
    // One wrong PIN is presented too: info must show 2 retries left.
    auto provisioned = testing::ProvisionAuthenticationSlot("Card Holder", true);
    ASSERT_TRUE(provisioned) << provisioned.error().ToString();
  }

  int rc = -1;
  auto readers = RunJson("card readers --json", &rc);
  EXPECT_EQ(rc, 0);
  bool found = false;
  for (const auto& r : readers["readers"]) {
    if (r["name"] == testing::SoftReader()) {
      found = true;
      EXPECT_TRUE(r["card_present"].get<bool>());
      EXPECT_EQ(r["atr"], "3b8b800180f9a00000030800001000c8");
    }
  }
  EXPECT_TRUE(found) << readers.dump();

  auto info = RunJson("card info --json", &rc);
  EXPECT_EQ(rc, 0) << info.dump();
  EXPECT_EQ(info["reader"], testing::SoftReader());
  EXPECT_EQ(info["atr"]["protocols"], nlohmann::json::array({0, 1}));
  EXPECT_TRUE(info["piv"]["present"].get<bool>());
  EXPECT_EQ(info["piv"]["chuid"]["guid"].get<std::string>().size(), 32u);
  EXPECT_EQ(info["piv"]["pin"]["retries_left"], 2);
  const auto& c9a = info["piv"]["certificates"][0];
  EXPECT_EQ(c9a["slot"], "9a");
  EXPECT_TRUE(c9a["present"].get<bool>());
  EXPECT_EQ(c9a["subject"], "CN=Card Holder");
  EXPECT_EQ(c9a["issuer"], "CN=keyward test CA");
  EXPECT_TRUE(c9a["compressed"].get<bool>());
  EXPECT_FALSE(info["piv"]["certificates"][1]["present"].get<bool>());

  // watch: the card present first, then its removal (bounded by --timeout).
  auto watcher = testing::ChildProcess::Spawn(
      {"sh", "-c",
       "exec " + Keyward() + " card watch --json --timeout 60 > " + dir.File("watch.out")});
  ASSERT_TRUE(watcher);
  // Wait for the initial line, then pull the card.
  std::string lines;
  for (int i = 0; i < 200 && lines.find("card_present") == std::string::npos; ++i) {
    lines.clear();
    testing::RunCommand("cat " + dir.File("watch.out"), &lines);
    std::this_thread::sleep_for(50ms);
  }
  ASSERT_NE(lines.find("card_present"), std::string::npos) << lines;
  card->Stop();
  for (int i = 0; i < 300 && lines.find("card_removed") == std::string::npos; ++i) {
    lines.clear();
    testing::RunCommand("cat " + dir.File("watch.out"), &lines);
    std::this_thread::sleep_for(50ms);
  }
  EXPECT_NE(lines.find("\"event\":\"card_removed\""), std::string::npos) << lines;
  // Ctrl-C ends it cleanly (SCardCancel from the signal thread) with status 0, long before the
  // 60 s timeout.
  kill(watcher->pid(), SIGINT);
  int status = watcher->Wait(30s);
  ASSERT_NE(status, -1);
  EXPECT_TRUE(WIFEXITED(status));
  EXPECT_EQ(WEXITSTATUS(status), 0);

  // info without a card: environment problem, exit 3.
  auto none = RunJson("card info --json", &rc);
  EXPECT_EQ(rc, 3);
  EXPECT_EQ(none["error"]["code"], "pcsc_no_card");

  // pcscd gone: one clear sentence, exit 3.
  ASSERT_TRUE(testing::StopWrapperPcscd());
  std::string err;
  rc = testing::RunCommand(Keyward() + " card readers", &err);
  EXPECT_EQ(rc, 3);
  EXPECT_NE(err.find("pcscd is not running: start it"), std::string::npos) << err;
  auto down = RunJson("card readers --json", &rc);
  EXPECT_EQ(rc, 3);
  EXPECT_EQ(down["error"]["code"], "pcsc_no_service");
}

}  // namespace
}  // namespace keyward::pcsc
