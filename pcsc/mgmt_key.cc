#include "pcsc/mgmt_key.h"

#include <openssl/evp.h>

#include "core/openssl_util.h"

namespace keyward::pcsc::piv {
namespace {
size_t KeyLength(Algorithm a) {
  switch (a) {
    case Algorithm::kTripleDes: return 24;
    case Algorithm::kAes128: return 16;
    case Algorithm::kAes192: return 24;
    case Algorithm::kAes256: return 32;
    default: return 0;
  }
}

const EVP_CIPHER* Cipher(Algorithm a) {
  switch (a) {
    case Algorithm::kTripleDes: return EVP_des_ede3_ecb();
    case Algorithm::kAes128: return EVP_aes_128_ecb();
    case Algorithm::kAes192: return EVP_aes_192_ecb();
    case Algorithm::kAes256: return EVP_aes_256_ecb();
    default: return nullptr;
  }
}

using CipherCtxPtr = std::unique_ptr<EVP_CIPHER_CTX, OsslDeleter<EVP_CIPHER_CTX, EVP_CIPHER_CTX_free>>;

Result<Bytes> Crypt(Algorithm alg, const SecretBytes& key, ByteSpan block, bool encrypt) {
  if (block.size() != AlgorithmBlockSize(alg)) {
    return Fail(ErrorCode::kInvalidArgument, "management key: wrong block length");
  }
  CipherCtxPtr ctx(EVP_CIPHER_CTX_new());
  if (!ctx || EVP_CipherInit_ex(ctx.get(), Cipher(alg), nullptr, key.reveal().data(), nullptr,
                                encrypt ? 1 : 0) != 1) {
    return Fail(ErrorCode::kCryptoInternal, TakeOpensslError("cipher init"));
  }
  EVP_CIPHER_CTX_set_padding(ctx.get(), 0);
  Bytes out(block.size() + 32);
  int n = 0, m = 0;
  if (EVP_CipherUpdate(ctx.get(), out.data(), &n, block.data(), static_cast<int>(block.size())) !=
          1 ||
      EVP_CipherFinal_ex(ctx.get(), out.data() + n, &m) != 1) {
    return Fail(ErrorCode::kCryptoInternal, TakeOpensslError("cipher"));
  }
  out.resize(static_cast<size_t>(n + m));
  return out;
}
}  // namespace

Result<ManagementKey> ManagementKey::Create(Algorithm alg, SecretBytes key) {
  if (!IsSymmetric(alg)) {
    return Fail(ErrorCode::kPivUnsupportedAlgorithm, "management key must be 3DES or AES");
  }
  if (key.size() != KeyLength(alg)) {
    return Fail(ErrorCode::kInvalidArgument, "management key length does not fit its algorithm");
  }
  return ManagementKey(alg, std::move(key));
}

ManagementKey ManagementKey::Default() {
  static constexpr uint8_t kDefault[24] = {1, 2, 3, 4, 5, 6, 7, 8, 1, 2, 3, 4,
                                           5, 6, 7, 8, 1, 2, 3, 4, 5, 6, 7, 8};
  return ManagementKey(Algorithm::kTripleDes, SecretBytes(ByteSpan(kDefault, sizeof(kDefault))));
}

Result<Bytes> ManagementKey::EncryptBlock(ByteSpan block) const {
  return Crypt(alg_, key_, block, true);
}
Result<Bytes> ManagementKey::DecryptBlock(ByteSpan block) const {
  return Crypt(alg_, key_, block, false);
}

}  // namespace keyward::pcsc::piv
