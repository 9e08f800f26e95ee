// WebAuthn L3 §7.1: every rejection step of registration, each asserting its error code.
#include <gtest/gtest.h>

#include "attestation/trust_store.h"
#include "core/cbor_writer.h"
#include "core/hash.h"
#include "keyward/webauthn.h"
#include "tests/support/webauthn_test_authenticator.h"

namespace keyward::webauthn {
namespace {

using testing::CertSpec;
using testing::RegistrationSpec;
using testing::TestAttestationCa;
using testing::TestAuthenticator;
using testing::TestFormat;

class RegistrationTest : public ::testing::Test {
 protected:
  RegistrationTest() {
    challenge_ = *NewChallenge();
    spec_.client.challenge = challenge_;
    expected_.challenge = challenge_;
    expected_.rp_id = "example.com";
    expected_.origin.origins = {"https://example.com"};
  }
  Result<VerifiedRegistration> Verify() { return VerifyRegistration(auth_.Register(spec_), expected_); }
  ErrorCode Code() {
    auto r = Verify();
    EXPECT_FALSE(r) << "expected a rejection";
    return r ? ErrorCode::kInternal : r.error().code;
  }

  TestAuthenticator auth_;
  Bytes challenge_;
  RegistrationSpec spec_;
  RegistrationExpectations expected_;
};

TEST_F(RegistrationTest, NoneAttestationVerifies) {
  auto r = Verify();
  ASSERT_TRUE(r) << r.error().ToString();
  EXPECT_EQ(r->fmt, "none");
  EXPECT_EQ(r->attestation_type, AttestationType::kNone);
  EXPECT_EQ(r->trust.status, TrustStatus::kUnverified);
  EXPECT_EQ(r->credential_id, auth_.credential_id());
  EXPECT_EQ(r->credential_public_key, auth_.key().CoseBytes());
  EXPECT_EQ(r->alg, -7);
  EXPECT_TRUE(r->flags.user_present);
  EXPECT_FALSE(r->flags.user_verified);
  EXPECT_EQ(r->transports, std::vector<std::string>{"usb"});
}

TEST_F(RegistrationTest, EveryCredentialAlgorithmVerifies) {
  for (auto alg : {CoseAlgorithm::kES256, CoseAlgorithm::kES384, CoseAlgorithm::kES512,
                   CoseAlgorithm::kEdDSA, CoseAlgorithm::kEd448, CoseAlgorithm::kRS256,
                   CoseAlgorithm::kPS256, CoseAlgorithm::kESP256, CoseAlgorithm::kEd25519}) {
    TestAuthenticator a(alg);
    spec_.format = TestFormat::kPackedSelf;
    auto r = VerifyRegistration(a.Register(spec_), expected_);
    ASSERT_TRUE(r) << CoseAlgorithmName(alg) << ": " << r.error().ToString();
    EXPECT_EQ(r->alg, static_cast<int64_t>(alg));
    EXPECT_EQ(r->attestation_type, AttestationType::kSelf);
  }
}

TEST_F(RegistrationTest, PackedFullTrustedUnverifiedAndUntrusted) {
  TestAttestationCa ca;
  spec_.format = TestFormat::kPackedFull;
  spec_.attestation_key = &ca.leaf_key;
  spec_.x5c = {ca.leaf_cert};
  auto unverified = Verify();
  ASSERT_TRUE(unverified) << unverified.error().ToString();
  EXPECT_EQ(unverified->attestation_type, AttestationType::kBasic);
  EXPECT_EQ(unverified->trust.status, TrustStatus::kUnverified);
  EXPECT_EQ(unverified->trust_path.size(), 1u);

  attestation::TrustStore store;
  store.AddRoot(ca.ca_cert);
  expected_.trust = &store;
  auto trusted = Verify();
  ASSERT_TRUE(trusted);
  EXPECT_EQ(trusted->trust.status, TrustStatus::kTrusted);
  EXPECT_NE(trusted->trust.anchor.find("keyward test attestation root"), std::string::npos);

  TestAttestationCa other(std::nullopt, "another root");
  attestation::TrustStore wrong;
  wrong.AddRoot(other.ca_cert);
  expected_.trust = &wrong;
  auto untrusted = Verify();
  ASSERT_TRUE(untrusted);  // cryptographically valid; trust is reported, policy decides
  EXPECT_EQ(untrusted->trust.status, TrustStatus::kUntrusted);
  ASSERT_TRUE(untrusted->trust.error.has_value());
  EXPECT_EQ(untrusted->trust.error->code, ErrorCode::kCertificateUntrusted);

  // A different root that carries the same name: the path is found, its signature is not.
  TestAttestationCa impostor;
  attestation::TrustStore same_name;
  same_name.AddRoot(impostor.ca_cert);
  expected_.trust = &same_name;
  auto forged = Verify();
  ASSERT_TRUE(forged);
  EXPECT_EQ(forged->trust.status, TrustStatus::kUntrusted);
  EXPECT_EQ(forged->trust.error->code, ErrorCode::kCertificateChainInvalid);
}

TEST_F(RegistrationTest, TrustEvaluatedAtTheVerificationTime) {
  TestAttestationCa ca;
  spec_.format = TestFormat::kPackedFull;
  spec_.attestation_key = &ca.leaf_key;
  spec_.x5c = {ca.leaf_cert};
  attestation::TrustStore store;
  store.AddRoot(ca.ca_cert);
  expected_.trust = &store;
  expected_.verify_time = *ca.leaf_cert.NotAfter() + 86400;
  auto r = Verify();
  ASSERT_TRUE(r);
  EXPECT_EQ(r->trust.status, TrustStatus::kUntrusted);
  EXPECT_EQ(r->trust.error->code, ErrorCode::kCertificateExpired);
}

TEST_F(RegistrationTest, ClientDataChecks) {
  spec_.client.type = "webauthn.get";
  EXPECT_EQ(Code(), ErrorCode::kClientDataTypeMismatch);
  spec_.client.type = "webauthn.create";
  spec_.client.challenge = *NewChallenge();
  EXPECT_EQ(Code(), ErrorCode::kChallengeMismatch);
  spec_.client.challenge = challenge_;
  spec_.client.origin = "https://evil.example";
  EXPECT_EQ(Code(), ErrorCode::kOriginMismatch);
  spec_.client.origin = "https://example.com:443";  // exact comparison, no normalisation
  EXPECT_EQ(Code(), ErrorCode::kOriginMismatch);
  spec_.client.origin = "https://example.com";
  spec_.client.cross_origin = true;
  EXPECT_EQ(Code(), ErrorCode::kCrossOriginNotAllowed);
  expected_.origin.allow_cross_origin = true;
  EXPECT_TRUE(Verify());
  expected_.origin.top_origins = {"https://top.example"};
  spec_.client.top_origin = "https://other.example";
  EXPECT_EQ(Code(), ErrorCode::kTopOriginMismatch);
  spec_.client.top_origin = "https://top.example";
  EXPECT_TRUE(Verify());
  spec_.client.cross_origin = false;
  EXPECT_EQ(Code(), ErrorCode::kTopOriginMismatch);  // topOrigin without crossOrigin
}

TEST_F(RegistrationTest, ClientDataParsedAsJsonNotBytes) {
  spec_.client.extra_members = R"(,"other_keys_can_be_added_here":"do not compare clientDataJSON")";
  EXPECT_TRUE(Verify());
  spec_.client.extra_members = R"(,"origin":"https://evil.example")";  // duplicate member
  EXPECT_EQ(Code(), ErrorCode::kClientDataMalformed);
  auto r = auth_.Register(spec_);
  r.client_data_json = "{not json";
  EXPECT_EQ(VerifyRegistration(r, expected_).error().code, ErrorCode::kClientDataMalformed);
  r.client_data_json = R"({"type":"webauthn.create","origin":"https://example.com"})";
  EXPECT_EQ(VerifyRegistration(r, expected_).error().code, ErrorCode::kClientDataMalformed);
}

TEST_F(RegistrationTest, AuthenticatorDataChecks) {
  spec_.rp_id = "evil.example";
  EXPECT_EQ(Code(), ErrorCode::kRpIdHashMismatch);
  spec_.rp_id = "example.com";
  spec_.flags = 0x40;  // AT without UP
  EXPECT_EQ(Code(), ErrorCode::kUserNotPresent);
  expected_.allow_conditional_create = true;
  EXPECT_TRUE(Verify());
  expected_.allow_conditional_create = false;
  spec_.flags = 0x41;
  expected_.require_user_verification = true;
  EXPECT_EQ(Code(), ErrorCode::kUserNotVerified);
  spec_.flags = 0x45;
  EXPECT_TRUE(Verify());
  expected_.require_user_verification = false;
  spec_.flags = 0x41 | 0x10;  // BS without BE
  EXPECT_EQ(Code(), ErrorCode::kBackupStateInvalid);
  spec_.flags = 0x41 | 0x18;
  auto synced = Verify();
  ASSERT_TRUE(synced);
  EXPECT_TRUE(synced->flags.backup_eligible);
  EXPECT_TRUE(synced->flags.backup_state);
  spec_.flags = 0x01;  // no AT
  EXPECT_EQ(Code(), ErrorCode::kAttestedCredentialDataMissing);
  spec_.flags = 0x41;
  spec_.trailing = {0x00};
  EXPECT_EQ(Code(), ErrorCode::kAuthenticatorDataMalformed);
  spec_.trailing.clear();
  spec_.flags = 0xC1;  // ED set, extensions not a map
  spec_.extensions_cbor = {0x01};
  EXPECT_EQ(Code(), ErrorCode::kExtensionDataMalformed);
  spec_.extensions_cbor = CborWriter().Map(1).Text("credProtect").Uint(2).Take();
  auto ext = Verify();
  ASSERT_TRUE(ext) << ext.error().ToString();
  EXPECT_EQ(ext->cred_protect, 2);
}

TEST_F(RegistrationTest, CredentialIdChecks) {
  spec_.credential_id = Bytes(1024, 0x7a);
  EXPECT_EQ(Code(), ErrorCode::kCredentialIdTooLong);
  spec_.credential_id = Bytes(1023, 0x7a);
  EXPECT_TRUE(Verify());
  spec_.credential_id.clear();
  auto r = auth_.Register(spec_);
  r.raw_id[0] ^= 1;
  EXPECT_EQ(VerifyRegistration(r, expected_).error().code, ErrorCode::kCredentialIdMismatch);
  r = auth_.Register(spec_);
  r.id[0] ^= 1;
  EXPECT_EQ(VerifyRegistration(r, expected_).error().code, ErrorCode::kCredentialIdMismatch);
  r = auth_.Register(spec_);
  r.id.pop_back();
  r.raw_id.pop_back();
  EXPECT_EQ(VerifyRegistration(r, expected_).error().code, ErrorCode::kCredentialIdMismatch);
}

TEST_F(RegistrationTest, AlgorithmMustBeRequested) {
  expected_.allowed_algorithms = {-8, -257};
  EXPECT_EQ(Code(), ErrorCode::kAlgorithmNotAllowed);
  expected_.allowed_algorithms = {-7};
  EXPECT_TRUE(Verify());
}

TEST_F(RegistrationTest, Rs1RefusedUnlessInsecureOptIn) {
  TestAuthenticator rs1(CoseAlgorithm::kRS1);
  auto r = rs1.Register(spec_);
  EXPECT_EQ(VerifyRegistration(r, expected_).error().code, ErrorCode::kInsecureAlgorithmRefused);
  expected_.insecure.insecure_allow_rs1 = true;
  EXPECT_TRUE(VerifyRegistration(r, expected_));
}

TEST_F(RegistrationTest, AttestationStatementChecks) {
  spec_.format = TestFormat::kPackedSelf;
  spec_.corrupt_signature = true;
  EXPECT_EQ(Code(), ErrorCode::kAttestationSignatureInvalid);
  spec_.corrupt_signature = false;
  spec_.statement_alg = -257;
  EXPECT_EQ(Code(), ErrorCode::kAttestationAlgorithmMismatch);
  spec_.statement_alg = -999;
  EXPECT_EQ(Code(), ErrorCode::kUnsupportedAlgorithm);
}

TEST_F(RegistrationTest, PackedCertificateRequirements) {
  auto expect_cert_rejected = [&](CertSpec leaf, ErrorCode code) {
    TestAttestationCa ca(leaf);
    spec_.format = TestFormat::kPackedFull;
    spec_.attestation_key = &ca.leaf_key;
    spec_.x5c = {ca.leaf_cert};
    EXPECT_EQ(Code(), code);
  };
  CertSpec wrong_ou = TestAttestationCa::ConformingLeafSpec();
  wrong_ou.subject[2].second = "Something Else";
  expect_cert_rejected(wrong_ou, ErrorCode::kAttestationCertificateInvalid);
  CertSpec no_country = TestAttestationCa::ConformingLeafSpec();
  no_country.subject.erase(no_country.subject.begin());
  expect_cert_rejected(no_country, ErrorCode::kAttestationCertificateInvalid);
  CertSpec is_ca = TestAttestationCa::ConformingLeafSpec();
  is_ca.is_ca = true;
  expect_cert_rejected(is_ca, ErrorCode::kAttestationCertificateInvalid);
  CertSpec v1 = TestAttestationCa::ConformingLeafSpec();
  v1.version = 1;
  expect_cert_rejected(v1, ErrorCode::kAttestationCertificateInvalid);

  CertSpec aaguid = TestAttestationCa::ConformingLeafSpec();
  Bytes ext = {0x04, 0x10};
  ext.resize(18, 0x42);
  aaguid.extensions.push_back({"1.3.6.1.4.1.45724.1.1.4", ext, false});
  expect_cert_rejected(aaguid, ErrorCode::kAttestationAaguidMismatch);
  spec_.aaguid.fill(0x42);
  {
    TestAttestationCa ca(aaguid);
    spec_.attestation_key = &ca.leaf_key;
    spec_.x5c = {ca.leaf_cert};
    EXPECT_TRUE(Verify());
  }
  aaguid.extensions[0].critical = true;
  expect_cert_rejected(aaguid, ErrorCode::kAttestationCertificateInvalid);
}

TEST_F(RegistrationTest, AttestationObjectChecks) {
  auto r = auth_.Register(spec_);
  r.attestation_object = {0xa0};  // empty map
  EXPECT_EQ(VerifyRegistration(r, expected_).error().code, ErrorCode::kAttestationObjectMalformed);
  r.attestation_object = {0xff};
  EXPECT_EQ(VerifyRegistration(r, expected_).error().code, ErrorCode::kAttestationObjectMalformed);
  // A well-formed object with an unknown fmt.
  auto good = auth_.Register(spec_);
  auto decoded = DecodeCbor(good.attestation_object);
  ASSERT_TRUE(decoded);
  auto auth_data = decoded->item.Find("authData").GetBytes();
  ASSERT_TRUE(auth_data);
  r.attestation_object = CborWriter().Map(3).Text("fmt").Text("foo").Text("attStmt").Map(0)
                             .Text("authData").Bytes(*auth_data).Take();
  EXPECT_EQ(VerifyRegistration(r, expected_).error().code, ErrorCode::kAttestationFormatUnsupported);
  r.attestation_object = CborWriter().Map(3).Text("fmt").Text("none").Text("attStmt").Map(1)
                             .Text("x").Uint(1).Text("authData").Bytes(*auth_data).Take();
  EXPECT_EQ(VerifyRegistration(r, expected_).error().code,
            ErrorCode::kAttestationStatementMalformed);
  // Duplicate "fmt" key: ambiguous, refused.
  r.attestation_object = CborWriter().Map(3).Text("fmt").Text("none").Text("fmt").Text("none")
                             .Text("authData").Bytes(*auth_data).Take();
  EXPECT_EQ(VerifyRegistration(r, expected_).error().code, ErrorCode::kAttestationObjectMalformed);
}

TEST_F(RegistrationTest, ResponseJsonChecks) {
  auto r = auth_.Register(spec_);
  std::string json = TestAuthenticator::ToJson(r);
  auto ok = VerifyRegistrationResponseJson(json, expected_);
  ASSERT_TRUE(ok) << ok.error().ToString();
  std::string wrong_type = json;
  wrong_type.replace(wrong_type.find("public-key"), 10, "secret-key");
  EXPECT_EQ(VerifyRegistrationResponseJson(wrong_type, expected_).error().code,
            ErrorCode::kCredentialTypeInvalid);
  std::string padded = json;
  auto pos = padded.find("\"rawId\":\"") + 9;
  padded.insert(pos, "=");
  EXPECT_EQ(VerifyRegistrationResponseJson(padded, expected_).error().code,
            ErrorCode::kBase64Invalid);
  EXPECT_EQ(VerifyRegistrationResponseJson(R"({"id":"AA","rawId":"AA","type":"public-key"})",
                                           expected_).error().code,
            ErrorCode::kResponseMalformed);
  EXPECT_EQ(VerifyRegistrationResponseJson("[]", expected_).error().code,
            ErrorCode::kResponseMalformed);
  EXPECT_EQ(VerifyRegistrationResponseJson("{", expected_).error().code, ErrorCode::kJsonMalformed);
}

}  // namespace
}  // namespace keyward::webauthn
