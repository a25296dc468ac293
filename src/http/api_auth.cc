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
    std::string token;
    bool from_cookie = false;
    if (auto h = req.Header("authorization")) {
      if (!h->starts_with("Bearer ")) {
        return respond(ErrorResponse(Error::Invalid("authorization", "use Authorization: Bearer <token>")));
      }
      token = std::string(h->substr(7));
    } else if (auto c = req.Cookie(service::kSessionCookie)) {
      token = *c;
      from_cookie = true;
    } else {
      return respond(ErrorResponse(Error::Unauthenticated()));
    }
    auto who = api.auth.Authenticate(token, FromRequest(req));
    if (!who) return respond(ErrorResponse(who.error()));
    if (from_cookie && !IsSafeMethod(req.method)) {
      auto sent = req.Header("x-csrf-token");
      if (!sent || !crypto::ConstantTimeEquals(*sent, who->csrf_token)) {
        return respond(ErrorResponse(Error{ErrorCode::kPermissionDenied,
                                           "send the X-CSRF-Token header from sign-in with every change",
                                           "x-csrf-token"}));
      }
    }
    if (who->caller.must_change_password && expired == WhilePasswordExpired::kRefuse) {
      return respond(ErrorResponse(Error{ErrorCode::kPermissionDenied,
                                         "your password has expired or was reset; change it first",
                                         "password"}));
    }
    fn(req, who->caller, std::move(respond));
  };
}

void RegisterAuthRoutes(Router& r, Api& api) {
  r.Add("POST", "/api/v1/auth/login", [&api](HttpRequest& req, Respond respond) {
    auto body = ParseObject(req);
    if (!body) return respond(ErrorResponse(body.error()));
    if (auto st = OnlyKnownFields(*body, {"username", "password", "bearer"}); !st) {
      return respond(ErrorResponse(st.error()));
    }
    auto username = RequiredString(*body, "username");
    if (!username) return respond(ErrorResponse(username.error()));
    auto password = RequiredString(*body, "password");
    if (!password) return respond(ErrorResponse(password.error()));
    auto bearer = OptionalBool(*body, "bearer");
    if (!bearer) return respond(ErrorResponse(bearer.error()));
    if (username->size() > 64 || password->size() > 256) {
      return respond(ErrorResponse(Error::Invalid(username->size() > 64 ? "username" : "password",
                                                  "too long")));
    }
    bool want_token = bearer->value_or(false);
    bool secure = api.secure_cookies;
    std::int64_t max_age = api.auth.policy().Get().session_absolute_lifetime / 1000;
    api.auth.Login(*username, *password, FromRequest(req),
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
  });

  r.Add("POST", "/api/v1/auth/logout", Authed(api, [&api](HttpRequest&, const service::Caller& who, Respond respond) {
    bool secure = api.secure_cookies;
    api.auth.Logout(who, [respond, secure](Result<bool> r) {
      if (!r) return respond(ErrorResponse(r.error()));
      auto resp = JsonResponse(200, json::object{{"signed_out", true}});
      resp.With("Set-Cookie", SessionCookie("", 0, secure));
      respond(std::move(resp));
    });
  }, WhilePasswordExpired::kAllow));

  r.Add("GET", "/api/v1/auth/me", Authed(api, [&api](HttpRequest&, const service::Caller& who, Respond respond) {
    auto view = api.accounts.GetUser(who, who.user_id());
    if (!view) return respond(ErrorResponse(view.error()));
    json::object o = RenderUser(*view);
    o["must_change_password"] = who.must_change_password;
    json::array perms;
    for (const auto& g : who.principal.grants) {
      json::array p;
      for (const auto& x : g.role_def->permissions) p.emplace_back(x);
      perms.emplace_back(json::object{{"role", g.role}, {"node_path", g.node_path}, {"permissions", p}});
    }
    o["grants"] = std::move(perms);
    respond(JsonResponse(200, o));
  }, WhilePasswordExpired::kAllow));

  r.Add("GET", "/api/v1/auth/sessions", Authed(api, [&api](HttpRequest&, const service::Caller& who, Respond respond) {
    auto list = api.auth.Sessions(who);
    if (!list) return respond(ErrorResponse(list.error()));
    json::array items;
    for (const auto& s : *list) {
      items.emplace_back(json::object{{"id", s.id}, {"created_at", FormatUtc(s.created_at)},
                                      {"last_seen_at", FormatUtc(s.last_seen_at)}, {"ip", s.ip},
                                      {"user_agent", s.user_agent}, {"current", s.current}});
    }
    respond(JsonResponse(200, json::object{{"items", items}}));
  }, WhilePasswordExpired::kAllow));

  r.Add("DELETE", "/api/v1/auth/sessions/{id}", Authed(api, [&api](HttpRequest& req, const service::Caller& who, Respond respond) {
    auto id = PathId(req);
    if (!id) return respond(ErrorResponse(id.error()));
    api.auth.RevokeSession(who, *id, Reply<bool>(respond, [](bool) { return json::object{{"revoked", true}}; }));
  }, WhilePasswordExpired::kAllow));

  r.Add("POST", "/api/v1/auth/password", Authed(api, [&api](HttpRequest& req, const service::Caller& who, Respond respond) {
    auto body = ParseObject(req);
    if (!body) return respond(ErrorResponse(body.error()));
    if (auto st = OnlyKnownFields(*body, {"old_password", "new_password"}); !st) return respond(ErrorResponse(st.error()));
    auto old_pw = RequiredString(*body, "old_password");
    if (!old_pw) return respond(ErrorResponse(old_pw.error()));
    auto new_pw = RequiredString(*body, "new_password");
    if (!new_pw) return respond(ErrorResponse(new_pw.error()));
    api.auth.ChangePassword(who, *old_pw, *new_pw,
                            Reply<bool>(respond, [](bool) { return json::object{{"changed", true}}; }));
  }, WhilePasswordExpired::kAllow));
}

}  // namespace linli::http
