#include "storage/council_repo.h"

namespace linli::storage {
namespace {

constexpr const char* kCols =
    "id, node_id, node_path, title, place, scheduled_at, state, attendees, minutes, created_by, created_at, held_at";

CouncilMeetingRow MeetingFrom(const SqlRow& r) {
  return {r.Int(0), r.Int(1), r.Text(2), r.Text(3), r.Text(4), r.Int(5),
          r.Text(6), r.Text(7), r.Text(8), r.Int(9), r.Int(10), r.Int(11)};
}

}  // namespace

Status CouncilRepo::Insert(SqlSession& s, const CouncilMeetingRow& m) {
  return s.ExecDeferred(std::string("INSERT INTO council_meetings (") + kCols +
                            ") VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12)",
                        {Int(m.id), Int(m.node_id), Text(m.node_path), Text(m.title), Text(m.place), Int(m.scheduled_at),
                         Text(m.state), Text(m.attendees), Text(m.minutes), Int(m.created_by), Int(m.created_at),
                         IdOrNull(m.held_at)});
}

Status CouncilRepo::Update(SqlSession& s, const CouncilMeetingRow& m) {
  return s.ExecDeferred("UPDATE council_meetings SET title = $2, place = $3, scheduled_at = $4, state = $5, "
                        "attendees = $6, minutes = $7, held_at = $8 WHERE id = $1",
                        {Int(m.id), Text(m.title), Text(m.place), Int(m.scheduled_at), Text(m.state), Text(m.attendees),
                         Text(m.minutes), IdOrNull(m.held_at)});
}

Result<std::optional<CouncilMeetingRow>> CouncilRepo::Get(SqlSession& s, std::int64_t id) {
  return OneRow<CouncilMeetingRow>(s, std::string("SELECT ") + kCols + " FROM council_meetings WHERE id = $1", Int(id),
                                   MeetingFrom);
}

Result<std::vector<CouncilMeetingRow>> CouncilRepo::List(SqlSession& s, const std::vector<std::string>& prefixes,
                                                         std::int64_t before_id, int limit) {
  std::vector<SqlValue> p;
  std::string sql = std::string("SELECT ") + kCols + " FROM council_meetings WHERE ";
  AppendPrefixFilter(sql, "node_path", prefixes, p);
  if (before_id > 0) {
    sql += " AND id < " + NextMarker(p);
    p.push_back(Int(before_id));
  }
  sql += " ORDER BY id DESC LIMIT " + NextMarker(p);
  p.push_back(Int(limit));
  return ManyRows<CouncilMeetingRow>(s, sql, p, MeetingFrom);
}

Result<std::vector<CouncilItemRow>> CouncilRepo::Items(SqlSession& s, std::int64_t meeting_id) {
  return ManyRows<CouncilItemRow>(
      s, "SELECT meeting_id, case_id, position, decision FROM council_items WHERE meeting_id = $1 ORDER BY position",
      std::vector<SqlValue>{Int(meeting_id)},
      [](const SqlRow& r) { return CouncilItemRow{r.Int(0), r.Int(1), static_cast<int>(r.Int(2)), r.Text(3)}; });
}

Status CouncilRepo::PutItem(SqlSession& s, const CouncilItemRow& item) {
  return s.ExecDeferred("INSERT INTO council_items (meeting_id, case_id, position, decision) VALUES ($1, $2, $3, $4) "
                        "ON CONFLICT (meeting_id, case_id) DO UPDATE SET decision = excluded.decision",
                        {Int(item.meeting_id), Int(item.case_id), Int(item.position), Text(item.decision)});
}

Result<std::int64_t> CouncilRepo::RemoveItem(SqlSession& s, std::int64_t meeting_id, std::int64_t case_id) {
  return s.Exec("DELETE FROM council_items WHERE meeting_id = $1 AND case_id = $2", {Int(meeting_id), Int(case_id)});
}

}  // namespace linli::storage
