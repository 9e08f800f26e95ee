// The software card's command processor, in memory (no pcscd): edge cases of its ISO 7816-4 and
// SP 800-73-4 behaviour that the e2e tests do not reach.
#include "tools/softpiv/soft_piv_card.h"

#include <gtest/gtest.h>

#include <cstdio>

#include "pcsc/transceive.h"
#include "tests/unit/pcsc/harness.h"

namespace keyward::softpiv {
namespace {

Bytes Hex(const char* h) { return *HexDecode(h); }

class SoftCardChannel : public pcsc::ApduChannel {
 public:
  explicit SoftCardChannel(SoftPivCard& c) : card_(c) {}
  Result<Bytes> TransmitRaw(ByteSpan command) override {
    auto r = card_.Process(command);
    if (!r) return Fail(ErrorCode::kPcscCardRemoved, "vanished");
    return *r;
  }

 private:
  SoftPivCard& card_;
};

class SoftPivCardTest : public ::testing::Test {
 protected:
  SoftPivCardTest() : card_(SoftPivCard::InMemory(*CardState::Fresh())) {}
  uint16_t Sw(const char* hex) {
    auto r = card_.Process(Hex(hex));
    EXPECT_TRUE(r.has_value());
    if (!r || r->size() < 2) return 0;
    return static_cast<uint16_t>((*r)[r->size() - 2] << 8 | r->back());
  }
  SoftPivCard card_;
};

TEST_F(SoftPivCardTest, SelectAnswersApplicationPropertyTemplate) {
  auto r = card_.Process(Hex("00A4040009A0000003080000100000"));
  ASSERT_TRUE(r);
  EXPECT_EQ(HexEncode(*r), "6111" "4f06000010000100" "79074f05a000000308" "9000");
  EXPECT_EQ(Sw("00A4040005A000000309"), 0x6A82);  // another application
}

TEST_F(SoftPivCardTest, ClassAndInstructionErrors) {
  EXPECT_EQ(Sw("84CB3FFF035C017E"), 0x6E00);
  EXPECT_EQ(Sw("00CADF30"), 0x6D00);
  EXPECT_EQ(Sw("00C0000010"), 0x6985);  // GET RESPONSE with nothing pending
  EXPECT_EQ(Sw("00A404"), 0x6700);      // not an APDU
  EXPECT_EQ(Sw("00CB3FFE035C017E"), 0x6A86);
  EXPECT_EQ(Sw("00CB3FFF025C00"), 0x6A80);
  EXPECT_EQ(Sw("00CB3FFF055C035FC105"), 0x6A82);  // no certificate yet
}

TEST_F(SoftPivCardTest, LeIsHonouredWith61xx) {
  auto r = card_.Process(Hex("00CB3FFF055C035FC10208"));
  ASSERT_TRUE(r);
  ASSERT_EQ(r->size(), 10u);
  EXPECT_EQ((*r)[8], 0x61);
  SoftCardChannel ch(card_);
  auto full = pcsc::Transceive(ch, {0x00, 0xCB, 0x3F, 0xFF, Hex("5C035FC102"), 8});
  ASSERT_TRUE(full);
  EXPECT_TRUE(full->sw.ok());
  EXPECT_EQ(full->data[0], 0x53);
  EXPECT_GT(full->data.size(), 30u);
}

TEST_F(SoftPivCardTest, ChainingRules) {
  EXPECT_EQ(Sw("10DB3FFF025C03"), 0x9000);
  EXPECT_EQ(Sw("00CB3FFF035C017E"), 0x6883);  // another command while a chain is open
  EXPECT_EQ(Sw("10DB3FFF025C03"), 0x9000);
  EXPECT_EQ(Sw("00DB3FFF035FC105"), 0x6982);
}

TEST_F(SoftPivCardTest, PinCountersBlockAndPersistNothingInMemory) {
  EXPECT_EQ(Sw("0020008008313131313131FFFF"), 0x63C2);
  EXPECT_EQ(Sw("0020008008313131313131FFFF"), 0x63C1);
  EXPECT_EQ(Sw("0020008008313131313131FFFF"), 0x63C0);
  EXPECT_EQ(Sw("0020008008313233343536FFFF"), 0x6983);
  EXPECT_EQ(Sw("00200080"), 0x6983);
  EXPECT_EQ(Sw("002000800431323334"), 0x6A80);  // wrong length
  EXPECT_EQ(Sw("00200081"), 0x6A88);            // PUK cannot be verified
  // Unblock with the PUK, then the new PIN works.
  EXPECT_EQ(Sw("002C0080103132333435363738393939393939FFFF"), 0x9000);
  EXPECT_EQ(Sw("0020008008393939393939FFFF"), 0x9000);
  EXPECT_EQ(Sw("00200080"), 0x9000);
  EXPECT_EQ(Sw("0020FF80"), 0x9000);  // reset security status
  EXPECT_EQ(Sw("00200080"), 0x63C3);
  // A new PIN that is too short is refused.
  EXPECT_EQ(Sw("0024008010393939393939FFFF3132FFFFFFFFFFFF"), 0x6A80);
}

TEST_F(SoftPivCardTest, ManagementOperationsNeedTheKey) {
  EXPECT_EQ(Sw("00479A0005AC03800111"), 0x6982);
  EXPECT_EQ(Sw("00DB3FFF085C035FC102530101"), 0x6982);
  // Step 2 of an authentication that never started.
  EXPECT_EQ(Sw("0087039B167C14800800000000000000008108" "0000000000000000"), 0x6982);
  EXPECT_EQ(Sw("0087039B0C7C0A82080000000000000000"), 0x6985);
  EXPECT_EQ(Sw("0087089B047C028000"), 0x6A86);  // AES on a 3DES card
  EXPECT_EQ(Sw("0087119A0A7C088200810401020304"),
            0x6A88);  // no key in 9A
}

TEST_F(SoftPivCardTest, StateFileIsCreatedAndReloaded) {
  pcsc::testing::TempDir dir;
  std::string path = dir.File("state.json");
  {
    auto card = SoftPivCard::Open({path, false});
    ASSERT_TRUE(card);
    auto r = card->Process(Hex("0020008008393939393939FFFF"));
    ASSERT_TRUE(r);
  }
  auto state = CardState::Load(path);
  ASSERT_TRUE(state);
  EXPECT_EQ(state->pin_retries, 2);
  EXPECT_EQ(CardState::Load(dir.File("missing.json")).error().code, ErrorCode::kNotFound);
  FILE* f = std::fopen(dir.File("bad.json").c_str(), "w");
  ASSERT_TRUE(f);
  std::fputs("{\"pin\": 1}", f);
  std::fclose(f);
  EXPECT_EQ(CardState::Load(dir.File("bad.json")).error().code, ErrorCode::kStoreCorrupt);
}

}  // namespace
}  // namespace keyward::softpiv
