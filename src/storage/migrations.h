// Versioned schema migrations, one folder of numbered .sql files per dialect
// (src/storage/migrations/{sqlite,postgres}/NNN_name.sql), embedded into the binary at build time.
// Applied in order, each in its own transaction, under a lock so two processes starting at once
// cannot both apply them.
#pragma once

#include <string>
#include <vector>

#include "core/result.h"
#include "storage/database.h"

namespace linli::storage {

struct EmbeddedMigration {
  const char* dialect;
  int version;
  const char* name;
  const char* sql;
};
const std::vector<EmbeddedMigration>& EmbeddedMigrations();  // generated

struct MigrationStatus {
  int version;
  std::string name;
  bool applied;
};

Status ApplyMigrations(Driver& driver);
Status CheckMigrationsApplied(Driver& driver);
Result<std::vector<MigrationStatus>> ListMigrations(Driver& driver);

}  // namespace linli::storage
