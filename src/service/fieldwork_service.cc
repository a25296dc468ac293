#include "service/fieldwork_service.h"

#include <boost/json.hpp>

#include "core/json_text.h"
#include "domain/identity.h"
#include "domain/text.h"
#include "service/org_service.h"
#include "service/records.h"
#include "storage/account_repo.h"
#include "storage/org_repo.h"
#include "storage/registry_repo.h"

namespace linli::service {

using storage::SqlSession;
namespace perm = domain::perm;


// ---------------------------------------------------------------------------------------------
// Staff

void FieldworkService::AddStaff(const Caller& who, StaffInput in, Done<storage::StaffPositionRow> done) {
  auto position = domain::TermCode(domain::StaffPositions(), in.position);
  if (!position) return done(Error::Invalid("position", "position must be one of " + domain::TermChoices(domain::StaffPositions())));
  in.position = std::string(*position);
  if ((in.position == "building_head") != (in.building_id != 0)) {
    return done(Error::Invalid("building_id", "a building head needs building_id, and only a building head has one"));
  }
  Millis now = clock_.NowMillis();
  storage::SubmitWrite<storage::StaffPositionRow>(db_, [=, this](SqlSession& s) -> Result<storage::StaffPositionRow> {
    std::int64_t node_id = in.node_id;
    if (in.building_id) {
      LINLI_ASSIGN_OR_RETURN(auto found, storage::BuildingRepo::Get(s, in.building_id));
      LINLI_ASSIGN_OR_RETURN(auto b, AsReference(VisibleRecord(std::move(found), who, "building", in.building_id,
                                                               perm::kOrgRead, perm::kOrgRead), "building_id"));
      node_id = b.node_id;
    }
    LINLI_ASSIGN_OR_RETURN(auto node, AsReference(VisibleNode(s, who, node_id, perm::kStaffWrite), "node_id"));
    LINLI_ASSIGN_OR_RETURN(auto user, storage::AccountRepo::UserById(s, in.user_id));
    if (!user || user->disabled) return Error::Invalid("user_id", "no active user " + std::to_string(in.user_id));
    storage::StaffPositionRow p;
    p.user_id = in.user_id;
    p.username = user->username;
    p.display_name = user->display_name;
    p.node_id = node.id;
    p.node_path = node.path;
    p.position = in.position;
    p.building_id = in.building_id;
    p.since = now;
    p.created_by = who.user_id();
    LINLI_ASSIGN_OR_RETURN(p, storage::StaffRepo::Insert(s, std::move(p)));
    LINLI_TRY(audit_.Record(s, who, {.action = "staff.add", .node_path = node.path, .target = RecordRef("staff_position", p.id),
                                     .detail = JsonObject().Add("user_id", in.user_id).Add("position", in.position).Str()}));
    return p;
  }, std::move(done));
}

void FieldworkService::EndStaff(const Caller& who, std::int64_t id, Done<storage::StaffPositionRow> done) {
  Millis now = clock_.NowMillis();
  storage::SubmitWrite<storage::StaffPositionRow>(db_, [=, this](SqlSession& s) -> Result<storage::StaffPositionRow> {
    LINLI_ASSIGN_OR_RETURN(auto found, storage::StaffRepo::Get(s, id));
    LINLI_ASSIGN_OR_RETURN(auto p, VisibleRecord(std::move(found), who, "staff position", id, perm::kStaffWrite,
                                                 perm::kOrgRead));
    if (p.ended_at) return Error::Precondition("the position ended already");
    LINLI_TRY(storage::StaffRepo::End(s, id, now));
    LINLI_TRY(audit_.Record(s, who, {.action = "staff.end", .node_path = p.node_path, .target = RecordRef("staff_position", id)}));
    p.ended_at = now;
    return p;
  }, std::move(done));
}

Result<std::vector<storage::StaffPositionRow>> FieldworkService::ListStaff(const Caller& who,
                                                                           std::optional<std::int64_t> node_id,
                                                                           std::int64_t after_id, int limit) {
  LINLI_TRY(CheckPageLimit(limit));
  return storage::ReadValue<std::vector<storage::StaffPositionRow>>(
      db_, [&](SqlSession& s) -> Result<std::vector<storage::StaffPositionRow>> {
        LINLI_ASSIGN_OR_RETURN(auto prefixes, registry_.ScopeAt(s, who, perm::kOrgRead, node_id));
        return storage::StaffRepo::Under(s, prefixes, after_id, limit);
      });
}

Result<Responsible> FieldworkService::ResponsibleFor(const Caller& who, std::optional<domain::LonLat> point,
                                                     std::optional<std::int64_t> building_id,
                                                     std::optional<std::int64_t> household_id) {
  int given = (point ? 1 : 0) + (building_id ? 1 : 0) + (household_id ? 1 : 0);
  if (given != 1) return Error::Invalid("building_id", "give exactly one of lon/lat, building_id or household_id");
  std::int64_t node_id = 0;
  if (point) {
    LINLI_TRY(domain::ValidateLonLat(point->lon, point->lat));
    auto hit = geo_.Locate(*point);
    if (!hit) return Error::NotFound("the point lies in no grid");
    node_id = hit->node_id;
  }
  return storage::ReadValue<Responsible>(db_, [&](SqlSession& s) -> Result<Responsible> {
    Responsible out;
    if (household_id) {
      LINLI_ASSIGN_OR_RETURN(auto found, storage::HouseholdRepo::Get(s, *household_id));
      LINLI_ASSIGN_OR_RETURN(auto h, VisibleRecord(std::move(found), who, "household", *household_id, perm::kResidentRead));
      building_id = h.building_id;
    }
    if (building_id) {
      LINLI_ASSIGN_OR_RETURN(auto found, storage::BuildingRepo::Get(s, *building_id));
      LINLI_ASSIGN_OR_RETURN(auto b, VisibleRecord(std::move(found), who, "building", *building_id, perm::kOrgRead,
                                                   perm::kOrgRead));
      node_id = b.node_id;
      LINLI_ASSIGN_OR_RETURN(out.building_heads, storage::StaffRepo::ForBuilding(s, b.id));
    }
    LINLI_ASSIGN_OR_RETURN(auto node, VisibleNode(s, who, node_id, perm::kOrgRead));
    auto ids = domain::PathIds(node.path);
    LINLI_ASSIGN_OR_RETURN(auto staff, storage::StaffRepo::AtNodes(s, ids));
    for (auto it = ids.rbegin(); it != ids.rend(); ++it) {
      LINLI_ASSIGN_OR_RETURN(auto n, storage::OrgRepo::Get(s, *it));
      if (!n) continue;
      ResponsibleLevel level{std::move(*n), {}};
      for (const auto& p : staff) {
        if (p.node_id == *it) level.staff.push_back(p);
      }
      out.chain.push_back(std::move(level));
    }
    return out;
  });
}

// ---------------------------------------------------------------------------------------------
// Sweeps and visits

void FieldworkService::CreateSweep(const Caller& who, SweepInput in, Done<storage::SweepRow> done) {
  if (auto st = domain::ValidateText("title", in.title, {.min_chars = 1, .max_chars = 100, .single_line = true}); !st) {
    return done(st.error());
  }
  Millis now = clock_.NowMillis();
  if (in.due_at != 0 && in.due_at < now) return done(Error::Invalid("due_at", "due_at lies in the past"));
  storage::SubmitWrite<storage::SweepRow>(db_, [=, this](SqlSession& s) -> Result<storage::SweepRow> {
    LINLI_ASSIGN_OR_RETURN(auto node, AsReference(VisibleNode(s, who, in.node_id, perm::kResidentWrite), "node_id"));
    storage::SweepRow sweep;
    sweep.node_id = node.id;
    sweep.node_path = node.path;
    sweep.title = in.title;
    sweep.due_at = in.due_at;
    sweep.created_by = who.user_id();
    sweep.created_at = now;
    LINLI_ASSIGN_OR_RETURN(sweep, storage::SweepRepo::Create(s, std::move(sweep)));
    LINLI_TRY(audit_.Record(s, who, {.action = "sweep.create", .node_path = node.path, .target = RecordRef("sweep", sweep.id),
                                     .detail = JsonObject().Add("households", sweep.households).Str()}));
    return sweep;
  }, std::move(done));
}

Result<std::vector<storage::SweepRow>> FieldworkService::ListSweeps(const Caller& who, std::optional<std::int64_t> node_id,
                                                                    std::int64_t after_id, int limit) {
  LINLI_TRY(CheckPageLimit(limit));
  return storage::ReadValue<std::vector<storage::SweepRow>>(db_, [&](SqlSession& s) -> Result<std::vector<storage::SweepRow>> {
    LINLI_ASSIGN_OR_RETURN(auto prefixes, registry_.ScopeAt(s, who, perm::kResidentRead, node_id));
    return storage::SweepRepo::List(s, prefixes, after_id, limit);
  });
}

Result<SweepProgress> FieldworkService::Progress(const Caller& who, std::int64_t sweep_id) {
  return storage::ReadValue<SweepProgress>(db_, [&](SqlSession& s) -> Result<SweepProgress> {
    LINLI_ASSIGN_OR_RETURN(auto sweep, storage::SweepRepo::Get(s, sweep_id));
    if (!sweep) return Error::NotFound("no sweep " + std::to_string(sweep_id));
    LINLI_TRY(CheckRecordAccess(who, sweep->node_path, "sweep", sweep_id, perm::kResidentRead));
    SweepProgress p;
    p.sweep = std::move(*sweep);
    LINLI_ASSIGN_OR_RETURN(p.by_node, storage::SweepRepo::ProgressByNode(s, sweep_id));
    LINLI_ASSIGN_OR_RETURN(p.by_visitor, storage::SweepRepo::ProgressByVisitor(s, sweep_id));
    return p;
  });
}

Result<std::vector<std::pair<std::int64_t, std::string>>> FieldworkService::SweepHouseholds(
    const Caller& who, std::int64_t sweep_id, bool pending_only, std::int64_t after_id, int limit) {
  LINLI_TRY(CheckPageLimit(limit));
  return storage::ReadValue<std::vector<std::pair<std::int64_t, std::string>>>(
      db_, [&](SqlSession& s) -> Result<std::vector<std::pair<std::int64_t, std::string>>> {
        LINLI_ASSIGN_OR_RETURN(auto sweep, storage::SweepRepo::Get(s, sweep_id));
        if (!sweep) return Error::NotFound("no sweep " + std::to_string(sweep_id));
        LINLI_TRY(CheckRecordAccess(who, sweep->node_path, "sweep", sweep_id, perm::kResidentRead));
        return storage::SweepRepo::Households(s, sweep_id, pending_only, after_id, limit);
      });
}

void FieldworkService::RecordVisit(const Caller& who, VisitInput in, Done<VisitView> done) {
  auto outcome = domain::TermCode(domain::VisitOutcomes(), in.outcome);
  if (!outcome) return done(Error::Invalid("outcome", "outcome must be one of " + domain::TermChoices(domain::VisitOutcomes())));
  in.outcome = std::string(*outcome);
  if (auto st = domain::ValidateText("notes", in.notes, {.min_chars = 0, .max_chars = 2000}); !st) return done(st.error());
  if (in.changes.size() > 8000) return done(Error::Invalid("changes", "changes is too long"));
  if (in.resident_changes.size() > 30) return done(Error::Invalid("changes.residents", "at most 30 residents per visit"));
  if ((in.outcome == "changed") != !in.resident_changes.empty()) {
    return done(Error::Invalid("changes", "record the residents' changes exactly when the outcome is changed"));
  }
  Millis now = clock_.NowMillis();
  if (in.visited_at == 0) in.visited_at = now;
  if (in.visited_at > now + 5 * 60000) return done(Error::Invalid("visited_at", "visited_at lies in the future"));
  if (in.visited_at < now - 90LL * 86400000) return done(Error::Invalid("visited_at", "visited_at is more than 90 days ago"));
  storage::SubmitWrite<VisitView>(db_, [=, this](SqlSession& s) -> Result<VisitView> {
    LINLI_ASSIGN_OR_RETURN(auto found, storage::HouseholdRepo::Get(s, in.household_id));
    LINLI_ASSIGN_OR_RETURN(auto h, AsReference(VisibleRecord(std::move(found), who, "household", in.household_id,
                                                             perm::kResidentWrite), "household_id"));
    if (in.sweep_id) {
      LINLI_ASSIGN_OR_RETURN(auto sweep, storage::SweepRepo::Get(s, in.sweep_id));
      if (!sweep || !domain::PathIsUnder(h.node_path, sweep->node_path)) {
        return Error::Invalid("sweep_id", "the household is not part of sweep " + std::to_string(in.sweep_id));
      }
    }
    storage::VisitRow v;
    LINLI_ASSIGN_OR_RETURN(v.id, s.NextId("visits"));
    v.household_id = h.id;
    v.node_path = h.node_path;
    v.sweep_id = in.sweep_id;
    v.visitor_id = who.user_id();
    v.visited_at = in.visited_at;
    v.outcome = in.outcome;
    const auto& fc = registry_.field_crypto();
    if (!in.changes.empty()) v.changes_enc = fc.Seal(in.changes, RecordRef("visits.changes", v.id));
    if (!in.notes.empty()) v.notes_enc = fc.Seal(in.notes, RecordRef("visits.notes", v.id));
    v.created_at = now;
    LINLI_ASSIGN_OR_RETURN(v, storage::VisitRepo::Insert(s, std::move(v)));
    if (in.sweep_id) {
      LINLI_TRY(storage::SweepRepo::RecordVisit(s, in.sweep_id, h.id, v.id, who.user_id(), in.outcome));
    }
    // What was found at the door becomes the record, each change checked as an edit would be.
    for (std::size_t i = 0; i < in.resident_changes.size(); ++i) {
      const auto& change = in.resident_changes[i];
      std::string where = "changes.residents[" + std::to_string(i) + "]";
      LINLI_ASSIGN_OR_RETURN(auto member, storage::ResidentRepo::Get(s, change.resident_id));
      if (!member || member->household_id != h.id) {
        return Error::Invalid(where + ".id", "resident " + std::to_string(change.resident_id) +
                                                 " is not a member of household " + std::to_string(h.id));
      }
      auto applied = registry_.ApplyResidentPatch(s, who, change.resident_id, change.patch, now,
                                                  "visit:" + std::to_string(v.id));
      if (!applied) return Nested(where, applied.error());
    }
    if (in.outcome == "verified" || in.outcome == "changed") {
      LINLI_TRY(storage::ResidentRepo::MarkVisited(s, h.id, in.visited_at));
    }
    LINLI_TRY(audit_.Record(s, who, {.action = "visit.record", .node_path = h.node_path, .target = RecordRef("household", h.id),
                                     .detail = JsonObject().Add("outcome", in.outcome).Add("sweep_id", in.sweep_id).Str()}));
    return OpenVisit(fc, std::move(v), false);  // the answer masks phones in the changes
  }, std::move(done));
}

Result<VisitView> OpenVisit(const crypto::FieldCrypto& fc, storage::VisitRow row, bool reveal) {
  VisitView v{std::move(row), "", ""};
  if (!v.row.changes_enc.empty()) {
    LINLI_ASSIGN_OR_RETURN(v.changes, fc.Open(v.row.changes_enc, RecordRef("visits.changes", v.row.id)));
    boost::system::error_code ec;
    auto parsed = boost::json::parse(v.changes, ec);
    auto* residents = !ec && parsed.is_object() ? parsed.as_object().if_contains("residents") : nullptr;
    if (!reveal && residents && residents->is_array()) {
      for (auto& entry : residents->as_array()) {
        auto* o = entry.if_object();
        if (!o) continue;
        if (auto* phone = o->if_contains("phone"); phone && phone->is_string()) {
          *phone = domain::MaskPhone(std::string_view(phone->as_string()));
        }
        if (auto* id = o->if_contains("id_number"); id && id->is_string()) {
          *id = domain::MaskIdNumber(std::string_view(id->as_string()));
        }
      }
      v.changes = boost::json::serialize(parsed);
    }
  }
  if (!v.row.notes_enc.empty()) {
    LINLI_ASSIGN_OR_RETURN(v.notes, fc.Open(v.row.notes_enc, RecordRef("visits.notes", v.row.id)));
  }
  return v;
}

Result<std::vector<VisitView>> FieldworkService::ListVisits(const Caller& who, std::optional<std::int64_t> node_id,
                                                            storage::VisitListQuery q) {
  LINLI_TRY(CheckPageLimit(q.limit));
  LINLI_ASSIGN_OR_RETURN(auto rows, storage::ReadValue<std::vector<storage::VisitRow>>(
                                        db_, [&](SqlSession& s) -> Result<std::vector<storage::VisitRow>> {
                                          LINLI_ASSIGN_OR_RETURN(q.prefixes,
                                                                 registry_.ScopeAt(s, who, perm::kResidentRead, node_id));
                                          return storage::VisitRepo::List(s, q);
                                        }));
  std::vector<VisitView> out;
  for (auto& r : rows) {
    LINLI_ASSIGN_OR_RETURN(auto v, OpenVisit(registry_.field_crypto(), std::move(r), false));
    out.push_back(std::move(v));
  }
  if (!out.empty()) {
    audit_.RecordAlone(who, {.action = "visit.list",
                             .target = q.household_id ? RecordRef("household", *q.household_id) : "visit:list",
                             .detail = JsonObject().Add("rows", static_cast<std::int64_t>(out.size())).Str()});
  }
  return out;
}

Result<std::vector<ResidentView>> FieldworkService::Overdue(const Caller& who, std::optional<std::int64_t> node_id, int days,
                                                            std::int64_t after_id, int limit) {
  if (days < 1 || days > 3650) return Error::Invalid("days", "days must be 1 to 3650");
  // The resident list with its vulnerable and not-visited filters: same query, scope and audit.
  ResidentFilter f;
  f.node_id = node_id;
  f.vulnerable_only = true;
  f.not_visited_days = days;
  f.after_id = after_id;
  f.limit = limit;
  return registry_.ListResidents(who, f);
}

}  // namespace linli::service
