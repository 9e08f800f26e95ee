#include "attestation/jws.h"

#include "core/base64url.h"
#include "core/public_key.h"

namespace keyward::attestation {

Result<Jws> ParseJwsCompact(std::string_view text, ErrorCode malformed,
                            const JsonLimits& payload_limits) {
  size_t d1 = text.find('.');
  size_t d2 = d1 == std::string_view::npos ? d1 : text.find('.', d1 + 1);
  if (d2 == std::string_view::npos || text.find('.', d2 + 1) != std::string_view::npos) {
    return Fail(malformed, "JWS: not three dot-separated parts");
  }
  auto header_bytes = Base64UrlDecode(text.substr(0, d1));
  auto payload_bytes = Base64UrlDecode(text.substr(d1 + 1, d2 - d1 - 1));
  auto sig = Base64UrlDecode(text.substr(d2 + 1));
  if (!header_bytes || !payload_bytes || !sig) return Fail(malformed, "JWS: bad base64url");
  Jws jws;
  auto header = ParseJson(AsChars(*header_bytes));
  if (!header || !header->is_object()) return Fail(malformed, "JWS: header is not a JSON object");
  jws.header = std::move(*header);
  auto alg = JsonString(jws.header, "alg");
  if (!alg) return Fail(malformed, "JWS: header alg missing");
  jws.alg = std::string(*alg);
  if (jws.alg != "RS256" && jws.alg != "ES256") {
    return Fail(malformed, "JWS: alg " + jws.alg + " is not accepted (RS256, ES256)");
  }
  auto x5c = JsonArray(jws.header, "x5c");
  if (!x5c || (*x5c)->empty()) return Fail(malformed, "JWS: header x5c missing or empty");
  for (const Json& entry : **x5c) {
    if (!entry.is_string()) return Fail(malformed, "JWS: x5c entry is not a string");
    auto der = Base64Decode(entry.get_ref<const std::string&>());
    if (!der) return Fail(malformed, "JWS: x5c entry is not base64");
    auto cert = Certificate::ParseDerShared(
        *der, jws.x5c.empty() ? CertificateRole::kEndEntity : CertificateRole::kIssuer);
    if (!cert) return Fail(malformed, "JWS: x5c certificate: " + cert.error().detail);
    jws.x5c.push_back(std::move(*cert));
  }
  auto payload = ParseJson(AsChars(*payload_bytes), payload_limits);
  if (!payload || !payload->is_object()) {
    return Fail(malformed, "JWS: payload is not a JSON object");
  }
  jws.payload = std::move(*payload);
  jws.signing_input = std::string(text.substr(0, d2));
  jws.signature = std::move(*sig);
  return jws;
}

Result<void> VerifyJwsSignature(const Jws& jws, ErrorCode invalid) {
  CoseAlgorithm alg = jws.alg == "ES256" ? CoseAlgorithm::kES256 : CoseAlgorithm::kRS256;
  auto key = PublicKey::FromEvp(jws.x5c.front().public_key(), alg, {});
  if (!key) return Fail(invalid, "JWS: signer key does not fit " + jws.alg);
  auto ok =
      key->Verify(AsBytes(jws.signing_input), jws.signature,
                  alg == CoseAlgorithm::kES256 ? SignatureFormat::kP1363 : SignatureFormat::kDer);
  if (!ok) return Fail(invalid, "JWS: signature does not verify");
  return Ok();
}

}  // namespace keyward::attestation
