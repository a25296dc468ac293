#include "storage/fieldwork_repo.h"

namespace linli::storage {
namespace {

constexpr const char* kStaffCols =
    "p.id, p.user_id, u.username, u.display_name, p.node_id, p.node_path, p.position, p.building_id, p.since, p.ended_at";

StaffPositionRow StaffFrom(const SqlRow& r) {
  return {r.Int(0), r.Int(1), r.Text(2), r.Text(3), r.Int(4), r.Text(5), r.Text(6), r.Int(7), r.Int(8), r.Int(9)};
}

Result<std::vector<StaffPositionRow>> StaffQuery(SqlSession& s, const std::string& where, std::vector<SqlValue> p) {
  LINLI_ASSIGN_OR_RETURN(auto rows, s.Query(std::string("SELECT ") + kStaffCols +
                                                " FROM staff_positions p JOIN users u ON u.id = p.user_id WHERE "
                                                "p.ended_at IS NULL AND " + where,
                                            Params(p)));
  std::vector<StaffPositionRow> out;
  for (const auto& r : rows) out.push_back(StaffFrom(r));
  return out;
}

constexpr const char* kSweepCols =
    "id, node_id, node_path, title, households, visited, due_at, closed_at, created_by, created_at";

SweepRow SweepFrom(const SqlRow& r) {
  return {r.Int(0), r.Int(1), r.Text(2), r.Text(3), r.Int(4), r.Int(5), r.Int(6), r.Int(7), r.Int(8), r.Int(9)};
}

}  // namespace

Result<StaffPositionRow> StaffRepo::Insert(SqlSession& s, StaffPositionRow p) {
  LINLI_ASSIGN_OR_RETURN(p.id, s.NextId("staff_positions"));
  LINLI_TRY(s.ExecDeferred("INSERT INTO staff_positions (id, user_id, node_id, node_path, position, building_id, since, "
                           "created_by) VALUES ($1, $2, $3, $4, $5, $6, $7, $8)",
                           {Int(p.id), Int(p.user_id), Int(p.node_id), Text(p.node_path), Text(p.position),
                            IdOrNull(p.building_id), Int(p.since), Int(p.created_by)}));
  return p;
}

Result<std::optional<StaffPositionRow>> StaffRepo::Get(SqlSession& s, std::int64_t id) {
  LINLI_ASSIGN_OR_RETURN(auto rows, s.Query(std::string("SELECT ") + kStaffCols +
                                                " FROM staff_positions p JOIN users u ON u.id = p.user_id WHERE p.id = $1",
                                            {Int(id)}));
  if (rows.empty()) return std::optional<StaffPositionRow>();
  return std::optional<StaffPositionRow>(StaffFrom(rows[0]));
}

Status StaffRepo::End(SqlSession& s, std::int64_t id, Millis at) {
  return s.ExecDeferred("UPDATE staff_positions SET ended_at = $2 WHERE id = $1 AND ended_at IS NULL", {Int(id), Int(at)});
}

Result<std::vector<StaffPositionRow>> StaffRepo::Under(SqlSession& s, const std::vector<std::string>& prefixes,
                                                       std::int64_t after_id, int limit) {
  std::string where;
  std::vector<SqlValue> p;
  AppendPrefixFilter(where, "p.node_path", prefixes, p);
  where += " AND p.id > " + NextMarker(p);
  p.push_back(Int(after_id));
  where += " ORDER BY p.id LIMIT " + NextMarker(p);
  p.push_back(Int(limit));
  return StaffQuery(s, where, std::move(p));
}

Result<std::vector<StaffPositionRow>> StaffRepo::AtNodes(SqlSession& s, const std::vector<std::int64_t>& node_ids) {
  if (node_ids.empty()) return std::vector<StaffPositionRow>();
  std::string where = "p.node_id IN (";
  std::vector<SqlValue> p;
  for (std::size_t i = 0; i < node_ids.size(); ++i) {
    where += (i ? ", " : "") + NextMarker(p);
    p.push_back(Int(node_ids[i]));
  }
  where += ") AND p.building_id IS NULL ORDER BY p.node_path DESC, p.id";
  return StaffQuery(s, where, std::move(p));
}

Result<std::vector<StaffPositionRow>> StaffRepo::ForBuilding(SqlSession& s, std::int64_t building_id) {
  return StaffQuery(s, "p.building_id = $1 ORDER BY p.id", {Int(building_id)});
}

Result<SweepRow> SweepRepo::Create(SqlSession& s, SweepRow sweep) {
  LINLI_ASSIGN_OR_RETURN(sweep.id, s.NextId("sweeps"));
  auto [lo, hi] = PrefixRange(sweep.node_path);
  LINLI_ASSIGN_OR_RETURN(auto count, s.Query("SELECT count(*) FROM households WHERE status = 'active' AND node_path >= $1 "
                                             "AND node_path < $2",
                                             {Text(lo), Text(hi)}));
  sweep.households = count[0].Int(0);
  LINLI_TRY(s.ExecDeferred("INSERT INTO sweeps (id, node_id, node_path, title, households, visited, due_at, created_by, "
                           "created_at) VALUES ($1, $2, $3, $4, $5, 0, $6, $7, $8)",
                           {Int(sweep.id), Int(sweep.node_id), Text(sweep.node_path), Text(sweep.title),
                            Int(sweep.households), IdOrNull(sweep.due_at), Int(sweep.created_by), Int(sweep.created_at)}));
  LINLI_TRY(s.ExecDeferred("INSERT INTO sweep_households (sweep_id, household_id, node_path) SELECT $1, id, node_path "
                           "FROM households WHERE status = 'active' AND node_path >= $2 AND node_path < $3",
                           {Int(sweep.id), Text(lo), Text(hi)}));
  return sweep;
}

Result<std::optional<SweepRow>> SweepRepo::Get(SqlSession& s, std::int64_t id) {
  LINLI_ASSIGN_OR_RETURN(auto rows, s.Query(std::string("SELECT ") + kSweepCols + " FROM sweeps WHERE id = $1", {Int(id)}));
  if (rows.empty()) return std::optional<SweepRow>();
  return std::optional<SweepRow>(SweepFrom(rows[0]));
}

Result<std::vector<SweepRow>> SweepRepo::List(SqlSession& s, const std::vector<std::string>& prefixes,
                                              std::int64_t after_id, int limit) {
  std::string sql = std::string("SELECT ") + kSweepCols + " FROM sweeps WHERE ";
  std::vector<SqlValue> p;
  AppendPrefixFilter(sql, "node_path", prefixes, p);
  AppendPathPage(sql, p, "sweeps", "node_path", "id", after_id, limit);
  LINLI_ASSIGN_OR_RETURN(auto rows, s.Query(sql, Params(p)));
  std::vector<SweepRow> out;
  for (const auto& r : rows) out.push_back(SweepFrom(r));
  return out;
}

Result<std::vector<ProgressRow>> SweepRepo::ProgressByNode(SqlSession& s, std::int64_t sweep_id) {
  LINLI_ASSIGN_OR_RETURN(auto rows, s.Query("SELECT h.node_id, count(*), count(sh.visit_id) FROM sweep_households sh "
                                            "JOIN households h ON h.id = sh.household_id WHERE sh.sweep_id = $1 "
                                            "GROUP BY h.node_id ORDER BY h.node_id",
                                            {Int(sweep_id)}));
  std::vector<ProgressRow> out;
  for (const auto& r : rows) out.push_back({std::to_string(r.Int(0)), r.Int(1), r.Int(2)});
  return out;
}

Result<std::vector<ProgressRow>> SweepRepo::ProgressByVisitor(SqlSession& s, std::int64_t sweep_id) {
  LINLI_ASSIGN_OR_RETURN(auto rows, s.Query("SELECT visitor_id, count(*) FROM sweep_households WHERE sweep_id = $1 "
                                            "AND visitor_id IS NOT NULL GROUP BY visitor_id ORDER BY visitor_id",
                                            {Int(sweep_id)}));
  std::vector<ProgressRow> out;
  for (const auto& r : rows) out.push_back({std::to_string(r.Int(0)), r.Int(1), r.Int(1)});
  return out;
}

Result<std::vector<std::pair<std::int64_t, std::string>>> SweepRepo::Households(SqlSession& s, std::int64_t sweep_id,
                                                                                bool pending_only, std::int64_t after_id,
                                                                                int limit) {
  std::string sql = "SELECT household_id, outcome FROM sweep_households WHERE sweep_id = $1 AND household_id > $2";
  if (pending_only) sql += " AND visit_id IS NULL";
  sql += " ORDER BY household_id LIMIT $3";
  LINLI_ASSIGN_OR_RETURN(auto rows, s.Query(sql, {Int(sweep_id), Int(after_id), Int(limit)}));
  std::vector<std::pair<std::int64_t, std::string>> out;
  for (const auto& r : rows) out.emplace_back(r.Int(0), r.Text(1));
  return out;
}

Result<bool> SweepRepo::RecordVisit(SqlSession& s, std::int64_t sweep_id, std::int64_t household_id, std::int64_t visit_id,
                                    std::int64_t visitor_id, const std::string& outcome) {
  LINLI_ASSIGN_OR_RETURN(auto first, s.Exec("UPDATE sweep_households SET visit_id = $3, visitor_id = $4, outcome = $5 "
                                            "WHERE sweep_id = $1 AND household_id = $2 AND visit_id IS NULL",
                                            {Int(sweep_id), Int(household_id), Int(visit_id), Int(visitor_id), Text(outcome)}));
  if (first > 0) {
    LINLI_TRY(s.ExecDeferred("UPDATE sweeps SET visited = visited + 1 WHERE id = $1", {Int(sweep_id)}));
    return true;
  }
  // A later visit to the same household replaces the outcome (came back when someone was home).
  LINLI_TRY(s.ExecDeferred("UPDATE sweep_households SET visit_id = $3, visitor_id = $4, outcome = $5 "
                           "WHERE sweep_id = $1 AND household_id = $2",
                           {Int(sweep_id), Int(household_id), Int(visit_id), Int(visitor_id), Text(outcome)}));
  return false;
}

Result<VisitRow> VisitRepo::Insert(SqlSession& s, VisitRow v) {
  if (v.id == 0) {
    LINLI_ASSIGN_OR_RETURN(v.id, s.NextId("visits"));
  }
  LINLI_TRY(s.ExecDeferred("INSERT INTO visits (id, household_id, node_path, sweep_id, visitor_id, visited_at, outcome, "
                           "changes_enc, notes_enc, created_at) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10)",
                           {Int(v.id), Int(v.household_id), Text(v.node_path), IdOrNull(v.sweep_id), Int(v.visitor_id),
                            Int(v.visited_at), Text(v.outcome), TextOrNull(v.changes_enc), TextOrNull(v.notes_enc),
                            Int(v.created_at)}));
  return v;
}

Result<std::vector<VisitRow>> VisitRepo::List(SqlSession& s, const VisitListQuery& q) {
  std::string sql = "SELECT id, household_id, node_path, sweep_id, visitor_id, visited_at, outcome, changes_enc, notes_enc, "
                    "created_at FROM visits WHERE ";
  std::vector<SqlValue> p;
  AppendPrefixFilter(sql, "node_path", q.prefixes, p);
  auto add = [&](const char* condition, SqlValue v) {
    sql += std::string(" AND ") + condition + NextMarker(p);
    p.push_back(std::move(v));
  };
  if (q.household_id) add("household_id = ", Int(*q.household_id));
  if (q.sweep_id) add("sweep_id = ", Int(*q.sweep_id));
  if (q.since > 0) add("visited_at >= ", Int(q.since));
  if (q.until > 0) add("visited_at < ", Int(q.until));
  if (q.before_id > 0) add("id < ", Int(q.before_id));
  sql += " ORDER BY id DESC LIMIT " + NextMarker(p);
  p.push_back(Int(q.limit));
  LINLI_ASSIGN_OR_RETURN(auto rows, s.Query(sql, Params(p)));
  std::vector<VisitRow> out;
  for (const auto& r : rows) {
    out.push_back({r.Int(0), r.Int(1), r.Text(2), r.Int(3), r.Int(4), r.Int(5), r.Text(6), r.Text(7), r.Text(8), r.Int(9)});
  }
  return out;
}

}  // namespace linli::storage
