// Importing rosters (CSV, GBK CSV, XLSX) and exporting them, over real HTTP on both engines.
#include <gtest/gtest.h>

#include <array>
#include <atomic>
#include <filesystem>
#include <map>
#include <tuple>
#include <fstream>

#include "api/api_fixture.h"
#include "cli/demo_population.h"
#include "core/tabular.h"
#include "domain/identity.h"
#include "server/runtime.h"
#include "service/import_service.h"
#include "storage/bulk_load.h"
#include "storage/database.h"

namespace linli::testing {
namespace {

std::string IdNumber(int n) {
  char first17[40];  // 17 characters; room for what the compiler cannot rule out
  std::snprintf(first17, sizeof first17, "320581%04d0101%03d", 1940 + n % 70, n % 1000);
  return std::string(first17) + domain::IdCheckCharacter(first17);
}

std::string Building(const HttpClient& c, std::int64_t node) {
  static std::atomic<int> seq{1};
  std::string code = "IMP-" + std::to_string(node) + "-" + std::to_string(seq++);
  auto r = c.PostJson("/api/v1/buildings", R"({"node_id":)" + std::to_string(node) + R"(,"code":")" + code + R"(","name":"导入楼"})");
  EXPECT_EQ(r.status, 201) << r.body;
  return code;
}

std::vector<tabular::Row> Roster(const std::string& building, int first_id, int households) {
  std::vector<tabular::Row> rows = {{"楼栋编号", "单元", "房号", "姓名", "与户主关系", "性别", "出生日期", "身份证号",
                                     "手机号", "民族", "居住类型", "职业", "标签", "残疾等级"}};
  for (int h = 0; h < households; ++h) {
    std::string room = std::to_string(101 + h);
    rows.push_back({building, "1单元", room, "户主" + std::to_string(h), "户主", "", "", IdNumber(first_id + 2 * h),
                    "1390000" + std::to_string(1000 + first_id + h), "汉族", "户籍", "", "独居、党员", ""});
    rows.push_back({building, "1单元", room, "配偶" + std::to_string(h), "配偶", "", "", IdNumber(first_id + 2 * h + 1),
                    "", "汉族", "常住", "", "", ""});
  }
  return rows;
}

HttpResult Upload(const HttpClient& c, const std::string& bytes, const std::string& query = "") {
  return c.Send("POST", "/api/v1/import/residents" + query, bytes, {{"Content-Type", "application/octet-stream"}});
}

std::int64_t Count(const HttpClient& c, int node) {
  return c.Get("/api/v1/residents/count?node_id=" + std::to_string(node)).Json().at("count").as_int64();
}

TEST_P(ApiTest, AnXlsxRosterWithOneBadRowIsReportedAndNothingIsImported) {
  auto secretary = stack().As("secretary");
  auto building = Building(secretary, 5);
  auto rows = Roster(building, 1000, 3);
  rows[4][7] = rows[4][7].substr(0, 17) + (rows[4][7][17] == '1' ? "2" : "1");  // row 5: wrong check digit
  auto xlsx = tabular::WriteXlsx(rows, "居民");
  ASSERT_TRUE(xlsx);
  auto before = Count(secretary, 5);
  auto bad = Upload(secretary, *xlsx);
  ASSERT_EQ(bad.status, 422) << bad.body;
  auto report = bad.Json();
  EXPECT_EQ(report.at("issue_count").as_int64(), 1);
  EXPECT_EQ(report.at("issues").at(0).at("row").as_int64(), 5);
  EXPECT_EQ(report.at("issues").at(0).at("column").as_string(), "身份证号");
  EXPECT_NE(std::string(report.at("issues").at(0).at("message").as_string()).find("check digit"), std::string::npos);
  EXPECT_EQ(Count(secretary, 5), before) << "nothing half-imported";

  rows[4][7] = IdNumber(1003);
  auto good = tabular::WriteXlsx(rows, "居民");
  auto dry = Upload(secretary, *good, "?dry_run=true");
  ASSERT_EQ(dry.status, 200) << dry.body;
  EXPECT_FALSE(dry.Json().at("committed").as_bool());
  EXPECT_EQ(Count(secretary, 5), before);
  auto ok = Upload(secretary, *good);
  ASSERT_EQ(ok.status, 201) << ok.body;
  EXPECT_EQ(ok.Json().at("residents_created").as_int64(), 6);
  EXPECT_EQ(ok.Json().at("households_created").as_int64(), 3);
  EXPECT_EQ(Count(secretary, 5), before + 6);
  auto again = Upload(secretary, *good);
  EXPECT_EQ(again.status, 409);
  EXPECT_EQ(again.ErrorField(), "file");
  // The households have their heads and members.
  auto hh = secretary.Get("/api/v1/households?node_id=5&limit=500").Json().at("items").as_array();
  int with_two = 0;
  for (const auto& h : hh) with_two += h.at("members_count").as_int64() == 2 && !h.at("head_id").is_null();
  EXPECT_GE(with_two, 3);
}

TEST_P(ApiTest, GbkCsvIsConvertedAndOtherGridsBuildingsAreUnknown) {
  auto worker1 = stack().As("worker1");
  auto worker2 = stack().As("worker2");
  auto building = Building(worker1, 5);
  auto csv = tabular::WriteCsv(Roster(building, 2000, 2)).substr(3);  // no BOM, as Excel's "CSV" writes
  // Re-encode as GB18030 the way Chinese Excel saves CSV.
  std::string gbk;
  {
    FILE* p = popen(("printf '%s' '" + csv + "' | iconv -f UTF-8 -t GB18030 > /tmp/linli-gbk-test.csv").c_str(), "r");
    pclose(p);
    std::ifstream in("/tmp/linli-gbk-test.csv", std::ios::binary);
    gbk.assign(std::istreambuf_iterator<char>(in), {});
  }
  ASSERT_FALSE(tabular::IsValidUtf8(gbk));
  auto foreign = Upload(worker2, gbk);
  ASSERT_EQ(foreign.status, 422) << foreign.body;
  EXPECT_NE(foreign.body.find("unknown building"), std::string::npos) << "worker2 may not import into grid 5";
  auto ok = Upload(worker1, gbk);
  ASSERT_EQ(ok.status, 201) << ok.body;
  EXPECT_EQ(ok.Json().at("encoding").as_string(), "gb18030");
  // The same people again, in another file: each row is refused as registered already.
  auto again = Roster(building, 2000, 2);
  for (auto& row : again) row[2] = row[2] == "房号" ? row[2] : "9" + row[2];
  auto dup = Upload(worker1, tabular::WriteCsv(again));
  ASSERT_EQ(dup.status, 422) << dup.body;
  EXPECT_EQ(dup.Json().at("issue_count").as_int64(), 4);
  EXPECT_EQ(dup.Json().at("issues").at(0).at("row").as_int64(), 2);
  EXPECT_NE(dup.body.find("registered already"), std::string::npos);
  // A new 户主 for a household that has one is refused; a new member joins the existing household.
  auto joiner = Roster(building, 2100, 1);
  joiner.resize(2);
  auto second_head = Upload(worker1, tabular::WriteCsv(joiner));
  ASSERT_EQ(second_head.status, 422) << second_head.body;
  EXPECT_EQ(second_head.Json().at("issues").at(0).at("field").as_string(), "relation");
  joiner[1][4] = "子女";
  auto joined = Upload(worker1, tabular::WriteCsv(joiner));
  ASSERT_EQ(joined.status, 201) << joined.body;
  EXPECT_EQ(joined.Json().at("households_created").as_int64(), 0);
  auto found = worker1.Get("/api/v1/residents?node_id=5&q=%E6%88%B7%E4%B8%BB0&limit=500");  // 户主0
  EXPECT_NE(found.body.find("户主0"), std::string::npos);
  // A custom tag the community has not defined is reported; 志愿者 (the subdistrict's) is fine.
  auto tagged = Roster(building, 2200, 1);
  tagged[1][12] = "志愿者、外星人";
  auto unknown_tag = Upload(worker1, tabular::WriteCsv(tagged));
  ASSERT_EQ(unknown_tag.status, 422) << unknown_tag.body;
  EXPECT_EQ(unknown_tag.Json().at("issues").at(0).at("field").as_string(), "tags");
  EXPECT_NE(unknown_tag.body.find("外星人"), std::string::npos);
  // Files that are not text at all, or lack the name column, are refused with a reason.
  EXPECT_EQ(Upload(worker1, std::string("\xff\xfe\x00\x01\x80\x81", 6)).ErrorField(), "file");
  EXPECT_EQ(Upload(worker1, "a,b,c\n1,2,3\n").ErrorField(), "file");
  EXPECT_EQ(Upload(worker1, "").ErrorField(), "file");
  EXPECT_EQ(Upload(worker1, "PK\x03\x04garbage").ErrorField(), "file");
  EXPECT_EQ(Upload(worker1, "x", "?format=pdf").ErrorField(), "format");
}

// The residents a search finds, as a household imported across a boundary (a resumable import's
// chunk, a validation block): its head and its two rows of one spouse, the second flagged as a
// likely duplicate of the first. Checks the household's head and member count as well.
void ExpectHouseholdWholeWithItsTwin(const HttpClient& c, const std::string& query, const std::string& head_name,
                                     const std::string& why) {
  auto found = c.Get("/api/v1/residents?node_id=6&limit=50&q=" + query);
  ASSERT_EQ(found.status, 200) << found.body;
  auto listed = found.Json();  // kept: the loop walks into it
  std::int64_t head = 0, household = 0, first_spouse = 0, flagged = 0;
  int spouses = 0;
  for (const auto& r : listed.at("items").as_array()) {
    household = r.at("household_id").as_int64();
    if (r.at("name").as_string() == head_name) {
      head = r.at("id").as_int64();
      continue;
    }
    ++spouses;
    if (r.at("duplicate_of").is_null()) first_spouse = r.at("id").as_int64();
    else flagged = r.at("duplicate_of").as_int64();
  }
  EXPECT_EQ(spouses, 2);
  EXPECT_NE(first_spouse, 0);
  EXPECT_EQ(flagged, first_spouse) << "the duplicate " << why << " names the first row";
  auto h = c.Get("/api/v1/households/" + std::to_string(household)).Json();
  EXPECT_EQ(h.at("members_count").as_int64(), 3);
  EXPECT_EQ(h.at("head_id").as_int64(), head) << "its head " << why;
}

TEST_P(ApiTest, ALargeRosterIsSealedRowByRowAcrossItsSlices) {
  // Over 8,192 rows the import writes in slices, sealing the next slice on another core while the
  // writer inserts this one; each ciphertext is bound to its row's id. An unmasked export must
  // give back every resident's own ID number, phone and room. (A stack of its own: 4,600
  // households in a demo grid would crowd the other tests' first pages.)
  auto own = NewStack(GetParam());
  auto secretary = own->As("secretary");
  auto building = Building(secretary, 6);
  constexpr int kHouseholds = 4600;  // 9,200 residents: two slices
  auto id_number = [](int n) {  // distinct for n < 28,000: a birth day per thousand
    char first17[40];
    std::snprintf(first17, sizeof first17, "320599%04d%02d%02d%03d", 1950 + n / 1000 / 336, 1 + n / 1000 / 28 % 12,
                  1 + n / 1000 % 28, n % 1000);
    return std::string(first17) + domain::IdCheckCharacter(first17);
  };
  std::vector<tabular::Row> rows = {{"楼栋编号", "单元", "房号", "姓名", "与户主关系", "身份证号", "手机号"}};
  std::map<std::string, std::array<std::string, 3>> expected;  // name → ID number, phone, room
  for (int h = 0; h < kHouseholds; ++h) {
    std::string room = std::to_string(1000 + h);
    for (int k = 0; k < 2; ++k) {
      int n = 2 * h + k;
      char phone[16];
      std::snprintf(phone, sizeof phone, "139%08d", n);
      std::string name = std::string(k ? "分片配偶" : "分片户主") + std::to_string(h);
      rows.push_back({building, "2单元", room, name, k ? "配偶" : "户主", id_number(n), phone});
      expected[name] = {id_number(n), phone, room};
    }
  }
  auto ok = Upload(secretary, tabular::WriteCsv(rows));
  ASSERT_EQ(ok.status, 201) << ok.body.substr(0, 500);
  EXPECT_EQ(ok.Json().at("residents_created").as_int64(), 2 * kHouseholds);
  EXPECT_EQ(ok.Json().at("households_created").as_int64(), kHouseholds);
  auto clear = secretary.Get("/api/v1/export/residents?node_id=6&format=csv&reveal=true&reason=%E5%88%86%E7%89%87%E6%A0%B8%E5%AF%B9");
  ASSERT_EQ(clear.status, 200) << clear.body.substr(0, 500);
  auto sheet = tabular::Read(clear.body, tabular::Format::kCsv, 100000);
  ASSERT_TRUE(sheet) << sheet.error().message;
  std::size_t seen = 0, wrong = 0;
  for (const auto& r : sheet->rows) {
    if (r.size() < 9) continue;
    auto it = expected.find(r[3]);  // 姓名
    if (it == expected.end()) continue;
    ++seen;
    const auto& [id, phone, room] = it->second;
    if (r[7] != id || r[8] != phone || r[2] != room) {
      if (++wrong <= 3) ADD_FAILURE() << r[3] << ": " << r[7] << " " << r[8] << " " << r[2] << " instead of " << id << " " << phone << " " << room;
    }
  }
  EXPECT_EQ(seen, expected.size());
  EXPECT_EQ(wrong, 0u);
}

TEST_P(ApiTest, ARosterJoinsHouseholdsAtTheirAddressAndFlagsTwinRowsAsLikelyDuplicates) {
  // The import works out each row's household and likely duplicate while it validates; what is
  // written must be what a clerk expects: people at a registered address join that household
  // (its head kept, its member count grown), a new address becomes one household, and only a
  // second row with the same name and birth date in the same household is flagged.
  auto own = NewStack(GetParam());
  auto secretary = own->As("secretary");
  auto building = Building(secretary, 6);
  auto header = tabular::Row{"楼栋编号", "单元", "房号", "姓名", "与户主关系", "性别", "出生日期", "身份证号"};
  auto first = Upload(secretary, tabular::WriteCsv({header,
                                                    {building, "", "101", "甲户主", "户主", "男", "", IdNumber(901)},
                                                    {building, "", "101", "甲配偶", "配偶", "女", "1962-02-02", ""},
                                                    {building, "", "102", "乙户主", "户主", "女", "1970-03-03", ""}}));
  ASSERT_EQ(first.status, 201) << first.body;
  EXPECT_EQ(first.Json().at("households_created").as_int64(), 2);
  EXPECT_EQ(first.Json().at("likely_duplicates").as_int64(), 0);

  auto second = Upload(secretary, tabular::WriteCsv({header,
                                                     {building, "", "101", "双胞", "子女", "女", "2015-05-05", ""},
                                                     {building, "", "103", "丙户主", "户主", "男", "1980-04-04", ""},
                                                     {building, "", "102", "双胞", "子女", "女", "2015-05-05", ""},
                                                     {building, "", "101", "双胞", "子女", "女", "2015-05-05", ""},
                                                     {building, "", "101", "双胞", "子女", "女", "2016-06-06", ""},
                                                     {building, "", "105", "戊配偶", "配偶", "女", "1985-05-05", ""},
                                                     {building, "", "105", "戊户主", "户主", "男", "1984-04-04", ""}}));
  ASSERT_EQ(second.status, 201) << second.body;
  EXPECT_EQ(second.Json().at("residents_created").as_int64(), 7);
  EXPECT_EQ(second.Json().at("households_created").as_int64(), 2) << "only rooms 103 and 105 are new";
  EXPECT_EQ(second.Json().at("likely_duplicates").as_int64(), 1) << "room 101's second 双胞 born 2015-05-05 only";

  // Who is where, by name and birth date.
  std::map<std::string, std::vector<boost::json::object>> by_name;
  // Every page: the demo's own residents of the grid come first.
  for (auto& r : AllItems(secretary, "/api/v1/residents?node_id=6")) by_name[std::string(r.at("name").as_string())].push_back(std::move(r));
  auto household_of = [&](const std::string& name) { return by_name[name].at(0).at("household_id").as_int64(); };
  std::int64_t room101 = household_of("甲户主"), room102 = household_of("乙户主"), room103 = household_of("丙户主");
  ASSERT_EQ(by_name["双胞"].size(), 4u);
  std::int64_t first_twin = 0, flagged = 0;
  for (const auto& r : by_name["双胞"]) {
    std::int64_t hid = r.at("household_id").as_int64();
    std::string born(r.at("birth_date").as_string());
    if (hid == room101 && born == "2015-05-05") {
      if (r.at("duplicate_of").is_null()) first_twin = r.at("id").as_int64();
      else flagged = r.at("duplicate_of").as_int64();
    } else {
      EXPECT_TRUE(r.at("duplicate_of").is_null()) << "another household or another birth date: " << hid << " " << born;
      EXPECT_TRUE(hid == room101 || hid == room102) << hid;
    }
  }
  EXPECT_NE(first_twin, 0);
  EXPECT_EQ(flagged, first_twin) << "the second row names the first as its likely duplicate";

  auto household = [&](std::int64_t id) { return secretary.Get("/api/v1/households/" + std::to_string(id)).Json(); };
  EXPECT_EQ(household(room101).at("members_count").as_int64(), 5) << "2 registered + 3 joined";
  EXPECT_EQ(household(room101).at("head_id").as_int64(), by_name["甲户主"].at(0).at("id").as_int64()) << "its head kept";
  EXPECT_EQ(household(room102).at("members_count").as_int64(), 2);
  EXPECT_EQ(household(room103).at("members_count").as_int64(), 1);
  EXPECT_EQ(household(room103).at("head_id").as_int64(), by_name["丙户主"].at(0).at("id").as_int64());
  std::int64_t room105 = household_of("戊配偶");
  EXPECT_EQ(household_of("戊户主"), room105);
  EXPECT_EQ(household(room105).at("members_count").as_int64(), 2);
  EXPECT_EQ(household(room105).at("head_id").as_int64(), by_name["戊户主"].at(0).at("id").as_int64()) << "a head on its second row";

  // A 户主 for an address whose household has one is refused, and nothing of the file is written.
  auto before = Count(secretary, 6);
  auto third = Upload(secretary, tabular::WriteCsv({header,
                                                    {building, "", "104", "丁户主", "户主", "男", "1990-01-01", ""},
                                                    {building, "", "102", "新户主", "户主", "男", "1991-01-01", ""}}));
  EXPECT_EQ(third.status, 422) << third.body;
  EXPECT_NE(third.body.find("has a head already"), std::string::npos) << third.body;
  EXPECT_EQ(Count(secretary, 6), before);
}

TEST_P(ApiTest, AResumableImportKeepsAHouseholdWholeAcrossItsChunks) {
  // A resumable import commits every 10,000 rows. A household whose rows straddle the boundary is
  // created by the first chunk with the members it has there and completed by the second (its
  // head on the far side), and a likely duplicate names its first across the boundary too.
  auto own = NewStack(GetParam());
  auto secretary = own->As("secretary");
  auto building = Building(secretary, 6);
  std::vector<tabular::Row> rows = {{"楼栋编号", "房号", "姓名", "与户主关系", "性别", "出生日期"}};
  for (int i = 0; i < 9999; ++i) rows.push_back({building, std::to_string(10000 + i), "块内" + std::to_string(i), "户主", "女", "1950-01-01"});
  rows.push_back({building, "9999", "跨块配偶", "配偶", "女", "1990-01-01"});  // plan row 9,999: the first chunk's last
  rows.push_back({building, "9999", "跨块户主", "户主", "男", "1989-01-01"});
  rows.push_back({building, "9999", "跨块配偶", "配偶", "女", "1990-01-01"});
  auto ok = Upload(secretary, tabular::WriteCsv(rows), "?resumable=true");
  ASSERT_EQ(ok.status, 201) << ok.body.substr(0, 500);
  EXPECT_EQ(ok.Json().at("residents_created").as_int64(), 10002);
  EXPECT_EQ(ok.Json().at("households_created").as_int64(), 10000);
  EXPECT_EQ(ok.Json().at("likely_duplicates").as_int64(), 1);

  ExpectHouseholdWholeWithItsTwin(secretary, "%E8%B7%A8%E5%9D%97", "跨块户主", "in the second chunk");  // 跨块
}

TEST_P(ApiTest, AFileLongerThanOneValidationBlockIsCheckedAsOneFile) {
  // The import validates a block of rows at a time. Across a block's end a row must still be
  // read from its own line, named by its own row number, and compared with the rows before it: a
  // household straddling the end keeps its members and head, a twin names its first, and an ID
  // number already on a row of the first block is refused in the second.
  auto own = NewStack(GetParam());
  auto secretary = own->As("secretary");
  auto building = Building(secretary, 6);
  const int block = static_cast<int>(service::ImportService::kValidationBlock);
  std::vector<tabular::Row> rows = {{"楼栋编号", "房号", "姓名", "与户主关系", "性别", "出生日期", "身份证号"}};
  rows.push_back({building, "20000", "首块户主", "户主", "", "", IdNumber(77)});  // file row 2
  for (int i = 1; i < block - 1; ++i) rows.push_back({building, std::to_string(20000 + i), "块" + std::to_string(i), "户主", "女", "1950-01-01", ""});
  rows.push_back({building, "9999", "跨界配偶", "配偶", "女", "1990-01-01", ""});  // the first block's last row
  rows.push_back({building, "9999", "跨界户主", "户主", "男", "1989-01-01", ""});  // the second block's first
  rows.push_back({building, "9999", "跨界配偶", "配偶", "女", "1990-01-01", ""});
  const std::size_t bad_row = rows.size() + 1;  // as a spreadsheet numbers it, the header being row 1
  rows.push_back({building, "9998", "重号", "户主", "", "", IdNumber(77)});

  auto before = Count(secretary, 6);
  auto refused = Upload(secretary, tabular::WriteCsv(rows));
  ASSERT_EQ(refused.status, 422) << refused.body.substr(0, 500);
  auto report = refused.Json();
  ASSERT_EQ(report.at("issue_count").as_int64(), 1) << refused.body.substr(0, 500);
  EXPECT_EQ(report.at("issues").at(0).at("row").as_int64(), static_cast<std::int64_t>(bad_row));
  EXPECT_EQ(report.at("issues").at(0).at("message").as_string(), "the same ID number is on row 2");
  EXPECT_EQ(Count(secretary, 6), before) << "nothing half-imported";

  rows.pop_back();
  auto ok = Upload(secretary, tabular::WriteCsv(rows));
  ASSERT_EQ(ok.status, 201) << ok.body.substr(0, 500);
  EXPECT_EQ(ok.Json().at("residents_created").as_int64(), block + 2);
  EXPECT_EQ(ok.Json().at("households_created").as_int64(), block);
  EXPECT_EQ(ok.Json().at("likely_duplicates").as_int64(), 1);
  ExpectHouseholdWholeWithItsTwin(secretary, "%E8%B7%A8%E7%95%8C", "跨界户主", "in the second block");  // 跨界
}

TEST_P(ApiTest, ExportsAreMaskedAuditedAndNamedUnlessRevealedWithAReason) {
  auto secretary = stack().As("secretary");
  auto building = Building(secretary, 6);
  auto rows = Roster(building, 3000, 1);
  ASSERT_EQ(Upload(secretary, tabular::WriteCsv(rows)).status, 201);
  std::string id_number = rows[1][7];
  EXPECT_EQ(stack().As("worker1").Get("/api/v1/export/residents?node_id=5").status, 403) << "grid workers do not export";
  auto masked = secretary.Get("/api/v1/export/residents?node_id=6&format=csv");
  ASSERT_EQ(masked.status, 200) << masked.body;
  EXPECT_NE(masked.headers["content-disposition"].find("residents.csv"), std::string::npos);
  EXPECT_EQ(masked.body.find(id_number), std::string::npos);
  EXPECT_NE(masked.body.find(domain::MaskIdNumber(id_number)), std::string::npos);
  EXPECT_NE(masked.body.find("secretary"), std::string::npos) << "the file names its exporter";
  EXPECT_EQ(secretary.Get("/api/v1/export/residents?node_id=6&reveal=true").ErrorField(), "reason");
  auto clear = secretary.Get("/api/v1/export/residents?node_id=6&format=xlsx&reveal=true&reason=%E6%8D%A2%E5%B1%8A%E9%80%89%E4%B8%BE");
  ASSERT_EQ(clear.status, 200) << clear.body;
  auto sheet = tabular::ReadXlsx(clear.body, 100000);
  ASSERT_TRUE(sheet) << sheet.error().message;
  bool found = false;
  for (const auto& r : sheet->rows) {
    for (const auto& c : r) found = found || c == id_number;
  }
  EXPECT_TRUE(found) << "an unmasked export holds the number";
  auto audit = stack().As("auditor").Get("/api/v1/audit?action=resident.export&limit=10");
  EXPECT_NE(audit.body.find("换届选举"), std::string::npos) << audit.body;
  // The template downloads in both formats.
  auto tmpl = secretary.Get("/api/v1/import/template?format=xlsx");
  ASSERT_EQ(tmpl.status, 200);
  auto t = tabular::ReadXlsx(tmpl.body, 10);
  ASSERT_TRUE(t);
  EXPECT_EQ(t->rows.at(0).at(0), "楼栋编号");
}

bool SheetHas(const std::string& xlsx, const std::string& value) {
  auto sheet = tabular::ReadXlsx(xlsx, 100000);
  EXPECT_TRUE(sheet) << sheet.error().message;
  if (!sheet) return false;
  for (const auto& r : sheet->rows) {
    for (const auto& c : r) {
      if (c.find(value) != std::string::npos) return true;
    }
  }
  return false;
}

TEST_P(ApiTest, HouseholdAndVisitListsExportMaskedWithTheirHeadsAndChanges) {
  auto secretary = stack().As("secretary");
  auto building = Building(secretary, 6);
  auto rows = Roster(building, 3100, 2);
  ASSERT_EQ(Upload(secretary, tabular::WriteCsv(rows)).status, 201);
  std::string head_phone = rows[1][8];
  // Households: address, head, head's phone (masked), size.
  EXPECT_EQ(stack().As("worker1").Get("/api/v1/export/households?node_id=5").status, 403);
  auto households = secretary.Get("/api/v1/export/households?node_id=6");
  ASSERT_EQ(households.status, 200) << households.body;
  EXPECT_NE(households.headers["content-disposition"].find("households.csv"), std::string::npos);
  EXPECT_NE(households.body.find(building), std::string::npos);
  EXPECT_NE(households.body.find("户主0"), std::string::npos);
  EXPECT_EQ(households.body.find(head_phone), std::string::npos);
  EXPECT_NE(households.body.find(domain::MaskPhone(head_phone)), std::string::npos);
  auto revealed = secretary.Get("/api/v1/export/households?node_id=6&format=xlsx&reveal=true&reason=%E5%85%A5%E6%88%B7%E6%A0%B8%E5%AF%B9");
  ASSERT_EQ(revealed.status, 200) << revealed.body;
  EXPECT_TRUE(SheetHas(revealed.body, head_phone));
  EXPECT_TRUE(SheetHas(revealed.body, "1单元"));

  // A visit that changed the head's phone: the visit list and its export mask the new number.
  auto listed = secretary.Get("/api/v1/households?node_id=6&limit=500").Json().at("items").as_array();
  std::int64_t household = 0, head = 0;
  for (const auto& h : listed) {
    auto detail = secretary.Get("/api/v1/households/" + std::to_string(h.at("id").as_int64())).Json();
    for (const auto& m : detail.at("members").as_array()) {
      if (m.at("name").as_string() == "户主0" && detail.at("building_code").as_string() == building) {
        household = h.at("id").as_int64();
        head = m.at("id").as_int64();
      }
    }
  }
  ASSERT_NE(household, 0);
  std::string new_phone = "13577778888";
  auto visit = secretary.PostJson("/api/v1/visits", R"({"household_id":)" + std::to_string(household) +
                                                        R"(,"outcome":"changed","changes":{"residents":[{"id":)" +
                                                        std::to_string(head) + R"(,"phone":")" + new_phone +
                                                        R"("}]},"notes":"换了新手机"})");
  ASSERT_EQ(visit.status, 201) << visit.body;
  EXPECT_EQ(visit.body.find(new_phone), std::string::npos) << "the answer masks the changed phone";
  auto visits = secretary.Get("/api/v1/visits?household_id=" + std::to_string(household));
  EXPECT_EQ(visits.body.find(new_phone), std::string::npos) << visits.body;
  EXPECT_NE(visits.body.find(domain::MaskPhone(new_phone)), std::string::npos) << visits.body;
  auto exported = secretary.Get("/api/v1/export/visits?node_id=6&since=2020-01-01");
  ASSERT_EQ(exported.status, 200) << exported.body;
  EXPECT_NE(exported.body.find("换了新手机"), std::string::npos);
  EXPECT_NE(exported.body.find("信息变更"), std::string::npos) << exported.body;
  EXPECT_NE(exported.body.find(building), std::string::npos);
  EXPECT_EQ(exported.body.find(new_phone), std::string::npos);
  auto clear = secretary.Get("/api/v1/export/visits?node_id=6&format=xlsx&reveal=true&reason=%E5%85%A5%E6%88%B7%E6%A0%B8%E5%AF%B9");
  ASSERT_EQ(clear.status, 200) << clear.body;
  EXPECT_TRUE(SheetHas(clear.body, new_phone));
  // Day filters: a window before the visit is empty; bad days name their parameter.
  auto before = secretary.Get("/api/v1/export/visits?node_id=6&until=2020-01-01");
  ASSERT_EQ(before.status, 200);
  EXPECT_EQ(before.body.find("换了新手机"), std::string::npos);
  EXPECT_EQ(secretary.Get("/api/v1/export/visits?node_id=6&since=2026-02-30").ErrorField(), "since");
  EXPECT_EQ(secretary.Get("/api/v1/export/visits?node_id=6&since=2026-03-02&until=2026-03-01").ErrorField(), "until");
  EXPECT_EQ(secretary.Get("/api/v1/export/visits?node_id=6&sweep_id=abc").ErrorField(), "sweep_id");
  EXPECT_EQ(secretary.Get("/api/v1/export/visits?node_id=999999").status, 404);
  EXPECT_EQ(secretary.Get("/api/v1/export/visits?node_id=6&format=pdf").ErrorField(), "format");
  EXPECT_EQ(secretary.Get("/api/v1/export/households?node_id=6&format=pdf").ErrorField(), "format");
  EXPECT_EQ(secretary.Get("/api/v1/export/households?node_id=6&reveal=true").ErrorField(), "reason");
  EXPECT_EQ(secretary.Get("/api/v1/export/households?node_id=6&building_id=x").ErrorField(), "building_id");
  EXPECT_EQ(secretary.Get("/api/v1/export/households?node_id=3").status, 404) << "another community";
  auto audit = stack().As("auditor").Get("/api/v1/audit?action=visit.export&limit=10");
  EXPECT_NE(audit.body.find("入户核对"), std::string::npos) << audit.body;
  EXPECT_NE(stack().As("auditor").Get("/api/v1/audit?action=household.export&limit=10").body.find("入户核对"),
            std::string::npos);
}

// `linli import residents --first-load`: into an empty registry only; the registry's secondary
// indexes (and PostgreSQL's keys) are dropped for the files and built again after the last one;
// and what a load killed half-way left suspended is named by `linli check` and put back by the
// next `linli serve` (server::PutBackSuspended, what Serve calls first).
// A FeatureCollection of rectangles, each feature naming its node by code.
std::string Collection(const std::vector<std::tuple<std::string, double, double, double, double>>& boxes) {
  std::string out = R"({"type":"FeatureCollection","features":[)";
  for (std::size_t i = 0; i < boxes.size(); ++i) {
    const auto& [code, w, s, e, n] = boxes[i];
    out += (i ? "," : "") + std::string(R"({"type":"Feature","properties":{"code":")") + code + R"("},"geometry":)" +
           cli::RectangleGeoJson(w, s, e, n) + "}";
  }
  return out + "]}";
}

// A database in `dir` as the command line reaches it: the runtime's Config (for what a test runs
// in-process, as `linli serve` would) and the global flags that go before a subcommand.
struct CommandLineDatabase {
  CommandLineDatabase(const TempDir& dir, const std::string& url) {
    cfg.data_dir = dir.path();
    cfg.db_url = url;
    cfg.key_file = dir.path() + "/linli.key";
  }
  std::vector<std::string> On(std::vector<std::string> command) const {
    std::vector<std::string> a = {"--db", cfg.db_url, "--key-file", cfg.key_file};
    a.insert(a.end(), command.begin(), command.end());
    return a;
  }
  Config cfg;
};

TEST(FirstLoad, IntoAnEmptyRegistryTheIndexesAreBuiltOnceAfterTheFiles) {
  for (const std::string& engine : Backends()) {
    SCOPED_TRACE(engine);
    TempDir dir;
    const std::string url = FreshDatabaseUrl(engine, dir.path());
    const CommandLineDatabase cli_db(dir, url);
    const Config& cfg = cli_db.cfg;
    auto on = [&](std::vector<std::string> command) { return cli_db.On(std::move(command)); };
    auto definitions = [&]() {
      auto db = storage::Database::Open({.url = url});
      EXPECT_TRUE(db) << db.error().message;
      if (!db) return std::vector<std::string>{};
      auto defs = storage::ReadValue<std::vector<std::string>>(**db, [](storage::SqlSession& s) -> Result<std::vector<std::string>> {
        const auto& tables = service::ImportService::RegistryTables();
        LINLI_ASSIGN_OR_RETURN(auto all, storage::SecondaryIndexes(s, tables));
        LINLI_ASSIGN_OR_RETURN(auto keys, storage::ForeignKeys(s, tables));
        all.insert(all.end(), keys.begin(), keys.end());
        auto unique = storage::UniqueIndexes(s, {"residents_id_number", "households_address"});
        if (unique) all.insert(all.end(), unique->begin(), unique->end());
        else all.push_back("a unique index missing");
        LINLI_ASSIGN_OR_RETURN(auto left, storage::StillSuspended(s));
        for (auto& d : left) all.push_back("still suspended: " + d);
        return all;
      });
      EXPECT_TRUE(defs) << defs.error().message;
      return defs ? *defs : std::vector<std::string>{};
    };
    // A city's first load in its order: the org tree from a file (a root subdistrict, as only the
    // command line may add), then its buildings, then its residents.
    std::string files[2];
    std::ofstream(dir.path() + "/org.csv") << tabular::WriteCsv({{"编码", "类型", "名称"},
                                                                 {"110101001001001", "网格", "东华门第一网格"},
                                                                 {"110101001", "街道", "东华门街道"},
                                                                 {"110101001001", "社区", "多福巷社区"}});
    auto org = RunLinli(on({"import", "org", dir.path() + "/org.csv"}));
    ASSERT_EQ(org.exit_code, 0) << org.output;
    EXPECT_NE(org.output.find("imported 3 org nodes"), std::string::npos) << org.output;
    auto org_again = RunLinli(on({"import", "org", dir.path() + "/org.csv"}));
    EXPECT_NE(org_again.output.find("imported 0 org nodes (3 registered already, skipped)"), std::string::npos)
        << org_again.output;
    // Their boundaries from one file, the grid first: parents are set before children all the same.
    std::ofstream(dir.path() + "/boundaries.geojson") << Collection({{"110101001001001", 116.40, 39.90, 116.42, 39.92},
                                                                     {"110101001", 116.38, 39.88, 116.44, 39.94},
                                                                     {"110101001001", 116.39, 39.89, 116.43, 39.93}});
    auto drawn = RunLinli(on({"geo", "set-boundaries", dir.path() + "/boundaries.geojson"}));
    ASSERT_EQ(drawn.exit_code, 0) << drawn.output;
    EXPECT_NE(drawn.output.find("set 3 boundaries"), std::string::npos) << drawn.output;
    auto located = RunLinli(on({"geo", "locate", "116.41", "39.91"}));
    EXPECT_NE(located.output.find("110101001001001"), std::string::npos) << located.output;
    // Its two buildings from a file, as a city loads its buildings before its residents.
    std::vector<tabular::Row> buildings = {{"楼栋编号", "楼栋名称", "所属网格编码", "层数", "单元数"}};
    for (int b = 0; b < 2; ++b) {
      std::string code = "FL-" + std::to_string(b);
      buildings.push_back({code, code, "110101001001001", "6", "1"});
      files[b] = dir.path() + "/" + code + ".csv";
      std::ofstream(files[b]) << tabular::WriteCsv(Roster(code, 100 * b, 3));
    }
    std::ofstream(dir.path() + "/buildings.csv") << tabular::WriteCsv(buildings);
    auto checked = RunLinli(on({"import", "buildings", "--dry-run", dir.path() + "/buildings.csv"}));
    ASSERT_EQ(checked.exit_code, 0) << checked.output;
    EXPECT_NE(checked.output.find("nothing was written"), std::string::npos) << checked.output;
    auto built = RunLinli(on({"import", "buildings", dir.path() + "/buildings.csv"}));
    ASSERT_EQ(built.exit_code, 0) << built.output;
    EXPECT_NE(built.output.find("imported 2 buildings"), std::string::npos) << built.output;
    auto rerun = RunLinli(on({"import", "buildings", dir.path() + "/buildings.csv"}));
    ASSERT_EQ(rerun.exit_code, 0) << rerun.output;
    EXPECT_NE(rerun.output.find("imported 0 buildings (2 registered already, skipped)"), std::string::npos) << rerun.output;
    buildings[1][2] = "110101001";  // the subdistrict: no place for a building
    std::ofstream(dir.path() + "/bad.csv") << tabular::WriteCsv(buildings);
    auto refused = RunLinli(on({"import", "buildings", dir.path() + "/bad.csv"}));
    EXPECT_EQ(refused.exit_code, 2) << refused.output;
    EXPECT_NE(refused.output.find("row 2, 所属网格编码: a building belongs to an active grid"), std::string::npos)
        << refused.output;
    const auto as_new = definitions();
    EXPECT_GE(as_new.size(), engine == "postgres" ? 12u : 7u);

    // A misspelt second file: refused before the first is imported or anything is dropped.
    auto misspelt = RunLinli(on({"import", "residents", "--first-load", files[0], dir.path() + "/FL-9.csv"}));
    EXPECT_NE(misspelt.exit_code, 0) << misspelt.output;
    EXPECT_NE(misspelt.output.find("FL-9.csv"), std::string::npos) << misspelt.output;
    EXPECT_EQ(misspelt.output.find("imported"), std::string::npos) << misspelt.output;
    EXPECT_EQ(definitions(), as_new);

    // The unique indexes on ID numbers and addresses are away too, so the files' keys are checked
    // across them in memory: a file repeating an earlier one's ID number or address is refused, and
    // the run ends there with what came before it imported and every index built again.
    const std::string repeats = dir.path() + "/repeats.csv";
    std::ofstream(repeats) << tabular::WriteCsv(
        {Roster("FL-1", 0, 0)[0],
         {"FL-1", "1单元", "301", "甲", "户主", "", "", IdNumber(0), "", "汉族", "户籍", "", "", ""},
         {"FL-0", "1单元", "101", "乙", "户主", "", "", IdNumber(900), "", "汉族", "户籍", "", "", ""}});
    auto loaded = RunLinli(on({"import", "residents", "--first-load", files[0], repeats, files[1]}));
    EXPECT_NE(loaded.exit_code, 0) << loaded.output;
    EXPECT_NE(loaded.output.find("imported 6 residents in 3 new households"), std::string::npos) << loaded.output;
    EXPECT_NE(loaded.output.find("row 2, 身份证号: this ID number is registered already"), std::string::npos) << loaded.output;
    EXPECT_NE(loaded.output.find("row 3, 房号: an earlier file of this first load registered this address"), std::string::npos)
        << loaded.output;
    EXPECT_EQ(definitions(), as_new) << "every index and key back, none left on the record";
    auto second = RunLinli(on({"import", "residents", files[1]}));  // as a live registry imports
    ASSERT_EQ(second.exit_code, 0) << second.output;
    EXPECT_NE(second.output.find("imported 6 residents in 3 new households"), std::string::npos) << second.output;
    auto check = RunLinli(on({"check"}));
    EXPECT_EQ(check.exit_code, 0) << check.output;
    if (engine == "postgres") {
      // Statistics for every table the load filled (an import analyses only households and
      // residents, after its first slice), not left to autovacuum's next round.
      auto db = storage::Database::Open({.url = url});
      ASSERT_TRUE(db) << db.error().message;
      auto columns = storage::ReadValue<std::int64_t>(**db, [](storage::SqlSession& s) -> Result<std::int64_t> {
        LINLI_ASSIGN_OR_RETURN(auto rows, s.Query("SELECT count(*) FROM pg_stats WHERE tablename = 'resident_events'"));
        return rows.at(0).Int(0);
      });
      ASSERT_TRUE(columns) << columns.error().message;
      EXPECT_GT(*columns, 0);
    }
    // The residents are listed through the indexes built after the load: 12 registered (在册).
    auto exported = RunLinli(on({"export", "residents", "--node", "110101001", "--out", dir.path() + "/out.csv"}));
    ASSERT_EQ(exported.exit_code, 0) << exported.output;
    std::ifstream out(dir.path() + "/out.csv");
    std::string text((std::istreambuf_iterator<char>(out)), {});
    std::size_t listed = 0;
    for (auto at = text.find(",在册"); at != std::string::npos; at = text.find(",在册", at + 1)) ++listed;
    EXPECT_EQ(listed, 12u) << text;

    // Not over a registry that holds someone: refused before anything is dropped.
    auto again = RunLinli(on({"import", "residents", "--first-load", files[0]}));
    EXPECT_NE(again.exit_code, 0) << again.output;
    EXPECT_NE(again.output.find("a first load needs an empty registry; 12 residents and 6 households are registered"),
              std::string::npos) << again.output;
    EXPECT_EQ(definitions(), as_new);
    EXPECT_NE(RunLinli(on({"import", "residents", "--first-load", "--dry-run", files[0]})).exit_code, 0);

    // A load killed between dropping and building (as BeginFirstLoad drops: the unique indexes
    // too): the record names what is missing.
    {
      auto db = storage::Database::Open({.url = url});
      ASSERT_TRUE(db) << db.error().message;
      ASSERT_TRUE((*db)->WriteSync([](storage::SqlSession& s) -> Status {
        LINLI_ASSIGN_OR_RETURN(auto unique, storage::UniqueIndexes(s, {"residents_id_number", "households_address"}));
        LINLI_TRY(storage::Suspend(s, unique));
        return StatusOf(storage::SuspendForLoad(s, service::ImportService::RegistryTables()));
      }));
    }
    EXPECT_NE(definitions(), as_new);
    auto named = RunLinli(on({"check"}));
    EXPECT_NE(named.exit_code, 0) << named.output;
    EXPECT_NE(named.output.find("suspended by an unfinished bulk load: CREATE INDEX residents_path"), std::string::npos)
        << named.output;
    {
      auto rt = server::OpenRuntime(cfg);
      ASSERT_TRUE(rt) << rt.error().message;
      auto back = server::PutBackSuspended(**rt);
      ASSERT_TRUE(back) << back.error().message;
      EXPECT_EQ(*back, as_new.size());
      auto none = server::PutBackSuspended(**rt);
      ASSERT_TRUE(none);
      EXPECT_EQ(*none, 0u);
    }
    EXPECT_EQ(definitions(), as_new);
    EXPECT_EQ(RunLinli(on({"check"})).exit_code, 0);
    if (engine == "postgres") DropPgDatabase(url);
  }
}

// SQLite's journal mode as the file's header records it (bytes 18 and 19): 2 is WAL, 1 a rollback
// journal.
int HeaderJournalMode(const std::string& file) {
  std::ifstream in(file, std::ios::binary);
  char header[20] = {};
  in.read(header, sizeof header);
  return header[18] == header[19] ? header[18] : -1;
}

// On SQLite a first load writes through a rollback journal, each page once into the file, not
// through the WAL. Killed while it writes, it leaves the file whole: the next open rolls the
// journal back (nothing of the file is there), and puts the file in WAL mode again, as the load
// itself does when it ends.
TEST(FirstLoad, OnSqliteAKilledLoadLeavesTheFileWholeAndEmptyAndTheNextLoadIsWrittenInPlace) {
  TempDir dir;
  const std::string url = FreshDatabaseUrl("sqlite", dir.path());
  const std::string file = url.substr(std::string("sqlite://").size());
  const CommandLineDatabase cli_db(dir, url);
  const Config& cfg = cli_db.cfg;
  auto on = [&](std::vector<std::string> command) { return cli_db.On(std::move(command)); };
  std::ofstream(dir.path() + "/org.csv") << tabular::WriteCsv(
      {{"编码", "类型", "名称"}, {"110101001", "街道", "东华门街道"}, {"110101001001", "社区", "多福巷社区"},
       {"110101001001001", "网格", "东华门第一网格"}});
  ASSERT_EQ(RunLinli(on({"import", "org", dir.path() + "/org.csv"})).exit_code, 0);
  ASSERT_EQ(RunLinli(on({"tags", "add", "--node", "110101001", "--label", "志愿者"})).exit_code, 0);  // the demo's
  // ~280,000 residents in 1,000 buildings: long enough a write to be caught half-way.
  std::vector<tabular::Row> buildings = {{"楼栋编号", "楼栋名称", "所属网格编码", "层数", "单元数"}};
  std::vector<std::string> codes;
  for (int b = 0; b < 1000; ++b) {
    codes.push_back("KL-" + std::to_string(b));
    buildings.push_back({codes.back(), codes.back(), "110101001001001", "30", "2"});
  }
  std::ofstream(dir.path() + "/buildings.csv") << tabular::WriteCsv(buildings);
  ASSERT_EQ(RunLinli(on({"import", "buildings", dir.path() + "/buildings.csv"})).exit_code, 0);
  const auto roster = cli::DemoRoster(codes, 100, 1);
  const std::string residents_csv = dir.path() + "/residents.csv";
  std::ofstream(residents_csv) << tabular::WriteCsv(roster);
  const auto size_before = std::filesystem::file_size(file);
  EXPECT_EQ(HeaderJournalMode(file), 2);

  // Killed once the load has written 32 MiB into the file itself, its journal beside it.
  auto killed = RunLinliKilledWhen(on({"import", "residents", "--first-load", residents_csv}), [&] {
    std::error_code ec;
    auto size = std::filesystem::file_size(file, ec);
    return !ec && std::filesystem::exists(file + "-journal") && size > size_before + (32u << 20);
  });
  ASSERT_EQ(killed.exit_code, 128 + SIGKILL) << "the load ended before it could be killed: " << killed.output;
  EXPECT_FALSE(std::filesystem::exists(file + "-wal")) << "the load wrote through the WAL";
  auto check = RunLinli(on({"check"}));
  EXPECT_NE(check.exit_code, 0) << check.output;
  EXPECT_NE(check.output.find("database integrity: ok"), std::string::npos) << check.output;
  EXPECT_NE(check.output.find("suspended by an unfinished bulk load: CREATE UNIQUE INDEX residents_id_number"),
            std::string::npos) << check.output;
  EXPECT_FALSE(std::filesystem::exists(file + "-journal")) << "rolled back when opened";
  EXPECT_EQ(HeaderJournalMode(file), 2);
  auto registered = [&] {
    auto db = storage::Database::Open({.url = url});
    EXPECT_TRUE(db) << db.error().message;
    if (!db) return std::int64_t{-1};
    auto n = storage::ReadValue<std::int64_t>(**db, [](storage::SqlSession& s) -> Result<std::int64_t> {
      LINLI_ASSIGN_OR_RETURN(auto rows, s.Query("SELECT (SELECT count(*) FROM residents) + (SELECT count(*) FROM households)"));
      return rows.at(0).Int(0);
    });
    return n ? *n : std::int64_t{-1};
  };
  EXPECT_EQ(registered(), 0);

  // What the killed load suspended is put back (as `linli serve` does first), and the load run again.
  {
    auto rt = server::OpenRuntime(cfg);
    ASSERT_TRUE(rt) << rt.error().message;
    ASSERT_TRUE(server::PutBackSuspended(**rt));
  }
  auto loaded = RunLinli(on({"import", "residents", "--first-load", residents_csv}));
  ASSERT_EQ(loaded.exit_code, 0) << loaded.output;
  EXPECT_EQ(loaded.output.find("is open in another process"), std::string::npos) << loaded.output;
  EXPECT_EQ(HeaderJournalMode(file), 2) << "the load put the file back in WAL mode";
  EXPECT_EQ(registered(), static_cast<std::int64_t>(roster.size() - 1) + 100000);
  EXPECT_EQ(RunLinli(on({"check"})).exit_code, 0);
}

HttpResult UploadBuildings(const HttpClient& c, const std::string& bytes, const std::string& query = "") {
  return c.Send("POST", "/api/v1/import/buildings" + query, bytes, {{"Content-Type", "application/octet-stream"}});
}

std::int64_t BuildingsAt(const HttpClient& c, int node) {
  return c.Get("/api/v1/org/nodes/" + std::to_string(node) + "/counts").Json().at("buildings").as_int64();
}

TEST_P(ApiTest, BuildingsComeFromARosterEveryBadRowNamedAndTheSameFileAgainAddsOnlyItsNewRows) {
  auto secretary = stack().As("secretary");  // 虹桥社区: grids 5 and 6 (320581001001101001/2)
  auto worker2 = stack().As("worker2");      // grid 6 only
  // The grid around (120.715, 31.65) is grid 5 (the same squares as the boundaries test's).
  auto admin = stack().As("sysadmin");
  for (auto [node, east] : {std::pair{2, 120.80}, std::pair{4, 120.76}, std::pair{5, 120.73}}) {
    ASSERT_EQ(admin.Send("PUT", "/api/v1/org/nodes/" + std::to_string(node) + "/boundary",
                         cli::RectangleGeoJson(120.70, 31.60, east, 31.70), {{"Content-Type", "application/geo+json"}})
                  .status, 200);
  }

  auto tmpl = secretary.Get("/api/v1/import/template?kind=buildings&format=csv");
  ASSERT_EQ(tmpl.status, 200);
  EXPECT_NE(tmpl.body.find("楼栋编号,楼栋名称,所属网格编码"), std::string::npos) << tmpl.body;
  EXPECT_EQ(secretary.Get("/api/v1/import/template?kind=shops").ErrorField(), "kind");
  EXPECT_NE(secretary.Get("/api/v1/import/template?format=csv").body.find("姓名"), std::string::npos) << "residents by default";

  const tabular::Row header = {"楼栋编号", "楼栋名称", "所属网格编码", "地址", "经度", "纬度", "层数", "单元数"};
  static std::atomic<int> seq{1};
  const std::string p = "BI" + std::to_string(seq++) + GetParam().substr(0, 1) + "-";
  const std::string grid5 = "320581001001101001", grid6 = "320581001001101002";
  const auto before5 = BuildingsAt(secretary, 5), before6 = BuildingsAt(secretary, 6);

  // Every bad row named by its row and column; nothing written.
  std::vector<tabular::Row> bad = {
      header,
      {p + "1", "1号楼", grid5, "虹桥路1号", "", "", "6", "2"},            // row 2: good
      {p + "2", "2号楼", grid5, "", "东经120度", "31.65", "6", "2"},       // 3: 经度 not a number
      {p + "3", "3号楼", grid5, "", "", "", "六", "2"},                    // 4: 层数 not a whole number
      {p + "4", "4号楼", "999999", "", "", "", "", ""},                    // 5: no such grid
      {p + "5", "5号楼", "320581001002001", "", "", "", "", ""},           // 6: 新街社区's grid: out of reach
      {p + "1", "6号楼", grid6, "", "", "", "", ""},                       // 7: the code of row 2 again
      {p + "7", "", grid6, "", "", "", "", ""},                            // 8: no name
      {p + "8", "8号楼", "", "", "100.0", "40.0", "", ""},                 // 9: a location in no grid
      {p + "9", "9号楼", "", "", "", "", "", ""},                          // 10: neither grid nor location
      {"a b", "10号楼", grid5, "", "", "", "", ""},                        // 11: a code with a space
      {p + "11", "11号楼", grid5, "", "", "", "201", ""},                  // 12: too many floors
  };
  auto refused = UploadBuildings(secretary, tabular::WriteCsv(bad));
  ASSERT_EQ(refused.status, 422) << refused.body;
  auto report = refused.Json();
  EXPECT_EQ(report.at("issue_count").as_int64(), 10) << refused.body;
  EXPECT_EQ(report.at("valid").as_int64(), 1);
  std::map<std::int64_t, std::string> column_of_row;
  for (const auto& i : report.at("issues").as_array()) {
    column_of_row[i.at("row").as_int64()] = std::string(i.at("column").as_string());
  }
  const std::map<std::int64_t, std::string> expected = {
      {3, "经度"}, {4, "层数"}, {5, "所属网格编码"}, {6, "所属网格编码"}, {7, "楼栋编号"},
      {8, "楼栋名称"}, {9, "经度"}, {10, "所属网格编码"}, {11, "楼栋编号"}, {12, "层数"}};
  EXPECT_EQ(column_of_row, expected) << refused.body;
  EXPECT_NE(refused.body.find("the same building code is on row 2"), std::string::npos) << refused.body;
  EXPECT_NE(refused.body.find("unknown grid 320581001002001"), std::string::npos) << "out of reach reads as unknown";
  EXPECT_EQ(BuildingsAt(secretary, 5), before5) << "nothing half-imported";
  EXPECT_EQ(secretary.Get("/api/v1/buildings?code=" + p + "1").status, 404);

  // A good file as Excel saves it: checked (nothing written), then imported.
  std::vector<tabular::Row> good = {
      header,
      {p + "1", "1号楼", grid5, "虹桥路1号", "", "", "6", "2"},
      {p + "2", "2号楼", grid6, "虹桥路2号", "120.74", "31.66", "18", "3"},  // a location beside its grid
      {p + "3", "3号楼", "", "虹桥路3号", "120.715", "31.65", "", ""},         // placed by its location: grid 5
  };
  auto xlsx = tabular::WriteXlsx(good, "楼栋");
  ASSERT_TRUE(xlsx);
  auto dry = UploadBuildings(secretary, *xlsx, "?dry_run=true");
  ASSERT_EQ(dry.status, 200) << dry.body;
  EXPECT_EQ(dry.Json().at("valid").as_int64(), 3);
  EXPECT_FALSE(dry.Json().at("committed").as_bool());
  EXPECT_EQ(BuildingsAt(secretary, 5), before5);
  auto imported = UploadBuildings(secretary, *xlsx);
  ASSERT_EQ(imported.status, 201) << imported.body;
  EXPECT_EQ(imported.Json().at("buildings_created").as_int64(), 3);
  EXPECT_EQ(BuildingsAt(secretary, 5), before5 + 2);
  EXPECT_EQ(BuildingsAt(secretary, 6), before6 + 1);
  auto placed = secretary.Get("/api/v1/buildings?code=" + p + "3");
  ASSERT_EQ(placed.status, 200) << placed.body;
  EXPECT_EQ(placed.Json().at("items").at(0).at("node_id").as_int64(), 5);
  auto tall = secretary.Get("/api/v1/buildings?code=" + p + "2").Json().at("items").at(0);
  EXPECT_EQ(tall.at("floors").as_int64(), 18);
  EXPECT_EQ(tall.at("units").as_int64(), 3);
  EXPECT_EQ(tall.at("node_id").as_int64(), 6);
  auto audit = stack().As("auditor").Get("/api/v1/audit?action=building.import&limit=10");
  EXPECT_NE(audit.body.find(R"("detail":{"rows":3,"buildings":3)"), std::string::npos) << audit.body;

  // The same file with a row added: only the new row is written, the others counted as there.
  good.push_back({p + "4", "4号楼", grid6, "", "", "", "", ""});
  auto again = UploadBuildings(secretary, tabular::WriteCsv(good));
  ASSERT_EQ(again.status, 201) << again.body;
  EXPECT_EQ(again.Json().at("buildings_created").as_int64(), 1);
  EXPECT_EQ(again.Json().at("already_imported").as_int64(), 3);
  EXPECT_EQ(BuildingsAt(secretary, 6), before6 + 2);
  // A code held by another building refuses its row.
  auto taken = UploadBuildings(secretary, tabular::WriteCsv({header, {p + "1", "别的楼", grid5, "", "", "", "", ""}}));
  ASSERT_EQ(taken.status, 422) << taken.body;
  EXPECT_NE(taken.body.find("is registered already"), std::string::npos) << taken.body;

  // A grid worker registers buildings in their own grid only, by code or by location.
  auto foreign = UploadBuildings(worker2, tabular::WriteCsv({header, {p + "20", "20号楼", grid5, "", "", "", "", ""},
                                                             {p + "21", "21号楼", "", "", "120.715", "31.65", "", ""}}));
  ASSERT_EQ(foreign.status, 422) << foreign.body;
  EXPECT_EQ(foreign.Json().at("issue_count").as_int64(), 2);
  EXPECT_NE(foreign.body.find("lies in no grid where you may register"), std::string::npos) << foreign.body;
  EXPECT_EQ(UploadBuildings(worker2, tabular::WriteCsv({header, {p + "22", "22号楼", grid6, "", "", "", "", ""}})).status, 201);
  // node_id keeps a file to a part of the caller's reach.
  auto limited = UploadBuildings(secretary, tabular::WriteCsv({header, {p + "23", "23号楼", grid6, "", "", "", "", ""}}),
                                 "?node_id=5");
  ASSERT_EQ(limited.status, 422) << limited.body;
  EXPECT_NE(limited.body.find("unknown grid"), std::string::npos);

  // Files that are no buildings roster, and bad parameters: a 4xx naming what is wrong.
  EXPECT_EQ(UploadBuildings(secretary, "").ErrorField(), "file");
  auto roster = UploadBuildings(secretary, tabular::WriteCsv(Roster(p + "1", 9000, 1)));
  EXPECT_EQ(roster.status, 400);
  EXPECT_NE(roster.body.find("residents roster"), std::string::npos) << roster.body;
  EXPECT_EQ(UploadBuildings(secretary, "\x01\x02garbage\xff\xfe").status, 400);
  EXPECT_EQ(UploadBuildings(secretary, tabular::WriteCsv({{"楼栋编号", "地址"}, {"X", "Y"}})).ErrorField(), "file");
  EXPECT_EQ(UploadBuildings(secretary, tabular::WriteCsv(good), "?dry_run=maybe").ErrorField(), "dry_run");
  EXPECT_EQ(UploadBuildings(secretary, tabular::WriteCsv(good), "?format=pdf").ErrorField(), "format");
  EXPECT_EQ(UploadBuildings(secretary, tabular::WriteCsv(good), "?node_id=abc").ErrorField(), "node_id");
  EXPECT_EQ(stack().Anonymous().Send("POST", "/api/v1/import/buildings", tabular::WriteCsv(good)).status, 401);
  EXPECT_EQ(stack().As("auditor").Send("POST", "/api/v1/import/buildings", tabular::WriteCsv(good)).status, 403);
  EXPECT_EQ(BuildingsAt(secretary, 6), before6 + 3);
}

HttpResult UploadOrg(const HttpClient& c, const std::string& bytes, const std::string& query = "") {
  return c.Send("POST", "/api/v1/import/org" + query, bytes, {{"Content-Type", "application/octet-stream"}});
}

TEST_P(ApiTest, AnOrgTreeComesFromAFileInAnyOrderParentsFromTheCodes) {
  auto admin = stack().As("sysadmin");  // system_admin at 琴川街道 320581001
  auto tmpl = admin.Get("/api/v1/import/template?kind=org&format=csv");
  ASSERT_EQ(tmpl.status, 200);
  EXPECT_NE(tmpl.body.find("编码,类型,名称"), std::string::npos) << tmpl.body;
  // A community new to each engine's database (the engines share nothing but this test's codes).
  const std::string c = GetParam() == "sqlite" ? "320581001007" : "320581001017";
  const tabular::Row header = {"编码", "类型", "名称"};
  std::vector<tabular::Row> good = {
      header,
      {c + "001001", "微网格", "新村1号微网格"},  // children before their parents: the codes say who holds whom
      {c + "001", "网格", "新村第一网格"},
      {c + "002", "grid", "新村第二网格"},
      {c, "社区", "新村社区"},
      {"320581001001101001", "网格", "虹桥第一网格"},  // registered already as written: skipped
  };
  auto dry = UploadOrg(admin, tabular::WriteCsv(good), "?dry_run=true");
  ASSERT_EQ(dry.status, 200) << dry.body;
  EXPECT_EQ(dry.Json().at("valid").as_int64(), 5);
  EXPECT_EQ(admin.Get("/api/v1/org/nodes?code=" + c).Json().at("items").as_array().size(), 0u);
  auto imported = UploadOrg(admin, *tabular::WriteXlsx(good, "组织架构"));
  ASSERT_EQ(imported.status, 201) << imported.body;
  EXPECT_EQ(imported.Json().at("nodes_created").as_int64(), 4);
  EXPECT_EQ(imported.Json().at("already_imported").as_int64(), 1);
  auto community = admin.Get("/api/v1/org/nodes?code=" + c).Json().at("items").at(0);
  auto micro = admin.Get("/api/v1/org/nodes?code=" + c + "001001").Json().at("items").at(0);
  auto grid = admin.Get("/api/v1/org/nodes?code=" + c + "001").Json().at("items").at(0);
  EXPECT_EQ(community.at("type").as_string(), "community");
  EXPECT_EQ(micro.at("type").as_string(), "micro_grid");
  EXPECT_EQ(micro.at("parent_id").as_int64(), grid.at("id").as_int64());
  EXPECT_EQ(grid.at("parent_id").as_int64(), community.at("id").as_int64());
  EXPECT_EQ(community.at("parent_id").as_int64(), 1);
  auto audit = stack().As("auditor").Get("/api/v1/audit?action=org.import&limit=10");
  EXPECT_NE(audit.body.find(R"("nodes":4)"), std::string::npos) << audit.body;
  EXPECT_EQ(UploadOrg(admin, tabular::WriteCsv(good)).Json().at("nodes_created").as_int64(), 0) << "the same file again";

  // Every bad row named; nothing written.
  std::vector<tabular::Row> bad = {
      header,
      {"320581001030", "网格", "挂在街道下的网格"},  // 2: a grid under a subdistrict
      {"320581001031001", "网格", "无主网格"},       // 3: no 320581001031 anywhere
      {"320581001032", "社区", ""},                  // 4: no name
      {"320581001033", "楼", "某楼"},                // 5: no such type
      {"32058100103A", "社区", "字母"},              // 6: not digits
      {"320581001034", "社区", "甲社区"},            // 7
      {"320581001034", "社区", "乙社区"},            // 8: the code of row 7 again
      {"320582001", "街道", "别的街道"},             // 9: a root: the command line only
      {"320582001001", "社区", "别的社区"},          // 10: under a refused parent
      {c, "社区", "改了名的社区"},                   // 11: registered under another name
      {c + "003000", "网格", "零号"},                // 12: a code ending in 000
  };
  auto refused = UploadOrg(admin, tabular::WriteCsv(bad));
  ASSERT_EQ(refused.status, 422) << refused.body;
  std::map<std::int64_t, std::string> column_of_row;
  auto refused_report = refused.Json();  // kept: a range-for would not keep the temporary alive
  for (const auto& i : refused_report.at("issues").as_array()) {
    column_of_row[i.at("row").as_int64()] = std::string(i.at("column").as_string());
  }
  const std::map<std::int64_t, std::string> expected = {
      {2, "类型"}, {3, "编码"}, {4, "名称"}, {5, "类型"}, {6, "编码"}, {8, "编码"},
      {9, "编码"}, {10, "编码"}, {11, "编码"}, {12, "编码"}};
  EXPECT_EQ(column_of_row, expected) << refused.body;
  EXPECT_NE(refused.body.find("cannot be placed under a subdistrict"), std::string::npos) << refused.body;
  EXPECT_NE(refused.body.find("from the command line only"), std::string::npos) << refused.body;
  EXPECT_NE(refused.body.find("the same code is on row 7"), std::string::npos) << refused.body;
  EXPECT_EQ(admin.Get("/api/v1/org/nodes?code=320581001034").Json().at("items").as_array().size(), 0u);

  // Reach: org.write at the parent; node_id keeps a file to one part of it.
  auto limited = UploadOrg(admin, tabular::WriteCsv({header, {"320581001002009", "网格", "新街第九网格"}}),
                           "?node_id=" + std::to_string(community.at("id").as_int64()));
  ASSERT_EQ(limited.status, 422) << limited.body;
  EXPECT_NE(limited.body.find("no org node 320581001002 you may add to"), std::string::npos) << limited.body;
  EXPECT_EQ(UploadOrg(stack().As("secretary"), tabular::WriteCsv(good)).status, 403);
  EXPECT_EQ(stack().Anonymous().Send("POST", "/api/v1/import/org", tabular::WriteCsv(good)).status, 401);
  EXPECT_EQ(UploadOrg(admin, "").ErrorField(), "file");
  EXPECT_EQ(UploadOrg(admin, tabular::WriteCsv({{"编码", "名称"}, {"1", "x"}})).ErrorField(), "file");
  EXPECT_EQ(UploadOrg(admin, tabular::WriteCsv(good), "?dry_run=2").ErrorField(), "dry_run");
}

TEST_P(ApiTest, ManyBoundariesComeFromOneFeatureCollectionAllOrNothing) {
  auto admin = stack().As("sysadmin");
  auto put = [&](const HttpClient& c, const std::string& body, const char* type = "application/geo+json") {
    return c.Send("PUT", "/api/v1/org/boundaries", body, {{"Content-Type", type}});
  };
  // Grids before their compound and community: parents are set first all the same (the same
  // squares as the boundaries test's, so the order of the tests does not matter).
  const std::string grid5 = "320581001001101001", grid6 = "320581001001101002";
  auto set = put(admin, Collection({{grid6, 120.73, 31.60, 120.76, 31.70},
                                    {grid5, 120.70, 31.60, 120.73, 31.70},
                                    {"320581001001101", 120.70, 31.60, 120.76, 31.70},
                                    {"320581001001", 120.70, 31.60, 120.80, 31.70}}));
  ASSERT_EQ(set.status, 200) << set.body;
  EXPECT_EQ(set.Json().at("set").as_int64(), 4);
  auto worker = stack().As("worker2");
  auto hit = worker.Get("/api/v1/geo/locate?lon=120.745&lat=31.65");
  ASSERT_EQ(hit.status, 200) << hit.body;
  EXPECT_EQ(hit.Json().at("node").at("id").as_int64(), 6);
  auto audit = stack().As("auditor").Get("/api/v1/audit?action=org.boundaries&limit=10");
  EXPECT_NE(audit.body.find(R"("boundaries":4)"), std::string::npos) << audit.body;

  // One feature over its sibling refuses the whole file, the good features before it included.
  const auto community_before = admin.Get("/api/v1/org/nodes/2/boundary").body;
  const auto grid6_before = admin.Get("/api/v1/org/nodes/6/boundary").body;
  auto overlap = put(admin, Collection({{"320581001001", 120.70, 31.60, 120.81, 31.70},
                                        {grid6, 120.72, 31.60, 120.76, 31.70}}));
  ASSERT_EQ(overlap.status, 400) << overlap.body;
  EXPECT_EQ(overlap.ErrorField(), "features");
  EXPECT_NE(overlap.body.find("feature 2 (" + grid6 + ")"), std::string::npos) << overlap.body;
  EXPECT_NE(overlap.body.find("node 5"), std::string::npos) << overlap.body;
  EXPECT_EQ(admin.Get("/api/v1/org/nodes/2/boundary").body, community_before);
  EXPECT_EQ(admin.Get("/api/v1/org/nodes/6/boundary").body, grid6_before);

  // Bad files and callers: a 4xx naming what is wrong.
  auto unknown = put(admin, Collection({{"320581001001999", 120.70, 31.60, 120.71, 31.61}}));
  EXPECT_EQ(unknown.ErrorField(), "features");
  EXPECT_NE(unknown.body.find("no such org node"), std::string::npos) << unknown.body;
  EXPECT_EQ(put(admin, "{nope").ErrorField(), "features");
  EXPECT_EQ(put(admin, cli::RectangleGeoJson(120.70, 31.60, 120.71, 31.61)).ErrorField(), "features") << "not a collection";
  auto nameless = put(admin, R"({"type":"FeatureCollection","features":[{"type":"Feature","properties":{},"geometry":)" +
                                 cli::RectangleGeoJson(120.70, 31.60, 120.71, 31.61) + "}]}");
  EXPECT_NE(nameless.body.find("feature 1 names no node"), std::string::npos) << nameless.body;
  auto bowtie = put(admin, R"({"type":"FeatureCollection","features":[{"type":"Feature","properties":{"code":")" + grid5 +
                               R"("},"geometry":{"type":"Polygon","coordinates":[[[120.70,31.6],[120.73,31.7],[120.73,31.6],[120.70,31.7],[120.70,31.6]]]}}]})");
  EXPECT_EQ(bowtie.ErrorField(), "features");
  EXPECT_NE(bowtie.body.find("self-intersection"), std::string::npos) << bowtie.body;
  EXPECT_EQ(put(admin, Collection({}), "text/plain").ErrorField(), "content-type");
  EXPECT_EQ(put(stack().As("secretary"), Collection({{grid5, 120.70, 31.60, 120.73, 31.70}})).status, 403);
  EXPECT_EQ(put(stack().Anonymous(), Collection({})).status, 401);
}

INSTANTIATE_TEST_SUITE_P(Backends, ApiTest, ::testing::Values("sqlite", "postgres"),
                         [](const auto& info) { return info.param; });

}  // namespace
}  // namespace linli::testing
