#include "storage/sqlite/sqlite_driver.h"

#include <fcntl.h>
#include <sqlite3.h>
#include <sys/file.h>
#include <unistd.h>

#include <spdlog/spdlog.h>

#include <atomic>
#include <condition_variable>
#include <mutex>
#include <thread>
#include <filesystem>
#include <unordered_map>

#include "core/metrics.h"
#include "storage/sqlite/bigram_tokenizer.h"

namespace linli::storage {

// CROSS JOIN fixes the join order: case_search_pending is empty whenever ANALYZE runs, so it has
// no statistics, and SQLite then guesses a million rows and scans the cases instead — a full scan
// of the cases table in every commit (district scale: intake 10,000 → 400 reports/s).
const char* const kSqliteIndexChangedCases =
    "INSERT INTO case_search (rowid, search_text) "
    "SELECT p.case_id, c.search_text FROM case_search_pending p CROSS JOIN cases c ON c.id = p.case_id";
namespace {

// $1 → ?1: SQLite reads ?NNN as a numbered parameter, whatever order they appear in.
std::string ToSqlitePlaceholders(std::string_view sql) {
  std::string out;
  out.reserve(sql.size());
  for (std::size_t i = 0; i < sql.size(); ++i) {
    if (sql[i] == '$' && i + 1 < sql.size() && sql[i + 1] >= '0' && sql[i + 1] <= '9') {
      out += '?';
    } else {
      out += sql[i];
    }
  }
  return out;
}

Error SqliteError(sqlite3* db, int rc, std::string_view what) {
  std::string msg = db ? sqlite3_errmsg(db) : sqlite3_errstr(rc);
  int ext = db ? sqlite3_extended_errcode(db) : rc;
  if (ext == SQLITE_CONSTRAINT_UNIQUE || ext == SQLITE_CONSTRAINT_PRIMARYKEY) {
    // "UNIQUE constraint failed: org_nodes.code" names the column, which becomes the field.
    std::string field;
    if (auto dot = msg.rfind('.'); dot != std::string::npos && msg.find(',') == std::string::npos) {
      field = msg.substr(dot + 1);
    }
    return {ErrorCode::kAlreadyExists, msg, field};
  }
  if ((rc & 0xFF) == SQLITE_CONSTRAINT) return {ErrorCode::kFailedPrecondition, msg, {}};
  if ((rc & 0xFF) == SQLITE_BUSY || (rc & 0xFF) == SQLITE_LOCKED) {
    return {ErrorCode::kUnavailable, "the database is busy", {}};
  }
  return Error::Internal(std::string(what) + ": " + msg);
}

class SqliteSession final : public SqlSession {
 public:
  explicit SqliteSession(sqlite3* db) : db_(db) {}
  std::string DatabaseKey() const override {
    const char* file = sqlite3_db_filename(db_, "main");
    return file ? file : "";
  }
  ~SqliteSession() override {
    for (auto& [sql, stmt] : cache_) sqlite3_finalize(stmt);
    // Should another process hold the file now, the next writer to open it (a server's) switches.
    if (back_to_wal_on_close) sqlite3_exec(db_, "PRAGMA journal_mode=WAL", nullptr, nullptr, nullptr);
    sqlite3_close_v2(db_);
    if (lock_fd_ >= 0) ::close(lock_fd_);
  }

  Dialect dialect() const override { return Dialect::kSqlite; }

  // The writer's page cache: 16 MiB serving (intake measured the same as with 64 MiB), 64 MiB by
  // default for a bulk import, which touches index pages all over the tree (blind indexes are
  // random by design): 10–20% slower at 16 MiB. On a database of millions of residents those
  // indexes outgrow 64 MiB (generating a district: 1 GiB, 11–15 % faster, bench-data's default),
  // hence --bulk-cache-mib. Shrinking frees the pages beyond the limit.
  // The temporary store: memory, except while indexes are built. A multi-row INSERT keeps its
  // statement journal there (a roster import's write took 36–40 s instead of 25–30 with files);
  // an index build sorts the whole table there, and in memory SQLite holds the sort in chunks
  // that merge slowly (a district's 13 indexes: 16.5–20.7 s, 12.0–12.8 s with files), and a
  // city's would be gigabytes of the process. The files hold the keys as the database does
  // (ciphertexts, blind indexes) and are deleted as they are opened.
  // While indexes are built, the cache is 2 MiB and the sort has helper threads: SQLite sorts a
  // cache's worth of keys at a time before writing them out, and runs of 2 MiB sort within the
  // processor's caches, on another core while the table is read on; the runs are merged on
  // several cores (1 M random keys: 1.5 s at 16 MiB on one thread, 0.8 s so: docs/performance.md,
  // "A first load's second phase without string maps").
  Status ApplyBulkWrite(BulkWrite kind) override {
    const bool indexes = kind == BulkWrite::kIndexes;
    const std::int64_t cache_kib = kind == BulkWrite::kRows ? bulk_cache_kib : indexes ? 2048 : 16384;
    const unsigned helpers = indexes ? std::clamp(std::thread::hardware_concurrency(), 1u, 8u) : 0;
    return ExecScript("PRAGMA cache_size=-" + std::to_string(cache_kib) + "; PRAGMA temp_store=" +
                      (indexes ? "FILE" : "MEMORY") + "; PRAGMA threads=" + std::to_string(helpers));
  }
  std::int64_t bulk_cache_kib = 65536;  // set by the driver when it opens the writer
  bool back_to_wal_on_close = false;     // a rollback-journal load's writer

  Result<SqlRows> Query(std::string_view sql, Params params) override {
    LINLI_ASSIGN_OR_RETURN(sqlite3_stmt* stmt, Prepare(sql, params));
    SqlRows rows;
    int ncols = sqlite3_column_count(stmt);
    for (;;) {
      int rc = sqlite3_step(stmt);
      if (rc == SQLITE_DONE) break;
      if (rc != SQLITE_ROW) {
        Error e = SqliteError(db_, rc, "query");
        sqlite3_reset(stmt);
        sql_failed_ = true;
        return e;
      }
      SqlRow row;
      row.cols.reserve(ncols);
      for (int c = 0; c < ncols; ++c) {
        switch (sqlite3_column_type(stmt, c)) {
          case SQLITE_INTEGER: row.cols.emplace_back(std::int64_t{sqlite3_column_int64(stmt, c)}); break;
          case SQLITE_FLOAT: row.cols.emplace_back(sqlite3_column_double(stmt, c)); break;
          case SQLITE_NULL: row.cols.emplace_back(std::monostate{}); break;
          default: {
            const char* p = reinterpret_cast<const char*>(sqlite3_column_text(stmt, c));
            row.cols.emplace_back(std::string(p, sqlite3_column_bytes(stmt, c)));
          }
        }
      }
      rows.push_back(std::move(row));
    }
    sqlite3_reset(stmt);
    return rows;
  }

  Result<std::int64_t> Exec(std::string_view sql, Params params) override {
    LINLI_ASSIGN_OR_RETURN(sqlite3_stmt* stmt, Prepare(sql, params));
    int rc;
    while ((rc = sqlite3_step(stmt)) == SQLITE_ROW) {
    }
    if (rc != SQLITE_DONE) {
      Error e = SqliteError(db_, rc, "statement");
      sqlite3_reset(stmt);
      sql_failed_ = true;
      return e;
    }
    sqlite3_reset(stmt);
    return static_cast<std::int64_t>(sqlite3_changes(db_));
  }

  Status ExecDeferred(std::string_view sql, Params params) override {
    auto r = Exec(sql, params);
    if (!r) return r.error();
    return Ok();
  }

  Status ExecScript(std::string_view sql) override {
    LINLI_TRY(OpenJobSavepoint());
    std::string s(sql);
    char* err = nullptr;
    int rc = sqlite3_exec(db_, s.c_str(), nullptr, nullptr, &err);
    if (rc != SQLITE_OK) {
      std::string msg = err ? err : sqlite3_errstr(rc);
      sqlite3_free(err);
      sql_failed_ = true;
      return Error::Internal(msg);
    }
    return Ok();
  }

  Result<std::int64_t> NextId(std::string_view table) override {
    // The writer's transaction is exclusive (BEGIN IMMEDIATE), so max(id) cannot move under us;
    // the count is forgotten with the transaction.
    auto it = next_ids_.find(table);
    if (it == next_ids_.end()) {
      if (!IsPlainIdentifier(table)) return Error::Internal("bad table name");
      LINLI_ASSIGN_OR_RETURN(auto rows, Query("SELECT coalesce(max(id), 0) FROM " + std::string(table), Params{}));
      it = next_ids_.emplace(std::string(table), rows[0].Int(0)).first;
    }
    return ++it->second;
  }

  void ForgetTransactionState() override {
    SqlSession::ForgetTransactionState();
    next_ids_.clear();
  }

  sqlite3* handle() { return db_; }
  void set_lock_fd(int fd) { lock_fd_ = fd; }

 private:
  Result<sqlite3_stmt*> Prepare(std::string_view sql, Params params) {
    LINLI_TRY(OpenJobSavepoint());
    auto it = cache_.find(sql);
    sqlite3_stmt* stmt;
    if (it != cache_.end()) {
      stmt = it->second;
    } else {
      std::string converted = ToSqlitePlaceholders(sql);
      int rc = sqlite3_prepare_v3(db_, converted.c_str(), static_cast<int>(converted.size()),
                                  SQLITE_PREPARE_PERSISTENT, &stmt, nullptr);
      if (rc != SQLITE_OK) {
        sql_failed_ = true;
        return SqliteError(db_, rc, "prepare");
      }
      cache_.emplace(std::string(sql), stmt);
    }
    // Every parameter is bound below when the caller gives them all (a bulk write's 64-row
    // statements bind 1,344): clearing them first only released each once more.
    if (static_cast<int>(params.size()) != sqlite3_bind_parameter_count(stmt)) sqlite3_clear_bindings(stmt);
    for (std::size_t i = 0; i < params.size(); ++i) {
      int idx = static_cast<int>(i + 1);
      const SqlValue& v = params[i];
      int rc;
      if (auto p = std::get_if<std::int64_t>(&v)) rc = sqlite3_bind_int64(stmt, idx, *p);
      else if (auto p = std::get_if<double>(&v)) rc = sqlite3_bind_double(stmt, idx, *p);
      // SQLITE_STATIC: the parameters outlive the statement's use (every caller steps and resets
      // it before returning), so SQLite need not copy each text.
      else if (auto p = std::get_if<std::string>(&v))
        rc = sqlite3_bind_text(stmt, idx, p->data(), static_cast<int>(p->size()), SQLITE_STATIC);
      else rc = sqlite3_bind_null(stmt, idx);
      if (rc != SQLITE_OK) return SqliteError(db_, rc, "bind");
    }
    return stmt;
  }

  sqlite3* db_;
  std::unordered_map<std::string, sqlite3_stmt*, StringHash, std::equal_to<>> cache_;
  std::unordered_map<std::string, std::int64_t, StringHash, std::equal_to<>> next_ids_;
  int lock_fd_ = -1;
};

// The WAL's size above which the writer forces a checkpoint, so the WAL cannot grow without bound
// under steady reads; and above which the checkpointer copies it beside the writer. In bytes, not
// frames: a frame is one page, and a file's pages are 4 KiB unless an operator converted it (8 KiB
// pages, counted in frames, made each forced checkpoint twice as long: docs/performance.md,
// "8 KiB pages").
constexpr std::int64_t kWalForcedCheckpointBytes = 64 << 20;
constexpr std::int64_t kWalPassiveCheckpointBytes = 4 << 20;

// WAL checkpoints that ran, by mode: "passive" beside the writer, "restart" forced on the writer at
// kWalForcedCheckpointBytes, "truncate" when the writer is idle. Passive ones keep the forced
// ones short; operators can see whether they keep up.
std::atomic<std::uint64_t>& CheckpointsRun(const char* mode) {
  auto& r = metrics::Registry::Global();
  static const bool described = [&r] {
    r.Describe("linli_sqlite_checkpoints_total", "counter", "SQLite WAL checkpoints that ran, by mode");
    return true;
  }();
  (void)described;
  return r.Counter("linli_sqlite_checkpoints_total", std::string("mode=\"") + mode + "\"");
}

// The file beside a database that an unjournaled load is writing (or left half-written).
std::string LoadingMarkerPath(const std::string& database_path) { return database_path + ".loading"; }

// An unjournaled load (`linli bench-data` into a new file, DatabaseOptions::unjournaled_load)
// writes each page once, into the database: in WAL mode every page went into the WAL at commit
// and was copied again by the checkpoint, and each commit waited for fsync. Generating a
// subdistrict: 13.0 → 11.2 s, a district 107 → 83 s (medians, alternately). Without a journal a failed
// transaction cannot be rolled back, so the file is only usable once the load has ended: until
// FinishLoad a marker beside it says so, and any other open refuses the file while it is there.
class SqliteDriver final : public Driver {
 public:
  SqliteDriver(std::string path, bool full, int bulk_cache_mib, bool unjournaled, bool rollback_journal_load)
      : path_(std::move(path)),
        full_(full),
        bulk_cache_mib_(bulk_cache_mib),
        unjournaled_(unjournaled),
        rollback_journal_load_(rollback_journal_load) {}
  ~SqliteDriver() override {
    {
      std::lock_guard lock(checkpoint_mu_);
      stop_checkpointer_ = true;
    }
    checkpoint_cv_.notify_all();
    if (checkpointer_.joinable()) checkpointer_.join();
  }

  Dialect dialect() const override { return Dialect::kSqlite; }
  std::string_view BeginWriteSql() const override { return "BEGIN IMMEDIATE"; }
  std::string Describe() const override { return "sqlite:" + path_; }

  Result<std::unique_ptr<SqlSession>> Connect(ConnectionRole role) override {
    LINLI_TRY(RefuseHalfWritten());
    sqlite3* db = nullptr;
    int flags = SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE | SQLITE_OPEN_NOMUTEX;
    int rc = sqlite3_open_v2(path_.c_str(), &db, flags, nullptr);
    if (rc != SQLITE_OK) {
      Error e = Error::Unavailable("cannot open " + path_ + ": " + sqlite3_errstr(rc));
      sqlite3_close_v2(db);
      return e;
    }
    // Plans that do not depend on bound values. Without this SQLite re-prepares a statement on
    // every bind of a LIKE pattern (to try the LIKE-prefix optimisation, which a leading % never
    // allows): the recipients of each new case cost a parse, 18% of the writer at intake. This
    // build has no STAT4, so no other plan looks at values.
    sqlite3_db_config(db, SQLITE_DBCONFIG_ENABLE_QPSG, 1, nullptr);
    auto session = std::make_unique<SqliteSession>(db);
    LINLI_TRY(RegisterBigramTokenizer(db));
    std::string pragmas =
        "PRAGMA busy_timeout=10000; PRAGMA foreign_keys=ON; PRAGMA temp_store=MEMORY;"
        "PRAGMA cache_size=-8000;";
    if (unjournaled_) {
      pragmas += "PRAGMA journal_mode=OFF; PRAGMA synchronous=OFF;";
    } else if (role != ConnectionRole::kRead) {
      pragmas += full_ ? "PRAGMA synchronous=FULL;" : "PRAGMA synchronous=NORMAL;";
    }
    if (role == ConnectionRole::kRead) pragmas += "PRAGMA query_only=1;";
    LINLI_TRY(session->ExecScript(pragmas));
    const bool in_place = role == ConnectionRole::kWrite && rollback_journal_load_ && !unjournaled_ &&
                          LeaveWal(*session);
    if (in_place) session->back_to_wal_on_close = true;
    if (role != ConnectionRole::kRead && !unjournaled_ && !in_place) {
      LINLI_TRY(session->ExecScript("PRAGMA journal_mode=WAL; PRAGMA journal_size_limit=67108864;"));
    }
    if (role == ConnectionRole::kWrite) {
      session->bulk_cache_kib = std::int64_t{bulk_cache_mib_} * 1024;
      LINLI_TRY(session->SetBulkWrite(BulkWrite::kNone));
    }
    if (role == ConnectionRole::kWrite && !unjournaled_ && !in_place) {
      LINLI_ASSIGN_OR_RETURN(auto page_size, static_cast<SqlSession&>(*session).Query("PRAGMA page_size"));
      page_size_ = static_cast<int>(page_size.at(0).Int(0));
      // Routine checkpoints run on the checkpointer's own connection, so the writer seldom copies
      // WAL pages into the database while 256 callers wait (its forced ones find most copied).
      LINLI_TRY(session->ExecScript("PRAGMA wal_autocheckpoint=0"));
      // After the pragma: wal_autocheckpoint installs (or, at 0, removes) the connection's WAL
      // hook, so a hook set before it is silently dropped — which left the checkpointer and the
      // 64 MiB RESTART blind, and the WAL grew to 13 GB under back-to-back writes.
      sqlite3_wal_hook(db, &SqliteDriver::OnWal, this);
      StartCheckpointer();
    }
    return std::unique_ptr<SqlSession>(std::move(session));
  }

  // The cases whose text changed in this transaction go into the trigram index in two statements
  // (migration 013 says why not one per case).
  Status BeforeCommit(SqlSession& writer) override {
    LINLI_ASSIGN_OR_RETURN(auto pending, writer.Query("SELECT EXISTS (SELECT 1 FROM case_search_pending)"));
    if (pending.empty() || pending[0].Int(0) == 0) return Ok();
    LINLI_TRY(writer.Exec(
        "INSERT INTO case_search (case_search, rowid, search_text) "
        "SELECT 'delete', case_id, indexed_text FROM case_search_pending WHERE indexed_text IS NOT NULL"));
    LINLI_TRY(writer.Exec(kSqliteIndexChangedCases));
    return StatusOf(writer.Exec("DELETE FROM case_search_pending"));
  }

  void AfterCommit(SqlSession& writer) override {
    if (unjournaled_ || writes_in_place_) return;  // no WAL
    ++commits_since_checkpoint_;
    if (wal_bytes_.load() > kWalForcedCheckpointBytes) Checkpoint(writer, "RESTART");
  }

  void WhenIdle(SqlSession& writer) override {
    if (!unjournaled_ && !writes_in_place_ && commits_since_checkpoint_ > 0) Checkpoint(writer, "TRUNCATE");
  }

  // An unjournaled load locks the same way; `bench-data` still writes its generated files beside
  // their validation, as measured (its writer's cache is 1 GiB, main.cc; a spill before the
  // validation's read ends waits for it, within the busy timeout).
  bool WritesWaitForReads() const override { return writes_in_place_; }

  Status Backup(const std::string& destination) override {
    LINLI_TRY(RefuseHalfWritten());
    // The online backup API copies a consistent snapshot while the server keeps writing.
    sqlite3* src = nullptr;
    sqlite3* dst = nullptr;
    if (sqlite3_open_v2(path_.c_str(), &src, SQLITE_OPEN_READONLY, nullptr) != SQLITE_OK) {
      sqlite3_close_v2(src);
      return Error::Unavailable("cannot open " + path_);
    }
    std::string tmp = destination + ".partial";
    std::filesystem::remove(tmp);
    if (sqlite3_open_v2(tmp.c_str(), &dst, SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE, nullptr) !=
        SQLITE_OK) {
      sqlite3_close_v2(src);
      sqlite3_close_v2(dst);
      return Error::Invalid("output", "cannot create " + destination);
    }
    Status st = CopyDatabase(src, dst);
    sqlite3_close_v2(src);
    sqlite3_close_v2(dst);
    if (!st) return st;
    std::error_code ec;
    std::filesystem::rename(tmp, destination, ec);
    if (ec) return Error::Internal("cannot move the backup into place: " + ec.message());
    return Ok();
  }

  Status Restore(const std::string& source) override {
    if (!std::filesystem::exists(source)) return Error::Invalid("input", source + " does not exist");
    sqlite3* src = nullptr;
    if (sqlite3_open_v2(source.c_str(), &src, SQLITE_OPEN_READONLY, nullptr) != SQLITE_OK) {
      sqlite3_close_v2(src);
      return Error::Invalid("input", "cannot open " + source);
    }
    char* err = nullptr;
    std::string check;
    sqlite3_exec(src, "PRAGMA quick_check", [](void* out, int, char** v, char**) {
      *static_cast<std::string*>(out) += v[0] ? v[0] : "";
      return 0;
    }, &check, &err);
    sqlite3_free(err);
    if (check != "ok") {
      sqlite3_close_v2(src);
      return Error::Invalid("input", source + " is not an intact Linli database: " + check);
    }
    auto copy_into = [&](const std::string& target, int* failed_rc) {
      sqlite3* dst = nullptr;
      sqlite3_open_v2(target.c_str(), &dst, SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE, nullptr);
      sqlite3_busy_timeout(dst, 10000);
      Status copied = CopyDatabase(src, dst, failed_rc);
      sqlite3_close_v2(dst);
      return copied;
    };
    int failed_rc = SQLITE_DONE;
    Status st = copy_into(path_, &failed_rc);
    std::error_code ec;
    // The copy reads the file it replaces, so it refuses a damaged one — a load killed half-way, a
    // disk's error: the reasons to restore — ("malformed", "not a database"), and one in WAL mode
    // whose page size is not the backup's ("readonly": a file converted to 8 KiB pages, or a
    // backup of one). Then the backup is copied into a new file beside it, which takes the
    // target's place once whole (its WAL removed first: old frames must not be replayed into the
    // new file). The server is stopped first, as `restore` says; a half-written load's file no
    // other command opens.
    if (!st && (failed_rc == SQLITE_CORRUPT || failed_rc == SQLITE_NOTADB || failed_rc == SQLITE_READONLY)) {
      spdlog::warn("{} cannot be copied into ({}); the backup goes into a new file that replaces it", path_,
                   sqlite3_errstr(failed_rc));
      const std::string fresh = path_ + ".restoring";
      std::filesystem::remove(fresh, ec);
      st = copy_into(fresh, nullptr);
      if (st) {
        for (const std::string& old : {path_ + "-wal", path_ + "-shm"}) std::filesystem::remove(old, ec);
        std::filesystem::rename(fresh, path_, ec);
        if (ec) st = Error::Internal("cannot move the restored copy into place: " + ec.message());
      } else {
        std::filesystem::remove(fresh, ec);
      }
    }
    sqlite3_close_v2(src);
    if (!st) return st;
    // A half-written load's file is now the backup's whole one.
    std::filesystem::remove(LoadingMarkerPath(path_), ec);
    return Ok();
  }

  Result<std::string> IntegrityCheck() override {
    LINLI_ASSIGN_OR_RETURN(auto s, Connect(ConnectionRole::kRead));
    LINLI_ASSIGN_OR_RETURN(auto rows, s->Query("PRAGMA integrity_check"));
    std::string out;
    for (const auto& r : rows) {
      if (!out.empty()) out += "\n";
      out += r.Text(0);
    }
    return out;
  }

  Status LockForMigration(SqlSession& admin) override {
    std::string lock_path = path_ + ".migrate-lock";
    int fd = ::open(lock_path.c_str(), O_CREAT | O_RDWR | O_CLOEXEC, 0600);
    if (fd < 0) return Error::Unavailable("cannot create " + lock_path);
    if (::flock(fd, LOCK_EX) != 0) {
      ::close(fd);
      return Error::Unavailable("cannot lock " + lock_path);
    }
    static_cast<SqliteSession&>(admin).set_lock_fd(fd);
    return Ok();
  }

  // The load's commits reached the OS but not the disk (synchronous=OFF): one fsync makes them
  // durable, then the marker goes.
  Status FinishLoad() override {
    if (!unjournaled_) return Ok();
    LINLI_TRY(SyncPath(path_));
    std::error_code ec;
    std::filesystem::remove(LoadingMarkerPath(path_), ec);
    if (ec) return Error::Internal("cannot remove " + LoadingMarkerPath(path_) + ": " + ec.message());
    auto folder = std::filesystem::path(path_).parent_path();
    return SyncPath(folder.empty() ? "." : folder.string());
  }

 private:
  // A rollback-journal load's writer takes the file out of WAL mode, which SQLite allows only while
  // no other connection has it open (each holds a shared lock on it while in WAL mode): not
  // before this process's readers, which open later, nor beside another process's (a server).
  // Without waiting: the lock is refused at once, and the load goes through the WAL.
  bool LeaveWal(SqliteSession& writer) {
    Status left = writer.ExecScript("PRAGMA busy_timeout=0");
    std::string mode;
    if (left) {
      auto rows = static_cast<SqlSession&>(writer).Query("PRAGMA journal_mode=DELETE");
      mode = rows && !rows->empty() ? rows->front().Text(0) : "";
      left = writer.ExecScript("PRAGMA busy_timeout=10000");
    }
    if (!left || mode != "delete") {
      spdlog::warn("{} is open in another process: the load goes through the WAL (slower; docs/operations.md, "
                   "\"A first load\")", path_);
      return false;
    }
    writes_in_place_ = true;
    return true;
  }

  // Every way into the file but the load's own: a file an unjournaled load left half-written is
  // refused while its marker is there.
  Status RefuseHalfWritten() const {
    if (unjournaled_ || !std::filesystem::exists(LoadingMarkerPath(path_))) return Ok();
    return Error::Unavailable(path_ + " was left half-written by an interrupted `linli bench-data` (" +
                              LoadingMarkerPath(path_) + " is there): delete both and generate it again");
  }

  static Status SyncPath(const std::string& path) {
    int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
    if (fd < 0) return Error::Unavailable("cannot open " + path + " to sync it");
    int rc = ::fsync(fd);
    ::close(fd);
    if (rc != 0) return Error::Unavailable("cannot sync " + path + " to disk");
    return Ok();
  }

  // Every 250 ms, a PASSIVE checkpoint once the WAL holds 4 MiB: it runs on its own connection
  // beside the writer and readers without blocking them. The writer still forces a RESTART at
  // 64 MiB (AfterCommit), short once the passive ones have copied most pages, and truncates the
  // WAL when idle (WhenIdle).
  void StartCheckpointer() {
    if (checkpointer_.joinable()) return;
    checkpointer_ = std::thread([this] {
      sqlite3* db = nullptr;
      if (sqlite3_open_v2(path_.c_str(), &db, SQLITE_OPEN_READWRITE | SQLITE_OPEN_NOMUTEX, nullptr) != SQLITE_OK) {
        spdlog::warn("the WAL checkpointer cannot open {}", path_);
        sqlite3_close_v2(db);
        return;
      }
      sqlite3_busy_timeout(db, 0);
      // A connection opens the WAL when it first reads; until then a checkpoint on it does nothing
      // (SQLite reports -1 frames). Unread, this one left every checkpoint to the writer's forced
      // RESTART (35-57 ms each, under intake every second) until 2026-12-02.
      bool wal_open = false;
      std::unique_lock lock(checkpoint_mu_);
      while (!stop_checkpointer_) {
        checkpoint_cv_.wait_for(lock, std::chrono::milliseconds(250));
        if (stop_checkpointer_ || wal_bytes_.load() < kWalPassiveCheckpointBytes) continue;
        lock.unlock();
        if (!wal_open) wal_open = sqlite3_exec(db, "SELECT 1 FROM sqlite_master LIMIT 1", nullptr, nullptr, nullptr) == SQLITE_OK;
        int log = -1, done = -1;
        if (sqlite3_wal_checkpoint_v2(db, nullptr, SQLITE_CHECKPOINT_PASSIVE, &log, &done) == SQLITE_OK && log >= 0) {
          ++CheckpointsRun("passive");
        }
        lock.lock();
      }
      sqlite3_close_v2(db);
    });
  }

  static int OnWal(void* self, sqlite3*, const char*, int frames) {
    auto* driver = static_cast<SqliteDriver*>(self);
    driver->wal_bytes_ = std::int64_t{frames} * driver->page_size_.load();
    return SQLITE_OK;
  }

  void Checkpoint(SqlSession& writer, const char* mode) {
    int log = 0, done = 0;
    int rc = sqlite3_wal_checkpoint_v2(static_cast<SqliteSession&>(writer).handle(), nullptr,
                                       std::string_view(mode) == "TRUNCATE"
                                           ? SQLITE_CHECKPOINT_TRUNCATE
                                           : SQLITE_CHECKPOINT_RESTART,
                                       &log, &done);
    if (rc == SQLITE_OK) {
      ++CheckpointsRun(std::string_view(mode) == "TRUNCATE" ? "truncate" : "restart");
      commits_since_checkpoint_ = 0;
      wal_bytes_ = 0;
    } else if (rc != SQLITE_BUSY) {
      spdlog::warn("WAL checkpoint failed: {}", sqlite3_errstr(rc));
    }
  }

  // `failed_rc`, when given, gets SQLite's primary code of a failure.
  static Status CopyDatabase(sqlite3* src, sqlite3* dst, int* failed_rc = nullptr) {
    sqlite3_backup* b = sqlite3_backup_init(dst, "main", src, "main");
    if (!b) {
      if (failed_rc) *failed_rc = sqlite3_errcode(dst) & 0xff;
      return Error::Internal(std::string("backup: ") + sqlite3_errmsg(dst));
    }
    int rc;
    do {
      rc = sqlite3_backup_step(b, 1024);
      if (rc == SQLITE_BUSY || rc == SQLITE_LOCKED) sqlite3_sleep(20);
    } while (rc == SQLITE_OK || rc == SQLITE_BUSY || rc == SQLITE_LOCKED);
    sqlite3_backup_finish(b);
    if (rc != SQLITE_DONE) {
      if (failed_rc) *failed_rc = rc & 0xff;
      return Error::Internal(std::string("backup: ") + sqlite3_errstr(rc));
    }
    return Ok();
  }

  std::string path_;
  bool full_;
  int bulk_cache_mib_;
  bool unjournaled_;
  bool rollback_journal_load_;
  std::atomic<bool> writes_in_place_{false};  // the writer left WAL mode (rollback_journal_load)
  std::atomic<std::int64_t> wal_bytes_{0};  // frames × page size, as of the last commit
  std::atomic<int> page_size_{4096};         // the file's, read when the writer connects
  int commits_since_checkpoint_ = 0;  // writer thread only
  std::thread checkpointer_;
  std::mutex checkpoint_mu_;
  std::condition_variable checkpoint_cv_;
  bool stop_checkpointer_ = false;  // GUARDED_BY(checkpoint_mu_)
};

}  // namespace

Result<std::unique_ptr<Driver>> MakeSqliteDriver(std::string path, const DatabaseOptions& options) {
  if (path.empty()) return Error::Invalid("db", "the SQLite URL names no file");
  auto parent = std::filesystem::path(path).parent_path();
  if (!parent.empty() && !std::filesystem::is_directory(parent)) {
    return Error::Invalid("db", "the folder " + parent.string() + " does not exist");
  }
  // Only a file that does not exist yet holds nothing an unjournaled load could damage.
  bool unjournaled = options.unjournaled_load && !std::filesystem::exists(path) &&
                     !std::filesystem::exists(path + "-wal") && !std::filesystem::exists(LoadingMarkerPath(path));
  if (options.unjournaled_load && !unjournaled) spdlog::info("{} exists: loading it through the WAL", path);
  if (unjournaled) {
    int fd = ::open(LoadingMarkerPath(path).c_str(), O_CREAT | O_WRONLY | O_CLOEXEC, 0600);
    if (fd < 0) return Error::Unavailable("cannot create " + LoadingMarkerPath(path));
    ::close(fd);
  }
  return std::unique_ptr<Driver>(
      new SqliteDriver(std::move(path), options.synchronous_full, options.bulk_cache_mib, unjournaled,
                       options.rollback_journal_load));
}

}  // namespace linli::storage
