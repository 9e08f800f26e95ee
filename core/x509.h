// X.509 certificates (RFC 5280) for attestation trust paths, smart-card login and metadata:
// parsing, the fields keyward's checks read, and path validation at a caller-given time through
// OpenSSL's X509_STORE.
//
// Invariants: a Certificate always holds a successfully parsed certificate and its exact DER.
// Path validation never uses the wall clock implicitly: the caller passes the verification time.
#ifndef KEYWARD_CORE_X509_H_
#define KEYWARD_CORE_X509_H_

#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "core/bytes.h"
#include "core/openssl_util.h"

namespace keyward {

class Certificate {
 public:
  static Result<Certificate> ParseDer(ByteSpan der);
  // Every CERTIFICATE block of a PEM text; kPemMalformed when there is none or one is broken.
  static Result<std::vector<Certificate>> ParsePem(std::string_view pem);
  // Wraps (and up-refs) an existing X509.
  static Certificate FromX509(X509* cert);

  Certificate(const Certificate& o);
  Certificate& operator=(const Certificate& o);
  Certificate(Certificate&&) noexcept = default;
  Certificate& operator=(Certificate&&) noexcept = default;
  ~Certificate() = default;

  X509* get() const { return x509_.get(); }
  ByteSpan der() const { return der_; }
  EVP_PKEY* public_key() const;  // owned by the certificate; null if OpenSSL can't decode it

  int version() const;  // 1, 2 or 3
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
  Certificate(X509Ptr x509, Bytes der);
  X509Ptr x509_;
  Bytes der_;
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
  std::vector<Certificate> path;  // leaf first, anchor last
  Certificate anchor() const { return path.back(); }
};

// Validates `leaf` up to one of `anchors` through `intermediates`. Errors: kCertificateExpired,
// kCertificateNotYetValid, kCertificateRevoked, kCertificateUntrusted (no path to an anchor),
// kRevocationUnknown (a required CRL is missing), kCertificateChainInvalid (anything else: bad
// signature, bad constraints); Error::native holds the X509_V_ERR_* value.
Result<VerifiedChain> VerifyChain(const Certificate& leaf,
                                  std::span<const Certificate> intermediates,
                                  std::span<const Certificate> anchors, const ChainOptions& options);

// Reads a file whole (certificates, CRLs, cases). kIo when it cannot be read; `max_bytes` bounds it.
Result<std::string> ReadFileToString(const std::string& path, size_t max_bytes = 64 << 20);

// CRLs in DER or PEM.
Result<X509CrlPtr> ParseCrl(ByteSpan der_or_pem);

// Unix seconds now (the only place keyward reads the wall clock for validity decisions).
int64_t UnixNow();

}  // namespace keyward

#endif  // KEYWARD_CORE_X509_H_
