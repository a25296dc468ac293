// The cockpit (驾驶舱): the counts a node's screen shows — this month's cases, the on-time and
// satisfaction rates, the share solved within the grid (小事不出院落), a 30-day trend, the top
// categories and each child's load for the map — read from the rollups (node_counts) only, so a
// city's figures cost what a grid's do. Needs cockpit.read at the node.
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "core/clock.h"
#include "core/expiring_cache.h"
#include "core/result.h"
#include "domain/org.h"
#include "service/caller.h"
#include "service/access_epoch.h"
#include "service/case_service.h"
#include "service/org_node_cache.h"
#include "storage/database.h"

namespace linli::service {

struct CockpitFigures {
  std::int64_t open = 0, overdue = 0;                       // now
  std::int64_t reported = 0, accepted = 0, resolved = 0;    // this month
  std::int64_t resolved_on_time = 0, rated = 0, rating_sum = 0, satisfied = 0;
  std::vector<std::pair<std::string, std::int64_t>> solved_by_level;  // micro_grid … department
};

struct CockpitChild {
  domain::OrgNode node;
  std::int64_t open = 0, overdue = 0, reported = 0, resolved = 0;
};

struct CockpitDay {
  std::string day;  // 2026-11-29
  std::int64_t reported = 0, resolved = 0;
};

struct CockpitCategory {
  std::string code, name;
  std::int64_t reported = 0;
};

struct Cockpit {
  domain::OrgNode node;
  std::vector<domain::OrgNode> trail;  // root … parent, for the drill-down's way back
  std::string month;                   // 2026-11, China time
  CockpitFigures figures;
  std::vector<CockpitDay> trend;       // the last 30 days, oldest first
  std::vector<CockpitCategory> top_groups, top_categories;  // most reported this month first
  std::vector<CockpitChild> children;
  std::int64_t residents = 0, households = 0;
};

class CockpitService {
 public:
  CockpitService(storage::Database& db, const Clock& clock, const CaseService& cases, const AccessEpoch& epoch)
      : db_(db), clock_(clock), cases_(cases), nodes_(epoch) {}

  // `month` "YYYY-MM" (empty: this month).
  Result<Cockpit> ForNode(const Caller& who, std::int64_t node_id, std::string month);
  // The whole region the caller oversees: the figures of every top node of their cockpit.read
  // scope summed (a district's or city's officials hold it at each subdistrict), those nodes as the
  // children. `node` is the region itself: id 0, path "/", named 全部辖区.
  Result<Cockpit> ForRegion(const Caller& who, std::string month);
  // The node whose changes the caller may follow live: cockpit.read or case.read there.
  Result<domain::OrgNode> LiveNode(const Caller& who, std::int64_t node_id);

 private:
  // The nodes whose own figures make a cockpit's: `added` summed, less `subtracted`.
  struct SummedNodes {
    std::vector<std::int64_t> added, subtracted;
  };
  // What ForNode and ForRegion share: `summed` nodes' figures, `kids` with theirs.
  Result<Cockpit> Build(storage::SqlSession& s, Cockpit out, const SummedNodes& summed,
                        std::vector<domain::OrgNode> kids, Millis now);
  // The names of the metrics a cockpit reads for a month on a day (~200 texts, the same for every
  // cockpit that day), made once per month asked, day and category catalogue.
  struct MetricNames;
  std::shared_ptr<const MetricNames> NamesFor(const std::string& month, Millis now);
  storage::Database& db_;
  const Clock& clock_;
  const CaseService& cases_;
  OrgNodeCache nodes_;  // the node, its trail and children; a region's top nodes
  ExpiringCache<std::string, std::shared_ptr<const MetricNames>> names_{60'000, 64};
};

}  // namespace linli::service
