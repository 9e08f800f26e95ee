// NIST SP 800-73-4 identifiers: the PIV application identifier (Part 1 §2.2), key references
// (Part 1 Table 4), cryptographic algorithm identifiers (SP 800-78-4 Table 6-2) and the BER-TLV
// tags of the data objects (Part 1 Table 3).
#ifndef KEYWARD_PCSC_PIV_TYPES_H_
#define KEYWARD_PCSC_PIV_TYPES_H_

#include <array>
#include <cstdint>
#include <optional>
#include <string_view>

#include "keyward/export.h"

KEYWARD_API_BEGIN

namespace keyward::pcsc::piv {

// A000000308 00001000 0100 (Part 1 §2.2). SELECT uses the first 9 bytes (right-truncated).
inline constexpr std::array<uint8_t, 11> kPivAid = {0xA0, 0x00, 0x00, 0x03, 0x08, 0x00,
                                                    0x00, 0x10, 0x00, 0x01, 0x00};
inline constexpr std::array<uint8_t, 9> kPivAidTruncated = {0xA0, 0x00, 0x00, 0x03, 0x08,
                                                            0x00, 0x00, 0x10, 0x00};

// Key references.
enum class Slot : uint8_t {
  kAuthentication = 0x9A,     // PIV Authentication key
  kManagement = 0x9B,         // PIV Card Application Administration key
  kSignature = 0x9C,          // Digital Signature key (PIN always)
  kKeyManagement = 0x9D,      // Key Management key
  kCardAuthentication = 0x9E  // Card Authentication key (no PIN)
};
std::optional<Slot> SlotFromByte(uint8_t b);
std::optional<Slot> SlotFromName(std::string_view name);  // "9a", "9C", "authentication", ...
std::string_view SlotName(Slot s);                        // "9a"

// PIN references (Part 2 §3.2.1-§3.2.3).
inline constexpr uint8_t kPinReference = 0x80;
inline constexpr uint8_t kPukReference = 0x81;

enum class Algorithm : uint8_t {
  kTripleDes = 0x03,
  kRsa1024 = 0x06,
  kRsa2048 = 0x07,
  kAes128 = 0x08,
  kAes192 = 0x0A,
  kAes256 = 0x0C,
  kEccP256 = 0x11,
  kEccP384 = 0x14,
};
std::optional<Algorithm> AlgorithmFromByte(uint8_t b);
std::string_view AlgorithmName(Algorithm a);  // "3des", "aes128", "rsa2048", "eccp256", ...
bool IsSymmetric(Algorithm a);
bool IsEcc(Algorithm a);
bool IsRsa(Algorithm a);
// Size of the GENERAL AUTHENTICATE input (field or modulus bytes / cipher block).
size_t AlgorithmBlockSize(Algorithm a);

// Data object tags (3 bytes, 5FC1xx) and the discovery object (7E).
inline constexpr uint32_t kTagCardCapabilityContainer = 0x5FC107;
inline constexpr uint32_t kTagChuid = 0x5FC102;
inline constexpr uint32_t kTagCertAuthentication = 0x5FC105;      // 9A
inline constexpr uint32_t kTagCertSignature = 0x5FC10A;           // 9C
inline constexpr uint32_t kTagCertKeyManagement = 0x5FC10B;       // 9D
inline constexpr uint32_t kTagCertCardAuthentication = 0x5FC101;  // 9E
inline constexpr uint32_t kTagKeyHistory = 0x5FC10C;
inline constexpr uint32_t kTagPrintedInformation = 0x5FC109;
inline constexpr uint32_t kTagSecurityObject = 0x5FC106;
inline constexpr uint32_t kTagDiscovery = 0x7E;
uint32_t CertificateTag(Slot s);

}  // namespace keyward::pcsc::piv

KEYWARD_API_END

#endif  // KEYWARD_PCSC_PIV_TYPES_H_
