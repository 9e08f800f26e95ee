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

Result<Bytes> RandomBytes(size_t n) {
  Bytes out(n);
  if (n > 0 && RAND_bytes(out.data(), static_cast<int>(n)) != 1) {
    return Fail(ErrorCode::kRandomFailure, "RAND_bytes failed");
  }
  return out;
}

}  // namespace keyward
