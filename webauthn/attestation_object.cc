#include "webauthn/attestation_object.h"

namespace keyward::webauthn {

Result<AttestationObject> AttestationObject::Parse(ByteSpan cbor) {
  CborLimits limits;
  limits.max_bytes = 256 * 1024;
  limits.max_depth = 16;
  auto decoded = DecodeCbor(cbor, limits);
  if (!decoded) {
    return Fail(ErrorCode::kAttestationObjectMalformed, decoded.error().ToString());
  }
  AttestationObject obj;
  obj.root_ = std::move(decoded->item);
  if (!obj.root_.IsMap()) return Fail(ErrorCode::kAttestationObjectMalformed, "not a CBOR map");
  auto fmt = obj.root_.Find("fmt").GetText();
  if (!fmt) return Fail(ErrorCode::kAttestationObjectMalformed, "fmt missing or not text");
  obj.fmt = std::string(*fmt);
  obj.att_stmt = obj.root_.Find("attStmt");
  if (!obj.att_stmt.IsMap()) {
    return Fail(ErrorCode::kAttestationObjectMalformed, "attStmt missing or not a map");
  }
  auto auth_data = obj.root_.Find("authData").GetBytes();
  if (!auth_data) return Fail(ErrorCode::kAttestationObjectMalformed, "authData missing");
  // The byte string lives inside root_, which the object owns, so the views stay valid.
  KW_ASSIGN_OR_RETURN(obj.auth_data, AuthenticatorData::Parse(*auth_data));
  return obj;
}

}  // namespace keyward::webauthn
