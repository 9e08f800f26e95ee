// Parsing of the L3 JSON serialisations RegistrationResponseJSON (§5.1.1.1... "toJSON") and
// AuthenticationResponseJSON: base64url fields decoded strictly, type "public-key" required.
#include "core/base64url.h"
#include "core/json.h"
#include "keyward/webauthn.h"

namespace keyward::webauthn {
namespace {

Unexpected Malformed(const std::string& what) {
  return Fail(ErrorCode::kResponseMalformed, what);
}

// Common members: id, rawId, type, response. Returns the response object.
Result<const Json*> ParseCommon(const Json& doc, Bytes& id, Bytes& raw_id) {
  if (!doc.is_object()) return Malformed("response is not a JSON object");
  auto id_text = JsonString(doc, "id");
  if (!id_text) return Malformed("id missing or not a string");
  auto id_bytes = Base64UrlDecode(*id_text);
  if (!id_bytes) return Fail(ErrorCode::kBase64Invalid, "id is not base64url");
  id = std::move(*id_bytes);
  auto raw = JsonBase64Url(doc, "rawId");
  if (!raw) {
    if (raw.error().code == ErrorCode::kBase64Invalid) return Fail(raw.error());
    return Malformed("rawId missing or not a string");
  }
  raw_id = std::move(*raw);
  auto type = JsonString(doc, "type");
  if (!type) return Malformed("type missing");
  if (*type != "public-key") {
    return Fail(ErrorCode::kCredentialTypeInvalid, "type is not \"public-key\"");
  }
  auto response = JsonObject(doc, "response");
  if (!response) return Malformed("response member missing or not an object");
  return *response;
}

Result<Bytes> RequiredB64(const Json& obj, const char* key) {
  auto v = JsonBase64Url(obj, key);
  if (!v) {
    if (v.error().code == ErrorCode::kBase64Invalid) return Fail(v.error());
    return Malformed(std::string("response.") + key + " missing or not a string");
  }
  return v;
}

Result<std::optional<std::string>> OptionalAttachment(const Json& doc) {
  auto a = JsonOptString(doc, "authenticatorAttachment");
  if (!a) return Malformed("authenticatorAttachment is not a string");
  if (!*a) return std::optional<std::string>();
  return std::optional<std::string>(std::string(**a));
}

const Json* ExtensionResults(const Json& doc) {
  auto it = doc.find("clientExtensionResults");
  return it != doc.end() && it->is_object() ? &*it : nullptr;
}

}  // namespace

Result<RegistrationResponse> ParseRegistrationResponseJson(std::string_view json) {
  JsonLimits limits;
  limits.max_bytes = 512 * 1024;
  KW_ASSIGN_OR_RETURN(Json doc, ParseJson(json, limits));
  RegistrationResponse r;
  KW_ASSIGN_OR_RETURN(const Json* resp, ParseCommon(doc, r.id, r.raw_id));
  KW_ASSIGN_OR_RETURN(Bytes cdj, RequiredB64(*resp, "clientDataJSON"));
  r.client_data_json.assign(cdj.begin(), cdj.end());
  KW_ASSIGN_OR_RETURN(r.attestation_object, RequiredB64(*resp, "attestationObject"));
  if (auto t = resp->find("transports"); t != resp->end()) {
    if (!t->is_array()) return Malformed("transports is not an array");
    for (const Json& v : *t) {
      if (!v.is_string()) return Malformed("transports entry is not a string");
      r.transports.push_back(v.get<std::string>());
    }
  }
  KW_ASSIGN_OR_RETURN(r.authenticator_attachment, OptionalAttachment(doc));
  if (const Json* ext = ExtensionResults(doc)) {
    if (auto cp = ext->find("credProps"); cp != ext->end() && cp->is_object()) {
      if (auto rk = cp->find("rk"); rk != cp->end() && rk->is_boolean()) r.cred_props_rk = rk->get<bool>();
    }
  }
  return r;
}

Result<AuthenticationResponse> ParseAuthenticationResponseJson(std::string_view json) {
  JsonLimits limits;
  limits.max_bytes = 128 * 1024;
  KW_ASSIGN_OR_RETURN(Json doc, ParseJson(json, limits));
  AuthenticationResponse r;
  KW_ASSIGN_OR_RETURN(const Json* resp, ParseCommon(doc, r.id, r.raw_id));
  KW_ASSIGN_OR_RETURN(Bytes cdj, RequiredB64(*resp, "clientDataJSON"));
  r.client_data_json.assign(cdj.begin(), cdj.end());
  KW_ASSIGN_OR_RETURN(r.authenticator_data, RequiredB64(*resp, "authenticatorData"));
  KW_ASSIGN_OR_RETURN(r.signature, RequiredB64(*resp, "signature"));
  auto uh = JsonOptString(*resp, "userHandle");
  if (!uh) return Malformed("userHandle is not a string");
  if (*uh && !(*uh)->empty()) {
    auto decoded = Base64UrlDecode(**uh);
    if (!decoded) return Fail(ErrorCode::kBase64Invalid, "userHandle is not base64url");
    r.user_handle = std::move(*decoded);
  }
  if (const Json* ext = ExtensionResults(doc)) {
    if (auto a = ext->find("appid"); a != ext->end() && a->is_boolean()) r.appid_extension = a->get<bool>();
  }
  return r;
}

}  // namespace keyward::webauthn
