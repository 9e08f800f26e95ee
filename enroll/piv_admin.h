// The card operations the enrolment needs beyond NIST SP 800-73-4's standard command set, in one
// place: the YubiKey-compatible vendor extensions SET MANAGEMENT KEY (INS FF, P1 FF, P2 FF, data
// `<alg> 9B <len> <key>`) and GET METADATA (INS F7: 01 algorithm, 04 public key, ...), the Card
// Capability Container (SP 800-73-4 Part 1 Table 8) and a fresh CHUID.
//
// Each is sent as its APDU over the PivClient's connection (pcsc/transceive.h). A card without
// GET METADATA (6D00 / 6E00) gives SlotProbe::kUnsupported so callers fall back to "is there a
// certificate"; an empty slot is 6A88 → kEmpty.
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
// Writes a fresh CCC: card identifier GSC-RID A000000116, manufacturer FF, card type 02, 14 random
// bytes; container and grammar version 21; PKCS#15 00; data model 10; empty remaining fields.
Result<void> WriteFreshCardCapabilityContainer(pcsc::piv::PivClient& card);

// A fresh CHUID: SP 800-73-4's test FASC-N pattern, a random GUID, expiration "YYYYMMDD" `years`
// after `now`, no issuer signature.
Result<pcsc::piv::Chuid> FreshChuid(int64_t now, int years);

}  // namespace keyward::enroll

#endif  // KEYWARD_ENROLL_PIV_ADMIN_H_
