// Who may do what, where. The single place Linli decides access.
//
// A role is a named set of permissions (data, editable by the security admin). A user holds role
// assignments at org nodes. An action on a record is allowed when some assignment's role grants the
// permission and the record's node path lies under the assignment's node path. Lists, counts,
// search and exports ask ScopeFor() for the path prefixes to filter by; single records ask
// Allows(). Both are the same rule, so a list can never show what a read would refuse.
#pragma once

#include <cstdint>
#include <memory>
#include <set>
#include <string>
#include <string_view>
#include <vector>

namespace linli::domain {

// The permission catalogue. A role can only hold permissions named here.
namespace perm {
inline constexpr std::string_view kOrgRead = "org.read";
inline constexpr std::string_view kOrgWrite = "org.write";
inline constexpr std::string_view kUserRead = "user.read";
inline constexpr std::string_view kUserWrite = "user.write";
inline constexpr std::string_view kRoleAssign = "role.assign";
inline constexpr std::string_view kRoleRead = "role.read";
inline constexpr std::string_view kRoleWrite = "role.write";
inline constexpr std::string_view kPolicyRead = "policy.read";
inline constexpr std::string_view kPolicyWrite = "policy.write";
inline constexpr std::string_view kApiKeyWrite = "apikey.write";
inline constexpr std::string_view kAuditRead = "audit.read";
inline constexpr std::string_view kResidentRead = "resident.read";
inline constexpr std::string_view kResidentWrite = "resident.write";
inline constexpr std::string_view kResidentUnmask = "resident.unmask";
inline constexpr std::string_view kResidentExport = "resident.export";
inline constexpr std::string_view kCaseRead = "case.read";
inline constexpr std::string_view kCaseReport = "case.report";
inline constexpr std::string_view kCaseHandle = "case.handle";
inline constexpr std::string_view kCaseDispatch = "case.dispatch";
inline constexpr std::string_view kCaseSupervise = "case.supervise";
inline constexpr std::string_view kCockpitRead = "cockpit.read";
inline constexpr std::string_view kMediationHandle = "mediation.handle";
inline constexpr std::string_view kStaffWrite = "staff.write";  // the grid team roster
inline constexpr std::string_view kTagWrite = "tag.write";      // a community's own tag vocabulary
}  // namespace perm

const std::vector<std::string_view>& PermissionCatalogue();
bool IsKnownPermission(std::string_view p);

struct RoleDefinition {
  std::string name;
  std::string title_zh;
  std::set<std::string, std::less<>> permissions;
};

// The roles a fresh installation starts with. No role holds everything; no admin role can read
// residents' personal data.
const std::vector<RoleDefinition>& DefaultRoles();
bool IsAdminRole(std::string_view role);

struct Assignment {
  std::int64_t id = 0;
  std::string role;
  std::int64_t node_id = 0;
  std::string node_path;  // current path of node_id
};

// The authenticated caller, with each assignment's permissions resolved.
struct Principal {
  std::int64_t user_id = 0;
  std::string username;
  struct Grant {
    std::string role;
    std::string node_path;
    std::shared_ptr<const RoleDefinition> role_def;
  };
  std::vector<Grant> grants;
  bool via_api_key = false;
  // The operator running `linli` subcommands on the server itself; holds every permission
  // everywhere. Only the CLI constructs it; HTTP never does.
  bool system = false;
};

// The most rows one export may hold for this caller: the largest cap among its roles that may
// export (a community 50,000, the subdistrict 500,000, others 5,000). 0: may not export.
std::int64_t ExportCap(const Principal& who);

// The path prefixes under which a permission holds. Empty: nowhere.
class Scope {
 public:
  explicit Scope(std::vector<std::string> prefixes);
  bool Empty() const { return prefixes_.empty(); }
  bool Covers(std::string_view path) const;
  const std::vector<std::string>& prefixes() const { return prefixes_; }

 private:
  std::vector<std::string> prefixes_;  // minimal: none is under another
};

Scope ScopeFor(const Principal& who, std::string_view permission);
bool Allows(const Principal& who, std::string_view permission, std::string_view record_path);
// Granted anywhere at all (for actions not tied to a node, like reading the role list).
bool HoldsAnywhere(const Principal& who, std::string_view permission);
// Granted at a root of the org tree, for settings that apply to the whole installation
// (role definitions, the security policy).
bool HoldsAtRoot(const Principal& who, std::string_view permission);

}  // namespace linli::domain
