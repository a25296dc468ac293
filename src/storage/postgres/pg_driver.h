// The PostgreSQL engine: the scale path, for a city. libpq in pipeline mode: statements whose
// results nobody waits for (BEGIN, SAVEPOINT, appends) travel with the next one that is waited for,
// so a write batch costs few round trips.
#pragma once

#include <memory>
#include <string>

#include "core/result.h"
#include "storage/database.h"

namespace linli::storage {

Result<std::unique_ptr<Driver>> MakePostgresDriver(std::string url);

}  // namespace linli::storage
