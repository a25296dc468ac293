// The grid team and its field work: who holds which position where (网格班子), who is responsible
// for a point, building or household at each level of the chain, sweep campaigns (扫楼清查) and
// household visits (入户走访), and the vulnerable residents nobody has visited lately.
#pragma once

#include <optional>
#include <string>
#include <vector>

#include "service/audit_service.h"
#include "service/caller.h"
#include "service/geo_service.h"
#include "service/registry_service.h"
#include "storage/database.h"
#include "storage/fieldwork_repo.h"

namespace linli::service {

struct StaffInput {
  std::int64_t user_id = 0;
  std::int64_t node_id = 0;       // or the building's node for a building head
  std::string position;
  std::int64_t building_id = 0;   // building heads only
};

// One level of the chain of responsibility, from the place itself up to the subdistrict.
struct ResponsibleLevel {
  domain::OrgNode node;
  std::vector<storage::StaffPositionRow> staff;
};

struct Responsible {
  std::vector<storage::StaffPositionRow> building_heads;
  std::vector<ResponsibleLevel> chain;  // deepest first
};

struct SweepInput {
  std::int64_t node_id = 0;
  std::string title;
  Millis due_at = 0;
};

struct SweepProgress {
  storage::SweepRow sweep;
  std::vector<storage::ProgressRow> by_node;
  std::vector<storage::ProgressRow> by_visitor;
};

struct VisitInput {
  std::int64_t household_id = 0;
  std::int64_t sweep_id = 0;
  std::string outcome;
  std::string changes;  // JSON object: what changed (outcome "changed"), kept with the visit
  // The residents' records as found at the door (outcome "changed"); applied with the visit.
  struct ResidentChange {
    std::int64_t resident_id = 0;
    ResidentPatch patch;
  };
  std::vector<ResidentChange> resident_changes;
  std::string notes;
  Millis visited_at = 0;  // 0: now
};

struct VisitView {
  storage::VisitRow row;
  std::string changes, notes;  // decrypted for callers who may read the household
};

// Decrypts a visit's changes and notes. Phones and ID numbers inside the changes are masked unless
// `reveal` (an unmasked export): the changes are personal data like the record they changed.
Result<VisitView> OpenVisit(const crypto::FieldCrypto& fc, storage::VisitRow row, bool reveal);

class FieldworkService {
 public:
  FieldworkService(storage::Database& db, const Clock& clock, AuditService& audit, RegistryService& registry,
                   GeoService& geo)
      : db_(db), clock_(clock), audit_(audit), registry_(registry), geo_(geo) {}

  void AddStaff(const Caller& who, StaffInput in, Done<storage::StaffPositionRow> done);
  void EndStaff(const Caller& who, std::int64_t id, Done<storage::StaffPositionRow> done);
  Result<std::vector<storage::StaffPositionRow>> ListStaff(const Caller& who, std::optional<std::int64_t> node_id,
                                                           std::int64_t after_id, int limit);
  // Exactly one of: a point, a building, a household.
  Result<Responsible> ResponsibleFor(const Caller& who, std::optional<domain::LonLat> point,
                                     std::optional<std::int64_t> building_id, std::optional<std::int64_t> household_id);

  void CreateSweep(const Caller& who, SweepInput in, Done<storage::SweepRow> done);
  Result<std::vector<storage::SweepRow>> ListSweeps(const Caller& who, std::optional<std::int64_t> node_id,
                                                    std::int64_t after_id, int limit);
  Result<SweepProgress> Progress(const Caller& who, std::int64_t sweep_id);
  Result<std::vector<std::pair<std::int64_t, std::string>>> SweepHouseholds(const Caller& who, std::int64_t sweep_id,
                                                                            bool pending_only, std::int64_t after_id,
                                                                            int limit);

  void RecordVisit(const Caller& who, VisitInput in, Done<VisitView> done);
  // Newest first; `q.prefixes` is filled from the caller's scope at node_id.
  Result<std::vector<VisitView>> ListVisits(const Caller& who, std::optional<std::int64_t> node_id,
                                            storage::VisitListQuery q);
  // Elderly people living alone, disabled and key-care residents not visited within `days`.
  // (The resident list filtered by vulnerable=true and not_visited_days.)
  Result<std::vector<ResidentView>> Overdue(const Caller& who, std::optional<std::int64_t> node_id, int days,
                                            std::int64_t after_id, int limit);

 private:
  storage::Database& db_;
  const Clock& clock_;
  AuditService& audit_;
  RegistryService& registry_;
  GeoService& geo_;
};

}  // namespace linli::service
