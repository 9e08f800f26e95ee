// X.509 certificates (RFC 5280) for attestation trust paths, smart-card login and metadata:
// parsing, the fields keyward's checks read, and path validation at a caller-given time through
// OpenSSL's X509_STORE.
//
// Invariants: a Certificate always holds a successfully parsed certificate and its exact DER.
// Path validation never uses the wall clock implicitly: the caller passes the verification time.
//
// Cost model (OpenSSL 3.0, measured in bench/registration_bench.cc): d2i_X509 decodes the
// subject public key through the OSSL_DECODER framework, ~1.2 M instructions (~100 µs) per
// certificate — more than an ECDSA P-256 verification. So:
//  - ParseDer of an end-entity certificate (CertificateRole::kEndEntity) with an EC (P-256/384/
//    521) or RSA key bypasses that decoder (~30 µs): it parses a copy whose key algorithm OID is
//    unregistered, attaches the key core/public_key builds from the raw subjectPublicKey, and
//    keeps the result only if it re-encodes to exactly the input DER — so it is the certificate
//    d2i_X509 returns, with the same key. Everything else takes plain d2i_X509. Such keys are
//    backed by OpenSSL's low-level objects: keyward's PublicKey verifies with them directly
//    (faster than EVP), but inside OpenSSL's own path validation they cost ~10 µs more per
//    signature than provider-native keys. Hence kIssuer for certificates whose key verifies other
//    certificates (anchors, intermediates): plain d2i_X509, parsed once (they repeat). Low-level
//    keys answer EVP_PKEY_eq, EVP_PKEY_get_bits, "group", "n" and "e", but not "encoded-pub-key",
//    "pub" or "qx"/"qy": read EC points with EVP_PKEY_get1_encoded_public_key.
//  - A Certificate is an immutable shared handle (copies are a reference count, never a re-parse
//    or re-encode), VerifyChain hands back the caller's own Certificates for the validated path,
//    and ParseDerShared reuses the parse of DER it has seen recently (attestation certificates
//    repeat: a batch attestation key serves >= 100,000 devices, and intermediates repeat always).
#ifndef KEYWARD_CORE_X509_H_
#define KEYWARD_CORE_X509_H_

#include <cstdint>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "keyward/bytes.h"
#include "keyward/core/openssl_util.h"
#include "keyward/export.h"

KEYWARD_API_BEGIN

namespace keyward {

// How a parsed certificate's key will be used (a speed hint only: see the cost model above; the
// parse accepts and refuses exactly the same bytes either way).
enum class CertificateRole {
  kEndEntity,  // a leaf: attestation certificate, card certificate, OCSP signer
  kIssuer,     // signs other certificates in path validation: anchor, intermediate
};

class Certificate {
 public:
  static Result<Certificate> ParseDer(ByteSpan der,
                                      CertificateRole role = CertificateRole::kEndEntity);
  // ParseDer through a bounded, thread-safe, process-wide cache keyed by the exact DER bytes:
  // the same bytes give the same (shared, immutable) certificate without parsing again. Only
  // successful parses are kept; the result is indistinguishable from ParseDer's. Callers must not
  // modify the X509 (nobody in keyward does). Used for untrusted certificate lists (x5c).
  static Result<Certificate> ParseDerShared(ByteSpan der,
                                            CertificateRole role = CertificateRole::kEndEntity);
  // Every CERTIFICATE block of a PEM text; kPemMalformed when there is none or one is broken.
  static Result<std::vector<Certificate>> ParsePem(std::string_view pem);
  // Wraps (and up-refs) an existing X509.
  static Certificate FromX509(X509* cert);

  Certificate(const Certificate& o) = default;
  Certificate& operator=(const Certificate& o) = default;
  Certificate(Certificate&&) noexcept = default;
  Certificate& operator=(Certificate&&) noexcept = default;
  ~Certificate() = default;

  X509* get() const { return d_->x509.get(); }
  ByteSpan der() const { return d_->der; }
  EVP_PKEY* public_key() const;  // owned by the certificate; null if OpenSSL can't decode it

  int version() const;          // 1, 2 or 3
  std::string Subject() const;  // RFC 2253 form
  std::string Issuer() const;
  bool SubjectIsEmpty() const;
  std::string SerialHex() const;
  // Unix seconds; nullopt if the field cannot be represented.
  std::optional<int64_t> NotBefore() const;
  std::optional<int64_t> NotAfter() const;
  Sha256Digest Fingerprint() const;  // SHA-256 of the DER

  // The extnValue contents of the extension with this dotted OID, or nullopt when absent.
  std::optional<Bytes> ExtensionValue(const char* oid) const;
  bool ExtensionIsCritical(const char* oid) const;
  // basicConstraints cA; nullopt when the extension is absent or unreadable.
  std::optional<bool> IsCa() const;
  // Dotted OIDs of the extendedKeyUsage extension (empty when absent).
  std::vector<std::string> ExtendedKeyUsages() const;
  // keyUsage bits as OpenSSL reports them (KU_DIGITAL_SIGNATURE ...); nullopt when absent.
  std::optional<uint32_t> KeyUsage() const;
  // Subject attribute values by dotted OID or short name ("CN", "OU", "O", "C", "2.5.4.11").
  std::vector<std::string> SubjectAttribute(const char* name_or_oid) const;

 private:
  struct Data {
    X509Ptr x509;
    Bytes der;
    bool provider_key;  // parsed by plain d2i_X509 (kIssuer or no bypass possible)
  };
  friend class CertificateCache;
  explicit Certificate(std::shared_ptr<const Data> d) : d_(std::move(d)) {}
  static Result<std::shared_ptr<const Data>> Decode(ByteSpan der, CertificateRole role);
  std::shared_ptr<const Data> d_;
};

struct ChainOptions {
  int64_t verify_time = 0;  // Unix seconds; required
  // Accept an anchor that is not self-signed (FIDO metadata roots may be intermediates).
  bool allow_partial_chain = true;
  // CRLs to honour; when `require_crls` each certificate in the path must be covered by one.
  std::vector<X509_CRL*> crls;
  bool require_crls = false;
  int max_depth = 8;
};

struct VerifiedChain {
  // Leaf first, anchor last; the caller's own Certificate objects (leaf, intermediates, anchors)
  // as OpenSSL chose them.
  std::vector<Certificate> path;
  Certificate anchor() const { return path.back(); }
};

// Validates `leaf` up to one of `anchors` through `intermediates`. Errors: kCertificateExpired,
// kCertificateNotYetValid, kCertificateRevoked, kCertificateUntrusted (no path to an anchor),
// kRevocationUnknown (a required CRL is missing), kCertificateChainInvalid (anything else: bad
// signature, bad constraints); Error::native holds the X509_V_ERR_* value.
Result<VerifiedChain> VerifyChain(const Certificate& leaf,
                                  std::span<const Certificate> intermediates,
                                  std::span<const Certificate> anchors,
                                  const ChainOptions& options);

// Reads a file whole (certificates, CRLs, cases). kIo when it cannot be read; `max_bytes` bounds
// it.
Result<std::string> ReadFileToString(const std::string& path, size_t max_bytes = 64 << 20);

// CRLs in DER or PEM.
Result<X509CrlPtr> ParseCrl(ByteSpan der_or_pem);

// Unix seconds now (the only place keyward reads the wall clock for validity decisions).
int64_t UnixNow();

}  // namespace keyward

KEYWARD_API_END

#endif  // KEYWARD_CORE_X509_H_
