// Shared main for keyward benchmarks: runs the registered benchmarks (median of repetitions) and
// then prints, for each declared comparison, the measured figure beside its floor and the ratio
// against the target.
#ifndef KEYWARD_BENCH_BENCH_REPORT_H_
#define KEYWARD_BENCH_BENCH_REPORT_H_

#include <string>

namespace keyward::bench {

// Declares "name vs floor_name", printed after the run with the ratio and its target.
void Compare(const std::string& label, const std::string& name, const std::string& floor_name,
             double target_ratio);

int RunAndReport(int argc, char** argv);

}  // namespace keyward::bench

#endif  // KEYWARD_BENCH_BENCH_REPORT_H_
