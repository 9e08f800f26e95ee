// A small WebAuthn relying party built out of tree against an installed keyward: it verifies
// the example cases (examples/cases/*.json) through the public C++ API and checks each verdict
// against the case's "expect". A registration case that names its attestation trust anchor
// ("attestation_trust_anchor_der") is verified against that anchor (keyward/trust.h) and must come
// out trusted. Exit status 0 when every verdict is the expected one.
//
//   rp_example ../cases/*.json
#include <cstdint>
#include <fstream>
#include <iostream>
#include <nlohmann/json.hpp>
#include <optional>
#include <sstream>
#include <string>
#include <string_view>

#include "keyward/trust.h"
#include "keyward/version.h"
#include "keyward/webauthn.h"

namespace {

namespace wa = keyward::webauthn;

// base64url without padding (RFC 4648 §5), as the cases carry challenges and keys.
std::optional<wa::Bytes> Base64UrlDecode(const std::string& text) {
  wa::Bytes out;
  uint32_t acc = 0;
  int bits = 0;
  constexpr std::string_view kAlphabet =
      "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";
  for (char c : text) {
    const size_t v = kAlphabet.find(c);
    if (v == std::string_view::npos) return std::nullopt;
    acc = (acc << 6) | static_cast<uint32_t>(v);
    bits += 6;
    if (bits >= 8) {
      bits -= 8;
      out.push_back(static_cast<uint8_t>(acc >> bits));
    }
  }
  return out;
}

// Verifies one case; returns the verdict: "ok" or the stable error name.
std::string Verify(const nlohmann::json& c) {
  const std::string response = c.at("response").dump();
  auto challenge = Base64UrlDecode(c.at("expected_challenge").get<std::string>());
  if (!challenge) return "bad_case";
  if (c.at("kind") == "registration") {
    wa::RegistrationExpectations exp;
    exp.challenge = *challenge;
    exp.rp_id = c.at("expected_rp_id").get<std::string>();
    exp.origin.origins = {c.at("expected_origin").get<std::string>()};
    exp.require_user_verification = c.value("require_user_verification", false);
    if (c.contains("verify_at")) {
      auto at = wa::ParseIso8601(c.at("verify_at").get<std::string>());
      if (!at) return std::string(keyward::ErrorCodeName(at.error().code));
      exp.verify_time = *at;
    }
    keyward::attestation::TrustAnchors anchors;
    const bool anchored = c.contains("attestation_trust_anchor_der");
    if (anchored) {
      auto der = Base64UrlDecode(c.at("attestation_trust_anchor_der").get<std::string>());
      if (!der) return "bad_case";
      if (auto added = anchors.AddRootDer(*der); !added) {
        return std::string(keyward::ErrorCodeName(added.error().code));
      }
      exp.trust = &anchors.store();
    }
    auto reg = wa::VerifyRegistrationResponseJson(response, exp);
    if (!reg) return std::string(keyward::ErrorCodeName(reg.error().code));
    if (anchored && reg->trust.status != wa::TrustStatus::kTrusted) return "not_trusted";
    std::cout << "  fmt " << reg->fmt << ", attestation "
              << wa::AttestationTypeName(reg->attestation_type) << ", trust "
              << wa::TrustStatusName(reg->trust.status) << ", aaguid "
              << wa::AaguidToString(reg->aaguid) << "\n";
    return "ok";
  }
  wa::AssertionExpectations exp;
  exp.challenge = *challenge;
  exp.rp_id = c.at("expected_rp_id").get<std::string>();
  exp.origin.origins = {c.at("expected_origin").get<std::string>()};
  exp.require_user_verification = c.value("require_user_verification", false);
  auto key = Base64UrlDecode(c.at("credential_public_key").get<std::string>());
  if (!key) return "bad_case";
  exp.credential_public_key = *key;
  exp.prior_sign_count = c.value("prior_sign_count", 0u);
  auto parsed = wa::ParseAuthenticationResponseJson(response);
  if (!parsed) return std::string(keyward::ErrorCodeName(parsed.error().code));
  // The RP asked for this credential (allowCredentials), as it does after a username step.
  exp.credential_id = parsed->raw_id;
  exp.allow_credentials = {parsed->raw_id};
  auto assertion = wa::VerifyAssertion(*parsed, exp);
  if (!assertion) return std::string(keyward::ErrorCodeName(assertion.error().code));
  std::cout << "  sign count " << assertion->sign_count << ", user verified "
            << (assertion->flags.user_verified ? "yes" : "no") << "\n";
  return "ok";
}

}  // namespace

int main(int argc, char** argv) {
  std::cout << "keyward headers " << KEYWARD_VERSION_STRING << ", library " << keyward::Version()
            << "\n";
  if (argc < 2) {
    std::cerr << "usage: rp_example CASE.json...\n";
    return 2;
  }
  int mismatches = 0;
  for (int i = 1; i < argc; ++i) {
    std::ifstream in(argv[i]);
    std::stringstream text;
    text << in.rdbuf();
    nlohmann::json c = nlohmann::json::parse(text.str(), nullptr, /*allow_exceptions=*/false);
    if (!in || c.is_discarded()) {
      std::cerr << argv[i] << ": unreadable case\n";
      ++mismatches;
      continue;
    }
    const std::string verdict = Verify(c);
    const bool expected_ok = c.value("expect", "") == "ok";
    const bool as_expected = (verdict == "ok") == expected_ok && verdict != "bad_case";
    std::cout << c.value("name", argv[i]) << ": " << verdict << " (expected "
              << c.value("expect", "?") << ")" << (as_expected ? "" : "  <- MISMATCH") << "\n";
    if (!as_expected) ++mismatches;
  }
  std::cout << (argc - 1 - mismatches) << " of " << (argc - 1) << " cases as expected\n";
  return mismatches == 0 ? 0 : 1;
}
