// pcscd is killed and restarted under a connected client: the next operation succeeds (the
// context is re-established once, the card reconnected and PIV re-selected). Own executable: it
// replaces the wrapper's pcscd.
#include <gtest/gtest.h>

#include "keyward/pcsc.h"
#include "tests/unit/pcsc/harness.h"

namespace keyward::pcsc {
namespace {

using namespace std::chrono_literals;

TEST(PcscRestartE2eTest, PcscdKilledAndRestartedNextOperationSucceeds) {
  testing::TempDir dir;
  auto card = testing::StartSoftCard(dir.File("card.json"));
  ASSERT_TRUE(card);
  ASSERT_TRUE(testing::WaitForCard(true));

  auto ctx = Context::Establish();
  ASSERT_TRUE(ctx);
  auto client = piv::PivClient::Open(*ctx, testing::SoftReader());
  ASSERT_TRUE(client) << client.error().ToString();
  auto before = (*client)->ReadChuid();
  ASSERT_TRUE(before);
  auto monitor = Monitor::Create();
  ASSERT_TRUE(monitor);

  ASSERT_TRUE(testing::StopWrapperPcscd());
  // While pcscd is down: a clear "no service".
  auto down = Context::Establish();
  ASSERT_FALSE(down);
  EXPECT_EQ(down.error().code, ErrorCode::kPcscNoService);

  auto pcscd = testing::StartPcscd();
  ASSERT_TRUE(pcscd) << pcscd.error().ToString();

  auto after = (*client)->ReadChuid();
  ASSERT_TRUE(after) << after.error().ToString();
  EXPECT_EQ(after->guid, before->guid);
  EXPECT_GE((*client)->security_resets(), 1);

  // The old context lists readers again (re-established once).
  auto readers = (*ctx)->ListReaders();
  ASSERT_TRUE(readers) << readers.error().ToString();
  EXPECT_FALSE(readers->empty());

  // The monitor, too, survives: card removal is still reported.
  card->Stop();
  bool removed = false;
  for (int i = 0; i < 10 && !removed; ++i) {
    auto e = (*monitor)->Wait(15s);
    ASSERT_TRUE(e) << e.error().ToString();
    removed = e->type == EventType::kCardRemoved;
  }
  EXPECT_TRUE(removed);
  client->reset();
  pcscd->Stop();
}

}  // namespace
}  // namespace keyward::pcsc
