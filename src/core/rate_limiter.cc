#include "core/rate_limiter.h"

namespace linli {

bool RateLimiter::Allow(const std::string& key, Millis now) {
  std::lock_guard lock(mu_);
  if (now - last_sweep_ > window_) {
    for (auto it = windows_.begin(); it != windows_.end();) {
      it = (now - it->second.start >= window_) ? windows_.erase(it) : std::next(it);
    }
    last_sweep_ = now;
  }
  Window& w = windows_[key];
  if (now - w.start >= window_) w = {now, 0};
  if (w.count >= limit_) return false;
  ++w.count;
  return true;
}

}  // namespace linli
