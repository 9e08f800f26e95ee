// Persistent state of the software CTAP2 authenticator and its file format.
//
// The file is one CBOR map (integer keys, canonical order) written atomically: a temporary file
// in the same directory (mode 0600), fsync, rename over the old file, fsync of the directory. A
// reader therefore sees the old state or the new one, never a mix. The file holds private keys
// and the PIN hash: it is a test device, not a secure element.
#ifndef KEYWARD_TOOLS_SOFTCTAP_SOFT_STATE_H_
#define KEYWARD_TOOLS_SOFTCTAP_SOFT_STATE_H_

#include <cstdint>
#include <string>
#include <vector>

#include "core/bytes.h"
#include "core/secret.h"
#include "keyward/result.h"
#include "tools/softctap/attestation_certs.h"
#include "tools/softctap/soft_crypto.h"

namespace keyward::softctap {

inline constexpr uint8_t kMaxPinRetries = 8;
inline constexpr uint8_t kMaxUvRetries = 8;
inline constexpr size_t kMaxResidentCredentials = 25;

// A discoverable (resident) credential (CTAP 2.1 §6.1 "rk").
struct ResidentCredential {
  Bytes id;
  std::string rp_id;
  std::string rp_name;
  Bytes user_id;
  std::string user_name;
  std::string user_display_name;
  KeyAlg alg = KeyAlg::kEs256;
  SecretBytes private_key;
  uint8_t cred_protect = 1;
  SecretBytes cred_random_uv;     // hmac-secret CredRandomWithUV, empty if not requested
  SecretBytes cred_random_no_uv;  // hmac-secret CredRandomWithoutUV
  Bytes cred_blob;
  SecretBytes large_blob_key;
  uint64_t sequence = 0;  // creation order, newest first in discovery
};

struct SoftState {
  Bytes aaguid;
  SecretBytes master_key;  // wraps non-resident credential ids; replaced by reset
  SecretBytes pin_hash;    // LEFT(SHA-256(PIN), 16); empty = no PIN
  uint32_t pin_code_points = 0;
  uint8_t pin_retries = kMaxPinRetries;
  uint8_t uv_retries = kMaxUvRetries;
  uint32_t min_pin_length = 4;
  std::vector<std::string> min_pin_length_rp_ids;
  bool force_pin_change = false;
  bool always_uv = false;
  bool ep_enabled = false;
  uint32_t sign_count = 0;
  AttestationMaterial attestation;
  std::vector<ResidentCredential> credentials;
  uint64_t next_sequence = 1;

  bool pin_set() const { return !pin_hash.empty(); }
};

// A factory-fresh state with new attestation material and master key.
Result<SoftState> NewSoftState();
// Back to factory state (authenticatorReset): keeps AAGUID, attestation material and the
// signature counter; everything else is new.
Result<void> ResetSoftState(SoftState& state);

Bytes EncodeSoftState(const SoftState& state);
// kStoreCorrupt for anything that is not a state this code wrote.
Result<SoftState> DecodeSoftState(ByteSpan data);

// kStoreIo on a file-system error.
Result<void> SaveSoftStateFile(const std::string& path, const SoftState& state);
// kNotFound when the file does not exist; kStoreIo / kStoreCorrupt otherwise.
Result<SoftState> LoadSoftStateFile(const std::string& path);

}  // namespace keyward::softctap

#endif  // KEYWARD_TOOLS_SOFTCTAP_SOFT_STATE_H_
