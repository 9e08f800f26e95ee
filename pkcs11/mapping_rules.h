// Certificate → account mapping rules (in the spirit of SSSD's certmap match/map rules, own
// grammar; see docs/pkcs11.md "Mapping rules"). One rule per line:
//
//   rule NAME: TERM [ (&& | ||) TERM ]... => SOURCE
//
//   TERM   := <SUBJECT>REGEX | <ISSUER>REGEX | <KU>NAME[,NAME]... | <EKU>NAME|OID[,NAME|OID]...
//           | <SAN:upn>REGEX | <SAN:email>REGEX | <SAN:dns>REGEX | <SAN:uri>REGEX
//   SOURCE := upn | upn-user | email | email-user | cn | subject | issuer-serial | fingerprint |
//   sid
//
// Tokens are separated by blanks, so a REGEX contains no blank (write \s or \x20). `&&` binds
// tighter than `||`; no parentheses. REGEX is ECMAScript, searched (unanchored unless it anchors
// itself) in the RFC 2253 subject/issuer string or in each SAN entry of the type. KU and EKU
// terms require every listed usage. Blank lines and lines starting with `#` are ignored.
// Rules are tried in file order; the first rule whose match holds AND whose source the
// certificate has (e.g. a UPN) gives the account.
//
// Invariants: Parse is strict (unknown kind, source, KU/EKU name, malformed OID or regex,
// duplicate rule name, missing operand, over-long input → kMappingRuleInvalid with the line
// number in the detail); a parsed rule set is immutable and safe to share between threads.
#ifndef KEYWARD_PKCS11_MAPPING_RULES_H_
#define KEYWARD_PKCS11_MAPPING_RULES_H_

#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "core/x509.h"

namespace keyward::pkcs11 {

// What the rules look at, read once from a certificate.
struct CertificateFacts {
  std::string subject, issuer, serial_hex, fingerprint_hex;
  std::vector<std::string> cn;
  uint32_t key_usage = 0;
  bool has_key_usage = false;
  std::vector<std::string> ekus;  // dotted
  std::vector<std::string> san_upn, san_email, san_dns, san_uri;
  std::vector<std::string> sid;  // szOID_NTDS_CA_SECURITY_EXT 1.3.6.1.4.1.311.25.2

  static CertificateFacts From(const Certificate& cert);
};

enum class MappingSource {
  kUpn,
  kUpnUser,
  kEmail,
  kEmailUser,
  kCn,
  kSubject,
  kIssuerSerial,
  kFingerprint,
  kSid
};
std::string_view MappingSourceName(MappingSource s);

struct MappedAccount {
  std::string account;
  std::string rule;    // the rule's name
  std::string source;  // MappingSourceName
};

class MappingRules {
 public:
  static Result<MappingRules> Parse(std::string_view text);
  static Result<MappingRules> LoadFile(const std::string& path);
  // The rule "default" : any certificate => upn (what `card login` uses without --rules).
  static MappingRules Default();

  Result<MappedAccount> Map(const Certificate& cert) const;
  Result<MappedAccount> Map(const CertificateFacts& facts) const;
  size_t size() const;

  struct Term;
  struct Rule;

 private:
  std::shared_ptr<const std::vector<Rule>> rules_;
};

}  // namespace keyward::pkcs11

#endif  // KEYWARD_PKCS11_MAPPING_RULES_H_
