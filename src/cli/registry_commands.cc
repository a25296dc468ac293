// `linli import`, `linli export`, `linli geo`, `linli org boundary`: the population registry from the
// command line, through the same services (and the same validation and audit) as the API.
#include <chrono>
#include <cstdio>
#include <fstream>
#include <iostream>
#include <mutex>
#include <sstream>

#include "cli/commands.h"

namespace linli::cli {

using service::Await;
using service::Caller;

namespace {

Result<std::string> ReadWholeFile(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) return Error::Invalid("file", "cannot read " + path);
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

Status WriteWholeFile(const std::string& path, const std::string& bytes) {
  std::ofstream out(path, std::ios::binary);
  out.write(bytes.data(), static_cast<std::streamsize>(bytes.size()));
  if (!out) return Error::Invalid("out", "cannot write " + path);
  return Ok();
}

tabular::Format FormatFromPath(const std::string& path, const std::string& bytes) {
  if (path.ends_with(".xlsx")) return tabular::Format::kXlsx;
  if (path.ends_with(".csv")) return tabular::Format::kCsv;
  return tabular::Sniff(bytes);
}

// A progress bar on stderr with rows per second and the time left; only on a terminal. A
// whole-file import reports its write from the writer's thread while its validation goes on:
// once the write has begun the bar follows it, the part left to wait for.
class ProgressBar {
 public:
  void operator()(const char* phase, std::size_t done, std::size_t total) {
    if (!isatty(2) || total == 0) return;
    std::lock_guard lock(mu_);
    if (phase_ == "write" && std::string_view(phase) != "write") return;
    auto now = std::chrono::steady_clock::now();
    if (phase != phase_) {
      phase_ = phase;
      started_ = now;
    }
    double secs = std::chrono::duration<double>(now - started_).count();
    double rate = secs > 0 ? done / secs : 0;
    double left = rate > 0 ? (total - done) / rate : 0;
    int width = 30, filled = static_cast<int>(width * done / total);
    std::fprintf(stderr, "\r%-8s [%s%s] %zu/%zu %3.0f%%  %.0f rows/s  %.0fs left  ", phase,
                 std::string(filled, '#').c_str(), std::string(width - filled, '.').c_str(), done, total,
                 100.0 * done / total, rate, left);
    if (done == total) std::fputc('\n', stderr);
  }

 private:
  std::mutex mu_;
  std::string phase_;  // GUARDED_BY(mu_)
  std::chrono::steady_clock::time_point started_;  // GUARDED_BY(mu_)
};

// The rows, then each problem (row, column, reason); 2 when there are any: nothing was imported.
int PrintImportIssues(const service::ImportReport& report, const std::string& file) {
  std::cout << "rows: " << report.rows << ", valid: " << report.valid << ", encoding: " << report.encoding << "\n";
  for (const auto& i : report.issues) {
    std::cout << "row " << i.row << ", " << i.column << ": " << i.message << "\n";
  }
  if (report.issue_count > report.issues.size()) {
    std::cout << "... and " << report.issue_count - report.issues.size() << " more problems\n";
  }
  if (report.issue_count == 0) return 0;
  std::cout << report.issue_count << " problems; nothing was imported from " << file << ". Fix the rows and run again.\n";
  return 2;
}

}  // namespace

std::function<bool()> AddRegistryCommands(CLI::App& app, CliContext& ctx) {
  struct Opts {
    std::string node, format = "csv", kind = "residents", out, reason, tag, geojson, since, until, label, description;
    std::vector<std::string> files;
    std::int64_t sweep = 0, id = 0;
    bool retired = false;
    bool dry_run = false, resumable = false, first_load = false, reveal = false;
    double lon = 0, lat = 0;
  };
  auto o = std::make_shared<Opts>();
  Runners runners;
  // What every import takes from its flags (--dry-run, and --node as the node's id), its progress
  // shown on `bar`.
  auto import_options = [](service::Services& s, const Opts& given, ProgressBar& bar) -> Result<service::ImportOptions> {
    service::ImportOptions options;
    options.progress = [&bar](const char* phase, std::size_t done, std::size_t total) { bar(phase, done, total); };
    options.dry_run = given.dry_run;
    options.resumable = given.resumable;
    if (!given.node.empty()) {
      LINLI_ASSIGN_OR_RETURN(auto node, ResolveNode(s, given.node));
      options.node_id = node.id;
    }
    return options;
  };

  auto* import = app.add_subcommand("import", "Import rosters from CSV or XLSX")->require_subcommand(1);
  auto* import_residents = import->add_subcommand(
      "residents", "Import households and residents (columns as in `linli import template`)");
  // Every file checked to be there before the first is imported: a misspelt name halfway through
  // a first load would otherwise end it with the registry no longer empty.
  import_residents->add_option("files", o->files, ".csv (UTF-8 or GBK) or .xlsx files, imported one after another")
      ->required()
      ->check(CLI::ExistingFile);
  import_residents->add_option("--node", o->node, "Accept only buildings under this node (code or id)");
  auto* dry_run = import_residents->add_flag("--dry-run", o->dry_run, "Validate and report; write nothing");
  auto* resumable = import_residents->add_flag(
      "--resumable", o->resumable, "Commit every 10,000 rows; run again with the same file to continue after an interruption");
  import_residents->add_flag("--first-load", o->first_load,
                             "Into an empty registry, before it goes live: the registry's indexes on ID numbers, "
                             "addresses and phone numbers (and PostgreSQL's foreign keys) are built once after the "
                             "last file instead of row by row; the files' ID "
                             "numbers and addresses are checked across them in memory, so a household's members "
                             "come in one file. On SQLite, with no other process holding the database, its pages "
                             "are written once, through a rollback journal instead of the WAL")
      ->excludes(dry_run)
      ->excludes(resumable);
  runners.emplace_back(import_residents, [&ctx, o, import_options] {
    auto& s = ctx.services();
    ProgressBar bar;
    auto given = import_options(s, *o, bar);
    if (!given) return Report(given.error());
    service::ImportOptions options = std::move(*given);
    auto import_file = [&](const std::string& file) -> int {
      auto bytes = ReadWholeFile(file);
      if (!bytes) return Report(bytes.error());
      if (o->files.size() > 1) std::cout << file << ":\n";
      auto report = s.imports.ImportResidents(Caller::Cli(), *bytes, FormatFromPath(file, *bytes), options);
      if (!report) return Report(report.error());
      if (int code = PrintImportIssues(*report, file); code != 0) return code;
      if (report->dry_run) {
        std::cout << "dry run: the file is valid; nothing was written\n";
        return 0;
      }
      std::cout << "imported " << report->residents_created << " residents in " << report->households_created
                << " new households";
      if (report->already_imported) std::cout << " (resumed after " << report->already_imported << " rows)";
      if (report->likely_duplicates) std::cout << "; " << report->likely_duplicates << " flagged as likely duplicates";
      std::cout << " (import run " << report->run_id << ")\n";
      return 0;
    };
    service::FirstLoad load;
    if (o->first_load) {
      auto begun = s.imports.BeginFirstLoad(Caller::Cli());
      if (!begun) return Report(begun.error());
      load = std::move(*begun);
      options.first_load = &load;
    }
    // The first file refused ends the run; the files before it stay imported.
    int code = 0;
    for (const auto& file : o->files) {
      if ((code = import_file(file)) != 0) break;
    }
    if (o->first_load) {
      std::cerr << "building the registry's " << load.suspended.size() << " indexes and keys...\n";
      if (auto st = s.imports.EndFirstLoad(load); !st) {
        std::cerr << "error: " << st.error().message << "\n(`linli serve` tries again; `linli check` lists them)\n";
        return 1;
      }
    }
    return code;
  });

  // Buildings and the org tree from files, one after another, each all or nothing; what a file
  // holds that is registered already as written is skipped, so a run stopped half-way is run again.
  using SkippingImport = Result<service::ImportReport> (service::ImportService::*)(
      const Caller&, std::string_view, tabular::Format, const service::ImportOptions&);
  auto add_skipping_import = [&](const char* name, const char* help, const char* node_help, SkippingImport import_fn,
                                 std::size_t service::ImportReport::*created, const char* noun) {
    auto* cmd = import->add_subcommand(name, help);
    cmd->add_option("files", o->files, ".csv (UTF-8 or GBK) or .xlsx files, imported one after another")
        ->required()
        ->check(CLI::ExistingFile);
    cmd->add_option("--node", o->node, node_help);
    cmd->add_flag("--dry-run", o->dry_run, "Validate and report; write nothing");
    runners.emplace_back(cmd, [&ctx, o, import_options, import_fn, created, noun] {
      auto& s = ctx.services();
      ProgressBar bar;
      auto given = import_options(s, *o, bar);
      if (!given) return Report(given.error());
      service::ImportOptions options = std::move(*given);
      for (const auto& file : o->files) {
        auto bytes = ReadWholeFile(file);
        if (!bytes) return Report(bytes.error());
        if (o->files.size() > 1) std::cout << file << ":\n";
        auto report = (s.imports.*import_fn)(Caller::Cli(), *bytes, FormatFromPath(file, *bytes), options);
        if (!report) return Report(report.error());
        if (int code = PrintImportIssues(*report, file); code != 0) return code;
        if (report->dry_run) {
          std::cout << "dry run: the file is valid; nothing was written\n";
          continue;
        }
        std::cout << "imported " << (*report).*created << " " << noun;
        if (report->already_imported) std::cout << " (" << report->already_imported << " registered already, skipped)";
        std::cout << "\n";
      }
      return 0;
    });
  };
  // A city's districts, streets, communities and grids, then their buildings, then the residents.
  add_skipping_import("org", "Import org nodes (columns as in `linli import template --kind org`; parents from the codes)",
                      "Accept only nodes under this node (code or id)", &service::ImportService::ImportOrgNodes,
                      &service::ImportReport::nodes_created, "org nodes");
  add_skipping_import("buildings", "Import buildings (columns as in `linli import template --kind buildings`)",
                      "Accept only grids under this node (code or id)", &service::ImportService::ImportBuildings,
                      &service::ImportReport::buildings_created, "buildings");

  auto* import_template = import->add_subcommand("template", "Write a roster template with its Chinese column headers");
  import_template->add_option("--kind", o->kind, "residents, buildings or org")
      ->check(CLI::IsMember({"residents", "buildings", "org"}))
      ->capture_default_str();
  import_template->add_option("--format", o->format, "csv or xlsx")->capture_default_str();
  import_template->add_option("--out", o->out, "File to write")->required();
  runners.emplace_back(import_template, [&ctx, o] {
    auto format = tabular::ParseFormat(o->format);
    if (!format) return Report(format.error());
    auto file = ctx.services().imports.Template(*format, o->kind == "buildings" ? service::RosterKind::kBuildings
                                                         : o->kind == "org"     ? service::RosterKind::kOrg
                                                                                : service::RosterKind::kResidents);
    if (!file) return Report(file.error());
    if (auto st = WriteWholeFile(o->out, file->bytes); !st) return Report(st.error());
    std::cout << "wrote " << o->out << "\n";
    return 0;
  });

  auto* exp = app.add_subcommand("export", "Export rosters to CSV or XLSX (masked unless --reveal with --reason)")
                  ->require_subcommand(1);
  // Every export takes the same node, format, file and reveal options, and reports the same way.
  auto export_command = [&](const char* name, const char* help,
                            std::function<Result<service::ExportFile>(service::Services&, std::int64_t node,
                                                                      tabular::Format)> make) {
    auto* cmd = exp->add_subcommand(name, help);
    cmd->add_option("--node", o->node, "Org node (code or id)")->required();
    cmd->add_option("--format", o->format, "csv or xlsx")->capture_default_str();
    cmd->add_option("--out", o->out, "File to write")->required();
    cmd->add_flag("--reveal", o->reveal, "Write ID numbers, phones and rooms in the clear (audited)");
    cmd->add_option("--reason", o->reason, "Why the export is unmasked (required with --reveal)");
    runners.emplace_back(cmd, [&ctx, o, name, make] {
      auto& s = ctx.services();
      auto format = tabular::ParseFormat(o->format);
      if (!format) return Report(format.error());
      auto node = ResolveNode(s, o->node);
      if (!node) return Report(node.error());
      auto file = make(s, node->id, *format);
      if (!file) return Report(file.error());
      if (auto st = WriteWholeFile(o->out, file->bytes); !st) return Report(st.error());
      std::cout << "wrote " << file->rows << " " << name << " to " << o->out << (o->reveal ? " (unmasked)" : " (masked)")
                << "\n";
      return 0;
    });
    return cmd;
  };
  auto* export_residents = export_command("residents", "Export residents", [o](auto& s, std::int64_t node, auto format) {
    service::ResidentFilter f;
    f.node_id = node;
    if (!o->tag.empty()) f.tag = o->tag;
    return s.imports.ExportResidents(Caller::Cli(), f, format, o->reveal, o->reason);
  });
  export_residents->add_option("--tag", o->tag, "Only residents with this tag (e.g. 独居, elderly)");
  export_command("households", "Export households with their head and size", [o](auto& s, std::int64_t node, auto format) {
    return s.imports.ExportHouseholds(Caller::Cli(), node, std::nullopt, format, o->reveal, o->reason);
  });
  auto* export_visits = export_command("visits", "Export household visits, newest first",
                                       [o](auto& s, std::int64_t node, auto format) -> Result<service::ExportFile> {
    storage::VisitListQuery q;
    if (o->sweep) q.sweep_id = o->sweep;
    LINLI_ASSIGN_OR_RETURN(auto days, domain::ChinaDayRange(o->since, o->until));
    std::tie(q.since, q.until) = days;
    return s.imports.ExportVisits(Caller::Cli(), node, q, format, o->reveal, o->reason);
  });
  export_visits->add_option("--sweep", o->sweep, "Only visits of this sweep campaign (id)");
  export_visits->add_option("--since", o->since, "First day (YYYY-MM-DD, China time)");
  export_visits->add_option("--until", o->until, "Last day, included");

  auto* tags = app.add_subcommand("tags", "A community's own tags (beside the standard ones)")->require_subcommand(1);
  auto* tags_list = tags->add_subcommand("list", "The custom tags in use at a node (its own and its ancestors')");
  tags_list->add_option("--node", o->node, "Org node (code or id)")->required();
  tags_list->add_flag("--retired", o->retired, "Include retired tags");
  runners.emplace_back(tags_list, [&ctx, o] {
    auto& s = ctx.services();
    auto node = ResolveNode(s, o->node);
    if (!node) return Report(node.error());
    auto list = s.registry.CustomTags(Caller::Cli(), node->id, o->retired);
    if (!list) return Report(list.error());
    for (const auto& t : *list) {
      std::cout << t.id << "\t" << t.label << "\t" << t.description << (t.retired_at ? "\t(retired)" : "") << "\n";
    }
    return 0;
  });
  auto* tags_add = tags->add_subcommand("add", "Define a tag for a community or the subdistrict");
  tags_add->add_option("--node", o->node, "Community or subdistrict (code or id)")->required();
  tags_add->add_option("--label", o->label, "The tag, up to 20 characters (e.g. 新就业群体)")->required();
  tags_add->add_option("--description", o->description, "What it means");
  runners.emplace_back(tags_add, [&ctx, o] {
    auto& s = ctx.services();
    auto node = ResolveNode(s, o->node);
    if (!node) return Report(node.error());
    auto t = Await<storage::CustomTagRow>([&](auto done) {
      s.registry.DefineCustomTag(Caller::Cli(), node->id, o->label, o->description, std::move(done));
    });
    if (!t) return Report(t.error());
    std::cout << t->id << "\t" << t->label << "\n";
    return 0;
  });
  auto* tags_retire = tags->add_subcommand("retire", "Stop giving a tag (residents who have it keep it)");
  tags_retire->add_option("id", o->id, "The tag's id (from tags list)")->required();
  runners.emplace_back(tags_retire, [&ctx, o] {
    auto t = Await<storage::CustomTagRow>([&](auto done) {
      ctx.services().registry.RetireCustomTag(Caller::Cli(), o->id, std::move(done));
    });
    if (!t) return Report(t.error());
    std::cout << "retired " << t->label << "\n";
    return 0;
  });

  auto* geo = app.add_subcommand("geo", "Grid boundaries and the point → grid lookup")->require_subcommand(1);
  auto* locate = geo->add_subcommand("locate", "Which grid a point lies in");
  locate->add_option("lon", o->lon)->required();
  locate->add_option("lat", o->lat)->required();
  runners.emplace_back(locate, [&ctx, o] {
    auto& s = ctx.services();
    if (auto st = domain::ValidateLonLat(o->lon, o->lat); !st) return Report(st.error());
    auto hit = s.geo.Locate({o->lon, o->lat});
    if (!hit) return Report(Error::NotFound("the point lies in no grid"));
    auto node = s.org.Get(Caller::Cli(), hit->node_id);
    if (!node) return Report(node.error());
    std::cout << node->id << "\t" << node->code << "\t" << node->name;
    if (hit->distance_m > 0) std::cout << "\t(" << static_cast<int>(hit->distance_m) << " m outside its boundary)";
    std::cout << "\n";
    return 0;
  });
  auto* boundary = geo->add_subcommand("set-boundary", "Set a node's boundary from a GeoJSON file");
  boundary->add_option("node", o->node, "Org node (code or id)")->required();
  boundary->add_option("file", o->geojson, "GeoJSON Polygon, MultiPolygon or Feature")->required();
  runners.emplace_back(boundary, [&ctx, o] {
    auto& s = ctx.services();
    auto node = ResolveNode(s, o->node);
    if (!node) return Report(node.error());
    auto text = ReadWholeFile(o->geojson);
    if (!text) return Report(text.error());
    auto r = Await<domain::OrgNode>([&](auto done) { s.geo.SetBoundary(Caller::Cli(), node->id, *text, std::move(done)); });
    if (!r) return Report(r.error());
    std::cout << "boundary of " << node->name << " set\n";
    return 0;
  });

  auto* boundaries = geo->add_subcommand(
      "set-boundaries", "Set many nodes' boundaries from a GeoJSON FeatureCollection (properties.code names each node)");
  boundaries->add_option("file", o->geojson, "GeoJSON FeatureCollection")->required()->check(CLI::ExistingFile);
  runners.emplace_back(boundaries, [&ctx, o] {
    auto text = ReadWholeFile(o->geojson);
    if (!text) return Report(text.error());
    auto set = ctx.services().geo.SetBoundaries(Caller::Cli(), *text);
    if (!set) return Report(set.error());
    std::cout << "set " << *set << " boundaries\n";
    return 0;
  });

  return RunParsed(std::move(runners), ctx);
}

}  // namespace linli::cli
