// `linli bench-data` on both engines: the community scale lands beside the demo, refuses to run
// twice, leaves an intact database, and its cockpit counts (rebuilt once from the rows) agree with
// the cases themselves as the API lists them, and with the whole deployment's row.
#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>

#include "api/api_fixture.h"
#include "cli/commands.h"
#include "storage/bulk_load.h"
#include "storage/database.h"

namespace linli::testing {
namespace {

namespace json = boost::json;

// The secondary indexes, the unique indexes on random keys and (PostgreSQL's) foreign keys of the
// tables bench-data fills (it drops them while it loads).
std::vector<std::string> LoadedTablesDefinitions(const std::string& url) {
  auto db = storage::Database::Open({.url = url});
  EXPECT_TRUE(db) << db.error().message;
  if (!db) return {};
  auto defs = storage::ReadValue<std::vector<std::string>>(**db, [](storage::SqlSession& s) -> Result<std::vector<std::string>> {
    LINLI_ASSIGN_OR_RETURN(auto all, storage::SecondaryIndexes(s, cli::BenchDataTables()));
    LINLI_ASSIGN_OR_RETURN(auto unique, storage::UniqueIndexes(s, {"residents_id_number", "households_address"}));
    LINLI_ASSIGN_OR_RETURN(auto keys, storage::ForeignKeys(s, cli::BenchDataTables()));
    all.insert(all.end(), unique.begin(), unique.end());
    all.insert(all.end(), keys.begin(), keys.end());
    return all;
  });
  EXPECT_TRUE(defs) << defs.error().message;
  return defs ? *defs : std::vector<std::string>{};
}

// The rows of the tables a generated region is made of, counted by the test itself.
std::int64_t RegionRows(const std::string& url) {
  auto db = storage::Database::Open({.url = url});
  EXPECT_TRUE(db) << db.error().message;
  if (!db) return -1;
  auto n = storage::ReadValue<std::int64_t>(**db, [](storage::SqlSession& s) -> Result<std::int64_t> {
    std::int64_t total = 0;
    for (const char* t : {"org_nodes", "buildings", "households", "residents", "resident_tags", "resident_events", "cases",
                          "case_events", "node_counts"}) {
      LINLI_ASSIGN_OR_RETURN(auto rows, s.Query(std::string("SELECT count(*) FROM ") + t));
      total += rows.at(0).Int(0);
    }
    return total;
  });
  EXPECT_TRUE(n) << n.error().message;
  return n ? *n : -1;
}

// "…: N rows in S s (R rows/s)" → N.
std::int64_t RowsReported(const std::string& output) {
  auto at = output.find(" rows in ");
  if (at == std::string::npos) return -1;
  auto from = output.rfind(' ', at - 1);
  return std::stoll(output.substr(from + 1, at - from - 1));
}

TEST_P(ApiTest, BenchDataMakesAConsistentRegionOnce) {
  auto own = NewStack(GetParam());
  std::int64_t rows_before = RegionRows(own->url);
  auto run = RunLinli(own->With({"bench-data", "--scale", "community", "--seed", "7"}));
  ASSERT_EQ(run.exit_code, 0) << run.output;
  // The rows/s figure counts the rows the region added, every table's.
  EXPECT_EQ(RowsReported(run.output), RegionRows(own->url) - rows_before) << run.output;
  EXPECT_GT(RowsReported(run.output), 49904 * 2 + 4000 * 4) << "residents and their history, cases and their events at least";
  EXPECT_NE(run.output.find("community: 0 districts, 1 subdistricts, 1 communities, 12 grids, 30 micro-grids"), std::string::npos)
      << run.output;
  auto again = RunLinli(own->With({"bench-data", "--scale", "community"}));
  EXPECT_NE(again.exit_code, 0) << "a second region over the first is refused";
  EXPECT_NE(again.output.find("already"), std::string::npos) << again.output;
  EXPECT_NE(RunLinli(own->With({"bench-data", "--scale", "planet"})).exit_code, 0);
  auto check = RunLinli(own->With({"check"}));
  EXPECT_EQ(check.exit_code, 0) << check.output;
  // Every index (and on PostgreSQL every foreign key) is back, as a new database has them.
  {
    TempDir fresh_dir;
    auto fresh = FreshDatabaseUrl(GetParam(), fresh_dir.path());
    auto expected = LoadedTablesDefinitions(fresh);
    if (GetParam() == "postgres") DropPgDatabase(fresh);
    EXPECT_GE(expected.size(), GetParam() == "postgres" ? 20u : 10u);
    EXPECT_EQ(LoadedTablesDefinitions(own->url), expected);
  }

  // The official of the demo is given the generated subdistrict to look at.
  auto assign = RunLinli(own->With({"user", "assign", "official", "--role", "subdistrict_official", "--node", "320582001"}));
  ASSERT_EQ(assign.exit_code, 0) << assign.output;
  auto official = own->As("official");
  auto root = official.Get("/api/v1/org/nodes?code=320582001").Json().at("items").as_array();
  ASSERT_EQ(root.size(), 1u);
  auto id = std::to_string(root[0].at("id").as_int64());
  auto cockpit = official.Get("/api/v1/cockpit/nodes/" + id);
  ASSERT_EQ(cockpit.status, 200) << cockpit.body;
  auto c = cockpit.Json();
  EXPECT_GE(c.at("residents").as_int64(), 45000);
  EXPECT_EQ(c.at("children").as_array().size(), 1u) << "one community";

  // Open cases counted by the rollup = open cases the list returns.
  // Case ids grow with the time they were reported, as in a running system (the list walks each
  // grid's cases in id order).
  std::int64_t open = 0, last_reported = 0, last_node = 0, out_of_order = 0;
  for (const auto& item : AllItems(official, "/api/v1/cases?open=true&node_id=" + id)) {
    ++open;
    if (item.at("node_id").as_int64() == last_node && item.at("created_at").as_int64() < last_reported) ++out_of_order;
    last_node = item.at("node_id").as_int64();
    last_reported = item.at("created_at").as_int64();
  }
  EXPECT_GT(open, 0);
  EXPECT_EQ(out_of_order, 0);
  EXPECT_EQ(c.at("open").as_int64(), open);
  // The official oversees both subdistricts there are now, the demo's and the generated one: the
  // region is read from the whole deployment's own row, and must be the two added up.
  auto region = official.Get("/api/v1/cockpit/region");
  ASSERT_EQ(region.status, 200) << region.body;
  auto demo = official.Get("/api/v1/cockpit/nodes/1").Json();
  EXPECT_EQ(region.Json().at("children").as_array().size(), 2u);
  for (const char* k : {"open", "overdue", "reported", "resolved", "residents", "households"}) {
    EXPECT_EQ(region.Json().at(k).as_int64(), demo.at(k).as_int64() + c.at(k).as_int64()) << k;
  }
  // A year of cases: the trend of the last 30 days is not empty, and some were solved in the grid.
  std::int64_t trend = 0;
  for (const auto& d : c.at("trend").as_array()) trend += d.at("reported").as_int64();
  EXPECT_GT(trend, 100);
  EXPECT_GT(c.at("solved_by_level").at("grid").as_int64(), 0);
  // Every case walked the workflow: a closed one has its report, acceptance, resolution and close.
  auto closed = official.Get("/api/v1/cases?state=closed&limit=1&node_id=" + id).Json().at("items").as_array();
  ASSERT_EQ(closed.size(), 1u);
  auto detail = official.Get("/api/v1/cases/" + std::to_string(closed[0].at("id").as_int64())).Json();
  std::vector<std::string> actions;
  for (const auto& e : detail.at("events").as_array()) actions.emplace_back(e.at("action").as_string());
  ASSERT_GE(actions.size(), 4u);
  EXPECT_EQ(actions.front(), "report");
  EXPECT_EQ(actions.back(), "close");
}

// Into a SQLite file that does not exist yet, the region is written without a journal (each page
// once, no fsync until the end): a marker beside the file says it is half-written until the load
// ends, and a load that is killed leaves a file every later command refuses, saying what to do.
TEST(BenchDataSqlite, ANewFileIsLoadedWithoutAJournalAndRefusedIfTheLoadDied) {
  TempDir dir;
  // `linli` arguments for the SQLite file `file` of this test's folder.
  auto on = [&](const std::string& file, std::vector<std::string> command) {
    std::vector<std::string> a = {"--db", "sqlite://" + dir.path() + "/" + file, "--key-file", dir.path() + "/linli.key"};
    a.insert(a.end(), command.begin(), command.end());
    return a;
  };
  const std::string whole = dir.path() + "/whole.db", killed = dir.path() + "/killed.db";
  // A page cache too small for the residents' unique random keys (a city's 20 M in 1 GiB, here
  // 50 k in 1 MiB): they are suspended with the secondary indexes, and built again after.
  auto run = RunLinli(on("whole.db", {"--bulk-cache-mib", "1", "bench-data", "--scale", "community"}));
  ASSERT_EQ(run.exit_code, 0) << run.output;
  EXPECT_NE(run.output.find("unique indexes on random keys suspended too: they outgrow the 1 MiB page cache"), std::string::npos) << run.output;
  {
    TempDir fresh_dir;
    auto expected = LoadedTablesDefinitions(FreshDatabaseUrl("sqlite", fresh_dir.path()));
    EXPECT_EQ(LoadedTablesDefinitions("sqlite://" + whole), expected);
  }
  EXPECT_FALSE(std::filesystem::exists(whole + ".loading"));
  EXPECT_FALSE(std::filesystem::exists(whole + "-wal")) << "no WAL while loading";
  EXPECT_EQ(RowsReported(run.output), RegionRows("sqlite://" + whole)) << run.output;
  auto check = RunLinli(on("whole.db", {"check"}));
  EXPECT_EQ(check.exit_code, 0) << check.output;
  auto backup = RunLinli(on("whole.db", {"backup", dir.path() + "/whole.bak"}));
  ASSERT_EQ(backup.exit_code, 0) << backup.output;

  // A load killed half-way.
  auto kill_after_2s = on("killed.db", {"bench-data", "--scale", "subdistrict"});
  kill_after_2s.insert(kill_after_2s.begin(), {"-s", "KILL", "2", LinliBinary()});
  auto died = RunProgram("timeout", kill_after_2s);
  ASSERT_NE(died.exit_code, 0) << died.output;
  ASSERT_TRUE(std::filesystem::exists(killed + ".loading"));
  for (const auto& command : {std::vector<std::string>{"check"}, std::vector<std::string>{"user", "list"},
                              std::vector<std::string>{"backup", dir.path() + "/half.bak"}}) {
    auto refused = RunLinli(on("killed.db", command));
    EXPECT_NE(refused.exit_code, 0) << refused.output;
    EXPECT_NE(refused.output.find("half-written by an interrupted `linli bench-data`"), std::string::npos) << refused.output;
    EXPECT_NE(refused.output.find("delete both and generate it again"), std::string::npos) << refused.output;
  }
  EXPECT_FALSE(std::filesystem::exists(dir.path() + "/half.bak")) << "no backup of a half-written file";
  // A page the load was writing when it died, torn (made so here, whenever the kill came): the
  // restore must not depend on what the copy reads of the file it replaces (CI once saw
  // "malformed" here, the kill having come at another moment).
  auto overwrite = [](const std::string& file, std::streamoff at, std::size_t bytes, char with) {
    std::fstream f(file, std::ios::in | std::ios::out | std::ios::binary);
    f.seekp(at);
    f << std::string(bytes, with);
  };
  overwrite(killed, 3 * 4096, 4096, '\x07');
  // A whole backup restored over it is whole again.
  auto restored = RunLinli(on("killed.db", {"restore", dir.path() + "/whole.bak"}));
  ASSERT_EQ(restored.exit_code, 0) << restored.output;
  EXPECT_FALSE(std::filesystem::exists(killed + ".loading"));
  auto checked = RunLinli(on("killed.db", {"check"}));
  EXPECT_EQ(checked.exit_code, 0) << checked.output;
  EXPECT_EQ(RegionRows("sqlite://" + killed), RegionRows("sqlite://" + whole));
  // So is a file whose header a disk's error wiped, load or no load: the copy reads the header it
  // replaces, and refused it ("not a database") until the restore removed a damaged file first.
  overwrite(killed, 0, 100, '\0');
  auto unreadable = RunLinli(on("killed.db", {"check"}));
  EXPECT_NE(unreadable.exit_code, 0) << unreadable.output;
  restored = RunLinli(on("killed.db", {"restore", dir.path() + "/whole.bak"}));
  ASSERT_EQ(restored.exit_code, 0) << restored.output;
  EXPECT_NE(restored.output.find("cannot be copied into (file is not a database); the backup goes into a new file"),
            std::string::npos) << "the restore says it replaced the file: " << restored.output;
  checked = RunLinli(on("killed.db", {"check"}));
  EXPECT_EQ(checked.exit_code, 0) << checked.output;
  EXPECT_EQ(RegionRows("sqlite://" + killed), RegionRows("sqlite://" + whole));
  // Or, as the message says: delete both and generate again.
  std::filesystem::remove(killed);
  std::filesystem::remove(killed + ".loading");
  auto again = RunLinli(on("killed.db", {"bench-data", "--scale", "community"}));
  EXPECT_EQ(again.exit_code, 0) << again.output;
}

// On PostgreSQL a generated year of case events lands in its months' own partitions, as a city's
// that has run Linli for a year does (in a new database the first partition covers everything
// before the month after the migration, so they would all have gone there).
TEST(BenchDataPostgres, AYearOfEventsIsSpreadOverItsMonthsPartitions) {
  if (PgAdminUrl().empty()) GTEST_SKIP() << "no PostgreSQL test cluster";
  TempDir dir;
  auto url = FreshDatabaseUrl("postgres", dir.path());
  auto run = RunLinli({"--db", url, "--key-file", dir.path() + "/linli.key", "bench-data", "--scale", "community"});
  ASSERT_EQ(run.exit_code, 0) << run.output;
  auto db = storage::Database::Open({.url = url});
  ASSERT_TRUE(db) << db.error().message;
  auto counts = storage::ReadValue<std::vector<std::int64_t>>(**db, [](storage::SqlSession& s) -> Result<std::vector<std::int64_t>> {
    LINLI_ASSIGN_OR_RETURN(auto rows, s.Query(
        "SELECT (SELECT count(*) FROM case_events_before), (SELECT count(*) FROM case_events_default), "
        "(SELECT count(DISTINCT tableoid) FROM case_events), (SELECT count(*) FROM case_events), "
        "(SELECT count(*) FROM pg_inherits WHERE inhparent = 'case_events'::regclass)"));
    return std::vector<std::int64_t>{rows[0].Int(0), rows[0].Int(1), rows[0].Int(2), rows[0].Int(3), rows[0].Int(4)};
  });
  ASSERT_TRUE(counts) << counts.error().message;
  EXPECT_EQ((*counts)[0], 0) << "nothing in the first partition";
  EXPECT_EQ((*counts)[1], 0) << "nothing in the DEFAULT partition";
  EXPECT_GE((*counts)[2], 12) << "a year's months each hold events";
  EXPECT_GT((*counts)[3], 4000 * 3);
  EXPECT_GE((*counts)[4], (*counts)[2] + 5) << "the first, DEFAULT and the three months ahead too";
  db->reset();
  auto check = RunLinli({"--db", url, "--key-file", dir.path() + "/linli.key", "check"});
  EXPECT_EQ(check.exit_code, 0) << check.output;
  DropPgDatabase(url);
}

INSTANTIATE_TEST_SUITE_P(Backends, ApiTest, ::testing::Values("sqlite", "postgres"),
                         [](const auto& info) { return info.param; });

}  // namespace
}  // namespace linli::testing
