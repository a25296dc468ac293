// The org tree as users change it: create, rename, move, archive, list — each authorised by
// domain::Allows on the node's path and audited in the same transaction.
//
// Nodes outside the caller's org.read scope answer not_found, never permission_denied, so a grid
// worker cannot even learn that another grid's node exists.
#pragma once

#include <optional>
#include <string>
#include <vector>

#include "core/clock.h"
#include "domain/org.h"
#include "service/access_epoch.h"
#include "service/audit_service.h"
#include "service/caller.h"
#include "storage/database.h"

namespace linli::service {

struct CreateNodeInput {
  std::int64_t parent_id = 0;  // 0: a new root (the CLI only)
  std::string type;
  std::string code;
  std::string name;
};

struct NodeListInput {
  std::optional<std::int64_t> parent_id;
  std::optional<std::string> type;
  bool include_archived = false;
  std::int64_t after_id = 0;
  int limit = 100;
};

// Refuses a code another node holds (kAlreadyExists naming `field`).
Status CheckCodeFree(storage::SqlSession& s, std::string_view code, const domain::OrgNode& node,
                     std::string_view field = "code");
// A code under `parent` for a node moving there: its own number when free, else the first free
// one (a merge renumbers micro-grids whose numbers clash).
Result<std::string> FreeCodeUnder(storage::SqlSession& s, const domain::OrgNode& parent, std::string_view code);

class OrgService {
 public:
  OrgService(storage::Database& db, const Clock& clock, AuditService& audit, AccessEpoch& epoch)
      : db_(db), clock_(clock), audit_(audit), epoch_(epoch) {}

  void Create(const Caller& who, CreateNodeInput in, Done<domain::OrgNode> done);
  void Rename(const Caller& who, std::int64_t id, std::string name, std::optional<std::int64_t> version,
              Done<domain::OrgNode> done);
  // The node keeps its own number under the new parent unless `code` gives a new one.
  void Move(const Caller& who, std::int64_t id, std::int64_t new_parent_id, std::optional<std::string> code,
            Done<domain::OrgNode> done);
  void SetArchived(const Caller& who, std::int64_t id, bool archived, Done<domain::OrgNode> done);
  Result<domain::OrgNode> Get(const Caller& who, std::int64_t id);
  Result<domain::OrgNode> GetByCode(const Caller& who, std::string_view code);
  Result<std::vector<domain::OrgNode>> List(const Caller& who, const NodeListInput& in);

 private:
  storage::Database& db_;
  const Clock& clock_;
  AuditService& audit_;
  AccessEpoch& epoch_;  // moves and archives change the paths grants point at; every change, the cached nodes
};

// Reads a node the caller may see with `permission`, in the given session: not_found when it does
// not exist or lies outside the caller's org.read scope, permission_denied when it is visible but
// the permission does not reach it. Shared by every service that acts on a node.
Result<domain::OrgNode> VisibleNode(storage::SqlSession& s, const Caller& who, std::int64_t id,
                                    std::string_view permission);
// The same rule for a node the caller already read (nullopt: no such node).
Result<domain::OrgNode> CheckVisible(std::optional<domain::OrgNode> node, const Caller& who,
                                     std::int64_t id, std::string_view permission);

}  // namespace linli::service
