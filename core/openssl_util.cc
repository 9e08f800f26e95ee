#include "core/openssl_util.h"

#include <openssl/err.h>

namespace keyward {

std::string TakeOpensslError(const char* fallback) {
  unsigned long e = ERR_get_error();  // NOLINT(runtime/int): OpenSSL's type
  std::string out = fallback;
  if (e != 0) {
    char buf[256];
    ERR_error_string_n(e, buf, sizeof(buf));
    out += " (";
    out += buf;
    out += ")";
  }
  ERR_clear_error();
  return out;
}

Bytes EncodedPublicKey(EVP_PKEY* key) {
  unsigned char* raw = nullptr;
  const size_t len = key ? EVP_PKEY_get1_encoded_public_key(key, &raw) : 0;
  Bytes out;
  if (raw != nullptr && len > 0) out.assign(raw, raw + len);
  OPENSSL_free(raw);
  return out;
}

}  // namespace keyward
