// The cockpit and live screens over real HTTP, on both engines: the cockpit's figures move with
// the cases (from the rollups), scope and bad input are refused naming the field, the map is a
// FeatureCollection of the node's own boundaries, and a server-sent event stream tells a
// subscriber which child's cases changed — and tells nobody outside their scope.
#include <gtest/gtest.h>

#include <future>
#include <map>
#include <set>
#include <thread>

#include "api/api_fixture.h"

namespace linli::testing {
namespace {

namespace json = boost::json;

constexpr const char* kGrid5Code = "320581001001101001";  // 虹桥第一网格 under 虹桥花园 (4), 虹桥社区 (2)

std::int64_t Int(const json::value& v, const char* key) { return v.at(key).as_int64(); }

std::string Suggestion(const std::string& words) {
  return std::string(R"({"category":"community.suggestion","node_code":")") + kGrid5Code +
         R"(","description":")" + words + R"("})";
}

// Opens /api/v1/live/cases?node_id=N as `token` and returns everything the server sent within
// `ms` (the stream stays open, so the exchange ends at the timeout).
std::future<std::string> Listen(std::uint16_t port, const std::string& token, std::int64_t node, int ms) {
  std::string request = "GET /api/v1/live/cases?node_id=" + std::to_string(node) +
                        " HTTP/1.1\r\nHost: 127.0.0.1\r\nAccept: text/event-stream\r\nAuthorization: Bearer " + token +
                        "\r\n\r\n";
  return std::async(std::launch::async, [=] { return RawExchange(port, request, ms); });
}

TEST_P(ApiTest, ACategoryMadeTodayCountsInTheCockpitAtOnce) {
  // The cockpit's metric names are made once a day; a new category must not wait for tomorrow.
  auto& st = stack();
  auto official = st.As("official");
  ASSERT_EQ(official.Get("/api/v1/cockpit/nodes/2").status, 200);
  auto saved = official.Json("PUT", "/api/v1/case-categories/community.test_kites",
                             R"({"code":"community.test_kites","group_code":"community","name":"风筝挂线",)"
                             R"("response_minutes":120,"resolve_minutes":900})");
  ASSERT_EQ(saved.status, 200) << saved.body;
  auto r = st.Anonymous().PostJson("/api/v1/public/cases", R"({"category":"community.test_kites","description":"风筝挂在电线上",)"
                                                           R"("node_code":")" + std::string(kGrid5Code) + R"("})");
  ASSERT_EQ(r.status, 201) << r.body;
  auto after = official.Get("/api/v1/cockpit/nodes/2").Json();
  std::map<std::string, std::int64_t> reported;
  for (const auto& c : after.at("top_categories").as_array()) reported[std::string(c.at("code").as_string())] = Int(c, "reported");
  EXPECT_EQ(reported["community.test_kites"], 1) << serialize(after.at("top_categories"));
}

TEST_P(ApiTest, TheCockpitCountsMoveWithTheCasesAndStayInScope) {
  auto& st = stack();
  auto official = st.As("official");
  auto before = official.Get("/api/v1/cockpit/nodes/2");
  ASSERT_EQ(before.status, 200) << before.body;
  auto b = before.Json();
  EXPECT_EQ(b.at("node").at("name").as_string(), "虹桥社区");
  EXPECT_EQ(b.at("trail").as_array().size(), 1u) << "the subdistrict above, for the way back";
  // A grid's trail is every node above it, from the subdistrict down, in that order.
  auto grid = official.Get("/api/v1/cockpit/nodes/5").Json();
  std::vector<std::int64_t> trail;
  for (const auto& n : grid.at("trail").as_array()) trail.push_back(n.at("id").as_int64());
  EXPECT_EQ(trail, (std::vector<std::int64_t>{1, 2, 4}));
  EXPECT_EQ(b.at("trend").as_array().size(), 30u);

  ASSERT_EQ(st.Anonymous().PostJson("/api/v1/public/cases", Suggestion("建议小区增设快递柜")).status, 201);
  auto after = official.Get("/api/v1/cockpit/nodes/2").Json();
  EXPECT_EQ(Int(after, "reported"), Int(b, "reported") + 1);
  EXPECT_EQ(Int(after, "open"), Int(b, "open") + 1);
  auto trend = after.at("trend").as_array();
  EXPECT_EQ(Int(trend.back(), "reported"), Int(b.at("trend").as_array().back(), "reported") + 1) << "today's point";
  bool counted = false;
  for (const auto& g : after.at("top_groups").as_array()) counted = counted || g.at("code").as_string() == "community";
  EXPECT_TRUE(counted);
  // The child the case lies under (虹桥花园, node 4) carries it too; the subdistrict sums it.
  std::int64_t compound_open = -1;
  for (const auto& c : after.at("children").as_array()) {
    if (Int(c, "id") == 4) compound_open = Int(c, "open");
    // A child is a row of the table and a shape on the map: what names it and its four figures.
    std::set<std::string> keys;
    for (const auto& kv : c.as_object()) keys.insert(std::string(kv.key()));
    EXPECT_EQ(keys, (std::set<std::string>{"id", "type", "code", "name", "path", "open", "overdue", "reported", "resolved"}));
  }
  EXPECT_GE(compound_open, 1);
  auto district = official.Get("/api/v1/cockpit/nodes/1").Json();
  EXPECT_GE(Int(district, "reported"), Int(after, "reported"));

  // A past month answers with that month's figures (none here).
  auto old = official.Get("/api/v1/cockpit/nodes/2?month=2020-01");
  ASSERT_EQ(old.status, 200);
  EXPECT_EQ(Int(old.Json(), "reported"), 0);
  EXPECT_TRUE(old.Json().at("on_time_rate").is_null()) << "nothing resolved: no rate, not 0%";

  // Scope and bad input.
  EXPECT_EQ(st.As("worker1").Get("/api/v1/cockpit/nodes/2").status, 404) << "a grid worker sees only their grid";
  EXPECT_EQ(st.Anonymous().Get("/api/v1/cockpit/nodes/2").status, 401);
  for (const char* month : {"2026-13", "26-11", "2026-1", "2026-11-01", "%3Cscript%3E"}) {
    auto bad = official.Get(std::string("/api/v1/cockpit/nodes/2?month=") + month);
    EXPECT_EQ(bad.status, 400) << month;
    EXPECT_EQ(bad.ErrorField(), "month") << month;
  }
  EXPECT_EQ(official.Get("/api/v1/cockpit/nodes/abc").status, 400);
  EXPECT_EQ(official.Get("/api/v1/cockpit/nodes/999999").status, 404);
}

TEST_P(ApiTest, TheCockpitShowsTheTreeAsItIsAfterEachChange) {
  // The cockpit keeps the nodes it names in memory; every change to the tree made through this
  // server must show on the next read, not seconds later.
  auto& st = stack();
  auto official = st.As("official");
  auto sys = st.As("sysadmin");
  auto child_names = [&](std::int64_t node) {
    std::map<std::int64_t, std::string> names;
    auto c = official.Get("/api/v1/cockpit/nodes/" + std::to_string(node));
    EXPECT_EQ(c.status, 200) << c.body;
    auto body = c.Json();
    for (const auto& k : body.at("children").as_array()) names[Int(k, "id")] = std::string(k.at("name").as_string());
    return names;
  };
  auto before = child_names(4);
  ASSERT_FALSE(before.empty());
  auto g = sys.PostJson("/api/v1/org/nodes", R"({"parent_id":4,"type":"grid","code":"320581001001101820","name":"新建网格"})");
  ASSERT_EQ(g.status, 201) << g.body;
  auto id = g.Json().at("id").as_int64();
  auto created = child_names(4);
  EXPECT_EQ(created.size(), before.size() + 1);
  EXPECT_EQ(created[id], "新建网格") << "a new child at once";
  EXPECT_EQ(official.Get("/api/v1/cockpit/nodes/" + std::to_string(id)).Json().at("node").at("name").as_string(), "新建网格");

  ASSERT_EQ(sys.Json("PATCH", "/api/v1/org/nodes/" + std::to_string(id), R"({"name":"改名网格","version":1})").status, 200);
  EXPECT_EQ(child_names(4)[id], "改名网格") << "renamed among the children";
  auto own = official.Get("/api/v1/cockpit/nodes/" + std::to_string(id)).Json();
  EXPECT_EQ(own.at("node").at("name").as_string(), "改名网格") << "and as the node itself";
  EXPECT_EQ(Int(own.at("node"), "version"), 2);

  ASSERT_EQ(sys.PostJson("/api/v1/org/nodes/" + std::to_string(id) + "/archive", "").status, 200);
  EXPECT_EQ(child_names(4), before) << "archived: gone from the children";
  // A grid worker outside still cannot open it, cached or not.
  EXPECT_EQ(st.As("worker1").Get("/api/v1/cockpit/nodes/" + std::to_string(id)).status, 404);
}

TEST_P(ApiTest, TheRegionCockpitSumsTheTopNodesOfTheCallersScope) {
  auto& st = stack();
  auto official = st.As("official");
  ASSERT_EQ(st.Anonymous().PostJson("/api/v1/public/cases", Suggestion("建议楼道加装扶手")).status, 201);
  auto region = official.Get("/api/v1/cockpit/region");
  ASSERT_EQ(region.status, 200) << region.body;
  auto r = region.Json();
  EXPECT_EQ(Int(r.at("node"), "id"), 0);
  EXPECT_EQ(r.at("node").at("name").as_string(), "全部辖区");
  // The official holds the demo's one subdistrict: the region is that node, and its only child.
  auto subdistrict = official.Get("/api/v1/cockpit/nodes/1").Json();
  for (const char* k : {"reported", "open", "overdue", "resolved", "residents", "households"}) {
    EXPECT_EQ(Int(r, k), Int(subdistrict, k)) << k;
  }
  EXPECT_GE(Int(r, "reported"), 1);
  ASSERT_EQ(r.at("children").as_array().size(), 1u);
  EXPECT_EQ(Int(r.at("children").as_array()[0], "id"), 1);
  EXPECT_EQ(Int(r.at("children").as_array()[0], "open"), Int(subdistrict, "open"));
  EXPECT_EQ(r.at("trend").as_array().size(), 30u);

  // A grid worker's region is their grid: never more.
  auto worker = st.As("worker1");
  auto mine = worker.Get("/api/v1/cockpit/region");
  ASSERT_EQ(mine.status, 200) << mine.body;
  auto grid = worker.Get("/api/v1/cockpit/nodes/5").Json();
  EXPECT_EQ(Int(mine.Json(), "reported"), Int(grid, "reported"));
  EXPECT_EQ(Int(mine.Json(), "residents"), Int(grid, "residents"));
  ASSERT_EQ(mine.Json().at("children").as_array().size(), 1u);
  EXPECT_EQ(Int(mine.Json().at("children").as_array()[0], "id"), 5);
  EXPECT_LE(Int(mine.Json(), "reported"), Int(r, "reported"));

  // Without cockpit.read anywhere, or signed out, or with a bad month.
  EXPECT_EQ(st.As("dept.chengguan").Get("/api/v1/cockpit/region").status, 403);
  EXPECT_EQ(st.Anonymous().Get("/api/v1/cockpit/region").status, 401);
  auto bad = official.Get("/api/v1/cockpit/region?month=2026-00");
  EXPECT_EQ(bad.status, 400);
  EXPECT_EQ(bad.ErrorField(), "month");
}

TEST_P(ApiTest, ARegionOfMostSubdistrictsIsTheWholeDeploymentLessTheOthers) {
  // Three subdistricts: the demo's, an empty one the official is given too, and one they do not
  // hold with a case of its own. Holding two of three, the region is read as the whole
  // deployment's row less the third's; its case must not show.
  auto own = NewStack(GetParam());
  auto run = [&](std::initializer_list<std::string> args) {
    auto r = RunLinli(own->With(args));
    ASSERT_EQ(r.exit_code, 0) << r.output;
  };
  run({"org", "create", "--type", "subdistrict", "--code", "320581002", "--name", "东湖街道"});
  run({"org", "create", "--type", "subdistrict", "--code", "320581003", "--name", "西湖街道"});
  run({"org", "create", "--type", "community", "--code", "320581003001", "--name", "西湖社区", "--parent", "320581003"});
  run({"org", "create", "--type", "grid", "--code", "320581003001001", "--name", "西湖第一网格", "--parent", "320581003001"});
  run({"user", "assign", "official", "--role", "subdistrict_official", "--node", "320581002"});
  auto elsewhere = own->Anonymous().PostJson(
      "/api/v1/public/cases",
      R"({"category":"community.suggestion","node_code":"320581003001001","description":"建议西湖社区增设路灯"})");
  ASSERT_EQ(elsewhere.status, 201) << elsewhere.body;

  auto official = own->As("official");
  auto region = official.Get("/api/v1/cockpit/region");
  ASSERT_EQ(region.status, 200) << region.body;
  auto r = region.Json();
  auto demo = official.Get("/api/v1/cockpit/nodes/1").Json();
  auto children = r.at("children").as_array();
  ASSERT_EQ(children.size(), 2u) << "the demo's subdistrict and 东湖街道";
  for (const auto& c : children) EXPECT_NE(c.at("code").as_string(), "320581003");
  for (const char* k : {"reported", "open", "overdue", "resolved", "residents", "households"}) {
    EXPECT_EQ(Int(r, k), Int(demo, k)) << k << ": 东湖街道 has nothing, 西湖街道's case is not the official's";
  }
  std::int64_t trend = 0, demo_trend = 0;
  for (const auto& d : r.at("trend").as_array()) trend += Int(d, "reported");
  for (const auto& d : demo.at("trend").as_array()) demo_trend += Int(d, "reported");
  EXPECT_EQ(trend, demo_trend);
  // The case is in the whole deployment's row: the city's official, holding all three, sees it.
  auto created = RunLinli(own->With({"user", "create", "--username", "city", "--name", "市级", "--node", "320581001",
                                     "--role", "subdistrict_official", "--password-stdin", "--no-password-change"}),
                          "City-password-2026\n");
  ASSERT_EQ(created.exit_code, 0) << created.output;
  run({"user", "assign", "city", "--role", "subdistrict_official", "--node", "320581002"});
  run({"user", "assign", "city", "--role", "subdistrict_official", "--node", "320581003"});
  auto city = own->As("city", "City-password-2026").Get("/api/v1/cockpit/region").Json();
  EXPECT_EQ(city.at("children").as_array().size(), 3u);
  EXPECT_EQ(Int(city, "reported"), Int(demo, "reported") + 1);
  EXPECT_EQ(Int(city, "open"), Int(demo, "open") + 1);
}

TEST_P(ApiTest, ACitysDistrictsGroupItsSubdistrictsAndEveryFigureAndTurnFollows) {
  // A city's deployment: the demo's subdistrict moves under its district (常熟市 320581). Its
  // counts, its people's scope and whose turn a case is must all follow it.
  auto own = NewStack(GetParam());
  auto run = [&](std::initializer_list<std::string> args) {
    auto r = RunLinli(own->With(args));
    EXPECT_EQ(r.exit_code, 0) << r.output;
    return r.output;
  };
  auto official = own->As("official");
  auto before = official.Get("/api/v1/cockpit/nodes/1").Json();

  // A district is a county code, at the root only; a subdistrict's code is refused for it.
  auto wrong = RunLinli(own->With({"org", "create", "--type", "district", "--code", "320581002", "--name", "常熟市"}));
  EXPECT_NE(wrong.exit_code, 0);
  EXPECT_NE(wrong.output.find("district is its 6-digit county code"), std::string::npos) << wrong.output;
  run({"org", "create", "--type", "district", "--code", "320581", "--name", "常熟市"});
  auto district = official.Get("/api/v1/org/nodes?code=320581").Json().at("items").as_array();
  EXPECT_TRUE(district.empty()) << "the official holds the subdistrict, not the district";
  auto under = own->As("sysadmin").PostJson("/api/v1/org/nodes",
                                            R"({"parent_id":2,"type":"district","code":"320581001998","name":"错"})");
  EXPECT_EQ(under.status, 400) << under.body;
  EXPECT_EQ(under.ErrorField(), "type");
  run({"org", "move", "320581001", "--parent", "320581"});
  // Another process moved it: the server's node and sign-in caches see it within their 2 s.
  std::this_thread::sleep_for(std::chrono::milliseconds(2100));

  // The city's official holds the district: it lists the subdistrict with the same figures.
  auto created = RunLinli(own->With({"user", "create", "--username", "city", "--name", "市级", "--node", "320581",
                                     "--role", "district_official", "--password-stdin", "--no-password-change"}),
                          "City-password-2026\n");
  ASSERT_EQ(created.exit_code, 0) << created.output;
  auto city = own->As("city", "City-password-2026");
  auto region = city.Get("/api/v1/cockpit/region");
  ASSERT_EQ(region.status, 200) << region.body;
  auto children = region.Json().at("children").as_array();
  ASSERT_EQ(children.size(), 1u);
  EXPECT_EQ(children[0].at("type").as_string(), "district");
  auto district_id = Int(children[0], "id");
  auto cockpit = city.Get("/api/v1/cockpit/nodes/" + std::to_string(district_id)).Json();
  ASSERT_EQ(cockpit.at("children").as_array().size(), 1u);
  EXPECT_EQ(Int(cockpit.at("children").as_array()[0], "id"), 1);
  for (const char* k : {"reported", "open", "overdue", "resolved", "residents", "households"}) {
    EXPECT_EQ(Int(cockpit, k), Int(before, k)) << k;
    EXPECT_EQ(Int(region.Json(), k), Int(before, k)) << k;
  }
  // The subdistrict's official still sees their subdistrict, now under the district, but not the district.
  auto after = official.Get("/api/v1/cockpit/nodes/1");
  ASSERT_EQ(after.status, 200) << after.body;
  EXPECT_EQ(Int(after.Json(), "reported"), Int(before, "reported"));
  EXPECT_EQ(official.Get("/api/v1/cockpit/nodes/" + std::to_string(district_id)).status, 404);

  // A case escalated to the subdistrict is the subdistrict's to act on, not the district's.
  auto reported = own->Anonymous().PostJson(
      "/api/v1/public/cases",
      std::string(R"({"category":"community.noise","node_code":")") + kGrid5Code +
          R"(","description":"楼上每晚十一点后装修","attributes":{"when":"night"}})");
  ASSERT_EQ(reported.status, 201) << reported.body;
  std::int64_t case_id = 0;
  auto tracking = reported.Json().at("tracking_code").as_string();
  auto listed = own->As("worker1").Get("/api/v1/cases?node_id=5&open=true&limit=500").Json();
  for (const auto& c : listed.at("items").as_array()) {
    if (c.at("tracking_code").as_string() == tracking) case_id = Int(c, "id");
  }
  ASSERT_NE(case_id, 0);
  auto act = [&](const HttpClient& who, const std::string& body) {
    return who.PostJson("/api/v1/cases/" + std::to_string(case_id) + "/actions", body);
  };
  ASSERT_EQ(act(own->As("worker1"), R"({"action":"accept"})").status, 200);
  ASSERT_EQ(act(own->As("leader1"), R"({"action":"escalate","note":"需社区协调"})").status, 200);
  auto up = act(own->As("secretary"), R"({"action":"escalate","note":"需街道协调"})");
  ASSERT_EQ(up.status, 200) << up.body;
  EXPECT_EQ(up.Json().at("level").as_string(), "subdistrict");
  auto sent = act(official, R"({"action":"dispatch","department":"城管中队","note":"夜间施工"})");
  EXPECT_EQ(sent.status, 200) << sent.body;
  auto taken = act(own->As("dept.chengguan"), R"({"action":"dept_accept"})");
  EXPECT_EQ(taken.status, 200) << taken.body << " (the department sits at the subdistrict)";
}

TEST_P(ApiTest, TheMapIsTheNodesOwnBoundariesAsOneFeatureCollection) {
  auto& st = stack();
  auto secretary = st.As("secretary");
  auto map = secretary.Get("/api/v1/org/nodes/2/map");
  ASSERT_EQ(map.status, 200) << map.body;
  EXPECT_EQ(map.headers["content-type"], "application/geo+json");
  auto fc = map.Json();
  EXPECT_EQ(fc.at("type").as_string(), "FeatureCollection");
  for (const auto& f : fc.at("features").as_array()) {
    auto id = Int(f.at("properties"), "id");
    EXPECT_TRUE(id == 2 || Int(f.at("properties"), "parent_id") == 2) << "only the node and its children";
    EXPECT_TRUE(f.at("geometry").at("type").as_string().starts_with("Polygon") ||
                f.at("geometry").at("type").as_string().starts_with("MultiPolygon"));
  }
  EXPECT_EQ(st.As("worker2").Get("/api/v1/org/nodes/5/map").status, 404) << "another grid";
  // A node by the org code printed on paper (the console's role grant takes it), within scope only.
  auto byCode = secretary.Get(std::string("/api/v1/org/nodes?code=") + kGrid5Code).Json().at("items").as_array();
  ASSERT_EQ(byCode.size(), 1u);
  EXPECT_EQ(Int(byCode[0], "id"), 5);
  EXPECT_TRUE(st.As("worker2").Get(std::string("/api/v1/org/nodes?code=") + kGrid5Code).Json().at("items").as_array().empty());
  EXPECT_TRUE(secretary.Get("/api/v1/org/nodes?code=nosuch").Json().at("items").as_array().empty());
  EXPECT_EQ(secretary.Get("/api/v1/org/nodes/0/map").status, 400);
}

TEST_P(ApiTest, ALiveStreamTellsWhichChildChangedAndOnlyWithinScope) {
  auto& st = stack();
  auto official = Login(st.Anonymous(), "official", kDemoPassword);
  auto worker2 = Login(st.Anonymous(), "worker2", kDemoPassword);
  auto port = st.server->port();
  auto community = Listen(port, official, 2, 2500);
  auto other_grid = Listen(port, worker2, 6, 2500);
  std::this_thread::sleep_for(std::chrono::milliseconds(600));  // both subscribed
  ASSERT_EQ(st.Anonymous().PostJson("/api/v1/public/cases", Suggestion("建议楼道加装扶手")).status, 201);

  auto seen = community.get();
  EXPECT_NE(seen.find("HTTP/1.1 200"), std::string::npos) << seen;
  EXPECT_NE(seen.find("text/event-stream"), std::string::npos);
  EXPECT_NE(seen.find("event: ready\ndata: {\"node_id\":2}"), std::string::npos) << seen;
  EXPECT_NE(seen.find("event: cases\ndata: {\"node_id\":2,\"child_id\":4}"), std::string::npos) << seen;
  auto quiet = other_grid.get();
  EXPECT_NE(quiet.find("event: ready"), std::string::npos) << quiet;
  EXPECT_EQ(quiet.find("event: cases"), std::string::npos) << "grid 6 hears nothing of grid 5: " << quiet;

  // Refused before any stream opens.
  auto anon = st.Anonymous().Get("/api/v1/live/cases?node_id=2");
  EXPECT_EQ(anon.status, 401);
  auto w2 = st.As("worker2");
  EXPECT_EQ(w2.Get("/api/v1/live/cases?node_id=5").status, 404) << "another grid";
  EXPECT_EQ(w2.Get("/api/v1/live/cases").ErrorField(), "node_id");
  EXPECT_EQ(w2.Get("/api/v1/live/cases?node_id=x").ErrorField(), "node_id");
}

INSTANTIATE_TEST_SUITE_P(Backends, ApiTest, ::testing::Values("sqlite", "postgres"),
                         [](const auto& info) { return info.param; });

}  // namespace
}  // namespace linli::testing
