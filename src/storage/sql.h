// The seam between Linli's repositories and a database engine.
//
// Repositories are written once, in SQL that both engines accept, against SqlSession. A driver
// (sqlite/, postgres/) implements SqlSession for one engine; the only dialect differences the
// repositories see are the few that Dialect names. Placeholders are $1, $2 ... on both engines.
//
// REQUIRES: a session is used by one thread at a time.
#pragma once

#include <algorithm>
#include <cstdint>
#include <initializer_list>
#include <functional>
#include <optional>
#include <utility>
#include <span>
#include <string>
#include <string_view>
#include <variant>
#include <vector>

#include "core/result.h"

namespace linli::storage {

enum class Dialect { kSqlite, kPostgres };
std::string_view DialectName(Dialect d);

// What a session writes in bulk, for the engine to tune itself (SqlSession::SetBulkWrite).
enum class BulkWrite {
  kNone,     // serving: small transactions
  kRows,     // many rows into indexed tables (a roster import's chunk)
  kIndexes,  // indexes built over whole tables (bulk_load.h's Reinstate)
};

using SqlValue = std::variant<std::monostate, std::int64_t, double, std::string>;
inline SqlValue Null() { return std::monostate{}; }
inline SqlValue Text(std::string_view s) { return std::string(s); }
// A string given away is moved in, not copied: a bulk insert's texts (ResidentRepo::InsertMany).
inline SqlValue Text(std::string&& s) { return std::move(s); }
inline SqlValue Text(const char* s) { return std::string(s); }
inline SqlValue Int(std::int64_t v) { return v; }
// NULL for 0: for optional references such as a root node's parent.
inline SqlValue IdOrNull(std::int64_t v) { return v == 0 ? Null() : SqlValue(v); }
// NULL for "": for optional texts and ciphertexts.
inline SqlValue TextOrNull(const std::string& s) { return s.empty() ? Null() : Text(s); }
inline SqlValue TextOrNull(std::string&& s) { return s.empty() ? Null() : Text(std::move(s)); }
inline SqlValue RealOrNull(const std::optional<double>& v) { return v ? SqlValue(*v) : Null(); }

struct SqlRow {
  std::vector<SqlValue> cols;
  bool IsNull(std::size_t i) const { return std::holds_alternative<std::monostate>(cols[i]); }
  std::int64_t Int(std::size_t i) const;     // 0 for NULL
  double Real(std::size_t i) const;          // 0 for NULL
  std::string Text(std::size_t i) const;     // "" for NULL
};

using SqlRows = std::vector<SqlRow>;
using Params = std::span<const SqlValue>;

struct AppendTable;  // below

class SqlSession {
 public:
  virtual ~SqlSession() = default;
  virtual Dialect dialect() const = 0;
  // Which database the session talks to (SQLite: the file; PostgreSQL: host:port/name), for
  // what is kept per database beside the connections, like the search's plan choices. No round trip.
  virtual std::string DatabaseKey() const { return {}; }

  virtual Result<SqlRows> Query(std::string_view sql, Params params) = 0;
  // The same, planned for these very values each time instead of once for any (PostgreSQL: an
  // unnamed statement rather than a cached prepared one). For queries whose best plan depends on
  // the values, like a text search whose pattern may match a tenth of the rows or none: a
  // cached generic plan there cost 470 ms where the planned one took 2 ms.
  virtual Result<SqlRows> QueryPlannedForValues(std::string_view sql, Params params) { return Query(sql, params); }
  // The opposite: planned once for any values and kept (PostgreSQL: a generic plan), for a keyset
  // walk of an index whose plan is the same whatever the scope — a grid's open cases, a page of
  // the case list (CaseRepo::List without text). Left to choose, PostgreSQL planned such a query afresh for each request whenever the
  // values' plan looked cheaper than the generic one: 40 % of its time under a city's inboxes.
  virtual Result<SqlRows> QueryPlannedOnce(std::string_view sql, Params params) { return Query(sql, params); }
  // Returns the number of rows changed.
  virtual Result<std::int64_t> Exec(std::string_view sql, Params params) = 0;
  // A statement whose result nobody waits for (transaction control, appends). The PostgreSQL
  // driver pipelines these; a failure surfaces at the next Query/Exec or at COMMIT.
  virtual Status ExecDeferred(std::string_view sql, Params params) = 0;
  // Several statements separated by ';', no parameters (migrations).
  virtual Status ExecScript(std::string_view sql) = 0;
  // A bulk write of this kind starts on this session (kNone: it ended, back to serving). An engine
  // with settings per connection tunes them for the job and puts them back after, so the server's
  // memory stays small the rest of the time (BulkWriteScope does both).
  Status SetBulkWrite(BulkWrite kind) {
    LINLI_TRY(ApplyBulkWrite(kind));
    bulk_write_ = kind;
    return Ok();
  }
  // The bulk write this session is set for: a load that spans many jobs (bench-data) sets it once,
  // and the scopes of the jobs inside it find it set and leave it so.
  BulkWrite bulk_write() const { return bulk_write_; }
  // Whether CopyRows works here (PostgreSQL: COPY ... FROM STDIN). RowInserter::SendByCopy asks.
  virtual bool CopiesRows() const { return false; }
  // Rows into a table with one `copy_sql` ("COPY t (a, b) FROM STDIN"), `columns` values a row.
  // It waits for everything pipelined before it and for its own end, so it is for bulk writes of
  // thousands of rows, not for the writer's batches.
  virtual Status CopyRows(std::string_view copy_sql, Params values, std::size_t columns);

  Result<SqlRows> Query(std::string_view sql, std::initializer_list<SqlValue> params = {}) {
    return Query(sql, Params(params.begin(), params.size()));
  }
  Result<std::int64_t> Exec(std::string_view sql, std::initializer_list<SqlValue> params = {}) {
    return Exec(sql, Params(params.begin(), params.size()));
  }
  Status ExecDeferred(std::string_view sql, std::initializer_list<SqlValue> params = {}) {
    return ExecDeferred(sql, Params(params.begin(), params.size()));
  }
  // An id for a new row of `table` (whose key column is `id`) without a round trip per row:
  // PostgreSQL hands out blocks of its identity sequence; SQLite counts up from max(id) inside
  // its exclusive write transaction. Only for tables whose inserts all use NextId.
  virtual Result<std::int64_t> NextId(std::string_view table) = 0;

  // --- bookkeeping for the writer (storage/database.cc) ---
  // Whether any statement failed since the writer last cleared the flag. With deferred
  // statements a failure may surface in a later job, so the writer cannot trust its attribution.
  bool sql_failed() const { return sql_failed_; }
  void clear_sql_failed() { sql_failed_ = false; }
  // The writer's COMMIT. SendCommit commits where the engine answers at once (SQLite), or sends
  // the COMMIT behind the transaction's statements without waiting for it (PostgreSQL's
  // pipeline: the writer builds its next transaction while the server commits this one).
  // AwaitCommit answers for the oldest commit sent and not yet awaited. A pipelined commit that
  // fails takes with it everything sent after it — the server skips the rest of the pipeline —
  // so a transaction sent since must be run again.
  virtual Status SendCommit() { return StatusOf(Exec("COMMIT")); }
  virtual Status AwaitCommit() { return Ok(); }
  virtual bool PipelinesCommits() const { return false; }
  // Forgets what is only true inside the current transaction or savepoint (after it ends or
  // rolls back). The audit chain's head stays: it is the head this session last committed, or
  // is committing (ForgetAuditHead after a rollback).
  virtual void ForgetTransactionState() {
    audit_head_dirty = false;
    after_commit.clear();
    pending_counts.clear();
    counts_flushed = 0;
    pending_appends.clear();
    appends_flushed = 0;
  }
  // Where one job of the writer's batch began, to undo its bookkeeping when its savepoint rolls
  // back (the SQL is undone by the savepoint itself).
  struct JobMark {
    std::optional<std::pair<std::int64_t, std::string>> audit_head;
    bool audit_head_dirty;
    std::size_t after_commit, pending_counts, counts_flushed, pending_appends, appends_flushed;
  };
  JobMark MarkJob() const {
    return {audit_head,     audit_head_dirty,       after_commit.size(), pending_counts.size(),
            counts_flushed, pending_appends.size(), appends_flushed};
  }
  void RollBackJob(const JobMark& m) {
    audit_head = m.audit_head;
    audit_head_dirty = m.audit_head_dirty;
    after_commit.resize(m.after_commit);
    // Entries are only ever appended within a transaction, and a flush inside the rolled-back
    // savepoint was undone with it, so the earlier jobs' entries are pending again.
    pending_counts.resize(m.pending_counts);
    counts_flushed = m.counts_flushed;
    pending_appends.resize(m.pending_appends);
    appends_flushed = m.appends_flushed;
  }
  // The writer runs each job of a batch inside a savepoint, so that a job that refuses is undone
  // alone. The savepoint is opened only when the job sends its first statement (the drivers call
  // OpenJobSavepoint before each): most jobs send none — a report's row, event, notices, counts
  // and audit entry are all held back to the commit. Not sending a SAVEPOINT and RELEASE per job
  // raised PostgreSQL staff intake by 8 % (9,368 vs 8,690 reports/s, mean of 3 pairs).
  void BeginJob() { job_savepoint_ = JobSavepoint::kWanted; }
  // Ends the job's window; true if its savepoint was opened (to release, or to roll back to).
  bool EndJob() {
    bool opened = job_savepoint_ == JobSavepoint::kOpen;
    job_savepoint_ = JobSavepoint::kNone;
    return opened;
  }

  // The audit chain's head as of this session's last append. AuditRepo reads it once, keeps it
  // from one transaction to the next, and writes it to audit_head when the writer commits
  // (AuditRepo::FlushHead). A head another process moved meanwhile fails the next append on
  // audit_log's primary key (seq), and the writer runs the batch again with the head read afresh.
  std::optional<std::pair<std::int64_t, std::string>> audit_head;
  void ForgetAuditHead() { audit_head.reset(); }
  bool audit_head_dirty = false;

  // What to do once the current transaction is durable (tell live screens that cases changed):
  // the writer runs these after COMMIT and drops those of a job whose savepoint rolled back.
  void AfterCommit(std::function<void()> fn) { after_commit.push_back(std::move(fn)); }
  std::vector<std::function<void()>> after_commit;

  // Whether this session's owner writes what is held back before every COMMIT (the writer does):
  // only then are count deltas and appended rows held back; other sessions write them at once.
  bool defer_to_commit = false;

  // Count deltas for node_counts (RollupRepo) gathered through the transaction and written once,
  // summed per row, just before COMMIT (RollupRepo::FlushPending): a batch of 200 cases reported in
  // one grid updates each of the grid's and its ancestors' rows once instead of 200 times.
  struct PendingCount {
    std::int64_t node_id;
    std::string metric;
    std::int64_t delta;
  };
  std::vector<PendingCount> pending_counts;
  std::size_t counts_flushed = 0;  // entries before this index are written already

  // Rows for append-only tables (AppendRow) gathered through the transaction and written just
  // before COMMIT as multi-row statements (FlushAppends).
  struct PendingAppend {
    const AppendTable* table;
    std::vector<SqlValue> values;
  };
  std::vector<PendingAppend> pending_appends;
  std::size_t appends_flushed = 0;  // entries before this index are written already

 protected:
  Status OpenJobSavepoint() {
    if (job_savepoint_ != JobSavepoint::kWanted) return Ok();
    job_savepoint_ = JobSavepoint::kOpen;
    return ExecDeferred("SAVEPOINT w");
  }

  bool sql_failed_ = false;

  // The engine's settings for a bulk write of this kind (SetBulkWrite records it).
  virtual Status ApplyBulkWrite(BulkWrite) { return Ok(); }

 private:
  enum class JobSavepoint { kNone, kWanted, kOpen };
  JobSavepoint job_savepoint_ = JobSavepoint::kNone;
  BulkWrite bulk_write_ = BulkWrite::kNone;
};

// Bulk mode for as long as the scope lives (SqlSession::SetBulkWrite); a failure to switch only
// costs speed, so it is not an error. The mode the session was in before is put back after, not
// kNone: a roster import inside a load that holds kRows for its whole length (bench-data) must not
// shrink the page cache between files, or a city's next file reads its unique indexes' pages back
// one at a time.
class BulkWriteScope {
 public:
  explicit BulkWriteScope(SqlSession& s, BulkWrite kind = BulkWrite::kRows)
      : s_(s), kind_(kind), before_(s.bulk_write()) {
    if (kind_ != before_) (void)s_.SetBulkWrite(kind_);
  }
  ~BulkWriteScope() {
    if (kind_ != before_) (void)s_.SetBulkWrite(before_);
  }
  BulkWriteScope(const BulkWriteScope&) = delete;
  BulkWriteScope& operator=(const BulkWriteScope&) = delete;

 private:
  SqlSession& s_;
  BulkWrite kind_, before_;
};

// The first row of a one-parameter query turned into a Row by `from`, or nullopt.
template <class Row, class From>
Result<std::optional<Row>> OneRow(SqlSession& s, const std::string& sql, SqlValue v, From from) {
  LINLI_ASSIGN_OR_RETURN(auto rows, s.Query(sql, {std::move(v)}));
  if (rows.empty()) return std::optional<Row>();
  return std::optional<Row>(from(rows[0]));
}

// Every row of a query turned into Rows by `from`.
template <class Row, class From>
Result<std::vector<Row>> ManyRows(SqlSession& s, const std::string& sql, Params params, From from) {
  LINLI_ASSIGN_OR_RETURN(auto rows, s.Query(sql, params));
  std::vector<Row> out;
  out.reserve(rows.size());
  for (const auto& r : rows) out.push_back(from(r));
  return out;
}

// "$first, $first+1, ..." for `count` parameters.
std::string Markers(std::size_t first, std::size_t count);

// Runs `head` + "(" + 500 markers + ")" over `values`, 500 at a time (the last batch padded with
// NULL, so the statement keeps one shape and stays prepared), handing each row to `on_row` in no
// particular order. The values go in sorted, so each batch probes one narrow stretch of the index
// and the next batch the stretch after it: blind indexes are random by design, and 500 of them
// from anywhere read ~500 leaf pages a batch (an import's ID check on a district's 2 M residents:
// 5.3 µs a probe from a reader's cache, 1.7 µs sorted).
inline SqlValue Bound(const std::string& v) { return Text(v); }
inline SqlValue Bound(std::int64_t v) { return Int(v); }

template <class Value, class OnRow>
Status QueryInBatches(SqlSession& s, const std::string& head, std::vector<Value> values, OnRow on_row) {
  constexpr std::size_t kBatch = 500;
  std::sort(values.begin(), values.end());
  const std::string sql = head + "(" + Markers(1, kBatch) + ")";
  std::vector<SqlValue> p;
  for (std::size_t i = 0; i < values.size(); i += kBatch) {
    p.clear();
    for (std::size_t k = i; k < i + kBatch; ++k) p.push_back(k < values.size() ? Bound(values[k]) : Null());
    LINLI_ASSIGN_OR_RETURN(auto rows, s.Query(sql, Params(p)));
    for (const auto& r : rows) on_row(r);
  }
  return Ok();
}
// PostgreSQL array literals ("{1,2}", "{\"a\",\"b\"}"), bound as one text parameter and cast in the
// statement (`= ANY($1::bigint[])`): the statement's text and its plan do not depend on how many
// values there are.
std::string PgArray(const std::vector<std::int64_t>& values);
std::string PgArray(const std::vector<std::string>& values);
// Inserts many rows into one table in multi-row statements (`rows_per_statement` rows each, the
// rest in statements of halving powers of two: 32, 16, ... 1 rows), so a bulk write pays SQLite's
// statement overhead and PostgreSQL's round trips once per batch instead of once per row. A few
// statement shapes exist per table, so all stay prepared. Call Finish() before reading what was
// inserted; a failure surfaces at the Add() that sent its batch, or at Finish().
class RowInserter {
 public:
  // `on_conflict`, when given, ends every statement (an upsert: "ON CONFLICT (k) DO UPDATE ...").
  RowInserter(SqlSession& s, std::string_view table, std::initializer_list<std::string_view> columns,
              std::size_t rows_per_statement = 64, std::string_view on_conflict = {});
  // The columns as one list, "a, b, c" (a repository's column constant).
  RowInserter(SqlSession& s, std::string_view table, std::string_view column_list, std::size_t rows_per_statement = 64,
              std::string_view on_conflict = {});
  // One row's values, in the order of the columns (moved in, so long texts are not copied again).
  template <class... Values>
  Status Add(Values&&... values) {
    if (sizeof...(values) != columns_) return Error::Internal("RowInserter: a row has the wrong number of values");
    (pending_.push_back(SqlValue(std::forward<Values>(values))), ...);
    if (pending_.size() == rows_per_statement_ * columns_) return SendFull();
    return Ok();
  }
  // The same, for a row whose values are already in a vector.
  Status AddRow(std::vector<SqlValue> values);
  // The same, copied.
  Status AddRow(Params values);
  // Whole rows' values at once, built away from the session (a bulk write builds them on another
  // thread, so that its writer only binds and steps): the statements they fill are sent straight
  // from `values`, the rest moved into the next statement. The caller frees `values` (where it
  // likes: freeing a million rows' texts is work too).
  Status AddRows(std::span<SqlValue> values);
  Status Finish();
  // On an engine that copies rows (SqlSession::CopiesRows: PostgreSQL), sends the rows with COPY,
  // `rows_per_copy` at a time, instead of multi-row INSERTs: the server parses, plans and
  // executes no statement per batch (a first load of 300 k residents: see docs/performance.md,
  // "The roster import through COPY"). Called before the first row; not with a conflict clause,
  // which COPY has not; elsewhere nothing changes.
  void SendByCopy(std::size_t rows_per_copy = 16384);

 private:
  struct Statements;
  void Build(std::string_view table, std::string_view column_list, std::string_view on_conflict);
  const std::string& SqlFor(std::size_t rows);
  Status Send(Params full_statement);
  Status SendFull();
  SqlSession& s_;
  std::size_t columns_, rows_per_statement_;
  Statements* statements_;
  const std::string* batch_sql_;
  std::vector<SqlValue> pending_;
  std::size_t rows_per_copy_ = 0;  // 0: INSERT statements
};

// A table whose new rows the writer holds back: the history tables that only ever gain rows (case
// events, notifications, the audit log) and new cases. Each report adds a row to each, and one
// statement per row was a fifth of the writer's time at district intake; so the writer holds them
// back and writes a batch's rows of each table in multi-row statements just before COMMIT. A
// repository that reads such a table inside a write calls FlushAppends (or FlushAppendsHolding)
// first, so a write still sees what it appended.
struct AppendTable {
  std::string_view table;
  std::string_view columns;  // "a, b, c", in the order AppendRow's values follow
  // Tables of lower order are written first, so a row's parent (a new case) is in place before
  // the rows whose foreign keys name it (its event, its notifications).
  int order = 1;
};
// Appends one row: held back on a session that defers to its commit, else written at once.
Status AppendRow(SqlSession& s, const AppendTable& table, std::vector<SqlValue> values);
// Writes the rows held back, each table's in multi-row statements in the order they came,
// tables of lower AppendTable::order first.
Status FlushAppends(SqlSession& s);
// The same, only if some row held back is `table`'s: a write about to read or change such a row
// by its key sees it, and a batch that holds none keeps its rows for one write at COMMIT.
Status FlushAppendsHolding(SqlSession& s, const AppendTable& table);

// "$n" for the parameter about to be appended to `params`.
inline std::string NextMarker(const std::vector<SqlValue>& params) { return "$" + std::to_string(params.size() + 1); }

// Whether `name` is a plain SQL identifier (letters, digits, '_'), for table names spliced into SQL.
bool IsPlainIdentifier(std::string_view name);

// Hash and equality that let an unordered_map<std::string, V> be searched with a string_view,
// so looking up a cached prepared statement allocates nothing.
struct StringHash {
  using is_transparent = void;
  std::size_t operator()(std::string_view s) const { return std::hash<std::string_view>{}(s); }
};

// The half-open range [lo, hi) of strings that start with `prefix`: subtree queries use
// `path >= lo AND path < hi`, which both engines answer from an ordinary index (path columns are
// compared bytewise: COLLATE "C" on PostgreSQL, the default BINARY on SQLite).
std::pair<std::string, std::string> PrefixRange(std::string_view prefix);

// The LIKE pattern "%text%" with % _ and \ in `text` taken literally; the SQL must say
// `LIKE $n ESCAPE '\'`.
std::string LikeContaining(std::string_view text);

// Appends "(col >= $n AND col < $n+1 OR ...)" for a set of path prefixes to `sql` and their
// bounds to `params`. An empty set gives "(1=0)": nothing is visible.
void AppendPrefixFilter(std::string& sql, std::string_view column,
                        const std::vector<std::string>& prefixes, std::vector<SqlValue>& params);

// Appends the keyset page " AND (path, id) > (path of row after_id, after_id) ORDER BY path, id
// LIMIT n" (the AND part only when after_id > 0). Lists of records under a scope page in the order
// of their (node_path, id) index, so a grid's page costs the same in a city as in a demo; the
// cursor stays the last row's id (its path is looked up in `table`).
void AppendPathPage(std::string& sql, std::vector<SqlValue>& params, std::string_view table, std::string_view path_column,
                    std::string_view id_column, std::int64_t after_id, int limit);

}  // namespace linli::storage
