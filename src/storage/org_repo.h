// Org tree persistence. Moves rewrite the materialised path of the whole subtree in the same
// transaction, so nothing is ever seen half-moved.
#pragma once

#include <optional>
#include <string>
#include <vector>

#include "domain/org.h"
#include "storage/sql.h"

namespace linli::storage {

struct OrgListQuery {
  std::vector<std::string> scope_prefixes;  // only nodes under these
  std::optional<std::int64_t> parent_id;     // children of this node (0: roots)
  std::optional<domain::NodeType> type;
  bool include_archived = false;
  std::int64_t after_id = 0;                 // keyset cursor
  int limit = 100;
};

class OrgRepo {
 public:
  static Result<std::optional<domain::OrgNode>> Get(SqlSession& s, std::int64_t id);
  static Result<std::optional<domain::OrgNode>> GetByCode(SqlSession& s, std::string_view code);
  // A node and whether `code` is taken, in one round trip (the checks before a create).
  static Result<std::pair<std::optional<domain::OrgNode>, bool>> GetWithCodeTaken(
      SqlSession& s, std::int64_t id, std::string_view code);
  // Inserts and fills in id and path, without waiting for the database: the id comes from
  // SqlSession::NextId. The row names its parent only if the parent still has `parent_path` and
  // is not archived; otherwise a constraint refuses it (failed_precondition), so a node never
  // lands under a parent that moved or was archived after the caller checked it.
  static Result<domain::OrgNode> Insert(SqlSession& s, domain::OrgNode node,
                                        const std::string& parent_path);
  // Conditional on the version the caller read; kAborted when someone changed it meanwhile.
  static Status Rename(SqlSession& s, std::int64_t id, std::int64_t expected_version,
                       const std::string& name, Millis now);
  static Status SetArchived(SqlSession& s, std::int64_t id, std::int64_t expected_version,
                            bool archived, Millis now);
  static Status Move(SqlSession& s, const domain::OrgNode& node, std::int64_t new_parent_id,
                     const std::string& new_path, Millis now);
  static Result<std::vector<domain::OrgNode>> List(SqlSession& s, const OrgListQuery& q);
  static Result<std::int64_t> CountActiveChildren(SqlSession& s, std::int64_t id);
};

}  // namespace linli::storage
