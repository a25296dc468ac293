// The case state machine and the working-time calendar: pure rules, no storage.
#include <gtest/gtest.h>

#include <algorithm>
#include <set>

#include "domain/case_categories.h"
#include "core/chinese_text.h"
#include "domain/case_counts.h"
#include "domain/case_workflow.h"
#include "domain/identity.h"
#include "domain/media.h"
#include "domain/geo.h"
#include "domain/text.h"
#include "domain/work_calendar.h"

namespace linli::domain {
namespace {

CaseActionInput Note(std::string note = "说明情况") {
  CaseActionInput in;
  in.note = std::move(note);
  return in;
}

// A small JPEG whose APP1 (EXIF) segment carries a location, as a phone camera writes it.
std::string JpegWithLocation() {
  std::string jfif("\xFF\xE0\x00\x10JFIF\x00\x01\x01\x00\x00\x01\x00\x01\x00\x00", 18);
  std::string exif_payload = std::string("Exif\0\0", 6) + "GPSLatitude=31.645;GPSLongitude=120.742";
  std::string app1 = "\xFF\xE1";
  app1 += static_cast<char>((exif_payload.size() + 2) >> 8);
  app1 += static_cast<char>((exif_payload.size() + 2) & 0xff);
  app1 += exif_payload;
  std::string scan("\xFF\xDA\x00\x08\x01\x01\x00\x00\x3F\x00imagedata\xFF\xD9", 21);
  return std::string("\xFF\xD8", 2) + jfif + app1 + scan;
}

TEST(Media, TypesComeFromTheBytesAndLocationsAreStripped) {
  auto jpeg = JpegWithLocation();
  auto type = SniffMedia(jpeg);
  ASSERT_TRUE(type);
  EXPECT_EQ(type->mime, "image/jpeg");
  auto stripped = StripMetadata(jpeg, *type);
  ASSERT_TRUE(stripped) << stripped.error().message;
  EXPECT_EQ(stripped->find("GPSLatitude"), std::string::npos);
  EXPECT_NE(stripped->find("JFIF"), std::string::npos) << "APP0 stays";
  EXPECT_TRUE(stripped->ends_with(jpeg.substr(jpeg.find("\xFF\xDA"))) ) << "the image data is untouched";

  // PNG: the eXIf chunk goes, the others stay.
  auto chunk = [](std::string type, std::string data) {
    std::string c;
    for (int shift : {24, 16, 8, 0}) c += static_cast<char>((data.size() >> shift) & 0xff);
    return c + type + data + std::string("\0\0\0\0", 4);
  };
  std::string png = std::string("\x89PNG\r\n\x1A\n", 8) + chunk("IHDR", std::string(13, '\1')) +
                    chunk("eXIf", "GPS31.645") + chunk("IDAT", "pixels") + chunk("IEND", "");
  auto png_type = SniffMedia(png);
  ASSERT_TRUE(png_type);
  auto png_clean = StripMetadata(png, *png_type);
  ASSERT_TRUE(png_clean);
  EXPECT_EQ(png_clean->find("GPS"), std::string::npos);
  EXPECT_NE(png_clean->find("IDAT"), std::string::npos);

  // WebP: the EXIF chunk goes, the RIFF size and the VP8X flags follow.
  auto riff_chunk = [](std::string type, std::string data) {
    std::string c = type;
    for (int shift : {0, 8, 16, 24}) c += static_cast<char>((data.size() >> shift) & 0xff);
    c += data;
    if (data.size() % 2) c += '\0';
    return c;
  };
  std::string body = "WEBP" + riff_chunk("VP8X", std::string("\x08\0\0\0\0\0\0\0\0\0", 10)) +
                     riff_chunk("VP8 ", "frame") + riff_chunk("EXIF", "GPS31.645");
  std::string webp = "RIFF";
  for (int shift : {0, 8, 16, 24}) webp += static_cast<char>((body.size() >> shift) & 0xff);
  webp += body;
  auto webp_type = SniffMedia(webp);
  ASSERT_TRUE(webp_type);
  EXPECT_EQ(webp_type->mime, "image/webp");
  auto webp_clean = StripMetadata(webp, *webp_type);
  ASSERT_TRUE(webp_clean);
  EXPECT_EQ(webp_clean->find("GPS"), std::string::npos);
  auto riff_size = std::uint8_t((*webp_clean)[4]) | (std::uint8_t((*webp_clean)[5]) << 8);
  EXPECT_EQ(static_cast<std::size_t>(riff_size), webp_clean->size() - 8);
  EXPECT_EQ((*webp_clean)[20] & 0x08, 0) << "the EXIF flag is cleared";

  EXPECT_EQ(SniffMedia("%PDF-1.7 ...")->mime, "application/pdf");
  EXPECT_FALSE(SniffMedia("<html><script>"));
  EXPECT_FALSE(SniffMedia(""));
  EXPECT_FALSE(SniffMedia("GIF89a"));
  auto damaged = StripMetadata(jpeg.substr(0, 30), *type);
  ASSERT_FALSE(damaged);
  EXPECT_EQ(damaged.error().field, "file");
}

TEST(SearchForm, TraditionalBecomesSimplifiedAndLatinLowerCaseHalfWidth) {
  EXPECT_EQ(SearchForm("樓道裏的燈壞了"), "楼道里的灯坏了");
  EXPECT_EQ(SearchForm("噪聲擾民 ＡＢＣ　Road\n\n12號"), "噪声扰民 abc road 12号");
  EXPECT_EQ(SearchForm("  "), "");
  EXPECT_EQ(SearchForm("已更換LED燈泡"), "已更换led灯泡");
}

// The search index's unit on both engines: neighbouring characters, not bytes, whatever the bytes.
TEST(Search, CharacterPairsAreNeighbouringCharactersAndNeverReadPastTheText) {
  using V = std::vector<std::string_view>;
  EXPECT_EQ(domain::CharacterPairs("楼道漏水"), (V{"楼道", "道漏", "漏水"}));
  EXPECT_EQ(domain::CharacterPairs("wifi没"), (V{"wi", "if", "fi", "i没"}));
  EXPECT_EQ(domain::CharacterPairs("漏 水"), (V{"漏 ", " 水"}));
  EXPECT_TRUE(domain::CharacterPairs("漏").empty());
  EXPECT_TRUE(domain::CharacterPairs("").empty());
  // A character cut short at the end, and a stray continuation byte, count as themselves.
  std::string cut = std::string("漏") + "\xE6\xB0";
  EXPECT_EQ(domain::CharacterPairs(cut), (V{cut}));
  EXPECT_EQ(domain::CharacterPairs("\x80" "a"), (V{"\x80" "a"}));
}

TEST(Duplicates, TextSimilarityAndDistanceRankRepeats) {
  EXPECT_GT(TextSimilarity("小区东门垃圾桶满了没人清运", "东门的垃圾桶满了,好几天没人清运了"), 0.5);
  EXPECT_LT(TextSimilarity("小区东门垃圾桶满了没人清运", "绿化带里有人倒建筑垃圾"), 0.2);
  EXPECT_DOUBLE_EQ(TextSimilarity("路灯坏了", "路灯坏了"), 1.0);
  EXPECT_EQ(TextSimilarity("", "路灯"), 0);
  EXPECT_DOUBLE_EQ(TextSimilarity("灯", "灯"), 1.0);
  double d = DistanceMetres({120.742, 31.645}, {120.744, 31.645});
  EXPECT_NEAR(d, 189.6, 2.0) << "0.002 degrees of longitude at 31.6 N";
  EXPECT_NEAR(DistanceMetres({120.742, 31.645}, {120.742, 31.646}), 111.3, 0.5);
}

TEST(W3cDateTime, ParsesZonesAndFractionsAndRefusesWhatOpen311Forbids) {
  constexpr Millis k20261129_0830Z = 1795941000000;
  EXPECT_EQ(*ParseW3cDateTime("2026-11-29T08:30:00Z", "d"), k20261129_0830Z);
  EXPECT_EQ(*ParseW3cDateTime("2026-11-29T16:30:00+08:00", "d"), k20261129_0830Z);
  EXPECT_EQ(*ParseW3cDateTime("2026-11-29T03:30-05:00", "d"), k20261129_0830Z);
  EXPECT_EQ(*ParseW3cDateTime("2026-11-29T08:30:00.25Z", "d"), k20261129_0830Z + 250);
  EXPECT_EQ(FormatW3cDateTime(k20261129_0830Z + 999), "2026-11-29T08:30:00Z");
  EXPECT_EQ(FormatW3cDateTime(0), "1970-01-01T00:00:00Z");
  for (const char* bad : {"2026-11-29T08:30:00", "2026-11-29", "2026-02-30T08:30:00Z", "2026-11-29T24:00:00Z",
                          "2026-11-29T08:30:00+8", "2026-11-29 08:30:00Z", "2026-11-29T08:30:00.Z", "tomorrow"}) {
    auto r = ParseW3cDateTime(bad, "start_date");
    EXPECT_FALSE(r) << bad;
    if (!r) {
      EXPECT_EQ(r.error().field, "start_date");
    }
  }
}

TEST(HandlingLevels, EachLevelFindsItsNodeOnThePathAndFallsBackUpward) {
  using T = NodeType;
  std::vector<T> full = {T::kSubdistrict, T::kCommunity, T::kCompound, T::kGrid, T::kMicroGrid};
  EXPECT_EQ(HandlingNodeIndex(full, HandlingLevel::kMicroGrid), 4u);
  EXPECT_EQ(HandlingNodeIndex(full, HandlingLevel::kGrid), 3u);
  EXPECT_EQ(HandlingNodeIndex(full, HandlingLevel::kCommunity), 1u);
  EXPECT_EQ(HandlingNodeIndex(full, HandlingLevel::kSubdistrict), 0u);
  EXPECT_EQ(HandlingNodeIndex(full, HandlingLevel::kDepartment), 0u) << "departments sit at the subdistrict";
  // In a city, the subdistrict sits under its district: escalated there, the subdistrict handles it.
  const std::vector<T> in_district = {T::kDistrict, T::kSubdistrict, T::kCommunity, T::kGrid};
  EXPECT_EQ(HandlingNodeIndex(in_district, HandlingLevel::kSubdistrict), 1u);
  EXPECT_EQ(HandlingNodeIndex(in_district, HandlingLevel::kDepartment), 1u);
  EXPECT_EQ(HandlingNodeIndex(in_district, HandlingLevel::kCommunity), 2u);
  EXPECT_EQ(StartingLevel({T::kDistrict}, HandlingLevel::kGrid), HandlingLevel::kSubdistrict);
  std::vector<T> grid_only = {T::kSubdistrict, T::kCommunity, T::kGrid};
  EXPECT_EQ(HandlingNodeIndex(grid_only, HandlingLevel::kMicroGrid), 2u) << "no micro-grid: the grid handles it";
  // A case reported at the community itself starts there even if the category says grid.
  EXPECT_EQ(StartingLevel({T::kSubdistrict, T::kCommunity}, HandlingLevel::kGrid), HandlingLevel::kCommunity);
  EXPECT_EQ(StartingLevel(full, HandlingLevel::kMicroGrid), HandlingLevel::kMicroGrid);
  EXPECT_EQ(StartingLevel(grid_only, HandlingLevel::kMicroGrid), HandlingLevel::kGrid);
}

TEST(CaseCounts, AReportAndItsResolutionMoveTheMonthsCounters) {
  CaseFacts reported{.state = CaseState::kReported, .group = "city", .category = "city.environment", .reported_at = 1795941000000,
                     .resolve_due_at = 1795941000000 + 86400000};
  auto month = MonthKey(reported.reported_at);
  EXPECT_EQ(month, "2026-11");
  auto first = CaseCountDelta(std::nullopt, reported);
  auto value = [](const std::vector<std::pair<std::string, std::int64_t>>& d, const std::string& m) -> std::int64_t {
    for (const auto& [k, v] : d) {
      if (k == m) return v;
    }
    return 0;
  };
  EXPECT_EQ(value(first, "cases.open"), 1);
  EXPECT_EQ(value(first, "cases.reported@" + month), 1);
  EXPECT_EQ(value(first, "cases.reported.city@" + month), 1);
  EXPECT_EQ(value(first, "cases.reported@2026-11-29"), 1) << "the day, China time";
  EXPECT_EQ(value(first, "cases.accepted@" + month), 0);
  CaseFacts resolved = reported;
  resolved.state = CaseState::kResolved;
  resolved.accepted_at = reported.reported_at + 600000;
  resolved.resolved_at = reported.reported_at + 3600000;
  resolved.solved_at = HandlingLevel::kGrid;
  auto second = CaseCountDelta(reported, resolved);
  EXPECT_EQ(value(second, "cases.resolved@" + month), 1);
  EXPECT_EQ(value(second, "cases.resolved_on_time@" + month), 1);
  EXPECT_EQ(value(second, "cases.solved.grid@" + month), 1);
  EXPECT_EQ(value(second, "cases.resolved@2026-11-29"), 1);
  EXPECT_EQ(value(second, "cases.accepted@" + month), 1);
  EXPECT_EQ(value(first, "cases.reported.city.environment@" + month), 1);
  EXPECT_EQ(value(second, "cases.reported@" + month), 0) << "nothing counted twice";
  CaseFacts closed = resolved;
  closed.state = CaseState::kClosed;
  EXPECT_EQ(value(CaseCountDelta(resolved, closed), "cases.open"), -1);
}

TEST(CaseWorkflow, TheUsualPathFromReportToClosing) {
  CaseStatus s{CaseState::kReported, HandlingLevel::kGrid};
  s = ApplyCaseAction(s, CaseAction::kAccept, {})->next;
  EXPECT_EQ(s.state, CaseState::kAccepted);
  CaseActionInput assign;
  assign.assignee_id = 7;
  s = ApplyCaseAction(s, CaseAction::kAssign, assign)->next;
  s = ApplyCaseAction(s, CaseAction::kStart, {})->next;
  EXPECT_EQ(s.state, CaseState::kInProgress);
  auto resolved = ApplyCaseAction(s, CaseAction::kResolve, Note("已清理楼道杂物"));
  ASSERT_TRUE(resolved);
  EXPECT_EQ(resolved->next.state, CaseState::kResolved);
  EXPECT_EQ(resolved->solved_at, HandlingLevel::kGrid) << "the level it was solved at is recorded";
  auto closed = ApplyCaseAction(resolved->next, CaseAction::kClose, {});
  ASSERT_TRUE(closed);
  EXPECT_EQ(closed->next.state, CaseState::kClosed);
  EXPECT_FALSE(IsOpen(closed->next.state));
}

TEST(CaseWorkflow, EscalationClimbsTheChainAndDispatchLeavesTheCommunity) {
  CaseStatus s{CaseState::kAccepted, HandlingLevel::kMicroGrid};
  EXPECT_EQ(ApplyCaseAction(s, CaseAction::kEscalate, {}).error().field, "note") << "say why";
  std::vector<HandlingLevel> seen;
  while (true) {
    auto up = ApplyCaseAction(s, CaseAction::kEscalate, Note("本级无法解决"));
    if (!up) {
      EXPECT_EQ(up.error().code, ErrorCode::kFailedPrecondition);
      break;
    }
    s = up->next;
    EXPECT_EQ(s.state, CaseState::kAccepted);
    seen.push_back(s.level);
  }
  EXPECT_EQ(seen, (std::vector<HandlingLevel>{HandlingLevel::kGrid, HandlingLevel::kCommunity, HandlingLevel::kSubdistrict}));
  CaseActionInput to;
  to.department = "城管中队";
  auto grid_case = CaseStatus{CaseState::kAccepted, HandlingLevel::kGrid};
  EXPECT_EQ(ApplyCaseAction(grid_case, CaseAction::kDispatch, to).error().code, ErrorCode::kFailedPrecondition)
      << "大事不出社区: a grid escalates before anything leaves the community";
  auto community = CaseStatus{CaseState::kInProgress, HandlingLevel::kCommunity};
  EXPECT_EQ(ApplyCaseAction(community, CaseAction::kDispatch, {}).error().field, "department");
  auto sent = ApplyCaseAction(community, CaseAction::kDispatch, to);
  ASSERT_TRUE(sent);
  EXPECT_EQ(sent->next.state, CaseState::kDispatched);
  EXPECT_EQ(sent->next.level, HandlingLevel::kDepartment);
  EXPECT_EQ(ApplyCaseAction(sent->next, CaseAction::kDeptReturn, {}).error().field, "note");
  auto back = ApplyCaseAction(sent->next, CaseAction::kDeptReturn, Note("不属于本部门职责"));
  ASSERT_TRUE(back);
  EXPECT_EQ(back->next.state, CaseState::kAccepted);
  EXPECT_EQ(back->next.level, HandlingLevel::kCommunity);
  auto taken = ApplyCaseAction(sent->next, CaseAction::kDeptAccept, {});
  ASSERT_TRUE(taken);
  EXPECT_EQ(ApplyCaseAction(taken->next, CaseAction::kResolve, Note())->solved_at, HandlingLevel::kDepartment);
  EXPECT_FALSE(ApplyCaseAction(taken->next, CaseAction::kEscalate, Note())) << "a department does not escalate";
}

TEST(CaseWorkflow, RejectionsNeedAReasonAndDuplicatesTheirOriginal) {
  CaseStatus s{CaseState::kReported, HandlingLevel::kGrid};
  EXPECT_EQ(ApplyCaseAction(s, CaseAction::kReject, Note()).error().field, "reason");
  CaseActionInput dup = Note("重复上报");
  dup.reject_reason = RejectReason::kDuplicate;
  EXPECT_EQ(ApplyCaseAction(s, CaseAction::kReject, dup).error().field, "merged_into");
  dup.merged_into = 41;
  EXPECT_EQ(ApplyCaseAction(s, CaseAction::kReject, dup)->next.state, CaseState::kRejected);
  CaseActionInput invalid = Note("无效信息");
  invalid.reject_reason = RejectReason::kInvalid;
  invalid.merged_into = 41;
  EXPECT_EQ(ApplyCaseAction(s, CaseAction::kReject, invalid).error().field, "merged_into");
  auto accepted = CaseStatus{CaseState::kAccepted, HandlingLevel::kGrid};
  invalid.merged_into = 0;
  EXPECT_EQ(ApplyCaseAction(accepted, CaseAction::kReject, invalid).error().code, ErrorCode::kFailedPrecondition);
}

TEST(CaseWorkflow, ReopenOnceSuperviseOpenCasesAndRefuseTheRest) {
  CaseStatus resolved{CaseState::kResolved, HandlingLevel::kCommunity};
  auto again = ApplyCaseAction(resolved, CaseAction::kReopen, Note("问题仍未解决"));
  ASSERT_TRUE(again);
  EXPECT_EQ(again->next.state, CaseState::kInProgress);
  auto twice = again->next;
  twice.state = CaseState::kClosed;
  EXPECT_EQ(ApplyCaseAction(twice, CaseAction::kReopen, Note("还是不行")).error().code, ErrorCode::kFailedPrecondition);
  CaseStatus open{CaseState::kAssigned, HandlingLevel::kGrid};
  auto supervised = ApplyCaseAction(open, CaseAction::kSupervise, Note("请于周五前办结"));
  ASSERT_TRUE(supervised);
  EXPECT_TRUE(supervised->next.supervised);
  EXPECT_EQ(supervised->next.state, CaseState::kAssigned) << "supervision does not move the case";
  EXPECT_FALSE(ApplyCaseAction(CaseStatus{CaseState::kClosed}, CaseAction::kSupervise, Note()));
  EXPECT_FALSE(ApplyCaseAction(CaseStatus{CaseState::kReported}, CaseAction::kStart, {}));
  EXPECT_EQ(ApplyCaseAction(CaseStatus{CaseState::kAccepted}, CaseAction::kAssign, {}).error().field, "assignee_id");
  EXPECT_NE(ApplyCaseAction(CaseStatus{CaseState::kClosed}, CaseAction::kEscalate, Note()).error().message.find("closed"),
            std::string::npos);
}

TEST(CaseWorkflow, NamesPermissionsAndOfferedActions) {
  for (auto a : {CaseAction::kAccept, CaseAction::kDispatch, CaseAction::kReopen}) {
    EXPECT_EQ(ParseCaseAction(CaseActionName(a)), a);
  }
  EXPECT_EQ(ParseCaseState("in_progress"), CaseState::kInProgress);
  EXPECT_FALSE(ParseCaseState("done"));
  EXPECT_EQ(ParseHandlingLevel("micro_grid"), HandlingLevel::kMicroGrid);
  EXPECT_EQ(ParseRejectReason("out_of_remit"), RejectReason::kOutOfRemit);
  EXPECT_EQ(PermissionFor(CaseAction::kDispatch), "case.dispatch");
  EXPECT_EQ(PermissionFor(CaseAction::kSupervise), "case.supervise");
  EXPECT_EQ(PermissionFor(CaseAction::kResolve), "case.handle");
  auto offered = AllowedCaseActions(CaseStatus{CaseState::kReported, HandlingLevel::kGrid});
  EXPECT_EQ(offered, (std::vector<CaseAction>{CaseAction::kAccept, CaseAction::kReject, CaseAction::kEscalate,
                                              CaseAction::kSupervise}));
  EXPECT_TRUE(AllowedCaseActions(CaseStatus{CaseState::kRejected}).empty());
}

// 2026-11-20 is a Friday. Times are China time; ChinaMidnight gives the day's start.
Millis At(CivilDate d, int hour, int minute) { return ChinaMidnight(d) + (hour * 60 + minute) * 60000LL; }

TEST(WorkCalendar, DeadlinesSkipNightsWeekendsAndHolidays) {
  WorkCalendar cal;
  EXPECT_EQ(DayOfWeek({2026, 11, 20}), 5);
  EXPECT_EQ(DayOfWeek({1970, 1, 1}), 4);
  // Friday 16:30 + 2 working hours: 1 h on Friday, the rest Monday from 08:30.
  EXPECT_EQ(cal.AddWorkingMinutes(At({2026, 11, 20}, 16, 30), 120), At({2026, 11, 23}, 9, 30));
  // Reported at night: the clock starts at 08:30 the next working day.
  EXPECT_EQ(cal.AddWorkingMinutes(At({2026, 11, 23}, 22, 0), 30), At({2026, 11, 24}, 9, 0));
  // Across lunch.
  EXPECT_EQ(cal.AddWorkingMinutes(At({2026, 11, 24}, 11, 30), 60), At({2026, 11, 24}, 14, 0));
  // Ending exactly at a session's end is due then.
  EXPECT_EQ(cal.AddWorkingMinutes(At({2026, 11, 24}, 11, 0), 60), At({2026, 11, 24}, 12, 0));
  EXPECT_EQ(cal.AddWorkingMinutes(At({2026, 11, 24}, 10, 0), 0), At({2026, 11, 24}, 10, 0));
  // A holiday on Monday and a make-up working Sunday.
  cal.holidays.insert({2026, 11, 23});
  cal.workdays.insert({2026, 11, 22});
  EXPECT_EQ(cal.AddWorkingMinutes(At({2026, 11, 20}, 16, 30), 120), At({2026, 11, 22}, 9, 30));
  EXPECT_EQ(cal.WorkingMinutesBetween(At({2026, 11, 20}, 16, 30), At({2026, 11, 22}, 9, 30)), 120);
  EXPECT_EQ(cal.WorkingMinutesBetween(At({2026, 11, 22}, 9, 30), At({2026, 11, 20}, 16, 30)), 0);
  // One full working day is 7.5 hours.
  EXPECT_EQ(cal.WorkingMinutesBetween(At({2026, 11, 24}, 0, 0), At({2026, 11, 25}, 0, 0)), 450);
  // No working time at all: clock time rather than an endless search.
  WorkCalendar never;
  never.sessions.clear();
  EXPECT_EQ(never.AddWorkingMinutes(At({2026, 11, 24}, 10, 0), 60), At({2026, 11, 24}, 11, 0));
}

TEST(CaseCategories, TheDefaultCatalogueIsValidAndCoversBothFamilies) {
  const auto& all = DefaultCategories();
  std::set<std::string> codes, groups;
  for (const auto& c : all) {
    auto st = ValidateCategory(c);
    EXPECT_TRUE(st) << c.code << ": " << (st ? "" : st.error().field + " " + st.error().message);
    EXPECT_TRUE(codes.insert(c.code).second) << "duplicate code " << c.code;
    if (c.group_code.empty()) groups.insert(c.code);
    else EXPECT_TRUE(groups.contains(c.group_code)) << c.code << " comes before its group";
  }
  for (const char* name : {"市容环境", "宣传广告", "施工管理", "街面秩序", "突发事件", "邻里纠纷", "物业管理", "停车管理",
                           "为老服务", "安全隐患", "噪音扰民", "水电气暖", "意见建议"}) {
    EXPECT_TRUE(std::ranges::any_of(all, [&](const auto& c) { return c.name == name; })) << name;
  }
}

TEST(CaseCategories, DefinitionsAreRefusedFieldByField) {
  CategoryDefinition c{"community.leak", "community", "漏水", HandlingLevel::kGrid, 60, 450, "", false, {}};
  EXPECT_TRUE(ValidateCategory(c));
  auto broken = [&](auto change) {
    auto copy = c;
    change(copy);
    auto st = ValidateCategory(copy);
    return st ? std::string("ok") : st.error().field;
  };
  EXPECT_EQ(broken([](auto& x) { x.code = "city.leak"; }), "code");
  EXPECT_EQ(broken([](auto& x) { x.code = "community.Leak"; }), "code");
  EXPECT_EQ(broken([](auto& x) { x.name = ""; }), "name");
  EXPECT_EQ(broken([](auto& x) { x.response_minutes = 0; }), "response_minutes");
  EXPECT_EQ(broken([](auto& x) { x.resolve_minutes = 30; }), "resolve_minutes");
  EXPECT_EQ(broken([](auto& x) { x.default_level = HandlingLevel::kDepartment; }), "default_level");
  EXPECT_EQ(broken([](auto& x) { x.attributes.push_back({"floor", "楼层", AttributeType::kSingleValueList, true, {}}); }),
            "attributes[0].values");
  EXPECT_EQ(broken([](auto& x) {
              x.attributes.push_back({"a", "甲", AttributeType::kString, false, {}});
              x.attributes.push_back({"a", "乙", AttributeType::kString, false, {}});
            }),
            "attributes[1].code");
  EXPECT_EQ(broken([](auto& x) {
              x.attributes.push_back({"k", "类", AttributeType::kMultiValueList, false, {{"a", "甲"}, {"a", "乙"}}});
            }),
            "attributes[0].values");
  CategoryDefinition group{"health", "", "卫生健康"};
  EXPECT_TRUE(ValidateCategory(group));
  group.response_minutes = 10;
  EXPECT_EQ(ValidateCategory(group).error().field, "code");
}

TEST(CaseCategories, ReportersAnswersAreCheckedAgainstTheDefinition) {
  std::vector<AttributeDefinition> defs = {
      {"when", "什么时候", AttributeType::kSingleValueList, true, {{"day", "白天"}, {"night", "夜间"}}},
      {"needs", "需要", AttributeType::kMultiValueList, false, {{"meal", "助餐"}, {"clean", "助洁"}}},
      {"count", "人数", AttributeType::kNumber, false, {}},
      {"since", "开始时间", AttributeType::kDatetime, false, {}},
  };
  EXPECT_TRUE(CheckAttributes(defs, {{"when", "night"}, {"needs", "meal,clean"}, {"count", "3"}, {"since", "2026-11-20T22:30"}}));
  EXPECT_EQ(CheckAttributes(defs, {}).error().field, "attributes.when") << "required";
  EXPECT_EQ(CheckAttributes(defs, {{"when", "night,day"}}).error().field, "attributes.when") << "one value";
  EXPECT_EQ(CheckAttributes(defs, {{"when", "dawn"}}).error().field, "attributes.when");
  EXPECT_EQ(CheckAttributes(defs, {{"when", "day"}, {"needs", "meal,taxi"}}).error().field, "attributes.needs");
  EXPECT_EQ(CheckAttributes(defs, {{"when", "day"}, {"count", "3人"}}).error().field, "attributes.count");
  EXPECT_EQ(CheckAttributes(defs, {{"when", "day"}, {"since", "2026-02-30"}}).error().field, "attributes.since");
  EXPECT_EQ(CheckAttributes(defs, {{"when", "day"}, {"colour", "red"}}).error().field, "attributes.colour");
  EXPECT_EQ(ParseAttributeType("multivaluelist"), AttributeType::kMultiValueList);
  EXPECT_EQ(AttributeTypeName(AttributeType::kDatetime), "datetime");
  EXPECT_FALSE(ParseAttributeType("blob"));
}

}  // namespace
}  // namespace linli::domain
