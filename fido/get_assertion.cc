// Device::GetAssertion: authenticatorGetAssertion (+ getNextAssertion, which libfido2 issues
// itself) through fido_dev_get_assert.
#include "core/cbor.h"
#include "fido/device_impl.h"

namespace keyward::fido {
namespace {

struct AssertDeleter {
  void operator()(fido_assert_t* p) const { fido_assert_free(&p); }
};
using AssertPtr = std::unique_ptr<fido_assert_t, AssertDeleter>;

Bytes Copy(const unsigned char* p, size_t n) { return p ? Bytes(p, p + n) : Bytes(); }

}  // namespace

Result<std::vector<Assertion>> Device::GetAssertion(const GetAssertionRequest& req,
                                                    const SecretBytes* pin) {
  if (req.client_data_hash.size() != 32) {
    return Fail(ErrorCode::kInvalidArgument, "clientDataHash must be 32 bytes");
  }
  if (req.rp_id.empty()) return Fail(ErrorCode::kInvalidArgument, "rp id is required");
  if (!req.hmac_salt.empty() && req.hmac_salt.size() != 32 && req.hmac_salt.size() != 64) {
    return Fail(ErrorCode::kInvalidArgument, "hmac-secret salt must be 32 or 64 bytes");
  }
  KW_ASSIGN_OR_RETURN(OptionalPin p, MakeOptionalPin(pin));
  AssertPtr holder(fido_assert_new());
  if (!holder) return Fail(ErrorCode::kInternal, "fido_assert_new");
  fido_assert_t* a = holder.get();
  int ext = (req.hmac_salt.empty() ? 0 : FIDO_EXT_HMAC_SECRET) |
            (req.cred_blob ? FIDO_EXT_CRED_BLOB : 0) |
            (req.large_blob_key ? FIDO_EXT_LARGEBLOB_KEY : 0);
  int rc = fido_assert_set_rp(a, req.rp_id.c_str());
  if (rc == FIDO_OK) {
    rc = fido_assert_set_clientdata_hash(a, req.client_data_hash.data(),
                                         req.client_data_hash.size());
  }
  for (const Bytes& id : req.allow_list) {
    if (rc == FIDO_OK) rc = fido_assert_allow_cred(a, id.data(), id.size());
  }
  if (rc == FIDO_OK && req.user_presence) {
    rc = fido_assert_set_up(a, *req.user_presence ? FIDO_OPT_TRUE : FIDO_OPT_FALSE);
  }
  if (rc == FIDO_OK && req.user_verification) {
    rc = fido_assert_set_uv(a, *req.user_verification ? FIDO_OPT_TRUE : FIDO_OPT_FALSE);
  }
  if (rc == FIDO_OK && ext != 0) rc = fido_assert_set_extensions(a, ext);
  if (rc == FIDO_OK && !req.hmac_salt.empty()) {
    rc = fido_assert_set_hmac_salt(a, req.hmac_salt.data(), req.hmac_salt.size());
  }
  if (rc != FIDO_OK) return Fail(FidoError(rc, "getAssertion arguments"));

  KW_TRY(impl_->Run("getAssertion", [&] { return fido_dev_get_assert(impl_->dev, a, p.c_str()); }));

  std::vector<Assertion> out;
  for (size_t i = 0; i < fido_assert_count(a); ++i) {
    Assertion x;
    // fido_assert_authdata_ptr is the CBOR byte string the device sent; unwrap it.
    Bytes cbor = Copy(fido_assert_authdata_ptr(a, i), fido_assert_authdata_len(a, i));
    auto decoded = DecodeCbor(cbor);
    if (!decoded || !decoded->item.IsBytes()) {
      return Fail(ErrorCode::kAuthenticatorDataMalformed,
                  "assertion authData is not a byte string");
    }
    x.auth_data = ToBytes(*decoded->item.GetBytes());
    x.signature = Copy(fido_assert_sig_ptr(a, i), fido_assert_sig_len(a, i));
    x.credential_id = Copy(fido_assert_id_ptr(a, i), fido_assert_id_len(a, i));
    x.user_id = Copy(fido_assert_user_id_ptr(a, i), fido_assert_user_id_len(a, i));
    if (fido_assert_user_name(a, i)) x.user_name = fido_assert_user_name(a, i);
    if (fido_assert_user_display_name(a, i)) {
      x.user_display_name = fido_assert_user_display_name(a, i);
    }
    x.flags = fido_assert_flags(a, i);
    x.sign_count = fido_assert_sigcount(a, i);
    x.hmac_secret = Copy(fido_assert_hmac_secret_ptr(a, i), fido_assert_hmac_secret_len(a, i));
    x.cred_blob = Copy(fido_assert_blob_ptr(a, i), fido_assert_blob_len(a, i));
    x.large_blob_key =
        Copy(fido_assert_largeblob_key_ptr(a, i), fido_assert_largeblob_key_len(a, i));
    out.push_back(std::move(x));
  }
  return out;
}

}  // namespace keyward::fido
