// authenticatorConfig (CTAP 2.1 §6.11): enableEnterpriseAttestation, toggleAlwaysUv,
// setMinPINLength (with minPinLengthRPIDs and forceChangePin).
//
// When the authenticator is protected by a PIN or built-in UV, or alwaysUv is on, the request
// needs pinUvAuthParam = authenticate(token, 32×0xff || 0x0d || subCommand || subCommandParams)
// and the token needs the acfg permission.
#include "core/cbor_writer.h"
#include "tools/softctap/ctap_request.h"
#include "tools/softctap/ctap_status.h"
#include "tools/softctap/soft_authenticator.h"
#include "tools/softctap/soft_authenticator_internal.h"

namespace keyward::softctap {

Result<Bytes> SoftAuthenticator::Config(const CborItem& req) {
  KW_ASSIGN_OR_RETURN(auto sub, OptInt(req, 1));
  if (!sub) return CtapError(ctap::kMissingParameter, "subCommand");
  KW_ASSIGN_OR_RETURN(auto params, OptMap(req, 2));
  KW_ASSIGN_OR_RETURN(auto protocol, OptInt(req, 3));
  KW_ASSIGN_OR_RETURN(auto pin_param, OptBytes(req, 4));

  bool protected_by_uv = state_.pin_set() || switches_.builtin_uv.load();
  if (protected_by_uv || state_.always_uv) {
    if (!pin_param) return CtapError(ctap::kPuatRequired, "authenticatorConfig needs a token");
    if (!protocol) return CtapError(ctap::kMissingParameter, "pinUvAuthProtocol");
    Bytes message(32, 0xff);
    message.push_back(ctap_cmd::kConfig);
    message.push_back(static_cast<uint8_t>(*sub));
    if (params) {
      Bytes enc = EncodeItem(*params);
      message.insert(message.end(), enc.begin(), enc.end());
    }
    KW_TRY(VerifyToken(*protocol, message, *pin_param, permission::kAuthenticatorConfig, nullptr));
  }

  switch (*sub) {
    case 0x01:  // enableEnterpriseAttestation
      state_.ep_enabled = true;
      break;
    case 0x02:  // toggleAlwaysUv
      state_.always_uv = !state_.always_uv;
      break;
    case 0x03: {  // setMinPINLength
      std::optional<int64_t> new_min;
      std::optional<bool> force;
      std::vector<std::string> rp_ids;
      bool have_rp_ids = false;
      if (params) {
        KW_ASSIGN_OR_RETURN(new_min, OptInt(*params, 1));
        CborItem rps = params->Find(2);
        if (rps) {
          if (!rps.IsArray()) return CtapError(ctap::kCborUnexpectedType, "minPinLengthRPIDs");
          if (rps.ArraySize() > internal::kMaxRpIdsForSetMinPinLength) {
            return CtapError(ctap::kLimitExceeded, "too many minPinLengthRPIDs");
          }
          for (size_t i = 0; i < rps.ArraySize(); ++i) {
            auto t = rps.At(i).GetText();
            if (!t) return CtapError(ctap::kCborUnexpectedType, "minPinLengthRPIDs entry");
            rp_ids.emplace_back(*t);
          }
          have_rp_ids = true;
        }
        CborItem f = params->Find(3);
        if (f) {
          if (!f.IsBool()) return CtapError(ctap::kCborUnexpectedType, "forceChangePin");
          force = *f.GetBool();
        }
      }
      int64_t min = new_min.value_or(state_.min_pin_length);
      if (min < static_cast<int64_t>(state_.min_pin_length) || min > 63) {
        return CtapError(ctap::kPinPolicyViolation, "minPINLength may only grow");
      }
      if (force.value_or(false) && !state_.pin_set()) {
        return CtapError(ctap::kPinNotSet, "forceChangePin without a PIN");
      }
      state_.min_pin_length = static_cast<uint32_t>(min);
      if (have_rp_ids) state_.min_pin_length_rp_ids = rp_ids;
      if (force.value_or(false) ||
          (state_.pin_set() && state_.pin_code_points < state_.min_pin_length)) {
        state_.force_pin_change = true;
      }
      break;
    }
    default:
      return CtapError(ctap::kInvalidSubcommand, "unknown authenticatorConfig subcommand");
  }
  if (auto p = Persist(); !p) return CtapError(ctap::kOther, p.error().detail);
  return Bytes{};
}

}  // namespace keyward::softctap
