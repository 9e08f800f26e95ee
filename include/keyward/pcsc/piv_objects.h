// PIV data objects, NIST SP 800-73-4 Part 1 Appendix A (data model) and §3:
//  - the GET DATA / PUT DATA container `53 L contents` (discovery object: `7E L contents`);
//  - Card Holder Unique Identifier (CHUID, 5FC102, Table 9): 30 FASC-N, 32 organisational id,
//    33 DUNS, 34 GUID, 35 expiration date (YYYYMMDD), 36 cardholder UUID, 3E issuer signature,
//    FE error detection code;
//  - X.509 certificate objects (Table 10, 15-17, 20): 70 certificate, 71 CertInfo (bit 0x01: the
//    certificate is gzip-compressed), 72 MSCUID, FE error detection code;
//  - the Discovery Object (7E, Table 18): 4F PIV AID, 5F2F PIN usage policy;
//  - the Card Capability Container (CCC, 5FC107, Table 8): F0 card identifier (21 bytes: GSC-RID
//    A000000116, manufacturer id, card type, 14-byte card id), F1 capability container version,
//    F2 capability grammar version, F3 applications CardURL, F4 PKCS#15, F5 registered data model
//    number, F6 access control rule table, F7 card APDUs, FA redirection tag, FB capability
//    tuples, FC status tuples, FD next CCC, FE error detection code.
//
// Invariant: Parse functions read only inside their input and bound a decompressed certificate
// to 64 KiB.
#ifndef KEYWARD_PCSC_PIV_OBJECTS_H_
#define KEYWARD_PCSC_PIV_OBJECTS_H_

#include <chrono>
#include <cstdint>
#include <optional>
#include <string>

#include "keyward/bytes.h"
#include "keyward/export.h"

KEYWARD_API_BEGIN

namespace keyward::pcsc::piv {

inline constexpr size_t kMaxCertificateSize = 64 * 1024;

// `53 L contents` → contents (also accepts `7E L contents` when `tag` is 0x7E).
Result<Bytes> UnwrapDataObject(ByteSpan object, uint32_t tag = 0x53);
Bytes WrapDataObject(ByteSpan contents, uint32_t tag = 0x53);

struct Chuid {
  Bytes fasc_n;
  Bytes organization_id;
  Bytes duns;
  Bytes guid;              // 16 bytes
  std::string expiration;  // "YYYYMMDD"
  Bytes cardholder_uuid;
  Bytes signature;  // issuer asymmetric signature (may be empty on test cards)

  static Result<Chuid> Parse(ByteSpan contents);
  Bytes Encode() const;
  // A CHUID for a test or freshly provisioned card: the FASC-N of SP 800-73-4's test cards
  // pattern (agency 9999), the given GUID, expiration `expiration`.
  static Chuid ForTestCard(ByteSpan guid, std::string expiration);
  // A fresh CHUID for provisioning: that FASC-N, a random 16-byte GUID, `expiration`
  // ("YYYYMMDD", e.g. ChuidExpiration(now, 10)), no issuer signature.
  static Result<Chuid> Fresh(std::string expiration);
};

// "YYYYMMDD" `years` years after `from` (UTC); 29 February becomes 28 February when needed.
std::string ChuidExpiration(std::chrono::system_clock::time_point from, int years);

struct CardCapabilityContainer {
  Bytes card_identifier;  // F0, 21 bytes
  uint8_t container_version = 0x21;
  uint8_t grammar_version = 0x21;
  uint8_t pkcs15 = 0x00;
  uint8_t data_model = 0x10;  // F5: 0x10 = PIV data model

  static Result<CardCapabilityContainer> Parse(ByteSpan contents);
  Bytes Encode() const;
  // A fresh CCC: GSC-RID A000000116, manufacturer FF (unspecified), card type 02 (Java Card),
  // 14 random bytes of card id; versions 21, PKCS#15 00, data model 10.
  static Result<CardCapabilityContainer> Fresh();
};

struct CertificateObject {
  Bytes der;  // the X.509 certificate, decompressed
  bool compressed = false;

  static Result<CertificateObject> Parse(ByteSpan contents);
  // Encodes `der`, gzip-compressing it when `compress` is true.
  static Result<Bytes> Encode(ByteSpan der, bool compress);
};

struct Discovery {
  Bytes aid;
  uint16_t pin_usage_policy = 0;  // 5F2F, first byte: 0x40 PIV PIN, 0x20 global PIN, ...

  static Result<Discovery> Parse(ByteSpan contents);
  static Bytes EncodeDefault();  // 4F PIV AID, 5F2F 4000
};

// gzip (RFC 1952) helpers for compressed certificates; output bounded by `max_out`.
Result<Bytes> Gunzip(ByteSpan gz, size_t max_out);
Result<Bytes> Gzip(ByteSpan data);

}  // namespace keyward::pcsc::piv

KEYWARD_API_END

#endif  // KEYWARD_PCSC_PIV_OBJECTS_H_
