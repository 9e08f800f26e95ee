// SHA-2 digests used across WebAuthn (rpIdHash, clientDataHash), PIV and PKCS#11 signing.
#ifndef KEYWARD_CORE_HASH_H_
#define KEYWARD_CORE_HASH_H_

#include <initializer_list>

#include "keyward/bytes.h"
#include "keyward/export.h"

KEYWARD_API_BEGIN

namespace keyward {

enum class HashAlgorithm { kSha1, kSha256, kSha384, kSha512 };

Sha256Digest Sha256(ByteSpan data);
// SHA-256 over the concatenation of the parts, without building the concatenation.
Sha256Digest Sha256(std::initializer_list<ByteSpan> parts);
Bytes Digest(HashAlgorithm alg, ByteSpan data);
Bytes Digest(HashAlgorithm alg, std::initializer_list<ByteSpan> parts);
size_t DigestSize(HashAlgorithm alg);

// The DigestInfo DER of RFC 8017 §9.2 step 2 (what RSASSA-PKCS1-v1_5 signs) for SHA-256/384/512.
// kInvalidArgument when the digest length does not fit the hash, kUnsupportedAlgorithm otherwise.
Result<Bytes> DigestInfo(HashAlgorithm hash, ByteSpan digest);

// Cryptographically secure random bytes (OpenSSL's DRBG). kRandomFailure if it is not seeded.
Result<Bytes> RandomBytes(size_t n);

}  // namespace keyward

KEYWARD_API_END

#endif  // KEYWARD_CORE_HASH_H_
