#include "domain/case_counts.h"

#include <cstdio>
#include <map>

#include "domain/identity.h"

namespace linli::domain {

std::string MonthKey(Millis at) {
  CivilDate d = ChinaDate(at);
  char buf[16];
  std::snprintf(buf, sizeof buf, "%04d-%02d", d.year % 10000, d.month % 100);
  return buf;
}

MetricDeltas CaseCounts(const CaseFacts& f) {
  MetricDeltas out;
  if (IsOpen(f.state)) {
    out.emplace_back("cases.open", 1);
    if (f.overdue) out.emplace_back("cases.overdue", 1);
  }
  std::string reported = "@" + MonthKey(f.reported_at);
  out.emplace_back("cases.reported" + reported, 1);
  out.emplace_back("cases.reported@" + ChinaDate(f.reported_at).Iso(), 1);  // the daily trend
  if (!f.group.empty()) out.emplace_back("cases.reported." + f.group + reported, 1);
  if (!f.category.empty()) out.emplace_back("cases.reported." + f.category + reported, 1);
  if (f.accepted_at > 0) out.emplace_back("cases.accepted@" + MonthKey(f.accepted_at), 1);
  if (f.resolved_at > 0) {
    std::string month = "@" + MonthKey(f.resolved_at);
    out.emplace_back("cases.resolved" + month, 1);
    out.emplace_back("cases.resolved@" + ChinaDate(f.resolved_at).Iso(), 1);
    if (f.resolved_at <= f.resolve_due_at) out.emplace_back("cases.resolved_on_time" + month, 1);
    if (f.solved_at) out.emplace_back("cases.solved." + std::string(HandlingLevelName(*f.solved_at)) + month, 1);
  }
  if (f.rating > 0) {
    std::string month = "@" + MonthKey(f.rated_at);
    out.emplace_back("cases.rated" + month, 1);
    out.emplace_back("cases.rating_sum" + month, f.rating);
    if (f.rating >= 4) out.emplace_back("cases.satisfied" + month, 1);
  }
  return out;
}

MetricDeltas CaseCountDelta(const std::optional<CaseFacts>& before, const CaseFacts& after) {
  std::map<std::string, std::int64_t> sum;
  for (auto& [metric, value] : CaseCounts(after)) sum[metric] += value;
  if (before) {
    for (auto& [metric, value] : CaseCounts(*before)) sum[metric] -= value;
  }
  MetricDeltas out;
  for (auto& [metric, value] : sum) {
    if (value != 0) out.emplace_back(metric, value);
  }
  return out;
}

}  // namespace linli::domain
