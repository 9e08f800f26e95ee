// authenticatorCredentialManagement (CTAP 2.1 §6.8), also answered on the prototype command
// 0x41 that libfido2 1.12 sends: getCredsMetadata, enumerateRPs{Begin,GetNextRP},
// enumerateCredentials{Begin,GetNextCredential}, deleteCredential, updateUserInformation.
//
// pinUvAuthParam = authenticate(pinUvAuthToken, subCommand || subCommandParams) and the token
// needs the cm permission; for the RP-scoped subcommands an RP-bound token must match.
#include <algorithm>
#include <map>

#include "core/cbor_writer.h"
#include "core/hash.h"
#include "tools/softctap/ctap_request.h"
#include "tools/softctap/ctap_status.h"
#include "tools/softctap/soft_authenticator.h"
#include "tools/softctap/soft_authenticator_internal.h"

namespace keyward::softctap {
namespace {

void WriteRp(CborWriter& w, const std::string& rp_id, const std::string& rp_name) {
  w.Uint(3).Map(rp_name.empty() ? 1 : 2).Text("id").Text(rp_id);
  if (!rp_name.empty()) w.Text("name").Text(rp_name);
  auto h = Sha256(AsBytes(rp_id));
  w.Uint(4).Bytes(h);
}

Result<Bytes> WriteCredential(const ResidentCredential& c, std::optional<size_t> total) {
  KW_ASSIGN_OR_RETURN(SigningKey key, SigningKey::FromPrivate(c.alg, c.private_key.reveal()));
  bool lbk = !c.large_blob_key.empty();
  CborWriter w;
  w.Map(4 + (total ? 1 : 0) + (lbk ? 1 : 0));
  size_t n = 1 + (c.user_name.empty() ? 0 : 1) + (c.user_display_name.empty() ? 0 : 1);
  w.Uint(6).Map(n).Text("id").Bytes(c.user_id);
  if (!c.user_name.empty()) w.Text("name").Text(c.user_name);
  if (!c.user_display_name.empty()) w.Text("displayName").Text(c.user_display_name);
  w.Uint(7).Map(2).Text("id").Bytes(c.id).Text("type").Text("public-key");
  w.Uint(8).Raw(key.CosePublicKey());
  if (total) w.Uint(9).Uint(*total);
  w.Uint(10).Uint(c.cred_protect);
  if (lbk) w.Uint(11).Bytes(c.large_blob_key.reveal());
  return w.Take();
}

}  // namespace

Result<Bytes> SoftAuthenticator::CredentialManagement(const CborItem& req) {
  KW_ASSIGN_OR_RETURN(auto sub, OptInt(req, 1));
  if (!sub) return CtapError(ctap::kMissingParameter, "subCommand");
  KW_ASSIGN_OR_RETURN(auto params, OptMap(req, 2));
  KW_ASSIGN_OR_RETURN(auto protocol, OptInt(req, 3));
  KW_ASSIGN_OR_RETURN(auto pin_param, OptBytes(req, 4));

  if (*sub == 0x03) {  // enumerateRPsGetNextRP
    if (!enumeration_ || enumeration_->next_rp >= enumeration_->rp_ids.size()) {
      return CtapError(ctap::kNotAllowed, "no RP enumeration in progress");
    }
    const std::string& rp = enumeration_->rp_ids[enumeration_->next_rp++];
    std::string name;
    for (const auto& c : state_.credentials) {
      if (c.rp_id == rp) name = c.rp_name;
    }
    CborWriter w;
    w.Map(2);
    WriteRp(w, rp, name);
    return w.Take();
  }
  if (*sub == 0x05) {  // enumerateCredentialsGetNextCredential
    if (!enumeration_ || enumeration_->next_cred >= enumeration_->creds.size()) {
      return CtapError(ctap::kNotAllowed, "no credential enumeration in progress");
    }
    return WriteCredential(enumeration_->creds[enumeration_->next_cred++], std::nullopt);
  }
  if (*sub < 0x01 || *sub > 0x07) {
    return CtapError(ctap::kInvalidSubcommand, "unknown credentialManagement subcommand");
  }
  if (!pin_param) return CtapError(ctap::kPuatRequired, "credentialManagement needs a token");
  if (!protocol) return CtapError(ctap::kMissingParameter, "pinUvAuthProtocol");
  Bytes message{static_cast<uint8_t>(*sub)};
  if (params) {
    Bytes enc = EncodeItem(*params);
    message.insert(message.end(), enc.begin(), enc.end());
  }
  // RP-scoped subcommands check the token's RP ID against theirs below.
  KW_TRY(VerifyToken(*protocol, message, *pin_param, permission::kCredentialManagement, nullptr));
  if ((*sub == 0x01 || *sub == 0x02) && token_.rp_id) {
    return CtapError(ctap::kPinAuthInvalid, "RP-bound token cannot see all RPs");
  }
  auto rp_allowed = [&](const std::string& rp) { return !token_.rp_id || *token_.rp_id == rp; };

  switch (*sub) {
    case 0x01: {  // getCredsMetadata
      CborWriter w;
      w.Map(2)
          .Uint(1)
          .Uint(state_.credentials.size())
          .Uint(2)
          .Uint(kMaxResidentCredentials - state_.credentials.size());
      return w.Take();
    }
    case 0x02: {  // enumerateRPsBegin
      std::vector<std::string> rps;
      std::map<std::string, std::string> names;
      for (const auto& c : state_.credentials) {
        if (std::find(rps.begin(), rps.end(), c.rp_id) == rps.end()) rps.push_back(c.rp_id);
        names[c.rp_id] = c.rp_name;
      }
      if (rps.empty()) return CtapError(ctap::kNoCredentials, "no discoverable credentials");
      enumeration_ = std::make_unique<EnumerationState>();
      enumeration_->rp_ids = rps;
      enumeration_->next_rp = 1;
      CborWriter w;
      w.Map(3);
      WriteRp(w, rps[0], names[rps[0]]);
      w.Uint(5).Uint(rps.size());
      return w.Take();
    }
    case 0x04: {  // enumerateCredentialsBegin
      if (!params) return CtapError(ctap::kMissingParameter, "subCommandParams");
      KW_ASSIGN_OR_RETURN(ByteSpan rp_hash, ReqBytes(*params, 1));
      std::vector<ResidentCredential> creds;
      for (const auto& c : state_.credentials) {
        auto h = Sha256(AsBytes(c.rp_id));
        if (rp_hash.size() == h.size() && std::equal(h.begin(), h.end(), rp_hash.begin())) {
          if (!rp_allowed(c.rp_id)) return CtapError(ctap::kPinAuthInvalid, "token RP ID");
          creds.push_back(c);
        }
      }
      if (creds.empty()) return CtapError(ctap::kNoCredentials, "no credentials for this RP");
      enumeration_ = std::make_unique<EnumerationState>();
      enumeration_->creds = creds;
      enumeration_->next_cred = 1;
      return WriteCredential(creds[0], creds.size());
    }
    case 0x06:    // deleteCredential
    case 0x07: {  // updateUserInformation
      if (!params) return CtapError(ctap::kMissingParameter, "subCommandParams");
      KW_ASSIGN_OR_RETURN(CborItem desc, ReqMap(*params, 2));
      KW_ASSIGN_OR_RETURN(auto id, OptBytes(desc, std::string_view("id")));
      if (!id) return CtapError(ctap::kMissingParameter, "credentialId.id");
      auto it = std::find_if(
          state_.credentials.begin(), state_.credentials.end(), [&](const ResidentCredential& c) {
            return c.id.size() == id->size() && std::equal(c.id.begin(), c.id.end(), id->begin());
          });
      if (it == state_.credentials.end()) return CtapError(ctap::kNoCredentials, "unknown id");
      if (!rp_allowed(it->rp_id)) return CtapError(ctap::kPinAuthInvalid, "token RP ID");
      if (*sub == 0x06) {
        state_.credentials.erase(it);
      } else {
        KW_ASSIGN_OR_RETURN(CborItem user, ReqMap(*params, 3));
        KW_ASSIGN_OR_RETURN(auto uid, OptBytes(user, std::string_view("id")));
        if (!uid) return CtapError(ctap::kMissingParameter, "user.id");
        if (uid->size() != it->user_id.size() ||
            !std::equal(uid->begin(), uid->end(), it->user_id.begin())) {
          return CtapError(ctap::kInvalidParameter, "user.id differs");
        }
        KW_ASSIGN_OR_RETURN(auto name, OptText(user, std::string_view("name")));
        KW_ASSIGN_OR_RETURN(auto display, OptText(user, std::string_view("displayName")));
        it->user_name = name.value_or("");
        it->user_display_name = display.value_or("");
      }
      if (auto p = Persist(); !p) return CtapError(ctap::kOther, p.error().detail);
      return Bytes{};
    }
    default:
      return CtapError(ctap::kInvalidSubcommand, "unknown credentialManagement subcommand");
  }
}

}  // namespace keyward::softctap
