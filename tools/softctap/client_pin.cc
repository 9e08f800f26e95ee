// authenticatorClientPIN (CTAP 2.1 §6.5): getPINRetries, getKeyAgreement, setPIN, changePIN,
// getPinToken, getPinUvAuthTokenUsingUvWithPermissions, getUVRetries,
// getPinUvAuthTokenUsingPinWithPermissions.
//
// Retries (§6.5.2.2): pinRetries starts at 8 and is persisted; every PIN attempt decrements it
// before comparing, a match restores 8. Three consecutive mismatches in one power cycle give
// CTAP2_ERR_PIN_AUTH_BLOCKED until the next power cycle; pinRetries reaching 0 gives
// CTAP2_ERR_PIN_BLOCKED for good (only reset helps).
#include "core/cbor_writer.h"
#include "core/hash.h"
#include "tools/softctap/ctap_request.h"
#include "tools/softctap/ctap_status.h"
#include "tools/softctap/pin_uv_auth_protocol.h"
#include "tools/softctap/soft_authenticator.h"
#include "tools/softctap/soft_authenticator_internal.h"

namespace keyward::softctap {
namespace {

constexpr uint8_t kSupportedPermissions = permission::kMakeCredential | permission::kGetAssertion |
                                          permission::kCredentialManagement |
                                          permission::kAuthenticatorConfig;

uint32_t CodePoints(ByteSpan utf8) {
  uint32_t n = 0;
  for (uint8_t b : utf8) n += (b & 0xc0) != 0x80 ? 1 : 0;
  return n;
}

SecretBytes PinHash(ByteSpan pin) {
  auto d = Sha256(pin);
  SecretBytes out(ByteSpan(d.data(), 16));
  OPENSSL_cleanse(d.data(), d.size());
  return out;
}

}  // namespace

Result<SecretBytes> SoftAuthenticator::SharedSecret(const CborItem& key, int64_t protocol) {
  const PinUvAuthProtocol* proto = PinUvAuthProtocol::ForVersion(protocol);
  if (!proto) return CtapError(ctap::kInvalidParameter, "unsupported pinUvAuthProtocol");
  KW_ASSIGN_OR_RETURN(auto kty, OptInt(key, 1));
  KW_ASSIGN_OR_RETURN(auto crv, OptInt(key, -1));
  KW_ASSIGN_OR_RETURN(auto x, OptBytes(key, -2));
  KW_ASSIGN_OR_RETURN(auto y, OptBytes(key, -3));
  if (!kty || !crv || !x || !y) return CtapError(ctap::kMissingParameter, "keyAgreement");
  if (*kty != 2 || *crv != 1) return CtapError(ctap::kInvalidParameter, "keyAgreement curve");
  auto z = key_agreement_->SharedX(*x, *y);
  if (!z) return CtapError(ctap::kInvalidParameter, "keyAgreement point");
  return proto->Kdf(*z);
}

Result<void> SoftAuthenticator::CheckPinHash(const SecretBytes& shared, int64_t protocol,
                                             ByteSpan pin_hash_enc) {
  if (state_.pin_retries == 0) return CtapError(ctap::kPinBlocked, "PIN blocked");
  if (consecutive_pin_failures_ >= 3) {
    return CtapError(ctap::kPinAuthBlocked, "PIN auth blocked until power cycle");
  }
  auto hash = PinUvAuthProtocol::ForVersion(protocol)->Decrypt(shared, pin_hash_enc);
  if (!hash || hash->size() != 16) return CtapError(ctap::kInvalidParameter, "pinHashEnc");
  --state_.pin_retries;
  if (!ConstantTimeEqual(hash->reveal(), state_.pin_hash.reveal())) {
    KW_ASSIGN_OR_RETURN(EcdhKey k, EcdhKey::Generate());
    key_agreement_ = std::move(k);
    ++consecutive_pin_failures_;
    (void)Persist();
    if (state_.pin_retries == 0) return CtapError(ctap::kPinBlocked, "PIN blocked");
    if (consecutive_pin_failures_ >= 3) {
      return CtapError(ctap::kPinAuthBlocked, "PIN auth blocked until power cycle");
    }
    return CtapError(ctap::kPinInvalid, "wrong PIN");
  }
  state_.pin_retries = kMaxPinRetries;
  consecutive_pin_failures_ = 0;
  if (auto p = Persist(); !p) return CtapError(ctap::kOther, p.error().detail);
  return Ok();
}

Result<SecretBytes> SoftAuthenticator::DecryptNewPin(const SecretBytes& shared, int64_t protocol,
                                                     ByteSpan new_pin_enc) {
  size_t expected = protocol == 1 ? 64 : 80;
  if (new_pin_enc.size() != expected) return CtapError(ctap::kInvalidParameter, "newPinEnc");
  auto padded = PinUvAuthProtocol::ForVersion(protocol)->Decrypt(shared, new_pin_enc);
  if (!padded || padded->size() != 64) return CtapError(ctap::kInvalidParameter, "newPinEnc");
  ByteSpan p = padded->reveal();
  size_t len = 0;
  while (len < p.size() && p[len] != 0) ++len;
  for (size_t i = len; i < p.size(); ++i) {
    if (p[i] != 0) return CtapError(ctap::kPinPolicyViolation, "PIN padding");
  }
  if (len < 4 || len > 63) return CtapError(ctap::kPinPolicyViolation, "PIN length");
  if (CodePoints(p.first(len)) < state_.min_pin_length) {
    return CtapError(ctap::kPinPolicyViolation, "PIN shorter than minPINLength");
  }
  return SecretBytes(p.first(len));
}

Result<Bytes> SoftAuthenticator::IssueToken(const SecretBytes& shared, int64_t protocol,
                                            uint8_t permissions, std::optional<std::string> rp_id) {
  KW_ASSIGN_OR_RETURN(Bytes t, RandomBytes(32));
  token_ = Token{};
  token_.key = SecretBytes(t);
  OPENSSL_cleanse(t.data(), t.size());
  token_.permissions = permissions;
  token_.rp_id = std::move(rp_id);
  token_.protocol = protocol;
  token_.in_use = true;
  auto enc = PinUvAuthProtocol::ForVersion(protocol)->Encrypt(shared, token_.key.reveal());
  if (!enc) return CtapError(ctap::kOther, enc.error().detail);
  CborWriter w;
  w.Map(1).Uint(2).Bytes(*enc);
  return w.Take();
}

Result<Bytes> SoftAuthenticator::ClientPin(const CborItem& req, UserPresence& presence) {
  (void)presence;
  KW_ASSIGN_OR_RETURN(auto protocol, OptInt(req, 1));
  KW_ASSIGN_OR_RETURN(auto sub, OptInt(req, 2));
  if (!sub) return CtapError(ctap::kMissingParameter, "subCommand");
  KW_ASSIGN_OR_RETURN(auto key_agreement, OptMap(req, 3));
  KW_ASSIGN_OR_RETURN(auto pin_param, OptBytes(req, 4));
  KW_ASSIGN_OR_RETURN(auto new_pin_enc, OptBytes(req, 5));
  KW_ASSIGN_OR_RETURN(auto pin_hash_enc, OptBytes(req, 6));
  KW_ASSIGN_OR_RETURN(auto permissions, OptInt(req, 9));
  KW_ASSIGN_OR_RETURN(auto rp_id, OptText(req, 10));

  if (*sub == 0x01) {  // getPINRetries
    CborWriter w;
    w.Map(2).Uint(3).Uint(state_.pin_retries).Uint(4).Bool(consecutive_pin_failures_ >= 3);
    return w.Take();
  }
  if (*sub == 0x07) {  // getUVRetries
    CborWriter w;
    w.Map(1).Uint(5).Uint(state_.uv_retries);
    return w.Take();
  }
  if (*sub < 0x02 || *sub > 0x09 || *sub == 0x08) {
    return CtapError(ctap::kInvalidSubcommand, "unknown clientPIN subcommand");
  }
  if (!protocol) return CtapError(ctap::kMissingParameter, "pinUvAuthProtocol");
  const PinUvAuthProtocol* proto = PinUvAuthProtocol::ForVersion(*protocol);
  if (!proto) return CtapError(ctap::kInvalidParameter, "unsupported pinUvAuthProtocol");

  if (*sub == 0x02) {  // getKeyAgreement
    CborWriter w;
    w.Map(1).Uint(1).Raw(key_agreement_->CosePublicKey());
    return w.Take();
  }
  if (!key_agreement) return CtapError(ctap::kMissingParameter, "keyAgreement");

  switch (*sub) {
    case 0x03: {  // setPIN
      if (!pin_param || !new_pin_enc) return CtapError(ctap::kMissingParameter, "setPIN");
      if (state_.pin_set()) return CtapError(ctap::kNotAllowed, "PIN already set");
      KW_ASSIGN_OR_RETURN(SecretBytes shared, SharedSecret(*key_agreement, *protocol));
      if (!proto->Verify(shared.reveal(), *new_pin_enc, *pin_param)) {
        return CtapError(ctap::kPinAuthInvalid, "setPIN pinUvAuthParam");
      }
      KW_ASSIGN_OR_RETURN(SecretBytes pin, DecryptNewPin(shared, *protocol, *new_pin_enc));
      state_.pin_hash = PinHash(pin.reveal());
      state_.pin_code_points = CodePoints(pin.reveal());
      state_.pin_retries = kMaxPinRetries;
      if (auto p = Persist(); !p) return CtapError(ctap::kOther, p.error().detail);
      return Bytes{};
    }
    case 0x04: {  // changePIN
      if (!pin_param || !new_pin_enc || !pin_hash_enc) {
        return CtapError(ctap::kMissingParameter, "changePIN");
      }
      if (!state_.pin_set()) return CtapError(ctap::kPinNotSet, "no PIN");
      if (state_.pin_retries == 0) return CtapError(ctap::kPinBlocked, "PIN blocked");
      KW_ASSIGN_OR_RETURN(SecretBytes shared, SharedSecret(*key_agreement, *protocol));
      Bytes msg = ToBytes(*new_pin_enc);
      msg.insert(msg.end(), pin_hash_enc->begin(), pin_hash_enc->end());
      if (!proto->Verify(shared.reveal(), msg, *pin_param)) {
        return CtapError(ctap::kPinAuthInvalid, "changePIN pinUvAuthParam");
      }
      KW_TRY(CheckPinHash(shared, *protocol, *pin_hash_enc));
      KW_ASSIGN_OR_RETURN(SecretBytes pin, DecryptNewPin(shared, *protocol, *new_pin_enc));
      SecretBytes hash = PinHash(pin.reveal());
      if (state_.force_pin_change && ConstantTimeEqual(hash.reveal(), state_.pin_hash.reveal())) {
        return CtapError(ctap::kPinPolicyViolation, "new PIN must differ");
      }
      state_.pin_hash = std::move(hash);
      state_.pin_code_points = CodePoints(pin.reveal());
      state_.force_pin_change = false;
      token_ = Token{};
      if (auto p = Persist(); !p) return CtapError(ctap::kOther, p.error().detail);
      return Bytes{};
    }
    case 0x05: {  // getPinToken (CTAP 2.0): permissions mc and ga, no RP ID
      if (!pin_hash_enc) return CtapError(ctap::kMissingParameter, "pinHashEnc");
      if (permissions || rp_id) return CtapError(ctap::kInvalidParameter, "getPinToken");
      if (!state_.pin_set()) return CtapError(ctap::kPinNotSet, "no PIN");
      KW_ASSIGN_OR_RETURN(SecretBytes shared, SharedSecret(*key_agreement, *protocol));
      KW_TRY(CheckPinHash(shared, *protocol, *pin_hash_enc));
      if (state_.force_pin_change) return CtapError(ctap::kPinPolicyViolation, "PIN change due");
      return IssueToken(shared, *protocol, permission::kMakeCredential | permission::kGetAssertion,
                        std::nullopt);
    }
    case 0x06:    // getPinUvAuthTokenUsingUvWithPermissions
    case 0x09: {  // getPinUvAuthTokenUsingPinWithPermissions
      if (!permissions) return CtapError(ctap::kMissingParameter, "permissions");
      if (*permissions <= 0 || *permissions > 0xff) {
        return CtapError(ctap::kInvalidParameter, "permissions");
      }
      if ((*permissions & ~static_cast<int64_t>(kSupportedPermissions)) != 0) {
        return CtapError(ctap::kUnauthorizedPermission, "unsupported permission");
      }
      KW_ASSIGN_OR_RETURN(SecretBytes shared, SharedSecret(*key_agreement, *protocol));
      if (*sub == 0x06) {
        if (!switches_.builtin_uv.load()) {
          return CtapError(ctap::kNotAllowed, "no built-in user verification");
        }
        KW_TRY(BuiltinUv());
      } else {
        if (!pin_hash_enc) return CtapError(ctap::kMissingParameter, "pinHashEnc");
        if (!state_.pin_set()) return CtapError(ctap::kPinNotSet, "no PIN");
        KW_TRY(CheckPinHash(shared, *protocol, *pin_hash_enc));
        if (state_.force_pin_change) {
          return CtapError(ctap::kPinPolicyViolation, "PIN change due");
        }
      }
      return IssueToken(shared, *protocol, static_cast<uint8_t>(*permissions), rp_id);
    }
    default:
      return CtapError(ctap::kInvalidSubcommand, "unknown clientPIN subcommand");
  }
}

}  // namespace keyward::softctap
