// Changing the shape of the grid: split a grid into micro-grids, merge two grids, and the history
// of such changes. Records follow the tree in the same transaction (buildings go to the micro-grid
// their location falls in; everything at a merged grid goes to the grid it joins), the counts are
// rebuilt for the part of the tree that changed, and each change is kept in org_changes.
#pragma once

#include <string>
#include <vector>

#include "service/access_epoch.h"
#include "service/audit_service.h"
#include "service/caller.h"
#include "service/geo_service.h"
#include "storage/database.h"
#include "storage/org_repo.h"

namespace linli::service {

struct MicroGridInput {
  std::string code;
  std::string name;
  std::string boundary;  // GeoJSON
};

struct SplitResult {
  std::vector<domain::OrgNode> micro_grids;
  std::int64_t buildings_moved = 0;
  std::int64_t buildings_unplaced = 0;  // no location, or outside every new micro-grid: stay at the grid
};

using OrgChange = storage::OrgChangeRow;

class RestructureService {
 public:
  RestructureService(storage::Database& db, const Clock& clock, AuditService& audit, GeoService& geo, AccessEpoch& epoch)
      : db_(db), clock_(clock), audit_(audit), geo_(geo), epoch_(epoch) {}

  void Split(const Caller& who, std::int64_t grid_id, std::vector<MicroGridInput> parts, Done<SplitResult> done);
  // Grid `from_id` joins grid `into_id`: its micro-grids, buildings, households, residents and
  // staff follow; the boundaries unite; `from_id` is archived.
  void Merge(const Caller& who, std::int64_t into_id, std::int64_t from_id, Done<domain::OrgNode> done);
  Result<std::vector<OrgChange>> History(const Caller& who, std::int64_t node_id);

 private:
  storage::Database& db_;
  const Clock& clock_;
  AuditService& audit_;
  GeoService& geo_;
  AccessEpoch& epoch_;
};

}  // namespace linli::service
