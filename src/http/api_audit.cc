#include "http/api.h"
#include "http/json_io.h"
#include "http/render.h"

namespace linli::http {

void RegisterAuditRoutes(Router& r, Api& api) {
  r.Add("GET", "/api/v1/audit", Authed(api, [&api](HttpRequest& req, const service::Caller& who, Respond respond) {
    service::AuditFilter f;
    Status st = Ok();
    f.limit = QueryLimit(req, st, 100);
    if (!st) return respond(ErrorResponse(st.error()));
    auto actor = QueryInt(req, "actor_id", 0, INT64_MAX);
    if (!actor) return respond(ErrorResponse(actor.error()));
    f.actor_id = *actor;
    auto node = QueryInt(req, "node_id", 1, INT64_MAX);
    if (!node) return respond(ErrorResponse(node.error()));
    f.node_id = *node;
    auto before = QueryInt(req, "before", 1, INT64_MAX);
    if (!before) return respond(ErrorResponse(before.error()));
    f.before_seq = before->value_or(0);
    // Times as epoch milliseconds, as every client can produce them without ambiguity.
    auto from = QueryInt(req, "from", 0, INT64_MAX);
    if (!from) return respond(ErrorResponse(from.error()));
    f.from = *from;
    auto to = QueryInt(req, "to", 0, INT64_MAX);
    if (!to) return respond(ErrorResponse(to.error()));
    f.to = *to;
    if (auto it = req.query.find("action"); it != req.query.end() && !it->second.empty()) {
      if (it->second.size() > 64) return respond(ErrorResponse(Error::Invalid("action", "action is too long")));
      f.action = it->second;
    }
    auto list = api.audit.Query(who, f);
    if (!list) return respond(ErrorResponse(list.error()));
    json::array items;
    for (const auto& e : *list) items.emplace_back(RenderAuditEntry(e));
    json::object page;
    bool full = list->size() >= static_cast<std::size_t>(f.limit);
    page["items"] = std::move(items);
    if (full) page["next_before"] = list->back().seq; else page["next_before"] = nullptr;
    respond(JsonResponse(200, page));
  }));

  r.Add("GET", "/api/v1/audit/verify", Authed(api, [&api](HttpRequest&, const service::Caller& who, Respond respond) {
    auto v = api.audit.Verify(who);
    if (!v) return respond(ErrorResponse(v.error()));
    json::object o{{"intact", v->intact}, {"entries", v->entries}};
    if (!v->intact) {
      o["first_broken_seq"] = v->first_broken_seq;
      o["reason"] = v->reason;
    }
    respond(JsonResponse(200, o));
  }));
}

}  // namespace linli::http
