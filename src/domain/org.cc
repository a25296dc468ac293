#include "domain/org.h"

#include <algorithm>
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
    case NodeType::kDistrict: return "district";
  }
  return "grid";
}

const std::vector<NodeType>& AllNodeTypes() {
  static const std::vector<NodeType> all = {NodeType::kDistrict, NodeType::kSubdistrict, NodeType::kCommunity,
                                            NodeType::kCompound, NodeType::kGrid,        NodeType::kMicroGrid,
                                            NodeType::kDedicatedGrid};
  return all;
}

std::optional<NodeType> ParseNodeType(std::string_view s) {
  for (NodeType t : AllNodeTypes()) {
    if (NodeTypeName(t) == s) return t;
  }
  return std::nullopt;
}

bool MayParent(std::optional<NodeType> parent, NodeType child) {
  if (!parent) return child == NodeType::kDistrict || child == NodeType::kSubdistrict;
  switch (child) {
    case NodeType::kDistrict: return false;
    case NodeType::kSubdistrict: return *parent == NodeType::kDistrict;
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

Status ValidateNodeCode(std::string_view code, std::string_view field) {
  std::string f(field);
  if (code.empty()) return Error::Invalid(f, f + " is required");
  if (code.size() > 32) return Error::Invalid(f, f + " must be at most 32 digits");
  for (char c : code) {
    if (c < '0' || c > '9') return Error::Invalid(f, f + " must contain digits only");
  }
  return Ok();
}

Status CheckNodeCode(std::string_view code, const std::optional<OrgNode>& parent, NodeType type,
                     std::string_view field) {
  LINLI_TRY(ValidateNodeCode(code, field));
  std::string f(field);
  if (!parent) {
    // GB/T 2260 province prefixes (11 Beijing … 65 Xinjiang, 71 Taiwan, 81 Hong Kong, 82 Macao).
    static constexpr int kProvinces[] = {11, 12, 13, 14, 15, 21, 22, 23, 31, 32, 33, 34, 35, 36, 37, 41, 42,
                                         43, 44, 45, 46, 50, 51, 52, 53, 54, 61, 62, 63, 64, 65, 71, 81, 82};
    int province = code.size() >= 2 ? (code[0] - '0') * 10 + (code[1] - '0') : 0;
    bool county = code.size() >= 6 && std::ranges::find(kProvinces, province) != std::end(kProvinces) &&
                  code.substr(2, 4) != "0000";
    if (type == NodeType::kDistrict) {
      // A district's code names a county, not its prefecture ("320500"). (A prefecture without
      // districts, such as Dongguan 441900, numbers its streets under its own code: those are
      // root subdistricts.)
      if (code.size() != 6 || !county || code.substr(4, 2) == "00") {
        return Error::Invalid(f, f + " of a district is its 6-digit county code (GB/T 2260), e.g. 320581");
      }
      return Ok();
    }
    if (code.size() != 9 || !county || code.substr(6) == "000") {
      return Error::Invalid(f, f + " of a subdistrict is its 6-digit county code (GB/T 2260) and a 3-digit street "
                                   "number, e.g. 320581001");
    }
    return Ok();
  }
  if (code.size() != parent->code.size() + 3 || !code.starts_with(parent->code) || code.ends_with("000")) {
    return Error::Invalid(f, f + " must be the parent's code " + parent->code + " followed by 3 digits (001–999)");
  }
  return Ok();
}

std::string CodeUnder(const OrgNode& parent, std::string_view code) {
  return parent.code + std::string(code.size() >= 3 ? code.substr(code.size() - 3) : code);
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

std::string ParentPath(std::string_view path) {
  if (path.size() < 2) return "/";
  return std::string(path.substr(0, path.rfind('/', path.size() - 2) + 1));
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
