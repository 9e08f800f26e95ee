// The card operations the enrolment needs beyond NIST SP 800-73-4's standard command set, in one
// place: the YubiKey-compatible vendor extensions SET MANAGEMENT KEY (INS FF, P1 FF, P2 FF, data
// `<alg> 9B <len> <key>`) and GET METADATA (INS F7: 01 algorithm, 04 public key, ...), the Card
// Capability Container (SP 800-73-4 Part 1 Table 8) and a fresh CHUID.
//
// Each goes through the PIV client (pcsc/piv_client.h, pcsc/piv_metadata.h). A card without
// GET METADATA (kPivMetadataUnsupported) gives SlotProbe::kUnsupported so callers fall back to
// "is there a certificate"; an empty slot (kPivObjectNotFound) is kEmpty; a key whose metadata
// does not parse is still kKey (without spki).
#ifndef KEYWARD_ENROLL_PIV_ADMIN_H_
#define KEYWARD_ENROLL_PIV_ADMIN_H_

#include <optional>

#include "pcsc/piv_client.h"

namespace keyward::enroll {

struct SlotProbe {
  enum State { kKey, kEmpty, kUnsupported } state = kUnsupported;
  std::optional<Bytes> spki;  // kKey: the slot's public key (DER SubjectPublicKeyInfo)
};

// GET METADATA for a key slot.
Result<SlotProbe> ProbeSlot(pcsc::piv::PivClient& card, pcsc::piv::Slot slot);

// SET MANAGEMENT KEY; the current key must be authenticated on this connection.
Result<void> SetManagementKey(pcsc::piv::PivClient& card, const pcsc::piv::ManagementKey& key);

// Whether the card holds a Card Capability Container.
Result<bool> HasCardCapabilityContainer(pcsc::piv::PivClient& card);
// Writes a fresh CCC (CardCapabilityContainer::Fresh: GSC-RID A000000116, random card id,
// versions 21, data model 10).
Result<void> WriteFreshCardCapabilityContainer(pcsc::piv::PivClient& card);

// A fresh CHUID: SP 800-73-4's test FASC-N pattern, a random GUID, expiration "YYYYMMDD" `years`
// after `now`, no issuer signature.
Result<pcsc::piv::Chuid> FreshChuid(int64_t now, int years);

}  // namespace keyward::enroll

#endif  // KEYWARD_ENROLL_PIV_ADMIN_H_
