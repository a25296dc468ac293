// The case state machine and the working-time calendar: pure rules, no storage.
#include <gtest/gtest.h>

#include "domain/case_workflow.h"
#include "domain/work_calendar.h"

namespace linli::domain {
namespace {

CaseActionInput Note(std::string note = "说明情况") {
  CaseActionInput in;
  in.note = std::move(note);
  return in;
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

}  // namespace
}  // namespace linli::domain
