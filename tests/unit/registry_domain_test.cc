// Pure rules of the population registry: identity numbers, phones, masks, tags, resident
// validation, boundaries and the point → grid index, and field encryption.
#include <gtest/gtest.h>

#include <cstdio>
#include <ctime>
#include <set>
#include <thread>

#include "core/field_crypto.h"
#include "domain/geo.h"
#include "domain/identity.h"
#include "domain/registry.h"

namespace linli::domain {
namespace {

const CivilDate kToday{2026, 11, 22};

TEST(IdNumber, ChecksTheGb11643CheckCharacter) {
  auto ok = ParseIdNumber("11010519491231002X", kToday);
  ASSERT_TRUE(ok) << ok.error().message;
  EXPECT_EQ(ok->birth_date, (CivilDate{1949, 12, 31}));
  EXPECT_EQ(ok->gender, 'F');  // sequence 002: even
  EXPECT_EQ(ok->region, "110105");
  EXPECT_TRUE(ParseIdNumber("11010519491231002x", kToday)) << "a lower-case x is accepted";
  auto bad = ParseIdNumber("110105194912310021", kToday);
  ASSERT_FALSE(bad);
  EXPECT_EQ(bad.error().field, "id_number");
  EXPECT_NE(bad.error().message.find("check digit"), std::string::npos);
}

TEST(IdNumber, ConvertsLegacyFifteenDigitNumbers) {
  auto ok = ParseIdNumber("110105491231002", kToday);
  ASSERT_TRUE(ok);
  EXPECT_EQ(ok->number, "11010519491231002X");
}

TEST(IdNumber, RefusesImpossibleBirthDatesAndShapes) {
  auto with_check = [](std::string first17) { return first17 + IdCheckCharacter(first17); };
  EXPECT_FALSE(ParseIdNumber(with_check("11010520230230001"), kToday)) << "30 February";
  EXPECT_FALSE(ParseIdNumber(with_check("11010520301201001"), kToday)) << "born in the future";
  EXPECT_FALSE(ParseIdNumber(with_check("11010518001201001"), kToday)) << "too early";
  EXPECT_FALSE(ParseIdNumber(with_check("01010519800101001"), kToday)) << "no such region";
  EXPECT_FALSE(ParseIdNumber("1101051949123100", kToday));
  EXPECT_FALSE(ParseIdNumber("11010519491231002Y", kToday));
  EXPECT_FALSE(ParseIdNumber("", kToday));
  EXPECT_TRUE(ParseIdNumber(with_check("32058120000229001"), kToday)) << "29 February of a leap year";
}

TEST(Phone, AcceptsMainlandMobilesOnly) {
  EXPECT_EQ(*NormalizeMobile("138 1234 5678"), "13812345678");
  EXPECT_EQ(*NormalizeMobile("+86-139-0000-1111"), "13900001111");
  EXPECT_FALSE(NormalizeMobile("12812345678"));
  EXPECT_FALSE(NormalizeMobile("1381234567"));
  EXPECT_FALSE(NormalizeMobile("0512-6512345"));
  EXPECT_EQ(NormalizeMobile("abc").error().field, "phone");
}

TEST(Masks, HideTheMiddle) {
  EXPECT_EQ(MaskIdNumber("11010519491231002X"), "110***********002X");
  EXPECT_EQ(MaskPhone("13812345678"), "138****5678");
}

TEST(Dates, ChinaDateAndAge) {
  // 2026-11-21 16:30 UTC is already 22 November in Beijing.
  EXPECT_EQ(ChinaDate(1795278600000), (CivilDate{2026, 11, 22}));
  EXPECT_EQ(ChinaDateTime(1795278600000), "2026-11-22 00:30");
  EXPECT_EQ(ChinaMidnight({2026, 11, 22}), 1795278600000 - 30 * 60000);
  EXPECT_EQ(ChinaMidnight({1970, 1, 1}), -8LL * 3600 * 1000);
  EXPECT_EQ(ChinaDate(ChinaMidnight({2024, 2, 29})), (CivilDate{2024, 2, 29}));
  EXPECT_EQ(ChinaDate(ChinaMidnight({2024, 3, 1}) - 1), (CivilDate{2024, 2, 29}));
  EXPECT_EQ(AgeOn({1966, 11, 22}, kToday), 60);
  EXPECT_EQ(AgeOn({1966, 11, 23}, kToday), 59);
  EXPECT_EQ(YearsBefore({2024, 2, 29}, 1), (CivilDate{2023, 2, 28}));
  EXPECT_FALSE(ParseCivilDate("2023-02-29", "birth_date"));
  EXPECT_TRUE(ParseCivilDate("2024/02/29", "birth_date"));
  EXPECT_TRUE(ParseCivilDate("19500307", "birth_date"));
}

TEST(Dates, FormatUtcAgreesWithTheCLibrary) {
  // The digit-by-digit formatter against gmtime_r and snprintf, what it replaced: every day from
  // 1900 to 2200 at a time of day that moves, leap days and centuries included, and before 1970.
  auto reference = [](Millis t) {
    Millis secs = t / 1000, ms = t % 1000;
    if (ms < 0) {
      ms += 1000;
      --secs;
    }
    std::time_t tt = static_cast<std::time_t>(secs);
    std::tm tm{};
    gmtime_r(&tt, &tm);
    char buf[64];
    std::snprintf(buf, sizeof buf, "%04d-%02d-%02dT%02d:%02d:%02d.%03dZ", tm.tm_year + 1900, tm.tm_mon + 1,
                  tm.tm_mday, tm.tm_hour, tm.tm_min, tm.tm_sec, static_cast<int>(ms));
    return std::string(buf);
  };
  constexpr Millis kDay = 86400000;
  int checked = 0;
  for (Millis day = -25567; day <= 84006; ++day, ++checked) {  // 1900-01-01 … 2199-12-31
    Millis t = day * kDay + (day * 7919 % 1000) * 86399;     // somewhere in the day, to the millisecond
    ASSERT_EQ(FormatUtc(t), reference(t)) << t;
  }
  EXPECT_EQ(checked, 109574);
  for (Millis t : {Millis{0}, Millis{-1}, Millis{-999}, Millis{-1000}, Millis{-1001}, kDay - 1, 951782400000,
                   4107542400000, 1795278600123}) {
    EXPECT_EQ(FormatUtc(t), reference(t)) << t;
  }
  EXPECT_EQ(FormatUtc(1795278600123), "2026-11-21T16:30:00.123Z");
  EXPECT_EQ(FormatUtc(-1), "1969-12-31T23:59:59.999Z");
  EXPECT_EQ(FormatUtc(951782400000), "2000-02-29T00:00:00.000Z");
}

TEST(Tags, CustomTagsComeFromTheVocabulary) {
  std::vector<std::string> vocabulary = {"custom:志愿者"};
  EXPECT_TRUE(CheckCustomTags({"living_alone", "custom:志愿者"}, vocabulary));
  auto st = CheckCustomTags({"custom:外星人"}, vocabulary);
  ASSERT_FALSE(st);
  EXPECT_EQ(st.error().field, "tags");
  EXPECT_NE(st.error().message.find("外星人"), std::string::npos);
  EXPECT_TRUE(CheckCustomTags({"custom:外卖骑手"}, vocabulary, {"custom:外卖骑手"})) << "a tag held already stays";
}

TEST(Tags, StandardChineseAndCustom) {
  EXPECT_EQ(*NormalizeTag("独居"), "living_alone");
  EXPECT_EQ(*NormalizeTag("disabled"), "disabled");
  EXPECT_EQ(*NormalizeTag("custom:志愿者"), "custom:志愿者");
  EXPECT_EQ(*NormalizeTag("志愿者"), "custom:志愿者");
  EXPECT_FALSE(NormalizeTag("老年人")) << "derived from the birth date";
  EXPECT_FALSE(NormalizeTag("a b"));
  auto list = ParseTagList("党员、独居, veteran；党员");
  ASSERT_TRUE(list);
  EXPECT_EQ(*list, (std::vector<std::string>{"party_member", "living_alone", "veteran"}));
  EXPECT_TRUE(IsSensitiveTag("disabled"));
  EXPECT_FALSE(IsSensitiveTag("party_member"));
  EXPECT_TRUE(IsVulnerable({"living_alone"}, {1950, 1, 1}, kToday));
  EXPECT_FALSE(IsVulnerable({"living_alone"}, {1990, 1, 1}, kToday));
}

TEST(Resident, DerivesBirthAndGenderFromTheIdNumberAndChecksAgreement) {
  ResidentInput in;
  in.name = "王秀英";
  in.id_number = "11010519491231002X";
  in.phone = "13812345678";
  in.residence_type = "户籍";
  in.relation = "户主";
  in.tags = {"独居", "残疾"};
  in.disability_level = 2;
  auto r = ValidateResident(in, kToday);
  ASSERT_TRUE(r) << r.error().message;
  EXPECT_EQ(r->gender, 'F');
  EXPECT_EQ(r->birth_date, (CivilDate{1949, 12, 31}));
  EXPECT_EQ(r->residence_type, "registered");
  EXPECT_EQ(r->relation, "head");
  EXPECT_EQ(r->public_tags, std::vector<std::string>{"living_alone"});
  EXPECT_EQ(r->sensitive_tags, std::vector<std::string>{"disabled"});

  auto field_of = [&](auto change) {
    ResidentInput x = in;
    change(x);
    auto res = ValidateResident(x, kToday);
    return res ? std::string("(accepted)") : res.error().field;
  };
  EXPECT_EQ(field_of([](auto& x) { x.gender = "男"; }), "gender");
  EXPECT_EQ(field_of([](auto& x) { x.birth_date = "1950-01-01"; }), "birth_date");
  EXPECT_EQ(field_of([](auto& x) { x.id_number = "110105194912310021"; }), "id_number");
  EXPECT_EQ(field_of([](auto& x) { x.phone = "123"; }), "phone");
  EXPECT_EQ(field_of([](auto& x) { x.name = ""; }), "name");
  EXPECT_EQ(field_of([](auto& x) { x.residence_type = "tourist"; }), "residence_type");
  EXPECT_EQ(field_of([](auto& x) { x.relation = "boss"; }), "relation");
  EXPECT_EQ(field_of([](auto& x) { x.disability_level = 7; }), "disability_level");
  EXPECT_EQ(field_of([](auto& x) { x.tags = {}; }), "disability_level");
  EXPECT_EQ(field_of([](auto& x) { x.id_number = ""; x.birth_date = "2030-01-01"; }), "birth_date");
  EXPECT_EQ(field_of([](auto& x) { x.id_number = ""; x.birth_date = "1950-01-01"; x.gender = ""; }), "gender");
}

std::string Square(double x0, double y0, double x1, double y1) {
  char buf[256];
  std::snprintf(buf, sizeof buf,
                R"({"type":"Polygon","coordinates":[[[%f,%f],[%f,%f],[%f,%f],[%f,%f],[%f,%f]]]})", x0, y0,
                x1, y0, x1, y1, x0, y1, x0, y0);
  return buf;
}

TEST(Geo, ParsesAndValidatesBoundaries) {
  auto sq = ParseBoundary(Square(120, 31, 120.01, 31.01));
  ASSERT_TRUE(sq) << sq.error().message;
  EXPECT_NEAR(sq->Centroid().lon, 120.005, 1e-9);
  EXPECT_GT(sq->AreaSquareMetres(), 900000);  // about 1.06 km²
  EXPECT_LT(sq->AreaSquareMetres(), 1100000);
  EXPECT_TRUE(sq->Covers({120.005, 31.005}));
  EXPECT_FALSE(sq->Covers({120.02, 31.005}));
  // A clockwise ring is corrected, and the normalised GeoJSON parses again to the same area.
  auto cw = ParseBoundary(R"({"type":"Feature","geometry":{"type":"Polygon","coordinates":[[[120,31],[120,31.01],[120.01,31.01],[120.01,31],[120,31]]]}})");
  ASSERT_TRUE(cw);
  auto again = ParseBoundary(cw->ToGeoJson());
  ASSERT_TRUE(again);
  EXPECT_NEAR(again->Area(), sq->Area(), 1e-12);

  auto bowtie = ParseBoundary(R"({"type":"Polygon","coordinates":[[[0,0],[1,1],[1,0],[0,1],[0,0]]]})");
  ASSERT_FALSE(bowtie);
  EXPECT_EQ(bowtie.error().field, "boundary");
  EXPECT_NE(bowtie.error().message.find("self-intersection"), std::string::npos) << bowtie.error().message;
  EXPECT_FALSE(ParseBoundary(R"({"type":"Polygon","coordinates":[[[0,0],[1,1],[1,0]]]})"));
  EXPECT_FALSE(ParseBoundary(R"({"type":"Polygon","coordinates":[[[0,0],[1,0],[1,1],[0,1],[0,0.5]]]})"));
  EXPECT_FALSE(ParseBoundary(R"({"type":"Point","coordinates":[0,0]})"));
  EXPECT_FALSE(ParseBoundary(R"({"type":"Polygon","coordinates":[[[0,0],[200,0],[1,1],[0,0]]]})"));
  EXPECT_FALSE(ParseBoundary("{not json"));
  EXPECT_FALSE(ParseBoundary(Square(0, 0, 1, 1), "boundary", 3)) << "vertex cap";
}

TEST(Geo, PlacementReportsOffendingNodes) {
  auto parent = *ParseBoundary(Square(0, 0, 2, 2));
  auto left = *ParseBoundary(Square(0, 0, 1, 2));
  auto right = *ParseBoundary(Square(1, 0, 2, 2));
  auto overlapping = *ParseBoundary(Square(0.5, 0, 1.5, 2));
  auto outside = *ParseBoundary(Square(1.5, 0, 2.5, 2));
  auto sliver = *ParseBoundary(Square(0.995, 0, 2, 2));  // 0.5% over the left sibling: tolerated
  EXPECT_TRUE(CheckPlacement(right, PlacedShape{1, parent}, {{10, left}}).empty());
  EXPECT_TRUE(CheckPlacement(sliver, PlacedShape{1, parent}, {{10, left}}).empty());
  auto v = CheckPlacement(overlapping, PlacedShape{1, parent}, {{10, left}, {11, right}});
  ASSERT_EQ(v.size(), 2u);
  EXPECT_EQ(v[0].kind, "overlaps_sibling");
  EXPECT_EQ(v[0].other_id, 10);
  EXPECT_EQ(v[1].other_id, 11);
  auto o = CheckPlacement(outside, PlacedShape{1, parent}, {});
  ASSERT_EQ(o.size(), 1u);
  EXPECT_EQ(o[0].kind, "outside_parent");
  EXPECT_NEAR(o[0].share, 0.5, 1e-9);
  EXPECT_NE(DescribeViolations(o).find("node 1"), std::string::npos);
  auto whole = UnionOf({left, right});
  ASSERT_TRUE(whole);
  EXPECT_NEAR(whole->Area(), 4, 1e-9);
}

TEST(Geo, IndexFindsTheDeepestNodeAndTheNearestInAGap) {
  std::vector<GeoIndex::Entry> entries;
  entries.push_back({1, 1, *ParseBoundary(Square(120, 31, 120.01, 31.01))});        // grid
  entries.push_back({2, 2, *ParseBoundary(Square(120, 31, 120.005, 31.01))});       // its micro-grid
  entries.push_back({3, 1, *ParseBoundary(Square(120.0102, 31, 120.02, 31.01))});   // a grid across a gap
  GeoIndex index(std::move(entries));
  EXPECT_EQ(index.size(), 3u);
  EXPECT_EQ(index.Locate({120.002, 31.005})->node_id, 2);
  EXPECT_EQ(index.Locate({120.007, 31.005})->node_id, 1);
  EXPECT_EQ(index.Locate({120.015, 31.005})->node_id, 3);
  // 120.0101 lies in the 0.0002° (~20 m) gap, ~11 m from grid 1's edge.
  auto gap = index.Locate({120.0101, 31.005}, 50);
  ASSERT_TRUE(gap);
  EXPECT_EQ(gap->node_id, 1);
  EXPECT_GT(gap->distance_m, 5);
  EXPECT_FALSE(index.Locate({120.0101, 31.005}, 5));
  EXPECT_FALSE(index.Locate({121, 31.005}, 50));

  // Holes and several polygons in one boundary: a ring-shaped grid around a park, and a grid in
  // two pieces.
  auto donut = ParseBoundary(R"({"type":"Polygon","coordinates":[[[0,0],[3,0],[3,3],[0,3],[0,0]],[[1,1],[1,2],[2,2],[2,1],[1,1]]]})");
  auto pieces = ParseBoundary(R"({"type":"MultiPolygon","coordinates":[[[[4,0],[5,0],[5,1],[4,1],[4,0]]],[[[6,0],[7,0],[7,1],[6,1],[6,0]]]]})");
  ASSERT_TRUE(donut) << donut.error().message;
  ASSERT_TRUE(pieces) << pieces.error().message;
  GeoIndex shapes({{10, 1, *donut}, {11, 1, *pieces}});
  EXPECT_EQ(shapes.Locate({0.5, 0.5}, 0)->node_id, 10);
  EXPECT_FALSE(shapes.Locate({1.5, 1.5}, 0)) << "inside the hole";
  EXPECT_EQ(shapes.Locate({4.5, 0.5}, 0)->node_id, 11);
  EXPECT_EQ(shapes.Locate({6.5, 0.5}, 0)->node_id, 11);
  EXPECT_FALSE(shapes.Locate({5.5, 0.5}, 0)) << "between the pieces";
}

TEST(FieldCrypto, SealsBindsContextAndIndexes) {
  auto fc = crypto::FieldCrypto::ForTests("unit");
  auto sealed = fc->Seal("13812345678", "residents.phone:7");
  EXPECT_EQ(sealed.find("13812345678"), std::string::npos);
  EXPECT_NE(sealed, fc->Seal("13812345678", "residents.phone:7")) << "random nonces";
  EXPECT_EQ(*fc->Open(sealed, "residents.phone:7"), "13812345678");
  EXPECT_FALSE(fc->Open(sealed, "residents.phone:8")) << "moved to another row";
  EXPECT_FALSE(crypto::FieldCrypto::ForTests("other")->Open(sealed, "residents.phone:7"));
  EXPECT_EQ(fc->BlindIndex("phone", "13812345678"), fc->BlindIndex("phone", "13812345678"));
  EXPECT_NE(fc->BlindIndex("phone", "13812345678"), fc->BlindIndex("id", "13812345678"));
  EXPECT_NE(fc->BlindIndex("phone", "13812345678"),
            crypto::FieldCrypto::ForTests("other")->BlindIndex("phone", "13812345678"));
  std::string big(5000, 'x');
  EXPECT_EQ(*fc->Open(fc->Seal(big, "c"), "c"), big);
}

// Nonces are drawn from a pool refilled 4 KiB at a time, per thread: none may repeat, across
// refills and threads (a repeated nonce under one key would expose the plaintexts).
TEST(FieldCrypto, NoncesNeverRepeatAcrossPoolsAndThreads) {
  auto fc = crypto::FieldCrypto::ForTests("unit");
  constexpr int kPerThread = 10000;  // ~60 refills of each thread's pool
  std::vector<std::string> nonces[2];
  std::vector<std::thread> threads;
  for (auto& out : nonces) {
    threads.emplace_back([&fc, &out] {
      for (int i = 0; i < kPerThread; ++i) out.push_back(fc->Seal("13812345678", "c").substr(3, 32));  // 24 bytes
    });
  }
  for (auto& t : threads) t.join();
  std::set<std::string> distinct(nonces[0].begin(), nonces[0].end());
  distinct.insert(nonces[1].begin(), nonces[1].end());
  EXPECT_EQ(distinct.size(), 2u * kPerThread);
}

}  // namespace
}  // namespace linli::domain

#include "core/tabular.h"

namespace linli::tabular {
namespace {

TEST(Tabular, CsvQuotesBomAndFormulaGuard) {
  auto sheet = ReadCsv("\xEF\xBB\xBF" "a,\"b,1\",\"say \"\"hi\"\"\"\r\n\r\n2,\"multi\nline\",x\n", 100);
  ASSERT_TRUE(sheet);
  ASSERT_EQ(sheet->rows.size(), 2u);
  EXPECT_EQ(sheet->rows[0], (Row{"a", "b,1", "say \"hi\""}));
  EXPECT_EQ(sheet->rows[1][1], "multi\nline");
  EXPECT_FALSE(ReadCsv("a,\"open", 10));
  EXPECT_FALSE(ReadCsv("a\nb\nc\n", 2)) << "row cap";
  auto out = WriteCsv({{"=1+1", "a,b", "-x"}, {"@SUM(A1,\"x\")", "", "say \"hi\""}});
  EXPECT_EQ(out, "\xEF\xBB\xBF'=1+1,\"a,b\",'-x\r\n"
                 "\"'@SUM(A1,\"\"x\"\")\",,\"say \"\"hi\"\"\"\r\n")
      << "a formula that needs quoting keeps its guard inside the quotes";
}

TEST(Tabular, GbkIsDetectedAndConverted) {
  std::string gbk = "\xd0\xd5\xc3\xfb,\xc4\xea\xc1\xe4\n";  // 姓名,年龄 in GBK
  EXPECT_FALSE(IsValidUtf8(gbk));
  auto sheet = ReadCsv(gbk, 10);
  ASSERT_TRUE(sheet);
  EXPECT_EQ(sheet->encoding, "gb18030");
  EXPECT_EQ(sheet->rows[0][0], "姓名");
  EXPECT_TRUE(IsValidUtf8("姓名"));
  EXPECT_FALSE(IsValidUtf8("\xc0\x80"));
}

TEST(Tabular, XlsxRoundTripKeepsLongDigitStrings) {
  auto bytes = WriteXlsx({{"姓名", "身份证号"}, {"王秀英", "11010519491231002X"}, {"", "320581195006150011"}}, "居民");
  ASSERT_TRUE(bytes);
  EXPECT_EQ(Sniff(*bytes), Format::kXlsx);
  auto sheet = ReadXlsx(*bytes, 10);
  ASSERT_TRUE(sheet) << sheet.error().message;
  ASSERT_EQ(sheet->rows.size(), 3u);
  EXPECT_EQ(sheet->rows[1][1], "11010519491231002X");
  EXPECT_EQ(sheet->rows[2][1], "320581195006150011");
  EXPECT_EQ(sheet->rows[2][0], "");
  EXPECT_FALSE(ReadXlsx("PK\x03\x04 not really", 10));
  EXPECT_EQ(ExcelSerialToIso("45321"), "2024-01-30");
  EXPECT_EQ(ExcelSerialToIso("abc"), "");
}

TEST(BuildingAddress, TypedAddressesGiveTheStreetAddressTheyStartWith) {
  EXPECT_EQ(domain::BuildingAddressCandidates("虹桥路88号  3号楼2单元301室"),
            (std::vector<std::string>{"虹桥路88号3栋2单元301室", "虹桥路88号3栋2单元", "虹桥路88号3栋", "虹桥路88号"}));
  EXPECT_EQ(domain::BuildingAddressCandidates("幸福小区12栋"), (std::vector<std::string>{"幸福小区12栋", "幸福小区"}))
      << "小区 is no region to cut after, and 12栋 alone is no street address";
  EXPECT_EQ(domain::BuildingAddressCandidates("阳光花园"), std::vector<std::string>{"阳光花园"}) << "no number, nothing cut";
  EXPECT_TRUE(domain::BuildingAddressCandidates("   ").empty());
  EXPECT_EQ(domain::BuildingAddressCandidates("江苏省张家港市杨舍镇虹桥路88号3幢"),
            (std::vector<std::string>{"江苏省张家港市杨舍镇虹桥路88号3栋", "张家港市杨舍镇虹桥路88号3栋",
                                      "杨舍镇虹桥路88号3栋", "虹桥路88号3栋", "江苏省张家港市杨舍镇虹桥路88号",
                                      "张家港市杨舍镇虹桥路88号", "杨舍镇虹桥路88号", "虹桥路88号"}))
      << "each form also without its province, city and town";
}

TEST(BuildingAddress, VariantsOfAnAddressShareItsKey) {
  const std::string key = domain::AddressKey("虹桥路88号3栋");
  EXPECT_EQ(key, "虹桥路88号3栋");
  for (const char* variant : {"虹橋路８８號３棟", "虹桥路 88 号 3 号楼", "虹桥路八十八号三幢", "虹桥路88号，3座", "虹桥路(88号)3栋"}) {
    EXPECT_EQ(domain::AddressKey(variant), key) << variant;
  }
  EXPECT_EQ(domain::AddressKey("人民路一百零五号"), "人民路105号");
  EXPECT_EQ(domain::AddressKey("幸福里三零一室"), "幸福里301室");
  EXPECT_EQ(domain::AddressKey("Ａ座"), "a栋") << "building A, its letter halved and lower case";
  EXPECT_EQ(domain::AddressKey("星座路6号"), "星座路6号") << "座 after no number is part of a name";
  EXPECT_EQ(domain::AddressKey("三元里"), "三元里") << "numerals not before a numbered part are a name";
  EXPECT_EQ(domain::AddressKey("十里铺二十号"), "十里铺20号");
  EXPECT_EQ(domain::AddressKey(""), "");
  EXPECT_NE(domain::AddressKey("虹桥路88号"), domain::AddressKey("虹桥路89号"));
}

}  // namespace
}  // namespace linli::tabular
