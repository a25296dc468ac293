// Registry benchmarks: point → grid lookups over 100,000 grid polygons, and importing residents
// from CSV (with encryption and blind indexes) into SQLite. Each figure is shown beside a
// baseline measured in the same run on the same machine:
//   - lookups: the R-tree's bounding-box query alone, without the exact point-in-polygon test;
//   - import: raw batched inserts of the same number of rows into a plain table of the same
//     database (what the storage engine alone can do).
//
//   build/bench/registry_bench [--grids 100000] [--residents 1000000] [--json FILE]
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

}  // namespace

int main(int argc, char** argv) {
  crypto::InitCrypto();
  int grids = 100000;
  int residents = 1000000;
  std::string json_out;
  for (int i = 1; i + 1 < argc; i += 2) {
    if (!std::strcmp(argv[i], "--grids")) grids = std::atoi(argv[i + 1]);
    else if (!std::strcmp(argv[i], "--residents")) residents = std::atoi(argv[i + 1]);
    else if (!std::strcmp(argv[i], "--json")) json_out = argv[i + 1];
  }
  std::vector<Row> rows;

  // ---- point → grid ----
  {
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
  if (residents > 0) {
    auto dir = std::filesystem::temp_directory_path() / ("linli-bench-import-" + std::to_string(::getpid()));
    std::filesystem::create_directories(dir);
    Config cfg;
    cfg.data_dir = dir.string();
    auto rt = server::OpenRuntime(cfg);
    if (!rt) {
      std::fprintf(stderr, "%s\n", rt.error().message.c_str());
      return 1;
    }
    auto& s = *(*rt)->services;
    auto cli = service::Caller::Cli();
    auto mk = [&](std::int64_t parent, const char* type, const char* code, const char* name) {
      return *service::Await<domain::OrgNode>([&](auto done) { s.org.Create(cli, {parent, type, code, name}, std::move(done)); });
    };
    auto root = mk(0, "subdistrict", "110101001", "基准街道");
    auto community = mk(root.id, "community", "110101001001", "基准社区");
    auto grid = mk(community.id, "grid", "110101001001001", "基准网格");
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
    for (auto& f : pending) f.get();
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
    auto report = s.imports.ImportResidents(cli, csv, tabular::Format::kCsv, options);
    double import_s = Seconds(t0);
    if (!report || report->issue_count) {
      std::fprintf(stderr, "import failed: %s\n",
                   report ? report->issues[0].message.c_str() : report.error().message.c_str());
      return 1;
    }
    // Baseline: the same number of rows, raw, in one transaction of the same database.
    (void)(*rt)->db->WriteSync([](storage::SqlSession& ss) {
      return ss.ExecScript("CREATE TABLE bench_raw (id INTEGER PRIMARY KEY, a TEXT, b TEXT, c INTEGER)");
    });
    auto t1 = Steady::now();
    Status st = (*rt)->db->WriteSync([&](storage::SqlSession& ss) -> Status {
      for (std::size_t i = 0; i < people; ++i) {
        LINLI_TRY(ss.ExecDeferred("INSERT INTO bench_raw (id, a, b, c) VALUES ($1, $2, $3, $4)",
                                  {storage::Int(static_cast<std::int64_t>(i + 1)), storage::Text("王秀英"),
                                   storage::Text("v1:abcdefghijklmnopqrstuvwxyz0123456789"), storage::Int(20261122)}));
      }
      return Ok();
    });
    double raw_s = Seconds(t1);
    if (!st) std::fprintf(stderr, "baseline failed: %s\n", st.error().message.c_str());
    rows.push_back({"CSV import, residents/s (SQLite, encrypted, indexed)", people / import_s, "/s", people / raw_s,
                    ">= 33,333/s (1M in 30 s)"});
    std::fprintf(stderr, "imported %zu residents in %.1f s (raw inserts: %.1f s)\n", people, import_s, raw_s);
    rt->reset();
    std::filesystem::remove_all(dir);
  }

  std::printf("\n| benchmark | Linli | baseline | ratio | target |\n|---|---:|---:|---:|---|\n");
  for (const auto& r : rows) {
    std::printf("| %s | %.0f%s | %.0f%s | %.2f | %s |\n", r.name.c_str(), r.value, r.unit.c_str(), r.baseline,
                r.unit.c_str(), r.value / r.baseline, r.target.c_str());
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
