// Rosters in and out of Excel: import households and residents from CSV/XLSX with Chinese column
// headers, export residents to CSV/XLSX.
//
// An import validates every row and reports each bad one (row number, column, reason). Nothing
// is written when any row is bad, nor on a dry run. By default the whole file commits in one
// transaction (on SQLite its write begins beside the validation with the rows that have passed,
// and rolls back should a later row fail); a resumable import is validated whole first, then
// commits in chunks and records its progress, so running it again with the same file after an
// interruption continues where it stopped.
#pragma once

#include <array>
#include <functional>
#include <optional>
#include <string>
#include <vector>

#include "core/position_index.h"
#include "core/tabular.h"
#include "service/access_epoch.h"
#include "service/audit_service.h"
#include "service/caller.h"
#include "service/fieldwork_service.h"
#include "service/registry_service.h"
#include "storage/case_repo.h"
#include "storage/database.h"

namespace linli::service {

// A first load in progress, from BeginFirstLoad to EndFirstLoad: what it suspended, and the keys
// its files have registered so far. The registry was empty when it began and the unique indexes on
// ID numbers and addresses are suspended with the rest, so each file's ID numbers and addresses are
// checked against these instead of the register (through those indexes: scans without them).
struct FirstLoad {
  std::vector<std::string> suspended;
  StringSet id_indexes;  // blind indexes of the ID numbers registered
  StringSet addresses;   // address indexes of the households registered
};

struct ImportOptions {
  bool dry_run = false;
  bool resumable = false;
  std::optional<std::int64_t> node_id;  // only buildings under this node are accepted
  std::size_t max_rows = 2'000'000;
  std::size_t chunk_rows = 10'000;      // resumable imports commit this many rows at a time
  // The caller vouches that none of the file's ID numbers and addresses is registered (bench-data's
  // generated files: buildings and an ID-number county code of their own each), so the import does
  // not look them up in the register and may run while their unique indexes are suspended; building
  // those again after the load checks them. Only the system (the CLI) may.
  bool new_to_register = false;
  // The first load this file belongs to (the CLI's --first-load): its ID numbers and addresses are
  // checked against the load's earlier files, and a committed file's are added to them. A
  // household's members come in one file: an address an earlier file registered is refused.
  FirstLoad* first_load = nullptr;
  // (phase "validate" or "write", rows done, rows total). "validate" comes from the importing
  // thread; "write" from the writer's thread, on SQLite while the validation goes on.
  std::function<void(const char* phase, std::size_t done, std::size_t total)> progress;
};

struct ImportIssue {
  std::size_t row = 0;     // 1-based row number in the file, as a spreadsheet shows it
  std::string column;      // the header as written in the file ("身份证号")
  std::string field;       // the API field name ("id_number")
  std::string message;
};

struct ImportReport {
  std::size_t rows = 0;            // data rows in the file
  std::size_t valid = 0;
  // Rows a resumed residents import skipped; for buildings, rows whose building is registered
  // already with the same code, name and node.
  std::size_t already_imported = 0;
  std::size_t households_created = 0;
  std::size_t residents_created = 0;
  std::size_t likely_duplicates = 0;
  std::size_t buildings_created = 0;  // a buildings import
  std::size_t nodes_created = 0;      // an org tree import
  std::string encoding;
  bool dry_run = false;
  bool committed = false;
  std::size_t issue_count = 0;
  std::vector<ImportIssue> issues;  // the first 1,000
  std::int64_t run_id = 0;
};

struct ExportFile {
  std::string bytes;
  std::string filename;
  std::string content_type;
  std::size_t rows = 0;
};

// The roster columns, in template order: Chinese header, API field name, a sample value.
struct RosterColumn {
  std::string_view header;
  std::string_view field;
  std::string_view sample;
};
const std::vector<RosterColumn>& RosterColumns();
// The buildings roster's columns (楼栋编号, 楼栋名称, 所属网格编码, 地址, 经度, 纬度, 层数, 单元数).
const std::vector<RosterColumn>& BuildingColumns();
// The org tree's columns (编码, 类型, 名称): a node's parent is its code less the last three digits.
const std::vector<RosterColumn>& OrgColumns();

enum class RosterKind { kResidents, kBuildings, kOrg };

class ImportService {
 public:
  ImportService(storage::Database& db, const Clock& clock, AuditService& audit, RegistryService& registry,
                AccessEpoch& epoch)
      : db_(db), clock_(clock), audit_(audit), registry_(registry), epoch_(epoch) {}

  Result<ImportReport> ImportResidents(const Caller& who, std::string_view bytes, tabular::Format format,
                                       const ImportOptions& options);
  // A first load of an empty registry (a city's, one file per subdistrict, before it goes live):
  // BeginFirstLoad suspends the registry's indexes on blind indexes (ID numbers, addresses, phone
  // numbers: random keys, so each row's would land at a random place) and, on PostgreSQL, its
  // foreign keys (storage/bulk_load.h), so rows are not checked against their parents one query
  // at a time; ImportResidents then imports each file as usual (each its own transaction);
  // EndFirstLoad builds those indexes once and adds the keys back, which checks every row (on
  // PostgreSQL it then analyses the tables). The other indexes stay and take each row's key at
  // their end. The unique indexes' keys are checked in memory meanwhile (FirstLoad,
  // ImportOptions::first_load), and building them again checks them all once more.
  // Measured with registry_bench --first-load (docs/performance.md). Only the system (the CLI)
  // may, and only while no resident or household is registered: a look-up by ID number, address or
  // phone number is a scan meanwhile.
  // What was suspended is recorded in the database, so a load killed half-way is put right by the
  // next `linli serve` (server::PutBackSuspended).
  Result<FirstLoad> BeginFirstLoad(const Caller& who);
  // Buildings from a roster (BuildingColumns), as a community registers its buildings before its
  // residents, or a city loads its own before its first load: each row names its grid by code (or
  // gives a location the grid of which is found), and is checked as the form checks one building.
  // All or nothing like the residents' import: every bad row reported (row, column, reason),
  // nothing written when any is bad or on a dry run; one transaction and one audit entry. A row
  // whose building is registered already with the same code, name and node is skipped and counted
  // in already_imported, so a file may be imported again once rows are added to it.
  Result<ImportReport> ImportBuildings(const Caller& who, std::string_view bytes, tabular::Format format,
                                       const ImportOptions& options);
  // Org nodes from a roster (OrgColumns: 编码, 类型, 名称), as a subdistrict sets up its
  // communities and grids, or a city its districts, streets and 100,000 grids: each row checked as
  // the org form checks one node (its type under its parent's, its code its parent's and three
  // digits, org.write at the parent; a root only from the CLI), the file's rows in any order
  // (parents first by the codes' length). All or nothing, one audit entry (org.import); a node
  // registered already with the same code, type and name is skipped (already_imported).
  Result<ImportReport> ImportOrgNodes(const Caller& who, std::string_view bytes, tabular::Format format,
                                      const ImportOptions& options);
  Status EndFirstLoad(const FirstLoad& load);
  // The tables a first load suspends the indexes and keys of.
  static const std::vector<std::string_view>& RegistryTables();
  // Rows validated together: each block's checks reuse one buffer instead of a million at once.
  static constexpr std::size_t kValidationBlock = 65'536;
  // The downloadable template: the header row and one sample row.
  Result<ExportFile> Template(tabular::Format format, RosterKind kind = RosterKind::kResidents);
  // Exports need resident.export; personal fields are masked unless `reveal` (which needs
  // resident.unmask everywhere the export covers, and a reason). The file names its exporter and
  // time; the export is audited; rows are capped by role (domain::ExportCap).
  Result<ExportFile> ExportResidents(const Caller& who, ResidentFilter filter, tabular::Format format, bool reveal,
                                     const std::string& reason);
  // Active households with their address, head and head's phone, size and grid.
  Result<ExportFile> ExportHouseholds(const Caller& who, std::optional<std::int64_t> node_id,
                                      std::optional<std::int64_t> building_id, tabular::Format format, bool reveal,
                                      const std::string& reason);
  // Visits, newest first, filtered by sweep and visit time (q's prefixes come from the scope).
  Result<ExportFile> ExportVisits(const Caller& who, std::optional<std::int64_t> node_id, storage::VisitListQuery q,
                                  tabular::Format format, bool reveal, const std::string& reason);
  // Cases the caller may read (case.read) under node_id, filtered by q (its prefixes come from the
  // scope); never the reporter's name or phone. At most 50,000 rows.
  Result<ExportFile> ExportCases(const Caller& who, std::optional<std::int64_t> node_id, storage::CaseListQuery q,
                                 tabular::Format format);

 private:
  struct Addresses;
  Result<std::vector<std::string>> ExportScopeFor(storage::SqlSession& s, const Caller& who,
                                                  std::optional<std::int64_t> node_id, bool reveal,
                                                  const std::string& reason);
  Result<Addresses> AddressesOf(storage::SqlSession& s, std::vector<std::int64_t> household_ids);
  Result<std::array<std::string, 3>> AddressColumns(const Addresses& a, std::int64_t household_id, bool reveal) const;
  struct ExportKind {
    std::string_view name, sheet, audit_action;  // "visits", "走访记录", "visit.export"
  };
  // Audits (committed first), then writes the file.
  Result<ExportFile> Deliver(const Caller& who, const ExportKind& kind, std::vector<tabular::Row> rows,
                             const std::string& where_path, bool reveal, const std::string& reason,
                             tabular::Format format);

  storage::Database& db_;
  const Clock& clock_;
  AuditService& audit_;
  RegistryService& registry_;
  AccessEpoch& epoch_;  // new nodes change what grants reach: moved once they are committed
};

}  // namespace linli::service
