// The attestation object (WebAuthn L3 §6.5.4): CBOR map { "fmt": tstr, "attStmt": map,
// "authData": bstr }. Parsed with definite lengths, unique keys and size/depth limits; the
// authenticator data inside is parsed too (authenticator_data.h).
#ifndef KEYWARD_WEBAUTHN_ATTESTATION_OBJECT_H_
#define KEYWARD_WEBAUTHN_ATTESTATION_OBJECT_H_

#include <string>

#include "core/cbor.h"
#include "webauthn/authenticator_data.h"

namespace keyward::webauthn {

struct AttestationObject {
  std::string fmt;
  CborItem att_stmt;
  AuthenticatorData auth_data;  // views into the CBOR item's byte string

  // kAttestationObjectMalformed for a structural problem; authenticator data errors propagate
  // with their own codes. The result keeps the decoded CBOR alive, so it may outlive `cbor`.
  static Result<AttestationObject> Parse(ByteSpan cbor);

 private:
  CborItem root_;
};

}  // namespace keyward::webauthn

#endif  // KEYWARD_WEBAUTHN_ATTESTATION_OBJECT_H_
