// Fuzz target: OCSP response verification (pkcs11/ocsp_client.h VerifyOcspResponse), i.e.
// everything keyward does with a responder's body: DER parsing, response status, basic response,
// signature and signer authorisation, nonce, certificate id, freshness. The CA and leaf below are
// fixed (made with `openssl req`/`openssl x509`) and the seed corpus holds real `openssl ocsp`
// responses for that leaf signed by that CA, so mutations reach the checks after the signature.
// The first input byte picks the options (nonce required or not); the rest is the response.
#include <cstddef>
#include <cstdint>
#include <span>

#include "pkcs11/ocsp_client.h"

namespace {

constexpr char kCaPem[] = R"(-----BEGIN CERTIFICATE-----
MIIBpzCCAUygAwIBAgIBATAKBggqhkjOPQQDAjApMRUwEwYDVQQKDAxrZXl3YXJk
IGZ1enoxEDAOBgNVBAMMB0Z1enogQ0EwIBcNMjYxMjAxMjIxMTU5WhgPMjEyNjEx
MDcyMjExNTlaMCkxFTATBgNVBAoMDGtleXdhcmQgZnV6ejEQMA4GA1UEAwwHRnV6
eiBDQTBZMBMGByqGSM49AgEGCCqGSM49AwEHA0IABNu7iyocu6/OV5dsWqq1EotZ
9FtQeKnwgZzUDTpP+Rva2m1JVWriY31W5FkZ+RdlGly3grEBPPteaZJ3uujDGPej
YzBhMB0GA1UdDgQWBBRIV+5sJukjf3uOy1zkKN4SeMoJSDAfBgNVHSMEGDAWgBRI
V+5sJukjf3uOy1zkKN4SeMoJSDAPBgNVHRMBAf8EBTADAQH/MA4GA1UdDwEB/wQE
AwIBhjAKBggqhkjOPQQDAgNJADBGAiEAuapEDAq5gtSKNtMruahBH3tP8vgR4YSu
7Z897IgxCYsCIQDRNZWQxkSUBM1nAWsc3V5UDvG8PGssZm43pG+YeYhncw==
-----END CERTIFICATE-----
)";
constexpr char kLeafPem[] = R"(-----BEGIN CERTIFICATE-----
MIIBOjCB4AICEjQwCgYIKoZIzj0EAwIwKTEVMBMGA1UECgwMa2V5d2FyZCBmdXp6
MRAwDgYDVQQDDAdGdXp6IENBMCAXDTI2MTIwMTIyMTE1OVoYDzIxMjYxMTA3MjIx
MTU5WjAmMRUwEwYDVQQKDAxrZXl3YXJkIGZ1enoxDTALBgNVBAMMBExlYWYwWTAT
BgcqhkjOPQIBBggqhkjOPQMBBwNCAAQCwz7DZBy9Ou5VC18FZhdXbLL1A5jPcCaz
Zu+rCVfPO+hIHhgsF1sdG5nhRk/H3lqMnesHbnoo7qBz20ajTD5UMAoGCCqGSM49
BAMCA0kAMEYCIQDpXaOyQeND1p3PR4qSltRrO6/CSJcSLxv806OSnA2FYgIhAK83
Wq0yhp8mrUqJOhCFGaUVKUjjtbX0nYy+410kjK1/
-----END CERTIFICATE-----
)";
// Shortly after the seeds' thisUpdate (2026-12-01); their nextUpdate is 100 years later.
constexpr int64_t kNow = 1796163200;

struct Fixture {
  keyward::Certificate ca, leaf;
  static const Fixture& Get() {
    static const Fixture* f = [] {
      auto ca = keyward::Certificate::ParsePem(kCaPem);
      auto leaf = keyward::Certificate::ParsePem(kLeafPem);
      if (!ca || !leaf || ca->empty() || leaf->empty()) __builtin_trap();
      return new Fixture{std::move((*ca)[0]), std::move((*leaf)[0])};
    }();
    return *f;
  }
};

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  if (size < 1) return 0;
  const Fixture& f = Fixture::Get();
  keyward::pkcs11::OcspOptions options;
  options.require_nonce = (data[0] & 1) != 0;
  const uint8_t nonce[32] = {1, 2, 3, 4, 5, 6, 7, 8};
  std::span<const keyward::Certificate> trusted(&f.ca, 1);
  (void)keyward::pkcs11::VerifyOcspResponse(std::span<const uint8_t>(data + 1, size - 1), f.leaf,
                                            f.ca, trusted, nonce, options, kNow);
  return 0;
}
