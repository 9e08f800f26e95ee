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

}  // namespace keyward
