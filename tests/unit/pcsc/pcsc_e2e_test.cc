// End-to-end tests on a real pcscd with the vpcd driver and the software PIV card
// (run under scripts/with-pcscd, which gives each run its own pcscd in a private namespace).
#include <gtest/gtest.h>
#include <openssl/evp.h>

#include <algorithm>
#include <thread>

#include "core/hash.h"
#include "keyward/pcsc.h"
#include "pcsc/tlv.h"
#include "tests/unit/pcsc/harness.h"
#include "tools/softpiv/card_state.h"
#include "tools/softpiv/soft_piv_card.h"

namespace keyward::pcsc {
namespace {

using namespace std::chrono_literals;
using piv::Algorithm;
using piv::PivClient;
using piv::Slot;
using testing::ChildProcess;
using testing::SoftReader;

class PcscE2eTest : public ::testing::Test {
 protected:
  void SetUp() override {
    ASSERT_FALSE(dir_.path().empty());
    state_ = dir_.File("card.json");
  }
  void TearDown() override {
    // Leave the reader empty for the next test (pcscd notices a removal within ~0.5 s).
    card_.Stop();
    EXPECT_TRUE(testing::WaitForCard(false));
  }
  void InsertCard(const std::vector<std::string>& extra = {}) {
    ASSERT_TRUE(testing::WaitForCard(false));
    auto c = testing::StartSoftCard(state_, extra);
    ASSERT_TRUE(c) << c.error().ToString();
    card_ = std::move(c).value();
    auto w = testing::WaitForCard(true);
    ASSERT_TRUE(w) << w.error().ToString();
  }
  void RemoveCard() {
    card_.Stop();
    auto w = testing::WaitForCard(false);
    ASSERT_TRUE(w) << w.error().ToString();
  }
  std::unique_ptr<PivClient> OpenPiv(ConnectOptions options = {}) {
    auto ctx = Context::Establish();
    EXPECT_TRUE(ctx);
    if (!ctx) return nullptr;
    auto c = PivClient::Open(*ctx, SoftReader(), options);
    EXPECT_TRUE(c) << c.error().ToString();
    return c ? std::move(c).value() : nullptr;
  }

  testing::TempDir dir_;
  std::string state_;
  ChildProcess card_;
};

TEST_F(PcscE2eTest, ListsTheVpcdReaders) {
  auto ctx = Context::Establish();
  ASSERT_TRUE(ctx) << ctx.error().ToString();
  auto readers = (*ctx)->ListReaders();
  ASSERT_TRUE(readers) << readers.error().ToString();
  EXPECT_NE(std::find(readers->begin(), readers->end(), SoftReader()), readers->end());
}

TEST_F(PcscE2eTest, ConnectWithoutCardIsNoCard) {
  auto ctx = Context::Establish();
  ASSERT_TRUE(ctx);
  auto card = Card::Connect(*ctx, SoftReader());
  ASSERT_FALSE(card);
  EXPECT_EQ(card.error().code, ErrorCode::kPcscNoCard);
}

TEST_F(PcscE2eTest, UnknownReaderIsReaderNotFound) {
  auto ctx = Context::Establish();
  ASSERT_TRUE(ctx);
  auto card = Card::Connect(*ctx, "No Such Reader 00 00");
  ASSERT_FALSE(card);
  EXPECT_EQ(card.error().code, ErrorCode::kPcscReaderNotFound);
}

TEST_F(PcscE2eTest, MonitorSeesInsertionAndRemoval) {
  auto monitor = Monitor::Create();
  ASSERT_TRUE(monitor) << monitor.error().ToString();
  auto none = (*monitor)->Wait(200ms);
  ASSERT_FALSE(none);
  EXPECT_EQ(none.error().code, ErrorCode::kPcscTimeout);

  auto c = testing::StartSoftCard(state_);
  ASSERT_TRUE(c);
  card_ = std::move(c).value();
  auto inserted = (*monitor)->Wait(15s);
  ASSERT_TRUE(inserted) << inserted.error().ToString();
  EXPECT_EQ(inserted->type, EventType::kCardInserted);
  EXPECT_EQ(inserted->reader, SoftReader());
  EXPECT_EQ(inserted->atr, softpiv::SoftPivCard::Atr());

  card_.Stop();
  auto removed = (*monitor)->Wait(15s);
  ASSERT_TRUE(removed) << removed.error().ToString();
  EXPECT_EQ(removed->type, EventType::kCardRemoved);
  EXPECT_EQ(removed->reader, SoftReader());
}

TEST_F(PcscE2eTest, MonitorWaitIsCancelledFromAnotherThread) {
  auto monitor = Monitor::Create();
  ASSERT_TRUE(monitor);
  Monitor* m = monitor->get();
  Result<Event> result = Fail(ErrorCode::kInternal);
  std::atomic<bool> started{false};
  std::thread waiter([&] {
    started = true;
    result = m->Wait(60s);
  });
  while (!started) std::this_thread::yield();
  // Most likely blocked in SCardGetStatusChange by now; a cancel that lands earlier is sticky,
  // so either way Wait must return kPcscCancelled well before its 60 s timeout.
  std::this_thread::sleep_for(300ms);
  m->Cancel();
  waiter.join();
  ASSERT_FALSE(result);
  EXPECT_EQ(result.error().code, ErrorCode::kPcscCancelled);
}

TEST_F(PcscE2eTest, MonitorRunDeliversEventsUntilCancelled) {
  auto monitor = Monitor::Create();
  ASSERT_TRUE(monitor);
  Monitor* m = monitor->get();
  std::vector<Event> seen;
  Result<void> run_result = Fail(ErrorCode::kInternal);
  std::thread runner([&] {
    run_result = m->Run([&](const Event& e) {
      seen.push_back(e);
      if (e.type == EventType::kCardInserted) m->Cancel();
    });
  });
  auto c = testing::StartSoftCard(state_);
  ASSERT_TRUE(c);
  card_ = std::move(c).value();
  runner.join();
  EXPECT_TRUE(run_result);
  ASSERT_FALSE(seen.empty());
  EXPECT_EQ(seen.back().type, EventType::kCardInserted);
}

TEST_F(PcscE2eTest, ApduChainingGetResponseAndWrongLe) {
  InsertCard();
  auto client = OpenPiv();
  ASSERT_TRUE(client);
  Card& card = client->card();
  EXPECT_TRUE(card.active_protocol() == Protocol::kT1 || card.active_protocol() == Protocol::kT0);
  auto atr = card.Atr();
  ASSERT_TRUE(atr);
  EXPECT_EQ(*atr, softpiv::SoftPivCard::Atr());

  // 6Cxx: the card only answers the probe with Le = 32; the raw exchange shows the 6C20 ...
  CommandApdu probe{0x80, 0xFE, 0x00, 0x00, {}, 1};
  auto raw = card.TransmitRaw(*probe.Encode(LengthForm::kShort));
  ASSERT_TRUE(raw);
  ASSERT_EQ(raw->size(), 2u);
  EXPECT_EQ(StatusWord((*raw)[0], (*raw)[1]).value(), 0x6C20);
  // ... and Transceive re-sends with the right Le.
  auto probed = Transceive(card, probe);
  ASSERT_TRUE(probed);
  EXPECT_TRUE(probed->sw.ok());
  EXPECT_EQ(probed->data.size(), 32u);

  // Chaining: a 3000-byte certificate object goes out as a chain of short APDUs.
  ASSERT_TRUE(client->AuthenticateManagementKey(piv::ManagementKey::Default()));
  Bytes big(3000);
  for (size_t i = 0; i < big.size(); ++i) big[i] = static_cast<uint8_t>(i * 7);
  Bytes obj;
  AppendTlv(obj, 0x70, big);
  ASSERT_TRUE(client->PutData(piv::kTagCertSignature, obj));

  // 61xx: GET DATA with Le = 8 gets 8 bytes and 61xx; the raw exchange shows it ...
  CommandApdu get{0x00, 0xCB, 0x3F, 0xFF, {0x5C, 0x03, 0x5F, 0xC1, 0x0A}, 8};
  raw = card.TransmitRaw(*get.Encode(LengthForm::kShort));
  ASSERT_TRUE(raw);
  ASSERT_EQ(raw->size(), 10u);
  EXPECT_EQ((*raw)[8], 0x61);
  // ... and Transceive collects the whole object through GET RESPONSE.
  auto full = Transceive(card, get);
  ASSERT_TRUE(full);
  EXPECT_TRUE(full->sw.ok());
  EXPECT_EQ(full->data, piv::WrapDataObject(obj));

  // Extended lengths: the same object written in ONE extended APDU and read back with an
  // extended Le (no chaining, no 61xx).
  Bytes put;
  AppendTlv(put, 0x5C, Bytes{0x5F, 0xC1, 0x0B});
  AppendTlv(put, 0x53, obj);
  auto ext_put = Transceive(card, {0x00, 0xDB, 0x3F, 0xFF, put, 0}, {LengthForm::kExtended});
  ASSERT_TRUE(ext_put) << ext_put.error().ToString();
  EXPECT_TRUE(ext_put->sw.ok()) << ext_put->sw.Name();
  auto ext_get = Transceive(card, {0x00, 0xCB, 0x3F, 0xFF, {0x5C, 0x03, 0x5F, 0xC1, 0x0B}, 65536},
                            {LengthForm::kExtended});
  ASSERT_TRUE(ext_get) << ext_get.error().ToString();
  EXPECT_TRUE(ext_get->sw.ok());
  EXPECT_EQ(ext_get->data, piv::WrapDataObject(obj));
}

bool VerifySignature(const piv::PivPublicKey& pub, HashAlgorithm hash, ByteSpan message,
                     ByteSpan signature) {
  auto key = pub.ToEvp();
  if (!key) return false;
  EvpMdCtxPtr ctx(EVP_MD_CTX_new());
  const EVP_MD* md = hash == HashAlgorithm::kSha384 ? EVP_sha384() : EVP_sha256();
  if (EVP_DigestVerifyInit(ctx.get(), nullptr, md, nullptr, key->get()) != 1) return false;
  return EVP_DigestVerify(ctx.get(), signature.data(), signature.size(), message.data(),
                          message.size()) == 1;
}

TEST_F(PcscE2eTest, GenerateSignAndCertificatesForEverySlotAlgorithm) {
  InsertCard();
  auto client = OpenPiv();
  ASSERT_TRUE(client);
  // Without the management key, GENERATE is refused.
  auto refused = client->GenerateKey(Slot::kAuthentication, Algorithm::kEccP256);
  ASSERT_FALSE(refused);
  EXPECT_EQ(refused.error().code, ErrorCode::kPivSecurityStatusNotSatisfied);
  EXPECT_EQ(refused.error().native, 0x6982u);

  ASSERT_TRUE(client->AuthenticateManagementKey(piv::ManagementKey::Default()));
  struct Case {
    Slot slot;
    Algorithm alg;
    HashAlgorithm hash;
  };
  const Case cases[] = {{Slot::kAuthentication, Algorithm::kEccP256, HashAlgorithm::kSha256},
                        {Slot::kSignature, Algorithm::kEccP384, HashAlgorithm::kSha384},
                        {Slot::kKeyManagement, Algorithm::kRsa2048, HashAlgorithm::kSha256},
                        {Slot::kCardAuthentication, Algorithm::kEccP256, HashAlgorithm::kSha256}};
  const Bytes message = {'k', 'e', 'y', 'w', 'a', 'r', 'd'};
  for (const Case& c : cases) {
    SCOPED_TRACE(std::string(piv::SlotName(c.slot)));
    auto pub = client->GenerateKey(c.slot, c.alg);
    ASSERT_TRUE(pub) << pub.error().ToString();
    auto key = pub->ToEvp();
    ASSERT_TRUE(key);
    auto cert = testing::MakeCertificate(key->get(), "slot " + std::string(piv::SlotName(c.slot)));
    ASSERT_TRUE(cert);
    bool compress = c.slot == Slot::kKeyManagement;
    ASSERT_TRUE(client->WriteCertificate(c.slot, *cert, compress));
    auto back = client->ReadCertificate(c.slot);
    ASSERT_TRUE(back) << back.error().ToString();
    EXPECT_EQ(back->der, *cert);
    EXPECT_EQ(back->compressed, compress);

    if (c.slot != Slot::kCardAuthentication) {
      ASSERT_TRUE(client->ResetPinStatus());
      auto no_pin = client->SignDigest(c.slot, c.alg, c.hash, Digest(c.hash, message));
      ASSERT_FALSE(no_pin);
      EXPECT_EQ(no_pin.error().code, ErrorCode::kPinRequired);
      ASSERT_TRUE(client->VerifyPin(SecretBytes(std::string_view("123456"))));
    }
    auto sig = client->SignDigest(c.slot, c.alg, c.hash, Digest(c.hash, message));
    ASSERT_TRUE(sig) << sig.error().ToString();
    EXPECT_TRUE(VerifySignature(*pub, c.hash, message, *sig));
    Bytes other = message;
    other[0] ^= 1;
    EXPECT_FALSE(VerifySignature(*pub, c.hash, other, *sig));
  }
  // A wrong algorithm for the slot's key is refused by the card.
  auto wrong = client->SignDigest(Slot::kAuthentication, Algorithm::kEccP384,
                                  HashAlgorithm::kSha384, Digest(HashAlgorithm::kSha384, message));
  ASSERT_FALSE(wrong);
  EXPECT_EQ(wrong.error().code, ErrorCode::kInvalidArgument);
  EXPECT_EQ(wrong.error().native, 0x6A86u);
}

TEST_F(PcscE2eTest, ChuidAndDiscovery) {
  InsertCard();
  auto client = OpenPiv();
  ASSERT_TRUE(client);
  auto chuid = client->ReadChuid();
  ASSERT_TRUE(chuid) << chuid.error().ToString();
  EXPECT_EQ(chuid->guid.size(), 16u);
  auto discovery = client->ReadDiscovery();
  ASSERT_TRUE(discovery);
  EXPECT_EQ(discovery->aid, Bytes(piv::kPivAid.begin(), piv::kPivAid.end()));

  Bytes guid(16, 0xAB);
  auto mine = piv::Chuid::ForTestCard(guid, "20400101");
  auto refused = client->WriteChuid(mine);
  ASSERT_FALSE(refused);
  EXPECT_EQ(refused.error().code, ErrorCode::kPivSecurityStatusNotSatisfied);
  ASSERT_TRUE(client->AuthenticateManagementKey(piv::ManagementKey::Default(),
                                                piv::MgmtAuthMode::kExternal));
  ASSERT_TRUE(client->WriteChuid(mine));
  auto back = client->ReadChuid();
  ASSERT_TRUE(back);
  EXPECT_EQ(back->guid, guid);
  EXPECT_EQ(back->expiration, "20400101");

  auto missing = client->ReadCertificate(Slot::kAuthentication);
  ASSERT_FALSE(missing);
  EXPECT_EQ(missing.error().code, ErrorCode::kPivObjectNotFound);
  EXPECT_EQ(missing.error().native, 0x6A82u);
}

TEST_F(PcscE2eTest, AesManagementKeysMutualAndExternal) {
  struct Case {
    Algorithm alg;
    size_t len;
  };
  for (Case c :
       {Case{Algorithm::kAes128, 16}, Case{Algorithm::kAes192, 24}, Case{Algorithm::kAes256, 32}}) {
    SCOPED_TRACE(std::string(piv::AlgorithmName(c.alg)));
    Bytes key_bytes(c.len);
    for (size_t i = 0; i < c.len; ++i) key_bytes[i] = static_cast<uint8_t>(0x40 + i);
    auto state = softpiv::CardState::Fresh();
    ASSERT_TRUE(state);
    state->mgmt_algorithm = c.alg;
    state->mgmt_key = SecretBytes(key_bytes);
    ASSERT_TRUE(state->Save(state_));
    InsertCard();
    auto client = OpenPiv();
    ASSERT_TRUE(client);
    auto key = piv::ManagementKey::Create(c.alg, SecretBytes(key_bytes));
    ASSERT_TRUE(key);
    EXPECT_TRUE(client->AuthenticateManagementKey(*key, piv::MgmtAuthMode::kMutual));
    EXPECT_TRUE(client->AuthenticateManagementKey(*key, piv::MgmtAuthMode::kExternal));
    Bytes wrong_bytes = key_bytes;
    wrong_bytes[0] ^= 0xFF;
    auto wrong = piv::ManagementKey::Create(c.alg, SecretBytes(wrong_bytes));
    ASSERT_TRUE(wrong);
    for (auto mode : {piv::MgmtAuthMode::kMutual, piv::MgmtAuthMode::kExternal}) {
      auto r = client->AuthenticateManagementKey(*wrong, mode);
      ASSERT_FALSE(r);
      EXPECT_EQ(r.error().code, ErrorCode::kPivManagementKeyAuthFailed);
    }
    // The default 3DES key is the wrong algorithm for this card.
    auto other_alg = client->AuthenticateManagementKey(piv::ManagementKey::Default());
    ASSERT_FALSE(other_alg);
    EXPECT_EQ(other_alg.error().code, ErrorCode::kPivUnsupportedAlgorithm);
    client.reset();
    RemoveCard();
  }
}

TEST_F(PcscE2eTest, WrongPinDecrementsThenBlocksAndPukUnblocks) {
  InsertCard();
  auto client = OpenPiv();
  ASSERT_TRUE(client);
  auto status = client->GetPinStatus();
  ASSERT_TRUE(status);
  EXPECT_FALSE(status->verified);
  EXPECT_EQ(status->retries_left, 3);

  auto too_short = client->VerifyPin(SecretBytes(std::string_view("123")));
  ASSERT_FALSE(too_short);
  EXPECT_EQ(too_short.error().code, ErrorCode::kPinInvalid);

  const SecretBytes wrong(std::string_view("999999"));
  for (int left : {2, 1}) {
    auto r = client->VerifyPin(wrong);
    ASSERT_FALSE(r);
    EXPECT_EQ(r.error().code, ErrorCode::kPinIncorrect);
    EXPECT_EQ(PivClient::RetriesLeft(r.error()), left);
  }
  auto last = client->VerifyPin(wrong);
  ASSERT_FALSE(last);
  EXPECT_EQ(last.error().code, ErrorCode::kPinBlocked);
  EXPECT_EQ(PivClient::RetriesLeft(last.error()), 0);

  // Blocked: even the right PIN is refused.
  auto blocked = client->VerifyPin(SecretBytes(std::string_view("123456")));
  ASSERT_FALSE(blocked);
  EXPECT_EQ(blocked.error().code, ErrorCode::kPinBlocked);
  EXPECT_EQ(blocked.error().native, 0x6983u);
  status = client->GetPinStatus();
  ASSERT_TRUE(status);
  EXPECT_TRUE(status->blocked);

  // The counter survives a card removal (persistent state).
  client.reset();
  RemoveCard();
  InsertCard();
  client = OpenPiv();
  ASSERT_TRUE(client);
  status = client->GetPinStatus();
  ASSERT_TRUE(status);
  EXPECT_TRUE(status->blocked);

  auto wrong_puk = client->UnblockPin(SecretBytes(std::string_view("87654321")),
                                      SecretBytes(std::string_view("654321")));
  ASSERT_FALSE(wrong_puk);
  EXPECT_EQ(wrong_puk.error().code, ErrorCode::kPukIncorrect);
  EXPECT_EQ(PivClient::RetriesLeft(wrong_puk.error()), 2);

  ASSERT_TRUE(client->UnblockPin(SecretBytes(std::string_view("12345678")),
                                 SecretBytes(std::string_view("654321"))));
  EXPECT_TRUE(client->VerifyPin(SecretBytes(std::string_view("654321"))));
  status = client->GetPinStatus();
  ASSERT_TRUE(status);
  EXPECT_TRUE(status->verified);

  // CHANGE REFERENCE DATA for PIN and PUK.
  auto bad_change = client->ChangePin(SecretBytes(std::string_view("000000")),
                                      SecretBytes(std::string_view("1234567")));
  ASSERT_FALSE(bad_change);
  EXPECT_EQ(bad_change.error().code, ErrorCode::kPinIncorrect);
  ASSERT_TRUE(client->ChangePin(SecretBytes(std::string_view("654321")),
                                SecretBytes(std::string_view("1234567"))));
  EXPECT_TRUE(client->VerifyPin(SecretBytes(std::string_view("1234567"))));
  auto bad_puk = client->ChangePuk(SecretBytes(std::string_view("00000000")),
                                   SecretBytes(std::string_view("11223344")));
  ASSERT_FALSE(bad_puk);
  EXPECT_EQ(bad_puk.error().code, ErrorCode::kPukIncorrect);
  ASSERT_TRUE(client->ChangePuk(SecretBytes(std::string_view("12345678")),
                                SecretBytes(std::string_view("11223344"))));
  // PUK retries were reset by the successful change: blocking it takes three wrong tries.
  for (int i = 0; i < 3; ++i) {
    auto r = client->UnblockPin(SecretBytes(std::string_view("12345678")),
                                SecretBytes(std::string_view("123456")));
    ASSERT_FALSE(r);
  }
  auto puk_blocked = client->UnblockPin(SecretBytes(std::string_view("11223344")),
                                        SecretBytes(std::string_view("123456")));
  ASSERT_FALSE(puk_blocked);
  EXPECT_EQ(puk_blocked.error().code, ErrorCode::kPukBlocked);
}

TEST_F(PcscE2eTest, ExclusiveHolderGivesSharingViolation) {
  InsertCard();
  auto ctx = Context::Establish();
  ASSERT_TRUE(ctx);
  ConnectOptions exclusive;
  exclusive.share = ShareMode::kExclusive;
  auto holder = Card::Connect(*ctx, SoftReader(), exclusive);
  ASSERT_TRUE(holder) << holder.error().ToString();

  auto ctx2 = Context::Establish();
  ASSERT_TRUE(ctx2);
  ConnectOptions quick;
  quick.sharing_retries = 2;
  quick.sharing_retry_delay = 50ms;
  auto blocked = PivClient::Open(*ctx2, SoftReader(), quick);
  ASSERT_FALSE(blocked);
  EXPECT_EQ(blocked.error().code, ErrorCode::kPcscSharingViolation);

  holder->reset();  // the other program lets go
  auto open = PivClient::Open(*ctx2, SoftReader(), quick);
  EXPECT_TRUE(open) << open.error().ToString();
}

TEST_F(PcscE2eTest, CardResetByAnotherProgramIsRecovered) {
  InsertCard();
  auto client = OpenPiv();
  ASSERT_TRUE(client);
  ASSERT_TRUE(client->VerifyPin(SecretBytes(std::string_view("123456"))));
  auto ctx = Context::Establish();
  ASSERT_TRUE(ctx);
  auto other = Card::Connect(*ctx, SoftReader());
  ASSERT_TRUE(other);
  ASSERT_TRUE((*other)->Reconnect(/*reset=*/true));

  auto chuid = client->ReadChuid();
  EXPECT_TRUE(chuid) << chuid.error().ToString();
  EXPECT_EQ(client->security_resets(), 1);
  // The reset cleared the PIN state on the card.
  auto status = client->GetPinStatus();
  ASSERT_TRUE(status);
  EXPECT_FALSE(status->verified);
}

TEST_F(PcscE2eTest, CardRemovedMidSignatureIsCardRemoved) {
  InsertCard();
  {
    auto client = OpenPiv();
    ASSERT_TRUE(client);
    ASSERT_TRUE(client->AuthenticateManagementKey(piv::ManagementKey::Default()));
    ASSERT_TRUE(client->GenerateKey(Slot::kAuthentication, Algorithm::kEccP256));
  }
  RemoveCard();
  InsertCard({"--test-remove-during-sign"});
  auto client = OpenPiv();
  ASSERT_TRUE(client);
  ASSERT_TRUE(client->VerifyPin(SecretBytes(std::string_view("123456"))));
  auto sig = client->SignDigest(Slot::kAuthentication, Algorithm::kEccP256, HashAlgorithm::kSha256,
                                Sha256Digest{});
  ASSERT_FALSE(sig);
  EXPECT_EQ(sig.error().code, ErrorCode::kPcscCardRemoved) << sig.error().ToString();
  // The card process ends by itself (it was "pulled").
  EXPECT_NE(card_.Wait(10s), -1);
  // And the next operation says the same, cleanly.
  auto again = client->ReadChuid();
  ASSERT_FALSE(again);
  EXPECT_EQ(again.error().code, ErrorCode::kPcscCardRemoved) << again.error().ToString();
}

TEST_F(PcscE2eTest, SetManagementKeyAndMetadata) {
  InsertCard();
  auto client = OpenPiv();
  ASSERT_TRUE(client);
  // Fresh card: everything default, slots empty.
  auto pin = client->GetMetadata(piv::kPinReference);
  ASSERT_TRUE(pin) << pin.error().ToString();
  EXPECT_EQ(pin->is_default, std::optional<bool>(true));
  EXPECT_EQ(pin->retries_total, 3);
  EXPECT_EQ(pin->retries_left, 3);
  auto mgmt = client->GetMetadata(0x9B);
  ASSERT_TRUE(mgmt);
  EXPECT_EQ(mgmt->algorithm, Algorithm::kTripleDes);
  EXPECT_EQ(mgmt->is_default, std::optional<bool>(true));
  auto empty = client->GetMetadata(0x9A);
  ASSERT_FALSE(empty);
  EXPECT_EQ(empty.error().code, ErrorCode::kPivObjectNotFound);
  EXPECT_EQ(empty.error().native, 0x6A88u);

  Bytes aes(32);
  for (size_t i = 0; i < aes.size(); ++i) aes[i] = static_cast<uint8_t>(0x30 + i);
  auto new_key = piv::ManagementKey::Create(Algorithm::kAes256, SecretBytes(aes));
  ASSERT_TRUE(new_key);
  // Without authenticating the current key first.
  auto refused = client->SetManagementKey(*new_key);
  ASSERT_FALSE(refused);
  EXPECT_EQ(refused.error().code, ErrorCode::kPivSecurityStatusNotSatisfied);
  ASSERT_TRUE(client->AuthenticateManagementKey(piv::ManagementKey::Default()));
  auto set = client->SetManagementKey(*new_key);
  ASSERT_TRUE(set) << set.error().ToString();
  auto gen = client->GenerateKey(Slot::kAuthentication, Algorithm::kEccP384);
  ASSERT_TRUE(gen) << gen.error().ToString();

  // A new session: the old key fails, the new one works, metadata shows the change and the key.
  client.reset();
  client = OpenPiv();
  ASSERT_TRUE(client);
  auto old = client->AuthenticateManagementKey(piv::ManagementKey::Default());
  ASSERT_FALSE(old);
  EXPECT_EQ(old.error().code, ErrorCode::kPivUnsupportedAlgorithm);  // card is AES-256 now
  ASSERT_TRUE(client->AuthenticateManagementKey(*new_key));
  mgmt = client->GetMetadata(0x9B);
  ASSERT_TRUE(mgmt);
  EXPECT_EQ(mgmt->algorithm, Algorithm::kAes256);
  EXPECT_EQ(mgmt->is_default, std::optional<bool>(false));
  auto key = client->GetMetadata(0x9A);
  ASSERT_TRUE(key) << key.error().ToString();
  EXPECT_EQ(key->algorithm, Algorithm::kEccP384);
  EXPECT_EQ(key->origin, std::optional<uint8_t>(piv::kMetadataOriginGenerated));
  ASSERT_TRUE(key->public_key);
  EXPECT_EQ(key->public_key->ec_point, gen->ec_point);

  // The CCC: absent on a fresh card, then written fresh and read back.
  auto no_ccc = client->ReadCardCapabilityContainer();
  ASSERT_FALSE(no_ccc);
  EXPECT_EQ(no_ccc.error().code, ErrorCode::kPivObjectNotFound);
  auto ccc = piv::CardCapabilityContainer::Fresh();
  ASSERT_TRUE(ccc);
  ASSERT_TRUE(client->WriteCardCapabilityContainer(*ccc));
  auto back = client->ReadCardCapabilityContainer();
  ASSERT_TRUE(back) << back.error().ToString();
  EXPECT_EQ(back->card_identifier, ccc->card_identifier);
  // A fresh CHUID replaces the card's.
  auto before = client->ReadChuid();
  ASSERT_TRUE(before);
  auto chuid = piv::Chuid::Fresh(piv::ChuidExpiration(std::chrono::system_clock::now(), 5));
  ASSERT_TRUE(chuid);
  ASSERT_TRUE(client->WriteChuid(*chuid));
  auto after = client->ReadChuid();
  ASSERT_TRUE(after);
  EXPECT_EQ(after->guid, chuid->guid);
  EXPECT_NE(after->guid, before->guid);
}

TEST_F(PcscE2eTest, CardRemovedAtTheNthPutData) {
  InsertCard({"--test-remove-at", "DB:2"});
  auto client = OpenPiv();
  ASSERT_TRUE(client);
  ASSERT_TRUE(client->AuthenticateManagementKey(piv::ManagementKey::Default()));
  auto ccc = piv::CardCapabilityContainer::Fresh();
  ASSERT_TRUE(ccc);
  ASSERT_TRUE(client->WriteCardCapabilityContainer(*ccc));  // first PUT DATA: answered
  auto chuid = piv::Chuid::Fresh("20301231");
  ASSERT_TRUE(chuid);
  auto r = client->WriteChuid(*chuid);  // second: the card is pulled
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error().code, ErrorCode::kPcscCardRemoved) << r.error().ToString();
  EXPECT_NE(card_.Wait(10s), -1);
  // What was written before the removal persisted; the CHUID did not change.
  auto state = softpiv::CardState::Load(state_);
  ASSERT_TRUE(state);
  EXPECT_TRUE(state->objects.count(piv::kTagCardCapabilityContainer));
  auto stored = piv::Chuid::Parse(state->objects[piv::kTagChuid]);
  ASSERT_TRUE(stored);
  EXPECT_NE(stored->guid, chuid->guid);
}

TEST_F(PcscE2eTest, CardRemovedAtGenerate) {
  InsertCard({"--test-remove-at", "47"});
  auto client = OpenPiv();
  ASSERT_TRUE(client);
  ASSERT_TRUE(client->AuthenticateManagementKey(piv::ManagementKey::Default()));
  auto r = client->GenerateKey(Slot::kSignature, Algorithm::kEccP256);
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error().code, ErrorCode::kPcscCardRemoved) << r.error().ToString();
  EXPECT_NE(card_.Wait(10s), -1);
  auto state = softpiv::CardState::Load(state_);
  ASSERT_TRUE(state);
  EXPECT_TRUE(state->keys.empty());
}

}  // namespace
}  // namespace keyward::pcsc
