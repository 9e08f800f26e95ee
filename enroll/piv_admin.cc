#include "enroll/piv_admin.h"

#include <ctime>

#include "core/hash.h"
#include "pcsc/status_word.h"
#include "pcsc/tlv.h"
#include "pcsc/transceive.h"

namespace keyward::enroll {

namespace piv = pcsc::piv;

Result<SlotProbe> ProbeSlot(piv::PivClient& card, piv::Slot slot) {
  KW_ASSIGN_OR_RETURN(
      pcsc::ResponseApdu r,
      pcsc::Transceive(card.card(), {0x00, 0xF7, 0x00, static_cast<uint8_t>(slot), {}, 256}));
  SlotProbe p;
  uint16_t sw = r.sw.value();
  if (sw == 0x6D00 || sw == 0x6E00) return p;  // no GET METADATA on this card
  if (sw == 0x6A88 || sw == 0x6A82) {
    p.state = SlotProbe::kEmpty;
    return p;
  }
  KW_TRY(pcsc::CheckStatus(r.sw, "GET METADATA"));
  p.state = SlotProbe::kKey;
  auto tlvs = pcsc::ParseTlvs(r.data);
  if (!tlvs) return p;  // a key is there, its description unreadable
  auto alg = pcsc::FindTlv(*tlvs, 0x01);
  auto pub = pcsc::FindTlv(*tlvs, 0x04);
  if (alg && alg->size() == 1 && pub) {
    if (auto a = piv::AlgorithmFromByte((*alg)[0])) {
      if (auto k = piv::PivPublicKey::Parse(*a, pcsc::EncodeTlv(0x7F49, *pub))) {
        if (auto spki = k->ToSpki()) p.spki = std::move(*spki);
      }
    }
  }
  return p;
}

Result<void> SetManagementKey(piv::PivClient& card, const piv::ManagementKey& key) {
  Bytes data = {static_cast<uint8_t>(key.algorithm()), 0x9B,
                static_cast<uint8_t>(key.key().size())};
  auto raw = key.key().reveal();
  data.insert(data.end(), raw.begin(), raw.end());
  pcsc::CommandApdu cmd{0x00, 0xFF, 0xFF, 0xFF, std::move(data), 0};
  auto r = pcsc::Transceive(card.card(), cmd);
  OPENSSL_cleanse(cmd.data.data(), cmd.data.size());
  if (!r) return Fail(std::move(r).error());
  if (r->sw.value() == 0x6982) {
    return Fail(ErrorCode::kPivSecurityStatusNotSatisfied,
                "SET MANAGEMENT KEY needs the current key authenticated", 0x6982);
  }
  return pcsc::CheckStatus(r->sw, "SET MANAGEMENT KEY");
}

Result<bool> HasCardCapabilityContainer(piv::PivClient& card) {
  auto ccc = card.GetData(piv::kTagCardCapabilityContainer);
  if (ccc) return true;
  if (ccc.error().code == ErrorCode::kPivObjectNotFound) return false;
  return Fail(ccc.error());
}

Result<void> WriteFreshCardCapabilityContainer(piv::PivClient& card) {
  KW_ASSIGN_OR_RETURN(Bytes id, RandomBytes(14));
  Bytes card_identifier = {0xA0, 0x00, 0x00, 0x01, 0x16, 0xFF, 0x02};
  card_identifier.insert(card_identifier.end(), id.begin(), id.end());
  Bytes ccc;
  const uint8_t v21 = 0x21, pkcs15 = 0x00, model = 0x10;
  pcsc::AppendTlv(ccc, 0xF0, card_identifier);
  pcsc::AppendTlv(ccc, 0xF1, ByteSpan(&v21, 1));
  pcsc::AppendTlv(ccc, 0xF2, ByteSpan(&v21, 1));
  pcsc::AppendTlv(ccc, 0xF3, {});
  pcsc::AppendTlv(ccc, 0xF4, ByteSpan(&pkcs15, 1));
  pcsc::AppendTlv(ccc, 0xF5, ByteSpan(&model, 1));
  pcsc::AppendTlv(ccc, 0xF6, Bytes(17, 0x00));
  for (uint32_t tag : {0xF7u, 0xFAu, 0xFBu, 0xFCu, 0xFDu, 0xFEu}) pcsc::AppendTlv(ccc, tag, {});
  return card.PutData(piv::kTagCardCapabilityContainer, ccc);
}

Result<piv::Chuid> FreshChuid(int64_t now, int years) {
  KW_ASSIGN_OR_RETURN(Bytes guid, RandomBytes(16));
  time_t t = static_cast<time_t>(now);
  struct tm tm {};
  gmtime_r(&t, &tm);
  int year = tm.tm_year + 1900 + years;
  int month = tm.tm_mon + 1;
  int day = (month == 2 && tm.tm_mday == 29) ? 28 : tm.tm_mday;
  char buf[32];
  std::snprintf(buf, sizeof(buf), "%04d%02d%02d", year % 10000, month % 100, day % 100);
  return piv::Chuid::ForTestCard(guid, buf);
}

}  // namespace keyward::enroll
