// The life of a resident request (诉求) or grid event as an explicit state machine: which action is
// allowed in which state, where it leads, and at which level of the four-step chain (四报) the case
// is handled. Pure rules; the case service stores every transition as an event in the same
// transaction as the case's new state.
//
//   reported ──accept──▶ accepted ──assign──▶ assigned ──start──▶ in_progress ──resolve──▶ resolved ──close──▶ closed
//      │                    │  ▲                  │                    │                     │            │
//      └─reject─▶ rejected  │  └──return (dept)───┼── dispatched ◀──dispatch──────────────────┘ reopen ◀───┘
//                           └── escalate: same state, one level up (micro-grid → grid → community → subdistrict)
#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "core/result.h"
#include "domain/org.h"

namespace linli::domain {

enum class CaseState { kReported, kAccepted, kRejected, kAssigned, kInProgress, kDispatched, kResolved, kClosed };

enum class CaseAction {
  kAccept,      // verified: a real matter within remit
  kReject,      // with a reason: invalid, duplicate (merged into the original), not within remit
  kAssign,      // to a person at the handling level (again: reassign)
  kStart,       // the assignee begins
  kResolve,     // solved; the level it was solved at is recorded
  kEscalate,    // one level up the chain
  kDispatch,    // to a department, which accepts or returns it
  kDeptAccept,  // the department takes it on
  kDeptReturn,  // the department sends it back, with a reason
  kSupervise,   // 督办: flags an open case; the state does not change
  kClose,       // the resident rated it, or nobody did within the rating window
  kReopen,      // the resident is not satisfied (once)
};

// The four-step chain, then the department a case may be dispatched to.
enum class HandlingLevel { kMicroGrid, kGrid, kCommunity, kSubdistrict, kDepartment };

enum class RejectReason { kInvalid, kDuplicate, kOutOfRemit };

std::string_view CaseStateName(CaseState s);
std::optional<CaseState> ParseCaseState(std::string_view name);
std::string_view CaseActionName(CaseAction a);
std::optional<CaseAction> ParseCaseAction(std::string_view name);
std::string_view HandlingLevelName(HandlingLevel l);
std::optional<HandlingLevel> ParseHandlingLevel(std::string_view name);
std::optional<RejectReason> ParseRejectReason(std::string_view name);
std::string_view RejectReasonName(RejectReason r);

// The permission an action needs at the case's node (domain::perm names).
std::string_view PermissionFor(CaseAction a);

// What the state machine needs to know about a case.
struct CaseStatus {
  CaseState state = CaseState::kReported;
  HandlingLevel level = HandlingLevel::kGrid;
  int reopen_count = 0;
  bool supervised = false;
};

// What an action carries; each action checks the parts it needs and names the missing field.
struct CaseActionInput {
  std::optional<RejectReason> reject_reason;
  std::int64_t merged_into = 0;  // the original case, for a duplicate
  std::int64_t assignee_id = 0;
  std::string department;  // for dispatch
  std::string note;        // required for reject, dept_return, reopen and supervise
};

struct CaseTransition {
  CaseStatus next;
  // The level the case was solved at, set by resolve (小事不出院落: the share solved low).
  std::optional<HandlingLevel> solved_at;
};

// The one rule for every transition: refuses an action the state does not allow with
// kFailedPrecondition ("cannot escalate a resolved case"), and missing or wrong input with
// kInvalidArgument naming the field.
Result<CaseTransition> ApplyCaseAction(const CaseStatus& current, CaseAction action, const CaseActionInput& input);

// The actions allowed in a state at a level, for a screen to offer (permissions aside).
std::vector<CaseAction> AllowedCaseActions(const CaseStatus& current);

bool IsOpen(CaseState s);

// Whose turn it is: the node on the case's chain (root first, the case's own node last) whose staff
// handle the case at `level`. A case at a grid that is escalated to the community is acted on by
// those who hold the permission at the community; the grid worker still sees it but can no longer
// act. micro_grid falls back to the grid, grid to the community, community to the subdistrict
// (the root, or the node under a root district), and a department is reached through the
// subdistrict. Returns an index into `chain`.
std::size_t HandlingNodeIndex(const std::vector<NodeType>& chain, HandlingLevel level);

// The level a new case starts at: the category's default, but never below the node it lies at
// (a case placed at a community cannot be handled by a micro-grid).
HandlingLevel StartingLevel(const std::vector<NodeType>& chain, HandlingLevel category_default);

}  // namespace linli::domain
