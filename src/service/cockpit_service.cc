#include "service/cockpit_service.h"

#include <algorithm>
#include <cstdio>
#include <iterator>

#include "domain/access.h"
#include "domain/case_counts.h"
#include "domain/case_workflow.h"
#include "domain/identity.h"
#include "service/org_service.h"
#include "storage/registry_repo.h"

namespace linli::service {

namespace perm = domain::perm;
using storage::SqlSession;

namespace {

constexpr int kTrendDays = 30;
constexpr std::size_t kTopCategories = 8;
constexpr std::int64_t kDayMillis = 86400000;

bool ValidMonth(const std::string& m) {
  if (m.size() != 7 || m[4] != '-') return false;
  for (std::size_t i : {0u, 1u, 2u, 3u, 5u, 6u}) {
    if (m[i] < '0' || m[i] > '9') return false;
  }
  int month = (m[5] - '0') * 10 + (m[6] - '0');
  return month >= 1 && month <= 12;
}

// The month asked for ("YYYY-MM"), or this month when none was.
Result<std::string> MonthOrCurrent(std::string month, Millis now) {
  if (month.empty()) month = domain::MonthKey(now);
  if (!ValidMonth(month)) return Error::Invalid("month", "month must be YYYY-MM, e.g. 2026-11");
  return month;
}

}  // namespace

Result<Cockpit> CockpitService::ForNode(const Caller& who, std::int64_t node_id, std::string month) {
  Millis now = clock_.NowMillis();
  LINLI_ASSIGN_OR_RETURN(month, MonthOrCurrent(std::move(month), now));
  return storage::ReadValue<Cockpit>(db_, [&](SqlSession& s) -> Result<Cockpit> {
    Cockpit out;
    LINLI_ASSIGN_OR_RETURN(auto node, nodes_.Node(s, node_id, now));
    LINLI_ASSIGN_OR_RETURN(out.node, CheckVisible(std::move(node), who, node_id, perm::kCockpitRead));
    out.month = month;
    // The trail of ancestors the caller may open.
    auto ancestors = domain::PathIds(out.node.path);
    if (!ancestors.empty() && ancestors.back() == out.node.id) ancestors.pop_back();
    LINLI_ASSIGN_OR_RETURN(auto above, nodes_.Nodes(s, ancestors, now));
    for (auto& n : above) {
      if (domain::Allows(who.principal, perm::kCockpitRead, n.path)) out.trail.push_back(std::move(n));
    }
    // Whoever may open a node may open the subtree under it, so a node's children are the same
    // list for every caller.
    LINLI_ASSIGN_OR_RETURN(auto kids, nodes_.Children(s, out.node, now));
    return Build(s, std::move(out), SummedNodes{.added = {out.node.id}}, *kids, now);
  });
}

Result<Cockpit> CockpitService::ForRegion(const Caller& who, std::string month) {
  Millis now = clock_.NowMillis();
  LINLI_ASSIGN_OR_RETURN(month, MonthOrCurrent(std::move(month), now));
  auto scope = domain::ScopeFor(who.principal, perm::kCockpitRead);
  if (scope.Empty()) return Error::Denied("the cockpit needs cockpit.read somewhere");
  return storage::ReadValue<Cockpit>(db_, [&](SqlSession& s) -> Result<Cockpit> {
    Cockpit out;
    out.node.id = 0;
    out.node.path = "/";
    out.node.name = "全部辖区";
    out.month = month;
    // The scope's prefixes are the top nodes' own paths, none under another.
    std::vector<std::int64_t> tops;
    for (const auto& prefix : scope.prefixes()) {
      auto ids = domain::PathIds(prefix);
      if (!ids.empty()) tops.push_back(ids.back());
    }
    LINLI_ASSIGN_OR_RETURN(auto kids, nodes_.Nodes(s, tops, now));
    tops.clear();
    for (const auto& n : kids) tops.push_back(n.id);
    // Overseeing roots (districts or subdistricts) only, the caller's region may be cheaper to
    // read as the whole deployment's own row less the roots they do not hold: a city's officials
    // read one row, or a few, instead of adding up their districts. Counts are sums, so either is exact; the
    // shorter list is read.
    SummedNodes summed{.added = tops};
    LINLI_ASSIGN_OR_RETURN(auto roots, nodes_.RootIds(s, now));
    std::vector<std::int64_t> held = tops;
    std::sort(held.begin(), held.end());
    if (!held.empty() && std::includes(roots->begin(), roots->end(), held.begin(), held.end())) {
      std::vector<std::int64_t> others;
      std::set_difference(roots->begin(), roots->end(), held.begin(), held.end(), std::back_inserter(others));
      if (others.size() < held.size()) summed = {.added = {storage::RollupRepo::kEverywhere}, .subtracted = others};
    }
    return Build(s, std::move(out), summed, std::move(kids), now);
  });
}

struct CockpitService::MetricNames {
  std::shared_ptr<const std::vector<domain::CategoryDefinition>> catalogue;
  std::vector<std::string> days;  // the trend's, oldest first
  // The node's own figures: points, and runs of neighbours in the key (see RollupRepo::Ask).
  std::vector<std::string> own;
  std::vector<std::vector<std::string>> own_runs;
  // Each child's: reported and resolved this month; open and overdue as a run.
  std::vector<std::string> per_child;
  std::vector<std::vector<std::string>> per_child_runs;
  std::string reported, accepted, resolved, resolved_on_time, rated, rating_sum, satisfied;
  std::vector<std::pair<std::string, std::string>> solved;  // level, its metric
  std::vector<std::string> categories;                      // parallel to the catalogue
};

std::shared_ptr<const CockpitService::MetricNames> CockpitService::NamesFor(const std::string& month, Millis now) {
  auto catalogue = cases_.AllCategories();
  std::string key = month + " " + domain::ChinaDate(now).Iso();
  if (auto hit = names_.Get(key, now); hit && (*hit)->catalogue == catalogue) return *hit;
  auto n = std::make_shared<MetricNames>();
  n->catalogue = catalogue;
  const std::string at = "@" + month;
  auto named = [&](const char* m) { return std::string("cases.") + m + at; };
  n->reported = named("reported");
  n->accepted = named("accepted");
  n->resolved = named("resolved");
  n->resolved_on_time = named("resolved_on_time");
  n->rated = named("rated");
  n->rating_sum = named("rating_sum");
  n->satisfied = named("satisfied");
  n->own = {"residents", "households", n->reported, n->accepted, n->resolved, n->resolved_on_time,
            n->rated, n->rating_sum, n->satisfied};
  for (auto level : {domain::HandlingLevel::kMicroGrid, domain::HandlingLevel::kGrid, domain::HandlingLevel::kCommunity,
                     domain::HandlingLevel::kSubdistrict, domain::HandlingLevel::kDepartment}) {
    std::string name(domain::HandlingLevelName(level));
    n->solved.emplace_back(name, "cases.solved." + name + at);
    n->own.push_back(n->solved.back().second);
  }
  for (int i = kTrendDays - 1; i >= 0; --i) n->days.push_back(domain::ChinaDate(now - i * kDayMillis).Iso());
  // A trend's days are neighbours in the key ("cases.reported@2026-11-02" … "@2026-12-01", with
  // at most the month keys between them), and so are a node's open and overdue counts: runs, which
  // are read as one seek and a short walk each instead of a seek a figure.
  n->own_runs = {{"cases.open", "cases.overdue"}};
  for (const char* series : {"cases.reported@", "cases.resolved@"}) {
    auto& run = n->own_runs.emplace_back();
    for (const auto& d : n->days) run.push_back(series + d);
  }
  for (const auto& c : *catalogue) {
    n->categories.push_back("cases.reported." + c.code + at);
    n->own.push_back(n->categories.back());
  }
  n->per_child = {n->reported, n->resolved};
  n->per_child_runs = {{"cases.open", "cases.overdue"}};
  names_.Put(std::move(key), n, now);
  return n;
}

Result<Cockpit> CockpitService::Build(SqlSession& s, Cockpit out, const SummedNodes& summed,
                                      std::vector<domain::OrgNode> kids, Millis now) {
  // Every metric wanted is named up front, so the reads are point lookups on node_counts' key, or
  // short walks along it where the wanted metrics are neighbours.
  auto names = NamesFor(out.month, now);
  const MetricNames& m = *names;
  std::vector<std::int64_t> read = summed.added;
  read.insert(read.end(), summed.subtracted.begin(), summed.subtracted.end());
  std::vector<std::int64_t> child_ids;
  for (const auto& k : kids) child_ids.push_back(k.id);
  // The node's own figures and its children's in one read. A region summed from its top nodes has
  // them in both asks; a (node, metric) has one value, so the merged answer serves both.
  LINLI_ASSIGN_OR_RETURN(auto values, storage::RollupRepo::Values(
                                          s, {{read, m.own, m.own_runs}, {child_ids, m.per_child, m.per_child_runs}}));
  auto value = [&](std::int64_t id, const std::string& k) -> std::int64_t {
    auto node = values.find(id);
    if (node == values.end()) return 0;
    auto it = node->second.find(k);
    return it == node->second.end() ? 0 : it->second;
  };
  auto get = [&](const std::string& k) {
    std::int64_t total = 0;
    for (auto id : summed.added) total += value(id, k);
    for (auto id : summed.subtracted) total -= value(id, k);
    return total;
  };
  auto& f = out.figures;
  f.open = get("cases.open");
  f.overdue = get("cases.overdue");
  f.reported = get(m.reported);
  f.accepted = get(m.accepted);
  f.resolved = get(m.resolved);
  f.resolved_on_time = get(m.resolved_on_time);
  f.rated = get(m.rated);
  f.rating_sum = get(m.rating_sum);
  f.satisfied = get(m.satisfied);
  out.residents = get("residents");
  out.households = get("households");
  for (const auto& [level, metric] : m.solved) f.solved_by_level.emplace_back(level, get(metric));
  out.trend.reserve(m.days.size());
  for (std::size_t i = 0; i < m.days.size(); ++i) {
    out.trend.push_back({m.days[i], get(m.own_runs[1][i]), get(m.own_runs[2][i])});
  }
  for (std::size_t i = 0; i < m.catalogue->size(); ++i) {
    auto n = get(m.categories[i]);
    if (n == 0) continue;
    const auto& c = (*m.catalogue)[i];
    (c.group_code.empty() ? out.top_groups : out.top_categories).push_back({c.code, c.name, n});
  }
  for (auto* list : {&out.top_groups, &out.top_categories}) {
    std::stable_sort(list->begin(), list->end(), [](const auto& a, const auto& b) { return a.reported > b.reported; });
    if (list->size() > kTopCategories) list->resize(kTopCategories);
  }

  out.children.reserve(kids.size());
  for (auto& k : kids) {
    CockpitChild c{.node = std::move(k)};
    if (auto node = values.find(c.node.id); node != values.end()) {
      auto figure = [&figures = node->second](const std::string& k) {
        auto it = figures.find(k);
        return it == figures.end() ? 0 : it->second;
      };
      c.open = figure(m.per_child_runs[0][0]);
      c.overdue = figure(m.per_child_runs[0][1]);
      c.reported = figure(m.per_child[0]);
      c.resolved = figure(m.per_child[1]);
    }
    out.children.push_back(std::move(c));
  }
  return out;
}

Result<domain::OrgNode> CockpitService::LiveNode(const Caller& who, std::int64_t node_id) {
  return storage::ReadValue<domain::OrgNode>(db_, [&](SqlSession& s) -> Result<domain::OrgNode> {
    LINLI_ASSIGN_OR_RETURN(auto node, nodes_.Node(s, node_id, clock_.NowMillis()));
    auto cockpit = CheckVisible(node, who, node_id, perm::kCockpitRead);
    if (cockpit) return cockpit;
    return CheckVisible(std::move(node), who, node_id, perm::kCaseRead);
  });
}

}  // namespace linli::service
