#include "core/hash.h"

#include <openssl/evp.h>
#include <openssl/rand.h>
#include <openssl/sha.h>

namespace keyward {
namespace {

const EVP_MD* Md(HashAlgorithm alg) {
  switch (alg) {
    case HashAlgorithm::kSha1:
      return EVP_sha1();
    case HashAlgorithm::kSha256:
      return EVP_sha256();
    case HashAlgorithm::kSha384:
      return EVP_sha384();
    case HashAlgorithm::kSha512:
      return EVP_sha512();
  }
  return EVP_sha256();
}

}  // namespace

Sha256Digest Sha256(ByteSpan data) {
  Sha256Digest out;
  SHA256(data.data(), data.size(), out.data());
  return out;
}

Sha256Digest Sha256(std::initializer_list<ByteSpan> parts) {
  Bytes joined;
  size_t total = 0;
  for (auto p : parts) total += p.size();
  joined.reserve(total);
  for (auto p : parts) joined.insert(joined.end(), p.begin(), p.end());
  return Sha256(joined);
}

size_t DigestSize(HashAlgorithm alg) { return static_cast<size_t>(EVP_MD_get_size(Md(alg))); }

Bytes Digest(HashAlgorithm alg, ByteSpan data) { return Digest(alg, {data}); }

Bytes Digest(HashAlgorithm alg, std::initializer_list<ByteSpan> parts) {
  Bytes out(DigestSize(alg));
  EVP_MD_CTX* ctx = EVP_MD_CTX_new();
  unsigned int len = 0;
  bool ok = ctx && EVP_DigestInit_ex(ctx, Md(alg), nullptr) == 1;
  for (auto p : parts) ok = ok && EVP_DigestUpdate(ctx, p.data(), p.size()) == 1;
  ok = ok && EVP_DigestFinal_ex(ctx, out.data(), &len) == 1;
  EVP_MD_CTX_free(ctx);
  if (!ok) std::abort();  // Only on allocation failure inside OpenSSL.
  return out;
}

Result<Bytes> DigestInfo(HashAlgorithm hash, ByteSpan digest) {
  // AlgorithmIdentifier prefixes from RFC 8017 §9.2 note 1.
  static constexpr uint8_t kSha256[] = {0x30, 0x31, 0x30, 0x0d, 0x06, 0x09, 0x60, 0x86, 0x48, 0x01,
                                        0x65, 0x03, 0x04, 0x02, 0x01, 0x05, 0x00, 0x04, 0x20};
  static constexpr uint8_t kSha384[] = {0x30, 0x41, 0x30, 0x0d, 0x06, 0x09, 0x60, 0x86, 0x48, 0x01,
                                        0x65, 0x03, 0x04, 0x02, 0x02, 0x05, 0x00, 0x04, 0x30};
  static constexpr uint8_t kSha512[] = {0x30, 0x51, 0x30, 0x0d, 0x06, 0x09, 0x60, 0x86, 0x48, 0x01,
                                        0x65, 0x03, 0x04, 0x02, 0x03, 0x05, 0x00, 0x04, 0x40};
  ByteSpan prefix;
  switch (hash) {
    case HashAlgorithm::kSha256:
      prefix = kSha256;
      break;
    case HashAlgorithm::kSha384:
      prefix = kSha384;
      break;
    case HashAlgorithm::kSha512:
      prefix = kSha512;
      break;
    default:
      return Fail(ErrorCode::kUnsupportedAlgorithm, "DigestInfo needs SHA-256/384/512");
  }
  if (digest.size() != DigestSize(hash)) return Fail(ErrorCode::kInvalidArgument, "digest size");
  Bytes out(prefix.begin(), prefix.end());
  out.insert(out.end(), digest.begin(), digest.end());
  return out;
}

Result<Bytes> RandomBytes(size_t n) {
  Bytes out(n);
  if (n > 0 && RAND_bytes(out.data(), static_cast<int>(n)) != 1) {
    return Fail(ErrorCode::kRandomFailure, "RAND_bytes failed");
  }
  return out;
}

}  // namespace keyward
