// A PIV client, NIST SP 800-73-4 Part 2 (card commands) over a Card:
//  §3.1.1 SELECT, §3.1.2 GET DATA, §3.2.1 VERIFY (PIN, status with 63Cx), §3.2.2 CHANGE
//  REFERENCE DATA (PIN 80 / PUK 81), §3.2.3 RESET RETRY COUNTER, §3.2.4 GENERAL AUTHENTICATE
//  (signing with 9A/9C/9D/9E; management key 9B challenge-response, Appendix A.1),
//  §3.3.1 PUT DATA, §3.3.2 GENERATE ASYMMETRIC KEY PAIR;
// and two de-facto standard vendor extensions first defined by YubiKey's PIV application and
// answered by compatible cards (not in SP 800-73-4): SET MANAGEMENT KEY (INS FF, P1 FF, P2 FF,
// data `<alg> 9B <len> <key>`) and GET METADATA (INS F7, see pcsc/piv_metadata.h). A card that
// does not know GET METADATA (6D00 / 6E00) gives kPivMetadataUnsupported so callers can fall back.
//
// Invariants: PINs and keys arrive as SecretBytes and never reach a log or an error detail. PIN
// failures are kPinIncorrect with native = 63Cx (RetriesLeft() reads x), kPinBlocked (6983 or
// 63C0), kPinInvalid (format, before anything is sent). Multi-APDU operations run inside a PC/SC
// transaction. After the card was reset or pcscd restarted the client re-selects PIV by itself;
// the PIN and management key must then be presented again (security_resets() counts this).
#ifndef KEYWARD_PCSC_PIV_CLIENT_H_
#define KEYWARD_PCSC_PIV_CLIENT_H_

#include <memory>
#include <optional>
#include <string>

#include "keyward/core/hash.h"
#include "keyward/export.h"
#include "keyward/pcsc/card.h"
#include "keyward/pcsc/mgmt_key.h"
#include "keyward/pcsc/piv_metadata.h"
#include "keyward/pcsc/piv_objects.h"
#include "keyward/pcsc/piv_public_key.h"
#include "keyward/pcsc/piv_types.h"
#include "keyward/secret.h"

KEYWARD_API_BEGIN

namespace keyward::pcsc::piv {

struct PinStatus {
  bool verified = false;
  int retries_left = -1;  // -1 when the card did not say
  bool blocked = false;
};

enum class MgmtAuthMode {
  kMutual,    // card proves itself too (witness + challenge)
  kExternal,  // host proves knowledge of the key (challenge only)
};

class PivClient {
 public:
  // Connects to `reader` and selects the PIV application (kPivNotPresent if the card has none).
  static Result<std::unique_ptr<PivClient>> Open(std::shared_ptr<Context> context,
                                                 const std::string& reader,
                                                 ConnectOptions options = {});
  // Uses an existing connection.
  static Result<std::unique_ptr<PivClient>> Attach(std::unique_ptr<Card> card);

  Card& card() { return *card_; }
  int security_resets() const { return card_->recoveries(); }

  // SELECT; returns the application property template (61 ...).
  Result<Bytes> Select();

  // GET DATA: the contents of the data object (inside 53 / 7E). kPivObjectNotFound if absent.
  Result<Bytes> GetData(uint32_t tag);
  // PUT DATA of `contents` as object `tag` (needs the management key).
  Result<void> PutData(uint32_t tag, ByteSpan contents);

  Result<Chuid> ReadChuid();
  Result<Discovery> ReadDiscovery();
  Result<CertificateObject> ReadCertificate(Slot slot);
  Result<void> WriteChuid(const Chuid& chuid);
  // The Card Capability Container (5FC107); write needs the management key.
  Result<CardCapabilityContainer> ReadCardCapabilityContainer();
  Result<void> WriteCardCapabilityContainer(const CardCapabilityContainer& ccc);
  Result<void> WriteCertificate(Slot slot, ByteSpan der, bool compress = false);

  // PIN handling. PIN: 6-8 bytes; PUK: 6-8 bytes (padded with FF to 8).
  Result<PinStatus> GetPinStatus();
  Result<void> VerifyPin(const SecretBytes& pin);
  // VERIFY with P1 = FF: the card forgets that the PIN was verified (§3.2.1).
  Result<void> ResetPinStatus();
  Result<void> ChangePin(const SecretBytes& old_pin, const SecretBytes& new_pin);
  Result<void> ChangePuk(const SecretBytes& old_puk, const SecretBytes& new_puk);
  Result<void> UnblockPin(const SecretBytes& puk, const SecretBytes& new_pin);

  Result<void> AuthenticateManagementKey(const ManagementKey& key,
                                         MgmtAuthMode mode = MgmtAuthMode::kMutual);
  // SET MANAGEMENT KEY (vendor extension INS FF): replaces the 9B key with `new_key` (3DES,
  // AES-128/192/256). The current key must have been authenticated in this session
  // (6982 → kPivSecurityStatusNotSatisfied). A card without the command: kApduStatusError
  // (native 6D00).
  Result<void> SetManagementKey(const ManagementKey& new_key);
  // GET METADATA (vendor extension INS F7) for a key reference: 9A/9B/9C/9D/9E, 80 (PIN),
  // 81 (PUK). Empty slot: kPivObjectNotFound. Card without the command: kPivMetadataUnsupported.
  Result<KeyMetadata> GetMetadata(uint8_t key_reference);

  // GENERAL AUTHENTICATE with `slot`'s private key on the raw input: the (left-padded /
  // truncated) hash for ECC (returns a DER ECDSA signature), the full padded block for RSA.
  Result<Bytes> SignRaw(Slot slot, Algorithm alg, ByteSpan input);
  // Signs a digest: ECDSA over it, or RSASSA-PKCS1-v1_5 with the DigestInfo of `hash`.
  Result<Bytes> SignDigest(Slot slot, Algorithm alg, HashAlgorithm hash, ByteSpan digest);

  // GENERATE ASYMMETRIC KEY PAIR (needs the management key).
  Result<PivPublicKey> GenerateKey(Slot slot, Algorithm alg);

  // Retries left from a kPinIncorrect/kPukIncorrect/kPinBlocked error (63Cx → x), else -1.
  static int RetriesLeft(const Error& e);

 private:
  explicit PivClient(std::unique_ptr<Card> card) : card_(std::move(card)) {}
  Result<ResponseApdu> Send(const CommandApdu& c);
  Result<void> ReferenceData(uint8_t ins, uint8_t ref, const SecretBytes& a, const SecretBytes& b,
                             bool puk_first);

  std::unique_ptr<Card> card_;
};

// PKCS#1 v1.5 type-1 block of `modulus_bytes` for DigestInfo(hash, digest) (RFC 8017 §9.2).
Result<Bytes> Pkcs1v15Pad(HashAlgorithm hash, ByteSpan digest, size_t modulus_bytes);

}  // namespace keyward::pcsc::piv

KEYWARD_API_END

#endif  // KEYWARD_PCSC_PIV_CLIENT_H_
