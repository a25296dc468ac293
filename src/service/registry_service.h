// The population registry as users see it: buildings, households and residents, scoped to the
// caller's nodes, personal fields encrypted on the way in and masked on the way out.
//
// Reads of personal data are audited: list pages and record views as they happen (in the
// background), unmasking and lookups by ID number or phone before anything is revealed.
#pragma once

#include <atomic>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "core/clock.h"
#include "core/field_crypto.h"
#include "domain/identity.h"
#include "domain/registry.h"
#include "service/audit_service.h"
#include "service/caller.h"
#include "service/geo_service.h"
#include "storage/database.h"
#include "storage/registry_repo.h"

namespace linli::service {

struct BuildingInput {
  std::int64_t node_id = 0;  // 0: placed by its location
  std::string code;
  std::string name;
  std::string address;
  std::optional<double> lon, lat;
  int floors = 0;
  int units = 0;
};

struct BuildingView {
  storage::BuildingRow row;
};

struct HouseholdInput {
  std::int64_t building_id = 0;
  std::string unit;
  std::string room;
};

struct ResidentView {
  std::int64_t id = 0;
  std::int64_t node_id = 0;
  std::int64_t household_id = 0;
  std::string relation, name, gender, birth_date;
  int age = 0;
  std::string id_number;  // masked unless revealed
  std::string phone;      // masked unless revealed
  std::string ethnic, residence_type, occupation;
  std::vector<std::string> tags;            // public and derived (elderly, child)
  std::vector<std::string> sensitive_tags;  // only when revealed
  bool has_sensitive = false;
  int disability_level = 0;                 // only when revealed
  bool vulnerable = false;
  std::string status;
  std::int64_t duplicate_of = 0;
  Millis last_visited_at = 0;
  Millis created_at = 0, updated_at = 0;
  std::int64_t version = 0;
  bool masked = true;
};

struct HouseholdView {
  storage::HouseholdRow row;
  std::string building_code, building_name, address;  // address masked unless revealed
  std::vector<ResidentView> members;
};

struct ResidentCreateInput {
  std::int64_t household_id = 0;  // or node_id for a resident without a household yet
  std::int64_t node_id = 0;
  domain::ResidentInput fields;
  std::string event = "register";  // register, move_in or birth
};

// A partial change: only the given fields change.
struct ResidentPatch {
  std::optional<std::string> name, gender, birth_date, id_number, phone, ethnic, residence_type, occupation,
      relation;
  std::optional<std::vector<std::string>> tags;
  std::optional<int> disability_level;
  std::optional<std::int64_t> household_id;
  std::optional<std::int64_t> version;
};

struct ResidentFilter {
  std::optional<std::int64_t> node_id;
  std::optional<std::string> tag;
  std::optional<int> age_min, age_max;
  std::optional<std::string> residence_type;
  std::optional<int> not_visited_days;
  std::optional<std::string> name;
  std::optional<std::int64_t> household_id;
  std::optional<std::string> status;  // default active; "any" for all
  bool duplicates_only = false;
  bool vulnerable_only = false;
  std::int64_t after_id = 0;
  int limit = 50;
};

struct NodeCounts {
  std::vector<std::pair<std::string, std::int64_t>> rollups;  // residents, households, buildings
  std::int64_t elderly = 0;
  std::int64_t vulnerable_unvisited_30d = 0;
};

class RegistryService {
 public:
  RegistryService(storage::Database& db, const Clock& clock, AuditService& audit,
                  std::shared_ptr<const crypto::FieldCrypto> crypto, GeoService& geo)
      : db_(db), clock_(clock), audit_(audit), crypto_(std::move(crypto)), geo_(geo) {}

  // Buildings from before address keys (migration sqlite 014 / postgres 013) get theirs, up to
  // 5,000 a call in two writes; how many it filled (0 once none is left, and from then on without
  // asking). The server calls it once a second in the background: a city's million buildings take
  // a few minutes without holding up its start or taking more than a few percent of the writer.
  Result<int> FillAddressKeys();

  void CreateBuilding(const Caller& who, BuildingInput in, Done<storage::BuildingRow> done);
  // The checks of a building's own fields, shared by the form and the buildings import: its code,
  // name, address, location, floors and units; a building without node_id is placed in the grid
  // its location lies in (node_id filled in). The node itself is checked by CheckBuildingNode.
  Status CheckBuildingInput(BuildingInput& in) const;
  // Whether buildings may be registered at `node`: an active grid, micro-grid, compound or community.
  static Status CheckBuildingNode(const domain::OrgNode& node);
  Result<storage::BuildingRow> GetBuilding(const Caller& who, std::int64_t id);
  Result<storage::BuildingRow> GetBuildingByCode(const Caller& who, std::string_view code);
  Result<std::vector<storage::BuildingRow>> ListBuildings(const Caller& who, std::optional<std::int64_t> node_id,
                                                          std::int64_t after_id, int limit);

  void CreateHousehold(const Caller& who, HouseholdInput in, Done<HouseholdView> done);
  Result<HouseholdView> GetHousehold(const Caller& who, std::int64_t id);
  Result<std::vector<HouseholdView>> ListHouseholds(const Caller& who, std::optional<std::int64_t> node_id,
                                                    std::optional<std::int64_t> building_id, std::int64_t after_id,
                                                    int limit);

  void CreateResident(const Caller& who, ResidentCreateInput in, Done<ResidentView> done);
  void UpdateResident(const Caller& who, std::int64_t id, ResidentPatch patch, Done<ResidentView> done);
  // The edit itself inside the caller's transaction, shared by PATCH and by a visit whose outcome is
  // "changed", so a change seen at the door gets the same checks, history and audit. `via` names the
  // source in the history (e.g. "visit:12").
  Result<ResidentView> ApplyResidentPatch(storage::SqlSession& s, const Caller& who, std::int64_t id,
                                          const ResidentPatch& patch, Millis now, std::string_view via = {});
  // move_out, death, archive (with a note); each ends membership of the household.
  void RecordLifeEvent(const Caller& who, std::int64_t id, std::string kind, std::string note,
                       Done<ResidentView> done);
  Result<ResidentView> GetResident(const Caller& who, std::int64_t id);
  Result<std::vector<storage::ResidentEventRow>> History(const Caller& who, std::int64_t id);
  // Needs resident.unmask and a reason; audited before anything is returned.
  Result<ResidentView> Unmask(const Caller& who, std::int64_t id, const std::string& reason);
  // Exact match by ID number or phone through the blind indexes, within the caller's scope.
  Result<std::vector<ResidentView>> Lookup(const Caller& who, const std::string& id_number, const std::string& phone);
  Result<std::vector<ResidentView>> ListResidents(const Caller& who, const ResidentFilter& f);
  Result<std::int64_t> CountResidents(const Caller& who, const ResidentFilter& f);
  Result<NodeCounts> Counts(const Caller& who, std::int64_t node_id);

  // A community's own tags (志愿者, 新就业群体 …), defined at a community or the subdistrict and
  // applying to everything under it. Residents may carry only custom tags that apply at their node.
  Result<std::vector<storage::CustomTagRow>> CustomTags(const Caller& who, std::int64_t node_id, bool include_retired);
  void DefineCustomTag(const Caller& who, std::int64_t node_id, std::string label, std::string description,
                       Done<storage::CustomTagRow> done);
  // Retired tags stay on the residents who have them but cannot be given anew.
  void RetireCustomTag(const Caller& who, std::int64_t tag_id, Done<storage::CustomTagRow> done);
  // Refuses a custom tag in `tags` that is not in use at `node_path`, unless the resident `had` it.
  Status CheckCustomTags(storage::SqlSession& s, std::string_view node_path, const std::vector<std::string>& tags,
                         const std::vector<std::string>& had = {});
  // The custom tags in use at a path, "custom:"-prefixed, cached by the caller for bulk checks.
  Result<std::vector<std::string>> CustomTagsInUse(storage::SqlSession& s, std::string_view node_path);

  // Shared with the import and export: turn rows into views and back.
  ResidentView View(const storage::ResidentRow& r, bool reveal, const domain::CivilDate& today) const;
  // Encrypts and indexes validated fields into a row whose id is already drawn. `id_index`, when
  // given, is the ID number's blind index computed already (an import's, while validating).
  void Seal(const domain::ResidentFields& f, storage::ResidentRow& r, std::string_view id_index = {}) const;
  std::string AddressIndex(std::int64_t building_id, std::string_view unit, std::string_view room) const;
  std::string SealRoom(std::string_view room, std::int64_t household_id) const;
  Result<std::string> OpenRoom(const storage::HouseholdRow& h) const;
  std::string TagKey(std::string_view tag) const;  // what resident_tags stores for a tag
  domain::CivilDate Today() const { return domain::ChinaDate(clock_.NowMillis()); }
  // The caller's scope for a permission, narrowed to a node the caller may see (404 otherwise).
  Result<std::vector<std::string>> ScopeAt(storage::SqlSession& s, const Caller& who, std::string_view permission,
                                           std::optional<std::int64_t> node_id);
  // Fills a list query from a filter; shared by List, Count and the export.
  Result<storage::ResidentListQuery> Query(storage::SqlSession& s, const Caller& who, std::string_view permission,
                                           const ResidentFilter& f);

  const crypto::FieldCrypto& field_crypto() const { return *crypto_; }

 private:
  Result<domain::ResidentFields> Decrypt(const storage::ResidentRow& r) const;

  std::atomic<bool> address_keys_filled_{false};
  storage::Database& db_;
  const Clock& clock_;
  AuditService& audit_;
  std::shared_ptr<const crypto::FieldCrypto> crypto_;
  GeoService& geo_;
};

}  // namespace linli::service
