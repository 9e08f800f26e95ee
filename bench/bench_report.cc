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
  std::string counter;  // empty: CPU time
  bool higher_is_better = false;
};

std::vector<Comparison>& Comparisons() {
  static std::vector<Comparison> c;
  return c;
}

// Keeps the median (or the only run) of every benchmark: CPU time in microseconds and the user
// counters.
class Recorder : public benchmark::ConsoleReporter {
 public:
  std::map<std::string, double> micros;
  std::map<std::string, std::map<std::string, double>> counters;
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
          for (const auto& [key, counter] : r.counters) counters[name][key] = counter.value;
        }
      }
    }
    ConsoleReporter::ReportRuns(runs);
  }
};

}  // namespace

void Compare(const std::string& label, const std::string& name, const std::string& floor_name,
             double target_ratio) {
  Comparisons().push_back({label, name, floor_name, target_ratio, "", false});
}

void CompareCounter(const std::string& label, const std::string& name,
                    const std::string& floor_name, const std::string& counter,
                    bool higher_is_better, double target_ratio) {
  Comparisons().push_back({label, name, floor_name, target_ratio, counter, higher_is_better});
}

int RunAndReport(int argc, char** argv) {
  benchmark::Initialize(&argc, argv);
  if (benchmark::ReportUnrecognizedArguments(argc, argv)) return 1;
  Recorder rec;
  benchmark::RunSpecifiedBenchmarks(&rec);
  benchmark::Shutdown();
  if (Comparisons().empty()) return 0;
  std::printf("\n%-44s %-14s %12s %12s %8s %8s\n", "comparison (median of repetitions)", "figure",
              "keyward", "floor", "ratio", "target");
  for (const auto& c : Comparisons()) {
    double value = 0, floor = 0;
    if (c.counter.empty()) {
      auto a = rec.micros.find(c.name), f = rec.micros.find(c.floor);
      if (a == rec.micros.end() || f == rec.micros.end()) continue;
      value = a->second;
      floor = f->second;
    } else {
      auto a = rec.counters.find(c.name), f = rec.counters.find(c.floor);
      if (a == rec.counters.end() || f == rec.counters.end()) continue;
      auto av = a->second.find(c.counter), fv = f->second.find(c.counter);
      if (av == a->second.end() || fv == f->second.end()) continue;
      value = av->second;
      floor = fv->second;
    }
    const double ratio = c.higher_is_better ? floor / value : value / floor;
    const std::string figure = c.counter.empty() ? "CPU µs" : c.counter;
    std::printf("%-44s %-14s %12.2f %12.2f %8.3f %7s%.2f %s\n", c.label.c_str(), figure.c_str(),
                value, floor, ratio, "≤", c.target, ratio <= c.target ? "met" : "MISSED");
  }
  return 0;
}

}  // namespace keyward::bench
