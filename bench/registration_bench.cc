// Registration verification (attestation included) against the raw OpenSSL floor.
//
//  packed x5c:  VerifyRegistrationResponseJson with x5c = [attestation cert, intermediate] and a
//               trust store holding the root — JSON, clientData, CBOR, authData, COSE key,
//               attestation signature, §8.2.1.1 checks, X509_STORE chain building to the root.
//    floor:     SHA-256(clientDataJSON) + the three ECDSA P-256 verifications no RP can avoid
//               (attestation signature, attestation cert by intermediate, intermediate by root)
//               with EVP_PKEYs prepared once.
//  packed x5c, unseen attestation certificate: the same, cycling through more distinct leaf
//               certificates (kFreshLeaves, same intermediate) than Certificate::ParseDerShared
//               keeps, so every leaf is parsed — OpenSSL 3.0's d2i_X509 decodes its key through
//               the OSSL_DECODER framework (~95 µs). Same floor: an RP cannot skip the three
//               signatures, while parsing cost is OpenSSL's, paid once per distinct certificate
//               (batch attestation certificates repeat across >= 100,000 devices).
//  tpm:         the W3C "TPM Attestation with ES256 Credential" vector through the same call with
//               its anchor — plus TPMT_PUBLIC / TPMS_ATTEST parsing and the AIK checks.
//    floor:     SHA-256(clientDataJSON) + ECDSA verify of certInfo by the AIK + ECDSA verify of the
//               AIK certificate by the anchor, keys prepared once.
#include <benchmark/benchmark.h>
#include <openssl/evp.h>
#include <openssl/x509.h>

#include <fstream>
#include <sstream>

#include "attestation/trust_store.h"
#include "bench/bench_report.h"
#include "core/base64url.h"
#include "core/hash.h"
#include "core/json.h"
#include "keyward/webauthn.h"
#include "tests/unit/attestation/test_pki.h"

namespace keyward {
namespace {

using attestation::TrustStore;
namespace t = attestation::testing;

// One prepared ECDSA verification of a certificate's signature (tbs, sig) with its issuer key.
struct CertSig {
  Bytes tbs, sig;
  EVP_PKEY* issuer_key;
  const EVP_MD* md;
};

CertSig PrepareCertSig(const Certificate& cert, EVP_PKEY* issuer_key) {
  CertSig c;
  unsigned char* tbs = nullptr;
  int len = i2d_re_X509_tbs(cert.get(), &tbs);
  c.tbs.assign(tbs, tbs + len);
  OPENSSL_free(tbs);
  const ASN1_BIT_STRING* sig = nullptr;
  X509_get0_signature(&sig, nullptr, cert.get());
  c.sig.assign(ASN1_STRING_get0_data(sig), ASN1_STRING_get0_data(sig) + ASN1_STRING_length(sig));
  c.issuer_key = issuer_key;
  c.md = EVP_sha256();
  return c;
}

bool RawVerify(EVP_PKEY* key, const EVP_MD* md, ByteSpan msg, ByteSpan sig) {
  EVP_MD_CTX* ctx = EVP_MD_CTX_new();
  EVP_DigestVerifyInit(ctx, nullptr, md, nullptr, key);
  int ok = EVP_DigestVerify(ctx, sig.data(), sig.size(), msg.data(), msg.size());
  EVP_MD_CTX_free(ctx);
  return ok == 1;
}

struct PackedFixture {
  PackedFixture() {
    Bytes challenge(32, 0x5a);
    client_data = R"({"type":"webauthn.create","challenge":")" + Base64UrlEncode(challenge) +
                  R"(","origin":"https://example.org","crossOrigin":false})";
    reg.SetClientDataJson(client_data);
    t::CertSpec spec;
    spec.subject = {
        {"C", "AA"}, {"O", "Vendor"}, {"OU", "Authenticator Attestation"}, {"CN", "att"}};
    leaf.emplace(t::MakeCert(spec, leaf_key.get(), int_key.get(), &intermediate));
    Bytes sig = t::Sign(leaf_key.get(), reg.AttToBeSigned());
    CborWriter stmt;
    stmt.Map(3)
        .Text("alg")
        .Int(-7)
        .Text("sig")
        .Bytes(sig)
        .Text("x5c")
        .Array(2)
        .Bytes(leaf->der())
        .Bytes(intermediate.der());
    json = reg.RegistrationResponseJson("packed", stmt.bytes());
    store.AddRoot(root);
    expected.challenge = challenge;
    expected.rp_id = "example.org";
    expected.origin.origins = {"https://example.org"};
    expected.trust = &store;
    expected.verify_time = t::kNow;
    auto r = webauthn::VerifyRegistrationResponseJson(json, expected);
    if (!r || r->trust.status != webauthn::TrustStatus::kTrusted) {
      std::fprintf(stderr, "packed fixture: %s\n", r ? "untrusted" : r.error().ToString().c_str());
      std::abort();
    }
    att_sig = sig;
    signed_data = reg.auth_data();
    leaf_sig = PrepareCertSig(*leaf, int_key.get());
    int_sig = PrepareCertSig(intermediate, root_key.get());
  }
  t::Registration reg;
  EvpPkeyPtr root_key = t::GenerateEc();
  Certificate root = t::MakeCa("Bench Root", root_key.get());
  EvpPkeyPtr int_key = t::GenerateEc();
  Certificate intermediate = t::MakeCa("Bench Intermediate", int_key.get(), root_key.get(), &root);
  EvpPkeyPtr leaf_key = t::GenerateEc();
  std::optional<Certificate> leaf;
  std::string client_data, json;
  TrustStore store;
  webauthn::RegistrationExpectations expected;
  Bytes att_sig, signed_data;
  CertSig leaf_sig, int_sig;
};

PackedFixture& Packed();

// More distinct attestation certificates than the shared-parse cache holds.
constexpr size_t kFreshLeaves = 1536;

struct FreshLeafFixture {
  FreshLeafFixture() {
    PackedFixture& p = Packed();
    t::CertSpec spec;
    spec.subject = {
        {"C", "AA"}, {"O", "Vendor"}, {"OU", "Authenticator Attestation"}, {"CN", "att"}};
    for (size_t i = 0; i < kFreshLeaves; ++i) {
      EvpPkeyPtr key = t::GenerateEc();
      spec.serial = static_cast<long>(i + 2);  // NOLINT(runtime/int)
      Certificate leaf = t::MakeCert(spec, key.get(), p.int_key.get(), &p.intermediate);
      Bytes sig = t::Sign(key.get(), p.reg.AttToBeSigned());
      CborWriter stmt;
      stmt.Map(3)
          .Text("alg")
          .Int(-7)
          .Text("sig")
          .Bytes(sig)
          .Text("x5c")
          .Array(2)
          .Bytes(leaf.der())
          .Bytes(p.intermediate.der());
      jsons.push_back(p.reg.RegistrationResponseJson("packed", stmt.bytes()));
    }
  }
  std::vector<std::string> jsons;
  size_t next = 0;  // persists across benchmark runs, so no run starts on recently seen leaves
};

struct TpmFixture {
  TpmFixture() {
    std::ifstream in(KEYWARD_SOURCE_DIR "/tests/data/w3c/w3c-tpm-es256-reg.json");
    std::stringstream ss;
    ss << in.rdbuf();
    Json c = *ParseJson(ss.str());
    json = c["response"].dump();
    expected.challenge = *JsonBase64Url(c, "expected_challenge");
    expected.rp_id = c["expected_rp_id"];
    expected.origin.origins = {c["expected_origin"].get<std::string>()};
    expected.verify_time = *webauthn::ParseIso8601(c["verify_at"].get<std::string>());
    Certificate anchor = *Certificate::ParseDer(*JsonBase64Url(c, "attestation_trust_anchor_der"));
    store.AddRoot(anchor);
    expected.trust = &store;
    auto r = webauthn::VerifyRegistrationResponseJson(json, expected);
    if (!r || r->trust.status != webauthn::TrustStatus::kTrusted) std::abort();
    client_data = std::string(
        AsChars(*Base64UrlDecode(c["response"]["response"]["clientDataJSON"].get<std::string>())));
    // The statement's pieces for the floor.
    Bytes ao = *Base64UrlDecode(c["response"]["response"]["attestationObject"].get<std::string>());
    auto decoded = DecodeCbor(ao);
    CborItem stmt = decoded->item.Find("attStmt");
    cert_info = ToBytes(*stmt.Find("certInfo").GetBytes());
    sig = ToBytes(*stmt.Find("sig").GetBytes());
    aik.emplace(*Certificate::ParseDer(*stmt.Find("x5c").At(0).GetBytes()));
    aik_sig = PrepareCertSig(*aik, anchor.public_key());
    anchor_keep.emplace(anchor);
  }
  std::string json, client_data;
  TrustStore store;
  webauthn::RegistrationExpectations expected;
  Bytes cert_info, sig;
  std::optional<Certificate> aik, anchor_keep;
  CertSig aik_sig;
};

PackedFixture& Packed() {
  static PackedFixture f;
  return f;
}
FreshLeafFixture& FreshLeaves() {
  static FreshLeafFixture f;
  return f;
}
TpmFixture& Tpm() {
  static TpmFixture f;
  return f;
}

void BM_PackedX5cRegistration(benchmark::State& state) {
  PackedFixture& f = Packed();
  for (auto _ : state) {
    auto r = webauthn::VerifyRegistrationResponseJson(f.json, f.expected);
    if (!r) state.SkipWithError("verification failed");
    benchmark::DoNotOptimize(r);
  }
}

void BM_PackedX5cFreshLeafRegistration(benchmark::State& state) {
  PackedFixture& f = Packed();
  FreshLeafFixture& fresh = FreshLeaves();
  for (auto _ : state) {
    auto r = webauthn::VerifyRegistrationResponseJson(fresh.jsons[fresh.next], f.expected);
    if (!r || r->trust.status != webauthn::TrustStatus::kTrusted) {
      state.SkipWithError("verification failed");
    }
    benchmark::DoNotOptimize(r);
    fresh.next = (fresh.next + 1) % fresh.jsons.size();
  }
}

void BM_PackedX5cFloor(benchmark::State& state) {
  PackedFixture& f = Packed();
  for (auto _ : state) {
    Sha256Digest cdh = Sha256(AsBytes(f.client_data));
    Bytes msg = f.signed_data;
    msg.insert(msg.end(), cdh.begin(), cdh.end());
    bool ok = RawVerify(f.leaf_key.get(), EVP_sha256(), msg, f.att_sig) &&
              RawVerify(f.leaf_sig.issuer_key, f.leaf_sig.md, f.leaf_sig.tbs, f.leaf_sig.sig) &&
              RawVerify(f.int_sig.issuer_key, f.int_sig.md, f.int_sig.tbs, f.int_sig.sig);
    if (!ok) state.SkipWithError("floor verification failed");
  }
}

void BM_TpmRegistration(benchmark::State& state) {
  TpmFixture& f = Tpm();
  for (auto _ : state) {
    auto r = webauthn::VerifyRegistrationResponseJson(f.json, f.expected);
    if (!r) state.SkipWithError("verification failed");
    benchmark::DoNotOptimize(r);
  }
}

void BM_TpmFloor(benchmark::State& state) {
  TpmFixture& f = Tpm();
  EVP_PKEY* aik_key = f.aik->public_key();
  for (auto _ : state) {
    Sha256Digest cdh = Sha256(AsBytes(f.client_data));
    benchmark::DoNotOptimize(cdh);
    bool ok = RawVerify(aik_key, EVP_sha256(), f.cert_info, f.sig) &&
              RawVerify(f.aik_sig.issuer_key, f.aik_sig.md, f.aik_sig.tbs, f.aik_sig.sig);
    if (!ok) state.SkipWithError("floor verification failed");
  }
}

BENCHMARK(BM_PackedX5cRegistration)->Repetitions(5)->ReportAggregatesOnly(true);
BENCHMARK(BM_PackedX5cFreshLeafRegistration)->Repetitions(5)->ReportAggregatesOnly(true);
BENCHMARK(BM_PackedX5cFloor)->Repetitions(5)->ReportAggregatesOnly(true);
BENCHMARK(BM_TpmRegistration)->Repetitions(5)->ReportAggregatesOnly(true);
BENCHMARK(BM_TpmFloor)->Repetitions(5)->ReportAggregatesOnly(true);

}  // namespace
}  // namespace keyward

int main(int argc, char** argv) {
  using keyward::bench::Compare;
  Compare("packed x5c (chain of 2) registration, full vs floor", "BM_PackedX5cRegistration",
          "BM_PackedX5cFloor", 2.0);
  Compare("packed x5c, unseen attestation cert each time, full vs floor",
          "BM_PackedX5cFreshLeafRegistration", "BM_PackedX5cFloor", 2.0);
  Compare("tpm (W3C ES256 vector) registration, full vs floor", "BM_TpmRegistration", "BM_TpmFloor",
          2.0);
  return keyward::bench::RunAndReport(argc, argv);
}
