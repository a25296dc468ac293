// The grid team and its field work over HTTP: staff positions, who is responsible where, sweep
// campaigns, household visits and the vulnerable residents overdue for a visit.
#include "http/api.h"
#include "http/json_io.h"
#include "http/render.h"

namespace linli::http {

namespace {

using service::Caller;

// {"residents": [{"id": 12, "phone": "...", ...}, ...]}: each entry is a resident edit.
Result<std::vector<service::VisitInput::ResidentChange>> ParseVisitChanges(const json::value& c) {
  if (!c.is_object()) return Error::Invalid("changes", "changes must be an object with a residents list");
  LINLI_TRY(OnlyKnownFields(c.as_object(), {"residents"}));
  const auto* list = c.as_object().if_contains("residents");
  if (!list || !list->is_array() || list->as_array().empty()) {
    return Error::Invalid("changes.residents", "changes.residents must be a non-empty list of resident edits");
  }
  std::vector<service::VisitInput::ResidentChange> out;
  for (std::size_t i = 0; i < list->as_array().size(); ++i) {
    std::string where = "changes.residents[" + std::to_string(i) + "]";
    const auto& item = list->as_array()[i];
    if (!item.is_object()) return Error::Invalid(where, where + " must be an object");
    service::VisitInput::ResidentChange change;
    auto id = RequiredInt(item.as_object(), "id");
    if (!id) return Nested(where, id.error());
    change.resident_id = *id;
    auto patch = ParseResidentPatch(item.as_object(), {"id"});
    if (!patch) return Nested(where, patch.error());
    change.patch = std::move(*patch);
    out.push_back(std::move(change));
  }
  return out;
}

json::object RenderStaff(const storage::StaffPositionRow& p) {
  json::object o;
  o["id"] = p.id;
  o["user_id"] = p.user_id;
  o["username"] = p.username;
  o["display_name"] = p.display_name;
  o["node_id"] = p.node_id;
  o["position"] = p.position;
  o["position_label"] = domain::TermLabel(domain::StaffPositions(), p.position);
  o["building_id"] = NullIfZero(p.building_id);
  o["since"] = p.since;
  o["ended_at"] = NullIfZero(p.ended_at);
  return o;
}

json::object RenderSweep(const storage::SweepRow& s) {
  json::object o;
  o["id"] = s.id;
  o["node_id"] = s.node_id;
  o["title"] = s.title;
  o["households"] = s.households;
  o["visited"] = s.visited;
  o["due_at"] = NullIfZero(s.due_at);
  o["created_at"] = s.created_at;
  return o;
}

json::object RenderVisit(const service::VisitView& v) {
  json::object o;
  o["id"] = v.row.id;
  o["household_id"] = v.row.household_id;
  o["sweep_id"] = NullIfZero(v.row.sweep_id);
  o["visitor_id"] = v.row.visitor_id;
  o["visited_at"] = v.row.visited_at;
  o["outcome"] = v.row.outcome;
  o["changes"] = StoredJson(v.changes);
  o["notes"] = v.notes;
  return o;
}

json::array Progress(const std::vector<storage::ProgressRow>& rows, const char* key) {
  json::array a;
  for (const auto& r : rows) {
    json::object o;
    o[key] = std::stoll(r.key);
    o["households"] = r.total;
    o["visited"] = r.visited;
    a.emplace_back(std::move(o));
  }
  return a;
}

}  // namespace

void RegisterFieldworkRoutes(Router& r, Api& api) {
  r.Add("POST", "/api/v1/staff", Authed(api, [&api](HttpRequest& req, const Caller& who, const Respond& respond) -> Status {
    LINLI_ASSIGN_OR_RETURN(auto body, ParseObject(req));
    LINLI_TRY(OnlyKnownFields(body, {"user_id", "node_id", "position", "building_id"}));
    service::StaffInput in;
    LINLI_ASSIGN_OR_RETURN(in.user_id, RequiredInt(body, "user_id"));
    LINLI_ASSIGN_OR_RETURN(auto node, OptionalInt(body, "node_id"));
    LINLI_ASSIGN_OR_RETURN(auto building, OptionalInt(body, "building_id"));
    in.node_id = node.value_or(0);
    in.building_id = building.value_or(0);
    if (!node && !building) return Error::Invalid("node_id", "node_id is required");
    LINLI_ASSIGN_OR_RETURN(in.position, RequiredString(body, "position"));
    api.fieldwork.AddStaff(who, std::move(in), Reply<storage::StaffPositionRow>(respond, RenderStaff, 201));
    return Ok();
  }));

  r.Add("GET", "/api/v1/staff", Authed(api, [&api](HttpRequest& req, const Caller& who, const Respond& respond) -> Status {
    LINLI_ASSIGN_OR_RETURN(auto limit, QueryLimit(req, 100));
    LINLI_ASSIGN_OR_RETURN(auto node, QueryInt(req, "node_id", 1, INT64_MAX));
    LINLI_ASSIGN_OR_RETURN(auto after, QueryInt(req, "after", 0, INT64_MAX));
    LINLI_ASSIGN_OR_RETURN(auto list, api.fieldwork.ListStaff(who, node, after.value_or(0), limit));
    json::array items;
    for (const auto& p : list) items.emplace_back(RenderStaff(p));
    respond(JsonResponse(200, Page(std::move(items), limit, list.empty() ? 0 : list.back().id)));
    return Ok();
  }));

  r.Add("POST", "/api/v1/staff/{id}/end", Authed(api, [&api](HttpRequest& req, const Caller& who, const Respond& respond) -> Status {
    LINLI_ASSIGN_OR_RETURN(auto id, PathId(req));
    api.fieldwork.EndStaff(who, id, Reply<storage::StaffPositionRow>(respond, RenderStaff));
    return Ok();
  }));

  r.Add("GET", "/api/v1/responsible", Authed(api, [&api](HttpRequest& req, const Caller& who, const Respond& respond) -> Status {
    std::optional<domain::LonLat> point;
    if (req.query.count("lon") || req.query.count("lat")) {
      LINLI_ASSIGN_OR_RETURN(auto lon, QueryNumber(req, "lon"));
      LINLI_ASSIGN_OR_RETURN(auto lat, QueryNumber(req, "lat"));
      point = domain::LonLat{lon, lat};
    }
    LINLI_ASSIGN_OR_RETURN(auto building, QueryInt(req, "building_id", 1, INT64_MAX));
    LINLI_ASSIGN_OR_RETURN(auto household, QueryInt(req, "household_id", 1, INT64_MAX));
    LINLI_ASSIGN_OR_RETURN(auto resp, api.fieldwork.ResponsibleFor(who, point, building, household));
    json::object o;
    json::array heads;
    for (const auto& p : resp.building_heads) heads.emplace_back(RenderStaff(p));
    o["building_heads"] = std::move(heads);
    json::array chain;
    for (const auto& level : resp.chain) {
      json::object l;
      l["node"] = RenderNode(level.node);
      json::array staff;
      for (const auto& p : level.staff) staff.emplace_back(RenderStaff(p));
      l["staff"] = std::move(staff);
      chain.emplace_back(std::move(l));
    }
    o["chain"] = std::move(chain);
    respond(JsonResponse(200, o));
    return Ok();
  }));

  r.Add("POST", "/api/v1/sweeps", Authed(api, [&api](HttpRequest& req, const Caller& who, const Respond& respond) -> Status {
    LINLI_ASSIGN_OR_RETURN(auto body, ParseObject(req));
    LINLI_TRY(OnlyKnownFields(body, {"node_id", "title", "due_at"}));
    service::SweepInput in;
    LINLI_ASSIGN_OR_RETURN(in.node_id, RequiredInt(body, "node_id"));
    LINLI_ASSIGN_OR_RETURN(in.title, RequiredString(body, "title"));
    LINLI_ASSIGN_OR_RETURN(auto due, OptionalInt(body, "due_at"));
    in.due_at = due.value_or(0);
    api.fieldwork.CreateSweep(who, std::move(in), Reply<storage::SweepRow>(respond, RenderSweep, 201));
    return Ok();
  }));

  r.Add("GET", "/api/v1/sweeps", Authed(api, [&api](HttpRequest& req, const Caller& who, const Respond& respond) -> Status {
    LINLI_ASSIGN_OR_RETURN(auto limit, QueryLimit(req, 50));
    LINLI_ASSIGN_OR_RETURN(auto node, QueryInt(req, "node_id", 1, INT64_MAX));
    LINLI_ASSIGN_OR_RETURN(auto after, QueryInt(req, "after", 0, INT64_MAX));
    LINLI_ASSIGN_OR_RETURN(auto list, api.fieldwork.ListSweeps(who, node, after.value_or(0), limit));
    json::array items;
    for (const auto& s : list) items.emplace_back(RenderSweep(s));
    respond(JsonResponse(200, Page(std::move(items), limit, list.empty() ? 0 : list.back().id)));
    return Ok();
  }));

  r.Add("GET", "/api/v1/sweeps/{id}", Authed(api, [&api](HttpRequest& req, const Caller& who, const Respond& respond) -> Status {
    LINLI_ASSIGN_OR_RETURN(auto id, PathId(req));
    LINLI_ASSIGN_OR_RETURN(auto p, api.fieldwork.Progress(who, id));
    auto o = RenderSweep(p.sweep);
    o["by_node"] = Progress(p.by_node, "node_id");
    o["by_visitor"] = Progress(p.by_visitor, "user_id");
    respond(JsonResponse(200, o));
    return Ok();
  }));

  r.Add("GET", "/api/v1/sweeps/{id}/households", Authed(api, [&api](HttpRequest& req, const Caller& who, const Respond& respond) -> Status {
    LINLI_ASSIGN_OR_RETURN(auto id, PathId(req));
    LINLI_ASSIGN_OR_RETURN(auto limit, QueryLimit(req, 100));
    LINLI_ASSIGN_OR_RETURN(auto pending, QueryBool(req, "pending", false));
    LINLI_ASSIGN_OR_RETURN(auto after, QueryInt(req, "after", 0, INT64_MAX));
    LINLI_ASSIGN_OR_RETURN(auto list, api.fieldwork.SweepHouseholds(who, id, pending, after.value_or(0), limit));
    json::array items;
    for (const auto& [household, outcome] : list) {
      json::object o;
      o["household_id"] = household;
      o["outcome"] = outcome.empty() ? json::value(nullptr) : json::value(outcome);
      items.emplace_back(std::move(o));
    }
    respond(JsonResponse(200, Page(std::move(items), limit, list.empty() ? 0 : list.back().first)));
    return Ok();
  }));

  r.Add("POST", "/api/v1/visits", Authed(api, [&api](HttpRequest& req, const Caller& who, const Respond& respond) -> Status {
    LINLI_ASSIGN_OR_RETURN(auto body, ParseObject(req));
    LINLI_TRY(OnlyKnownFields(body, {"household_id", "sweep_id", "outcome", "changes", "notes", "visited_at"}));
    service::VisitInput in;
    LINLI_ASSIGN_OR_RETURN(in.household_id, RequiredInt(body, "household_id"));
    LINLI_ASSIGN_OR_RETURN(auto sweep, OptionalInt(body, "sweep_id"));
    in.sweep_id = sweep.value_or(0);
    LINLI_ASSIGN_OR_RETURN(in.outcome, RequiredString(body, "outcome"));
    if (auto* c = body.if_contains("changes"); c && !c->is_null()) {
      LINLI_ASSIGN_OR_RETURN(in.resident_changes, ParseVisitChanges(*c));
      in.changes = json::serialize(*c);
    }
    LINLI_ASSIGN_OR_RETURN(auto notes, OptionalString(body, "notes"));
    in.notes = notes.value_or("");
    LINLI_ASSIGN_OR_RETURN(auto at, OptionalInt(body, "visited_at"));
    in.visited_at = at.value_or(0);
    api.fieldwork.RecordVisit(who, std::move(in), Reply<service::VisitView>(respond, RenderVisit, 201));
    return Ok();
  }));

  r.Add("GET", "/api/v1/visits", Authed(api, [&api](HttpRequest& req, const Caller& who, const Respond& respond) -> Status {
    LINLI_ASSIGN_OR_RETURN(auto limit, QueryLimit(req, 50));
    LINLI_ASSIGN_OR_RETURN(auto node, QueryInt(req, "node_id", 1, INT64_MAX));
    storage::VisitListQuery q;
    q.limit = limit;
    LINLI_ASSIGN_OR_RETURN(q.household_id, QueryInt(req, "household_id", 1, INT64_MAX));
    LINLI_ASSIGN_OR_RETURN(q.sweep_id, QueryInt(req, "sweep_id", 1, INT64_MAX));
    LINLI_ASSIGN_OR_RETURN(auto before, QueryInt(req, "before", 0, INT64_MAX));
    q.before_id = before.value_or(0);
    LINLI_ASSIGN_OR_RETURN(auto list, api.fieldwork.ListVisits(who, node, std::move(q)));
    json::array items;
    for (const auto& v : list) items.emplace_back(RenderVisit(v));
    json::object o;
    o["items"] = std::move(items);
    if (static_cast<int>(list.size()) == limit) o["next_before"] = list.back().row.id; else o["next_before"] = nullptr;
    respond(JsonResponse(200, o));
    return Ok();
  }));

  r.Add("GET", "/api/v1/visits/overdue", Authed(api, [&api](HttpRequest& req, const Caller& who, const Respond& respond) -> Status {
    LINLI_ASSIGN_OR_RETURN(auto limit, QueryLimit(req, 100));
    LINLI_ASSIGN_OR_RETURN(auto node, QueryInt(req, "node_id", 1, INT64_MAX));
    LINLI_ASSIGN_OR_RETURN(auto days, QueryInt(req, "days", 1, 3650));
    LINLI_ASSIGN_OR_RETURN(auto after, QueryInt(req, "after", 0, INT64_MAX));
    LINLI_ASSIGN_OR_RETURN(auto list, api.fieldwork.Overdue(who, node, static_cast<int>(days.value_or(30)),
                                                            after.value_or(0), limit));
    json::array items;
    for (const auto& v : list) items.emplace_back(RenderResident(v));
    respond(JsonResponse(200, Page(std::move(items), limit, list.empty() ? 0 : list.back().id)));
    return Ok();
  }));
}

}  // namespace linli::http
