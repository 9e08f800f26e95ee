// PKCS#11 URIs (RFC 7512), the subset keyward selects tokens and objects by:
//   pkcs11:token=<label>;manufacturer=..;model=..;serial=..;object=<label>;id=%01%02;type=cert
// Path attributes `library-*`, `slot-*` and vendor `x-*` are accepted and ignored; query
// attributes `module-path` and `module-name` are kept (ModuleForToken loads by them);
// `pin-value` and `pin-source` are REFUSED (kPkcs11UriInvalid) so a PIN never travels in a URI,
// and the value is never echoed.
//
// Invariants: values are percent-decoded; an attribute given twice, an unknown non-vendor
// attribute, a malformed escape or an unknown `type` is kPkcs11UriInvalid.
#ifndef KEYWARD_PKCS11_URI_H_
#define KEYWARD_PKCS11_URI_H_

#include <optional>
#include <string>
#include <string_view>

#include "core/bytes.h"

namespace keyward::pkcs11 {

enum class ObjectClass { kCertificate, kPrivateKey, kPublicKey, kSecretKey, kData };

struct Pkcs11Uri {
  std::optional<std::string> token;  // CK_TOKEN_INFO label
  std::optional<std::string> manufacturer;
  std::optional<std::string> model;
  std::optional<std::string> serial;
  std::optional<std::string> object;  // CKA_LABEL
  std::optional<Bytes> id;            // CKA_ID
  std::optional<ObjectClass> type;
  std::optional<std::string> module_path;
  std::optional<std::string> module_name;

  static Result<Pkcs11Uri> Parse(std::string_view uri);
};

}  // namespace keyward::pkcs11

#endif  // KEYWARD_PKCS11_URI_H_
