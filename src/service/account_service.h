// Administration of accounts under the three-admin split (三员分立):
//   system_admin   creates, disables and resets accounts and issues API keys (user.write, apikey.write);
//   security_admin grants and withdraws roles, edits role definitions and the security policy
//                  (role.assign, role.write, policy.write);
//   audit_admin    reads the audit log (audit.read).
// Nobody may change their own grants. The three admin roles' definitions cannot be edited, so the
// split cannot be undone through the API.
#pragma once

#include <optional>
#include <string>
#include <vector>

#include "core/clock.h"
#include "core/worker_pool.h"
#include "domain/access.h"
#include "service/access_epoch.h"
#include "service/audit_service.h"
#include "service/auth_service.h"
#include "service/caller.h"
#include "storage/account_repo.h"
#include "storage/database.h"

namespace linli::service {

struct CreateUserInput {
  std::string username;
  std::string display_name;
  std::string password;
  std::int64_t home_node_id = 0;
  bool must_change_password = true;
};

struct UserView {
  storage::UserRecord user;
  std::vector<storage::AssignmentRecord> assignments;
};

struct CreatedApiKey {
  storage::ApiKeyRecord record;
  std::string key;  // shown once
};

class AccountService {
 public:
  AccountService(storage::Database& db, const Clock& clock, AuditService& audit,
                 PolicyStore& policy, WorkerPool& cpu, AccessEpoch& epoch)
      : db_(db), clock_(clock), audit_(audit), policy_(policy), cpu_(cpu), epoch_(epoch) {}

  // Users
  void CreateUser(const Caller& who, CreateUserInput in, Done<UserView> done);
  void SetDisabled(const Caller& who, std::int64_t user_id, bool disabled, Done<UserView> done);
  void ResetPassword(const Caller& who, std::int64_t user_id, std::string new_password,
                     Done<UserView> done);
  Result<UserView> GetUser(const Caller& who, std::int64_t user_id);
  Result<std::optional<storage::UserRecord>> FindUser(const Caller& who, std::string_view username);
  // Accounts homed within the caller's user.read scope, each with its roles (one page).
  Result<std::vector<UserView>> ListUsers(const Caller& who, std::int64_t after_id, int limit);

  // Functional departments (职能部门) a user works for; user.write over the user. Replaces the list.
  void SetDepartments(const Caller& who, std::int64_t user_id, std::vector<std::string> departments,
                      Done<std::vector<std::string>> done);
  Result<std::vector<std::string>> Departments(const Caller& who, std::int64_t user_id);

  // Role assignments
  void Assign(const Caller& who, std::int64_t user_id, std::string role, std::int64_t node_id,
              Done<storage::AssignmentRecord> done);
  void Unassign(const Caller& who, std::int64_t assignment_id, Done<bool> done);

  // Roles and policy
  Result<std::vector<domain::RoleDefinition>> Roles(const Caller& who);
  void UpdateRole(const Caller& who, std::string name, std::vector<std::string> permissions,
                  Done<domain::RoleDefinition> done);
  Result<domain::SecurityPolicy> Policy(const Caller& who);
  void UpdatePolicy(const Caller& who, std::string json_body, Done<domain::SecurityPolicy> done);

  // API keys
  void CreateApiKey(const Caller& who, std::int64_t user_id, std::string name, Done<CreatedApiKey> done);
  void RevokeApiKey(const Caller& who, std::int64_t key_id, Done<bool> done);
  Result<std::vector<storage::ApiKeyRecord>> ApiKeys(const Caller& who);

  // Writes the default roles that do not exist yet (at start-up).
  Status EnsureDefaultRoles();

 private:
  storage::Database& db_;
  const Clock& clock_;
  AuditService& audit_;
  PolicyStore& policy_;
  WorkerPool& cpu_;
  AccessEpoch& epoch_;
};

Status ValidateUsername(std::string_view username);

}  // namespace linli::service
