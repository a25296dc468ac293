#include "service/council_service.h"

#include <boost/json.hpp>

#include "domain/text.h"
#include "service/records.h"
#include "storage/case_repo.h"
#include "storage/org_repo.h"

namespace linli::service {

namespace json = boost::json;
namespace perm = domain::perm;
using storage::SqlSession;

Result<CouncilMeeting> CouncilService::Load(SqlSession& s, storage::CouncilMeetingRow row) {
  CouncilMeeting m;
  LINLI_ASSIGN_OR_RETURN(m.items, storage::CouncilRepo::Items(s, row.id));
  m.row = std::move(row);
  return m;
}

Result<storage::CouncilMeetingRow> CouncilService::Changeable(SqlSession& s, const Caller& who, std::int64_t id) {
  LINLI_ASSIGN_OR_RETURN(auto found, storage::CouncilRepo::Get(s, id));
  return VisibleRecord(std::move(found), who, "council meeting", id, perm::kCaseDispatch, perm::kCaseRead);
}

void CouncilService::Create(const Caller& who, CouncilInput in, Done<CouncilMeeting> done) {
  if (auto st = domain::ValidateText("title", in.title, {.min_chars = 2, .max_chars = 100}); !st) return done(st.error());
  if (auto st = domain::ValidateText("place", in.place, {.min_chars = 0, .max_chars = 100}); !st) return done(st.error());
  if (in.scheduled_at <= 0) return done(Error::Invalid("scheduled_at", "when the council meets (milliseconds since 1970, UTC)"));
  Millis now = clock_.NowMillis();
  storage::SubmitWrite<CouncilMeeting>(db_, [=, this](SqlSession& s) -> Result<CouncilMeeting> {
    LINLI_ASSIGN_OR_RETURN(auto node, storage::OrgRepo::Get(s, in.node_id));
    if (!node || node->archived) return Error::Invalid("node_id", "no node " + std::to_string(in.node_id));
    if (!who.is_system() && !domain::Allows(who.principal, perm::kCaseDispatch, node->path)) {
      return Error::Denied("calling a council needs case.dispatch at " + node->name);
    }
    storage::CouncilMeetingRow m{.node_id = node->id, .node_path = node->path, .title = in.title, .place = in.place,
                                 .scheduled_at = in.scheduled_at, .created_by = who.user_id(), .created_at = now};
    LINLI_ASSIGN_OR_RETURN(m.id, s.NextId("council_meetings"));
    LINLI_TRY(storage::CouncilRepo::Insert(s, m));
    LINLI_TRY(audit_.Record(s, who, {.action = "council.create", .node_path = m.node_path,
                                     .target = RecordRef("council_meeting", m.id)}));
    return CouncilMeeting{std::move(m), {}};
  }, std::move(done));
}

Result<std::vector<storage::CouncilMeetingRow>> CouncilService::List(const Caller& who, std::optional<std::int64_t> node_id,
                                                                     std::int64_t before_id, int limit) {
  LINLI_TRY(CheckPageLimit(limit));
  return storage::ReadValue<std::vector<storage::CouncilMeetingRow>>(
      db_, [&](SqlSession& s) -> Result<std::vector<storage::CouncilMeetingRow>> {
        auto scope = who.is_system() ? domain::Scope({"/"}) : domain::ScopeFor(who.principal, perm::kCaseRead);
        std::vector<std::string> prefixes = scope.prefixes();
        if (node_id) {
          LINLI_ASSIGN_OR_RETURN(auto node, storage::OrgRepo::Get(s, *node_id));
          if (!node || !scope.Covers(node->path)) return Error::NotFound("no org node " + std::to_string(*node_id));
          prefixes = {node->path};
        }
        return storage::CouncilRepo::List(s, prefixes, before_id, limit);
      });
}

Result<CouncilMeeting> CouncilService::Get(const Caller& who, std::int64_t id) {
  return storage::ReadValue<CouncilMeeting>(db_, [&](SqlSession& s) -> Result<CouncilMeeting> {
    LINLI_ASSIGN_OR_RETURN(auto found, storage::CouncilRepo::Get(s, id));
    LINLI_ASSIGN_OR_RETURN(auto row, VisibleRecord(std::move(found), who, "council meeting", id, perm::kCaseRead, perm::kCaseRead));
    return Load(s, std::move(row));
  });
}

void CouncilService::AddItem(const Caller& who, std::int64_t meeting_id, std::int64_t case_id, Done<CouncilMeeting> done) {
  storage::SubmitWrite<CouncilMeeting>(db_, [=, this](SqlSession& s) -> Result<CouncilMeeting> {
    LINLI_ASSIGN_OR_RETURN(auto m, Changeable(s, who, meeting_id));
    if (m.state != "planned") return Error::Precondition("the council has met; its agenda is closed");
    LINLI_ASSIGN_OR_RETURN(auto found, storage::CaseRepo::Get(s, case_id));
    LINLI_ASSIGN_OR_RETURN(auto c, AsReference(VisibleRecord(std::move(found), who, "case", case_id, perm::kCaseRead,
                                                             perm::kCaseRead), "case_id"));
    if (!c.node_path.starts_with(m.node_path)) return Error::Invalid("case_id", "the case lies outside the council's area");
    if (c.closed_at) return Error::Invalid("case_id", "the case is closed");
    LINLI_ASSIGN_OR_RETURN(auto items, storage::CouncilRepo::Items(s, meeting_id));
    if (items.size() >= 50) return Error::Invalid("case_id", "an agenda has at most 50 items");
    for (const auto& i : items) {
      if (i.case_id == case_id) return Load(s, std::move(m));  // already on it
    }
    LINLI_TRY(storage::CouncilRepo::PutItem(s, {meeting_id, case_id, static_cast<int>(items.size()) + 1, ""}));
    LINLI_TRY(audit_.Record(s, who, {.action = "council.agenda_add", .node_path = m.node_path,
                                     .target = RecordRef("council_meeting", meeting_id),
                                     .detail = "case:" + std::to_string(case_id)}));
    return Load(s, std::move(m));
  }, std::move(done));
}

void CouncilService::RemoveItem(const Caller& who, std::int64_t meeting_id, std::int64_t case_id, Done<CouncilMeeting> done) {
  storage::SubmitWrite<CouncilMeeting>(db_, [=, this](SqlSession& s) -> Result<CouncilMeeting> {
    LINLI_ASSIGN_OR_RETURN(auto m, Changeable(s, who, meeting_id));
    if (m.state != "planned") return Error::Precondition("the council has met; its agenda is closed");
    LINLI_ASSIGN_OR_RETURN(auto removed, storage::CouncilRepo::RemoveItem(s, meeting_id, case_id));
    if (removed == 0) return Error::NotFound("case " + std::to_string(case_id) + " is not on the agenda");
    LINLI_TRY(audit_.Record(s, who, {.action = "council.agenda_remove", .node_path = m.node_path,
                                     .target = RecordRef("council_meeting", meeting_id),
                                     .detail = "case:" + std::to_string(case_id)}));
    return Load(s, std::move(m));
  }, std::move(done));
}

void CouncilService::Record(const Caller& who, std::int64_t meeting_id, CouncilRecord record, Done<CouncilMeeting> done) {
  if (record.attendees.empty()) return done(Error::Invalid("attendees", "name who attended"));
  if (record.attendees.size() > 100) return done(Error::Invalid("attendees", "at most 100 attendees"));
  for (std::size_t i = 0; i < record.attendees.size(); ++i) {
    if (auto st = domain::ValidateText("attendees[" + std::to_string(i) + "]", record.attendees[i], {.min_chars = 1, .max_chars = 50});
        !st) {
      return done(st.error());
    }
  }
  if (auto st = domain::ValidateText("minutes", record.minutes, {.min_chars = 0, .max_chars = 10000, .single_line = false}); !st) {
    return done(st.error());
  }
  for (std::size_t i = 0; i < record.decisions.size(); ++i) {
    if (auto st = domain::ValidateText("decisions[" + std::to_string(i) + "].decision", record.decisions[i].second,
                                       {.min_chars = 2, .max_chars = 2000, .single_line = false});
        !st) {
      return done(st.error());
    }
  }
  Millis now = clock_.NowMillis();
  storage::SubmitWrite<CouncilMeeting>(db_, [=, this](SqlSession& s) -> Result<CouncilMeeting> {
    LINLI_ASSIGN_OR_RETURN(auto m, Changeable(s, who, meeting_id));
    if (m.state != "planned") return Error::Precondition("the council was recorded already");
    LINLI_ASSIGN_OR_RETURN(auto items, storage::CouncilRepo::Items(s, meeting_id));
    if (items.empty()) return Error::Precondition("the agenda is empty");
    for (std::size_t i = 0; i < record.decisions.size(); ++i) {
      auto id = record.decisions[i].first;
      if (std::none_of(items.begin(), items.end(), [&](const auto& it) { return it.case_id == id; })) {
        return Error::Invalid("decisions[" + std::to_string(i) + "].case_id", "case " + std::to_string(id) + " is not on the agenda");
      }
    }
    for (auto& item : items) {
      auto d = std::find_if(record.decisions.begin(), record.decisions.end(), [&](const auto& x) { return x.first == item.case_id; });
      if (d == record.decisions.end()) {
        return Error::Invalid("decisions", "every agenda item needs a decision; case " + std::to_string(item.case_id) + " has none");
      }
      item.decision = d->second;
      LINLI_TRY(storage::CouncilRepo::PutItem(s, item));
      json::object detail{{"meeting_id", meeting_id}, {"title", m.title}};
      LINLI_TRY(cases_.AppendStep(s, who, item.case_id, "council", item.decision, json::serialize(detail)));
    }
    json::array attendees;
    for (const auto& a : record.attendees) attendees.emplace_back(a);
    m.attendees = json::serialize(attendees);
    m.minutes = record.minutes;
    m.state = "held";
    m.held_at = now;
    LINLI_TRY(storage::CouncilRepo::Update(s, m));
    LINLI_TRY(audit_.Record(s, who, {.action = "council.record", .node_path = m.node_path,
                                     .target = RecordRef("council_meeting", meeting_id)}));
    return Load(s, std::move(m));
  }, std::move(done));
}

}  // namespace linli::service
