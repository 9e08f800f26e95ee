// Full WebAuthn assertion verification against the raw OpenSSL floor.
//
//  full:  VerifyAuthenticationResponseJson(json, expectations) — JSON parse, base64url decoding,
//         clientDataJSON parse and checks, authenticator data parse, SHA-256 of clientDataJSON,
//         COSE key decoded from its stored bytes on every call, signature verification, counter.
//  floor: SHA-256(clientDataJSON) + EVP_DigestVerify over authenticatorData ‖ hash with an
//         EVP_PKEY prepared once (what no relying party can avoid doing).
#include <benchmark/benchmark.h>
#include <openssl/evp.h>

#include "bench/bench_report.h"
#include "core/base64url.h"
#include "core/hash.h"
#include "keyward/webauthn.h"
#include "tests/support/webauthn_test_authenticator.h"

namespace keyward {
namespace {

using testing::AssertionSpec;
using testing::TestAuthenticator;

struct Fixture {
  explicit Fixture(CoseAlgorithm alg) : auth(alg) {
    Bytes challenge = *webauthn::NewChallenge();
    AssertionSpec spec;
    spec.client.challenge = challenge;
    spec.sign_count = 7;
    response = auth.Assert(spec);
    json = TestAuthenticator::ToJson(response);
    expected.challenge = challenge;
    expected.rp_id = "example.com";
    expected.origin.origins = {"https://example.com"};
    expected.credential_id = auth.credential_id();
    expected.allow_credentials = {auth.credential_id()};
    expected.credential_public_key = auth.key().CoseBytes();
    expected.prior_sign_count = 6;
    signed_data = response.authenticator_data;
    Sha256Digest cdh = Sha256(AsBytes(response.client_data_json));
    signed_data.insert(signed_data.end(), cdh.begin(), cdh.end());
    if (!webauthn::VerifyAuthenticationResponseJson(json, expected)) std::abort();
  }
  TestAuthenticator auth;
  webauthn::AuthenticationResponse response;
  std::string json;
  webauthn::AssertionExpectations expected;
  Bytes signed_data;
};

Fixture& Get(CoseAlgorithm alg) {
  static Fixture es256(CoseAlgorithm::kES256), eddsa(CoseAlgorithm::kEdDSA),
      rs256(CoseAlgorithm::kRS256);
  return alg == CoseAlgorithm::kES256 ? es256 : alg == CoseAlgorithm::kEdDSA ? eddsa : rs256;
}

void BM_FullAssertion(benchmark::State& state, CoseAlgorithm alg) {
  Fixture& f = Get(alg);
  for (auto _ : state) {
    auto r = webauthn::VerifyAuthenticationResponseJson(f.json, f.expected);
    if (!r) state.SkipWithError("verification failed");
    benchmark::DoNotOptimize(r);
  }
}

void BM_Floor(benchmark::State& state, CoseAlgorithm alg) {
  Fixture& f = Get(alg);
  EVP_PKEY* key = f.auth.key().pkey();
  const EVP_MD* md = alg == CoseAlgorithm::kEdDSA ? nullptr : EVP_sha256();
  for (auto _ : state) {
    Sha256Digest cdh = Sha256(AsBytes(f.response.client_data_json));
    benchmark::DoNotOptimize(cdh);
    Bytes msg = f.response.authenticator_data;
    msg.insert(msg.end(), cdh.begin(), cdh.end());
    EVP_MD_CTX* ctx = EVP_MD_CTX_new();
    EVP_DigestVerifyInit(ctx, nullptr, md, nullptr, key);
    int ok = EVP_DigestVerify(ctx, f.response.signature.data(), f.response.signature.size(),
                              msg.data(), msg.size());
    EVP_MD_CTX_free(ctx);
    if (ok != 1) state.SkipWithError("floor verification failed");
  }
}

BENCHMARK_CAPTURE(BM_FullAssertion, ES256, CoseAlgorithm::kES256)->Repetitions(5)->ReportAggregatesOnly(true);
BENCHMARK_CAPTURE(BM_Floor, ES256, CoseAlgorithm::kES256)->Repetitions(5)->ReportAggregatesOnly(true);
BENCHMARK_CAPTURE(BM_FullAssertion, EdDSA, CoseAlgorithm::kEdDSA)->Repetitions(5)->ReportAggregatesOnly(true);
BENCHMARK_CAPTURE(BM_Floor, EdDSA, CoseAlgorithm::kEdDSA)->Repetitions(5)->ReportAggregatesOnly(true);
BENCHMARK_CAPTURE(BM_FullAssertion, RS256, CoseAlgorithm::kRS256)->Repetitions(5)->ReportAggregatesOnly(true);
BENCHMARK_CAPTURE(BM_Floor, RS256, CoseAlgorithm::kRS256)->Repetitions(5)->ReportAggregatesOnly(true);

}  // namespace
}  // namespace keyward

int main(int argc, char** argv) {
  using keyward::bench::Compare;
  Compare("ES256 assertion, full vs floor", "BM_FullAssertion/ES256", "BM_Floor/ES256", 1.15);
  Compare("EdDSA assertion, full vs floor", "BM_FullAssertion/EdDSA", "BM_Floor/EdDSA", 1.15);
  Compare("RS256 assertion, full vs floor", "BM_FullAssertion/RS256", "BM_Floor/RS256", 1.15);
  return keyward::bench::RunAndReport(argc, argv);
}
