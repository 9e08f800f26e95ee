// Project Wycheproof signature vectors through the same path a WebAuthn assertion takes: the
// public key becomes COSE_Key bytes, PublicKey::FromCoseBytes builds it, PublicKey::Verify checks.
// Every `valid` vector must verify and every `invalid` one must be rejected; `acceptable` ones
// are counted (either answer conforms).
#include <gtest/gtest.h>

#include <fstream>
#include <sstream>

#include "core/cose_key.h"
#include "core/json.h"
#include "core/public_key.h"

namespace keyward {
namespace {

struct Counts {
  int valid = 0, invalid = 0, acceptable = 0;
};

Json Load(const std::string& name) {
  std::ifstream in(std::string(KEYWARD_TEST_DATA_DIR) + "/wycheproof/" + name);
  std::stringstream ss;
  ss << in.rdbuf();
  auto j = ParseJson(ss.str(), {64, 64 << 20});
  EXPECT_TRUE(j) << name;
  return j ? *j : Json();
}

Bytes Hex(const Json& v) {
  auto b = HexDecode(v.get<std::string>());
  EXPECT_TRUE(b);
  return b ? *b : Bytes();
}

Counts RunGroups(const std::string& file, CoseAlgorithm alg, SignatureFormat format,
                 const std::function<CoseKey(const Json& group)>& make_key) {
  Counts c;
  Json doc = Load(file);
  for (const Json& group : doc["testGroups"]) {
    CoseKey key = make_key(group);
    key.alg = alg;
    auto pk = PublicKey::FromCoseBytes(key.Encode(), InsecureAlgorithms{});
    for (const Json& t : group["tests"]) {
      std::string result = t["result"];
      Bytes msg = Hex(t["msg"]), sig = Hex(t["sig"]);
      bool ok = pk && pk->Verify(msg, sig, format).has_value();
      int id = t["tcId"];
      if (result == "valid") {
        ++c.valid;
        EXPECT_TRUE(ok) << file << " tcId " << id << " (valid) rejected: " << t["comment"];
      } else if (result == "invalid") {
        ++c.invalid;
        EXPECT_FALSE(ok) << file << " tcId " << id << " (invalid) accepted: " << t["comment"];
      } else {
        ++c.acceptable;
      }
    }
  }
  return c;
}

CoseKey EcKey(const Json& group, CoseCurve crv, size_t field) {
  Bytes point = Hex(group["publicKey"]["uncompressed"]);
  EXPECT_EQ(point.size(), 1 + 2 * field);
  CoseKey k;
  k.kty = CoseKeyType::kEc2;
  k.crv = crv;
  k.x.assign(point.begin() + 1, point.begin() + 1 + field);
  k.y.assign(point.begin() + 1 + field, point.end());
  return k;
}

CoseKey RsaKey(const Json& group) {
  CoseKey k;
  k.kty = CoseKeyType::kRsa;
  k.n = Hex(group["publicKey"]["modulus"]);
  k.e = Hex(group["publicKey"]["publicExponent"]);
  while (k.n.size() > 1 && k.n[0] == 0) k.n.erase(k.n.begin());
  return k;
}

CoseKey OkpKey(const Json& group, CoseCurve crv) {
  CoseKey k;
  k.kty = CoseKeyType::kOkp;
  k.crv = crv;
  k.x = Hex(group["publicKey"]["pk"]);
  return k;
}

void ExpectRan(const Counts& c) {
  EXPECT_GT(c.valid, 0);
  EXPECT_GT(c.invalid, 0);
}

TEST(WycheproofTest, EcdsaP256Sha256Der) {
  ExpectRan(RunGroups("ecdsa_secp256r1_sha256_test.json", CoseAlgorithm::kES256,
                      SignatureFormat::kDer,
                      [](const Json& g) { return EcKey(g, CoseCurve::kP256, 32); }));
}
TEST(WycheproofTest, EcdsaP256Sha256P1363) {
  ExpectRan(RunGroups("ecdsa_secp256r1_sha256_p1363_test.json", CoseAlgorithm::kES256,
                      SignatureFormat::kP1363,
                      [](const Json& g) { return EcKey(g, CoseCurve::kP256, 32); }));
}
TEST(WycheproofTest, EcdsaP384Sha384) {
  ExpectRan(RunGroups("ecdsa_secp384r1_sha384_test.json", CoseAlgorithm::kES384,
                      SignatureFormat::kDer,
                      [](const Json& g) { return EcKey(g, CoseCurve::kP384, 48); }));
}
TEST(WycheproofTest, EcdsaP521Sha512) {
  ExpectRan(RunGroups("ecdsa_secp521r1_sha512_test.json", CoseAlgorithm::kES512,
                      SignatureFormat::kDer,
                      [](const Json& g) { return EcKey(g, CoseCurve::kP521, 66); }));
}
TEST(WycheproofTest, Ed25519) {
  ExpectRan(RunGroups("ed25519_test.json", CoseAlgorithm::kEdDSA, SignatureFormat::kDer,
                      [](const Json& g) { return OkpKey(g, CoseCurve::kEd25519); }));
}
TEST(WycheproofTest, Ed448) {
  ExpectRan(RunGroups("ed448_test.json", CoseAlgorithm::kEd448, SignatureFormat::kDer,
                      [](const Json& g) { return OkpKey(g, CoseCurve::kEd448); }));
}
TEST(WycheproofTest, RsaPkcs1Sha256) {
  ExpectRan(RunGroups("rsa_signature_2048_sha256_test.json", CoseAlgorithm::kRS256,
                      SignatureFormat::kDer, RsaKey));
}
TEST(WycheproofTest, RsaPkcs1Sha384) {
  ExpectRan(RunGroups("rsa_signature_3072_sha384_test.json", CoseAlgorithm::kRS384,
                      SignatureFormat::kDer, RsaKey));
}
TEST(WycheproofTest, RsaPkcs1Sha512) {
  ExpectRan(RunGroups("rsa_signature_4096_sha512_test.json", CoseAlgorithm::kRS512,
                      SignatureFormat::kDer, RsaKey));
}
TEST(WycheproofTest, RsaPssSha256) {
  ExpectRan(RunGroups("rsa_pss_2048_sha256_mgf1_32_test.json", CoseAlgorithm::kPS256,
                      SignatureFormat::kDer, RsaKey));
}

}  // namespace
}  // namespace keyward
