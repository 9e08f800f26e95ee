#include "webauthn/authenticator_data.h"

namespace keyward::webauthn {
namespace {

Unexpected Malformed(const std::string& what) {
  return Fail(ErrorCode::kAuthenticatorDataMalformed, what);
}

}  // namespace

Result<AuthenticatorData> AuthenticatorData::Parse(ByteSpan data) {
  if (data.size() < 37) return Malformed("shorter than 37 bytes");
  AuthenticatorData ad;
  ad.raw = data;
  ByteReader r(data);
  ad.rp_id_hash = *r.Take(32);
  ad.flags = *r.U8();
  ad.sign_count = *r.U32();

  if (ad.flags & kFlagAt) {
    auto aaguid = r.Take(16);
    auto len = r.U16();
    if (!aaguid || !len) return Malformed("attested credential data truncated");
    if (*len > kMaxCredentialIdLength) {
      return Fail(ErrorCode::kCredentialIdTooLong,
                  "credential id of " + std::to_string(*len) + " bytes");
    }
    auto id = r.Take(*len);
    if (!id) return Malformed("credential id truncated");
    AttestedCredentialData acd;
    std::copy(aaguid->begin(), aaguid->end(), acd.aaguid.begin());
    acd.credential_id = *id;
    size_t key_len = 0;
    if (r.empty()) return Malformed("credential public key missing");
    KW_ASSIGN_OR_RETURN(acd.key, CoseKey::Parse(r.rest(), &key_len));
    acd.credential_public_key = *r.Take(key_len);
    ad.attested_credential_data = std::move(acd);
  }
  if (ad.flags & kFlagEd) {
    if (r.empty()) return Fail(ErrorCode::kExtensionDataMalformed, "ED set but no extensions");
    CborLimits limits;
    limits.max_depth = 8;
    limits.max_items = 1024;
    auto ext = DecodeCbor(r.rest(), limits);
    if (!ext) {
      if (ext.error().code == ErrorCode::kTrailingData) return Malformed("bytes after extensions");
      return Fail(ErrorCode::kExtensionDataMalformed, ext.error().ToString());
    }
    if (!ext->item.IsMap()) return Fail(ErrorCode::kExtensionDataMalformed, "not a CBOR map");
    ad.extensions = std::move(ext->item);
    (void)r.Skip(ext->consumed);
  }
  if (!r.empty()) return Malformed(std::to_string(r.remaining()) + " trailing bytes");
  return ad;
}

AuthenticatorFlags AuthenticatorData::Flags() const {
  AuthenticatorFlags f;
  f.user_present = flags & kFlagUp;
  f.user_verified = flags & kFlagUv;
  f.backup_eligible = flags & kFlagBe;
  f.backup_state = flags & kFlagBs;
  f.attested_credential_data = flags & kFlagAt;
  f.extension_data = flags & kFlagEd;
  return f;
}

}  // namespace keyward::webauthn
