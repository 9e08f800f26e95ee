// Prometheus text exposition (format 0.0.4) of the service's counters: requests by route, method
// and status; ceremonies by name, outcome and error code; request latency histograms by route.
// Label values are route patterns and stable code names only (never paths, names or ids).
#ifndef KEYWARD_SERVE_METRICS_H_
#define KEYWARD_SERVE_METRICS_H_

#include <array>
#include <cstdint>
#include <map>
#include <mutex>
#include <string>
#include <tuple>

namespace keyward::serve {

class Metrics {
 public:
  void Request(const std::string& route, const std::string& method, int status, double seconds);
  void Ceremony(const std::string& ceremony, const std::string& outcome, const std::string& code);
  // `gauges` are appended as keyward_<name> gauges.
  std::string Render(const std::map<std::string, double>& gauges) const;

  static constexpr std::array<double, 12> kBuckets = {0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025,
                                                      0.05,   0.1,   0.25,   0.5,   1.0,  2.5};

 private:
  struct Histogram {
    std::array<uint64_t, kBuckets.size()> counts{};
    uint64_t count = 0;
    double sum = 0;
  };
  mutable std::mutex mu_;
  std::map<std::tuple<std::string, std::string, int>, uint64_t> requests_;
  std::map<std::tuple<std::string, std::string, std::string>, uint64_t> ceremonies_;
  std::map<std::string, Histogram> latency_;
};

}  // namespace keyward::serve

#endif  // KEYWARD_SERVE_METRICS_H_
