// Device::MakeCredential: authenticatorMakeCredential through fido_dev_make_cred.
#include <algorithm>

#include "core/cbor.h"
#include "core/cose_key.h"
#include "fido/device_impl.h"

namespace keyward::fido {
namespace {

struct CredDeleter {
  void operator()(fido_cred_t* p) const { fido_cred_free(&p); }
};
using CredPtr = std::unique_ptr<fido_cred_t, CredDeleter>;

Bytes Copy(const unsigned char* p, size_t n) { return p ? Bytes(p, p + n) : Bytes(); }

// The credential public key from attested credential data (WebAuthn L3 §6.5.1):
// rpIdHash(32) flags(1) signCount(4) aaguid(16) L(2) credentialId(L) COSE_Key.
Result<Bytes> CosePublicKeyOf(ByteSpan auth_data) {
  ByteReader r(auth_data);
  KW_TRY(r.Skip(37 + 16));
  KW_ASSIGN_OR_RETURN(uint16_t id_len, r.U16());
  KW_TRY(r.Skip(id_len));
  size_t consumed = 0;
  KW_ASSIGN_OR_RETURN(CoseKey key, CoseKey::Parse(r.rest(), &consumed));
  (void)key;
  return ToBytes(r.rest().first(consumed));
}

}  // namespace

Result<Credential> Device::MakeCredential(const MakeCredentialRequest& req,
                                          const SecretBytes* pin) {
  if (req.client_data_hash.size() != 32) {
    return Fail(ErrorCode::kInvalidArgument, "clientDataHash must be 32 bytes");
  }
  if (req.rp_id.empty() || req.user_id.empty()) {
    return Fail(ErrorCode::kInvalidArgument, "rp id and user id are required");
  }
  KW_ASSIGN_OR_RETURN(OptionalPin p, MakeOptionalPin(pin));
  CredPtr cred(fido_cred_new());
  if (!cred) return Fail(ErrorCode::kInternal, "fido_cred_new");
  fido_cred_t* c = cred.get();
  int ext = (req.hmac_secret ? FIDO_EXT_HMAC_SECRET : 0) |
            (req.large_blob_key ? FIDO_EXT_LARGEBLOB_KEY : 0);
  int rc = fido_cred_set_type(c, static_cast<int>(req.algorithm));
  if (rc == FIDO_OK) {
    rc = fido_cred_set_clientdata_hash(c, req.client_data_hash.data(), req.client_data_hash.size());
  }
  if (rc == FIDO_OK) {
    rc =
        fido_cred_set_rp(c, req.rp_id.c_str(), req.rp_name.empty() ? nullptr : req.rp_name.c_str());
  }
  if (rc == FIDO_OK) {
    rc = fido_cred_set_user(c, req.user_id.data(), req.user_id.size(),
                            req.user_name.empty() ? nullptr : req.user_name.c_str(),
                            req.user_display_name.empty() ? nullptr : req.user_display_name.c_str(),
                            nullptr);
  }
  if (rc == FIDO_OK && req.resident_key) rc = fido_cred_set_rk(c, FIDO_OPT_TRUE);
  if (rc == FIDO_OK && req.user_verification) {
    rc = fido_cred_set_uv(c, *req.user_verification ? FIDO_OPT_TRUE : FIDO_OPT_FALSE);
  }
  if (rc == FIDO_OK && ext != 0) rc = fido_cred_set_extensions(c, ext);
  if (rc == FIDO_OK && req.cred_protect != 0) rc = fido_cred_set_prot(c, req.cred_protect);
  if (rc == FIDO_OK && !req.cred_blob.empty()) {
    rc = fido_cred_set_blob(c, req.cred_blob.data(), req.cred_blob.size());
  }
  if (rc == FIDO_OK && req.min_pin_length) rc = fido_cred_set_pin_minlen(c, 1);
  for (const Bytes& id : req.exclude_list) {
    if (rc == FIDO_OK) rc = fido_cred_exclude(c, id.data(), id.size());
  }
  if (rc != FIDO_OK) return Fail(FidoError(rc, "makeCredential arguments"));

  KW_TRY(
      impl_->Run("makeCredential", [&] { return fido_dev_make_cred(impl_->dev, c, p.c_str()); }));

  Credential out;
  out.fmt = fido_cred_fmt(c) ? fido_cred_fmt(c) : "";
  out.auth_data = Copy(fido_cred_authdata_raw_ptr(c), fido_cred_authdata_raw_len(c));
  out.id = Copy(fido_cred_id_ptr(c), fido_cred_id_len(c));
  out.aaguid = Copy(fido_cred_aaguid_ptr(c), fido_cred_aaguid_len(c));
  out.flags = fido_cred_flags(c);
  out.sign_count = fido_cred_sigcount(c);
  out.cred_protect = fido_cred_prot(c);
  out.attestation_statement = Copy(fido_cred_attstmt_ptr(c), fido_cred_attstmt_len(c));
  out.signature = Copy(fido_cred_sig_ptr(c), fido_cred_sig_len(c));
  out.x5c = Copy(fido_cred_x5c_ptr(c), fido_cred_x5c_len(c));
  out.large_blob_key = Copy(fido_cred_largeblob_key_ptr(c), fido_cred_largeblob_key_len(c));
  out.client_data_hash = req.client_data_hash;
  auto cose = CosePublicKeyOf(out.auth_data);
  if (!cose) return Fail(ErrorCode::kAuthenticatorDataMalformed, cose.error().detail);
  out.cose_public_key = std::move(cose).value();
  // minPinLength output (libfido2 1.12 reports the requested value, not the device's answer):
  // the extensions map follows the COSE key when the ED flag is set.
  if (out.flags & 0x80) {
    // rpIdHash(32) flags(1) signCount(4) aaguid(16) L(2) credentialId COSE_Key extensions
    size_t key_end = 55 + out.id.size() + out.cose_public_key.size();
    if (key_end > out.auth_data.size()) key_end = out.auth_data.size();
    auto ext_map = DecodeCbor(ByteSpan(out.auth_data).subspan(key_end));
    if (ext_map && ext_map->item.IsMap()) {
      auto v = ext_map->item.Find(std::string_view("minPinLength")).GetInt();
      if (v && *v > 0) out.min_pin_length = static_cast<size_t>(*v);
    }
  }
  return out;
}

}  // namespace keyward::fido
