#include "cli/commands.h"

#include "cli/demo_population.h"

#include <charconv>
#include <iostream>

#include "core/clock.h"
#include "core/crypto.h"

namespace linli::cli {

using service::Await;
using service::Caller;

// Prints an error the way every subcommand does and returns the exit code for it.
int Report(const Error& e) {
  std::cerr << "error: " << e.message;
  if (!e.field.empty()) std::cerr << " (" << e.field << ")";
  std::cerr << "\n";
  return e.code == ErrorCode::kInvalidArgument ? 2 : 1;
}

std::string GeneratedPassword() { return "Ll-" + crypto::RandomToken(12); }

std::string ReadPasswordFromStdin() {
  std::string line;
  std::getline(std::cin, line);
  while (!line.empty() && (line.back() == '\n' || line.back() == '\r')) line.pop_back();
  return line;
}

// A node given as its code or its numeric id.
Result<domain::OrgNode> ResolveNode(service::Services& s, const std::string& ref) {
  auto by_code = s.org.GetByCode(Caller::Cli(), ref);
  if (by_code) return by_code;
  std::int64_t id = 0;
  auto [p, ec] = std::from_chars(ref.data(), ref.data() + ref.size(), id);
  if (ec == std::errc() && p == ref.data() + ref.size()) {
    auto by_id = s.org.Get(Caller::Cli(), id);
    if (by_id) return by_id;
  }
  return Error::Invalid("node", "no org node with code or id " + ref);
}

Result<storage::UserRecord> ResolveUser(service::Services& s, const std::string& username) {
  LINLI_ASSIGN_OR_RETURN(auto u, s.accounts.FindUser(Caller::Cli(), username));
  if (!u) return Error::Invalid("user", "no user named " + username);
  return std::move(*u);
}

namespace {

void PrintNode(const domain::OrgNode& n) {
  std::cout << n.id << "\t" << domain::NodeTypeName(n.type) << "\t" << n.code << "\t" << n.name
            << "\t" << n.path << (n.archived ? "\t(archived)" : "") << "\n";
}

struct DemoUser {
  const char* username;
  const char* display_name;
  const char* role;
  const char* node_code;
};

int RunDemo(service::Services& s, bool population) {
  const Caller cli = Caller::Cli();
  const char* kPassword = "Linli-demo-2026";
  struct DemoNode {
    const char* parent_code;
    const char* type;
    const char* code;
    const char* name;
  };
  // A subdistrict modelled on 琴川街道 (Changshu): communities, compounds, grids, micro-grids.
  static const DemoNode nodes[] = {
      {"", "subdistrict", "320581001", "琴川街道"},
      {"320581001", "community", "320581001001", "虹桥社区"},
      {"320581001", "community", "320581001002", "新街社区"},
      {"320581001001", "compound", "320581001001101", "虹桥花园"},
      {"320581001001101", "grid", "320581001001101001", "虹桥第一网格"},
      {"320581001001101", "grid", "320581001001101002", "虹桥第二网格"},
      {"320581001001101001", "micro_grid", "320581001001101001001", "第一网格1号微网格"},
      {"320581001001101001", "micro_grid", "320581001001101001002", "第一网格2号微网格"},
      {"320581001001", "dedicated_grid", "320581001001901", "虹桥小学专属网格"},
      {"320581001002", "grid", "320581001002001", "新街第一网格"},
      {"320581001002001", "micro_grid", "320581001002001001", "新街1号微网格"},
  };
  int created = 0;
  for (const auto& n : nodes) {
    if (s.org.GetByCode(cli, n.code)) continue;
    std::int64_t parent_id = 0;
    if (*n.parent_code) {
      auto parent = s.org.GetByCode(cli, n.parent_code);
      if (!parent) return Report(parent.error());
      parent_id = parent->id;
    }
    auto r = Await<domain::OrgNode>([&](auto done) {
      s.org.Create(cli, {parent_id, n.type, n.code, n.name}, std::move(done));
    });
    if (!r) return Report(r.error());
    ++created;
  }
  // Custom tags: one for the whole subdistrict, one for 虹桥社区.
  static const std::pair<const char*, const char*> custom_tags[] = {{"320581001", "志愿者"},
                                                                    {"320581001001", "新就业群体"}};
  for (const auto& [code, label] : custom_tags) {
    auto node = s.org.GetByCode(cli, code);
    if (!node) return Report(node.error());
    auto existing = s.registry.CustomTags(cli, node->id, false);
    if (!existing) return Report(existing.error());
    if (std::ranges::any_of(*existing, [&](const auto& t) { return t.label == label; })) continue;
    auto t = Await<storage::CustomTagRow>([&](auto done) {
      s.registry.DefineCustomTag(cli, node->id, label, "演示数据", std::move(done));
    });
    if (!t) return Report(t.error());
    ++created;
  }
  static const DemoUser users[] = {
      {"sysadmin", "系统管理员 王磊", "system_admin", "320581001"},
      {"secadmin", "安全管理员 李静", "security_admin", "320581001"},
      {"auditor", "审计管理员 赵敏", "audit_admin", "320581001"},
      {"official", "街道干部 陈刚", "subdistrict_official", "320581001"},
      {"dept.chengguan", "城管中队 周强", "department_handler", "320581001"},
      {"secretary", "虹桥社区书记 孙丽", "general_grid_leader", "320581001001"},
      {"staff", "社区工作者 吴芳", "community_staff", "320581001001"},
      {"mediator", "调解员 郑华", "mediator", "320581001001"},
      {"leader1", "网格长 冯军", "grid_leader", "320581001001101001"},
      {"worker1", "网格员 朱红", "grid_worker", "320581001001101001"},
      {"worker2", "网格员 何伟", "grid_worker", "320581001001101002"},
      {"micro1", "楼栋长 许萍", "micro_grid_worker", "320581001001101001001"},
      {"worker.xinjie", "网格员 沈涛", "grid_worker", "320581001002001"},
      {"volunteer", "志愿者 韩梅", "volunteer", "320581001001"},
      {"resident", "居民 杨帆", "resident", "320581001001101001"},
      {"open311", "Open311 接入（市民热线 App）", "open311_client", "320581001"},
  };
  for (const auto& u : users) {
    if (auto existing = s.accounts.FindUser(cli, u.username); existing && *existing) continue;
    auto node = s.org.GetByCode(cli, u.node_code);
    if (!node) return Report(node.error());
    auto view = Await<service::UserView>([&](auto done) {
      s.accounts.CreateUser(cli, {u.username, u.display_name, kPassword, node->id, false}, std::move(done));
    });
    if (!view) return Report(view.error());
    auto a = Await<storage::AssignmentRecord>([&](auto done) {
      s.accounts.Assign(cli, view->user.id, u.role, node->id, std::move(done));
    });
    if (!a) return Report(a.error());
    if (std::string_view(u.role) == "department_handler") {
      // 城管中队's handler takes the street-order and city-appearance cases the communities dispatch.
      auto d = Await<std::vector<std::string>>([&](auto done) {
        s.accounts.SetDepartments(cli, view->user.id, {"城管中队"}, std::move(done));
      });
      if (!d) return Report(d.error());
    }
    ++created;
  }
  if (population) {
    if (auto st = LoadDemoPopulation(s, DemoSize{}); !st) return Report(st.error());
    if (auto st = LoadDemoCases(s, 600, 20261129); !st) return Report(st.error());
  }
  std::cout << "Demo subdistrict 琴川街道 ready (" << created << " records created).\n"
            << "Every demo account's password is " << kPassword << "\n\n"
            << "username         role                    where\n";
  for (const auto& u : users) {
    auto node = s.org.GetByCode(cli, u.node_code);
    std::printf("%-16s %-23s %s\n", u.username, u.role, node ? node->name.c_str() : "?");
  }
  return 0;
}

}  // namespace

std::function<bool()> RunParsed(Runners runners, CliContext& ctx) {
  return [runners = std::move(runners), &ctx]() {
    for (const auto& [cmd, run] : runners) {
      if (cmd->parsed()) {
        ctx.exit_code = run();
        return true;
      }
    }
    return false;
  };
}

std::function<bool()> AddAdminCommands(CLI::App& app, CliContext& ctx) {
  struct Opts {
    std::string username, display_name, node, role, password, name, type, code, parent, user;
    bool password_stdin = false, keep_password = false;
    std::int64_t id = 0;
    int count = 20;
    std::vector<std::string> departments;
  };
  auto o = std::make_shared<Opts>();
  Runners runners;

  // ---- user -------------------------------------------------------------------------------
  auto* user = app.add_subcommand("user", "Manage accounts and their roles")->require_subcommand(1);
  auto* user_create = user->add_subcommand("create", "Create an account (prints a generated password unless given one)");
  user_create->add_option("--username", o->username, "Sign-in name: a-z 0-9 . _ -")->required();
  user_create->add_option("--name", o->display_name, "Display name, e.g. 网格员 朱红")->required();
  user_create->add_option("--node", o->node, "Home org node (code or id)")->required();
  user_create->add_option("--role", o->role, "Also grant this role at the home node");
  user_create->add_flag("--password-stdin", o->password_stdin, "Read the password from standard input");
  user_create->add_flag("--no-password-change", o->keep_password, "Do not ask for a new password at first sign-in");
  runners.emplace_back(user_create, [&ctx, o] {
    auto& s = ctx.services();
    auto node = ResolveNode(s, o->node);
    if (!node) return Report(node.error());
    bool generated = !o->password_stdin;
    std::string password = generated ? GeneratedPassword() : ReadPasswordFromStdin();
    auto view = Await<service::UserView>([&](auto done) {
      s.accounts.CreateUser(Caller::Cli(), {o->username, o->display_name, password, node->id, !o->keep_password}, std::move(done));
    });
    if (!view) return Report(view.error());
    if (!o->role.empty()) {
      auto a = Await<storage::AssignmentRecord>([&](auto done) {
        s.accounts.Assign(Caller::Cli(), view->user.id, o->role, node->id, std::move(done));
      });
      if (!a) return Report(a.error());
    }
    std::cout << "created user " << view->user.id << " " << o->username << " at " << node->name << "\n";
    if (generated) std::cout << "password: " << password << "\n";
    return 0;
  });

  for (auto [name, disabled] : {std::pair{"disable", true}, {"enable", false}}) {
    auto* cmd = user->add_subcommand(name, std::string(disabled ? "Disable" : "Enable") + " an account");
    cmd->add_option("username", o->username)->required();
    runners.emplace_back(cmd, [&ctx, o, disabled = disabled] {
      auto& s = ctx.services();
      auto u = ResolveUser(s, o->username);
      if (!u) return Report(u.error());
      auto r = Await<service::UserView>([&](auto done) { s.accounts.SetDisabled(Caller::Cli(), u->id, disabled, std::move(done)); });
      if (!r) return Report(r.error());
      std::cout << o->username << (disabled ? " disabled; its sessions ended\n" : " enabled\n");
      return 0;
    });
  }

  auto* reset = user->add_subcommand("reset-password", "Set a temporary password the user must change at sign-in");
  reset->add_option("username", o->username)->required();
  reset->add_flag("--password-stdin", o->password_stdin, "Read the password from standard input");
  runners.emplace_back(reset, [&ctx, o] {
    auto& s = ctx.services();
    auto u = ResolveUser(s, o->username);
    if (!u) return Report(u.error());
    bool generated = !o->password_stdin;
    std::string password = generated ? GeneratedPassword() : ReadPasswordFromStdin();
    auto r = Await<service::UserView>([&](auto done) { s.accounts.ResetPassword(Caller::Cli(), u->id, password, std::move(done)); });
    if (!r) return Report(r.error());
    std::cout << "password of " << o->username << " reset; sessions ended\n";
    if (generated) std::cout << "temporary password: " << password << "\n";
    return 0;
  });

  auto* assign = user->add_subcommand("assign", "Grant a role at an org node");
  assign->add_option("username", o->username)->required();
  assign->add_option("--role", o->role)->required();
  assign->add_option("--node", o->node, "Org node (code or id)")->required();
  runners.emplace_back(assign, [&ctx, o] {
    auto& s = ctx.services();
    auto u = ResolveUser(s, o->username);
    if (!u) return Report(u.error());
    auto node = ResolveNode(s, o->node);
    if (!node) return Report(node.error());
    auto a = Await<storage::AssignmentRecord>([&](auto done) { s.accounts.Assign(Caller::Cli(), u->id, o->role, node->id, std::move(done)); });
    if (!a) return Report(a.error());
    std::cout << "assignment " << a->id << ": " << o->username << " is " << o->role << " at " << node->name << "\n";
    return 0;
  });

  auto* departments = user->add_subcommand("departments", "Show, or set, the departments (职能部门) a user works for");
  departments->add_option("username", o->username)->required();
  departments->add_option("--set", o->departments, "A department (repeatable); replaces the list");
  departments->add_flag("--clear", o->keep_password, "Belong to no department");
  runners.emplace_back(departments, [&ctx, o] {
    auto& s = ctx.services();
    auto u = ResolveUser(s, o->username);
    if (!u) return Report(u.error());
    if (!o->departments.empty() || o->keep_password) {
      auto set = Await<std::vector<std::string>>([&](auto done) {
        s.accounts.SetDepartments(Caller::Cli(), u->id, o->departments, std::move(done));
      });
      if (!set) return Report(set.error());
    }
    auto list = s.accounts.Departments(Caller::Cli(), u->id);
    if (!list) return Report(list.error());
    for (const auto& d : *list) std::cout << d << "\n";
    return 0;
  });

  auto* unassign = user->add_subcommand("unassign", "Withdraw a role assignment");
  unassign->add_option("assignment_id", o->id)->required();
  runners.emplace_back(unassign, [&ctx, o] {
    auto& s = ctx.services();
    auto r = Await<bool>([&](auto done) { s.accounts.Unassign(Caller::Cli(), o->id, std::move(done)); });
    if (!r) return Report(r.error());
    std::cout << "assignment " << o->id << " withdrawn\n";
    return 0;
  });

  auto* ulist = user->add_subcommand("list", "List accounts");
  runners.emplace_back(ulist, [&ctx] {
    auto& s = ctx.services();
    std::int64_t after = 0;
    for (;;) {
      auto page = s.accounts.ListUsers(Caller::Cli(), after, 500);
      if (!page) return Report(page.error());
      for (const auto& view : *page) {
        const auto& u = view.user;
        std::string roles;
        for (const auto& a : view.assignments) roles += a.role + "@" + a.node_name + " ";
        std::cout << u.id << "\t" << u.username << "\t" << u.display_name << (u.disabled ? "\t(disabled)" : "")
                  << "\t" << roles << "\n";
      }
      if (page->size() < 500) break;
      after = page->back().user.id;
    }
    return 0;
  });

  // ---- apikey -----------------------------------------------------------------------------
  auto* apikey = app.add_subcommand("apikey", "Manage API keys of machine clients (Open311, gateways)")->require_subcommand(1);
  auto* key_create = apikey->add_subcommand("create", "Issue a key acting as an account; printed once");
  key_create->add_option("--user", o->user, "The account the key acts as")->required();
  key_create->add_option("--name", o->name, "What the key is for, e.g. FixMyStreet")->required();
  runners.emplace_back(key_create, [&ctx, o] {
    auto& s = ctx.services();
    auto u = ResolveUser(s, o->user);
    if (!u) return Report(u.error());
    auto k = Await<service::CreatedApiKey>([&](auto done) { s.accounts.CreateApiKey(Caller::Cli(), u->id, o->name, std::move(done)); });
    if (!k) return Report(k.error());
    std::cout << "API key " << k->record.id << " for " << o->user << " (" << o->name << "):\n" << k->key
              << "\nStore it now; it cannot be shown again.\n";
    return 0;
  });
  auto* key_revoke = apikey->add_subcommand("revoke", "Revoke a key");
  key_revoke->add_option("id", o->id)->required();
  runners.emplace_back(key_revoke, [&ctx, o] {
    auto& s = ctx.services();
    auto r = Await<bool>([&](auto done) { s.accounts.RevokeApiKey(Caller::Cli(), o->id, std::move(done)); });
    if (!r) return Report(r.error());
    std::cout << "API key " << o->id << " revoked\n";
    return 0;
  });
  auto* key_list = apikey->add_subcommand("list", "List keys (never the keys themselves)");
  runners.emplace_back(key_list, [&ctx] {
    auto& s = ctx.services();
    auto keys = s.accounts.ApiKeys(Caller::Cli());
    if (!keys) return Report(keys.error());
    for (const auto& k : *keys) {
      std::cout << k.id << "\t" << k.prefix << "…\t" << k.name << "\t" << k.username
                << (k.revoked_at ? "\trevoked " + FormatUtc(*k.revoked_at) : std::string("\tactive")) << "\n";
    }
    return 0;
  });

  // ---- org --------------------------------------------------------------------------------
  auto* org = app.add_subcommand("org", "Manage the org tree")->require_subcommand(1);
  auto* org_create = org->add_subcommand("create", "Create a node");
  org_create->add_option("--type", o->type, "district, subdistrict, community, compound, grid, micro_grid, dedicated_grid")->required();
  org_create->add_option("--code", o->code, "Administrative code (digits)")->required();
  org_create->add_option("--name", o->name)->required();
  org_create->add_option("--parent", o->parent, "Parent node (code or id); none for a district or a root subdistrict");
  runners.emplace_back(org_create, [&ctx, o] {
    auto& s = ctx.services();
    std::int64_t parent_id = 0;
    if (!o->parent.empty()) {
      auto p = ResolveNode(s, o->parent);
      if (!p) return Report(p.error());
      parent_id = p->id;
    }
    auto n = Await<domain::OrgNode>([&](auto done) { s.org.Create(Caller::Cli(), {parent_id, o->type, o->code, o->name}, std::move(done)); });
    if (!n) return Report(n.error());
    PrintNode(*n);
    return 0;
  });
  auto* org_list = org->add_subcommand("list", "List nodes (all, or the children of --parent)");
  org_list->add_option("--parent", o->parent, "Parent node (code or id)");
  runners.emplace_back(org_list, [&ctx, o] {
    auto& s = ctx.services();
    service::NodeListInput in;
    in.limit = 500;
    if (!o->parent.empty()) {
      auto p = ResolveNode(s, o->parent);
      if (!p) return Report(p.error());
      in.parent_id = p->id;
    }
    for (;;) {
      auto page = s.org.List(Caller::Cli(), in);
      if (!page) return Report(page.error());
      for (const auto& n : *page) PrintNode(n);
      if (page->size() < 500) break;
      in.after_id = page->back().id;
    }
    return 0;
  });
  auto* org_rename = org->add_subcommand("rename", "Rename a node");
  org_rename->add_option("node", o->node)->required();
  org_rename->add_option("--name", o->name)->required();
  runners.emplace_back(org_rename, [&ctx, o] {
    auto& s = ctx.services();
    auto n = ResolveNode(s, o->node);
    if (!n) return Report(n.error());
    auto r = Await<domain::OrgNode>([&](auto done) { s.org.Rename(Caller::Cli(), n->id, o->name, std::nullopt, std::move(done)); });
    if (!r) return Report(r.error());
    PrintNode(*r);
    return 0;
  });
  auto* org_move = org->add_subcommand("move", "Move a node (and its subtree) under another parent");
  org_move->add_option("node", o->node)->required();
  org_move->add_option("--parent", o->parent)->required();
  org_move->add_option("--code", o->code, "New code under the parent (default: the parent's code and the node's own number)");
  runners.emplace_back(org_move, [&ctx, o] {
    auto& s = ctx.services();
    auto n = ResolveNode(s, o->node);
    if (!n) return Report(n.error());
    auto p = ResolveNode(s, o->parent);
    if (!p) return Report(p.error());
    auto r = Await<domain::OrgNode>([&](auto done) { s.org.Move(Caller::Cli(), n->id, p->id, o->code.empty() ? std::nullopt : std::optional(o->code), std::move(done)); });
    if (!r) return Report(r.error());
    PrintNode(*r);
    return 0;
  });
  auto* org_archive = org->add_subcommand("archive", "Archive a node without active children");
  org_archive->add_option("node", o->node)->required();
  runners.emplace_back(org_archive, [&ctx, o] {
    auto& s = ctx.services();
    auto n = ResolveNode(s, o->node);
    if (!n) return Report(n.error());
    auto r = Await<domain::OrgNode>([&](auto done) { s.org.SetArchived(Caller::Cli(), n->id, true, std::move(done)); });
    if (!r) return Report(r.error());
    PrintNode(*r);
    return 0;
  });

  // ---- audit ------------------------------------------------------------------------------
  auto* audit = app.add_subcommand("audit", "Inspect the audit log")->require_subcommand(1);
  auto* verify = audit->add_subcommand("verify", "Check every link of the hash chain; exit 1 at the first broken one");
  runners.emplace_back(verify, [&ctx] {
    auto& s = ctx.services();
    auto v = s.audit.Verify(Caller::Cli());
    if (!v) return Report(v.error());
    if (v->intact) {
      std::cout << "audit chain intact: " << v->entries << " entries\n";
      return 0;
    }
    std::cout << "audit chain BROKEN at entry " << v->first_broken_seq << ": " << v->reason << "\n";
    return 1;
  });
  auto* tail = audit->add_subcommand("tail", "Print the newest entries");
  tail->add_option("-n,--count", o->count, "How many")->check(CLI::Range(1, 500));
  runners.emplace_back(tail, [&ctx, o] {
    auto& s = ctx.services();
    service::AuditFilter f;
    f.limit = o->count;
    auto list = s.audit.Query(Caller::Cli(), f);
    if (!list) return Report(list.error());
    for (auto it = list->rbegin(); it != list->rend(); ++it) {
      std::cout << it->seq << "\t" << FormatUtc(it->at) << "\t" << it->actor_name << "\t" << it->action
                << "\t" << it->outcome << "\t" << it->target << "\t" << it->detail << "\n";
    }
    return 0;
  });

  // ---- demo -------------------------------------------------------------------------------
  auto* demo = app.add_subcommand("demo", "Load a demo subdistrict with an account for every role");
  demo->add_option("--size", o->name, "full (~50,000 residents with boundaries) or small (the org tree and accounts only)")
      ->default_val("full")->check(CLI::IsMember({"full", "small"}));
  runners.emplace_back(demo, [&ctx, o] { return RunDemo(ctx.services(), o->name != "small"); });

  // ---- bench-data ---------------------------------------------------------------------------
  auto* bench = app.add_subcommand("bench-data", "Generate a synthetic region for the benchmarks into an empty database "
                                                "(a new SQLite file is written without a journal until it ends)");
  bench->add_option("--scale", o->type, "community, subdistrict, district or city")
      ->required()->check(CLI::IsMember({"community", "subdistrict", "district", "city"}));
  bench->add_option("--seed", o->id, "The same seed gives the same region")->default_val(20261129);
  runners.emplace_back(bench, [&ctx, o] { return RunBenchData(ctx.services(), o->type, static_cast<std::uint64_t>(o->id)); });

  return RunParsed(std::move(runners), ctx);
}

}  // namespace linli::cli
