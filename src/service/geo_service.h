// Boundaries of org nodes and the point → grid lookup every service uses for a location.
//
// The GeoIndex is immutable; a boundary change builds a new one and swaps it in, so lookups never
// wait for a writer. Grids, micro-grids and dedicated grids are indexed (a micro-grid wins over
// its grid, a dedicated grid over the grid around it).
#pragma once

#include <atomic>
#include <memory>
#include <optional>
#include <string>

#include "core/clock.h"
#include "domain/geo.h"
#include "domain/org.h"
#include "service/audit_service.h"
#include "service/caller.h"
#include "storage/database.h"

namespace linli::service {

struct LocateResult {
  std::int64_t node_id = 0;
  double distance_m = 0;
};

class GeoService {
 public:
  GeoService(storage::Database& db, const Clock& clock, AuditService& audit) : db_(db), clock_(clock), audit_(audit) {}

  // Loads every boundary into the index (start-up, and after structural changes).
  Status Reload();
  std::optional<LocateResult> Locate(domain::LonLat p, double tolerance_m = 50) const;
  // The grids (and micro- and dedicated grids) within `radius_m` of `p`, nearest first.
  std::vector<LocateResult> Near(domain::LonLat p, double radius_m) const;
  std::shared_ptr<const domain::GeoIndex> index() const { return std::atomic_load(&index_); }

  // Validates the GeoJSON and its placement (inside the parent, not over a sibling); on success
  // stores it with its centroid, records the change and refreshes the index.
  void SetBoundary(const Caller& who, std::int64_t node_id, std::string geojson, Done<domain::OrgNode> done);
  // Many boundaries at once from a GeoJSON FeatureCollection naming each node by properties.code
  // (a city's districts, streets, communities and grids before its first load): parents first (by
  // the codes' length), each checked as SetBoundary checks one against its parent and its siblings
  // as they stand in the same transaction; all or nothing, the first refused feature named; one
  // audit entry (org.boundaries); the point → grid index rebuilt once, after. How many were set.
  // (One node at a time, each SetBoundary rebuilds the index from every stored boundary.)
  Result<std::size_t> SetBoundaries(const Caller& who, std::string_view feature_collection);
  Result<std::string> GetBoundary(const Caller& who, std::int64_t node_id);
  // A GeoJSON FeatureCollection of the node's own boundary and its children's (those drawn), each
  // feature with the properties id, parent_id, name, code and type: what a map of the node shows.
  Result<std::string> ChildrenMap(const Caller& who, std::int64_t node_id);

 private:
  storage::Database& db_;
  const Clock& clock_;
  AuditService& audit_;
  std::shared_ptr<const domain::GeoIndex> index_ = std::make_shared<const domain::GeoIndex>(
      std::vector<domain::GeoIndex::Entry>{});
};

// How boundaries nest in the index: the higher rank wins where two cover a point.
int GeoRank(domain::NodeType t);

// What a new boundary of a `type` node under `parent_id` must respect: the parent's boundary
// (when drawn) and the drawn boundaries of its siblings but `except_id`. Dedicated grids (a
// school, a park) lie inside ordinary grids by nature, so the two kinds are not each other's
// siblings here.
struct Neighbours {
  std::optional<domain::PlacedShape> parent;
  std::vector<domain::PlacedShape> siblings;
};
Result<Neighbours> LoadNeighbours(storage::SqlSession& s, std::int64_t parent_id, std::int64_t except_id,
                                  domain::NodeType type);

}  // namespace linli::service
