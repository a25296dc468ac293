// Cases as stored: the category catalogue, the current projection of each case (cases) and its
// history (case_events). The reporter's name and phone are ciphertext here; the case service
// seals and opens them. CaseRepo::Update writes the projection and CaseRepo::AppendEvent the
// transition; the service calls both in one transaction, with the count deltas.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "core/clock.h"
#include "domain/case_counts.h"
#include "storage/sql.h"

namespace linli::storage {

struct CategoryRow {
  std::string code;
  std::string group_code;  // "" for a group
  std::string name;
  int position = 0;
  std::string definition;  // JSON
  Millis retired_at = 0;
  Millis updated_at = 0;
};

struct CaseRow {
  std::int64_t id = 0;
  std::string tracking_code;
  std::int64_t node_id = 0;
  std::string node_path;
  std::string category_code;
  std::string channel;
  std::string priority = "normal";
  std::string state = "reported";
  std::string level = "grid";
  std::string description;
  std::string address;
  std::optional<double> lon, lat;
  std::int64_t building_id = 0;
  bool placed = true;
  std::string attributes;  // JSON object or ""
  std::string reporter_name_enc, reporter_phone_enc;
  std::int64_t reporter_id = 0;
  std::string source_key;
  std::int64_t assignee_id = 0;
  std::string department;
  bool supervised = false;
  int reopen_count = 0;
  int overdue = 0;  // bit 1: response missed, bit 2: resolution missed
  Millis response_due_at = 0;
  Millis resolve_due_at = 0;
  Millis next_due_at = 0;  // 0: nothing to watch
  Millis responded_at = 0;
  Millis resolved_at = 0;
  std::string solved_level;
  Millis closed_at = 0;
  std::string reject_reason;
  std::int64_t merged_into = 0;
  std::string search_text;  // description, address and notes in search form (core/chinese_text)
  int rating = 0;
  std::string rating_comment;
  Millis rated_at = 0;
  Millis created_at = 0;
  Millis updated_at = 0;
  std::int64_t version = 1;
};

struct CaseEventRow {
  std::int64_t id = 0;
  std::int64_t case_id = 0;
  Millis at = 0;
  std::string actor_kind;  // staff, resident, system, api_key
  std::int64_t actor_id = 0;
  std::string action;
  std::string from_state, to_state;
  std::string from_level, to_level;
  std::string note;
  std::string detail;  // JSON or ""
};

struct AttachmentRow {
  std::int64_t id = 0;
  std::int64_t case_id = 0;
  std::string content_hash;
  std::string content_type;
  std::int64_t size = 0;
  std::string file_name;
  bool is_public = false;
  std::string actor_kind;
  std::int64_t actor_id = 0;
  Millis created_at = 0;
};

struct CaseListQuery {
  std::vector<std::string> prefixes;  // the caller's scope, narrowed to a node
  std::vector<std::string> states;    // any of; empty: all
  std::optional<std::string> level, category_code, channel;
  std::vector<std::string> category_codes;  // any of
  Millis created_from = 0, created_to = 0;  // 0: unbounded
  std::optional<std::int64_t> assignee_id;
  bool open_only = false;
  bool overdue_only = false;
  bool supervised_only = false;
  std::int64_t after_id = 0;  // keyset over (node_path, id)
  int limit = 50;
  std::string text;  // in search form: cases whose search_text contains it
};

class CategoryRepo {
 public:
  static Status Upsert(SqlSession& s, const CategoryRow& c);
  static Result<std::vector<CategoryRow>> All(SqlSession& s);
};

class CaseRepo {
 public:
  // `count` false leaves node_counts to the caller (the benchmark generator rebuilds them once).
  static Result<CaseRow> Insert(SqlSession& s, CaseRow c, bool count = true);
  static Result<std::optional<CaseRow>> Get(SqlSession& s, std::int64_t id);
  static Result<std::optional<CaseRow>> GetByTracking(SqlSession& s, std::string_view tracking_code);
  static Result<std::optional<CaseRow>> GetBySource(SqlSession& s, std::string_view source_key);
  // Writes the projection when its version is still `c.version - 1`; aborted otherwise.
  static Status Update(SqlSession& s, const CaseRow& c);
  static Result<std::vector<CaseRow>> List(SqlSession& s, const CaseListQuery& q);
  // Cases whose next deadline is at or before `now`, earliest first.
  static Result<std::vector<CaseRow>> DueBy(SqlSession& s, Millis now, int limit);
  // The earliest deadline being watched; 0 when none.
  static Result<Millis> EarliestDue(SqlSession& s);
  // What every case under a path counts for, with its node's path (for recounting: only the
  // columns the counts read, a third of the time of whole rows at 200,000 cases).
  static Result<std::vector<std::pair<std::string, domain::CaseFacts>>> FactsUnder(SqlSession& s, std::string_view path);
  // What the case counts for in node_counts (domain::CaseCounts).
  static domain::CaseFacts Facts(const CaseRow& c);
  // Adds the count deltas of a case going from `before` (nullopt: new) to `after` to its node and
  // ancestors. A case that changes node is counted out of the old path and into the new.
  static Status Count(SqlSession& s, const std::optional<CaseRow>& before, const CaseRow& after);
  static Status AppendEvent(SqlSession& s, CaseEventRow e);
  // Cases and events written in bulk (generated data): ids drawn beforehand (NextId), in
  // multi-row statements, counts left to RollupRepo::Rebuild.
  static Status InsertMany(SqlSession& s, const std::vector<CaseRow>& cases);
  static Status AppendEvents(SqlSession& s, const std::vector<CaseEventRow>& events);
  // A case's events in order. `since` is the case's creation: no event is older, and on
  // PostgreSQL, where events are partitioned by month, it spares the months before it.
  static Result<std::vector<CaseEventRow>> Events(SqlSession& s, std::int64_t case_id, Millis since);
  // PostgreSQL: creates the monthly partitions of case_events for this month and the next three
  // that are missing (migration 016); how many it made. SQLite has no partitions: 0.
  static Result<int> EnsureEventPartitions(SqlSession& s, Millis now);
  // PostgreSQL, before history is loaded into a new database (`linli bench-data`): the months
  // from `from`'s on get partitions of their own, as a database that has been running since then
  // has them, instead of all falling in the first partition (which covers everything before the
  // month after migration 016 ran). Done only while that first partition is empty (it is then
  // narrowed to the time before `from`'s month); false when it is not, or on SQLite.
  static Result<bool> PartitionEventsSince(SqlSession& s, Millis from, Millis now);
  static Status InsertAttachment(SqlSession& s, const AttachmentRow& a);
  static Result<std::vector<AttachmentRow>> Attachments(SqlSession& s, std::int64_t case_id);
  static Result<std::optional<AttachmentRow>> Attachment(SqlSession& s, std::int64_t id);
  // Events in [from, to) of cases under the prefixes, oldest first, with each case's tracking code.
  static Result<std::vector<std::pair<CaseEventRow, std::string>>> EventsBetween(SqlSession& s, Millis from, Millis to,
                                                                                const std::vector<std::string>& prefixes,
                                                                                int limit);
};

}  // namespace linli::storage
