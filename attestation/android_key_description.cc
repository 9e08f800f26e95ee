#include "attestation/android_key_description.h"

#include <openssl/asn1t.h>
#include <openssl/err.h>

#include <memory>

// Outer KeyDescription, with the two AuthorizationLists kept as SEQUENCE OF ANY (each element
// is a context-tagged, explicitly wrapped value; ANY keeps a non-universal element's whole
// encoding as V_ASN1_OTHER).
// OpenSSL's ASN.1 template macros confuse clang-format; the rest of this file is formatted
// by hand in its style.
// clang-format off
typedef struct {
  ASN1_INTEGER* attestation_version;
  ASN1_ENUMERATED* attestation_security_level;
  ASN1_INTEGER* keymaster_version;
  ASN1_ENUMERATED* keymaster_security_level;
  ASN1_OCTET_STRING* attestation_challenge;
  ASN1_OCTET_STRING* unique_id;
  STACK_OF(ASN1_TYPE) * software_enforced;
  STACK_OF(ASN1_TYPE) * tee_enforced;
} KW_KEY_DESCRIPTION;

ASN1_SEQUENCE(KW_KEY_DESCRIPTION) = {
    ASN1_SIMPLE(KW_KEY_DESCRIPTION, attestation_version, ASN1_INTEGER),
    ASN1_SIMPLE(KW_KEY_DESCRIPTION, attestation_security_level, ASN1_ENUMERATED),
    ASN1_SIMPLE(KW_KEY_DESCRIPTION, keymaster_version, ASN1_INTEGER),
    ASN1_SIMPLE(KW_KEY_DESCRIPTION, keymaster_security_level, ASN1_ENUMERATED),
    ASN1_SIMPLE(KW_KEY_DESCRIPTION, attestation_challenge, ASN1_OCTET_STRING),
    ASN1_SIMPLE(KW_KEY_DESCRIPTION, unique_id, ASN1_OCTET_STRING),
    ASN1_SEQUENCE_OF(KW_KEY_DESCRIPTION, software_enforced, ASN1_ANY),
    ASN1_SEQUENCE_OF(KW_KEY_DESCRIPTION, tee_enforced, ASN1_ANY),
} ASN1_SEQUENCE_END(KW_KEY_DESCRIPTION)
IMPLEMENT_ASN1_FUNCTIONS(KW_KEY_DESCRIPTION)

// purpose: SET OF INTEGER.
typedef STACK_OF(ASN1_INTEGER) KW_INTEGER_SET;
ASN1_ITEM_TEMPLATE(KW_INTEGER_SET) =
    ASN1_EX_TEMPLATE_TYPE(ASN1_TFLG_SET_OF, 0, KW_INTEGER_SET, ASN1_INTEGER)
ASN1_ITEM_TEMPLATE_END(KW_INTEGER_SET)

namespace keyward::attestation {
namespace {

Unexpected Invalid(const std::string& what) {
  ERR_clear_error();
  return Fail(ErrorCode::kAndroidKeyDescriptionInvalid, "KeyDescription: " + what);
}

Result<int64_t> IntValue(const ASN1_INTEGER* i) {
  int64_t v = 0;
  if (ASN1_INTEGER_get_int64(&v, i) != 1) return Invalid("integer out of range");
  return v;
}

Result<int64_t> EnumValue(const ASN1_ENUMERATED* e) {
  int64_t v = 0;
  if (ASN1_ENUMERATED_get_int64(&v, e) != 1) return Invalid("enumerated out of range");
  return v;
}

// Decodes exactly one DER item of `it` from `content` (no trailing bytes).
template <typename T>
Result<T*> DecodeWhole(ByteSpan content, const ASN1_ITEM* it) {
  const unsigned char* p = content.data();
  auto* v = reinterpret_cast<T*>(
      ASN1_item_d2i(nullptr, &p, static_cast<long>(content.size()), it));  // NOLINT
  if (!v) return Invalid("tagged value malformed");
  if (p != content.data() + content.size()) {
    ASN1_item_free(reinterpret_cast<ASN1_VALUE*>(v), it);
    return Invalid("bytes after tagged value");
  }
  return v;
}

Result<AuthorizationList> ParseAuthorizationList(const STACK_OF(ASN1_TYPE) * list) {
  AuthorizationList out;
  long last_tag = -1;  // NOLINT(runtime/int)
  for (int i = 0; i < sk_ASN1_TYPE_num(list); ++i) {
    const ASN1_TYPE* t = sk_ASN1_TYPE_value(list, i);
    if (ASN1_TYPE_get(t) != V_ASN1_OTHER) return Invalid("untagged AuthorizationList element");
    const ASN1_STRING* enc = t->value.asn1_string;
    const unsigned char* p = ASN1_STRING_get0_data(enc);
    long len = 0;  // NOLINT(runtime/int)
    int tag = 0, cls = 0;
    int rc = ASN1_get_object(&p, &len, &tag, &cls, ASN1_STRING_length(enc));
    if ((rc & 0x80) != 0 || cls != V_ASN1_CONTEXT_SPECIFIC || (rc & V_ASN1_CONSTRUCTED) == 0) {
      return Invalid("AuthorizationList element is not [n] EXPLICIT");
    }
    if (p + len != ASN1_STRING_get0_data(enc) + ASN1_STRING_length(enc)) {
      return Invalid("AuthorizationList element length");
    }
    if (tag <= last_tag) return Invalid("AuthorizationList tags not in ascending order");
    last_tag = tag;
    ByteSpan content(p, static_cast<size_t>(len));
    switch (tag) {
      case 1: {  // purpose
        KW_ASSIGN_OR_RETURN(auto* set,
                            DecodeWhole<KW_INTEGER_SET>(content, ASN1_ITEM_rptr(KW_INTEGER_SET)));
        std::unique_ptr<KW_INTEGER_SET, void (*)(KW_INTEGER_SET*)> owner(
            set, [](KW_INTEGER_SET* s) { sk_ASN1_INTEGER_pop_free(s, ASN1_INTEGER_free); });
        for (int j = 0; j < sk_ASN1_INTEGER_num(set); ++j) {
          KW_ASSIGN_OR_RETURN(int64_t v, IntValue(sk_ASN1_INTEGER_value(set, j)));
          out.purpose.push_back(v);
        }
        break;
      }
      case 600: {  // allApplications
        KW_ASSIGN_OR_RETURN(auto* n, DecodeWhole<ASN1_NULL>(content, ASN1_ITEM_rptr(ASN1_NULL)));
        ASN1_NULL_free(n);
        out.all_applications = true;
        break;
      }
      case 702: {  // origin
        KW_ASSIGN_OR_RETURN(auto* n,
                            DecodeWhole<ASN1_INTEGER>(content, ASN1_ITEM_rptr(ASN1_INTEGER)));
        auto v = IntValue(n);
        ASN1_INTEGER_free(n);
        if (!v) return Fail(v.error());
        out.origin = *v;
        break;
      }
      default:
        break;  // other authorizations are not WebAuthn's concern
    }
  }
  return out;
}

}  // namespace

Result<KeyDescription> KeyDescription::Parse(ByteSpan der) {
  const unsigned char* p = der.data();
  std::unique_ptr<KW_KEY_DESCRIPTION, void (*)(KW_KEY_DESCRIPTION*)> kd(
      d2i_KW_KEY_DESCRIPTION(nullptr, &p, static_cast<long>(der.size())),  // NOLINT
      KW_KEY_DESCRIPTION_free);
  if (!kd) return Invalid("not a KeyDescription SEQUENCE");
  if (p != der.data() + der.size()) return Invalid("bytes after KeyDescription");
  KeyDescription out;
  KW_ASSIGN_OR_RETURN(out.attestation_version, IntValue(kd->attestation_version));
  KW_ASSIGN_OR_RETURN(out.attestation_security_level, EnumValue(kd->attestation_security_level));
  out.attestation_challenge.assign(
      ASN1_STRING_get0_data(kd->attestation_challenge),
      ASN1_STRING_get0_data(kd->attestation_challenge) +
          ASN1_STRING_length(kd->attestation_challenge));
  KW_ASSIGN_OR_RETURN(out.software_enforced, ParseAuthorizationList(kd->software_enforced));
  KW_ASSIGN_OR_RETURN(out.tee_enforced, ParseAuthorizationList(kd->tee_enforced));
  return out;
}

}  // namespace keyward::attestation
