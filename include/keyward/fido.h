// keyward::fido — FIDO2 security keys through libfido2 (client side of CTAP 2.1).
//
// RAII over libfido2 1.12: a Device owns one fido_dev_t. Errors are keyward ErrorCodes from the
// 7xx FIDO block and the 65x PIN block, with the FIDO_ERR_* / CTAP status kept in Error::native
// (negative libfido2 codes as their two's complement). PINs travel in SecretBytes and are never
// logged.
//
// Bounded waits: every operation runs under the device timeout (SetTimeout, default 30 s); an
// operation that waits for a touch ends with kFidoTimeout when it passes (the device is then
// told to CANCEL), and Cancel() from another thread ends it with kFidoCancelled.
#ifndef KEYWARD_FIDO_H_
#define KEYWARD_FIDO_H_

#include <chrono>
#include <cstdint>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "keyward/bytes.h"
#include "keyward/export.h"
#include "keyward/result.h"
#include "keyward/secret.h"

KEYWARD_API_BEGIN

namespace keyward::fido {

// A HID-level transport that libfido2 drives (fido_dev_set_io_functions), e.g. the software
// authenticator. Semantics are libfido2's: Write gets report id 0 + a 64-byte report and returns
// the bytes written or -1; Read returns one 64-byte report within `ms` (-1: no limit) or -1.
class HidTransport {
 public:
  virtual ~HidTransport() = default;
  virtual int Write(const uint8_t* data, size_t len) = 0;
  virtual int Read(uint8_t* buf, size_t len, int ms) = 0;
};

struct DeviceListing {
  std::string path;
  std::string manufacturer;
  std::string product;
  uint16_t vendor_id = 0;
  uint16_t product_id = 0;
};

// fido_dev_info_manifest: every FIDO HID device the process may open.
Result<std::vector<DeviceListing>> ListDevices(size_t max_devices = 64);

// authenticatorGetInfo (CTAP 2.1 §6.4), decoded.
struct DeviceInfo {
  std::vector<std::string> versions;
  std::vector<std::string> extensions;
  Bytes aaguid;
  std::map<std::string, bool> options;
  uint64_t max_msg_size = 0;
  std::vector<uint8_t> pin_protocols;
  uint64_t max_credential_count_in_list = 0;
  uint64_t max_credential_id_length = 0;
  std::vector<std::string> transports;
  std::vector<int64_t> algorithms;  // COSE identifiers of "public-key" entries
  bool force_pin_change = false;
  uint64_t min_pin_length = 0;
  uint64_t firmware_version = 0;
  uint64_t max_cred_blob_length = 0;
  uint64_t max_rp_ids_for_set_min_pin_length = 0;
  uint64_t uv_modality = 0;
  std::map<std::string, uint64_t> certifications;
  std::optional<int64_t> remaining_discoverable_credentials;
  // Asked separately (clientPIN getPINRetries / getUVRetries) when the device has a PIN / UV.
  std::optional<int> pin_retries;
  std::optional<int> uv_retries;

  // An option's value; nullopt when the device does not list it.
  std::optional<bool> Option(std::string_view name) const;
};

enum class Algorithm : int { kEs256 = -7, kEdDsa = -8 };

struct MakeCredentialRequest {
  std::string rp_id;
  std::string rp_name;
  Bytes user_id;
  std::string user_name;
  std::string user_display_name;
  Bytes client_data_hash;  // 32 bytes: SHA-256 of the clientDataJSON
  Algorithm algorithm = Algorithm::kEs256;
  bool resident_key = false;
  std::optional<bool> user_verification;  // nullopt: leave to the device
  int cred_protect = 0;                   // 0: not requested; 1..3 (CTAP 2.1 §12.1)
  bool hmac_secret = false;
  bool large_blob_key = false;
  bool min_pin_length = false;
  Bytes cred_blob;  // empty: not requested
  std::vector<Bytes> exclude_list;
};

// What makeCredential returned (attestation as libfido2 decoded it).
struct Credential {
  std::string fmt;
  Bytes auth_data;  // raw authenticator data
  Bytes id;
  Bytes cose_public_key;  // from the attested credential data
  Bytes aaguid;
  uint8_t flags = 0;
  uint32_t sign_count = 0;
  int cred_protect = 0;
  Bytes attestation_statement;  // attStmt, CBOR, as the device sent it
  Bytes signature;              // attStmt.sig
  Bytes x5c;                    // first certificate of attStmt.x5c (empty: self attestation)
  Bytes large_blob_key;
  size_t min_pin_length = 0;  // minPinLength extension output (0: none)
  bool enterprise_attestation = false;
  Bytes client_data_hash;
};

struct GetAssertionRequest {
  std::string rp_id;
  Bytes client_data_hash;
  std::vector<Bytes> allow_list;  // empty: discoverable credentials
  std::optional<bool> user_presence;
  std::optional<bool> user_verification;
  Bytes hmac_salt;  // 32 or 64 bytes: request hmac-secret
  bool cred_blob = false;
  bool large_blob_key = false;
};

struct Assertion {
  Bytes auth_data;  // raw authenticator data
  Bytes signature;
  Bytes credential_id;
  Bytes user_id;
  std::string user_name;
  std::string user_display_name;
  uint8_t flags = 0;
  uint32_t sign_count = 0;
  Bytes hmac_secret;
  Bytes cred_blob;
  Bytes large_blob_key;
};

struct CredentialMetadata {
  uint64_t existing = 0;
  uint64_t remaining = 0;
};

struct RelyingParty {
  std::string id;
  std::string name;
  Bytes id_hash;
};

struct StoredCredential {
  Bytes id;
  Bytes user_id;
  std::string user_name;
  std::string user_display_name;
  int cred_protect = 0;
  int64_t algorithm = 0;
};

class Device {
 public:
  // A device path from ListDevices (e.g. /dev/hidraw3).
  static Result<Device> Open(const std::string& path);
  // A transport the caller owns and keeps alive while the Device exists.
  static Result<Device> OpenTransport(HidTransport* transport);

  Device(Device&&) noexcept;
  Device& operator=(Device&&) noexcept;
  ~Device();

  // Bound for every following operation (touch waits included). Must be positive.
  void SetTimeout(std::chrono::milliseconds timeout);
  // Tells the device to stop waiting (CTAPHID_CANCEL). Safe to call from another thread while an
  // operation runs; that operation then fails with kFidoCancelled.
  Result<void> Cancel();

  Result<DeviceInfo> GetInfo();
  Result<int> PinRetries();
  Result<int> UvRetries();
  Result<void> SetPin(const SecretBytes& pin);
  Result<void> ChangePin(const SecretBytes& old_pin, const SecretBytes& new_pin);

  // `pin` may be null (no user verification through a PIN).
  Result<Credential> MakeCredential(const MakeCredentialRequest& request, const SecretBytes* pin);
  Result<std::vector<Assertion>> GetAssertion(const GetAssertionRequest& request,
                                              const SecretBytes* pin);

  Result<CredentialMetadata> GetCredentialMetadata(const SecretBytes& pin);
  Result<std::vector<RelyingParty>> ListRelyingParties(const SecretBytes& pin);
  Result<std::vector<StoredCredential>> ListCredentials(const std::string& rp_id,
                                                        const SecretBytes& pin);
  Result<void> DeleteCredential(ByteSpan credential_id, const SecretBytes& pin);
  Result<void> UpdateUser(const std::string& rp_id, ByteSpan credential_id, ByteSpan user_id,
                          const std::string& user_name, const std::string& display_name,
                          const SecretBytes& pin);

  // authenticatorReset: erases every credential and the PIN. Needs a touch; real keys accept it
  // only within seconds of being plugged in.
  Result<void> Reset();

  // authenticatorConfig. `pin` may be null when the device has no PIN.
  Result<void> ToggleAlwaysUv(const SecretBytes* pin);
  Result<void> SetMinPinLength(size_t length, const SecretBytes* pin);
  Result<void> ForcePinChange(const SecretBytes* pin);
  // minPinLengthRPIDs: RPs that may read the minimum PIN length (minPinLength extension).
  Result<void> SetMinPinLengthRpIds(const std::vector<std::string>& rp_ids,
                                    const SecretBytes* pin);
  Result<void> EnableEnterpriseAttestation(const SecretBytes* pin);

 private:
  struct Impl;
  explicit Device(std::unique_ptr<Impl> impl);
  std::unique_ptr<Impl> impl_;
};

// ---- WebAuthn objects (WebAuthn L3 §5.2.1, §6.5) from what libfido2 returned ----------------

// CollectedClientData serialised as a browser does (WebAuthn L3 §5.8.1.1): type, challenge
// (base64url), origin, crossOrigin false. The hash of this string is the clientDataHash.
std::string MakeClientDataJson(std::string_view type, ByteSpan challenge, std::string_view origin);

// The attestationObject {fmt, attStmt, authData} of a packed credential: attStmt carries alg,
// sig and x5c. kNotSupported for formats other than "packed".
Result<Bytes> MakeAttestationObject(const Credential& credential);

}  // namespace keyward::fido

KEYWARD_API_END

#endif  // KEYWARD_FIDO_H_
