#include "attestation/format.h"

namespace keyward::attestation {

std::string_view AttestationTypeName(AttestationType type) {
  switch (type) {
    case AttestationType::kNone:
      return "none";
    case AttestationType::kSelf:
      return "self";
    case AttestationType::kBasic:
      return "basic";
    case AttestationType::kAttCa:
      return "attca";
    case AttestationType::kAnonCa:
      return "anonca";
  }
  return "none";
}

Result<std::vector<Certificate>> ReadX5c(const CborItem& att_stmt) {
  CborItem x5c = att_stmt.Find("x5c");
  if (!x5c.IsArray() || x5c.ArraySize() == 0) {
    return Fail(ErrorCode::kAttestationStatementMalformed, "x5c is not a non-empty array");
  }
  std::vector<Certificate> out;
  for (size_t i = 0; i < x5c.ArraySize(); ++i) {
    auto der = x5c.At(i).GetBytes();
    if (!der) return Fail(ErrorCode::kAttestationStatementMalformed, "x5c entry is not bytes");
    auto cert = Certificate::ParseDer(*der);
    if (!cert) {
      return Fail(ErrorCode::kAttestationCertificateInvalid,
                  "x5c[" + std::to_string(i) + "]: " + cert.error().detail);
    }
    out.push_back(std::move(*cert));
  }
  return out;
}

Result<void> CheckAaguidExtension(const Certificate& cert, const Aaguid& aaguid) {
  static constexpr char kAaguidOid[] = "1.3.6.1.4.1.45724.1.1.4";
  auto value = cert.ExtensionValue(kAaguidOid);
  if (!value) return Ok();
  if (cert.ExtensionIsCritical(kAaguidOid)) {
    return Fail(ErrorCode::kAttestationCertificateInvalid, "AAGUID extension marked critical");
  }
  // extnValue is a DER OCTET STRING holding the 16-byte AAGUID.
  const Bytes& v = *value;
  if (v.size() != 18 || v[0] != 0x04 || v[1] != 0x10) {
    return Fail(ErrorCode::kAttestationCertificateInvalid, "AAGUID extension malformed");
  }
  if (!std::equal(aaguid.begin(), aaguid.end(), v.begin() + 2)) {
    return Fail(ErrorCode::kAttestationAaguidMismatch, "certificate AAGUID != authenticator data");
  }
  return Ok();
}

}  // namespace keyward::attestation
