// authenticatorGetAssertion and authenticatorGetNextAssertion (CTAP 2.1 §6.2, §6.3) with the
// hmac-secret, credBlob and largeBlobKey extensions (§12).
#include <algorithm>

#include "core/cbor_writer.h"
#include "core/hash.h"
#include "tools/softctap/ctap_request.h"
#include "tools/softctap/ctap_status.h"
#include "tools/softctap/pin_uv_auth_protocol.h"
#include "tools/softctap/soft_authenticator.h"
#include "tools/softctap/soft_authenticator_internal.h"

namespace keyward::softctap {

using namespace internal;  // NOLINT(google-build-using-namespace): flag constants

namespace {
constexpr auto kNextAssertionWindow = std::chrono::seconds(30);
}  // namespace

Result<Bytes> SoftAuthenticator::GetAssertion(const CborItem& req, UserPresence& presence) {
  KW_ASSIGN_OR_RETURN(auto rp_id, OptText(req, 1));
  if (!rp_id) return CtapError(ctap::kMissingParameter, "rpId");
  KW_ASSIGN_OR_RETURN(ByteSpan cdh, ReqBytes(req, 2));
  CborItem allow = req.Find(3);
  if (allow && !allow.IsArray()) return CtapError(ctap::kCborUnexpectedType, "allowList");
  KW_ASSIGN_OR_RETURN(auto extensions, OptMap(req, 4));
  KW_ASSIGN_OR_RETURN(auto options, OptMap(req, 5));
  KW_ASSIGN_OR_RETURN(auto pin_param, OptBytes(req, 6));
  KW_ASSIGN_OR_RETURN(auto protocol, OptInt(req, 7));

  if (pin_param && pin_param->empty()) {
    uint8_t up = presence.WaitForTouch();
    if (up != ctap::kOk) return CtapError(up);
    return CtapError(state_.pin_set() ? ctap::kPinInvalid : ctap::kPinNotSet, "selection probe");
  }
  if (pin_param && !protocol) return CtapError(ctap::kMissingParameter, "pinUvAuthProtocol");
  if (cdh.size() != 32) return CtapError(ctap::kInvalidLength, "clientDataHash");

  bool up_wanted = true, uv_option = false;
  if (options) {
    KW_ASSIGN_OR_RETURN(auto o_rk, OptBool(*options, std::string_view("rk")));
    if (o_rk) return CtapError(ctap::kUnsupportedOption, "rk in getAssertion");
    KW_ASSIGN_OR_RETURN(auto o_up, OptBool(*options, std::string_view("up")));
    KW_ASSIGN_OR_RETURN(auto o_uv, OptBool(*options, std::string_view("uv")));
    up_wanted = o_up.value_or(true);
    uv_option = o_uv.value_or(false);
  }

  bool uv = false;
  if (pin_param) {
    KW_TRY(VerifyToken(*protocol, cdh, *pin_param, permission::kGetAssertion, &*rp_id));
    uv = true;
  } else if (uv_option) {
    if (!switches_.builtin_uv.load()) {
      return CtapError(ctap::kInvalidOption, "no built-in user verification");
    }
    KW_TRY(BuiltinUv());
    uv = true;
  } else if (state_.always_uv && up_wanted) {
    return CtapError(ctap::kPuatRequired, "alwaysUv is on");
  }

  // Locate credentials (§6.2.2 step 7).
  auto pending = std::make_unique<PendingAssertion>();
  pending->rp_id = *rp_id;
  pending->client_data_hash = ToBytes(cdh);
  pending->uv = uv;
  if (allow && allow.ArraySize() > 0) {
    if (allow.ArraySize() > kMaxCredentialCountInList) {
      return CtapError(ctap::kLimitExceeded, "allowList too long");
    }
    for (size_t i = 0; i < allow.ArraySize(); ++i) {
      CborItem d = allow.At(i);
      if (!d.IsMap()) return CtapError(ctap::kCborUnexpectedType, "allowList entry");
      KW_ASSIGN_OR_RETURN(auto id, OptBytes(d, std::string_view("id")));
      KW_ASSIGN_OR_RETURN(auto type, OptText(d, std::string_view("type")));
      if (!id || !type) return CtapError(ctap::kMissingParameter, "allowList id/type");
      if (*type != "public-key" || !pending->creds.empty()) continue;
      auto c = FindCredential(*id, *rp_id);
      if (c && (c->cred_protect < 3 || uv)) pending->creds.push_back(std::move(*c));
    }
  } else {
    pending->discovery = true;
    for (const auto& c : state_.credentials) {
      if (c.rp_id == *rp_id && (c.cred_protect < 2 || uv)) pending->creds.push_back(c);
    }
    std::sort(pending->creds.begin(), pending->creds.end(),
              [](const auto& a, const auto& b) { return a.sequence > b.sequence; });
  }

  if (extensions) {
    CborItem hmac = extensions->Find(std::string_view("hmac-secret"));
    if (hmac) {
      if (!hmac.IsMap()) return CtapError(ctap::kCborUnexpectedType, "hmac-secret");
      KW_ASSIGN_OR_RETURN(CborItem key_agreement, ReqMap(hmac, 1));
      KW_ASSIGN_OR_RETURN(ByteSpan salt_enc, ReqBytes(hmac, 2));
      KW_ASSIGN_OR_RETURN(ByteSpan salt_auth, ReqBytes(hmac, 3));
      KW_ASSIGN_OR_RETURN(auto hs_protocol, OptInt(hmac, 4));
      int64_t proto_version = hs_protocol.value_or(1);
      const PinUvAuthProtocol* proto = PinUvAuthProtocol::ForVersion(proto_version);
      if (!proto) return CtapError(ctap::kInvalidParameter, "hmac-secret pinUvAuthProtocol");
      KW_ASSIGN_OR_RETURN(SecretBytes shared, SharedSecret(key_agreement, proto_version));
      if (!proto->Verify(shared.reveal(), salt_enc, salt_auth)) {
        return CtapError(ctap::kPinAuthInvalid, "saltAuth does not verify");
      }
      auto salts = proto->Decrypt(shared, salt_enc);
      if (!salts || (salts->size() != 32 && salts->size() != 64)) {
        return CtapError(ctap::kInvalidLength, "hmac-secret salts");
      }
      pending->hmac_secret =
          HmacSecretRequest{std::move(shared), proto_version, std::move(salts).value()};
    }
    KW_ASSIGN_OR_RETURN(auto cb, OptBool(*extensions, std::string_view("credBlob")));
    pending->cred_blob = cb.value_or(false);
    KW_ASSIGN_OR_RETURN(auto lbk, OptBool(*extensions, std::string_view("largeBlobKey")));
    if (lbk && !*lbk) return CtapError(ctap::kInvalidOption, "largeBlobKey=false");
    pending->large_blob_key = lbk.value_or(false);
  }

  if (pending->creds.empty()) return CtapError(ctap::kNoCredentials, "no credentials");
  if (up_wanted) {
    uint8_t up = presence.WaitForTouch();
    if (up != ctap::kOk) return CtapError(up, "no touch");
  }
  pending->flags = static_cast<uint8_t>((up_wanted ? kFlagUp : 0) | (uv ? kFlagUv : 0));
  pending->started = std::chrono::steady_clock::now();
  KW_ASSIGN_OR_RETURN(Bytes response, AssertionResponse(*pending, 0, true));
  if (pin_param) token_.permissions &= static_cast<uint8_t>(~permission::kMakeCredential);
  if (pending->discovery && pending->creds.size() > 1) pending_ = std::move(pending);
  return response;
}

Result<Bytes> SoftAuthenticator::GetNextAssertion(ByteSpan params) {
  if (!params.empty()) return CtapError(ctap::kInvalidLength, "getNextAssertion takes nothing");
  if (!pending_ || pending_->next >= pending_->creds.size() ||
      std::chrono::steady_clock::now() - pending_->started > kNextAssertionWindow) {
    pending_.reset();
    return CtapError(ctap::kNotAllowed, "no pending assertion");
  }
  size_t index = pending_->next++;
  pending_->started = std::chrono::steady_clock::now();
  return AssertionResponse(*pending_, index, false);
}

Result<Bytes> SoftAuthenticator::AssertionResponse(PendingAssertion& p, size_t index, bool first) {
  const ResidentCredential& c = p.creds[index];
  Bytes hmac_output;
  bool hmac_out = p.hmac_secret.has_value() && !c.cred_random_uv.empty();
  if (hmac_out) {
    const auto& hs = *p.hmac_secret;
    const SecretBytes& cred_random = p.uv ? c.cred_random_uv : c.cred_random_no_uv;
    Bytes outputs;
    for (size_t off = 0; off < hs.salts.size(); off += 32) {
      auto mac = HmacSha256(cred_random.reveal(), hs.salts.reveal().subspan(off, 32));
      outputs.insert(outputs.end(), mac.begin(), mac.end());
    }
    auto enc = PinUvAuthProtocol::ForVersion(hs.protocol)->Encrypt(hs.shared, outputs);
    OPENSSL_cleanse(outputs.data(), outputs.size());
    if (!enc) return CtapError(ctap::kOther, enc.error().detail);
    hmac_output = std::move(enc).value();
  }
  size_t n_ext = (p.cred_blob ? 1 : 0) + (hmac_out ? 1 : 0);
  CborWriter ext;
  if (n_ext > 0) {
    ext.Map(n_ext);
    if (p.cred_blob) ext.Text("credBlob").Bytes(c.cred_blob);
    if (hmac_out) ext.Text("hmac-secret").Bytes(hmac_output);
  }
  uint8_t flags = static_cast<uint8_t>(p.flags | (n_ext > 0 ? kFlagEd : 0));
  KW_ASSIGN_OR_RETURN(Bytes auth_data, AuthData(p.rp_id, flags, nullptr, {}, ext.bytes()));
  KW_ASSIGN_OR_RETURN(SigningKey key, SigningKey::FromPrivate(c.alg, c.private_key.reveal()));
  Bytes signed_data = auth_data;
  signed_data.insert(signed_data.end(), p.client_data_hash.begin(), p.client_data_hash.end());
  KW_ASSIGN_OR_RETURN(Bytes sig, key.Sign(signed_data));
  if (auto persisted = Persist(); !persisted) {
    return CtapError(ctap::kOther, persisted.error().detail);
  }

  bool has_user = !c.user_id.empty();
  bool user_details = has_user && p.uv;
  bool count = first && p.discovery && p.creds.size() > 1;
  bool lbk = p.large_blob_key && !c.large_blob_key.empty();
  CborWriter w;
  w.Map(3 + (has_user ? 1 : 0) + (count ? 1 : 0) + (lbk ? 1 : 0));
  w.Uint(1).Map(2).Text("id").Bytes(c.id).Text("type").Text("public-key");
  w.Uint(2).Bytes(auth_data);
  w.Uint(3).Bytes(sig);
  if (has_user) {
    size_t n = 1;
    if (user_details) n += (c.user_name.empty() ? 0 : 1) + (c.user_display_name.empty() ? 0 : 1);
    w.Uint(4).Map(n).Text("id").Bytes(c.user_id);
    if (user_details && !c.user_name.empty()) w.Text("name").Text(c.user_name);
    if (user_details && !c.user_display_name.empty()) {
      w.Text("displayName").Text(c.user_display_name);
    }
  }
  if (count) w.Uint(5).Uint(p.creds.size());
  if (lbk) w.Uint(7).Bytes(c.large_blob_key.reveal());
  return w.Take();
}

}  // namespace keyward::softctap
