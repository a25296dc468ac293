#include "storage/org_repo.h"

#include <algorithm>
#include <unordered_map>

#include "storage/registry_repo.h"

namespace linli::storage {
namespace {

constexpr const char* kCols =
    "id, parent_id, type, code, name, path, archived, created_at, updated_at, version";

domain::OrgNode FromRow(const SqlRow& r) {
  domain::OrgNode n;
  n.id = r.Int(0);
  n.parent_id = r.Int(1);
  n.type = domain::ParseNodeType(r.Text(2)).value_or(domain::NodeType::kGrid);
  n.code = r.Text(3);
  n.name = r.Text(4);
  n.path = r.Text(5);
  n.archived = r.Int(6) != 0;
  n.created_at = r.Int(7);
  n.updated_at = r.Int(8);
  n.version = r.Int(9);
  return n;
}

Result<std::optional<domain::OrgNode>> One(SqlSession& s, std::string_view where, SqlValue v) {
  std::string sql = std::string("SELECT ") + kCols + " FROM org_nodes WHERE " + std::string(where);
  LINLI_ASSIGN_OR_RETURN(auto rows, s.Query(sql, {std::move(v)}));
  if (rows.empty()) return std::optional<domain::OrgNode>();
  return std::optional<domain::OrgNode>(FromRow(rows[0]));
}

}  // namespace

Result<std::optional<domain::OrgNode>> OrgRepo::Get(SqlSession& s, std::int64_t id) {
  return One(s, "id = $1", Int(id));
}

Result<std::vector<domain::OrgNode>> OrgRepo::GetMany(SqlSession& s, const std::vector<std::int64_t>& ids) {
  constexpr std::size_t kIdsPerQuery = 100;
  std::unordered_map<std::int64_t, domain::OrgNode> found;
  std::vector<SqlValue> p;
  for (std::size_t i = 0; i < ids.size(); i += kIdsPerQuery) {
    std::size_t n = std::min(kIdsPerQuery, ids.size() - i);
    p.clear();
    for (std::size_t k = 0; k < n; ++k) p.push_back(Int(ids[i + k]));
    LINLI_ASSIGN_OR_RETURN(auto rows, s.Query(std::string("SELECT ") + kCols + " FROM org_nodes WHERE id IN (" +
                                                  Markers(1, n) + ")", Params(p)));
    for (const auto& r : rows) {
      auto node = FromRow(r);
      found.emplace(node.id, std::move(node));
    }
  }
  std::vector<domain::OrgNode> out;
  for (auto id : ids) {
    if (auto it = found.find(id); it != found.end()) out.push_back(it->second);
  }
  return out;
}

Result<std::vector<std::int64_t>> OrgRepo::RootIds(SqlSession& s) {
  LINLI_ASSIGN_OR_RETURN(auto rows, s.Query("SELECT id FROM org_nodes WHERE parent_id IS NULL ORDER BY id"));
  std::vector<std::int64_t> out;
  for (const auto& r : rows) out.push_back(r.Int(0));
  return out;
}

Result<std::optional<domain::OrgNode>> OrgRepo::GetByCode(SqlSession& s, std::string_view code) {
  return One(s, "code = $1", Text(code));
}

Result<std::unordered_map<std::string, domain::OrgNode>> OrgRepo::ByCodes(SqlSession& s, std::vector<std::string> codes) {
  std::unordered_map<std::string, domain::OrgNode> found;
  LINLI_TRY(QueryInBatches(s, std::string("SELECT ") + kCols + " FROM org_nodes WHERE code IN ", std::move(codes),
                           [&](const SqlRow& r) {
                             auto n = FromRow(r);
                             found.emplace(n.code, std::move(n));
                           }));
  return found;
}

Result<std::pair<std::optional<domain::OrgNode>, bool>> OrgRepo::GetWithCodeTaken(
    SqlSession& s, std::int64_t id, std::string_view code) {
  // A row for the code check always comes back; the node's columns are NULL when id is unknown.
  std::string sql = std::string("SELECT (SELECT count(*) FROM org_nodes WHERE code = $2), n.") +
                    "id, n.parent_id, n.type, n.code, n.name, n.path, n.archived, n.created_at, "
                    "n.updated_at, n.version FROM (SELECT 1 AS one) AS x LEFT JOIN org_nodes n ON n.id = $1";
  LINLI_ASSIGN_OR_RETURN(auto rows, s.Query(sql, {Int(id), Text(code)}));
  bool taken = rows[0].Int(0) > 0;
  if (rows[0].IsNull(1)) return std::make_pair(std::optional<domain::OrgNode>(), taken);
  SqlRow node_row;
  node_row.cols.assign(rows[0].cols.begin() + 1, rows[0].cols.end());
  return std::make_pair(std::optional<domain::OrgNode>(FromRow(node_row)), taken);
}

Result<domain::OrgNode> OrgRepo::Insert(SqlSession& s, domain::OrgNode node,
                                        const std::string& parent_path) {
  LINLI_ASSIGN_OR_RETURN(node.id, s.NextId("org_nodes"));
  node.path = domain::ChildPath(parent_path, node.id);
  node.updated_at = node.created_at;
  node.version = 1;
  std::vector<SqlValue> params = {Int(node.id), Int(node.parent_id), Text(parent_path),
                                  Text(domain::NodeTypeName(node.type)), Text(node.code),
                                  Text(node.name), Text(node.path), Int(node.created_at)};
  Status st = s.ExecDeferred(
      "INSERT INTO org_nodes (id, parent_id, type, code, name, path, archived, created_at, updated_at, version) "
      "VALUES ($1, (SELECT p.id FROM org_nodes p WHERE p.id = $2 AND p.path = $3 AND p.archived = 0), "
      "$4, $5, $6, $7, 0, $8, $8, 1)",
      Params(params));
  if (!st) {
    Error e = st.error();
    if (e.code == ErrorCode::kAlreadyExists && e.field == "code") {
      return Error::Exists("code", "an org node with code " + node.code + " exists already");
    }
    return e;
  }
  return node;
}

Status OrgRepo::Rename(SqlSession& s, std::int64_t id, std::int64_t expected_version,
                       const std::string& name, Millis now) {
  LINLI_ASSIGN_OR_RETURN(auto n, s.Exec("UPDATE org_nodes SET name = $1, updated_at = $2, version = version + 1 "
                                        "WHERE id = $3 AND version = $4",
                                        {Text(name), Int(now), Int(id), Int(expected_version)}));
  if (n == 0) return Error{ErrorCode::kAborted, "the node was changed by someone else; reload it", {}};
  return Ok();
}

Status OrgRepo::SetArchived(SqlSession& s, std::int64_t id, std::int64_t expected_version,
                            bool archived, Millis now) {
  LINLI_ASSIGN_OR_RETURN(auto n, s.Exec("UPDATE org_nodes SET archived = $1, updated_at = $2, version = version + 1 "
                                        "WHERE id = $3 AND version = $4",
                                        {Int(archived ? 1 : 0), Int(now), Int(id), Int(expected_version)}));
  if (n == 0) return Error{ErrorCode::kAborted, "the node was changed by someone else; reload it", {}};
  return Ok();
}

Status OrgRepo::Move(SqlSession& s, const domain::OrgNode& node, std::int64_t new_parent_id,
                     const std::string& new_path, const std::string& new_code, Millis now) {
  LINLI_ASSIGN_OR_RETURN(auto n, s.Exec("UPDATE org_nodes SET parent_id = $1, updated_at = $2, version = version + 1 "
                                        "WHERE id = $3 AND version = $4",
                                        {IdOrNull(new_parent_id), Int(now), Int(node.id), Int(node.version)}));
  if (n == 0) return Error{ErrorCode::kAborted, "the node was changed by someone else; reload it", {}};
  // Rewrite the prefix of every path in the subtree, the node itself included. Two steps via a
  // marker prefix so the UNIQUE(path) index never sees a transient clash.
  auto [lo, hi] = PrefixRange(node.path);
  // Codes carry their ancestors' codes: the subtree's codes that start with the node's code take
  // the new one instead (the new code is free, so no code in between clashes).
  if (new_code != node.code) {
    LINLI_TRY(s.Exec("UPDATE org_nodes SET code = $1 || substr(code, $2) WHERE path >= $3 AND path < $4 "
                     "AND substr(code, 1, $5) = $6",
                     {Text(new_code), Int(static_cast<std::int64_t>(node.code.size()) + 1), Text(lo), Text(hi),
                      Int(static_cast<std::int64_t>(node.code.size())), Text(node.code)}));
  }
  std::string marker = "~" + std::to_string(node.id) + "~";
  LINLI_TRY(s.Exec("UPDATE org_nodes SET path = $1 || substr(path, $2) WHERE path >= $3 AND path < $4",
                   {Text(marker), Int(static_cast<std::int64_t>(node.path.size()) + 1), Text(lo), Text(hi)}));
  auto [mlo, mhi] = PrefixRange(marker);
  LINLI_TRY(s.Exec("UPDATE org_nodes SET path = $1 || substr(path, $2) WHERE path >= $3 AND path < $4",
                   {Text(new_path), Int(static_cast<std::int64_t>(marker.size()) + 1), Text(mlo), Text(mhi)}));
  // Records follow their node: every table that carries node_path for scoping, the batch's
  // held-back rows (new cases) written first.
  LINLI_TRY(FlushAppends(s));
  for (std::string_view table : PathBearingTables()) {
    LINLI_TRY(s.Exec("UPDATE " + std::string(table) +
                         " SET node_path = $1 || substr(node_path, $2) WHERE node_path >= $3 AND node_path < $4",
                     {Text(new_path), Int(static_cast<std::int64_t>(node.path.size()) + 1), Text(lo), Text(hi)}));
  }
  // The subtree's own counts are unchanged; its old ancestors lose them and the new ones gain them.
  LINLI_ASSIGN_OR_RETURN(auto counts, RollupRepo::ForNode(s, node.id));
  std::string old_parent_path = domain::ParentPath(node.path);
  std::string new_parent_path = domain::ParentPath(new_path);
  for (const auto& [metric, value] : counts) {
    LINLI_TRY(RollupRepo::Add(s, old_parent_path, metric, -value));
    LINLI_TRY(RollupRepo::Add(s, new_parent_path, metric, value));
  }
  return Ok();
}

const std::vector<std::string_view>& PathBearingTables() {
  static const std::vector<std::string_view> tables = {
      "buildings", "households", "residents", "resident_tags", "resident_events", "staff_positions",
      "sweeps",    "sweep_households", "visits", "org_changes", "custom_tags", "cases", "council_meetings"};
  return tables;
}

Result<std::vector<domain::OrgNode>> OrgRepo::List(SqlSession& s, const OrgListQuery& q) {
  std::string sql = std::string("SELECT ") + kCols + " FROM org_nodes WHERE ";
  std::vector<SqlValue> params;
  AppendPrefixFilter(sql, "path", q.scope_prefixes, params);
  if (q.parent_id) {
    if (*q.parent_id == 0) {
      sql += " AND parent_id IS NULL";
    } else {
      params.emplace_back(*q.parent_id);
      sql += " AND parent_id = $" + std::to_string(params.size());
    }
  }
  if (q.type) {
    params.emplace_back(std::string(domain::NodeTypeName(*q.type)));
    sql += " AND type = $" + std::to_string(params.size());
  }
  if (!q.include_archived) sql += " AND archived = 0";
  params.emplace_back(q.after_id);
  sql += " AND id > $" + std::to_string(params.size());
  params.emplace_back(static_cast<std::int64_t>(q.limit));
  sql += " ORDER BY id LIMIT $" + std::to_string(params.size());
  LINLI_ASSIGN_OR_RETURN(auto rows, s.Query(sql, params));
  std::vector<domain::OrgNode> out;
  out.reserve(rows.size());
  for (const auto& r : rows) out.push_back(FromRow(r));
  return out;
}

Result<std::int64_t> OrgRepo::CountActiveChildren(SqlSession& s, std::int64_t id) {
  LINLI_ASSIGN_OR_RETURN(auto rows, s.Query("SELECT count(*) FROM org_nodes WHERE parent_id = $1 AND archived = 0", {Int(id)}));
  return rows[0].Int(0);
}

}  // namespace linli::storage

namespace linli::storage {
namespace {
constexpr const char* kBoundaryCols = "id, parent_id, type, path, boundary, centroid_lon, centroid_lat";
NodeBoundary BoundaryFrom(const SqlRow& r) {
  NodeBoundary b;
  b.node_id = r.Int(0);
  b.parent_id = r.Int(1);
  b.type = domain::ParseNodeType(r.Text(2)).value_or(domain::NodeType::kGrid);
  b.path = r.Text(3);
  b.geojson = r.Text(4);
  if (!r.IsNull(5)) b.centroid_lon = r.Real(5);
  if (!r.IsNull(6)) b.centroid_lat = r.Real(6);
  return b;
}
Result<std::vector<NodeBoundary>> Boundaries(SqlSession& s, const std::string& where, std::vector<SqlValue> p) {
  LINLI_ASSIGN_OR_RETURN(auto rows, s.Query(std::string("SELECT ") + kBoundaryCols + " FROM org_nodes WHERE " + where +
                                                " ORDER BY id",
                                            Params(p)));
  std::vector<NodeBoundary> out;
  for (const auto& r : rows) out.push_back(BoundaryFrom(r));
  return out;
}
}  // namespace

Status BoundaryRepo::Set(SqlSession& s, std::int64_t node_id, const std::string& geojson, double lon, double lat,
                         Millis now) {
  return s.ExecDeferred("UPDATE org_nodes SET boundary = $2, centroid_lon = $3, centroid_lat = $4, updated_at = $5, "
                        "version = version + 1 WHERE id = $1",
                        {Int(node_id), Text(geojson), lon, lat, Int(now)});
}

Result<std::optional<NodeBoundary>> BoundaryRepo::Get(SqlSession& s, std::int64_t node_id) {
  LINLI_ASSIGN_OR_RETURN(auto v, Boundaries(s, "id = $1", {Int(node_id)}));
  if (v.empty()) return std::optional<NodeBoundary>();
  return std::optional<NodeBoundary>(std::move(v[0]));
}

Result<std::vector<NodeBoundary>> BoundaryRepo::Children(SqlSession& s, std::int64_t parent_id) {
  return Boundaries(s, "parent_id = $1 AND archived = 0 AND boundary IS NOT NULL", {Int(parent_id)});
}

Result<std::vector<NodeBoundary>> BoundaryRepo::All(SqlSession& s) {
  return Boundaries(s, "archived = 0 AND boundary IS NOT NULL", {});
}

Result<std::vector<OrgChangeRow>> BoundaryRepo::Changes(SqlSession& s, std::int64_t node_id) {
  LINLI_ASSIGN_OR_RETURN(auto rows, s.Query("SELECT id, node_id, kind, detail, actor_id, at FROM org_changes "
                                            "WHERE node_id = $1 ORDER BY id",
                                            {Int(node_id)}));
  std::vector<OrgChangeRow> out;
  for (const auto& r : rows) out.push_back({r.Int(0), r.Int(1), r.Text(2), r.Text(3), r.Int(4), r.Int(5)});
  return out;
}

Status BoundaryRepo::AddChange(SqlSession& s, std::int64_t node_id, const std::string& node_path,
                               std::string_view kind, const std::string& detail, std::int64_t actor_id, Millis now) {
  LINLI_ASSIGN_OR_RETURN(auto id, s.NextId("org_changes"));
  return s.ExecDeferred("INSERT INTO org_changes (id, node_id, node_path, kind, detail, actor_id, at) "
                        "VALUES ($1, $2, $3, $4, $5, $6, $7)",
                        {Int(id), Int(node_id), Text(node_path), Text(kind), Text(detail), Int(actor_id), Int(now)});
}

}  // namespace linli::storage
