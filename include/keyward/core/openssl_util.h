// RAII owners for OpenSSL objects and a helper that drains OpenSSL's error queue into a detail
// string (never containing key material).
#ifndef KEYWARD_CORE_OPENSSL_UTIL_H_
#define KEYWARD_CORE_OPENSSL_UTIL_H_

#include <openssl/bn.h>
#include <openssl/evp.h>
#include <openssl/x509.h>
#include <openssl/x509v3.h>

#include <memory>
#include <string>

#include "keyward/bytes.h"
#include "keyward/export.h"

KEYWARD_API_BEGIN

namespace keyward {

template <typename T, void (*F)(T*)>
struct OsslDeleter {
  void operator()(T* p) const { F(p); }
};
using EvpPkeyPtr = std::unique_ptr<EVP_PKEY, OsslDeleter<EVP_PKEY, EVP_PKEY_free>>;
using EvpPkeyCtxPtr = std::unique_ptr<EVP_PKEY_CTX, OsslDeleter<EVP_PKEY_CTX, EVP_PKEY_CTX_free>>;
using EvpMdCtxPtr = std::unique_ptr<EVP_MD_CTX, OsslDeleter<EVP_MD_CTX, EVP_MD_CTX_free>>;
using BignumPtr = std::unique_ptr<BIGNUM, OsslDeleter<BIGNUM, BN_free>>;
using X509Ptr = std::unique_ptr<X509, OsslDeleter<X509, X509_free>>;
using X509StorePtr = std::unique_ptr<X509_STORE, OsslDeleter<X509_STORE, X509_STORE_free>>;
using X509StoreCtxPtr =
    std::unique_ptr<X509_STORE_CTX, OsslDeleter<X509_STORE_CTX, X509_STORE_CTX_free>>;
using X509CrlPtr = std::unique_ptr<X509_CRL, OsslDeleter<X509_CRL, X509_CRL_free>>;

// Returns the oldest queued OpenSSL error as text (or `fallback`) and clears the queue.
std::string TakeOpensslError(const char* fallback);

// A key's public half as the algorithm encodes it (an EC point's SEC 1 octets in the key's own
// form; the raw key for X25519/Ed25519 ...), empty when it has none. Through
// EVP_PKEY_get1_encoded_public_key, which answers for provider keys and for keys backed by
// low-level EC_KEY objects (certificates core/x509 parsed without the decoder) alike; the
// "encoded-pub-key" and "pub" parameters do not for the latter.
Bytes EncodedPublicKey(EVP_PKEY* key);

}  // namespace keyward

KEYWARD_API_END

#endif  // KEYWARD_CORE_OPENSSL_UTIL_H_
