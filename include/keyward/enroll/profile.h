// Certificate profile for workforce smart-card logon: who the certificate is for and which
// X.509 v3 extensions (RFC 5280 §4.2) it carries.
//  - subject: the operator's base DN (e.g. "O=Example Corp,C=DE") + CN = display name;
//  - subjectAltName (§4.2.1.6): otherName UPN 1.3.6.1.4.1.311.20.2.3 (UTF8String) and
//    rfc822Name e-mail;
//  - extendedKeyUsage (§4.2.1.12): Smart Card Logon 1.3.6.1.4.1.311.20.2.2 and id-kp-clientAuth;
//  - keyUsage (§4.2.1.3): digitalSignature, critical;
//  - when a SID is given, Microsoft's strong-mapping extension szOID_NTDS_CA_SECURITY_EXT
//    1.3.6.1.4.1.311.25.2 (KB5014754, MS-WCCE): extnValue = GeneralNames holding one otherName
//    with type-id szOID_NTDS_OBJECTSID 1.3.6.1.4.1.311.25.2.1 and value [0] EXPLICIT OCTET STRING
//    whose contents are the SID's text form ("S-1-5-21-...").
//
// Invariants: a WorkforceProfile exists only for a validated UserRecord (kEnrollUserInvalid /
// kEnrollSidInvalid otherwise); extension values are DER produced by OpenSSL's encoders.
#ifndef KEYWARD_ENROLL_PROFILE_H_
#define KEYWARD_ENROLL_PROFILE_H_

#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "keyward/bytes.h"
#include "keyward/core/openssl_util.h"
#include "keyward/export.h"

KEYWARD_API_BEGIN

namespace keyward::enroll {

inline constexpr char kUpnOid[] = "1.3.6.1.4.1.311.20.2.3";
inline constexpr char kSmartCardLogonEkuOid[] = "1.3.6.1.4.1.311.20.2.2";
inline constexpr char kClientAuthEkuOid[] = "1.3.6.1.5.5.7.3.2";
inline constexpr char kSidExtensionOid[] = "1.3.6.1.4.1.311.25.2";
inline constexpr char kSidOtherNameOid[] = "1.3.6.1.4.1.311.25.2.1";

using X509NamePtr = std::unique_ptr<X509_NAME, OsslDeleter<X509_NAME, X509_NAME_free>>;

// One person, as the operator's directory (or the batch CSV) describes them.
struct UserRecord {
  std::string username;      // required: [A-Za-z0-9._@-], 1-64 characters
  std::string display_name;  // CN; default: username. Printable UTF-8, no control characters
  std::string upn;           // optional: local@domain
  std::string email;         // optional: local@domain (ASCII)
  std::string sid;           // optional: S-1-<authority>-<sub>... (1-15 sub-authorities)
};

Result<void> ValidateUserRecord(const UserRecord& user);
// The SID's text form checked (S-1-, authority < 2^48, 1-15 sub-authorities < 2^32).
Result<void> ValidateSid(std::string_view sid);

// One extension: dotted OID, criticality, DER extnValue contents.
struct Extension {
  std::string oid;
  bool critical = false;
  Bytes value;
};

// DER encoders for the profile's extension values.
Result<Bytes> EncodeSubjectAltName(std::string_view upn, std::string_view email);
Result<Bytes> EncodeSidExtension(std::string_view sid);
Result<Bytes> EncodeExtendedKeyUsage(const std::vector<std::string>& oids);
Result<Bytes> EncodeKeyUsageDigitalSignature();
// The SID text inside a 1.3.6.1.4.1.311.25.2 extnValue (kEnrollSidInvalid when it is not one).
Result<std::string> DecodeSidExtension(ByteSpan value);

// "O=Example Corp,OU=Staff,C=DE" → RDNs (C, ST, L, O, OU, DC accepted; values without ',' '=' '+').
Result<X509NamePtr> ParseSubjectBase(std::string_view base);

struct WorkforceProfile {
  UserRecord user;
  X509NamePtr subject;
  std::vector<Extension> extensions;

  static Result<WorkforceProfile> Create(const UserRecord& user, std::string_view subject_base);
};

// An X509_EXTENSION for `e` (caller frees).
Result<X509_EXTENSION*> ToX509Extension(const Extension& e);

}  // namespace keyward::enroll

KEYWARD_API_END

#endif  // KEYWARD_ENROLL_PROFILE_H_
