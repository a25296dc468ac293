// The SQLite engine: one file in WAL mode (a rollback journal while a first load writes it), for a
// subdistrict on one machine.
#pragma once

#include <memory>
#include <string>

#include "core/result.h"
#include "storage/database.h"

namespace linli::storage {

// `path` is the database file; its folder must exist. Of `options`: synchronous_full=false trades
// the last commits before a power loss for speed (never the default); bulk_cache_mib is the
// writer's page cache while a bulk write runs (SqlSession::SetBulkWrite); unjournaled_load;
// rollback_journal_load.
Result<std::unique_ptr<Driver>> MakeSqliteDriver(std::string path, const DatabaseOptions& options);

// What the writer runs before each commit to put the cases changed in the transaction into the
// full-text index (migration 013). Named here so a test can check its plan: it must walk the few
// pending rows, never the cases table.
extern const char* const kSqliteIndexChangedCases;

}  // namespace linli::storage
