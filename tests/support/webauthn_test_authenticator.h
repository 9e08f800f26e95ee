// A software authenticator for tests: produces genuine WebAuthn registration and authentication
// responses (real keys, real signatures) and, on request, one defect at a time, so every
// rejection path of the relying-party core can be exercised.
#ifndef KEYWARD_TESTS_SUPPORT_WEBAUTHN_TEST_AUTHENTICATOR_H_
#define KEYWARD_TESTS_SUPPORT_WEBAUTHN_TEST_AUTHENTICATOR_H_

#include <optional>
#include <string>
#include <vector>

#include "keyward/webauthn.h"
#include "tests/support/test_pki.h"

namespace keyward::testing {

enum class TestFormat { kNone, kPackedSelf, kPackedFull };

struct ClientDataSpec {
  std::string type;
  Bytes challenge;
  std::string origin = "https://example.com";
  std::optional<bool> cross_origin = false;
  std::optional<std::string> top_origin;
  std::string extra_members;  // appended verbatim inside the object, e.g. R"(,"x":1)"
};

inline ClientDataSpec MakeClient(std::string type) {
  ClientDataSpec c;
  c.type = std::move(type);
  return c;
}

struct RegistrationSpec {
  std::string rp_id = "example.com";
  ClientDataSpec client = MakeClient("webauthn.create");
  uint8_t flags = 0x41;  // UP | AT
  uint32_t sign_count = 0;
  webauthn::Aaguid aaguid{};
  Bytes credential_id;  // default: 32 bytes derived from the key
  TestFormat format = TestFormat::kNone;
  // kPackedFull: the attestation key and certificate chain (leaf first).
  const TestKey* attestation_key = nullptr;
  std::vector<Certificate> x5c;
  std::optional<int64_t> statement_alg;  // overrides attStmt.alg
  Bytes extensions_cbor;                 // appended as the ED extensions map
  Bytes trailing;                        // appended after everything
  bool corrupt_signature = false;
};

struct AssertionSpec {
  std::string rp_id = "example.com";
  ClientDataSpec client = MakeClient("webauthn.get");
  uint8_t flags = 0x01;  // UP
  uint32_t sign_count = 1;
  std::optional<Bytes> user_handle;
  Bytes extensions_cbor;
  bool corrupt_signature = false;
};

class TestAuthenticator {
 public:
  explicit TestAuthenticator(CoseAlgorithm alg = CoseAlgorithm::kES256);

  const TestKey& key() const { return key_; }
  Bytes credential_id() const { return credential_id_; }

  webauthn::RegistrationResponse Register(const RegistrationSpec& spec) const;
  webauthn::AuthenticationResponse Assert(const AssertionSpec& spec) const;

  static std::string ClientDataJson(const ClientDataSpec& c);
  static std::string ToJson(const webauthn::RegistrationResponse& r);
  static std::string ToJson(const webauthn::AuthenticationResponse& r);

 private:
  TestKey key_;
  Bytes credential_id_;
};

// A CA + packed attestation certificate meeting WebAuthn §8.2.1.1, for kPackedFull.
struct TestAttestationCa {
  TestKey ca_key = TestKey::Generate(CoseAlgorithm::kES256);
  TestKey leaf_key = TestKey::Generate(CoseAlgorithm::kES256);
  Certificate ca_cert;
  Certificate leaf_cert;
  // `leaf_spec` defaults to a conforming packed attestation certificate.
  explicit TestAttestationCa(std::optional<CertSpec> leaf_spec = std::nullopt,
                             const std::string& root_cn = "keyward test attestation root");
  static CertSpec ConformingLeafSpec();
};

}  // namespace keyward::testing

#endif  // KEYWARD_TESTS_SUPPORT_WEBAUTHN_TEST_AUTHENTICATOR_H_
