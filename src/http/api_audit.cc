#include "http/api.h"
#include "http/json_io.h"
#include "http/render.h"

namespace linli::http {

void RegisterAuditRoutes(Router& r, Api& api) {
  r.Add("GET", "/api/v1/audit", Authed(api, [&api](HttpRequest& req, const service::Caller& who, const Respond& respond) -> Status {
    service::AuditFilter f;
    LINLI_ASSIGN_OR_RETURN(f.limit, QueryLimit(req, 100));
    LINLI_ASSIGN_OR_RETURN(f.actor_id, QueryInt(req, "actor_id", 0, INT64_MAX));
    LINLI_ASSIGN_OR_RETURN(f.node_id, QueryInt(req, "node_id", 1, INT64_MAX));
    LINLI_ASSIGN_OR_RETURN(auto before, QueryInt(req, "before", 1, INT64_MAX));
    f.before_seq = before.value_or(0);
    // Times as epoch milliseconds, as every client can produce them without ambiguity.
    LINLI_ASSIGN_OR_RETURN(f.from, QueryInt(req, "from", 0, INT64_MAX));
    LINLI_ASSIGN_OR_RETURN(f.to, QueryInt(req, "to", 0, INT64_MAX));
    if (auto it = req.query.find("action"); it != req.query.end() && !it->second.empty()) {
      if (it->second.size() > 64) return Error::Invalid("action", "action is too long");
      f.action = it->second;
    }
    LINLI_ASSIGN_OR_RETURN(auto list, api.audit.Query(who, f));
    json::array items;
    for (const auto& e : list) items.emplace_back(RenderAuditEntry(e));
    json::object page;
    bool full = list.size() >= static_cast<std::size_t>(f.limit);
    page["items"] = std::move(items);
    if (full) page["next_before"] = list.back().seq; else page["next_before"] = nullptr;
    respond(JsonResponse(200, page));
    return Ok();
  }));

  r.Add("GET", "/api/v1/audit/verify", Authed(api, [&api](HttpRequest&, const service::Caller& who, const Respond& respond) -> Status {
    LINLI_ASSIGN_OR_RETURN(auto v, api.audit.Verify(who));
    json::object o{{"intact", v.intact}, {"entries", v.entries}};
    if (!v.intact) {
      o["first_broken_seq"] = v.first_broken_seq;
      o["reason"] = v.reason;
    }
    respond(JsonResponse(200, o));
    return Ok();
  }));
}

}  // namespace linli::http
