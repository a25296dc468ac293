#include "domain/case_workflow.h"

#include <array>
#include <utility>

#include "domain/access.h"
#include "domain/text.h"

namespace linli::domain {

namespace {

template <class E, std::size_t N>
std::optional<E> Parse(const std::array<std::pair<E, std::string_view>, N>& names, std::string_view name) {
  for (const auto& [value, text] : names) {
    if (text == name) return value;
  }
  return std::nullopt;
}

template <class E, std::size_t N>
std::string_view Name(const std::array<std::pair<E, std::string_view>, N>& names, E value) {
  for (const auto& [v, text] : names) {
    if (v == value) return text;
  }
  return "?";
}

constexpr std::array<std::pair<CaseState, std::string_view>, 8> kStates = {{
    {CaseState::kReported, "reported"},     {CaseState::kAccepted, "accepted"},
    {CaseState::kRejected, "rejected"},     {CaseState::kAssigned, "assigned"},
    {CaseState::kInProgress, "in_progress"}, {CaseState::kDispatched, "dispatched"},
    {CaseState::kResolved, "resolved"},     {CaseState::kClosed, "closed"},
}};

constexpr std::array<std::pair<CaseAction, std::string_view>, 12> kActions = {{
    {CaseAction::kAccept, "accept"},          {CaseAction::kReject, "reject"},
    {CaseAction::kAssign, "assign"},          {CaseAction::kStart, "start"},
    {CaseAction::kResolve, "resolve"},        {CaseAction::kEscalate, "escalate"},
    {CaseAction::kDispatch, "dispatch"},      {CaseAction::kDeptAccept, "dept_accept"},
    {CaseAction::kDeptReturn, "dept_return"}, {CaseAction::kSupervise, "supervise"},
    {CaseAction::kClose, "close"},            {CaseAction::kReopen, "reopen"},
}};

constexpr std::array<std::pair<HandlingLevel, std::string_view>, 5> kLevels = {{
    {HandlingLevel::kMicroGrid, "micro_grid"},
    {HandlingLevel::kGrid, "grid"},
    {HandlingLevel::kCommunity, "community"},
    {HandlingLevel::kSubdistrict, "subdistrict"},
    {HandlingLevel::kDepartment, "department"},
}};

constexpr std::array<std::pair<RejectReason, std::string_view>, 3> kRejectReasons = {{
    {RejectReason::kInvalid, "invalid"},
    {RejectReason::kDuplicate, "duplicate"},
    {RejectReason::kOutOfRemit, "out_of_remit"},
}};

// A resident may send a solved case back once; after that it goes to supervision, not round again.
constexpr int kMaxReopens = 1;

Error Refused(CaseAction action, const CaseStatus& s, std::string why = {}) {
  std::string msg = "cannot " + std::string(CaseActionName(action)) + " a case that is " +
                    std::string(CaseStateName(s.state));
  if (!why.empty()) msg += ": " + why;
  return Error::Precondition(msg);
}

Status RequireNote(const CaseActionInput& in, const char* why) {
  if (auto st = ValidateText("note", in.note, {.min_chars = 2, .max_chars = 2000}); !st) {
    return Error::Invalid("note", std::string("give a note: ") + why);
  }
  return Ok();
}

}  // namespace

std::string_view CaseStateName(CaseState s) { return Name(kStates, s); }
std::optional<CaseState> ParseCaseState(std::string_view name) { return Parse(kStates, name); }
std::string_view CaseActionName(CaseAction a) { return Name(kActions, a); }
std::optional<CaseAction> ParseCaseAction(std::string_view name) { return Parse(kActions, name); }
std::string_view HandlingLevelName(HandlingLevel l) { return Name(kLevels, l); }
std::optional<HandlingLevel> ParseHandlingLevel(std::string_view name) { return Parse(kLevels, name); }
std::optional<RejectReason> ParseRejectReason(std::string_view name) { return Parse(kRejectReasons, name); }
std::string_view RejectReasonName(RejectReason r) { return Name(kRejectReasons, r); }

std::string_view PermissionFor(CaseAction a) {
  switch (a) {
    case CaseAction::kDispatch: return perm::kCaseDispatch;
    case CaseAction::kSupervise: return perm::kCaseSupervise;
    default: return perm::kCaseHandle;
  }
}

bool IsOpen(CaseState s) { return s != CaseState::kRejected && s != CaseState::kClosed; }

Result<CaseTransition> ApplyCaseAction(const CaseStatus& current, CaseAction action, const CaseActionInput& in) {
  CaseTransition t{current, std::nullopt};
  auto& next = t.next;
  const CaseState s = current.state;
  const bool at_department = current.level == HandlingLevel::kDepartment;
  switch (action) {
    case CaseAction::kAccept:
      if (s != CaseState::kReported) return Refused(action, current);
      next.state = CaseState::kAccepted;
      return t;
    case CaseAction::kReject:
      if (s != CaseState::kReported) return Refused(action, current, "only a new report can be rejected");
      if (!in.reject_reason) return Error::Invalid("reason", "reason must be invalid, duplicate or out_of_remit");
      if (*in.reject_reason == RejectReason::kDuplicate && in.merged_into <= 0) {
        return Error::Invalid("merged_into", "a duplicate names the case it repeats");
      }
      if (*in.reject_reason != RejectReason::kDuplicate && in.merged_into != 0) {
        return Error::Invalid("merged_into", "only a duplicate is merged into another case");
      }
      LINLI_TRY(RequireNote(in, "why the report is rejected"));
      next.state = CaseState::kRejected;
      return t;
    case CaseAction::kAssign:
      if (s != CaseState::kAccepted && s != CaseState::kAssigned && s != CaseState::kInProgress) {
        return Refused(action, current);
      }
      if (in.assignee_id <= 0) return Error::Invalid("assignee_id", "assignee_id names who is to handle it");
      next.state = CaseState::kAssigned;
      return t;
    case CaseAction::kStart:
      if (s != CaseState::kAssigned) return Refused(action, current, "assign it first");
      next.state = CaseState::kInProgress;
      return t;
    case CaseAction::kResolve:
      if (s != CaseState::kAccepted && s != CaseState::kAssigned && s != CaseState::kInProgress) {
        return Refused(action, current);
      }
      LINLI_TRY(RequireNote(in, "what was done"));
      next.state = CaseState::kResolved;
      t.solved_at = current.level;
      return t;
    case CaseAction::kEscalate:
      if (s != CaseState::kReported && s != CaseState::kAccepted && s != CaseState::kAssigned &&
          s != CaseState::kInProgress) {
        return Refused(action, current);
      }
      if (current.level == HandlingLevel::kSubdistrict || at_department) {
        return Refused(action, current, "the subdistrict is the top of the chain; dispatch it to a department");
      }
      LINLI_TRY(RequireNote(in, "why it cannot be solved at this level"));
      next.level = static_cast<HandlingLevel>(static_cast<int>(current.level) + 1);
      // The level above verifies and assigns again.
      next.state = CaseState::kAccepted;
      return t;
    case CaseAction::kDispatch:
      if (s != CaseState::kAccepted && s != CaseState::kAssigned && s != CaseState::kInProgress) {
        return Refused(action, current);
      }
      if (at_department) return Refused(action, current, "it is at a department already");
      if (current.level != HandlingLevel::kCommunity && current.level != HandlingLevel::kSubdistrict) {
        return Refused(action, current, "escalate it to the community first (大事不出社区)");
      }
      if (auto st = ValidateText("department", in.department, {.min_chars = 1, .max_chars = 100, .single_line = true});
          !st) {
        return Error::Invalid("department", "department names who is to take it");
      }
      next.state = CaseState::kDispatched;
      next.level = HandlingLevel::kDepartment;
      return t;
    case CaseAction::kDeptAccept:
      if (s != CaseState::kDispatched) return Refused(action, current);
      next.state = CaseState::kInProgress;
      return t;
    case CaseAction::kDeptReturn:
      if (s != CaseState::kDispatched) return Refused(action, current);
      LINLI_TRY(RequireNote(in, "why the department sends it back"));
      next.state = CaseState::kAccepted;
      next.level = HandlingLevel::kCommunity;
      return t;
    case CaseAction::kSupervise:
      if (!IsOpen(s) || s == CaseState::kResolved) return Refused(action, current, "only an open case is supervised");
      LINLI_TRY(RequireNote(in, "what is expected by when"));
      next.supervised = true;
      return t;
    case CaseAction::kClose:
      if (s != CaseState::kResolved) return Refused(action, current, "only a resolved case is closed");
      next.state = CaseState::kClosed;
      return t;
    case CaseAction::kReopen:
      if (s != CaseState::kResolved && s != CaseState::kClosed) return Refused(action, current);
      if (current.reopen_count >= kMaxReopens) {
        return Refused(action, current, "it was reopened once already; ask for supervision instead");
      }
      LINLI_TRY(RequireNote(in, "what is still wrong"));
      next.state = CaseState::kInProgress;
      next.reopen_count = current.reopen_count + 1;
      return t;
  }
  return Error::Internal("unknown case action");
}

std::vector<CaseAction> AllowedCaseActions(const CaseStatus& current) {
  // ApplyCaseAction checks the state before the input, so with no input an action the state
  // allows either succeeds or is refused only for a missing field (kInvalidArgument).
  std::vector<CaseAction> out;
  for (const auto& [action, name] : kActions) {
    auto r = ApplyCaseAction(current, action, {});
    if (r || r.error().code == ErrorCode::kInvalidArgument) out.push_back(action);
  }
  return out;
}

namespace {

// The deepest index on the chain holding one of `types`, if any.
std::optional<std::size_t> Deepest(const std::vector<NodeType>& chain, std::initializer_list<NodeType> types) {
  for (std::size_t i = chain.size(); i-- > 0;) {
    for (NodeType t : types) {
      if (chain[i] == t) return i;
    }
  }
  return std::nullopt;
}

}  // namespace

std::size_t HandlingNodeIndex(const std::vector<NodeType>& chain, HandlingLevel level) {
  if (chain.empty()) return 0;
  switch (level) {
    case HandlingLevel::kMicroGrid:
      if (chain.back() == NodeType::kMicroGrid) return chain.size() - 1;
      [[fallthrough]];
    case HandlingLevel::kGrid:
      if (auto i = Deepest(chain, {NodeType::kGrid, NodeType::kDedicatedGrid})) return *i;
      [[fallthrough]];
    case HandlingLevel::kCommunity:
      if (auto i = Deepest(chain, {NodeType::kCommunity})) return *i;
      [[fallthrough]];
    case HandlingLevel::kSubdistrict:
    case HandlingLevel::kDepartment:
      // The subdistrict, wherever it sits: the root, or under its district. (A case placed at a
      // district itself has no subdistrict; the district's staff handle it.)
      if (auto i = Deepest(chain, {NodeType::kSubdistrict})) return *i;
      return 0;
  }
  return 0;
}

HandlingLevel StartingLevel(const std::vector<NodeType>& chain, HandlingLevel category_default) {
  if (chain.empty()) return HandlingLevel::kSubdistrict;
  HandlingLevel lowest = HandlingLevel::kSubdistrict;
  switch (chain.back()) {
    case NodeType::kMicroGrid: lowest = HandlingLevel::kMicroGrid; break;
    case NodeType::kGrid:
    case NodeType::kDedicatedGrid: lowest = HandlingLevel::kGrid; break;
    case NodeType::kCommunity:
    case NodeType::kCompound: lowest = HandlingLevel::kCommunity; break;
    case NodeType::kSubdistrict:
    case NodeType::kDistrict: lowest = HandlingLevel::kSubdistrict; break;
  }
  if (category_default == HandlingLevel::kDepartment) category_default = HandlingLevel::kSubdistrict;
  return static_cast<int>(category_default) < static_cast<int>(lowest) ? lowest : category_default;
}

}  // namespace linli::domain
