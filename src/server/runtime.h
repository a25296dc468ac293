// Builds a running Linli from its Config: the data folder, the database (with migrations), the
// services. The only place that turns configuration into concrete parts.
#pragma once

#include <chrono>
#include <memory>

#include "core/config.h"
#include "core/result.h"
#include "service/services.h"
#include "storage/database.h"

namespace linli::server {

struct Runtime {
  Config config;
  std::unique_ptr<storage::Database> db;
  std::unique_ptr<storage::Database> cockpit_db;  // the read replica, when --db-cockpit-url names one
  std::unique_ptr<service::Services> services;
  ~Runtime();
};

// When the process started, so `serve` can report how long it took to be ready.
inline std::chrono::steady_clock::time_point g_process_start = std::chrono::steady_clock::now();

enum class Migrate { kApply, kRequireApplied };

Result<std::unique_ptr<Runtime>> OpenRuntime(const Config& config, Migrate migrate = Migrate::kApply);

// Puts back what a bulk load suspended and never put back (it was killed half-way: bench-data, or
// `linli import residents --first-load`), before serving: a registry without its indexes would be
// read by scans. Returns how many indexes and keys came back; a failure (a key the load broke) is
// logged and the server runs without them, `linli check` naming them.
Result<std::size_t> PutBackSuspended(Runtime& rt);

// Serves HTTP until SIGINT/SIGTERM, then drains and returns the process exit code.
int Serve(Runtime& rt);

}  // namespace linli::server
