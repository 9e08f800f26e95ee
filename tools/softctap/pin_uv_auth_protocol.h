// PIN/UV auth protocols one and two (CTAP 2.1 §6.5.6 and §6.5.7): the shared-secret KDF, the
// encrypt / decrypt used for PINs and tokens, and authenticate / verify used for pinUvAuthParam.
// Both sides (authenticator and a test platform) use the same functions.
//
// Protocol 1: shared = SHA-256(Z); AES-256-CBC with a zero IV; authenticate = first 16 bytes of
//   HMAC-SHA-256.
// Protocol 2: shared = HKDF(Z, "CTAP2 HMAC key") || HKDF(Z, "CTAP2 AES key") (salt = 32 zero
//   bytes); encrypt = random IV || AES-256-CBC with the AES half; authenticate = full
//   HMAC-SHA-256 keyed with the HMAC half (or with the whole 32-byte pinUvAuthToken).
#ifndef KEYWARD_TOOLS_SOFTCTAP_PIN_UV_AUTH_PROTOCOL_H_
#define KEYWARD_TOOLS_SOFTCTAP_PIN_UV_AUTH_PROTOCOL_H_

#include <cstdint>

#include "core/bytes.h"
#include "core/secret.h"
#include "keyward/result.h"

namespace keyward::softctap {

class PinUvAuthProtocol {
 public:
  // 1 or 2; nullptr for any other version.
  static const PinUvAuthProtocol* ForVersion(int64_t version);
  virtual ~PinUvAuthProtocol() = default;

  virtual uint8_t version() const = 0;
  virtual SecretBytes Kdf(const SecretBytes& z) const = 0;
  virtual Result<Bytes> Encrypt(const SecretBytes& shared, ByteSpan plaintext) const = 0;
  // kInvalidArgument when the ciphertext has an impossible length.
  virtual Result<SecretBytes> Decrypt(const SecretBytes& shared, ByteSpan ciphertext) const = 0;
  // `key` is a shared secret from Kdf() or a 32-byte pinUvAuthToken.
  virtual Bytes Authenticate(ByteSpan key, ByteSpan message) const = 0;
  // Constant-time; false also when the signature has the wrong length.
  bool Verify(ByteSpan key, ByteSpan message, ByteSpan signature) const;
};

}  // namespace keyward::softctap

#endif  // KEYWARD_TOOLS_SOFTCTAP_PIN_UV_AUTH_PROTOCOL_H_
