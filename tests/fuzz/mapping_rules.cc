// Fuzz target: the certificate mapping-rule parser (pkcs11/mapping_rules.h). Parsing must never
// crash, hang or leak; a parsed rule set then maps a short fixed certificate (matching is a
// backtracking regex search over administrator-written rules: inputs are kept short here).
#include "pkcs11/mapping_rules.h"

#include <cstddef>
#include <cstdint>
#include <string_view>

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  std::string_view text(reinterpret_cast<const char*>(data), size);
  auto rules = keyward::pkcs11::MappingRules::Parse(text);
  if (rules) {
    keyward::pkcs11::CertificateFacts facts;
    facts.subject = "CN=Alice,O=keyward tests";
    facts.issuer = "CN=Corp CA,O=keyward tests";
    facts.cn = {"Alice"};
    facts.san_upn = {"alice@corp.example"};
    facts.san_email = {"alice@mail.example"};
    facts.ekus = {"1.3.6.1.4.1.311.20.2.2"};
    facts.has_key_usage = true;
    facts.key_usage = 0x80;
    (void)rules->Map(facts);
  }
  return 0;
}
