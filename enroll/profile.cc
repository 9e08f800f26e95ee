#include "enroll/profile.h"

#include <openssl/asn1.h>
#include <openssl/err.h>
#include <openssl/objects.h>
#include <openssl/x509v3.h>

#include <cctype>
#include <charconv>

namespace keyward::enroll {
namespace {

using GeneralNamesPtr =
    std::unique_ptr<GENERAL_NAMES, OsslDeleter<GENERAL_NAMES, GENERAL_NAMES_free>>;
using AsnObjectPtr = std::unique_ptr<ASN1_OBJECT, OsslDeleter<ASN1_OBJECT, ASN1_OBJECT_free>>;

constexpr size_t kMaxField = 256;

bool ValidUtf8NoControls(std::string_view s) {
  size_t i = 0;
  while (i < s.size()) {
    unsigned char c = static_cast<unsigned char>(s[i]);
    size_t n = c < 0x80 ? 1 : (c >> 5) == 0x6 ? 2 : (c >> 4) == 0xE ? 3 : (c >> 3) == 0x1E ? 4 : 0;
    if (n == 0 || i + n > s.size()) return false;
    if (n == 1 && (c < 0x20 || c == 0x7F)) return false;
    uint32_t cp = n == 1 ? c : (c & (0xFF >> (n + 1)));
    for (size_t k = 1; k < n; ++k) {
      unsigned char cc = static_cast<unsigned char>(s[i + k]);
      if ((cc & 0xC0) != 0x80) return false;
      cp = (cp << 6) | (cc & 0x3F);
    }
    if ((n == 2 && cp < 0x80) || (n == 3 && cp < 0x800) || (n == 4 && cp < 0x10000) ||
        cp > 0x10FFFF || (cp >= 0xD800 && cp <= 0xDFFF) || (cp >= 0x80 && cp < 0xA0)) {
      return false;
    }
    i += n;
  }
  return true;
}

// local@domain: printable ASCII without blanks, one '@', a dotted domain without empty labels.
bool ValidAddress(std::string_view s) {
  if (s.empty() || s.size() > kMaxField) return false;
  size_t at = s.find('@');
  if (at == std::string_view::npos || at == 0 || at + 1 >= s.size() ||
      s.find('@', at + 1) != std::string_view::npos) {
    return false;
  }
  for (char c : s) {
    if (c <= 0x20 || c >= 0x7F || c == ',' || c == '<' || c == '>' || c == '"' || c == '\\') {
      return false;
    }
  }
  std::string_view domain = s.substr(at + 1);
  if (domain.front() == '.' || domain.back() == '.' ||
      domain.find("..") != std::string_view::npos) {
    return false;
  }
  for (char c : domain) {
    if (!(std::isalnum(static_cast<unsigned char>(c)) || c == '-' || c == '.')) return false;
  }
  return true;
}

Result<uint64_t> ParseDecimal(std::string_view s, uint64_t max) {
  if (s.empty() || s.size() > 20 || (s.size() > 1 && s[0] == '0')) {
    return Fail(ErrorCode::kEnrollSidInvalid, "SID component is not a decimal number");
  }
  uint64_t v = 0;
  auto [p, ec] = std::from_chars(s.data(), s.data() + s.size(), v);
  if (ec != std::errc() || p != s.data() + s.size() || v > max) {
    return Fail(ErrorCode::kEnrollSidInvalid, "SID component out of range");
  }
  return v;
}

Result<Bytes> I2d(GENERAL_NAMES* names) {
  unsigned char* der = nullptr;
  int len = i2d_GENERAL_NAMES(names, &der);
  if (len <= 0) return Fail(ErrorCode::kCryptoInternal, TakeOpensslError("i2d_GENERAL_NAMES"));
  Bytes out(der, der + len);
  OPENSSL_free(der);
  return out;
}

// otherName { type-id, [0] EXPLICIT value } with `value` of ASN.1 type `type`.
Result<GENERAL_NAME*> OtherName(const char* oid, int type, std::string_view value) {
  AsnObjectPtr obj(OBJ_txt2obj(oid, 1));
  ASN1_TYPE* v = ASN1_TYPE_new();
  ASN1_STRING* s = ASN1_STRING_type_new(type);
  GENERAL_NAME* gn = GENERAL_NAME_new();
  if (!obj || !v || !s || !gn ||
      ASN1_STRING_set(s, value.data(), static_cast<int>(value.size())) != 1) {
    ASN1_TYPE_free(v);
    ASN1_STRING_free(s);
    GENERAL_NAME_free(gn);
    return Fail(ErrorCode::kCryptoInternal, TakeOpensslError("otherName"));
  }
  ASN1_TYPE_set(v, type, s);
  if (GENERAL_NAME_set0_othername(gn, obj.release(), v) != 1) {
    GENERAL_NAME_free(gn);
    return Fail(ErrorCode::kCryptoInternal, TakeOpensslError("otherName"));
  }
  return gn;
}

bool IsAllowedBaseKey(std::string_view k) {
  return k == "C" || k == "ST" || k == "L" || k == "O" || k == "OU" || k == "DC";
}

}  // namespace

Result<void> ValidateSid(std::string_view sid) {
  if (sid.size() > 200 || sid.rfind("S-1-", 0) != 0) {
    return Fail(ErrorCode::kEnrollSidInvalid, "a SID starts with S-1-");
  }
  std::string_view rest = sid.substr(4);
  std::vector<std::string_view> parts;
  size_t start = 0;
  while (true) {
    size_t dash = rest.find('-', start);
    parts.push_back(rest.substr(start, dash == std::string_view::npos ? rest.npos : dash - start));
    if (dash == std::string_view::npos) break;
    start = dash + 1;
  }
  if (parts.size() < 2 || parts.size() > 16) {
    return Fail(ErrorCode::kEnrollSidInvalid, "a SID has an authority and 1-15 sub-authorities");
  }
  KW_TRY(ParseDecimal(parts[0], (uint64_t{1} << 48) - 1));
  for (size_t i = 1; i < parts.size(); ++i) KW_TRY(ParseDecimal(parts[i], 0xFFFFFFFFu));
  return Ok();
}

Result<void> ValidateUserRecord(const UserRecord& u) {
  if (u.username.empty() || u.username.size() > 64) {
    return Fail(ErrorCode::kEnrollUserInvalid, "username must be 1-64 characters");
  }
  for (char c : u.username) {
    if (!(std::isalnum(static_cast<unsigned char>(c)) || c == '.' || c == '_' || c == '-' ||
          c == '@')) {
      return Fail(ErrorCode::kEnrollUserInvalid, "username: only letters, digits and ._-@");
    }
  }
  if (u.display_name.size() > 64 || !ValidUtf8NoControls(u.display_name)) {
    return Fail(ErrorCode::kEnrollUserInvalid,
                "display name: at most 64 bytes of UTF-8 without control characters");
  }
  if (!u.upn.empty() && !ValidAddress(u.upn)) {
    return Fail(ErrorCode::kEnrollUserInvalid, "UPN must look like user@domain");
  }
  if (!u.email.empty() && !ValidAddress(u.email)) {
    return Fail(ErrorCode::kEnrollUserInvalid, "e-mail must look like user@domain");
  }
  if (!u.sid.empty()) KW_TRY(ValidateSid(u.sid));
  return Ok();
}

Result<Bytes> EncodeSubjectAltName(std::string_view upn, std::string_view email) {
  GeneralNamesPtr names(GENERAL_NAMES_new());
  if (!names) return Fail(ErrorCode::kCryptoInternal, "GENERAL_NAMES_new");
  if (!upn.empty()) {
    KW_ASSIGN_OR_RETURN(GENERAL_NAME * gn, OtherName(kUpnOid, V_ASN1_UTF8STRING, upn));
    sk_GENERAL_NAME_push(names.get(), gn);
  }
  if (!email.empty()) {
    ASN1_IA5STRING* ia5 = ASN1_IA5STRING_new();
    GENERAL_NAME* gn = GENERAL_NAME_new();
    if (!ia5 || !gn || ASN1_STRING_set(ia5, email.data(), static_cast<int>(email.size())) != 1) {
      ASN1_IA5STRING_free(ia5);
      GENERAL_NAME_free(gn);
      return Fail(ErrorCode::kCryptoInternal, "rfc822Name");
    }
    GENERAL_NAME_set0_value(gn, GEN_EMAIL, ia5);
    sk_GENERAL_NAME_push(names.get(), gn);
  }
  if (sk_GENERAL_NAME_num(names.get()) == 0) {
    return Fail(ErrorCode::kEnrollUserInvalid, "subjectAltName needs a UPN or an e-mail");
  }
  return I2d(names.get());
}

Result<Bytes> EncodeSidExtension(std::string_view sid) {
  KW_TRY(ValidateSid(sid));
  GeneralNamesPtr names(GENERAL_NAMES_new());
  if (!names) return Fail(ErrorCode::kCryptoInternal, "GENERAL_NAMES_new");
  KW_ASSIGN_OR_RETURN(GENERAL_NAME * gn, OtherName(kSidOtherNameOid, V_ASN1_OCTET_STRING, sid));
  sk_GENERAL_NAME_push(names.get(), gn);
  return I2d(names.get());
}

Result<std::string> DecodeSidExtension(ByteSpan value) {
  const unsigned char* p = value.data();
  GeneralNamesPtr names(d2i_GENERAL_NAMES(nullptr, &p, static_cast<long>(value.size())));
  if (!names || p != value.data() + value.size() || sk_GENERAL_NAME_num(names.get()) != 1) {
    ERR_clear_error();
    return Fail(ErrorCode::kEnrollSidInvalid, "SID extension is not one GeneralName");
  }
  const GENERAL_NAME* g = sk_GENERAL_NAME_value(names.get(), 0);
  if (g->type != GEN_OTHERNAME) {
    return Fail(ErrorCode::kEnrollSidInvalid, "SID extension: not an otherName");
  }
  char oid[64] = {};
  OBJ_obj2txt(oid, sizeof(oid), g->d.otherName->type_id, 1);
  const ASN1_TYPE* v = g->d.otherName->value;
  if (std::string_view(oid) != kSidOtherNameOid || !v || v->type != V_ASN1_OCTET_STRING) {
    return Fail(ErrorCode::kEnrollSidInvalid, "SID extension: wrong otherName type");
  }
  const ASN1_OCTET_STRING* os = v->value.octet_string;
  std::string sid(reinterpret_cast<const char*>(ASN1_STRING_get0_data(os)),
                  static_cast<size_t>(ASN1_STRING_length(os)));
  KW_TRY(ValidateSid(sid));
  return sid;
}

Result<Bytes> EncodeExtendedKeyUsage(const std::vector<std::string>& oids) {
  EXTENDED_KEY_USAGE* eku = sk_ASN1_OBJECT_new_null();
  if (!eku) return Fail(ErrorCode::kCryptoInternal, "EKU");
  for (const auto& o : oids) {
    ASN1_OBJECT* obj = OBJ_txt2obj(o.c_str(), 1);
    if (!obj) {
      sk_ASN1_OBJECT_pop_free(eku, ASN1_OBJECT_free);
      return Fail(ErrorCode::kInvalidArgument, "EKU OID malformed");
    }
    sk_ASN1_OBJECT_push(eku, obj);
  }
  unsigned char* der = nullptr;
  int len = i2d_EXTENDED_KEY_USAGE(eku, &der);
  sk_ASN1_OBJECT_pop_free(eku, ASN1_OBJECT_free);
  if (len <= 0) return Fail(ErrorCode::kCryptoInternal, TakeOpensslError("i2d EKU"));
  Bytes out(der, der + len);
  OPENSSL_free(der);
  return out;
}

Result<Bytes> EncodeKeyUsageDigitalSignature() {
  ASN1_BIT_STRING* bits = ASN1_BIT_STRING_new();
  if (!bits || ASN1_BIT_STRING_set_bit(bits, 0, 1) != 1) {
    ASN1_BIT_STRING_free(bits);
    return Fail(ErrorCode::kCryptoInternal, "keyUsage");
  }
  unsigned char* der = nullptr;
  int len = i2d_ASN1_BIT_STRING(bits, &der);
  ASN1_BIT_STRING_free(bits);
  if (len <= 0) return Fail(ErrorCode::kCryptoInternal, TakeOpensslError("i2d keyUsage"));
  Bytes out(der, der + len);
  OPENSSL_free(der);
  return out;
}

Result<X509NamePtr> ParseSubjectBase(std::string_view base) {
  X509NamePtr name(X509_NAME_new());
  if (!name) return Fail(ErrorCode::kCryptoInternal, "X509_NAME_new");
  if (base.empty()) return name;
  if (base.size() > 512) return Fail(ErrorCode::kEnrollOptionsInvalid, "subject base too long");
  size_t start = 0;
  while (start <= base.size()) {
    size_t comma = base.find(',', start);
    std::string_view rdn =
        base.substr(start, comma == std::string_view::npos ? base.npos : comma - start);
    while (!rdn.empty() && rdn.front() == ' ') rdn.remove_prefix(1);
    size_t eq = rdn.find('=');
    if (eq == std::string_view::npos || eq == 0 || eq + 1 == rdn.size() ||
        rdn.find_first_of("=+", eq + 1) != std::string_view::npos) {
      return Fail(ErrorCode::kEnrollOptionsInvalid, "subject base: expected KEY=value,...");
    }
    std::string key(rdn.substr(0, eq));
    std::string value(rdn.substr(eq + 1));
    if (!IsAllowedBaseKey(key) || !ValidUtf8NoControls(value) || value.size() > 64 ||
        (key == "C" && value.size() != 2)) {
      return Fail(ErrorCode::kEnrollOptionsInvalid, "subject base: unsupported attribute " + key);
    }
    if (X509_NAME_add_entry_by_txt(name.get(), key.c_str(), MBSTRING_UTF8,
                                   reinterpret_cast<const unsigned char*>(value.c_str()),
                                   static_cast<int>(value.size()), -1, 0) != 1) {
      ERR_clear_error();
      return Fail(ErrorCode::kEnrollOptionsInvalid, "subject base: bad value for " + key);
    }
    if (comma == std::string_view::npos) break;
    start = comma + 1;
  }
  return name;
}

Result<WorkforceProfile> WorkforceProfile::Create(const UserRecord& user,
                                                  std::string_view subject_base) {
  KW_TRY(ValidateUserRecord(user));
  WorkforceProfile p;
  p.user = user;
  if (p.user.display_name.empty()) p.user.display_name = p.user.username;
  KW_ASSIGN_OR_RETURN(p.subject, ParseSubjectBase(subject_base));
  const std::string& cn = p.user.display_name;
  if (X509_NAME_add_entry_by_txt(p.subject.get(), "CN", MBSTRING_UTF8,
                                 reinterpret_cast<const unsigned char*>(cn.c_str()),
                                 static_cast<int>(cn.size()), -1, 0) != 1) {
    ERR_clear_error();
    return Fail(ErrorCode::kEnrollUserInvalid, "display name does not fit a CN");
  }
  if (user.upn.empty() && user.email.empty()) {
    return Fail(ErrorCode::kEnrollUserInvalid, "a logon certificate needs a UPN or an e-mail");
  }
  KW_ASSIGN_OR_RETURN(Bytes ku, EncodeKeyUsageDigitalSignature());
  p.extensions.push_back({"2.5.29.15", true, std::move(ku)});
  KW_ASSIGN_OR_RETURN(Bytes eku,
                      EncodeExtendedKeyUsage({kSmartCardLogonEkuOid, kClientAuthEkuOid}));
  p.extensions.push_back({"2.5.29.37", false, std::move(eku)});
  KW_ASSIGN_OR_RETURN(Bytes san, EncodeSubjectAltName(user.upn, user.email));
  p.extensions.push_back({"2.5.29.17", false, std::move(san)});
  if (!user.sid.empty()) {
    KW_ASSIGN_OR_RETURN(Bytes sid, EncodeSidExtension(user.sid));
    p.extensions.push_back({kSidExtensionOid, false, std::move(sid)});
  }
  return p;
}

Result<X509_EXTENSION*> ToX509Extension(const Extension& e) {
  AsnObjectPtr obj(OBJ_txt2obj(e.oid.c_str(), 1));
  ASN1_OCTET_STRING* os = ASN1_OCTET_STRING_new();
  if (!obj || !os ||
      ASN1_OCTET_STRING_set(os, e.value.data(), static_cast<int>(e.value.size())) != 1) {
    ASN1_OCTET_STRING_free(os);
    return Fail(ErrorCode::kCryptoInternal, TakeOpensslError("extension"));
  }
  X509_EXTENSION* ext = X509_EXTENSION_create_by_OBJ(nullptr, obj.get(), e.critical ? 1 : 0, os);
  ASN1_OCTET_STRING_free(os);
  if (!ext) return Fail(ErrorCode::kCryptoInternal, TakeOpensslError("X509_EXTENSION"));
  return ext;
}

}  // namespace keyward::enroll
