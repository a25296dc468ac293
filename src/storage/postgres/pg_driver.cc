#include "storage/postgres/pg_driver.h"

#include <libpq-fe.h>
#include <sys/wait.h>

#include <spdlog/spdlog.h>

#include <algorithm>
#include <charconv>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <deque>
#include <list>
#include <unordered_map>

namespace linli::storage {
namespace {

// Type OIDs from pg_type.h, which is not part of libpq's public headers.
constexpr Oid kBoolOid = 16, kInt8Oid = 20, kInt2Oid = 21, kInt4Oid = 23, kFloat4Oid = 700,
              kFloat8Oid = 701, kNumericOid = 1700;

Error PgError(const PGresult* res, PGconn* conn) {
  const char* state = res ? PQresultErrorField(res, PG_DIAG_SQLSTATE) : nullptr;
  std::string msg = res ? PQresultErrorMessage(res) : PQerrorMessage(conn);
  while (!msg.empty() && (msg.back() == '\n' || msg.back() == ' ')) msg.pop_back();
  std::string_view code = state ? state : "";
  if (code == "23505") {
    // Constraint "org_nodes_code_key" names the column, which becomes the field.
    std::string field;
    const char* table = res ? PQresultErrorField(res, PG_DIAG_TABLE_NAME) : nullptr;
    const char* constraint = res ? PQresultErrorField(res, PG_DIAG_CONSTRAINT_NAME) : nullptr;
    if (table && constraint) {
      std::string c = constraint, prefix = std::string(table) + "_";
      if (c.starts_with(prefix) && c.ends_with("_key")) {
        field = c.substr(prefix.size(), c.size() - prefix.size() - 4);
      }
    }
    return {ErrorCode::kAlreadyExists, msg, field};
  }
  if (code.starts_with("23")) return {ErrorCode::kFailedPrecondition, msg, {}};
  if (code == "40001" || code == "40P01") return {ErrorCode::kAborted, msg, {}};
  if (code.starts_with("08") || code.starts_with("57") || PQstatus(conn) != CONNECTION_OK) {
    return Error::Unavailable("PostgreSQL: " + msg);
  }
  return Error::Internal("PostgreSQL: " + msg);
}

// "$1" placeholders are PostgreSQL's own; parameters go as text and the server infers types.
class PgSession final : public SqlSession {
 public:
  explicit PgSession(PGconn* conn, bool pipeline) : conn_(conn), pipeline_(pipeline) {
    if (pipeline_) PQenterPipelineMode(conn_);
  }
  ~PgSession() override { PQfinish(conn_); }

  Dialect dialect() const override { return Dialect::kPostgres; }
  std::string DatabaseKey() const override {
    auto text = [](const char* s) { return std::string(s ? s : ""); };
    return text(PQhost(conn_)) + ":" + text(PQport(conn_)) + "/" + text(PQdb(conn_));
  }

  Result<SqlRows> Query(std::string_view sql, Params params) override {
    LINLI_TRY(Send(sql, params, /*wanted=*/true));
    LINLI_TRY(Sync());
    return std::move(last_rows_);
  }

  Result<SqlRows> QueryPlannedForValues(std::string_view sql, Params params) override {
    LINLI_TRY(OpenJobSavepoint());
    TextParams text(params);
    if (!PQsendQueryParams(conn_, std::string(sql).c_str(), static_cast<int>(params.size()), nullptr,
                           text.values.data(), nullptr, nullptr, 0)) {
      return PgError(nullptr, conn_);
    }
    pending_.push_back({PendingKind::kWanted, {}});
    LINLI_TRY(Sync());
    return std::move(last_rows_);
  }

  Result<SqlRows> QueryPlannedOnce(std::string_view sql, Params params) override {
    // One round trip: the mode for this statement only, then back to PostgreSQL's own choice.
    // Should the statement fail, the pipeline's implicit transaction (or the caller's) rolls the
    // SET back with it. (An administrator's session, outside a pipeline, plans as it will.)
    if (!pipeline_) return Query(sql, params);
    LINLI_TRY(Send("SET plan_cache_mode = force_generic_plan", {}, /*wanted=*/false));
    LINLI_TRY(Send(sql, params, /*wanted=*/true));
    LINLI_TRY(Send("RESET plan_cache_mode", {}, /*wanted=*/false));
    LINLI_TRY(Sync());
    return std::move(last_rows_);
  }

  Result<std::int64_t> Exec(std::string_view sql, Params params) override {
    LINLI_TRY(Send(sql, params, /*wanted=*/true));
    LINLI_TRY(Sync());
    return last_affected_;
  }

  Status ExecDeferred(std::string_view sql, Params params) override {
    LINLI_TRY(Send(sql, params, /*wanted=*/false));
    if (!pipeline_) return Sync();
    return Ok();
  }

  // The COMMIT goes behind the transaction's statements with a flush request and no sync point:
  // the server answers it as soon as it has committed, and should it fail, it skips whatever
  // was sent after it until the next sync point (the writer's next transaction with it).
  Status SendCommit() override {
    if (!pipeline_) return StatusOf(Exec("COMMIT", {}));
    LINLI_TRY(Send("COMMIT", {}, /*wanted=*/false));
    pending_.back().commit = ++commits_sent_;
    if (!PQsendFlushRequest(conn_) || PQflush(conn_) != 0) return PgError(nullptr, conn_);
    return Ok();
  }

  bool PipelinesCommits() const override { return pipeline_; }

  Status AwaitCommit() override {
    if (!pipeline_ || commits_awaited_ == commits_sent_) return Ok();
    std::int64_t ticket = ++commits_awaited_;
    std::optional<Error> first_error;
    while (!commit_outcomes_.contains(ticket)) {
      if (pending_.empty()) return Error::Unavailable("PostgreSQL connection lost before the commit was answered");
      LINLI_TRY(ReadNextResult(first_error));
    }
    Status outcome = std::move(commit_outcomes_[ticket]);
    commit_outcomes_.erase(ticket);
    if (!outcome) {
      // The pipeline stays aborted until a sync point: read what it skipped. Commits sent after
      // this one were skipped too; their transactions are the writer's to send again.
      (void)Sync();
      commits_awaited_ = commits_sent_;
      commit_outcomes_.clear();
      sql_failed_ = true;
    }
    return outcome;
  }

  Status ExecScript(std::string_view sql) override {
    LINLI_TRY(OpenJobSavepoint());
    if (pipeline_) {
      LINLI_TRY(Sync());
      PQexitPipelineMode(conn_);
    }
    PGresult* res = PQexec(conn_, std::string(sql).c_str());
    Status st = Ok();
    auto status = PQresultStatus(res);
    if (status != PGRES_COMMAND_OK && status != PGRES_TUPLES_OK) {
      st = PgError(res, conn_);
      sql_failed_ = true;
    }
    PQclear(res);
    if (pipeline_) PQenterPipelineMode(conn_);
    return st;
  }

  bool CopiesRows() const override { return true; }

  Status CopyRows(std::string_view copy_sql, Params values, std::size_t columns) override {
    // libpq runs no COPY in pipeline mode: what is pipelined is read first, then the COPY runs
    // on its own, inside the same transaction.
    LINLI_TRY(OpenJobSavepoint());
    if (pipeline_) {
      LINLI_TRY(Sync());
      PQexitPipelineMode(conn_);
    }
    Status st = Copy(copy_sql, values, columns);
    if (!st) sql_failed_ = true;
    if (pipeline_) PQenterPipelineMode(conn_);
    return st;
  }

  Result<std::int64_t> NextId(std::string_view table) override {
    // Blocks of the identity sequence: one round trip per block. Values never return to the
    // sequence, so a block outlives transactions; unused ids are only gaps. A block used up
    // within a second is followed by one twice its size (up to 8,192): under a busy intake the
    // writer's draws, each waiting for every statement pipelined before it, stay a few a second.
    auto& block = id_blocks_[std::string(table)];
    if (block.empty()) {
      auto& pace = id_block_pace_[std::string(table)];
      auto now = std::chrono::steady_clock::now();
      bool quick = pace.drawn_at.time_since_epoch().count() != 0 && now - pace.drawn_at < std::chrono::seconds(1);
      pace.size = quick ? std::min(pace.size * 2, 8192) : 256;
      pace.drawn_at = now;
      if (!IsPlainIdentifier(table)) return Error::Internal("bad table name");
      // The sequence is looked up once: named in the query, pg_get_serial_sequence ran for every
      // row of the block (6 % of the backend's time at public intake).
      auto& draw = id_block_sql_[std::string(table)];
      if (draw.empty()) {
        std::vector<SqlValue> name = {Text(table)};
        LINLI_ASSIGN_OR_RETURN(auto seq, Query("SELECT pg_get_serial_sequence($1, 'id')", Params(name)));
        if (seq.empty() || seq[0].IsNull(0)) return Error::Internal("no id sequence for " + std::string(table));
        std::string literal;  // the name as a string literal, quotes doubled
        for (char c : seq[0].Text(0)) literal += c == '\'' ? std::string("''") : std::string(1, c);
        draw = "SELECT nextval('" + literal + "'::regclass) FROM generate_series(1, $1)";
      }
      std::vector<SqlValue> params = {Int(pace.size)};
      LINLI_ASSIGN_OR_RETURN(auto rows, Query(draw, Params(params)));
      for (auto it = rows.rbegin(); it != rows.rend(); ++it) block.push_back(it->Int(0));
    }
    std::int64_t id = block.back();
    block.pop_back();
    return id;
  }

  PGconn* conn() { return conn_; }

 private:
  enum class PendingKind { kPrepare, kDeferred, kWanted };
  struct Pending {
    PendingKind kind;
    std::string prepared_sql;  // for kPrepare: the cache key to forget if the Parse did not take
    std::int64_t commit = 0;   // a pipelined COMMIT's ticket (SendCommit), else 0
  };

  // COPY's text format: a tab between values, a newline after each row, \N for NULL, and a
  // backslash before any backslash, tab, newline or carriage return in a text.
  static void AppendCopyValue(std::string& out, const SqlValue& v) {
    if (auto p = std::get_if<std::int64_t>(&v)) {
      char digits[24];
      out.append(digits, std::to_chars(digits, digits + sizeof digits, *p).ptr);
    } else if (auto p = std::get_if<double>(&v)) {
      char digits[32];
      out.append(digits, std::to_chars(digits, digits + sizeof digits, *p).ptr);  // shortest exact form
    } else if (auto p = std::get_if<std::string>(&v)) {
      if (p->find_first_of("\\\t\n\r") == std::string::npos) {  // almost every value
        out += *p;
        return;
      }
      for (char c : *p) {
        switch (c) {
          case '\\': out += "\\\\"; break;
          case '\t': out += "\\t"; break;
          case '\n': out += "\\n"; break;
          case '\r': out += "\\r"; break;
          default: out += c;
        }
      }
    } else {
      out += "\\N";
    }
  }

  Status Copy(std::string_view copy_sql, Params values, std::size_t columns) {
    PGresult* res = PQexec(conn_, std::string(copy_sql).c_str());
    if (PQresultStatus(res) != PGRES_COPY_IN) {
      Error e = PgError(res, conn_);
      PQclear(res);
      return e;
    }
    PQclear(res);
    // Sent a megabyte at a time, so the server inserts the first rows while the rest are written.
    constexpr std::size_t kChunk = 1 << 20;
    std::string buf;
    buf.reserve(kChunk + 4096);
    bool sent = true;
    for (std::size_t i = 0; i < values.size() && sent; ++i) {
      AppendCopyValue(buf, values[i]);
      buf += (i + 1) % columns == 0 ? '\n' : '\t';
      if (buf.size() >= kChunk) {
        sent = PQputCopyData(conn_, buf.data(), static_cast<int>(buf.size())) == 1;
        buf.clear();
      }
    }
    if (sent && !buf.empty()) sent = PQputCopyData(conn_, buf.data(), static_cast<int>(buf.size())) == 1;
    if (PQputCopyEnd(conn_, sent ? nullptr : "linli: sending the rows failed") != 1) return PgError(nullptr, conn_);
    std::optional<Error> first_error;
    while ((res = PQgetResult(conn_)) != nullptr) {
      if (PQresultStatus(res) != PGRES_COMMAND_OK && !first_error) first_error = PgError(res, conn_);
      PQclear(res);
    }
    if (first_error) return *first_error;
    if (!sent) return PgError(nullptr, conn_);
    return Ok();
  }

  // Parameters as the text libpq sends (NULL as a null pointer).
  struct TextParams {
    explicit TextParams(Params params) : text(params.size()), values(params.size()) {
      for (std::size_t i = 0; i < params.size(); ++i) {
        const SqlValue& v = params[i];
        if (auto p = std::get_if<std::int64_t>(&v)) text[i] = std::to_string(*p);
        else if (auto p = std::get_if<double>(&v)) text[i] = std::to_string(*p);
        else if (auto p = std::get_if<std::string>(&v)) text[i] = *p;
        values[i] = std::holds_alternative<std::monostate>(v) ? nullptr : text[i].c_str();
      }
    }
    std::vector<std::string> text;
    std::vector<const char*> values;
  };

  Status Send(std::string_view sql, Params params, bool wanted) {
    LINLI_TRY(OpenJobSavepoint());
    auto it = statements_.find(sql);
    if (it == statements_.end()) {
      if (statements_.size() >= kMaxPrepared) LINLI_TRY(DeallocateLeastRecent());
      std::string key(sql);
      std::string name = "s" + std::to_string(++statements_named_);
      if (!PQsendPrepare(conn_, name.c_str(), key.c_str(), 0, nullptr)) return PgError(nullptr, conn_);
      pending_.push_back({PendingKind::kPrepare, key});
      it = statements_.emplace(std::move(key), Prepared{std::move(name), {}}).first;
      recency_.push_front(&it->first);
      it->second.used = recency_.begin();
      if (!pipeline_) LINLI_TRY(Sync());
    } else {
      recency_.splice(recency_.begin(), recency_, it->second.used);
    }
    TextParams text(params);
    if (!PQsendQueryPrepared(conn_, it->second.name.c_str(), static_cast<int>(params.size()),
                             text.values.data(), nullptr, nullptr, 0)) {
      return PgError(nullptr, conn_);
    }
    pending_.push_back({wanted ? PendingKind::kWanted : PendingKind::kDeferred, {}});
    return Ok();
  }

  // The server keeps a session's prepared statements until it ends: past kMaxPrepared the one
  // used longest ago is deallocated (in the pipeline, before the new one is prepared). Should the
  // pipeline abort first, the server keeps it under a name never used again — harmless.
  Status DeallocateLeastRecent() {
    std::string sql = "DEALLOCATE " + statements_.find(*recency_.back())->second.name;
    if (!PQsendQueryParams(conn_, sql.c_str(), 0, nullptr, nullptr, nullptr, nullptr, 0)) return PgError(nullptr, conn_);
    pending_.push_back({PendingKind::kDeferred, {}});
    Forget(*recency_.back());
    if (!pipeline_) return Sync();
    return Ok();
  }

  void Forget(std::string_view sql) {
    auto it = statements_.find(sql);
    if (it == statements_.end()) return;
    recency_.erase(it->second.used);
    statements_.erase(it);
  }

  // Sends a sync point (in pipeline mode) and reads every pending result. The first error wins;
  // in pipeline mode the commands after it report PIPELINE_ABORTED, which is not a new error.
  Status Sync() {
    if (pipeline_ && !PQpipelineSync(conn_)) return PgError(nullptr, conn_);
    std::optional<Error> first_error;
    while (!pending_.empty()) LINLI_TRY(ReadNextResult(first_error));
    if (pipeline_) {
      PGresult* res = PQgetResult(conn_);  // the PGRES_PIPELINE_SYNC marker
      if (res == nullptr || PQresultStatus(res) != PGRES_PIPELINE_SYNC) {
        if (res) PQclear(res);
        return Error::Unavailable("PostgreSQL pipeline out of step");
      }
      PQclear(res);
    }
    if (first_error) {
      sql_failed_ = true;
      return *first_error;
    }
    return Ok();
  }

  // Reads the results of the oldest pending command. The first error wins; in pipeline mode the
  // commands after it report PIPELINE_ABORTED, which is not a new error. A pipelined COMMIT's
  // outcome is kept for AwaitCommit: committed, or the first error before it.
  Status ReadNextResult(std::optional<Error>& first_error) {
    Pending pending = std::move(pending_.front());
    pending_.pop_front();
    bool failed = false;
    PGresult* res;
    while ((res = PQgetResult(conn_)) != nullptr) {
      ExecStatusType st = PQresultStatus(res);
      if (st == PGRES_TUPLES_OK || st == PGRES_COMMAND_OK) {
        if (pending.kind == PendingKind::kWanted) Collect(res);
      } else {
        failed = true;
        if (pending.kind == PendingKind::kPrepare) {
          // The server holds no statement under that name (a bad statement, or an aborted
          // pipeline skipped the Parse): forget it so the next use prepares it again.
          Forget(pending.prepared_sql);
          if (!first_error && st != PGRES_PIPELINE_ABORTED) {
            // Naming the SQL (its $n markers, never the values bound to them) says which query is wrong.
            first_error = PgError(res, conn_);
            first_error->message += " in: " + pending.prepared_sql.substr(0, 200);
          }
        } else if (st != PGRES_PIPELINE_ABORTED && !first_error) {
          first_error = PgError(res, conn_);
        }
        if (!first_error) first_error = Error::Internal("PostgreSQL pipeline aborted");
      }
      PQclear(res);
    }
    if (pending.commit != 0) {
      commit_outcomes_.emplace(pending.commit, failed ? Status(*first_error) : Status(Ok()));
    }
    if (PQstatus(conn_) != CONNECTION_OK) {
      pending_.clear();
      return Error::Unavailable("PostgreSQL connection lost");
    }
    return Ok();
  }

  void Collect(PGresult* res) {
    last_affected_ = std::atoll(PQcmdTuples(res));
    last_rows_.clear();
    int nrows = PQntuples(res), ncols = PQnfields(res);
    last_rows_.reserve(nrows);
    for (int r = 0; r < nrows; ++r) {
      SqlRow row;
      row.cols.reserve(ncols);
      for (int c = 0; c < ncols; ++c) {
        if (PQgetisnull(res, r, c)) {
          row.cols.emplace_back(std::monostate{});
          continue;
        }
        const char* v = PQgetvalue(res, r, c);
        switch (PQftype(res, c)) {
          case kInt2Oid: case kInt4Oid: case kInt8Oid:
            row.cols.emplace_back(std::int64_t{std::atoll(v)}); break;
          case kBoolOid: row.cols.emplace_back(std::int64_t{v[0] == 't'}); break;
          case kFloat4Oid: case kFloat8Oid: case kNumericOid:
            row.cols.emplace_back(std::strtod(v, nullptr)); break;
          default: row.cols.emplace_back(std::string(v, PQgetlength(res, r, c)));
        }
      }
      last_rows_.push_back(std::move(row));
    }
  }

  PGconn* conn_;
  bool pipeline_;
  // A session's prepared statements by their text, and their texts most recently used first.
  struct Prepared {
    std::string name;
    std::list<const std::string*>::iterator used;  // its place in recency_
  };
  static constexpr std::size_t kMaxPrepared = 1000;
  std::unordered_map<std::string, Prepared, StringHash, std::equal_to<>> statements_;
  std::list<const std::string*> recency_;  // the keys of statements_ (stable: the map's nodes)
  std::int64_t statements_named_ = 0;  // names are never reused, even after a failed Parse
  std::deque<Pending> pending_;
  // Pipelined COMMITs: tickets handed out and awaited, and the outcomes read but not yet awaited.
  std::int64_t commits_sent_ = 0, commits_awaited_ = 0;
  std::unordered_map<std::int64_t, Status> commit_outcomes_;
  std::unordered_map<std::string, std::vector<std::int64_t>> id_blocks_;  // ids to hand out, last first
  struct IdBlockPace {
    int size = 256;
    std::chrono::steady_clock::time_point drawn_at;
  };
  std::unordered_map<std::string, IdBlockPace> id_block_pace_;  // table → its last block's size and time
  std::unordered_map<std::string, std::string> id_block_sql_;  // table → the query drawing a block of its ids
  SqlRows last_rows_;
  std::int64_t last_affected_ = 0;
};

// Hides the password of a connection URL for logs.
std::string Redact(const std::string& url) {
  auto at = url.find('@');
  auto scheme = url.find("://");
  if (at == std::string::npos || scheme == std::string::npos) return url;
  auto colon = url.find(':', scheme + 3);
  if (colon == std::string::npos || colon > at) return url;
  return url.substr(0, colon) + ":***" + url.substr(at);
}

int RunCommand(const std::vector<std::string>& argv) {
  pid_t pid = fork();
  if (pid == 0) {
    std::vector<char*> args;
    for (const auto& a : argv) args.push_back(const_cast<char*>(a.c_str()));
    args.push_back(nullptr);
    execvp(args[0], args.data());
    _exit(127);
  }
  int status = 0;
  waitpid(pid, &status, 0);
  return WIFEXITED(status) ? WEXITSTATUS(status) : -1;
}

class PgDriver final : public Driver {
 public:
  explicit PgDriver(std::string url) : url_(std::move(url)) {}
  Dialect dialect() const override { return Dialect::kPostgres; }
  std::string_view BeginWriteSql() const override { return "BEGIN"; }
  bool ReadsInTransaction() const override { return false; }
  std::string Describe() const override { return Redact(url_); }

  Result<std::unique_ptr<SqlSession>> Connect(ConnectionRole role) override {
    PGconn* conn = PQconnectdb(url_.c_str());
    if (PQstatus(conn) != CONNECTION_OK) {
      std::string msg = PQerrorMessage(conn);
      PQfinish(conn);
      while (!msg.empty() && msg.back() == '\n') msg.pop_back();
      return Error::Unavailable("cannot connect to PostgreSQL at " + Redact(url_) + ": " + msg);
    }
    PGresult* res = PQexec(conn,
                           "SET client_min_messages = warning; SET TIME ZONE 'UTC';"
                           "SET client_encoding = 'UTF8'");
    PQclear(res);
    if (role == ConnectionRole::kRead) {
      res = PQexec(conn, "SET default_transaction_read_only = on");
      PQclear(res);
    }
    return std::unique_ptr<SqlSession>(new PgSession(conn, role != ConnectionRole::kAdmin));
  }

  Status Backup(const std::string& destination) override {
    int rc = RunCommand({"pg_dump", "--format=custom", "--no-owner", "--file=" + destination, url_});
    if (rc != 0) return Error::Internal("pg_dump failed with exit code " + std::to_string(rc));
    return Ok();
  }

  // pg_restore --clean cannot drop a partition's inherited constraints, so the restore is one psql
  // transaction instead: drop what is there (tables with their partitions, sequences, functions
  // — not an extension's), then the backup as SQL. A failure anywhere leaves the database as it was.
  Status Restore(const std::string& source) override {
    std::string script = source + ".restore.sql";
    std::string prelude = source + ".prelude.sql";
    struct Cleanup {
      std::vector<std::string> files;
      ~Cleanup() {
        for (const auto& f : files) std::remove(f.c_str());
      }
    } cleanup{{script, prelude}};
    int rc = RunCommand({"pg_restore", "--no-owner", "--file=" + script, source});
    if (rc != 0) return Error::Internal("pg_restore failed with exit code " + std::to_string(rc));
    {
      std::FILE* f = std::fopen(prelude.c_str(), "w");
      if (!f) return Error::Internal("cannot write " + prelude);
      std::fputs(kDropEverything, f);
      if (std::fclose(f) != 0) return Error::Internal("cannot write " + prelude);
    }
    rc = RunCommand({"psql", "--no-psqlrc", "--quiet", "--set=ON_ERROR_STOP=1", "--single-transaction",
                     "--output=/dev/null", "--dbname=" + url_, "--file=" + prelude, "--file=" + script});
    if (rc != 0) return Error::Internal("restoring with psql failed with exit code " + std::to_string(rc));
    return Ok();
  }

  static constexpr const char* kDropEverything = R"sql(
SET client_min_messages = warning;
DO $$
DECLARE r record;
BEGIN
  FOR r IN SELECT c.relname FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
           WHERE n.nspname = current_schema() AND c.relkind IN ('r', 'p') AND NOT c.relispartition LOOP
    EXECUTE format('DROP TABLE IF EXISTS %I CASCADE', r.relname);
  END LOOP;
  FOR r IN SELECT c.relname FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
           WHERE n.nspname = current_schema() AND c.relkind = 'S' LOOP
    EXECUTE format('DROP SEQUENCE IF EXISTS %I CASCADE', r.relname);
  END LOOP;
  FOR r IN SELECT p.oid::regprocedure AS f FROM pg_proc p JOIN pg_namespace n ON n.oid = p.pronamespace
           WHERE n.nspname = current_schema()
             AND NOT EXISTS (SELECT 1 FROM pg_depend d WHERE d.objid = p.oid AND d.deptype = 'e') LOOP
    EXECUTE format('DROP FUNCTION IF EXISTS %s', r.f);
  END LOOP;
END $$;
)sql";

  Result<std::string> IntegrityCheck() override {
    // PostgreSQL checksums its pages itself; here we check that every table can be read.
    LINLI_ASSIGN_OR_RETURN(auto s, Connect(ConnectionRole::kAdmin));
    LINLI_ASSIGN_OR_RETURN(auto rows, s->Query("SELECT tablename FROM pg_tables WHERE schemaname = current_schema()"));
    for (const auto& r : rows) {
      auto q = s->Query("SELECT count(*) FROM \"" + r.Text(0) + "\"");
      if (!q) return "table " + r.Text(0) + ": " + q.error().message;
    }
    return std::string("ok");
  }

  Status LockForMigration(SqlSession& admin) override {
    // A session-level advisory lock, released when the admin connection closes.
    return admin.ExecScript("SELECT pg_advisory_lock(7146533)");
  }

 private:
  std::string url_;
};

}  // namespace

Result<std::unique_ptr<Driver>> MakePostgresDriver(std::string url) {
  return std::unique_ptr<Driver>(new PgDriver(std::move(url)));
}

}  // namespace linli::storage
