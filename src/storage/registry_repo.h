// Buildings, households and residents as stored: personal fields are already ciphertext and blind
// indexes here (the service encrypts and decrypts), so nothing in storage/ ever sees them in the
// clear. Rollup counts (node_counts) are kept current by the same calls that change the rows.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <unordered_map>
#include <unordered_set>
#include <vector>

#include "core/clock.h"
#include "storage/sql.h"

namespace linli::storage {

struct BuildingRow {
  std::int64_t id = 0;
  std::int64_t node_id = 0;
  std::string node_path;
  std::string code;
  std::string name;
  std::string address;
  std::optional<double> lon, lat;
  int floors = 0;
  int units = 0;
  bool archived = false;
  Millis created_at = 0;
  Millis updated_at = 0;
  std::int64_t version = 1;
};

struct HouseholdRow {
  std::int64_t id = 0;
  std::int64_t node_id = 0;
  std::string node_path;
  std::int64_t building_id = 0;
  std::string unit;
  std::string room_enc;
  std::string address_index;
  std::int64_t head_id = 0;
  int members = 0;
  std::string status = "active";
  Millis created_at = 0;
  Millis updated_at = 0;
  std::int64_t version = 1;
};

struct ResidentRow {
  std::int64_t id = 0;
  std::int64_t node_id = 0;
  std::string node_path;
  std::int64_t household_id = 0;  // 0: none
  std::string relation;
  std::string name;
  std::string gender;
  std::string birth_date;
  std::string id_enc, id_index;        // empty: none
  std::string phone_enc, phone_index;  // empty: none
  std::string ethnic;
  std::string residence_type;
  std::string occupation;
  std::string tags;                    // public tags, space-separated
  std::string sensitive_enc;           // empty: none
  std::vector<std::string> tag_keys;   // what resident_tags holds (public tags and tokens); write-only
  std::string status = "active";
  std::int64_t duplicate_of = 0;
  Millis last_visited_at = 0;          // 0: never
  Millis created_at = 0;
  Millis updated_at = 0;
  std::int64_t version = 1;
};

struct ResidentEventRow {
  std::int64_t id = 0;
  std::int64_t resident_id = 0;
  std::string node_path;
  std::string kind;
  Millis at = 0;
  std::int64_t actor_id = 0;
  std::string detail;
};

struct ResidentListQuery {
  std::vector<std::string> prefixes;       // scope, already narrowed to the requested node
  std::optional<std::string> tag_key;      // a public tag or a sensitive tag's token
  std::optional<std::string> born_from;    // inclusive, YYYY-MM-DD
  std::optional<std::string> born_to;      // inclusive
  std::optional<std::string> residence_type;
  std::optional<Millis> not_visited_since; // last visit before this, or never
  std::optional<std::string> name_contains;
  std::optional<std::int64_t> household_id;
  // Vulnerable residents: holding any of `tag_keys` (disabled, key care), or `alone_key` while
  // born on or before `elderly_born_to` (elderly people living alone).
  struct Vulnerable {
    std::vector<std::string> tag_keys;
    std::string alone_key;
    std::string elderly_born_to;
  };
  std::optional<Vulnerable> vulnerable;
  bool duplicates_only = false;
  std::string status = "active";           // "" for any
  std::int64_t after_id = 0;
  int limit = 50;
};

struct ListQuery {  // buildings and households
  std::vector<std::string> prefixes;
  std::optional<std::int64_t> building_id;
  std::int64_t after_id = 0;
  int limit = 50;
};

// A roster import's progress, keyed by the file's hash and the node it was limited to.
struct ImportRunRow {
  std::int64_t id = 0;
  std::int64_t rows_done = 0;
  std::string status;  // "running" or "done"
};

class ImportRunRepo {
 public:
  static Result<std::optional<ImportRunRow>> Latest(SqlSession& s, std::string_view file_hash, std::int64_t node_id);
  // Creates the run (when id is 0; returns its id) or records its progress.
  static Result<std::int64_t> Save(SqlSession& s, std::int64_t id, std::string_view file_hash, std::int64_t node_id,
                                   std::int64_t rows_total, std::int64_t rows_done, bool finished,
                                   std::int64_t actor_id, Millis now);
};

// A tag of a community's own vocabulary (label without the "custom:" prefix).
struct CustomTagRow {
  std::int64_t id = 0;
  std::int64_t node_id = 0;
  std::string node_path;
  std::string label, description;
  std::int64_t created_by = 0;
  Millis created_at = 0;
  Millis retired_at = 0;  // 0 while in use
};

class CustomTagRepo {
 public:
  static Result<CustomTagRow> Insert(SqlSession& s, CustomTagRow t);
  static Result<std::optional<CustomTagRow>> Get(SqlSession& s, std::int64_t id);
  static Status Retire(SqlSession& s, std::int64_t id, Millis at);
  // The tags that apply at `node_path`: those defined at the node or any of its ancestors.
  static Result<std::vector<CustomTagRow>> ApplyingAt(SqlSession& s, std::string_view node_path, bool include_retired);
};

// The metric names of node_counts.
namespace metric {
inline constexpr std::string_view kResidents = "residents";
inline constexpr std::string_view kHouseholds = "households";
inline constexpr std::string_view kBuildings = "buildings";
}  // namespace metric

class RollupRepo {
 public:
  // Every count also goes to this row: the whole deployment's total, the sum of its subdistricts.
  // A city's officials oversee every subdistrict, or nearly; their cockpit reads this row's
  // figures (less the few subdistricts they do not hold) instead of adding up a hundred nodes'
  // (CockpitService::ForRegion).
  static constexpr std::int64_t kEverywhere = 0;

  // Adds `delta` to `metric` of every node on `path` (the node and its ancestors) and of kEverywhere.
  static Status Add(SqlSession& s, std::string_view path, std::string_view metric, std::int64_t delta);
  // Several metrics at once for the node at `path` and its ancestors: one statement, or, on a
  // session that defers counts (the writer's), entries written by FlushPending before COMMIT.
  static Status AddMany(SqlSession& s, std::string_view path, const std::vector<std::pair<std::string, std::int64_t>>& deltas);
  // Deltas for many nodes at once, each path's added to its node, its ancestors and kEverywhere,
  // summed per row first and written at once, one row each: for a bulk load that counted its rows
  // as it made them (a generated year of cases over 100,000 grids), instead of a recount.
  using MetricSums = std::unordered_map<std::string, std::int64_t>;  // metric → delta
  using SumsByPath = std::unordered_map<std::string, MetricSums>;
  static Status AddByPath(SqlSession& s, SumsByPath deltas_by_path);
  // AddByPath in its two halves, for a load that sums on another core while its writer works:
  // SumUpTheTree adds each path's counts up the tree in place, with no database (afterwards every
  // path and each of its ancestors, "/" standing for kEverywhere, holds its subtree's sum);
  // AddSummed adds such sums to their nodes' rows, in key order, each row once.
  static Status SumUpTheTree(SumsByPath& by_path);
  static Status AddSummed(SqlSession& s, const SumsByPath& summed);
  // Writes the deferred deltas not yet written, summed per row. The writer calls it before every
  // commit; the reads and the recount below call it first so they see the transaction's counts.
  static Status FlushPending(SqlSession& s);
  // Recounts every metric for the subtree at `root_path` ("/": everything) from the base tables:
  // after a split, merge or move (the subtree's own total does not change), or after a bulk load
  // that left its counts to it. Whatever the recount changes at the subtree's top, it changes in
  // the ancestors above it and in kEverywhere too.
  static Status Rebuild(SqlSession& s, std::string_view root_path);
  static Result<std::vector<std::pair<std::string, std::int64_t>>> ForNode(SqlSession& s, std::int64_t node_id);
  // Named metrics of named nodes: each ask is some nodes and the metrics wanted of each of them
  // (a cockpit's own figures of its node, and four of each child).
  struct Ask {
    std::vector<std::int64_t> nodes;
    std::vector<std::string> metrics;  // each a seek on the key
    // Runs of metrics that are neighbours in the key (a trend's thirty days). On SQLite a run is
    // one seek to its first and a walk to its last, and whatever lies between may come back too,
    // so a run must be bounded by what may lie between (days: at most the months between them).
    // On PostgreSQL too, each (node, run) one range scan; the runs' bounds are passed as two
    // arrays hidden from the planner, so the plan is made once (bound one by one, they kept the
    // statement custom-planned, and planning cost more than the seeks).
    std::vector<std::vector<std::string>> runs;
  };
  using NodeValues = std::unordered_map<std::int64_t, std::unordered_map<std::string, std::int64_t>>;
  // Every ask's values (absent ones are simply missing): node id → metric → value. One statement
  // for all the asks — on PostgreSQL each statement is a round trip — and each figure a point read
  // on the primary key (or a run's short walk), whatever the number of metrics a node has gathered.
  static Result<NodeValues> Values(SqlSession& s, const std::vector<Ask>& asks);
  // SQLite's statement for asks of these shapes; its parameters are, ask by ask, the node ids,
  // then the metrics, then each range's first and last metric (named so a test can check its
  // plan). PostgreSQL's binds each ask's nodes and metrics as two arrays instead.
  struct Shape {
    std::size_t nodes, metrics, ranges;
  };
  static std::string ValuesSql(const std::vector<Shape>& shapes);
};

class BuildingRepo {
 public:
  static Result<BuildingRow> Insert(SqlSession& s, BuildingRow b);
  static Result<std::optional<BuildingRow>> Get(SqlSession& s, std::int64_t id);
  static Result<std::optional<BuildingRow>> GetByCode(SqlSession& s, std::string_view code);
  // The buildings holding any of `codes` (archived ones too), by code; 500 codes a query.
  static Result<std::unordered_map<std::string, BuildingRow>> ByCodes(SqlSession& s, std::vector<std::string> codes);
  // Active buildings whose address has this key (domain::AddressKey; at most a few).
  static Result<std::vector<BuildingRow>> ByAddressKey(SqlSession& s, std::string_view key);
  // Gives up to `limit` buildings from before address keys their key; how many it did.
  static Result<int> FillAddressKeys(SqlSession& s, int limit);
  static Result<std::vector<BuildingRow>> List(SqlSession& s, const ListQuery& q);
  static Result<std::vector<BuildingRow>> AtNode(SqlSession& s, std::int64_t node_id);
  static Result<std::unordered_map<std::int64_t, BuildingRow>> GetMany(SqlSession& s, const std::vector<std::int64_t>& ids);
  // Moves a building to another node with everything that hangs from it: its households, their
  // residents and tags, visits and sweep entries, its building heads and the cases reported at
  // it. Counts are the caller's to rebuild (RollupRepo::Rebuild over the common ancestor).
  static Status Relocate(SqlSession& s, std::int64_t building_id, std::int64_t node_id, const std::string& node_path);
  // Moves every record held directly at `from_node` (not in its subtree) to `to_node`.
  static Status RelocateAllAt(SqlSession& s, std::int64_t from_node, std::int64_t to_node, const std::string& to_path);
};

class HouseholdRepo {
 public:
  // Inserts take the id from the row when the caller drew it already (SqlSession::NextId), as the
  // service does to bind ciphertexts to their row.
  // `count` false leaves node_counts to the caller (the import adds them up per node).
  static Result<HouseholdRow> Insert(SqlSession& s, HouseholdRow h, bool count = true);
  // Many new households: their rows (ids drawn with NextId beforehand) as the values their
  // statements bind, made on any thread (no session), then inserted in multi-row statements, so
  // that a bulk write's writer only binds and steps. Counts are the caller's.
  static Result<std::vector<SqlValue>> ValuesOf(std::vector<HouseholdRow> rows);
  static Status InsertMany(SqlSession& s, std::span<SqlValue> values);
  static Result<std::optional<HouseholdRow>> Get(SqlSession& s, std::int64_t id);
  static Result<std::optional<HouseholdRow>> FindActiveByAddress(SqlSession& s, std::string_view address_index);
  static Result<std::vector<HouseholdRow>> List(SqlSession& s, const ListQuery& q);
  static Result<std::unordered_map<std::int64_t, HouseholdRow>> GetMany(SqlSession& s, const std::vector<std::int64_t>& ids);
  // Active households at these address indexes: index → (id, head id), one query per 500.
  static Result<std::unordered_map<std::string, std::pair<std::int64_t, std::int64_t>>> ActiveByAddresses(
      SqlSession& s, const std::vector<std::string>& indexes);
  static Status AdjustMembers(SqlSession& s, std::int64_t id, int delta, std::optional<std::int64_t> head_id, Millis now);
};

// New residents' rows, their events' and their tags', as ResidentRepo::InsertMany binds them.
struct NewResidentValues {
  std::vector<SqlValue> residents, events, tags;
};

class ResidentRepo {
 public:
  // Also writes resident_tags and counts the resident (and a new household member).
  static Result<ResidentRow> Insert(SqlSession& s, ResidentRow r, bool count = true);
  // Bulk insert for the import, as HouseholdRepo's: the rows (ids drawn by the caller), each with
  // its "register" event (`event_ids`, drawn too) and its tags, as values made on any thread;
  // then inserted in multi-row statements of 64 rows (a fixed shape, so the prepared statement is
  // reused), which cut the per-statement cost that dominates a bulk load. Counts are the caller's.
  static Result<NewResidentValues> ValuesOf(std::vector<ResidentRow> rows, std::span<const std::int64_t> event_ids,
                                            const std::string& event_detail, std::int64_t actor_id);
  static Status InsertMany(SqlSession& s, NewResidentValues& values);
  static Result<std::optional<ResidentRow>> Get(SqlSession& s, std::int64_t id);
  static Result<std::unordered_map<std::int64_t, ResidentRow>> GetMany(SqlSession& s, const std::vector<std::int64_t>& ids);
  static Result<std::vector<ResidentRow>> List(SqlSession& s, const ResidentListQuery& q);
  static Result<std::int64_t> Count(SqlSession& s, const ResidentListQuery& q);
  static Result<std::vector<ResidentRow>> FindByIdIndex(SqlSession& s, std::string_view id_index);
  // Which of these ID-number blind indexes belong to an active resident (one query per 500).
  static Result<std::unordered_set<std::string>> ActiveIdIndexes(SqlSession& s, const std::vector<std::string>& indexes);
  static Result<std::vector<ResidentRow>> FindByPhoneIndex(SqlSession& s, std::string_view phone_index,
                                                           const std::vector<std::string>& prefixes);
  // An active resident with the same name and birth date in the same household (likely duplicate).
  static Result<std::int64_t> LikelyDuplicate(SqlSession& s, std::int64_t household_id, std::string_view name,
                                              std::string_view birth_date, std::int64_t except_id);
  // Rewrites the row as `r` if its version is still `r.version` (then bumps it), replacing its
  // tags and moving the counts when its status or place changed. kAborted when someone else won.
  static Status Update(SqlSession& s, const ResidentRow& before, ResidentRow r);
  static Status MarkVisited(SqlSession& s, std::int64_t household_id, Millis at);
  static Status AddEvent(SqlSession& s, ResidentEventRow e);
  static Result<std::vector<ResidentEventRow>> Events(SqlSession& s, std::int64_t resident_id);
};

}  // namespace linli::storage
