// Loading a large amount of rows into tables that are empty or nearly so (bench-data's synthetic
// region): their secondary indexes are dropped before the load and built again after it. Building
// an index sorts its keys once; keeping it while loading inserts every row's key into a B-tree at
// a random place.
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "core/result.h"
#include "storage/sql.h"

namespace linli::storage {

// The CREATE INDEX statements of `tables`' indexes that neither enforce uniqueness nor back a key
// (those stay: they keep the data right and serve the lookups a load makes as it goes).
Result<std::vector<std::string>> SecondaryIndexes(SqlSession& s, const std::vector<std::string_view>& tables);
// Drops the indexes that `definitions` (from SecondaryIndexes) create.
Status DropIndexes(SqlSession& s, const std::vector<std::string>& definitions);
// Builds them again.
Status CreateIndexes(SqlSession& s, const std::vector<std::string>& definitions);

}  // namespace linli::storage
