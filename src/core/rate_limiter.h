// Fixed-window rate limiting by key (an IP address, a device id): at most `limit` events per
// `window` per key. Memory is bounded: old windows are dropped as time moves on.
#pragma once

#include <mutex>
#include <string>
#include <unordered_map>

#include "core/clock.h"

namespace linli {

class RateLimiter {
 public:
  RateLimiter(int limit, Millis window) : limit_(limit), window_(window) {}
  // Counts one event; false when the key is over its limit in the current window.
  bool Allow(const std::string& key, Millis now);
  void set_limit(int limit) { limit_ = limit; }

 private:
  struct Window {
    Millis start = 0;
    int count = 0;
  };
  std::mutex mu_;
  int limit_;
  Millis window_;
  Millis last_sweep_ = 0;
  std::unordered_map<std::string, Window> windows_;  // GUARDED_BY(mu_)
};

}  // namespace linli
