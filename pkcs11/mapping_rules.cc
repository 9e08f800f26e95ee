#include "pkcs11/mapping_rules.h"

#include <openssl/objects.h>
#include <openssl/x509v3.h>

#include <algorithm>
#include <cctype>
#include <set>

// GCC 12 with -fsanitize=address reports a false -Wmaybe-uninitialized inside libstdc++'s
// <regex> (std::function in _State); the diagnostic is disabled for that header only.
#if defined(__GNUC__) && !defined(__clang__)
#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wmaybe-uninitialized"
#include <regex>
#pragma GCC diagnostic pop
#else
#include <regex>
#endif

#include "core/text_lines.h"

namespace keyward::pkcs11 {

struct MappingRules::Term {
  enum class Kind { kSubject, kIssuer, kKu, kEku, kSanUpn, kSanEmail, kSanDns, kSanUri };
  Kind kind = Kind::kSubject;
  std::regex re;
  uint32_t ku_bits = 0;
  std::vector<std::string> ekus;
};

struct MappingRules::Rule {
  std::string name;
  std::vector<std::vector<Term>> any_of;  // OR of AND groups
  MappingSource source = MappingSource::kUpn;
};

namespace {

constexpr size_t kMaxRulesBytes = 64 * 1024;
constexpr size_t kMaxRules = 256;
constexpr size_t kMaxTermsPerRule = 32;
constexpr size_t kMaxRegexLength = 256;
constexpr char kUpnOid[] = "1.3.6.1.4.1.311.20.2.3";
constexpr char kSidExtensionOid[] = "1.3.6.1.4.1.311.25.2";
constexpr char kSidOtherNameOid[] = "1.3.6.1.4.1.311.25.2.1";

struct NamedValue {
  const char* name;
  uint32_t value;
};
constexpr NamedValue kKeyUsages[] = {
    {"digitalSignature", KU_DIGITAL_SIGNATURE},
    {"nonRepudiation", KU_NON_REPUDIATION},
    {"keyEncipherment", KU_KEY_ENCIPHERMENT},
    {"dataEncipherment", KU_DATA_ENCIPHERMENT},
    {"keyAgreement", KU_KEY_AGREEMENT},
    {"keyCertSign", KU_KEY_CERT_SIGN},
    {"cRLSign", KU_CRL_SIGN},
    {"encipherOnly", KU_ENCIPHER_ONLY},
    {"decipherOnly", KU_DECIPHER_ONLY},
};

struct NamedOid {
  const char* name;
  const char* oid;
};
constexpr NamedOid kEkus[] = {
    {"serverAuth", "1.3.6.1.5.5.7.3.1"},          {"clientAuth", "1.3.6.1.5.5.7.3.2"},
    {"codeSigning", "1.3.6.1.5.5.7.3.3"},         {"emailProtection", "1.3.6.1.5.5.7.3.4"},
    {"timeStamping", "1.3.6.1.5.5.7.3.8"},        {"OCSPSigning", "1.3.6.1.5.5.7.3.9"},
    {"smartcardLogon", "1.3.6.1.4.1.311.20.2.2"}, {"pkinitKPClientAuth", "1.3.6.1.5.2.3.4"},
    {"anyExtendedKeyUsage", "2.5.29.37.0"},
};

constexpr std::pair<const char*, MappingSource> kSources[] = {
    {"upn", MappingSource::kUpn},
    {"upn-user", MappingSource::kUpnUser},
    {"email", MappingSource::kEmail},
    {"email-user", MappingSource::kEmailUser},
    {"cn", MappingSource::kCn},
    {"subject", MappingSource::kSubject},
    {"issuer-serial", MappingSource::kIssuerSerial},
    {"fingerprint", MappingSource::kFingerprint},
    {"sid", MappingSource::kSid},
};

Unexpected RuleError(size_t line, const std::string& what) {
  return Fail(ErrorCode::kMappingRuleInvalid, "line " + std::to_string(line) + ": " + what);
}

bool IsDottedOid(std::string_view s) {
  if (s.empty() || s.size() > 100) return false;
  size_t arcs = 0;
  size_t start = 0;
  while (start <= s.size()) {
    size_t dot = s.find('.', start);
    std::string_view arc = s.substr(start, dot == std::string_view::npos ? s.npos : dot - start);
    if (arc.empty() || arc.size() > 18) return false;
    if (!std::all_of(arc.begin(), arc.end(), [](char c) { return c >= '0' && c <= '9'; })) {
      return false;
    }
    if (arc.size() > 1 && arc[0] == '0') return false;
    if (arcs == 0 && (arc.size() != 1 || arc[0] > '2')) return false;
    ++arcs;
    if (dot == std::string_view::npos) break;
    start = dot + 1;
  }
  return arcs >= 2;
}

std::vector<std::string_view> SplitList(std::string_view s) {
  std::vector<std::string_view> out;
  size_t start = 0;
  while (true) {
    size_t comma = s.find(',', start);
    out.push_back(s.substr(start, comma == s.npos ? s.npos : comma - start));
    if (comma == s.npos) break;
    start = comma + 1;
  }
  return out;
}

std::vector<std::string_view> Tokens(std::string_view line) {
  std::vector<std::string_view> out;
  size_t i = 0;
  while (i < line.size()) {
    while (i < line.size() && (line[i] == ' ' || line[i] == '\t')) ++i;
    size_t start = i;
    while (i < line.size() && line[i] != ' ' && line[i] != '\t') ++i;
    if (i > start) out.push_back(line.substr(start, i - start));
  }
  return out;
}

// Checks done before std::regex sees a pattern. libstdc++'s regex compiler overflows (undefined
// behaviour, found by the fuzzer) on long numbers in back-references and {m,n} quantifiers, and it
// accepts stacked quantifiers (`a**`, invalid ECMAScript) that make matching blow up. Refused: a
// backslash before a digit (back-references, octal escapes), quantifier numbers of more than 4
// digits, a quantifier directly after a quantifier (the lazy `?` excepted).
bool RegexIsSupported(std::string_view p) {
  bool in_braces = false, in_class = false, prev_quant = false, prev_lazy = false;
  size_t digits = 0;
  for (size_t i = 0; i < p.size(); ++i) {
    char c = p[i];
    if (c == '\\') {
      if (i + 1 < p.size() && p[i + 1] >= '0' && p[i + 1] <= '9') return false;
      ++i;
      digits = 0;
      prev_quant = prev_lazy = false;
      continue;
    }
    if (in_class) {
      if (c == ']') in_class = false;
      prev_quant = prev_lazy = false;
      continue;
    }
    if (in_braces) {
      if (c == '}') {
        in_braces = false;
        prev_quant = true;
        prev_lazy = false;
      } else if (c >= '0' && c <= '9') {
        if (++digits > 4) return false;
      } else {
        digits = 0;
      }
      continue;
    }
    bool quant = c == '*' || c == '+' || c == '?' || c == '{';
    if (quant && prev_quant) {
      if (c == '?' && !prev_lazy) {
        prev_lazy = true;
        continue;
      }
      return false;
    }
    if (c == '{') {
      in_braces = true;
      digits = 0;
      continue;
    }
    if (c == '[') in_class = true;
    prev_quant = quant;
    prev_lazy = false;
  }
  return true;
}

Result<std::regex> CompileRegex(std::string_view pattern, size_t line) {
  if (pattern.empty()) return RuleError(line, "empty pattern");
  if (pattern.size() > kMaxRegexLength) return RuleError(line, "pattern too long");
  if (!RegexIsSupported(pattern)) {
    return RuleError(line, "back-references, stacked quantifiers or quantifiers above 9999");
  }
  try {
    return std::regex(std::string(pattern), std::regex::ECMAScript | std::regex::nosubs);
  } catch (const std::regex_error&) {
    return RuleError(line, "malformed regular expression");
  }
}

Result<MappingRules::Term> ParseTerm(std::string_view tok, size_t line) {
  using Kind = MappingRules::Term::Kind;
  if (tok.empty() || tok[0] != '<') return RuleError(line, "expected <KIND>VALUE");
  size_t close = tok.find('>');
  if (close == tok.npos) return RuleError(line, "unterminated <KIND>");
  std::string_view kind = tok.substr(1, close - 1);
  std::string_view value = tok.substr(close + 1);
  if (value.empty()) return RuleError(line, "term without a value");
  MappingRules::Term t;
  if (kind == "SUBJECT" || kind == "ISSUER" || kind.substr(0, 4) == "SAN:") {
    if (kind == "SUBJECT") {
      t.kind = Kind::kSubject;
    } else if (kind == "ISSUER") {
      t.kind = Kind::kIssuer;
    } else if (kind == "SAN:upn") {
      t.kind = Kind::kSanUpn;
    } else if (kind == "SAN:email") {
      t.kind = Kind::kSanEmail;
    } else if (kind == "SAN:dns") {
      t.kind = Kind::kSanDns;
    } else if (kind == "SAN:uri") {
      t.kind = Kind::kSanUri;
    } else {
      return RuleError(line, "unknown SAN type");
    }
    KW_ASSIGN_OR_RETURN(t.re, CompileRegex(value, line));
    return t;
  }
  if (kind == "KU") {
    t.kind = Kind::kKu;
    for (std::string_view name : SplitList(value)) {
      auto it = std::find_if(std::begin(kKeyUsages), std::end(kKeyUsages),
                             [&](const NamedValue& n) { return name == n.name; });
      if (it == std::end(kKeyUsages)) return RuleError(line, "unknown key usage");
      t.ku_bits |= it->value;
    }
    return t;
  }
  if (kind == "EKU") {
    t.kind = Kind::kEku;
    for (std::string_view name : SplitList(value)) {
      auto it = std::find_if(std::begin(kEkus), std::end(kEkus),
                             [&](const NamedOid& n) { return name == n.name; });
      if (it != std::end(kEkus)) {
        t.ekus.emplace_back(it->oid);
      } else if (IsDottedOid(name)) {
        t.ekus.emplace_back(name);
      } else {
        return RuleError(line, "unknown extended key usage");
      }
    }
    return t;
  }
  return RuleError(line, "unknown term kind");
}

bool SearchAny(const std::regex& re, const std::vector<std::string>& values) {
  for (const auto& v : values) {
    if (std::regex_search(v, re)) return true;
  }
  return false;
}

bool Holds(const MappingRules::Term& t, const CertificateFacts& f) {
  using Kind = MappingRules::Term::Kind;
  switch (t.kind) {
    case Kind::kSubject:
      return std::regex_search(f.subject, t.re);
    case Kind::kIssuer:
      return std::regex_search(f.issuer, t.re);
    case Kind::kKu:
      return f.has_key_usage && (f.key_usage & t.ku_bits) == t.ku_bits;
    case Kind::kEku:
      return std::all_of(t.ekus.begin(), t.ekus.end(), [&](const std::string& oid) {
        return std::find(f.ekus.begin(), f.ekus.end(), oid) != f.ekus.end();
      });
    case Kind::kSanUpn:
      return SearchAny(t.re, f.san_upn);
    case Kind::kSanEmail:
      return SearchAny(t.re, f.san_email);
    case Kind::kSanDns:
      return SearchAny(t.re, f.san_dns);
    case Kind::kSanUri:
      return SearchAny(t.re, f.san_uri);
  }
  return false;
}

std::string LocalPart(const std::string& s) { return s.substr(0, s.find('@')); }

std::optional<std::string> Extract(MappingSource src, const CertificateFacts& f) {
  auto first = [](const std::vector<std::string>& v) -> std::optional<std::string> {
    if (v.empty() || v.front().empty()) return std::nullopt;
    return v.front();
  };
  switch (src) {
    case MappingSource::kUpn:
      return first(f.san_upn);
    case MappingSource::kUpnUser: {
      auto u = first(f.san_upn);
      if (!u || LocalPart(*u).empty()) return std::nullopt;
      return LocalPart(*u);
    }
    case MappingSource::kEmail:
      return first(f.san_email);
    case MappingSource::kEmailUser: {
      auto e = first(f.san_email);
      if (!e || LocalPart(*e).empty()) return std::nullopt;
      return LocalPart(*e);
    }
    case MappingSource::kCn:
      return first(f.cn);
    case MappingSource::kSubject:
      if (f.subject.empty()) return std::nullopt;
      return f.subject;
    case MappingSource::kIssuerSerial:
      return f.issuer + "/" + f.serial_hex;
    case MappingSource::kFingerprint:
      return "sha256:" + f.fingerprint_hex;
    case MappingSource::kSid:
      return first(f.sid);
  }
  return std::nullopt;
}

std::string Asn1StringToUtf8(const ASN1_STRING* s) {
  if (!s) return {};
  unsigned char* out = nullptr;
  int len = ASN1_STRING_to_UTF8(&out, s);
  if (len < 0) return {};
  std::string r(reinterpret_cast<char*>(out), static_cast<size_t>(len));
  OPENSSL_free(out);
  return r;
}

bool OtherNameIs(const OTHERNAME* on, const char* oid) {
  char buf[128];
  if (!on || !on->type_id) return false;
  int n = OBJ_obj2txt(buf, sizeof(buf), on->type_id, 1);
  return n > 0 && static_cast<size_t>(n) < sizeof(buf) && std::string_view(buf) == oid;
}

}  // namespace

std::string_view MappingSourceName(MappingSource s) {
  for (const auto& [name, src] : kSources) {
    if (src == s) return name;
  }
  return "unknown";
}

CertificateFacts CertificateFacts::From(const Certificate& cert) {
  CertificateFacts f;
  f.subject = cert.Subject();
  f.issuer = cert.Issuer();
  f.serial_hex = cert.SerialHex();
  f.fingerprint_hex = HexEncode(cert.Fingerprint());
  f.cn = cert.SubjectAttribute("CN");
  if (auto ku = cert.KeyUsage()) {
    f.has_key_usage = true;
    f.key_usage = *ku;
  }
  f.ekus = cert.ExtendedKeyUsages();
  auto* names = static_cast<GENERAL_NAMES*>(
      X509_get_ext_d2i(cert.get(), NID_subject_alt_name, nullptr, nullptr));
  for (int i = 0; names && i < sk_GENERAL_NAME_num(names); ++i) {
    const GENERAL_NAME* g = sk_GENERAL_NAME_value(names, i);
    switch (g->type) {
      case GEN_EMAIL:
        f.san_email.push_back(Asn1StringToUtf8(g->d.rfc822Name));
        break;
      case GEN_DNS:
        f.san_dns.push_back(Asn1StringToUtf8(g->d.dNSName));
        break;
      case GEN_URI:
        f.san_uri.push_back(Asn1StringToUtf8(g->d.uniformResourceIdentifier));
        break;
      case GEN_OTHERNAME:
        if (OtherNameIs(g->d.otherName, kUpnOid) && g->d.otherName->value &&
            g->d.otherName->value->type == V_ASN1_UTF8STRING) {
          f.san_upn.push_back(Asn1StringToUtf8(g->d.otherName->value->value.utf8string));
        }
        break;
      default:
        break;
    }
  }
  GENERAL_NAMES_free(names);
  // Microsoft's SID extension: GeneralNames with otherName 1.3.6.1.4.1.311.25.2.1 OCTET STRING.
  if (auto ext = cert.ExtensionValue(kSidExtensionOid)) {
    const unsigned char* p = ext->data();
    GENERAL_NAMES* sid_names = d2i_GENERAL_NAMES(nullptr, &p, static_cast<long>(ext->size()));
    for (int i = 0; sid_names && i < sk_GENERAL_NAME_num(sid_names); ++i) {
      const GENERAL_NAME* g = sk_GENERAL_NAME_value(sid_names, i);
      if (g->type == GEN_OTHERNAME && OtherNameIs(g->d.otherName, kSidOtherNameOid) &&
          g->d.otherName->value && g->d.otherName->value->type == V_ASN1_OCTET_STRING) {
        const ASN1_OCTET_STRING* os = g->d.otherName->value->value.octet_string;
        std::string sid(reinterpret_cast<const char*>(ASN1_STRING_get0_data(os)),
                        static_cast<size_t>(ASN1_STRING_length(os)));
        if (sid.rfind("S-", 0) == 0) f.sid.push_back(std::move(sid));
      }
    }
    GENERAL_NAMES_free(sid_names);
  }
  return f;
}

Result<MappingRules> MappingRules::Parse(std::string_view text) {
  if (text.size() > kMaxRulesBytes) return Fail(ErrorCode::kMappingRuleInvalid, "rules too large");
  auto rules = std::make_shared<std::vector<Rule>>();
  std::set<std::string> names;
  TextLines lines(text);
  std::string_view line;
  while (lines.Next(line)) {
    const size_t line_no = lines.number();
    for (char c : line) {
      if (static_cast<unsigned char>(c) < 0x20 && c != '\t') {
        return RuleError(line_no, "control character");
      }
    }
    auto tokens = Tokens(line);
    if (tokens.empty() || tokens[0][0] == '#') continue;
    if (tokens[0] != "rule") return RuleError(line_no, "expected 'rule'");
    if (tokens.size() < 5) return RuleError(line_no, "expected rule NAME: TERM => SOURCE");
    std::string_view name = tokens[1];
    if (name.size() < 2 || name.back() != ':') return RuleError(line_no, "expected NAME:");
    name.remove_suffix(1);
    if (name.size() > 64 || !std::all_of(name.begin(), name.end(), [](char c) {
          return std::isalnum(static_cast<unsigned char>(c)) || c == '-' || c == '_' || c == '.';
        })) {
      return RuleError(line_no, "rule name must be [A-Za-z0-9._-]{1,64}");
    }
    if (!names.insert(std::string(name)).second) return RuleError(line_no, "duplicate rule name");
    if (tokens[tokens.size() - 2] != "=>") return RuleError(line_no, "expected => SOURCE at end");
    std::string_view source = tokens.back();
    auto src = std::find_if(std::begin(kSources), std::end(kSources),
                            [&](const auto& s) { return source == s.first; });
    if (src == std::end(kSources)) return RuleError(line_no, "unknown mapping source");
    Rule rule;
    rule.name = std::string(name);
    rule.source = src->second;
    rule.any_of.emplace_back();
    size_t terms = 0;
    bool expect_term = true;
    for (size_t i = 2; i + 2 < tokens.size(); ++i) {
      std::string_view tok = tokens[i];
      if (expect_term) {
        if (tok == "&&" || tok == "||" || tok == "=>") return RuleError(line_no, "missing term");
        if (++terms > kMaxTermsPerRule) return RuleError(line_no, "too many terms");
        KW_ASSIGN_OR_RETURN(Term t, ParseTerm(tok, line_no));
        rule.any_of.back().push_back(std::move(t));
        expect_term = false;
      } else if (tok == "&&") {
        expect_term = true;
      } else if (tok == "||") {
        rule.any_of.emplace_back();
        expect_term = true;
      } else {
        return RuleError(line_no, "expected && or ||");
      }
    }
    if (expect_term) return RuleError(line_no, "missing term");
    if (rules->size() >= kMaxRules) return RuleError(line_no, "too many rules");
    rules->push_back(std::move(rule));
  }
  if (rules->empty()) return Fail(ErrorCode::kMappingRuleInvalid, "no rules");
  MappingRules out;
  out.rules_ = std::move(rules);
  return out;
}

Result<MappingRules> MappingRules::LoadFile(const std::string& path) {
  KW_ASSIGN_OR_RETURN(std::string text, ReadFileToString(path, kMaxRulesBytes + 1));
  return Parse(text);
}

MappingRules MappingRules::Default() {
  auto r = Parse(
      "rule default-upn: <SUBJECT>.* => upn\n"
      "rule default-email: <SUBJECT>.* => email\n");
  if (!r) std::abort();  // constant input
  return std::move(*r);
}

size_t MappingRules::size() const { return rules_ ? rules_->size() : 0; }

Result<MappedAccount> MappingRules::Map(const Certificate& cert) const {
  return Map(CertificateFacts::From(cert));
}

Result<MappedAccount> MappingRules::Map(const CertificateFacts& facts) const {
  if (!rules_) return Fail(ErrorCode::kMappingNoMatch, "no rules");
  for (const Rule& rule : *rules_) {
    bool match = std::any_of(rule.any_of.begin(), rule.any_of.end(), [&](const auto& group) {
      return std::all_of(group.begin(), group.end(),
                         [&](const Term& t) { return Holds(t, facts); });
    });
    if (!match) continue;
    auto account = Extract(rule.source, facts);
    if (!account) continue;
    return MappedAccount{std::move(*account), rule.name,
                         std::string(MappingSourceName(rule.source))};
  }
  return Fail(ErrorCode::kMappingNoMatch, "no mapping rule matches the certificate");
}

}  // namespace keyward::pkcs11
