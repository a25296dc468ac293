// The org tree: the governance grid every record in Linli hangs from.
//
// 街道 subdistrict → 社区 community → 小区/院落 compound → 网格 grid → 微网格 micro_grid, and
// 专属网格 dedicated_grid (an enterprise, park or school) under a community or compound.
// Each node has a materialised path of ids, "/1/7/42/", so "is X under Y" is a prefix test and
// a subtree is one indexed range scan. Paths always start and end with '/'.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "core/clock.h"
#include "core/result.h"

namespace linli::domain {

// A district (区/县, county level) is optional: a city's deployment groups its subdistricts under
// their districts, as the city's own platform does (市 → 区 → 街道 → 社区 → 网格); a subdistrict
// deployment has subdistricts as its roots.
enum class NodeType { kSubdistrict, kCommunity, kCompound, kGrid, kMicroGrid, kDedicatedGrid, kDistrict };

std::string_view NodeTypeName(NodeType t);
std::optional<NodeType> ParseNodeType(std::string_view s);
const std::vector<NodeType>& AllNodeTypes();

struct OrgNode {
  std::int64_t id = 0;
  std::int64_t parent_id = 0;  // 0 for a root
  NodeType type = NodeType::kSubdistrict;
  std::string code;
  std::string name;
  std::string path;  // "/1/7/42/"
  bool archived = false;
  Millis created_at = 0;
  Millis updated_at = 0;
  std::int64_t version = 1;  // bumped on every change; for optimistic concurrency
};

// Whether a node of type `child` may hang under a node of type `parent` (nullopt: a root).
bool MayParent(std::optional<NodeType> parent, NodeType child);

// Validation of the user-supplied parts of a node. Field names match the API's.
Status ValidateNodeName(std::string_view name);
// Digits only, at most 32: the shape of any code, checked before anything is looked up.
Status ValidateNodeCode(std::string_view code, std::string_view field = "code");
// Codes grow by level. A root district is its GB/T 2260 county code — 6 digits under a real
// province prefix; a root subdistrict is that county code and a 3-digit street number; every other
// node is its parent's code and its own 3-digit number (001–999): 320581 001 001 101 001 = county,
// street, community, compound, grid. `type` is the node's own (only a root's code depends on it).
Status CheckNodeCode(std::string_view code, const std::optional<OrgNode>& parent, NodeType type,
                     std::string_view field = "code");
// The code a node takes when it moves under `parent`: the parent's code and the node's own number
// (the last three digits of its code).
std::string CodeUnder(const OrgNode& parent, std::string_view code);

// Path helpers.
std::string ChildPath(std::string_view parent_path, std::int64_t id);
// The path of the node's parent: "/1/7/" for "/1/7/42/", "/" for a root's "/1/".
std::string ParentPath(std::string_view path);
bool PathIsUnder(std::string_view path, std::string_view ancestor_path);  // inclusive
int PathDepth(std::string_view path);
std::vector<std::int64_t> PathIds(std::string_view path);

// Checks a move of `node` under `new_parent` (nullopt: to the root).
Status CheckMove(const OrgNode& node, const std::optional<OrgNode>& new_parent);

}  // namespace linli::domain
