// Credential management (CTAP 2.1 §6.8) through libfido2's fido_credman_* API.
#include <fido/credman.h>

#include "fido/device_impl.h"

namespace keyward::fido {
namespace {

template <typename T, void (*F)(T**)>
struct Free {
  void operator()(T* p) const { F(&p); }
};
using MetadataPtr = std::unique_ptr<fido_credman_metadata_t,
                                    Free<fido_credman_metadata_t, fido_credman_metadata_free>>;
using RpPtr = std::unique_ptr<fido_credman_rp_t, Free<fido_credman_rp_t, fido_credman_rp_free>>;
using RkPtr = std::unique_ptr<fido_credman_rk_t, Free<fido_credman_rk_t, fido_credman_rk_free>>;
using CredPtr = std::unique_ptr<fido_cred_t, Free<fido_cred_t, fido_cred_free>>;

Bytes Copy(const unsigned char* p, size_t n) { return p ? Bytes(p, p + n) : Bytes(); }

}  // namespace

Result<CredentialMetadata> Device::GetCredentialMetadata(const SecretBytes& pin) {
  KW_ASSIGN_OR_RETURN(PinCString p, PinCString::From(pin));
  MetadataPtr md(fido_credman_metadata_new());
  if (!md) return Fail(ErrorCode::kInternal, "fido_credman_metadata_new");
  KW_TRY(impl_->Run("getCredsMetadata", [&] {
    return fido_credman_get_dev_metadata(impl_->dev, md.get(), p.c_str());
  }));
  return CredentialMetadata{fido_credman_rk_existing(md.get()),
                            fido_credman_rk_remaining(md.get())};
}

Result<std::vector<RelyingParty>> Device::ListRelyingParties(const SecretBytes& pin) {
  KW_ASSIGN_OR_RETURN(PinCString p, PinCString::From(pin));
  RpPtr rp(fido_credman_rp_new());
  if (!rp) return Fail(ErrorCode::kInternal, "fido_credman_rp_new");
  std::vector<RelyingParty> out;
  auto r = impl_->Run("enumerateRPs",
                      [&] { return fido_credman_get_dev_rp(impl_->dev, rp.get(), p.c_str()); });
  if (!r && r.error().code == ErrorCode::kFidoNoCredentials) return out;
  KW_TRY(r);
  for (size_t i = 0; i < fido_credman_rp_count(rp.get()); ++i) {
    RelyingParty entry;
    if (fido_credman_rp_id(rp.get(), i)) entry.id = fido_credman_rp_id(rp.get(), i);
    if (fido_credman_rp_name(rp.get(), i)) entry.name = fido_credman_rp_name(rp.get(), i);
    entry.id_hash =
        Copy(fido_credman_rp_id_hash_ptr(rp.get(), i), fido_credman_rp_id_hash_len(rp.get(), i));
    out.push_back(std::move(entry));
  }
  return out;
}

Result<std::vector<StoredCredential>> Device::ListCredentials(const std::string& rp_id,
                                                              const SecretBytes& pin) {
  KW_ASSIGN_OR_RETURN(PinCString p, PinCString::From(pin));
  RkPtr rk(fido_credman_rk_new());
  if (!rk) return Fail(ErrorCode::kInternal, "fido_credman_rk_new");
  std::vector<StoredCredential> out;
  auto r = impl_->Run("enumerateCredentials", [&] {
    return fido_credman_get_dev_rk(impl_->dev, rp_id.c_str(), rk.get(), p.c_str());
  });
  if (!r && r.error().code == ErrorCode::kFidoNoCredentials) return out;  // none for this RP
  KW_TRY(r);
  for (size_t i = 0; i < fido_credman_rk_count(rk.get()); ++i) {
    const fido_cred_t* c = fido_credman_rk(rk.get(), i);
    StoredCredential s;
    s.id = Copy(fido_cred_id_ptr(c), fido_cred_id_len(c));
    s.user_id = Copy(fido_cred_user_id_ptr(c), fido_cred_user_id_len(c));
    if (fido_cred_user_name(c)) s.user_name = fido_cred_user_name(c);
    if (fido_cred_display_name(c)) s.user_display_name = fido_cred_display_name(c);
    s.cred_protect = fido_cred_prot(c);
    s.algorithm = fido_cred_type(c);
    out.push_back(std::move(s));
  }
  return out;
}

Result<void> Device::DeleteCredential(ByteSpan credential_id, const SecretBytes& pin) {
  if (credential_id.empty()) return Fail(ErrorCode::kInvalidArgument, "empty credential id");
  KW_ASSIGN_OR_RETURN(PinCString p, PinCString::From(pin));
  return impl_->Run("deleteCredential", [&] {
    return fido_credman_del_dev_rk(impl_->dev, credential_id.data(), credential_id.size(),
                                   p.c_str());
  });
}

Result<void> Device::UpdateUser(const std::string& rp_id, ByteSpan credential_id, ByteSpan user_id,
                                const std::string& user_name, const std::string& display_name,
                                const SecretBytes& pin) {
  if (credential_id.empty() || user_id.empty()) {
    return Fail(ErrorCode::kInvalidArgument, "credential id and user id are required");
  }
  KW_ASSIGN_OR_RETURN(PinCString p, PinCString::From(pin));
  CredPtr cred(fido_cred_new());
  if (!cred) return Fail(ErrorCode::kInternal, "fido_cred_new");
  int rc = fido_cred_set_id(cred.get(), credential_id.data(), credential_id.size());
  if (rc == FIDO_OK) rc = fido_cred_set_rp(cred.get(), rp_id.c_str(), nullptr);
  if (rc == FIDO_OK) {
    rc = fido_cred_set_user(cred.get(), user_id.data(), user_id.size(),
                            user_name.empty() ? nullptr : user_name.c_str(),
                            display_name.empty() ? nullptr : display_name.c_str(), nullptr);
  }
  if (rc != FIDO_OK) return Fail(FidoError(rc, "updateUserInformation arguments"));
  return impl_->Run("updateUserInformation",
                    [&] { return fido_credman_set_dev_rk(impl_->dev, cred.get(), p.c_str()); });
}

}  // namespace keyward::fido
