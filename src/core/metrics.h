// Process-wide metrics rendered in the Prometheus text format at GET /metrics.
// Counters, gauges and histograms with fixed buckets; updates are lock-free after the first use
// of a label set.
#pragma once

#include <atomic>
#include <cstdint>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

namespace linli::metrics {

class Histogram {
 public:
  explicit Histogram(std::vector<double> bounds);
  void Observe(double v);
  void Render(std::string& out, const std::string& name, const std::string& labels) const;

 private:
  std::vector<double> bounds_;
  std::unique_ptr<std::atomic<std::uint64_t>[]> buckets_;  // one per bound, plus +Inf
  std::atomic<std::uint64_t> count_{0};
  std::atomic<double> sum_{0};
};

class Registry {
 public:
  static Registry& Global();

  // `labels` is the inside of the braces, e.g. `route="/healthz",method="GET"`.
  std::atomic<std::uint64_t>& Counter(const std::string& name, const std::string& labels = "");
  std::atomic<std::int64_t>& Gauge(const std::string& name, const std::string& labels = "");
  Histogram& Hist(const std::string& name, const std::string& labels,
                  const std::vector<double>& bounds);
  void Describe(const std::string& name, const std::string& type, const std::string& help);

  std::string RenderText() const;

 private:
  mutable std::mutex mu_;
  std::map<std::string, std::pair<std::string, std::string>> help_;  // name -> (type, help)
  std::map<std::pair<std::string, std::string>, std::unique_ptr<std::atomic<std::uint64_t>>> counters_;
  std::map<std::pair<std::string, std::string>, std::unique_ptr<std::atomic<std::int64_t>>> gauges_;
  std::map<std::pair<std::string, std::string>, std::unique_ptr<Histogram>> hists_;
};

// Latency buckets in seconds, 100 µs to 10 s.
const std::vector<double>& LatencyBuckets();

}  // namespace linli::metrics
