// keyward verify CASE.json: verify one WebAuthn ceremony response (a verification case) and print
// one JSON verdict.
#include <optional>
#include <iostream>

#include "attestation/metadata.h"
#include "attestation/trust_store.h"
#include "core/x509.h"
#include "keyward/webauthn.h"
#include "tools/keyward/command.h"

namespace keyward::cli {
namespace {

constexpr char kVerifyHelp[] = R"(Verify one WebAuthn registration or authentication response.

CASE.json is a verification case: one JSON object with
  kind                       "registration" | "authentication"
  response                   RegistrationResponseJSON / AuthenticationResponseJSON (WebAuthn L3)
  expected_challenge         base64url challenge the relying party issued
  expected_origin            origin string, or a list of acceptable origins
  expected_rp_id             RP ID (authData.rpIdHash must be its SHA-256)
  require_user_verification  bool (default false)
  verify_at                  optional ISO-8601 instant used as "now" for certificate validity
  credential_public_key      authentication: the stored COSE_Key, base64url
  prior_sign_count           authentication: the stored signature counter (default 0)
  allow_cross_origin         optional bool; expected_top_origin: optional allowed topOrigin
  expected_appid             optional: the FIDO appid extension value the RP sent
  pub_key_cred_params_algs   optional: COSE algorithms the RP asked for
  attestation_trust_anchor_der  optional: root certificate (base64url DER) for the attestation
Unknown fields are ignored.

Prints one JSON verdict on stdout:
  verified (bool), kind; when verified: fmt, attestation_type (none|self|basic|attca|anonca),
  aaguid, credential_id, credential_public_key (base64url COSE), alg, sign_count,
  flags {up, uv, be, bs}, trust {status: unverified|trusted|untrusted, anchor, error}
  (registration) or credential_id, sign_count, flags, sign_count_regressed,
  backup_state_changed, appid_used, user_handle (authentication);
  when rejected: error {code, message} with a stable snake_case code.
Exit status: 0 verified, 1 rejected, 2 the case file is unusable.)";

Command MakeVerify(CLI::App& root) {
  auto* app = root.add_subcommand("verify", "Verify a WebAuthn response (a verification case)");
  app->footer(kVerifyHelp);
  auto path = std::make_shared<std::string>();
  auto trust_dir = std::make_shared<std::string>();
  auto mds = std::make_shared<std::string>();
  app->add_option("case", *path, "verification case JSON file")->required();
  app->add_option("--trust-dir", *trust_dir,
                  "attestation trust anchors: DIR/* for every format, DIR/formats/<fmt>/*, "
                  "DIR/aaguids/<aaguid>/*, CRLs in DIR/crls/ or *.crl");
  app->add_option("--mds", *mds,
                  "a verified FIDO MDS3 store written by `keyward mds import` (anchors, status, "
                  "certification level)");
  return {app, [path, trust_dir, mds]() -> int {
            auto text = ReadFileToString(*path, 4 << 20);
            if (!text) {
              std::cout << R"({"verified": false, "case_error": true, "error": {"code": ")"
                        << ErrorCodeName(text.error().code) << R"(", "message": "cannot read the case file"}})"
                        << "\n";
              return kExitUsage;
            }
            attestation::TrustStore store;
            webauthn::CaseOptions options;
            std::optional<attestation::MetadataBlob> blob;
            if (!trust_dir->empty()) {
              if (auto added = store.AddDirectory(*trust_dir); !added) {
                std::cerr << "keyward verify: --trust-dir: " << added.error().ToString() << "\n";
                return kExitUsage;
              }
              options.trust = &store;
            }
            if (!mds->empty()) {
              auto loaded = attestation::MetadataBlob::LoadStored(*mds);
              if (!loaded) {
                std::cerr << "keyward verify: --mds: " << loaded.error().ToString() << "\n";
                return kExitUsage;
              }
              blob.emplace(std::move(*loaded));
              store.SetMetadata(&*blob);
              options.trust = &store;
            }
            webauthn::CaseVerdict verdict = webauthn::RunVerificationCase(*text, options);
            std::cout << verdict.json << "\n";
            return verdict.exit_code;
          }};
}

KEYWARD_REGISTER_COMMAND(10, MakeVerify);

}  // namespace
}  // namespace keyward::cli
