#include "service/deadline_scheduler.h"

namespace linli::service {

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

}  // namespace linli::service
