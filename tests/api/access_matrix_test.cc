// The access matrix: every role, assigned at one grid, against its own grid, a sibling grid and
// the parent compound, through every endpoint that acts on a node or on something that lives at
// one. Any 2xx outside the role's own subtree fails; so does any 2xx the role's permissions do not
// grant; so does any list, count or log entry from outside the subtree. Runs on both backends.
#include <gtest/gtest.h>

#include <set>

#include "api/api_fixture.h"
#include "domain/access.h"

namespace linli::testing {
namespace {

namespace json = boost::json;

struct Target {
  std::string label;
  std::int64_t node;
  std::int64_t parent;
  std::string child_type;
  std::string code;  // the node's code, which a child's code extends
  std::int64_t user = 0;
  std::int64_t assignment = 0;
  std::int64_t key = 0;
};

struct Endpoint {
  std::string method;
  std::string path;   // {node} {user} {assignment} {key} {parent} are filled per target
  std::string body;   // the same {…} fields, plus {child_type}, {child_code} and {unique}
  std::string permission;  // what a 2xx at the role's own node requires
};

const std::vector<Endpoint>& Endpoints() {
  static const std::vector<Endpoint> all = {
      {"GET", "/api/v1/org/nodes/{node}", "", "org.read"},
      {"PATCH", "/api/v1/org/nodes/{node}", R"({"name":"矩阵改名"})", "org.write"},
      {"POST", "/api/v1/org/nodes/{node}/move", R"({"parent_id":{parent}})", "org.write"},
      {"POST", "/api/v1/org/nodes/{node}/archive", "", "org.write"},
      {"POST", "/api/v1/org/nodes/{node}/restore", "", "org.write"},
      {"POST", "/api/v1/org/nodes", R"({"parent_id":{node},"type":"{child_type}","code":"{child_code}","name":"矩阵"})", "org.write"},
      {"GET", "/api/v1/users/{user}", "", "user.read"},
      {"POST", "/api/v1/users", R"({"username":"mx{unique}","display_name":"x","password":"matrix-long-password","home_node_id":{node}})", "user.write"},
      {"POST", "/api/v1/users/{user}/disable", "", "user.write"},
      {"POST", "/api/v1/users/{user}/enable", "", "user.write"},
      {"POST", "/api/v1/users/{user}/password", R"({"password":"matrix-reset-password"})", "user.write"},
      {"POST", "/api/v1/users/{user}/assignments", R"({"role":"volunteer","node_id":{node}})", "role.assign"},
      {"DELETE", "/api/v1/assignments/{assignment}", "", "role.assign"},
      {"POST", "/api/v1/apikeys", R"({"user_id":{user},"name":"matrix"})", "apikey.write"},
      {"DELETE", "/api/v1/apikeys/{key}", "", "apikey.write"},
      {"GET", "/api/v1/audit?node_id={node}", "", "audit.read"},
  };
  return all;
}

std::string Fill(std::string s, const Target& t, int unique) {
  auto replace = [&](const std::string& key, const std::string& value) {
    for (auto pos = s.find(key); pos != std::string::npos; pos = s.find(key)) s.replace(pos, key.size(), value);
  };
  replace("{node}", std::to_string(t.node));
  replace("{parent}", std::to_string(t.parent));
  replace("{user}", std::to_string(t.user));
  replace("{assignment}", std::to_string(t.assignment));
  replace("{key}", std::to_string(t.key));
  replace("{child_type}", t.child_type);
  char number[16];
  std::snprintf(number, sizeof number, "%03d", 100 + unique % 900);
  replace("{child_code}", t.code + number);
  replace("{unique}", std::to_string(unique));
  return s;
}

class AccessMatrix : public ApiTest {};

TEST_P(AccessMatrix, NoRoleReachesOutsideItsSubtree) {
  auto stack_owner = NewStack(GetParam(), {"--login-rate", "10000"});
  Stack& st = *stack_owner;
  auto sys = st.As("sysadmin");
  auto sec = st.As("secadmin");
  // Demo tree: 4 compound 虹桥花园 ⊃ {5 grid (own), 6 grid (sibling)}; 7, 8 micro-grids under 5.
  std::vector<Target> targets = {{"own", 5, 4, "micro_grid", "320581001001101001"},
                                 {"sibling", 6, 4, "micro_grid", "320581001001101002"},
                                 {"parent", 4, 2, "grid", "320581001001101"}};
  int unique = 900000;
  for (auto& t : targets) {
    auto u = sys.PostJson("/api/v1/users", R"({"username":"target.)" + t.label + R"(","display_name":"x",)"
                          R"("password":"target-long-password","home_node_id":)" + std::to_string(t.node) +
                          R"(,"must_change_password":false})");
    ASSERT_EQ(u.status, 201) << u.body;
    t.user = u.Json().at("id").as_int64();
    auto a = sec.PostJson("/api/v1/users/" + std::to_string(t.user) + "/assignments",
                          R"({"role":"resident","node_id":)" + std::to_string(t.node) + "}");
    ASSERT_EQ(a.status, 201) << a.body;
    t.assignment = a.Json().at("id").as_int64();
    auto k = sys.PostJson("/api/v1/apikeys", R"({"user_id":)" + std::to_string(t.user) + R"(,"name":"target"})");
    ASSERT_EQ(k.status, 201) << k.body;
    t.key = k.Json().at("id").as_int64();
  }
  const std::string own_path = "/1/2/4/5/";

  auto roles_json = sec.Get("/api/v1/roles").Json();
  std::map<std::string, std::set<std::string>> permissions;
  for (const auto& r : roles_json.at("items").as_array()) {
    auto& set = permissions[std::string(r.at("name").as_string())];
    for (const auto& p : r.at("permissions").as_array()) set.emplace(p.as_string());
  }
  ASSERT_EQ(permissions.size(), domain::DefaultRoles().size());

  int checked = 0;
  for (const auto& [role, perms] : permissions) {
    SCOPED_TRACE("role " + role);
    auto u = sys.PostJson("/api/v1/users", R"({"username":"matrix.)" + role + R"(","display_name":"x",)"
                          R"("password":"matrix-long-password","home_node_id":5,"must_change_password":false})");
    ASSERT_EQ(u.status, 201) << u.body;
    auto a = sec.PostJson("/api/v1/users/" + std::to_string(u.Json().at("id").as_int64()) + "/assignments",
                          R"({"role":")" + role + R"(","node_id":5})");
    ASSERT_EQ(a.status, 201) << a.body;
    auto c = st.As("matrix." + role, "matrix-long-password");

    for (const auto& t : targets) {
      for (const auto& e : Endpoints()) {
        std::string path = Fill(e.path, t, ++unique);
        std::string body = Fill(e.body, t, unique);
        auto r = body.empty() && e.method == "GET" ? c.Get(path) : c.Json(e.method, path, body.empty() ? "{}" : body);
        ++checked;
        bool success = r.status >= 200 && r.status < 300;
        if (t.label != "own") {
          EXPECT_FALSE(success) << role << " reached the " << t.label << " node: " << e.method << " " << path
                                << " -> " << r.status << " " << r.body;
          EXPECT_TRUE(r.status == 403 || r.status == 404 || r.status == 400 || r.status == 409)
              << e.method << " " << path << " -> " << r.status;
        } else if (success) {
          EXPECT_TRUE(perms.contains(e.permission))
              << role << " succeeded without " << e.permission << ": " << e.method << " " << path;
        } else if (e.method == "GET" && perms.contains(e.permission)) {
          ADD_FAILURE() << role << " holds " << e.permission << " but was refused " << path << ": " << r.body;
        }
      }
    }

    // Lists and logs show nothing from outside the subtree.
    auto nodes = c.Get("/api/v1/org/nodes?limit=500&archived=true");
    if (perms.contains("org.read")) {
      ASSERT_EQ(nodes.status, 200);
      auto items = nodes.Json().at("items").as_array();
      EXPECT_GE(items.size(), 3u);  // grid 5 and its micro-grids
      for (const auto& n : items) EXPECT_TRUE(std::string(n.at("path").as_string()).starts_with(own_path)) << n;
    } else if (nodes.status == 200) {
      EXPECT_TRUE(nodes.Json().at("items").as_array().empty()) << nodes.body;
    }
    auto users = c.Get("/api/v1/users?limit=500");
    if (users.status == 200) {
      auto list = users.Json();
      for (const auto& x : list.at("items").as_array()) {
        std::int64_t home = x.at("home_node_id").as_int64();
        EXPECT_TRUE(home == 5 || home == 7 || home == 8 || home > 11) << role << " sees user " << x;
        EXPECT_NE(x.at("username").as_string(), "target.sibling");
        EXPECT_NE(x.at("username").as_string(), "target.parent");
        EXPECT_TRUE(x.at("assignments").is_array()) << "each account comes with its roles";
      }
    }
    auto audit = c.Get("/api/v1/audit?limit=500");
    if (audit.status == 200) {
      EXPECT_TRUE(perms.contains("audit.read"));
      auto log = audit.Json();
      for (const auto& x : log.at("items").as_array()) {
        EXPECT_TRUE(std::string(x.at("node_path").as_string()).starts_with(own_path)) << role << " sees " << x;
      }
    }
    auto keys = c.Get("/api/v1/apikeys");
    if (keys.status == 200) {
      auto list = keys.Json();
      for (const auto& k : list.at("items").as_array()) {
        EXPECT_NE(k.at("username").as_string(), "target.sibling");
        EXPECT_NE(k.at("username").as_string(), "target.parent");
      }
    }
    // Installation-wide settings need a grant at a root node, which nobody here has.
    EXPECT_NE(c.Json("PUT", "/api/v1/roles/volunteer", R"({"permissions":["case.report"]})").status, 200);
    EXPECT_NE(c.Json("PUT", "/api/v1/security/policy", R"({"max_failed_logins":99})").status, 200);
    EXPECT_NE(c.Get("/api/v1/audit/verify").status, 200);
  }
  // The sibling and parent targets are untouched.
  for (const auto& t : targets) {
    if (t.label == "own") continue;
    auto node = sys.Get("/api/v1/org/nodes/" + std::to_string(t.node)).Json();
    EXPECT_EQ(node.at("version").as_int64(), 1) << t.label;
    EXPECT_FALSE(node.at("archived").as_bool());
    auto user = sys.Get("/api/v1/users/" + std::to_string(t.user)).Json();
    EXPECT_FALSE(user.at("disabled").as_bool());
    EXPECT_EQ(user.at("assignments").as_array().size(), 1u);
  }
  EXPECT_GT(checked, 600);
}

INSTANTIATE_TEST_SUITE_P(Backends, AccessMatrix, ::testing::Values("sqlite", "postgres"),
                         [](const auto& info) { return info.param; });

}  // namespace
}  // namespace linli::testing
