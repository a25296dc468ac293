#include "http/api.h"
#include "http/json_io.h"
#include "http/render.h"

namespace linli::http {

namespace {
auto UserReply(Respond respond, int status = 200) {
  return Reply<service::UserView>(std::move(respond), [](const service::UserView& v) { return RenderUser(v); }, status);
}
}  // namespace

void RegisterAccountRoutes(Router& r, Api& api) {
  r.Add("GET", "/api/v1/users", Authed(api, [&api](HttpRequest& req, const service::Caller& who, Respond respond) {
    Status st = Ok();
    int limit = QueryLimit(req, st, 100);
    if (!st) return respond(ErrorResponse(st.error()));
    auto after = QueryInt(req, "after", 0, INT64_MAX);
    if (!after) return respond(ErrorResponse(after.error()));
    auto list = api.accounts.ListUsers(who, after->value_or(0), limit);
    if (!list) return respond(ErrorResponse(list.error()));
    json::array items;
    for (const auto& u : *list) items.emplace_back(RenderUserRecord(u));
    respond(JsonResponse(200, Page(std::move(items), limit, list->empty() ? 0 : list->back().id)));
  }));

  r.Add("POST", "/api/v1/users", Authed(api, [&api](HttpRequest& req, const service::Caller& who, Respond respond) {
    auto body = ParseObject(req);
    if (!body) return respond(ErrorResponse(body.error()));
    if (auto st = OnlyKnownFields(*body, {"username", "display_name", "password", "home_node_id",
                                          "must_change_password"}); !st) {
      return respond(ErrorResponse(st.error()));
    }
    service::CreateUserInput in;
    for (auto [field, out] : {std::pair{"username", &in.username}, {"display_name", &in.display_name},
                              {"password", &in.password}}) {
      auto v = RequiredString(*body, field);
      if (!v) return respond(ErrorResponse(v.error()));
      *out = std::move(*v);
    }
    auto node = RequiredInt(*body, "home_node_id");
    if (!node) return respond(ErrorResponse(node.error()));
    in.home_node_id = *node;
    auto must = OptionalBool(*body, "must_change_password");
    if (!must) return respond(ErrorResponse(must.error()));
    in.must_change_password = must->value_or(true);
    api.accounts.CreateUser(who, std::move(in), UserReply(std::move(respond), 201));
  }));

  r.Add("GET", "/api/v1/users/{id}", Authed(api, [&api](HttpRequest& req, const service::Caller& who, Respond respond) {
    auto id = PathId(req);
    if (!id) return respond(ErrorResponse(id.error()));
    auto view = api.accounts.GetUser(who, *id);
    if (!view) return respond(ErrorResponse(view.error()));
    respond(JsonResponse(200, RenderUser(*view)));
  }));

  for (auto [suffix, disabled] : {std::pair{"disable", true}, {"enable", false}}) {
    r.Add("POST", std::string("/api/v1/users/{id}/") + suffix,
          Authed(api, [&api, disabled](HttpRequest& req, const service::Caller& who, Respond respond) {
            auto id = PathId(req);
            if (!id) return respond(ErrorResponse(id.error()));
            api.accounts.SetDisabled(who, *id, disabled, UserReply(std::move(respond)));
          }));
  }

  r.Add("POST", "/api/v1/users/{id}/password", Authed(api, [&api](HttpRequest& req, const service::Caller& who, Respond respond) {
    auto id = PathId(req);
    if (!id) return respond(ErrorResponse(id.error()));
    auto body = ParseObject(req);
    if (!body) return respond(ErrorResponse(body.error()));
    if (auto st = OnlyKnownFields(*body, {"password"}); !st) return respond(ErrorResponse(st.error()));
    auto pw = RequiredString(*body, "password");
    if (!pw) return respond(ErrorResponse(pw.error()));
    api.accounts.ResetPassword(who, *id, std::move(*pw), UserReply(std::move(respond)));
  }));

  r.Add("POST", "/api/v1/users/{id}/assignments", Authed(api, [&api](HttpRequest& req, const service::Caller& who, Respond respond) {
    auto id = PathId(req);
    if (!id) return respond(ErrorResponse(id.error()));
    auto body = ParseObject(req);
    if (!body) return respond(ErrorResponse(body.error()));
    if (auto st = OnlyKnownFields(*body, {"role", "node_id"}); !st) return respond(ErrorResponse(st.error()));
    auto role = RequiredString(*body, "role");
    if (!role) return respond(ErrorResponse(role.error()));
    auto node = RequiredInt(*body, "node_id");
    if (!node) return respond(ErrorResponse(node.error()));
    api.accounts.Assign(who, *id, std::move(*role), *node,
                        Reply<storage::AssignmentRecord>(respond, [](const auto& a) { return RenderAssignment(a); }, 201));
  }));

  r.Add("DELETE", "/api/v1/assignments/{id}", Authed(api, [&api](HttpRequest& req, const service::Caller& who, Respond respond) {
    auto id = PathId(req);
    if (!id) return respond(ErrorResponse(id.error()));
    api.accounts.Unassign(who, *id, Reply<bool>(respond, [](bool) { return json::object{{"revoked", true}}; }));
  }));

  r.Add("GET", "/api/v1/roles", Authed(api, [&api](HttpRequest&, const service::Caller& who, Respond respond) {
    auto roles = api.accounts.Roles(who);
    if (!roles) return respond(ErrorResponse(roles.error()));
    json::array items;
    for (const auto& x : *roles) items.emplace_back(RenderRole(x));
    json::array catalogue;
    for (auto p : domain::PermissionCatalogue()) catalogue.emplace_back(p);
    respond(JsonResponse(200, json::object{{"items", items}, {"permissions", catalogue}}));
  }));

  r.Add("PUT", "/api/v1/roles/{name}", Authed(api, [&api](HttpRequest& req, const service::Caller& who, Respond respond) {
    auto body = ParseObject(req);
    if (!body) return respond(ErrorResponse(body.error()));
    if (auto st = OnlyKnownFields(*body, {"permissions"}); !st) return respond(ErrorResponse(st.error()));
    auto it = body->find("permissions");
    if (it == body->end() || !it->value().is_array()) {
      return respond(ErrorResponse(Error::Invalid("permissions", "permissions must be an array of strings")));
    }
    std::vector<std::string> perms;
    for (const auto& p : it->value().as_array()) {
      if (!p.is_string()) return respond(ErrorResponse(Error::Invalid("permissions", "permissions must be an array of strings")));
      perms.emplace_back(p.as_string());
    }
    api.accounts.UpdateRole(who, req.path_params["name"], std::move(perms),
                            Reply<domain::RoleDefinition>(respond, [](const auto& r) { return RenderRole(r); }));
  }));

  r.Add("GET", "/api/v1/security/policy", Authed(api, [&api](HttpRequest&, const service::Caller& who, Respond respond) {
    auto p = api.accounts.Policy(who);
    if (!p) return respond(ErrorResponse(p.error()));
    respond(JsonResponse(200, RenderPolicy(*p)));
  }));

  r.Add("PUT", "/api/v1/security/policy", Authed(api, [&api](HttpRequest& req, const service::Caller& who, Respond respond) {
    auto body = ParseObject(req);  // validates the content type and syntax
    if (!body) return respond(ErrorResponse(body.error()));
    api.accounts.UpdatePolicy(who, req.body,
                              Reply<domain::SecurityPolicy>(respond, [](const auto& p) { return RenderPolicy(p); }));
  }));

  r.Add("GET", "/api/v1/apikeys", Authed(api, [&api](HttpRequest&, const service::Caller& who, Respond respond) {
    auto keys = api.accounts.ApiKeys(who);
    if (!keys) return respond(ErrorResponse(keys.error()));
    json::array items;
    for (const auto& k : *keys) items.emplace_back(RenderApiKey(k));
    respond(JsonResponse(200, json::object{{"items", items}}));
  }));

  r.Add("POST", "/api/v1/apikeys", Authed(api, [&api](HttpRequest& req, const service::Caller& who, Respond respond) {
    auto body = ParseObject(req);
    if (!body) return respond(ErrorResponse(body.error()));
    if (auto st = OnlyKnownFields(*body, {"user_id", "name"}); !st) return respond(ErrorResponse(st.error()));
    auto user = RequiredInt(*body, "user_id");
    if (!user) return respond(ErrorResponse(user.error()));
    auto name = RequiredString(*body, "name");
    if (!name) return respond(ErrorResponse(name.error()));
    api.accounts.CreateApiKey(who, *user, std::move(*name),
                              Reply<service::CreatedApiKey>(respond, [](const service::CreatedApiKey& k) {
                                json::object o = RenderApiKey(k.record);
                                o["key"] = k.key;  // shown once
                                return o;
                              }, 201));
  }));

  r.Add("DELETE", "/api/v1/apikeys/{id}", Authed(api, [&api](HttpRequest& req, const service::Caller& who, Respond respond) {
    auto id = PathId(req);
    if (!id) return respond(ErrorResponse(id.error()));
    api.accounts.RevokeApiKey(who, *id, Reply<bool>(respond, [](bool) { return json::object{{"revoked", true}}; }));
  }));
}

}  // namespace linli::http
