// Accounts: users, roles, role assignments, sessions, API keys and security settings.
#pragma once

#include <optional>
#include <string>
#include <vector>

#include "core/clock.h"
#include "domain/access.h"
#include "storage/sql.h"

namespace linli::storage {

struct UserRecord {
  std::int64_t id = 0;
  std::string username;
  std::string display_name;
  std::string password_hash;
  std::int64_t home_node_id = 0;
  std::string home_path;  // current path of home_node_id
  bool disabled = false;
  int failed_logins = 0;
  Millis locked_until = 0;
  Millis password_changed_at = 0;
  bool must_change_password = false;
  Millis created_at = 0;
  Millis updated_at = 0;
};

struct SessionRecord {
  std::int64_t id = 0;
  std::int64_t user_id = 0;
  std::string csrf_token;
  Millis created_at = 0;
  Millis last_seen_at = 0;
  std::string ip;
  std::string user_agent;
};

struct ApiKeyRecord {
  std::int64_t id = 0;
  std::string prefix;
  std::string name;
  std::int64_t user_id = 0;
  std::string username;
  Millis created_at = 0;
  std::optional<Millis> revoked_at;
  std::optional<Millis> last_used_at;
};

struct AssignmentRecord {
  std::int64_t id = 0;
  std::int64_t user_id = 0;
  std::string role;
  std::int64_t node_id = 0;
  std::string node_path;
  std::string node_name;
};

class AccountRepo {
 public:
  // Users
  static Result<std::optional<UserRecord>> UserById(SqlSession& s, std::int64_t id);
  static Result<std::optional<UserRecord>> UserByName(SqlSession& s, std::string_view username);
  static Result<std::int64_t> InsertUser(SqlSession& s, const UserRecord& u);
  static Status UpdateLoginCounter(SqlSession& s, std::int64_t user_id, int failed, Millis locked_until);
  static Status SetDisabled(SqlSession& s, std::int64_t user_id, bool disabled, Millis now);
  static Status SetPassword(SqlSession& s, std::int64_t user_id, const std::string& hash,
                            bool must_change, Millis now);
  static Result<std::vector<UserRecord>> ListUsers(SqlSession& s,
                                                   const std::vector<std::string>& scope_prefixes,
                                                   std::int64_t after_id, int limit);

  // Roles
  static Result<std::vector<domain::RoleDefinition>> Roles(SqlSession& s);
  static Status UpsertRole(SqlSession& s, const domain::RoleDefinition& r, Millis now, bool overwrite);

  // Assignments
  static Result<std::vector<AssignmentRecord>> AssignmentsOf(SqlSession& s, std::int64_t user_id);
  // Functional departments a user works for, and the active members of one.
  static Result<std::vector<std::string>> DepartmentsOf(SqlSession& s, std::int64_t user_id);
  static Status SetDepartments(SqlSession& s, std::int64_t user_id, const std::vector<std::string>& departments, Millis now);
  static Result<std::vector<std::int64_t>> DepartmentMembers(SqlSession& s, std::string_view department);
  // Every department someone works for.
  static Result<std::vector<std::string>> StaffedDepartments(SqlSession& s);
  // The active users holding, exactly at `node_id`, a role with `permission` (whom to tell about
  // work there), ascending: one indexed query, as it runs for every case reported.
  static Result<std::vector<std::int64_t>> HoldersAt(SqlSession& s, std::int64_t node_id, std::string_view permission);
  static Result<std::int64_t> InsertAssignment(SqlSession& s, std::int64_t user_id,
                                               const std::string& role, std::int64_t node_id,
                                               std::int64_t by, Millis now);
  static Result<std::optional<AssignmentRecord>> AssignmentById(SqlSession& s, std::int64_t id);
  static Status DeleteAssignment(SqlSession& s, std::int64_t id);

  // Sessions: looked up by the hash of the token, never the token itself.
  static Result<std::int64_t> InsertSession(SqlSession& s, const std::string& token_hash,
                                            const SessionRecord& r);
  static Result<std::optional<SessionRecord>> LiveSessionByHash(SqlSession& s,
                                                                const std::string& token_hash);
  static Status TouchSession(SqlSession& s, std::int64_t id, Millis now);
  static Result<std::int64_t> RevokeSession(SqlSession& s, std::int64_t id, std::int64_t user_id, Millis now);
  static Status RevokeAllSessions(SqlSession& s, std::int64_t user_id, Millis now);
  static Result<std::vector<SessionRecord>> SessionsOf(SqlSession& s, std::int64_t user_id,
                                                      Millis alive_since);

  // API keys
  static Result<std::int64_t> InsertApiKey(SqlSession& s, const std::string& key_hash,
                                           const ApiKeyRecord& r, std::int64_t created_by);
  static Result<std::optional<ApiKeyRecord>> LiveApiKeyByHash(SqlSession& s, const std::string& key_hash);
  static Result<std::int64_t> RevokeApiKey(SqlSession& s, std::int64_t id, Millis now);
  static Result<std::vector<ApiKeyRecord>> ApiKeys(SqlSession& s);

  // Settings
  static Result<std::optional<std::string>> Setting(SqlSession& s, std::string_view key);
  static Status PutSetting(SqlSession& s, std::string_view key, std::string_view value);
};

}  // namespace linli::storage
