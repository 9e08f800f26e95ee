// The W3C WebAuthn L3 test vectors (tests/data/w3c) through the full registration ceremony,
// checked for what attestation decides: the format, the attestation type, the trust verdict
// against the vector's anchor, and — for the android-key vector whose KeyDescription has empty
// authorization lists — the rejection code.
#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <map>
#include <sstream>

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

}  // namespace
}  // namespace keyward::webauthn
