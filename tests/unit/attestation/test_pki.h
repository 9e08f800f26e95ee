// Test fixtures for attestation: throwaway keys, certificates with chosen defects, authenticator
// data and AttestationInput assembly. Built with OpenSSL directly, so tests exercise the real
// verification code on statements no fixture file could vary.
#ifndef KEYWARD_TESTS_UNIT_ATTESTATION_TEST_PKI_H_
#define KEYWARD_TESTS_UNIT_ATTESTATION_TEST_PKI_H_

#include <openssl/evp.h>

#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "attestation/format.h"
#include "core/cbor.h"
#include "core/cbor_writer.h"
#include "core/openssl_util.h"

namespace keyward::attestation::testing {

inline constexpr int64_t kNow = 1735689600;  // 2025-01-01T00:00:00Z

EvpPkeyPtr GenerateEc(const char* curve = "P-256");
EvpPkeyPtr GenerateRsa(int bits = 2048);

struct Extension {
  std::string oid;
  Bytes der_value;  // the extnValue contents
  bool critical = false;
};

struct CertSpec {
  std::vector<std::pair<std::string, std::string>> subject;  // {"CN", "x"} ...
  int version = 3;
  std::optional<bool> ca = false;  // nullopt: no basicConstraints
  int64_t not_before = kNow - 86400;
  int64_t not_after = kNow + 365 * 86400;
  std::vector<std::string> eku;
  bool tpm_san = false;                // SAN directoryName with TPM manufacturer/model/version
  bool tpm_san_incomplete = false;     // ... without the version attribute
  std::vector<std::string> dns_names;  // SAN dNSName entries
  std::vector<Extension> extensions;
  const EVP_MD* md = nullptr;  // default SHA-256
  long serial = 1;             // NOLINT(runtime/int)
};

// Issues a certificate for `subject_key`, signed by `issuer_key`; `issuer` null = self-signed.
Certificate MakeCert(const CertSpec& spec, EVP_PKEY* subject_key, EVP_PKEY* issuer_key,
                     const Certificate* issuer);
// A CA certificate (self-signed when issuer is null).
Certificate MakeCa(const std::string& cn, EVP_PKEY* key, EVP_PKEY* issuer_key = nullptr,
                   const Certificate* issuer = nullptr);
// A self-signed end-entity certificate with subject CN=cn.
Certificate SelfSigned(EVP_PKEY* key, const std::string& cn);
std::string ToPem(const Certificate& cert);
// A CRL by `issuer` revoking the given serials.
X509CrlPtr MakeCrl(const Certificate& issuer, EVP_PKEY* issuer_key,
                   std::vector<long> revoked);  // NOLINT

// ECDSA (DER) or RSA PKCS#1 v1.5 signature with `md` (default SHA-256).
Bytes Sign(EVP_PKEY* key, ByteSpan msg, const EVP_MD* md = nullptr);
// ECDSA signature as r ‖ s (P1363), for JWS ES256.
Bytes SignP1363(EVP_PKEY* key, ByteSpan msg);

CoseKey CoseKeyFromEvp(EVP_PKEY* key, CoseAlgorithm alg);
// Raw public-key components (EC x, y field-size padded; RSA n, e big-endian).
Bytes EcX(EVP_PKEY* key);
Bytes EcY(EVP_PKEY* key);
Bytes RsaN(EVP_PKEY* key);

Aaguid TestAaguid();

// One registration's worth of inputs; owns everything an AttestationInput points at.
class Registration {
 public:
  // A fresh credential key of `alg` (ES256/ES384/RS256/...), rp "example.org", flags UP|AT.
  explicit Registration(CoseAlgorithm alg = CoseAlgorithm::kES256, Aaguid aaguid = TestAaguid());

  EVP_PKEY* credential_private_key() const { return cred_key_.get(); }
  const Bytes& auth_data() const { return auth_data_; }
  const Sha256Digest& client_data_hash() const { return cdh_; }
  const Bytes& credential_id() const { return cred_id_; }
  const CoseKey& credential_key() const { return cose_key_; }
  ByteSpan rp_id_hash() const { return ByteSpan(auth_data_).first(32); }
  Bytes AttToBeSigned() const;

  // Replaces the credential key (e.g. to make a key-mismatch case) keeping everything else.
  void SetCredentialKey(EVP_PKEY* key, CoseAlgorithm alg);

  // Uses this clientDataJSON (its SHA-256 becomes the client data hash).
  void SetClientDataJson(const std::string& json);
  // A RegistrationResponseJSON (WebAuthn L3) carrying {fmt, attStmt, authData}.
  std::string RegistrationResponseJson(std::string_view fmt, const Bytes& att_stmt_cbor) const;

  // Sets attStmt from its CBOR encoding.
  void SetStatement(const Bytes& cbor);
  AttestationInput Input() const;
  // Runs the named format on the current statement.
  Result<StatementResult> Verify(std::string_view fmt) const;

  AttestationOptions options;
  InsecureAlgorithms insecure;
  int64_t verify_time = kNow;

 private:
  void Rebuild();
  EvpPkeyPtr cred_key_;
  Aaguid aaguid_;
  Bytes auth_data_;
  Sha256Digest cdh_{};
  Bytes cred_id_;
  std::string client_data_json_;
  CoseKey cose_key_;
  Bytes cose_bytes_;
  std::optional<PublicKey> public_key_;
  CborItem stmt_;
};

}  // namespace keyward::attestation::testing

#endif  // KEYWARD_TESTS_UNIT_ATTESTATION_TEST_PKI_H_
