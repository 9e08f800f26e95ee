#include "serve/metrics.h"

#include <cstdio>

namespace keyward::serve {

void Metrics::Request(const std::string& route, const std::string& method, int status,
                      double seconds) {
  std::lock_guard lock(mu_);
  ++requests_[{route, method, status}];
  Histogram& h = latency_[route];
  for (size_t i = 0; i < kBuckets.size(); ++i) {
    if (seconds <= kBuckets[i]) ++h.counts[i];
  }
  ++h.count;
  h.sum += seconds;
}

void Metrics::Ceremony(const std::string& ceremony, const std::string& outcome,
                       const std::string& code) {
  std::lock_guard lock(mu_);
  ++ceremonies_[{ceremony, outcome, code}];
}

std::string Metrics::Render(const std::map<std::string, double>& gauges) const {
  std::string out;
  char num[64];
  std::lock_guard lock(mu_);
  out += "# HELP keyward_http_requests_total HTTP requests by route pattern, method and status.\n";
  out += "# TYPE keyward_http_requests_total counter\n";
  for (const auto& [k, v] : requests_) {
    out += "keyward_http_requests_total{route=\"" + std::get<0>(k) + "\",method=\"" +
           std::get<1>(k) + "\",status=\"" + std::to_string(std::get<2>(k)) + "\"} " +
           std::to_string(v) + "\n";
  }
  out += "# HELP keyward_ceremonies_total WebAuthn ceremonies by name, outcome and error code.\n";
  out += "# TYPE keyward_ceremonies_total counter\n";
  for (const auto& [k, v] : ceremonies_) {
    out += "keyward_ceremonies_total{ceremony=\"" + std::get<0>(k) + "\",outcome=\"" +
           std::get<1>(k) + "\",code=\"" + std::get<2>(k) + "\"} " + std::to_string(v) + "\n";
  }
  out +=
      "# HELP keyward_http_request_duration_seconds Time from a complete request to its "
      "answer.\n";
  out += "# TYPE keyward_http_request_duration_seconds histogram\n";
  for (const auto& [route, h] : latency_) {
    for (size_t i = 0; i < kBuckets.size(); ++i) {
      std::snprintf(num, sizeof num, "%g", kBuckets[i]);
      out += "keyward_http_request_duration_seconds_bucket{route=\"" + route + "\",le=\"" + num +
             "\"} " + std::to_string(h.counts[i]) + "\n";
    }
    out += "keyward_http_request_duration_seconds_bucket{route=\"" + route + "\",le=\"+Inf\"} " +
           std::to_string(h.count) + "\n";
    std::snprintf(num, sizeof num, "%.9g", h.sum);
    out += "keyward_http_request_duration_seconds_sum{route=\"" + route + "\"} " + num + "\n";
    out += "keyward_http_request_duration_seconds_count{route=\"" + route + "\"} " +
           std::to_string(h.count) + "\n";
  }
  for (const auto& [name, v] : gauges) {
    std::snprintf(num, sizeof num, "%.17g", v);
    out += "# TYPE keyward_" + name + " gauge\nkeyward_" + name + " " + num + "\n";
  }
  return out;
}

}  // namespace keyward::serve
