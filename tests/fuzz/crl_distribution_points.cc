// Fuzz target: the CRL distribution points of a certificate from an MDS BLOB's x5c
// (attestation/mds_fetch.h CrlDistributionPoints), the URLs keyward then downloads. Every URL
// returned must start with http:// or https:// (any case) and come from the certificate's bytes.
#include <cctype>
#include <cstdlib>
#include <string>
#include <string_view>

#include "attestation/mds_fetch.h"

namespace {

bool HasPrefixNoCase(std::string_view s, std::string_view prefix) {
  if (s.size() < prefix.size()) return false;
  for (size_t i = 0; i < prefix.size(); ++i) {
    if (std::tolower(static_cast<unsigned char>(s[i])) != prefix[i]) return false;
  }
  return true;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using namespace keyward;
  auto cert = Certificate::ParseDer(ByteSpan(data, size));
  if (!cert) return 0;
  std::string bytes(reinterpret_cast<const char*>(data), size);
  for (const std::string& url : attestation::CrlDistributionPoints(*cert)) {
    if (!HasPrefixNoCase(url, "http://") && !HasPrefixNoCase(url, "https://")) std::abort();
    if (bytes.find(url) == std::string::npos) std::abort();
  }
  return 0;
}
