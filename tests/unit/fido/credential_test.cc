// makeCredential / getAssertion through libfido2 against the software authenticator.
#include <fido/err.h>
#include <openssl/x509.h>

#include "core/cose_key.h"
#include "core/openssl_util.h"
#include "core/public_key.h"
#include "tests/unit/fido/soft_fixture.h"

namespace keyward::fido::testing {
namespace {

constexpr uint8_t kUp = 0x01, kUv = 0x04, kAt = 0x40, kEd = 0x80;

Bytes Concat(ByteSpan a, ByteSpan b) {
  Bytes out(a.begin(), a.end());
  out.insert(out.end(), b.begin(), b.end());
  return out;
}

X509Ptr ParseCert(ByteSpan der) {
  const uint8_t* p = der.data();
  return X509Ptr(d2i_X509(nullptr, &p, static_cast<long>(der.size())));
}

TEST_F(SoftDeviceTest, MakeCredentialGivesPackedAttestationChainedToTheTestCa) {
  auto cred = dev_->MakeCredential(Request("example.com", "alice"), nullptr);
  ASSERT_TRUE(cred) << cred.error().ToString();
  EXPECT_EQ(cred->fmt, "packed");
  EXPECT_EQ(cred->flags & (kUp | kAt), kUp | kAt);
  EXPECT_EQ(cred->flags & kUv, 0);
  EXPECT_EQ(cred->aaguid, auth_->aaguid());
  EXPECT_FALSE(cred->id.empty());
  EXPECT_LE(cred->id.size(), 128u);
  auto key = CoseKey::Parse(cred->cose_public_key);
  ASSERT_TRUE(key);
  EXPECT_EQ(key->alg, CoseAlgorithm::kES256);

  // attStmt.sig verifies with the batch certificate over authData || clientDataHash.
  X509Ptr batch = ParseCert(cred->x5c);
  ASSERT_TRUE(batch);
  auto pub = PublicKey::FromEvp(X509_get0_pubkey(batch.get()), CoseAlgorithm::kES256, {});
  ASSERT_TRUE(pub);
  EXPECT_TRUE(pub->Verify(Concat(cred->auth_data, cred->client_data_hash), cred->signature));
  Bytes tampered = cred->client_data_hash;
  tampered[0] ^= 1;
  EXPECT_FALSE(pub->Verify(Concat(cred->auth_data, tampered), cred->signature));

  // The batch certificate is issued by the exportable test CA.
  X509Ptr ca = ParseCert(auth_->CaCertificateDer());
  ASSERT_TRUE(ca);
  EXPECT_EQ(X509_verify(batch.get(), X509_get0_pubkey(ca.get())), 1);
  EXPECT_NE(auth_->CaCertificatePem().find("BEGIN CERTIFICATE"), std::string::npos);
}

TEST_F(SoftDeviceTest, AssertionVerifiesWithTheCredentialKeyAndCountsUp) {
  auto cred = dev_->MakeCredential(Request("example.com", "alice"), nullptr);
  ASSERT_TRUE(cred);
  auto key = PublicKey::FromCoseBytes(cred->cose_public_key, {});
  ASSERT_TRUE(key);
  auto req = AssertRequest("example.com");
  req.allow_list = {cred->id};
  uint32_t last = cred->sign_count;
  for (int i = 0; i < 2; ++i) {
    auto a = dev_->GetAssertion(req, nullptr);
    ASSERT_TRUE(a) << a.error().ToString();
    ASSERT_EQ(a->size(), 1u);
    const Assertion& x = (*a)[0];
    EXPECT_EQ(x.credential_id, cred->id);
    EXPECT_EQ(x.flags & kUp, kUp);
    EXPECT_GT(x.sign_count, last);
    last = x.sign_count;
    EXPECT_TRUE(key->Verify(Concat(x.auth_data, req.client_data_hash), x.signature));
  }
}

TEST_F(SoftDeviceTest, EdDsaCredential) {
  auto req = Request("example.com", "bob");
  req.algorithm = Algorithm::kEdDsa;
  auto cred = dev_->MakeCredential(req, nullptr);
  ASSERT_TRUE(cred) << cred.error().ToString();
  auto key = PublicKey::FromCoseBytes(cred->cose_public_key, {});
  ASSERT_TRUE(key);
  EXPECT_EQ(key->algorithm(), CoseAlgorithm::kEdDSA);
  auto areq = AssertRequest("example.com");
  areq.allow_list = {cred->id};
  auto a = dev_->GetAssertion(areq, nullptr);
  ASSERT_TRUE(a);
  EXPECT_TRUE(key->Verify(Concat((*a)[0].auth_data, areq.client_data_hash), (*a)[0].signature));
}

TEST_F(SoftDeviceTest, CredentialOfAnotherRpIsNotFound) {
  auto cred = dev_->MakeCredential(Request("example.com", "alice"), nullptr);
  ASSERT_TRUE(cred);
  auto req = AssertRequest("evil.example");
  req.allow_list = {cred->id};
  auto a = dev_->GetAssertion(req, nullptr);
  ASSERT_FALSE(a);
  EXPECT_EQ(a.error().code, ErrorCode::kFidoNoCredentials);
  EXPECT_EQ(a.error().native, static_cast<uint32_t>(FIDO_ERR_NO_CREDENTIALS));
}

TEST_F(SoftDeviceTest, ExcludedCredentialIsRefused) {
  auto cred = dev_->MakeCredential(Request("example.com", "alice"), nullptr);
  ASSERT_TRUE(cred);
  auto req = Request("example.com", "alice");
  req.exclude_list = {Bytes{1, 2, 3}, cred->id};
  auto again = dev_->MakeCredential(req, nullptr);
  ASSERT_FALSE(again);
  EXPECT_EQ(again.error().code, ErrorCode::kFidoCredentialExcluded);
  EXPECT_EQ(again.error().native, static_cast<uint32_t>(FIDO_ERR_CREDENTIAL_EXCLUDED));
}

TEST_F(SoftDeviceTest, ResidentKeysAreDiscoveredNewestFirstWithGetNextAssertion) {
  ASSERT_TRUE(dev_->SetPin(Pin("1234")));
  auto r1 = Request("example.com", "alice");
  r1.resident_key = true;
  auto r2 = Request("example.com", "bob");
  r2.resident_key = true;
  SecretBytes pin = Pin("1234");
  auto c1 = dev_->MakeCredential(r1, &pin);
  ASSERT_TRUE(c1) << c1.error().ToString();
  EXPECT_EQ(c1->flags & kUv, kUv);
  ASSERT_TRUE(dev_->MakeCredential(r2, &pin));
  auto a = dev_->GetAssertion(AssertRequest("example.com"), &pin);
  ASSERT_TRUE(a) << a.error().ToString();
  ASSERT_EQ(a->size(), 2u);
  EXPECT_EQ(std::string((*a)[0].user_id.begin(), (*a)[0].user_id.end()), "bob");
  EXPECT_EQ((*a)[0].user_name, "bob");
  EXPECT_EQ(std::string((*a)[1].user_id.begin(), (*a)[1].user_id.end()), "alice");
  EXPECT_EQ((*a)[1].user_display_name, "alice display");
  EXPECT_EQ((*a)[1].flags & kUv, kUv);
}

TEST_F(SoftDeviceTest, ResidentKeyNeedsUserVerificationOnceAPinIsSet) {
  ASSERT_TRUE(dev_->SetPin(Pin("1234")));
  auto req = Request("example.com", "alice");
  req.resident_key = true;
  auto r = dev_->MakeCredential(req, nullptr);
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error().code, ErrorCode::kPinRequired);
  EXPECT_EQ(r.error().native, static_cast<uint32_t>(FIDO_ERR_PIN_REQUIRED));
  // A non-discoverable credential still works without a PIN (makeCredUvNotRqd).
  EXPECT_TRUE(dev_->MakeCredential(Request("example.com", "alice"), nullptr));
}

TEST_F(SoftDeviceTest, WrongPinOnMakeCredentialIsIncorrect) {
  ASSERT_TRUE(dev_->SetPin(Pin("1234")));
  SecretBytes wrong = Pin("4321");
  auto r = dev_->MakeCredential(Request("example.com", "alice"), &wrong);
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error().code, ErrorCode::kPinIncorrect);
}

TEST_F(SoftDeviceTest, UserVerificationRequestedButUnavailable) {
  // No PIN and no built-in UV: libfido2 cannot get a token.
  auto req = Request("example.com", "alice");
  req.user_verification = true;
  auto r = dev_->MakeCredential(req, nullptr);
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error().code, ErrorCode::kPinRequired);
}

TEST_F(SoftDeviceTest, BuiltinUvSetsTheUvFlag) {
  auth_->switches().builtin_uv = true;
  Reopen();
  auto req = Request("example.com", "alice");
  req.user_verification = true;
  auto r = dev_->MakeCredential(req, nullptr);
  ASSERT_TRUE(r) << r.error().ToString();
  EXPECT_EQ(r->flags & kUv, kUv);
}

TEST_F(SoftDeviceTest, CredProtectUvRequiredHidesTheCredentialWithoutUv) {
  ASSERT_TRUE(dev_->SetPin(Pin("1234")));
  SecretBytes pin = Pin("1234");
  auto req = Request("example.com", "alice");
  req.cred_protect = 3;
  auto cred = dev_->MakeCredential(req, &pin);
  ASSERT_TRUE(cred) << cred.error().ToString();
  EXPECT_EQ(cred->cred_protect, 3);
  auto areq = AssertRequest("example.com");
  areq.allow_list = {cred->id};
  auto without = dev_->GetAssertion(areq, nullptr);
  ASSERT_FALSE(without);
  EXPECT_EQ(without.error().code, ErrorCode::kFidoNoCredentials);
  auto with = dev_->GetAssertion(areq, &pin);
  ASSERT_TRUE(with) << with.error().ToString();
  EXPECT_EQ((*with)[0].flags & kUv, kUv);
}

TEST_F(SoftDeviceTest, HmacSecretIsStablePerSaltAndCredential) {
  auto req = Request("example.com", "alice");
  req.hmac_secret = true;
  auto cred = dev_->MakeCredential(req, nullptr);
  ASSERT_TRUE(cred) << cred.error().ToString();
  EXPECT_EQ(cred->flags & kEd, kEd);
  auto areq = AssertRequest("example.com");
  areq.allow_list = {cred->id};
  areq.hmac_salt = Hash32("salt one");
  auto a1 = dev_->GetAssertion(areq, nullptr);
  ASSERT_TRUE(a1) << a1.error().ToString();
  auto a2 = dev_->GetAssertion(areq, nullptr);
  ASSERT_TRUE(a2);
  ASSERT_EQ((*a1)[0].hmac_secret.size(), 32u);
  EXPECT_EQ((*a1)[0].hmac_secret, (*a2)[0].hmac_secret);
  areq.hmac_salt = Hash32("salt two");
  auto a3 = dev_->GetAssertion(areq, nullptr);
  ASSERT_TRUE(a3);
  EXPECT_NE((*a1)[0].hmac_secret, (*a3)[0].hmac_secret);
}

TEST_F(SoftDeviceTest, CredBlobAndLargeBlobKeyComeBack) {
  ASSERT_TRUE(dev_->SetPin(Pin("1234")));
  SecretBytes pin = Pin("1234");
  auto req = Request("example.com", "alice");
  req.resident_key = true;
  req.cred_blob = Bytes{'h', 'e', 'l', 'l', 'o'};
  req.large_blob_key = true;
  auto cred = dev_->MakeCredential(req, &pin);
  ASSERT_TRUE(cred) << cred.error().ToString();
  ASSERT_EQ(cred->large_blob_key.size(), 32u);
  auto areq = AssertRequest("example.com");
  areq.cred_blob = true;
  areq.large_blob_key = true;
  auto a = dev_->GetAssertion(areq, &pin);
  ASSERT_TRUE(a) << a.error().ToString();
  EXPECT_EQ((*a)[0].cred_blob, req.cred_blob);
  EXPECT_EQ((*a)[0].large_blob_key, cred->large_blob_key);
}

TEST_F(SoftDeviceTest, SilentAssertionHasNoUpFlag) {
  auto cred = dev_->MakeCredential(Request("example.com", "alice"), nullptr);
  ASSERT_TRUE(cred);
  auto areq = AssertRequest("example.com");
  areq.allow_list = {cred->id};
  areq.user_presence = false;
  auto a = dev_->GetAssertion(areq, nullptr);
  ASSERT_TRUE(a) << a.error().ToString();
  EXPECT_EQ((*a)[0].flags & kUp, 0);
}

TEST_F(SoftDeviceTest, BadArgumentsAreRejectedBeforeTheDevice) {
  auto req = Request("example.com", "alice");
  req.client_data_hash.resize(31);
  auto r = dev_->MakeCredential(req, nullptr);
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error().code, ErrorCode::kInvalidArgument);
  auto areq = AssertRequest("example.com");
  areq.hmac_salt = Bytes(16, 1);
  auto a = dev_->GetAssertion(areq, nullptr);
  ASSERT_FALSE(a);
  EXPECT_EQ(a.error().code, ErrorCode::kInvalidArgument);
}

}  // namespace
}  // namespace keyward::fido::testing
