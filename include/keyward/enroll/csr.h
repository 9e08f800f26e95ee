// PKCS#10 certification requests (RFC 2986) whose private key never leaves the card:
//   CertificationRequest ::= SEQUENCE { certificationRequestInfo, signatureAlgorithm, signature }
// certificationRequestInfo (version 0, subject, SubjectPublicKeyInfo from the card's GENERATE
// answer, attributes { extensionRequest (PKCS#9, RFC 2985 §5.4.2) }) is DER-encoded, hashed on
// the host and signed by a DigestSigner (the card's GENERAL AUTHENTICATE); the signature is
// placed into the request and the finished DER is parsed back and its self-signature verified
// (proof of possession) before anyone uses it.
//
// Signature algorithms: ecdsa-with-SHA256 (P-256), ecdsa-with-SHA384 (P-384),
// sha256WithRSAEncryption (RSA-2048, RSASSA-PKCS1-v1_5). Errors: kEnrollCsrMalformed (DER or PEM
// that does not parse), kEnrollCsrSignatureInvalid (the self-signature does not verify).
#ifndef KEYWARD_ENROLL_CSR_H_
#define KEYWARD_ENROLL_CSR_H_

#include <functional>
#include <string>
#include <string_view>
#include <vector>

#include "keyward/core/hash.h"
#include "keyward/enroll/profile.h"
#include "keyward/export.h"

KEYWARD_API_BEGIN

namespace keyward::enroll {

// Signs `digest` (computed with `hash`) with the request's private key: a DER ECDSA signature or
// an RSASSA-PKCS1-v1_5 signature.
using DigestSigner = std::function<Result<Bytes>(HashAlgorithm hash, ByteSpan digest)>;

// The hash that goes with a public key: SHA-384 for P-384, SHA-256 otherwise.
Result<HashAlgorithm> HashForKey(EVP_PKEY* key);

struct VerifiedCsr {
  Bytes der;
  EvpPkeyPtr public_key;
  Bytes spki;                         // DER SubjectPublicKeyInfo
  std::string subject;                // RFC 2253
  std::vector<Extension> extensions;  // from the extensionRequest attribute
};

// Builds, signs (through `signer`) and verifies a request.
Result<VerifiedCsr> BuildCsr(const X509_NAME* subject, EVP_PKEY* public_key,
                             const std::vector<Extension>& extensions, const DigestSigner& signer);

// Parses a DER request and verifies its self-signature.
Result<VerifiedCsr> VerifyCsr(ByteSpan der);

std::string CsrToPem(ByteSpan der);
// The first CERTIFICATE REQUEST block of `pem`, as DER.
Result<Bytes> CsrFromPem(std::string_view pem);

}  // namespace keyward::enroll

KEYWARD_API_END

#endif  // KEYWARD_ENROLL_CSR_H_
