#include "service/import_service.h"

#include "core/parallel.h"
#include "core/position_index.h"

#include <algorithm>
#include <array>
#include <charconv>
#include <atomic>
#include <condition_variable>
#include <future>
#include <map>
#include <mutex>
#include <set>
#include <unordered_map>

#include "core/crypto.h"
#include "core/json_text.h"
#include "domain/identity.h"
#include "domain/text.h"
#include "service/org_service.h"
#include "storage/account_repo.h"
#include "storage/bulk_load.h"
#include "storage/org_repo.h"

namespace linli::service {

using storage::SqlSession;
namespace perm = domain::perm;

const std::vector<RosterColumn>& RosterColumns() {
  static const std::vector<RosterColumn> columns = {
      {"楼栋编号", "building_code", "HQ-01-03"}, {"单元", "unit", "2单元"},
      {"房号", "room", "302"},                   {"姓名", "name", "王秀英"},
      {"与户主关系", "relation", "户主"},        {"性别", "gender", "女"},
      {"出生日期", "birth_date", "1949-12-31"},  {"身份证号", "id_number", "11010519491231002X"},
      {"手机号", "phone", "13812345678"},        {"民族", "ethnic", "汉族"},
      {"居住类型", "residence_type", "户籍"},    {"职业", "occupation", "退休"},
      {"标签", "tags", "独居、党员"},            {"残疾等级", "disability_level", ""},
  };
  return columns;
}

const std::vector<RosterColumn>& BuildingColumns() {
  static const std::vector<RosterColumn> columns = {
      {"楼栋编号", "code", "HQ-01-03"},          {"楼栋名称", "name", "3号楼"},
      {"所属网格编码", "node_code", "320581001001101001"}, {"地址", "address", "虹桥路12号"},
      {"经度", "lon", "120.5861"},               {"纬度", "lat", "31.2985"},
      {"层数", "floors", "6"},                   {"单元数", "units", "2"},
  };
  return columns;
}

const std::vector<RosterColumn>& OrgColumns() {
  static const std::vector<RosterColumn> columns = {
      {"编码", "code", "320581001001101003"}, {"类型", "type", "网格"}, {"名称", "name", "虹桥第三网格"},
  };
  return columns;
}

namespace {

std::string Trim(std::string s) {
  auto is_space = [](unsigned char c) { return c == ' ' || c == '\t' || c == '\r' || c == '\n'; };
  while (!s.empty() && is_space(s.back())) s.pop_back();
  std::size_t i = 0;
  while (i < s.size() && is_space(s[i])) ++i;
  s.erase(0, i);
  // A full-width space (U+3000) is common in Chinese rosters.
  while (s.starts_with("\xE3\x80\x80")) s.erase(0, 3);
  while (s.size() >= 3 && s.ends_with("\xE3\x80\x80")) s.resize(s.size() - 3);
  return s;
}

constexpr std::size_t kNoRow = static_cast<std::size_t>(-1);

// The first 17 digits of a validated ID number as one number: they are the whole of it, the 18th
// being their check character (domain::ParseIdNumber), so two numbers are the same exactly when
// these are.
std::uint64_t IdNumberDigits(std::string_view id_number) {
  std::uint64_t digits = 0;
  for (char c : id_number.substr(0, 17)) digits = digits * 10 + static_cast<std::uint64_t>(c - '0');
  return digits;
}

// A roster's header row — the first of its top ten rows naming `marker` by its header or field
// name (exports put two lines of provenance first) — and where each column is in it (-1: absent).
struct RosterHeader {
  std::size_t row = 0;
  std::vector<int> column_of;  // by position in the column list

  // The trimmed cell of `field` in `cells`, empty when the column or the cell is missing.
  std::string Cell(const std::vector<RosterColumn>& columns, const tabular::Row& cells, std::string_view field) const {
    for (std::size_t k = 0; k < columns.size(); ++k) {
      if (columns[k].field == field) {
        int c = column_of[k];
        return c >= 0 && static_cast<std::size_t>(c) < cells.size() ? Trim(cells[c]) : std::string();
      }
    }
    return {};
  }
};

std::optional<std::size_t> HeaderRow(const tabular::Sheet& sheet, std::string_view header, std::string_view field) {
  for (std::size_t i = 0; i < std::min<std::size_t>(sheet.rows.size(), 10); ++i) {
    for (const auto& c : sheet.rows[i]) {
      if (auto t = Trim(c); t == header || t == field) return i;
    }
  }
  return std::nullopt;
}

Result<RosterHeader> FindRosterHeader(const tabular::Sheet& sheet, const std::vector<RosterColumn>& columns,
                                      const RosterColumn& marker, std::initializer_list<std::string_view> required,
                                      std::string_view template_name) {
  auto at = HeaderRow(sheet, marker.header, marker.field);
  if (!at) {
    return Error::Invalid("file", "no header row with " + std::string(marker.header) + " found; download the " +
                                      std::string(template_name) + " to see the columns");
  }
  RosterHeader h{*at, std::vector<int>(columns.size(), -1)};
  for (std::size_t c = 0; c < sheet.rows[h.row].size(); ++c) {
    auto name = Trim(sheet.rows[h.row][c]);
    for (std::size_t k = 0; k < columns.size(); ++k) {
      if (name == columns[k].header || name == columns[k].field) h.column_of[k] = static_cast<int>(c);
    }
  }
  for (std::string_view field : required) {
    for (std::size_t k = 0; k < columns.size(); ++k) {
      if (columns[k].field == field && h.column_of[k] < 0) {
        return Error::Invalid("file", "the column " + std::string(columns[k].header) + " is missing");
      }
    }
  }
  return h;
}

// The start every import shares: the file read (its encoding into the report), its header found,
// its rows counted against the limit. A file of another kind of roster is named as such.
struct OpenedRoster {
  tabular::Sheet sheet;
  RosterHeader header;
};
Result<OpenedRoster> OpenRoster(std::string_view bytes, tabular::Format format, const ImportOptions& options,
                                const std::vector<RosterColumn>& columns, const RosterColumn& marker,
                                std::initializer_list<std::string_view> required, std::string_view template_name,
                                ImportReport& report) {
  if (bytes.empty()) return Error::Invalid("file", "the file is empty");
  OpenedRoster r;
  LINLI_ASSIGN_OR_RETURN(r.sheet, tabular::Read(bytes, format, options.max_rows + 20));
  report.encoding = r.sheet.encoding;
  auto header = FindRosterHeader(r.sheet, columns, marker, required, template_name);
  if (!header) {
    const std::pair<const RosterColumn*, std::string_view> kinds[] = {
        {&RosterColumns()[3], "residents"}, {&BuildingColumns()[1], "buildings"}, {&OrgColumns()[1], "org tree"}};
    for (const auto& [other, name] : kinds) {
      if (other->header != marker.header && HeaderRow(r.sheet, other->header, other->field)) {
        return Error::Invalid("file", "this is a " + std::string(name) + " roster (it has " + std::string(other->header) +
                                          "): import it as " + std::string(name));
      }
    }
    return header.error();
  }
  r.header = std::move(*header);
  report.rows = r.sheet.rows.size() - r.header.row - 1;
  if (report.rows > options.max_rows) {
    return Error::Invalid("file", "the file has more than " + std::to_string(options.max_rows) + " rows");
  }
  return r;
}

// The path an import's node_id keeps its rows under (empty: the caller's whole reach); the node must
// be one the caller may act on with `permission`.
Result<std::string> OptionsNodePath(SqlSession& s, const Caller& who, const ImportOptions& options,
                                    std::string_view permission) {
  if (!options.node_id) return std::string();
  LINLI_ASSIGN_OR_RETURN(auto node, VisibleNode(s, who, *options.node_id, permission));
  return node.path;
}

// The report's problems: counted all, the first 1,000 kept, each naming its column as the file does.
struct IssueList {
  ImportReport& report;
  const std::vector<RosterColumn>& columns;
  std::size_t rows_with_issues = 0;  // a row's issues are added one after another
  std::size_t last_row = 0;

  void Add(std::size_t row, std::string_view field, std::string message) {
    ++report.issue_count;
    if (row != last_row) ++rows_with_issues;
    last_row = row;
    if (report.issues.size() >= 1000) return;
    std::string header(field);
    for (const auto& c : columns) {
      if (c.field == field) header = c.header;
    }
    report.issues.push_back({row, std::move(header), std::string(field), std::move(message)});
  }
  // Issues found in batched checks come after their rows'; a report reads best in row order.
  void Sort() {
    std::stable_sort(report.issues.begin(), report.issues.end(),
                     [](const ImportIssue& a, const ImportIssue& b) { return a.row < b.row; });
  }
};

struct ParsedRow {
  std::size_t row_number = 0;
  std::int64_t building_id = 0;
  std::string node_path;
  std::int64_t node_id = 0;
  std::string unit, room;
  domain::ResidentFields fields;
  std::size_t household = 0;             // index into Plan::households
  std::size_t same_person_as = kNoRow;   // an earlier plan row with the same household, name and birth date
  std::string id_index;                  // the ID number's blind index, computed while validating
};

// One address of the file: a household registered there already, or one the import creates.
struct PlannedHousehold {
  std::size_t first_row = 0;       // the plan row of its first member, whose address it is
  std::string address_index;       // computed for a block's new addresses together, on every core
  std::int64_t existing_id = 0;    // 0: created by the import
  std::int64_t existing_head = 0;
};

// What a validated file turns into. Rows name their household and their likely duplicate by
// position, worked out while validating, so the writer's thread (which bounds an import) looks
// nothing up by text.
struct Plan {
  std::vector<ParsedRow> rows;
  std::vector<PlannedHousehold> households;
};

// Plan rows handed from the validating thread to the writer's job. A whole-file import is one
// transaction, so on SQLite its write need not wait for the last row: the writer writes the rows
// that every check has passed (a block at a time), and should a later row fail, its transaction
// rolls back and nothing is written. (On PostgreSQL, and for a resumable import's chunks, every
// row has passed before the writer asks.) The plan's vectors are
// reserved for the whole file before validation starts, so the rows and households the writer
// reads never move while the validating thread appends after them.
class ValidatedRows {
 public:
  struct Ready {
    std::size_t rows = 0;        // plan rows [0, rows) passed every check
    std::size_t households = 0;  // plan households [0, households) are resolved
    bool complete = false;       // the whole file passed: there are no more
  };
  void Publish(Ready ready) {
    std::lock_guard lock(mu_);
    ready_ = ready;
    cv_.notify_all();
  }
  // A row failed, or validation could not go on: nothing may be committed.
  void Refuse() {
    std::lock_guard lock(mu_);
    refused_ = true;
    cv_.notify_all();
  }
  // For the writer: waits until rows beyond `have` have passed or the file is complete.
  Result<Ready> WaitBeyond(std::size_t have) {
    std::unique_lock lock(mu_);
    cv_.wait(lock, [&] { return refused_ || ready_.complete || ready_.rows > have; });
    if (refused_) return RefusalError();
    return ready_;
  }
  bool was_refused() {
    std::lock_guard lock(mu_);
    return refused_;
  }
  // What the writer's job ends with when refused: its transaction rolls back.
  static Error RefusalError() { return {ErrorCode::kAborted, "the file has rows that cannot be imported", {}}; }
  // The writer's job ended: validation may stop early (the write failed, or never began).
  void WriterEnded() { writer_ended_ = true; }
  bool writer_ended() const { return writer_ended_; }

 private:
  std::mutex mu_;
  std::condition_variable cv_;
  Ready ready_;                             // GUARDED_BY(mu_)
  bool refused_ = false;                    // GUARDED_BY(mu_)
  std::atomic<bool> writer_ended_ = false;
};

}  // namespace

const std::vector<std::string_view>& ImportService::RegistryTables() {
  static const std::vector<std::string_view> tables = {"households", "residents", "resident_tags", "resident_events"};
  return tables;
}

Result<FirstLoad> ImportService::BeginFirstLoad(const Caller& who) {
  if (!who.is_system()) return Error::Denied("a first load is run from the command line (linli import residents --first-load)");
  FirstLoad load;
  LINLI_TRY(db_.WriteSync([&](SqlSession& s) -> Status {
    LINLI_ASSIGN_OR_RETURN(auto rows, s.Query("SELECT (SELECT count(*) FROM residents), (SELECT count(*) FROM households)"));
    if (auto residents = rows.at(0).Int(0), households = rows.at(0).Int(1); residents > 0 || households > 0) {
      return Error::Precondition("a first load needs an empty registry; " + std::to_string(residents) +
                                 " residents and " + std::to_string(households) +
                                 " households are registered: import without --first-load");
    }
    // The indexes on blind indexes, whose keys are random by design, so that each row's would land
    // at a random place in them: the unique ones (FirstLoad checks their keys meanwhile, as
    // bench-data's generator vouches for its own) and the phone numbers'. The registry's other
    // indexes (by household, node path, building, resident) stay: the rows come in the file's
    // order, so each takes their keys at its end, which cost the writer less than scanning the
    // tables to build them again after (docs/performance.md, "A first load's second phase without
    // string maps"). Then, on PostgreSQL, the foreign keys: a query per row.
    LINLI_ASSIGN_OR_RETURN(load.suspended, storage::UniqueIndexes(s, {"residents_id_number", "households_address"}));
    LINLI_ASSIGN_OR_RETURN(auto phone, storage::NamedIndexes(s, {"residents_phone"}));
    LINLI_ASSIGN_OR_RETURN(auto keys, storage::ForeignKeys(s, RegistryTables()));
    for (auto* more : {&phone, &keys}) load.suspended.insert(load.suspended.end(), more->begin(), more->end());
    LINLI_TRY(storage::Suspend(s, load.suspended));
    return Ok();
  }, storage::Batching::kAlone));
  return load;
}

Status ImportService::EndFirstLoad(const FirstLoad& load) {
  return db_.WriteSync([&](SqlSession& s) -> Status {
    LINLI_TRY(storage::Reinstate(s, load.suspended));
    // PostgreSQL plans from statistics that autovacuum would only bring up to date after its next
    // round (docs/operations/postgresql.md, "Statistics"); the load refreshes them itself, as
    // bench-data does. (SQLite plans without any: Linli never runs ANALYZE on its own there.)
    if (s.dialect() != storage::Dialect::kPostgres) return Ok();
    for (auto table : RegistryTables()) LINLI_TRY(StatusOf(s.Exec("ANALYZE " + std::string(table))));
    return Ok();
  }, storage::Batching::kAlone);
}

Result<ImportReport> ImportService::ImportResidents(const Caller& who, std::string_view bytes, tabular::Format format,
                                                    const ImportOptions& options) {
  auto write_scope = domain::ScopeFor(who.principal, perm::kResidentWrite);
  if (!bytes.empty() && write_scope.Empty()) return Error::Denied("you may not register residents");
  if ((options.new_to_register || options.first_load) && !who.is_system()) {
    return Error::Denied("only the command line vouches for a file's rows or runs a first load");
  }
  ImportReport report;
  report.dry_run = options.dry_run;
  const auto& columns = RosterColumns();
  LINLI_ASSIGN_OR_RETURN(auto opened, OpenRoster(bytes, format, options, columns, columns[3],
                                                 {"building_code", "room", "name"}, "template", report));
  const auto& sheet = opened.sheet;
  const auto& header = opened.header;
  const std::size_t header_at = header.row;
  IssueList issues{report, columns};
  auto add_issue = [&](std::size_t row, std::string_view field, std::string message) {
    issues.Add(row, field, std::move(message));
  };

  const std::string file_hash = crypto::HashHex(bytes);
  const std::int64_t scope_node = options.node_id.value_or(0);
  auto today = registry_.Today();
  const std::size_t first_data = header_at + 1;
  const std::size_t data_rows = report.rows;
  Plan plan;
  std::vector<std::string> file_id_indexes;  // in a first load: the file's ID numbers' blind indexes
  // A committed file's keys join its first load's, for the files after it.
  auto remember_in_first_load = [&] {
    if (!options.first_load) return;
    for (auto& index : file_id_indexes) options.first_load->id_indexes.insert(std::move(index));
    for (auto& h : plan.households) options.first_load->addresses.insert(std::move(h.address_index));
  };
  // Reserved for the whole file: a whole-file import's writer reads rows and households while the
  // validating thread appends after them, so they must never move (at most one of each a row).
  plan.rows.reserve(data_rows);
  plan.households.reserve(data_rows);
  std::int64_t run_id = 0;
  std::size_t first_row = 0;  // the first plan row this run writes (a resumed run skips those done)

  // A whole-file import is one transaction, written by one job that takes each block of rows once
  // it has passed. On SQLite that job begins at once, beside the validation: a rollback there
  // leaves nothing behind. On PostgreSQL it begins once the whole file has passed: rows written
  // and rolled back stay as dead tuples for autovacuum to clear, a refused file's cost borne by
  // everyone; and they had made the next import's foreign-key checks scans (a 65,539-row file:
  // 3.6 s, then 12-30 s; AnalyzeOutgrownTables below now guards that too). A dry run writes
  // nothing; a resumable import (which commits as it goes) is validated whole first. So is a file
  // of a first load written through SQLite's rollback journal: there the validation's read would
  // keep the writer from writing, and the writer, once it had, the validation from reading.
  const bool whole_file = !options.dry_run && !options.resumable;
  const bool write_beside_validation =
      whole_file && db_.dialect() == storage::Dialect::kSqlite && !db_.driver().WritesWaitForReads();
  ValidatedRows feed;

  // --- the write: rows in ranges, as they pass validation or a chunk at once ---
  const Millis now = clock_.NowMillis();
  std::vector<std::int64_t> household_ids;              // by household, once known; 0 until written
  std::vector<std::int64_t> resident_ids(data_rows);    // by plan row, once drawn: a likely duplicate names its first
  struct Membership {
    int added = 0;
    std::int64_t head = 0;
    bool created = false;  // inserted by this range with its members counted
  };
  std::vector<Membership> members;  // by household: the range being written (reset after it)
  struct ChunkTally {
    std::map<std::string, std::int64_t> residents_by_path, households_by_path;
    std::size_t households = 0, residents = 0, duplicates = 0;
    bool statistics_checked = false;  // after the transaction's first slice
  };
  // Rows [from, to), whose households are among the first `households_known`. Each household's
  // members in the range and its head among them are counted before any row is written (resident
  // ids drawn up front, in row order): a household the range creates is inserted complete, and
  // only those there before it (registered, or created by an earlier range) are updated after.
  auto write_range = [&](SqlSession& s, std::size_t from, std::size_t to, std::size_t households_known,
                         ChunkTally& tally) -> Status {
    for (std::size_t h = household_ids.size(); h < households_known; ++h) {
      household_ids.push_back(plan.households[h].existing_id);
    }
    members.resize(households_known);
    for (std::size_t i = from; i < to; ++i) {
      LINLI_ASSIGN_OR_RETURN(resident_ids[i], s.NextId("residents"));
      auto& m = members[plan.rows[i].household];
      ++m.added;
      if (plan.rows[i].fields.relation == "head") m.head = resident_ids[i];
    }
    // In slices of a few thousand rows: new households' ids first, then the sealing — each
    // ciphertext is bound to its row's id —, then the inserts (households, then residents in
    // multi-row statements). The next slice is sealed on another core while this one is
    // inserted, so the writer's thread only draws ids and inserts. Slices keep the rows in
    // flight small and in cache.
    static const std::string kImportEvent = "{\"source\":\"import\"}";
    constexpr std::size_t kSlice = 8192;
    struct Slice {
      std::size_t first = 0;                   // the plan row of residents[0]
      std::vector<storage::HouseholdRow> households;
      std::vector<std::size_t> household_rows;  // the plan row whose address each new household has
      std::vector<storage::ResidentRow> residents;
      std::vector<std::int64_t> event_ids;      // each resident's "register" event's
      // Once sealed, the rows as the values their statements bind (moved out of the rows above).
      std::vector<storage::SqlValue> household_values;
      storage::NewResidentValues resident_values;
    };
    auto prepare = [&](std::size_t slice_from, std::size_t slice_to) -> Result<Slice> {
      Slice sl;
      sl.first = slice_from;
      sl.residents.resize(slice_to - slice_from);
      for (std::size_t i = slice_from; i < slice_to; ++i) {
        const auto& pr = plan.rows[i];
        auto& hid = household_ids[pr.household];
        if (hid == 0) {
          storage::HouseholdRow h;
          LINLI_ASSIGN_OR_RETURN(h.id, s.NextId("households"));
          h.node_id = pr.node_id;
          h.node_path = pr.node_path;
          h.building_id = pr.building_id;
          h.unit = pr.unit;
          h.created_at = now;
          auto& m = members[pr.household];
          h.members = m.added;
          h.head_id = m.head;
          m.created = true;
          hid = h.id;
          sl.households.push_back(std::move(h));
          sl.household_rows.push_back(i);
          ++tally.households_by_path[pr.node_path];
          ++tally.households;
        }
        auto& r = sl.residents[i - slice_from];
        r.id = resident_ids[i];
        LINLI_ASSIGN_OR_RETURN(sl.event_ids.emplace_back(), s.NextId("resident_events"));
        r.node_id = pr.node_id;
        r.node_path = pr.node_path;
        r.household_id = hid;
        r.created_at = now;
        // Flagged when its first is written in this run (an earlier run's rows were never seen).
        if (pr.same_person_as != kNoRow && pr.same_person_as >= first_row) {
          r.duplicate_of = resident_ids[pr.same_person_as];
          ++tally.duplicates;
        }
        ++tally.residents_by_path[pr.node_path];
        ++tally.residents;
      }
      return sl;
    };
    auto seal = [this, &plan](Slice& sl, std::size_t k_from, std::size_t k_to) {
      for (std::size_t k = k_from; k < k_to; ++k) {
        if (k < sl.residents.size()) {
          const auto& pr = plan.rows[sl.first + k];
          registry_.Seal(pr.fields, sl.residents[k], pr.id_index);
          continue;
        }
        auto& h = sl.households[k - sl.residents.size()];
        const auto& pr = plan.rows[sl.household_rows[k - sl.residents.size()]];
        h.room_enc = registry_.SealRoom(pr.room, h.id);
        h.address_index = plan.households[pr.household].address_index;
      }
    };
    auto items = [](const Slice& sl) { return sl.residents.size() + sl.households.size(); };
    // Then the values the statements bind, built beside the writer too: building them on its
    // thread was a fifth of its time (docs/performance.md, "The writer only binds and steps").
    auto to_values = [&](Slice& sl) -> Status {
      LINLI_ASSIGN_OR_RETURN(sl.household_values, storage::HouseholdRepo::ValuesOf(std::move(sl.households)));
      LINLI_ASSIGN_OR_RETURN(sl.resident_values, storage::ResidentRepo::ValuesOf(std::move(sl.residents), sl.event_ids,
                                                                                 kImportEvent, who.user_id()));
      return Ok();
    };
    LINLI_ASSIGN_OR_RETURN(Slice current, prepare(from, std::min(to, from + kSlice)));
    ParallelFor(items(current), [&](std::size_t k_from, std::size_t k_to) { seal(current, k_from, k_to); }, 1024);
    LINLI_TRY(to_values(current));
    Slice spent;  // the slice written last, freed beside the writer with the next one's sealing
    for (std::size_t slice = from; slice < to; slice += kSlice) {
      std::size_t slice_end = std::min(to, slice + kSlice);
      Slice next;
      std::future<Status> next_sealed;  // declared after `next`: an early return waits for it first
      if (slice_end < to) {
        LINLI_ASSIGN_OR_RETURN(next, prepare(slice_end, std::min(to, slice_end + kSlice)));
        next_sealed = std::async(std::launch::async, [&, retired = std::move(spent)]() mutable {
          seal(next, 0, items(next));
          Status st = to_values(next);
          Slice freed_here = std::move(retired);
          return st;
        });
      }
      LINLI_TRY(storage::HouseholdRepo::InsertMany(s, current.household_values));
      LINLI_TRY(storage::ResidentRepo::InsertMany(s, current.resident_values));
      // The tables the foreign keys of the rest look up, if recorded as smaller than one slice,
      // are analysed now that the transaction holds rows (storage/bulk_load.h).
      if (!tally.statistics_checked) {
        LINLI_TRY(storage::AnalyzeOutgrownTables(s, {"households", "residents"}, static_cast<std::int64_t>(slice_end - slice)));
        tally.statistics_checked = true;
      }
      if (options.progress) options.progress("write", slice_end, data_rows);
      if (next_sealed.valid()) LINLI_TRY(next_sealed.get());
      // A later row failed while this range was being written: give up now, not at its end.
      if (feed.was_refused()) return ValidatedRows::RefusalError();
      spent = std::move(current);
      current = std::move(next);
    }
    // Each household the range touched once: updated if it was there before the range.
    for (std::size_t i = from; i < to; ++i) {
      auto h = plan.rows[i].household;
      auto& m = members[h];
      if (m.added != 0 && !m.created) {
        LINLI_TRY(storage::HouseholdRepo::AdjustMembers(s, household_ids[h], m.added,
                                                        m.head ? std::optional(m.head) : std::nullopt, now));
      }
      m = {};
    }
    return Ok();
  };
  // One transaction: rows from `begin` for as long as `next_ready` hands more, then the counts,
  // the run's progress and the audit entry.
  using NextReady = std::function<Result<ValidatedRows::Ready>(std::size_t written)>;
  auto write_chunk = [&](SqlSession& s, std::size_t begin, const NextReady& next_ready) -> Status {
    storage::BulkWriteScope bulk(s);
    ChunkTally tally;
    std::size_t written = begin;
    for (;;) {
      LINLI_ASSIGN_OR_RETURN(auto ready, next_ready(written));
      if (ready.rows > written) {
        LINLI_TRY(write_range(s, written, ready.rows, ready.households, tally));
        written = ready.rows;
      }
      if (ready.complete && written == ready.rows) break;
    }
    for (const auto& [path, n] : tally.residents_by_path) {
      LINLI_TRY(storage::RollupRepo::Add(s, path, storage::metric::kResidents, n));
    }
    for (const auto& [path, n] : tally.households_by_path) {
      LINLI_TRY(storage::RollupRepo::Add(s, path, storage::metric::kHouseholds, n));
    }
    // Every row has passed by now (a chunk's rows were validated before it began), so the plan
    // no longer grows.
    const std::size_t total = plan.rows.size();
    LINLI_ASSIGN_OR_RETURN(run_id, storage::ImportRunRepo::Save(s, run_id, file_hash, scope_node,
                                                                static_cast<std::int64_t>(total),
                                                                static_cast<std::int64_t>(written), written == total,
                                                                who.user_id(), now));
    std::string audit_path = plan.rows.empty() ? write_scope.prefixes().front() : plan.rows.front().node_path;
    LINLI_TRY(audit_.Record(s, who, {.action = "resident.import", .node_path = audit_path,
                                     .target = "import_run:" + std::to_string(run_id),
                                     .detail = JsonObject()
                                                   .Add("rows", static_cast<std::int64_t>(written - begin))
                                                   .Add("households", static_cast<std::int64_t>(tally.households))
                                                   .Add("encoding", report.encoding).Str()}));
    report.households_created += tally.households;
    report.residents_created += tally.residents;
    report.likely_duplicates += tally.duplicates;
    return Ok();
  };

  std::promise<Status> written_promise;
  auto written_future = written_promise.get_future();
  auto submit_whole_file_write = [&] {
    db_.Submit(storage::WriteJob{
        [&](SqlSession& s) { return write_chunk(s, 0, [&](std::size_t have) { return feed.WaitBeyond(have); }); },
        [&](Status st) {
          feed.WriterEnded();
          written_promise.set_value(std::move(st));
        },
        storage::Batching::kAlone});
  };
  if (write_beside_validation) submit_whole_file_write();

  // --- validation, in one read session ---
  Status validated = db_.Read([&](SqlSession& s) -> Status {
    LINLI_ASSIGN_OR_RETURN(const std::string node_prefix, OptionsNodePath(s, who, options, perm::kResidentWrite));
    LINLI_ASSIGN_OR_RETURN(auto run, storage::ImportRunRepo::Latest(s, file_hash, scope_node));
    if (run && run->status == "done") {
      return Error::Exists("file", "this file was imported already (import run " + std::to_string(run->id) + ")");
    }
    if (run && options.resumable) {
      run_id = run->id;
      report.already_imported = static_cast<std::size_t>(run->rows_done);
    }
    std::unordered_map<std::string, std::optional<storage::BuildingRow>> buildings;
    // Rows seen before, found by a hash of the key the rows hold (core/position_index.h).
    PositionIndex id_rows(data_rows);  // an ID number → the row number it is first on
    std::vector<int> heads_in_file;  // by household
    std::vector<std::pair<std::size_t, std::string>> id_checks;  // (plan row, blind index)
    PositionIndex household_at(data_rows / 2);  // building, unit, room → its household
    PositionIndex first_person(data_rows);      // household, name, birth date → the plan row of the first
    std::unordered_map<std::string, std::vector<std::string>> custom_tags;  // node path → tags in use
    // Phase 1, on every core: each row alone — its cells parsed and checked, its ID number's
    // blind index computed. Nothing here reads the database or another row.
    struct RowCheck {
      bool no_building = false;  // 楼栋编号 empty: reported before anything else
      std::string field, message;  // the first other problem, if any
      std::string code, unit, room;
      domain::ResidentFields fields;
      std::string id_index;
    };
    // What needs the register, for the rows and households a block added: households already
    // registered at its new addresses (a 户主 row for one that has a head is refused, unless
    // resuming our own run), and ID numbers registered already (one query per 500 of each).
    // Refuses each ID number of the block that `registered` says is taken.
    auto refuse_registered_ids = [&](const auto& registered) {
      for (const auto& [row, index] : id_checks) {
        if (registered(index)) {
          add_issue(plan.rows[row].row_number, "id_number", "this ID number is registered already");
          --report.valid;
        }
      }
      id_checks.clear();
    };
    auto check_register = [&](std::size_t rows_from, std::size_t households_from) -> Status {
      if (options.new_to_register) {
        id_checks.clear();
        return Ok();
      }
      if (options.first_load) {
        // The register was empty when the load began: what is registered is what its earlier
        // files registered, kept in memory while the indexes that would find it are away.
        const FirstLoad& load = *options.first_load;
        for (std::size_t i = rows_from; i < plan.rows.size(); ++i) {
          const auto& pr = plan.rows[i];
          if (pr.household >= households_from && load.addresses.contains(plan.households[pr.household].address_index)) {
            add_issue(pr.row_number, "room",
                      "an earlier file of this first load registered this address: a household's members go in one file");
            --report.valid;
          }
        }
        for (const auto& [row, index] : id_checks) file_id_indexes.push_back(index);
        refuse_registered_ids([&](const std::string& index) { return load.id_indexes.contains(index); });
        return Ok();
      }
      std::vector<std::string> addresses;
      addresses.reserve(plan.households.size() - households_from);
      for (std::size_t h = households_from; h < plan.households.size(); ++h) {
        addresses.push_back(plan.households[h].address_index);
      }
      LINLI_ASSIGN_OR_RETURN(auto existing, storage::HouseholdRepo::ActiveByAddresses(s, addresses));
      for (std::size_t h = households_from; h < plan.households.size(); ++h) {
        if (auto it = existing.find(plan.households[h].address_index); it != existing.end()) {
          plan.households[h].existing_id = it->second.first;
          plan.households[h].existing_head = it->second.second;
        }
      }
      if (report.already_imported == 0) {
        for (std::size_t i = rows_from; i < plan.rows.size(); ++i) {
          const auto& pr = plan.rows[i];
          if (pr.fields.relation == "head" && plan.households[pr.household].existing_head) {
            add_issue(pr.row_number, "relation", "this household has a head already");
            --report.valid;
          }
        }
      }
      std::vector<std::string> indexes;
      indexes.reserve(id_checks.size());
      for (const auto& [row, index] : id_checks) indexes.push_back(index);
      LINLI_ASSIGN_OR_RETURN(auto registered, storage::ResidentRepo::ActiveIdIndexes(s, indexes));
      refuse_registered_ids([&](const std::string& index) { return registered.count(index) > 0; });
      return Ok();
    };
    const auto& crypto = registry_.field_crypto();
    // Both phases a block of rows at a time, the blocks' checks in two buffers used again: a
    // million checks at once were ~0.4 GB of fresh memory touched for the first time. The next
    // block's first phase runs beside this one's second, which is one thread: the other cores
    // were idle through it (docs/performance.md, "The next block checked beside this one's
    // second phase").
    auto first_phase = [&](std::vector<RowCheck>& block_checks, std::size_t block) {
      block_checks.clear();
      block_checks.resize(std::min(kValidationBlock, data_rows - block));
      ParallelFor(block_checks.size(), [&](std::size_t begin, std::size_t end) {
        for (std::size_t j = begin; j < end; ++j) {
          const auto& cells = sheet.rows[first_data + block + j];
          auto& rc = block_checks[j];
          auto cell = [&](std::string_view field) { return header.Cell(columns, cells, field); };
          auto fail = [&](std::string_view field, std::string message) {
            rc.field = std::string(field);
            rc.message = std::move(message);
          };
          rc.code = cell("building_code");
          if (rc.code.empty()) {
            rc.no_building = true;
            continue;
          }
          rc.unit = cell("unit");
          rc.room = cell("room");
          if (rc.room.empty()) {
            fail("room", "房号 is empty");
            continue;
          }
          if (auto st = domain::ValidateText("room", rc.room, {.min_chars = 1, .max_chars = 20, .single_line = true}); !st) {
            fail("room", st.error().message);
            continue;
          }
          if (auto st = domain::ValidateText("unit", rc.unit, {.min_chars = 0, .max_chars = 20, .single_line = true}); !st) {
            fail("unit", st.error().message);
            continue;
          }
          domain::ResidentInput in;
          in.name = cell("name");
          in.gender = cell("gender");
          in.birth_date = cell("birth_date");
          if (auto iso = tabular::ExcelSerialToIso(in.birth_date); !iso.empty() && in.birth_date.find('-') == std::string::npos &&
                                                                     in.birth_date.size() != 8) {
            in.birth_date = iso;  // an Excel date cell
          }
          in.id_number = cell("id_number");
          in.phone = cell("phone");
          if (in.id_number.find('*') != std::string::npos || in.phone.find('*') != std::string::npos) {
            fail(in.id_number.find('*') != std::string::npos ? "id_number" : "phone",
                 "the value is masked (***); a masked export cannot be imported again");
            continue;
          }
          if (in.id_number.find_first_of("E.") != std::string::npos && in.id_number.find_first_not_of("0123456789.E+") == std::string::npos) {
            fail("id_number", "the ID number was stored as a number and lost digits; format the column as text");
            continue;
          }
          if (auto v = cell("ethnic"); !v.empty()) in.ethnic = v;
          if (auto v = cell("residence_type"); !v.empty()) in.residence_type = v;
          in.occupation = cell("occupation");
          if (auto v = cell("relation"); !v.empty()) in.relation = v;
          if (auto tags = domain::ParseTagList(cell("tags"), "tags"); !tags) {
            fail("tags", tags.error().message);
            continue;
          } else {
            in.tags = std::move(*tags);
          }
          if (auto lvl = cell("disability_level"); !lvl.empty()) {
            if (lvl.size() != 1 || lvl[0] < '1' || lvl[0] > '4') {
              fail("disability_level", "残疾等级 must be 1 to 4");
              continue;
            }
            in.disability_level = lvl[0] - '0';
          }
          auto fields = domain::ValidateResident(in, today);
          if (!fields) {
            fail(fields.error().field, fields.error().message);
            continue;
          }
          rc.fields = std::move(*fields);
          if (!rc.fields.id_number.empty()) rc.id_index = crypto.BlindIndex("id_number", rc.fields.id_number);
        }
      });
    };
    std::vector<RowCheck> checks, next_checks;
    if (data_rows > 0) first_phase(checks, 0);
    for (std::size_t block = 0; block < data_rows; block += kValidationBlock) {
      const std::size_t rows_before = plan.rows.size(), households_before = plan.households.size();
      // Waited for on every way out of this block (a std::async future's destructor waits).
      std::future<void> next_checked;
      if (const std::size_t next = block + kValidationBlock; next < data_rows) {
        next_checked = std::async(std::launch::async, [&, next] { first_phase(next_checks, next); });
      }

      // Phase 2, in row order: what needs the database or the other rows — the building and the
      // caller's reach, the community's own tags, duplicates, households and their heads.
      for (std::size_t k = 0; k < checks.size(); ++k) {
        auto& rc = checks[k];
        std::size_t data_index = block + k;
        std::size_t row_number = first_data + data_index + 1;
        bool done_before = data_index < report.already_imported;
        if (options.progress && data_index % 10000 == 0) options.progress("validate", data_index, report.rows);
        if (rc.no_building) {
          add_issue(row_number, "building_code", "楼栋编号 is empty");
          continue;
        }
        ParsedRow pr;
        pr.row_number = row_number;
        auto it = buildings.find(rc.code);
        if (it == buildings.end()) {
          LINLI_ASSIGN_OR_RETURN(auto b, storage::BuildingRepo::GetByCode(s, rc.code));
          if (b && (!write_scope.Covers(b->node_path) || (!node_prefix.empty() && !domain::PathIsUnder(b->node_path, node_prefix)))) {
            b.reset();  // outside the caller's reach looks the same as unknown
          }
          it = buildings.emplace(rc.code, std::move(b)).first;
        }
        if (!it->second) {
          add_issue(row_number, "building_code", "unknown building " + rc.code.substr(0, 40));
          continue;
        }
        if (!rc.field.empty()) {
          add_issue(row_number, rc.field, std::move(rc.message));
          continue;
        }
        pr.building_id = it->second->id;
        pr.node_id = it->second->node_id;
        pr.node_path = it->second->node_path;
        pr.unit = std::move(rc.unit);
        pr.room = std::move(rc.room);
        // Custom tags must be in the vocabulary at the building's node (looked up once per node).
        if (std::ranges::any_of(rc.fields.public_tags, [](const auto& t) { return t.starts_with(domain::kCustomTagPrefix); })) {
          auto vocabulary = custom_tags.find(pr.node_path);
          if (vocabulary == custom_tags.end()) {
            LINLI_ASSIGN_OR_RETURN(auto in_use, registry_.CustomTagsInUse(s, pr.node_path));
            vocabulary = custom_tags.emplace(pr.node_path, std::move(in_use)).first;
          }
          if (auto st = domain::CheckCustomTags(rc.fields.public_tags, vocabulary->second); !st) {
            add_issue(row_number, "tags", st.error().message);
            continue;
          }
        }
        pr.fields = std::move(rc.fields);
        // Duplicates: in the file, then among active residents.
        if (!pr.fields.id_number.empty()) {
          // Its first 17 digits are the whole number (the 18th is their check character).
          if (auto first = id_rows.FindOrAdd(IdNumberDigits(pr.fields.id_number), row_number, [](auto) { return true; })) {
            add_issue(row_number, "id_number", "the same ID number is on row " + std::to_string(*first));
            continue;
          }
          pr.id_index = std::move(rc.id_index);
          if (!done_before) id_checks.push_back({plan.rows.size(), pr.id_index});  // checked in batches below
        }
        // Household: existing at this address, or new; one head each. A new household's first
        // member always passes the checks below (it is its household's first head), so the plan
        // row holding the address is there for the rows after it to compare with.
        auto address = HashPart(HashPart(MixHash(static_cast<std::uint64_t>(pr.building_id)), pr.unit), pr.room);
        auto same_address = [&](std::uint64_t h) {
          const auto& first = plan.rows[plan.households[h].first_row];
          return first.building_id == pr.building_id && first.unit == pr.unit && first.room == pr.room;
        };
        if (auto known = household_at.FindOrAdd(address, plan.households.size(), same_address)) {
          pr.household = *known;
        } else {
          pr.household = plan.households.size();
          plan.households.push_back({.first_row = plan.rows.size()});
          heads_in_file.push_back(0);
        }
        if (pr.fields.relation == "head" && !done_before) {
          if (++heads_in_file[pr.household] > 1) {
            add_issue(row_number, "relation", "a second 户主 for the same household");
            continue;
          }
        }
        // A likely duplicate: the same name and birth date in the same household, flagged when written.
        const auto& born = pr.fields.birth_date;
        auto person = MixHash(HashPart(MixHash(pr.household), pr.fields.name) ^
                              static_cast<std::uint64_t>(born.year * 10000 + born.month * 100 + born.day));
        auto same_person = [&](std::uint64_t p) {
          const auto& first = plan.rows[p];
          return first.household == pr.household && first.fields.name == pr.fields.name &&
                 first.fields.birth_date == born;
        };
        if (auto first = first_person.FindOrAdd(person, plan.rows.size(), same_person)) pr.same_person_as = *first;
        ++report.valid;
        plan.rows.push_back(std::move(pr));
      }
      // The block's new addresses' blind indexes, on every core: they are keyed hashes.
      ParallelFor(plan.households.size() - households_before, [&](std::size_t begin, std::size_t end) {
        for (std::size_t h = households_before + begin; h < households_before + end; ++h) {
          const auto& first = plan.rows[plan.households[h].first_row];
          plan.households[h].address_index = registry_.AddressIndex(first.building_id, first.unit, first.room);
        }
      }, 1024);
      // What needs the register, for this block's rows: households already registered at its new
      // addresses (a 户主 row for one that has a head is refused, unless resuming our own run),
      // and ID numbers registered already. Checked a block at a time, so that a whole-file
      // import's writer may take the block as soon as it has passed.
      LINLI_TRY(check_register(rows_before, households_before));
      if (report.issue_count > 0) {
        feed.Refuse();
      } else {
        feed.Publish({.rows = plan.rows.size(), .households = plan.households.size(), .complete = false});
      }
      // The writer's job ended before the file did: it failed (or never began), and its error is
      // the answer; the rest of the file need not be read.
      if (write_beside_validation && feed.writer_ended()) return Ok();
      if (next_checked.valid()) next_checked.get();
      std::swap(checks, next_checks);
    }
    issues.Sort();
    return Ok();
  });
  if (!validated || report.issue_count > 0 || options.dry_run || feed.writer_ended()) {
    feed.Refuse();
  } else {
    feed.Publish({.rows = plan.rows.size(), .households = plan.households.size(), .complete = true});
  }
  if (validated && options.progress) options.progress("validate", report.rows, report.rows);
  // A whole-file import: the write's outcome decides (begun beside the validation, or now).
  if (whole_file) {
    bool submitted = write_beside_validation;
    if (!submitted && validated && report.issue_count == 0) {
      submit_whole_file_write();
      submitted = true;
    }
    Status written = submitted ? written_future.get() : Ok();
    if (!validated) return validated.error();
    if (report.issue_count > 0) return report;
    if (!written) return written.error();
    if (options.progress) options.progress("write", report.rows, report.rows);
    remember_in_first_load();
    report.committed = true;
    report.run_id = run_id;
    return report;
  }
  if (!validated) return validated.error();
  if (report.issue_count > 0 || options.dry_run) return report;

  // A resumable import: chunks of the validated file, each committed with its progress.
  std::size_t total = plan.rows.size();
  std::size_t start = std::min(report.already_imported, total);
  std::size_t chunk = std::max<std::size_t>(1, options.chunk_rows);
  first_row = start;
  for (std::size_t begin = start; begin < total || (begin == start && total == 0); begin += chunk) {
    std::size_t end = std::min(total, begin + chunk);
    Status st = db_.WriteSync([&](SqlSession& s) -> Status {
      return write_chunk(s, begin, [&](std::size_t) -> Result<ValidatedRows::Ready> {
        return ValidatedRows::Ready{.rows = end, .households = plan.households.size(), .complete = true};
      });
    }, storage::Batching::kAlone);
    if (!st) return st.error();
    if (total == 0) break;
  }
  if (options.progress) options.progress("write", total, total);
  remember_in_first_load();
  report.committed = true;
  report.run_id = run_id;
  return report;
}

namespace {

// The one audit entry of a buildings or org tree import: the file (by its hash), its rows, what it
// created and its encoding.
Status AuditFileImport(AuditService& audit, SqlSession& s, const Caller& who, std::string_view action,
                       const std::string& node_path, std::string_view bytes, const ImportReport& report,
                       std::string_view created_name, std::size_t created) {
  return audit.Record(s, who, {.action = std::string(action), .node_path = node_path,
                               .target = "file:" + crypto::HashHex(bytes).substr(0, 16),
                               .detail = JsonObject()
                                             .Add("rows", static_cast<std::int64_t>(report.rows))
                                             .Add(created_name, static_cast<std::int64_t>(created))
                                             .Add("encoding", report.encoding).Str()});
}

// A number cell: empty is "not given"; anything but a whole number (or, for a location, a decimal)
// is named by the caller's issue.
template <class T>
std::optional<T> ParseNumberCell(std::string_view text) {
  T v{};
  auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), v);
  if (ec != std::errc() || end != text.data() + text.size()) return std::nullopt;
  return v;
}

}  // namespace

Result<ImportReport> ImportService::ImportBuildings(const Caller& who, std::string_view bytes, tabular::Format format,
                                                    const ImportOptions& options) {
  auto write_scope = domain::ScopeFor(who.principal, perm::kResidentWrite);
  if (!bytes.empty() && write_scope.Empty()) return Error::Denied("you may not register buildings");
  ImportReport report;
  report.dry_run = options.dry_run;
  const auto& columns = BuildingColumns();
  LINLI_ASSIGN_OR_RETURN(auto opened, OpenRoster(bytes, format, options, columns, columns[1], {"code", "name"},
                                                 "buildings template", report));
  const auto& sheet = opened.sheet;
  const auto& header = opened.header;
  IssueList issues{report, columns};
  const Millis now = clock_.NowMillis();
  struct Planned {
    std::size_t row_number = 0;
    storage::BuildingRow building;
  };
  std::vector<Planned> planned;

  Status validated = db_.Read([&](SqlSession& s) -> Status {
    LINLI_ASSIGN_OR_RETURN(const std::string node_prefix, OptionsNodePath(s, who, options, perm::kResidentWrite));
    // Nodes as this caller may register buildings at them, looked up once each: a node outside
    // the caller's reach (or outside --node) reads as unknown.
    std::unordered_map<std::int64_t, std::optional<domain::OrgNode>> node_by_id;
    std::unordered_map<std::string, std::int64_t> id_of_code;  // 0: unknown
    auto reachable = [&](std::optional<domain::OrgNode> node) -> std::optional<domain::OrgNode> {
      if (!node || !write_scope.Covers(node->path) || (!node_prefix.empty() && !domain::PathIsUnder(node->path, node_prefix))) {
        return std::nullopt;
      }
      return node;
    };
    auto node_by = [&](std::int64_t id) -> Result<const std::optional<domain::OrgNode>*> {
      auto it = node_by_id.find(id);
      if (it == node_by_id.end()) {
        LINLI_ASSIGN_OR_RETURN(auto node, storage::OrgRepo::Get(s, id));
        it = node_by_id.emplace(id, reachable(std::move(node))).first;
      }
      return &it->second;
    };
    std::unordered_map<std::string, std::size_t> row_of_code;  // a code's first row in the file
    const std::size_t first_data = header.row + 1;
    for (std::size_t i = first_data; i < sheet.rows.size(); ++i) {
      const auto& cells = sheet.rows[i];
      const std::size_t row_number = i + 1;
      if (options.progress && (i - first_data) % 10000 == 0) options.progress("validate", i - first_data, report.rows);
      auto cell = [&](std::string_view field) { return header.Cell(columns, cells, field); };
      BuildingInput in;
      in.code = cell("code");
      in.name = cell("name");
      in.address = cell("address");
      bool numbers_ok = true;
      for (auto [field, label, target] : {std::tuple{"lon", "经度", &in.lon}, std::tuple{"lat", "纬度", &in.lat}}) {
        if (auto text = cell(field); !text.empty()) {
          *target = ParseNumberCell<double>(text);
          if (!*target) {
            issues.Add(row_number, field, std::string(label) + " must be a number in degrees, such as 120.5861");
            numbers_ok = false;
          }
        }
      }
      for (auto [field, label, target] : {std::tuple{"floors", "层数", &in.floors}, std::tuple{"units", "单元数", &in.units}}) {
        if (auto text = cell(field); !text.empty()) {
          auto n = ParseNumberCell<int>(text);
          if (!n) {
            issues.Add(row_number, field, std::string(label) + " must be a whole number");
            numbers_ok = false;
          } else {
            *target = *n;
          }
        }
      }
      if (!numbers_ok) continue;
      // The grid named by its code, or found from the location (CheckBuildingInput).
      const std::string node_code = cell("node_code");
      if (!node_code.empty()) {
        auto known = id_of_code.find(node_code);
        if (known == id_of_code.end()) {
          LINLI_ASSIGN_OR_RETURN(auto node, storage::OrgRepo::GetByCode(s, node_code));
          auto usable = reachable(std::move(node));
          std::int64_t id = usable ? usable->id : 0;
          if (usable) node_by_id.emplace(id, std::move(usable));
          known = id_of_code.emplace(node_code, id).first;
        }
        if (known->second == 0) {
          issues.Add(row_number, "node_code", "unknown grid " + node_code.substr(0, 40));
          continue;
        }
        in.node_id = known->second;
      }
      const bool placed_by_location = in.node_id == 0;
      if (auto st = registry_.CheckBuildingInput(in); !st) {
        // The form's messages name its field node_id; the file's column is 所属网格编码.
        std::string field = st.error().field == "node_id" ? "node_code" : st.error().field;
        std::string message = st.error().message;
        for (auto at = message.find("node_id"); at != std::string::npos; at = message.find("node_id")) {
          message.replace(at, 7, "所属网格编码");
        }
        for (auto at = message.find("lon and lat"); at != std::string::npos; at = message.find("lon and lat")) {
          message.replace(at, 11, "经度 and 纬度");
        }
        issues.Add(row_number, field, std::move(message));
        continue;
      }
      LINLI_ASSIGN_OR_RETURN(auto node, node_by(in.node_id));
      if (!*node) {
        // Only a location can lead here (a code out of reach was refused above).
        issues.Add(row_number, placed_by_location ? "lon" : "node_code",
                   "the location lies in no grid where you may register buildings; give 所属网格编码");
        continue;
      }
      if (auto st = RegistryService::CheckBuildingNode(**node); !st) {
        issues.Add(row_number, placed_by_location ? "lon" : "node_code", st.error().message);
        continue;
      }
      if (auto [first, fresh] = row_of_code.try_emplace(in.code, row_number); !fresh) {
        issues.Add(row_number, "code", "the same building code is on row " + std::to_string(first->second));
        continue;
      }
      Planned p;
      p.row_number = row_number;
      auto& b = p.building;
      b.node_id = (*node)->id;
      b.node_path = (*node)->path;
      b.code = std::move(in.code);
      b.name = std::move(in.name);
      b.address = std::move(in.address);
      b.lon = in.lon;
      b.lat = in.lat;
      b.floors = in.floors;
      b.units = in.units;
      b.created_at = now;
      planned.push_back(std::move(p));
    }
    // Codes registered already: the same building (code, name and node) is skipped; any other
    // holder of the code refuses the row.
    std::vector<std::string> codes;
    codes.reserve(planned.size());
    for (const auto& p : planned) codes.push_back(p.building.code);
    LINLI_ASSIGN_OR_RETURN(auto registered, storage::BuildingRepo::ByCodes(s, std::move(codes)));
    std::erase_if(planned, [&](const Planned& p) {
      auto it = registered.find(p.building.code);
      if (it == registered.end()) return false;
      const auto& had = it->second;
      if (had.node_id == p.building.node_id && had.name == p.building.name && !had.archived) {
        ++report.already_imported;
      } else {
        issues.Add(p.row_number, "code", "a building with code " + p.building.code + " is registered already");
      }
      return true;
    });
    issues.Sort();
    return Ok();
  });
  if (!validated) return validated.error();
  report.valid = report.rows - issues.rows_with_issues;
  if (options.progress) options.progress("validate", report.rows, report.rows);
  if (report.issue_count > 0 || options.dry_run) return report;

  Status written = db_.WriteSync(
      [&](SqlSession& s) -> Status {
        if (planned.empty()) return Ok();
        // What may have changed since the check: a code taken or a grid archived meanwhile.
        std::vector<std::string> codes;
        std::set<std::int64_t> node_ids;
        for (const auto& p : planned) {
          codes.push_back(p.building.code);
          node_ids.insert(p.building.node_id);
        }
        LINLI_ASSIGN_OR_RETURN(auto taken, storage::BuildingRepo::ByCodes(s, std::move(codes)));
        if (!taken.empty()) {
          return Error::Exists("code", "building " + taken.begin()->first +
                                           " was registered while the file was checked; import the file again");
        }
        for (auto id : node_ids) {
          LINLI_ASSIGN_OR_RETURN(auto node, storage::OrgRepo::Get(s, id));
          if (!node || node->archived) {
            return Error::Invalid("node_code", "a grid of the file was archived while it was checked; import it again");
          }
        }
        for (std::size_t i = 0; i < planned.size(); ++i) {
          LINLI_TRY(storage::BuildingRepo::Insert(s, planned[i].building));
          if (options.progress && i % 10000 == 0) options.progress("write", i, planned.size());
        }
        return AuditFileImport(audit_, s, who, "building.import", planned.front().building.node_path, bytes, report,
                               "buildings", planned.size());
      },
      storage::Batching::kAlone);
  if (!written) return written.error();
  if (options.progress) options.progress("write", planned.size(), planned.size());
  report.buildings_created = planned.size();
  report.committed = true;
  return report;
}

namespace {

// A node type as a roster writes it: the API's name, or the Chinese one.
std::optional<domain::NodeType> NodeTypeOfCell(std::string_view text) {
  static const std::pair<std::string_view, domain::NodeType> kChinese[] = {
      {"区", domain::NodeType::kDistrict},       {"县", domain::NodeType::kDistrict},
      {"街道", domain::NodeType::kSubdistrict},  {"镇", domain::NodeType::kSubdistrict},
      {"乡", domain::NodeType::kSubdistrict},    {"社区", domain::NodeType::kCommunity},
      {"村", domain::NodeType::kCommunity},      {"小区", domain::NodeType::kCompound},
      {"网格", domain::NodeType::kGrid},         {"微网格", domain::NodeType::kMicroGrid},
      {"专属网格", domain::NodeType::kDedicatedGrid},
      // As a traditional-Chinese sheet writes them.
      {"區", domain::NodeType::kDistrict},       {"縣", domain::NodeType::kDistrict},
      {"鄉", domain::NodeType::kSubdistrict},    {"社區", domain::NodeType::kCommunity},
      {"小區", domain::NodeType::kCompound},     {"網格", domain::NodeType::kGrid},
      {"微網格", domain::NodeType::kMicroGrid},  {"專屬網格", domain::NodeType::kDedicatedGrid},
  };
  for (const auto& [name, type] : kChinese) {
    if (text == name) return type;
  }
  return domain::ParseNodeType(text);
}

}  // namespace

Result<ImportReport> ImportService::ImportOrgNodes(const Caller& who, std::string_view bytes, tabular::Format format,
                                                   const ImportOptions& options) {
  if (!bytes.empty() && domain::ScopeFor(who.principal, perm::kOrgWrite).Empty() && !who.is_system()) {
    return Error::Denied("you may not change the org tree");
  }
  ImportReport report;
  report.dry_run = options.dry_run;
  const auto& columns = OrgColumns();
  LINLI_ASSIGN_OR_RETURN(auto opened, OpenRoster(bytes, format, options, columns, columns[1], {"code", "type", "name"},
                                                 "org tree template", report));
  const auto& sheet = opened.sheet;
  const auto& header = opened.header;
  IssueList issues{report, columns};
  struct Planned {
    std::size_t row_number = 0;
    domain::OrgNode node;
    std::string parent_code;  // empty: a root
  };
  std::vector<Planned> planned;

  Status validated = db_.Read([&](SqlSession& s) -> Status {
    LINLI_ASSIGN_OR_RETURN(const std::string node_prefix, OptionsNodePath(s, who, options, perm::kOrgWrite));
    // Each row alone first; then by the codes' length, so every parent is decided before its children.
    struct Row {
      std::size_t row_number;
      std::string code, name;
      domain::NodeType type;
    };
    std::vector<Row> rows;
    std::unordered_map<std::string, std::size_t> row_of_code;
    for (std::size_t i = header.row + 1; i < sheet.rows.size(); ++i) {
      auto cell = [&](std::string_view field) { return header.Cell(columns, sheet.rows[i], field); };
      Row r{i + 1, cell("code"), cell("name"), domain::NodeType::kGrid};
      auto type = NodeTypeOfCell(cell("type"));
      if (auto st = domain::ValidateNodeCode(r.code); !st) {
        issues.Add(r.row_number, "code", st.error().message);
      } else if (!type) {
        issues.Add(r.row_number, "type", "类型 must be 区, 街道, 社区, 小区, 网格, 微网格 or 专属网格");
      } else if (auto st = domain::ValidateNodeName(r.name); !st) {
        issues.Add(r.row_number, "name", st.error().message);
      } else if (auto [first, fresh] = row_of_code.try_emplace(r.code, r.row_number); !fresh) {
        issues.Add(r.row_number, "code", "the same code is on row " + std::to_string(first->second));
      } else {
        r.type = *type;
        rows.push_back(std::move(r));
      }
    }
    std::stable_sort(rows.begin(), rows.end(), [](const Row& a, const Row& b) { return a.code.size() < b.code.size(); });
    // The nodes there already: the rows' own codes and their parents'.
    std::vector<std::string> codes;
    for (const auto& r : rows) {
      codes.push_back(r.code);
      if (r.code.size() > 6) codes.push_back(r.code.substr(0, r.code.size() - 3));
    }
    std::sort(codes.begin(), codes.end());
    codes.erase(std::unique(codes.begin(), codes.end()), codes.end());  // a grid's code once, not once a micro-grid
    LINLI_ASSIGN_OR_RETURN(auto registered, storage::OrgRepo::ByCodes(s, std::move(codes)));
    // What each code of the file turned out to be: a node planned by an earlier row, or refused.
    std::unordered_map<std::string, std::optional<domain::OrgNode>> of_file;
    for (auto& r : rows) {
      if (auto had = registered.find(r.code); had != registered.end()) {
        const auto& n = had->second;
        if (n.type == r.type && n.name == r.name && !n.archived) {
          ++report.already_imported;
          of_file[r.code] = n;
        } else {
          issues.Add(r.row_number, "code", "an org node with code " + r.code + " exists already");
          of_file[r.code] = std::nullopt;
        }
        continue;
      }
      // The parent: the code less its last three digits; a 9-digit subdistrict's is its district
      // when there is one, otherwise it is a root (as is a district).
      std::optional<domain::OrgNode> parent;
      std::string parent_code = r.code.size() > 6 ? r.code.substr(0, r.code.size() - 3) : std::string();
      bool parent_in_file = false;
      if (!parent_code.empty()) {
        if (auto f = of_file.find(parent_code); f != of_file.end()) {
          if (!f->second) {
            of_file[r.code] = std::nullopt;
            issues.Add(r.row_number, "code", "its parent " + parent_code + " is refused above");
            continue;
          }
          parent = f->second;
          parent_in_file = !registered.count(parent_code);
        } else if (auto d = registered.find(parent_code); d != registered.end()) {
          parent = d->second;
        } else if (r.type != domain::NodeType::kSubdistrict) {
          of_file[r.code] = std::nullopt;
          issues.Add(r.row_number, "code", "no org node " + parent_code + " to hold it, in the file or registered");
          continue;
        }
      }
      if (!parent) parent_code.clear();
      auto refuse = [&](std::string_view field, std::string message) {
        of_file[r.code] = std::nullopt;
        issues.Add(r.row_number, field, std::move(message));
      };
      // A parent registered already must be within the caller's reach; one of the file's is
      // within it when its own parent was.
      if (parent && !parent_in_file) {
        auto visible = CheckVisible(parent, who, parent->id, perm::kOrgWrite);
        if (!visible || (!node_prefix.empty() && !domain::PathIsUnder(parent->path, node_prefix))) {
          refuse("code", "no org node " + parent_code + " you may add to");
          continue;
        }
        if (parent->archived) {
          refuse("code", "its parent " + parent_code + " is archived");
          continue;
        }
      }
      if (!parent && (!who.is_system() || options.node_id)) {
        refuse("code", "a root (a district or a subdistrict of its own) is added from the command line only");
        continue;
      }
      if (!domain::MayParent(parent ? std::optional(parent->type) : std::nullopt, r.type)) {
        refuse("type", "a " + std::string(domain::NodeTypeName(r.type)) + " cannot be placed under " +
                           (parent ? "a " + std::string(domain::NodeTypeName(parent->type)) : std::string("nothing")));
        continue;
      }
      if (auto st = domain::CheckNodeCode(r.code, parent, r.type); !st) {
        refuse("code", st.error().message);
        continue;
      }
      domain::OrgNode node;
      node.type = r.type;
      node.code = r.code;
      node.name = r.name;
      node.path = parent ? parent->path : "/";  // the parent's, until the insert gives it its own
      of_file[r.code] = node;
      planned.push_back({r.row_number, std::move(node), parent_code});
    }
    issues.Sort();
    return Ok();
  });
  if (!validated) return validated.error();
  report.valid = report.rows - issues.rows_with_issues;
  if (report.issue_count > 0 || options.dry_run) return report;

  const Millis now = clock_.NowMillis();
  Status written = db_.WriteSync(
      [&](SqlSession& s) -> Status {
        if (planned.empty()) return Ok();
        // Parents before children (planned in order of the codes' length); a parent registered
        // before the file is read again here, so one moved or archived meanwhile refuses the file.
        std::unordered_map<std::string, std::pair<std::int64_t, std::string>> placed;  // code → id, path
        for (const auto& p : planned) {
          std::int64_t parent_id = 0;
          std::string parent_path = "/";
          if (!p.parent_code.empty()) {
            auto it = placed.find(p.parent_code);
            if (it == placed.end()) {
              LINLI_ASSIGN_OR_RETURN(auto parent, storage::OrgRepo::GetByCode(s, p.parent_code));
              if (!parent || parent->archived) {
                return Error::Invalid("code", "org node " + p.parent_code +
                                                  " was moved or archived while the file was checked; import it again");
              }
              it = placed.emplace(p.parent_code, std::pair{parent->id, parent->path}).first;
            }
            std::tie(parent_id, parent_path) = it->second;
          }
          domain::OrgNode node = p.node;
          node.parent_id = parent_id;
          node.created_at = now;
          LINLI_ASSIGN_OR_RETURN(node, storage::OrgRepo::Insert(s, std::move(node), parent_path));
          placed.emplace(node.code, std::pair{node.id, node.path});
        }
        const auto& top = placed.at(planned.front().node.code).second;
        return AuditFileImport(audit_, s, who, "org.import", top, bytes, report, "nodes", planned.size());
      },
      storage::Batching::kAlone);
  if (!written) return written.error();
  if (!planned.empty()) epoch_.Bump();
  report.nodes_created = planned.size();
  report.committed = true;
  return report;
}

Result<ExportFile> ImportService::Template(tabular::Format format, RosterKind kind) {
  const auto& columns = kind == RosterKind::kBuildings ? BuildingColumns()
                        : kind == RosterKind::kOrg     ? OrgColumns()
                                                       : RosterColumns();
  std::vector<tabular::Row> rows(2);
  for (const auto& c : columns) {
    rows[0].emplace_back(c.header);
    rows[1].emplace_back(c.sample);
  }
  const std::string stem = kind == RosterKind::kBuildings ? "buildings-template"
                           : kind == RosterKind::kOrg     ? "org-template"
                                                          : "residents-template";
  const std::string sheet_name = kind == RosterKind::kBuildings ? "楼栋" : kind == RosterKind::kOrg ? "组织架构" : "居民";
  ExportFile f;
  f.rows = 1;
  if (format == tabular::Format::kCsv) {
    f.bytes = tabular::WriteCsv(rows);
    f.filename = stem + ".csv";
    f.content_type = "text/csv; charset=utf-8";
  } else {
    LINLI_ASSIGN_OR_RETURN(f.bytes, tabular::WriteXlsx(rows, sheet_name));
    f.filename = stem + ".xlsx";
    f.content_type = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet";
  }
  return f;
}

// ---------------------------------------------------------------------------------------------
// Exports. Every kind shares one envelope (ExportScopeFor, the preamble, Deliver): the caller
// needs resident.export where it looks, resident.unmask everywhere it covers to reveal (with a
// reason), stays under the role's cap; the file names its exporter and time; the export is
// audited and committed before the file leaves the server.

Result<std::vector<std::string>> ImportService::ExportScopeFor(SqlSession& s, const Caller& who,
                                                              std::optional<std::int64_t> node_id, bool reveal,
                                                              const std::string& reason) {
  if (reveal) {
    if (auto st = domain::ValidateText("reason", reason, {.min_chars = 4, .max_chars = 200, .single_line = true}); !st) {
      return Error::Invalid("reason", "give a reason of at least 4 characters for an unmasked export");
    }
  }
  if (domain::ExportCap(who.principal) == 0) return Error::Denied("you may not export");
  LINLI_ASSIGN_OR_RETURN(auto prefixes, registry_.ScopeAt(s, who, perm::kResidentExport, node_id));
  if (prefixes.empty()) return Error::Denied("you may not export here");
  if (reveal) {
    for (const auto& p : prefixes) {
      if (!domain::Allows(who.principal, perm::kResidentUnmask, p)) {
        return Error::Denied("an unmasked export needs the right to unmask everywhere it covers");
      }
    }
  }
  return prefixes;
}

namespace {

// Who exported and when, then a blank row, then the column headers.
std::vector<tabular::Row> ExportPreamble(const Caller& who, Millis now, bool reveal, tabular::Row header) {
  std::string exporter = who.principal.username.empty() ? "linli (server operator)" : who.principal.username;
  std::vector<tabular::Row> rows;
  rows.push_back({"导出人", exporter, "导出时间", domain::ChinaDateTime(now) + " (北京时间)", "个人信息",
                  reveal ? "未脱敏（已审计）" : "已脱敏"});
  rows.push_back({});
  rows.push_back(std::move(header));
  return rows;
}
constexpr std::size_t kPreambleRows = 3;

Status CheckCap(const Caller& who, std::size_t rows) {
  auto cap = static_cast<std::size_t>(domain::ExportCap(who.principal));
  if (rows <= cap) return Ok();
  return Error::Precondition("the export would hold more than " + std::to_string(cap) +
                             " rows, your limit — narrow it to a smaller node or filter");
}

std::string Label(const std::vector<domain::Term>& terms, std::string_view code) {
  return std::string(domain::TermLabel(terms, code));
}

}  // namespace

Result<ExportFile> ImportService::Deliver(const Caller& who, const ExportKind& kind, std::vector<tabular::Row> rows,
                                         const std::string& where_path, bool reveal, const std::string& reason,
                                         tabular::Format format) {
  ExportFile f;
  f.rows = rows.size() - kPreambleRows;
  LINLI_TRY(db_.WriteSync([&](SqlSession& s) -> Status {
    return audit_.Record(s, who, {.action = std::string(kind.audit_action), .node_path = where_path,
                                  .target = "export:" + std::string(kind.name),
                                  .detail = JsonObject().Add("rows", static_cast<std::int64_t>(f.rows))
                                                .Add("unmasked", reveal).Add("reason", reason)
                                                .Add("format", format == tabular::Format::kCsv ? "csv" : "xlsx").Str()});
  }));
  if (format == tabular::Format::kCsv) {
    f.bytes = tabular::WriteCsv(rows);
    f.filename = std::string(kind.name) + ".csv";
    f.content_type = "text/csv; charset=utf-8";
  } else {
    LINLI_ASSIGN_OR_RETURN(f.bytes, tabular::WriteXlsx(rows, std::string(kind.sheet)));
    f.filename = std::string(kind.name) + ".xlsx";
    f.content_type = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet";
  }
  return f;
}

// Building codes and rooms for a page of households, fetched once per page.
struct ImportService::Addresses {
  std::unordered_map<std::int64_t, storage::HouseholdRow> households;
  std::unordered_map<std::int64_t, storage::BuildingRow> buildings;
};

Result<ImportService::Addresses> ImportService::AddressesOf(SqlSession& s, std::vector<std::int64_t> household_ids) {
  Addresses a;
  std::erase(household_ids, 0);
  LINLI_ASSIGN_OR_RETURN(a.households, storage::HouseholdRepo::GetMany(s, household_ids));
  std::vector<std::int64_t> building_ids;
  for (const auto& [id, h] : a.households) building_ids.push_back(h.building_id);
  std::ranges::sort(building_ids);
  building_ids.erase(std::unique(building_ids.begin(), building_ids.end()), building_ids.end());
  LINLI_ASSIGN_OR_RETURN(a.buildings, storage::BuildingRepo::GetMany(s, building_ids));
  return a;
}

// Building code, unit and room (masked unless revealed) of a household; empty when none.
Result<std::array<std::string, 3>> ImportService::AddressColumns(const Addresses& a, std::int64_t household_id,
                                                                bool reveal) const {
  auto h = a.households.find(household_id);
  if (h == a.households.end()) return std::array<std::string, 3>{};
  auto b = a.buildings.find(h->second.building_id);
  std::string room = "***";
  if (reveal) {
    LINLI_ASSIGN_OR_RETURN(room, registry_.OpenRoom(h->second));
  }
  return std::array<std::string, 3>{b == a.buildings.end() ? "" : b->second.code, h->second.unit, room};
}

Result<ExportFile> ImportService::ExportResidents(const Caller& who, ResidentFilter filter, tabular::Format format,
                                                  bool reveal, const std::string& reason) {
  auto today = registry_.Today();
  tabular::Row header;
  for (const auto& c : RosterColumns()) header.emplace_back(c.header);
  header.emplace_back("状态");
  auto rows = ExportPreamble(who, clock_.NowMillis(), reveal, std::move(header));
  std::string where_path;
  Status st = db_.Read([&](SqlSession& s) -> Status {
    LINLI_ASSIGN_OR_RETURN(auto prefixes, ExportScopeFor(s, who, filter.node_id, reveal, reason));
    where_path = prefixes.front();
    filter.limit = 500;
    LINLI_ASSIGN_OR_RETURN(auto q, registry_.Query(s, who, perm::kResidentExport, filter));
    LINLI_ASSIGN_OR_RETURN(auto count, storage::ResidentRepo::Count(s, q));
    LINLI_TRY(CheckCap(who, static_cast<std::size_t>(count)));
    while (true) {
      LINLI_ASSIGN_OR_RETURN(auto page, storage::ResidentRepo::List(s, q));
      std::vector<std::int64_t> household_ids;
      for (const auto& r : page) household_ids.push_back(r.household_id);
      LINLI_ASSIGN_OR_RETURN(auto addresses, AddressesOf(s, std::move(household_ids)));
      for (const auto& r : page) {
        auto v = registry_.View(r, reveal, today);
        LINLI_ASSIGN_OR_RETURN(auto address, AddressColumns(addresses, r.household_id, reveal));
        std::string tags;
        auto all_tags = v.tags;
        all_tags.insert(all_tags.end(), v.sensitive_tags.begin(), v.sensitive_tags.end());
        for (const auto& t : all_tags) {
          if (t == "elderly" || t == "child") continue;  // derived; a re-import derives them again
          if (!tags.empty()) tags += "、";
          tags += t.starts_with(domain::kCustomTagPrefix) ? t.substr(domain::kCustomTagPrefix.size())
                                                           : Label(domain::StandardTags(), t);
        }
        rows.push_back({address[0], address[1], address[2], v.name, Label(domain::Relations(), v.relation),
                        Label(domain::Genders(), v.gender), v.birth_date, v.id_number, v.phone, v.ethnic,
                        Label(domain::ResidenceTypes(), v.residence_type), v.occupation, tags,
                        reveal && v.disability_level ? std::to_string(v.disability_level) : "",
                        Label(domain::ResidentStatuses(), v.status)});
      }
      if (static_cast<int>(page.size()) < q.limit) break;
      q.after_id = page.back().id;
    }
    return Ok();
  });
  if (!st) return st.error();
  return Deliver(who, {"residents", "居民", "resident.export"}, std::move(rows), where_path, reveal, reason, format);
}

Result<ExportFile> ImportService::ExportHouseholds(const Caller& who, std::optional<std::int64_t> node_id,
                                                   std::optional<std::int64_t> building_id, tabular::Format format,
                                                   bool reveal, const std::string& reason) {
  auto today = registry_.Today();
  auto rows = ExportPreamble(who, clock_.NowMillis(), reveal,
                             {"楼栋编号", "楼栋名称", "单元", "房号", "户主", "户主手机号", "人数", "网格"});
  std::string where_path;
  Status st = db_.Read([&](SqlSession& s) -> Status {
    storage::ListQuery q;
    LINLI_ASSIGN_OR_RETURN(q.prefixes, ExportScopeFor(s, who, node_id, reveal, reason));
    where_path = q.prefixes.front();
    q.building_id = building_id;
    q.limit = 500;
    std::unordered_map<std::int64_t, std::string> node_names;
    while (true) {
      LINLI_ASSIGN_OR_RETURN(auto page, storage::HouseholdRepo::List(s, q));
      LINLI_TRY(CheckCap(who, rows.size() - kPreambleRows + page.size()));
      std::vector<std::int64_t> household_ids, head_ids;
      for (const auto& h : page) {
        household_ids.push_back(h.id);
        head_ids.push_back(h.head_id);
      }
      std::erase(head_ids, 0);
      LINLI_ASSIGN_OR_RETURN(auto addresses, AddressesOf(s, std::move(household_ids)));
      LINLI_ASSIGN_OR_RETURN(auto heads, storage::ResidentRepo::GetMany(s, head_ids));
      for (const auto& h : page) {
        LINLI_ASSIGN_OR_RETURN(auto address, AddressColumns(addresses, h.id, reveal));
        auto b = addresses.buildings.find(h.building_id);
        std::string head_name, head_phone;
        if (auto head = heads.find(h.head_id); head != heads.end()) {
          auto v = registry_.View(head->second, reveal, today);
          head_name = v.name;
          head_phone = v.phone;
        }
        auto node = node_names.find(h.node_id);
        if (node == node_names.end()) {
          LINLI_ASSIGN_OR_RETURN(auto n, storage::OrgRepo::Get(s, h.node_id));
          node = node_names.emplace(h.node_id, n ? n->name : "").first;
        }
        rows.push_back({address[0], b == addresses.buildings.end() ? "" : b->second.name, address[1], address[2],
                        head_name, head_phone, std::to_string(h.members), node->second});
      }
      if (static_cast<int>(page.size()) < q.limit) break;
      q.after_id = page.back().id;
    }
    return Ok();
  });
  if (!st) return st.error();
  return Deliver(who, {"households", "住户", "household.export"}, std::move(rows), where_path, reveal, reason, format);
}

Result<ExportFile> ImportService::ExportVisits(const Caller& who, std::optional<std::int64_t> node_id,
                                               storage::VisitListQuery q, tabular::Format format, bool reveal,
                                               const std::string& reason) {
  auto rows = ExportPreamble(who, clock_.NowMillis(), reveal,
                             {"走访时间", "楼栋编号", "单元", "房号", "走访人", "结果", "变更", "备注", "扫楼清查"});
  std::string where_path;
  Status st = db_.Read([&](SqlSession& s) -> Status {
    LINLI_ASSIGN_OR_RETURN(q.prefixes, ExportScopeFor(s, who, node_id, reveal, reason));
    where_path = q.prefixes.front();
    q.limit = 500;
    q.before_id = 0;
    std::unordered_map<std::int64_t, std::string> visitors;
    while (true) {
      LINLI_ASSIGN_OR_RETURN(auto page, storage::VisitRepo::List(s, q));
      LINLI_TRY(CheckCap(who, rows.size() - kPreambleRows + page.size()));
      std::vector<std::int64_t> household_ids;
      for (const auto& v : page) household_ids.push_back(v.household_id);
      LINLI_ASSIGN_OR_RETURN(auto addresses, AddressesOf(s, std::move(household_ids)));
      for (auto& row : page) {
        LINLI_ASSIGN_OR_RETURN(auto address, AddressColumns(addresses, row.household_id, reveal));
        auto visitor = visitors.find(row.visitor_id);
        if (visitor == visitors.end()) {
          LINLI_ASSIGN_OR_RETURN(auto u, storage::AccountRepo::UserById(s, row.visitor_id));
          visitor = visitors.emplace(row.visitor_id, u ? (u->display_name.empty() ? u->username : u->display_name) : "").first;
        }
        LINLI_ASSIGN_OR_RETURN(auto v, OpenVisit(registry_.field_crypto(), std::move(row), reveal));
        rows.push_back({domain::ChinaDateTime(v.row.visited_at), address[0], address[1], address[2], visitor->second,
                        Label(domain::VisitOutcomes(), v.row.outcome), v.changes, v.notes,
                        v.row.sweep_id ? std::to_string(v.row.sweep_id) : ""});
      }
      if (static_cast<int>(page.size()) < q.limit) break;
      q.before_id = page.back().id;
    }
    return Ok();
  });
  if (!st) return st.error();
  return Deliver(who, {"visits", "走访记录", "visit.export"}, std::move(rows), where_path, reveal, reason, format);
}

Result<ExportFile> ImportService::ExportCases(const Caller& who, std::optional<std::int64_t> node_id,
                                              storage::CaseListQuery q, tabular::Format format) {
  constexpr std::size_t kMaxCaseRows = 50000;
  auto rows = ExportPreamble(who, clock_.NowMillis(), false,
                             {"受理编号", "上报时间", "分类", "渠道", "状态", "处理层级", "网格", "地址", "描述",
                              "办结时间", "超时", "评价"});
  std::string where_path;
  Status st = db_.Read([&](SqlSession& s) -> Status {
    auto scope = who.is_system() ? domain::Scope({"/"}) : domain::ScopeFor(who.principal, perm::kCaseRead);
    if (scope.Empty()) return Error::Denied("exporting cases needs case.read");
    q.prefixes = scope.prefixes();
    if (node_id) {
      LINLI_ASSIGN_OR_RETURN(auto node, storage::OrgRepo::Get(s, *node_id));
      if (!node || !scope.Covers(node->path)) return Error::NotFound("no org node " + std::to_string(*node_id));
      q.prefixes = {node->path};
    }
    where_path = q.prefixes.front();
    q.limit = 500;
    q.after_id = 0;
    std::unordered_map<std::int64_t, std::string> node_names;
    while (true) {
      LINLI_ASSIGN_OR_RETURN(auto page, storage::CaseRepo::List(s, q));
      if (rows.size() - kPreambleRows + page.size() > kMaxCaseRows) {
        return Error::Precondition("the export would hold more than 50000 cases — narrow it to a smaller node or filter");
      }
      for (const auto& c : page) {
        auto name = node_names.find(c.node_id);
        if (name == node_names.end()) {
          LINLI_ASSIGN_OR_RETURN(auto n, storage::OrgRepo::Get(s, c.node_id));
          name = node_names.emplace(c.node_id, n ? n->name : "").first;
        }
        rows.push_back({c.tracking_code, domain::ChinaDateTime(c.created_at), c.category_code, c.channel, c.state, c.level,
                        name->second, c.address, c.description, c.resolved_at ? domain::ChinaDateTime(c.resolved_at) : "",
                        c.overdue ? "是" : "", c.rating ? std::to_string(c.rating) : ""});
      }
      if (static_cast<int>(page.size()) < q.limit) break;
      q.after_id = page.back().id;
    }
    return Ok();
  });
  if (!st) return st.error();
  return Deliver(who, {"cases", "诉求事件", "case.export"}, std::move(rows), where_path, false, "", format);
}

}  // namespace linli::service
