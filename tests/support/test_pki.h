// Throwaway keys and certificates for tests: key pairs of every COSE algorithm keyward verifies,
// COSE encodings of their public halves, signatures, and a tiny CA that issues certificates with
// chosen subjects and extensions.
#ifndef KEYWARD_TESTS_SUPPORT_TEST_PKI_H_
#define KEYWARD_TESTS_SUPPORT_TEST_PKI_H_

#include <string>
#include <utility>
#include <vector>

#include "core/bytes.h"
#include "core/cose_key.h"
#include "core/openssl_util.h"
#include "core/x509.h"

namespace keyward::testing {

class TestKey {
 public:
  static TestKey Generate(CoseAlgorithm alg);  // aborts on failure (tests only)
  CoseAlgorithm alg() const { return alg_; }
  EVP_PKEY* pkey() const { return key_.get(); }
  CoseKey Cose() const;
  Bytes CoseBytes() const { return Cose().Encode(); }
  // Signature as WebAuthn carries it (DER for ECDSA).
  Bytes Sign(ByteSpan message) const;

 private:
  EvpPkeyPtr key_;
  CoseAlgorithm alg_ = CoseAlgorithm::kES256;
};

struct CertSpec {
  std::vector<std::pair<std::string, std::string>> subject;  // {"C","AA"}, {"O","Org"}, ...
  bool is_ca = false;
  bool include_basic_constraints = true;
  int64_t not_before = 0;  // Unix seconds; 0 → now - 1 day
  int64_t not_after = 0;   // 0 → now + 10 years
  // Extra extensions: {dotted OID, DER extnValue contents, critical}.
  struct Ext {
    std::string oid;
    Bytes value;
    bool critical = false;
  };
  std::vector<Ext> extensions;
  std::vector<std::string> eku;  // dotted OIDs
  int version = 3;
};

// Issues a certificate for `subject_key`, signed by `issuer_key` (self-signed when issuer is null).
Certificate IssueCertificate(const TestKey& subject_key, const CertSpec& spec,
                             const TestKey* issuer_key, const Certificate* issuer_cert);

}  // namespace keyward::testing

#endif  // KEYWARD_TESTS_SUPPORT_TEST_PKI_H_
