// The deliberation council (议事会) over HTTP: meetings, their agenda, and the record of one.
#include "http/api.h"
#include "http/json_io.h"
#include "http/render.h"

namespace linli::http {

namespace {

using service::Caller;

json::object RenderMeeting(const service::CouncilMeeting& m) {
  const auto& r = m.row;
  json::array items;
  for (const auto& i : m.items) {
    items.push_back(json::object{{"case_id", i.case_id}, {"position", i.position}, {"decision", i.decision}});
  }
  return {{"id", r.id},
          {"node_id", r.node_id},
          {"title", r.title},
          {"place", r.place},
          {"scheduled_at", r.scheduled_at},
          {"state", r.state},
          {"attendees", StoredJson(r.attendees)},
          {"minutes", r.minutes},
          {"created_by", r.created_by},
          {"created_at", r.created_at},
          {"held_at", NullIfZero(r.held_at)},
          {"items", std::move(items)}};
}

Result<std::vector<std::string>> StringList(const json::object& body, std::string_view field) {
  auto it = body.find(field);
  if (it == body.end() || !it->value().is_array()) return Error::Invalid(std::string(field), std::string(field) + " is a list of names");
  std::vector<std::string> out;
  for (const auto& v : it->value().as_array()) {
    if (!v.is_string()) return Error::Invalid(std::string(field), std::string(field) + " is a list of names");
    out.emplace_back(v.as_string());
  }
  return out;
}

}  // namespace

void RegisterCouncilRoutes(Router& r, Api& api) {
  auto reply = [](const Respond& respond, int status = 200) {
    return Reply<service::CouncilMeeting>(respond, RenderMeeting, status);
  };

  r.Add("POST", "/api/v1/council-meetings", Authed(api, [&api, reply](HttpRequest& req, const Caller& who, const Respond& respond) -> Status {
    LINLI_ASSIGN_OR_RETURN(auto body, ParseObject(req));
    LINLI_TRY(OnlyKnownFields(body, {"node_id", "title", "place", "scheduled_at"}));
    service::CouncilInput in;
    LINLI_ASSIGN_OR_RETURN(in.node_id, RequiredInt(body, "node_id"));
    LINLI_ASSIGN_OR_RETURN(in.title, RequiredString(body, "title"));
    LINLI_ASSIGN_OR_RETURN(auto place, OptionalString(body, "place"));
    in.place = place.value_or("");
    LINLI_ASSIGN_OR_RETURN(in.scheduled_at, RequiredInt(body, "scheduled_at"));
    api.council.Create(who, std::move(in), reply(respond, 201));
    return Ok();
  }));

  r.Add("GET", "/api/v1/council-meetings", Authed(api, [&api](HttpRequest& req, const Caller& who, const Respond& respond) -> Status {
    LINLI_ASSIGN_OR_RETURN(auto limit, QueryLimit(req, 50));
    LINLI_ASSIGN_OR_RETURN(auto node, QueryInt(req, "node_id", 1, INT64_MAX));
    LINLI_ASSIGN_OR_RETURN(auto before, QueryInt(req, "before", 1, INT64_MAX));
    LINLI_ASSIGN_OR_RETURN(auto list, api.council.List(who, node, before.value_or(0), limit));
    json::array items;
    for (auto& m : list) items.emplace_back(RenderMeeting({std::move(m), {}}));
    json::object o{{"items", std::move(items)}};
    o["next_before"] = list.size() >= static_cast<std::size_t>(limit) ? json::value(list.back().id) : json::value(nullptr);
    respond(JsonResponse(200, o));
    return Ok();
  }));

  r.Add("GET", "/api/v1/council-meetings/{id}", Authed(api, [&api](HttpRequest& req, const Caller& who, const Respond& respond) -> Status {
    LINLI_ASSIGN_OR_RETURN(auto id, PathId(req));
    LINLI_ASSIGN_OR_RETURN(auto m, api.council.Get(who, id));
    respond(JsonResponse(200, RenderMeeting(m)));
    return Ok();
  }));

  r.Add("POST", "/api/v1/council-meetings/{id}/items", Authed(api, [&api, reply](HttpRequest& req, const Caller& who, const Respond& respond) -> Status {
    LINLI_ASSIGN_OR_RETURN(auto id, PathId(req));
    LINLI_ASSIGN_OR_RETURN(auto body, ParseObject(req));
    LINLI_TRY(OnlyKnownFields(body, {"case_id"}));
    LINLI_ASSIGN_OR_RETURN(auto case_id, RequiredInt(body, "case_id"));
    api.council.AddItem(who, id, case_id, reply(respond));
    return Ok();
  }));

  r.Add("DELETE", "/api/v1/council-meetings/{id}/items/{case_id}", Authed(api, [&api, reply](HttpRequest& req, const Caller& who, const Respond& respond) -> Status {
    LINLI_ASSIGN_OR_RETURN(auto id, PathId(req));
    LINLI_ASSIGN_OR_RETURN(auto case_id, PathId(req, "case_id"));
    api.council.RemoveItem(who, id, case_id, reply(respond));
    return Ok();
  }));

  r.Add("POST", "/api/v1/council-meetings/{id}/record", Authed(api, [&api, reply](HttpRequest& req, const Caller& who, const Respond& respond) -> Status {
    LINLI_ASSIGN_OR_RETURN(auto id, PathId(req));
    LINLI_ASSIGN_OR_RETURN(auto body, ParseObject(req));
    LINLI_TRY(OnlyKnownFields(body, {"attendees", "minutes", "decisions"}));
    service::CouncilRecord record;
    LINLI_ASSIGN_OR_RETURN(record.attendees, StringList(body, "attendees"));
    LINLI_ASSIGN_OR_RETURN(auto minutes, OptionalString(body, "minutes"));
    record.minutes = minutes.value_or("");
    auto it = body.find("decisions");
    if (it == body.end() || !it->value().is_array()) {
      return Error::Invalid("decisions", "decisions is a list of {\"case_id\":…, \"decision\":\"…\"}");
    }
    const auto& decisions = it->value().as_array();
    for (std::size_t i = 0; i < decisions.size(); ++i) {
      std::string where = "decisions[" + std::to_string(i) + "]";
      if (!decisions[i].is_object()) return Error::Invalid(where, where + " is {\"case_id\":…, \"decision\":\"…\"}");
      const auto& d = decisions[i].as_object();
      auto case_id = RequiredInt(d, "case_id");
      if (!case_id) return Nested(where, case_id.error());
      auto decision = RequiredString(d, "decision");
      if (!decision) return Nested(where, decision.error());
      record.decisions.emplace_back(*case_id, *decision);
    }
    api.council.Record(who, id, std::move(record), reply(respond));
    return Ok();
  }), {.max_body_bytes = 256 << 10});
}

}  // namespace linli::http
