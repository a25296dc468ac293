#include "service/deadline_scheduler.h"

#include <spdlog/spdlog.h>

namespace linli::service {

void DeadlineScheduler::Start() {
  std::lock_guard lock(mu_);
  if (thread_.joinable()) return;
  stopping_ = false;
  thread_ = std::thread([this] { Loop(); });
}

void DeadlineScheduler::Stop() {
  {
    std::lock_guard lock(mu_);
    stopping_ = true;
  }
  cv_.notify_all();
  if (thread_.joinable()) thread_.join();
}

Result<int> DeadlineScheduler::RunOnce() {
  constexpr int kBatch = 200;
  int total = 0;
  for (;;) {
    Millis now = clock_.NowMillis();
    LINLI_ASSIGN_OR_RETURN(auto next, cases_.NextDeadline());
    if (next == 0 || next > now) return total;
    LINLI_ASSIGN_OR_RETURN(auto handled, cases_.ProcessDeadlines(now, kBatch));
    total += handled;
    if (handled < kBatch) {
      // Everything due is done unless more fell due meanwhile; look again next tick.
      return total;
    }
  }
}

void DeadlineScheduler::Loop() {
  std::unique_lock lock(mu_);
  while (!stopping_) {
    cv_.wait_for(lock, tick_, [this] { return stopping_; });
    if (stopping_) break;
    lock.unlock();
    auto r = RunOnce();
    if (!r) {
      spdlog::warn("deadline pass failed: {}", r.error().message);
    } else if (*r > 0) {
      spdlog::info("deadlines: {} case(s) overdue, escalated or closed", *r);
    }
    lock.lock();
  }
}

}  // namespace linli::service
