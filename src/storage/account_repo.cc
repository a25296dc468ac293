#include "storage/account_repo.h"

#include <sstream>

namespace linli::storage {
namespace {

constexpr const char* kUserCols =
    "u.id, u.username, u.display_name, u.password_hash, u.home_node_id, n.path, u.disabled, "
    "u.failed_logins, u.locked_until, u.password_changed_at, u.must_change_password, "
    "u.created_at, u.updated_at";

UserRecord UserFromRow(const SqlRow& r) {
  UserRecord u;
  u.id = r.Int(0);
  u.username = r.Text(1);
  u.display_name = r.Text(2);
  u.password_hash = r.Text(3);
  u.home_node_id = r.Int(4);
  u.home_path = r.Text(5);
  u.disabled = r.Int(6) != 0;
  u.failed_logins = static_cast<int>(r.Int(7));
  u.locked_until = r.Int(8);
  u.password_changed_at = r.Int(9);
  u.must_change_password = r.Int(10) != 0;
  u.created_at = r.Int(11);
  u.updated_at = r.Int(12);
  return u;
}

Result<std::optional<UserRecord>> OneUser(SqlSession& s, std::string_view where, SqlValue v) {
  std::string sql = std::string("SELECT ") + kUserCols +
                    " FROM users u JOIN org_nodes n ON n.id = u.home_node_id WHERE " + std::string(where);
  LINLI_ASSIGN_OR_RETURN(auto rows, s.Query(sql, {std::move(v)}));
  if (rows.empty()) return std::optional<UserRecord>();
  return std::optional<UserRecord>(UserFromRow(rows[0]));
}

std::string JoinPermissions(const std::set<std::string, std::less<>>& p) {
  std::string out;
  for (const auto& x : p) {
    if (!out.empty()) out += ' ';
    out += x;
  }
  return out;
}

std::optional<Millis> OptMillis(const SqlRow& r, std::size_t i) {
  if (r.IsNull(i)) return std::nullopt;
  return r.Int(i);
}

}  // namespace

Result<std::optional<UserRecord>> AccountRepo::UserById(SqlSession& s, std::int64_t id) {
  return OneUser(s, "u.id = $1", Int(id));
}

Result<std::optional<UserRecord>> AccountRepo::UserByName(SqlSession& s, std::string_view username) {
  return OneUser(s, "u.username = $1", Text(username));
}

Result<std::int64_t> AccountRepo::InsertUser(SqlSession& s, const UserRecord& u) {
  auto rows = s.Query(
      "INSERT INTO users (username, display_name, password_hash, home_node_id, disabled, "
      "failed_logins, locked_until, password_changed_at, must_change_password, created_at, updated_at) "
      "VALUES ($1, $2, $3, $4, 0, 0, 0, $5, $6, $5, $5) RETURNING id",
      {Text(u.username), Text(u.display_name), Text(u.password_hash), Int(u.home_node_id),
       Int(u.created_at), Int(u.must_change_password ? 1 : 0)});
  if (!rows) {
    if (rows.error().code == ErrorCode::kAlreadyExists) {
      return Error::Exists("username", "the username " + u.username + " is taken");
    }
    return rows.error();
  }
  return (*rows)[0].Int(0);
}

Status AccountRepo::UpdateLoginCounter(SqlSession& s, std::int64_t user_id, int failed,
                                       Millis locked_until) {
  return s.ExecDeferred("UPDATE users SET failed_logins = $1, locked_until = $2 WHERE id = $3",
                        {Int(failed), Int(locked_until), Int(user_id)});
}

Status AccountRepo::SetDisabled(SqlSession& s, std::int64_t user_id, bool disabled, Millis now) {
  LINLI_ASSIGN_OR_RETURN(auto n, s.Exec("UPDATE users SET disabled = $1, updated_at = $2 WHERE id = $3",
                                        {Int(disabled ? 1 : 0), Int(now), Int(user_id)}));
  if (n == 0) return Error::NotFound("no such user");
  return Ok();
}

Status AccountRepo::SetPassword(SqlSession& s, std::int64_t user_id, const std::string& hash,
                                bool must_change, Millis now) {
  LINLI_ASSIGN_OR_RETURN(auto n, s.Exec(
      "UPDATE users SET password_hash = $1, must_change_password = $2, password_changed_at = $3, "
      "updated_at = $3, failed_logins = 0, locked_until = 0 WHERE id = $4",
      {Text(hash), Int(must_change ? 1 : 0), Int(now), Int(user_id)}));
  if (n == 0) return Error::NotFound("no such user");
  return Ok();
}

Result<std::vector<UserRecord>> AccountRepo::ListUsers(SqlSession& s,
                                                       const std::vector<std::string>& scope_prefixes,
                                                       std::int64_t after_id, int limit) {
  std::string sql = std::string("SELECT ") + kUserCols +
                    " FROM users u JOIN org_nodes n ON n.id = u.home_node_id WHERE ";
  std::vector<SqlValue> params;
  AppendPrefixFilter(sql, "n.path", scope_prefixes, params);
  params.emplace_back(after_id);
  sql += " AND u.id > $" + std::to_string(params.size());
  params.emplace_back(static_cast<std::int64_t>(limit));
  sql += " ORDER BY u.id LIMIT $" + std::to_string(params.size());
  LINLI_ASSIGN_OR_RETURN(auto rows, s.Query(sql, params));
  std::vector<UserRecord> out;
  for (const auto& r : rows) out.push_back(UserFromRow(r));
  return out;
}

Result<std::vector<domain::RoleDefinition>> AccountRepo::Roles(SqlSession& s) {
  LINLI_ASSIGN_OR_RETURN(auto rows, s.Query("SELECT name, title, permissions FROM roles ORDER BY name"));
  std::vector<domain::RoleDefinition> out;
  for (const auto& r : rows) {
    domain::RoleDefinition d{r.Text(0), r.Text(1), {}};
    std::istringstream in(r.Text(2));
    std::string p;
    while (in >> p) d.permissions.insert(p);
    out.push_back(std::move(d));
  }
  return out;
}

Status AccountRepo::UpsertRole(SqlSession& s, const domain::RoleDefinition& r, Millis now,
                               bool overwrite) {
  std::string sql =
      "INSERT INTO roles (name, title, permissions, updated_at) VALUES ($1, $2, $3, $4) "
      "ON CONFLICT (name) DO ";
  sql += overwrite ? "UPDATE SET title = excluded.title, permissions = excluded.permissions, "
                     "updated_at = excluded.updated_at"
                   : "NOTHING";
  LINLI_TRY(s.Exec(sql, {Text(r.name), Text(r.title_zh), Text(JoinPermissions(r.permissions)), Int(now)}));
  return Ok();
}

Result<std::vector<AssignmentRecord>> AccountRepo::AssignmentsOf(SqlSession& s, std::int64_t user_id) {
  LINLI_ASSIGN_OR_RETURN(auto rows, s.Query(
      "SELECT a.id, a.user_id, a.role, a.node_id, n.path, n.name FROM role_assignments a "
      "JOIN org_nodes n ON n.id = a.node_id WHERE a.user_id = $1 AND n.archived = 0 ORDER BY a.id",
      {Int(user_id)}));
  std::vector<AssignmentRecord> out;
  for (const auto& r : rows) {
    out.push_back({r.Int(0), r.Int(1), r.Text(2), r.Int(3), r.Text(4), r.Text(5)});
  }
  return out;
}

Result<std::vector<std::int64_t>> AccountRepo::HoldersAt(SqlSession& s, std::int64_t node_id,
                                                        std::string_view permission) {
  // roles.permissions is a space-separated list: pad it so a whole name matches, never a part.
  return ManyRows<std::int64_t>(
      s,
      "SELECT DISTINCT a.user_id FROM role_assignments a JOIN users u ON u.id = a.user_id "
      "JOIN roles r ON r.name = a.role WHERE a.node_id = $1 AND u.disabled = 0 "
      "AND ' ' || r.permissions || ' ' LIKE $2 ESCAPE '\\' ORDER BY a.user_id",
      std::vector<SqlValue>{Int(node_id), Text(LikeContaining(" " + std::string(permission) + " "))},
      [](const SqlRow& r) { return r.Int(0); });
}

Result<std::vector<std::string>> AccountRepo::DepartmentsOf(SqlSession& s, std::int64_t user_id) {
  return ManyRows<std::string>(s, "SELECT department FROM department_members WHERE user_id = $1 ORDER BY department",
                               std::vector<SqlValue>{Int(user_id)}, [](const SqlRow& r) { return r.Text(0); });
}

Status AccountRepo::SetDepartments(SqlSession& s, std::int64_t user_id, const std::vector<std::string>& departments,
                                   Millis now) {
  LINLI_TRY(s.ExecDeferred("DELETE FROM department_members WHERE user_id = $1", {Int(user_id)}));
  for (const auto& d : departments) {
    LINLI_TRY(s.ExecDeferred("INSERT INTO department_members (user_id, department, created_at) VALUES ($1, $2, $3)",
                             {Int(user_id), Text(d), Int(now)}));
  }
  return Ok();
}

Result<std::vector<std::int64_t>> AccountRepo::DepartmentMembers(SqlSession& s, std::string_view department) {
  return ManyRows<std::int64_t>(s,
                                "SELECT m.user_id FROM department_members m JOIN users u ON u.id = m.user_id "
                                "WHERE m.department = $1 AND u.disabled = 0 ORDER BY m.user_id",
                                std::vector<SqlValue>{Text(department)}, [](const SqlRow& r) { return r.Int(0); });
}

Result<std::vector<std::string>> AccountRepo::StaffedDepartments(SqlSession& s) {
  return ManyRows<std::string>(s, "SELECT DISTINCT department FROM department_members ORDER BY department",
                               std::vector<SqlValue>{}, [](const SqlRow& r) { return r.Text(0); });
}

Result<std::int64_t> AccountRepo::InsertAssignment(SqlSession& s, std::int64_t user_id,
                                                   const std::string& role, std::int64_t node_id,
                                                   std::int64_t by, Millis now) {
  auto rows = s.Query(
      "INSERT INTO role_assignments (user_id, role, node_id, created_at, created_by) "
      "VALUES ($1, $2, $3, $4, $5) RETURNING id",
      {Int(user_id), Text(role), Int(node_id), Int(now), Int(by)});
  if (!rows) {
    if (rows.error().code == ErrorCode::kAlreadyExists) {
      return Error::Exists("role", "the user holds this role at this node already");
    }
    return rows.error();
  }
  return (*rows)[0].Int(0);
}

Result<std::optional<AssignmentRecord>> AccountRepo::AssignmentById(SqlSession& s, std::int64_t id) {
  LINLI_ASSIGN_OR_RETURN(auto rows, s.Query(
      "SELECT a.id, a.user_id, a.role, a.node_id, n.path, n.name FROM role_assignments a "
      "JOIN org_nodes n ON n.id = a.node_id WHERE a.id = $1", {Int(id)}));
  if (rows.empty()) return std::optional<AssignmentRecord>();
  const auto& r = rows[0];
  return std::optional<AssignmentRecord>(
      AssignmentRecord{r.Int(0), r.Int(1), r.Text(2), r.Int(3), r.Text(4), r.Text(5)});
}

Status AccountRepo::DeleteAssignment(SqlSession& s, std::int64_t id) {
  LINLI_TRY(s.Exec("DELETE FROM role_assignments WHERE id = $1", {Int(id)}));
  return Ok();
}

Result<std::int64_t> AccountRepo::InsertSession(SqlSession& s, const std::string& token_hash,
                                                const SessionRecord& r) {
  LINLI_ASSIGN_OR_RETURN(auto rows, s.Query(
      "INSERT INTO sessions (token_hash, user_id, csrf_token, created_at, last_seen_at, ip, user_agent) "
      "VALUES ($1, $2, $3, $4, $4, $5, $6) RETURNING id",
      {Text(token_hash), Int(r.user_id), Text(r.csrf_token), Int(r.created_at), Text(r.ip),
       Text(r.user_agent)}));
  return rows[0].Int(0);
}

Result<std::optional<SessionRecord>> AccountRepo::LiveSessionByHash(SqlSession& s,
                                                                    const std::string& token_hash) {
  LINLI_ASSIGN_OR_RETURN(auto rows, s.Query(
      "SELECT id, user_id, csrf_token, created_at, last_seen_at, ip, user_agent FROM sessions "
      "WHERE token_hash = $1 AND revoked_at IS NULL", {Text(token_hash)}));
  if (rows.empty()) return std::optional<SessionRecord>();
  const auto& r = rows[0];
  return std::optional<SessionRecord>(
      SessionRecord{r.Int(0), r.Int(1), r.Text(2), r.Int(3), r.Int(4), r.Text(5), r.Text(6)});
}

Status AccountRepo::TouchSession(SqlSession& s, std::int64_t id, Millis now) {
  return s.ExecDeferred("UPDATE sessions SET last_seen_at = $1 WHERE id = $2 AND last_seen_at < $1",
                        {Int(now), Int(id)});
}

Result<std::int64_t> AccountRepo::RevokeSession(SqlSession& s, std::int64_t id, std::int64_t user_id,
                                                Millis now) {
  return s.Exec("UPDATE sessions SET revoked_at = $1 WHERE id = $2 AND user_id = $3 AND revoked_at IS NULL",
                {Int(now), Int(id), Int(user_id)});
}

Status AccountRepo::RevokeAllSessions(SqlSession& s, std::int64_t user_id, Millis now) {
  return s.ExecDeferred("UPDATE sessions SET revoked_at = $1 WHERE user_id = $2 AND revoked_at IS NULL",
                        {Int(now), Int(user_id)});
}

Result<std::vector<SessionRecord>> AccountRepo::SessionsOf(SqlSession& s, std::int64_t user_id,
                                                           Millis alive_since) {
  LINLI_ASSIGN_OR_RETURN(auto rows, s.Query(
      "SELECT id, user_id, '', created_at, last_seen_at, ip, user_agent FROM sessions "
      "WHERE user_id = $1 AND revoked_at IS NULL AND last_seen_at >= $2 ORDER BY created_at DESC LIMIT 100",
      {Int(user_id), Int(alive_since)}));
  std::vector<SessionRecord> out;
  for (const auto& r : rows) {
    out.push_back({r.Int(0), r.Int(1), {}, r.Int(3), r.Int(4), r.Text(5), r.Text(6)});
  }
  return out;
}

Result<std::int64_t> AccountRepo::InsertApiKey(SqlSession& s, const std::string& key_hash,
                                               const ApiKeyRecord& r, std::int64_t created_by) {
  LINLI_ASSIGN_OR_RETURN(auto rows, s.Query(
      "INSERT INTO api_keys (key_hash, prefix, name, user_id, created_at, created_by) "
      "VALUES ($1, $2, $3, $4, $5, $6) RETURNING id",
      {Text(key_hash), Text(r.prefix), Text(r.name), Int(r.user_id), Int(r.created_at), Int(created_by)}));
  return rows[0].Int(0);
}

static constexpr const char* kKeyCols =
    "k.id, k.prefix, k.name, k.user_id, u.username, k.created_at, k.revoked_at, k.last_used_at";

static ApiKeyRecord KeyFromRow(const SqlRow& r) {
  return ApiKeyRecord{r.Int(0), r.Text(1), r.Text(2), r.Int(3), r.Text(4), r.Int(5),
                      OptMillis(r, 6), OptMillis(r, 7)};
}

Result<std::optional<ApiKeyRecord>> AccountRepo::LiveApiKeyByHash(SqlSession& s,
                                                                  const std::string& key_hash) {
  LINLI_ASSIGN_OR_RETURN(auto rows, s.Query(
      std::string("SELECT ") + kKeyCols + " FROM api_keys k JOIN users u ON u.id = k.user_id "
      "WHERE k.key_hash = $1 AND k.revoked_at IS NULL", {Text(key_hash)}));
  if (rows.empty()) return std::optional<ApiKeyRecord>();
  return std::optional<ApiKeyRecord>(KeyFromRow(rows[0]));
}

Result<std::int64_t> AccountRepo::RevokeApiKey(SqlSession& s, std::int64_t id, Millis now) {
  return s.Exec("UPDATE api_keys SET revoked_at = $1 WHERE id = $2 AND revoked_at IS NULL", {Int(now), Int(id)});
}

Result<std::vector<ApiKeyRecord>> AccountRepo::ApiKeys(SqlSession& s) {
  LINLI_ASSIGN_OR_RETURN(auto rows, s.Query(
      std::string("SELECT ") + kKeyCols + " FROM api_keys k JOIN users u ON u.id = k.user_id ORDER BY k.id"));
  std::vector<ApiKeyRecord> out;
  for (const auto& r : rows) out.push_back(KeyFromRow(r));
  return out;
}

Result<std::optional<std::string>> AccountRepo::Setting(SqlSession& s, std::string_view key) {
  LINLI_ASSIGN_OR_RETURN(auto rows, s.Query("SELECT value FROM settings WHERE key = $1", {Text(key)}));
  if (rows.empty()) return std::optional<std::string>();
  return std::optional<std::string>(rows[0].Text(0));
}

Status AccountRepo::PutSetting(SqlSession& s, std::string_view key, std::string_view value) {
  LINLI_TRY(s.Exec("INSERT INTO settings (key, value) VALUES ($1, $2) "
                   "ON CONFLICT (key) DO UPDATE SET value = excluded.value",
                   {Text(key), Text(value)}));
  return Ok();
}

}  // namespace linli::storage
