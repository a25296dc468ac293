#include <algorithm>
#include <cmath>
#include <iostream>
#include <random>

#include "cli/demo_population.h"
#include "domain/case_workflow.h"

namespace linli::cli {

namespace {

using service::Caller;
using service::Await;
using domain::CaseAction;

constexpr Millis kMinute = 60000, kHour = 60 * kMinute, kDay = 24 * kHour;

// What residents and grid workers write, per group of categories.
const std::vector<std::pair<std::string, std::vector<const char*>>> kWords = {
    {"city", {"路边垃圾堆了好几天没人清运", "人行道地砖松动，老人容易绊倒", "小区门口乱贴小广告", "路灯不亮，晚上很黑",
              "绿化带里的树枝断了挡住路", "店铺占道经营，行人只能走机动车道"}},
    {"emergency", {"楼道里堆满杂物，消防通道被堵", "电动车在楼道里充电，很危险", "下水道井盖缺失"}},
    {"community", {"楼上每晚装修噪音很大", "小区停车位被外来车辆占用", "独居老人需要上门助餐", "物业电梯经常故障",
                   "邻居空调外机滴水到我家阳台", "建议在小区增设快递柜", "楼道灯坏了，晚上看不见", "家里停水了，没有通知"}},
};

}  // namespace

const std::vector<const char*>& DemoCaseWords(std::string_view group) {
  static const std::vector<const char*> kNone;
  for (const auto& [g, words] : kWords) {
    if (g == group) return words;
  }
  return kNone;
}

Status LoadDemoCases(service::Services& s, int count, std::uint64_t seed) {
  const Caller cli = Caller::Cli();
  // The grids to report in (the demo's population made them; the small demo has a few).
  std::vector<domain::OrgNode> grids;
  for (std::int64_t after = 0;;) {
    service::NodeListInput in;
    in.type = "grid";
    in.after_id = after;
    in.limit = 500;
    LINLI_ASSIGN_OR_RETURN(auto page, s.org.List(cli, in));
    grids.insert(grids.end(), page.begin(), page.end());
    if (static_cast<int>(page.size()) < in.limit) break;
    after = page.back().id;
  }
  if (grids.empty()) return Ok();
  // Once: `scripts/run.sh` runs the demo at every start.
  service::CaseFilter any;
  any.limit = 1;
  LINLI_ASSIGN_OR_RETURN(auto existing, s.cases.List(cli, any));
  if (!existing.empty()) return Ok();

  Millis now = s.clock.NowMillis();
  ManualClock clock(now - 42 * kDay);
  service::Services past(s.db, clock, s.options);
  LINLI_TRY(past.Prepare());
  std::vector<domain::CategoryDefinition> categories;
  for (auto& c : past.cases.Categories()) {
    if (!c.group_code.empty()) categories.push_back(std::move(c));
  }

  std::mt19937_64 rng(seed);
  auto chance = [&](double p) { return std::uniform_real_distribution<double>(0, 1)(rng) < p; };
  auto pick = [&](std::size_t n) { return std::uniform_int_distribution<std::size_t>(0, n - 1)(rng); };
  auto minutes = [&](int lo, int hi) { return std::uniform_int_distribution<Millis>(lo, hi)(rng) * kMinute; };

  int made = 0, solved = 0, escalated = 0, dispatched = 0, rejected = 0, rated = 0;
  for (int i = 0; i < count; ++i) {
    // Spread over six weeks, more in the last ones, in the hours people are up.
    double share = std::pow(std::uniform_real_distribution<double>(0, 1)(rng), 0.7);
    Millis day_start = now - 42 * kDay + static_cast<Millis>(share * 42) * kDay;
    Millis at = day_start - (day_start % kDay) + minutes(0, 13 * 60);  // 08:00–21:00 China time
    if (at > now - kHour) at = now - kHour - minutes(0, 600);
    clock.Set(at);

    const auto& grid = grids[pick(grids.size())];
    const auto& category = categories[pick(categories.size())];
    service::CaseIntake in;
    in.category_code = category.code;
    const auto& words = DemoCaseWords(category.group_code);
    in.description = words.empty() ? category.name : words[pick(words.size())];
    for (const auto& a : category.attributes) {
      if (!a.required) continue;
      in.attributes.emplace_back(a.code, a.values.empty() ? std::string("演示") : a.values.front().key);
    }
    Result<service::CaseView> c = Error::Internal("not reported");
    if (chance(0.45)) {  // a resident from the grid's QR code
      in.node_code = grid.code;
      in.channel = "qr_code";
      std::string client = "10.8." + std::to_string(i % 250) + ".1|demo-phone-" + std::to_string(i);
      c = Await<service::CaseView>([&](auto done) { past.cases.ReportPublic(in, client, std::move(done)); });
    } else {
      static const char* kStaffChannels[] = {"patrol", "patrol", "micro_grid_clue", "visit", "hotline", "meeting"};
      in.channel = kStaffChannels[pick(6)];
      in.node_id = grid.id;
      c = Await<service::CaseView>([&](auto done) { past.cases.Report(cli, in, std::move(done)); });
    }
    if (!c) return c.error();
    ++made;
    std::int64_t id = c->row.id;
    std::string tracking = c->row.tracking_code;
    Millis due = c->row.resolve_due_at;

    auto act = [&](CaseAction a, Millis after, std::string note = "", std::string department = "") -> Status {
      clock.Advance(after);
      if (clock.NowMillis() > now) return Error::Unavailable("later than now");  // still open today
      service::CaseActionRequest req;
      req.action = a;
      req.input.note = std::move(note);
      req.input.department = std::move(department);
      if (a == CaseAction::kReject) req.input.reject_reason = domain::RejectReason::kOutOfRemit;
      auto r = Await<service::CaseView>([&](auto done) { past.cases.Act(cli, id, req, std::move(done)); });
      return r ? Ok() : Status(r.error());
    };
    auto fate = std::uniform_real_distribution<double>(0, 1)(rng);
    if (fate < 0.06) {  // not a matter for the community: refused when it is checked
      if (act(CaseAction::kReject, minutes(5, 180), "经核实不属于社区职责，已告知反映人向相关单位反映")) ++rejected;
      continue;
    }
    Status st = act(CaseAction::kAccept, minutes(5, 180));
    if (fate > 0.78 && st) {
      st = act(CaseAction::kEscalate, minutes(60, 1440), "网格内协调不了，需社区出面");
      if (st) ++escalated;
      if (fate > 0.92 && st) {
        st = act(CaseAction::kDispatch, minutes(30, 600), "需执法部门处理", "城管中队");
        if (st) st = act(CaseAction::kDeptAccept, minutes(30, 600));
        if (st) ++dispatched;
      }
    }
    // Most are solved in time; one in eight late.
    Millis span = std::max<Millis>(due - clock.NowMillis(), kHour);
    Millis take = chance(0.12) ? span + minutes(60, 3000) : static_cast<Millis>(span * std::uniform_real_distribution<double>(0.1, 0.9)(rng));
    if (st) st = act(CaseAction::kResolve, take, "已现场处理完毕，反映人确认");
    if (!st) continue;  // not yet: it stays open, as the last days' cases do
    ++solved;
    if (chance(0.8)) {
      clock.Advance(minutes(30, 2880));
      if (clock.NowMillis() > now) continue;
      static const int kRatings[] = {5, 5, 5, 5, 4, 4, 4, 3, 2};
      int rating = kRatings[pick(9)];
      std::string client = "10.9." + std::to_string(i % 250) + ".1|demo-phone-" + std::to_string(i);
      auto r = Await<service::PublicCase>([&](auto done) {
        past.cases.Rate(tracking, rating, rating >= 4 ? "很满意，谢谢网格员" : "处理得有点慢", client, std::move(done));
      });
      if (r) ++rated;
    }
  }
  std::cout << "demo requests: " << made << " reported over six weeks, " << solved << " solved (" << escalated
            << " escalated, " << dispatched << " dispatched), " << rejected << " rejected, " << rated << " rated\n";
  return Ok();
}

}  // namespace linli::cli
