// WebAuthn objects built from libfido2 results: CollectedClientData JSON (WebAuthn L3
// §5.8.1.1) and the attestation object (§6.5, "packed" §8.2).
#include "core/base64url.h"
#include "core/cbor.h"
#include "core/cbor_writer.h"
#include "keyward/fido.h"

namespace keyward::fido {
namespace {

// JSON string literal with the escaping of WebAuthn L3 §5.8.1.2 (CCDToString).
std::string JsonString(std::string_view s) {
  std::string out = "\"";
  for (unsigned char c : s) {
    if (c == '"' || c == '\\') {
      out += '\\';
      out += static_cast<char>(c);
    } else if (c < 0x20) {
      char buf[8];
      std::snprintf(buf, sizeof(buf), "\\u%04x", c);
      out += buf;
    } else {
      out += static_cast<char>(c);
    }
  }
  return out + "\"";
}

}  // namespace

std::string MakeClientDataJson(std::string_view type, ByteSpan challenge, std::string_view origin) {
  return "{\"type\":" + JsonString(type) +
         ",\"challenge\":" + JsonString(Base64UrlEncode(challenge)) +
         ",\"origin\":" + JsonString(origin) + ",\"crossOrigin\":false}";
}

Result<Bytes> MakeAttestationObject(const Credential& credential) {
  if (credential.fmt != "packed") {
    return Fail(ErrorCode::kNotSupported, "attestation format " + credential.fmt);
  }
  if (credential.auth_data.empty() || credential.attestation_statement.empty()) {
    return Fail(ErrorCode::kInvalidArgument, "credential has no authData / attStmt");
  }
  auto st = DecodeCbor(credential.attestation_statement);
  if (!st || !st->item.IsMap()) {
    return Fail(ErrorCode::kAttestationStatementMalformed, "attStmt is not a CBOR map");
  }
  // Canonical order of the text keys: "fmt" (3), "attStmt" (7), "authData" (8).
  CborWriter w;
  w.Map(3);
  w.Text("fmt").Text(credential.fmt);
  w.Text("attStmt").Raw(credential.attestation_statement);
  w.Text("authData").Bytes(credential.auth_data);
  return w.Take();
}

}  // namespace keyward::fido
