// bench_capi INPUT.json [ROUNDS] [ITERATIONS]: an ES256 assertion verified from its JSON
// response (1) through the C++ API, VerifyAuthenticationResponseJson with expectations prepared
// once, and (2) through the C ABI, keyward_verify_authentication with the expectations as JSON
// (parsed per call) and the verdict JSON returned and freed — what every binding pays.
// INPUT: {"response": {...AuthenticationResponseJSON...}, "expectations": {...}} (the C ABI's
// expectation members; the C++ side builds the same AssertionExpectations from them once).
// Rounds interleave the two; prints per-call microseconds of thread CPU time per round, then min
// and median, and one machine-readable line "cxx_us=<median> capi_us=<median>".
#include <algorithm>
#include <cstdio>
#include <cstdlib>
#include <ctime>
#include <fstream>
#include <sstream>
#include <string>
#include <vector>

#include "core/base64url.h"
#include "core/json.h"
#include "keyward/keyward.h"
#include "keyward/webauthn.h"

namespace {

// CPU time of this thread: the machine is shared, wall time would count other processes' turns.
double ThreadCpuMicros() {
  timespec ts{};
  clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
  return static_cast<double>(ts.tv_sec) * 1e6 + static_cast<double>(ts.tv_nsec) / 1e3;
}

[[maybe_unused]] double Median(std::vector<double> v) {
  std::sort(v.begin(), v.end());
  return v[v.size() / 2];
}

template <typename F>
double PerCallMicros(int iterations, F&& f) {
  const double t0 = ThreadCpuMicros();
  for (int i = 0; i < iterations; ++i) f();
  return (ThreadCpuMicros() - t0) / iterations;
}

namespace wa = keyward::webauthn;

struct Bench {
  std::string response;
  std::string expectations;
  wa::AssertionExpectations exp;

  explicit Bench(const std::string& input_json) {
    auto input = keyward::ParseJson(input_json);
    if (!input) std::abort();
    response = (*input)["response"].dump();
    const keyward::Json& e = (*input)["expectations"];
    expectations = e.dump();
    exp.challenge = *keyward::Base64UrlDecode(e["expected_challenge"].get<std::string>());
    exp.rp_id = e["expected_rp_id"].get<std::string>();
    exp.origin.origins = {e["expected_origin"].get<std::string>()};
    exp.credential_public_key =
        *keyward::Base64UrlDecode(e["credential_public_key"].get<std::string>());
    exp.credential_id = *keyward::Base64UrlDecode((*input)["response"]["rawId"].get<std::string>());
    exp.allow_credentials = {exp.credential_id};
  }
  void Cxx() const {
    auto r = wa::VerifyAuthenticationResponseJson(response, exp);
    if (!r) std::abort();
  }
  void Capi() const {
    char* out = nullptr;
    if (keyward_verify_authentication(response.c_str(), expectations.c_str(), &out, nullptr) != 0) {
      std::abort();
    }
    keyward_string_free(out);
  }
};

}  // namespace

#ifdef KEYWARD_BENCH_MODULE
// In-process entry points for bench/capi/python_bench.py (ctypes), so its rounds interleave the
// C++ call, the C ABI and the binding in one process.
extern "C" __attribute__((visibility("default"))) double bench_capi_cxx_us(const char* input,
                                                                           int iterations) {
  static Bench* b = new Bench(input);
  return PerCallMicros(iterations, [] { b->Cxx(); });
}
extern "C" __attribute__((visibility("default"))) double bench_capi_c_abi_us(const char* input,
                                                                             int iterations) {
  static Bench* b = new Bench(input);
  return PerCallMicros(iterations, [] { b->Capi(); });
}
#else
int main(int argc, char** argv) {
  if (argc < 2) {
    std::fprintf(stderr, "usage: bench_capi INPUT.json [ROUNDS] [ITERATIONS]\n");
    return 2;
  }
  const int rounds = argc > 2 ? std::atoi(argv[2]) : 7;
  const int iterations = argc > 3 ? std::atoi(argv[3]) : 2000;
  std::ifstream in(argv[1]);
  std::stringstream ss;
  ss << in.rdbuf();
  const Bench bench(ss.str());
  auto cxx = [&] { bench.Cxx(); };
  auto capi = [&] { bench.Capi(); };
  for (int i = 0; i < iterations / 10; ++i) {  // warm-up
    cxx();
    capi();
  }
  std::vector<double> a, b;
  for (int r = 0; r < rounds; ++r) {
    a.push_back(PerCallMicros(iterations, cxx));
    b.push_back(PerCallMicros(iterations, capi));
    std::printf("round %d: C++ %.2f us, C ABI %.2f us (%.3fx)\n", r + 1, a.back(), b.back(),
                b.back() / a.back());
  }
  std::printf("C++ VerifyAuthenticationResponseJson: min %.2f us, median %.2f us\n",
              *std::min_element(a.begin(), a.end()), Median(a));
  std::printf("C ABI keyward_verify_authentication:  min %.2f us, median %.2f us\n",
              *std::min_element(b.begin(), b.end()), Median(b));
  std::printf("C ABI / C++: median %.3f (target < 1.10)\n", Median(b) / Median(a));
  std::printf("cxx_us=%.3f capi_us=%.3f\n", Median(a), Median(b));
  return 0;
}
#endif
