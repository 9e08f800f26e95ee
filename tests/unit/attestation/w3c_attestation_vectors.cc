// The W3C WebAuthn L3 test vectors (tests/data/w3c) through the full registration ceremony,
// checked for what attestation decides: the format, the attestation type, the trust verdict
// against the vector's anchor, and — for the android-key vector whose KeyDescription has empty
// authorization lists — the rejection code.
#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <map>
#include <sstream>

#include "attestation/trust_store.h"
#include "core/json.h"
#include "keyward/webauthn.h"

namespace keyward::webauthn {
namespace {

std::string Read(const std::filesystem::path& p) {
  std::ifstream in(p);
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

struct Expected {
  const char* type;   // attestation_type when verified
  const char* error;  // error code when rejected
};

TEST(W3cAttestationVectorsTest, RegistrationsGiveTheirVerdictTypeAndTrust) {
  const std::map<std::string, Expected> expected = {
      {"w3c-android-key-es256-reg", {nullptr, "android_key_authorization_invalid"}},
      {"w3c-apple-es256-reg", {"anonca", nullptr}},
      {"w3c-fido-u2f-es256-reg", {"basic", nullptr}},
      {"w3c-tpm-es256-reg", {"attca", nullptr}},
      {"w3c-packed-es256-reg", {"basic", nullptr}},
      {"w3c-packed-self-es256-reg", {"self", nullptr}},
      {"w3c-none-es256-reg", {"none", nullptr}},
  };
  int checked = 0;
  for (const auto& entry : std::filesystem::directory_iterator(KEYWARD_TEST_DATA_DIR "/w3c")) {
    std::string text = Read(entry.path());
    Json c = *ParseJson(text);
    std::string name = c["name"];
    if (c["kind"] != "registration") continue;
    CaseVerdict v = RunVerificationCase(text, {});
    Json verdict = *ParseJson(v.json);
    std::string expect = c["expect"];
    EXPECT_EQ(v.exit_code, expect == "ok" ? 0 : 1) << name << ": " << v.json;
    if (expect == "ok" && c.contains("attestation_trust_anchor_der")) {
      EXPECT_EQ(verdict["trust"]["status"], "trusted") << name << ": " << v.json;
    }
    auto it = expected.find(name);
    if (it == expected.end()) continue;
    ++checked;
    if (it->second.type) {
      EXPECT_EQ(verdict["attestation_type"], it->second.type) << name;
    } else {
      EXPECT_EQ(verdict["error"]["code"], it->second.error) << name << ": " << v.json;
    }
  }
  EXPECT_EQ(checked, static_cast<int>(expected.size()));
}

// The W3C vectors are synthetic: their apple chain ends at the spec's own test CA, not at
// Apple's root. Without the case's anchor the bundled roots judge it: untrusted, wrong root.
TEST(W3cAttestationVectorsTest, AppleVectorIsNotSignedByTheRealAppleRoot) {
  Json c = *ParseJson(Read(KEYWARD_TEST_DATA_DIR "/w3c/w3c-apple-es256-reg.json"));
  c.erase("attestation_trust_anchor_der");
  CaseVerdict v = RunVerificationCase(c.dump(), {});
  Json verdict = *ParseJson(v.json);
  EXPECT_EQ(v.exit_code, 0) << v.json;
  EXPECT_EQ(verdict["trust"]["status"], "untrusted") << v.json;
  EXPECT_EQ(verdict["trust"]["error"]["code"], "certificate_untrusted") << v.json;
}

// Real statements (tests/data/vendor, from py_webauthn's test suite) chain to the bundled roots.
struct VendorCase {
  const char* file;
  const char* anchor;
};
constexpr VendorCase kVendorCases[] = {
    {"py-webauthn-apple-passkey-reg.json", "ST=California,O=Apple Inc.,CN=Apple WebAuthn Root CA"},
    {"py-webauthn-android-key-pixel8a-reg.json", "serialNumber=f92009e853b6b045"},
    // x5c ends with GTS Root R1 cross-signed by GlobalSign Root CA; the bundled self-signed GTS
    // Root R1 (same name and key) is the anchor reached first.
    {"py-webauthn-android-safetynet-reg.json", "CN=GTS Root R1,O=Google Trust Services LLC,C=US"},
};

Json RunVendor(const VendorCase& vc, const CaseOptions& options, const char* verify_at = nullptr) {
  Json c = *ParseJson(Read(std::string(KEYWARD_TEST_DATA_DIR "/vendor/") + vc.file));
  if (verify_at) c["verify_at"] = verify_at;
  CaseVerdict v = RunVerificationCase(c.dump(), options);
  Json out = *ParseJson(v.json);
  out["exit_code"] = v.exit_code;
  return out;
}

TEST(VendorAttestationVectorsTest, RealStatementsAreTrustedAgainstTheBundledRoots) {
  for (const VendorCase& vc : kVendorCases) {
    Json v = RunVendor(vc, {});
    EXPECT_EQ(v["exit_code"], 0) << vc.file << ": " << v.dump();
    EXPECT_EQ(v["trust"]["status"], "trusted") << vc.file << ": " << v.dump();
    EXPECT_EQ(v["trust"]["anchor"], vc.anchor) << vc.file << ": " << v.dump();
  }
}

TEST(VendorAttestationVectorsTest, WithoutBundledRootsTheyAreUnverified) {
  attestation::TrustStore none;
  none.SetUseBundledRoots(false);
  CaseOptions options;
  options.trust = &none;
  for (const VendorCase& vc : kVendorCases) {
    Json v = RunVendor(vc, options);
    EXPECT_EQ(v["exit_code"], 0) << vc.file << ": " << v.dump();
    EXPECT_EQ(v["trust"]["status"], "unverified") << vc.file << ": " << v.dump();
  }
}

TEST(VendorAttestationVectorsTest, LaterTheirChainsHaveExpired) {
  // apple and android-key do not bound the statement's age: the chain decides. (SafetyNet
  // refuses an old response itself: safetynet_stale.)
  for (const VendorCase& vc : {kVendorCases[0], kVendorCases[1]}) {
    Json v = RunVendor(vc, {}, "2030-01-01T00:00:00Z");
    EXPECT_EQ(v["exit_code"], 0) << vc.file << ": " << v.dump();
    EXPECT_EQ(v["trust"]["status"], "untrusted") << vc.file << ": " << v.dump();
    EXPECT_EQ(v["trust"]["error"]["code"], "certificate_expired") << vc.file << ": " << v.dump();
  }
  Json v = RunVendor(kVendorCases[2], {}, "2030-01-01T00:00:00Z");
  EXPECT_EQ(v["exit_code"], 1) << v.dump();
  EXPECT_EQ(v["error"]["code"], "safetynet_stale") << v.dump();
}

TEST(VendorAttestationVectorsTest, BeforeTheirChainsWereIssuedTheyAreNotYetValid) {
  Json v = RunVendor(kVendorCases[0], {}, "2021-08-01T00:00:00Z");
  EXPECT_EQ(v["trust"]["status"], "untrusted") << v.dump();
  EXPECT_EQ(v["trust"]["error"]["code"], "certificate_not_yet_valid") << v.dump();
}

}  // namespace
}  // namespace keyward::webauthn
