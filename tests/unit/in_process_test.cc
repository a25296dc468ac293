// The webhook queue (and the deadline scheduler) end to end in one process: the notification service over a real SQLite file,
// the real outbound HTTP client, and a real HTTP receiver on loopback. A manual clock stands in
// for hours of waiting between retries.
#include <gtest/gtest.h>

#include <boost/json.hpp>

#include "core/crypto.h"
#include "core/tabular.h"
#include "domain/identity.h"
#include "http/outbound_http.h"
#include "server/runtime.h"
#include "service/services.h"
#include "support/http_sink.h"
#include "support/test_env.h"

#include <atomic>
#include <cstdio>
#include <fstream>
#include <thread>

namespace linli::service {
namespace {

using linli::testing::HttpSink;
using linli::testing::TempDir;

TEST(RetryDelay, GrowsThreefoldFromTenSecondsAndStopsAtSixHours) {
  EXPECT_EQ(RetryDelay(1), 10'000);
  EXPECT_EQ(RetryDelay(2), 30'000);
  EXPECT_EQ(RetryDelay(3), 90'000);
  EXPECT_EQ(RetryDelay(7), 10'000LL * 729);
  EXPECT_EQ(RetryDelay(9), 6LL * 3600'000);
  EXPECT_EQ(RetryDelay(50), 6LL * 3600'000);
}

class InProcess : public ::testing::Test {
 protected:
  void SetUp() override {
    auto db = storage::Database::Open({.url = linli::testing::FreshDatabaseUrl("sqlite", dir_.path())});
    ASSERT_TRUE(db) << db.error().message;
    db_ = std::move(*db);
    ServicesOptions o;
    auto fc = crypto::FieldCrypto::FromKeyFile(dir_.path() + "/linli.key");
    ASSERT_TRUE(fc) << fc.error().message;
    o.field_crypto = *fc;
    o.http_poster = [](const OutboundRequest& r) { return http::PostOutbound(r, std::chrono::seconds(5)); };
    services_ = std::make_unique<Services>(*db_, clock_, o);
    ASSERT_TRUE(services_->Prepare());
  }

  // The subdistrict 320581001, its community …001 and grid …001001, and in the grid a building
  // of `building_code` (30 floors, 2 units) for rosters to name; `community` for grants over it.
  void GridWithBuilding(const std::string& building_code, domain::OrgNode& community) {
    auto cli = Caller::Cli();
    auto node = [&](std::int64_t parent, const char* type, const char* code) {
      return Await<domain::OrgNode>([&](auto done) { services_->org.Create(cli, {parent, type, code, code}, std::move(done)); });
    };
    auto root = node(0, "subdistrict", "320581001");
    ASSERT_TRUE(root) << root.error().message;
    auto made = node(root->id, "community", "320581001001");
    ASSERT_TRUE(made) << made.error().message;
    auto grid = node(made->id, "grid", "320581001001001");
    ASSERT_TRUE(grid) << grid.error().message;
    auto building = Await<storage::BuildingRow>([&](auto done) {
      services_->registry.CreateBuilding(cli, {grid->id, building_code, "1栋", "", {}, {}, 30, 2}, std::move(done));
    });
    ASSERT_TRUE(building) << building.error().message;
    community = *made;
  }

  NewWebhook AddHook(const std::string& url, std::vector<std::string> kinds) {
    auto r = Await<NewWebhook>([&](auto done) {
      services_->notifications.AddWebhook(Caller::Cli(), "短信网关", url, std::move(kinds), std::move(done));
    });
    EXPECT_TRUE(r) << r.error().message;
    return r ? *r : NewWebhook{};
  }

  void Publish(std::string_view kind, const std::string& payload) {
    auto r = storage::WriteAndWait<bool>(*db_, [&](storage::SqlSession& s) -> Result<bool> {
      LINLI_TRY(services_->notifications.Publish(s, {.kind = std::string(kind), .title = "t", .payload = payload}));
      return true;
    });
    ASSERT_TRUE(r) << r.error().message;
  }

  storage::DeliveryRow OnlyDelivery(std::int64_t hook) {
    auto list = services_->notifications.Deliveries(Caller::Cli(), hook, "", 0, 10);
    EXPECT_TRUE(list);
    EXPECT_EQ(list->size(), 1u);
    return list->empty() ? storage::DeliveryRow{} : list->front();
  }

  TempDir dir_;
  ManualClock clock_{1'800'000'000'000};
  std::unique_ptr<storage::Database> db_;
  std::unique_ptr<Services> services_;
};

TEST_F(InProcess, AFailingReceiverIsRetriedWithBackoffThenDeadLetteredAndCanBeRequeued) {
  HttpSink sink;
  sink.set_status(500);
  auto hook = AddHook(sink.Url(), {"*"});
  Publish(notice::kOverdue, R"({"kind":"case.overdue","case":{"id":7}})");

  for (int attempt = 1; attempt <= kMaxDeliveryAttempts; ++attempt) {
    auto tried = services_->webhooks.RunOnce();
    ASSERT_TRUE(tried);
    EXPECT_EQ(*tried, 1) << "attempt " << attempt;
    auto d = OnlyDelivery(hook.hook.id);
    EXPECT_EQ(d.attempts, attempt);
    EXPECT_EQ(d.last_error, "HTTP 500");
    if (attempt < kMaxDeliveryAttempts) {
      EXPECT_EQ(d.state, "pending");
      EXPECT_EQ(d.next_attempt_at, clock_.NowMillis() + RetryDelay(attempt));
      // Not before its time.
      EXPECT_EQ(*services_->webhooks.RunOnce(), 0);
      clock_.Advance(RetryDelay(attempt));
    } else {
      EXPECT_EQ(d.state, "dead");
      EXPECT_EQ(d.next_attempt_at, 0);
    }
  }
  EXPECT_EQ(sink.WaitFor(kMaxDeliveryAttempts).size(), static_cast<std::size_t>(kMaxDeliveryAttempts));
  clock_.Advance(7LL * 86400'000);
  EXPECT_EQ(*services_->webhooks.RunOnce(), 0) << "a dead delivery stays dead";

  // The gateway is fixed; the administrator requeues the dead letter and it arrives, signed.
  sink.set_status(204);
  auto dead = OnlyDelivery(hook.hook.id);
  auto requeued = Await<storage::DeliveryRow>([&](auto done) {
    services_->notifications.RetryDelivery(Caller::Cli(), dead.id, std::move(done));
  });
  ASSERT_TRUE(requeued) << requeued.error().message;
  EXPECT_EQ(requeued->state, "pending");
  EXPECT_EQ(*services_->webhooks.RunOnce(), 1);
  auto delivered = OnlyDelivery(hook.hook.id);
  EXPECT_EQ(delivered.state, "delivered");
  EXPECT_EQ(delivered.delivered_at, clock_.NowMillis());

  auto got = sink.WaitFor(kMaxDeliveryAttempts + 1);
  ASSERT_EQ(got.size(), static_cast<std::size_t>(kMaxDeliveryAttempts + 1));
  const auto& last = got.back();
  EXPECT_EQ(last.method, "POST");
  EXPECT_EQ(last.target, "/hook");
  EXPECT_EQ(last.body, R"({"kind":"case.overdue","case":{"id":7}})");
  EXPECT_EQ(last.headers.at("x-linli-event"), "case.overdue");
  EXPECT_EQ(last.headers.at("x-linli-delivery"), std::to_string(dead.id));
  const auto& sig = last.headers.at("x-linli-signature");
  auto comma = sig.find(",v1=");
  ASSERT_TRUE(sig.starts_with("t=") && comma != std::string::npos) << sig;
  std::string t = sig.substr(2, comma - 2);
  EXPECT_EQ(sig.substr(comma + 4), crypto::HmacSha256Hex(hook.secret, t + "." + last.body));
  EXPECT_NE(sig.substr(comma + 4), crypto::HmacSha256Hex("whsec_wrong", t + "." + last.body));

  // A delivered one cannot be requeued.
  auto again = Await<storage::DeliveryRow>([&](auto done) {
    services_->notifications.RetryDelivery(Caller::Cli(), dead.id, std::move(done));
  });
  ASSERT_FALSE(again);
  EXPECT_EQ(again.error().code, ErrorCode::kFailedPrecondition);
}

TEST_F(InProcess, HooksGetOnlyTheirKindsAndAnUnreachableOneRecordsWhy) {
  HttpSink sink;
  auto overdue_only = AddHook(sink.Url("/overdue"), {"case.overdue"});
  // Nothing listens on port 1 of loopback: the connection is refused.
  auto unreachable = AddHook("http://127.0.0.1:1/x", {"case.assigned"});
  Publish(notice::kAssigned, R"({"kind":"case.assigned"})");
  Publish(notice::kOverdue, R"({"kind":"case.overdue"})");
  EXPECT_EQ(*services_->webhooks.RunOnce(), 2);
  auto got = sink.WaitFor(1);
  ASSERT_EQ(got.size(), 1u);
  EXPECT_EQ(got[0].target, "/overdue");
  EXPECT_EQ(OnlyDelivery(overdue_only.hook.id).state, "delivered");
  auto failed = OnlyDelivery(unreachable.hook.id);
  EXPECT_EQ(failed.state, "pending");
  EXPECT_FALSE(failed.last_error.empty());
  EXPECT_EQ(failed.last_error.find("HTTP"), std::string::npos) << "no response came: " << failed.last_error;

  // Removing a hook dead-letters what waits for it, and it gets no new deliveries.
  auto removed = Await<storage::WebhookRow>([&](auto done) {
    services_->notifications.RemoveWebhook(Caller::Cli(), unreachable.hook.id, std::move(done));
  });
  ASSERT_TRUE(removed);
  EXPECT_EQ(OnlyDelivery(unreachable.hook.id).state, "dead");
  Publish(notice::kAssigned, R"({"kind":"case.assigned"})");
  EXPECT_EQ(services_->notifications.Deliveries(Caller::Cli(), unreachable.hook.id, "", 0, 10)->size(), 1u);
}

// The deadline scheduler as the server runs it (its own thread, a short tick) over a real SQLite
// file: a deadline the clock has passed is noticed within a second, and an idle pass changes nothing.
TEST_F(InProcess, TheDeadlineSchedulerNoticesAPassedDeadlineWithinASecond) {
  auto node = [&](std::int64_t parent, const char* type, const char* code) {
    auto r = Await<domain::OrgNode>([&](auto done) {
      services_->org.Create(Caller::Cli(), {parent, type, code, std::string("节点") + code}, std::move(done));
    });
    EXPECT_TRUE(r) << r.error().message;
    return r ? r->id : 0;
  };
  auto root = node(0, "subdistrict", "320581001");
  auto community = node(root, "community", "320581001001");
  auto grid = node(community, "grid", "320581001001001");
  service::CaseIntake in;
  in.channel = "patrol";
  in.category_code = "city.environment";
  in.description = "绿化带里堆了建筑垃圾";
  in.node_id = grid;
  auto c = Await<CaseView>([&](auto done) { services_->cases.Report(Caller::Cli(), std::move(in), std::move(done)); });
  ASSERT_TRUE(c) << c.error().message;

  DeadlineScheduler scheduler(services_->cases, clock_, std::chrono::milliseconds(100));
  scheduler.Start();
  std::this_thread::sleep_for(std::chrono::milliseconds(300));
  auto before = services_->cases.Get(Caller::Cli(), c->row.id);
  ASSERT_TRUE(before);
  EXPECT_EQ(before->view.row.overdue, 0) << "nothing is due yet";

  clock_.Advance(c->row.response_due_at - clock_.NowMillis() + 1);
  auto started = std::chrono::steady_clock::now();
  int overdue = 0;
  while (std::chrono::steady_clock::now() - started < std::chrono::seconds(2) && !(overdue & 1)) {
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
    overdue = services_->cases.Get(Caller::Cli(), c->row.id)->view.row.overdue;
  }
  auto waited = std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::steady_clock::now() - started);
  scheduler.Stop();
  EXPECT_TRUE(overdue & 1) << "the response deadline passed";
  EXPECT_LT(waited.count(), 1000) << "noticed within a second";
}

TEST_F(InProcess, BuildingsFromBeforeAddressKeysGetThemInTheBackgroundAndAReportFindsThem) {
  auto root = Await<domain::OrgNode>([&](auto done) {
    services_->org.Create(Caller::Cli(), {0, "subdistrict", "320581001", "街道"}, std::move(done));
  });
  ASSERT_TRUE(root);
  // 4,100 buildings without keys, as after upgrading a database from before them.
  Status st = db_->WriteSync([&](storage::SqlSession& s) -> Status {
    for (int i = 1; i <= 4100; ++i) {
      LINLI_TRY(storage::BuildingRepo::Insert(s, {.node_id = root->id, .node_path = root->path, .code = "B" + std::to_string(i),
                                                  .name = "楼", .address = "虹橋路" + std::to_string(i) + "號", .created_at = 1}));
    }
    return StatusOf(s.Exec("UPDATE buildings SET address_key = NULL"));
  });
  ASSERT_TRUE(st) << st.error().message;
  auto filled = services_->registry.FillAddressKeys();
  ASSERT_TRUE(filled) << filled.error().message;
  EXPECT_EQ(*filled, 4100);
  EXPECT_EQ(*services_->registry.FillAddressKeys(), 0);
  service::CaseIntake in;
  in.channel = "resident_web";
  in.category_code = "city.environment";
  in.description = "楼下垃圾没人清理";
  in.address = "虹桥路4099号 2单元";
  auto c = Await<CaseView>([&](auto done) { services_->cases.ReportPublic(std::move(in), "device:test", std::move(done)); });
  ASSERT_TRUE(c) << c.error().message;
  EXPECT_NE(c->row.building_id, 0);
  auto b = storage::ReadValue<std::optional<storage::BuildingRow>>(*db_, [&](storage::SqlSession& s) {
    return storage::BuildingRepo::Get(s, c->row.building_id);
  });
  ASSERT_TRUE(b && *b);
  EXPECT_EQ((*b)->code, "B4099");
}

// A whole-file import is one transaction whose writer takes each block of validated rows while
// the next blocks are still being checked. A bad row found after the writer has written rows
// must still leave nothing of the file behind; the same file without it then imports whole, a
// household straddling the blocks' end complete with its head.
TEST_F(InProcess, AWholeFileImportsWriterBeginsBesideItsValidationAndALaterBadRowUndoesIt) {
  auto cli = Caller::Cli();
  domain::OrgNode community;
  ASSERT_NO_FATAL_FAILURE(GridWithBuilding("PIPE-1", community));

  const std::size_t block = ImportService::kValidationBlock;
  const std::size_t waits_at = (block / 10000 + 1) * 10000;  // a "validate" progress call of the second block
  auto id_number = [](int n) {
    char first17[40];
    std::snprintf(first17, sizeof first17, "320581%04d0101%03d", 1940 + n % 70, n % 1000);
    return std::string(first17) + domain::IdCheckCharacter(first17);
  };
  std::vector<tabular::Row> rows = {{"楼栋编号", "房号", "姓名", "与户主关系", "性别", "出生日期", "身份证号"}};
  rows.push_back({"PIPE-1", "1", "首行户主", "户主", "", "", id_number(7)});
  for (std::size_t i = 1; i + 1 < block; ++i) rows.push_back({"PIPE-1", std::to_string(100000 + i), "住户", "户主", "女", "1950-01-01", ""});
  rows.push_back({"PIPE-1", "99", "跨界配偶", "配偶", "女", "1990-01-01", ""});  // the first block's last row
  rows.push_back({"PIPE-1", "99", "跨界户主", "户主", "男", "1989-01-01", ""});  // the second block's first
  while (rows.size() < waits_at + 10) rows.push_back({"PIPE-1", std::to_string(300000 + rows.size()), "住户", "户主", "男", "1960-01-01", ""});
  const std::size_t good_rows = rows.size() - 1;
  rows.push_back({"PIPE-1", "98", "重号", "户主", "", "", id_number(7)});  // found after the validation waited

  // The validation waits, in the second block, until the writer has written rows of the first.
  std::atomic<std::size_t> written = 0;
  ImportOptions options;
  options.progress = [&](const char* phase, std::size_t done, std::size_t) {
    if (std::string_view(phase) == "write") written = std::max(written.load(), done);
    if (std::string_view(phase) == "validate" && done == waits_at) {
      auto until = std::chrono::steady_clock::now() + std::chrono::seconds(60);
      while (written == 0 && std::chrono::steady_clock::now() < until) std::this_thread::sleep_for(std::chrono::milliseconds(5));
    }
  };
  auto count = [&](const char* sql) {
    auto rows = storage::ReadValue<std::int64_t>(*db_, [&](storage::SqlSession& s) -> Result<std::int64_t> {
      LINLI_ASSIGN_OR_RETURN(auto r, s.Query(sql));
      return r.at(0).Int(0);
    });
    return rows ? *rows : -1;
  };
  auto refused = services_->imports.ImportResidents(cli, tabular::WriteCsv(rows), tabular::Format::kCsv, options);
  ASSERT_TRUE(refused) << refused.error().message;
  EXPECT_GT(written.load(), 0u) << "the writer had written rows before the bad one was found";
  ASSERT_EQ(refused->issue_count, 1u);
  EXPECT_EQ(refused->issues.at(0).row, rows.size());
  EXPECT_EQ(refused->issues.at(0).message, "the same ID number is on row 2");
  EXPECT_FALSE(refused->committed);
  EXPECT_EQ(count("SELECT count(*) FROM residents"), 0) << "nothing of the refused file is left";
  EXPECT_EQ(count("SELECT count(*) FROM households"), 0);
  EXPECT_EQ(count("SELECT count(*) FROM import_runs"), 0);
  EXPECT_EQ(count("SELECT coalesce(sum(value), 0) FROM node_counts WHERE metric = 'residents'"), 0);

  rows.pop_back();
  written = 0;
  auto imported = services_->imports.ImportResidents(cli, tabular::WriteCsv(rows), tabular::Format::kCsv, options);
  ASSERT_TRUE(imported) << imported.error().message;
  ASSERT_EQ(imported->issue_count, 0u) << imported->issues.at(0).message;
  EXPECT_TRUE(imported->committed);
  EXPECT_EQ(imported->residents_created, good_rows);
  EXPECT_EQ(count("SELECT count(*) FROM residents"), static_cast<std::int64_t>(good_rows));
  EXPECT_EQ(count("SELECT value FROM node_counts WHERE metric = 'residents' AND node_id = (SELECT id FROM org_nodes WHERE code = '320581001001001')"),
            static_cast<std::int64_t>(good_rows));
  // The household at room 99: created by the first block's write with its spouse, completed by
  // the second's with its head.
  EXPECT_EQ(count("SELECT h.members FROM households h JOIN residents r ON r.id = h.head_id WHERE r.household_id = h.id AND "
                  "h.members = 2 AND h.id = (SELECT household_id FROM residents GROUP BY household_id HAVING count(*) = 2)"),
            2);
}

// bench-data's generated rosters vouch that their ID numbers and addresses are new to the
// register (ImportOptions::new_to_register), so a city loads while those unique indexes are away.
// Only the command line may vouch; and a file that vouches wrongly is still refused by the index
// when it is in place, with nothing of it written.
TEST_F(InProcess, OnlyTheCommandLineVouchesARostersRowsAreNewToTheRegister) {
  auto cli = Caller::Cli();
  domain::OrgNode community;
  ASSERT_NO_FATAL_FAILURE(GridWithBuilding("VOUCH-1", community));
  std::string first17 = "32058119500101124";  // the 17th digit even: a woman
  std::string id_number = first17 + domain::IdCheckCharacter(first17);
  auto roster = [&](const char* room) {
    return tabular::WriteCsv({{"楼栋编号", "房号", "姓名", "与户主关系", "性别", "出生日期", "身份证号"},
                              {"VOUCH-1", room, "王芳", "户主", "女", "1950-01-01", id_number}});
  };
  auto residents = [&] {
    auto n = storage::ReadValue<std::int64_t>(*db_, [](storage::SqlSession& s) -> Result<std::int64_t> {
      LINLI_ASSIGN_OR_RETURN(auto r, s.Query("SELECT count(*) FROM residents"));
      return r.at(0).Int(0);
    });
    return n ? *n : -1;
  };
  auto first = services_->imports.ImportResidents(cli, roster("101"), tabular::Format::kCsv, {});
  ASSERT_TRUE(first) << first.error().message;
  ASSERT_EQ(first->issue_count, 0u) << first->issues.at(0).message;
  ASSERT_EQ(residents(), 1);

  auto secretary_role = std::make_shared<domain::RoleDefinition>();
  secretary_role->name = "community_secretary";
  secretary_role->permissions = {std::string(domain::perm::kResidentWrite), std::string(domain::perm::kResidentRead)};
  Caller secretary;
  secretary.principal.user_id = 42;
  secretary.principal.grants.push_back({"community_secretary", community.path, secretary_role});
  ImportOptions vouched;
  vouched.new_to_register = true;
  auto denied = services_->imports.ImportResidents(secretary, roster("102"), tabular::Format::kCsv, vouched);
  ASSERT_FALSE(denied);
  EXPECT_EQ(denied.error().code, ErrorCode::kPermissionDenied) << denied.error().message;
  auto checked = services_->imports.ImportResidents(secretary, roster("102"), tabular::Format::kCsv, {});
  ASSERT_TRUE(checked) << checked.error().message;
  ASSERT_EQ(checked->issue_count, 1u) << "unvouched, the register is looked up";
  EXPECT_EQ(checked->issues.at(0).message, "this ID number is registered already");

  auto wrongly = services_->imports.ImportResidents(cli, roster("103"), tabular::Format::kCsv, vouched);
  EXPECT_TRUE(!wrongly || !wrongly->committed) << "the unique index refuses the repeated ID number";
  EXPECT_EQ(residents(), 1) << "nothing of the refused file is written";
}

TEST_F(InProcess, BadWebhookDefinitionsAreRefusedNamingTheField) {
  auto add = [&](std::string name, std::string url, std::vector<std::string> kinds) {
    return Await<NewWebhook>([&](auto done) {
      services_->notifications.AddWebhook(Caller::Cli(), name, url, kinds, std::move(done));
    });
  };
  EXPECT_EQ(add("g", "ftp://x/y", {"*"}).error().field, "url");
  EXPECT_EQ(add("g", "http://user:pw@host/", {"*"}).error().field, "url");
  EXPECT_EQ(add("g", "http:///nohost", {"*"}).error().field, "url");
  EXPECT_EQ(add("g", "http://h/a b", {"*"}).error().field, "url");
  EXPECT_EQ(add("g", "http://h/" + std::string(2100, 'a'), {"*"}).error().field, "url");
  EXPECT_EQ(add("g", "http://h/", {}).error().field, "kinds");
  EXPECT_EQ(add("g", "http://h/", {"case.everything"}).error().field, "kinds");
  EXPECT_EQ(add("", "http://h/", {"*"}).error().field, "name");
  EXPECT_EQ(add("<script>", "http://h/", {"*"}).error().field, "name");
  EXPECT_TRUE(services_->notifications.Webhooks(Caller::Cli())->empty()) << "nothing was stored";
}

// --db-cockpit-url: the cockpit reads from the replica, everything else from the primary, and the
// replica takes no writes. The replica here is a consistent copy of the primary taken at one
// moment (what a standby holds when it lags); PostgreSQL hot standbys are set up as
// docs/operations/postgresql.md says.
TEST(CockpitReplica, TheCockpitReadsTheReplicaAndTheReplicaRefusesWrites) {
  TempDir dir;
  Config cfg;
  cfg.data_dir = dir.path() + "/primary";
  auto cli = Caller::Cli();
  auto make = [&](Services& s, std::int64_t parent, const char* type, const char* code) {
    auto n = Await<domain::OrgNode>([&](auto done) { s.org.Create(cli, {parent, type, code, code}, std::move(done)); });
    EXPECT_TRUE(n) << n.error().message;
    return n ? n->id : 0;
  };
  std::int64_t before = 0, after = 0;
  const std::string replica = dir.path() + "/replica.db";
  {
    auto rt = server::OpenRuntime(cfg);
    ASSERT_TRUE(rt) << rt.error().message;
    before = make(*(*rt)->services, 0, "subdistrict", "110101001");
    ASSERT_TRUE((*rt)->db->driver().Backup(replica));
    after = make(*(*rt)->services, 0, "subdistrict", "110101002");  // on the primary only
  }
  cfg.db_cockpit_url = "sqlite://" + replica;
  auto rt = server::OpenRuntime(cfg);
  ASSERT_TRUE(rt) << rt.error().message;
  auto& s = *(*rt)->services;
  auto seen = s.cockpit.ForNode(cli, before, "");
  ASSERT_TRUE(seen) << seen.error().message;
  EXPECT_EQ(seen->node.code, "110101001");
  auto lagging = s.cockpit.ForNode(cli, after, "");
  ASSERT_FALSE(lagging) << "the replica has not seen the second subdistrict";
  EXPECT_EQ(lagging.error().code, ErrorCode::kNotFound);
  EXPECT_TRUE(s.org.GetByCode(cli, "110101002")) << "the primary has it";
  Status refused = (*rt)->cockpit_db->WriteSync([](storage::SqlSession&) { return Ok(); });
  ASSERT_FALSE(refused);
  EXPECT_EQ(refused.error().code, ErrorCode::kUnavailable);

  // A replica that cannot be opened stops the start, naming the setting.
  cfg.db_cockpit_url = "mysql://elsewhere";
  auto bad = server::OpenRuntime(cfg);
  ASSERT_FALSE(bad);
  EXPECT_EQ(bad.error().field, "db-cockpit-url");
}

// The same against a real PostgreSQL hot standby (tests/pg_cluster.sh standby): the cockpit's
// sessions are the standby's, and what the primary commits reaches its cockpit within seconds.
TEST(CockpitReplica, APostgresHotStandbyServesTheCockpit) {
  std::string standby;
  if (const char* file = std::getenv("LINLI_TEST_PG_STANDBY_URL_FILE"); file && *file) {
    std::ifstream in(file);
    std::getline(in, standby);
  }
  if (standby.empty() || linli::testing::PgAdminUrl().empty()) GTEST_SKIP() << "no PostgreSQL standby";
  TempDir dir;
  Config cfg;
  cfg.data_dir = dir.path();
  cfg.db_url = linli::testing::FreshDatabaseUrl("postgres", dir.path());
  const std::string database = cfg.db_url.substr(cfg.db_url.rfind('/') + 1);
  cfg.db_cockpit_url = standby.substr(0, standby.rfind('/') + 1) + database;
  {
    auto rt = server::OpenRuntime(cfg);
    ASSERT_TRUE(rt) << rt.error().message;
    auto& s = *(*rt)->services;
    auto in_recovery = [](storage::Database& db) {
      auto r = storage::ReadValue<bool>(db, [](storage::SqlSession& ss) -> Result<bool> {
        LINLI_ASSIGN_OR_RETURN(auto rows, ss.Query("SELECT CASE WHEN pg_is_in_recovery() THEN 1 ELSE 0 END"));
        return rows.at(0).Int(0) == 1;
      });
      return r && *r;
    };
    EXPECT_FALSE(in_recovery(*(*rt)->db)) << "the primary";
    auto node = Await<domain::OrgNode>([&](auto done) {
      s.org.Create(Caller::Cli(), {0, "subdistrict", "110101001", "基准街道"}, std::move(done));
    });
    ASSERT_TRUE(node) << node.error().message;
    Result<Cockpit> seen = Error::NotFound("not yet");
    for (int i = 0; i < 100 && !seen; ++i) {
      seen = s.cockpit.ForNode(Caller::Cli(), node->id, "");
      if (!seen) std::this_thread::sleep_for(std::chrono::milliseconds(100));
    }
    ASSERT_TRUE(seen) << "the standby never caught up: " << seen.error().message;
    EXPECT_EQ(seen->node.code, "110101001");
    EXPECT_TRUE(in_recovery(*(*rt)->cockpit_db)) << "the cockpit reads the standby";
  }
  linli::testing::DropPgDatabase(cfg.db_url);
}

}  // namespace
}  // namespace linli::service
