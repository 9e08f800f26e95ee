#include <gtest/gtest.h>

#include "core/hash.h"
#include "tests/unit/attestation/mds_blob.h"

namespace keyward::attestation::testing {
namespace {

struct SnCase {
  bool wrong_nonce = false;
  bool cts = true;
  int64_t age_ms = 5000;
  bool wrong_host = false;
  bool corrupt_sig = false;
  bool es256 = false;
  std::string ver = "14366018";
};

class SafetyNetTest : public ::testing::Test {
 protected:
  void Build(const SnCase& c) {
    Sha256Digest d = Sha256(reg_.AttToBeSigned());
    if (c.wrong_nonce) d[0] ^= 1;
    Json payload = {{"nonce", Base64Encode(d)},
                    {"timestampMs", kNow * 1000 - c.age_ms},
                    {"apkPackageName", "com.google.android.gms"},
                    {"apkCertificateDigestSha256", {"abc="}},
                    {"ctsProfileMatch", c.cts},
                    {"basicIntegrity", true}};
    EVP_PKEY* key = c.es256 ? ec_key_.get() : rsa_key_.get();
    CertSpec spec;
    spec.subject = {{"CN", c.wrong_host ? "attest.example.com" : "attest.android.com"}};
    spec.dns_names = {c.wrong_host ? "attest.example.com" : "attest.android.com"};
    Certificate leaf = MakeCert(spec, key, ca_key_.get(), &ca_);
    std::string jws = MakeJwt(payload, key, {&leaf, &ca_}, c.es256);
    if (c.corrupt_sig) jws[jws.size() - 4] = jws[jws.size() - 4] == 'A' ? 'B' : 'A';
    CborWriter w;
    w.Map(2).Text("ver").Text(c.ver).Text("response").Bytes(AsBytes(jws));
    reg_.SetStatement(w.bytes());
  }
  ErrorCode Code(const SnCase& c) {
    Build(c);
    auto r = reg_.Verify("android-safetynet");
    return r ? ErrorCode::kInternal : r.error().code;
  }

  Registration reg_;
  EvpPkeyPtr ca_key_ = GenerateRsa();
  Certificate ca_ = MakeCa("GTS CA 1O1 (test)", ca_key_.get());
  EvpPkeyPtr rsa_key_ = GenerateRsa();
  EvpPkeyPtr ec_key_ = GenerateEc();
};

TEST_F(SafetyNetTest, GenuineResponseVerifies) {
  Build({});
  auto r = reg_.Verify("android-safetynet");
  ASSERT_TRUE(r) << r.error().ToString();
  EXPECT_EQ(r->type, AttestationType::kBasic);
  EXPECT_EQ(r->trust_path.size(), 2u);
}

TEST_F(SafetyNetTest, EachDefectRejected) {
  SnCase c;
  c.wrong_nonce = true;
  EXPECT_EQ(Code(c), ErrorCode::kAttestationNonceMismatch);
  c = {};
  c.cts = false;
  EXPECT_EQ(Code(c), ErrorCode::kSafetyNetIntegrityFailed);
  c = {};
  c.age_ms = 61'000;
  EXPECT_EQ(Code(c), ErrorCode::kSafetyNetStale);
  c = {};
  c.age_ms = -1000;  // from the future
  EXPECT_EQ(Code(c), ErrorCode::kSafetyNetStale);
  c = {};
  c.wrong_host = true;
  EXPECT_EQ(Code(c), ErrorCode::kSafetyNetInvalid);
  c = {};
  c.corrupt_sig = true;
  EXPECT_EQ(Code(c), ErrorCode::kAttestationSignatureInvalid);
  c = {};
  c.es256 = true;
  EXPECT_EQ(Code(c), ErrorCode::kSafetyNetInvalid);
  c = {};
  c.ver = "";
  EXPECT_EQ(Code(c), ErrorCode::kAttestationStatementMalformed);
}

TEST_F(SafetyNetTest, WindowIsConfigurable) {
  SnCase c;
  c.age_ms = 120'000;
  EXPECT_EQ(Code(c), ErrorCode::kSafetyNetStale);
  reg_.options.safetynet_max_age_ms = 300'000;
  EXPECT_EQ(Code(c), ErrorCode::kInternal);
  c.age_ms = -1000;
  reg_.options.safetynet_max_future_skew_ms = 5000;
  EXPECT_EQ(Code(c), ErrorCode::kInternal);
}

TEST_F(SafetyNetTest, ResponseNotAJwsRejected) {
  CborWriter w;
  w.Map(2).Text("ver").Text("1").Text("response").Bytes(AsBytes("eyJhbGciOi.x"));
  reg_.SetStatement(w.bytes());
  EXPECT_EQ(reg_.Verify("android-safetynet").error().code, ErrorCode::kSafetyNetInvalid);
}

}  // namespace
}  // namespace keyward::attestation::testing
