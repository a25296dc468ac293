// Org tree persistence. Moves rewrite the materialised path of the whole subtree in the same
// transaction, so nothing is ever seen half-moved.
#pragma once

#include <optional>
#include <unordered_map>
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
  // The nodes holding any of `codes` (archived ones too), by code; 500 codes a query.
  static Result<std::unordered_map<std::string, domain::OrgNode>> ByCodes(SqlSession& s, std::vector<std::string> codes);
  // The nodes of these ids that exist, in the order of `ids` (a city's 100 subdistricts in a few
  // statements instead of 100).
  static Result<std::vector<domain::OrgNode>> GetMany(SqlSession& s, const std::vector<std::int64_t>& ids);
  // The ids of the roots (the subdistricts), archived ones included, in id order.
  static Result<std::vector<std::int64_t>> RootIds(SqlSession& s);
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
  // Rewrites the paths of the subtree and of every record under it (PathBearingTables), renumbers
  // the subtree's codes under `new_code` (which the caller checked is free), and moves its rollup
  // counts from the old ancestors to the new ones.
  static Status Move(SqlSession& s, const domain::OrgNode& node, std::int64_t new_parent_id,
                     const std::string& new_path, const std::string& new_code, Millis now);
  static Result<std::vector<domain::OrgNode>> List(SqlSession& s, const OrgListQuery& q);
  static Result<std::int64_t> CountActiveChildren(SqlSession& s, std::int64_t id);
};

// Tables whose rows carry the node_path of the org node they belong to; a move rewrites them all.
// A new module whose records hang from the tree adds its table here.
const std::vector<std::string_view>& PathBearingTables();

}  // namespace linli::storage

namespace linli::storage {

struct NodeBoundary {
  std::int64_t node_id = 0;
  std::int64_t parent_id = 0;
  domain::NodeType type = domain::NodeType::kGrid;
  std::string path;
  std::string geojson;  // empty: none drawn
  std::optional<double> centroid_lon, centroid_lat;
};

struct OrgChangeRow {
  std::int64_t id = 0;
  std::int64_t node_id = 0;
  std::string kind;    // boundary, split, created_by_split, merge, merged_into, move
  std::string detail;  // JSON
  std::int64_t actor_id = 0;
  Millis at = 0;
};

class BoundaryRepo {
 public:
  static Status Set(SqlSession& s, std::int64_t node_id, const std::string& geojson, double lon, double lat,
                    Millis now);
  static Result<std::optional<NodeBoundary>> Get(SqlSession& s, std::int64_t node_id);
  // Active children of a node that have a boundary.
  static Result<std::vector<NodeBoundary>> Children(SqlSession& s, std::int64_t parent_id);
  // Every active node with a boundary (to build the point → grid index).
  static Result<std::vector<NodeBoundary>> All(SqlSession& s);
  static Result<std::vector<OrgChangeRow>> Changes(SqlSession& s, std::int64_t node_id);
  static Status AddChange(SqlSession& s, std::int64_t node_id, const std::string& node_path, std::string_view kind,
                          const std::string& detail, std::int64_t actor_id, Millis now);
};

}  // namespace linli::storage
