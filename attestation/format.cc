#include "attestation/format.h"

#include <openssl/err.h>
#include <openssl/x509v3.h>

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
    // x5c[0] is the attestation certificate; the rest sign certificates.
    auto cert = Certificate::ParseDerShared(
        *der, i == 0 ? CertificateRole::kEndEntity : CertificateRole::kIssuer);
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

std::optional<bool> AttestationCertificateIsCa(const Certificate& cert) {
  static constexpr char kBasicConstraintsOid[] = "2.5.29.19";
  auto raw = cert.ExtensionValue(kBasicConstraintsOid);
  auto ca = cert.IsCa();  // OpenSSL's (BER-tolerant) reading
  if (!raw || !ca) return std::nullopt;
  // The DER encoding of what OpenSSL read.
  auto* bc = static_cast<BASIC_CONSTRAINTS*>(
      X509_get_ext_d2i(cert.get(), NID_basic_constraints, nullptr, nullptr));
  ERR_clear_error();
  if (!bc) return std::nullopt;
  unsigned char* der = nullptr;
  int len = i2d_BASIC_CONSTRAINTS(bc, &der);
  BASIC_CONSTRAINTS_free(bc);
  if (len <= 0) return std::nullopt;
  Bytes canonical(der, der + len);
  OPENSSL_free(der);
  if (*raw == canonical) return *ca;
  // Chromium's form: SEQUENCE { BOOLEAN FALSE, rest of the DER contents }, short lengths only.
  if (*ca || canonical.size() < 2 || canonical[1] >= 0x80 - 3) return std::nullopt;
  Bytes chromium = {0x30, static_cast<uint8_t>(canonical[1] + 3), 0x01, 0x01, 0x00};
  chromium.insert(chromium.end(), canonical.begin() + 2, canonical.end());
  if (*raw == chromium) return false;
  return std::nullopt;
}

Bytes AttToBeSigned(const AttestationInput& input) {
  Bytes out(input.auth_data.begin(), input.auth_data.end());
  out.insert(out.end(), input.client_data_hash.begin(), input.client_data_hash.end());
  return out;
}

bool CertificateKeyIsCredentialKey(const Certificate& cert, const AttestationInput& input) {
  auto evp = input.credential_public_key.Evp();
  return evp && SamePublicKey(cert.public_key(), *evp);
}

Result<CoseAlgorithm> ReadAlg(const CborItem& att_stmt, std::string_view fmt) {
  auto alg_int = att_stmt.Find("alg").GetInt();
  if (!alg_int) {
    return Fail(ErrorCode::kAttestationStatementMalformed, std::string(fmt) + ": alg missing");
  }
  auto alg = CoseAlgorithmFromInt(*alg_int);
  if (!alg) {
    return Fail(ErrorCode::kUnsupportedAlgorithm,
                std::string(fmt) + ": alg " + std::to_string(*alg_int));
  }
  return *alg;
}

}  // namespace keyward::attestation
