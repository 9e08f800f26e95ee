// Internals shared by the software authenticator's command handlers (not a public interface).
#ifndef KEYWARD_TOOLS_SOFTCTAP_SOFT_AUTHENTICATOR_INTERNAL_H_
#define KEYWARD_TOOLS_SOFTCTAP_SOFT_AUTHENTICATOR_INTERNAL_H_

#include <chrono>
#include <optional>
#include <string>
#include <vector>

#include "core/secret.h"
#include "tools/softctap/soft_authenticator.h"

namespace keyward::softctap {
namespace internal {

inline constexpr uint8_t kFlagUp = 0x01;
inline constexpr uint8_t kFlagUv = 0x04;
inline constexpr uint8_t kFlagAt = 0x40;
inline constexpr uint8_t kFlagEd = 0x80;

inline constexpr uint64_t kMaxMsgSize = 1200;
inline constexpr uint64_t kMaxCredentialCountInList = 8;
inline constexpr uint64_t kMaxCredentialIdLength = 128;
inline constexpr uint64_t kFirmwareVersion = 0x010000;
inline constexpr uint64_t kMaxCredBlobLength = 32;
inline constexpr uint64_t kMaxRpIdsForSetMinPinLength = 2;
inline constexpr uint8_t kWrappedIdVersion = 0x01;
inline constexpr size_t kMaxRpIdLength = 255;
inline constexpr size_t kMaxUserIdLength = 64;

struct HmacSecretRequest {
  SecretBytes shared;
  int64_t protocol = 1;
  SecretBytes salts;  // 32 or 64 bytes
};

}  // namespace internal

struct SoftAuthenticator::PendingAssertion {
  std::string rp_id;
  Bytes client_data_hash;
  uint8_t flags = 0;
  bool uv = false;
  bool discovery = false;
  std::vector<ResidentCredential> creds;
  size_t next = 1;
  std::optional<internal::HmacSecretRequest> hmac_secret;
  bool cred_blob = false;
  bool large_blob_key = false;
  std::chrono::steady_clock::time_point started;
};

struct SoftAuthenticator::EnumerationState {
  std::vector<std::string> rp_ids;
  size_t next_rp = 0;
  std::vector<ResidentCredential> creds;
  size_t next_cred = 0;
};

}  // namespace keyward::softctap

#endif  // KEYWARD_TOOLS_SOFTCTAP_SOFT_AUTHENTICATOR_INTERNAL_H_
