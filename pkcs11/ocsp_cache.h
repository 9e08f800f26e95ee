// A directory of good OCSP answers for certificate login when the responder cannot be reached
// (OcspOptions::cache_dir; pam.conf card_ocsp_cache). One file per certificate, named by the
// hex SHA-256 of the issuer certificate's DER and the certificate's serial, holding the
// responder's signed OCSPResponse (DER) exactly as received.
//
// Invariants:
//  - Only answers that verified (signature, our nonce, freshness) with status good and a
//    nextUpdate still ahead are written; a revoked or unknown answer removes the entry.
//  - A cached answer is used only when the responder is unavailable, and only after it verifies
//    again (signature to the configured CAs, the certificate id) with status good and
//    thisUpdate <= now < nextUpdate, no clock skew allowance past nextUpdate. An answer without
//    nextUpdate is never cached.
//  - The directory must be owned by root or the process's user and not writable by group or
//    others, and is not a symbolic link; otherwise the cache is not used (neither read nor
//    written). Files are at most 16 KiB; at most kMaxEntries files: the oldest go first.
#ifndef KEYWARD_PKCS11_OCSP_CACHE_H_
#define KEYWARD_PKCS11_OCSP_CACHE_H_

#include <optional>
#include <string>

#include "core/bytes.h"
#include "core/x509.h"

namespace keyward::pkcs11 {

inline constexpr size_t kOcspCacheMaxEntries = 512;
inline constexpr size_t kOcspCacheMaxResponse = 16 * 1024;

std::string OcspCacheKey(const Certificate& leaf, const Certificate& issuer);

// The stored response, or nothing (no entry, an unusable directory, a bad file).
std::optional<Bytes> OcspCacheGet(const std::string& dir, const std::string& key);
// Creates the directory (mode 0700) when missing. Best effort: failures leave no entry.
void OcspCachePut(const std::string& dir, const std::string& key, ByteSpan der);
void OcspCacheRemove(const std::string& dir, const std::string& key);

}  // namespace keyward::pkcs11

#endif  // KEYWARD_PKCS11_OCSP_CACHE_H_
