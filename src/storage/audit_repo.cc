#include "storage/audit_repo.h"

namespace linli::storage {
namespace {

constexpr const char* kCols =
    "seq, at, actor_id, actor_name, action, outcome, node_path, target, detail, ip, prev_hash, hash";

domain::AuditEntry FromRow(const SqlRow& r) {
  domain::AuditEntry e;
  e.seq = r.Int(0);
  e.at = r.Int(1);
  e.actor_id = r.Int(2);
  e.actor_name = r.Text(3);
  e.action = r.Text(4);
  e.outcome = r.Text(5);
  e.node_path = r.Text(6);
  e.target = r.Text(7);
  e.detail = r.Text(8);
  e.ip = r.Text(9);
  e.prev_hash = r.Text(10);
  e.hash = r.Text(11);
  return e;
}

}  // namespace

Status AuditRepo::Append(SqlSession& s, domain::AuditEntry& e) {
  // The head is read once, locked (FOR UPDATE on PostgreSQL; SQLite's write transaction is
  // exclusive already), then kept by the session across its transactions until one rolls back
  // (SqlSession::audit_head). So appends after the first wait for nothing: on PostgreSQL the
  // writer's next transaction needs no round trip before its COMMIT.
  if (!s.audit_head) {
    std::string head_sql = "SELECT seq, hash FROM audit_head WHERE id = 1";
    if (s.dialect() == Dialect::kPostgres) head_sql += " FOR UPDATE";
    LINLI_ASSIGN_OR_RETURN(auto head, s.Query(head_sql));
    if (head.empty()) return Error::Internal("the audit head is missing");
    s.audit_head = std::make_pair(head[0].Int(0), head[0].Text(1));
  }
  e.seq = s.audit_head->first + 1;
  e.prev_hash = s.audit_head->second;
  e.hash = domain::ComputeAuditHash(e);
  s.audit_head = std::make_pair(e.seq, e.hash);
  s.audit_head_dirty = true;
  static constexpr AppendTable kAuditLog{"audit_log", kCols};
  return AppendRow(s, kAuditLog,
                   {Int(e.seq), Int(e.at), Int(e.actor_id), Text(e.actor_name), Text(e.action), Text(e.outcome),
                    Text(e.node_path), Text(e.target), Text(e.detail), Text(e.ip), Text(e.prev_hash), Text(e.hash)});
}

Status AuditRepo::FlushHead(SqlSession& s) {
  if (!s.audit_head_dirty) return Ok();
  s.audit_head_dirty = false;
  return s.ExecDeferred("UPDATE audit_head SET seq = $1, hash = $2 WHERE id = 1",
                        {Int(s.audit_head->first), Text(s.audit_head->second)});
}

Result<std::vector<domain::AuditEntry>> AuditRepo::Query(SqlSession& s, const AuditQuery& q) {
  LINLI_TRY(FlushAppends(s));
  std::string sql = std::string("SELECT ") + kCols + " FROM audit_log WHERE (";
  std::vector<SqlValue> params;
  AppendPrefixFilter(sql, "node_path", q.scope_prefixes, params);
  if (q.include_unplaced) sql += " OR node_path = ''";
  sql += ")";
  if (q.actor_id) {
    params.emplace_back(*q.actor_id);
    sql += " AND actor_id = $" + std::to_string(params.size());
  }
  if (q.action) {
    if (q.action->ends_with('.')) {
      auto [lo, hi] = PrefixRange(*q.action);
      params.emplace_back(lo);
      sql += " AND action >= $" + std::to_string(params.size());
      params.emplace_back(hi);
      sql += " AND action < $" + std::to_string(params.size());
    } else {
      params.emplace_back(*q.action);
      sql += " AND action = $" + std::to_string(params.size());
    }
  }
  if (q.from) {
    params.emplace_back(*q.from);
    sql += " AND at >= $" + std::to_string(params.size());
  }
  if (q.to) {
    params.emplace_back(*q.to);
    sql += " AND at < $" + std::to_string(params.size());
  }
  if (q.before_seq > 0) {
    params.emplace_back(q.before_seq);
    sql += " AND seq < $" + std::to_string(params.size());
  }
  params.emplace_back(static_cast<std::int64_t>(q.limit));
  sql += " ORDER BY seq DESC LIMIT $" + std::to_string(params.size());
  LINLI_ASSIGN_OR_RETURN(auto rows, s.Query(sql, params));
  std::vector<domain::AuditEntry> out;
  for (const auto& r : rows) out.push_back(FromRow(r));
  return out;
}

Result<std::vector<domain::AuditEntry>> AuditRepo::Run(SqlSession& s, std::int64_t after_seq, int limit) {
  LINLI_TRY(FlushAppends(s));
  LINLI_ASSIGN_OR_RETURN(auto rows, s.Query(std::string("SELECT ") + kCols +
                                                " FROM audit_log WHERE seq > $1 ORDER BY seq LIMIT $2",
                                            {Int(after_seq), Int(limit)}));
  std::vector<domain::AuditEntry> out;
  for (const auto& r : rows) out.push_back(FromRow(r));
  return out;
}

Result<std::pair<std::int64_t, std::string>> AuditRepo::Head(SqlSession& s) {
  LINLI_ASSIGN_OR_RETURN(auto rows, s.Query("SELECT seq, hash FROM audit_head WHERE id = 1"));
  if (rows.empty()) return Error::Internal("the audit head is missing");
  return std::make_pair(rows[0].Int(0), rows[0].Text(1));
}

}  // namespace linli::storage
