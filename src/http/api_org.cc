#include "http/api.h"
#include "http/json_io.h"
#include "http/render.h"

namespace linli::http {

namespace {
service::Done<domain::OrgNode> NodeReply(const Respond& respond, int status = 200) {
  return Reply<domain::OrgNode>(respond, [](const domain::OrgNode& n) { return RenderNode(n); }, status);
}
}  // namespace

void RegisterOrgRoutes(Router& r, Api& api) {
  r.Add("GET", "/api/v1/org/nodes", Authed(api, [&api](HttpRequest& req, const service::Caller& who, const Respond& respond) -> Status {
    // ?code=: the one node with that org code (what people read on paper), if the caller sees it.
    if (auto code = QueryText(req, "code")) {
      json::array items;
      if (auto node = api.org.GetByCode(who, *code)) {
        items.emplace_back(RenderNode(*node));
      } else if (node.error().code != ErrorCode::kNotFound) {
        return node.error();
      }
      respond(JsonResponse(200, json::object{{"items", std::move(items)}, {"next_after", nullptr}}));
      return Ok();
    }
    service::NodeListInput in;
    LINLI_ASSIGN_OR_RETURN(in.limit, QueryLimit(req, 100));
    LINLI_ASSIGN_OR_RETURN(in.parent_id, QueryInt(req, "parent_id", 0, INT64_MAX));
    LINLI_ASSIGN_OR_RETURN(auto after, QueryInt(req, "after", 0, INT64_MAX));
    in.after_id = after.value_or(0);
    if (auto it = req.query.find("type"); it != req.query.end() && !it->second.empty()) in.type = it->second;
    LINLI_ASSIGN_OR_RETURN(in.include_archived, QueryBool(req, "archived", false));
    LINLI_ASSIGN_OR_RETURN(auto list, api.org.List(who, in));
    json::array items;
    for (const auto& n : list) items.emplace_back(RenderNode(n));
    respond(JsonResponse(200, Page(std::move(items), in.limit, list.empty() ? 0 : list.back().id)));
    return Ok();
  }));

  r.Add("POST", "/api/v1/org/nodes", Authed(api, [&api](HttpRequest& req, const service::Caller& who, const Respond& respond) -> Status {
    LINLI_ASSIGN_OR_RETURN(auto body, ParseObject(req));
    LINLI_TRY(OnlyKnownFields(body, {"parent_id", "type", "code", "name"}));
    service::CreateNodeInput in;
    LINLI_ASSIGN_OR_RETURN(in.parent_id, RequiredInt(body, "parent_id"));
    LINLI_ASSIGN_OR_RETURN(in.type, RequiredString(body, "type"));
    LINLI_ASSIGN_OR_RETURN(in.code, RequiredString(body, "code"));
    LINLI_ASSIGN_OR_RETURN(in.name, RequiredString(body, "name"));
    api.org.Create(who, std::move(in), NodeReply(respond, 201));
    return Ok();
  }));

  r.Add("GET", "/api/v1/org/nodes/{id}", Authed(api, [&api](HttpRequest& req, const service::Caller& who, const Respond& respond) -> Status {
    LINLI_ASSIGN_OR_RETURN(auto id, PathId(req));
    LINLI_ASSIGN_OR_RETURN(auto node, api.org.Get(who, id));
    respond(JsonResponse(200, RenderNode(node)));
    return Ok();
  }));

  r.Add("PATCH", "/api/v1/org/nodes/{id}", Authed(api, [&api](HttpRequest& req, const service::Caller& who, const Respond& respond) -> Status {
    LINLI_ASSIGN_OR_RETURN(auto id, PathId(req));
    LINLI_ASSIGN_OR_RETURN(auto body, ParseObject(req));
    LINLI_TRY(OnlyKnownFields(body, {"name", "version"}));
    LINLI_ASSIGN_OR_RETURN(auto name, RequiredString(body, "name"));
    LINLI_ASSIGN_OR_RETURN(auto version, OptionalInt(body, "version"));
    api.org.Rename(who, id, std::move(name), version, NodeReply(respond));
    return Ok();
  }));

  r.Add("POST", "/api/v1/org/nodes/{id}/move", Authed(api, [&api](HttpRequest& req, const service::Caller& who, const Respond& respond) -> Status {
    LINLI_ASSIGN_OR_RETURN(auto id, PathId(req));
    LINLI_ASSIGN_OR_RETURN(auto body, ParseObject(req));
    LINLI_TRY(OnlyKnownFields(body, {"parent_id", "code"}));
    LINLI_ASSIGN_OR_RETURN(auto parent, RequiredInt(body, "parent_id"));
    LINLI_ASSIGN_OR_RETURN(auto code, OptionalString(body, "code"));
    api.org.Move(who, id, parent, std::move(code), NodeReply(respond));
    return Ok();
  }));

  for (auto [suffix, archived] : {std::pair{"archive", true}, {"restore", false}}) {
    r.Add("POST", std::string("/api/v1/org/nodes/{id}/") + suffix,
          Authed(api, [&api, archived = archived](HttpRequest& req, const service::Caller& who, const Respond& respond) -> Status {
            LINLI_ASSIGN_OR_RETURN(auto id, PathId(req));
            api.org.SetArchived(who, id, archived, NodeReply(respond));
            return Ok();
          }));
  }
}

}  // namespace linli::http
