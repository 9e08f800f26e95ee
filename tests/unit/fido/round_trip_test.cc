// Round trip into the relying-party core: a credential made through libfido2 by the software
// authenticator, turned into a WebAuthn attestation object + clientDataJSON, is verified by
// keyward::webauthn (packed, trusted through the authenticator's test CA); an assertion's
// authenticatorData + signature verify against the registered key.
#include "attestation/trust_store.h"
#include "core/x509.h"
#include "keyward/webauthn.h"
#include "tests/unit/fido/soft_fixture.h"

namespace keyward::fido::testing {
namespace {

constexpr char kOrigin[] = "https://example.com";

class RoundTripTest : public SoftDeviceTest {
 protected:
  // Enrols through libfido2 and verifies the registration with `trust`.
  Result<webauthn::VerifiedRegistration> Register(const attestation::TrustStore* trust,
                                                  bool resident = false) {
    auto challenge = webauthn::NewChallenge();
    EXPECT_TRUE(challenge);
    std::string client_data = MakeClientDataJson("webauthn.create", *challenge, kOrigin);
    auto req = Request("example.com", "alice");
    auto h = Sha256(AsBytes(client_data));
    req.client_data_hash.assign(h.begin(), h.end());
    req.resident_key = resident;
    SecretBytes pin = Pin("1234");
    auto cred = dev_->MakeCredential(req, resident ? &pin : nullptr);
    EXPECT_TRUE(cred) << cred.error().ToString();
    if (!cred) return Fail(cred.error());
    credential_ = *cred;
    auto object = MakeAttestationObject(*cred);
    EXPECT_TRUE(object);
    webauthn::RegistrationResponse response;
    response.id = cred->id;
    response.raw_id = cred->id;
    response.client_data_json = client_data;
    response.attestation_object = *object;
    webauthn::RegistrationExpectations expected;
    expected.challenge = *challenge;
    expected.rp_id = "example.com";
    expected.origin.origins = {kOrigin};
    expected.trust = trust;
    return webauthn::VerifyRegistration(response, expected);
  }

  attestation::TrustStore CaStore(softctap::SoftAuthenticator& a) {
    attestation::TrustStore store;
    auto ca = Certificate::ParseDer(a.CaCertificateDer());
    EXPECT_TRUE(ca);
    store.AddRoot(*ca);
    return store;
  }

  Credential credential_;
};

TEST_F(RoundTripTest, PackedAttestationIsVerifiedAndTrustedViaTheTestCa) {
  attestation::TrustStore store = CaStore(*auth_);
  auto reg = Register(&store);
  ASSERT_TRUE(reg) << reg.error().ToString();
  EXPECT_EQ(reg->fmt, "packed");
  EXPECT_EQ(reg->attestation_type, webauthn::AttestationType::kBasic);
  EXPECT_EQ(reg->trust.status, webauthn::TrustStatus::kTrusted);
  EXPECT_EQ(reg->credential_id, credential_.id);
  EXPECT_EQ(reg->credential_public_key, credential_.cose_public_key);
  EXPECT_EQ(reg->alg, -7);
  EXPECT_TRUE(reg->flags.user_present);
  EXPECT_EQ(Bytes(reg->aaguid.begin(), reg->aaguid.end()), auth_->aaguid());
  ASSERT_EQ(reg->trust_path.size(), 1u);
  EXPECT_EQ(reg->trust_path[0], credential_.x5c);
}

TEST_F(RoundTripTest, AnotherAuthenticatorsCaDoesNotTrustIt) {
  auto other = softctap::SoftAuthenticator::CreateInMemory();
  ASSERT_TRUE(other);
  attestation::TrustStore store = CaStore(**other);
  auto reg = Register(&store);
  ASSERT_TRUE(reg) << reg.error().ToString();
  EXPECT_EQ(reg->trust.status, webauthn::TrustStatus::kUntrusted);
  auto unverified = Register(nullptr);
  ASSERT_TRUE(unverified);
  EXPECT_EQ(unverified->trust.status, webauthn::TrustStatus::kUnverified);
}

TEST_F(RoundTripTest, AssertionIsVerifiedByTheRelyingPartyCore) {
  ASSERT_TRUE(dev_->SetPin(Pin("1234")));
  attestation::TrustStore store = CaStore(*auth_);
  auto reg = Register(&store, /*resident=*/true);
  ASSERT_TRUE(reg) << reg.error().ToString();

  auto challenge = webauthn::NewChallenge();
  ASSERT_TRUE(challenge);
  std::string client_data = MakeClientDataJson("webauthn.get", *challenge, kOrigin);
  auto areq = AssertRequest("example.com");
  auto h = Sha256(AsBytes(client_data));
  areq.client_data_hash.assign(h.begin(), h.end());
  SecretBytes pin = Pin("1234");
  auto a = dev_->GetAssertion(areq, &pin);  // discoverable: no allow list
  ASSERT_TRUE(a) << a.error().ToString();
  ASSERT_EQ(a->size(), 1u);

  webauthn::AuthenticationResponse response;
  response.id = (*a)[0].credential_id;
  response.raw_id = (*a)[0].credential_id;
  response.client_data_json = client_data;
  response.authenticator_data = (*a)[0].auth_data;
  response.signature = (*a)[0].signature;
  response.user_handle = (*a)[0].user_id;
  webauthn::AssertionExpectations expected;
  expected.challenge = *challenge;
  expected.rp_id = "example.com";
  expected.origin.origins = {kOrigin};
  expected.require_user_verification = true;
  expected.credential_id = reg->credential_id;
  expected.credential_public_key = reg->credential_public_key;
  expected.prior_sign_count = reg->sign_count;
  expected.user_handle = Bytes{'a', 'l', 'i', 'c', 'e'};
  auto verified = webauthn::VerifyAssertion(response, expected);
  ASSERT_TRUE(verified) << verified.error().ToString();
  EXPECT_GT(verified->sign_count, reg->sign_count);
  EXPECT_TRUE(verified->flags.user_verified);

  // The same response replayed against the new counter is a regression.
  expected.prior_sign_count = verified->sign_count;
  auto replay = webauthn::VerifyAssertion(response, expected);
  ASSERT_FALSE(replay);
  EXPECT_EQ(replay.error().code, ErrorCode::kSignCountRegression);

  expected.prior_sign_count = reg->sign_count;
  response.signature.back() ^= 1;
  auto tampered = webauthn::VerifyAssertion(response, expected);
  ASSERT_FALSE(tampered);
  EXPECT_EQ(tampered.error().code, ErrorCode::kAssertionSignatureInvalid);
}

}  // namespace
}  // namespace keyward::fido::testing
