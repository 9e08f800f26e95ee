// Test-only PKI: a CA made with OpenSSL in the test, leaf certificates for token keys, CRLs, and
// files an `openssl ocsp` responder reads. Nothing here is used by the library.
#ifndef KEYWARD_TESTS_UNIT_PKCS11_TEST_PKI_H_
#define KEYWARD_TESTS_UNIT_PKCS11_TEST_PKI_H_

#include <cstdint>
#include <string>
#include <vector>

#include "core/openssl_util.h"
#include "core/x509.h"

namespace keyward::pkcs11::testing {

constexpr int64_t kDay = 86400;

// "EC:prime256v1", "EC:secp384r1", "rsa:2048".
EvpPkeyPtr GenerateKey(const std::string& spec);

struct TestCa {
  EvpPkeyPtr key;
  X509Ptr cert;
  std::string name;  // CN

  static TestCa Create(const std::string& cn, int64_t now);
  std::string CertPem() const;
  std::string KeyPem() const;
};

struct LeafSpec {
  std::string cn = "Alice Example";
  std::vector<std::string> upn;                           // SAN otherName 1.3.6.1.4.1.311.20.2.3
  std::vector<std::string> email;                         // SAN rfc822Name
  std::string eku = "1.3.6.1.4.1.311.20.2.2,clientAuth";  // empty: no extension
  std::string key_usage = "critical,digitalSignature";    // empty: no extension
  std::string sid;                                        // Microsoft SID extension
  std::string ocsp_url;                                   // AIA OCSP
  int64_t not_before = 0;
  int64_t not_after = 0;
  int64_t serial = 0;  // 0: random
};

X509Ptr IssueLeaf(const TestCa& ca, EVP_PKEY* subject_key, const LeafSpec& spec);
X509CrlPtr MakeCrl(const TestCa& ca, const std::vector<X509*>& revoked, int64_t now);

Bytes Der(X509* cert);
std::string Pem(X509* cert);
std::string CrlPem(X509_CRL* crl);
Certificate ToCertificate(X509* cert);
std::string SerialHexUpper(X509* cert);
void WriteFile(const std::string& path, const std::string& data);

}  // namespace keyward::pkcs11::testing

#endif  // KEYWARD_TESTS_UNIT_PKCS11_TEST_PKI_H_
