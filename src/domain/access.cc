#include "domain/access.h"

#include <algorithm>

#include "domain/org.h"

namespace linli::domain {

const std::vector<std::string_view>& PermissionCatalogue() {
  static const std::vector<std::string_view> all = {
      perm::kOrgRead,       perm::kOrgWrite,       perm::kUserRead,       perm::kUserWrite,
      perm::kRoleAssign,    perm::kRoleRead,       perm::kRoleWrite,      perm::kPolicyRead,
      perm::kPolicyWrite,   perm::kApiKeyWrite,    perm::kAuditRead,      perm::kResidentRead,
      perm::kResidentWrite, perm::kResidentUnmask, perm::kResidentExport, perm::kCaseRead,
      perm::kCaseReport,    perm::kCaseHandle,     perm::kCaseDispatch,   perm::kCaseSupervise,
      perm::kCockpitRead,   perm::kMediationHandle,    perm::kStaffWrite,
      perm::kTagWrite};
  return all;
}

bool IsKnownPermission(std::string_view p) {
  const auto& all = PermissionCatalogue();
  return std::find(all.begin(), all.end(), p) != all.end();
}

const std::vector<RoleDefinition>& DefaultRoles() {
  using namespace perm;
  auto S = [](std::initializer_list<std::string_view> l) {
    std::set<std::string, std::less<>> s;
    for (auto p : l) s.emplace(p);
    return s;
  };
  static const std::vector<RoleDefinition> roles = {
      {"resident", "居民", S({kCaseReport})},
      {"volunteer", "志愿者", S({kCaseReport})},
      {"micro_grid_worker", "微网格员", S({kOrgRead, kResidentRead, kCaseRead, kCaseReport})},
      {"grid_worker", "专职网格员",
       S({kOrgRead, kResidentRead, kResidentWrite, kCaseRead, kCaseReport, kCaseHandle,
          kCockpitRead})},
      {"grid_leader", "网格长",
       S({kOrgRead, kResidentRead, kResidentWrite, kCaseRead, kCaseReport, kCaseHandle,
          kCockpitRead, kUserRead})},
      {"general_grid_leader", "总网格长",
       S({kOrgRead, kResidentRead, kResidentWrite, kResidentUnmask, kResidentExport, kCaseRead,
          kCaseReport, kCaseHandle, kCaseDispatch, kCaseSupervise, kCockpitRead, kUserRead, kStaffWrite,
          kTagWrite})},
      {"community_staff", "社区工作者",
       S({kOrgRead, kResidentRead, kResidentWrite, kResidentExport, kCaseRead, kCaseReport,
          kCaseHandle, kCaseDispatch, kCockpitRead, kStaffWrite, kTagWrite})},
      {"mediator", "调解员", S({kOrgRead, kCaseRead, kMediationHandle})},
      {"subdistrict_official", "街道干部",
       S({kOrgRead, kResidentRead, kCaseRead, kCaseDispatch, kCaseSupervise, kCockpitRead,
          kUserRead})},
      // A city's district (区/县) oversees its subdistricts as they oversee their communities.
      {"district_official", "区级干部",
       S({kOrgRead, kResidentRead, kCaseRead, kCaseDispatch, kCaseSupervise, kCockpitRead,
          kUserRead})},
      {"department_handler", "职能部门", S({kOrgRead, kCaseRead, kCaseHandle})},
      // An outside intake client (Open311: a city app, FixMyStreet) through its API key.
      {"open311_client", "Open311 接入", S({kCaseRead, kCaseReport})},
      // The three-admin split (三员分立): none of them reads residents' personal data.
      {"system_admin", "系统管理员", S({kOrgRead, kOrgWrite, kUserRead, kUserWrite, kApiKeyWrite})},
      {"security_admin", "安全管理员",
       S({kOrgRead, kUserRead, kRoleRead, kRoleWrite, kRoleAssign, kPolicyRead, kPolicyWrite})},
      {"audit_admin", "审计管理员", S({kOrgRead, kUserRead, kAuditRead})},
  };
  return roles;
}

std::int64_t ExportCap(const Principal& who) {
  if (who.system) return INT64_MAX;
  std::int64_t cap = 0;
  for (const auto& g : who.grants) {
    if (!g.role_def || !g.role_def->permissions.count(std::string(perm::kResidentExport))) continue;
    std::int64_t c = (g.role == "subdistrict_official" || g.role == "district_official") ? 500000
                     : (g.role == "general_grid_leader" || g.role == "community_staff") ? 50000 : 5000;
    cap = std::max(cap, c);
  }
  return cap;
}

bool IsAdminRole(std::string_view role) {
  return role == "system_admin" || role == "security_admin" || role == "audit_admin";
}

Scope::Scope(std::vector<std::string> prefixes) {
  std::sort(prefixes.begin(), prefixes.end());
  for (auto& p : prefixes) {
    // Sorted order puts an ancestor right before its descendants; keep only the ancestors.
    if (!prefixes_.empty() && PathIsUnder(p, prefixes_.back())) continue;
    prefixes_.push_back(std::move(p));
  }
}

bool Scope::Covers(std::string_view path) const {
  for (const auto& p : prefixes_) {
    if (PathIsUnder(path, p)) return true;
  }
  return false;
}

Scope ScopeFor(const Principal& who, std::string_view permission) {
  if (who.system) return Scope({"/"});
  std::vector<std::string> prefixes;
  for (const auto& g : who.grants) {
    if (g.role_def && g.role_def->permissions.contains(permission)) prefixes.push_back(g.node_path);
  }
  return Scope(std::move(prefixes));
}

bool Allows(const Principal& who, std::string_view permission, std::string_view record_path) {
  // ScopeFor(who, permission).Covers(record_path), without building the scope: a city's official
  // holds a role at a hundred subdistricts, and sorting their paths for every check was a quarter
  // of a cockpit's time in the server.
  if (who.system) return PathIsUnder(record_path, "/");
  for (const auto& g : who.grants) {
    if (g.role_def && g.role_def->permissions.contains(permission) && PathIsUnder(record_path, g.node_path)) return true;
  }
  return false;
}

bool HoldsAnywhere(const Principal& who, std::string_view permission) {
  return !ScopeFor(who, permission).Empty();
}

bool HoldsAtRoot(const Principal& who, std::string_view permission) {
  Scope scope = ScopeFor(who, permission);  // named: a range-for over a temporary's member dangles
  for (const auto& p : scope.prefixes()) {
    if (PathDepth(p) <= 1) return true;
  }
  return false;
}

}  // namespace linli::domain
