// Resident requests and grid events over real HTTP on SQLite and PostgreSQL: a resident reports
// from a grid's QR code and follows the case by tracking code; the grid's worker sees it and the
// next grid's does not; the chain escalates, dispatches, resolves; the resident rates and a low
// rating reopens once; deadlines mark overdue and escalate; bad input is refused naming the field
// and changes nothing.
#include <gtest/gtest.h>

#include <atomic>
#include <chrono>
#include <sstream>
#include <fstream>
#include <filesystem>
#include <future>
#include <set>
#include <thread>

#include "api/api_fixture.h"
#include "cli/demo_population.h"
#include "core/crypto.h"
#include "domain/identity.h"
#include "support/http_sink.h"

namespace linli::testing {
namespace {

namespace json = boost::json;

// Demo: grid 5 虹桥第一网格 (code 320581001001101001; worker1, leader1), grid 6 (worker2),
// community 2 虹桥社区 (secretary, staff), subdistrict 1 (official, dept.chengguan).
constexpr const char* kGrid5Code = "320581001001101001";

std::string Str(const json::value& v, const char* key) { return std::string(v.at(key).as_string()); }

std::string NoiseReport(const std::string& extra = "") {
  return std::string(R"({"category":"community.noise","description":"楼上每晚十一点后装修，吵得睡不着",)") +
         R"("node_code":")" + kGrid5Code + R"(","attributes":{"when":"night"},"reporter_name":"杨女士",)" +
         R"("reporter_phone":"13912345678")" + extra + "}";
}

// Reports from the grid's QR code and returns the tracking code.
std::string ReportFromQr(Stack& st, const std::string& extra = "") {
  auto r = st.Anonymous().PostJson("/api/v1/public/cases", NoiseReport(extra));
  EXPECT_EQ(r.status, 201) << r.body;
  return Str(r.Json(), "tracking_code");
}

// The staff id of a case by its tracking code, as seen by `c`.
std::int64_t CaseIdOf(const HttpClient& c, const std::string& tracking, const std::string& node = "5") {
  for (const auto& item : AllItems(c, "/api/v1/cases?node_id=" + node)) {
    if (Str(item, "tracking_code") == tracking) return item.at("id").as_int64();
  }
  return 0;
}

HttpResult Act(const HttpClient& c, std::int64_t id, const std::string& body) {
  return c.PostJson("/api/v1/cases/" + std::to_string(id) + "/actions", body);
}

bool HasAction(const json::value& v, const std::string& action) {
  for (const auto& a : v.at("actions").as_array()) {
    if (a.as_string() == action) return true;
  }
  return false;
}

TEST_P(ApiTest, AResidentReportClimbsTheChainIsResolvedAndRated) {
  auto& st = stack();
  auto tracking = ReportFromQr(st);
  EXPECT_EQ(tracking.size(), 10u);

  // The resident follows it without an account; no names or phones on the public view.
  auto pub = st.Anonymous().Get("/api/v1/public/cases/" + tracking);
  ASSERT_EQ(pub.status, 200) << pub.body;
  EXPECT_EQ(Str(pub.Json(), "state"), "reported");
  EXPECT_EQ(Str(pub.Json(), "category_name"), "噪音扰民");
  EXPECT_EQ(pub.body.find("13912345678"), std::string::npos);
  EXPECT_EQ(pub.body.find("杨女士"), std::string::npos);
  // Lower case and dashes are accepted (people type what they see).
  std::string typed = tracking.substr(0, 5) + "-" + tracking.substr(5);
  for (auto& ch : typed) ch = static_cast<char>(std::tolower(static_cast<unsigned char>(ch)));
  EXPECT_EQ(st.Anonymous().Get("/api/v1/public/cases/" + typed).status, 200);

  // The grid's worker sees it in the grid; the next grid's worker does not.
  auto worker1 = st.As("worker1");
  auto id = CaseIdOf(worker1, tracking);
  ASSERT_GT(id, 0);
  auto detail = worker1.Get("/api/v1/cases/" + std::to_string(id));
  ASSERT_EQ(detail.status, 200) << detail.body;
  EXPECT_EQ(Str(detail.Json(), "channel"), "qr_code");
  EXPECT_EQ(Str(detail.Json(), "level"), "grid");
  EXPECT_EQ(Str(detail.Json(), "reporter_phone"), "139****5678");
  EXPECT_TRUE(HasAction(detail.Json(), "accept"));
  auto worker2 = st.As("worker2");
  EXPECT_EQ(worker2.Get("/api/v1/cases/" + std::to_string(id)).status, 404);
  EXPECT_EQ(CaseIdOf(worker2, tracking, "6"), 0);
  EXPECT_EQ(worker2.Get("/api/v1/cases?node_id=5").status, 404);
  EXPECT_EQ(Act(worker2, id, R"({"action":"accept"})").status, 404);

  // Grid level: the worker accepts, then the grid leader escalates to the community.
  auto accepted = Act(worker1, id, R"({"action":"accept"})");
  ASSERT_EQ(accepted.status, 200) << accepted.body;
  EXPECT_EQ(Str(accepted.Json(), "state"), "accepted");
  auto up = Act(st.As("leader1"), id, R"({"action":"escalate","note":"涉及物业与业主委员会，需社区协调"})");
  ASSERT_EQ(up.status, 200) << up.body;
  EXPECT_EQ(Str(up.Json(), "level"), "community");
  // Now the community acts; the grid worker still sees it but can no longer resolve it.
  auto refused = Act(worker1, id, R"({"action":"resolve","note":"已处理"})");
  EXPECT_EQ(refused.status, 403) << refused.body;
  auto seen = worker1.Get("/api/v1/cases/" + std::to_string(id));
  EXPECT_EQ(seen.status, 200);
  EXPECT_FALSE(HasAction(seen.Json(), "resolve"));

  // The community dispatches to a department, which accepts and resolves.
  auto secretary = st.As("secretary");
  auto sent = Act(secretary, id, R"({"action":"dispatch","department":"城管中队","note":"夜间施工"})");
  ASSERT_EQ(sent.status, 200) << sent.body;
  EXPECT_EQ(Str(sent.Json(), "state"), "dispatched");
  EXPECT_EQ(Act(secretary, id, R"({"action":"dept_accept"})").status, 403) << "only the department takes it";
  auto dept = st.As("dept.chengguan");
  ASSERT_EQ(Act(dept, id, R"({"action":"dept_accept"})").status, 200);
  auto solved = Act(dept, id, R"({"action":"resolve","note":"已责令施工方夜间停工"})");
  ASSERT_EQ(solved.status, 200) << solved.body;
  EXPECT_EQ(Str(solved.Json(), "solved_level"), "department");

  // The resident sees the resolution and rates it; a good rating closes it.
  pub = st.Anonymous().Get("/api/v1/public/cases/" + tracking);
  EXPECT_TRUE(pub.Json().at("may_rate").as_bool());
  EXPECT_NE(pub.body.find("已责令施工方夜间停工"), std::string::npos);
  EXPECT_EQ(pub.body.find("涉及物业"), std::string::npos) << "internal notes stay internal";
  auto rated = st.Anonymous().PostJson("/api/v1/public/cases/" + tracking + "/rating", R"({"rating":5,"comment":"很及时"})");
  ASSERT_EQ(rated.status, 200) << rated.body;
  EXPECT_EQ(Str(rated.Json(), "state"), "closed");
  EXPECT_EQ(rated.Json().at("rating").as_int64(), 5);
  EXPECT_EQ(st.Anonymous().PostJson("/api/v1/public/cases/" + tracking + "/rating", R"({"rating":4})").status, 409);

  // Every transition is an event, in order.
  auto timeline = secretary.Get("/api/v1/cases/" + std::to_string(id)).Json().at("events").as_array();
  std::vector<std::string> actions;
  for (const auto& e : timeline) actions.push_back(Str(e, "action"));
  EXPECT_EQ(actions, (std::vector<std::string>{"report", "accept", "escalate", "dispatch", "dept_accept", "resolve",
                                               "rate", "close"}));
  EXPECT_EQ(Str(timeline[2], "from_level"), "grid");
  EXPECT_EQ(Str(timeline[1], "actor_name"), "网格员 朱红") << "staff timelines name who acted";
  EXPECT_EQ(timeline[0].as_object().count("actor_name"), 0u) << "the resident who reported stays unnamed";
  EXPECT_EQ(st.Anonymous().Get("/api/v1/public/cases/" + tracking).body.find("朱红"), std::string::npos)
      << "the public timeline names no staff";
  EXPECT_EQ(Str(timeline[2], "to_level"), "community");
}

TEST_P(ApiTest, ALowRatingReopensOnceThenTheCaseCloses) {
  auto& st = stack();
  auto tracking = ReportFromQr(st);
  auto worker1 = st.As("worker1");
  auto id = CaseIdOf(worker1, tracking);
  ASSERT_EQ(Act(worker1, id, R"({"action":"accept"})").status, 200);
  ASSERT_EQ(Act(worker1, id, R"({"action":"resolve","note":"已上门劝说"})").status, 200);
  auto low = st.Anonymous().PostJson("/api/v1/public/cases/" + tracking + "/rating", R"({"rating":1,"comment":"还是很吵"})");
  ASSERT_EQ(low.status, 200) << low.body;
  EXPECT_EQ(Str(low.Json(), "state"), "in_progress");
  auto reopened = worker1.Get("/api/v1/cases/" + std::to_string(id)).Json();
  EXPECT_EQ(reopened.at("reopen_count").as_int64(), 1);
  EXPECT_TRUE(reopened.at("resolved_at").is_null());
  ASSERT_EQ(Act(worker1, id, R"({"action":"resolve","note":"协调物业限定施工时间"})").status, 200);
  auto second = st.Anonymous().PostJson("/api/v1/public/cases/" + tracking + "/rating", R"({"rating":2})");
  ASSERT_EQ(second.status, 200) << second.body;
  EXPECT_EQ(Str(second.Json(), "state"), "closed") << "a case reopens once; then it closes with its rating";
  EXPECT_EQ(second.Json().at("rating").as_int64(), 2);
}

// A phone on a bad network may send one report many times at once. The copies land in one of the
// writer's batches, where a new case is held back until the commit (CaseRepo::Insert): the
// client key's UNIQUE index catches the copies there, and each then answers with the one case.
TEST_P(ApiTest, CopiesOfOneReportArrivingTogetherMakeOneCaseAndOtherReportsTheirOwn) {
  auto& st = stack();
  auto worker1 = st.As("worker1");
  auto open_at_grid = [&] {
    auto counts = worker1.Get("/api/v1/org/nodes/5/counts").Json();
    return counts.as_object().contains("cases.open") ? counts.at("cases.open").as_int64() : 0;
  };
  auto open_before = open_at_grid();
  auto report = [&](const std::string& key) {
    return worker1.PostJson("/api/v1/cases", R"({"channel":"patrol","category":"city.environment",)"
                                             R"("description":"5栋门口地砖翘起，行人易绊倒","node_id":5,"client_key":")" +
                                                 key + "\"}");
  };
  constexpr int kCopies = 16, kOthers = 16;
  std::vector<std::future<HttpResult>> copies, others;
  for (int i = 0; i < kCopies + kOthers; ++i) {
    if (i % 2 == 0) copies.push_back(std::async(std::launch::async, [&] { return report("together-1"); }));
    else others.push_back(std::async(std::launch::async, [&report, i] { return report("alone-" + std::to_string(i)); }));
  }
  std::set<std::int64_t> copy_ids, other_ids;
  for (auto& f : copies) {
    auto r = f.get();
    ASSERT_EQ(r.status, 201) << r.body;
    copy_ids.insert(r.Json().at("id").as_int64());
  }
  for (auto& f : others) {
    auto r = f.get();
    ASSERT_EQ(r.status, 201) << r.body;
    other_ids.insert(r.Json().at("id").as_int64());
  }
  EXPECT_EQ(copy_ids.size(), 1u) << "one case for every copy";
  EXPECT_EQ(other_ids.size(), static_cast<std::size_t>(kOthers)) << "a case for each other report";
  EXPECT_FALSE(other_ids.count(*copy_ids.begin()));
  EXPECT_EQ(open_at_grid(), open_before + 1 + kOthers);
  // Each is whole: found by id with its report in the timeline.
  auto detail = worker1.Get("/api/v1/cases/" + std::to_string(*copy_ids.begin()));
  ASSERT_EQ(detail.status, 200) << detail.body;
  auto events = detail.Json().at("events").as_array();
  ASSERT_EQ(events.size(), 1u) << detail.body;
  EXPECT_EQ(Str(events[0], "action"), "report");
}

TEST_P(ApiTest, StaffReportAssignRejectAsDuplicateAndTheCounts) {
  auto& st = stack();
  auto worker1 = st.As("worker1");
  auto before = worker1.Get("/api/v1/org/nodes/5/counts").Json();
  auto open_before = before.as_object().contains("cases.open") ? before.at("cases.open").as_int64() : 0;

  auto r = worker1.PostJson("/api/v1/cases", R"({"channel":"patrol","category":"city.environment",)"
                                             R"("description":"3栋楼下垃圾满溢，无人清运","node_id":5,"client_key":"patrol-1"})");
  ASSERT_EQ(r.status, 201) << r.body;
  auto id = r.Json().at("id").as_int64();
  EXPECT_EQ(Str(r.Json(), "channel"), "patrol");
  // The same client key (a phone retrying on a bad network) gives the same case.
  auto again = worker1.PostJson("/api/v1/cases", R"({"channel":"patrol","category":"city.environment",)"
                                                 R"("description":"3栋楼下垃圾满溢，无人清运","node_id":5,"client_key":"patrol-1"})");
  ASSERT_EQ(again.status, 201) << again.body;
  EXPECT_EQ(again.Json().at("id").as_int64(), id);
  auto after = worker1.Get("/api/v1/org/nodes/5/counts").Json();
  EXPECT_EQ(after.at("cases.open").as_int64(), open_before + 1);
  EXPECT_GE(st.As("official").Get("/api/v1/org/nodes/1/counts").Json().at("cases.open").as_int64(), open_before + 1);

  // Reporting elsewhere than one's own area is refused.
  EXPECT_EQ(worker1.PostJson("/api/v1/cases", R"({"channel":"patrol","category":"city.environment",)"
                                              R"("description":"别的网格的问题","node_id":6})").ErrorField(), "node_id");

  // Today's report shows in the day's and the category's counts, and the acceptance in the month's.
  auto metric = [](const json::value& counts, const std::string& name) -> std::int64_t {
    return counts.as_object().contains(name) ? counts.at(name).as_int64() : 0;
  };
  auto created = r.Json().at("created_at").as_int64();
  auto day = domain::ChinaDate(created).Iso();
  auto m = day.substr(0, 7);
  EXPECT_EQ(metric(after, "cases.reported@" + day), metric(before, "cases.reported@" + day) + 1);
  EXPECT_EQ(metric(after, "cases.reported.city.environment@" + m), metric(before, "cases.reported.city.environment@" + m) + 1);
  auto accepted_before = metric(after, "cases.accepted@" + m);
  ASSERT_EQ(Act(worker1, id, R"({"action":"accept"})").status, 200);
  EXPECT_EQ(metric(worker1.Get("/api/v1/org/nodes/5/counts").Json(), "cases.accepted@" + m), accepted_before + 1);
  // Assign: only someone who handles cases at this level here.
  EXPECT_EQ(Act(worker1, id, R"({"action":"assign","assignee_id":11})").ErrorField(), "assignee_id") << "worker2: other grid";
  EXPECT_EQ(Act(worker1, id, R"({"action":"assign","assignee_id":999999})").ErrorField(), "assignee_id");
  auto assigned = Act(worker1, id, R"({"action":"assign","assignee_id":10})");
  ASSERT_EQ(assigned.status, 200) << assigned.body;
  EXPECT_EQ(assigned.Json().at("assignee_id").as_int64(), 10);
  auto mine = worker1.Get("/api/v1/cases?mine=true&open=true&limit=500").body;
  EXPECT_NE(mine.find("\"id\":" + std::to_string(id) + ","), std::string::npos);
  EXPECT_EQ(Str(Act(worker1, id, R"({"action":"start"})").Json(), "state"), "in_progress");
  // A staff finding is closed by staff after resolution (核查结案); a resident's only by the resident.
  ASSERT_EQ(Act(worker1, id, R"({"action":"resolve","note":"已联系环卫清运"})").status, 200);
  auto closed = Act(worker1, id, R"({"action":"close"})");
  ASSERT_EQ(closed.status, 200) << closed.body;
  EXPECT_EQ(worker1.Get("/api/v1/org/nodes/5/counts").Json().at("cases.open").as_int64(), open_before);

  // A second report of the same thing is rejected as a duplicate of the first.
  auto dup = worker1.PostJson("/api/v1/cases", R"({"channel":"hotline","category":"city.environment",)"
                                               R"("description":"3栋楼下垃圾很多","node_id":5,"reporter_phone":"13800001111"})");
  ASSERT_EQ(dup.status, 201) << dup.body;
  auto dup_id = dup.Json().at("id").as_int64();
  EXPECT_EQ(Act(worker1, dup_id, R"({"action":"reject","reason":"duplicate","note":"重复上报"})").ErrorField(), "merged_into");
  EXPECT_EQ(Act(worker1, dup_id, R"({"action":"reject","reason":"duplicate","note":"重复上报","merged_into":)" +
                                     std::to_string(dup_id) + "}").ErrorField(), "merged_into");
  auto rejected = Act(worker1, dup_id, R"({"action":"reject","reason":"duplicate","note":"重复上报","merged_into":)" +
                                           std::to_string(id) + "}");
  ASSERT_EQ(rejected.status, 200) << rejected.body;
  EXPECT_EQ(Str(rejected.Json(), "state"), "rejected");
  EXPECT_EQ(rejected.Json().at("merged_into").as_int64(), id);
  EXPECT_EQ(Act(worker1, dup_id, R"({"action":"accept"})").status, 409) << "a rejected case is finished";
}

TEST_P(ApiTest, AStaffReportsNodeIsKeptInMemoryYetANodeArchivedAMomentAgoTakesNoMoreReports) {
  // A report's node comes from the service's cache of nodes (no read on the writer per report);
  // archiving or restoring a node moves the cache's epoch, so the next report sees it at once.
  auto& st = stack();
  auto admin = st.As("sysadmin");
  auto worker1 = st.As("worker1");
  auto created = admin.PostJson("/api/v1/org/nodes",
                                R"({"parent_id":5,"type":"micro_grid","code":"320581001001101001803","name":"3栋微网格"})");
  ASSERT_EQ(created.status, 201) << created.body;
  const std::string micro = std::to_string(created.Json().at("id").as_int64());
  const std::string report = R"({"channel":"patrol","category":"city.environment","description":"微网格内路灯闪烁不停","node_id":)" + micro + "}";
  auto first = worker1.PostJson("/api/v1/cases", report);
  ASSERT_EQ(first.status, 201) << first.body;
  EXPECT_EQ(first.Json().at("node_id").as_int64(), created.Json().at("id").as_int64());
  EXPECT_EQ(worker1.Get("/api/v1/cases?node_id=" + micro).status, 200);  // the list reads the same cache

  ASSERT_EQ(admin.PostJson("/api/v1/org/nodes/" + micro + "/archive", "").status, 200);
  auto refused = worker1.PostJson("/api/v1/cases", report);
  EXPECT_EQ(refused.status, 400) << refused.body;
  EXPECT_EQ(refused.ErrorField(), "node_id");
  ASSERT_EQ(admin.PostJson("/api/v1/org/nodes/" + micro + "/restore", "").status, 200);
  EXPECT_EQ(worker1.PostJson("/api/v1/cases", report).status, 201);
  // A node that does not exist is named as such, cached or not.
  auto none = worker1.PostJson("/api/v1/cases", R"({"channel":"patrol","category":"city.environment","description":"不存在的网格","node_id":987654})");
  EXPECT_EQ(none.status, 400);
  EXPECT_EQ(none.ErrorField(), "node_id");
}

TEST_P(ApiTest, TheReporterPhoneIsUnmaskedOnlyWithTheRightAndAnAuditedReason) {
  auto& st = stack();
  auto tracking = ReportFromQr(st);
  auto id = std::to_string(CaseIdOf(st.As("worker1"), tracking));
  // Lists carry no reporter; the detail a masked phone.
  auto list = st.As("worker1").Get("/api/v1/cases?node_id=5&limit=500").body;
  EXPECT_EQ(list.find("杨女士"), std::string::npos);
  EXPECT_EQ(list.find("139****5678"), std::string::npos);
  EXPECT_EQ(st.As("worker1").PostJson("/api/v1/cases/" + id + "/unmask", R"({"reason":"回访居民"})").status, 403);
  EXPECT_EQ(st.As("secretary").PostJson("/api/v1/cases/" + id + "/unmask", R"({})").ErrorField(), "reason");
  auto open = st.As("secretary").PostJson("/api/v1/cases/" + id + "/unmask", R"({"reason":"电话回访核实噪音时段"})");
  ASSERT_EQ(open.status, 200) << open.body;
  EXPECT_EQ(Str(open.Json(), "reporter_phone"), "13912345678");
  auto audit = st.As("auditor").Get("/api/v1/audit?action=case.unmask&limit=50");
  EXPECT_NE(audit.body.find("电话回访核实噪音时段"), std::string::npos);
}

TEST_P(ApiTest, CaseEndpointsRefuseBadInputNamingTheFieldAndChangeNothing) {
  auto& st = stack();
  auto anon = st.Anonymous();
  auto field = [&](const std::string& body) { return anon.PostJson("/api/v1/public/cases", body).ErrorField(); };
  EXPECT_EQ(field(R"({"description":"没有类别的诉求内容"})"), "category");
  EXPECT_EQ(field(R"({"category":"no.such","description":"不存在的类别"})"), "category");
  EXPECT_EQ(field(R"({"category":"community","description":"只给了大类"})"), "category");
  EXPECT_EQ(field(R"({"category":"community.suggestion","description":"短"})"), "description");
  EXPECT_EQ(field(R"({"category":"community.suggestion","description":"<script>alert(1)</script>"})"), "description");
  EXPECT_EQ(field(R"({"category":"community.suggestion","description":)" + json::serialize(json::value(std::string(4001, 'x'))) + "}"),
            "description");
  EXPECT_EQ(field(R"({"category":"community.suggestion","description":"建议增加路灯","reporter_phone":"12345"})"), "reporter_phone");
  EXPECT_EQ(field(R"({"category":"community.noise","description":"楼上很吵很吵","node_code":")" + std::string(kGrid5Code) +
                  R"(","attributes":{"when":"sometimes"}})"), "attributes.when");
  EXPECT_EQ(field(R"({"category":"community.noise","description":"楼上很吵很吵","node_code":")" + std::string(kGrid5Code) + R"("})"),
            "attributes.when");
  EXPECT_EQ(field(R"({"category":"community.suggestion","description":"建议增加路灯","lon":120.7})"), "lat");
  EXPECT_EQ(field(R"({"category":"community.suggestion","description":"建议增加路灯","lon":999,"lat":31.6})"), "lon");
  EXPECT_EQ(field(R"({"category":"community.suggestion","description":"建议增加路灯","node_code":"999999"})"), "node_code");
  EXPECT_EQ(field(R"({"category":"community.suggestion","description":"建议增加路灯","priority":"panic"})"), "priority");
  EXPECT_EQ(field(R"({"category":"community.suggestion","description":"建议增加路灯","channel":"open311"})"), "channel");
  EXPECT_EQ(field(R"({"category":"community.suggestion","description":"建议增加路灯","attributes":[1]})"), "attributes");
  EXPECT_EQ(field("{not json"), "body");
  EXPECT_EQ(field("[]"), "body");
  EXPECT_EQ(anon.PostJson("/api/v1/public/cases", std::string(70000, ' ')).status, 413);

  EXPECT_EQ(anon.Get("/api/v1/public/cases/short").ErrorField(), "tracking_code");
  EXPECT_EQ(anon.Get("/api/v1/public/cases/%27%20OR%201=1--").ErrorField(), "tracking_code");
  EXPECT_EQ(anon.Get("/api/v1/public/cases/ZZZZZZZZZZ").status, 404);

  auto tracking = ReportFromQr(st);
  auto worker1 = st.As("worker1");
  auto id = CaseIdOf(worker1, tracking);
  auto version = worker1.Get("/api/v1/cases/" + std::to_string(id)).Json().at("version").as_int64();
  EXPECT_EQ(Act(worker1, id, R"({"action":"fly"})").ErrorField(), "action");
  EXPECT_EQ(Act(worker1, id, R"({})").ErrorField(), "action");
  EXPECT_EQ(Act(worker1, id, R"({"action":"accept","colour":"red"})").ErrorField(), "colour");
  EXPECT_EQ(Act(worker1, id, R"({"action":"reject","note":"无效"})").ErrorField(), "reason");
  EXPECT_EQ(Act(worker1, id, R"({"action":"reject","reason":"bored","note":"无效"})").ErrorField(), "reason");
  EXPECT_EQ(Act(worker1, id, R"({"action":"reject","reason":"invalid"})").ErrorField(), "note");
  EXPECT_EQ(Act(worker1, id, R"({"action":"resolve","note":"还没受理就办结"})").status, 409);
  EXPECT_EQ(Act(worker1, id, R"({"action":"accept","version":)" + std::to_string(version + 7) + "}").status, 409);
  EXPECT_EQ(Act(worker1, id, R"({"action":"escalate"})").ErrorField(), "note");
  EXPECT_EQ(worker1.PostJson("/api/v1/cases/abc/actions", R"({"action":"accept"})").status, 400);
  EXPECT_EQ(Act(worker1, 99999999, R"({"action":"accept"})").status, 404);
  auto unchanged = worker1.Get("/api/v1/cases/" + std::to_string(id)).Json();
  EXPECT_EQ(unchanged.at("version").as_int64(), version) << "refused actions change nothing";
  EXPECT_EQ(Str(unchanged, "state"), "reported");
  EXPECT_EQ(unchanged.at("events").as_array().size(), 1u);

  auto rate = [&](const std::string& body) {
    return anon.PostJson("/api/v1/public/cases/" + tracking + "/rating", body);
  };
  EXPECT_EQ(rate(R"({"rating":0})").ErrorField(), "rating");
  EXPECT_EQ(rate(R"({"rating":"5"})").ErrorField(), "rating");
  EXPECT_EQ(rate(R"({})").ErrorField(), "rating");
  EXPECT_EQ(rate(R"({"rating":5})").status, 409) << "not resolved yet";

  EXPECT_EQ(worker1.Get("/api/v1/cases?state=flying").ErrorField(), "state");
  EXPECT_EQ(worker1.Get("/api/v1/cases?level=moon").ErrorField(), "level");
  EXPECT_EQ(worker1.Get("/api/v1/cases?limit=100000").ErrorField(), "limit");
  EXPECT_EQ(worker1.Get("/api/v1/cases?node_id=abc").ErrorField(), "node_id");
  EXPECT_EQ(worker1.PostJson("/api/v1/cases", R"({"channel":"qr_code","category":"city.environment","description":"员工不能冒充居民渠道","node_id":5})").ErrorField(),
            "channel");
  EXPECT_EQ(worker1.PostJson("/api/v1/cases", R"({"channel":"patrol","category":"city.environment","description":"没有位置的巡查发现"})").ErrorField(),
            "node_id");
  EXPECT_EQ(st.As("auditor").PostJson("/api/v1/cases", R"({"channel":"patrol","category":"city.environment","description":"审计员不能上报","node_id":5})").status,
            403);
}

TEST_P(ApiTest, TheSubdistrictSetsTheCategories) {
  auto& st = stack();
  std::string def = R"({"code":"community.test_pets","group_code":"community","name":"宠物扰民","default_level":"grid",)"
                    R"("response_minutes":120,"resolve_minutes":900,"department":"","attributes":[{"code":"kind",)"
                    R"("description":"什么宠物","datatype":"singlevaluelist","required":true,"values":[{"key":"dog","name":"狗"},{"key":"cat","name":"猫"}]}]})";
  EXPECT_EQ(st.As("secretary").Json("PUT", "/api/v1/case-categories/community.test_pets", def).status, 403);
  EXPECT_EQ(st.As("official").Json("PUT", "/api/v1/case-categories/other.code", def).ErrorField(), "code");
  EXPECT_EQ(st.As("official").Json("PUT", "/api/v1/case-categories/community.test_pets",
                                   R"({"code":"community.test_pets","group_code":"community","name":"宠物","response_minutes":60,"resolve_minutes":-5})").ErrorField(),
            "resolve_minutes");
  EXPECT_EQ(st.As("official").Json("PUT", "/api/v1/case-categories/x.y", R"({"code":"x.y","group_code":"x","name":"无组","response_minutes":60,"resolve_minutes":600})").ErrorField(),
            "group_code");
  auto saved = st.As("official").Json("PUT", "/api/v1/case-categories/community.test_pets", def);
  ASSERT_EQ(saved.status, 200) << saved.body;
  auto pub = st.Anonymous().Get("/api/v1/public/categories").body;
  EXPECT_NE(pub.find("宠物扰民"), std::string::npos);
  auto r = st.Anonymous().PostJson("/api/v1/public/cases", R"({"category":"community.test_pets","description":"邻居的狗每天夜里叫",)"
                                                           R"("node_code":")" + std::string(kGrid5Code) + R"(","attributes":{"kind":"dog"}})");
  EXPECT_EQ(r.status, 201) << r.body;
  ASSERT_EQ(st.As("official").PostJson("/api/v1/case-categories/community.test_pets/retire", "{}").status, 200);
  EXPECT_EQ(st.Anonymous().Get("/api/v1/public/categories").body.find("宠物扰民"), std::string::npos);
  EXPECT_EQ(st.Anonymous().PostJson("/api/v1/public/cases", R"({"category":"community.test_pets","description":"邻居的狗每天夜里叫",)"
                                                            R"("node_code":")" + std::string(kGrid5Code) + R"(","attributes":{"kind":"dog"}})").ErrorField(),
            "category");
}

// A JPEG whose EXIF segment carries where the photo was taken.
std::string PhotoWithLocation() {
  std::string exif = std::string("Exif\0\0", 6) + "GPSLatitude=31.645;GPSLongitude=120.742";
  std::string app1 = "\xFF\xE1";
  app1 += static_cast<char>((exif.size() + 2) >> 8);
  app1 += static_cast<char>((exif.size() + 2) & 0xff);
  return std::string("\xFF\xD8", 2) + std::string("\xFF\xE0\x00\x10JFIF\x00\x01\x01\x00\x00\x01\x00\x01\x00\x00", 18) +
         app1 + exif + std::string("\xFF\xDA\x00\x08\x01\x01\x00\x00\x3F\x00photo-pixels\xFF\xD9", 24);
}

TEST_P(ApiTest, PhotosAreTypedByTheirBytesKeptForStaffAndShownToTheResidentWithoutLocation) {
  auto& st = stack();
  auto anon = st.Anonymous();
  auto tracking = ReportFromQr(st);
  auto worker1 = st.As("worker1");
  auto id = std::to_string(CaseIdOf(worker1, tracking));
  auto photo = PhotoWithLocation();
  auto upload = [&](const HttpClient& c, const std::string& target, const std::string& bytes, const std::string& type) {
    return c.Send("POST", target, bytes, {{"Content-Type", type}});
  };
  auto pub = "/api/v1/public/cases/" + tracking + "/attachments";
  auto posted = upload(anon, pub + "?name=" + "IMG_0001.jpg", photo, "image/jpeg");
  ASSERT_EQ(posted.status, 201) << posted.body;
  auto resident_photo = std::to_string(posted.Json().at("id").as_int64());
  EXPECT_EQ(Str(posted.Json(), "content_type"), "image/jpeg");

  // A staff photo of the work, internal unless marked public.
  auto internal = upload(worker1, "/api/v1/cases/" + id + "/attachments?name=scene.jpg", photo, "application/octet-stream");
  ASSERT_EQ(internal.status, 201) << internal.body;
  EXPECT_EQ(Str(internal.Json(), "content_type"), "image/jpeg") << "the bytes decide, not the header";
  auto internal_id = std::to_string(internal.Json().at("id").as_int64());

  // The resident sees their photo, without the location, and not the internal one.
  auto view = anon.Get("/api/v1/public/cases/" + tracking).Json();
  ASSERT_EQ(view.at("attachments").as_array().size(), 1u);
  auto shown = anon.Get(pub + "/" + resident_photo);
  ASSERT_EQ(shown.status, 200);
  EXPECT_EQ(shown.headers.at("content-type"), "image/jpeg");
  EXPECT_EQ(shown.headers.at("x-content-type-options"), "nosniff");
  EXPECT_EQ(shown.body.find("GPSLatitude"), std::string::npos);
  EXPECT_TRUE(shown.body.ends_with("photo-pixels\xFF\xD9"));
  EXPECT_EQ(anon.Get(pub + "/" + internal_id).status, 404);
  EXPECT_EQ(anon.Get("/api/v1/public/cases/ZZZZZZZZZZ/attachments/" + resident_photo).status, 404);

  // Staff who see the case get the original; another grid cannot tell it exists.
  auto original = worker1.Get("/api/v1/attachments/" + resident_photo);
  ASSERT_EQ(original.status, 200);
  EXPECT_EQ(original.body, photo);
  EXPECT_EQ(st.As("worker2").Get("/api/v1/attachments/" + resident_photo).status, 404);
  EXPECT_EQ(st.As("worker2").Send("POST", "/api/v1/cases/" + id + "/attachments", photo, {{"Content-Type", "image/jpeg"}}).status,
            404);
  auto detail = worker1.Get("/api/v1/cases/" + id).Json();
  EXPECT_EQ(detail.at("attachments").as_array().size(), 2u);
  std::size_t attach_events = 0;
  for (const auto& e : detail.at("events").as_array()) attach_events += Str(e, "action") == "attach";
  EXPECT_EQ(attach_events, 2u) << "each photo is a step of the timeline";

  // Bad uploads: not a photo, empty, too large, a hostile name; nothing is added.
  EXPECT_EQ(upload(anon, pub, "<html><script>alert(1)</script></html>", "image/jpeg").ErrorField(), "file");
  EXPECT_EQ(upload(anon, pub, "", "image/jpeg").ErrorField(), "file");
  EXPECT_EQ(upload(anon, pub, photo.substr(0, 40), "image/jpeg").ErrorField(), "file") << "a damaged JPEG";
  EXPECT_EQ(upload(anon, pub + "?name=" + "%3Cscript%3E.jpg", photo, "image/jpeg").ErrorField(), "file_name");
  auto huge = upload(anon, pub, photo + std::string(11 << 20, 'x'), "image/jpeg");
  EXPECT_EQ(huge.status, 413) << huge.body.substr(0, 200);
  EXPECT_EQ(worker1.Get("/api/v1/cases/" + id).Json().at("attachments").as_array().size(), 2u);
}

TEST_P(ApiTest, SearchFindsDescriptionsAndNotesInEitherScriptWithinTheCallersScope) {
  auto& st = stack();
  auto worker1 = st.As("worker1");
  auto made = worker1.PostJson("/api/v1/cases", R"({"channel":"patrol","category":"emergency.safety_hazard",)"
                                                R"("description":"三號樓樓道裏的燈壞了，晚上漆黑一片","node_id":5})");
  ASSERT_EQ(made.status, 201) << made.body;
  auto id = made.Json().at("id").as_int64();
  auto found = [&](const HttpClient& c, const std::string& q) {
    auto r = c.Get("/api/v1/cases?limit=500&q=" + q);
    EXPECT_EQ(r.status, 200) << r.body;
    auto body = r.Json();
    for (const auto& item : body.at("items").as_array()) {
      if (item.at("id").as_int64() == id) return true;
    }
    return false;
  };
  EXPECT_TRUE(found(worker1, "%E7%81%AF%E5%9D%8F%E4%BA%86")) << "灯坏了 (simplified) finds 燈壞了";
  EXPECT_TRUE(found(worker1, "%E6%A5%BC%E9%81%93")) << "two characters: 楼道";
  EXPECT_TRUE(found(worker1, "%E7%81%AF")) << "one character: 灯";
  EXPECT_TRUE(found(worker1, "%E6%BC%86%E9%BB%91%E4%B8%80%E7%89%87")) << "漆黑一片";
  EXPECT_FALSE(found(worker1, "%E5%9E%83%E5%9C%BE")) << "垃圾 is not in it";
  EXPECT_FALSE(st.As("worker2").Get("/api/v1/cases?limit=500&q=%E7%81%AF%E5%9D%8F%E4%BA%86").body.find("漆黑") !=
               std::string::npos)
      << "another grid's worker finds nothing of grid 5";
  EXPECT_TRUE(found(st.As("secretary"), "%E7%81%AF%E5%9D%8F")) << "the community finds its grids' cases";

  // Notes are searchable once written.
  ASSERT_EQ(Act(worker1, id, R"({"action":"accept"})").status, 200);
  ASSERT_EQ(Act(worker1, id, R"({"action":"resolve","note":"已更換LED燈泡"})").status, 200);
  EXPECT_TRUE(found(worker1, "%E6%9B%B4%E6%8D%A2led")) << "更换led: simplified and lower case";

  // Hostile and malformed queries.
  EXPECT_FALSE(found(worker1, "%25")) << "% is a character, not a wildcard";
  EXPECT_FALSE(found(worker1, "%22%22%22")) << "quotes cannot break the FTS phrase";
  EXPECT_FALSE(found(worker1, "_"));
  EXPECT_EQ(worker1.Get("/api/v1/cases?q=" + std::string(51, 'a')).ErrorField(), "q");
  EXPECT_EQ(worker1.Get("/api/v1/cases?q=%3Cscript%3E").ErrorField(), "q");
}

TEST_P(ApiTest, RepeatsAreSuggestedMergedAndTheirReportersFollowTheOriginal) {
  auto& st = stack();
  auto worker1 = st.As("worker1");
  auto staff_report = [&](const std::string& description, int node) {
    auto r = worker1.PostJson("/api/v1/cases", R"({"channel":"patrol","category":"city.environment","description":")" +
                                                   description + R"(","node_id":)" + std::to_string(node) + "}");
    EXPECT_EQ(r.status, 201) << r.body;
    return r.Json().at("id").as_int64();
  };
  auto original = staff_report("小区东门垃圾桶满了没人清运", 5);
  auto unrelated = staff_report("绿化带里有人倒建筑垃圾", 5);
  auto elsewhere = st.As("worker2").PostJson("/api/v1/cases", R"({"channel":"patrol","category":"city.environment",)"
                                                              R"("description":"小区东门垃圾桶满了没人清运","node_id":6})");
  ASSERT_EQ(elsewhere.status, 201);
  auto resident = st.Anonymous().PostJson("/api/v1/public/cases", std::string(R"({"category":"city.environment",)") +
                                                                      R"("description":"东门的垃圾桶满了，好几天没人清运了",)" +
                                                                      R"("node_code":")" + kGrid5Code + R"("})");
  ASSERT_EQ(resident.status, 201) << resident.body;
  auto tracking = Str(resident.Json(), "tracking_code");
  auto repeat = CaseIdOf(worker1, tracking);

  auto similar = worker1.Get("/api/v1/cases/" + std::to_string(repeat) + "/similar");
  ASSERT_EQ(similar.status, 200) << similar.body;
  auto items = similar.Json().at("items").as_array();
  ASSERT_FALSE(items.empty());
  EXPECT_EQ(items[0].at("id").as_int64(), original);
  EXPECT_GT(items[0].at("similarity").to_number<double>(), 0.3);
  for (const auto& item : items) {
    EXPECT_NE(item.at("id").as_int64(), unrelated) << "different words";
    EXPECT_NE(item.at("id").as_int64(), elsewhere.Json().at("id").as_int64()) << "another grid, no point";
  }
  EXPECT_EQ(st.As("worker2").Get("/api/v1/cases/" + std::to_string(repeat) + "/similar").status, 404);

  // Merged: the resident now follows the original.
  auto merged = Act(worker1, repeat, R"({"action":"reject","reason":"duplicate","note":"同一问题已在办理","merged_into":)" + std::to_string(original) + "}");
  ASSERT_EQ(merged.status, 200) << merged.body;
  ASSERT_EQ(Act(worker1, original, R"({"action":"accept"})").status, 200);
  ASSERT_EQ(Act(worker1, original, R"({"action":"resolve","note":"已通知环卫清运"})").status, 200);
  auto view = st.Anonymous().Get("/api/v1/public/cases/" + tracking).Json();
  EXPECT_TRUE(view.at("merged").as_bool());
  EXPECT_EQ(Str(view, "state"), "resolved");
  EXPECT_EQ(Str(view.at("timeline").as_array().back(), "note"), "已通知环卫清运");
  EXPECT_FALSE(view.at("may_rate").as_bool()) << "the original's reporter rates it";
  EXPECT_EQ(st.Anonymous().Get("/api/v1/public/cases/" + tracking).body.find(
                worker1.Get("/api/v1/cases/" + std::to_string(original)).Json().at("tracking_code").as_string().c_str()),
            std::string::npos)
      << "the original's tracking code stays private";
  EXPECT_EQ(st.Anonymous().PostJson("/api/v1/public/cases/" + tracking + "/rating", R"({"rating":5})").status, 409);
}

// What a phone would read from an SVG QR code: rendered (rsvg-convert) and decoded (zbarimg).
std::string ReadQr(const std::string& svg) {
  TempDir tmp;
  std::ofstream(tmp.path() + "/qr.svg") << svg;
  auto png = RunProgram("rsvg-convert", {"-w", "400", "-o", tmp.path() + "/qr.png", tmp.path() + "/qr.svg"});
  EXPECT_EQ(png.exit_code, 0) << png.output;
  auto read = RunProgram("zbarimg", {"-q", "--raw", tmp.path() + "/qr.png"});
  EXPECT_EQ(read.exit_code, 0) << read.output;
  return read.output;
}

TEST_P(ApiTest, EachGridHasAPrintableQrCodeThatOpensTheResidentForm) {
  auto& st = stack();
  TempDir out;
  auto run = RunLinli(st.With({"qrcode", "--base-url", "https://linli.example.gov.cn/", "--under", "320581001001",
                               "--out", out.path()}));
  ASSERT_EQ(run.exit_code, 0) << run.output;
  std::ifstream in(out.path() + "/" + kGrid5Code + ".svg");
  std::stringstream svg;
  svg << in.rdbuf();
  EXPECT_NE(ReadQr(svg.str()).find(std::string("https://linli.example.gov.cn/h5/report?node=") + kGrid5Code),
            std::string::npos);
  std::ifstream html(out.path() + "/index.html");
  std::stringstream page;
  page << html.rdbuf();
  EXPECT_NE(page.str().find("虹桥第一网格"), std::string::npos);
  EXPECT_FALSE(std::filesystem::exists(out.path() + "/320581001002001.svg")) << "only under the community asked for";
  EXPECT_NE(RunLinli(st.With({"qrcode", "--base-url", "ftp://x"})).exit_code, 0);

  auto worker1 = st.As("worker1");
  auto api_svg = worker1.Get("/api/v1/org/nodes/5/qrcode.svg?base_url=https%3A%2F%2Flinli.example.gov.cn");
  ASSERT_EQ(api_svg.status, 200);
  EXPECT_EQ(api_svg.headers.at("content-type"), "image/svg+xml");
  EXPECT_NE(ReadQr(api_svg.body).find(std::string("/h5/report?node=") + kGrid5Code), std::string::npos);
  EXPECT_EQ(worker1.Get("/api/v1/org/nodes/5/qrcode.svg?base_url=javascript%3Aalert(1)").ErrorField(), "base_url");
  EXPECT_EQ(st.As("worker.xinjie").Get("/api/v1/org/nodes/5/qrcode.svg").status, 404) << "another community's grid";
}

TEST_P(ApiTest, ABuildingsQrCodeOpensItsPageForTheGridWorker) {
  auto& st = stack();
  auto secretary = st.As("secretary");
  std::string code = "QR-" + GetParam() + "-7";
  auto made = secretary.PostJson("/api/v1/buildings", R"({"node_id":5,"code":")" + code + R"(","name":"7号楼"})");
  ASSERT_EQ(made.status, 201) << made.body;
  auto id = std::to_string(made.Json().at("id").as_int64());
  auto worker1 = st.As("worker1");
  auto svg = worker1.Get("/api/v1/buildings/" + id + "/qrcode.svg?base_url=https%3A%2F%2Flinli.example.gov.cn%2F");
  ASSERT_EQ(svg.status, 200) << svg.body;
  EXPECT_EQ(svg.headers.at("content-type"), "image/svg+xml");
  EXPECT_NE(ReadQr(svg.body).find("https://linli.example.gov.cn/h5/building/" + code), std::string::npos);
  EXPECT_EQ(worker1.Get("/api/v1/buildings/" + id + "/qrcode.svg?base_url=javascript%3Aalert(1)").ErrorField(), "base_url");
  EXPECT_EQ(st.As("worker2").Get("/api/v1/buildings/" + id + "/qrcode.svg").status, 404) << "another grid's building";
  EXPECT_EQ(worker1.Get("/api/v1/buildings/x/qrcode.svg").status, 400);
}

TEST_P(ApiTest, TheSubdistrictSetsHolidaysAndNewDeadlinesSkipThem) {
  auto own = NewStack(GetParam(), {"--login-rate", "10000", "--public-rate", "10000"});
  auto official = own->As("official");
  // The next ten days, China time, all holidays (a long 国庆-like break starting today).
  std::string holidays;
  Millis now_ms = std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::system_clock::now().time_since_epoch()).count();
  auto today = domain::ChinaDate(now_ms);
  auto day = today;
  for (int i = 0; i < 10; ++i) {
    holidays += std::string(i ? "," : "") + "\"" + day.Iso() + "\"";
    day = domain::NextDay(day);
  }
  std::string body = R"({"sessions":[["08:30","12:00"],["13:30","17:30"]],"holidays":[)" + holidays + R"(],"workdays":[]})";
  EXPECT_EQ(own->As("secretary").Json("PUT", "/api/v1/work-calendar", body).status, 403);
  auto saved = official.Json("PUT", "/api/v1/work-calendar", body);
  ASSERT_EQ(saved.status, 200) << saved.body;
  EXPECT_EQ(official.Get("/api/v1/work-calendar").Json().at("holidays").as_array().size(), 10u);

  auto made = own->As("worker1").PostJson("/api/v1/cases", R"({"channel":"patrol","category":"city.environment",)"
                                                            R"("description":"节日期间垃圾堆放","node_id":5})");
  ASSERT_EQ(made.status, 201) << made.body;
  EXPECT_GE(made.Json().at("response_due_at").as_int64(), domain::ChinaMidnight(day))
      << "no working time passes on the holidays";

  // Bad calendars are refused naming the field, and the saved one stays.
  auto field = [&](const std::string& b) { return official.Json("PUT", "/api/v1/work-calendar", b).ErrorField(); };
  EXPECT_EQ(field(R"({"holidays":["2026-10-01","2026-02-30"]})"), "holidays[1]");
  EXPECT_EQ(field(R"({"holidays":"2026-10-01"})"), "holidays");
  EXPECT_EQ(field(R"({"holidays":["2026-10-01"],"workdays":["2026-10-01"]})"), "workdays");
  EXPECT_EQ(field(R"({"sessions":[["08:30","12:00"],["11:00","17:30"]]})"), "sessions[1]");
  EXPECT_EQ(field(R"({"sessions":[["8:30","12:00"]]})"), "sessions[0]");
  EXPECT_EQ(field(R"({"sessions":[]})"), "sessions");
  EXPECT_EQ(field(R"({"holiday":[]})"), "holiday");
  EXPECT_EQ(field("[1,2]"), "body");
  EXPECT_EQ(official.Get("/api/v1/work-calendar").Json().at("holidays").as_array().size(), 10u);
  auto shown = RunLinli(own->With({"calendar", "show"}));
  EXPECT_NE(shown.output.find(today.Iso()), std::string::npos) << shown.output;
}

// The notices of one case in a user's inbox, oldest first.
std::vector<std::string> NoticesAbout(const HttpClient& c, std::int64_t case_id) {
  auto r = c.Get("/api/v1/notifications?limit=500");
  EXPECT_EQ(r.status, 200) << r.body;
  std::vector<std::string> kinds;
  auto body = r.Json();
  for (const auto& n : body.at("items").as_array()) {
    if (!n.at("case_id").is_null() && n.at("case_id").as_int64() == case_id) kinds.insert(kinds.begin(), Str(n, "kind"));
  }
  return kinds;
}

TEST_P(ApiTest, TheInboxTellsTheHandlersAndASignedWebhookCarriesTheNewsWithoutPersonalData) {
  auto& st = stack();
  HttpSink sink;
  auto sysadmin = st.As("sysadmin");
  auto worker1 = st.As("worker1"), worker2 = st.As("worker2"), leader1 = st.As("leader1");
  EXPECT_EQ(worker2.PostJson("/api/v1/webhooks", R"({"name":"网关","url":")" + sink.Url() + R"(","kinds":["*"]})").status, 403);
  auto added = sysadmin.PostJson("/api/v1/webhooks", R"({"name":"短信网关","url":")" + sink.Url() +
                                                       R"(","kinds":["case.reported","case.assigned","case.progress"]})");
  ASSERT_EQ(added.status, 201) << added.body;
  auto hook_id = std::to_string(added.Json().at("id").as_int64());
  std::string secret = Str(added.Json(), "secret");
  EXPECT_TRUE(secret.starts_with("whsec_"));
  EXPECT_EQ(sysadmin.Get("/api/v1/webhooks").body.find(secret), std::string::npos) << "the secret is shown once";

  auto tracking = ReportFromQr(st);
  auto id = CaseIdOf(worker1, tracking);
  ASSERT_GT(id, 0);
  EXPECT_EQ(NoticesAbout(worker1, id), std::vector<std::string>{"case.reported"});
  EXPECT_EQ(NoticesAbout(leader1, id), std::vector<std::string>{"case.reported"});
  EXPECT_TRUE(NoticesAbout(worker2, id).empty()) << "another grid hears nothing of it";

  ASSERT_EQ(Act(leader1, id, R"({"action":"accept"})").status, 200);
  ASSERT_EQ(Act(leader1, id, R"({"action":"assign","assignee_id":10})").status, 200);
  EXPECT_EQ(NoticesAbout(worker1, id), (std::vector<std::string>{"case.reported", "case.assigned"}));
  EXPECT_EQ(NoticesAbout(leader1, id), std::vector<std::string>{"case.reported"}) << "nobody is told what they did";

  // Reading: one at a time, then all; someone else's notice is not found.
  auto inbox = worker1.Get("/api/v1/notifications?unread=true&limit=500").Json();
  auto unread = inbox.at("unread").as_int64();
  ASSERT_GE(unread, 2);
  auto first = inbox.at("items").as_array().front().at("id").as_int64();
  auto path = "/api/v1/notifications/" + std::to_string(first) + "/read";
  EXPECT_EQ(worker2.PostJson(path, "{}").status, 404);
  EXPECT_EQ(worker1.PostJson(path, "{}").Json().at("changed").as_int64(), 1);
  EXPECT_EQ(worker1.PostJson(path, "{}").Json().at("changed").as_int64(), 0);
  EXPECT_EQ(worker1.Get("/api/v1/notifications").Json().at("unread").as_int64(), unread - 1);
  EXPECT_EQ(worker1.PostJson("/api/v1/notifications/read-all", "{}").status, 200);
  EXPECT_EQ(worker1.Get("/api/v1/notifications").Json().at("unread").as_int64(), 0);

  // The server's sender posts the three subscribed notices (report, its progress, assign) within seconds.
  auto got = sink.WaitFor(4, std::chrono::seconds(15));
  ASSERT_GE(got.size(), 4u);
  std::vector<std::string> kinds;
  for (const auto& req : got) {
    kinds.push_back(req.headers.at("x-linli-event"));
    const auto& sig = req.headers.at("x-linli-signature");
    auto comma = sig.find(",v1=");
    ASSERT_NE(comma, std::string::npos) << sig;
    EXPECT_EQ(sig.substr(comma + 4), crypto::HmacSha256Hex(secret, sig.substr(2, comma - 2) + "." + req.body));
    EXPECT_EQ(req.body.find("13912345678"), std::string::npos) << "no phone leaves in a webhook";
    EXPECT_EQ(req.body.find("杨女士"), std::string::npos) << "no name leaves in a webhook";
    EXPECT_NE(req.body.find(tracking), std::string::npos);
  }
  std::sort(kinds.begin(), kinds.end());
  EXPECT_EQ(kinds, (std::vector<std::string>{"case.assigned", "case.progress", "case.progress", "case.reported"}))
      << "report and accept are progress for the resident";
  // The sender records each outcome just after its answer.
  std::size_t delivered = 0;
  for (int i = 0; i < 50 && delivered < 4; ++i) {
    if (i) std::this_thread::sleep_for(std::chrono::milliseconds(100));
    delivered = sysadmin.Get("/api/v1/webhooks/" + hook_id + "/deliveries?state=delivered").Json().at("items").as_array().size();
  }
  EXPECT_EQ(delivered, 4u);

  // Bad input.
  EXPECT_EQ(worker1.Get("/api/v1/notifications?limit=0").ErrorField(), "limit");
  EXPECT_EQ(worker1.Get("/api/v1/notifications?before=abc").ErrorField(), "before");
  EXPECT_EQ(worker1.Get("/api/v1/notifications?unread=maybe").ErrorField(), "unread");
  EXPECT_EQ(worker1.PostJson("/api/v1/notifications/abc/read", "{}").status, 400);
  EXPECT_EQ(sysadmin.PostJson("/api/v1/webhooks", R"({"name":"x","url":"http://h/","kinds":"*"})").ErrorField(), "kinds");
  EXPECT_EQ(sysadmin.PostJson("/api/v1/webhooks", R"js({"name":"x","url":"javascript:alert(1)","kinds":["*"]})js").ErrorField(), "url");
  EXPECT_EQ(sysadmin.PostJson("/api/v1/webhooks", R"({"name":"x","url":"http://h/","kinds":["*"],"extra":1})").ErrorField(), "extra");
  EXPECT_EQ(sysadmin.PostJson("/api/v1/webhooks", "{not json").ErrorField(), "body");
  EXPECT_EQ(sysadmin.Get("/api/v1/webhooks/" + hook_id + "/deliveries?state=lost").ErrorField(), "state");
  EXPECT_EQ(sysadmin.Get("/api/v1/webhooks/999999/deliveries").status, 404);
  EXPECT_EQ(sysadmin.PostJson("/api/v1/webhook-deliveries/999999/retry", "{}").status, 404);
  EXPECT_EQ(sysadmin.Get("/api/v1/webhooks").Json().at("items").as_array().size(), 1u) << "bad requests stored nothing";

  auto removed = sysadmin.Json("DELETE", "/api/v1/webhooks/" + hook_id, "");
  ASSERT_EQ(removed.status, 200) << removed.body;
  EXPECT_FALSE(removed.Json().at("removed_at").is_null());
}

TEST_P(ApiTest, ADepartmentWorksOnlyTheCasesDispatchedToIt) {
  auto& st = stack();
  // A second department with its own handler.
  auto made = RunLinli(st.With({"user", "create", "--username", "dept.zhujian", "--name", "住建部门 钱进", "--node",
                                "320581001", "--role", "department_handler", "--password-stdin", "--no-password-change"}),
                       std::string(kDemoPassword) + "\n");
  ASSERT_EQ(made.exit_code, 0) << made.output;
  auto set = RunLinli(st.With({"user", "departments", "dept.zhujian", "--set", "住建部门"}));
  ASSERT_EQ(set.exit_code, 0) << set.output;
  EXPECT_NE(set.output.find("住建部门"), std::string::npos);

  auto worker1 = st.As("worker1"), secretary = st.As("secretary");
  auto r = worker1.PostJson("/api/v1/cases", R"({"channel":"patrol","category":"city.street_order",)"
                                             R"("description":"夜市摊位占道到晚上十二点","node_id":5})");
  ASSERT_EQ(r.status, 201) << r.body;
  auto id = r.Json().at("id").as_int64();
  ASSERT_EQ(Act(worker1, id, R"({"action":"accept"})").status, 200);
  ASSERT_EQ(Act(worker1, id, R"({"action":"escalate","note":"需要执法"})").status, 200);
  EXPECT_EQ(Act(secretary, id, R"({"action":"dispatch","department":"无人部门"})").ErrorField(), "department")
      << "nobody would receive it";
  ASSERT_EQ(Act(secretary, id, R"({"action":"dispatch","department":"城管中队"})").status, 200);

  auto zhujian = st.As("dept.zhujian"), chengguan = st.As("dept.chengguan");
  EXPECT_EQ(Act(zhujian, id, R"({"action":"dept_accept"})").status, 403) << "not dispatched to 住建部门";
  EXPECT_EQ(Act(zhujian, id, R"({"action":"dept_return","note":"不归我们管"})").status, 403);
  EXPECT_TRUE(NoticesAbout(zhujian, id).empty());
  EXPECT_EQ(NoticesAbout(chengguan, id), std::vector<std::string>{"case.dispatched"});
  // What each is offered matches what each may do.
  EXPECT_FALSE(HasAction(zhujian.Get("/api/v1/cases/" + std::to_string(id)).Json(), "dept_accept"));
  EXPECT_TRUE(HasAction(chengguan.Get("/api/v1/cases/" + std::to_string(id)).Json(), "dept_accept"));
  ASSERT_EQ(Act(chengguan, id, R"({"action":"dept_accept"})").status, 200);
  auto sysadmin = st.As("sysadmin");
  EXPECT_EQ(sysadmin.Get("/api/v1/users/5/departments").Json().at("departments").as_array().at(0).as_string(), "城管中队");
  EXPECT_EQ(sysadmin.Json("PUT", "/api/v1/users/5/departments", R"({"departments":"城管中队"})").ErrorField(), "departments");
  EXPECT_EQ(sysadmin.Json("PUT", "/api/v1/users/5/departments", R"({"departments":["<b>x</b>"]})").ErrorField(),
            "departments[0]");
  EXPECT_EQ(worker1.Json("PUT", "/api/v1/users/5/departments", R"({"departments":[]})").status, 404)
      << "a grid worker cannot see, let alone change, the subdistrict's accounts";
}

TEST_P(ApiTest, TheCouncilTakesEscalatedMattersAndItsDecisionsReachTheCases) {
  auto& st = stack();
  auto worker1 = st.As("worker1"), secretary = st.As("secretary");
  auto escalated = [&](const std::string& description) {
    auto r = worker1.PostJson("/api/v1/cases", R"({"channel":"meeting","category":"community.parking","description":")" +
                                                   description + R"(","node_id":5})");
    EXPECT_EQ(r.status, 201) << r.body;
    auto id = r.Json().at("id").as_int64();
    EXPECT_EQ(Act(worker1, id, R"({"action":"accept"})").status, 200);
    EXPECT_EQ(Act(worker1, id, R"({"action":"escalate","note":"涉及全小区，网格解决不了"})").status, 200);
    return id;
  };
  auto a = escalated("小区停车位不够，晚上车停到消防通道");
  auto b = escalated("电动车在楼道里充电，有火灾隐患");

  EXPECT_EQ(worker1.PostJson("/api/v1/council-meetings", R"({"node_id":2,"title":"虹桥社区议事会","scheduled_at":1796000000000})").status,
            403) << "a grid worker does not call the council";
  auto made = secretary.PostJson("/api/v1/council-meetings",
                                 R"({"node_id":2,"title":"虹桥社区12月议事会","place":"社区活动室","scheduled_at":1796000000000})");
  ASSERT_EQ(made.status, 201) << made.body;
  auto mid = std::to_string(made.Json().at("id").as_int64());
  auto path = "/api/v1/council-meetings/" + mid;
  ASSERT_EQ(secretary.PostJson(path + "/items", "{\"case_id\":" + std::to_string(a) + "}").status, 200);
  auto agenda = secretary.PostJson(path + "/items", "{\"case_id\":" + std::to_string(b) + "}");
  ASSERT_EQ(agenda.status, 200);
  EXPECT_EQ(agenda.Json().at("items").as_array().size(), 2u);
  EXPECT_EQ(secretary.PostJson(path + "/items", R"({"case_id":999999})").ErrorField(), "case_id");
  EXPECT_EQ(secretary.PostJson(path + "/items", R"({"case_id":"x"})").ErrorField(), "case_id");
  EXPECT_EQ(secretary.Json("DELETE", path + "/items/999999", "").status, 404) << "not on the agenda";
  EXPECT_EQ(worker1.Json("DELETE", path + "/items/" + std::to_string(a), "").status, 404)
      << "the community's council lies outside a grid worker's scope";
  EXPECT_EQ(secretary.Get("/api/v1/council-meetings?before=abc").ErrorField(), "before");
  EXPECT_EQ(secretary.PostJson("/api/v1/council-meetings", R"({"node_id":2,"title":"<b>会</b>","scheduled_at":1})").ErrorField(),
            "title");

  // Every item needs a decision; a case not on the agenda is refused; nothing is recorded then.
  auto partial = secretary.PostJson(path + "/record", R"({"attendees":["孙丽","居民代表 王大爷"],"decisions":[{"case_id":)" +
                                                          std::to_string(a) + R"(,"decision":"划定夜间临时停车区"}]})");
  EXPECT_EQ(partial.ErrorField(), "decisions");
  auto stranger = secretary.PostJson(path + "/record", R"({"attendees":["孙丽"],"decisions":[{"case_id":999999,"decision":"无关"}]})");
  EXPECT_EQ(stranger.ErrorField(), "decisions[0].case_id") << stranger.body;
  EXPECT_EQ(secretary.PostJson(path + "/record", R"({"attendees":[],"decisions":[]})").ErrorField(), "attendees");
  EXPECT_EQ(secretary.PostJson(path + "/record", R"({"attendees":["孙丽"],"decisions":[{"case_id":"x"}]})").ErrorField(),
            "decisions[0].case_id");
  EXPECT_EQ(Str(secretary.Get(path).Json(), "state"), "planned");

  auto record = secretary.PostJson(path + "/record",
                                   R"({"attendees":["孙丽","冯军","居民代表 王大爷"],"minutes":"两项议题均形成决议",)"
                                   R"("decisions":[{"case_id":)" + std::to_string(a) + R"(,"decision":"划定夜间临时停车区，物业负责引导"},)"
                                   R"({"case_id":)" + std::to_string(b) + R"(,"decision":"在车棚加装充电桩，楼道禁止充电"}]})");
  ASSERT_EQ(record.status, 200) << record.body;
  EXPECT_EQ(Str(record.Json(), "state"), "held");
  auto steps = worker1.Get("/api/v1/cases/" + std::to_string(a)).Json().at("events").as_array();
  EXPECT_EQ(Str(steps.back(), "action"), "council");
  EXPECT_EQ(Str(steps.back(), "note"), "划定夜间临时停车区，物业负责引导");
  EXPECT_EQ(secretary.PostJson(path + "/items", "{\"case_id\":" + std::to_string(a) + "}").status, 409) << "met already";
  EXPECT_EQ(st.As("worker.xinjie").Get(path).status, 404) << "another community's council";
  auto listed = secretary.Get("/api/v1/council-meetings?node_id=2");
  ASSERT_EQ(listed.status, 200);
  EXPECT_NE(listed.body.find("虹桥社区12月议事会"), std::string::npos);
}

TEST_P(ApiTest, ThePublicFormIsLimitedPerPhoneAndPerAddress) {
  auto own = NewStack(GetParam(), {"--login-rate", "10000", "--public-rate", "2"});
  auto report = [&](const std::string& device) {
    std::map<std::string, std::string> headers = {{"Content-Type", "application/json"}};
    if (!device.empty()) headers["X-Device-Id"] = device;
    return own->Anonymous().Send("POST", "/api/v1/public/cases", NoiseReport(), headers).status;
  };
  EXPECT_EQ(report("phone-aaaa-1111"), 201);
  EXPECT_EQ(report("phone-aaaa-1111"), 201);
  EXPECT_EQ(report("phone-aaaa-1111"), 429) << "one phone: the public rate";
  EXPECT_EQ(report("phone-bbbb-2222"), 201) << "another phone behind the same address still gets through";
  EXPECT_EQ(report("phone-bbbb-2222"), 201);
  EXPECT_EQ(report(""), 201) << "without a device id the address itself is limited";
  EXPECT_EQ(report(""), 201);
  EXPECT_EQ(report(""), 429);
  EXPECT_EQ(report("x"), 429) << "a malformed device id counts as none";
  auto body = own->Anonymous().Send("POST", "/api/v1/public/cases", NoiseReport(), {{"Content-Type", "application/json"}});
  EXPECT_EQ(body.ErrorCode(), "resource_exhausted");
}

TEST_P(ApiTest, AnAddressWithoutAPointIsPlacedAtItsBuilding) {
  auto& st = stack();
  auto secretary = st.As("secretary");
  auto building = secretary.PostJson("/api/v1/buildings", R"({"node_id":5,"code":"HQL-88-3","name":"3号楼","address":"虹桥路88号"})");
  ASSERT_EQ(building.status, 201) << building.body;
  auto building_id = building.Json().at("id").as_int64();
  auto report = [&](const std::string& address) {
    auto r = st.Anonymous().PostJson("/api/v1/public/cases", R"({"category":"city.environment","description":"楼下垃圾没人清理",)"
                                                             R"("address":")" + address + R"("})");
    EXPECT_EQ(r.status, 201) << r.body;
    return Str(r.Json(), "tracking_code");
  };
  auto placed = report("虹桥路88号  3号楼2单元301室");
  auto id = CaseIdOf(st.As("worker1"), placed);
  ASSERT_GT(id, 0) << "the grid of the building sees it";
  auto c = st.As("worker1").Get("/api/v1/cases/" + std::to_string(id)).Json();
  EXPECT_EQ(c.at("building_id").as_int64(), building_id);
  EXPECT_TRUE(c.at("placed").as_bool());
  // The same address written otherwise: traditional characters, full-width digits, a region in
  // front, Chinese numerals, 幢 for 号楼, punctuation.
  for (const char* variant : {"江蘇省張家港市虹橋路８８號3幢", "张家港市 虹桥路八十八号，3号楼2单元", "虹桥路(88号)"}) {
    auto code = report(variant);
    auto vid = CaseIdOf(st.As("worker1"), code);
    ASSERT_GT(vid, 0) << variant;
    EXPECT_EQ(st.As("worker1").Get("/api/v1/cases/" + std::to_string(vid)).Json().at("building_id").as_int64(), building_id)
        << variant;
  }
  auto lost = report("不存在的路1号");
  EXPECT_EQ(CaseIdOf(st.As("worker1"), lost), 0);
  EXPECT_EQ(CaseIdOf(st.As("worker1"), report("虹桥路89号")), 0) << "another number is another building";
  auto official = st.As("official");
  EXPECT_GT(CaseIdOf(official, lost, "1"), 0) << "an unknown address waits at the subdistrict to be placed";
}

TEST_P(ApiTest, RepeatsAcrossACommunityLineAreSuggestedToWhoeverSeesBoth) {
  // 虹桥 (community 2, its compound 4 and grid 5) and 新街 (community 3 and grid 10) meet at
  // longitude 121.11, drawn away from where other tests place anything.
  auto& st = stack();
  auto admin = st.As("sysadmin");
  for (auto [node, x0, x1] : {std::tuple{2, 121.10, 121.11}, {4, 121.10, 121.11}, {5, 121.10, 121.11},
                              {3, 121.11, 121.12}, {10, 121.11, 121.12}}) {
    auto r = admin.Send("PUT", "/api/v1/org/nodes/" + std::to_string(node) + "/boundary",
                        cli::RectangleGeoJson(x0, 31.30, x1, 31.31),
                        {{"Content-Type", "application/geo+json"}});
    ASSERT_EQ(r.status, 200) << node << ": " << r.body;
  }
  auto report = [&](double lon, const std::string& description) {
    char point[80];
    std::snprintf(point, sizeof point, R"(,"lon":%.6f,"lat":31.305})", lon);
    auto r = st.Anonymous().PostJson("/api/v1/public/cases",
                                     R"({"category":"city.environment","description":")" + description + "\"" + point);
    EXPECT_EQ(r.status, 201) << r.body;
    return Str(r.Json(), "tracking_code");
  };
  auto official = st.As("official");
  auto there = CaseIdOf(official, report(121.1105, "路口的路灯坏了晚上很黑"), "10");  // 新街, 95 m from here
  auto far = CaseIdOf(official, report(121.1160, "路口的路灯坏了晚上很黑"), "10");    // 新街, 620 m away
  auto here = CaseIdOf(official, report(121.1095, "路口路灯坏了，晚上很黑"), "5");
  ASSERT_GT(there, 0);
  ASSERT_GT(far, 0);
  ASSERT_GT(here, 0);
  auto ids_of = [](const HttpResult& r) {
    std::vector<std::int64_t> ids;
    auto json = r.Json();  // kept: the loop below walks inside it
    for (const auto& item : json.at("items").as_array()) ids.push_back(item.at("id").as_int64());
    return ids;
  };
  auto similar = official.Get("/api/v1/cases/" + std::to_string(here) + "/similar");
  ASSERT_EQ(similar.status, 200) << similar.body;
  EXPECT_EQ(ids_of(similar), std::vector<std::int64_t>{there}) << "the next community's report, not the far one";
  // Whoever sees only 虹桥 is not shown 新街's case.
  auto secretary = st.As("secretary");
  auto theirs = secretary.Get("/api/v1/cases/" + std::to_string(here) + "/similar");
  ASSERT_EQ(theirs.status, 200) << theirs.body;
  EXPECT_TRUE(ids_of(theirs).empty()) << theirs.body;
}

TEST_P(ApiTest, CaseExportsKeepToTheScopeAndNeverCarryTheReporter) {
  auto& st = stack();
  auto tracking = ReportFromQr(st);  // grid 5, with the reporter's name and phone
  auto other = st.As("worker2").PostJson("/api/v1/cases", R"({"channel":"patrol","category":"city.environment",)"
                                                          R"("description":"第二网格的井盖松动了","node_id":6})");
  ASSERT_EQ(other.status, 201);
  auto worker1 = st.As("worker1");
  auto csv = worker1.Get("/api/v1/export/cases?format=csv");
  ASSERT_EQ(csv.status, 200) << csv.body.substr(0, 200);
  EXPECT_NE(csv.body.find(tracking), std::string::npos);
  EXPECT_NE(csv.body.find("导出人"), std::string::npos) << "the file names its exporter";
  EXPECT_EQ(csv.body.find("井盖松动"), std::string::npos) << "another grid's case";
  EXPECT_EQ(csv.body.find("13912345678"), std::string::npos);
  EXPECT_EQ(csv.body.find("杨女士"), std::string::npos);
  auto xlsx = worker1.Get("/api/v1/export/cases?format=xlsx&open=true");
  ASSERT_EQ(xlsx.status, 200);
  EXPECT_TRUE(xlsx.body.starts_with("PK")) << "an XLSX is a zip";
  EXPECT_EQ(worker1.Get("/api/v1/export/cases?format=csv&reveal=true&reason=x").ErrorField(), "reveal");
  EXPECT_EQ(worker1.Get("/api/v1/export/cases?format=csv&node_id=6").status, 404);
  EXPECT_EQ(worker1.Get("/api/v1/export/cases?format=pdf").ErrorField(), "format");
  EXPECT_EQ(st.As("auditor").Get("/api/v1/export/cases?format=csv").status, 403);
}

TEST_P(ApiTest, PassedDeadlinesMarkCasesOverdueEscalateAndCloseUnratedOnes) {
  auto own = NewStack(GetParam(), {"--login-rate", "10000", "--public-rate", "10000"});
  auto worker1 = own->As("worker1");
  // 街面秩序 escalates itself when overdue; 市容环境 does not.
  auto order = worker1.PostJson("/api/v1/cases", R"({"channel":"patrol","category":"city.street_order",)"
                                                 R"("description":"路口占道经营","node_id":5})");
  ASSERT_EQ(order.status, 201) << order.body;
  auto env = worker1.PostJson("/api/v1/cases", R"({"channel":"patrol","category":"city.environment",)"
                                               R"("description":"绿化带内堆放建筑垃圾","node_id":5})");
  ASSERT_EQ(env.status, 201) << env.body;
  auto resolved_id = std::to_string(env.Json().at("id").as_int64());
  auto order_id = std::to_string(order.Json().at("id").as_int64());
  auto resident = ReportFromQr(*own);
  auto resident_id = CaseIdOf(worker1, resident);
  ASSERT_EQ(Act(worker1, resident_id, R"({"action":"accept"})").status, 200);
  ASSERT_EQ(Act(worker1, resident_id, R"({"action":"resolve","note":"已处理"})").status, 200);

  // Three weeks on: every deadline has passed, and the rating window too.
  auto later = order.Json().at("resolve_due_at").as_int64() + 21LL * 86400000;
  auto run = RunLinli(own->With({"cases", "deadlines", "--at-ms", std::to_string(later)}));
  ASSERT_EQ(run.exit_code, 0) << run.output;

  auto o = worker1.Get("/api/v1/cases/" + order_id).Json();
  EXPECT_TRUE(o.at("overdue_response").as_bool());
  EXPECT_TRUE(o.at("overdue_resolve").as_bool());
  EXPECT_EQ(Str(o, "level"), "community") << "街面秩序 escalates when overdue";
  std::vector<std::string> actions;
  for (const auto& e : o.at("events").as_array()) actions.push_back(Str(e, "action") + ":" + Str(e, "actor_kind"));
  EXPECT_EQ(actions, (std::vector<std::string>{"report:staff", "overdue:system", "escalate:system"}));
  auto e = worker1.Get("/api/v1/cases/" + resolved_id).Json();
  EXPECT_TRUE(e.at("overdue_resolve").as_bool());
  EXPECT_EQ(Str(e, "level"), "grid");
  auto overdue = worker1.Get("/api/v1/cases?overdue=true&node_id=5").Json().at("items").as_array();
  EXPECT_EQ(overdue.size(), 2u);
  EXPECT_EQ(worker1.Get("/api/v1/org/nodes/5/counts").Json().at("cases.overdue").as_int64(), 2);
  auto r = own->Anonymous().Get("/api/v1/public/cases/" + resident).Json();
  EXPECT_EQ(Str(r, "state"), "closed") << "no rating within 7 days closes it";
  EXPECT_TRUE(r.at("rating").is_null());
  // A second pass finds nothing left to do.
  run = RunLinli(own->With({"cases", "deadlines", "--at-ms", std::to_string(later)}));
  EXPECT_NE(run.output.find("0 case(s)"), std::string::npos) << run.output;
}

INSTANTIATE_TEST_SUITE_P(Backends, ApiTest, ::testing::Values("sqlite", "postgres"),
                         [](const auto& info) { return info.param; });

}  // namespace
}  // namespace linli::testing
