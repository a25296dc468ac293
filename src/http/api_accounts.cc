#include "http/api.h"
#include "http/json_io.h"
#include "http/render.h"

namespace linli::http {

namespace {
service::Done<service::UserView> UserReply(const Respond& respond, int status = 200) {
  return Reply<service::UserView>(respond, [](const service::UserView& v) { return RenderUser(v); }, status);
}
service::Done<bool> Revoked(const Respond& respond) {
  return Reply<bool>(respond, [](bool) { return json::object{{"revoked", true}}; });
}
}  // namespace

void RegisterAccountRoutes(Router& r, Api& api) {
  r.Add("GET", "/api/v1/users", Authed(api, [&api](HttpRequest& req, const service::Caller& who, const Respond& respond) -> Status {
    LINLI_ASSIGN_OR_RETURN(int limit, QueryLimit(req, 100));
    LINLI_ASSIGN_OR_RETURN(auto after, QueryInt(req, "after", 0, INT64_MAX));
    LINLI_ASSIGN_OR_RETURN(auto list, api.accounts.ListUsers(who, after.value_or(0), limit));
    json::array items;
    for (const auto& v : list) items.emplace_back(RenderUser(v));
    respond(JsonResponse(200, Page(std::move(items), limit, list.empty() ? 0 : list.back().user.id)));
    return Ok();
  }));

  r.Add("POST", "/api/v1/users", Authed(api, [&api](HttpRequest& req, const service::Caller& who, const Respond& respond) -> Status {
    LINLI_ASSIGN_OR_RETURN(auto body, ParseObject(req));
    LINLI_TRY(OnlyKnownFields(body, {"username", "display_name", "password", "home_node_id", "must_change_password"}));
    service::CreateUserInput in;
    LINLI_ASSIGN_OR_RETURN(in.username, RequiredString(body, "username"));
    LINLI_ASSIGN_OR_RETURN(in.display_name, RequiredString(body, "display_name"));
    LINLI_ASSIGN_OR_RETURN(in.password, RequiredString(body, "password"));
    LINLI_ASSIGN_OR_RETURN(in.home_node_id, RequiredInt(body, "home_node_id"));
    LINLI_ASSIGN_OR_RETURN(auto must, OptionalBool(body, "must_change_password"));
    in.must_change_password = must.value_or(true);
    api.accounts.CreateUser(who, std::move(in), UserReply(respond, 201));
    return Ok();
  }));

  r.Add("GET", "/api/v1/users/{id}", Authed(api, [&api](HttpRequest& req, const service::Caller& who, const Respond& respond) -> Status {
    LINLI_ASSIGN_OR_RETURN(auto id, PathId(req));
    LINLI_ASSIGN_OR_RETURN(auto view, api.accounts.GetUser(who, id));
    respond(JsonResponse(200, RenderUser(view)));
    return Ok();
  }));

  for (auto [suffix, disabled] : {std::pair{"disable", true}, {"enable", false}}) {
    r.Add("POST", std::string("/api/v1/users/{id}/") + suffix,
          Authed(api, [&api, disabled = disabled](HttpRequest& req, const service::Caller& who, const Respond& respond) -> Status {
            LINLI_ASSIGN_OR_RETURN(auto id, PathId(req));
            api.accounts.SetDisabled(who, id, disabled, UserReply(respond));
            return Ok();
          }));
  }

  r.Add("POST", "/api/v1/users/{id}/password", Authed(api, [&api](HttpRequest& req, const service::Caller& who, const Respond& respond) -> Status {
    LINLI_ASSIGN_OR_RETURN(auto id, PathId(req));
    LINLI_ASSIGN_OR_RETURN(auto body, ParseObject(req));
    LINLI_TRY(OnlyKnownFields(body, {"password"}));
    LINLI_ASSIGN_OR_RETURN(auto password, RequiredString(body, "password"));
    api.accounts.ResetPassword(who, id, std::move(password), UserReply(respond));
    return Ok();
  }));

  r.Add("GET", "/api/v1/users/{id}/departments", Authed(api, [&api](HttpRequest& req, const service::Caller& who, const Respond& respond) -> Status {
    LINLI_ASSIGN_OR_RETURN(auto id, PathId(req));
    LINLI_ASSIGN_OR_RETURN(auto list, api.accounts.Departments(who, id));
    respond(JsonResponse(200, json::object{{"departments", Strings(list)}}));
    return Ok();
  }));

  r.Add("PUT", "/api/v1/users/{id}/departments", Authed(api, [&api](HttpRequest& req, const service::Caller& who, const Respond& respond) -> Status {
    LINLI_ASSIGN_OR_RETURN(auto id, PathId(req));
    LINLI_ASSIGN_OR_RETURN(auto body, ParseObject(req));
    LINLI_TRY(OnlyKnownFields(body, {"departments"}));
    auto it = body.find("departments");
    if (it == body.end() || !it->value().is_array()) return Error::Invalid("departments", "departments is a list of names");
    std::vector<std::string> departments;
    for (const auto& d : it->value().as_array()) {
      if (!d.is_string()) return Error::Invalid("departments", "departments is a list of names");
      departments.emplace_back(d.as_string());
    }
    api.accounts.SetDepartments(who, id, std::move(departments), Reply<std::vector<std::string>>(respond, [](const auto& list) {
      return json::object{{"departments", Strings(list)}};
    }));
    return Ok();
  }));

  r.Add("POST", "/api/v1/users/{id}/assignments", Authed(api, [&api](HttpRequest& req, const service::Caller& who, const Respond& respond) -> Status {
    LINLI_ASSIGN_OR_RETURN(auto id, PathId(req));
    LINLI_ASSIGN_OR_RETURN(auto body, ParseObject(req));
    LINLI_TRY(OnlyKnownFields(body, {"role", "node_id"}));
    LINLI_ASSIGN_OR_RETURN(auto role, RequiredString(body, "role"));
    LINLI_ASSIGN_OR_RETURN(auto node, RequiredInt(body, "node_id"));
    api.accounts.Assign(who, id, std::move(role), node,
                        Reply<storage::AssignmentRecord>(respond, [](const auto& a) { return RenderAssignment(a); }, 201));
    return Ok();
  }));

  r.Add("DELETE", "/api/v1/assignments/{id}", Authed(api, [&api](HttpRequest& req, const service::Caller& who, const Respond& respond) -> Status {
    LINLI_ASSIGN_OR_RETURN(auto id, PathId(req));
    api.accounts.Unassign(who, id, Revoked(respond));
    return Ok();
  }));

  r.Add("GET", "/api/v1/roles", Authed(api, [&api](HttpRequest&, const service::Caller& who, const Respond& respond) -> Status {
    LINLI_ASSIGN_OR_RETURN(auto roles, api.accounts.Roles(who));
    json::array items;
    for (const auto& x : roles) items.emplace_back(RenderRole(x));
    json::array catalogue;
    for (auto p : domain::PermissionCatalogue()) catalogue.emplace_back(p);
    respond(JsonResponse(200, json::object{{"items", items}, {"permissions", catalogue}}));
    return Ok();
  }));

  r.Add("PUT", "/api/v1/roles/{name}", Authed(api, [&api](HttpRequest& req, const service::Caller& who, const Respond& respond) -> Status {
    LINLI_ASSIGN_OR_RETURN(auto body, ParseObject(req));
    LINLI_TRY(OnlyKnownFields(body, {"permissions"}));
    const Error not_strings = Error::Invalid("permissions", "permissions must be an array of strings");
    auto it = body.find("permissions");
    if (it == body.end() || !it->value().is_array()) return not_strings;
    std::vector<std::string> perms;
    for (const auto& p : it->value().as_array()) {
      if (!p.is_string()) return not_strings;
      perms.emplace_back(p.as_string());
    }
    api.accounts.UpdateRole(who, req.path_params["name"], std::move(perms),
                            Reply<domain::RoleDefinition>(respond, [](const auto& r) { return RenderRole(r); }));
    return Ok();
  }));

  r.Add("GET", "/api/v1/security/policy", Authed(api, [&api](HttpRequest&, const service::Caller& who, const Respond& respond) -> Status {
    LINLI_ASSIGN_OR_RETURN(auto p, api.accounts.Policy(who));
    respond(JsonResponse(200, RenderPolicy(p)));
    return Ok();
  }));

  r.Add("PUT", "/api/v1/security/policy", Authed(api, [&api](HttpRequest& req, const service::Caller& who, const Respond& respond) -> Status {
    LINLI_TRY(ParseObject(req));  // the content type and syntax; the service reads the fields
    api.accounts.UpdatePolicy(who, req.body,
                              Reply<domain::SecurityPolicy>(respond, [](const auto& p) { return RenderPolicy(p); }));
    return Ok();
  }));

  r.Add("GET", "/api/v1/apikeys", Authed(api, [&api](HttpRequest&, const service::Caller& who, const Respond& respond) -> Status {
    LINLI_ASSIGN_OR_RETURN(auto keys, api.accounts.ApiKeys(who));
    json::array items;
    for (const auto& k : keys) items.emplace_back(RenderApiKey(k));
    respond(JsonResponse(200, json::object{{"items", items}}));
    return Ok();
  }));

  r.Add("POST", "/api/v1/apikeys", Authed(api, [&api](HttpRequest& req, const service::Caller& who, const Respond& respond) -> Status {
    LINLI_ASSIGN_OR_RETURN(auto body, ParseObject(req));
    LINLI_TRY(OnlyKnownFields(body, {"user_id", "name"}));
    LINLI_ASSIGN_OR_RETURN(auto user, RequiredInt(body, "user_id"));
    LINLI_ASSIGN_OR_RETURN(auto name, RequiredString(body, "name"));
    api.accounts.CreateApiKey(who, user, std::move(name),
                              Reply<service::CreatedApiKey>(respond, [](const service::CreatedApiKey& k) {
                                json::object o = RenderApiKey(k.record);
                                o["key"] = k.key;  // shown once
                                return o;
                              }, 201));
    return Ok();
  }));

  r.Add("DELETE", "/api/v1/apikeys/{id}", Authed(api, [&api](HttpRequest& req, const service::Caller& who, const Respond& respond) -> Status {
    LINLI_ASSIGN_OR_RETURN(auto id, PathId(req));
    api.accounts.RevokeApiKey(who, id, Revoked(respond));
    return Ok();
  }));
}

}  // namespace linli::http
