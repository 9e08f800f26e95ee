// Fuzz target: the few request fields `keyward serve` reads itself (Beast parses HTTP):
// X-Forwarded-For behind trusted proxies, addresses/CIDRs, host:port, the API keys file and the
// config file parser. Invariants: no crash; a client address is always an address that parses.
#include <cstdlib>
#include <string>

#include "serve/api_keys.h"
#include "serve/config.h"
#include "serve/net_util.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  std::string_view text(reinterpret_cast<const char*>(data), size);
  using namespace keyward::serve;
  static const std::vector<Cidr> trusted = {*ParseCidr("10.0.0.0/8"), *ParseCidr("::1"),
                                            *ParseCidr("127.0.0.1")};
  std::string client = ClientAddress("10.1.2.3", text, trusted);
  if (!ParseIp(client)) std::abort();  // never a client-written non-address
  (void)ClientAddress("192.0.2.1", text, trusted);
  if (auto c = ParseCidr(text); c) (void)c->Contains(*ParseIp("::1"));
  (void)SplitHostPort(text);
  if (auto keys = ApiKeys::Parse(text); keys) (void)keys->Check(text);
  std::vector<ConfigProblem> problems;
  (void)ParseServeConfig(text, "", &problems);
  return 0;
}
