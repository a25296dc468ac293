#include "service/org_node_cache.h"

#include <unordered_map>

#include "storage/org_repo.h"

namespace linli::service {

OrgNodeCache::OrgNodeCache(const AccessEpoch& epoch)
    : nodes_(epoch, kLifetime, kMaxNodes), children_(epoch, kLifetime, kMaxChildLists), roots_(epoch, kLifetime, 1) {}

Result<std::vector<domain::OrgNode>> OrgNodeCache::Nodes(storage::SqlSession& s, const std::vector<std::int64_t>& ids,
                                                         Millis now) {
  std::vector<std::optional<domain::OrgNode>> found(ids.size());
  std::vector<std::int64_t> missing;
  for (std::size_t i = 0; i < ids.size(); ++i) {
    found[i] = nodes_.Get(ids[i], now);
    if (!found[i]) missing.push_back(ids[i]);
  }
  if (!missing.empty()) {
    auto stamp = nodes_.Stamp();  // before the read: a change committed meanwhile leaves it stale
    LINLI_ASSIGN_OR_RETURN(auto loaded, storage::OrgRepo::GetMany(s, missing));
    std::unordered_map<std::int64_t, domain::OrgNode> by_id;
    for (auto& n : loaded) {
      nodes_.Put(n.id, n, stamp, now);
      by_id.emplace(n.id, std::move(n));
    }
    for (std::size_t i = 0; i < ids.size(); ++i) {
      if (auto it = by_id.find(ids[i]); !found[i] && it != by_id.end()) found[i] = it->second;
    }
  }
  std::vector<domain::OrgNode> out;
  out.reserve(ids.size());
  for (auto& n : found) {
    if (n) out.push_back(std::move(*n));
  }
  return out;
}

Result<std::optional<domain::OrgNode>> OrgNodeCache::Node(storage::SqlSession& s, std::int64_t id, Millis now) {
  LINLI_ASSIGN_OR_RETURN(auto nodes, Nodes(s, {id}, now));
  if (nodes.empty()) return std::optional<domain::OrgNode>();
  return std::optional<domain::OrgNode>(std::move(nodes.front()));
}

Result<std::shared_ptr<const std::vector<domain::OrgNode>>> OrgNodeCache::Children(storage::SqlSession& s,
                                                                                  const domain::OrgNode& parent,
                                                                                  Millis now) {
  if (auto hit = children_.Get(parent.id, now)) return std::move(*hit);
  auto stamp = children_.Stamp();
  storage::OrgListQuery q;
  q.scope_prefixes = {parent.path};
  q.parent_id = parent.id;
  q.limit = 5000;
  LINLI_ASSIGN_OR_RETURN(auto kids, storage::OrgRepo::List(s, q));
  auto shared = std::make_shared<const std::vector<domain::OrgNode>>(std::move(kids));
  children_.Put(parent.id, shared, stamp, now);
  return shared;
}

Result<std::shared_ptr<const std::vector<std::int64_t>>> OrgNodeCache::RootIds(storage::SqlSession& s, Millis now) {
  if (auto hit = roots_.Get(0, now)) return std::move(*hit);
  auto stamp = roots_.Stamp();
  LINLI_ASSIGN_OR_RETURN(auto ids, storage::OrgRepo::RootIds(s));
  auto shared = std::make_shared<const std::vector<std::int64_t>>(std::move(ids));
  roots_.Put(0, shared, stamp, now);
  return shared;
}

}  // namespace linli::service
