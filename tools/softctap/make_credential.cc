// authenticatorMakeCredential (CTAP 2.1 §6.1) with the credProtect, hmac-secret, credBlob,
// largeBlobKey and minPinLength extensions (§12) and packed attestation (WebAuthn L3 §8.2).
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

// A PublicKeyCredentialDescriptor: {"id": bytes, "type": text}.
Result<ByteSpan> DescriptorId(const CborItem& d) {
  if (!d.IsMap()) return CtapError(ctap::kCborUnexpectedType, "descriptor is not a map");
  KW_ASSIGN_OR_RETURN(auto id, OptBytes(d, std::string_view("id")));
  KW_ASSIGN_OR_RETURN(auto type, OptText(d, std::string_view("type")));
  if (!id || !type) return CtapError(ctap::kMissingParameter, "descriptor id/type");
  return *id;
}

}  // namespace

Result<ResidentCredential> SoftAuthenticator::NewCredential(KeyAlg alg, uint8_t cred_protect,
                                                            bool hmac_secret) {
  KW_ASSIGN_OR_RETURN(SigningKey key, SigningKey::Generate(alg));
  ResidentCredential c;
  c.alg = alg;
  c.private_key = SecretBytes(key.private_bytes().reveal());
  c.cred_protect = cred_protect;
  if (hmac_secret) {
    c.cred_random_uv = CredRandom(c, true);
    c.cred_random_no_uv = CredRandom(c, false);
  }
  return c;
}

// CredRandomWithUV / WithoutUV derived from the master key and the credential's key, so that
// wrapped (non-resident) credential ids stay short.
SecretBytes SoftAuthenticator::CredRandom(const ResidentCredential& c, bool uv) const {
  std::string_view label = uv ? "CredRandomWithUV" : "CredRandomWithoutUV";
  Bytes msg(label.begin(), label.end());
  msg.insert(msg.end(), c.private_key.reveal().begin(), c.private_key.reveal().end());
  auto mac = HmacSha256(state_.master_key.reveal(), msg);
  OPENSSL_cleanse(msg.data(), msg.size());
  SecretBytes out(mac);
  OPENSSL_cleanse(mac.data(), mac.size());
  return out;
}

Result<void> SoftAuthenticator::VerifyToken(int64_t protocol, ByteSpan message, ByteSpan param,
                                            uint8_t permission, const std::string* rp_id) {
  const PinUvAuthProtocol* proto = PinUvAuthProtocol::ForVersion(protocol);
  if (!proto) return CtapError(ctap::kInvalidParameter, "unsupported pinUvAuthProtocol");
  if (!token_.in_use || token_.protocol != protocol ||
      !proto->Verify(token_.key.reveal(), message, param)) {
    return CtapError(ctap::kPinAuthInvalid, "pinUvAuthParam does not verify");
  }
  if ((token_.permissions & permission) == 0) {
    return CtapError(ctap::kPinAuthInvalid, "pinUvAuthToken lacks the permission");
  }
  if (rp_id) {
    if (token_.rp_id && *token_.rp_id != *rp_id) {
      return CtapError(ctap::kPinAuthInvalid, "pinUvAuthToken is bound to another RP ID");
    }
    token_.rp_id = *rp_id;
  }
  return Ok();
}

Result<Bytes> SoftAuthenticator::MakeCredential(const CborItem& req, UserPresence& presence) {
  KW_ASSIGN_OR_RETURN(ByteSpan cdh, ReqBytes(req, 1));
  KW_ASSIGN_OR_RETURN(CborItem rp, ReqMap(req, 2));
  KW_ASSIGN_OR_RETURN(CborItem user, ReqMap(req, 3));
  CborItem params = req.Find(4);
  if (!params) return CtapError(ctap::kMissingParameter, "pubKeyCredParams");
  if (!params.IsArray()) return CtapError(ctap::kCborUnexpectedType, "pubKeyCredParams");
  CborItem exclude = req.Find(5);
  if (exclude && !exclude.IsArray()) return CtapError(ctap::kCborUnexpectedType, "excludeList");
  KW_ASSIGN_OR_RETURN(auto extensions, OptMap(req, 6));
  KW_ASSIGN_OR_RETURN(auto options, OptMap(req, 7));
  KW_ASSIGN_OR_RETURN(auto pin_param, OptBytes(req, 8));
  KW_ASSIGN_OR_RETURN(auto protocol, OptInt(req, 9));
  KW_ASSIGN_OR_RETURN(auto ep, OptInt(req, 10));

  if (pin_param && pin_param->empty()) {
    uint8_t up = presence.WaitForTouch();
    if (up != ctap::kOk) return CtapError(up);
    return CtapError(state_.pin_set() ? ctap::kPinInvalid : ctap::kPinNotSet, "selection probe");
  }
  if (pin_param) {
    if (!protocol) return CtapError(ctap::kMissingParameter, "pinUvAuthProtocol");
    if (!PinUvAuthProtocol::ForVersion(*protocol)) {
      return CtapError(ctap::kInvalidParameter, "unsupported pinUvAuthProtocol");
    }
  }
  if (cdh.size() != 32) return CtapError(ctap::kInvalidLength, "clientDataHash");
  KW_ASSIGN_OR_RETURN(auto rp_id, OptText(rp, std::string_view("id")));
  if (!rp_id) return CtapError(ctap::kMissingParameter, "rp.id");
  if (rp_id->size() > kMaxRpIdLength) return CtapError(ctap::kInvalidLength, "rp.id");
  KW_ASSIGN_OR_RETURN(auto rp_name, OptText(rp, std::string_view("name")));
  KW_ASSIGN_OR_RETURN(auto user_id, OptBytes(user, std::string_view("id")));
  if (!user_id) return CtapError(ctap::kMissingParameter, "user.id");
  if (user_id->size() > kMaxUserIdLength) return CtapError(ctap::kInvalidLength, "user.id");
  KW_ASSIGN_OR_RETURN(auto user_name, OptText(user, std::string_view("name")));
  KW_ASSIGN_OR_RETURN(auto display_name, OptText(user, std::string_view("displayName")));

  std::optional<KeyAlg> alg;
  for (size_t i = 0; i < params.ArraySize(); ++i) {
    CborItem p = params.At(i);
    if (!p.IsMap()) return CtapError(ctap::kCborUnexpectedType, "pubKeyCredParams entry");
    KW_ASSIGN_OR_RETURN(auto a, OptInt(p, std::string_view("alg")));
    KW_ASSIGN_OR_RETURN(auto t, OptText(p, std::string_view("type")));
    if (!a || !t) return CtapError(ctap::kMissingParameter, "pubKeyCredParams alg/type");
    if (!alg && *t == "public-key" && (*a == -7 || *a == -8)) alg = static_cast<KeyAlg>(*a);
  }
  if (!alg) return CtapError(ctap::kUnsupportedAlgorithm, "no supported algorithm");

  bool rk = false, uv_option = false;
  if (options) {
    KW_ASSIGN_OR_RETURN(auto o_rk, OptBool(*options, std::string_view("rk")));
    KW_ASSIGN_OR_RETURN(auto o_up, OptBool(*options, std::string_view("up")));
    KW_ASSIGN_OR_RETURN(auto o_uv, OptBool(*options, std::string_view("uv")));
    if (o_up && !*o_up) return CtapError(ctap::kInvalidOption, "up=false in makeCredential");
    rk = o_rk.value_or(false);
    uv_option = o_uv.value_or(false);
  }

  // User verification (CTAP 2.1 §6.1.2 steps 5-11).
  bool uv = false;
  bool builtin = switches_.builtin_uv.load();
  if (pin_param) {
    KW_TRY(VerifyToken(*protocol, cdh, *pin_param, permission::kMakeCredential, &*rp_id));
    uv = true;
  } else if (uv_option) {
    if (!builtin) return CtapError(ctap::kInvalidOption, "no built-in user verification");
    KW_TRY(BuiltinUv());
    uv = true;
  } else {
    bool protected_by_uv = state_.pin_set() || builtin;
    if (state_.always_uv) return CtapError(ctap::kPuatRequired, "alwaysUv is on");
    if (protected_by_uv && rk) {
      return CtapError(ctap::kPuatRequired, "discoverable credential needs user verification");
    }
  }

  bool ep_att = false;
  if (ep) {
    if (!state_.ep_enabled) return CtapError(ctap::kInvalidParameter, "enterprise attestation off");
    if (*ep != 1 && *ep != 2) return CtapError(ctap::kInvalidOption, "enterpriseAttestation");
    ep_att = true;
  }

  uint8_t cred_protect = 1;
  bool ext_cred_protect = false, hmac_secret = false, want_lbk = false, want_min_pin = false;
  std::optional<Bytes> cred_blob;
  if (extensions) {
    KW_ASSIGN_OR_RETURN(auto cp, OptInt(*extensions, std::string_view("credProtect")));
    if (cp) {
      if (*cp < 1 || *cp > 3) return CtapError(ctap::kInvalidParameter, "credProtect");
      cred_protect = static_cast<uint8_t>(*cp);
      ext_cred_protect = true;
    }
    KW_ASSIGN_OR_RETURN(auto hs, OptBool(*extensions, std::string_view("hmac-secret")));
    hmac_secret = hs.value_or(false);
    KW_ASSIGN_OR_RETURN(auto cb, OptBytes(*extensions, std::string_view("credBlob")));
    if (cb) cred_blob = ToBytes(*cb);
    KW_ASSIGN_OR_RETURN(auto lbk, OptBool(*extensions, std::string_view("largeBlobKey")));
    if (lbk) {
      if (!*lbk || !rk) return CtapError(ctap::kInvalidOption, "largeBlobKey needs rk");
      want_lbk = true;
    }
    KW_ASSIGN_OR_RETURN(auto mpl, OptBool(*extensions, std::string_view("minPinLength")));
    want_min_pin = mpl.value_or(false);
  }

  if (exclude) {
    for (size_t i = 0; i < exclude.ArraySize(); ++i) {
      KW_ASSIGN_OR_RETURN(ByteSpan id, DescriptorId(exclude.At(i)));
      auto found = FindCredential(id, *rp_id);
      if (found && (found->cred_protect != 3 || uv)) {
        uint8_t up = presence.WaitForTouch();
        if (up != ctap::kOk) return CtapError(up);
        return CtapError(ctap::kCredentialExcluded, "credential excluded");
      }
    }
  }

  uint8_t up = presence.WaitForTouch();
  if (up != ctap::kOk) return CtapError(up, "no touch");

  KW_ASSIGN_OR_RETURN(ResidentCredential c, NewCredential(*alg, cred_protect, hmac_secret));
  bool blob_stored = cred_blob && cred_blob->size() <= kMaxCredBlobLength;
  if (blob_stored) c.cred_blob = *cred_blob;
  auto rp_hash = Sha256(AsBytes(*rp_id));
  if (rk) {
    KW_ASSIGN_OR_RETURN(Bytes rnd, RandomBytes(31));
    c.id = {0x02};
    c.id.insert(c.id.end(), rnd.begin(), rnd.end());
    c.rp_id = *rp_id;
    c.rp_name = rp_name.value_or("");
    c.user_id = ToBytes(*user_id);
    c.user_name = user_name.value_or("");
    c.user_display_name = display_name.value_or("");
    if (want_lbk) {
      KW_ASSIGN_OR_RETURN(Bytes k, RandomBytes(32));
      c.large_blob_key = SecretBytes(k);
    }
    c.sequence = state_.next_sequence++;
  } else {
    KW_ASSIGN_OR_RETURN(c.id, WrapCredential(c, rp_hash));
  }

  CborWriter ext;
  size_t n_ext = (cred_blob ? 1 : 0) + (ext_cred_protect ? 1 : 0) + (hmac_secret ? 1 : 0);
  bool min_pin_out = want_min_pin && std::find(state_.min_pin_length_rp_ids.begin(),
                                               state_.min_pin_length_rp_ids.end(),
                                               *rp_id) != state_.min_pin_length_rp_ids.end();
  n_ext += min_pin_out ? 1 : 0;
  if (n_ext > 0) {
    ext.Map(n_ext);
    if (cred_blob) ext.Text("credBlob").Bool(blob_stored);
    if (ext_cred_protect) ext.Text("credProtect").Uint(cred_protect);
    if (hmac_secret) ext.Text("hmac-secret").Bool(true);
    if (min_pin_out) ext.Text("minPinLength").Uint(state_.min_pin_length);
  }
  KW_ASSIGN_OR_RETURN(SigningKey key, SigningKey::FromPrivate(c.alg, c.private_key.reveal()));
  uint8_t flags = kFlagUp | kFlagAt | (uv ? kFlagUv : 0) | (n_ext > 0 ? kFlagEd : 0);
  KW_ASSIGN_OR_RETURN(Bytes auth_data,
                      AuthData(*rp_id, flags, &c, key.CosePublicKey(), ext.bytes()));

  KW_ASSIGN_OR_RETURN(SigningKey batch, SigningKey::FromPrivate(
                                            KeyAlg::kEs256, state_.attestation.batch_key.reveal()));
  Bytes signed_data = auth_data;
  signed_data.insert(signed_data.end(), cdh.begin(), cdh.end());
  KW_ASSIGN_OR_RETURN(Bytes sig, batch.Sign(signed_data));

  if (rk) {
    auto same = std::find_if(
        state_.credentials.begin(), state_.credentials.end(),
        [&](const ResidentCredential& o) { return o.rp_id == c.rp_id && o.user_id == c.user_id; });
    if (same != state_.credentials.end()) {
      *same = c;
    } else {
      if (state_.credentials.size() >= kMaxResidentCredentials) {
        return CtapError(ctap::kKeyStoreFull, "no room for another discoverable credential");
      }
      state_.credentials.push_back(c);
    }
  }
  if (pin_param)
    token_.permissions &=
        static_cast<uint8_t>(~(permission::kMakeCredential | permission::kGetAssertion));
  if (auto p = Persist(); !p) return CtapError(ctap::kOther, p.error().detail);

  CborWriter w;
  w.Map(3 + (ep_att ? 1 : 0) + (want_lbk ? 1 : 0));
  w.Uint(1).Text("packed");
  w.Uint(2).Bytes(auth_data);
  w.Uint(3).Map(3).Text("alg").Int(-7).Text("sig").Bytes(sig).Text("x5c").Array(1).Bytes(
      state_.attestation.batch_cert);
  if (ep_att) w.Uint(4).Bool(true);
  if (want_lbk) w.Uint(5).Bytes(c.large_blob_key.reveal());
  return w.Take();
}

}  // namespace keyward::softctap
