// What a case contributes to the cockpit's counts (node_counts), as one pure function of the
// case's current facts. A transition adds CaseCounts(after) − CaseCounts(before) to the case's
// node and its ancestors in the same transaction; a rebuild after a restructure sums CaseCounts
// over the cases. So counts can never drift from the cases they count.
//
// Metrics, per node subtree: "cases.open", "cases.overdue" (open and past a deadline) now, and per
// China-time month ("@2026-11"): reported, reported.<group>, reported.<group.category>, accepted, resolved,
// resolved_on_time, solved.<level>, rated, rating_sum, satisfied (rated 4 or 5); and per China-time
// day ("@2026-11-29"), for trends: reported, resolved.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "core/clock.h"
#include "domain/case_workflow.h"

namespace linli::domain {

struct CaseFacts {
  CaseState state = CaseState::kReported;
  std::string group;     // the category's group code
  std::string category;  // the category's code (group.name)
  Millis reported_at = 0;
  Millis accepted_at = 0;  // 0: not (yet) taken on — still reported, or rejected
  Millis resolved_at = 0;  // 0: not resolved
  Millis resolve_due_at = 0;
  std::optional<HandlingLevel> solved_at;
  bool overdue = false;
  int rating = 0;  // 0: not rated
  Millis rated_at = 0;
};

using MetricDeltas = std::vector<std::pair<std::string, std::int64_t>>;

// "2026-11" in China time.
std::string MonthKey(Millis at);

MetricDeltas CaseCounts(const CaseFacts& f);
// What to add when a case goes from `before` (nullopt: a new case) to `after`; metrics that do not
// change are left out.
MetricDeltas CaseCountDelta(const std::optional<CaseFacts>& before, const CaseFacts& after);

}  // namespace linli::domain
