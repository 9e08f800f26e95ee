// Shared main for keyward benchmarks: runs the registered benchmarks (median of repetitions) and
// then prints, for each declared comparison, the measured figure beside its floor and the ratio
// against the target.
#ifndef KEYWARD_BENCH_BENCH_REPORT_H_
#define KEYWARD_BENCH_BENCH_REPORT_H_

#include <string>

namespace keyward::bench {

// Declares "name vs floor_name" on CPU time per iteration (the mean over one run's iterations;
// the median over repetitions), printed after the run with the ratio and its target.
void Compare(const std::string& label, const std::string& name, const std::string& floor_name,
             double target_ratio);

// The same on a user counter both benchmarks report (e.g. "median_us", "p99_us"; the median over
// repetitions). `higher_is_better` (a throughput): the ratio is floor / keyward, so a ratio above
// 1 is always the cost keyward adds.
void CompareCounter(const std::string& label, const std::string& name,
                    const std::string& floor_name, const std::string& counter,
                    bool higher_is_better, double target_ratio);

int RunAndReport(int argc, char** argv);

}  // namespace keyward::bench

#endif  // KEYWARD_BENCH_BENCH_REPORT_H_
