#include "domain/org.h"

#include <charconv>

#include "domain/text.h"

namespace linli::domain {

std::string_view NodeTypeName(NodeType t) {
  switch (t) {
    case NodeType::kSubdistrict: return "subdistrict";
    case NodeType::kCommunity: return "community";
    case NodeType::kCompound: return "compound";
    case NodeType::kGrid: return "grid";
    case NodeType::kMicroGrid: return "micro_grid";
    case NodeType::kDedicatedGrid: return "dedicated_grid";
  }
  return "grid";
}

const std::vector<NodeType>& AllNodeTypes() {
  static const std::vector<NodeType> all = {NodeType::kSubdistrict, NodeType::kCommunity,
                                            NodeType::kCompound,    NodeType::kGrid,
                                            NodeType::kMicroGrid,   NodeType::kDedicatedGrid};
  return all;
}

std::optional<NodeType> ParseNodeType(std::string_view s) {
  for (NodeType t : AllNodeTypes()) {
    if (NodeTypeName(t) == s) return t;
  }
  return std::nullopt;
}

bool MayParent(std::optional<NodeType> parent, NodeType child) {
  if (!parent) return child == NodeType::kSubdistrict;
  switch (child) {
    case NodeType::kSubdistrict: return false;
    case NodeType::kCommunity: return *parent == NodeType::kSubdistrict;
    case NodeType::kCompound: return *parent == NodeType::kCommunity;
    // Many communities have no compound level, so a grid may hang directly under the community.
    case NodeType::kGrid: return *parent == NodeType::kCommunity || *parent == NodeType::kCompound;
    case NodeType::kMicroGrid: return *parent == NodeType::kGrid;
    case NodeType::kDedicatedGrid:
      return *parent == NodeType::kCommunity || *parent == NodeType::kCompound;
  }
  return false;
}

Status ValidateNodeName(std::string_view name) {
  return ValidateText("name", name, {.min_chars = 1, .max_chars = 100, .single_line = true});
}

Status ValidateNodeCode(std::string_view code) {
  // GB/T 2260 county code (6 digits) followed by street, community and grid numbers: digits only,
  // at most 32 of them. Issue #3 tightens this per level.
  if (code.empty()) return Error::Invalid("code", "code is required");
  if (code.size() > 32) return Error::Invalid("code", "code must be at most 32 digits");
  for (char c : code) {
    if (c < '0' || c > '9') return Error::Invalid("code", "code must contain digits only");
  }
  return Ok();
}

std::string ChildPath(std::string_view parent_path, std::int64_t id) {
  std::string p = parent_path.empty() ? std::string("/") : std::string(parent_path);
  p += std::to_string(id);
  p += '/';
  return p;
}

bool PathIsUnder(std::string_view path, std::string_view ancestor_path) {
  return !ancestor_path.empty() && path.starts_with(ancestor_path);
}

int PathDepth(std::string_view path) {
  int n = 0;
  for (char c : path) n += (c == '/');
  return n > 0 ? n - 1 : 0;
}

std::vector<std::int64_t> PathIds(std::string_view path) {
  std::vector<std::int64_t> ids;
  std::size_t i = 0;
  while (i < path.size()) {
    if (path[i] == '/') { ++i; continue; }
    std::size_t j = path.find('/', i);
    if (j == std::string_view::npos) j = path.size();
    std::int64_t v = 0;
    std::from_chars(path.data() + i, path.data() + j, v);
    ids.push_back(v);
    i = j;
  }
  return ids;
}

Status CheckMove(const OrgNode& node, const std::optional<OrgNode>& new_parent) {
  if (node.archived) return Error::Precondition("an archived node cannot be moved");
  if (new_parent) {
    if (new_parent->archived) return Error::Invalid("parent_id", "the new parent is archived");
    if (new_parent->id == node.id || PathIsUnder(new_parent->path, node.path)) {
      return Error::Invalid("parent_id", "a node cannot move under itself or its own descendant");
    }
  }
  if (!MayParent(new_parent ? std::optional(new_parent->type) : std::nullopt, node.type)) {
    return Error::Invalid("parent_id", std::string("a ") + std::string(NodeTypeName(node.type)) +
                                           " cannot be placed there");
  }
  return Ok();
}

}  // namespace linli::domain
