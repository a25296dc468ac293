#include "service/ticker.h"

#include <spdlog/spdlog.h>

namespace linli::service {

void Ticker::Start() {
  std::lock_guard lock(mu_);
  if (thread_.joinable()) return;
  stopping_ = false;
  thread_ = std::thread([this] { Loop(); });
}

void Ticker::Stop() {
  {
    std::lock_guard lock(mu_);
    stopping_ = true;
  }
  cv_.notify_all();
  if (thread_.joinable()) thread_.join();
}

void Ticker::Loop() {
  std::unique_lock lock(mu_);
  while (!stopping_) {
    cv_.wait_for(lock, tick_, [this] { return stopping_; });
    if (stopping_) break;
    lock.unlock();
    auto r = pass_();
    if (!r) {
      spdlog::warn("{}: pass failed: {}", name_, r.error().message);
    } else if (*r > 0) {
      spdlog::info("{}: {} handled", name_, *r);
    }
    lock.lock();
  }
}

}  // namespace linli::service
