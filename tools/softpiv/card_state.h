// The persistent state of the software PIV card: PIN, PUK and their retry counters, the management
// key, the data objects and the private keys of slots 9A/9C/9D/9E. Stored as JSON (hex for bytes)
// in one file, written atomically (temporary file in the same directory, fsync, rename) with mode
// 0600 after every change.
//
// This is a TEST card: the private keys and PINs are stored unencrypted in the state file.
#ifndef KEYWARD_TOOLS_SOFTPIV_CARD_STATE_H_
#define KEYWARD_TOOLS_SOFTPIV_CARD_STATE_H_

#include <map>
#include <optional>
#include <string>

#include "core/bytes.h"
#include "core/openssl_util.h"
#include "core/secret.h"
#include "pcsc/piv_types.h"

namespace keyward::softpiv {

struct SlotKey {
  pcsc::piv::Algorithm algorithm;
  EvpPkeyPtr key;
  uint8_t origin = 1;  // GET METADATA origin: 1 generated on the card, 2 imported
};

struct CardState {
  SecretBytes pin{std::string_view("123456")};
  SecretBytes puk{std::string_view("12345678")};
  int pin_retries = 3;
  int pin_max_retries = 3;
  int puk_retries = 3;
  int puk_max_retries = 3;
  pcsc::piv::Algorithm mgmt_algorithm = pcsc::piv::Algorithm::kTripleDes;
  SecretBytes mgmt_key;               // defaults to 0102..08 x3
  std::map<uint32_t, Bytes> objects;  // tag → contents (inside 53)
  std::map<uint8_t, SlotKey> keys;    // slot → key

  // Whether PIN, PUK and management key still hold the factory defaults (123456, 12345678,
  // 0102..08 x3 — also counted as default under AES-192, the newer cards' factory setting).
  bool PinIsDefault() const;
  bool PukIsDefault() const;
  bool MgmtKeyIsDefault() const;

  // A fresh card: default PIN/PUK/management key, a CHUID with a random GUID.
  static Result<CardState> Fresh();
  // Reads `path`; kNotFound if it does not exist, kStoreCorrupt if it does not parse.
  static Result<CardState> Load(const std::string& path);
  Result<void> Save(const std::string& path) const;
};

}  // namespace keyward::softpiv

#endif  // KEYWARD_TOOLS_SOFTPIV_CARD_STATE_H_
