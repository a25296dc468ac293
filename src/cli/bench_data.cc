// `linli bench-data --scale community|subdistrict|district|city`: a synthetic region for the
// benchmarks, deterministic from a seed, written into whatever database the flags name.
//
// - The org tree and its boundaries go in directly (rectangles tiling their parent, so the
//   placement rules hold by construction), as do the buildings.
// - Residents go through the roster import (the same validation, encryption, households, tags and
//   history as a community's own Excel file), a few thousand buildings at a time, the next files
//   checked while the writer writes.
// - A year of cases is written directly, in the order they were reported, each case walked
//   through the workflow's own rules (domain::ApplyCaseAction) so its states, levels and events
//   are ones Linli could have made; deadlines come from the working calendar. The cockpit's
//   counts of the cases are summed per grid as the cases are made, through the same rule that
//   keeps them current (domain::CaseCounts), added up the tree on the other core while the writer
//   builds the indexes (RollupRepo::SumUpTheTree) and written after (AddSummed); the buildings,
//   residents and households count themselves as written.
// - Into a SQLite file that did not exist, the load goes without a journal (sqlite_driver.cc);
//   FinishLoad at the end makes it durable and usable.
#include <algorithm>
#include <chrono>
#include <cmath>
#include <numbers>
#include <cstdio>
#include <deque>
#include <future>
#include <iostream>
#include <mutex>
#include <random>
#include <semaphore>
#include <unordered_map>

#include "cli/commands.h"
#include "cli/demo_population.h"
#include "core/chinese_text.h"
#include "core/json_text.h"
#include "domain/case_counts.h"
#include "domain/case_workflow.h"
#include "domain/identity.h"
#include "storage/bulk_load.h"
#include "storage/case_repo.h"
#include "storage/org_repo.h"
#include "storage/registry_repo.h"

namespace linli::cli {

namespace {

using domain::CaseAction;
using domain::NodeType;
using service::Caller;
using storage::SqlSession;

constexpr Millis kMinute = 60000, kHour = 60 * kMinute, kDay = 24 * kHour;

struct Scale {
  const char* name;
  int districts;  // 0: the subdistricts are the roots
  int subdistricts;
  int communities;  // in all
  int grids;        // in all
  int micro_grids;  // in all
  std::int64_t residents;
  std::int64_t cases;  // over one year
};

// The scales of the city-scale issue: a community, a subdistrict, a district, a city. A district
// is one district node (区) over its subdistricts; a city ten, as a real city's platform is
// 市 → 区 → 街道 (a city official's cockpit lists its districts, a district's its subdistricts).
constexpr Scale kScales[] = {
    {"community", 0, 1, 1, 12, 30, 50'000, 4'000},
    {"subdistrict", 0, 1, 57, 304, 0, 300'000, 200'000},
    {"district", 1, 10, 400, 4'000, 0, 2'000'000, 1'000'000},
    {"city", 10, 100, 3'000, 100'000, 0, 20'000'000, 10'000'000},
};

// A progress line on stderr with the share done and the time left, redrawn at most 5 times a second.
class Progress {
 public:
  Progress(std::string label, std::int64_t total) : label_(std::move(label)), total_(std::max<std::int64_t>(1, total)) {}
  void Set(std::int64_t done, bool finished = false) {
    auto now = std::chrono::steady_clock::now();
    if (!finished && now - drawn_ < std::chrono::milliseconds(200)) return;
    drawn_ = now;
    double share = std::clamp(static_cast<double>(done) / total_, 0.0, 1.0);
    double spent = std::chrono::duration<double>(now - start_).count();
    double left = share > 0 ? spent / share - spent : 0;
    int bars = static_cast<int>(share * 30);
    // While it runs, the time spent and left; once finished, the phase's time to a tenth of a
    // second, to compare runs.
    char clock_text[48];
    if (finished) {
      std::snprintf(clock_text, sizeof clock_text, "%.1f s", spent);
    } else {
      std::snprintf(clock_text, sizeof clock_text, "%.0f s, %.0f s left", spent, left);
    }
    std::fprintf(stderr, "\r%-10s [%s%s] %5.1f%% %lld/%lld · %-22s", label_.c_str(), std::string(bars, '#').c_str(),
                 std::string(30 - bars, '.').c_str(), share * 100, static_cast<long long>(done),
                 static_cast<long long>(total_), clock_text);
  }
  double Finish(std::int64_t done) {
    Set(done, true);
    std::fputc('\n', stderr);
    return std::chrono::duration<double>(std::chrono::steady_clock::now() - start_).count();
  }

 private:
  std::string label_;
  std::int64_t total_;
  std::chrono::steady_clock::time_point start_ = std::chrono::steady_clock::now(), drawn_{};
};

// A rectangle of the map, cut into a near-square grid of `n` cells.
struct Box {
  double west, south, east, north;
  std::vector<Box> Split(int n) const {
    int cols = std::max(1, static_cast<int>(std::ceil(std::sqrt(n * (east - west) / (north - south)))));
    int rows = (n + cols - 1) / cols;
    std::vector<Box> out;
    for (int i = 0; i < n; ++i) {
      int r = i / cols, c = i % cols;
      int in_row = r == rows - 1 ? n - r * cols : cols;  // the last row's cells widen to fill it
      double w = (east - west) / in_row, h = (north - south) / rows;
      out.push_back({west + c * w, south + r * h, west + (c + 1) * w, south + (r + 1) * h});
    }
    return out;
  }
  std::string GeoJson() const { return RectangleGeoJson(west, south, east, north); }
};

struct Node {
  domain::OrgNode row;
  Box box;
};

// n split as evenly as possible into `parts` (the first ones one larger).
int Share(int n, int parts, int i) { return n / parts + (i < n % parts ? 1 : 0); }

std::string Digits(int v, int width) {
  std::string s = std::to_string(v);
  return std::string(std::max(0, width - static_cast<int>(s.size())), '0') + s;
}

// A batch of generated cases with their events, handed to the writer whole.
struct CaseBatch {
  std::vector<storage::CaseRow> rows;
  std::vector<storage::CaseEventRow> events;
  std::vector<std::size_t> first_event;  // rows[i]'s events are events[first_event[i] .. first_event[i + 1])
};

// A tracking code no other case has: five random letters, then the case's number in base 31.
std::string TrackingCode(std::mt19937_64& rng, std::int64_t n) {
  static constexpr std::string_view kAlphabet = "23456789ABCDEFGHJKMNPQRSTUVWXYZ";
  std::string code;
  for (int i = 0; i < 5; ++i) code += kAlphabet[rng() % kAlphabet.size()];
  std::string tail;
  for (int i = 0; i < 5; ++i, n /= 31) tail += kAlphabet[n % 31];
  return code + std::string(tail.rbegin(), tail.rend());
}

}  // namespace

const std::vector<std::string_view>& BenchDataTables() {
  // The registry's tables (a first load's: its residents are roster files) and the cases'.
  static const std::vector<std::string_view> tables = [] {
    auto t = service::ImportService::RegistryTables();
    t.insert(t.end(), {"cases", "case_events"});
    return t;
  }();
  return tables;
}

namespace {

// The tables a generated region's rows are in: the org tree, buildings, the tables the load fills
// (residents with their households, tags and history, cases with their events) and the cockpit's
// counts (not the full-text index's own tables). Counted before and after, so the rows/s figure
// is what the database holds, not what the generator meant to write.
Result<std::int64_t> RowsOfARegion(service::Services& s) {
  std::string sql = "SELECT (SELECT count(*) FROM org_nodes) + (SELECT count(*) FROM buildings) + "
                    "(SELECT count(*) FROM node_counts)";
  for (auto t : BenchDataTables()) sql += " + (SELECT count(*) FROM " + std::string(t) + ")";
  return storage::ReadValue<std::int64_t>(s.db, [&](SqlSession& ss) -> Result<std::int64_t> {
    LINLI_ASSIGN_OR_RETURN(auto rows, ss.Query(sql));
    return rows.at(0).Int(0);
  });
}

}  // namespace

int RunBenchData(service::Services& s, const std::string& scale_name, std::uint64_t seed) {
  const Scale* scale = nullptr;
  for (const auto& sc : kScales) {
    if (scale_name == sc.name) scale = &sc;
  }
  if (!scale) return Report(Error::Invalid("scale", "scale is community, subdistrict, district or city"));
  const Caller cli = Caller::Cli();
  std::mt19937_64 rng(seed);
  Millis now = s.clock.NowMillis();
  auto started = std::chrono::steady_clock::now();

  // ---- the org tree and its boundaries -------------------------------------------------------
  if (auto existing = s.org.GetByCode(cli, "320582" + Digits(1, 3)); existing) {
    return Report(Error::Exists("scale", "this database has a generated region already; use an empty one"));
  }
  auto rows_before = RowsOfARegion(s);
  if (!rows_before) return Report(rows_before.error());
  std::vector<Node> districts, subdistricts, communities, grids, micro_grids;
  const Box region{120.40, 31.40, 120.40 + 0.02 * std::sqrt(scale->grids) * 1.3, 31.40 + 0.015 * std::sqrt(scale->grids)};
  // Districts 320582, 320583, …; their subdistricts their code and a street number, so the first
  // subdistrict is 320582001 at every scale. Without districts, the region itself (county 320582)
  // is the one parent the subdistricts are numbered and tiled under; it is not written.
  auto district_boxes = region.Split(scale->districts);
  for (int d = 0; d < scale->districts; ++d) {
    districts.push_back({{.type = NodeType::kDistrict, .code = std::to_string(320582 + d),
                          .name = "基准" + std::to_string(d + 1) + "区", .created_at = now},
                         district_boxes[d]});
  }
  const std::vector<Node> counties = districts.empty() ? std::vector<Node>{{{.code = "320582"}, region}} : districts;
  std::vector<std::size_t> subdistrict_parent;
  for (std::size_t d = 0; d < counties.size(); ++d) {
    int n = Share(scale->subdistricts, static_cast<int>(counties.size()), static_cast<int>(d));
    auto boxes = counties[d].box.Split(n);
    for (int i = 0; i < n; ++i) {
      subdistricts.push_back({{.type = NodeType::kSubdistrict, .code = counties[d].row.code + Digits(i + 1, 3),
                               .name = "基准" + std::to_string(subdistricts.size() + 1) + "街道", .created_at = now},
                              boxes[i]});
      subdistrict_parent.push_back(d);
    }
  }
  for (int i = 0; i < scale->subdistricts; ++i) {
    int n = Share(scale->communities, scale->subdistricts, i);
    auto boxes = subdistricts[i].box.Split(n);
    for (int c = 0; c < n; ++c) {
      communities.push_back({{.type = NodeType::kCommunity, .code = subdistricts[i].row.code + Digits(c + 1, 3),
                              .name = subdistricts[i].row.name.substr(0, subdistricts[i].row.name.size() - 6) + "第" +
                                      std::to_string(c + 1) + "社区",
                              .created_at = now},
                             boxes[c]});
    }
  }
  std::vector<std::size_t> grid_parent, micro_parent;
  for (std::size_t i = 0; i < communities.size(); ++i) {
    int n = Share(scale->grids, static_cast<int>(communities.size()), static_cast<int>(i));
    auto boxes = communities[i].box.Split(n);
    for (int g = 0; g < n; ++g) {
      grids.push_back({{.type = NodeType::kGrid, .code = communities[i].row.code + Digits(g + 1, 3),
                        .name = "第" + std::to_string(g + 1) + "网格", .created_at = now},
                       boxes[g]});
      grid_parent.push_back(i);
    }
  }
  for (std::size_t i = 0; i < grids.size() && scale->micro_grids > 0; ++i) {
    int n = Share(scale->micro_grids, static_cast<int>(grids.size()), static_cast<int>(i));
    auto boxes = grids[i].box.Split(std::max(1, n));
    for (int m = 0; m < n; ++m) {
      micro_grids.push_back({{.type = NodeType::kMicroGrid, .code = grids[i].row.code + Digits(m + 1, 3),
                              .name = grids[i].row.name + std::to_string(m + 1) + "号微网格", .created_at = now},
                             boxes[m]});
      micro_parent.push_back(i);
    }
  }
  {
    std::int64_t total = static_cast<std::int64_t>(districts.size() + subdistricts.size() + communities.size() +
                                                   grids.size() + micro_grids.size());
    Progress bar("org tree", total);
    auto write_level = [&](std::vector<Node>& level, const std::vector<Node>* parents, const std::vector<std::size_t>* parent_of,
                           std::int64_t& done) -> Status {
      for (std::size_t from = 0; from < level.size(); from += 5000) {
        std::size_t to = std::min(level.size(), from + 5000);
        LINLI_TRY(s.db.WriteSync([&](SqlSession& ss) -> Status {
          for (std::size_t i = from; i < to; ++i) {
            auto& n = level[i];
            std::string parent_path;
            if (parents) {
              const auto& p = (*parents)[parent_of ? (*parent_of)[i] : 0].row;
              n.row.parent_id = p.id;
              parent_path = p.path;
            }
            LINLI_ASSIGN_OR_RETURN(n.row, storage::OrgRepo::Insert(ss, n.row, parent_path));
            double lon = (n.box.west + n.box.east) / 2, lat = (n.box.south + n.box.north) / 2;
            LINLI_TRY(storage::BoundaryRepo::Set(ss, n.row.id, n.box.GeoJson(), lon, lat, now));
          }
          return Ok();
        }));
        done += static_cast<std::int64_t>(to - from);
        bar.Set(done);
      }
      return Ok();
    };
    std::int64_t done = 0;
    std::vector<std::size_t> community_parent;
    for (int i = 0; i < scale->subdistricts; ++i) {
      for (int c = 0; c < Share(scale->communities, scale->subdistricts, i); ++c) community_parent.push_back(i);
    }
    Status st = write_level(districts, nullptr, nullptr, done);
    if (st) st = districts.empty() ? write_level(subdistricts, nullptr, nullptr, done)
                                   : write_level(subdistricts, &districts, &subdistrict_parent, done);
    if (st) st = write_level(communities, &subdistricts, &community_parent, done);
    if (st) st = write_level(grids, &communities, &grid_parent, done);
    if (st && !micro_grids.empty()) st = write_level(micro_grids, &grids, &micro_parent, done);
    if (!st) return Report(st.error());
    bar.Finish(done);
  }
  if (auto st = s.geo.Reload(); !st) return Report(st.error());
  // The rosters give some residents the subdistrict's own tag 志愿者.
  for (const auto& sub : subdistricts) {
    auto tag = service::Await<storage::CustomTagRow>([&](auto done) {
      s.registry.DefineCustomTag(cli, sub.row.id, "志愿者", "生成的基准数据", std::move(done));
    });
    if (!tag) return Report(tag.error());
  }

  // ---- buildings and residents ----------------------------------------------------------------
  // Residents live in the finest grids; ~2.8 people a household, 10 households a building.
  const std::vector<Node>& homes = micro_grids.empty() ? grids : micro_grids;
  constexpr int kHouseholdsPerBuilding = 10;
  std::int64_t buildings_total = std::max<std::int64_t>(homes.size(), scale->residents * 10 / 28 / kHouseholdsPerBuilding);
  std::vector<std::string> building_codes;
  std::vector<std::size_t> building_home;
  {
    Progress bar("buildings", buildings_total);
    std::vector<storage::BuildingRow> rows;
    for (std::int64_t b = 0; b < buildings_total; ++b) {
      std::size_t h = static_cast<std::size_t>(b % static_cast<std::int64_t>(homes.size()));
      const auto& home = homes[h];
      int nth = static_cast<int>(b / static_cast<std::int64_t>(homes.size())) + 1;
      storage::BuildingRow row;
      row.node_id = home.row.id;
      row.node_path = home.row.path;
      row.code = "B" + home.row.code.substr(4) + "-" + std::to_string(nth);  // unique across districts
      row.name = std::to_string(nth) + "栋";
      row.address = home.row.name + " " + row.code;
      std::uniform_real_distribution<double> x(home.box.west, home.box.east), y(home.box.south, home.box.north);
      row.lon = x(rng);
      row.lat = y(rng);
      row.floors = 6 + static_cast<int>(rng() % 27);
      row.units = 1 + static_cast<int>(rng() % 4);
      row.created_at = now;
      building_codes.push_back(row.code);
      building_home.push_back(h);
      rows.push_back(std::move(row));
    }
    for (std::size_t from = 0; from < rows.size(); from += 10000) {
      std::size_t to = std::min(rows.size(), from + 10000);
      Status st = s.db.WriteSync([&](SqlSession& ss) -> Status {
        for (std::size_t i = from; i < to; ++i) LINLI_TRY(storage::BuildingRepo::Insert(ss, rows[i]));
        return Ok();
      });
      if (!st) return Report(st.error());
      bar.Set(static_cast<std::int64_t>(to));
    }
    bar.Finish(buildings_total);
  }
  // The tables the residents and cases fill: their secondary indexes (and PostgreSQL's foreign
  // keys) are put back once, after the last case, instead of taking every row's key at a random
  // place (the keys the load itself looks up by, unique ones, stay) or checking every row's
  // parents with a query of its own (storage/bulk_load.h). Put back whatever happens: a failed
  // load into an existing file (written through the WAL) leaves it whole, only not fully
  // generated. (A new SQLite file is loaded without a journal and stays marked half-written
  // unless the load ends.)
  // The writer stays in bulk mode (SQLite: its large page cache) from the first resident to the
  // last case, and the roster imports' own scopes find it so and leave it: shrinking the cache after
  // each file made a city's next file read the unique indexes' pages back one at a time.
  // The unique indexes on random keys (residents' ID numbers, households' addresses: ~64 bytes a
  // resident between them, ~1.3 GB for a city's 20 M) once they outgrow SQLite's bulk page cache
  // (1 GiB) make every row read and write a random leaf of each. The generated files vouch for
  // those keys (new_to_register: no two files share a building or an ID number's county code), so
  // then they are suspended too, and built after the load like the others, which checks them. A
  // district's fit in the cache, and suspending them there saved the residents phase only what the
  // rebuild cost (performance.md).
  constexpr std::int64_t kUniqueKeyBytesPerResident = 64;
  const bool vouch_for_keys = s.db.dialect() == storage::Dialect::kSqlite &&
                              scale->residents * kUniqueKeyBytesPerResident > std::int64_t{s.db.options().bulk_cache_mib} << 20;
  std::vector<std::string> suspended;
  Status dropped = s.db.WriteSync([&](SqlSession& ss) -> Status {
    if (vouch_for_keys) {
      LINLI_ASSIGN_OR_RETURN(suspended, storage::UniqueIndexes(ss, {"residents_id_number", "households_address"}));
      LINLI_TRY(storage::Suspend(ss, suspended));
    }
    LINLI_ASSIGN_OR_RETURN(auto secondary, storage::SuspendForLoad(ss, BenchDataTables()));
    suspended.insert(suspended.end(), secondary.begin(), secondary.end());
    return ss.SetBulkWrite(storage::BulkWrite::kRows);
  }, storage::Batching::kAlone);
  if (!dropped) return Report(dropped.error());
  if (vouch_for_keys) {
    std::fprintf(stderr, "the residents' unique indexes on random keys suspended too: they outgrow the %d MiB page cache\n",
                 s.db.options().bulk_cache_mib);
  }
  struct PutBackAfterTheLoad {
    service::Services& s;
    std::vector<std::string>& definitions;
    bool built = false;
    Status Build() {
      if (built) return Ok();
      built = true;
      auto serving_again = [](SqlSession& ss) { return ss.SetBulkWrite(storage::BulkWrite::kNone); };
      if (definitions.empty()) return s.db.WriteSync(serving_again, storage::Batching::kAlone);
      bool keys_too = std::ranges::any_of(definitions, [](const std::string& d) { return d.starts_with("ALTER TABLE"); });
      Progress bar(keys_too ? "indexes+fk" : "indexes", static_cast<std::int64_t>(definitions.size()));
      Status st = s.db.WriteSync([&](SqlSession& ss) -> Status {
        LINLI_TRY(serving_again(ss));
        return storage::Reinstate(ss, definitions);
      }, storage::Batching::kAlone);
      if (st) bar.Finish(static_cast<std::int64_t>(definitions.size()));
      definitions.clear();
      return st;
    }
    ~PutBackAfterTheLoad() { (void)Build(); }
  } put_back{s, suspended};

  std::int64_t imported = 0;
  {
    Progress bar("residents", scale->residents);
    // The roster files: ~84,000 residents each, the first ones smaller (1/8, 1/4, 1/2 of that)
    // so the writer starts after a tenth of a second instead of waiting a second for a whole file
    // to be made and checked. A city's are bigger, a sixtieth of its buildings (~330,000
    // residents): each file's commit writes every page its rows dirtied, and the unique indexes'
    // random keys dirty nearly a page a row, so with 240 files the commits' writes were a fifth
    // of the writer's time (the residents phase 520 s, 64.9 GB written; 60 files: 468 s, 44.5 GB).
    const std::size_t buildings_per_file = std::clamp<std::size_t>(building_codes.size() / 60, 3000, 12000);
    std::vector<std::pair<std::size_t, std::size_t>> files;  // [from, to) in building_codes
    for (std::size_t from = 0, size = buildings_per_file / 8; from < building_codes.size(); from += size) {
      if (!files.empty()) size = std::min(size * 2, buildings_per_file);
      files.emplace_back(from, std::min(building_codes.size(), from + size));
    }
    std::mutex bar_mu;
    std::vector<std::int64_t> written_by_file(files.size());  // GUARDED_BY(bar_mu)
    // Files are made and checked two at a time (each check reads on every core), and a file's
    // slot frees as soon as its check is done, so the next file is checked while the writer
    // writes: the writer, which bounds this phase, never waits for a file once it has begun.
    // Waiting for a file's *write* before starting the next check left the writer idle for a
    // second between files.
    std::counting_semaphore<2> checking(2);
    auto import_file = [&](std::size_t file) -> Result<service::ImportReport> {
      bool checked = false;
      auto check_done = [&] {
        if (!checked) checking.release();
        checked = true;
      };
      auto [from, to] = files[file];
      std::vector<std::string> codes(building_codes.begin() + static_cast<std::ptrdiff_t>(from),
                                     building_codes.begin() + static_cast<std::ptrdiff_t>(to));
      // Each file's ID numbers start with a county code of their own, so no two files share one.
      auto roster = DemoRoster(codes, kHouseholdsPerBuilding, seed + from, "32" + Digits(1000 + static_cast<int>(file), 4));
      auto csv = tabular::WriteCsv(roster);
      roster.clear();
      service::ImportOptions options;
      options.new_to_register = vouch_for_keys;
      options.progress = [&](const char* phase, std::size_t done, std::size_t total) {
        if (std::string_view(phase) == "validate" && done == total) check_done();
        if (std::string_view(phase) != "write") return;
        std::lock_guard lock(bar_mu);
        written_by_file[file] = static_cast<std::int64_t>(done);
        std::int64_t written = 0;
        for (auto n : written_by_file) written += n;
        bar.Set(written);
      };
      auto report = s.imports.ImportResidents(cli, csv, tabular::Format::kCsv, options);
      check_done();
      return report;
    };
    auto take = [&](std::future<Result<service::ImportReport>>& file) -> Status {
      auto report = file.get();
      if (!report) return report.error();
      if (report->issue_count > 0) {
        return Error::Internal("the generated roster was refused at row " + std::to_string(report->issues[0].row) + ": " +
                               report->issues[0].message);
      }
      imported += static_cast<std::int64_t>(report->residents_created);
      return Ok();
    };
    // The files share no building and no ID number, so no check depends on another file's write.
    // At most three files are held at once (being checked, or checked and queued at the writer):
    // a city's 60 files must not all wait in memory for the writer.
    constexpr std::size_t kFilesHeld = 3;
    std::deque<std::future<Result<service::ImportReport>>> held;
    Status so_far = Ok();
    for (std::size_t file = 0; file < files.size() && so_far; ++file) {
      checking.acquire();
      held.push_back(std::async(std::launch::async, import_file, file));
      while (held.size() >= kFilesHeld && so_far) {
        so_far = take(held.front());
        held.pop_front();
      }
    }
    // Every file started is waited for, even after a failure: each refers to this frame.
    for (auto& file : held) {
      if (Status st = take(file); !st && so_far) so_far = st;
    }
    if (!so_far) return Report(so_far.error());
    bar.Finish(imported);
  }

  // ---- a year of cases --------------------------------------------------------------------------
  std::vector<domain::CategoryDefinition> categories;
  for (auto& c : s.cases.Categories()) {
    if (!c.group_code.empty()) categories.push_back(std::move(c));
  }
  auto calendar = s.cases.Calendar();
  // The cases' counts by grid path, summed while the writer writes the batch before (a recount
  // afterwards read every case again: 2 s of a subdistrict's 15).
  storage::RollupRepo::SumsByPath case_counts;
  {
    Progress bar("cases", scale->cases);
    static const char* kStaffChannels[] = {"patrol", "patrol", "micro_grid_clue", "visit", "hotline", "meeting"};
    std::uniform_real_distribution<double> unit(0, 1);
    auto minutes = [&](int lo, int hi) { return static_cast<Millis>(lo + static_cast<int>(rng() % (hi - lo + 1))) * kMinute; };
    // When each case was reported: a year back, more in summer (noise, water) and in the day's
    // working hours. Drawn first and sorted, so case ids grow with time as they do in a running
    // system, and each batch's events fall near the end of the events' time index, not all over it.
    std::vector<Millis> reported_times;
    reported_times.reserve(static_cast<std::size_t>(scale->cases));
    for (std::int64_t n = 0; n < scale->cases; ++n) {
      Millis day;
      for (;;) {
        double d = unit(rng) * 365;
        double season = 1 + 0.35 * std::sin((d / 365.0) * 2 * std::numbers::pi);
        if (unit(rng) * 1.35 < season) {
          day = now - static_cast<Millis>(d) * kDay;
          break;
        }
      }
      static const int kHours[] = {7, 8, 8, 9, 9, 9, 10, 10, 10, 11, 11, 14, 14, 15, 15, 16, 16, 17, 19, 20, 21};
      Millis reported = day - (day % kDay) + (kHours[rng() % std::size(kHours)] - 8) * kHour + minutes(0, 59);
      if (reported > now - kMinute) reported = now - minutes(1, 600);
      reported_times.push_back(reported);
    }
    std::sort(reported_times.begin(), reported_times.end());
    // On PostgreSQL the year's events go into their months' partitions, as a city's that has run
    // Linli for a year are, when the database held no events before.
    auto partitioned = storage::WriteAndWait<bool>(s.db, [&](SqlSession& ss) {
      return storage::CaseRepo::PartitionEventsSince(ss, reported_times.front(), now);
    });
    if (!partitioned) return Report(partitioned.error());
    if (!*partitioned && s.db.dialect() == storage::Dialect::kPostgres) {
      std::fprintf(stderr, "case_events_before holds events already: the generated year's go there too\n");
    }
    // The search form of a case's text, by text: the generator draws from a few phrases and place
    // names, and converting each case's anew (OpenCC) took a sixth of this phase.
    std::unordered_map<std::string, std::string> search_forms;
    auto search_form = [&](const std::string& text) -> const std::string& {
      auto it = search_forms.find(text);
      if (it == search_forms.end()) it = search_forms.emplace(text, SearchForm(text)).first;
      return it->second;
    };
    std::int64_t made = 0;
    // Each batch's commit writes every page it dirtied, and the cases' unique tracking codes are
    // random keys: at 5,000 a commit a city's 2,000 commits rewrote most of that index's leaves
    // each time (performance.md, "the city at 221 k rows/s").
    constexpr std::int64_t kPerTransaction = 50000;
    std::future<Status> in_flight;  // the batch the writer has
    while (made < scale->cases) {
      std::int64_t batch_end = std::min(scale->cases, made + kPerTransaction);
      struct Built {
        storage::CaseRow row;
        std::vector<storage::CaseEventRow> events;
      };
      std::vector<Built> built;
      for (std::int64_t n = made; n < batch_end; ++n) {
        Millis reported = reported_times[static_cast<std::size_t>(n)];
        const auto& home = homes[rng() % homes.size()];
        const auto& category = categories[rng() % categories.size()];
        Built b;
        auto& c = b.row;
        c.tracking_code = TrackingCode(rng, n);
        c.node_id = home.row.id;
        c.node_path = home.row.path;
        c.category_code = category.code;
        c.channel = unit(rng) < 0.45 ? "qr_code" : kStaffChannels[rng() % 6];
        c.priority = unit(rng) < 0.05 ? "urgent" : "normal";
        auto level = category.default_level;
        if (level == domain::HandlingLevel::kMicroGrid && home.row.type != NodeType::kMicroGrid) level = domain::HandlingLevel::kGrid;
        c.level = std::string(domain::HandlingLevelName(level));
        const auto& words = DemoCaseWords(category.group_code);
        c.description = words.empty() ? category.name : words[rng() % words.size()];
        c.address = home.row.name;
        std::uniform_real_distribution<double> x(home.box.west, home.box.east), y(home.box.south, home.box.north);
        c.lon = x(rng);
        c.lat = y(rng);
        c.search_text = search_form(c.description + " " + c.address);
        c.response_due_at = calendar->AddWorkingMinutes(reported, service::CaseDeadlineMinutes(category.response_minutes, c.priority));
        c.resolve_due_at = calendar->AddWorkingMinutes(reported, service::CaseDeadlineMinutes(category.resolve_minutes, c.priority));
        c.created_at = c.updated_at = reported;
        domain::CaseStatus status{.state = domain::CaseState::kReported, .level = level};
        b.events.push_back({.at = reported, .actor_kind = c.channel == "qr_code" ? "resident" : "staff", .action = "report",
                            .to_state = "reported", .to_level = c.level});
        Millis at = reported;
        // One step through the workflow's own rule; false once the step would lie in the future.
        auto step = [&](CaseAction action, Millis after, std::string note = "", std::string department = "") -> bool {
          if (at + after > now) return false;
          domain::CaseActionInput in;
          in.note = std::move(note);
          in.department = std::move(department);
          if (action == CaseAction::kReject) in.reject_reason = domain::RejectReason::kOutOfRemit;
          auto t = domain::ApplyCaseAction(status, action, in);
          if (!t) return false;
          at += after;
          storage::CaseEventRow e{.at = at, .actor_kind = "staff", .action = std::string(domain::CaseActionName(action)),
                                  .from_state = std::string(domain::CaseStateName(status.state)),
                                  .to_state = std::string(domain::CaseStateName(t->next.state)),
                                  .from_level = std::string(domain::HandlingLevelName(status.level)),
                                  .to_level = std::string(domain::HandlingLevelName(t->next.level)), .note = in.note};
          if (action == CaseAction::kAccept || action == CaseAction::kReject) c.responded_at = at;
          if (action == CaseAction::kDispatch) c.department = in.department;
          if (action == CaseAction::kResolve) {
            c.resolved_at = at;
            if (t->solved_at) c.solved_level = std::string(domain::HandlingLevelName(*t->solved_at));
          }
          if (action == CaseAction::kReject) c.reject_reason = "out_of_remit";
          status = t->next;
          b.events.push_back(std::move(e));
          return true;
        };
        double fate = unit(rng);
        if (fate < 0.06) {
          step(CaseAction::kReject, minutes(5, 240), "经核实不属于社区职责，已告知反映人");
        } else if (step(CaseAction::kAccept, minutes(5, 240))) {
          bool ok = true;
          if (fate > 0.80) ok = step(CaseAction::kEscalate, minutes(60, 1440), "网格内协调不了，需社区出面");
          if (ok && fate > 0.93) {
            ok = step(CaseAction::kDispatch, minutes(30, 600), "需职能部门处理", category.department.empty() ? "城管中队" : category.department) &&
                 step(CaseAction::kDeptAccept, minutes(30, 600));
          }
          Millis span = std::max<Millis>(c.resolve_due_at - at, kHour);
          Millis take = unit(rng) < 0.12 ? span + minutes(60, 4000) : static_cast<Millis>(span * (0.1 + 0.8 * unit(rng)));
          if (ok && step(CaseAction::kResolve, take, "已现场处理完毕")) {
            static const int kRatings[] = {5, 5, 5, 5, 4, 4, 4, 3, 2};
            if (unit(rng) < 0.8 && at + minutes(30, 2880) <= now) {
              at += minutes(30, 2880);
              c.rating = kRatings[rng() % 9];
              c.rated_at = at;
              c.rating_comment = c.rating >= 4 ? "很满意" : "处理得有点慢";
              b.events.push_back({.at = at, .actor_kind = "resident", .action = "rate", .from_state = "resolved",
                                  .to_state = "resolved", .from_level = std::string(domain::HandlingLevelName(status.level)),
                                  .to_level = std::string(domain::HandlingLevelName(status.level))});
              step(CaseAction::kClose, 0);
            } else if (c.resolved_at + service::kRatingWindow <= now) {
              step(CaseAction::kClose, service::kRatingWindow, "7天未评价，自动关闭");
            }
          }
        }
        c.state = std::string(domain::CaseStateName(status.state));
        c.level = std::string(domain::HandlingLevelName(status.level));
        if (status.state == domain::CaseState::kClosed || status.state == domain::CaseState::kRejected) c.closed_at = at;
        // Deadlines missed: those passed before the answer or the resolution (or by now, while open).
        Millis answered = c.responded_at ? c.responded_at : now;
        Millis solved = c.resolved_at ? c.resolved_at : (domain::IsOpen(status.state) ? now : 0);
        if (answered > c.response_due_at) c.overdue |= 1;
        if (solved > c.resolve_due_at) c.overdue |= 2;
        c.next_due_at = service::CaseNextDue(c);
        c.updated_at = at;
        auto& counts = case_counts[c.node_path];
        for (auto& [metric, value] : domain::CaseCounts(storage::CaseRepo::Facts(c))) counts[metric] += value;
        built.push_back(std::move(b));
      }
      // Handed to the writer whole, so the next batch is built while this one is written. Ids are
      // drawn in the job, so a re-run of the job (Database::RunOneByOne) draws them again.
      auto batch = std::make_shared<CaseBatch>();
      batch->rows.reserve(built.size());
      for (auto& b : built) {
        batch->first_event.push_back(batch->events.size());
        batch->rows.push_back(std::move(b.row));
        for (auto& e : b.events) batch->events.push_back(std::move(e));
      }
      batch->first_event.push_back(batch->events.size());
      if (in_flight.valid()) {
        if (Status st = in_flight.get(); !st) return Report(st.error());
        bar.Set(made);
      }
      auto written = std::make_shared<std::promise<Status>>();
      in_flight = written->get_future();
      s.db.Submit({[batch](SqlSession& ss) -> Status {
                     for (std::size_t i = 0; i < batch->rows.size(); ++i) {
                       LINLI_ASSIGN_OR_RETURN(batch->rows[i].id, ss.NextId("cases"));
                       for (std::size_t e = batch->first_event[i]; e < batch->first_event[i + 1]; ++e) {
                         LINLI_ASSIGN_OR_RETURN(batch->events[e].id, ss.NextId("case_events"));
                         batch->events[e].case_id = batch->rows[i].id;
                       }
                     }
                     LINLI_TRY(storage::CaseRepo::InsertMany(ss, batch->rows));
                     return storage::CaseRepo::AppendEvents(ss, batch->events);
                   },
                   [written](Status st) { written->set_value(std::move(st)); }, storage::Batching::kAlone});
      made = batch_end;
    }
    if (in_flight.valid()) {
      if (Status st = in_flight.get(); !st) return Report(st.error());
    }
    bar.Finish(made);
  }

  // ---- the cases' counts, added up the tree once ------------------------------------------------
  // Summed on the other core while the writer builds the indexes on its own (a city's 100,000
  // grids' ~400 metrics each), then written with the bulk page cache.
  std::future<Status> summed = std::async(std::launch::async, [&case_counts] {
    return storage::RollupRepo::SumUpTheTree(case_counts);
  });
  if (Status st = put_back.Build(); !st) return Report(st.error());
  {
    Progress bar("counts", 1);
    if (Status st = summed.get(); !st) return Report(st.error());
    Status st = s.db.WriteSync([&](SqlSession& ss) -> Status {
      storage::BulkWriteScope bulk(ss, storage::BulkWrite::kRows);
      return storage::RollupRepo::AddSummed(ss, case_counts);
    }, storage::Batching::kAlone);
    if (!st) return Report(st.error());
    bar.Finish(1);
  }
  // Fresh statistics for the planners: PostgreSQL's autovacuum would analyze the new tables only
  // after its next round, and until then guessed a community's 3,500 cases at a few hundred and
  // chose a bitmap scan and sort over the path index (a search within a subdistrict: 553 ms p50
  // instead of 2 ms). SQLite's planner uses what ANALYZE records as well; it samples each index
  // (analysis_limit) instead of reading all of a city's 25 GB, which took more than 10 minutes.
  {
    Progress bar("analyze", 1);
    Status st = s.db.WriteSync([](SqlSession& ss) {
      return ss.ExecScript(ss.dialect() == storage::Dialect::kSqlite ? "PRAGMA analysis_limit=2000; ANALYZE" : "ANALYZE");
    });
    if (!st) return Report(st.error());
    bar.Finish(1);
  }
  Status audited = s.db.WriteSync([&](SqlSession& ss) {
    return s.audit.Record(ss, cli, {.action = "bench.data", .node_path = (districts.empty() ? subdistricts : districts).front().row.path,
                                    .detail = JsonObject().Add("scale", scale->name).Add("seed", static_cast<std::int64_t>(seed)).Str()});
  });
  if (!audited) return Report(audited.error());
  auto rows_after = RowsOfARegion(s);
  if (!rows_after) return Report(rows_after.error());
  // Into a new SQLite file the load went without a journal: now it is durable and may be opened.
  if (Status finished = s.db.driver().FinishLoad(); !finished) return Report(finished.error());
  double seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - started).count();
  auto rows = static_cast<long long>(*rows_after - *rows_before);
  std::printf("%s: %zu districts, %zu subdistricts, %zu communities, %zu grids, %zu micro-grids, %lld buildings, %lld residents, %lld cases: "
              "%lld rows in %.1f s (%.0f rows/s)\n",
              scale->name, districts.size(), subdistricts.size(), communities.size(), grids.size(), micro_grids.size(),
              static_cast<long long>(buildings_total), static_cast<long long>(imported),
              static_cast<long long>(scale->cases), rows, seconds, static_cast<double>(rows) / seconds);
  return 0;
}

}  // namespace linli::cli
