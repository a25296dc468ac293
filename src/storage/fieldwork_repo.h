// The grid team's roster and its field work: staff positions, sweep campaigns and visits.
#pragma once

#include <optional>
#include <string>
#include <vector>

#include "core/clock.h"
#include "storage/sql.h"

namespace linli::storage {

struct StaffPositionRow {
  std::int64_t id = 0;
  std::int64_t user_id = 0;
  std::string username, display_name;  // joined from users on reads
  std::int64_t node_id = 0;
  std::string node_path;
  std::string position;
  std::int64_t building_id = 0;
  Millis since = 0;
  Millis ended_at = 0;
  std::int64_t created_by = 0;  // write-only
};

struct SweepRow {
  std::int64_t id = 0;
  std::int64_t node_id = 0;
  std::string node_path;
  std::string title;
  std::int64_t households = 0;
  std::int64_t visited = 0;
  Millis due_at = 0;
  Millis closed_at = 0;
  std::int64_t created_by = 0;
  Millis created_at = 0;
};

struct VisitRow {
  std::int64_t id = 0;
  std::int64_t household_id = 0;
  std::string node_path;
  std::int64_t sweep_id = 0;
  std::int64_t visitor_id = 0;
  Millis visited_at = 0;
  std::string outcome;
  std::string changes_enc, notes_enc;
  Millis created_at = 0;
};

struct ProgressRow {
  std::string key;  // a node id or a user id, as text
  std::int64_t total = 0;
  std::int64_t visited = 0;
};

class StaffRepo {
 public:
  static Result<StaffPositionRow> Insert(SqlSession& s, StaffPositionRow p);
  static Result<std::optional<StaffPositionRow>> Get(SqlSession& s, std::int64_t id);
  static Status End(SqlSession& s, std::int64_t id, Millis at);
  // Active positions under any of `prefixes`.
  static Result<std::vector<StaffPositionRow>> Under(SqlSession& s, const std::vector<std::string>& prefixes,
                                                     std::int64_t after_id, int limit);
  // Active positions held exactly at these nodes (the chain from a grid up to the subdistrict).
  static Result<std::vector<StaffPositionRow>> AtNodes(SqlSession& s, const std::vector<std::int64_t>& node_ids);
  static Result<std::vector<StaffPositionRow>> ForBuilding(SqlSession& s, std::int64_t building_id);
};

class SweepRepo {
 public:
  // Creates the sweep and lists every active household under `node_path` in it.
  static Result<SweepRow> Create(SqlSession& s, SweepRow sweep);
  static Result<std::optional<SweepRow>> Get(SqlSession& s, std::int64_t id);
  static Result<std::vector<SweepRow>> List(SqlSession& s, const std::vector<std::string>& prefixes, std::int64_t after_id,
                                            int limit);
  static Result<std::vector<ProgressRow>> ProgressByNode(SqlSession& s, std::int64_t sweep_id);
  static Result<std::vector<ProgressRow>> ProgressByVisitor(SqlSession& s, std::int64_t sweep_id);
  // (household id, outcome or "") of the sweep's households, pending ones only if asked.
  static Result<std::vector<std::pair<std::int64_t, std::string>>> Households(SqlSession& s, std::int64_t sweep_id,
                                                                              bool pending_only, std::int64_t after_id,
                                                                              int limit);
  // Marks the household visited in the sweep; true when it was its first visit there.
  static Result<bool> RecordVisit(SqlSession& s, std::int64_t sweep_id, std::int64_t household_id, std::int64_t visit_id,
                                  std::int64_t visitor_id, const std::string& outcome);
};

struct VisitListQuery {
  std::vector<std::string> prefixes;
  std::optional<std::int64_t> household_id, sweep_id;
  Millis since = 0, until = 0;  // visited_at in [since, until); 0: open
  std::int64_t before_id = 0;   // newest first
  int limit = 50;
};

class VisitRepo {
 public:
  static Result<VisitRow> Insert(SqlSession& s, VisitRow v);
  static Result<std::vector<VisitRow>> List(SqlSession& s, const VisitListQuery& q);
};

}  // namespace linli::storage
