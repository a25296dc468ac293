#include "service/account_service.h"

#include <algorithm>

#include "service/records.h"
#include "core/crypto.h"
#include "core/json_text.h"
#include "domain/text.h"
#include "service/org_service.h"

namespace linli::service {

using storage::AccountRepo;
using storage::SqlSession;
namespace perm = domain::perm;

Status ValidateUsername(std::string_view u) {
  if (u.size() < 3 || u.size() > 64) {
    return Error::Invalid("username", "username must be 3 to 64 characters");
  }
  for (char c : u) {
    bool ok = (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '.' || c == '_' || c == '-';
    if (!ok) return Error::Invalid("username", "username may contain a-z, 0-9, '.', '_' and '-' only");
  }
  return Ok();
}

namespace {

// A user record the caller may see with `permission` (by the user's home node); not_found when
// the user lies outside the caller's user.read scope.
Result<storage::UserRecord> VisibleUser(SqlSession& s, const Caller& who, std::int64_t user_id,
                                        std::string_view permission) {
  LINLI_ASSIGN_OR_RETURN(auto user, AccountRepo::UserById(s, user_id));
  bool self = user && user->id == who.user_id();
  if (!user || (!self && !domain::Allows(who.principal, perm::kUserRead, user->home_path))) {
    return Error::NotFound("no user " + std::to_string(user_id));
  }
  if (!domain::Allows(who.principal, permission, user->home_path)) {
    return Error::Denied("you may not do this to " + user->username);
  }
  return std::move(*user);
}

Result<UserView> LoadView(SqlSession& s, std::int64_t user_id) {
  LINLI_ASSIGN_OR_RETURN(auto user, AccountRepo::UserById(s, user_id));
  if (!user) return Error::NotFound("no user " + std::to_string(user_id));
  LINLI_ASSIGN_OR_RETURN(auto assignments, AccountRepo::AssignmentsOf(s, user_id));
  return UserView{std::move(*user), std::move(assignments)};
}

}  // namespace

void AccountService::CreateUser(const Caller& who, CreateUserInput in, Done<UserView> done) {
  if (auto st = ValidateUsername(in.username); !st) return done(st.error());
  if (auto st = domain::ValidateText("display_name", in.display_name, {.min_chars = 1, .max_chars = 64}); !st) {
    return done(st.error());
  }
  if (auto st = domain::CheckPasswordStrength(policy_.Get().password_mode, in.password, in.username); !st) {
    return done(st.error());
  }
  // Check the node before spending 50 ms on the hash.
  auto node = storage::ReadValue<domain::OrgNode>(db_, [&](SqlSession& s) {
    return VisibleNode(s, who, in.home_node_id, perm::kUserWrite);
  });
  if (!node) {
    if (node.error().code == ErrorCode::kNotFound) {
      return done(Error::Invalid("home_node_id", "no org node " + std::to_string(in.home_node_id)));
    }
    return done(node.error());
  }
  cpu_.Post([this, who, in = std::move(in), done = std::move(done)]() mutable {
    auto hash = crypto::HashPassword(in.password);
    if (!hash) return done(hash.error());
    Millis now = clock_.NowMillis();
    storage::SubmitWrite<UserView>(db_, [=, this, h = *hash](SqlSession& s) -> Result<UserView> {
      LINLI_ASSIGN_OR_RETURN(auto node, VisibleNode(s, who, in.home_node_id, perm::kUserWrite));
      storage::UserRecord u;
      u.username = in.username;
      u.display_name = in.display_name;
      u.password_hash = h;
      u.home_node_id = in.home_node_id;
      u.created_at = now;
      u.must_change_password = in.must_change_password;
      LINLI_ASSIGN_OR_RETURN(auto id, AccountRepo::InsertUser(s, u));
      LINLI_TRY(audit_.Record(s, who, {.action = "user.create", .node_path = node.path,
                                       .target = "user:" + std::to_string(id),
                                       .detail = JsonObject().Add("username", in.username).Str()}));
      return LoadView(s, id);
    }, std::move(done));
  });
}

void AccountService::SetDisabled(const Caller& who, std::int64_t user_id, bool disabled,
                                 Done<UserView> done) {
  if (user_id == who.user_id()) return done(Error::Invalid("id", "you cannot disable or enable yourself"));
  Millis now = clock_.NowMillis();
  storage::SubmitWrite<UserView>(db_, [=, this](SqlSession& s) -> Result<UserView> {
    LINLI_ASSIGN_OR_RETURN(auto user, VisibleUser(s, who, user_id, perm::kUserWrite));
    LINLI_TRY(AccountRepo::SetDisabled(s, user_id, disabled, now));
    if (disabled) LINLI_TRY(AccountRepo::RevokeAllSessions(s, user_id, now));
    LINLI_TRY(audit_.Record(s, who, {.action = disabled ? "user.disable" : "user.enable",
                                     .node_path = user.home_path,
                                     .target = "user:" + std::to_string(user_id)}));
    return LoadView(s, user_id);
  }, BumpingEpoch(epoch_, std::move(done)));
}

void AccountService::SetDepartments(const Caller& who, std::int64_t user_id, std::vector<std::string> departments,
                                    Done<std::vector<std::string>> done) {
  if (departments.size() > 20) return done(Error::Invalid("departments", "at most 20 departments"));
  std::sort(departments.begin(), departments.end());
  departments.erase(std::unique(departments.begin(), departments.end()), departments.end());
  for (std::size_t i = 0; i < departments.size(); ++i) {
    if (auto st = domain::ValidateText("departments[" + std::to_string(i) + "]", departments[i], {.min_chars = 1, .max_chars = 40});
        !st) {
      return done(st.error());
    }
  }
  Millis now = clock_.NowMillis();
  storage::SubmitWrite<std::vector<std::string>>(db_, [=, this](SqlSession& s) -> Result<std::vector<std::string>> {
    LINLI_ASSIGN_OR_RETURN(auto user, VisibleUser(s, who, user_id, perm::kUserWrite));
    LINLI_TRY(AccountRepo::SetDepartments(s, user_id, departments, now));
    std::string joined;
    for (const auto& d : departments) joined += (joined.empty() ? "" : ",") + d;
    LINLI_TRY(audit_.Record(s, who, {.action = "user.departments", .node_path = user.home_path,
                                     .target = "user:" + std::to_string(user_id), .detail = joined}));
    return departments;
  }, std::move(done));
}

Result<std::vector<std::string>> AccountService::Departments(const Caller& who, std::int64_t user_id) {
  return storage::ReadValue<std::vector<std::string>>(db_, [&](SqlSession& s) -> Result<std::vector<std::string>> {
    LINLI_TRY(VisibleUser(s, who, user_id, perm::kUserRead));
    return AccountRepo::DepartmentsOf(s, user_id);
  });
}

void AccountService::ResetPassword(const Caller& who, std::int64_t user_id, std::string new_password,
                                   Done<UserView> done) {
  auto user = storage::ReadValue<storage::UserRecord>(db_, [&](SqlSession& s) {
    return VisibleUser(s, who, user_id, perm::kUserWrite);
  });
  if (!user) return done(user.error());
  if (auto st = domain::CheckPasswordStrength(policy_.Get().password_mode, new_password, user->username); !st) {
    return done(st.error());
  }
  cpu_.Post([this, who, user_id, new_password = std::move(new_password), done = std::move(done)]() mutable {
    auto hash = crypto::HashPassword(new_password);
    if (!hash) return done(hash.error());
    Millis now = clock_.NowMillis();
    storage::SubmitWrite<UserView>(db_, [=, this, h = *hash](SqlSession& s) -> Result<UserView> {
      LINLI_ASSIGN_OR_RETURN(auto user, VisibleUser(s, who, user_id, perm::kUserWrite));
      // A reset password is temporary: the user must choose a new one at the next sign-in.
      LINLI_TRY(AccountRepo::SetPassword(s, user_id, h, /*must_change=*/true, now));
      LINLI_TRY(AccountRepo::RevokeAllSessions(s, user_id, now));
      LINLI_TRY(audit_.Record(s, who, {.action = "user.password_reset", .node_path = user.home_path,
                                       .target = "user:" + std::to_string(user_id)}));
      return LoadView(s, user_id);
    }, BumpingEpoch(epoch_, std::move(done)));
  });
}

Result<UserView> AccountService::GetUser(const Caller& who, std::int64_t user_id) {
  return storage::ReadValue<UserView>(db_, [&](SqlSession& s) -> Result<UserView> {
    if (user_id != who.user_id()) LINLI_TRY(VisibleUser(s, who, user_id, perm::kUserRead));
    return LoadView(s, user_id);
  });
}

Result<std::optional<storage::UserRecord>> AccountService::FindUser(const Caller& who,
                                                                    std::string_view username) {
  return storage::ReadValue<std::optional<storage::UserRecord>>(
      db_, [&](SqlSession& s) -> Result<std::optional<storage::UserRecord>> {
        LINLI_ASSIGN_OR_RETURN(auto u, AccountRepo::UserByName(s, username));
        if (u && !domain::Allows(who.principal, perm::kUserRead, u->home_path)) u.reset();
        return u;
      });
}

Result<std::vector<UserView>> AccountService::ListUsers(const Caller& who, std::int64_t after_id, int limit) {
  LINLI_TRY(CheckPageLimit(limit));
  auto scope = domain::ScopeFor(who.principal, perm::kUserRead);
  if (scope.Empty()) return Error::Denied("listing users needs the user.read permission");
  return storage::ReadValue<std::vector<UserView>>(db_, [&](SqlSession& s) -> Result<std::vector<UserView>> {
    LINLI_ASSIGN_OR_RETURN(auto users, AccountRepo::ListUsers(s, scope.prefixes(), after_id, limit));
    std::vector<UserView> out;
    out.reserve(users.size());
    for (auto& u : users) {
      LINLI_ASSIGN_OR_RETURN(auto assignments, AccountRepo::AssignmentsOf(s, u.id));
      out.push_back({std::move(u), std::move(assignments)});
    }
    return out;
  });
}

void AccountService::Assign(const Caller& who, std::int64_t user_id, std::string role,
                            std::int64_t node_id, Done<storage::AssignmentRecord> done) {
  if (user_id == who.user_id()) return done(Error::Invalid("user_id", "you cannot change your own roles"));
  Millis now = clock_.NowMillis();
  storage::SubmitWrite<storage::AssignmentRecord>(db_, [=, this](SqlSession& s) -> Result<storage::AssignmentRecord> {
    auto node = VisibleNode(s, who, node_id, perm::kRoleAssign);
    if (!node && node.error().code == ErrorCode::kNotFound) {
      return Error::Invalid("node_id", "no org node " + std::to_string(node_id));
    }
    if (!node) return node.error();
    if (node->archived) return Error::Invalid("node_id", "the node is archived");
    LINLI_ASSIGN_OR_RETURN(auto user, AccountRepo::UserById(s, user_id));
    if (!user) return Error::NotFound("no user " + std::to_string(user_id));
    LINLI_ASSIGN_OR_RETURN(auto roles, AccountRepo::Roles(s));
    if (std::none_of(roles.begin(), roles.end(), [&](const auto& r) { return r.name == role; })) {
      return Error::Invalid("role", "no role named " + role);
    }
    LINLI_ASSIGN_OR_RETURN(auto id, AccountRepo::InsertAssignment(s, user_id, role, node_id, who.user_id(), now));
    LINLI_TRY(audit_.Record(s, who, {.action = "permission.grant", .node_path = node->path,
                                     .target = "user:" + std::to_string(user_id),
                                     .detail = JsonObject().Add("role", role).Add("node_id", node_id)
                                                   .Add("assignment_id", id).Str()}));
    return storage::AssignmentRecord{id, user_id, role, node_id, node->path, node->name};
  }, BumpingEpoch(epoch_, std::move(done)));
}

void AccountService::Unassign(const Caller& who, std::int64_t assignment_id, Done<bool> done) {
  storage::SubmitWrite<bool>(db_, [=, this](SqlSession& s) -> Result<bool> {
    LINLI_ASSIGN_OR_RETURN(auto a, AccountRepo::AssignmentById(s, assignment_id));
    if (!a || !domain::Allows(who.principal, perm::kOrgRead, a->node_path)) {
      return Error::NotFound("no role assignment " + std::to_string(assignment_id));
    }
    if (!domain::Allows(who.principal, perm::kRoleAssign, a->node_path)) {
      return Error::Denied("you may not withdraw roles at " + a->node_name);
    }
    if (a->user_id == who.user_id()) return Error::Invalid("id", "you cannot change your own roles");
    LINLI_TRY(AccountRepo::DeleteAssignment(s, assignment_id));
    LINLI_TRY(audit_.Record(s, who, {.action = "permission.revoke", .node_path = a->node_path,
                                     .target = "user:" + std::to_string(a->user_id),
                                     .detail = JsonObject().Add("role", a->role).Add("node_id", a->node_id)
                                                   .Add("assignment_id", assignment_id).Str()}));
    return true;
  }, BumpingEpoch(epoch_, std::move(done)));
}

Result<std::vector<domain::RoleDefinition>> AccountService::Roles(const Caller& who) {
  if (!domain::HoldsAnywhere(who.principal, perm::kRoleRead) &&
      !domain::HoldsAnywhere(who.principal, perm::kRoleAssign)) {
    return Error::Denied("reading role definitions needs role.read");
  }
  return storage::ReadValue<std::vector<domain::RoleDefinition>>(db_, [](SqlSession& s) {
    return AccountRepo::Roles(s);
  });
}

void AccountService::UpdateRole(const Caller& who, std::string name, std::vector<std::string> permissions,
                                Done<domain::RoleDefinition> done) {
  if (!domain::HoldsAtRoot(who.principal, perm::kRoleWrite)) {
    return done(Error::Denied("editing roles needs role.write at a root node"));
  }
  if (domain::IsAdminRole(name)) {
    return done(Error::Invalid("name", "the three admin roles are fixed so their duties stay apart"));
  }
  std::set<std::string, std::less<>> set;
  for (auto& p : permissions) {
    if (!domain::IsKnownPermission(p)) return done(Error::Invalid("permissions", "unknown permission " + p));
    // Admin duties stay with the admin roles.
    if (p == perm::kAuditRead || p == perm::kRoleWrite || p == perm::kRoleAssign ||
        p == perm::kPolicyWrite || p == perm::kUserWrite || p == perm::kApiKeyWrite) {
      return done(Error::Invalid("permissions", p + " belongs to an admin role only"));
    }
    set.insert(std::move(p));
  }
  Millis now = clock_.NowMillis();
  storage::SubmitWrite<domain::RoleDefinition>(db_, [=, this](SqlSession& s) -> Result<domain::RoleDefinition> {
    LINLI_ASSIGN_OR_RETURN(auto roles, AccountRepo::Roles(s));
    auto it = std::find_if(roles.begin(), roles.end(), [&](const auto& r) { return r.name == name; });
    if (it == roles.end()) return Error::NotFound("no role named " + name);
    domain::RoleDefinition updated{name, it->title_zh, set};
    LINLI_TRY(AccountRepo::UpsertRole(s, updated, now, /*overwrite=*/true));
    std::string list;
    for (const auto& p : set) list += (list.empty() ? "" : " ") + p;
    LINLI_TRY(audit_.Record(s, who, {.action = "role.update", .target = "role:" + name,
                                     .detail = JsonObject().Add("permissions", list).Str()}));
    return updated;
  }, BumpingEpoch(epoch_, std::move(done)));
}

Result<domain::SecurityPolicy> AccountService::Policy(const Caller& who) {
  if (!domain::HoldsAnywhere(who.principal, perm::kPolicyRead)) {
    return Error::Denied("reading the security policy needs policy.read");
  }
  return policy_.Get();
}

void AccountService::UpdatePolicy(const Caller& who, std::string json_body,
                                  Done<domain::SecurityPolicy> done) {
  if (!domain::HoldsAtRoot(who.principal, perm::kPolicyWrite)) {
    return done(Error::Denied("changing the security policy needs policy.write at a root node"));
  }
  auto updated = PolicyStore::FromJson(json_body, policy_.Get());
  if (!updated) return done(updated.error());
  std::string text = PolicyStore::ToJson(*updated);
  storage::SubmitWrite<domain::SecurityPolicy>(db_, [=, this](SqlSession& s) -> Result<domain::SecurityPolicy> {
    LINLI_TRY(AccountRepo::PutSetting(s, "security_policy", text));
    LINLI_TRY(audit_.Record(s, who, {.action = "policy.update", .target = "policy:security", .detail = text}));
    return *updated;
  }, [this, done = std::move(done)](Result<domain::SecurityPolicy> r) {
    if (r) {
      policy_.Set(*r);  // only after the commit
      epoch_.Bump();    // session lifetimes may have changed
    }
    done(std::move(r));
  });
}

void AccountService::CreateApiKey(const Caller& who, std::int64_t user_id, std::string name,
                                  Done<CreatedApiKey> done) {
  if (auto st = domain::ValidateText("name", name, {.min_chars = 1, .max_chars = 100}); !st) {
    return done(st.error());
  }
  std::string key = std::string(kApiKeyPrefix) + crypto::RandomToken(32);
  std::string hash = crypto::HashHex(key);
  Millis now = clock_.NowMillis();
  storage::SubmitWrite<CreatedApiKey>(db_, [=, this](SqlSession& s) -> Result<CreatedApiKey> {
    auto user = VisibleUser(s, who, user_id, perm::kApiKeyWrite);
    if (!user && user.error().code == ErrorCode::kNotFound) {
      return Error::Invalid("user_id", "no user " + std::to_string(user_id));
    }
    if (!user) return user.error();
    storage::ApiKeyRecord rec;
    rec.prefix = key.substr(0, 10);
    rec.name = name;
    rec.user_id = user_id;
    rec.username = user->username;
    rec.created_at = now;
    LINLI_ASSIGN_OR_RETURN(rec.id, AccountRepo::InsertApiKey(s, hash, rec, who.user_id()));
    LINLI_TRY(audit_.Record(s, who, {.action = "apikey.create", .node_path = user->home_path,
                                     .target = "apikey:" + std::to_string(rec.id),
                                     .detail = JsonObject().Add("name", name).Add("user", user->username).Str()}));
    return CreatedApiKey{rec, key};
  }, std::move(done));
}

void AccountService::RevokeApiKey(const Caller& who, std::int64_t key_id, Done<bool> done) {
  Millis now = clock_.NowMillis();
  storage::SubmitWrite<bool>(db_, [=, this](SqlSession& s) -> Result<bool> {
    LINLI_ASSIGN_OR_RETURN(auto keys, AccountRepo::ApiKeys(s));
    auto it = std::find_if(keys.begin(), keys.end(), [&](const auto& k) { return k.id == key_id; });
    if (it == keys.end()) return Error::NotFound("no API key " + std::to_string(key_id));
    LINLI_ASSIGN_OR_RETURN(auto user, VisibleUser(s, who, it->user_id, perm::kApiKeyWrite));
    LINLI_ASSIGN_OR_RETURN(auto n, AccountRepo::RevokeApiKey(s, key_id, now));
    if (n == 0) return true;  // revoked already
    LINLI_TRY(audit_.Record(s, who, {.action = "apikey.revoke", .node_path = user.home_path,
                                     .target = "apikey:" + std::to_string(key_id)}));
    return true;
  }, BumpingEpoch(epoch_, std::move(done)));
}

Result<std::vector<storage::ApiKeyRecord>> AccountService::ApiKeys(const Caller& who) {
  auto scope = domain::ScopeFor(who.principal, perm::kApiKeyWrite);
  if (scope.Empty()) return Error::Denied("listing API keys needs apikey.write");
  return storage::ReadValue<std::vector<storage::ApiKeyRecord>>(
      db_, [&](SqlSession& s) -> Result<std::vector<storage::ApiKeyRecord>> {
        LINLI_ASSIGN_OR_RETURN(auto keys, AccountRepo::ApiKeys(s));
        std::vector<storage::ApiKeyRecord> out;
        for (auto& k : keys) {
          LINLI_ASSIGN_OR_RETURN(auto u, AccountRepo::UserById(s, k.user_id));
          if (u && scope.Covers(u->home_path)) out.push_back(std::move(k));
        }
        return out;
      });
}

Status AccountService::EnsureDefaultRoles() {
  Millis now = clock_.NowMillis();
  return db_.WriteSync([&](SqlSession& s) -> Status {
    for (const auto& r : domain::DefaultRoles()) {
      // Admin roles are always reset to their definition; others keep local edits.
      LINLI_TRY(AccountRepo::UpsertRole(s, r, now, /*overwrite=*/domain::IsAdminRole(r.name)));
    }
    return Ok();
  });
}

}  // namespace linli::service
