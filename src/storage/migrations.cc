#include "storage/migrations.h"

#include <spdlog/spdlog.h>

#include <set>

#include "core/clock.h"

namespace linli::storage {
namespace {

std::vector<const EmbeddedMigration*> ForDialect(Dialect d) {
  std::vector<const EmbeddedMigration*> out;
  for (const auto& m : EmbeddedMigrations()) {
    if (DialectName(d) == m.dialect) out.push_back(&m);
  }
  return out;
}

Result<std::set<int>> AppliedVersions(SqlSession& s) {
  LINLI_TRY(s.ExecScript(
      "CREATE TABLE IF NOT EXISTS schema_migrations (version INTEGER PRIMARY KEY, "
      "name TEXT NOT NULL, applied_at BIGINT NOT NULL)"));
  LINLI_ASSIGN_OR_RETURN(auto rows, s.Query("SELECT version FROM schema_migrations"));
  std::set<int> out;
  for (const auto& r : rows) out.insert(static_cast<int>(r.Int(0)));
  return out;
}

}  // namespace

Status ApplyMigrations(Driver& driver) {
  LINLI_ASSIGN_OR_RETURN(auto admin, driver.Connect(ConnectionRole::kAdmin));
  LINLI_TRY(driver.LockForMigration(*admin));
  LINLI_ASSIGN_OR_RETURN(auto applied, AppliedVersions(*admin));
  for (const auto* m : ForDialect(driver.dialect())) {
    if (applied.contains(m->version)) continue;
    spdlog::info("applying migration {} ({})", m->name, DialectName(driver.dialect()));
    LINLI_TRY(admin->ExecScript("BEGIN"));
    Status st = admin->ExecScript(m->sql);
    if (st) {
      auto r = admin->Exec("INSERT INTO schema_migrations (version, name, applied_at) VALUES ($1, $2, $3)",
                           {Int(m->version), Text(m->name), Int(SystemClock::Instance().NowMillis())});
      if (!r) st = r.error();
    }
    if (!st) {
      (void)admin->ExecScript("ROLLBACK");
      return Error::Internal(std::string("migration ") + m->name + " failed: " + st.error().message);
    }
    LINLI_TRY(admin->ExecScript("COMMIT"));
  }
  return Ok();
}

Result<std::vector<MigrationStatus>> ListMigrations(Driver& driver) {
  LINLI_ASSIGN_OR_RETURN(auto admin, driver.Connect(ConnectionRole::kAdmin));
  LINLI_ASSIGN_OR_RETURN(auto applied, AppliedVersions(*admin));
  std::vector<MigrationStatus> out;
  for (const auto* m : ForDialect(driver.dialect())) {
    out.push_back({m->version, m->name, applied.contains(m->version)});
  }
  return out;
}

Status CheckMigrationsApplied(Driver& driver) {
  LINLI_ASSIGN_OR_RETURN(auto list, ListMigrations(driver));
  for (const auto& m : list) {
    if (!m.applied) {
      return Error::Precondition("migration " + m.name + " is not applied; run `linli migrate`");
    }
  }
  return Ok();
}

}  // namespace linli::storage
