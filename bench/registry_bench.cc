// Registry benchmarks: point → grid lookups over 100,000 grid polygons, and importing residents
// from CSV (with encryption and blind indexes) into SQLite. Each figure is shown beside a
// baseline measured in the same run on the same machine:
//   - lookups: the R-tree's bounding-box query alone, without the exact point-in-polygon test;
//   - import: raw batched inserts of the same number of rows into a plain table of the same
//     database (what the storage engine alone can do).
//
//   - list page: a grid worker's resident list (50 rows, filtered by tag, through the service:
//     scope, query, decrypt-and-mask, audit) among N residents; baseline: 50 rows by primary key
//     from the same table (what the engine alone needs to return a page).
//
//   build/bench/registry_bench [--grids 100000] [--residents 1000000] [--list-residents 20000000]
//                              [--json FILE] [--db postgres://...] [--first-load] [--page-size N]
// --db points the import at that (empty, throwaway) database instead of a new SQLite file;
// --page-size makes that file with pages of N bytes instead of SQLite's 4,096 (a measurement of
// what larger pages would give: docs/performance.md, "A first load's second phase …");
// --first-load imports as `linli import residents --first-load` does (the indexes on blind indexes
// and PostgreSQL's keys built after the file; SQLite's file written through a rollback journal),
// the time to build them counted in.
#include <sqlite3.h>

#include <chrono>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <future>
#include <random>
#include <string>

#include "cli/demo_population.h"
#include "core/crypto.h"
#include "domain/geo.h"
#include "server/runtime.h"
#include "service/records.h"

using namespace linli;
using Steady = std::chrono::steady_clock;

namespace {

double Seconds(Steady::time_point since) { return std::chrono::duration<double>(Steady::now() - since).count(); }

std::string Octagon(double x0, double y0, double w) {
  // A square cell with its edge midpoints: 8 vertices, like a hand-drawn grid boundary.
  char buf[512];
  double x1 = x0 + w, y1 = y0 + w, xm = x0 + w / 2, ym = y0 + w / 2;
  std::snprintf(buf, sizeof buf,
                R"({"type":"Polygon","coordinates":[[[%.7f,%.7f],[%.7f,%.7f],[%.7f,%.7f],[%.7f,%.7f],[%.7f,%.7f],[%.7f,%.7f],[%.7f,%.7f],[%.7f,%.7f],[%.7f,%.7f]]]})",
                x0, y0, xm, y0, x1, y0, x1, ym, x1, y1, xm, y1, x0, y1, x0, ym, x0, y0);
  return buf;
}

struct Row {
  std::string name;
  double value;
  std::string unit;
  double baseline;
  std::string target;
};


// A runtime on a fresh data directory under the temp directory, removed when it goes away.
struct Scratch {
  std::filesystem::path dir;
  std::unique_ptr<server::Runtime> rt;
  ~Scratch() {
    rt.reset();
    std::filesystem::remove_all(dir);
  }
};

// `first_load`: opened as `linli import residents --first-load` opens it (Config).
std::unique_ptr<Scratch> OpenScratch(const std::string& name, const std::string& db_url = {}, int page_size = 0,
                                     bool first_load = false) {
  auto scratch = std::make_unique<Scratch>();
  scratch->dir = std::filesystem::temp_directory_path() / ("linli-bench-" + name + "-" + std::to_string(::getpid()));
  std::filesystem::create_directories(scratch->dir);
  if (page_size > 0 && db_url.empty()) {
    // A page size holds from the file's first table on: set before the runtime migrates it.
    sqlite3* db = nullptr;
    std::string sql = "PRAGMA page_size=" + std::to_string(page_size) + "; CREATE TABLE sized (a); DROP TABLE sized;";
    bool made = sqlite3_open((scratch->dir / "linli.db").c_str(), &db) == SQLITE_OK &&
                sqlite3_exec(db, sql.c_str(), nullptr, nullptr, nullptr) == SQLITE_OK;
    sqlite3_close(db);
    if (!made) {
      std::fprintf(stderr, "cannot make a database of %d-byte pages\n", page_size);
      return nullptr;
    }
  }
  Config cfg;
  cfg.data_dir = scratch->dir.string();
  cfg.db_url = db_url;
  cfg.sqlite_rollback_journal_load = first_load;
  auto rt = server::OpenRuntime(cfg);
  if (!rt) {
    std::fprintf(stderr, "%s\n", rt.error().message.c_str());
    return nullptr;
  }
  scratch->rt = std::move(*rt);
  return scratch;
}

double Percentile(std::vector<double> v, double q) {
  std::sort(v.begin(), v.end());
  return v.empty() ? 0 : v[std::min(v.size() - 1, static_cast<std::size_t>(q * v.size()))];
}

// A city's residents straight into SQLite (one INSERT … SELECT, indexes rebuilt afterwards), then
// page latency for grid workers of sampled grids. Rows of the sampled grids get real ciphertexts,
// so decrypt-and-mask costs what it costs in production.
int ListPageBench(long long people, std::vector<Row>& rows) {
  auto scratch = OpenScratch("list");
  if (!scratch) return 1;
  const auto& dir = scratch->dir;
  auto& db = *scratch->rt->db;
  auto& s = *scratch->rt->services;
  const long long grids = std::max(1LL, people / 200), communities = std::max(1LL, grids / 33);
  auto t0 = Steady::now();
  std::fprintf(stderr, "generating %lld residents in %lld grids...\n", people, grids);
  std::vector<std::string> index_sql;
  Status st = db.WriteSync([&](storage::SqlSession& ss) -> Status {
    LINLI_ASSIGN_OR_RETURN(auto idx, ss.Query("SELECT name, sql FROM sqlite_master WHERE type = 'index' AND sql IS NOT NULL "
                                              "AND tbl_name IN ('residents', 'resident_tags')", {}));
    for (const auto& r : idx) {
      index_sql.push_back(r.Text(1));
      LINLI_TRY(ss.ExecScript("DROP INDEX " + r.Text(0)));
    }
    std::string n = std::to_string(people), g = std::to_string(grids), c = std::to_string(communities);
    LINLI_TRY(ss.ExecScript(
        "INSERT INTO org_nodes (id, parent_id, type, code, name, path, created_at, updated_at) "
        "VALUES (1, NULL, 'subdistrict', '110101001', '基准市', '/1/', 0, 0);"
        "WITH RECURSIVE k(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM k WHERE i < " + c + ") "
        "INSERT INTO org_nodes (id, parent_id, type, code, name, path, created_at, updated_at) "
        "SELECT 1 + i, 1, 'community', 'C' || i, '社区' || i, '/1/' || (1 + i) || '/', 0, 0 FROM k;"
        "WITH RECURSIVE k(i) AS (SELECT 0 UNION ALL SELECT i + 1 FROM k WHERE i < " + g + " - 1) "
        "INSERT INTO org_nodes (id, parent_id, type, code, name, path, created_at, updated_at) "
        "SELECT 2 + " + c + " + i, 2 + i % " + c + ", 'grid', 'G' || i, '网格' || i, "
        "'/1/' || (2 + i % " + c + ") || '/' || (2 + " + c + " + i) || '/', 0, 0 FROM k;"
        // Residents in blocks of one grid, as a city's registry fills grid by grid.
        "WITH RECURSIVE k(i) AS (SELECT 0 UNION ALL SELECT i + 1 FROM k WHERE i < " + n + " - 1) "
        "INSERT INTO residents (id, node_id, node_path, relation, name, gender, birth_date, id_enc, id_index, "
        "phone_enc, phone_index, ethnic, residence_type, occupation, tags, status, created_at, updated_at) "
        "SELECT i + 1, 2 + " + c + " + i * " + g + " / " + n + ", "
        "'/1/' || (2 + (i * " + g + " / " + n + ") % " + c + ") || '/' || (2 + " + c + " + i * " + g + " / " + n + ") || '/', "
        "'head', '居民' || i, CASE i % 2 WHEN 0 THEN 'F' ELSE 'M' END, "
        "date('1930-01-01', '+' || (abs(random()) % 33000) || ' days'), "
        "'x' || hex(randomblob(30)), hex(randomblob(16)), 'x' || hex(randomblob(24)), hex(randomblob(16)), "
        "'汉族', 'registered', '', CASE WHEN abs(random()) % 12 = 0 THEN 'living_alone' ELSE '' END, 'active', 0, 0 "
        "FROM k;"
        "INSERT INTO resident_tags (tag, node_path, resident_id) "
        "SELECT 'living_alone', node_path, id FROM residents WHERE tags = 'living_alone';"));
    std::fprintf(stderr, "rows in %.0f s; rebuilding %zu indexes...\n", Seconds(t0), index_sql.size());
    for (const auto& sql : index_sql) LINLI_TRY(ss.ExecScript(sql));
    return Ok();
  });
  if (!st) {
    std::fprintf(stderr, "generation failed: %s\n", st.error().message.c_str());
    return 1;
  }
  std::uintmax_t bytes = 0;
  for (const auto& f : std::filesystem::directory_iterator(dir)) bytes += f.is_regular_file() ? f.file_size() : 0;
  std::fprintf(stderr, "generated in %.0f s, database and WAL %.1f GB\n", Seconds(t0), bytes / 1e9);
  // Sampled grids get real ciphertexts and a grid worker each.
  std::mt19937_64 rng(7);
  std::vector<std::int64_t> sample;
  for (int i = 0; i < 400; ++i) sample.push_back(2 + communities + static_cast<long long>(rng() % grids));
  const auto& fc = s.registry.field_crypto();
  st = db.WriteSync([&](storage::SqlSession& ss) -> Status {
    for (auto grid : sample) {
      LINLI_ASSIGN_OR_RETURN(auto ids, ss.Query("SELECT id FROM residents WHERE node_path = "
                                                "(SELECT path FROM org_nodes WHERE id = $1)",
                                                {storage::Int(grid)}));
      for (const auto& r : ids) {
        auto id = r.Int(0);
        LINLI_TRY(ss.Exec("UPDATE residents SET id_enc = $2, phone_enc = $3 WHERE id = $1",
                          {storage::Int(id), storage::Text(fc.Seal("110101194912310029", service::RecordRef("residents.id_number", id))),
                           storage::Text(fc.Seal("13812345678", service::RecordRef("residents.phone", id)))}));
      }
    }
    return Ok();
  });
  if (!st) {
    std::fprintf(stderr, "sealing failed: %s\n", st.error().message.c_str());
    return 1;
  }
  auto role = std::make_shared<domain::RoleDefinition>();
  for (const auto& r : domain::DefaultRoles()) {
    if (r.name == "grid_worker") *role = r;
  }
  std::vector<double> page_ms, full_ms, base_ms;
  std::size_t listed = 0;
  for (int round = 0; round < 5; ++round) {
    for (auto grid : sample) {
      service::Caller worker;
      worker.principal.user_id = 1;
      worker.principal.username = "bench.worker";
      auto node = s.org.Get(service::Caller::Cli(), grid);
      worker.principal.grants.push_back({"grid_worker", node->path, role});
      service::ResidentFilter f;
      f.node_id = grid;
      f.tag = "living_alone";
      f.limit = 50;
      auto t = Steady::now();
      auto page = s.registry.ListResidents(worker, f);
      page_ms.push_back(Seconds(t) * 1000);
      if (!page) {
        std::fprintf(stderr, "list failed: %s\n", page.error().message.c_str());
        return 1;
      }
      listed += page->size();
      // The same grid's first page without a filter: 50 rows, each decrypted and masked.
      f.tag.reset();
      auto tf = Steady::now();
      auto full = s.registry.ListResidents(worker, f);
      full_ms.push_back(Seconds(tf) * 1000);
      if (!full || full->size() != 50) {
        std::fprintf(stderr, "unfiltered page failed or short\n");
        return 1;
      }
      auto tb = Steady::now();
      auto first = static_cast<std::int64_t>(rng() % static_cast<unsigned long long>(people - 50)) + 1;
      (void)db.Read([&](storage::SqlSession& ss) -> Status {
        LINLI_TRY(ss.Query("SELECT * FROM residents WHERE id >= $1 AND id < $2",
                           {storage::Int(first), storage::Int(first + 50)}));
        return Ok();
      });
      base_ms.push_back(Seconds(tb) * 1000);
    }
  }
  std::fprintf(stderr, "%zu pages, %.1f rows per page on average\n", page_ms.size(), double(listed) / page_ms.size());
  char label[64];
  std::snprintf(label, sizeof label, " (%.1fM residents)", people / 1e6);
  rows.push_back({std::string("list page p50, ms") + label, Percentile(page_ms, 0.50), " ms", Percentile(base_ms, 0.50), "-"});
  rows.push_back({std::string("list page p99, ms") + label, Percentile(page_ms, 0.99), " ms", Percentile(base_ms, 0.99), "<= 10 ms"});
  rows.push_back({std::string("unfiltered 50-row page p50, ms") + label, Percentile(full_ms, 0.50), " ms",
                  Percentile(base_ms, 0.50), "-"});
  rows.push_back({std::string("unfiltered 50-row page p99, ms") + label, Percentile(full_ms, 0.99), " ms",
                  Percentile(base_ms, 0.99), "<= 10 ms"});
  return 0;
}

}  // namespace

int main(int argc, char** argv) {
  crypto::InitCrypto();
  int grids = 100000;
  int residents = 1000000;
  long long list_residents = 0;
  std::string json_out, import_db_url;
  bool first_load = false;
  int page_size = 0;
  for (int i = 1; i < argc; ++i) {
    auto value = [&] { return i + 1 < argc ? argv[++i] : ""; };
    if (!std::strcmp(argv[i], "--grids")) grids = std::atoi(value());
    else if (!std::strcmp(argv[i], "--residents")) residents = std::atoi(value());
    else if (!std::strcmp(argv[i], "--list-residents")) list_residents = std::atoll(value());
    else if (!std::strcmp(argv[i], "--json")) json_out = value();
    else if (!std::strcmp(argv[i], "--db")) import_db_url = value();
    else if (!std::strcmp(argv[i], "--first-load")) first_load = true;
    else if (!std::strcmp(argv[i], "--page-size")) page_size = std::atoi(value());
  }
  std::vector<Row> rows;

  // ---- point → grid ----
  if (grids > 0) {
    int side = static_cast<int>(std::sqrt(grids));
    double w = 0.002;  // ~200 m cells
    std::vector<domain::GeoIndex::Entry> entries;
    entries.reserve(side * side);
    for (int i = 0; i < side; ++i) {
      for (int j = 0; j < side; ++j) {
        auto shape = domain::ParseBoundary(Octagon(116 + i * w, 39 + j * w, w));
        entries.push_back({static_cast<std::int64_t>(i) * side + j, 1, *shape});
      }
    }
    auto build_start = Steady::now();
    domain::GeoIndex index(std::move(entries));
    double build_s = Seconds(build_start);
    std::mt19937_64 rng(7);
    std::uniform_real_distribution<double> u(0, side * w);
    std::vector<domain::LonLat> points(2'000'000);
    for (auto& p : points) p = {116 + u(rng), 39 + u(rng)};
    std::int64_t sum = 0;
    auto t0 = Steady::now();
    for (const auto& p : points) {
      auto hit = index.Locate(p, 0);
      sum += hit ? hit->node_id : -1;
    }
    double locate_rate = points.size() / Seconds(t0);
    std::int64_t sum2 = 0;
    auto t1 = Steady::now();
    for (const auto& p : points) sum2 += static_cast<std::int64_t>(index.CandidateCount(p));
    double base_rate = points.size() / Seconds(t1);
    if (sum == 42) std::puts("");  // keep the loops
    if (sum2 == 42) std::puts("");
    rows.push_back({"point→grid lookups/s (" + std::to_string(side * side) + " polygons, 1 core)", locate_rate, "/s",
                    base_rate, ">= 1,000,000/s"});
    std::fprintf(stderr, "R-tree of %d polygons built in %.2f s\n", side * side, build_s);
  }

  // ---- import ----
  if (list_residents > 0 && ListPageBench(list_residents, rows) != 0) return 1;

  if (residents > 0) {
    auto scratch = OpenScratch("import", import_db_url, page_size, first_load);
    if (!scratch) return 1;
    auto& runtime = *scratch->rt;
    auto& s = *runtime.services;
    auto cli = service::Caller::Cli();
    auto mk = [&](std::int64_t parent, const char* type, const char* code, const char* name) {
      return *service::Await<domain::OrgNode>([&](auto done) { s.org.Create(cli, {parent, type, code, name}, std::move(done)); });
    };
    auto root = mk(0, "subdistrict", "110101001", "基准街道");
    auto community = mk(root.id, "community", "110101001001", "基准社区");
    auto grid = mk(community.id, "grid", "110101001001001", "基准网格");
    // The demo roster gives some residents the subdistrict's own tag.
    (void)service::Await<storage::CustomTagRow>([&](auto done) { s.registry.DefineCustomTag(cli, root.id, "志愿者", "", std::move(done)); });
    int per_building = 100;
    int buildings = std::max(1, residents * 10 / 28 / per_building);  // ~2.8 people per household
    std::vector<std::string> codes;
    std::vector<std::future<Result<storage::BuildingRow>>> pending;
    for (int b = 0; b < buildings; ++b) {
      codes.push_back("BB-" + std::to_string(b));
      auto promise = std::make_shared<std::promise<Result<storage::BuildingRow>>>();
      pending.push_back(promise->get_future());
      s.registry.CreateBuilding(cli, {grid.id, codes.back(), std::to_string(b) + "栋", "", {}, {}, 30, 2},
                                [promise](auto r) { promise->set_value(std::move(r)); });
    }
    for (auto& f : pending) {
      if (auto b = f.get(); !b) {
        std::fprintf(stderr, "building failed: %s\n", b.error().message.c_str());
        return 1;
      }
    }
    auto roster = cli::DemoRoster(codes, per_building, 1);
    std::size_t people = roster.size() - 1;
    auto csv = tabular::WriteCsv(roster);
    roster.clear();
    std::fprintf(stderr, "importing %zu residents (%.0f MB of CSV)...\n", people, csv.size() / 1e6);
    service::ImportOptions options;
    options.dry_run = true;
    auto tv = Steady::now();
    (void)s.imports.ImportResidents(cli, csv, tabular::Format::kCsv, options);
    std::fprintf(stderr, "validation alone (dry run): %.1f s\n", Seconds(tv));
    options.dry_run = false;
    auto t0 = Steady::now();
    // The moment validation ends splits the figure into its two phases.
    double validated_s = 0;
    options.progress = [&](const char* phase, std::size_t done, std::size_t total) {
      if (!std::strcmp(phase, "validate") && done == total) validated_s = Seconds(t0);
    };
    service::FirstLoad load;
    if (first_load) {
      auto begun = s.imports.BeginFirstLoad(cli);
      if (!begun) {
        std::fprintf(stderr, "first load refused: %s\n", begun.error().message.c_str());
        return 1;
      }
      load = std::move(*begun);
      options.first_load = &load;
    }
    auto report = s.imports.ImportResidents(cli, csv, tabular::Format::kCsv, options);
    double put_back_s = 0;
    if (first_load) {
      auto tb = Steady::now();
      if (auto st = s.imports.EndFirstLoad(load); !st) {
        std::fprintf(stderr, "putting the indexes back failed: %s\n", st.error().message.c_str());
        return 1;
      }
      put_back_s = Seconds(tb);
    }
    double import_s = Seconds(t0);
    if (!report || report->issue_count) {
      std::fprintf(stderr, "import failed: %s\n",
                   report ? report->issues[0].message.c_str() : report.error().message.c_str());
      return 1;
    }
    // The import is answered once committed; the writer's checkpoint of what it wrote (copying
    // the WAL into the database) follows, and the next write waits for it: shown, not counted.
    auto tc = Steady::now();
    (void)runtime.db->WriteSync([](storage::SqlSession& ss) {
      return ss.ExecScript("CREATE TABLE bench_raw (id INTEGER PRIMARY KEY, a TEXT, b TEXT, c INTEGER)");
    });
    double after_import_s = Seconds(tc);
    // Baseline: the same number of rows, raw, in one transaction of the same database.
    auto t1 = Steady::now();
    Status st = runtime.db->WriteSync([&](storage::SqlSession& ss) -> Status {
      for (std::size_t i = 0; i < people; ++i) {
        LINLI_TRY(ss.ExecDeferred("INSERT INTO bench_raw (id, a, b, c) VALUES ($1, $2, $3, $4)",
                                  {storage::Int(static_cast<std::int64_t>(i + 1)), storage::Text("王秀英"),
                                   storage::Text("v1:abcdefghijklmnopqrstuvwxyz0123456789"), storage::Int(20261122)}));
      }
      return Ok();
    });
    double raw_s = Seconds(t1);
    if (!st) std::fprintf(stderr, "baseline failed: %s\n", st.error().message.c_str());
    const char* engine = import_db_url.rfind("postgres", 0) == 0 ? "PostgreSQL" : "SQLite";
    rows.push_back({std::string("CSV import, residents/s (") + engine + ", encrypted, indexed" +
                        (first_load ? "; a first load, indexes built after" : "") + ")",
                    people / import_s, "/s", people / raw_s,
                    ">= 33,333/s (1M in 30 s); city scale: >= 100,000/s"});
    std::fprintf(stderr,
                 "imported %zu residents in %.1f s (validation %.1f s, write %.1f s, indexes put back %.1f s; then the "
                 "checkpoint %.1f s; raw inserts: %.1f s)\n",
                 people, import_s, validated_s, import_s - validated_s - put_back_s, put_back_s, after_import_s, raw_s);
  }

  std::printf("\n| benchmark | Linli | baseline | ratio | target |\n|---|---:|---:|---:|---|\n");
  for (const auto& r : rows) {
    const char* fmt = r.value < 100 ? "| %s | %.2f%s | %.2f%s | %.2f | %s |\n" : "| %s | %.0f%s | %.0f%s | %.2f | %s |\n";
    std::printf(fmt, r.name.c_str(), r.value, r.unit.c_str(), r.baseline, r.unit.c_str(), r.value / r.baseline,
                r.target.c_str());
  }
  if (!json_out.empty()) {
    std::ofstream out(json_out);
    out << "[";
    for (std::size_t i = 0; i < rows.size(); ++i) {
      out << (i ? "," : "") << "{\"name\":\"" << rows[i].name << "\",\"value\":" << rows[i].value
          << ",\"baseline\":" << rows[i].baseline << "}";
    }
    out << "]\n";
  }
  return 0;
}
