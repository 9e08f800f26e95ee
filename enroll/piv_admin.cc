#include "enroll/piv_admin.h"

#include <chrono>

namespace keyward::enroll {

namespace piv = pcsc::piv;

Result<SlotProbe> ProbeSlot(piv::PivClient& card, piv::Slot slot) {
  SlotProbe p;
  auto meta = card.GetMetadata(static_cast<uint8_t>(slot));
  if (!meta) {
    switch (meta.error().code) {
      case ErrorCode::kPivMetadataUnsupported:
        return p;  // no GET METADATA on this card
      case ErrorCode::kPivObjectNotFound:
        p.state = SlotProbe::kEmpty;
        return p;
      case ErrorCode::kPivObjectMalformed:
        p.state = SlotProbe::kKey;  // a key is there, its description unreadable
        return p;
      default:
        return Fail(meta.error());
    }
  }
  p.state = SlotProbe::kKey;
  if (meta->public_key) {
    if (auto spki = meta->public_key->ToSpki()) p.spki = std::move(*spki);
  }
  return p;
}

Result<void> SetManagementKey(piv::PivClient& card, const piv::ManagementKey& key) {
  return card.SetManagementKey(key);
}

Result<bool> HasCardCapabilityContainer(piv::PivClient& card) {
  auto ccc = card.ReadCardCapabilityContainer();
  if (ccc) return true;
  if (ccc.error().code == ErrorCode::kPivObjectNotFound) return false;
  return Fail(ccc.error());
}

Result<void> WriteFreshCardCapabilityContainer(piv::PivClient& card) {
  KW_ASSIGN_OR_RETURN(piv::CardCapabilityContainer ccc, piv::CardCapabilityContainer::Fresh());
  return card.WriteCardCapabilityContainer(ccc);
}

Result<piv::Chuid> FreshChuid(int64_t now, int years) {
  return piv::Chuid::Fresh(piv::ChuidExpiration(
      std::chrono::system_clock::from_time_t(static_cast<time_t>(now)), years));
}

}  // namespace keyward::enroll
