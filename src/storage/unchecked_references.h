// References PostgreSQL does not check row by row. Each was a foreign key whose check is a query of
// its own per inserted row on the writer's one backend, which bounds durable intake there; each is
// one the application already ensures, to a row nothing deletes and whose key never changes
// (migrations 019 and 025 say why each). SQLite declares them all: its checks take no locks.
// `linli check` counts the rows that name a missing parent instead.
#pragma once

#include <cstdint>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "core/result.h"
#include "storage/sql.h"

namespace linli::storage {

struct UncheckedReference {
  std::string_view table;
  std::string_view column;  // NULL names nothing
  std::string_view parent;  // referenced by its `parent_key`
  std::string_view parent_key;
};

// Every reference PostgreSQL does not check, in the order `linli check` reports them.
std::span<const UncheckedReference> UncheckedReferences();

struct Unanchored {
  UncheckedReference reference;
  std::int64_t rows = 0;
};

// The references some row of which names a parent that does not exist, with how many such rows.
// Empty on SQLite, whose foreign keys refuse them.
Result<std::vector<Unanchored>> FindUnanchored(SqlSession& s);

}  // namespace linli::storage
