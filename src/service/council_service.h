// The deliberation council (议事会, 逢四说事): matters that climbed to the community are gathered
// into a meeting's agenda by whoever dispatches cases there (the general grid leader, community
// staff); the meeting is then recorded — who attended, the minutes, and a decision on every item —
// and each decision becomes a "council" step on its case's timeline in the same transaction.
#pragma once

#include <string>
#include <utility>
#include <vector>

#include "service/audit_service.h"
#include "service/caller.h"
#include "service/case_service.h"
#include "storage/council_repo.h"
#include "storage/database.h"

namespace linli::service {

struct CouncilMeeting {
  storage::CouncilMeetingRow row;
  std::vector<storage::CouncilItemRow> items;
};

struct CouncilInput {
  std::int64_t node_id = 0;
  std::string title;
  std::string place;
  Millis scheduled_at = 0;
};

struct CouncilRecord {
  std::vector<std::string> attendees;
  std::string minutes;
  std::vector<std::pair<std::int64_t, std::string>> decisions;  // case id, decision
};

class CouncilService {
 public:
  CouncilService(storage::Database& db, const Clock& clock, AuditService& audit, CaseService& cases)
      : db_(db), clock_(clock), audit_(audit), cases_(cases) {}

  // case.dispatch at the node.
  void Create(const Caller& who, CouncilInput in, Done<CouncilMeeting> done);
  // Meetings the caller may read (case.read), newest first; under node_id when given.
  Result<std::vector<storage::CouncilMeetingRow>> List(const Caller& who, std::optional<std::int64_t> node_id,
                                                       std::int64_t before_id, int limit);
  Result<CouncilMeeting> Get(const Caller& who, std::int64_t id);
  // An open case under the meeting's node joins the agenda of a planned meeting.
  void AddItem(const Caller& who, std::int64_t meeting_id, std::int64_t case_id, Done<CouncilMeeting> done);
  void RemoveItem(const Caller& who, std::int64_t meeting_id, std::int64_t case_id, Done<CouncilMeeting> done);
  // Records the meeting as held: attendees, minutes and a decision for every agenda item.
  void Record(const Caller& who, std::int64_t meeting_id, CouncilRecord record, Done<CouncilMeeting> done);

 private:
  // The meeting, visible to the caller, who may also change it (case.dispatch at its node).
  Result<storage::CouncilMeetingRow> Changeable(storage::SqlSession& s, const Caller& who, std::int64_t id);
  Result<CouncilMeeting> Load(storage::SqlSession& s, storage::CouncilMeetingRow row);

  storage::Database& db_;
  const Clock& clock_;
  AuditService& audit_;
  CaseService& cases_;
};

}  // namespace linli::service
