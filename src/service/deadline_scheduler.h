// Watches case deadlines while the server runs: once a second it asks the index of next deadlines
// (cases.next_due_at) for the earliest one, and only when that has passed does it let the case
// service mark cases overdue, escalate them and close unrated ones. So a passing deadline is
// noticed within a second and an idle second costs one index look-up, however many cases exist.
#pragma once

#include <chrono>

#include "core/clock.h"
#include "service/case_service.h"
#include "service/ticker.h"

namespace linli::service {

class DeadlineScheduler {
 public:
  DeadlineScheduler(CaseService& cases, const Clock& clock, std::chrono::milliseconds tick = std::chrono::seconds(1))
      : cases_(cases), clock_(clock), ticker_("deadlines", tick, [this] { return RunOnce(); }) {}

  void Start() { ticker_.Start(); }
  void Stop() { ticker_.Stop(); }  // idempotent
  // One pass now: everything due by the clock's now. Returns how many cases it handled.
  Result<int> RunOnce();

 private:
  CaseService& cases_;
  const Clock& clock_;
  Ticker ticker_;
};

}  // namespace linli::service
