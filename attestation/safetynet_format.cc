#include "attestation/safetynet_format.h"

#include <openssl/x509v3.h>

#include "attestation/jws.h"
#include "core/base64url.h"
#include "core/hash.h"

namespace keyward::attestation {
namespace {

Unexpected Invalid(const std::string& what) {
  return Fail(ErrorCode::kSafetyNetInvalid, "android-safetynet: " + what);
}

}  // namespace

Result<StatementResult> SafetyNetFormat::Verify(const AttestationInput& input) const {
  const CborItem& stmt = input.att_stmt;
  if (!stmt.IsMap()) return Fail(ErrorCode::kAttestationStatementMalformed, "attStmt not a map");
  auto ver = stmt.Find("ver").GetText();
  auto response = stmt.Find("response").GetBytes();
  if (!ver || ver->empty() || !response) {
    return Fail(ErrorCode::kAttestationStatementMalformed,
                "android-safetynet: ver or response missing");
  }
  KW_ASSIGN_OR_RETURN(Jws jws, ParseJwsCompact(AsChars(*response), ErrorCode::kSafetyNetInvalid));
  if (jws.alg != "RS256") return Invalid("JWS alg is " + jws.alg + ", not RS256");
  KW_TRY(VerifyJwsSignature(jws, ErrorCode::kAttestationSignatureInvalid));
  const Certificate& leaf = jws.x5c.front();
  static constexpr char kHost[] = "attest.android.com";
  if (X509_check_host(leaf.get(), kHost, sizeof(kHost) - 1, 0, nullptr) != 1) {
    return Invalid("JWS signer is not attest.android.com");
  }

  const Json& p = jws.payload;
  auto nonce = JsonString(p, "nonce");
  if (!nonce) return Invalid("payload nonce missing");
  Sha256Digest digest = Sha256({input.auth_data, input.client_data_hash});
  if (*nonce != Base64Encode(digest)) {
    return Fail(ErrorCode::kAttestationNonceMismatch,
                "android-safetynet: nonce != base64(SHA-256(attToBeSigned))");
  }
  auto cts = JsonBool(p, "ctsProfileMatch");
  if (!cts) return Invalid("payload ctsProfileMatch missing");
  if (!*cts) {
    return Fail(ErrorCode::kSafetyNetIntegrityFailed, "android-safetynet: ctsProfileMatch false");
  }
  auto ts = p.find("timestampMs");
  if (ts == p.end() || !ts->is_number_integer()) return Invalid("payload timestampMs missing");
  int64_t timestamp_ms = ts->get<int64_t>();
  int64_t now_ms = input.verify_time * 1000;
  if (timestamp_ms > now_ms + input.options.safetynet_max_future_skew_ms) {
    return Fail(ErrorCode::kSafetyNetStale, "android-safetynet: timestampMs is in the future");
  }
  if (now_ms - timestamp_ms > input.options.safetynet_max_age_ms) {
    return Fail(ErrorCode::kSafetyNetStale, "android-safetynet: response is " +
                                                std::to_string((now_ms - timestamp_ms) / 1000) +
                                                " s old");
  }
  StatementResult result;
  result.type = AttestationType::kBasic;
  result.alg = CoseAlgorithm::kRS256;
  result.trust_path = std::move(jws.x5c);
  result.notes.push_back("android-safetynet: ver " + std::string(*ver) +
                         " (SafetyNet Attestation API is shut down by Google)");
  return result;
}

}  // namespace keyward::attestation
