#include "attestation/apple_format.h"

#include <openssl/asn1t.h>

#include "core/hash.h"

// AppleAnonymousAttestation ::= SEQUENCE { nonce [1] EXPLICIT OCTET STRING }
// OpenSSL's ASN.1 template macros confuse clang-format; the rest of this file is formatted
// by hand in its style.
// clang-format off
typedef struct {
  ASN1_OCTET_STRING* nonce;
} KW_APPLE_NONCE;
ASN1_SEQUENCE(KW_APPLE_NONCE) = {
    ASN1_EXP(KW_APPLE_NONCE, nonce, ASN1_OCTET_STRING, 1),
} ASN1_SEQUENCE_END(KW_APPLE_NONCE)
IMPLEMENT_ASN1_FUNCTIONS(KW_APPLE_NONCE)

namespace keyward::attestation {

Result<Bytes> ParseAppleNonceExtension(ByteSpan extn_value) {
  const unsigned char* p = extn_value.data();
  KW_APPLE_NONCE* n = d2i_KW_APPLE_NONCE(nullptr, &p, static_cast<long>(extn_value.size()));  // NOLINT
  if (!n) {
    return Fail(ErrorCode::kAttestationCertificateInvalid,
                TakeOpensslError("apple: nonce extension malformed"));
  }
  bool whole = p == extn_value.data() + extn_value.size();
  Bytes out(ASN1_STRING_get0_data(n->nonce),
            ASN1_STRING_get0_data(n->nonce) + ASN1_STRING_length(n->nonce));
  KW_APPLE_NONCE_free(n);
  if (!whole) {
    return Fail(ErrorCode::kAttestationCertificateInvalid, "apple: bytes after nonce extension");
  }
  return out;
}

Result<StatementResult> AppleFormat::Verify(const AttestationInput& input) const {
  const CborItem& stmt = input.att_stmt;
  if (!stmt.IsMap()) return Fail(ErrorCode::kAttestationStatementMalformed, "attStmt not a map");
  KW_ASSIGN_OR_RETURN(std::vector<Certificate> x5c, ReadX5c(stmt));
  const Certificate& cred_cert = x5c.front();
  auto ext = cred_cert.ExtensionValue("1.2.840.113635.100.8.2");
  if (!ext) {
    return Fail(ErrorCode::kAttestationCertificateInvalid, "apple: nonce extension missing");
  }
  KW_ASSIGN_OR_RETURN(Bytes nonce, ParseAppleNonceExtension(*ext));
  Sha256Digest expected = Sha256({input.auth_data, input.client_data_hash});
  if (!ConstantTimeEqual(nonce, expected)) {
    return Fail(ErrorCode::kAttestationNonceMismatch, "apple: nonce != SHA-256(attToBeSigned)");
  }
  if (!CertificateKeyIsCredentialKey(cred_cert, input)) {
    return Fail(ErrorCode::kAttestationPublicKeyMismatch,
                "apple: certificate key is not the credential key");
  }
  StatementResult result;
  result.type = AttestationType::kAnonCa;
  result.trust_path = std::move(x5c);
  return result;
}

}  // namespace keyward::attestation
