// The software card's command processor, in memory (no pcscd): edge cases of its ISO 7816-4 and
// SP 800-73-4 behaviour that the e2e tests do not reach.
#include "tools/softpiv/soft_piv_card.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <cstdio>

#include "pcsc/mgmt_key.h"
#include "pcsc/piv_metadata.h"
#include "pcsc/tlv.h"
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
  // Raw command → (data, SW).
  pcsc::ResponseApdu Send(const pcsc::CommandApdu& c) {
    SoftCardChannel ch(card_);
    auto r = pcsc::Transceive(ch, c);
    EXPECT_TRUE(r);
    return r ? *r : pcsc::ResponseApdu{};
  }
  // External management-key authentication (challenge, then its encryption) with `key`.
  uint16_t AuthMgmt(const pcsc::piv::ManagementKey& key) {
    uint8_t alg = static_cast<uint8_t>(key.algorithm());
    auto r1 = Send({0x00, 0x87, alg, 0x9B, Hex("7C028100"), 256});
    if (!r1.sw.ok()) return r1.sw.value();
    auto outer = pcsc::ParseSingleTlv(r1.data);
    EXPECT_TRUE(outer);
    auto inner = pcsc::ParseTlvs(outer->value);
    auto ch = pcsc::FindTlv(*inner, 0x81);
    EXPECT_TRUE(ch);
    auto enc = key.EncryptBlock(*ch);
    EXPECT_TRUE(enc);
    auto r2 = Send({0x00, 0x87, alg, 0x9B, pcsc::EncodeTlv(0x7C, pcsc::EncodeTlv(0x82, *enc)), 0});
    return r2.sw.value();
  }
  pcsc::piv::KeyMetadata Metadata(uint8_t ref) {
    auto r = Send({0x00, 0xF7, 0x00, ref, {}, 256});
    EXPECT_TRUE(r.sw.ok()) << r.sw.Hex();
    auto m = pcsc::piv::KeyMetadata::Parse(r.data);
    EXPECT_TRUE(m) << m.error().ToString();
    return m ? *m : pcsc::piv::KeyMetadata{};
  }
  SoftPivCard card_;
};

TEST_F(SoftPivCardTest, SelectAnswersApplicationPropertyTemplate) {
  auto r = card_.Process(Hex("00A4040009A0000003080000100000"));
  ASSERT_TRUE(r);
  EXPECT_EQ(HexEncode(*r),
            "6111"
            "4f06000010000100"
            "79074f05a000000308"
            "9000");
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
  EXPECT_EQ(Sw("0087039B167C14800800000000000000008108"
               "0000000000000000"),
            0x6982);
  EXPECT_EQ(Sw("0087039B0C7C0A82080000000000000000"), 0x6985);
  EXPECT_EQ(Sw("0087089B047C028000"), 0x6A86);  // AES on a 3DES card
  EXPECT_EQ(Sw("0087119A0A7C088200810401020304"),
            0x6A88);  // no key in 9A
}

TEST_F(SoftPivCardTest, StateFileIsCreatedAndReloaded) {
  pcsc::testing::TempDir dir;
  std::string path = dir.File("state.json");
  {
    SoftPivOptions options;
    options.state_path = path;
    auto card = SoftPivCard::Open(options);
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

TEST_F(SoftPivCardTest, MetadataOfAFreshCard) {
  namespace piv = pcsc::piv;
  auto pin = Metadata(0x80);
  EXPECT_EQ(pin.algorithm_id, 0xFF);
  EXPECT_FALSE(pin.algorithm);
  EXPECT_EQ(pin.is_default, std::optional<bool>(true));
  EXPECT_EQ(pin.retries_total, 3);
  EXPECT_EQ(pin.retries_left, 3);
  auto puk = Metadata(0x81);
  EXPECT_EQ(puk.is_default, std::optional<bool>(true));
  EXPECT_EQ(puk.retries_left, 3);
  auto mgmt = Metadata(0x9B);
  EXPECT_EQ(mgmt.algorithm, piv::Algorithm::kTripleDes);
  EXPECT_EQ(mgmt.is_default, std::optional<bool>(true));
  EXPECT_EQ(mgmt.touch_policy, std::optional<uint8_t>(1));
  // Empty slots, unknown references, wrong P1.
  EXPECT_EQ(Sw("00F7009A00"), 0x6A88);
  EXPECT_EQ(Sw("00F7009E00"), 0x6A88);
  EXPECT_EQ(Sw("00F7008200"), 0x6A88);
  EXPECT_EQ(Sw("00F7019A00"), 0x6A86);
  // A wrong PIN shows in the retries; the PIN stays the default.
  EXPECT_EQ(Sw("0020008008393939393939FFFF"), 0x63C2);
  pin = Metadata(0x80);
  EXPECT_EQ(pin.retries_left, 2);
  EXPECT_EQ(pin.is_default, std::optional<bool>(true));
}

TEST_F(SoftPivCardTest, MetadataOfAGeneratedKey) {
  namespace piv = pcsc::piv;
  ASSERT_EQ(AuthMgmt(piv::ManagementKey::Default()), 0x9000);
  auto gen = Send({0x00, 0x47, 0x00, 0x9C, Hex("AC03800111"), 256});
  ASSERT_TRUE(gen.sw.ok());
  auto generated = piv::PivPublicKey::Parse(piv::Algorithm::kEccP256, gen.data);
  ASSERT_TRUE(generated);
  auto m = Metadata(0x9C);
  EXPECT_EQ(m.algorithm, piv::Algorithm::kEccP256);
  EXPECT_EQ(m.origin, std::optional<uint8_t>(piv::kMetadataOriginGenerated));
  EXPECT_EQ(m.pin_policy, std::optional<uint8_t>(3));  // 9C: PIN always
  ASSERT_TRUE(m.public_key);
  EXPECT_EQ(m.public_key->ec_point, generated->ec_point);
  EXPECT_EQ(Sw("00F7009A00"), 0x6A88);  // the other slots stay empty
}

TEST_F(SoftPivCardTest, PinAndPukChangesClearIsDefault) {
  // CHANGE REFERENCE DATA PIN 123456 → 654321, PUK 12345678 → 87654321.
  EXPECT_EQ(Sw("0024008010313233343536FFFF363534333231FFFF"), 0x9000);
  EXPECT_EQ(Metadata(0x80).is_default, std::optional<bool>(false));
  EXPECT_EQ(Metadata(0x81).is_default, std::optional<bool>(true));
  EXPECT_EQ(Sw("00240081103132333435363738"
               "3837363534333231"),
            0x9000);
  EXPECT_EQ(Metadata(0x81).is_default, std::optional<bool>(false));
}

TEST_F(SoftPivCardTest, SetManagementKeyNeedsTheCurrentKey) {
  namespace piv = pcsc::piv;
  Bytes aes(24);
  for (size_t i = 0; i < aes.size(); ++i) aes[i] = static_cast<uint8_t>(0xA0 + i);
  Bytes data = {0x0A, 0x9B, 24};
  data.insert(data.end(), aes.begin(), aes.end());
  EXPECT_EQ(Send({0x00, 0xFF, 0xFF, 0xFF, data, 0}).sw.value(), 0x6982);
  ASSERT_EQ(AuthMgmt(piv::ManagementKey::Default()), 0x9000);
  // Malformed requests.
  EXPECT_EQ(Send({0x00, 0xFF, 0xFF, 0xFE, data, 0}).sw.value(), 0x6A86);  // touch: not offered
  Bytes wrong_len = data;
  wrong_len[2] = 16;
  EXPECT_EQ(Send({0x00, 0xFF, 0xFF, 0xFF, wrong_len, 0}).sw.value(), 0x6A80);
  Bytes bad_alg = data;
  bad_alg[0] = 0x11;
  EXPECT_EQ(Send({0x00, 0xFF, 0xFF, 0xFF, bad_alg, 0}).sw.value(), 0x6A80);
  Bytes not_9b = data;
  not_9b[1] = 0x9A;
  EXPECT_EQ(Send({0x00, 0xFF, 0xFF, 0xFF, not_9b, 0}).sw.value(), 0x6A80);
  Bytes aes128_wrong = {0x08, 0x9B, 24};  // AES-128 with 24 bytes
  aes128_wrong.insert(aes128_wrong.end(), aes.begin(), aes.end());
  EXPECT_EQ(Send({0x00, 0xFF, 0xFF, 0xFF, aes128_wrong, 0}).sw.value(), 0x6A80);
  // The real change.
  EXPECT_EQ(Send({0x00, 0xFF, 0xFF, 0xFF, data, 0}).sw.value(), 0x9000);
  EXPECT_EQ(card_.state().mgmt_algorithm, piv::Algorithm::kAes192);
  auto m = Metadata(0x9B);
  EXPECT_EQ(m.algorithm, piv::Algorithm::kAes192);
  EXPECT_EQ(m.is_default, std::optional<bool>(false));
  card_.Reset();
  EXPECT_EQ(AuthMgmt(piv::ManagementKey::Default()), 0x6A86);  // 3DES no longer
  auto key = piv::ManagementKey::Create(piv::Algorithm::kAes192, SecretBytes(aes));
  ASSERT_TRUE(key);
  EXPECT_EQ(AuthMgmt(*key), 0x9000);
  // AES-192 with the well-known bytes is still "default" (newer cards ship that way).
  Bytes back = {0x0A, 0x9B, 24};
  const piv::ManagementKey def = piv::ManagementKey::Default();
  back.insert(back.end(), def.key().reveal().begin(), def.key().reveal().end());
  EXPECT_EQ(Send({0x00, 0xFF, 0xFF, 0xFF, back, 0}).sw.value(), 0x9000);
  EXPECT_EQ(Metadata(0x9B).is_default, std::optional<bool>(true));
}

TEST_F(SoftPivCardTest, RemoveAtHookVanishesAtTheNthCommand) {
  SoftPivOptions o;
  o.remove_at_ins = 0xCB;
  o.remove_at_count = 2;
  pcsc::testing::TempDir dir;
  o.state_path = dir.File("s.json");
  auto card = SoftPivCard::Open(o);
  ASSERT_TRUE(card);
  EXPECT_TRUE(card->Process(Hex("00200080")));             // other INS: not counted
  EXPECT_TRUE(card->Process(Hex("00CB3FFF035C017E00")));   // first GET DATA answered
  EXPECT_FALSE(card->Process(Hex("00CB3FFF035C017E00")));  // second: the card is gone
}

TEST(KeyMetadataTest, ParseRejectsMalformedItems) {
  namespace piv = pcsc::piv;
  for (const char* bad : {"0102FF00", "0200", "0201", "02030102", "030201 02", "0500", "0603030303",
                          "0601", "0403860104", "010111040386010A", "01010A04028600"}) {
    std::string h(bad);
    h.erase(std::remove(h.begin(), h.end(), ' '), h.end());
    auto r = piv::KeyMetadata::Parse(Hex(h.c_str()));
    ASSERT_FALSE(r) << bad;
    EXPECT_EQ(r.error().code, ErrorCode::kPivObjectMalformed) << bad;
  }
  // Unknown tags are ignored; a round trip keeps every field.
  piv::KeyMetadata m;
  m.algorithm_id = 0x11;
  m.pin_policy = 2;
  m.touch_policy = 1;
  m.origin = 2;
  m.is_default = false;
  piv::PivPublicKey pk;
  pk.algorithm = piv::Algorithm::kEccP256;
  pk.ec_point.assign(65, 0x01);
  pk.ec_point[0] = 0x04;
  m.public_key = pk;
  Bytes enc = m.Encode();
  pcsc::AppendTlv(enc, 0x07, Hex("01"));
  auto back = piv::KeyMetadata::Parse(enc);
  ASSERT_TRUE(back) << back.error().ToString();
  EXPECT_EQ(back->algorithm, piv::Algorithm::kEccP256);
  EXPECT_EQ(back->pin_policy, std::optional<uint8_t>(2));
  EXPECT_EQ(back->touch_policy, std::optional<uint8_t>(1));
  EXPECT_EQ(back->origin, std::optional<uint8_t>(2));
  EXPECT_EQ(back->is_default, std::optional<bool>(false));
  ASSERT_TRUE(back->public_key);
  EXPECT_EQ(back->public_key->ec_point, pk.ec_point);
  EXPECT_EQ(piv::PinPolicyName(3), "always");
  EXPECT_EQ(piv::TouchPolicyName(3), "cached");
  EXPECT_EQ(piv::OriginName(1), "generated");
  EXPECT_EQ(piv::OriginName(9), "unknown(9)");
}

}  // namespace
}  // namespace keyward::softpiv
