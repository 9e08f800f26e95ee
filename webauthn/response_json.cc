// Parsing of the L3 JSON serialisations RegistrationResponseJSON (§5.1.1.1... "toJSON") and
// AuthenticationResponseJSON: base64url fields decoded strictly, type "public-key" required.
#include "core/base64url.h"
#include "core/json_reader.h"
#include "keyward/webauthn.h"

namespace keyward::webauthn {
namespace {

Unexpected Malformed(const std::string& what) {
  return Fail(ErrorCode::kResponseMalformed, what);
}

// Common members: id, rawId, type, response. Returns the response object.
Result<JsonValue> ParseCommon(const JsonValue& doc, Bytes& id, Bytes& raw_id) {
  if (!doc.IsObject()) return Malformed("response is not a JSON object");
  auto id_text = doc.GetString("id");
  if (!id_text) return Malformed("id missing or not a string");
  auto id_bytes = Base64UrlDecode(*id_text);
  if (!id_bytes) return Fail(ErrorCode::kBase64Invalid, "id is not base64url");
  id = std::move(*id_bytes);
  auto raw = doc.GetBase64Url("rawId");
  if (!raw) {
    if (raw.error().code == ErrorCode::kBase64Invalid) return Fail(raw.error());
    return Malformed("rawId missing or not a string");
  }
  raw_id = std::move(*raw);
  auto type = doc.GetString("type");
  if (!type) return Malformed("type missing");
  if (*type != "public-key") {
    return Fail(ErrorCode::kCredentialTypeInvalid, "type is not \"public-key\"");
  }
  auto response = doc.GetObject("response");
  if (!response) return Malformed("response member missing or not an object");
  return *response;
}

Result<Bytes> RequiredB64(const JsonValue& obj, const char* key) {
  auto v = obj.GetBase64Url(key);
  if (!v) {
    if (v.error().code == ErrorCode::kBase64Invalid) return Fail(v.error());
    return Malformed(std::string("response.") + key + " missing or not a string");
  }
  return v;
}

Result<std::optional<std::string>> OptionalAttachment(const JsonValue& doc) {
  auto a = doc.GetOptString("authenticatorAttachment");
  if (!a) return Malformed("authenticatorAttachment is not a string");
  if (!*a) return std::optional<std::string>();
  return std::optional<std::string>(std::string(**a));
}

// clientExtensionResults.<extension>.<member> as a boolean, when present and boolean.
std::optional<bool> ExtensionBool(const JsonValue& doc, std::string_view ext,
                                  std::string_view member) {
  auto results = doc.Find("clientExtensionResults");
  if (!results) return std::nullopt;
  auto e = results->Find(ext);
  if (!e) return std::nullopt;
  if (member.empty()) return e->IsBool() ? std::optional<bool>(e->boolean()) : std::nullopt;
  auto m = e->Find(member);
  return m && m->IsBool() ? std::optional<bool>(m->boolean()) : std::nullopt;
}

}  // namespace

Result<RegistrationResponse> ParseRegistrationResponseJson(std::string_view json) {
  JsonLimits limits;
  limits.max_bytes = 512 * 1024;
  KW_ASSIGN_OR_RETURN(JsonDocument doc, JsonDocument::Parse(json, limits));
  const JsonValue root = doc.root();
  RegistrationResponse r;
  KW_ASSIGN_OR_RETURN(JsonValue resp, ParseCommon(root, r.id, r.raw_id));
  KW_ASSIGN_OR_RETURN(Bytes cdj, RequiredB64(resp, "clientDataJSON"));
  r.client_data_json.assign(cdj.begin(), cdj.end());
  KW_ASSIGN_OR_RETURN(r.attestation_object, RequiredB64(resp, "attestationObject"));
  if (auto t = resp.Find("transports")) {
    if (!t->IsArray()) return Malformed("transports is not an array");
    for (const JsonValue& v : t->Children()) {
      if (!v.IsString()) return Malformed("transports entry is not a string");
      r.transports.emplace_back(v.string());
    }
  }
  KW_ASSIGN_OR_RETURN(r.authenticator_attachment, OptionalAttachment(root));
  r.cred_props_rk = ExtensionBool(root, "credProps", "rk");
  return r;
}

Result<AuthenticationResponse> ParseAuthenticationResponseJson(std::string_view json) {
  JsonLimits limits;
  limits.max_bytes = 128 * 1024;
  KW_ASSIGN_OR_RETURN(JsonDocument doc, JsonDocument::Parse(json, limits));
  const JsonValue root = doc.root();
  AuthenticationResponse r;
  KW_ASSIGN_OR_RETURN(JsonValue resp, ParseCommon(root, r.id, r.raw_id));
  KW_ASSIGN_OR_RETURN(Bytes cdj, RequiredB64(resp, "clientDataJSON"));
  r.client_data_json.assign(cdj.begin(), cdj.end());
  KW_ASSIGN_OR_RETURN(r.authenticator_data, RequiredB64(resp, "authenticatorData"));
  KW_ASSIGN_OR_RETURN(r.signature, RequiredB64(resp, "signature"));
  auto uh = resp.GetOptString("userHandle");
  if (!uh) return Malformed("userHandle is not a string");
  if (*uh && !(*uh)->empty()) {
    auto decoded = Base64UrlDecode(**uh);
    if (!decoded) return Fail(ErrorCode::kBase64Invalid, "userHandle is not base64url");
    r.user_handle = std::move(*decoded);
  }
  r.appid_extension = ExtensionBool(root, "appid", "");
  return r;
}

}  // namespace keyward::webauthn
