#include "service/geo_service.h"

#include <algorithm>

#include "core/crypto.h"
#include "core/json_text.h"
#include "service/org_service.h"
#include "storage/org_repo.h"

namespace linli::service {

using storage::BoundaryRepo;
using storage::SqlSession;

int GeoRank(domain::NodeType t) {
  switch (t) {
    case domain::NodeType::kMicroGrid: return 3;
    case domain::NodeType::kDedicatedGrid: return 2;
    case domain::NodeType::kGrid: return 1;
    default: return 0;
  }
}

Result<Neighbours> LoadNeighbours(SqlSession& s, std::int64_t parent_id, std::int64_t except_id, domain::NodeType type) {
  Neighbours out;
  LINLI_ASSIGN_OR_RETURN(auto pb, BoundaryRepo::Get(s, parent_id));
  if (pb && !pb->geojson.empty()) {
    if (auto shape = domain::ParseBoundary(pb->geojson)) out.parent = domain::PlacedShape{parent_id, *shape};
  }
  LINLI_ASSIGN_OR_RETURN(auto children, BoundaryRepo::Children(s, parent_id));
  for (const auto& c : children) {
    if (c.node_id == except_id) continue;
    if ((c.type == domain::NodeType::kDedicatedGrid) != (type == domain::NodeType::kDedicatedGrid)) continue;
    if (auto shape = domain::ParseBoundary(c.geojson)) out.siblings.push_back({c.node_id, *shape});
  }
  return out;
}

Status GeoService::Reload() {
  LINLI_ASSIGN_OR_RETURN(auto all, storage::ReadValue<std::vector<storage::NodeBoundary>>(db_, [](SqlSession& s) {
    return BoundaryRepo::All(s);
  }));
  std::vector<domain::GeoIndex::Entry> entries;
  for (const auto& b : all) {
    int rank = GeoRank(b.type);
    if (rank == 0) continue;
    auto shape = domain::ParseBoundary(b.geojson);
    if (!shape) continue;  // stored boundaries were validated; a damaged one is simply not indexed
    entries.push_back({b.node_id, rank, std::move(*shape)});
  }
  std::atomic_store(&index_, std::shared_ptr<const domain::GeoIndex>(
                                 std::make_shared<const domain::GeoIndex>(std::move(entries))));
  return Ok();
}

std::optional<LocateResult> GeoService::Locate(domain::LonLat p, double tolerance_m) const {
  auto hit = index()->Locate(p, tolerance_m);
  if (!hit) return std::nullopt;
  return LocateResult{hit->node_id, hit->distance_m};
}

std::vector<LocateResult> GeoService::Near(domain::LonLat p, double radius_m) const {
  std::vector<LocateResult> out;
  for (const auto& hit : index()->Within(p, radius_m)) out.push_back({hit.node_id, hit.distance_m});
  return out;
}

void GeoService::SetBoundary(const Caller& who, std::int64_t node_id, std::string geojson, Done<domain::OrgNode> done) {
  auto shape = domain::ParseBoundary(geojson);
  if (!shape) return done(shape.error());
  Millis now = clock_.NowMillis();
  auto normalised = shape->ToGeoJson();
  auto centroid = shape->Centroid();
  storage::SubmitWrite<domain::OrgNode>(db_, [=, this](SqlSession& s) -> Result<domain::OrgNode> {
    LINLI_ASSIGN_OR_RETURN(auto node, VisibleNode(s, who, node_id, domain::perm::kOrgWrite));
    Neighbours around;
    if (node.parent_id != 0) {
      LINLI_ASSIGN_OR_RETURN(around, LoadNeighbours(s, node.parent_id, node_id, node.type));
    }
    auto violations = domain::CheckPlacement(*shape, around.parent, around.siblings);
    if (!violations.empty()) {
      return Error::Invalid("boundary", "the boundary " + domain::DescribeViolations(violations));
    }
    LINLI_TRY(BoundaryRepo::Set(s, node_id, normalised, centroid.lon, centroid.lat, now));
    LINLI_TRY(BoundaryRepo::AddChange(s, node_id, node.path, "boundary",
                                      JsonObject().Add("vertices", static_cast<std::int64_t>(shape->VertexCount()))
                                          .Add("area_m2", static_cast<std::int64_t>(shape->AreaSquareMetres())).Str(),
                                      who.user_id(), now));
    LINLI_TRY(audit_.Record(s, who, {.action = "org.boundary", .node_path = node.path,
                                     .target = "org_node:" + std::to_string(node_id)}));
    node.version += 1;
    node.updated_at = now;
    return node;
  }, [this, done = std::move(done)](Result<domain::OrgNode> r) {
    if (r) (void)Reload();
    done(std::move(r));
  });
}

Result<std::size_t> GeoService::SetBoundaries(const Caller& who, std::string_view feature_collection) {
  if (domain::ScopeFor(who.principal, domain::perm::kOrgWrite).Empty() && !who.is_system()) {
    return Error::Denied("you may not change the org tree");
  }
  LINLI_ASSIGN_OR_RETURN(auto features, domain::ParseCodedBoundaries(feature_collection));
  std::stable_sort(features.begin(), features.end(),
                   [](const auto& a, const auto& b) { return a.code.size() < b.code.size(); });
  Millis now = clock_.NowMillis();
  Status written = db_.WriteSync(
      [&](SqlSession& s) -> Status {
        std::vector<std::string> codes;
        for (const auto& f : features) codes.push_back(f.code);
        LINLI_ASSIGN_OR_RETURN(auto nodes, storage::OrgRepo::ByCodes(s, std::move(codes)));
        std::string first_path;
        for (const auto& f : features) {
          auto refuse = [&](const std::string& why) {
            return Error::Invalid("features", "feature " + std::to_string(f.position) + " (" + f.code + "): " + why);
          };
          auto it = nodes.find(f.code);
          auto node = CheckVisible(it == nodes.end() ? std::nullopt : std::optional(it->second), who,
                                   it == nodes.end() ? 0 : it->second.id, domain::perm::kOrgWrite);
          if (!node) return refuse(it == nodes.end() ? "no such org node" : node.error().message);
          Neighbours around;
          if (node->parent_id != 0) {
            LINLI_ASSIGN_OR_RETURN(around, LoadNeighbours(s, node->parent_id, node->id, node->type));
          }
          auto violations = domain::CheckPlacement(f.shape, around.parent, around.siblings);
          if (!violations.empty()) return refuse("the boundary " + domain::DescribeViolations(violations));
          auto centroid = f.shape.Centroid();
          LINLI_TRY(BoundaryRepo::Set(s, node->id, f.shape.ToGeoJson(), centroid.lon, centroid.lat, now));
          LINLI_TRY(BoundaryRepo::AddChange(s, node->id, node->path, "boundary",
                                            JsonObject().Add("vertices", static_cast<std::int64_t>(f.shape.VertexCount()))
                                                .Add("area_m2", static_cast<std::int64_t>(f.shape.AreaSquareMetres())).Str(),
                                            who.user_id(), now));
          if (first_path.empty()) first_path = node->path;
        }
        if (features.empty()) return Ok();
        return audit_.Record(s, who, {.action = "org.boundaries", .node_path = first_path,
                                      .target = "file:" + crypto::HashHex(feature_collection).substr(0, 16),
                                      .detail = JsonObject().Add("boundaries", static_cast<std::int64_t>(features.size())).Str()});
      },
      storage::Batching::kAlone);
  if (!written) return written.error();
  LINLI_TRY(Reload());
  return features.size();
}

Result<std::string> GeoService::GetBoundary(const Caller& who, std::int64_t node_id) {
  return storage::ReadValue<std::string>(db_, [&](SqlSession& s) -> Result<std::string> {
    LINLI_TRY(VisibleNode(s, who, node_id, domain::perm::kOrgRead));
    LINLI_ASSIGN_OR_RETURN(auto b, BoundaryRepo::Get(s, node_id));
    if (!b || b->geojson.empty()) return Error::NotFound("node " + std::to_string(node_id) + " has no boundary yet");
    return b->geojson;
  });
}

Result<std::string> GeoService::ChildrenMap(const Caller& who, std::int64_t node_id) {
  return storage::ReadValue<std::string>(db_, [&](SqlSession& s) -> Result<std::string> {
    LINLI_ASSIGN_OR_RETURN(auto node, VisibleNode(s, who, node_id, domain::perm::kOrgRead));
    storage::OrgListQuery q;
    q.scope_prefixes = {node.path};
    q.parent_id = node.id;
    q.limit = 5000;
    LINLI_ASSIGN_OR_RETURN(auto kids, storage::OrgRepo::List(s, q));
    std::unordered_map<std::int64_t, const domain::OrgNode*> by_id;
    by_id[node.id] = &node;
    for (const auto& k : kids) by_id[k.id] = &k;
    LINLI_ASSIGN_OR_RETURN(auto drawn, BoundaryRepo::Children(s, node.id));
    LINLI_ASSIGN_OR_RETURN(auto own, BoundaryRepo::Get(s, node.id));
    if (own && !own->geojson.empty()) drawn.insert(drawn.begin(), std::move(*own));
    std::string out = R"({"type":"FeatureCollection","features":[)";
    bool first = true;
    for (const auto& b : drawn) {
      auto it = by_id.find(b.node_id);
      if (it == by_id.end() || b.geojson.empty()) continue;
      const auto& n = *it->second;
      if (!first) out += ',';
      first = false;
      out += R"({"type":"Feature","properties":)";
      out += JsonObject()
                 .Add("id", n.id)
                 .Add("parent_id", n.parent_id)
                 .Add("name", n.name)
                 .Add("code", n.code)
                 .Add("type", domain::NodeTypeName(n.type))
                 .Str();
      out += R"(,"geometry":)";
      out += b.geojson;  // stored normalised: a Polygon or MultiPolygon geometry
      out += '}';
    }
    out += "]}";
    return out;
  });
}

}  // namespace linli::service
