#include "http/api.h"
#include "http/json_io.h"
#include "http/render.h"

namespace linli::http {

void RegisterOrgRoutes(Router& r, Api& api) {
  auto node_reply = [](Respond respond, int status = 200) {
    return Reply<domain::OrgNode>(std::move(respond), [](const domain::OrgNode& n) { return RenderNode(n); }, status);
  };

  r.Add("GET", "/api/v1/org/nodes", Authed(api, [&api](HttpRequest& req, const service::Caller& who, Respond respond) {
    service::NodeListInput in;
    Status st = Ok();
    in.limit = QueryLimit(req, st, 100);
    if (!st) return respond(ErrorResponse(st.error()));
    auto parent = QueryInt(req, "parent_id", 0, INT64_MAX);
    if (!parent) return respond(ErrorResponse(parent.error()));
    in.parent_id = *parent;
    auto after = QueryInt(req, "after", 0, INT64_MAX);
    if (!after) return respond(ErrorResponse(after.error()));
    in.after_id = after->value_or(0);
    if (auto it = req.query.find("type"); it != req.query.end() && !it->second.empty()) in.type = it->second;
    if (auto it = req.query.find("archived"); it != req.query.end()) {
      if (it->second != "true" && it->second != "false" && !it->second.empty()) {
        return respond(ErrorResponse(Error::Invalid("archived", "archived must be true or false")));
      }
      in.include_archived = it->second == "true";
    }
    auto list = api.org.List(who, in);
    if (!list) return respond(ErrorResponse(list.error()));
    json::array items;
    for (const auto& n : *list) items.emplace_back(RenderNode(n));
    respond(JsonResponse(200, Page(std::move(items), in.limit, list->empty() ? 0 : list->back().id)));
  }));

  r.Add("POST", "/api/v1/org/nodes", Authed(api, [&api, node_reply](HttpRequest& req, const service::Caller& who, Respond respond) {
    auto body = ParseObject(req);
    if (!body) return respond(ErrorResponse(body.error()));
    if (auto st = OnlyKnownFields(*body, {"parent_id", "type", "code", "name"}); !st) return respond(ErrorResponse(st.error()));
    service::CreateNodeInput in;
    auto parent = RequiredInt(*body, "parent_id");
    if (!parent) return respond(ErrorResponse(parent.error()));
    in.parent_id = *parent;
    for (auto [field, out] : {std::pair{"type", &in.type}, {"code", &in.code}, {"name", &in.name}}) {
      auto v = RequiredString(*body, field);
      if (!v) return respond(ErrorResponse(v.error()));
      *out = std::move(*v);
    }
    api.org.Create(who, std::move(in), node_reply(std::move(respond), 201));
  }));

  r.Add("GET", "/api/v1/org/nodes/{id}", Authed(api, [&api](HttpRequest& req, const service::Caller& who, Respond respond) {
    auto id = PathId(req);
    if (!id) return respond(ErrorResponse(id.error()));
    auto node = api.org.Get(who, *id);
    if (!node) return respond(ErrorResponse(node.error()));
    respond(JsonResponse(200, RenderNode(*node)));
  }));

  r.Add("PATCH", "/api/v1/org/nodes/{id}", Authed(api, [&api, node_reply](HttpRequest& req, const service::Caller& who, Respond respond) {
    auto id = PathId(req);
    if (!id) return respond(ErrorResponse(id.error()));
    auto body = ParseObject(req);
    if (!body) return respond(ErrorResponse(body.error()));
    if (auto st = OnlyKnownFields(*body, {"name", "version"}); !st) return respond(ErrorResponse(st.error()));
    auto name = RequiredString(*body, "name");
    if (!name) return respond(ErrorResponse(name.error()));
    auto version = OptionalInt(*body, "version");
    if (!version) return respond(ErrorResponse(version.error()));
    api.org.Rename(who, *id, std::move(*name), *version, node_reply(std::move(respond)));
  }));

  r.Add("POST", "/api/v1/org/nodes/{id}/move", Authed(api, [&api, node_reply](HttpRequest& req, const service::Caller& who, Respond respond) {
    auto id = PathId(req);
    if (!id) return respond(ErrorResponse(id.error()));
    auto body = ParseObject(req);
    if (!body) return respond(ErrorResponse(body.error()));
    if (auto st = OnlyKnownFields(*body, {"parent_id"}); !st) return respond(ErrorResponse(st.error()));
    auto parent = RequiredInt(*body, "parent_id");
    if (!parent) return respond(ErrorResponse(parent.error()));
    api.org.Move(who, *id, *parent, node_reply(std::move(respond)));
  }));

  for (auto [suffix, archived] : {std::pair{"archive", true}, {"restore", false}}) {
    r.Add("POST", std::string("/api/v1/org/nodes/{id}/") + suffix,
          Authed(api, [&api, node_reply, archived](HttpRequest& req, const service::Caller& who, Respond respond) {
            auto id = PathId(req);
            if (!id) return respond(ErrorResponse(id.error()));
            api.org.SetArchived(who, *id, archived, node_reply(std::move(respond)));
          }));
  }
}

}  // namespace linli::http
