#include "tools/softctap/pin_uv_auth_protocol.h"

#include <openssl/crypto.h>

#include "core/hash.h"
#include "tools/softctap/soft_crypto.h"

namespace keyward::softctap {
namespace {

class ProtocolOne final : public PinUvAuthProtocol {
 public:
  uint8_t version() const override { return 1; }
  SecretBytes Kdf(const SecretBytes& z) const override {
    auto d = Sha256(z.reveal());
    SecretBytes out(d);
    OPENSSL_cleanse(d.data(), d.size());
    return out;
  }
  Result<Bytes> Encrypt(const SecretBytes& shared, ByteSpan plaintext) const override {
    static const uint8_t kZeroIv[16] = {};
    return Aes256CbcEncrypt(shared.reveal().first(32), kZeroIv, plaintext);
  }
  Result<SecretBytes> Decrypt(const SecretBytes& shared, ByteSpan ciphertext) const override {
    static const uint8_t kZeroIv[16] = {};
    KW_ASSIGN_OR_RETURN(Bytes pt, Aes256CbcDecrypt(shared.reveal().first(32), kZeroIv, ciphertext));
    SecretBytes out(pt);
    OPENSSL_cleanse(pt.data(), pt.size());
    return out;
  }
  Bytes Authenticate(ByteSpan key, ByteSpan message) const override {
    auto mac = HmacSha256(key, message);
    return Bytes(mac.begin(), mac.begin() + 16);
  }
};

class ProtocolTwo final : public PinUvAuthProtocol {
 public:
  uint8_t version() const override { return 2; }
  SecretBytes Kdf(const SecretBytes& z) const override {
    static const uint8_t kSalt[32] = {};
    SecretBytes hmac_key = HkdfSha256(kSalt, z.reveal(), "CTAP2 HMAC key");
    SecretBytes aes_key = HkdfSha256(kSalt, z.reveal(), "CTAP2 AES key");
    Bytes both(hmac_key.reveal().begin(), hmac_key.reveal().end());
    both.insert(both.end(), aes_key.reveal().begin(), aes_key.reveal().end());
    SecretBytes out(both);
    OPENSSL_cleanse(both.data(), both.size());
    return out;
  }
  Result<Bytes> Encrypt(const SecretBytes& shared, ByteSpan plaintext) const override {
    if (shared.size() != 64) return Fail(ErrorCode::kInvalidArgument, "protocol 2 shared secret");
    KW_ASSIGN_OR_RETURN(Bytes iv, RandomBytes(16));
    KW_ASSIGN_OR_RETURN(Bytes ct, Aes256CbcEncrypt(shared.reveal().subspan(32), iv, plaintext));
    iv.insert(iv.end(), ct.begin(), ct.end());
    return iv;
  }
  Result<SecretBytes> Decrypt(const SecretBytes& shared, ByteSpan ciphertext) const override {
    if (shared.size() != 64) return Fail(ErrorCode::kInvalidArgument, "protocol 2 shared secret");
    if (ciphertext.size() < 16) return Fail(ErrorCode::kInvalidArgument, "ciphertext too short");
    KW_ASSIGN_OR_RETURN(Bytes pt, Aes256CbcDecrypt(shared.reveal().subspan(32),
                                                   ciphertext.first(16), ciphertext.subspan(16)));
    SecretBytes out(pt);
    OPENSSL_cleanse(pt.data(), pt.size());
    return out;
  }
  Bytes Authenticate(ByteSpan key, ByteSpan message) const override {
    auto mac = HmacSha256(key.size() > 32 ? key.first(32) : key, message);
    return Bytes(mac.begin(), mac.end());
  }
};

}  // namespace

const PinUvAuthProtocol* PinUvAuthProtocol::ForVersion(int64_t version) {
  static const ProtocolOne kOne;
  static const ProtocolTwo kTwo;
  if (version == 1) return &kOne;
  if (version == 2) return &kTwo;
  return nullptr;
}

bool PinUvAuthProtocol::Verify(ByteSpan key, ByteSpan message, ByteSpan signature) const {
  Bytes expected = Authenticate(key, message);
  return signature.size() == expected.size() && ConstantTimeEqual(expected, signature);
}

}  // namespace keyward::softctap
