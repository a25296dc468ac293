// The cockpit (驾驶舱) and what keeps screens live: the counts of a node, the map of its children,
// and a server-sent event stream that says which part of a subtree's cases changed.
#include "domain/org.h"
#include "http/api.h"
#include "http/json_io.h"
#include "http/render.h"

namespace linli::http {

namespace {

using service::Caller;

// Built on `sp`: a city's region lists a hundred children, each an object of nine members, and
// one arena for the whole answer spares a thousand small allocations and frees.
json::object RenderCockpit(const service::Cockpit& c, const json::storage_ptr& sp) {
  const auto& f = c.figures;
  auto rate = [](std::int64_t part, std::int64_t whole) -> json::value {
    if (whole == 0) return nullptr;
    return static_cast<double>(part) / static_cast<double>(whole);
  };
  json::object solved(sp);
  std::int64_t solved_total = 0, solved_below_community = 0;
  for (const auto& [level, n] : f.solved_by_level) {
    solved[level] = n;
    solved_total += n;
    if (level == "micro_grid" || level == "grid") solved_below_community += n;
  }
  json::array trail(sp), trend(sp), groups(sp), categories(sp), children(sp);
  for (const auto& n : c.trail) trail.push_back(RenderNode(n));
  for (const auto& d : c.trend) trend.push_back({{"day", d.day}, {"reported", d.reported}, {"resolved", d.resolved}});
  for (const auto& g : c.top_groups) groups.push_back({{"code", g.code}, {"name", g.name}, {"reported", g.reported}});
  for (const auto& g : c.top_categories) categories.push_back({{"code", g.code}, {"name", g.name}, {"reported", g.reported}});
  // A child is a row of the cockpit's table and a shape on its map: what names it and its four
  // figures. The whole node is at /api/v1/org/nodes/{id}; a city's region lists a hundred children,
  // so each carries no more than it is shown with.
  for (const auto& k : c.children) {
    json::object node(9, sp);
    node["id"] = k.node.id;
    node["type"] = domain::NodeTypeName(k.node.type);
    node["code"] = k.node.code;
    node["name"] = k.node.name;
    node["path"] = k.node.path;
    node["open"] = k.open;
    node["overdue"] = k.overdue;
    node["reported"] = k.reported;
    node["resolved"] = k.resolved;
    children.push_back(std::move(node));
  }
  return json::object({{"node", RenderNode(c.node)},
          {"trail", std::move(trail)},
          {"month", c.month},
          {"residents", c.residents},
          {"households", c.households},
          {"open", f.open},
          {"overdue", f.overdue},
          {"reported", f.reported},
          {"accepted", f.accepted},
          {"resolved", f.resolved},
          {"resolved_on_time", f.resolved_on_time},
          {"on_time_rate", rate(f.resolved_on_time, f.resolved)},
          {"rated", f.rated},
          {"satisfied", f.satisfied},
          {"satisfaction_rate", rate(f.satisfied, f.rated)},
          {"average_rating", f.rated == 0 ? json::value(nullptr) : json::value(static_cast<double>(f.rating_sum) / f.rated)},
          {"solved_by_level", std::move(solved)},
          // 小事不出院落: the share of this month's solved cases settled within the grid.
          {"solved_within_grid_rate", rate(solved_below_community, solved_total)},
          {"trend", std::move(trend)},
          {"top_groups", std::move(groups)},
          {"top_categories", std::move(categories)},
          {"children", std::move(children)}},
                      sp);
}

}  // namespace

void RegisterCockpitRoutes(Router& r, Api& api) {
  r.Add("GET", "/api/v1/cockpit/nodes/{id}", Authed(api, [&api](HttpRequest& req, const Caller& who, const Respond& respond) -> Status {
    LINLI_ASSIGN_OR_RETURN(auto id, PathId(req));
    std::string month;
    if (auto it = req.query.find("month"); it != req.query.end()) month = it->second;
    LINLI_ASSIGN_OR_RETURN(auto cockpit, api.cockpit.ForNode(who, id, std::move(month)));
    json::monotonic_resource arena(32 * 1024);
    respond(JsonResponse(200, RenderCockpit(cockpit, &arena)));
    return Ok();
  }));

  // The whole region the caller oversees (a district's or city's officials), its top nodes as children.
  r.Add("GET", "/api/v1/cockpit/region", Authed(api, [&api](HttpRequest& req, const Caller& who, const Respond& respond) -> Status {
    std::string month;
    if (auto it = req.query.find("month"); it != req.query.end()) month = it->second;
    LINLI_ASSIGN_OR_RETURN(auto cockpit, api.cockpit.ForRegion(who, std::move(month)));
    json::monotonic_resource arena(32 * 1024);
    respond(JsonResponse(200, RenderCockpit(cockpit, &arena)));
    return Ok();
  }));

  r.Add("GET", "/api/v1/org/nodes/{id}/map", Authed(api, [&api](HttpRequest& req, const Caller& who, const Respond& respond) -> Status {
    LINLI_ASSIGN_OR_RETURN(auto id, PathId(req));
    LINLI_ASSIGN_OR_RETURN(auto geojson, api.geo.ChildrenMap(who, id));
    HttpResponse resp;
    resp.body = std::move(geojson);
    resp.content_type = "application/geo+json";
    respond(std::move(resp));
    return Ok();
  }));

  // Server-sent events: "ready" once subscribed, then "cases" with {node_id, child_id} whenever a
  // case in the subtree changes (child_id: which child of the node it lies under, for the map).
  // Changes in quick succession under one child reach the client as one event.
  r.Add("GET", "/api/v1/live/cases", Authed(api, [&api](HttpRequest& req, const Caller& who, const Respond& respond) -> Status {
    LINLI_ASSIGN_OR_RETURN(auto node_id, QueryInt(req, "node_id", 1, INT64_MAX));
    if (!node_id) return Error::Invalid("node_id", "node_id is required: the node whose cases to follow");
    LINLI_ASSIGN_OR_RETURN(auto node, api.cockpit.LiveNode(who, *node_id));
    auto stream = std::make_shared<EventStream>();
    std::weak_ptr<EventStream> weak = stream;
    std::size_t depth = domain::PathIds(node.path).size();
    auto handle = api.changes.Subscribe(node.path, [weak, depth, id = node.id](std::string_view topic, std::string_view path) {
      auto s = weak.lock();
      if (!s) return;
      auto ids = domain::PathIds(path);
      std::int64_t child = ids.size() > depth ? ids[depth] : id;
      auto key = std::to_string(child);
      s->Push(key, "event: " + std::string(topic) + "\ndata: {\"node_id\":" + std::to_string(id) +
                       ",\"child_id\":" + key + "}\n\n");
    });
    stream->OnClose([&changes = api.changes, handle] { changes.Unsubscribe(handle); });
    stream->Push("ready", "event: ready\ndata: {\"node_id\":" + std::to_string(node.id) + "}\n\n");
    HttpResponse resp;
    resp.stream = std::move(stream);
    respond(std::move(resp));
    return Ok();
  }));
}

}  // namespace linli::http
