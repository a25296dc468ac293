// API scenarios over real HTTP against `linli serve`, on SQLite and on PostgreSQL.
#include <gtest/gtest.h>
#include <signal.h>

#include <regex>

#include "api/api_fixture.h"
#include "storage/database.h"

namespace linli::testing {
namespace {

namespace json = boost::json;

std::int64_t CountNodes(const HttpClient& c) {
  auto r = c.Get("/api/v1/org/nodes?limit=500&archived=true");
  EXPECT_EQ(r.status, 200) << r.body;
  return static_cast<std::int64_t>(r.Json().at("items").as_array().size());
}

TEST_P(ApiTest, HealthReadinessAndMetrics) {
  auto c = stack().Anonymous();
  auto h = c.Get("/healthz");
  EXPECT_EQ(h.status, 200);
  EXPECT_EQ(h.body, R"({"status":"ok"})");
  auto r = c.Get("/readyz");
  EXPECT_EQ(r.status, 200);
  EXPECT_EQ(r.Json().at("database").as_string(), GetParam());
  auto m = c.Get("/metrics");
  EXPECT_EQ(m.status, 200);
  EXPECT_NE(m.body.find("linli_http_requests_total{route=\"/healthz\",method=\"GET\",status=\"200\"}"), std::string::npos);
  EXPECT_NE(m.body.find("linli_http_request_duration_seconds_bucket{route=\"/healthz\""), std::string::npos);
  EXPECT_NE(m.body.find("linli_db_commit_batch_size_count"), std::string::npos);
  EXPECT_NE(m.body.find("linli_db_writer_queue_depth"), std::string::npos);
  EXPECT_NE(m.body.find("linli_db_read_pool_in_use"), std::string::npos);
}

TEST_P(ApiTest, EveryResponseCarriesSecurityHeadersAndARequestId) {
  auto c = stack().Anonymous();
  for (auto path : {"/healthz", "/nope", "/api/v1/org/nodes"}) {
    auto r = c.Get(path);
    EXPECT_EQ(r.headers["x-content-type-options"], "nosniff") << path;
    EXPECT_NE(r.headers["content-security-policy"].find("frame-ancestors 'none'"), std::string::npos) << path;
    EXPECT_EQ(r.headers["referrer-policy"], "same-origin") << path;
    EXPECT_EQ(r.headers["x-request-id"].size(), 16u) << path;
    EXPECT_EQ(r.headers.count("strict-transport-security"), 0u) << "HSTS only with TLS";
  }
  auto echoed = c.Send("GET", "/healthz", "", {{"X-Request-Id", "trace-42.a_b"}});
  EXPECT_EQ(echoed.headers["x-request-id"], "trace-42.a_b");
  auto hostile = c.Send("GET", "/healthz", "", {{"X-Request-Id", "<script>alert(1)</script>"}});
  EXPECT_EQ(hostile.headers["x-request-id"].size(), 16u);
}

TEST_P(ApiTest, UnknownRoutesAndWrongMethodsAnswerJsonErrors) {
  auto c = stack().As("sysadmin");
  auto r = c.Get("/api/v1/nothing-here");
  EXPECT_EQ(r.status, 404);
  EXPECT_EQ(r.ErrorCode(), "not_found");
  auto m = c.Send("DELETE", "/api/v1/org/nodes");
  EXPECT_EQ(m.status, 405);
  EXPECT_EQ(m.ErrorField(), "method");
  EXPECT_NE(m.headers["allow"].find("GET"), std::string::npos);
  EXPECT_NE(m.headers["allow"].find("POST"), std::string::npos);
}

TEST_P(ApiTest, BadInputIsRefusedNamingTheFieldAndNothingIsStored) {
  auto c = stack().As("sysadmin");
  std::int64_t before = CountNodes(c);
  struct Case {
    std::string body;
    std::string content_type;
    int status;
    std::string field;
  };
  std::string ok_tail = R"("type":"micro_grid","code":"320581001001101001800","name":"测试")";
  std::vector<Case> cases = {
      {"{not json", "application/json", 400, "body"},
      {"[1,2,3]", "application/json", 400, "body"},
      {"", "application/json", 400, "body"},
      {R"({"parent_id":5,)" + ok_tail + "}", "text/plain", 400, "content-type"},
      {R"({"type":"micro_grid","code":"320581001001101001800","name":"x"})", "application/json", 400, "parent_id"},
      {R"({"parent_id":"5",)" + ok_tail + "}", "application/json", 400, "parent_id"},
      {R"({"parent_id":5.5,)" + ok_tail + "}", "application/json", 400, "parent_id"},
      {R"({"parent_id":5,"type":"micro_grid","code":"320581001001101001800"})", "application/json", 400, "name"},
      {R"({"parent_id":5,"type":"micro_grid","code":"320581001001101001800","name":5})", "application/json", 400, "name"},
      {R"({"parent_id":5,"type":"micro_grid","code":"320581001001101001800","name":""})", "application/json", 400, "name"},
      {R"({"parent_id":5,"type":"micro_grid","code":"320581001001101001800","name":"<script>alert(1)</script>"})", "application/json", 400, "name"},
      {"{\"parent_id\":5,\"type\":\"micro_grid\",\"code\":\"8800\",\"name\":\"\xff\xfe\"}", "application/json", 400, "body"},
      {R"({"parent_id":5,"type":"micro_grid","code":"88a0","name":"x"})", "application/json", 400, "code"},
      {R"({"parent_id":5,"type":"planet","code":"320581001001101001800","name":"x"})", "application/json", 400, "type"},
      {R"({"parent_id":5,"type":"community","code":"320581001001101001800","name":"x"})", "application/json", 400, "type"},
      {R"({"parent_id":999999,)" + ok_tail + "}", "application/json", 400, "parent_id"},
      {R"({"parent_id":5,)" + ok_tail + R"(,"colour":"red"})", "application/json", 400, "colour"},
      {R"({"parent_id":5,"type":"micro_grid","code":"320581001001101001001","name":"dup"})", "application/json", 409, "code"},
      {R"({"parent_id":5,"type":"micro_grid","code":"320581001001101002801","name":"x"})", "application/json", 400, "code"},
      {R"({"parent_id":5,"type":"micro_grid","code":"3205810010011010018","name":"x"})", "application/json", 400, "code"},
      {R"({"parent_id":5,"type":"micro_grid","code":"320581001001101001000","name":"x"})", "application/json", 400, "code"},
      {std::string(R"({"parent_id":5,"type":"micro_grid","code":"320581001001101001800","name":")") + std::string(101, 'x') + "\"}",
       "application/json", 400, "name"},
      {std::string(30, '[') + std::string(30, ']'), "application/json", 400, "body"},
  };
  for (const auto& k : cases) {
    auto r = c.Send("POST", "/api/v1/org/nodes", k.body, {{"Content-Type", k.content_type}});
    EXPECT_EQ(r.status, k.status) << k.body << " -> " << r.body;
    EXPECT_EQ(r.ErrorField(), k.field) << k.body << " -> " << r.body;
    EXPECT_FALSE(r.ErrorCode().empty()) << r.body;
  }
  // Path and query parameters.
  EXPECT_EQ(c.Get("/api/v1/org/nodes/abc").ErrorField(), "id");
  EXPECT_EQ(c.Get("/api/v1/org/nodes/-3").ErrorField(), "id");
  EXPECT_EQ(c.Get("/api/v1/org/nodes/99999999999999999999").ErrorField(), "id");
  EXPECT_EQ(c.Get("/api/v1/org/nodes?limit=0").ErrorField(), "limit");
  EXPECT_EQ(c.Get("/api/v1/org/nodes?limit=abc").ErrorField(), "limit");
  EXPECT_EQ(c.Get("/api/v1/org/nodes?limit=501").ErrorField(), "limit");
  EXPECT_EQ(c.Get("/api/v1/org/nodes?archived=maybe").ErrorField(), "archived");
  EXPECT_EQ(c.Get("/api/v1/org/nodes/424242").status, 404);
  EXPECT_EQ(CountNodes(c), before);
}

TEST_P(ApiTest, EveryWriteEndpointNamesTheBadField) {
  auto sys = stack().As("sysadmin");
  auto sec = stack().As("secadmin");
  struct Case {
    const HttpClient* who;
    std::string method, path, body, field;
  };
  std::vector<Case> cases = {
      {&sys, "POST", "/api/v1/users", R"({"username":"A B","display_name":"x","password":"a-long-enough-password","home_node_id":5})", "username"},
      {&sys, "POST", "/api/v1/users", R"({"username":"ok.name","display_name":"","password":"a-long-enough-password","home_node_id":5})", "display_name"},
      {&sys, "POST", "/api/v1/users", R"({"username":"ok.name","display_name":"x","password":"short","home_node_id":5})", "password"},
      {&sys, "POST", "/api/v1/users", R"({"username":"ok.name","display_name":"x","password":"a-long-enough-password","home_node_id":"5"})", "home_node_id"},
      {&sys, "POST", "/api/v1/users", R"({"username":"ok.name","display_name":"x","password":"a-long-enough-password","home_node_id":999999})", "home_node_id"},
      {&sys, "POST", "/api/v1/users", R"({"username":"sysadmin","display_name":"x","password":"a-long-enough-password","home_node_id":5})", "username"},
      {&sys, "POST", "/api/v1/users/10/password", R"({"password":7})", "password"},
      {&sys, "PATCH", "/api/v1/org/nodes/5", R"({"name":"x","version":"1"})", "version"},
      {&sys, "POST", "/api/v1/org/nodes/5/move", R"({})", "parent_id"},
      {&sys, "POST", "/api/v1/apikeys", R"({"user_id":10,"name":""})", "name"},
      {&sys, "POST", "/api/v1/apikeys", R"({"user_id":10})", "name"},
      {&sec, "POST", "/api/v1/users/10/assignments", R"({"role":"grid_worker"})", "node_id"},
      {&sec, "POST", "/api/v1/users/10/assignments", R"({"role":"grid_worker","node_id":999999})", "node_id"},
      {&sec, "PUT", "/api/v1/roles/volunteer", R"({"permissions":"case.report"})", "permissions"},
      {&sec, "PUT", "/api/v1/roles/volunteer", R"({"permissions":[1]})", "permissions"},
      {&sec, "PUT", "/api/v1/security/policy", R"([1])", "body"},
      {&sys, "POST", "/api/v1/auth/password", R"({"old_password":"x"})", "new_password"},
      {&sys, "DELETE", "/api/v1/assignments/abc", "", "id"},
      {&sys, "DELETE", "/api/v1/apikeys/0", "", "id"},
  };
  auto users_before = sys.Get("/api/v1/users?limit=500").body;
  for (const auto& k : cases) {
    auto r = k.who->Json(k.method, k.path, k.body);
    EXPECT_EQ(r.status / 100, 4) << k.method << " " << k.path << " " << k.body << " -> " << r.body;
    EXPECT_EQ(r.ErrorField(), k.field) << k.method << " " << k.path << " " << k.body << " -> " << r.body;
  }
  EXPECT_EQ(sys.Get("/api/v1/users?limit=500").body, users_before) << "nothing was stored";
}

TEST_P(ApiTest, OversizedAndMalformedRequestsAreRefusedAtTheDoor) {
  auto c = stack().As("sysadmin");
  std::int64_t before = CountNodes(c);
  std::string big = R"({"parent_id":5,"type":"micro_grid","code":"320581001001101001801","name":")" + std::string(2 << 20, 'x') + "\"}";
  auto r = c.Send("POST", "/api/v1/org/nodes", big, {{"Content-Type", "application/json"}});
  EXPECT_EQ(r.status, 413);
  EXPECT_EQ(r.ErrorField(), "body");
  auto h = c.Send("GET", "/healthz", "", {{"X-Padding", std::string(32 * 1024, 'a')}});
  EXPECT_EQ(h.status, 431);
  EXPECT_EQ(h.ErrorField(), "headers");
  std::string garbage = RawExchange(stack().server->port(), "HELLO WORLD\r\n\r\n");
  EXPECT_EQ(garbage.substr(0, 12), "HTTP/1.1 400");
  std::string bad_target = RawExchange(stack().server->port(), "GET /a%zz HTTP/1.1\r\nHost: x\r\n\r\n");
  EXPECT_EQ(bad_target.substr(0, 12), "HTTP/1.1 400");
  EXPECT_EQ(CountNodes(c), before);
  EXPECT_EQ(stack().Anonymous().Get("/healthz").status, 200);  // still serving
}

TEST_P(ApiTest, SignInLooksTheSameForUnknownUsersAndWrongPasswords) {
  auto anon = stack().Anonymous();
  auto wrong = anon.PostJson("/api/v1/auth/login", R"({"username":"worker1","password":"not-the-password"})");
  auto unknown = anon.PostJson("/api/v1/auth/login", R"({"username":"nobody-at-all","password":"not-the-password"})");
  EXPECT_EQ(wrong.status, 401);
  EXPECT_EQ(unknown.status, 401);
  EXPECT_EQ(wrong.body, unknown.body);
  EXPECT_EQ(anon.PostJson("/api/v1/auth/login", R"({"username":"worker1"})").ErrorField(), "password");
  EXPECT_EQ(anon.PostJson("/api/v1/auth/login", R"({"username":7,"password":"x"})").ErrorField(), "username");
  EXPECT_EQ(anon.Get("/api/v1/org/nodes").status, 401);
  auto bogus = anon;
  bogus.bearer = "ls_forged";
  EXPECT_EQ(bogus.Get("/api/v1/org/nodes").status, 401);
}

TEST_P(ApiTest, CookieSessionsNeedTheCsrfTokenForChanges) {
  auto anon = stack().Anonymous();
  auto login = anon.PostJson("/api/v1/auth/login", R"({"username":"sysadmin","password":"Linli-demo-2026"})");
  ASSERT_EQ(login.status, 200) << login.body;
  EXPECT_FALSE(login.Json().as_object().contains("token")) << "browsers get the token only as a cookie";
  ASSERT_EQ(login.set_cookies.size(), 1u);
  const std::string& set_cookie = login.set_cookies[0];
  EXPECT_NE(set_cookie.find("HttpOnly"), std::string::npos);
  EXPECT_NE(set_cookie.find("SameSite=Strict"), std::string::npos);
  EXPECT_NE(set_cookie.find("Path=/"), std::string::npos);
  HttpClient browser = anon;
  browser.cookie = set_cookie.substr(0, set_cookie.find(';'));
  EXPECT_EQ(browser.Get("/api/v1/org/nodes/5").status, 200);  // reads need no CSRF token
  std::string node = R"({"parent_id":5,"type":"micro_grid","code":"320581001001101001802","name":"CSRF"})";
  auto no_csrf = browser.PostJson("/api/v1/org/nodes", node);
  EXPECT_EQ(no_csrf.status, 403);
  EXPECT_EQ(no_csrf.ErrorField(), "x-csrf-token");
  browser.csrf = "wrong";
  EXPECT_EQ(browser.PostJson("/api/v1/org/nodes", node).status, 403);
  browser.csrf = std::string(login.Json().at("csrf_token").as_string());
  auto created = browser.PostJson("/api/v1/org/nodes", node);
  EXPECT_EQ(created.status, 201) << created.body;
  // Logging out ends the session for good.
  EXPECT_EQ(browser.PostJson("/api/v1/auth/logout", "").status, 200);
  EXPECT_EQ(browser.Get("/api/v1/org/nodes/5").status, 401);
}

TEST_P(ApiTest, UsersListAndRevokeTheirOwnSessions) {
  auto anon = stack().Anonymous();
  HttpClient a = anon, b = anon;
  a.bearer = Login(anon, "staff", kDemoPassword);
  b.bearer = Login(anon, "staff", kDemoPassword);
  auto list = a.Get("/api/v1/auth/sessions");
  ASSERT_EQ(list.status, 200);
  std::int64_t other = 0;
  int current = 0;
  auto sessions = list.Json();  // named: a range-for over a temporary's member dangles
  for (const auto& s : sessions.at("items").as_array()) {
    if (s.at("current").as_bool()) ++current;
    else other = s.at("id").as_int64();
  }
  EXPECT_EQ(current, 1);
  ASSERT_NE(other, 0);
  // Someone else's session is not yours to end.
  auto foreign = stack().As("worker1").Send("DELETE", "/api/v1/auth/sessions/" + std::to_string(other));
  EXPECT_EQ(foreign.status, 404);
  EXPECT_EQ(a.Send("DELETE", "/api/v1/auth/sessions/" + std::to_string(other)).status, 200);
  EXPECT_EQ(a.Get("/api/v1/auth/me").status, 200);
  // b was one of the two sessions; whichever it was, exactly one of a and b still works.
  EXPECT_EQ(b.Get("/api/v1/auth/me").status == 200, false);
}

TEST_P(ApiTest, FiveWrongPasswordsLockTheAccount) {
  auto sys = stack().As("sysadmin");
  auto created = sys.PostJson("/api/v1/users", R"({"username":"locktest.)" + GetParam() +
      R"(","display_name":"锁定测试","password":"a-long-enough-password","home_node_id":5,"must_change_password":false})");
  ASSERT_EQ(created.status, 201) << created.body;
  auto anon = stack().Anonymous();
  std::string name = "locktest." + GetParam();
  for (int i = 0; i < 5; ++i) {
    EXPECT_EQ(anon.PostJson("/api/v1/auth/login", R"({"username":")" + name + R"(","password":"wrong-password-1"})").status, 401);
  }
  auto right = anon.PostJson("/api/v1/auth/login", R"({"username":")" + name + R"(","password":"a-long-enough-password"})");
  EXPECT_EQ(right.status, 401) << "locked accounts refuse even the right password";
  auto user = sys.Get("/api/v1/users/" + std::to_string(created.Json().at("id").as_int64()));
  EXPECT_TRUE(user.Json().at("locked_until").is_string());
  // A reset by the system admin unlocks it with a temporary password.
  auto reset = sys.PostJson("/api/v1/users/" + std::to_string(created.Json().at("id").as_int64()) + "/password",
                            R"({"password":"another-long-password"})");
  EXPECT_EQ(reset.status, 200) << reset.body;
  auto after = anon.PostJson("/api/v1/auth/login", R"({"username":")" + name + R"(","password":"another-long-password","bearer":true})");
  ASSERT_EQ(after.status, 200);
  EXPECT_TRUE(after.Json().at("must_change_password").as_bool());
}

TEST_P(ApiTest, AResetPasswordMustBeChangedBeforeAnythingElse) {
  auto sys = stack().As("sysadmin");
  std::string name = "newcomer." + GetParam();
  auto created = sys.PostJson("/api/v1/users", R"({"username":")" + name +
      R"(","display_name":"新网格员","password":"first-temporary-pass","home_node_id":5})");
  ASSERT_EQ(created.status, 201) << created.body;
  EXPECT_TRUE(created.Json().at("must_change_password").as_bool());
  HttpClient u = stack().Anonymous();
  u.bearer = Login(u, name, "first-temporary-pass");
  auto blocked = u.Get("/api/v1/org/nodes/5");
  EXPECT_EQ(blocked.status, 403);
  EXPECT_EQ(blocked.ErrorField(), "password");
  EXPECT_EQ(u.Get("/api/v1/auth/me").status, 200);
  auto weak = u.PostJson("/api/v1/auth/password", R"({"old_password":"first-temporary-pass","new_password":"short"})");
  EXPECT_EQ(weak.ErrorField(), "password");
  auto wrong_old = u.PostJson("/api/v1/auth/password", R"({"old_password":"not-it-at-all","new_password":"my-own-long-password"})");
  EXPECT_EQ(wrong_old.ErrorField(), "old_password");
  auto ok = u.PostJson("/api/v1/auth/password", R"({"old_password":"first-temporary-pass","new_password":"my-own-long-password"})");
  EXPECT_EQ(ok.status, 200) << ok.body;
  EXPECT_NE(u.Get("/api/v1/org/nodes/5").status, 403);
}

TEST_P(ApiTest, TheThreeAdminDutiesStayApart) {
  auto sys = stack().As("sysadmin");
  auto sec = stack().As("secadmin");
  auto aud = stack().As("auditor");
  std::string name = "split." + GetParam();
  // The system admin creates accounts but cannot grant roles.
  auto created = sys.PostJson("/api/v1/users", R"({"username":")" + name +
      R"(","display_name":"分权测试","password":"a-long-enough-password","home_node_id":5})");
  ASSERT_EQ(created.status, 201) << created.body;
  std::string uid = std::to_string(created.Json().at("id").as_int64());
  EXPECT_EQ(sys.PostJson("/api/v1/users/" + uid + "/assignments", R"({"role":"grid_worker","node_id":5})").status, 403);
  // The security admin grants roles but cannot create accounts.
  EXPECT_EQ(sec.PostJson("/api/v1/users", R"({"username":"x.)" + GetParam() +
      R"(","display_name":"x","password":"a-long-enough-password","home_node_id":5})").status, 403);
  auto granted = sec.PostJson("/api/v1/users/" + uid + "/assignments", R"({"role":"grid_worker","node_id":5})");
  EXPECT_EQ(granted.status, 201) << granted.body;
  EXPECT_EQ(sec.PostJson("/api/v1/users/" + uid + "/assignments", R"({"role":"grid_worker","node_id":5})").status, 409);
  EXPECT_EQ(sec.PostJson("/api/v1/users/" + uid + "/assignments", R"({"role":"emperor","node_id":5})").ErrorField(), "role");
  // Nobody changes their own grants.
  auto me = sec.Get("/api/v1/auth/me").Json();
  std::string sec_id = std::to_string(me.at("id").as_int64());
  EXPECT_EQ(sec.PostJson("/api/v1/users/" + sec_id + "/assignments", R"({"role":"audit_admin","node_id":1})").ErrorField(), "user_id");
  // Only the audit admin reads the audit log.
  EXPECT_EQ(sys.Get("/api/v1/audit").status, 403);
  EXPECT_EQ(sec.Get("/api/v1/audit").status, 403);
  auto log = aud.Get("/api/v1/audit?action=permission.grant&limit=5");
  ASSERT_EQ(log.status, 200) << log.body;
  ASSERT_FALSE(log.Json().at("items").as_array().empty());
  EXPECT_EQ(log.Json().at("items").as_array()[0].at("action").as_string(), "permission.grant");
  // The admin roles themselves cannot be edited, and admin duties cannot be given to others.
  EXPECT_EQ(sec.Json("PUT", "/api/v1/roles/system_admin", R"({"permissions":["org.read"]})").ErrorField(), "name");
  EXPECT_EQ(sec.Json("PUT", "/api/v1/roles/grid_worker", R"({"permissions":["audit.read"]})").ErrorField(), "permissions");
  EXPECT_EQ(sec.Json("PUT", "/api/v1/roles/grid_worker", R"({"permissions":["time.travel"]})").ErrorField(), "permissions");
  EXPECT_EQ(sys.Json("PUT", "/api/v1/roles/grid_worker", R"({"permissions":["org.read"]})").status, 403);
  // The security admin edits a role, and the change takes effect.
  auto roles = sec.Get("/api/v1/roles").Json();
  json::array original;
  for (const auto& r : roles.at("items").as_array()) {
    if (r.at("name").as_string() == "volunteer") original = r.at("permissions").as_array();
  }
  auto edited = sec.Json("PUT", "/api/v1/roles/volunteer", R"({"permissions":["case.report","org.read"]})");
  EXPECT_EQ(edited.status, 200) << edited.body;
  EXPECT_EQ(sec.Json("PUT", "/api/v1/roles/volunteer", R"({"permissions":)" + json::serialize(original) + "}").status, 200);
}

TEST_P(ApiTest, TheSecurityPolicyIsEditedByTheSecurityAdminOnly) {
  auto sec = stack().As("secadmin");
  auto sys = stack().As("sysadmin");
  auto p = sec.Get("/api/v1/security/policy");
  ASSERT_EQ(p.status, 200);
  EXPECT_EQ(p.Json().at("password_mode").as_string(), "length");
  EXPECT_EQ(p.Json().at("session_idle_minutes").as_int64(), 30);
  EXPECT_EQ(sys.Json("PUT", "/api/v1/security/policy", R"({"password_mode":"mlps2"})").status, 403);
  EXPECT_EQ(sec.Json("PUT", "/api/v1/security/policy", R"({"password_mode":"weak"})").ErrorField(), "password_mode");
  EXPECT_EQ(sec.Json("PUT", "/api/v1/security/policy", R"({"session_idle_minutes":0})").ErrorField(), "session_idle_minutes");
  EXPECT_EQ(sec.Json("PUT", "/api/v1/security/policy", R"({"lockout_minutes":"15"})").ErrorField(), "lockout_minutes");
  EXPECT_EQ(sec.Json("PUT", "/api/v1/security/policy", R"({"sessions":1})").ErrorField(), "sessions");
  auto mlps = sec.Json("PUT", "/api/v1/security/policy", R"({"password_mode":"mlps2"})");
  ASSERT_EQ(mlps.status, 200) << mlps.body;
  EXPECT_EQ(mlps.Json().at("password_mode").as_string(), "mlps2");
  // Under MLPS 2.0 a long password of one character class is refused.
  auto weak = sys.PostJson("/api/v1/users", R"({"username":"mlps.)" + GetParam() +
      R"(","display_name":"x","password":"onlylowercaseletters","home_node_id":5})");
  EXPECT_EQ(weak.ErrorField(), "password");
  EXPECT_EQ(sec.Json("PUT", "/api/v1/security/policy", R"({"password_mode":"length"})").status, 200);
}

TEST_P(ApiTest, ApiKeysActAsTheirAccountUntilRevoked) {
  auto sys = stack().As("sysadmin");
  auto users = sys.Get("/api/v1/users?limit=500").Json();
  std::int64_t worker1 = 0;
  for (const auto& u : users.at("items").as_array()) {
    if (u.at("username").as_string() == "worker1") worker1 = u.at("id").as_int64();
  }
  ASSERT_NE(worker1, 0);
  auto key = sys.PostJson("/api/v1/apikeys", R"({"user_id":)" + std::to_string(worker1) + R"(,"name":"Open311 client"})");
  ASSERT_EQ(key.status, 201) << key.body;
  std::string secret(key.Json().at("key").as_string());
  EXPECT_TRUE(secret.starts_with("lk_"));
  HttpClient client = stack().Anonymous();
  client.bearer = secret;
  EXPECT_EQ(client.Get("/api/v1/org/nodes/5").status, 200);
  EXPECT_EQ(client.Get("/api/v1/org/nodes/6").status, 404) << "the key sees what worker1 sees";
  auto listed = sys.Get("/api/v1/apikeys").body;
  EXPECT_EQ(listed.find(secret), std::string::npos) << "keys are never listed";
  EXPECT_EQ(sys.Send("DELETE", "/api/v1/apikeys/" + std::to_string(key.Json().at("id").as_int64())).status, 200);
  EXPECT_EQ(client.Get("/api/v1/org/nodes/5").status, 401);
  EXPECT_EQ(sys.PostJson("/api/v1/apikeys", R"({"user_id":999999,"name":"x"})").ErrorField(), "user_id");
}

TEST_P(ApiTest, OrgTreeCreateRenameMoveArchive) {
  auto sys = stack().As("sysadmin");
  auto g = sys.PostJson("/api/v1/org/nodes", R"({"parent_id":4,"type":"grid","code":"320581001001101810","name":"临时网格"})");
  ASSERT_EQ(g.status, 201) << g.body;
  std::string id = std::to_string(g.Json().at("id").as_int64());
  auto m = sys.PostJson("/api/v1/org/nodes", R"({"parent_id":)" + id + R"(,"type":"micro_grid","code":"320581001001101810811","name":"临时微网格"})");
  ASSERT_EQ(m.status, 201);
  auto renamed = sys.Json("PATCH", "/api/v1/org/nodes/" + id, R"({"name":"改名网格","version":1})");
  ASSERT_EQ(renamed.status, 200) << renamed.body;
  EXPECT_EQ(renamed.Json().at("version").as_int64(), 2);
  auto stale = sys.Json("PATCH", "/api/v1/org/nodes/" + id, R"({"name":"又改名","version":1})");
  EXPECT_EQ(stale.status, 409);
  EXPECT_EQ(stale.ErrorCode(), "aborted");
  // Move the grid under the other community; its micro-grid follows.
  auto moved = sys.PostJson("/api/v1/org/nodes/" + id + "/move", R"({"parent_id":3})");
  ASSERT_EQ(moved.status, 200) << moved.body;
  std::string new_path(moved.Json().at("path").as_string());
  EXPECT_TRUE(new_path.starts_with("/1/3/"));
  auto child = sys.Get("/api/v1/org/nodes/" + std::to_string(m.Json().at("id").as_int64()));
  EXPECT_TRUE(std::string(child.Json().at("path").as_string()).starts_with(new_path));
  EXPECT_EQ(sys.PostJson("/api/v1/org/nodes/" + id + "/move", R"({"parent_id":)" +
                         std::to_string(m.Json().at("id").as_int64()) + "}").ErrorField(), "parent_id");
  EXPECT_EQ(sys.PostJson("/api/v1/org/nodes/" + id + "/move", R"({"parent_id":5})").ErrorField(), "parent_id");
  // Archive refuses a node with active children, then works bottom-up.
  EXPECT_EQ(sys.PostJson("/api/v1/org/nodes/" + id + "/archive", "").status, 409);
  EXPECT_EQ(sys.PostJson("/api/v1/org/nodes/" + std::to_string(m.Json().at("id").as_int64()) + "/archive", "").status, 200);
  auto archived = sys.PostJson("/api/v1/org/nodes/" + id + "/archive", "");
  EXPECT_EQ(archived.status, 200);
  EXPECT_TRUE(archived.Json().at("archived").as_bool());
  EXPECT_EQ(sys.PostJson("/api/v1/org/nodes", R"({"parent_id":)" + id + R"(,"type":"micro_grid","code":"320581001001101810812","name":"x"})").ErrorField(), "parent_id");
}

TEST_P(ApiTest, EveryWriteAndSignInIsAuditedAndTheChainVerifies) {
  auto sys = stack().As("sysadmin");
  auto aud = stack().As("auditor");
  auto created = sys.PostJson("/api/v1/org/nodes", R"({"parent_id":5,"type":"micro_grid","code":"320581001001101001820","name":"审计测试"})");
  ASSERT_EQ(created.status, 201);
  std::string path(created.Json().at("path").as_string());
  stack().Anonymous().PostJson("/api/v1/auth/login", R"({"username":"worker2","password":"wrong-password-x"})");
  auto writes = aud.Get("/api/v1/audit?action=org.create&limit=1").Json().at("items").as_array();
  ASSERT_EQ(writes.size(), 1u);
  EXPECT_EQ(writes[0].at("node_path").as_string(), path);
  EXPECT_EQ(writes[0].at("actor_name").as_string(), "sysadmin");
  EXPECT_EQ(writes[0].at("detail").at("name").as_string(), "审计测试");
  auto failures = aud.Get("/api/v1/audit?action=auth.login&limit=50").Json().at("items").as_array();
  bool saw_failure = false;
  for (const auto& e : failures) saw_failure |= e.at("outcome").as_string() == "failed" && e.at("actor_name").as_string() == "worker2";
  EXPECT_TRUE(saw_failure);
  auto by_node = aud.Get("/api/v1/audit?node_id=5&limit=500").Json().at("items").as_array();
  for (const auto& e : by_node) EXPECT_TRUE(std::string(e.at("node_path").as_string()).starts_with("/1/2/4/5/"));
  auto verify = aud.Get("/api/v1/audit/verify");
  ASSERT_EQ(verify.status, 200);
  EXPECT_TRUE(verify.Json().at("intact").as_bool()) << verify.body;
  EXPECT_EQ(aud.Get("/api/v1/audit?from=abc").ErrorField(), "from");
  EXPECT_EQ(aud.Get("/api/v1/audit?node_id=6000000").status, 404);
}

TEST_P(ApiTest, TamperingWithTheAuditLogIsFoundByAuditVerify) {
  auto own = NewStack(GetParam());
  auto sys = own->As("sysadmin");
  for (int i = 0; i < 3; ++i) {
    ASSERT_EQ(sys.PostJson("/api/v1/org/nodes", R"({"parent_id":5,"type":"micro_grid","code":"32058100100110100183)" +
                           std::to_string(i) + R"(","name":"x"})").status, 201);
  }
  own->server->Kill(SIGTERM);
  auto clean = RunLinli(own->With({"audit", "verify"}));
  EXPECT_EQ(clean.exit_code, 0) << clean.output;
  // Someone with access to the database rewrites entry 10, disabling the guard first.
  {
    auto db = storage::Database::Open({.url = own->url});
    ASSERT_TRUE(db);
    auto st = (*db)->WriteSync([&](storage::SqlSession& s) -> Status {
      if (s.dialect() == storage::Dialect::kSqlite) {
        LINLI_TRY(s.ExecScript("DROP TRIGGER audit_log_no_update"));
      } else {
        LINLI_TRY(s.ExecScript("ALTER TABLE audit_log DISABLE TRIGGER audit_log_no_change"));
      }
      return StatusOf(s.Exec("UPDATE audit_log SET actor_name = 'nobody' WHERE seq = 10"));
    });
    ASSERT_TRUE(st) << st.error().message;
  }
  auto broken = RunLinli(own->With({"audit", "verify"}));
  EXPECT_EQ(broken.exit_code, 1) << broken.output;
  EXPECT_NE(broken.output.find("BROKEN at entry 10"), std::string::npos) << broken.output;
  auto check = RunLinli(own->With({"check"}));
  EXPECT_EQ(check.exit_code, 1) << check.output;
}

TEST_P(ApiTest, AReferenceToNothingIsRefusedOrFoundByCheck) {
  // SQLite refuses each by its foreign key; PostgreSQL, which does not check a notification's user
  // or an event's case row by row (migrations 019 and 025: the writer's backend bounds intake
  // there), finds them with `linli check` and names each reference.
  auto own = NewStack(GetParam());
  own->server->Kill(SIGTERM);
  ASSERT_EQ(own->server->WaitExit(), 0);
  ASSERT_EQ(RunLinli(own->With({"check"})).exit_code, 0);
  auto db = storage::Database::Open({.url = own->url});
  ASSERT_TRUE(db);
  auto insert = [&](const std::string& sql) {
    return (*db)->WriteSync([&](storage::SqlSession& s) -> Status { return StatusOf(s.Exec(sql)); });
  };
  auto notice = insert("INSERT INTO notifications (id, user_id, at, kind, title) VALUES (990001, 987654, 1, 'case.assigned', 'x')");
  auto event = insert("INSERT INTO case_events (id, case_id, at, actor_kind, action, to_state, to_level) "
                      "VALUES (990002, 987654, 1, 'system', 'create', 'open', 'grid')");
  db->reset();
  if (GetParam() == "sqlite") {
    EXPECT_FALSE(notice) << "the foreign key refuses it";
    EXPECT_FALSE(event) << "the foreign key refuses it";
    EXPECT_EQ(RunLinli(own->With({"check"})).exit_code, 0);
  } else {
    ASSERT_TRUE(notice) << notice.error().message;
    ASSERT_TRUE(event) << event.error().message;
    auto check = RunLinli(own->With({"check"}));
    EXPECT_EQ(check.exit_code, 1) << check.output;
    EXPECT_NE(check.output.find("notifications.user_id: 1 row names a row of users that does not exist"), std::string::npos)
        << check.output;
    EXPECT_NE(check.output.find("case_events.case_id: 1 row names a row of cases that does not exist"), std::string::npos)
        << check.output;
    EXPECT_EQ(check.output.find("cases.node_id"), std::string::npos) << "the demo's cases all name their nodes\n" << check.output;
  }
}

TEST_P(ApiTest, LoginIsRateLimitedPerIp) {
  auto own = NewStack(GetParam(), {"--login-rate", "3"}, /*demo=*/false);
  auto anon = own->Anonymous();
  int limited = 0;
  for (int i = 0; i < 6; ++i) {
    auto r = anon.PostJson("/api/v1/auth/login", R"({"username":"x","password":"y"})");
    if (r.status == 429) ++limited;
    else EXPECT_EQ(r.status, 401);
  }
  EXPECT_EQ(limited, 3);
}

TEST_P(ApiTest, GracefulShutdownFinishesInFlightWrites) {
  auto own = NewStack(GetParam());
  auto sys = own->As("sysadmin");
  ASSERT_EQ(sys.PostJson("/api/v1/org/nodes", R"({"parent_id":5,"type":"micro_grid","code":"320581001001101001840","name":"x"})").status, 201);
  own->server->Kill(SIGTERM);
  EXPECT_EQ(own->server->WaitExit(), 0) << own->server->Log();
  EXPECT_NE(own->server->Log().find("stopped cleanly"), std::string::npos);
  auto check = RunLinli(own->With({"check"}));
  EXPECT_EQ(check.exit_code, 0) << check.output;
}

TEST_P(ApiTest, BackupAndRestoreBringBackExactlyTheBackedUpState) {
  auto own = NewStack(GetParam());
  auto sys = own->As("sysadmin");
  ASSERT_EQ(sys.PostJson("/api/v1/org/nodes", R"({"parent_id":5,"type":"micro_grid","code":"320581001001101001850","name":"备份前"})").status, 201);
  std::string file = own->dir.path() + "/backup.bin";
  auto backup = RunLinli(own->With({"backup", file}));  // while the server runs
  ASSERT_EQ(backup.exit_code, 0) << backup.output;
  ASSERT_EQ(sys.PostJson("/api/v1/org/nodes", R"({"parent_id":5,"type":"micro_grid","code":"320581001001101001851","name":"备份后"})").status, 201);
  own->server->Kill(SIGTERM);
  auto restore = RunLinli(own->With({"restore", file}));
  ASSERT_EQ(restore.exit_code, 0) << restore.output;
  auto check = RunLinli(own->With({"check"}));
  EXPECT_EQ(check.exit_code, 0) << check.output;
  auto list = RunLinli(own->With({"org", "list", "--parent", "5"}));
  EXPECT_NE(list.output.find("320581001001101001850"), std::string::npos) << list.output;
  EXPECT_EQ(list.output.find("320581001001101001851"), std::string::npos) << list.output;
  auto missing = RunLinli(own->With({"restore", own->dir.path() + "/no-such-file"}));
  EXPECT_NE(missing.exit_code, 0);
}

TEST_P(ApiTest, ASlowSenderIsCutOffAfterTheHeaderDeadline) {
  auto own = NewStack(GetParam(), {"--header-timeout", "1"}, /*demo=*/false);
  auto started = std::chrono::steady_clock::now();
  // Half a header, then silence: the server must close the connection, not wait for ever.
  std::string answer = RawExchange(own->server->port(), "GET /healthz HTTP/1.1\r\nHost: x\r\nX-Slow:", 8000);
  double waited = std::chrono::duration<double>(std::chrono::steady_clock::now() - started).count();
  EXPECT_TRUE(answer.empty()) << answer;
  EXPECT_LT(waited, 4.0) << "closed only after " << waited << " s";
  EXPECT_GE(waited, 0.9);
  EXPECT_EQ(own->Anonymous().Get("/healthz").status, 200);  // others are served meanwhile
}

// Runs a shell command and returns what it printed (the tools here are real: openssl and curl).
std::string Shell(const std::string& cmd) {
  std::string out;
  FILE* p = popen((cmd + " 2>&1").c_str(), "r");
  if (!p) return out;
  char buf[4096];
  while (std::size_t n = fread(buf, 1, sizeof buf, p)) out.append(buf, n);
  pclose(p);
  return out;
}

TEST_P(ApiTest, TlsServesHttpsWithHstsAndSecureCookies) {
  TempDir certs;
  std::string cert = certs.path() + "/cert.pem", key = certs.path() + "/key.pem";
  Shell("openssl req -x509 -newkey rsa:2048 -nodes -days 1 -subj /CN=localhost -keyout " + key + " -out " + cert);
  auto own = NewStack(GetParam(), {"--tls-cert", cert, "--tls-key", key, "--login-rate", "10000"});
  std::string base = "https://127.0.0.1:" + std::to_string(own->server->port());
  std::string health = Shell("curl -sk -i " + base + "/healthz");
  EXPECT_NE(health.find("HTTP/1.1 200"), std::string::npos) << health;
  EXPECT_NE(health.find("Strict-Transport-Security: max-age=31536000"), std::string::npos) << health;
  std::string login = Shell("curl -sk -i -X POST -H 'Content-Type: application/json' -d "
                            "'{\"username\":\"worker1\",\"password\":\"Linli-demo-2026\"}' " + base + "/api/v1/auth/login");
  EXPECT_NE(login.find("HTTP/1.1 200"), std::string::npos) << login;
  std::smatch cookie;
  ASSERT_TRUE(std::regex_search(login, cookie, std::regex("Set-Cookie: [^\r\n]*"))) << login;
  EXPECT_NE(cookie.str().find("; Secure"), std::string::npos) << cookie.str();
  // Plain HTTP on the TLS port gets no answer.
  auto plain = own->Anonymous().Get("/healthz");
  EXPECT_EQ(plain.status, 0);
}

INSTANTIATE_TEST_SUITE_P(Backends, ApiTest, ::testing::Values("sqlite", "postgres"),
                         [](const auto& info) { return info.param; });

}  // namespace
}  // namespace linli::testing
