#include "core/metrics.h"

#include <cstdio>

namespace linli::metrics {

Histogram::Histogram(std::vector<double> bounds)
    : bounds_(std::move(bounds)), buckets_(new std::atomic<std::uint64_t>[bounds_.size() + 1]) {
  for (std::size_t i = 0; i <= bounds_.size(); ++i) buckets_[i] = 0;
}

void Histogram::Observe(double v) {
  std::size_t i = 0;
  while (i < bounds_.size() && v > bounds_[i]) ++i;
  buckets_[i].fetch_add(1, std::memory_order_relaxed);
  count_.fetch_add(1, std::memory_order_relaxed);
  double old = sum_.load(std::memory_order_relaxed);
  while (!sum_.compare_exchange_weak(old, old + v, std::memory_order_relaxed)) {
  }
}

static std::string Num(double v) {
  char buf[64];
  std::snprintf(buf, sizeof buf, "%.6g", v);
  return buf;
}

void Histogram::Render(std::string& out, const std::string& name, const std::string& labels) const {
  std::string sep = labels.empty() ? "" : ",";
  std::uint64_t cumulative = 0;
  for (std::size_t i = 0; i < bounds_.size(); ++i) {
    cumulative += buckets_[i].load(std::memory_order_relaxed);
    out += name + "_bucket{" + labels + sep + "le=\"" + Num(bounds_[i]) + "\"} " +
           std::to_string(cumulative) + "\n";
  }
  cumulative += buckets_[bounds_.size()].load(std::memory_order_relaxed);
  out += name + "_bucket{" + labels + sep + "le=\"+Inf\"} " + std::to_string(cumulative) + "\n";
  std::string braces = labels.empty() ? "" : "{" + labels + "}";
  out += name + "_sum" + braces + " " + Num(sum_.load()) + "\n";
  out += name + "_count" + braces + " " + std::to_string(count_.load()) + "\n";
}

Registry& Registry::Global() {
  static Registry r;
  return r;
}

std::atomic<std::uint64_t>& Registry::Counter(const std::string& name, const std::string& labels) {
  std::lock_guard lock(mu_);
  auto& slot = counters_[{name, labels}];
  if (!slot) slot = std::make_unique<std::atomic<std::uint64_t>>(0);
  return *slot;
}

std::atomic<std::int64_t>& Registry::Gauge(const std::string& name, const std::string& labels) {
  std::lock_guard lock(mu_);
  auto& slot = gauges_[{name, labels}];
  if (!slot) slot = std::make_unique<std::atomic<std::int64_t>>(0);
  return *slot;
}

Histogram& Registry::Hist(const std::string& name, const std::string& labels,
                          const std::vector<double>& bounds) {
  std::lock_guard lock(mu_);
  auto& slot = hists_[{name, labels}];
  if (!slot) slot = std::make_unique<Histogram>(bounds);
  return *slot;
}

void Registry::Describe(const std::string& name, const std::string& type, const std::string& help) {
  std::lock_guard lock(mu_);
  help_[name] = {type, help};
}

std::string Registry::RenderText() const {
  std::lock_guard lock(mu_);
  std::string out;
  std::string last;
  auto header = [&](const std::string& name, const char* fallback_type) {
    if (name == last) return;
    last = name;
    auto it = help_.find(name);
    if (it != help_.end()) {
      out += "# HELP " + name + " " + it->second.second + "\n";
      out += "# TYPE " + name + " " + it->second.first + "\n";
    } else {
      out += std::string("# TYPE ") + name + " " + fallback_type + "\n";
    }
  };
  for (const auto& [key, v] : counters_) {
    header(key.first, "counter");
    out += key.first + (key.second.empty() ? "" : "{" + key.second + "}") + " " +
           std::to_string(v->load()) + "\n";
  }
  for (const auto& [key, v] : gauges_) {
    header(key.first, "gauge");
    out += key.first + (key.second.empty() ? "" : "{" + key.second + "}") + " " +
           std::to_string(v->load()) + "\n";
  }
  for (const auto& [key, h] : hists_) {
    header(key.first, "histogram");
    h->Render(out, key.first, key.second);
  }
  return out;
}

const std::vector<double>& LatencyBuckets() {
  static const std::vector<double> b = {0.0001, 0.00025, 0.0005, 0.001, 0.0025, 0.005, 0.01,
                                        0.025,  0.05,    0.1,    0.25,  0.5,    1,     2.5, 10};
  return b;
}

}  // namespace linli::metrics
