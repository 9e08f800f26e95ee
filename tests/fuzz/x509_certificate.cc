// Fuzz target: Certificate::ParseDer (core/x509.h), differentially against plain d2i_X509. The
// decoder bypass must never change what is accepted, nor the certificate or key a parse yields:
// for any input, ParseDer succeeds exactly when d2i_X509 parses the whole input, and then both
// encode to the same bytes, compare equal and hold the same public key (or none). Any difference
// aborts. Seeds: certificates with EC P-256/P-384/P-521 (compressed and uncompressed points),
// RSA, Ed25519 and explicit-curve keys.
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/x509.h>

#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <span>

#include "core/x509.h"

namespace {

keyward::Bytes I2d(X509* x) {
  unsigned char* out = nullptr;
  const int len = i2d_X509(x, &out);
  keyward::Bytes b;
  if (len > 0) b.assign(out, out + len);
  OPENSSL_free(out);
  return b;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const std::span<const uint8_t> der(data, size);
  const unsigned char* p = data;
  keyward::X509Ptr plain(d2i_X509(nullptr, &p, static_cast<long>(size)));  // NOLINT(runtime/int)
  const bool plain_ok = plain && p == data + size;
  ERR_clear_error();
  for (auto role : {keyward::CertificateRole::kEndEntity, keyward::CertificateRole::kIssuer}) {
    auto c = keyward::Certificate::ParseDer(der, role);
    if (c.has_value() != plain_ok) std::abort();
    if (!c) continue;
    if (I2d(c->get()) != I2d(plain.get())) std::abort();
    if (X509_cmp(c->get(), plain.get()) != 0) std::abort();
    EVP_PKEY* a = c->public_key();
    EVP_PKEY* b = X509_get0_pubkey(plain.get());
    if ((a == nullptr) != (b == nullptr)) std::abort();
    if (a && EVP_PKEY_eq(a, b) != 1) std::abort();
    ERR_clear_error();
  }
  return 0;
}
