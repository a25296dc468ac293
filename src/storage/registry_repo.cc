#include "storage/registry_repo.h"

#include <algorithm>
#include <map>
#include <unordered_map>

#include "domain/org.h"
#include "domain/registry.h"
#include "storage/case_repo.h"

namespace linli::storage {
namespace {


// ---- buildings ----
constexpr const char* kBuildingCols =
    "id, node_id, node_path, code, name, address, lon, lat, floors, units, archived, created_at, "
    "updated_at, version";

BuildingRow BuildingFrom(const SqlRow& r) {
  BuildingRow b;
  b.id = r.Int(0);
  b.node_id = r.Int(1);
  b.node_path = r.Text(2);
  b.code = r.Text(3);
  b.name = r.Text(4);
  b.address = r.Text(5);
  if (!r.IsNull(6)) b.lon = r.Real(6);
  if (!r.IsNull(7)) b.lat = r.Real(7);
  b.floors = static_cast<int>(r.Int(8));
  b.units = static_cast<int>(r.Int(9));
  b.archived = r.Int(10) != 0;
  b.created_at = r.Int(11);
  b.updated_at = r.Int(12);
  b.version = r.Int(13);
  return b;
}

// ---- households ----
constexpr const char* kHouseholdCols =
    "id, node_id, node_path, building_id, unit, room_enc, address_index, head_id, members, status, "
    "created_at, updated_at, version";

HouseholdRow HouseholdFrom(const SqlRow& r) {
  HouseholdRow h;
  h.id = r.Int(0);
  h.node_id = r.Int(1);
  h.node_path = r.Text(2);
  h.building_id = r.Int(3);
  h.unit = r.Text(4);
  h.room_enc = r.Text(5);
  h.address_index = r.Text(6);
  h.head_id = r.Int(7);
  h.members = static_cast<int>(r.Int(8));
  h.status = r.Text(9);
  h.created_at = r.Int(10);
  h.updated_at = r.Int(11);
  h.version = r.Int(12);
  return h;
}

// ---- residents ----
constexpr const char* kResidentCols =
    "r.id, r.node_id, r.node_path, r.household_id, r.relation, r.name, r.gender, r.birth_date, r.id_enc, "
    "r.id_index, r.phone_enc, r.phone_index, r.ethnic, r.residence_type, r.occupation, r.tags, "
    "r.sensitive_enc, r.status, r.duplicate_of, r.last_visited_at, r.created_at, r.updated_at, r.version";

ResidentRow ResidentFrom(const SqlRow& row) {
  ResidentRow r;
  r.id = row.Int(0);
  r.node_id = row.Int(1);
  r.node_path = row.Text(2);
  r.household_id = row.Int(3);
  r.relation = row.Text(4);
  r.name = row.Text(5);
  r.gender = row.Text(6);
  r.birth_date = row.Text(7);
  r.id_enc = row.Text(8);
  r.id_index = row.Text(9);
  r.phone_enc = row.Text(10);
  r.phone_index = row.Text(11);
  r.ethnic = row.Text(12);
  r.residence_type = row.Text(13);
  r.occupation = row.Text(14);
  r.tags = row.Text(15);
  r.sensitive_enc = row.Text(16);
  r.status = row.Text(17);
  r.duplicate_of = row.Int(18);
  r.last_visited_at = row.Int(19);
  r.created_at = row.Int(20);
  r.updated_at = row.Int(21);
  r.version = row.Int(22);
  return r;
}

// Every insert of residents, their tags and events, and households goes through these, whether
// one row (a form) or a million (an import), so the column lists exist once. A row's values are
// appended to a vector that may hold many rows': a bulk write builds them away from its writer.
template <class... Values>
void AppendValues(std::vector<SqlValue>& out, Values&&... values) {
  (out.push_back(SqlValue(std::forward<Values>(values))), ...);
}

RowInserter ResidentInserter(SqlSession& s, std::size_t rows_per_statement) {
  return RowInserter(s, "residents",
                     {"id", "node_id", "node_path", "household_id", "relation", "name", "gender", "birth_date",
                      "id_enc", "id_index", "phone_enc", "phone_index", "ethnic", "residence_type", "occupation",
                      "tags", "sensitive_enc", "status", "duplicate_of", "created_at", "updated_at"},
                     rows_per_statement);
}
// The row's texts are moved into the values: a bulk insert's rows are done with once added
// (copying them was a tenth of a roster import's writer).
void AppendResident(std::vector<SqlValue>& out, ResidentRow&& r) {
  AppendValues(out, Int(r.id), Int(r.node_id), Text(std::move(r.node_path)), IdOrNull(r.household_id),
               Text(std::move(r.relation)), Text(std::move(r.name)), Text(std::move(r.gender)),
               Text(std::move(r.birth_date)), TextOrNull(std::move(r.id_enc)), TextOrNull(std::move(r.id_index)),
               TextOrNull(std::move(r.phone_enc)), TextOrNull(std::move(r.phone_index)), Text(std::move(r.ethnic)),
               Text(std::move(r.residence_type)), Text(std::move(r.occupation)), Text(std::move(r.tags)),
               TextOrNull(std::move(r.sensitive_enc)), Text(std::move(r.status)), IdOrNull(r.duplicate_of),
               Int(r.created_at), Int(r.created_at));
}

RowInserter TagInserter(SqlSession& s, std::size_t rows_per_statement) {
  return RowInserter(s, "resident_tags", {"tag", "node_path", "resident_id"}, rows_per_statement);
}
void AppendTags(std::vector<SqlValue>& out, const ResidentRow& r) {
  for (const auto& tag : r.tag_keys) AppendValues(out, Text(tag), Text(r.node_path), Int(r.id));
}
Status WriteTags(SqlSession& s, const ResidentRow& r) {
  if (r.tag_keys.empty()) return Ok();
  auto ins = TagInserter(s, 1);
  std::vector<SqlValue> values;
  AppendTags(values, r);
  LINLI_TRY(ins.AddRows(values));
  return ins.Finish();
}

RowInserter EventInserter(SqlSession& s, std::size_t rows_per_statement) {
  return RowInserter(s, "resident_events", {"id", "resident_id", "node_path", "kind", "at", "actor_id", "detail"},
                     rows_per_statement);
}
void AppendEvent(std::vector<SqlValue>& out, ResidentEventRow&& e) {
  AppendValues(out, Int(e.id), Int(e.resident_id), Text(std::move(e.node_path)), Text(std::move(e.kind)), Int(e.at),
               Int(e.actor_id), Text(std::move(e.detail)));
}

RowInserter HouseholdInserter(SqlSession& s, std::size_t rows_per_statement) {
  return RowInserter(s, "households",
                     {"id", "node_id", "node_path", "building_id", "unit", "room_enc", "address_index", "head_id",
                      "members", "status", "created_at", "updated_at"},
                     rows_per_statement);
}
// Its texts are moved into the values, as AppendResident's.
void AppendHousehold(std::vector<SqlValue>& out, HouseholdRow&& h) {
  AppendValues(out, Int(h.id), Int(h.node_id), Text(std::move(h.node_path)), Int(h.building_id), Text(std::move(h.unit)),
               Text(std::move(h.room_enc)), Text(std::move(h.address_index)), IdOrNull(h.head_id), Int(h.members),
               Text(std::move(h.status)), Int(h.created_at), Int(h.created_at));
}

// One row through `ins`.
template <class Row, class Append>
Status InsertOne(RowInserter ins, Row&& row, Append append) {
  std::vector<SqlValue> values;
  append(values, std::move(row));
  LINLI_TRY(ins.AddRows(values));
  return ins.Finish();
}

// The WHERE clause shared by List and Count.
void ResidentWhere(const ResidentListQuery& q, std::string& sql, std::vector<SqlValue>& p) {
  auto next = [&] { return "$" + std::to_string(p.size() + 1); };
  if (q.tag_key) {
    sql += " FROM resident_tags t JOIN residents r ON r.id = t.resident_id WHERE t.tag = " + next();
    p.push_back(Text(*q.tag_key));
    sql += " AND ";
    AppendPrefixFilter(sql, "t.node_path", q.prefixes, p);
  } else {
    sql += " FROM residents r WHERE ";
    AppendPrefixFilter(sql, "r.node_path", q.prefixes, p);
  }
  if (!q.status.empty()) {
    sql += " AND r.status = " + next();
    p.push_back(Text(q.status));
  }
  if (q.born_from) {
    sql += " AND r.birth_date >= " + next();
    p.push_back(Text(*q.born_from));
  }
  if (q.born_to) {
    sql += " AND r.birth_date <= " + next();
    p.push_back(Text(*q.born_to));
  }
  if (q.residence_type) {
    sql += " AND r.residence_type = " + next();
    p.push_back(Text(*q.residence_type));
  }
  if (q.not_visited_since) {
    sql += " AND (r.last_visited_at IS NULL OR r.last_visited_at < " + next() + ")";
    p.push_back(Int(*q.not_visited_since));
  }
  if (q.name_contains) {
    // Substring match inside the caller's (small) scope.
    sql += " AND r.name LIKE " + next() + " ESCAPE '\\'";
    p.push_back(Text(LikeContaining(*q.name_contains)));
  }
  if (q.household_id) {
    sql += " AND r.household_id = " + next();
    p.push_back(Int(*q.household_id));
  }
  if (q.duplicates_only) sql += " AND r.duplicate_of IS NOT NULL";
  if (q.vulnerable) {
    sql += " AND EXISTS (SELECT 1 FROM resident_tags v WHERE v.resident_id = r.id AND (v.tag IN (";
    for (std::size_t i = 0; i < q.vulnerable->tag_keys.size(); ++i) {
      sql += (i ? ", " : "") + next();
      p.push_back(Text(q.vulnerable->tag_keys[i]));
    }
    sql += ") OR (v.tag = " + next();
    p.push_back(Text(q.vulnerable->alone_key));
    sql += " AND r.birth_date <= " + next() + ")))";
    p.push_back(Text(q.vulnerable->elderly_born_to));
  }
}

}  // namespace

// ---------------------------------------------------------------------------------------------
Result<std::optional<ImportRunRow>> ImportRunRepo::Latest(SqlSession& s, std::string_view file_hash, std::int64_t node_id) {
  LINLI_ASSIGN_OR_RETURN(auto rows, s.Query("SELECT id, rows_done, status FROM import_runs WHERE file_hash = $1 "
                                            "AND node_id = $2 ORDER BY id DESC LIMIT 1",
                                            {Text(file_hash), Int(node_id)}));
  if (rows.empty()) return std::optional<ImportRunRow>();
  return std::optional<ImportRunRow>(ImportRunRow{rows[0].Int(0), rows[0].Int(1), rows[0].Text(2)});
}

Result<std::int64_t> ImportRunRepo::Save(SqlSession& s, std::int64_t id, std::string_view file_hash, std::int64_t node_id,
                                         std::int64_t rows_total, std::int64_t rows_done, bool finished,
                                         std::int64_t actor_id, Millis now) {
  SqlValue status = Text(finished ? "done" : "running");
  if (id != 0) {
    LINLI_TRY(s.ExecDeferred("UPDATE import_runs SET rows_done = $2, status = $3, updated_at = $4 WHERE id = $1",
                             {Int(id), Int(rows_done), status, Int(now)}));
    return id;
  }
  LINLI_ASSIGN_OR_RETURN(id, s.NextId("import_runs"));
  LINLI_TRY(s.ExecDeferred("INSERT INTO import_runs (id, file_hash, node_id, rows_total, rows_done, status, actor_id, "
                           "created_at, updated_at) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $8)",
                           {Int(id), Text(file_hash), Int(node_id), Int(rows_total), Int(rows_done), status,
                            Int(actor_id), Int(now)}));
  return id;
}

Status RollupRepo::Add(SqlSession& s, std::string_view path, std::string_view metric, std::int64_t delta) {
  return AddMany(s, path, {{std::string(metric), delta}});
}

Status RollupRepo::AddMany(SqlSession& s, std::string_view path,
                           const std::vector<std::pair<std::string, std::int64_t>>& deltas) {
  auto ids = domain::PathIds(path);
  ids.push_back(kEverywhere);
  if (s.defer_to_commit) {
    for (const auto& [metric, delta] : deltas) {
      if (delta == 0) continue;
      for (auto id : ids) s.pending_counts.push_back({id, metric, delta});
    }
    return Ok();
  }
  std::string sql = "INSERT INTO node_counts (node_id, metric, value) VALUES ";
  std::vector<SqlValue> p;
  // Node ids first ($1..$n), then each metric and its delta, so the statement's text depends only
  // on the counts of nodes and metrics and stays a prepared statement across calls.
  for (auto id : ids) p.push_back(Int(id));
  bool first = true;
  for (const auto& [metric, delta] : deltas) {
    if (delta == 0) continue;
    std::string m = NextMarker(p);
    p.push_back(Text(metric));
    std::string d = NextMarker(p);
    p.push_back(Int(delta));
    for (std::size_t i = 0; i < ids.size(); ++i) {
      sql += (first ? "" : ", ") + std::string("($") + std::to_string(i + 1) + ", " + m + ", " + d + ")";
      first = false;
    }
  }
  if (first) return Ok();
  sql += " ON CONFLICT (node_id, metric) DO UPDATE SET value = node_counts.value + excluded.value";
  return s.ExecDeferred(sql, Params(p));
}

namespace {
// Adds each row's value to what node_counts holds for it (an upsert).
RowInserter CountAdder(SqlSession& s) {
  return RowInserter(s, "node_counts", {"node_id", "metric", "value"}, 32,
                     "ON CONFLICT (node_id, metric) DO UPDATE SET value = node_counts.value + excluded.value");
}
}  // namespace

// A level at a time: each node's total is added once to its parent's, so the work grows with the
// nodes, not with each path's depth times its metrics (a generated grid's cases have ~900: days,
// months, categories).
Status RollupRepo::SumUpTheTree(SumsByPath& by_path) {
  std::vector<std::string> given;
  for (const auto& [path, sums] : by_path) given.push_back(path);
  for (const auto& path : given) {
    if (!path.starts_with('/')) return Error::Internal("not a node path: " + path);
    for (std::string p = path; p != "/";) {
      p = domain::ParentPath(p);
      // Already there: added with its ancestors, or a path given, whose own turn adds them.
      if (!by_path.try_emplace(p).second) break;
    }
  }
  std::vector<std::pair<int, const std::string*>> deepest_first;
  for (const auto& [path, sums] : by_path) deepest_first.emplace_back(domain::PathDepth(path), &path);
  std::ranges::sort(deepest_first, std::greater<>(), &std::pair<int, const std::string*>::first);
  for (const auto& [depth, path] : deepest_first) {
    if (*path == "/") continue;
    auto& parent = by_path.at(domain::ParentPath(*path));
    for (const auto& [metric, delta] : by_path.at(*path)) parent[metric] += delta;
  }
  return Ok();
}

Status RollupRepo::AddByPath(SqlSession& s, SumsByPath deltas_by_path) {
  LINLI_TRY(SumUpTheTree(deltas_by_path));
  return AddSummed(s, deltas_by_path);
}

Status RollupRepo::AddSummed(SqlSession& s, const SumsByPath& summed) {
  // Written in key order (the index's), each row once.
  std::vector<std::pair<std::int64_t, const MetricSums*>> nodes;
  for (const auto& [path, sums] : summed) nodes.emplace_back(path == "/" ? kEverywhere : domain::PathIds(path).back(), &sums);
  std::ranges::sort(nodes, {}, &std::pair<std::int64_t, const MetricSums*>::first);
  auto ins = CountAdder(s);
  std::vector<std::pair<std::string_view, std::int64_t>> metrics;
  for (const auto& [id, sums] : nodes) {
    metrics.assign(sums->begin(), sums->end());
    std::ranges::sort(metrics);
    for (const auto& [metric, delta] : metrics) {
      if (delta != 0) LINLI_TRY(ins.Add(Int(id), Text(metric), Int(delta)));
    }
  }
  return ins.Finish();
}

Status RollupRepo::FlushPending(SqlSession& s) {
  if (s.counts_flushed == s.pending_counts.size()) return Ok();
  // Summed per row and written in key order (the index's order), each row once.
  std::map<std::pair<std::int64_t, std::string_view>, std::int64_t> sums;
  for (std::size_t i = s.counts_flushed; i < s.pending_counts.size(); ++i) {
    const auto& c = s.pending_counts[i];
    sums[{c.node_id, c.metric}] += c.delta;
  }
  auto ins = CountAdder(s);
  for (const auto& [key, delta] : sums) {
    if (delta != 0) LINLI_TRY(ins.Add(Int(key.first), Text(key.second), Int(delta)));
  }
  LINLI_TRY(ins.Finish());
  s.counts_flushed = s.pending_counts.size();
  return Ok();
}

Status RollupRepo::Rebuild(SqlSession& s, std::string_view root_path) {
  LINLI_TRY(FlushPending(s));  // else deltas still pending would be added to the recount
  auto [lo, hi] = PrefixRange(root_path);
  std::map<std::int64_t, std::string> paths;
  {
    LINLI_ASSIGN_OR_RETURN(auto rows, s.Query("SELECT id, path FROM org_nodes WHERE path >= $1 AND path < $2",
                                              {Text(lo), Text(hi)}));
    for (const auto& r : rows) paths[r.Int(0)] = r.Text(1);
  }
  // Counted at each node first, then added up the tree once per node (not once per row: a
  // subdistrict's 200,000 cases made 8 M additions into one ordered map, 3 s).
  using Metrics = MetricSums;
  std::unordered_map<std::string, Metrics> own;  // node path → its own rows' counts
  static const std::pair<std::string_view, const char*> kSources[] = {
      {metric::kResidents, "SELECT node_id, count(*) FROM residents WHERE status = 'active' AND node_path >= $1 AND node_path < $2 GROUP BY node_id"},
      {metric::kHouseholds, "SELECT node_id, count(*) FROM households WHERE status = 'active' AND node_path >= $1 AND node_path < $2 GROUP BY node_id"},
      {metric::kBuildings, "SELECT node_id, count(*) FROM buildings WHERE archived = 0 AND node_path >= $1 AND node_path < $2 GROUP BY node_id"},
  };
  for (const auto& [name, sql] : kSources) {
    LINLI_ASSIGN_OR_RETURN(auto rows, s.Query(sql, {Text(lo), Text(hi)}));
    for (const auto& r : rows) {
      auto it = paths.find(r.Int(0));
      if (it != paths.end()) own[it->second][std::string(name)] += r.Int(1);
    }
  }
  // Cases count through the one rule that keeps their counts current (domain::CaseCounts).
  LINLI_ASSIGN_OR_RETURN(auto cases, CaseRepo::FactsUnder(s, root_path));
  for (const auto& [path, facts] : cases) {
    auto& at = own[path];
    for (auto& [name, value] : domain::CaseCounts(facts)) at[std::move(name)] += value;
  }
  LINLI_TRY(SumUpTheTree(own));
  std::unordered_map<std::int64_t, Metrics> totals;  // node id → counts of its whole subtree
  for (const auto& [id, path] : paths) {
    if (auto it = own.find(path); it != own.end() && !it->second.empty()) totals[id] = std::move(it->second);
  }
  // What the recount changes at the subtree's top (its root, or every subdistrict for "/"): the
  // same change is due above it.
  auto root_ids = domain::PathIds(root_path);
  std::vector<std::int64_t> tops;
  if (!root_ids.empty()) {
    if (paths.count(root_ids.back())) tops.push_back(root_ids.back());
  } else {
    for (const auto& [id, path] : paths) {
      if (domain::PathDepth(path) == 1) tops.push_back(id);
    }
  }
  std::map<std::string, std::int64_t> change;
  for (std::size_t i = 0; i < tops.size(); i += 100) {
    std::size_t n = std::min<std::size_t>(100, tops.size() - i);
    std::vector<SqlValue> p;
    for (std::size_t k = 0; k < n; ++k) p.push_back(Int(tops[i + k]));
    LINLI_ASSIGN_OR_RETURN(auto rows, s.Query("SELECT metric, value FROM node_counts WHERE node_id IN (" +
                                                  Markers(1, n) + ")", Params(p)));
    for (const auto& r : rows) change[r.Text(0)] -= r.Int(1);
  }
  for (auto top : tops) {
    if (auto it = totals.find(top); it != totals.end()) {
      for (const auto& [name, value] : it->second) change[name] += value;
    }
  }
  LINLI_TRY(s.Exec("DELETE FROM node_counts WHERE node_id IN (SELECT id FROM org_nodes WHERE path >= $1 AND path < $2)",
                   {Text(lo), Text(hi)}));
  RowInserter ins(s, "node_counts", {"node_id", "metric", "value"}, 64);
  for (const auto& [id, counts] : totals) {
    for (const auto& [name, value] : counts) LINLI_TRY(ins.Add(Int(id), Text(name), Int(value)));
  }
  LINLI_TRY(ins.Finish());
  std::vector<std::pair<std::string, std::int64_t>> above;
  for (const auto& [metric, delta] : change) {
    if (delta != 0) above.emplace_back(metric, delta);
  }
  return AddMany(s, root_ids.empty() ? "/" : domain::ParentPath(root_path), above);
}

Result<std::vector<std::pair<std::string, std::int64_t>>> RollupRepo::ForNode(SqlSession& s, std::int64_t node_id) {
  LINLI_TRY(FlushPending(s));
  LINLI_ASSIGN_OR_RETURN(auto rows, s.Query("SELECT metric, value FROM node_counts WHERE node_id = $1 ORDER BY metric",
                                            {Int(node_id)}));
  std::vector<std::pair<std::string, std::int64_t>> out;
  for (const auto& r : rows) out.emplace_back(r.Text(0), r.Int(1));
  return out;
}

namespace {
// Rows of (node_id, metric, value) into node → metric → value. The metric's text is moved, not
// copied: a city's region cockpit reads ~500 rows.
void Collect(SqlRows& rows, RollupRepo::NodeValues& out) {
  for (auto& r : rows) {
    auto* metric = std::get_if<std::string>(&r.cols[1]);
    if (metric) out[r.Int(0)].insert_or_assign(std::move(*metric), r.Int(2));
  }
}
}  // namespace

Result<RollupRepo::NodeValues> RollupRepo::Values(SqlSession& s, const std::vector<Ask>& asks) {
  NodeValues out;
  if (s.dialect() == Dialect::kPostgres) {
    // An ask is one part, its nodes and its metrics two arrays: PostgreSQL's B-tree seeks every
    // (node, metric) pair of `node_id = ANY(…) AND metric = ANY(…)`, and the statement's text is
    // the same whatever the counts. Each array is passed through a scalar subquery so the planner
    // cannot look at its values: bound directly, every call was planned afresh, estimating each
    // metric against the column's statistics (45 % of the backend's time on a grid's cockpit);
    // hidden, the plan (the primary key's index scan) is made once and kept.
    // Runs the same way: their first and last metrics as two arrays, each (node, run) one range
    // scan of the key — a cockpit's two thirty-day trends are two walks instead of sixty seeks.
    std::string sql;
    std::vector<SqlValue> p;
    auto array = [&p](std::string value, const char* type) {
      p.push_back(Text(std::move(value)));
      return "(SELECT $" + std::to_string(p.size()) + "::" + type + ")::" + type;
    };
    auto part = [&sql](const std::string& select) { sql += (sql.empty() ? "" : " UNION ALL ") + select; };
    for (const auto& ask : asks) {
      if (ask.nodes.empty()) continue;
      std::vector<std::string> firsts, lasts;
      for (const auto& run : ask.runs) {
        if (run.empty()) continue;
        auto [first, last] = std::minmax_element(run.begin(), run.end());
        firsts.push_back(*first);
        lasts.push_back(*last);
      }
      if (ask.metrics.empty() && firsts.empty()) continue;
      std::string nodes = array(PgArray(ask.nodes), "bigint[]");
      if (!ask.metrics.empty()) {
        part("SELECT c.node_id, c.metric, c.value FROM node_counts c WHERE c.node_id = ANY(" + nodes +
             ") AND c.metric = ANY(" + array(PgArray(ask.metrics), "text[]") + ")");
      }
      if (!firsts.empty()) {
        std::string lo = array(PgArray(firsts), "text[]");
        std::string hi = array(PgArray(lasts), "text[]");
        part("SELECT c.node_id, c.metric, c.value FROM unnest(" + lo + ", " + hi +
             ") AS r(lo, hi) CROSS JOIN LATERAL (SELECT n.node_id, n.metric, n.value FROM node_counts n WHERE n.node_id = ANY(" +
             nodes + ") AND n.metric >= r.lo AND n.metric <= r.hi) c");
      }
    }
    if (sql.empty()) return out;
    LINLI_TRY(FlushPending(s));
    LINLI_ASSIGN_OR_RETURN(auto rows, s.Query(sql, Params(p)));
    Collect(rows, out);
    return out;
  }
  // A region may list a hundred subdistricts or more: each ask's nodes go in parts of at most
  // kNodesPerPart, so the statement's shapes (and the prepared statements cached for them) stay few.
  constexpr std::size_t kNodesPerPart = 100;
  std::vector<Shape> shapes;
  std::vector<SqlValue> p;
  for (const auto& ask : asks) {
    std::vector<std::string> metrics = ask.metrics;
    std::vector<std::pair<std::string, std::string>> bounds;  // each run's first and last
    for (const auto& run : ask.runs) {
      if (run.empty()) continue;
      auto [first, last] = std::minmax_element(run.begin(), run.end());
      bounds.emplace_back(*first, *last);
    }
    if (metrics.empty() && bounds.empty()) continue;
    for (std::size_t i = 0; i < ask.nodes.size(); i += kNodesPerPart) {
      std::size_t n = std::min(kNodesPerPart, ask.nodes.size() - i);
      shapes.push_back({n, metrics.size(), bounds.size()});
      for (std::size_t k = 0; k < n; ++k) p.push_back(Int(ask.nodes[i + k]));
      for (const auto& m : metrics) p.push_back(Text(m));
      for (const auto& [first, last] : bounds) {
        p.push_back(Text(first));
        p.push_back(Text(last));
      }
    }
  }
  if (shapes.empty()) return out;
  LINLI_TRY(FlushPending(s));
  LINLI_ASSIGN_OR_RETURN(auto rows, s.Query(ValuesSql(shapes), Params(p)));
  Collect(rows, out);
  return out;
}

// The wanted metrics drive the join, so each (node, metric) is one seek on the primary key.
// Written as `metric IN (…)`, SQLite's planner (after ANALYZE: ~50 metrics a node on average)
// walked every metric a node has gathered instead — a subdistrict's thousand and more, growing by
// two a day — and tested each against the list. A range is one seek to (node, first metric),
// then the rows up to its last. One part per shape and per range, joined by UNION ALL.
std::string RollupRepo::ValuesSql(const std::vector<Shape>& shapes) {
  std::string with, select;
  std::size_t next = 1;  // the next parameter's number
  auto part = [&select](const std::string& from_where) {
    select += std::string(select.empty() ? " " : " UNION ALL ") + "SELECT c.node_id, c.metric, c.value FROM " + from_where;
  };
  for (std::size_t i = 0; i < shapes.size(); ++i) {
    const auto& shape = shapes[i];
    std::string nodes_list = Markers(next, shape.nodes);
    next += shape.nodes;
    if (shape.metrics > 0) {
      std::string name = "wanted" + std::to_string(i);
      with += (with.empty() ? "WITH " : ", ") + name + "(metric) AS (VALUES ";
      for (std::size_t k = 0; k < shape.metrics; ++k) with += (k ? ", ($" : "($") + std::to_string(next + k) + ")";
      with += ")";
      next += shape.metrics;
      part(name + " CROSS JOIN node_counts c WHERE c.node_id IN (" + nodes_list + ") AND c.metric = " + name + ".metric");
    }
    for (std::size_t k = 0; k < shape.ranges; ++k, next += 2) {
      part("node_counts c WHERE c.node_id IN (" + nodes_list + ") AND c.metric >= $" + std::to_string(next) +
           " AND c.metric <= $" + std::to_string(next + 1));
    }
  }
  return with + select;
}

// ---------------------------------------------------------------------------------------------
Result<BuildingRow> BuildingRepo::Insert(SqlSession& s, BuildingRow b) {
  if (b.id == 0) {
    LINLI_ASSIGN_OR_RETURN(b.id, s.NextId("buildings"));
  }
  b.updated_at = b.created_at;
  b.version = 1;
  LINLI_TRY(s.ExecDeferred(
      "INSERT INTO buildings (id, node_id, node_path, code, name, address, lon, lat, floors, units, "
      "created_at, updated_at, address_key) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $11, $12)",
      {Int(b.id), Int(b.node_id), Text(b.node_path), Text(b.code), Text(b.name), Text(b.address),
       RealOrNull(b.lon), RealOrNull(b.lat), Int(b.floors), Int(b.units), Int(b.created_at),
       TextOrNull(domain::AddressKey(b.address))}));
  LINLI_TRY(RollupRepo::Add(s, b.node_path, metric::kBuildings, 1));
  return b;
}

Result<std::optional<BuildingRow>> BuildingRepo::Get(SqlSession& s, std::int64_t id) {
  return OneRow<BuildingRow>(s, std::string("SELECT ") + kBuildingCols + " FROM buildings WHERE id = $1", Int(id),
                             BuildingFrom);
}

Result<std::unordered_map<std::string, BuildingRow>> BuildingRepo::ByCodes(SqlSession& s, std::vector<std::string> codes) {
  std::unordered_map<std::string, BuildingRow> found;
  LINLI_TRY(QueryInBatches(s, std::string("SELECT ") + kBuildingCols + " FROM buildings WHERE code IN ", std::move(codes),
                           [&](const SqlRow& r) {
                             auto b = BuildingFrom(r);
                             found.emplace(b.code, std::move(b));
                           }));
  return found;
}

Result<std::vector<BuildingRow>> BuildingRepo::ByAddressKey(SqlSession& s, std::string_view key) {
  return ManyRows<BuildingRow>(s, std::string("SELECT ") + kBuildingCols + " FROM buildings WHERE address_key = $1 AND archived = 0 LIMIT 5",
                               std::vector<SqlValue>{Text(key)}, BuildingFrom);
}

Result<int> BuildingRepo::FillAddressKeys(SqlSession& s, int limit) {
  LINLI_ASSIGN_OR_RETURN(auto rows, s.Query("SELECT id, address FROM buildings WHERE address_key IS NULL AND address <> '' LIMIT $1",
                                            {Int(limit)}));
  for (const auto& r : rows) {
    LINLI_TRY(s.ExecDeferred("UPDATE buildings SET address_key = $2 WHERE id = $1",
                             {Int(r.Int(0)), Text(domain::AddressKey(r.Text(1)))}));
  }
  return static_cast<int>(rows.size());
}

Result<std::optional<BuildingRow>> BuildingRepo::GetByCode(SqlSession& s, std::string_view code) {
  return OneRow<BuildingRow>(s, std::string("SELECT ") + kBuildingCols + " FROM buildings WHERE code = $1",
                             Text(code), BuildingFrom);
}

Result<std::vector<BuildingRow>> BuildingRepo::List(SqlSession& s, const ListQuery& q) {
  std::string sql = std::string("SELECT ") + kBuildingCols + " FROM buildings WHERE ";
  std::vector<SqlValue> p;
  AppendPrefixFilter(sql, "node_path", q.prefixes, p);
  AppendPathPage(sql, p, "buildings", "node_path", "id", q.after_id, q.limit);
  LINLI_ASSIGN_OR_RETURN(auto rows, s.Query(sql, Params(p)));
  std::vector<BuildingRow> out;
  for (const auto& r : rows) out.push_back(BuildingFrom(r));
  return out;
}

Result<std::vector<BuildingRow>> BuildingRepo::AtNode(SqlSession& s, std::int64_t node_id) {
  LINLI_ASSIGN_OR_RETURN(auto rows, s.Query(std::string("SELECT ") + kBuildingCols +
                                                " FROM buildings WHERE node_id = $1 ORDER BY id",
                                            {Int(node_id)}));
  std::vector<BuildingRow> out;
  for (const auto& r : rows) out.push_back(BuildingFrom(r));
  return out;
}

Status BuildingRepo::Relocate(SqlSession& s, std::int64_t building_id, std::int64_t node_id, const std::string& path) {
  LINLI_TRY(FlushAppends(s));  // the batch's new cases too (CaseRepo::Insert holds them back)
  const SqlValue b = Int(building_id), n = Int(node_id), p = Text(path);
  LINLI_TRY(s.Exec("UPDATE buildings SET node_id = $2, node_path = $3, version = version + 1 WHERE id = $1", {b, n, p}));
  LINLI_TRY(s.Exec("UPDATE households SET node_id = $2, node_path = $3 WHERE building_id = $1", {b, n, p}));
  LINLI_TRY(s.Exec("UPDATE residents SET node_id = $2, node_path = $3 WHERE household_id IN "
                   "(SELECT id FROM households WHERE building_id = $1)", {b, n, p}));
  LINLI_TRY(s.Exec("UPDATE resident_tags SET node_path = $2 WHERE resident_id IN (SELECT r.id FROM residents r "
                   "JOIN households h ON h.id = r.household_id WHERE h.building_id = $1)", {b, p}));
  LINLI_TRY(s.Exec("UPDATE resident_events SET node_path = $2 WHERE resident_id IN (SELECT r.id FROM residents r "
                   "JOIN households h ON h.id = r.household_id WHERE h.building_id = $1)", {b, p}));
  LINLI_TRY(s.Exec("UPDATE visits SET node_path = $2 WHERE household_id IN (SELECT id FROM households WHERE building_id = $1)", {b, p}));
  LINLI_TRY(s.Exec("UPDATE sweep_households SET node_path = $2 WHERE household_id IN "
                   "(SELECT id FROM households WHERE building_id = $1)", {b, p}));
  LINLI_TRY(s.Exec("UPDATE staff_positions SET node_id = $2, node_path = $3 WHERE building_id = $1", {b, n, p}));
  LINLI_TRY(s.Exec("UPDATE cases SET node_id = $2, node_path = $3, version = version + 1 WHERE building_id = $1", {b, n, p}));
  return Ok();
}

Status BuildingRepo::RelocateAllAt(SqlSession& s, std::int64_t from_node, std::int64_t to_node, const std::string& to_path) {
  LINLI_TRY(FlushAppends(s));
  LINLI_ASSIGN_OR_RETURN(auto buildings, AtNode(s, from_node));
  for (const auto& b : buildings) LINLI_TRY(Relocate(s, b.id, to_node, to_path));
  // Residents placed at the node without a household, and positions held at the node itself.
  LINLI_TRY(s.Exec("UPDATE resident_tags SET node_path = $2 WHERE resident_id IN (SELECT id FROM residents WHERE node_id = $1)",
                   {Int(from_node), Text(to_path)}));
  LINLI_TRY(s.Exec("UPDATE residents SET node_id = $2, node_path = $3 WHERE node_id = $1",
                   {Int(from_node), Int(to_node), Text(to_path)}));
  LINLI_TRY(s.Exec("UPDATE staff_positions SET node_id = $2, node_path = $3 WHERE node_id = $1",
                   {Int(from_node), Int(to_node), Text(to_path)}));
  LINLI_TRY(s.Exec("UPDATE cases SET node_id = $2, node_path = $3, version = version + 1 WHERE node_id = $1",
                   {Int(from_node), Int(to_node), Text(to_path)}));
  return Ok();
}

// ---------------------------------------------------------------------------------------------
Result<HouseholdRow> HouseholdRepo::Insert(SqlSession& s, HouseholdRow h, bool count) {
  if (h.id == 0) {
    LINLI_ASSIGN_OR_RETURN(h.id, s.NextId("households"));
  }
  h.updated_at = h.created_at;
  h.version = 1;
  LINLI_TRY(InsertOne(HouseholdInserter(s, 1), HouseholdRow(h), AppendHousehold));
  if (count) LINLI_TRY(RollupRepo::Add(s, h.node_path, metric::kHouseholds, 1));
  return h;
}

Result<std::vector<SqlValue>> HouseholdRepo::ValuesOf(std::vector<HouseholdRow> rows) {
  std::vector<SqlValue> values;
  values.reserve(rows.size() * 12);
  for (auto& h : rows) {
    if (h.id == 0) return Error::Internal("HouseholdRepo::ValuesOf needs ids drawn beforehand");
    AppendHousehold(values, std::move(h));
  }
  return values;
}

Status HouseholdRepo::InsertMany(SqlSession& s, std::span<SqlValue> values) {
  auto ins = HouseholdInserter(s, 64);
  ins.SendByCopy();
  LINLI_TRY(ins.AddRows(values));
  return ins.Finish();
}

Result<std::optional<HouseholdRow>> HouseholdRepo::Get(SqlSession& s, std::int64_t id) {
  return OneRow<HouseholdRow>(s, std::string("SELECT ") + kHouseholdCols + " FROM households WHERE id = $1",
                              Int(id), HouseholdFrom);
}

Result<std::optional<HouseholdRow>> HouseholdRepo::FindActiveByAddress(SqlSession& s, std::string_view index) {
  return OneRow<HouseholdRow>(s, std::string("SELECT ") + kHouseholdCols +
                                     " FROM households WHERE address_index = $1 AND status = 'active'",
                              Text(index), HouseholdFrom);
}

Result<std::vector<HouseholdRow>> HouseholdRepo::List(SqlSession& s, const ListQuery& q) {
  std::string sql = std::string("SELECT ") + kHouseholdCols + " FROM households WHERE status = 'active' AND ";
  std::vector<SqlValue> p;
  AppendPrefixFilter(sql, "node_path", q.prefixes, p);
  if (q.building_id) {
    sql += " AND building_id = $" + std::to_string(p.size() + 1);
    p.push_back(Int(*q.building_id));
  }
  AppendPathPage(sql, p, "households", "node_path", "id", q.after_id, q.limit);
  LINLI_ASSIGN_OR_RETURN(auto rows, s.Query(sql, Params(p)));
  std::vector<HouseholdRow> out;
  for (const auto& r : rows) out.push_back(HouseholdFrom(r));
  return out;
}

Result<std::unordered_map<std::string, std::pair<std::int64_t, std::int64_t>>> HouseholdRepo::ActiveByAddresses(
    SqlSession& s, const std::vector<std::string>& indexes) {
  std::unordered_map<std::string, std::pair<std::int64_t, std::int64_t>> found;
  LINLI_TRY(QueryInBatches(s, "SELECT address_index, id, head_id FROM households WHERE status = 'active' AND address_index IN ",
                           indexes, [&](const SqlRow& r) { found[r.Text(0)] = {r.Int(1), r.Int(2)}; }));
  return found;
}

Status HouseholdRepo::AdjustMembers(SqlSession& s, std::int64_t id, int delta, std::optional<std::int64_t> head_id,
                                    Millis now) {
  if (head_id) {
    return s.ExecDeferred("UPDATE households SET members = members + $2, head_id = $3, updated_at = $4, "
                          "version = version + 1 WHERE id = $1",
                          {Int(id), Int(delta), IdOrNull(*head_id), Int(now)});
  }
  return s.ExecDeferred("UPDATE households SET members = members + $2, updated_at = $3, version = version + 1 "
                        "WHERE id = $1",
                        {Int(id), Int(delta), Int(now)});
}

// ---------------------------------------------------------------------------------------------
Result<ResidentRow> ResidentRepo::Insert(SqlSession& s, ResidentRow r, bool count) {
  if (r.id == 0) {
    LINLI_ASSIGN_OR_RETURN(r.id, s.NextId("residents"));
  }
  r.updated_at = r.created_at;
  r.version = 1;
  LINLI_TRY(InsertOne(ResidentInserter(s, 1), ResidentRow(r), AppendResident));
  LINLI_TRY(WriteTags(s, r));
  if (count && r.status == "active") LINLI_TRY(RollupRepo::Add(s, r.node_path, metric::kResidents, 1));
  return r;
}

Result<NewResidentValues> ResidentRepo::ValuesOf(std::vector<ResidentRow> rows, std::span<const std::int64_t> event_ids,
                                                 const std::string& event_detail, std::int64_t actor_id) {
  if (event_ids.size() != rows.size()) return Error::Internal("ResidentRepo::ValuesOf needs an event id for each row");
  NewResidentValues out;
  out.residents.reserve(rows.size() * 21);
  out.events.reserve(rows.size() * 7);
  for (std::size_t i = 0; i < rows.size(); ++i) {
    auto& r = rows[i];
    if (r.id == 0) return Error::Internal("ResidentRepo::ValuesOf needs ids drawn beforehand");
    AppendTags(out.tags, r);  // while the row still holds its texts
    AppendEvent(out.events, {.id = event_ids[i], .resident_id = r.id, .node_path = r.node_path, .kind = "register", .at = r.created_at,
                 .actor_id = actor_id, .detail = event_detail});
    AppendResident(out.residents, std::move(r));
  }
  return out;
}

Status ResidentRepo::InsertMany(SqlSession& s, NewResidentValues& values) {
  auto residents = ResidentInserter(s, 64);
  auto events = EventInserter(s, 64);
  auto tags = TagInserter(s, 64);
  for (auto* ins : {&residents, &events, &tags}) ins->SendByCopy();
  // The residents before their events, whose key names them.
  LINLI_TRY(residents.AddRows(values.residents));
  LINLI_TRY(residents.Finish());
  LINLI_TRY(events.AddRows(values.events));
  LINLI_TRY(tags.AddRows(values.tags));
  LINLI_TRY(events.Finish());
  return tags.Finish();
}

Result<std::optional<ResidentRow>> ResidentRepo::Get(SqlSession& s, std::int64_t id) {
  return OneRow<ResidentRow>(s, std::string("SELECT ") + kResidentCols + " FROM residents r WHERE r.id = $1",
                             Int(id), ResidentFrom);
}

Result<std::vector<ResidentRow>> ResidentRepo::List(SqlSession& s, const ResidentListQuery& q) {
  std::string sql = std::string("SELECT ") + kResidentCols;
  std::vector<SqlValue> p;
  ResidentWhere(q, sql, p);
  // In the order of the index the scope filter uses (residents_path, or resident_tags' key).
  // Ordering by id alone let SQLite walk the whole table in id order looking for one grid's rows
  // (17 ms at 100 k residents, growing with the table).
  AppendPathPage(sql, p, "residents", q.tag_key ? "t.node_path" : "r.node_path", q.tag_key ? "t.resident_id" : "r.id",
                 q.after_id, q.limit);
  LINLI_ASSIGN_OR_RETURN(auto rows, s.Query(sql, Params(p)));
  std::vector<ResidentRow> out;
  out.reserve(rows.size());
  for (const auto& r : rows) out.push_back(ResidentFrom(r));
  return out;
}

Result<std::int64_t> ResidentRepo::Count(SqlSession& s, const ResidentListQuery& q) {
  std::string sql = "SELECT count(*)";
  std::vector<SqlValue> p;
  ResidentWhere(q, sql, p);
  LINLI_ASSIGN_OR_RETURN(auto rows, s.Query(sql, Params(p)));
  return rows[0].Int(0);
}

Result<std::vector<ResidentRow>> ResidentRepo::FindByIdIndex(SqlSession& s, std::string_view id_index) {
  LINLI_ASSIGN_OR_RETURN(auto rows, s.Query(std::string("SELECT ") + kResidentCols +
                                                " FROM residents r WHERE r.id_index = $1 ORDER BY r.id",
                                            {Text(id_index)}));
  std::vector<ResidentRow> out;
  for (const auto& r : rows) out.push_back(ResidentFrom(r));
  return out;
}

Result<std::unordered_set<std::string>> ResidentRepo::ActiveIdIndexes(SqlSession& s,
                                                                     const std::vector<std::string>& indexes) {
  std::unordered_set<std::string> found;
  // "Active" said as the second column of residents_id_number (migration 017), so both columns are
  // index conditions and each key is known to match at most one row. Said as status = 'active',
  // PostgreSQL's generic plan, cached while the residents table was empty and never analysed,
  // scanned the whole table for each batch of 500 as it grew (1–2 s each at 300 k residents).
  LINLI_TRY(QueryInBatches(s, "SELECT id_index FROM residents WHERE (CASE WHEN status = 'active' THEN 1 END) = 1 AND id_index IN ", indexes,
                           [&](const SqlRow& r) { found.insert(r.Text(0)); }));
  return found;
}

Result<std::vector<ResidentRow>> ResidentRepo::FindByPhoneIndex(SqlSession& s, std::string_view phone_index,
                                                                const std::vector<std::string>& prefixes) {
  std::string sql = std::string("SELECT ") + kResidentCols + " FROM residents r WHERE r.phone_index = $1 AND ";
  std::vector<SqlValue> p = {Text(phone_index)};
  AppendPrefixFilter(sql, "r.node_path", prefixes, p);
  sql += " ORDER BY r.id LIMIT 100";
  LINLI_ASSIGN_OR_RETURN(auto rows, s.Query(sql, Params(p)));
  std::vector<ResidentRow> out;
  for (const auto& r : rows) out.push_back(ResidentFrom(r));
  return out;
}

Result<std::int64_t> ResidentRepo::LikelyDuplicate(SqlSession& s, std::int64_t household_id, std::string_view name,
                                                   std::string_view birth_date, std::int64_t except_id) {
  if (household_id == 0) return 0;
  LINLI_ASSIGN_OR_RETURN(auto rows, s.Query("SELECT min(id) FROM residents WHERE household_id = $1 AND name = $2 "
                                            "AND birth_date = $3 AND status = 'active' AND id <> $4",
                                            {Int(household_id), Text(name), Text(birth_date), Int(except_id)}));
  return rows.empty() ? 0 : rows[0].Int(0);
}

Status ResidentRepo::Update(SqlSession& s, const ResidentRow& before, ResidentRow r) {
  LINLI_ASSIGN_OR_RETURN(auto changed, s.Exec(
      "UPDATE residents SET node_id = $3, node_path = $4, household_id = $5, relation = $6, name = $7, gender = $8, "
      "birth_date = $9, id_enc = $10, id_index = $11, phone_enc = $12, phone_index = $13, ethnic = $14, "
      "residence_type = $15, occupation = $16, tags = $17, sensitive_enc = $18, status = $19, duplicate_of = $20, "
      "updated_at = $21, version = version + 1 WHERE id = $1 AND version = $2",
      {Int(r.id), Int(before.version), Int(r.node_id), Text(r.node_path), IdOrNull(r.household_id),
       Text(r.relation), Text(r.name), Text(r.gender), Text(r.birth_date), TextOrNull(r.id_enc),
       TextOrNull(r.id_index), TextOrNull(r.phone_enc), TextOrNull(r.phone_index), Text(r.ethnic),
       Text(r.residence_type), Text(r.occupation), Text(r.tags), TextOrNull(r.sensitive_enc), Text(r.status),
       IdOrNull(r.duplicate_of), Int(r.updated_at)}));
  if (changed == 0) return Error{ErrorCode::kAborted, "the resident was changed by someone else; reload", "version"};
  LINLI_TRY(s.ExecDeferred("DELETE FROM resident_tags WHERE resident_id = $1", {Int(r.id)}));
  LINLI_TRY(WriteTags(s, r));
  bool was = before.status == "active", is = r.status == "active";
  if (was && (!is || before.node_path != r.node_path)) {
    LINLI_TRY(RollupRepo::Add(s, before.node_path, metric::kResidents, -1));
  }
  if (is && (!was || before.node_path != r.node_path)) {
    LINLI_TRY(RollupRepo::Add(s, r.node_path, metric::kResidents, 1));
  }
  return Ok();
}

Status ResidentRepo::MarkVisited(SqlSession& s, std::int64_t household_id, Millis at) {
  return s.ExecDeferred("UPDATE residents SET last_visited_at = $2 WHERE household_id = $1 AND status = 'active' "
                        "AND (last_visited_at IS NULL OR last_visited_at < $2)",
                        {Int(household_id), Int(at)});
}

Status ResidentRepo::AddEvent(SqlSession& s, ResidentEventRow e) {
  LINLI_ASSIGN_OR_RETURN(e.id, s.NextId("resident_events"));
  return InsertOne(EventInserter(s, 1), std::move(e), AppendEvent);
}

Result<std::vector<ResidentEventRow>> ResidentRepo::Events(SqlSession& s, std::int64_t resident_id) {
  LINLI_ASSIGN_OR_RETURN(auto rows, s.Query("SELECT id, resident_id, node_path, kind, at, actor_id, detail FROM "
                                            "resident_events WHERE resident_id = $1 ORDER BY id",
                                            {Int(resident_id)}));
  std::vector<ResidentEventRow> out;
  for (const auto& r : rows) {
    out.push_back({r.Int(0), r.Int(1), r.Text(2), r.Text(3), r.Int(4), r.Int(5), r.Text(6)});
  }
  return out;
}

// ---------------------------------------------------------------------------------------------
// Rows by id, 500 per query, for exports that join a page of records to their neighbours.
Result<std::unordered_map<std::int64_t, BuildingRow>> BuildingRepo::GetMany(SqlSession& s, const std::vector<std::int64_t>& ids) {
  std::unordered_map<std::int64_t, BuildingRow> out;
  LINLI_TRY(QueryInBatches(s, std::string("SELECT ") + kBuildingCols + " FROM buildings WHERE id IN ", ids,
                           [&](const SqlRow& r) { auto b = BuildingFrom(r); out.emplace(b.id, std::move(b)); }));
  return out;
}

Result<std::unordered_map<std::int64_t, HouseholdRow>> HouseholdRepo::GetMany(SqlSession& s, const std::vector<std::int64_t>& ids) {
  std::unordered_map<std::int64_t, HouseholdRow> out;
  LINLI_TRY(QueryInBatches(s, std::string("SELECT ") + kHouseholdCols + " FROM households WHERE id IN ", ids,
                           [&](const SqlRow& r) { auto h = HouseholdFrom(r); out.emplace(h.id, std::move(h)); }));
  return out;
}

Result<std::unordered_map<std::int64_t, ResidentRow>> ResidentRepo::GetMany(SqlSession& s, const std::vector<std::int64_t>& ids) {
  std::unordered_map<std::int64_t, ResidentRow> out;
  LINLI_TRY(QueryInBatches(s, std::string("SELECT ") + kResidentCols + " FROM residents r WHERE r.id IN ", ids,
                           [&](const SqlRow& r) { auto x = ResidentFrom(r); out.emplace(x.id, std::move(x)); }));
  return out;
}

// ---------------------------------------------------------------------------------------------
// Custom tag vocabularies

namespace {
constexpr const char* kCustomTagCols = "id, node_id, node_path, label, description, created_by, created_at, retired_at";
CustomTagRow CustomTagFrom(const SqlRow& r) {
  return {r.Int(0), r.Int(1), r.Text(2), r.Text(3), r.Text(4), r.Int(5), r.Int(6), r.Int(7)};
}
}  // namespace

Result<CustomTagRow> CustomTagRepo::Insert(SqlSession& s, CustomTagRow t) {
  LINLI_ASSIGN_OR_RETURN(t.id, s.NextId("custom_tags"));
  LINLI_TRY(s.Exec("INSERT INTO custom_tags (id, node_id, node_path, label, description, created_by, created_at) "
                   "VALUES ($1, $2, $3, $4, $5, $6, $7)",
                   {Int(t.id), Int(t.node_id), Text(t.node_path), Text(t.label), Text(t.description),
                    IdOrNull(t.created_by), Int(t.created_at)}));
  return t;
}

Result<std::optional<CustomTagRow>> CustomTagRepo::Get(SqlSession& s, std::int64_t id) {
  LINLI_ASSIGN_OR_RETURN(auto rows, s.Query(std::string("SELECT ") + kCustomTagCols + " FROM custom_tags WHERE id = $1",
                                            {Int(id)}));
  if (rows.empty()) return std::optional<CustomTagRow>();
  return std::optional<CustomTagRow>(CustomTagFrom(rows[0]));
}

Status CustomTagRepo::Retire(SqlSession& s, std::int64_t id, Millis at) {
  LINLI_TRY(s.Exec("UPDATE custom_tags SET retired_at = $2 WHERE id = $1 AND retired_at IS NULL", {Int(id), Int(at)}));
  return Ok();
}

Result<std::vector<CustomTagRow>> CustomTagRepo::ApplyingAt(SqlSession& s, std::string_view node_path,
                                                            bool include_retired) {
  auto ids = domain::PathIds(node_path);
  std::vector<CustomTagRow> out;
  if (ids.empty()) return out;
  std::vector<SqlValue> p;
  for (auto id : ids) p.push_back(Int(id));
  LINLI_ASSIGN_OR_RETURN(auto rows, s.Query(std::string("SELECT ") + kCustomTagCols + " FROM custom_tags WHERE node_id IN (" +
                                                Markers(1, ids.size()) + ")" +
                                                (include_retired ? "" : " AND retired_at IS NULL") + " ORDER BY label, id",
                                            Params(p)));
  for (const auto& r : rows) out.push_back(CustomTagFrom(r));
  return out;
}

}  // namespace linli::storage
