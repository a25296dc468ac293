// The population registry over real HTTP on SQLite and PostgreSQL: masking and unmasking,
// scoping between grids, bad input, boundaries and the point → grid lookup, life events.
#include <gtest/gtest.h>

#include <atomic>
#include <set>

#include "api/api_fixture.h"
#include "cli/demo_population.h"
#include "domain/identity.h"

namespace linli::testing {
namespace {

namespace json = boost::json;

// Demo org nodes: 2 虹桥社区, 4 虹桥花园, 5 虹桥第一网格 (worker1), 6 第二网格 (worker2),
// 7 a micro-grid of 5, 10 新街第一网格 (worker.xinjie).

// A fresh valid ID number each call (born 1950 + n % 60, so most are elderly-aged or adults).
std::string NextIdNumber(int birth_year = 0) {
  static std::atomic<int> seq{100};
  int n = seq++;
  char first17[40];  // 17 characters; room for what the compiler cannot rule out
  std::snprintf(first17, sizeof first17, "320581%04d0615%03d", birth_year ? birth_year : 1950 + n % 60, n % 1000);
  return std::string(first17) + domain::IdCheckCharacter(first17);
}

std::string NextPhone() {
  static std::atomic<int> seq{10000000};
  return "139" + std::to_string(seq++);
}

std::string NextCode(const std::string& prefix) {
  static std::atomic<int> seq{1};
  return prefix + std::to_string(seq++);
}

std::int64_t Id(const HttpResult& r) { return r.Json().at("id").as_int64(); }

struct Place {
  std::int64_t building = 0;
  std::int64_t household = 0;
};

Place MakeHousehold(const HttpClient& c, std::int64_t node_id) {
  auto b = c.PostJson("/api/v1/buildings", R"({"node_id":)" + std::to_string(node_id) + R"(,"code":")" +
                                               NextCode("T") + R"(","name":"5栋","address":"虹桥路5号"})");
  EXPECT_EQ(b.status, 201) << b.body;
  auto h = c.PostJson("/api/v1/households", R"({"building_id":)" + std::to_string(Id(b)) +
                                                R"(,"unit":"1单元","room":")" + NextCode("") + R"("})");
  EXPECT_EQ(h.status, 201) << h.body;
  return {Id(b), Id(h)};
}

HttpResult AddResident(const HttpClient& c, std::int64_t household, const std::string& extra) {
  return c.PostJson("/api/v1/residents", R"({"household_id":)" + std::to_string(household) + "," + extra + "}");
}

TEST_P(ApiTest, ResidentsAreMaskedAndUnmaskingNeedsTheRightAndAnAuditedReason) {
  auto secretary = stack().As("secretary");
  auto worker1 = stack().As("worker1");
  auto place = MakeHousehold(worker1, 5);
  std::string id_number = NextIdNumber(1949), phone = NextPhone();
  auto r = AddResident(worker1, place.household,
                       R"("name":"王秀英","relation":"户主","id_number":")" + id_number + R"(","phone":")" + phone +
                           R"(","tags":["独居","残疾"],"disability_level":2)");
  ASSERT_EQ(r.status, 201) << r.body;
  auto id = std::to_string(Id(r));
  EXPECT_EQ(r.Json().at("id_number").as_string(), domain::MaskIdNumber(id_number));
  EXPECT_EQ(r.Json().at("phone").as_string(), domain::MaskPhone(phone));
  EXPECT_EQ(r.Json().at("sensitive_tags").as_string(), "masked");
  EXPECT_TRUE(r.Json().at("vulnerable").as_bool());
  EXPECT_EQ(r.body.find(id_number), std::string::npos);

  auto got = secretary.Get("/api/v1/residents/" + id);
  ASSERT_EQ(got.status, 200) << got.body;
  EXPECT_EQ(got.body.find(phone), std::string::npos);
  auto h = worker1.Get("/api/v1/households/" + std::to_string(place.household));
  ASSERT_EQ(h.status, 200);
  EXPECT_EQ(h.Json().at("members").as_array().size(), 1u);
  EXPECT_EQ(h.Json().at("head_id").as_int64(), Id(r));

  EXPECT_EQ(worker1.PostJson("/api/v1/residents/" + id + "/unmask", R"({"reason":"回访核实"})").status, 403)
      << "a grid worker may not unmask";
  auto no_reason = secretary.PostJson("/api/v1/residents/" + id + "/unmask", R"({"reason":"x"})");
  EXPECT_EQ(no_reason.status, 400);
  EXPECT_EQ(no_reason.ErrorField(), "reason");
  auto clear = secretary.PostJson("/api/v1/residents/" + id + "/unmask", R"({"reason":"供暖补贴电话回访"})");
  ASSERT_EQ(clear.status, 200) << clear.body;
  EXPECT_EQ(clear.Json().at("id_number").as_string(), id_number);
  EXPECT_EQ(clear.Json().at("phone").as_string(), phone);
  EXPECT_EQ(clear.Json().at("disability_level").as_int64(), 2);
  EXPECT_EQ(clear.Json().at("sensitive_tags").as_array().at(0).as_string(), "disabled");
  EXPECT_EQ(clear.headers["cache-control"], "no-store");

  auto audit = stack().As("auditor").Get("/api/v1/audit?action=resident.unmask&limit=50");
  ASSERT_EQ(audit.status, 200);
  EXPECT_NE(audit.body.find("供暖补贴电话回访"), std::string::npos) << "the reason is in the audit log";
  EXPECT_NE(stack().As("auditor").Get("/api/v1/audit?action=resident.read&limit=5").body.find("resident:" + id),
            std::string::npos) << "plain reads are audited too";

  // Exact lookup by phone goes through the blind index and answers masked.
  auto found = worker1.PostJson("/api/v1/residents/lookup", R"({"phone":")" + phone + R"("})");
  ASSERT_EQ(found.status, 200) << found.body;
  ASSERT_EQ(found.Json().at("items").as_array().size(), 1u);
  EXPECT_EQ(found.body.find(phone), std::string::npos);

  // Neither the server log nor any answer so far holds the number in the clear.
  std::string log = stack().server->Log();
  EXPECT_EQ(log.find(id_number), std::string::npos);
  EXPECT_EQ(log.find(phone), std::string::npos);
}

TEST_P(ApiTest, AGridWorkerCannotReadListCountOrFindAnotherGridsResidents) {
  auto worker1 = stack().As("worker1");
  auto worker2 = stack().As("worker2");
  auto place = MakeHousehold(worker2, 6);
  std::string id_number = NextIdNumber(), phone = NextPhone();
  auto r = AddResident(worker2, place.household, R"("name":"何二网格","relation":"head","id_number":")" + id_number +
                                                     R"(","phone":")" + phone + R"(","tags":["党员"])");
  ASSERT_EQ(r.status, 201) << r.body;
  auto id = std::to_string(Id(r));
  EXPECT_EQ(worker2.Get("/api/v1/residents/" + id).status, 200);

  for (const auto& who : {worker1, stack().As("worker.xinjie")}) {
    EXPECT_EQ(who.Get("/api/v1/residents/" + id).status, 404);
    EXPECT_EQ(who.Get("/api/v1/residents/" + id + "/history").status, 404);
    EXPECT_EQ(who.Get("/api/v1/households/" + std::to_string(place.household)).status, 404);
    EXPECT_EQ(who.Get("/api/v1/buildings/" + std::to_string(place.building)).status, 404);
    EXPECT_EQ(who.Json("PATCH", "/api/v1/residents/" + id, R"({"occupation":"x"})").status, 404);
    EXPECT_EQ(who.PostJson("/api/v1/residents/" + id + "/events", R"({"kind":"move_out"})").status, 404);
    EXPECT_EQ(who.Get("/api/v1/residents?node_id=6").status, 404) << "the other grid does not exist for them";
    EXPECT_EQ(who.Get("/api/v1/residents/count?node_id=6").status, 404);
    auto all = who.Get("/api/v1/residents?limit=500&q=" + std::string("%E4%BD%95%E4%BA%8C"));  // 何二
    ASSERT_EQ(all.status, 200);
    EXPECT_EQ(all.Json().at("items").as_array().size(), 0u) << all.body;
    auto tagged = who.Get("/api/v1/residents?tag=party_member&limit=500");
    EXPECT_EQ(tagged.body.find("何二网格"), std::string::npos);
    auto households = who.Get("/api/v1/households?limit=500");
    EXPECT_EQ(households.body.find("\"id\":" + std::to_string(place.household) + ","), std::string::npos);
    for (auto [field, value] : {std::pair{"id_number", id_number}, {"phone", phone}}) {
      auto l = who.PostJson("/api/v1/residents/lookup", "{\"" + std::string(field) + "\":\"" + value + "\"}");
      ASSERT_EQ(l.status, 200);
      EXPECT_EQ(l.Json().at("items").as_array().size(), 0u) << field;
    }
    EXPECT_EQ(who.PostJson("/api/v1/households", R"({"building_id":)" + std::to_string(place.building) + R"(,"room":"1"})")
                  .ErrorField(), "building_id");
  }
  // The community's secretary sees both grids.
  auto secretary = stack().As("secretary");
  EXPECT_EQ(secretary.Get("/api/v1/residents/" + id).status, 200);
  auto counts = secretary.Get("/api/v1/residents/count?node_id=6");
  ASSERT_EQ(counts.status, 200);
  EXPECT_GE(counts.Json().at("count").as_int64(), 1);
  // The three admins read no residents at all.
  EXPECT_EQ(stack().As("sysadmin").Get("/api/v1/residents/" + id).status, 404);
  EXPECT_EQ(stack().As("sysadmin").Get("/api/v1/residents").Json().at("items").as_array().size(), 0u);
}

TEST_P(ApiTest, BadResidentInputNamesTheFieldAndStoresNothing) {
  auto worker1 = stack().As("worker1");
  auto place = MakeHousehold(worker1, 5);
  std::string taken = NextIdNumber();
  ASSERT_EQ(AddResident(worker1, place.household, R"("name":"户主甲","relation":"head","id_number":")" + taken + "\"").status, 201);
  std::string bad_check = NextIdNumber();
  bad_check[17] = bad_check[17] == '1' ? '2' : '1';
  char feb30[18];
  std::snprintf(feb30, sizeof feb30, "32058119900230%03d", 7);
  std::string impossible = std::string(feb30) + domain::IdCheckCharacter(feb30);
  struct Case {
    std::string body;
    std::string field;
  };
  std::string h = std::to_string(place.household);
  std::vector<Case> cases = {
      {R"({"household_id":)" + h + R"(,"name":"甲","relation":"spouse","id_number":")" + bad_check + "\"}", "id_number"},
      {R"({"household_id":)" + h + R"(,"name":"甲","relation":"spouse","id_number":")" + impossible + "\"}", "id_number"},
      {R"({"household_id":)" + h + R"(,"name":"甲","relation":"spouse","id_number":")" + taken + "\"}", "id_number"},
      {R"({"household_id":)" + h + R"(,"name":"甲","gender":"F","birth_date":"2031-01-01"})", "birth_date"},
      {R"({"household_id":)" + h + R"(,"name":"甲","gender":"F","birth_date":"1990-13-01"})", "birth_date"},
      {R"({"household_id":)" + h + R"(,"name":"甲","gender":"X","birth_date":"1990-01-01"})", "gender"},
      {R"({"household_id":)" + h + R"(,"name":"甲","gender":"F","birth_date":"1990-01-01","phone":"12345"})", "phone"},
      {R"({"household_id":)" + h + R"(,"name":"甲","gender":"F","birth_date":"1990-01-01","relation":"boss"})", "relation"},
      {R"({"household_id":)" + h + R"(,"name":"甲","gender":"F","birth_date":"1990-01-01","relation":"户主"})", "relation"},
      {R"({"household_id":)" + h + R"(,"name":"甲","gender":"F","birth_date":"1990-01-01","tags":["老年人"]})", "tags"},
      {R"({"household_id":)" + h + R"(,"name":"甲","gender":"F","birth_date":"1990-01-01","tags":"党员"})", "tags"},
      {R"({"household_id":)" + h + R"(,"name":"甲","gender":"F","birth_date":"1990-01-01","disability_level":3})", "disability_level"},
      {R"({"household_id":)" + h + R"(,"name":"甲","gender":"F","birth_date":"1990-01-01","residence_type":"tourist"})", "residence_type"},
      {R"({"household_id":)" + h + R"(,"name":")" + std::string(300, 'a') + R"(","gender":"F","birth_date":"1990-01-01"})", "name"},
      {R"({"household_id":)" + h + R"(,"name":"a\u0000b","gender":"F","birth_date":"1990-01-01"})", "name"},
      {R"({"household_id":99999999,"name":"甲","gender":"F","birth_date":"1990-01-01"})", "household_id"},
      {R"({"name":"甲","gender":"F","birth_date":"1990-01-01"})", "household_id"},
      {R"({"household_id":)" + h + R"(,"gender":"F","birth_date":"1990-01-01"})", "name"},
      {R"({"household_id":)" + h + R"(,"name":"甲","gender":"F","birth_date":"1990-01-01","password":"x"})", "password"},
      {R"({"household_id":"five","name":"甲"})", "household_id"},
      {R"([1,2])", "body"},
  };
  auto before = worker1.Get("/api/v1/residents/count?node_id=5").Json().at("count").as_int64();
  for (const auto& c : cases) {
    auto r = worker1.PostJson("/api/v1/residents", c.body);
    EXPECT_EQ(r.status / 100, 4) << c.body << " -> " << r.body;
    EXPECT_EQ(r.ErrorField(), c.field) << c.body << " -> " << r.body;
  }
  EXPECT_EQ(worker1.Get("/api/v1/residents/count?node_id=5").Json().at("count").as_int64(), before);
  // Households and buildings too.
  EXPECT_EQ(worker1.PostJson("/api/v1/households", R"({"building_id":)" + std::to_string(place.building) + R"(,"room":""})").ErrorField(), "room");
  EXPECT_EQ(worker1.PostJson("/api/v1/buildings", R"({"node_id":5,"code":"a b","name":"x"})").ErrorField(), "code");
  EXPECT_EQ(worker1.PostJson("/api/v1/buildings", R"({"code":"ZZ1","name":"x"})").ErrorField(), "node_id");
  EXPECT_EQ(worker1.PostJson("/api/v1/buildings", R"({"code":"ZZ1","name":"x","lon":500,"lat":31})").ErrorField(), "lon");
  EXPECT_EQ(worker1.PostJson("/api/v1/buildings", R"({"node_id":5,"code":"ZZ1","name":"x","floors":-1})").ErrorField(), "floors");
  // Query filters are checked too.
  EXPECT_EQ(worker1.Get("/api/v1/residents?age_min=abc").ErrorField(), "age_min");
  EXPECT_EQ(worker1.Get("/api/v1/residents?tag=nonsense%20tag").ErrorField(), "tag");
  EXPECT_EQ(worker1.Get("/api/v1/residents?residence_type=x").ErrorField(), "residence_type");
  EXPECT_EQ(worker1.Get("/api/v1/residents?limit=100000").ErrorField(), "limit");
}

TEST_P(ApiTest, FiltersByTagAgeAndNameAndFlagsLikelyDuplicates) {
  auto worker1 = stack().As("worker1");
  auto place = MakeHousehold(worker1, 7);  // a micro-grid under worker1's grid
  auto head = AddResident(worker1, place.household, R"("name":"筛选老人","relation":"head","gender":"M","birth_date":"1940-05-01","tags":["党员"])");
  ASSERT_EQ(head.status, 201) << head.body;
  auto kid = AddResident(worker1, place.household, R"("name":"筛选孩子","relation":"child","gender":"F","birth_date":"2015-05-01")");
  ASSERT_EQ(kid.status, 201) << kid.body;
  EXPECT_TRUE(kid.Json().at("duplicate_of").is_null());
  auto kid2 = AddResident(worker1, place.household, R"("name":"筛选孩子","relation":"child","gender":"F","birth_date":"2015-05-01")");
  ASSERT_EQ(kid2.status, 201) << kid2.body;
  EXPECT_FALSE(kid2.Json().at("duplicate_of").is_null()) << "same name and birth date in one household";
  auto q = [&](const std::string& query) {
    auto r = worker1.Get("/api/v1/residents?node_id=7&limit=500&" + query);
    EXPECT_EQ(r.status, 200) << r.body;
    std::vector<std::string> names;
    auto body = r.Json();  // kept: a range-for over a temporary's member would dangle
    for (const auto& v : body.at("items").as_array()) names.emplace_back(v.at("name").as_string());
    return names;
  };
  EXPECT_EQ(q("tag=elderly&q=%E7%AD%9B%E9%80%89"), std::vector<std::string>{"筛选老人"});
  EXPECT_EQ(q("tag=party_member&q=%E7%AD%9B%E9%80%89"), std::vector<std::string>{"筛选老人"});
  EXPECT_EQ(q("tag=child&q=%E7%AD%9B%E9%80%89").size(), 2u);
  EXPECT_EQ(q("age_max=17&q=%E7%AD%9B%E9%80%89").size(), 2u);
  EXPECT_EQ(q("age_min=80&age_max=90&q=%E7%AD%9B%E9%80%89"), std::vector<std::string>{"筛选老人"});
  EXPECT_EQ(q("duplicates=true").size(), 1u);
  EXPECT_EQ(q("not_visited_days=30&q=%E7%AD%9B%E9%80%89").size(), 3u);
  // Keyset pagination walks every row exactly once.
  auto first = worker1.Get("/api/v1/residents?node_id=7&limit=2");
  ASSERT_FALSE(first.Json().at("next_after").is_null());
  auto next = worker1.Get("/api/v1/residents?node_id=7&limit=2&after=" +
                          std::to_string(first.Json().at("next_after").as_int64()));
  EXPECT_EQ(next.Json().at("items").as_array().at(0).at("name").as_string(), "筛选孩子");
}

TEST_P(ApiTest, LifeEventsKeepHistoryAndCountsFollow) {
  auto worker1 = stack().As("worker1");
  auto place = MakeHousehold(worker1, 5);
  auto counts = [&](std::int64_t node) {
    return stack().As("secretary").Get("/api/v1/org/nodes/" + std::to_string(node) + "/counts").Json();
  };
  auto before = counts(2);
  auto r = AddResident(worker1, place.household, R"("name":"迁出者","relation":"head","gender":"M","birth_date":"1980-02-02")");
  ASSERT_EQ(r.status, 201);
  auto id = std::to_string(Id(r));
  EXPECT_EQ(counts(2).at("residents").as_int64(), before.at("residents").as_int64() + 1);
  EXPECT_EQ(counts(5).at("residents").as_int64(), counts(5).at("residents").as_int64());

  auto stale = worker1.Json("PATCH", "/api/v1/residents/" + id, R"({"phone":"13700001111","version":99})");
  EXPECT_EQ(stale.status, 409);
  auto patched = worker1.Json("PATCH", "/api/v1/residents/" + id, R"({"phone":"13700001111","occupation":"司机","version":1})");
  ASSERT_EQ(patched.status, 200) << patched.body;
  EXPECT_EQ(patched.Json().at("phone").as_string(), "137****1111");
  EXPECT_EQ(patched.Json().at("occupation").as_string(), "司机");

  EXPECT_EQ(worker1.PostJson("/api/v1/residents/" + id + "/events", R"({"kind":"teleport"})").ErrorField(), "kind");
  auto out = worker1.PostJson("/api/v1/residents/" + id + "/events", R"({"kind":"move_out","note":"搬去苏州女儿家"})");
  ASSERT_EQ(out.status, 200) << out.body;
  EXPECT_EQ(out.Json().at("status").as_string(), "moved_out");
  EXPECT_EQ(worker1.PostJson("/api/v1/residents/" + id + "/events", R"({"kind":"death"})").status, 409);
  EXPECT_EQ(counts(2).at("residents").as_int64(), before.at("residents").as_int64());
  auto history = worker1.Get("/api/v1/residents/" + id + "/history");
  ASSERT_EQ(history.status, 200);
  auto items = history.Json().at("items").as_array();
  ASSERT_EQ(items.size(), 3u);
  EXPECT_EQ(items[0].at("kind").as_string(), "register");
  EXPECT_EQ(items[1].at("kind").as_string(), "update");
  EXPECT_NE(json::serialize(items[1].at("detail")).find("phone"), std::string::npos);
  EXPECT_EQ(history.body.find("13700001111"), std::string::npos);
  EXPECT_EQ(items[2].at("kind").as_string(), "move_out");
  EXPECT_EQ(history.body.find("苏州"), std::string::npos) << "the note is kept encrypted";
  // The household lost its head and its member.
  auto h = worker1.Get("/api/v1/households/" + std::to_string(place.household)).Json();
  EXPECT_TRUE(h.at("head_id").is_null());
  EXPECT_EQ(h.at("members_count").as_int64(), 0);
  // The moved-out resident no longer blocks nothing, and is listed with status=moved_out.
  auto gone = worker1.Get("/api/v1/residents?node_id=5&status=moved_out&limit=500");
  EXPECT_NE(gone.body.find("迁出者"), std::string::npos);
}

// A boundary the way the demo draws its grids.
std::string Square(double x0, double y0, double x1, double y1) { return cli::RectangleGeoJson(x0, y0, x1, y1); }

TEST_P(ApiTest, BoundariesAreCheckedAndLocatePointsToTheirGrid) {
  auto admin = stack().As("sysadmin");
  auto put = [&](int node, const std::string& geojson) {
    return admin.Send("PUT", "/api/v1/org/nodes/" + std::to_string(node) + "/boundary", geojson,
                      {{"Content-Type", "application/geo+json"}});
  };
  ASSERT_EQ(put(2, Square(120.70, 31.60, 120.80, 31.70)).status, 200);
  ASSERT_EQ(put(4, Square(120.70, 31.60, 120.76, 31.70)).status, 200);
  ASSERT_EQ(put(5, Square(120.70, 31.60, 120.73, 31.70)).status, 200);
  auto overlap = put(6, Square(120.72, 31.60, 120.76, 31.70));
  EXPECT_EQ(overlap.status, 400);
  EXPECT_EQ(overlap.ErrorField(), "boundary");
  EXPECT_NE(overlap.body.find("node 5"), std::string::npos) << overlap.body;
  auto outside = put(6, Square(120.75, 31.60, 120.79, 31.70));
  EXPECT_EQ(outside.status, 400);
  EXPECT_NE(outside.body.find("outside its parent node 4"), std::string::npos) << outside.body;
  auto bowtie = put(6, R"({"type":"Polygon","coordinates":[[[120.73,31.6],[120.76,31.7],[120.76,31.6],[120.73,31.7],[120.73,31.6]]]})");
  EXPECT_EQ(bowtie.ErrorField(), "boundary");
  EXPECT_NE(bowtie.body.find("self-intersection"), std::string::npos);
  EXPECT_EQ(put(6, "{nope").ErrorField(), "boundary");
  ASSERT_EQ(put(6, Square(120.73, 31.60, 120.76, 31.70)).status, 200);
  EXPECT_EQ(stack().As("worker1").Send("PUT", "/api/v1/org/nodes/5/boundary", Square(120.70, 31.60, 120.73, 31.70),
                                       {{"Content-Type", "application/json"}}).status, 403);

  auto worker1 = stack().As("worker1");
  auto hit = worker1.Get("/api/v1/geo/locate?lon=120.71&lat=31.65");
  ASSERT_EQ(hit.status, 200) << hit.body;
  EXPECT_EQ(hit.Json().at("node").at("id").as_int64(), 5);
  EXPECT_EQ(worker1.Get("/api/v1/geo/locate?lon=121.5&lat=31.65").status, 404);
  EXPECT_EQ(worker1.Get("/api/v1/geo/locate?lon=abc&lat=31").ErrorField(), "lon");
  EXPECT_EQ(worker1.Get("/api/v1/geo/locate?lon=120&lat=95").ErrorField(), "lat");
  // A building given only its location lands in the grid around it.
  auto b = worker1.PostJson("/api/v1/buildings", R"({"code":")" + NextCode("GEO") + R"(","name":"9栋","lon":120.715,"lat":31.65})");
  ASSERT_EQ(b.status, 201) << b.body;
  EXPECT_EQ(b.Json().at("node_id").as_int64(), 5);
  auto got = worker1.Get("/api/v1/org/nodes/5/boundary");
  EXPECT_EQ(got.status, 200);
  EXPECT_NE(got.body.find("Polygon"), std::string::npos);
}

TEST_P(ApiTest, TheGridTeamRosterAnswersWhoIsResponsibleAtEachLevel) {
  auto secretary = stack().As("secretary");
  auto place = MakeHousehold(secretary, 7);
  auto user_id = [&](const std::string& name) {
    auto list = stack().As("sysadmin").Get("/api/v1/users?limit=200").Json();
    for (const auto& u : list.at("items").as_array()) {
      if (u.at("username").as_string() == name) return u.at("id").as_int64();
    }
    return std::int64_t{0};
  };
  auto add = [&](const std::string& body) { return secretary.PostJson("/api/v1/staff", body); };
  ASSERT_EQ(add(R"({"user_id":)" + std::to_string(user_id("worker1")) + R"(,"node_id":5,"position":"专职网格员"})").status, 201);
  ASSERT_EQ(add(R"({"user_id":)" + std::to_string(user_id("leader1")) + R"(,"node_id":5,"position":"grid_leader"})").status, 201);
  ASSERT_EQ(add(R"({"user_id":)" + std::to_string(user_id("secretary")) + R"(,"node_id":2,"position":"general_grid_leader"})").status, 201);
  auto head = add(R"({"user_id":)" + std::to_string(user_id("micro1")) + R"(,"building_id":)" +
                  std::to_string(place.building) + R"(,"position":"楼栋长"})");
  ASSERT_EQ(head.status, 201) << head.body;
  EXPECT_EQ(head.Json().at("node_id").as_int64(), 7) << "a building head sits at the building's node";
  EXPECT_EQ(add(R"({"user_id":1,"node_id":5,"position":"boss"})").ErrorField(), "position");
  EXPECT_EQ(add(R"({"user_id":1,"node_id":5,"position":"building_head"})").ErrorField(), "building_id");
  EXPECT_EQ(add(R"({"user_id":999999,"node_id":5,"position":"grid_leader"})").ErrorField(), "user_id");
  EXPECT_EQ(add(R"({"user_id":1,"position":"grid_leader"})").ErrorField(), "node_id");
  EXPECT_EQ(stack().As("worker1").PostJson("/api/v1/staff", R"({"user_id":1,"node_id":5,"position":"grid_leader"})").status, 403);

  auto resp = stack().As("worker1").Get("/api/v1/responsible?household_id=" + std::to_string(place.household));
  ASSERT_EQ(resp.status, 200) << resp.body;
  auto j = resp.Json();
  EXPECT_EQ(j.at("building_heads").as_array().at(0).at("username").as_string(), "micro1");
  auto chain = j.at("chain").as_array();
  ASSERT_GE(chain.size(), 4u);
  EXPECT_EQ(chain[0].at("node").at("id").as_int64(), 7);
  EXPECT_EQ(chain[1].at("node").at("id").as_int64(), 5);
  std::string grid_staff = json::serialize(chain[1].at("staff"));
  EXPECT_NE(grid_staff.find("worker1"), std::string::npos);
  EXPECT_NE(grid_staff.find("leader1"), std::string::npos);
  bool community_leader = false;
  for (const auto& level : chain) {
    if (level.at("node").at("id").as_int64() == 2) {
      community_leader = json::serialize(level.at("staff")).find("general_grid_leader") != std::string::npos;
    }
  }
  EXPECT_TRUE(community_leader);
  EXPECT_EQ(stack().As("worker2").Get("/api/v1/responsible?household_id=" + std::to_string(place.household)).status, 404);
  EXPECT_EQ(stack().As("worker1").Get("/api/v1/responsible").ErrorField(), "building_id");
  auto listed = secretary.Get("/api/v1/staff?node_id=5").Json().at("items").as_array();
  EXPECT_GE(listed.size(), 3u);
  auto head_id = std::to_string(Id(head));
  EXPECT_EQ(stack().As("worker1").PostJson("/api/v1/staff/" + head_id + "/end", "").status, 403);
  EXPECT_EQ(stack().As("worker.xinjie").PostJson("/api/v1/staff/" + head_id + "/end", "").status, 404);
  auto ended = secretary.PostJson("/api/v1/staff/" + head_id + "/end", "");
  ASSERT_EQ(ended.status, 200) << ended.body;
  EXPECT_FALSE(ended.Json().at("ended_at").is_null());
  EXPECT_EQ(secretary.PostJson("/api/v1/staff/" + head_id + "/end", "").status, 409);
  auto after_end = stack().As("worker1").Get("/api/v1/responsible?household_id=" + std::to_string(place.household)).Json();
  EXPECT_TRUE(after_end.at("building_heads").as_array().empty()) << "an ended position no longer answers";
}

TEST_P(ApiTest, SweepsAndVisitsTrackProgressAndTheOverdueVulnerableList) {
  auto worker1 = stack().As("worker1");
  auto place = MakeHousehold(worker1, 5);
  auto alone = AddResident(worker1, place.household,
                           R"("name":"待走访独居老人","relation":"head","gender":"F","birth_date":"1938-03-03","tags":["独居"])");
  ASSERT_EQ(alone.status, 201) << alone.body;
  auto in_overdue = [&] {
    auto r = worker1.Get("/api/v1/visits/overdue?node_id=5&days=30&limit=500");
    EXPECT_EQ(r.status, 200) << r.body;
    return r.body.find("待走访独居老人") != std::string::npos;
  };
  EXPECT_TRUE(in_overdue());
  auto sweep = worker1.PostJson("/api/v1/sweeps", R"({"node_id":5,"title":"2026年冬季扫楼清查"})");
  ASSERT_EQ(sweep.status, 201) << sweep.body;
  auto sweep_id = std::to_string(Id(sweep));
  EXPECT_GE(sweep.Json().at("households").as_int64(), 1);
  auto visit = [&](const std::string& body) { return worker1.PostJson("/api/v1/visits", body); };
  std::string h = std::to_string(place.household);
  EXPECT_EQ(visit(R"({"household_id":)" + h + R"(,"outcome":"changed"})").ErrorField(), "changes");
  EXPECT_EQ(visit(R"({"household_id":)" + h + R"(,"outcome":"party"})").ErrorField(), "outcome");
  EXPECT_EQ(visit(R"({"household_id":)" + h + R"(,"outcome":"verified","visited_at":9999999999999})").ErrorField(), "visited_at");
  EXPECT_EQ(visit(R"({"household_id":99999999,"outcome":"verified"})").ErrorField(), "household_id");
  EXPECT_EQ(stack().As("worker2").PostJson("/api/v1/visits", R"({"household_id":)" + h + R"(,"outcome":"verified"})").ErrorField(),
            "household_id") << "another grid's household does not exist for worker2";
  auto nobody = visit(R"({"household_id":)" + h + R"(,"sweep_id":)" + sweep_id + R"(,"outcome":"nobody_home"})");
  ASSERT_EQ(nobody.status, 201) << nobody.body;
  EXPECT_TRUE(in_overdue()) << "nobody home does not count as seen";
  // A change found at the door is applied to the record, with the same checks as an edit; a bad
  // change refuses the whole visit.
  std::string alone_id = std::to_string(Id(alone));
  auto visits_recorded = [&] { return worker1.Get("/api/v1/visits?household_id=" + h).Json().at("items").as_array().size(); };
  auto recorded_before = visits_recorded();
  auto changed = [&](const std::string& changes) {
    return visit(R"({"household_id":)" + h + R"(,"sweep_id":)" + sweep_id + R"(,"outcome":"changed","changes":)" +
                 changes + R"(,"notes":"老人腿脚不便，需要助餐"})");
  };
  EXPECT_EQ(changed(R"({"phone":"13912345678"})").ErrorField(), "phone") << "changes name residents";
  EXPECT_EQ(changed(R"({"residents":[]})").ErrorField(), "changes.residents");
  EXPECT_EQ(changed(R"({"residents":[{"phone":"13912345678"}]})").ErrorField(), "changes.residents[0].id");
  EXPECT_EQ(changed(R"({"residents":[{"id":)" + alone_id + R"(,"phone":"1391234"}]})").ErrorField(),
            "changes.residents[0].phone");
  EXPECT_EQ(changed(R"({"residents":[{"id":)" + alone_id + R"(,"colour":"red"}]})").ErrorField(),
            "changes.residents[0].colour");
  auto elsewhere = MakeHousehold(worker1, 5);
  auto stranger = AddResident(worker1, elsewhere.household, R"("name":"别家人","relation":"head","gender":"M","birth_date":"1980-01-01")");
  EXPECT_EQ(changed(R"({"residents":[{"id":)" + alone_id + R"(,"tags":["独居","低保"]},{"id":)" +
                    std::to_string(Id(stranger)) + R"(,"phone":"13912345678"}]})").ErrorField(),
            "changes.residents[1].id") << "only the visited household's members";
  EXPECT_EQ(visits_recorded(), recorded_before) << "refused visits leave nothing behind";
  EXPECT_EQ(worker1.Get("/api/v1/residents/" + alone_id).Json().at("tags").as_array().size(), 2u)
      << "the first change of a refused visit was rolled back";
  auto seen = changed(R"({"residents":[{"id":)" + alone_id + R"(,"phone":"13912345678","tags":["独居","低保"]}]})");
  ASSERT_EQ(seen.status, 201) << seen.body;
  EXPECT_FALSE(in_overdue());
  auto updated = worker1.Get("/api/v1/residents/" + alone_id).Json();
  EXPECT_EQ(updated.at("phone").as_string(), "139****5678");
  EXPECT_NE(json::serialize(updated.at("tags")).find("low_income"), std::string::npos);
  auto history = worker1.Get("/api/v1/residents/" + alone_id + "/history");
  EXPECT_NE(history.body.find("visit:" + std::to_string(Id(seen))), std::string::npos) << history.body;
  auto progress = worker1.Get("/api/v1/sweeps/" + sweep_id).Json();
  EXPECT_EQ(progress.at("visited").as_int64(), 1) << "a second visit to the same household counts once";
  EXPECT_NE(json::serialize(progress.at("by_visitor")).find("\"visited\":1"), std::string::npos);
  auto pending = worker1.Get("/api/v1/sweeps/" + sweep_id + "/households?pending=true&limit=500").body;
  EXPECT_EQ(pending.find("\"household_id\":" + h + ","), std::string::npos);
  auto visits = worker1.Get("/api/v1/visits?household_id=" + h);
  ASSERT_EQ(visits.status, 200);
  EXPECT_NE(visits.body.find("助餐"), std::string::npos);
  EXPECT_EQ(stack().As("worker2").Get("/api/v1/sweeps/" + sweep_id).status, 404);
  EXPECT_EQ(stack().As("worker2").Get("/api/v1/visits?household_id=" + h).Json().at("items").as_array().size(), 0u);
  EXPECT_EQ(worker1.Get("/api/v1/visits?sweep_id=abc").ErrorField(), "sweep_id");
  EXPECT_EQ(worker1.Get("/api/v1/visits?sweep_id=" + sweep_id).Json().at("items").as_array().size(), 2u)
      << "the nobody-home and the changed visit of this sweep";
  EXPECT_EQ(worker1.PostJson("/api/v1/sweeps", R"({"node_id":6,"title":"x"})").ErrorField(), "node_id");
  EXPECT_EQ(worker1.PostJson("/api/v1/sweeps", R"({"node_id":5,"title":""})").ErrorField(), "title");
}

TEST_P(ApiTest, SplitMergeAndMoveCarryRecordsCountsAndHistory) {
  auto own = NewStack(GetParam());
  auto admin = own->As("sysadmin");
  auto official = own->As("official");
  auto xinjie = own->As("worker.xinjie");
  auto put = [&](std::int64_t node, const std::string& geojson) {
    return admin.Send("PUT", "/api/v1/org/nodes/" + std::to_string(node) + "/boundary", geojson,
                      {{"Content-Type", "application/geo+json"}});
  };
  ASSERT_EQ(put(3, Square(120.80, 31.60, 120.90, 31.70)).status, 200);
  ASSERT_EQ(put(10, Square(120.80, 31.60, 120.84, 31.70)).status, 200);
  auto building = [&](const HttpClient& c, int node, const std::string& where) {
    auto b = c.PostJson("/api/v1/buildings", R"({"node_id":)" + std::to_string(node) + R"(,"code":")" + NextCode("S") +
                                                 R"(","name":"楼")" + where + "}");
    EXPECT_EQ(b.status, 201) << b.body;
    auto h = c.PostJson("/api/v1/households", R"({"building_id":)" + std::to_string(Id(b)) + R"(,"room":"101"})");
    auto r = AddResident(c, Id(h), R"("name":"随楼走","relation":"head","gender":"M","birth_date":"1970-01-01")");
    EXPECT_EQ(r.status, 201) << r.body;
    return std::make_pair(Id(b), Id(r));
  };
  auto [west, west_resident] = building(xinjie, 10, R"(,"lon":120.805,"lat":31.65)");
  auto [east, east_resident] = building(xinjie, 10, R"(,"lon":120.835,"lat":31.65)");
  auto [nowhere, nowhere_resident] = building(xinjie, 10, "");
  (void)east_resident;
  (void)nowhere;
  auto counts = [&](std::int64_t node) {
    auto r = official.Get("/api/v1/org/nodes/" + std::to_string(node) + "/counts");
    EXPECT_EQ(r.status, 200) << r.body;
    return r.Json().at("residents").as_int64();
  };
  EXPECT_EQ(counts(10), 3);

  auto split_body = [&](const std::string& a, const std::string& b) {
    return R"({"micro_grids":[{"code":"320581001002001101","name":"西片","boundary":)" + a +
           R"(},{"code":"320581001002001102","name":"东片","boundary":)" + b + "}]}";
  };
  auto overlapping = admin.PostJson("/api/v1/org/nodes/10/split",
                                    split_body(Square(120.80, 31.60, 120.83, 31.70), Square(120.82, 31.60, 120.84, 31.70)));
  EXPECT_EQ(overlapping.ErrorField(), "micro_grids[1].boundary");
  auto outside = admin.PostJson("/api/v1/org/nodes/10/split",
                                split_body(Square(120.80, 31.60, 120.82, 31.70), Square(120.82, 31.60, 120.86, 31.70)));
  EXPECT_EQ(outside.ErrorField(), "micro_grids[1].boundary");
  EXPECT_EQ(admin.PostJson("/api/v1/org/nodes/10/split", R"({"micro_grids":"x"})").ErrorField(), "micro_grids");
  EXPECT_EQ(xinjie.PostJson("/api/v1/org/nodes/10/split",
                            split_body(Square(120.80, 31.60, 120.82, 31.70), Square(120.82, 31.60, 120.84, 31.70))).status, 403);
  auto cockpit_children = [&](std::int64_t node) {
    auto c = official.Get("/api/v1/cockpit/nodes/" + std::to_string(node));
    EXPECT_EQ(c.status, 200) << c.body;
    return c.Json().at("children").as_array().size();
  };
  EXPECT_EQ(cockpit_children(10), 1u) << "the demo's micro-grid";
  auto split = admin.PostJson("/api/v1/org/nodes/10/split",
                              split_body(Square(120.80, 31.60, 120.82, 31.70), Square(120.82, 31.60, 120.84, 31.70)));
  ASSERT_EQ(split.status, 201) << split.body;
  EXPECT_EQ(split.Json().at("buildings_moved").as_int64(), 2);
  EXPECT_EQ(split.Json().at("buildings_unplaced").as_int64(), 1);
  auto west_micro = split.Json().at("micro_grids").at(0).at("id").as_int64();
  EXPECT_EQ(xinjie.Get("/api/v1/buildings/" + std::to_string(west)).Json().at("node_id").as_int64(), west_micro);
  EXPECT_EQ(xinjie.Get("/api/v1/residents/" + std::to_string(west_resident)).Json().at("node_id").as_int64(), west_micro);
  EXPECT_EQ(counts(west_micro), 1);
  EXPECT_EQ(counts(10), 3) << "the grid's total is unchanged";
  EXPECT_EQ(cockpit_children(10), 3u) << "the cockpit shows the new micro-grids at once";
  auto located = xinjie.Get("/api/v1/geo/locate?lon=120.805&lat=31.65");
  EXPECT_EQ(located.Json().at("node").at("id").as_int64(), west_micro);
  // The filter by micro-grid finds the resident that moved with its building.
  auto in_micro = xinjie.Get("/api/v1/residents?node_id=" + std::to_string(west_micro)).Json().at("items").as_array();
  ASSERT_EQ(in_micro.size(), 1u);
  EXPECT_EQ(in_micro[0].at("id").as_int64(), west_resident);

  // A new grid in 新街 takes over grid 10 by merging: micro-grids, buildings and people follow.
  auto other = admin.PostJson("/api/v1/org/nodes", R"({"parent_id":3,"type":"grid","code":"320581001002002","name":"新街第二网格"})");
  ASSERT_EQ(other.status, 201) << other.body;
  auto other_id = Id(other);
  ASSERT_EQ(put(other_id, Square(120.84, 31.60, 120.88, 31.70)).status, 200);
  // Its own micro-grid 101 means the incoming 101 is renumbered to the first free number.
  ASSERT_EQ(admin.PostJson("/api/v1/org/nodes", R"({"parent_id":)" + std::to_string(other_id) +
                                                    R"(,"type":"micro_grid","code":"320581001002002101","name":"原有"})").status, 201);
  EXPECT_EQ(admin.PostJson("/api/v1/org/nodes/" + std::to_string(other_id) + "/merge", R"({"from_id":2})").ErrorField(), "from_id");
  auto merged = admin.PostJson("/api/v1/org/nodes/" + std::to_string(other_id) + "/merge", R"({"from_id":10})");
  ASSERT_EQ(merged.status, 200) << merged.body;
  EXPECT_EQ(counts(other_id), 3);
  EXPECT_TRUE(official.Get("/api/v1/org/nodes/10").Json().at("archived").as_bool());
  auto moved = official.Get("/api/v1/residents/" + std::to_string(nowhere_resident)).Json();
  EXPECT_EQ(moved.at("node_id").as_int64(), other_id) << "records held at the grid itself follow";
  auto micro_now = official.Get("/api/v1/org/nodes/" + std::to_string(west_micro)).Json();
  EXPECT_EQ(micro_now.at("parent_id").as_int64(), other_id);
  EXPECT_EQ(official.Get("/api/v1/org/nodes/11").Json().at("code").as_string(), "320581001002002001")
      << "grid 10's own micro-grid 001 keeps its number";
  EXPECT_EQ(micro_now.at("code").as_string(), "320581001002002002") << "101 was taken: the first free number";
  auto east_micro = std::to_string(split.Json().at("micro_grids").at(1).at("id").as_int64());
  EXPECT_EQ(official.Get("/api/v1/org/nodes/" + east_micro).Json().at("code").as_string(), "320581001002002102")
      << "102 keeps its number under the new grid";
  EXPECT_NE(std::string(micro_now.at("path").as_string()).find("/" + std::to_string(other_id) + "/"), std::string::npos);
  EXPECT_EQ(official.Get("/api/v1/geo/locate?lon=120.83&lat=31.65").Json().at("node").at("id").as_int64(),
            split.Json().at("micro_grids").at(1).at("id").as_int64());
  auto united = official.Get("/api/v1/geo/locate?lon=120.845&lat=31.65").Json();
  EXPECT_EQ(united.at("node").at("id").as_int64(), other_id);
  auto history10 = official.Get("/api/v1/org/nodes/10/history").body;
  EXPECT_NE(history10.find("\"split\""), std::string::npos);
  EXPECT_NE(history10.find("\"merged_into\""), std::string::npos);

  // Moving a compound to another community moves its people and the counts of both communities.
  auto worker1 = own->As("worker1");
  auto [b5, r5] = building(worker1, 5, "");
  (void)b5;
  auto before2 = counts(2), before3 = counts(3);
  EXPECT_EQ(admin.PostJson("/api/v1/org/nodes/4/move", R"({"parent_id":3,"code":"320581001001101"})").ErrorField(), "code")
      << "a code that is not under the new parent";
  EXPECT_EQ(admin.PostJson("/api/v1/org/nodes/4/move", R"({"parent_id":3,"code":"320581001002002"})").status, 409)
      << "a code another node holds";
  EXPECT_EQ(admin.PostJson("/api/v1/org/nodes/4/move", R"({"parent_id":3,"code":5})").ErrorField(), "code");
  EXPECT_EQ(admin.PostJson("/api/v1/org/nodes/4/move", R"({"parent_id":3,"code":"32058100100x"})").ErrorField(), "code");
  auto move = admin.PostJson("/api/v1/org/nodes/4/move", R"({"parent_id":3})");
  ASSERT_EQ(move.status, 200) << move.body;
  EXPECT_EQ(move.Json().at("code").as_string(), "320581001002101") << "the compound keeps its number under 新街";
  EXPECT_EQ(official.Get("/api/v1/org/nodes/5").Json().at("code").as_string(), "320581001002101001")
      << "and its grids are renumbered with it";
  EXPECT_EQ(counts(2), before2 - 1);
  EXPECT_EQ(counts(3), before3 + 1);
  EXPECT_EQ(worker1.Get("/api/v1/residents/" + std::to_string(r5)).status, 200) << "the grid worker still reaches them";
  EXPECT_NE(official.Get("/api/v1/org/nodes/4/history").body.find("\"move\""), std::string::npos);
}

TEST_P(ApiTest, CustomTagsComeFromTheCommunitysOwnVocabulary) {
  auto worker1 = stack().As("worker1");
  auto secretary = stack().As("secretary");
  auto vocabulary = worker1.Get("/api/v1/org/nodes/5/tags");
  ASSERT_EQ(vocabulary.status, 200) << vocabulary.body;
  EXPECT_NE(vocabulary.body.find("\"living_alone\""), std::string::npos);
  EXPECT_NE(vocabulary.body.find("志愿者"), std::string::npos) << "the subdistrict's tag applies in every grid";
  EXPECT_NE(vocabulary.body.find("新就业群体"), std::string::npos) << "虹桥社区's own tag";
  EXPECT_EQ(stack().As("worker.xinjie").Get("/api/v1/org/nodes/10/tags").body.find("新就业群体"), std::string::npos)
      << "another community's tag does not apply in 新街";
  auto place = MakeHousehold(worker1, 5);
  auto tagged = [&](const std::string& tags) {
    return AddResident(worker1, place.household, R"("name":"标签测试","relation":"child","gender":"M","birth_date":"1995-05-05","tags":)" + tags);
  };
  EXPECT_EQ(tagged(R"(["新就业群体","志愿者"])").status, 201);
  EXPECT_EQ(tagged(R"(["外卖骑手"])").ErrorField(), "tags") << "not in the vocabulary yet";
  // Defining a tag: the community (tag.write), not a grid worker; communities and the subdistrict only.
  EXPECT_EQ(worker1.PostJson("/api/v1/org/nodes/2/tags", R"({"label":"外卖骑手"})").status, 404);
  EXPECT_EQ(secretary.PostJson("/api/v1/org/nodes/5/tags", R"({"label":"外卖骑手"})").ErrorField(), "node_id");
  EXPECT_EQ(secretary.PostJson("/api/v1/org/nodes/2/tags", R"({"label":"独居"})").ErrorField(), "label");
  EXPECT_EQ(secretary.PostJson("/api/v1/org/nodes/2/tags", R"({"label":""})").ErrorField(), "label");
  EXPECT_EQ(secretary.PostJson("/api/v1/org/nodes/2/tags", R"({"label":")" + std::string(30, 'x') + R"("})").ErrorField(), "label");
  EXPECT_EQ(secretary.PostJson("/api/v1/org/nodes/2/tags", R"({"label":"a b"})").ErrorField(), "label");
  EXPECT_EQ(secretary.PostJson("/api/v1/org/nodes/2/tags", R"({"label":"x","size":1})").ErrorField(), "size");
  EXPECT_EQ(secretary.PostJson("/api/v1/org/nodes/2/tags", R"({"label":"x","description":")" + std::string(300, 'y') + R"("})").ErrorField(),
            "description");
  EXPECT_EQ(secretary.PostJson("/api/v1/org/nodes/2/tags", R"({"label":7})").ErrorField(), "label");
  EXPECT_EQ(secretary.PostJson("/api/v1/org/nodes/2/tags", "{not json").ErrorField(), "body");
  EXPECT_EQ(secretary.PostJson("/api/v1/tags/99999999/retire", "").status, 404);
  EXPECT_EQ(worker1.Get("/api/v1/org/nodes/6/tags").status, 404) << "another grid's node does not exist for worker1";
  EXPECT_EQ(worker1.Get("/api/v1/org/nodes/5/tags?retired=maybe").ErrorField(), "retired");
  EXPECT_EQ(secretary.PostJson("/api/v1/org/nodes/3/tags", R"({"label":"外卖骑手"})").status, 404) << "not their community";
  auto defined = secretary.PostJson("/api/v1/org/nodes/2/tags", R"({"label":"外卖骑手","description":"新就业群体中的骑手"})");
  ASSERT_EQ(defined.status, 201) << defined.body;
  EXPECT_EQ(defined.Json().at("tag").as_string(), "custom:外卖骑手");
  EXPECT_EQ(secretary.PostJson("/api/v1/org/nodes/2/tags", R"({"label":"外卖骑手"})").status, 409);
  auto rider = tagged(R"(["外卖骑手"])");
  ASSERT_EQ(rider.status, 201) << rider.body;
  auto filtered = worker1.Get("/api/v1/residents?node_id=5&tag=%E5%A4%96%E5%8D%96%E9%AA%91%E6%89%8B");  // 外卖骑手
  ASSERT_EQ(filtered.status, 200) << filtered.body;
  EXPECT_EQ(filtered.Json().at("items").as_array().size(), 1u);
  // Retired: whoever has it keeps it through edits; nobody gets it anew.
  auto tag_id = std::to_string(Id(defined));
  EXPECT_EQ(worker1.PostJson("/api/v1/tags/" + tag_id + "/retire", "").status, 404);
  ASSERT_EQ(secretary.PostJson("/api/v1/tags/" + tag_id + "/retire", "").status, 200);
  EXPECT_EQ(secretary.PostJson("/api/v1/tags/" + tag_id + "/retire", "").status, 409);
  EXPECT_EQ(worker1.Json("PATCH", "/api/v1/residents/" + std::to_string(Id(rider)), R"({"phone":"13900001111"})").status, 200);
  EXPECT_EQ(tagged(R"(["外卖骑手"])").ErrorField(), "tags");
  EXPECT_EQ(worker1.Get("/api/v1/org/nodes/5/tags").body.find("外卖骑手"), std::string::npos);
  EXPECT_NE(worker1.Get("/api/v1/org/nodes/5/tags?retired=true").body.find("外卖骑手"), std::string::npos);
  EXPECT_NE(stack().As("auditor").Get("/api/v1/audit?action=tag.define&limit=5").body.find("外卖骑手"), std::string::npos);
}

TEST_P(ApiTest, EditsLookupsListsAndExportsRefuseBadInputAndStayInScope) {
  auto worker1 = stack().As("worker1");
  auto worker2 = stack().As("worker2");
  auto place = MakeHousehold(worker1, 5);
  std::string taken = NextIdNumber();
  ASSERT_EQ(AddResident(worker1, place.household, R"("name":"占号人","relation":"spouse","id_number":")" + taken + "\"").status, 201);
  auto r = AddResident(worker1, place.household, R"("name":"被编辑","relation":"head","gender":"F","birth_date":"1950-02-02","tags":["残疾"],"disability_level":1)");
  ASSERT_EQ(r.status, 201) << r.body;
  auto path = "/api/v1/residents/" + std::to_string(Id(r));
  auto patch = [&](const std::string& body) { return worker1.Json("PATCH", path, body); };
  EXPECT_EQ(patch(R"({"phone":"123"})").ErrorField(), "phone");
  EXPECT_EQ(patch(R"({"birth_date":"1950-02-30"})").ErrorField(), "birth_date");
  auto parsed = *domain::ParseIdNumber(taken, domain::CivilDate{2026, 11, 22});
  auto dup = patch(R"({"id_number":")" + taken + R"(","birth_date":")" + parsed.birth_date.Iso() + R"(","gender":")" +
                   std::string(1, parsed.gender) + "\"}");
  EXPECT_EQ(dup.status, 409) << dup.body;
  EXPECT_EQ(dup.ErrorField(), "id_number");
  EXPECT_EQ(patch(R"({"id_number":")" + taken + "\"}").ErrorField(), "birth_date") << "the number must agree with the birth date";
  EXPECT_EQ(patch(R"({"household_id":99999999})").ErrorField(), "household_id");
  EXPECT_EQ(patch(R"({"tags":["老年人"]})").ErrorField(), "tags");
  EXPECT_EQ(patch(R"({"disability_level":9})").ErrorField(), "disability_level");
  EXPECT_EQ(patch(R"({"nickname":"x"})").ErrorField(), "nickname");
  EXPECT_EQ(patch("[]").ErrorField(), "body");
  auto unchanged = worker1.Get(path).Json();
  EXPECT_EQ(unchanged.at("version").as_int64(), 1) << "nothing half-written";
  EXPECT_TRUE(unchanged.at("phone").is_null());
  // Moving to a household of another grid: that household does not exist for worker1.
  auto other = MakeHousehold(worker2, 6);
  EXPECT_EQ(patch(R"({"household_id":)" + std::to_string(other.household) + "}").ErrorField(), "household_id");

  auto lookup = [&](const std::string& body) { return worker1.PostJson("/api/v1/residents/lookup", body); };
  EXPECT_EQ(lookup("{}").ErrorField(), "id_number");
  EXPECT_EQ(lookup(R"({"id_number":"123","phone":"13800000000"})").ErrorField(), "id_number");
  EXPECT_EQ(lookup(R"({"id_number":"110105194912310021"})").ErrorField(), "id_number");
  EXPECT_EQ(lookup(R"({"phone":"12"})").ErrorField(), "phone");

  // Vulnerable and overdue lists page through every match (one per page here).
  auto second = AddResident(worker1, place.household, R"("name":"被编辑二","relation":"child","gender":"M","birth_date":"1980-02-02","tags":["重点关爱"])");
  ASSERT_EQ(second.status, 201);
  std::set<std::int64_t> seen;
  std::string next = "0";
  for (int page = 0; page < 500 && next != "null"; ++page) {
    auto p = worker1.Get("/api/v1/visits/overdue?node_id=5&days=30&limit=1&after=" + next);
    ASSERT_EQ(p.status, 200) << p.body;
    auto j = p.Json();
    for (const auto& item : j.at("items").as_array()) seen.insert(item.at("id").as_int64());
    next = j.at("next_after").is_null() ? "null" : std::to_string(j.at("next_after").as_int64());
  }
  EXPECT_TRUE(seen.count(Id(r)) && seen.count(Id(second))) << "no vulnerable resident is skipped between pages";
  EXPECT_EQ(worker1.Get("/api/v1/visits/overdue?days=0").ErrorField(), "days");
  EXPECT_EQ(worker1.Get("/api/v1/residents?vulnerable=maybe").ErrorField(), "vulnerable");

  // Buildings of another grid stay out of lists and code lookups.
  auto mine = worker1.Get("/api/v1/buildings?limit=500").body;
  EXPECT_EQ(mine.find("\"id\":" + std::to_string(other.building) + ","), std::string::npos);
  auto code = worker2.Get("/api/v1/buildings/" + std::to_string(other.building)).Json().at("code").as_string();
  EXPECT_EQ(worker1.Get("/api/v1/buildings?code=" + std::string(code)).status, 404);
  EXPECT_EQ(worker1.Get("/api/v1/buildings?node_id=6").status, 404);

  EXPECT_EQ(stack().As("secretary").Get("/api/v1/export/residents?node_id=5&format=pdf").ErrorField(), "format");
  EXPECT_EQ(stack().As("secretary").Get("/api/v1/export/residents?node_id=99999999").status, 404);
  EXPECT_EQ(stack().As("worker.xinjie").Get("/api/v1/import/template?format=doc").ErrorField(), "format");
}

INSTANTIATE_TEST_SUITE_P(Backends, ApiTest, ::testing::Values("sqlite", "postgres"),
                         [](const auto& info) { return info.param; });

}  // namespace
}  // namespace linli::testing

namespace linli::testing {
namespace {

// `linli demo` builds the realistic subdistrict a new user explores: its figures must be real.
TEST(Demo, LoadsARealisticSubdistrictOnce) {
  TempDir dir;
  std::vector<std::string> args = {"--data-dir", dir.path(), "demo"};
  auto first = RunLinli(args);
  ASSERT_EQ(first.exit_code, 0) << first.output;
  EXPECT_NE(first.output.find("worker1"), std::string::npos) << "accounts are printed";
  EXPECT_NE(first.output.find("Linli-demo-2026"), std::string::npos);
  auto second = RunLinli(args);
  ASSERT_EQ(second.exit_code, 0) << second.output;
  EXPECT_NE(second.output.find("loaded already"), std::string::npos);
  auto locate = RunLinli({"--data-dir", dir.path(), "geo", "locate", "120.75", "31.65"});
  EXPECT_EQ(locate.exit_code, 0) << locate.output;
  EXPECT_NE(locate.output.find("微网格"), std::string::npos) << locate.output;

  ServerProcess server({"--data-dir", dir.path()}, {});
  server.Start();
  HttpClient anon{server.port()};
  HttpClient official{server.port()};
  official.bearer = Login(anon, "official", std::string(kDemoPassword));
  auto counts = official.Get("/api/v1/org/nodes/1/counts").Json();
  EXPECT_GE(counts.at("residents").as_int64(), 45000);
  EXPECT_LE(counts.at("residents").as_int64(), 65000);
  EXPECT_GE(counts.at("buildings").as_int64(), 1800);
  EXPECT_GE(counts.at("households").as_int64(), 15000);
  double elderly_share = static_cast<double>(counts.at("elderly").as_int64()) / counts.at("residents").as_int64();
  EXPECT_GT(elderly_share, 0.15) << "an ageing city";
  EXPECT_LT(elderly_share, 0.40);
  auto grids = official.Get("/api/v1/org/nodes?type=grid&limit=500").Json().at("items").as_array().size();
  auto micro = official.Get("/api/v1/org/nodes?type=micro_grid&limit=500").Json().at("items").as_array().size();
  EXPECT_GE(grids, 55u);
  EXPECT_GE(micro, 170u);
  HttpClient worker1{server.port()};
  worker1.bearer = Login(anon, "worker1", std::string(kDemoPassword));
  auto alone = worker1.Get("/api/v1/residents?tag=living_alone&limit=50").Json().at("items").as_array();
  EXPECT_GT(alone.size(), 5u);
  for (const auto& r : alone) {  // every one lies in worker1's grid (node 5) or its micro-grids
    auto node = worker1.Get("/api/v1/org/nodes/" + std::to_string(r.at("node_id").as_int64())).Json();
    EXPECT_NE(std::string(node.at("path").as_string()).find("/5/"), std::string::npos);
  }
}

}  // namespace
}  // namespace linli::testing
