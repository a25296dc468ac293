#include "storage/database.h"

#include <spdlog/spdlog.h>

#include <algorithm>
#include <chrono>
#include <future>

#include "core/metrics.h"
#include "storage/audit_repo.h"
#include "storage/migrations.h"
#include "storage/registry_repo.h"
#include "storage/postgres/pg_driver.h"
#include "storage/sqlite/sqlite_driver.h"

namespace linli::storage {
namespace {

metrics::Histogram& BatchSizes() {
  static auto& h = [] () -> metrics::Histogram& {
    auto& r = metrics::Registry::Global();
    r.Describe("linli_db_commit_batch_size", "histogram", "Writes committed together in one transaction");
    return r.Hist("linli_db_commit_batch_size", "",
                  {1, 2, 4, 8, 16, 32, 64, 128, 256, 512, 1024});
  }();
  return h;
}
std::atomic<std::int64_t>& QueueGauge() {
  static auto& g = [] () -> std::atomic<std::int64_t>& {
    auto& r = metrics::Registry::Global();
    r.Describe("linli_db_writer_queue_depth", "gauge", "Writes waiting for the writer");
    return r.Gauge("linli_db_writer_queue_depth");
  }();
  return g;
}
std::atomic<std::int64_t>& PoolInUse() {
  static auto& g = [] () -> std::atomic<std::int64_t>& {
    auto& r = metrics::Registry::Global();
    r.Describe("linli_db_read_pool_in_use", "gauge", "Read connections in use");
    return r.Gauge("linli_db_read_pool_in_use");
  }();
  return g;
}
metrics::Histogram& CommitSeconds() {
  static auto& h = [] () -> metrics::Histogram& {
    auto& r = metrics::Registry::Global();
    r.Describe("linli_db_commit_seconds", "histogram", "Time to run and commit one write batch");
    return r.Hist("linli_db_commit_seconds", "", metrics::LatencyBuckets());
  }();
  return h;
}

}  // namespace

Result<std::unique_ptr<Driver>> OpenDriver(const DatabaseOptions& o) {
  if (o.url.starts_with("postgresql://") || o.url.starts_with("postgres://")) {
    return MakePostgresDriver(o.url);
  }
  if (o.url.starts_with("sqlite://")) {
    return MakeSqliteDriver(o.url.substr(9), o);
  }
  return Error::Invalid("db", "the database URL must start with sqlite:// or postgresql://");
}

namespace {

Status RunBody(const WriteJob& job, SqlSession& s) {
  try {
    return job.body(s);
  } catch (const std::exception& e) {
    spdlog::error("a write failed with an exception: {}", e.what());
    return Error::Internal("the write failed unexpectedly");
  }
}

void RunAfterCommitHooks(std::vector<std::function<void()>> hooks) {
  for (auto& fn : hooks) {
    try {
      fn();
    } catch (const std::exception& e) {
      spdlog::error("an after-commit hook failed: {}", e.what());
    }
  }
}

std::vector<std::function<void()>> TakeAfterCommitHooks(SqlSession& s) {
  auto hooks = std::move(s.after_commit);
  s.after_commit.clear();
  return hooks;
}

}  // namespace

Database::Database(std::unique_ptr<Driver> driver, const DatabaseOptions& options)
    : driver_(std::move(driver)), options_(options) {}

Result<std::unique_ptr<Database>> Database::Open(const DatabaseOptions& options) {
  LINLI_ASSIGN_OR_RETURN(auto driver, OpenDriver(options));
  std::unique_ptr<Database> db(new Database(std::move(driver), options));
  if (options.read_only) return db;
  if (options.migrate) {
    LINLI_TRY(ApplyMigrations(db->driver()));
  } else {
    LINLI_TRY(CheckMigrationsApplied(db->driver()));
  }
  LINLI_TRY(db->StartWriter());
  return db;
}

Database::~Database() { Stop(); }

Status Database::StartWriter() {
  LINLI_ASSIGN_OR_RETURN(writer_, driver_->Connect(ConnectionRole::kWrite));
  writer_->defer_to_commit = true;  // every commit below flushes them first
  writer_thread_ = std::thread([this] { WriterLoop(); });
  return Ok();
}

Result<std::unique_ptr<SqlSession>> Database::AcquireReader() {
  std::unique_lock lock(read_mu_);
  read_cv_.wait(lock, [&] { return !idle_readers_.empty() || open_readers_ < options_.read_pool_size; });
  PoolInUse()++;
  if (!idle_readers_.empty()) {
    auto s = std::move(idle_readers_.back());
    idle_readers_.pop_back();
    return s;
  }
  ++open_readers_;
  lock.unlock();
  auto s = driver_->Connect(ConnectionRole::kRead);
  if (!s) {
    std::lock_guard relock(read_mu_);
    --open_readers_;
    PoolInUse()--;
    read_cv_.notify_one();
  }
  return s;
}

void Database::ReleaseReader(std::unique_ptr<SqlSession> s, bool healthy) {
  std::lock_guard lock(read_mu_);
  PoolInUse()--;
  if (healthy) {
    idle_readers_.push_back(std::move(s));
  } else {
    --open_readers_;  // drop it; the next reader reconnects
  }
  read_cv_.notify_one();
}

Status Database::Read(const std::function<Status(SqlSession&)>& fn) {
  LINLI_ASSIGN_OR_RETURN(auto session, AcquireReader());
  bool in_tx = driver_->ReadsInTransaction();
  Status st = in_tx ? session->ExecDeferred("BEGIN") : Ok();
  if (st) st = fn(*session);
  Status end = in_tx ? StatusOf(session->Exec("COMMIT")) : Ok();
  bool healthy = end.has_value();
  ReleaseReader(std::move(session), healthy);
  if (!st) return st;
  if (!end) return end;
  return Ok();
}

void Database::Submit(WriteJob job) {
  if (options_.read_only) return job.done(Error::Unavailable("this database is a read replica; it takes no writes"));
  {
    std::lock_guard lock(write_mu_);
    if (!stopping_) {
      queue_.push_back(std::move(job));
      QueueGauge() = static_cast<std::int64_t>(queue_.size());
      write_cv_.notify_one();
      return;
    }
  }
  job.done(Error::Unavailable("the server is shutting down"));
}

Status Database::WriteSync(std::function<Status(SqlSession&)> body, Batching batching) {
  std::promise<Status> promise;
  auto future = promise.get_future();
  Submit(WriteJob{std::move(body), [&promise](Status st) { promise.set_value(std::move(st)); }, batching});
  return future.get();
}

std::size_t Database::QueueDepth() {
  std::lock_guard lock(write_mu_);
  return queue_.size();
}

bool Database::Healthy() {
  return Read([](SqlSession& s) -> Status { return s.Query("SELECT 1").has_value()
                                                       ? Ok() : Status(Error::Unavailable("db")); })
      .has_value();
}

void Database::Stop() {
  {
    std::lock_guard lock(write_mu_);
    if (stopping_ && !writer_thread_.joinable()) return;
    stopping_ = true;
    write_cv_.notify_all();
  }
  if (writer_thread_.joinable()) writer_thread_.join();
}

void Database::WriterLoop() {
  std::vector<WriteJob> batch;
  for (;;) {
    {
      std::unique_lock lock(write_mu_);
      if (in_flight_ && queue_.empty()) {
        // Nothing to build while the last batch commits: answer it now.
        lock.unlock();
        SettleInFlight();
        continue;
      }
      bool woke = write_cv_.wait_for(lock, std::chrono::seconds(1),
                                     [&] { return !queue_.empty() || stopping_; });
      if (!woke) {
        lock.unlock();
        driver_->WhenIdle(*writer_);
        continue;
      }
      if (queue_.empty() && stopping_) break;
      // Up to max_batch jobs in queue order; a job that must be alone ends the batch before it,
      // or is the batch.
      while (!queue_.empty() && batch.size() < static_cast<std::size_t>(options_.max_batch)) {
        bool alone = queue_.front().batching == Batching::kAlone;
        if (alone && !batch.empty()) break;
        batch.push_back(std::move(queue_.front()));
        queue_.pop_front();
        if (alone) break;
      }
      QueueGauge() = static_cast<std::int64_t>(queue_.size());
    }
    RunBatch(batch);
    batch.clear();
  }
  SettleInFlight();
  driver_->WhenIdle(*writer_);
  writer_.reset();
}

// One transaction for the whole batch, each job that sends a statement in a savepoint whose
// release is not waited for (SqlSession::BeginJob).
// A job that refuses (returns an error without any SQL failing) is rolled back to its savepoint
// and the others go on. If any statement fails, its cause may be an earlier job's deferred
// statement, so the batch is rolled back and RunOneByOne decides each job alone.
// The COMMIT is sent (SqlSession::SendCommit), then the batch sent before is settled: if that one
// failed, this one's statements were skipped with it and it must be run again.
Database::Sent Database::RunOptimistic(Flight& f) {
  std::fill(f.outcomes.begin(), f.outcomes.end(), Ok());
  writer_->clear_sql_failed();
  writer_->ForgetTransactionState();
  bool ok = writer_->ExecDeferred(driver_->BeginWriteSql()).has_value();
  for (std::size_t i = 0; ok && i < f.jobs.size(); ++i) {
    writer_->BeginJob();  // its savepoint opens with its first statement, if it sends any
    // What the savepoint will restore, the session must restore too.
    auto mark = writer_->MarkJob();
    Status st = RunBody(f.jobs[i], *writer_);
    bool savepoint = writer_->EndJob();
    if (writer_->sql_failed()) {
      ok = false;
      break;
    }
    if (!st) {
      f.outcomes[i] = st;
      writer_->RollBackJob(mark);
      if (savepoint) ok = writer_->ExecDeferred("ROLLBACK TO SAVEPOINT w").has_value();
    }
    if (savepoint) ok = ok && writer_->ExecDeferred("RELEASE SAVEPOINT w").has_value();
  }
  if (ok) ok = WriteHeldBack().has_value() && !writer_->sql_failed();
  if (ok) ok = writer_->SendCommit().has_value() && !writer_->sql_failed();
  // The batch before: the server committed it while this one was built.
  if (!SettleInFlight()) return Sent::kRunAgain;
  if (!ok) {
    (void)writer_->Exec("ROLLBACK");
    ReconnectIfBroken();
    writer_->ForgetAuditHead();
    return Sent::kFailed;
  }
  f.after_commit = TakeAfterCommitHooks(*writer_);
  return Sent::kCommitSent;
}

// What the transaction's jobs held back, written just before COMMIT: appended rows in multi-row
// statements, the summed count deltas, the engine's own (SQLite: the trigram index), the audit
// chain's head.
Status Database::WriteHeldBack() {
  LINLI_TRY(FlushAppends(*writer_));
  LINLI_TRY(RollupRepo::FlushPending(*writer_));
  LINLI_TRY(driver_->BeforeCommit(*writer_));
  return AuditRepo::FlushHead(*writer_);
}

// Each job in a transaction of its own: whatever fails belongs to that job. Nothing may be in
// flight (SettleInFlight first).
void Database::RunOneByOne(std::vector<WriteJob>& batch, std::vector<Status>& outcomes) {
  for (std::size_t i = 0; i < batch.size(); ++i) {
    for (int attempt = 0;; ++attempt) {
      writer_->clear_sql_failed();
      writer_->ForgetTransactionState();
      bool head_carried = writer_->audit_head.has_value();
      auto mark = writer_->MarkJob();
      Status st = writer_->ExecDeferred(driver_->BeginWriteSql());
      if (st) st = RunBody(batch[i], *writer_);
      if (st) st = WriteHeldBack();
      if (st) st = StatusOf(writer_->Exec("COMMIT"));
      if (st) {
        RunAfterCommitHooks(TakeAfterCommitHooks(*writer_));
        outcomes[i] = std::move(st);
        break;
      }
      // A job that refused keeps the audit head it began with. After a failed statement the head
      // is read again, and a job that began with a kept head runs once more: another process may
      // have moved the head meanwhile (SqlSession::audit_head).
      bool statement_failed = writer_->sql_failed();
      (void)writer_->Exec("ROLLBACK");
      ReconnectIfBroken();
      if (statement_failed) writer_->ForgetAuditHead();
      else writer_->RollBackJob(mark);
      if (statement_failed && head_carried && attempt == 0) continue;
      if (st.error().code == ErrorCode::kInternal) {
        spdlog::error("a write failed: {}", st.error().message);
      }
      outcomes[i] = std::move(st);
      break;
    }
  }
}

void Database::ReconnectIfBroken() {
  // A failed COMMIT or ROLLBACK may mean the connection is gone; start afresh.
  if (writer_->Exec("SELECT 1")) return;
  auto fresh = driver_->Connect(ConnectionRole::kWrite);
  if (fresh) {
    writer_ = std::move(*fresh);
    writer_->defer_to_commit = true;
  }
}

void Database::RunBatch(std::vector<WriteJob>& batch) {
  Flight f;
  f.jobs = std::move(batch);
  f.outcomes.resize(f.jobs.size());
  f.started = std::chrono::steady_clock::now();
  // A job alone needs no savepoint: its transaction is its own. Large jobs (an import) gain most,
  // since in SQLite each statement inside an open savepoint costs more the more the job wrote.
  if (f.jobs.size() == 1) {
    SettleInFlight();
    RunOneByOne(f.jobs, f.outcomes);
    return Answer(f);
  }
  for (;;) {
    switch (RunOptimistic(f)) {
      case Sent::kCommitSent:
        in_flight_ = std::move(f);
        // An engine that committed already answers at once; a pipelined commit is answered once
        // the next batch is built (or the queue is empty).
        if (!writer_->PipelinesCommits()) SettleInFlight();
        return;
      case Sent::kFailed:
        std::fill(f.outcomes.begin(), f.outcomes.end(), Ok());
        RunOneByOne(f.jobs, f.outcomes);
        return Answer(f);
      case Sent::kRunAgain:
        continue;
    }
  }
}

// Waits for the pipelined batch's COMMIT and answers its callers. If it failed, nothing of it
// was committed, nor anything sent after it: each of its jobs runs alone, and false says that
// whatever was sent since must be run again.
bool Database::SettleInFlight() {
  if (!in_flight_) return true;
  Flight f = std::move(*in_flight_);
  in_flight_.reset();
  Status st = writer_->AwaitCommit();
  if (st) {
    RunAfterCommitHooks(std::move(f.after_commit));
    Answer(f);
    return true;
  }
  (void)writer_->Exec("ROLLBACK");
  ReconnectIfBroken();
  writer_->ForgetAuditHead();
  std::fill(f.outcomes.begin(), f.outcomes.end(), Ok());
  RunOneByOne(f.jobs, f.outcomes);
  Answer(f);
  return false;
}

void Database::Answer(Flight& f) {
  BatchSizes().Observe(static_cast<double>(f.jobs.size()));
  CommitSeconds().Observe(std::chrono::duration<double>(std::chrono::steady_clock::now() - f.started).count());
  bool committed = std::ranges::any_of(f.outcomes, [](const Status& st) { return st.has_value(); });
  for (std::size_t i = 0; i < f.jobs.size(); ++i) {
    if (f.jobs[i].done) f.jobs[i].done(std::move(f.outcomes[i]));
  }
  // The engine's housekeeping (SQLite's checkpoint once the WAL passes 64 MiB) after the callers
  // have their answers: their writes are committed, and a bulk job's checkpoint copies hundreds of
  // megabytes they need not wait for.
  if (committed) driver_->AfterCommit(*writer_);
}

}  // namespace linli::storage
