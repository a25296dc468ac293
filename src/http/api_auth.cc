#include "core/clock.h"
#include "core/crypto.h"
#include "http/api.h"
#include "http/json_io.h"
#include "http/render.h"

namespace linli::http {

namespace {

service::Caller FromRequest(const HttpRequest& req) {
  service::Caller c;
  c.ip = req.remote_ip;
  c.user_agent = std::string(req.Header("user-agent").value_or(""));
  c.request_id = req.request_id;
  return c;
}

std::string SessionCookie(std::string_view value, std::int64_t max_age_seconds, bool secure) {
  std::string c = std::string(service::kSessionCookie) + "=" + std::string(value) +
                  "; Path=/; HttpOnly; SameSite=Strict; Max-Age=" + std::to_string(max_age_seconds);
  if (secure) c += "; Secure";
  return c;
}

bool IsSafeMethod(std::string_view m) { return m == "GET" || m == "HEAD" || m == "OPTIONS"; }

}  // namespace

Handler Authed(Api& api, AuthedHandler fn, WhilePasswordExpired expired) {
  return [&api, fn = std::move(fn), expired](HttpRequest& req, Respond respond) {
    auto run = [&]() -> Status {
      std::string token;
      bool from_cookie = false;
      if (auto h = req.Header("authorization")) {
        if (!h->starts_with("Bearer ")) return Error::Invalid("authorization", "use Authorization: Bearer <token>");
        token = std::string(h->substr(7));
      } else if (auto c = req.Cookie(service::kSessionCookie)) {
        token = *c;
        from_cookie = true;
      } else {
        return Error::Unauthenticated();
      }
      LINLI_ASSIGN_OR_RETURN(auto who, api.auth.Authenticate(token, FromRequest(req)));
      if (from_cookie && !IsSafeMethod(req.method)) {
        auto sent = req.Header("x-csrf-token");
        if (!sent || !crypto::ConstantTimeEquals(*sent, who.csrf_token)) {
          return Error{ErrorCode::kPermissionDenied,
                       "send the X-CSRF-Token header from sign-in with every change", "x-csrf-token"};
        }
      }
      if (who.caller.must_change_password && expired == WhilePasswordExpired::kRefuse) {
        return Error{ErrorCode::kPermissionDenied, "your password has expired or was reset; change it first",
                     "password"};
      }
      return fn(req, who.caller, respond);
    };
    if (Status st = run(); !st) respond(ErrorResponse(st.error()));
  };
}

Handler Plain(PlainHandler fn) {
  return [fn = std::move(fn)](HttpRequest& req, Respond respond) {
    if (Status st = fn(req, respond); !st) respond(ErrorResponse(st.error()));
  };
}

void RegisterAuthRoutes(Router& r, Api& api) {
  r.Add("POST", "/api/v1/auth/login", Plain([&api](HttpRequest& req, const Respond& respond) -> Status {
    LINLI_ASSIGN_OR_RETURN(auto body, ParseObject(req));
    LINLI_TRY(OnlyKnownFields(body, {"username", "password", "bearer"}));
    LINLI_ASSIGN_OR_RETURN(auto username, RequiredString(body, "username"));
    LINLI_ASSIGN_OR_RETURN(auto password, RequiredString(body, "password"));
    LINLI_ASSIGN_OR_RETURN(auto bearer, OptionalBool(body, "bearer"));
    if (username.size() > 64) return Error::Invalid("username", "username is too long");
    if (password.size() > 256) return Error::Invalid("password", "password is too long");
    bool want_token = bearer.value_or(false);
    bool secure = api.secure_cookies;
    std::int64_t max_age = api.auth.policy().Get().session_absolute_lifetime / 1000;
    api.auth.Login(username, password, FromRequest(req),
                   [respond, want_token, secure, max_age](Result<service::LoginResult> r) {
                     if (!r) return respond(ErrorResponse(r.error()));
                     json::object o;
                     o["user"] = json::object{{"id", r->user_id}, {"username", r->username},
                                              {"display_name", r->display_name}};
                     o["csrf_token"] = r->csrf_token;
                     o["session_id"] = r->session_id;
                     o["expires_at"] = FormatUtc(r->expires_at);
                     o["must_change_password"] = r->must_change_password;
                     // The token goes in the body only for API clients that ask; browsers keep
                     // it in an HttpOnly cookie that scripts cannot read.
                     if (want_token) o["token"] = r->token;
                     auto resp = JsonResponse(200, o);
                     resp.With("Set-Cookie", SessionCookie(r->token, max_age, secure));
                     respond(std::move(resp));
                   });
    return Ok();
  }));

  r.Add("POST", "/api/v1/auth/logout", Authed(api, [&api](HttpRequest&, const service::Caller& who, const Respond& respond) -> Status {
    bool secure = api.secure_cookies;
    api.auth.Logout(who, [respond, secure](Result<bool> r) {
      if (!r) return respond(ErrorResponse(r.error()));
      auto resp = JsonResponse(200, json::object{{"signed_out", true}});
      resp.With("Set-Cookie", SessionCookie("", 0, secure));
      respond(std::move(resp));
    });
    return Ok();
  }, WhilePasswordExpired::kAllow));

  r.Add("GET", "/api/v1/auth/me", Authed(api, [&api](HttpRequest&, const service::Caller& who, const Respond& respond) -> Status {
    LINLI_ASSIGN_OR_RETURN(auto view, api.accounts.GetUser(who, who.user_id()));
    json::object o = RenderUser(view);
    o["must_change_password"] = who.must_change_password;
    json::array grants;
    for (const auto& g : who.principal.grants) {
      json::array p;
      for (const auto& x : g.role_def->permissions) p.emplace_back(x);
      grants.emplace_back(json::object{{"role", g.role}, {"node_path", g.node_path}, {"permissions", p}});
    }
    o["grants"] = std::move(grants);
    respond(JsonResponse(200, o));
    return Ok();
  }, WhilePasswordExpired::kAllow));

  r.Add("GET", "/api/v1/auth/sessions", Authed(api, [&api](HttpRequest&, const service::Caller& who, const Respond& respond) -> Status {
    LINLI_ASSIGN_OR_RETURN(auto list, api.auth.Sessions(who));
    json::array items;
    for (const auto& s : list) {
      items.emplace_back(json::object{{"id", s.id}, {"created_at", FormatUtc(s.created_at)},
                                      {"last_seen_at", FormatUtc(s.last_seen_at)}, {"ip", s.ip},
                                      {"user_agent", s.user_agent}, {"current", s.current}});
    }
    respond(JsonResponse(200, json::object{{"items", items}}));
    return Ok();
  }, WhilePasswordExpired::kAllow));

  r.Add("DELETE", "/api/v1/auth/sessions/{id}", Authed(api, [&api](HttpRequest& req, const service::Caller& who, const Respond& respond) -> Status {
    LINLI_ASSIGN_OR_RETURN(auto id, PathId(req));
    api.auth.RevokeSession(who, id, Reply<bool>(respond, [](bool) { return json::object{{"revoked", true}}; }));
    return Ok();
  }, WhilePasswordExpired::kAllow));

  r.Add("POST", "/api/v1/auth/password", Authed(api, [&api](HttpRequest& req, const service::Caller& who, const Respond& respond) -> Status {
    LINLI_ASSIGN_OR_RETURN(auto body, ParseObject(req));
    LINLI_TRY(OnlyKnownFields(body, {"old_password", "new_password"}));
    LINLI_ASSIGN_OR_RETURN(auto old_pw, RequiredString(body, "old_password"));
    LINLI_ASSIGN_OR_RETURN(auto new_pw, RequiredString(body, "new_password"));
    api.auth.ChangePassword(who, old_pw, new_pw,
                            Reply<bool>(respond, [](bool) { return json::object{{"changed", true}}; }));
    return Ok();
  }, WhilePasswordExpired::kAllow));
}

}  // namespace linli::http
