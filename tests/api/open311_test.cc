// Open311 GeoReport v2 over real HTTP on SQLite and PostgreSQL, as FixMyStreet calls it: discovery,
// services and their definitions, a POSTed request with an API key, following it by id, token and
// lists, the servicerequestupdates feed both ways; every XML answer well-formed (xmllint) and the
// JSON checked against the Open311 project's schemas; bad input refused in Open311's error format
// and nothing stored.
#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <regex>

#include "api/api_fixture.h"
#include "cli/demo_population.h"

namespace linli::testing {
namespace {

namespace json = boost::json;

constexpr const char* kBase = "/open311/v2";
// A point inside 虹桥第一网格 (grid 5), whose boundary the tests draw (the small demo has none).
constexpr const char* kGrid5Lat = "31.645";
constexpr const char* kGrid5Long = "120.742";

std::string Str(const json::value& v, const char* key) { return std::string(v.at(key).as_string()); }

HttpResult PostForm(const HttpClient& c, const std::string& target, const std::string& body) {
  return c.Send("POST", target, body, {{"Content-Type", "application/x-www-form-urlencoded; charset=utf-8"}});
}

std::string Encode(const std::string& s) {
  std::string out;
  char buf[4];
  for (unsigned char ch : s) {
    if (std::isalnum(ch) || ch == '-' || ch == '_' || ch == '.' || ch == '~') {
      out += static_cast<char>(ch);
    } else {
      std::snprintf(buf, sizeof buf, "%%%02X", ch);
      out += buf;
    }
  }
  return out;
}

// The text of the first <tag>…</tag> in an XML answer.
std::string XmlText(const std::string& xml, const std::string& tag) {
  std::smatch m;
  if (std::regex_search(xml, m, std::regex("<" + tag + ">([^<]*)</" + tag + ">"))) return m[1];
  return "";
}

class Open311Test : public ApiTest {
 protected:
  // An API key of the demo's Open311 client account, made once per stack.
  const std::string& Key() {
    auto& key = keys_[GetParam()];
    if (key.empty()) {
      // Grid 5 and its parents get boundaries around the test point (once per stack).
      auto admin = stack().As("sysadmin");
      for (auto [node, x0, y0, x1, y1] : {std::tuple{2, 120.70, 31.60, 120.80, 31.70}, {4, 120.70, 31.60, 120.76, 31.70},
                                          {5, 120.73, 31.63, 120.75, 31.66}}) {
        auto r = admin.Send("PUT", "/api/v1/org/nodes/" + std::to_string(node) + "/boundary",
                            cli::RectangleGeoJson(x0, y0, x1, y1),
                            {{"Content-Type", "application/geo+json"}});
        EXPECT_EQ(r.status, 200) << r.body;
      }
      auto run = RunLinli(stack().With({"apikey", "create", "--user", "open311", "--name", "FixMyStreet"}));
      EXPECT_EQ(run.exit_code, 0) << run.output;
      std::smatch m;
      if (std::regex_search(run.output, m, std::regex("lk_[A-Za-z0-9_-]+"))) key = m[0];
    }
    return key;
  }

  // Posts a request signed with the key; returns the answer.
  HttpResult Post(const std::string& fields, const std::string& format = "xml") {
    return PostRaw("api_key=" + Key() + "&" + fields, format);
  }
  HttpResult PostRaw(const std::string& body, const std::string& format = "xml") {
    return PostForm(stack().Anonymous(), std::string(kBase) + "/requests." + format, body);
  }

  std::string NewRequest(const std::string& description = "路边垃圾桶满了，三天没人清运") {
    auto r = Post("service_code=city.environment&lat=" + std::string(kGrid5Lat) + "&long=" + kGrid5Long +
                  "&description=" + Encode(description) + "&first_name=" + Encode("女士") + "&last_name=" + Encode("杨") +
                  "&phone=13912345678&media_url=" + Encode("https://fms.example/photo/1.jpeg"));
    EXPECT_EQ(r.status, 200) << r.body;
    return XmlText(r.body, "service_request_id");
  }

  static std::map<std::string, std::string> keys_;
};
std::map<std::string, std::string> Open311Test::keys_;

void ExpectWellFormedXml(const HttpResult& r) {
  EXPECT_EQ(r.headers.at("content-type"), "text/xml; charset=utf-8");
  EXPECT_TRUE(r.body.starts_with("<?xml version=\"1.0\" encoding=\"utf-8\"?>")) << r.body.substr(0, 80);
  auto run = RunProgram("xmllint", {"--noout", "-"}, r.body);
  EXPECT_EQ(run.exit_code, 0) << run.output << "\n" << r.body.substr(0, 400);
}

// Validates against the Open311 project's JSON Schema when the schemas are beside the project.
void ExpectMatchesSchema(const HttpResult& r, const std::string& schema) {
  EXPECT_EQ(r.headers.at("content-type"), "application/json; charset=utf-8");
  std::string dir = SourceDir() + "/../shared/open311-schemas";
  if (!std::filesystem::exists(dir + "/" + schema)) {
    std::cerr << "(the Open311 schemas are not at " << dir << "; only the structure is checked)\n";
    return;
  }
  TempDir tmp;
  std::string file = tmp.path() + "/doc.json";
  std::ofstream(file) << r.body;
  auto run = RunProgram("python3", {SourceDir() + "/tests/open311_schema_check.py", dir, schema, file});
  EXPECT_EQ(run.exit_code, 0) << run.output << "\n" << r.body.substr(0, 400);
}

TEST_P(Open311Test, DiscoveryServicesAndDefinitionsInBothFormats) {
  auto anon = stack().Anonymous();
  auto xml = anon.Get(std::string(kBase) + "/discovery.xml");
  ASSERT_EQ(xml.status, 200);
  ExpectWellFormedXml(xml);
  EXPECT_EQ(XmlText(xml.body, "specification"), "http://wiki.open311.org/GeoReport_v2");
  auto discovery = anon.Get(std::string(kBase) + "/discovery.json").Json();
  EXPECT_TRUE(discovery.is_object());
  EXPECT_EQ(discovery.at("endpoints").as_array().at(0).at("formats").as_array().size(), 2u);

  auto services_xml = anon.Get(std::string(kBase) + "/services.xml");
  ExpectWellFormedXml(services_xml);
  EXPECT_NE(services_xml.body.find("<service_code>community.noise</service_code>"), std::string::npos);
  auto services = anon.Get(std::string(kBase) + "/services.json");
  ExpectMatchesSchema(services, "services.json");
  bool noise_found = false;
  auto services_json = services.Json();
  for (const auto& s : services_json.as_array()) {
    EXPECT_NE(Str(s, "service_code").find('.'), std::string::npos) << "groups are not services";
    if (Str(s, "service_code") == "community.noise") {
      noise_found = true;
      EXPECT_TRUE(s.at("metadata").as_bool()) << "it asks when the noise happens";
      EXPECT_FALSE(Str(s, "group").empty());
    }
  }
  EXPECT_TRUE(noise_found);

  auto def = anon.Get(std::string(kBase) + "/services/community.noise.json");
  ASSERT_EQ(def.status, 200) << def.body;
  ExpectMatchesSchema(def, "service-definition.json");
  auto attribute = def.Json().at("attributes").as_array().at(0);
  EXPECT_EQ(Str(attribute, "code"), "when");
  EXPECT_EQ(Str(attribute, "datatype"), "singlevaluelist");
  EXPECT_TRUE(attribute.at("required").as_bool());
  EXPECT_FALSE(attribute.at("values").as_array().empty());
  ExpectWellFormedXml(anon.Get(std::string(kBase) + "/services/community.noise.xml"));

  auto missing = anon.Get(std::string(kBase) + "/services/no.such.xml");
  EXPECT_EQ(missing.status, 404);
  ExpectWellFormedXml(missing);
  EXPECT_EQ(XmlText(missing.body, "code"), "404");
  EXPECT_NE(XmlText(missing.body, "description").find("service_code"), std::string::npos);
  auto group = anon.Get(std::string(kBase) + "/services/community.json");
  EXPECT_EQ(group.status, 404);
  EXPECT_EQ(group.Json().as_array().at(0).at("code").as_int64(), 404);
  EXPECT_EQ(anon.Get(std::string(kBase) + "/services.json?jurisdiction_id=sfgov.org").status, 404);
  EXPECT_EQ(anon.Get(std::string(kBase) + "/services.json?jurisdiction_id=320581001").status, 200);
  EXPECT_EQ(anon.Get(std::string(kBase) + "/services.json?jurisdiction_id=").status, 200) << "empty means absent";
  EXPECT_EQ(anon.Get(std::string(kBase) + "/services/community.noise.csv").status, 404);
}

TEST_P(Open311Test, AClientPostsARequestThatLandsInTheGridAndIsFollowedByIdTokenAndList) {
  auto& st = stack();
  auto anon = st.Anonymous();
  auto id = NewRequest();
  ASSERT_EQ(id.size(), 10u) << "the id is the tracking code";

  // Staff see it in the grid the point lies in, entered by the key, with the photo's address kept.
  auto worker1 = st.As("worker1");
  std::int64_t case_id = 0;
  auto list = worker1.Get("/api/v1/cases?node_id=5&channel=open311&limit=500").Json();
  for (const auto& c : list.at("items").as_array()) {
    if (Str(c, "tracking_code") == id) case_id = c.at("id").as_int64();
  }
  ASSERT_GT(case_id, 0) << "the point lies in grid 5";
  auto detail = worker1.Get("/api/v1/cases/" + std::to_string(case_id)).Json();
  EXPECT_EQ(Str(detail, "channel"), "open311");
  EXPECT_EQ(Str(detail, "reporter_phone"), "139****5678");
  auto report = detail.at("events").as_array().at(0);
  EXPECT_EQ(Str(report, "actor_kind"), "api_key");
  EXPECT_EQ(report.at("detail").at("media_urls").as_array().at(0).as_string(), "https://fms.example/photo/1.jpeg");
  EXPECT_TRUE(st.As("worker2").Get("/api/v1/cases?channel=open311&limit=500").body.find(id) == std::string::npos);

  // Followed by its id, without a key.
  auto one = anon.Get(std::string(kBase) + "/requests/" + id + ".json");
  ASSERT_EQ(one.status, 200) << one.body;
  ExpectMatchesSchema(one, "requests.json");
  auto req = one.Json().as_array().at(0);
  EXPECT_EQ(Str(req, "status"), "open");
  EXPECT_EQ(Str(req, "service_code"), "city.environment");
  EXPECT_NEAR(req.at("lat").to_number<double>(), 31.645, 1e-6);
  EXPECT_TRUE(Str(req, "requested_datetime").ends_with("Z"));
  EXPECT_EQ(one.body.find("13912345678"), std::string::npos) << "no phone in Open311 answers";
  EXPECT_EQ(one.body.find("杨"), std::string::npos) << "no name in Open311 answers";
  auto xml = anon.Get(std::string(kBase) + "/requests/" + id + ".xml");
  ExpectWellFormedXml(xml);
  EXPECT_EQ(XmlText(xml.body, "status"), "open");
  auto token = anon.Get(std::string(kBase) + "/tokens/" + id + ".xml");
  ASSERT_EQ(token.status, 200) << token.body;
  EXPECT_EQ(XmlText(token.body, "service_request_id"), id);
  EXPECT_EQ(anon.Get(std::string(kBase) + "/requests/ZZZZZZZZZZ.xml").status, 404);

  // Lists: by ids for anyone; everything else with the key, filtered.
  auto named = anon.Get(std::string(kBase) + "/requests.json?service_request_id=" + id + ",ZZZZZZZZZZ");
  ASSERT_EQ(named.status, 200) << named.body;
  EXPECT_EQ(named.Json().as_array().size(), 1u);
  EXPECT_EQ(anon.Get(std::string(kBase) + "/requests.json").status, 403) << "listing everything needs a key";
  auto key = Key();
  auto listed = anon.Get(std::string(kBase) + "/requests.json?api_key=" + key + "&service_code=city.environment,community.noise");
  ASSERT_EQ(listed.status, 200) << listed.body;
  ExpectMatchesSchema(listed, "requests.json");
  EXPECT_NE(listed.body.find(id), std::string::npos);
  EXPECT_EQ(anon.Get(std::string(kBase) + "/requests.json?api_key=" + key + "&service_code=community.noise").body.find(id),
            std::string::npos);
  EXPECT_EQ(anon.Get(std::string(kBase) + "/requests.json?api_key=" + key + "&status=closed").body.find(id), std::string::npos);
  EXPECT_NE(anon.Get(std::string(kBase) + "/requests.json?api_key=" + key + "&status=open").body.find(id), std::string::npos);
  EXPECT_EQ(anon.Get(std::string(kBase) + "/requests.json?api_key=" + key + "&start_date=2020-01-01T00:00:00Z&end_date=2020-02-01T00:00:00Z")
                .body.find(id),
            std::string::npos);
  auto wide = anon.Get(std::string(kBase) + "/requests.xml?api_key=" + key + "&start_date=2020-01-01T00:00:00Z&end_date=2020-12-01T00:00:00Z");
  EXPECT_EQ(wide.status, 400);
  ExpectWellFormedXml(wide);
  EXPECT_NE(XmlText(wide.body, "description").find("start_date"), std::string::npos);
  auto zoneless = anon.Get(std::string(kBase) + "/requests.json?api_key=" + key + "&start_date=2026-11-01T00:00:00");
  EXPECT_EQ(zoneless.status, 400);
  EXPECT_NE(zoneless.body.find("start_date"), std::string::npos);
}

TEST_P(Open311Test, TheUpdatesFeedFollowsTheWorkAndTakesTheClientsComments) {
  auto& st = stack();
  auto anon = st.Anonymous();
  auto id = NewRequest("小区门口的路灯坏了一个星期");
  auto worker1 = st.As("worker1");
  std::int64_t case_id = 0;
  auto open311_cases = worker1.Get("/api/v1/cases?node_id=5&channel=open311&limit=500").Json();
  for (const auto& c : open311_cases.at("items").as_array()) {
    if (Str(c, "tracking_code") == id) case_id = c.at("id").as_int64();
  }
  ASSERT_GT(case_id, 0);
  auto act = [&](const std::string& body) {
    return worker1.PostJson("/api/v1/cases/" + std::to_string(case_id) + "/actions", body);
  };
  ASSERT_EQ(act(R"({"action":"accept"})").status, 200);
  ASSERT_EQ(act(R"({"action":"resolve","note":"已联系物业更换灯泡"})").status, 200);

  auto feed = anon.Get(std::string(kBase) + "/servicerequestupdates.xml?api_key=" + Key());
  ASSERT_EQ(feed.status, 200) << feed.body;
  ExpectWellFormedXml(feed);
  std::vector<std::pair<std::string, std::string>> ours;  // status, description
  std::regex update("<request_update><update_id>[0-9]+</update_id><service_request_id>" + id +
                    "</service_request_id><status>([a-z_]+)</status><updated_datetime>[^<]+</updated_datetime>"
                    "<description>([^<]*)</description>");
  for (auto it = std::sregex_iterator(feed.body.begin(), feed.body.end(), update); it != std::sregex_iterator(); ++it) {
    ours.emplace_back((*it)[1], (*it)[2]);
  }
  ASSERT_EQ(ours.size(), 3u) << feed.body.substr(0, 600);
  EXPECT_EQ(ours[0].first, "open");
  EXPECT_EQ(ours[1].first, "investigating");
  EXPECT_EQ(ours[2], (std::pair<std::string, std::string>{"fixed", "已联系物业更换灯泡"}));
  EXPECT_EQ(anon.Get(std::string(kBase) + "/servicerequestupdates.xml").status, 403);
  auto old = anon.Get(std::string(kBase) + "/servicerequestupdates.json?api_key=" + Key() +
                      "&start_date=2020-01-01T00:00:00Z&end_date=2020-01-02T00:00:00Z");
  ASSERT_EQ(old.status, 200);
  EXPECT_EQ(old.body, "[]");

  // The resident answers through the client: kept on the timeline, the state unchanged.
  std::string update_body = "api_key=" + Key() + "&service_request_id=" + id +
                            "&update_id=fms-77&status=OPEN&updated_datetime=2026-11-29T15:40:00%2B08:00&description=" +
                            Encode("灯还是不亮");
  auto posted = PostForm(anon, std::string(kBase) + "/servicerequestupdates.json", update_body);
  ASSERT_EQ(posted.status, 200) << posted.body;
  EXPECT_FALSE(Str(posted.Json().as_array().at(0), "update_id").empty());
  auto detail = worker1.Get("/api/v1/cases/" + std::to_string(case_id)).Json();
  EXPECT_EQ(Str(detail, "state"), "resolved");
  auto last = detail.at("events").as_array().back();
  EXPECT_EQ(Str(last, "action"), "comment");
  EXPECT_EQ(Str(last, "note"), "灯还是不亮");
  EXPECT_EQ(Str(last.at("detail"), "update_id"), "fms-77");

  // Bad updates change nothing.
  auto events_before = detail.at("events").as_array().size();
  auto bad = [&](const std::string& body) { return PostForm(anon, std::string(kBase) + "/servicerequestupdates.xml", body); };
  auto lower = bad("api_key=" + Key() + "&service_request_id=" + id + "&update_id=x&status=open&updated_datetime=2026-11-29T15:40:00Z&description=x");
  EXPECT_EQ(lower.status, 400);
  EXPECT_NE(XmlText(lower.body, "description").find("status"), std::string::npos);
  auto no_update_id = bad("api_key=" + Key() + "&service_request_id=" + id + "&status=OPEN&updated_datetime=2026-11-29T15:40:00Z&description=x");
  EXPECT_NE(XmlText(no_update_id.body, "description").find("update_id"), std::string::npos);
  EXPECT_EQ(bad("api_key=" + Key() + "&service_request_id=ZZZZZZZZZZ&update_id=x&status=OPEN&updated_datetime=2026-11-29T15:40:00Z&description=x").status,
            404);
  EXPECT_EQ(bad("service_request_id=" + id + "&update_id=x&status=OPEN&updated_datetime=2026-11-29T15:40:00Z&description=x").status, 403);
  EXPECT_EQ(worker1.Get("/api/v1/cases/" + std::to_string(case_id)).Json().at("events").as_array().size(), events_before);
}

TEST_P(Open311Test, BadRequestsAreRefusedInOpen311FormNamingTheFieldAndStoreNothing) {
  auto& st = stack();
  auto anon = st.Anonymous();
  auto count = [&] {
    return st.As("official").Get("/api/v1/cases?channel=open311&limit=500").Json().at("items").as_array().size();
  };
  auto before = count();
  std::string where = std::string("&lat=") + kGrid5Lat + "&long=" + kGrid5Long;
  struct Case {
    std::string body;
    int status;
    std::string field;  // named at the start of the error's description
  };
  std::vector<Case> cases = {
      {"service_code=city.environment&description=abcdefg" + where, 403, "api_key"},
      {"api_key=lk_not_a_real_key&service_code=city.environment&description=abcdefg" + where, 403, "api_key"},
      {"api_key=" + Key() + "&description=abcdefg" + where, 400, "service_code"},
      {"api_key=" + Key() + "&service_code=no.such&description=abcdefg" + where, 404, "service_code"},
      {"api_key=" + Key() + "&service_code=city.environment" + where, 400, "description"},
      {"api_key=" + Key() + "&service_code=city.environment&description=abcdefg", 400, "lat"},
      {"api_key=" + Key() + "&service_code=city.environment&description=abcdefg&lat=abc&long=120.7", 400, "lat"},
      {"api_key=" + Key() + "&service_code=city.environment&description=abcdefg&lat=31.65", 400, "long"},
      {"api_key=" + Key() + "&service_code=city.environment&description=" + std::string(4001, 'a') + where, 400, "description"},
      {"api_key=" + Key() + "&service_code=city.environment&description=" + Encode("<script>alert(1)</script>") + where, 400,
       "description"},
      {"api_key=" + Key() + "&service_code=community.noise&description=abcdefg" + where, 400, "attribute"},
      {"api_key=" + Key() + "&service_code=community.noise&attribute%5Bwhen%5D=sometimes&description=abcdefg" + where, 400,
       "attribute"},
      {"api_key=" + Key() + "&service_code=city.environment&description=abcdefg&phone=12345" + where, 400, "phone"},
      {"api_key=" + Key() + "&service_code=city.environment&description=abcdefg&media_url=javascript:x" + where, 400,
       "media_url"},
      {"api_key=" + Key() + "&service_code=city.environment&description=abcd%ZZ" + where, 400, "body"},
      {"api_key=" + Key() + "&jurisdiction_id=sfgov.org&service_code=city.environment&description=abcdefg" + where, 404,
       "jurisdiction_id"},
  };
  for (const auto& c : cases) {
    auto r = PostRaw(c.body, "json");
    EXPECT_EQ(r.status, c.status) << c.body.substr(0, 120) << "\n" << r.body;
    auto errors = r.Json();
    ASSERT_TRUE(errors.is_array()) << r.body;
    EXPECT_EQ(errors.as_array().at(0).at("code").as_int64(), c.status);
    auto description = Str(errors.as_array().at(0), "description");
    EXPECT_TRUE(description.starts_with(c.field)) << c.field << " ← " << description;
  }
  auto multipart = st.Anonymous().Send("POST", std::string(kBase) + "/requests.xml", "--x--",
                                       {{"Content-Type", "multipart/form-data; boundary=x"}});
  EXPECT_EQ(multipart.status, 400);
  EXPECT_NE(XmlText(multipart.body, "description").find("media_url"), std::string::npos);
  EXPECT_EQ(count(), before) << "nothing was stored";

  // A multi-value attribute and a noise report with its required answer go in.
  auto ok = Post("service_code=community.noise&attribute%5Bwhen%5D=night&description=" + Encode("楼上每晚装修") + where, "json");
  ASSERT_EQ(ok.status, 200) << ok.body;
  ExpectMatchesSchema(anon.Get(std::string(kBase) + "/requests/" + Str(ok.Json().as_array().at(0), "service_request_id") + ".json"),
                      "requests.json");
  EXPECT_EQ(count(), before + 1);
}

INSTANTIATE_TEST_SUITE_P(Backends, Open311Test, ::testing::Values("sqlite", "postgres"),
                         [](const auto& info) { return info.param; });

}  // namespace
}  // namespace linli::testing
