// Database: a read pool and a group-commit writer over one engine's driver.
//
// Reads run on the calling thread with a pooled read-only session. Writes are queued: one writer
// thread takes everything queued, runs each job in one shared transaction (a job that sends
// statements of its own inside its own savepoint: SqlSession::BeginJob), commits once, and only then tells each caller the outcome. So callers are answered
// only after their write is durable, and 256 concurrent writers cost one fsync, not 256.
// A job that refuses is rolled back alone; when a statement fails (rare: the services check
// first), the batch is rolled back and each job is re-run in a transaction of its own, so job
// bodies must depend only on what they captured and what they read.
// On PostgreSQL a batch's COMMIT is pipelined: the writer builds the next batch while the server
// inserts and commits the last one, and answers the last one's callers once its commit is
// confirmed (should it fail, the next batch, skipped with it, is built again).
//
//   db.Submit(WriteJob{[](SqlSession& s) { return s.Exec(...) ... }, [](Status st) { ... }});
//   Status st = db.WriteSync([](SqlSession& s) -> Status { ... });   // CLI and tests
#pragma once

#include <chrono>
#include <condition_variable>
#include <deque>
#include <functional>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <thread>
#include <vector>

#include "core/result.h"
#include "storage/sql.h"

namespace linli::storage {

enum class ConnectionRole { kRead, kWrite, kAdmin };

// One engine. Implemented in sqlite/ and postgres/.
class Driver {
 public:
  virtual ~Driver() = default;
  virtual Dialect dialect() const = 0;
  virtual Result<std::unique_ptr<SqlSession>> Connect(ConnectionRole role) = 0;
  // Whether Database::Read wraps reads in a transaction. SQLite: yes, it pins one WAL snapshot
  // for all statements of the read. PostgreSQL at READ COMMITTED: no, each statement takes its own
  // snapshot anyway, and BEGIN/COMMIT would cost a round trip.
  virtual bool ReadsInTransaction() const { return true; }
  virtual std::string_view BeginWriteSql() const = 0;
  // Called on the writer inside each write transaction just before COMMIT: work the engine does
  // once per transaction rather than once per statement (SQLite: the cases' trigram index).
  virtual Status BeforeCommit(SqlSession& writer) { return Ok(); }
  // Called on the writer thread after each commit and when the queue has been idle a while;
  // the SQLite driver checkpoints its WAL here.
  virtual void AfterCommit(SqlSession& writer) {}
  virtual void WhenIdle(SqlSession& writer) {}
  virtual Status Backup(const std::string& destination) = 0;
  virtual Status Restore(const std::string& source) = 0;
  // "ok" or the engine's description of what is damaged.
  virtual Result<std::string> IntegrityCheck() = 0;
  // Serialises migrations between processes. Held until the admin session closes.
  virtual Status LockForMigration(SqlSession& admin) = 0;
  virtual std::string Describe() const = 0;  // for logs; never contains a password
  // After the last write of a load opened with DatabaseOptions::unjournaled_load: makes it durable
  // and lets the database be opened again. No-op otherwise.
  virtual Status FinishLoad() { return Ok(); }
  // Whether an open read transaction keeps the writer from writing into the database (SQLite's
  // rollback journal, DatabaseOptions::rollback_journal_load) and the writer, once it has, keeps
  // readers out until it commits. A write job must not then wait on a reader's progress.
  virtual bool WritesWaitForReads() const { return false; }
};

// Whether a write may share its transaction with others queued beside it.
enum class Batching {
  kGrouped,  // the default: many small jobs, one commit
  // A bulk job (a roster import's chunk, a grid's split or merge, generated data): committed in a
  // transaction of its own.
  // Grouped, it would run inside a savepoint, and SQLite keeps the original of every page a job
  // changes inside one in an in-memory sub-journal it walks from the start — two 84,000-row
  // imports queued together held the writer for 30 s instead of 4.
  kAlone,
};

struct WriteJob {
  std::function<Status(SqlSession&)> body;
  std::function<void(Status)> done;  // called on the writer thread; keep it short
  Batching batching = Batching::kGrouped;
};

struct DatabaseOptions {
  std::string url;           // "sqlite:///path/linli.db" or "postgresql://..."
  int read_pool_size = 4;
  int max_batch = 1024;      // most jobs committed together
  bool synchronous_full = true;  // SQLite: fsync on every commit
  int bulk_cache_mib = 64;       // SQLite: the writer's page cache during a bulk write
  // SQLite, `linli bench-data` into a file that does not exist yet: no rollback journal and no
  // fsync until Driver::FinishLoad (ignored for an existing file, which is loaded through the WAL).
  bool unjournaled_load = false;
  // SQLite, a first load (`linli import residents --first-load`): the writer writes through a
  // rollback journal instead of the WAL, each page once into the database, where the WAL has it
  // written twice (into the WAL, then by a checkpoint); a page past the file's end when the
  // transaction began needs no journal. It needs the file to itself: when another process has it
  // open (a running server) the load goes through the WAL. Back to WAL when the writer closes.
  bool rollback_journal_load = false;
  bool migrate = true;       // apply pending migrations when opening
  // A read replica (a PostgreSQL hot standby): read sessions only — no writer, no migrations
  // (the primary's server applies them and the standby replays them); writes are refused.
  bool read_only = false;
};

// The driver a URL names, without opening connections (backup, restore, migrate --status).
Result<std::unique_ptr<Driver>> OpenDriver(const DatabaseOptions& options);

class Database {
 public:
  static Result<std::unique_ptr<Database>> Open(const DatabaseOptions& options);
  ~Database();
  Database(const Database&) = delete;
  Database& operator=(const Database&) = delete;

  Dialect dialect() const { return driver_->dialect(); }
  const DatabaseOptions& options() const { return options_; }
  Driver& driver() { return *driver_; }

  // Runs fn with a read session inside a read transaction (one consistent snapshot).
  Status Read(const std::function<Status(SqlSession&)>& fn);
  void Submit(WriteJob job);
  Status WriteSync(std::function<Status(SqlSession&)> body, Batching batching = Batching::kGrouped);

  // Stops accepting writes, commits what is queued, stops the writer. Idempotent.
  void Stop();
  bool Healthy();
  std::size_t QueueDepth();

 private:
  Database(std::unique_ptr<Driver> driver, const DatabaseOptions& options);
  Status StartWriter();
  void WriterLoop();
  // A batch from the queue to its callers' answers.
  struct Flight {
    std::vector<WriteJob> jobs;
    std::vector<Status> outcomes;                    // one a job
    std::vector<std::function<void()>> after_commit;  // its jobs' hooks, run once it is committed
    std::chrono::steady_clock::time_point started;
  };
  enum class Sent { kCommitSent, kFailed, kRunAgain };
  void RunBatch(std::vector<WriteJob>& batch);
  Sent RunOptimistic(Flight& f);
  void RunOneByOne(std::vector<WriteJob>& batch, std::vector<Status>& outcomes);
  bool SettleInFlight();
  void Answer(Flight& f);
  Status WriteHeldBack();
  void ReconnectIfBroken();
  Result<std::unique_ptr<SqlSession>> AcquireReader();
  void ReleaseReader(std::unique_ptr<SqlSession> s, bool healthy);

  std::unique_ptr<Driver> driver_;
  DatabaseOptions options_;

  std::mutex read_mu_;
  std::condition_variable read_cv_;
  std::vector<std::unique_ptr<SqlSession>> idle_readers_;  // GUARDED_BY(read_mu_)
  int open_readers_ = 0;                                   // GUARDED_BY(read_mu_)

  std::mutex write_mu_;
  std::condition_variable write_cv_;
  std::deque<WriteJob> queue_;  // GUARDED_BY(write_mu_)
  bool stopping_ = false;       // GUARDED_BY(write_mu_)
  std::unique_ptr<SqlSession> writer_;  // used by the writer thread only
  std::optional<Flight> in_flight_;     // the batch whose COMMIT is pipelined (writer thread only)
  std::thread writer_thread_;
};

// Queues a write whose body produces a value, and delivers it after the commit.
template <class T>
void SubmitWrite(Database& db, std::function<Result<T>(SqlSession&)> body,
                 std::function<void(Result<T>)> done, Batching batching = Batching::kGrouped) {
  auto slot = std::make_shared<std::optional<Result<T>>>();
  db.Submit(WriteJob{
      [body = std::move(body), slot](SqlSession& s) -> Status {
        Result<T> r = body(s);
        if (!r) return r.error();
        slot->emplace(std::move(r));
        return Ok();
      },
      [done = std::move(done), slot](Status st) {
        if (!st) return done(st.error());
        done(std::move(**slot));
      },
      batching});
}

// The blocking form, for the CLI, tests and start-up.
template <class T>
Result<T> WriteAndWait(Database& db, std::function<Result<T>(SqlSession&)> body) {
  std::optional<Result<T>> out;
  Status st = db.WriteSync([&](SqlSession& s) -> Status {
    Result<T> r = body(s);
    if (!r) return r.error();
    out.emplace(std::move(r));
    return Ok();
  });
  if (!st) return st.error();
  return std::move(*out);
}

// Reads a value.
template <class T>
Result<T> ReadValue(Database& db, const std::function<Result<T>(SqlSession&)>& body) {
  std::optional<Result<T>> out;
  Status st = db.Read([&](SqlSession& s) -> Status {
    out.emplace(body(s));
    return Ok();
  });
  if (!st) return st.error();
  return std::move(*out);
}

}  // namespace linli::storage
