// The org nodes a screen names on every request — a cockpit's node, the trail above it, its
// children, a region's top nodes — kept in memory while the org tree stands, so a cockpit reads
// only its figures from the database (on PostgreSQL, one round trip instead of four).
//
// Entries live while the AccessEpoch stands and at most kLifetime: creating, renaming, moving,
// archiving, splitting and merging nodes bump the epoch when committed, so this process sees them
// on its next request;
// another process sharing the database (and a boundary edit, which changes only a node's version
// and updated_at) within the lifetime — the authentication cache's two seconds.
#pragma once

#include <cstdint>
#include <memory>
#include <optional>
#include <vector>

#include "core/clock.h"
#include "core/result.h"
#include "domain/org.h"
#include "service/access_epoch.h"
#include "storage/sql.h"

namespace linli::service {

class OrgNodeCache {
 public:
  explicit OrgNodeCache(const AccessEpoch& epoch);

  // The nodes of `ids` that exist, in the order of `ids`; those not cached read in one go.
  Result<std::vector<domain::OrgNode>> Nodes(storage::SqlSession& s, const std::vector<std::int64_t>& ids, Millis now);
  Result<std::optional<domain::OrgNode>> Node(storage::SqlSession& s, std::int64_t id, Millis now);
  // A node's children that are not archived, by id.
  Result<std::shared_ptr<const std::vector<domain::OrgNode>>> Children(storage::SqlSession& s,
                                                                       const domain::OrgNode& parent, Millis now);
  // The roots' ids (archived ones included), in id order.
  Result<std::shared_ptr<const std::vector<std::int64_t>>> RootIds(storage::SqlSession& s, Millis now);

 private:
  static constexpr Millis kLifetime = 2000;
  // A city has ~100,000 nodes; the cockpits in use name a few thousand at most.
  static constexpr std::size_t kMaxNodes = 20000, kMaxChildLists = 5000;
  EpochCache<std::int64_t, domain::OrgNode> nodes_;
  EpochCache<std::int64_t, std::shared_ptr<const std::vector<domain::OrgNode>>> children_;
  EpochCache<int, std::shared_ptr<const std::vector<std::int64_t>>> roots_;
};

}  // namespace linli::service
