// `linli cases` and `linli categories`: resident requests and grid events from the command line,
// as the operator, through the same case service (and the same rules and audit) as the API.
#include <algorithm>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <sstream>

#include "cli/commands.h"
#include "core/qr_svg.h"
#include "domain/identity.h"
#include "domain/text.h"

namespace linli::cli {

using service::Await;
using service::Caller;

namespace {

void PrintCase(const service::CaseView& v) {
  const auto& c = v.row;
  std::cout << c.id << "\t" << c.tracking_code << "\t" << c.state << "\t" << c.level << "\t" << c.category_code << "\t"
            << domain::ChinaDateTime(c.created_at) << "\t" << (c.overdue ? "overdue\t" : "") << c.description << "\n";
}

}  // namespace

std::function<bool()> AddCaseCommands(CLI::App& app, CliContext& ctx) {
  struct Opts {
    std::string node, states, category, description, channel = "patrol", priority = "normal", action, note, reason,
        department, address;
    std::int64_t id = 0, merged_into = 0, assignee = 0, building = 0, at_ms = 0;
    std::vector<std::string> attrs, departments;
    int limit = 50;
    bool open = false, overdue = false, retired = false;
    double lon = 0, lat = 0;
  };
  auto o = std::make_shared<Opts>();
  Runners runners;

  auto* categories = app.add_subcommand("categories", "The case category catalogue")->require_subcommand(1);
  auto* categories_list = categories->add_subcommand("list", "Groups and categories with their deadlines");
  categories_list->add_flag("--retired", o->retired, "Include retired categories");
  runners.emplace_back(categories_list, [&ctx, o] {
    for (const auto& c : ctx.services().cases.Categories(o->retired)) {
      std::cout << c.code << "\t" << c.name;
      if (!c.group_code.empty()) {
        std::cout << "\t" << domain::HandlingLevelName(c.default_level) << "\trespond " << c.response_minutes
                  << " min\tresolve " << c.resolve_minutes << " min\t" << c.department;
      }
      std::cout << "\n";
    }
    return 0;
  });

  auto* cases = app.add_subcommand("cases", "Resident requests and grid events")->require_subcommand(1);

  auto* list = cases->add_subcommand("list", "Cases under a node, in (node, id) order");
  list->add_option("--node", o->node, "Org node (code or id); default: everything");
  list->add_option("--state", o->states, "States, comma-separated (reported,accepted,...)");
  list->add_flag("--open", o->open, "Only cases not yet closed or rejected");
  list->add_flag("--overdue", o->overdue, "Only open cases past a deadline");
  list->add_option("--limit", o->limit, "At most this many (1-500)");
  list->add_option("--q", o->reason, "Words in the description, address or notes (traditional or simplified)");
  runners.emplace_back(list, [&ctx, o] {
    auto& s = ctx.services();
    service::CaseFilter f;
    if (!o->node.empty()) {
      auto node = ResolveNode(s, o->node);
      if (!node) return Report(node.error());
      f.node_id = node->id;
    }
    f.states = domain::SplitList(o->states);
    f.open_only = o->open;
    f.overdue_only = o->overdue;
    f.limit = o->limit;
    f.text = o->reason;
    auto r = s.cases.List(Caller::Cli(), f);
    if (!r) return Report(r.error());
    for (const auto& v : *r) PrintCase(v);
    return 0;
  });

  auto* show = cases->add_subcommand("show", "One case with its timeline");
  show->add_option("id", o->id, "Case id")->required();
  runners.emplace_back(show, [&ctx, o] {
    auto d = ctx.services().cases.Get(Caller::Cli(), o->id);
    if (!d) return Report(d.error());
    PrintCase(d->view);
    std::cout << "due: respond by " << domain::ChinaDateTime(d->view.row.response_due_at) << ", resolve by "
              << domain::ChinaDateTime(d->view.row.resolve_due_at) << "\n";
    for (const auto& e : d->events) {
      std::cout << "  " << domain::ChinaDateTime(e.at) << "\t" << e.actor_kind << (e.actor_id ? " " + std::to_string(e.actor_id) : "")
                << "\t" << e.action << "\t" << (e.from_state.empty() ? "" : e.from_state + " → ") << e.to_state << "\t"
                << e.to_level << "\t" << e.note << "\n";
    }
    return 0;
  });

  auto* similar = cases->add_subcommand("similar", "Open cases that may be the same problem (merge with act ID reject --reason duplicate)");
  similar->add_option("id", o->id, "Case id")->required();
  runners.emplace_back(similar, [&ctx, o] {
    auto r = ctx.services().cases.SimilarTo(Caller::Cli(), o->id);
    if (!r) return Report(r.error());
    for (const auto& m : *r) {
      std::cout << "similarity " << static_cast<int>(m.similarity * 100) << "%\t"
                << (m.distance_m ? std::to_string(static_cast<int>(*m.distance_m)) + " m\t" : "same node\t");
      PrintCase(m.view);
    }
    return 0;
  });

  auto* report = cases->add_subcommand("report", "Enter a case as staff (a patrol finding, a call, a meeting)");
  report->add_option("--category", o->category, "Category code (see `linli categories list`)")->required();
  report->add_option("--description", o->description, "What is wrong")->required();
  report->add_option("--node", o->node, "Where: an org node (code or id)");
  report->add_option("--lon", o->lon, "Where: longitude");
  report->add_option("--lat", o->lat, "Where: latitude");
  report->add_option("--building", o->building, "Where: a building id");
  report->add_option("--address", o->address, "Where, in words");
  report->add_option("--channel", o->channel, "micro_grid_clue, patrol, visit, hotline or meeting");
  report->add_option("--priority", o->priority, "normal or urgent");
  report->add_option("--attr", o->attrs, "An attribute answer, code=value (repeatable; lists comma-separated)");
  runners.emplace_back(report, [&ctx, o] {
    auto& s = ctx.services();
    service::CaseIntake in;
    in.channel = o->channel;
    in.category_code = o->category;
    in.description = o->description;
    in.priority = o->priority;
    in.address = o->address;
    in.building_id = o->building;
    if (o->lon != 0 || o->lat != 0) in.point = domain::LonLat{o->lon, o->lat};
    for (const auto& a : o->attrs) {
      auto eq = a.find('=');
      if (eq == std::string::npos) return Report(Error::Invalid("attr", "--attr takes code=value"));
      in.attributes.emplace_back(a.substr(0, eq), a.substr(eq + 1));
    }
    if (!o->node.empty()) {
      auto node = ResolveNode(s, o->node);
      if (!node) return Report(node.error());
      in.node_id = node->id;
    }
    auto v = Await<service::CaseView>([&](auto done) { s.cases.Report(Caller::Cli(), std::move(in), std::move(done)); });
    if (!v) return Report(v.error());
    PrintCase(*v);
    return 0;
  });

  auto* act = cases->add_subcommand("act", "Take a workflow action on a case");
  act->add_option("id", o->id, "Case id")->required();
  act->add_option("action", o->action,
                  "accept, reject, assign, start, resolve, escalate, dispatch, dept_accept, dept_return, supervise, "
                  "close or reopen")->required();
  act->add_option("--note", o->note, "Why, or what was done");
  act->add_option("--reason", o->reason, "reject: invalid, duplicate or out_of_remit");
  act->add_option("--merged-into", o->merged_into, "reject as duplicate: the original case");
  act->add_option("--assignee", o->assignee, "assign: the user id");
  act->add_option("--department", o->department, "dispatch: the department");
  runners.emplace_back(act, [&ctx, o] {
    service::CaseActionRequest req;
    auto action = domain::ParseCaseAction(o->action);
    if (!action) return Report(Error::Invalid("action", "unknown action " + o->action));
    req.action = *action;
    req.input.note = o->note;
    if (!o->reason.empty()) {
      req.input.reject_reason = domain::ParseRejectReason(o->reason);
      if (!req.input.reject_reason) return Report(Error::Invalid("reason", "reason must be invalid, duplicate or out_of_remit"));
    }
    req.input.merged_into = o->merged_into;
    req.input.assignee_id = o->assignee;
    req.input.department = o->department;
    auto v = Await<service::CaseView>([&](auto done) {
      ctx.services().cases.Act(Caller::Cli(), o->id, std::move(req), std::move(done));
    });
    if (!v) return Report(v.error());
    PrintCase(*v);
    return 0;
  });

  auto* deadlines = cases->add_subcommand(
      "deadlines", "Run the deadline pass now (the server does this every second): mark overdue, escalate, close unrated");
  deadlines->add_option("--at-ms", o->at_ms, "As of this instant (milliseconds since 1970, UTC) instead of now");
  runners.emplace_back(deadlines, [&ctx, o] {
    auto& s = ctx.services();
    Millis at = o->at_ms ? o->at_ms : s.clock.NowMillis();
    int total = 0;
    for (;;) {
      auto r = s.cases.ProcessDeadlines(at);
      if (!r) return Report(r.error());
      total += *r;
      if (*r < 200) break;
    }
    std::cout << total << " case(s) overdue, escalated or closed\n";
    return 0;
  });

  // --- the deliberation council (议事会) ---
  auto* council = app.add_subcommand("council", "Council meetings (议事会) on escalated matters")->require_subcommand(1);
  auto print_meeting = [](const service::CouncilMeeting& m) {
    std::cout << m.row.id << "\t" << m.row.state << "\t" << domain::ChinaDateTime(m.row.scheduled_at) << "\t" << m.row.title
              << "\t" << m.row.place << "\n";
    for (const auto& i : m.items) {
      std::cout << "  " << i.position << ". case " << i.case_id << (i.decision.empty() ? "" : "\t" + i.decision) << "\n";
    }
  };
  auto* council_create = council->add_subcommand("create", "Call a council at a node");
  council_create->add_option("--node", o->node, "Org node (code or id), usually the community")->required();
  council_create->add_option("--title", o->description, "e.g. 虹桥社区12月议事会")->required();
  council_create->add_option("--at", o->states, "When, e.g. 2026-12-04T19:00+08:00")->required();
  council_create->add_option("--place", o->address, "Where");
  runners.emplace_back(council_create, [&ctx, o, print_meeting] {
    auto& s = ctx.services();
    auto node = ResolveNode(s, o->node);
    if (!node) return Report(node.error());
    auto at = domain::ParseW3cDateTime(o->states, "at");
    if (!at) return Report(at.error());
    auto m = Await<service::CouncilMeeting>([&](auto done) {
      s.council.Create(Caller::Cli(), {node->id, o->description, o->address, *at}, std::move(done));
    });
    if (!m) return Report(m.error());
    print_meeting(*m);
    return 0;
  });
  auto* council_list = council->add_subcommand("list", "Meetings, newest first");
  runners.emplace_back(council_list, [&ctx, print_meeting] {
    auto list = ctx.services().council.List(Caller::Cli(), std::nullopt, 0, 100);
    if (!list) return Report(list.error());
    for (auto& m : *list) print_meeting({std::move(m), {}});
    return 0;
  });
  auto* council_show = council->add_subcommand("show", "A meeting with its agenda and decisions");
  council_show->add_option("id", o->id)->required();
  runners.emplace_back(council_show, [&ctx, o, print_meeting] {
    auto m = ctx.services().council.Get(Caller::Cli(), o->id);
    if (!m) return Report(m.error());
    print_meeting(*m);
    if (m->row.state == "held") std::cout << "attended: " << m->row.attendees << "\n" << m->row.minutes << "\n";
    return 0;
  });
  auto* council_add = council->add_subcommand("add", "Put a case on a meeting's agenda");
  council_add->add_option("id", o->id, "Meeting id")->required();
  council_add->add_option("case", o->merged_into, "Case id")->required();
  runners.emplace_back(council_add, [&ctx, o, print_meeting] {
    auto m = Await<service::CouncilMeeting>([&](auto done) {
      ctx.services().council.AddItem(Caller::Cli(), o->id, o->merged_into, std::move(done));
    });
    if (!m) return Report(m.error());
    print_meeting(*m);
    return 0;
  });
  auto* council_record = council->add_subcommand("record", "Record a held meeting: attendees, minutes, a decision per case");
  council_record->add_option("id", o->id, "Meeting id")->required();
  council_record->add_option("--attendee", o->attrs, "Who attended (repeatable)")->required();
  council_record->add_option("--minutes", o->note, "The minutes");
  council_record->add_option("--decision", o->departments, "CASE=decision (one per agenda item)")->required();
  runners.emplace_back(council_record, [&ctx, o, print_meeting] {
    service::CouncilRecord record{o->attrs, o->note, {}};
    for (const auto& d : o->departments) {
      auto eq = d.find('=');
      if (eq == std::string::npos) return Report(Error::Invalid("decision", "--decision takes CASE=decision"));
      try {
        record.decisions.emplace_back(std::stoll(d.substr(0, eq)), d.substr(eq + 1));
      } catch (const std::exception&) {
        return Report(Error::Invalid("decision", "--decision takes CASE=decision, CASE a case id"));
      }
    }
    auto m = Await<service::CouncilMeeting>([&](auto done) {
      ctx.services().council.Record(Caller::Cli(), o->id, std::move(record), std::move(done));
    });
    if (!m) return Report(m.error());
    print_meeting(*m);
    return 0;
  });

  // --- the working calendar ---
  auto* calendar = app.add_subcommand("calendar", "The working calendar deadlines are counted on")->require_subcommand(1);
  auto* calendar_show = calendar->add_subcommand("show", "Sessions, holidays and 调休 workdays as JSON");
  runners.emplace_back(calendar_show, [&ctx] {
    std::cout << service::CalendarToJson(*ctx.services().cases.Calendar()) << "\n";
    return 0;
  });
  auto* calendar_set = calendar->add_subcommand("set", "Replace the calendar with a JSON file (see `calendar show`)");
  calendar_set->add_option("file", o->description, "JSON file: {\"holidays\":[\"2026-10-01\",…],\"workdays\":[…]}")->required();
  runners.emplace_back(calendar_set, [&ctx, o] {
    std::ifstream in(o->description);
    if (!in) return Report(Error::Invalid("file", "cannot read " + o->description));
    std::stringstream text;
    text << in.rdbuf();
    auto parsed = service::CalendarFromJson(text.str());
    if (!parsed) return Report(parsed.error());
    auto saved = Await<domain::WorkCalendar>([&](auto done) {
      ctx.services().cases.SaveCalendar(Caller::Cli(), std::move(*parsed), std::move(done));
    });
    if (!saved) return Report(saved.error());
    std::cout << saved->holidays.size() << " holidays, " << saved->workdays.size() << " workdays saved\n";
    return 0;
  });

  // --- QR codes for the resident form ---
  auto* qrcode = app.add_subcommand("qrcode", "Printable QR codes that open the resident form at each grid");
  qrcode->add_option("--base-url", o->address, "Where residents reach Linli, e.g. https://linli.example.gov.cn")->required();
  qrcode->add_option("--under", o->node, "Only nodes under this one (code or id)");
  qrcode->add_option("--out", o->description, "Folder for <code>.svg and index.html (printable)")->default_val("qrcodes");
  runners.emplace_back(qrcode, [&ctx, o] {
    auto& s = ctx.services();
    if (!o->address.starts_with("http://") && !o->address.starts_with("https://")) {
      return Report(Error::Invalid("base-url", "--base-url starts with http:// or https://"));
    }
    std::string prefix = "/";
    if (!o->node.empty()) {
      auto under = ResolveNode(s, o->node);
      if (!under) return Report(under.error());
      prefix = under->path;
    }
    std::vector<domain::OrgNode> nodes;
    for (const char* type : {"grid", "micro_grid", "dedicated_grid"}) {
      for (std::int64_t after = 0;;) {
        auto page = s.org.List(Caller::Cli(), {.type = std::string(type), .after_id = after, .limit = 500});
        if (!page) return Report(page.error());
        for (auto& n : *page) {
          if (n.path.starts_with(prefix)) nodes.push_back(std::move(n));
        }
        if (page->size() < 500) break;
        after = page->back().id;
      }
    }
    std::sort(nodes.begin(), nodes.end(), [](const auto& a, const auto& b) { return a.code < b.code; });
    std::filesystem::create_directories(o->description);
    auto escape = [](const std::string& t) {
      std::string out;
      for (char c : t) out += c == '<' ? "&lt;" : c == '>' ? "&gt;" : c == '&' ? "&amp;" : c == '"' ? "&quot;" : std::string(1, c);
      return out;
    };
    std::string cards;
    for (const auto& n : nodes) {
      auto url = service::ResidentFormUrl(o->address, n.code);
      auto svg = QrSvg(url, 45);
      if (!svg) return Report(svg.error());
      std::ofstream(o->description + "/" + n.code + ".svg") << *svg;
      cards += "<div class=card>" + *svg + "<h2>" + escape(n.name) + "</h2><p>扫码反映问题 · 随时查看办理进度</p><small>" +
               n.code + "</small></div>\n";
    }
    std::ofstream(o->description + "/index.html")
        << "<!doctype html><meta charset=utf-8><title>网格二维码</title><style>"
           "body{font-family:sans-serif;margin:0}.card{display:inline-block;width:90mm;height:120mm;margin:5mm;"
           "text-align:center;border:1px dashed #999;break-inside:avoid;padding-top:8mm}"
           "h2{margin:4mm 0 2mm;font-size:16pt}p{margin:0;font-size:11pt}small{color:#666}</style>\n"
        << cards;
    std::cout << nodes.size() << " QR codes in " << o->description << "/ (print index.html)\n";
    return 0;
  });

  // --- notifications ---
  auto* inbox = app.add_subcommand("inbox", "A user's notifications, newest first");
  inbox->add_option("username", o->node, "The user")->required();
  inbox->add_flag("--unread", o->open, "Only unread ones");
  inbox->add_option("--limit", o->limit, "At most this many (1-500)");
  runners.emplace_back(inbox, [&ctx, o] {
    auto& s = ctx.services();
    auto user = ResolveUser(s, o->node);
    if (!user) return Report(user.error());
    Caller as = Caller::Cli();
    as.principal.user_id = user->id;
    auto page = s.notifications.Inbox(as, o->open, 0, o->limit);
    if (!page) return Report(page.error());
    std::cout << page->unread << " unread\n";
    for (const auto& n : page->items) {
      std::cout << n.id << "\t" << domain::ChinaDateTime(n.at) << "\t" << (n.read_at ? " " : "*") << "\t" << n.kind
                << "\t" << (n.case_id ? "case " + std::to_string(n.case_id) : "") << "\t" << n.title << "\n";
    }
    return 0;
  });

  auto* webhook = app.add_subcommand("webhook", "Outbound webhooks for an SMS or WeChat gateway")->require_subcommand(1);
  auto* hook_add = webhook->add_subcommand("add", "Subscribe a URL; prints the signing secret once");
  hook_add->add_option("--name", o->description, "What it is, e.g. 短信网关")->required();
  hook_add->add_option("--url", o->address, "http:// or https:// URL that receives the POSTs")->required();
  hook_add->add_option("--kind", o->attrs, "An event kind (repeatable), or * for all")->required();
  runners.emplace_back(hook_add, [&ctx, o] {
    auto r = Await<service::NewWebhook>([&](auto done) {
      ctx.services().notifications.AddWebhook(Caller::Cli(), o->description, o->address, o->attrs, std::move(done));
    });
    if (!r) return Report(r.error());
    std::cout << "webhook " << r->hook.id << " " << r->hook.url << "\nsecret (shown once): " << r->secret << "\n";
    return 0;
  });
  auto* hook_list = webhook->add_subcommand("list", "Webhooks, removed ones too");
  runners.emplace_back(hook_list, [&ctx] {
    auto r = ctx.services().notifications.Webhooks(Caller::Cli());
    if (!r) return Report(r.error());
    for (const auto& h : *r) {
      std::cout << h.id << "\t" << h.name << "\t" << h.url << "\t" << h.kinds << (h.removed_at ? "\tremoved" : "") << "\n";
    }
    return 0;
  });
  auto* hook_remove = webhook->add_subcommand("remove", "Stop a webhook; what waits for it is dead-lettered");
  hook_remove->add_option("id", o->id, "Webhook id")->required();
  runners.emplace_back(hook_remove, [&ctx, o] {
    auto r = Await<storage::WebhookRow>([&](auto done) {
      ctx.services().notifications.RemoveWebhook(Caller::Cli(), o->id, std::move(done));
    });
    if (!r) return Report(r.error());
    std::cout << "removed webhook " << r->id << "\n";
    return 0;
  });
  auto* hook_deliveries = webhook->add_subcommand("deliveries", "A webhook's deliveries, newest first");
  hook_deliveries->add_option("id", o->id, "Webhook id")->required();
  hook_deliveries->add_option("--state", o->states, "pending, delivered or dead");
  hook_deliveries->add_option("--limit", o->limit, "At most this many (1-500)");
  runners.emplace_back(hook_deliveries, [&ctx, o] {
    auto r = ctx.services().notifications.Deliveries(Caller::Cli(), o->id, o->states, 0, o->limit);
    if (!r) return Report(r.error());
    for (const auto& d : *r) {
      std::cout << d.id << "\t" << d.kind << "\t" << d.state << "\tattempts " << d.attempts << "\t"
                << (d.next_attempt_at ? "next " + domain::ChinaDateTime(d.next_attempt_at) : "") << "\t" << d.last_error
                << "\n";
    }
    return 0;
  });
  auto* hook_retry = webhook->add_subcommand("retry", "Queue a dead delivery again");
  hook_retry->add_option("delivery", o->id, "Delivery id")->required();
  runners.emplace_back(hook_retry, [&ctx, o] {
    auto r = Await<storage::DeliveryRow>([&](auto done) {
      ctx.services().notifications.RetryDelivery(Caller::Cli(), o->id, std::move(done));
    });
    if (!r) return Report(r.error());
    std::cout << "delivery " << r->id << " queued\n";
    return 0;
  });
  auto* hook_send = webhook->add_subcommand("send", "Send what is due now (the server does this every second)");
  runners.emplace_back(hook_send, [&ctx] {
    auto r = ctx.services().webhooks.RunOnce();
    if (!r) return Report(r.error());
    std::cout << *r << " delivery attempt(s)\n";
    return 0;
  });

  return RunParsed(std::move(runners), ctx);
}

}  // namespace linli::cli
