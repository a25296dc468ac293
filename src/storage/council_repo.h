// Council meetings (议事会) and their agenda items as stored.
#pragma once

#include <optional>
#include <string>
#include <vector>

#include "core/clock.h"
#include "storage/sql.h"

namespace linli::storage {

struct CouncilMeetingRow {
  std::int64_t id = 0;
  std::int64_t node_id = 0;
  std::string node_path;
  std::string title;
  std::string place;
  Millis scheduled_at = 0;
  std::string state = "planned";  // planned, held
  std::string attendees = "[]";   // JSON list of names
  std::string minutes;
  std::int64_t created_by = 0;
  Millis created_at = 0;
  Millis held_at = 0;
};

struct CouncilItemRow {
  std::int64_t meeting_id = 0;
  std::int64_t case_id = 0;
  int position = 0;
  std::string decision;
};

class CouncilRepo {
 public:
  static Status Insert(SqlSession& s, const CouncilMeetingRow& m);
  static Status Update(SqlSession& s, const CouncilMeetingRow& m);
  static Result<std::optional<CouncilMeetingRow>> Get(SqlSession& s, std::int64_t id);
  // Meetings under the prefixes, newest first.
  static Result<std::vector<CouncilMeetingRow>> List(SqlSession& s, const std::vector<std::string>& prefixes,
                                                     std::int64_t before_id, int limit);
  static Result<std::vector<CouncilItemRow>> Items(SqlSession& s, std::int64_t meeting_id);
  static Status PutItem(SqlSession& s, const CouncilItemRow& item);
  static Result<std::int64_t> RemoveItem(SqlSession& s, std::int64_t meeting_id, std::int64_t case_id);
};

}  // namespace linli::storage
