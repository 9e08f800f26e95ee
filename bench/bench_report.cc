#include "bench/bench_report.h"

#include <benchmark/benchmark.h>

#include <cstdio>
#include <map>
#include <vector>

namespace keyward::bench {
namespace {

struct Comparison {
  std::string label, name, floor;
  double target;
};

std::vector<Comparison>& Comparisons() {
  static std::vector<Comparison> c;
  return c;
}

// Keeps the median (or the only run) of every benchmark, in microseconds of CPU time.
class Recorder : public benchmark::ConsoleReporter {
 public:
  std::map<std::string, double> micros;
  void ReportRuns(const std::vector<Run>& runs) override {
    for (const Run& r : runs) {
      std::string name = r.run_name.function_name;
      if (!r.run_name.args.empty()) name += "/" + r.run_name.args;
      bool median = r.aggregate_name == "median";
      if (r.run_type == Run::RT_Iteration || median) {
        if (median || !micros.count(name)) {
          micros[name] = r.GetAdjustedCPUTime() *
                         (r.time_unit == benchmark::kNanosecond    ? 1e-3
                          : r.time_unit == benchmark::kMicrosecond ? 1.0
                                                                   : 1e3);
        }
      }
    }
    ConsoleReporter::ReportRuns(runs);
  }
};

}  // namespace

void Compare(const std::string& label, const std::string& name, const std::string& floor_name,
             double target_ratio) {
  Comparisons().push_back({label, name, floor_name, target_ratio});
}

int RunAndReport(int argc, char** argv) {
  benchmark::Initialize(&argc, argv);
  if (benchmark::ReportUnrecognizedArguments(argc, argv)) return 1;
  Recorder rec;
  benchmark::RunSpecifiedBenchmarks(&rec);
  benchmark::Shutdown();
  if (Comparisons().empty()) return 0;
  std::printf("\n%-44s %12s %12s %8s %8s\n", "comparison (median CPU time)", "keyward µs",
              "floor µs", "ratio", "target");
  for (const auto& c : Comparisons()) {
    auto a = rec.micros.find(c.name), f = rec.micros.find(c.floor);
    if (a == rec.micros.end() || f == rec.micros.end()) continue;
    double ratio = a->second / f->second;
    std::printf("%-44s %12.2f %12.2f %8.3f %7s%.2f %s\n", c.label.c_str(), a->second, f->second,
                ratio, "≤", c.target, ratio <= c.target ? "met" : "MISSED");
  }
  return 0;
}

}  // namespace keyward::bench
