#include "service/geo_service.h"

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

void GeoService::SetBoundary(const Caller& who, std::int64_t node_id, std::string geojson, Done<domain::OrgNode> done) {
  auto shape = domain::ParseBoundary(geojson);
  if (!shape) return done(shape.error());
  Millis now = clock_.NowMillis();
  auto normalised = shape->ToGeoJson();
  auto centroid = shape->Centroid();
  storage::SubmitWrite<domain::OrgNode>(db_, [=, this](SqlSession& s) -> Result<domain::OrgNode> {
    LINLI_ASSIGN_OR_RETURN(auto node, VisibleNode(s, who, node_id, domain::perm::kOrgWrite));
    std::optional<domain::PlacedShape> parent;
    std::vector<domain::PlacedShape> siblings;
    if (node.parent_id != 0) {
      LINLI_ASSIGN_OR_RETURN(auto pb, BoundaryRepo::Get(s, node.parent_id));
      if (pb && !pb->geojson.empty()) {
        if (auto ps = domain::ParseBoundary(pb->geojson)) parent = domain::PlacedShape{node.parent_id, *ps};
      }
      LINLI_ASSIGN_OR_RETURN(auto sibs, BoundaryRepo::Children(s, node.parent_id));
      for (const auto& sb : sibs) {
        if (sb.node_id == node_id) continue;
        // Dedicated grids (a school, a park) lie inside ordinary grids by nature.
        if ((sb.type == domain::NodeType::kDedicatedGrid) != (node.type == domain::NodeType::kDedicatedGrid)) continue;
        if (auto ss = domain::ParseBoundary(sb.geojson)) siblings.push_back({sb.node_id, *ss});
      }
    }
    auto violations = domain::CheckPlacement(*shape, parent, siblings);
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

Result<std::string> GeoService::GetBoundary(const Caller& who, std::int64_t node_id) {
  return storage::ReadValue<std::string>(db_, [&](SqlSession& s) -> Result<std::string> {
    LINLI_TRY(VisibleNode(s, who, node_id, domain::perm::kOrgRead));
    LINLI_ASSIGN_OR_RETURN(auto b, BoundaryRepo::Get(s, node_id));
    if (!b || b->geojson.empty()) return Error::NotFound("node " + std::to_string(node_id) + " has no boundary yet");
    return b->geojson;
  });
}

}  // namespace linli::service
