// `linli`: every way to run Linli, as subcommands. Settings come from flags, LINLI_* environment
// variables and an optional config file (--config, TOML or INI), in that order of precedence.
#include <CLI/CLI.hpp>
#include <spdlog/spdlog.h>

#include <filesystem>
#include <iostream>

#include "cli/commands.h"
#include "core/config.h"
#include "core/crypto.h"
#include "server/runtime.h"
#include "storage/bulk_load.h"
#include "storage/migrations.h"
#include "storage/unchecked_references.h"

using namespace linli;

int main(int argc, char** argv) {
  server::g_process_start = std::chrono::steady_clock::now();
  crypto::InitCrypto();
  Config cfg;

  CLI::App app{"Linli 邻里 — the platform of a resilient community: the grid, its people, their requests.\n"};
  app.require_subcommand(1);
  app.fallthrough();  // global flags may follow the subcommand: `linli serve --db ...`
  app.set_config("--config", "", "Read settings from this TOML/INI file");
  app.add_option("--data-dir", cfg.data_dir, "Folder of the embedded SQLite database")
      ->envname("LINLI_DATA_DIR")->capture_default_str();
  app.add_option("--db", cfg.db_url, "Database URL: sqlite:///path/file.db or postgresql://user@host/db")
      ->envname("LINLI_DB");
  app.add_option("--key-file", cfg.key_file, "Key that encrypts personal data (default: <data-dir>/linli.key)")
      ->envname("LINLI_KEY_FILE");
  app.add_option("--attachments-dir", cfg.attachments_dir,
                 "Where photos and files of cases are kept (default: <data-dir>/attachments)")
      ->envname("LINLI_ATTACHMENTS_DIR");
  app.add_option("--log-level", cfg.log_level, "trace, debug, info, warn, error")
      ->envname("LINLI_LOG_LEVEL")->capture_default_str();
  auto* bulk_cache = app.add_option("--bulk-cache-mib", cfg.sqlite_bulk_cache_mib,
                                    "SQLite: the writer's page cache while a roster import or bench-data writes (MiB; "
                                    "bench-data: 1024 unless given); more helps on databases of millions of residents")
                         ->envname("LINLI_BULK_CACHE_MIB")->check(CLI::Range(1, 65536))->capture_default_str();

  auto* serve = app.add_subcommand("serve", "Serve the API and the web app");
  serve->add_option("--listen", cfg.listen, "HOST:PORT")->envname("LINLI_LISTEN")->capture_default_str();
  serve->add_option("--threads", cfg.threads, "HTTP threads (0: one per core)")->envname("LINLI_THREADS");
  serve->add_option("--tls-cert", cfg.tls_cert, "PEM certificate chain; enables HTTPS")->envname("LINLI_TLS_CERT");
  serve->add_option("--tls-key", cfg.tls_key, "PEM private key")->envname("LINLI_TLS_KEY");
  serve->add_option("--static-dir", cfg.static_dir, "Built web app (default: web/dist when present)")
      ->envname("LINLI_STATIC_DIR");
  serve->add_option("--max-connections", cfg.max_connections)->envname("LINLI_MAX_CONNECTIONS")->capture_default_str();
  serve->add_option("--idle-timeout", cfg.idle_timeout_s, "Seconds a connection may wait between requests")
      ->envname("LINLI_IDLE_TIMEOUT")->capture_default_str();
  serve->add_option("--header-timeout", cfg.header_timeout_s, "Seconds to send a request's header")
      ->envname("LINLI_HEADER_TIMEOUT")->capture_default_str();
  serve->add_option("--body-timeout", cfg.body_timeout_s, "Seconds to send a request's body")
      ->envname("LINLI_BODY_TIMEOUT")->capture_default_str();
  serve->add_option("--drain-timeout", cfg.drain_timeout_s, "Seconds to finish requests at shutdown")
      ->envname("LINLI_DRAIN_TIMEOUT")->capture_default_str();
  serve->add_option("--password-policy", cfg.password_policy, "length (>=12 chars) or mlps2 (等保2.0)")
      ->envname("LINLI_PASSWORD_POLICY")->capture_default_str();
  serve->add_option("--session-idle-minutes", cfg.session_idle_minutes)->envname("LINLI_SESSION_IDLE_MINUTES")->capture_default_str();
  serve->add_option("--session-absolute-hours", cfg.session_absolute_hours)->envname("LINLI_SESSION_ABSOLUTE_HOURS")->capture_default_str();
  serve->add_option("--public-rate", cfg.public_requests_per_minute,
                    "Anonymous reports, look-ups and ratings per minute per IP (each)");
  serve->add_option("--login-rate", cfg.login_attempts_per_minute, "Sign-in attempts per minute per IP")
      ->envname("LINLI_LOGIN_RATE")->capture_default_str();
  serve->add_option("--db-read-pool", cfg.db_read_pool, "Read connections")->envname("LINLI_DB_READ_POOL")->capture_default_str();
  serve->add_option("--db-cockpit-url", cfg.db_cockpit_url,
                    "A read replica (PostgreSQL hot standby) the cockpit reads from; default: the primary")
      ->envname("LINLI_DB_COCKPIT_URL");
  bool relaxed_sync = false;
  serve->add_flag("--unsafe-no-fsync", relaxed_sync,
                  "SQLite synchronous=NORMAL: the last commits may be lost on power failure (never in production)");

  auto* migrate = app.add_subcommand("migrate", "Apply pending schema migrations");
  bool migrate_status = false;
  migrate->add_flag("--status", migrate_status, "List migrations and whether each is applied");
  auto* check = app.add_subcommand("check", "Check the database's integrity and the audit chain");
  std::string backup_file, restore_file;
  auto* backup = app.add_subcommand("backup", "Write a consistent copy of the database while it runs");
  backup->add_option("file", backup_file, "Output file")->required();
  auto* restore = app.add_subcommand("restore", "Replace the database with a backup (stop the server first)");
  restore->add_option("file", restore_file, "Backup file")->required();
  auto* version = app.add_subcommand("version", "Print the version");

  std::unique_ptr<server::Runtime> runtime;
  cli::CliContext ctx;
  ctx.services = [&]() -> service::Services& {
    if (!runtime) {
      auto rt = server::OpenRuntime(cfg);
      if (!rt) {
        std::cerr << "error: " << rt.error().message << "\n";
        std::exit(1);
      }
      runtime = std::move(*rt);
    }
    return *runtime->services;
  };
  auto run_admin = cli::AddAdminCommands(app, ctx);
  auto run_registry = cli::AddRegistryCommands(app, ctx);
  auto run_cases = cli::AddCaseCommands(app, ctx);

  CLI11_PARSE(app, argc, argv);
  cfg.sqlite_synchronous_full = !relaxed_sync;
  // A synthetic region into a new file is written without a journal (bench_data.cc ends it).
  cfg.sqlite_unjournaled_load = app.got_subcommand("bench-data");
  // A first load writes through a rollback journal instead of the WAL (DatabaseOptions).
  if (auto* import = app.get_subcommand("import"); import->got_subcommand("residents")) {
    cfg.sqlite_rollback_journal_load = import->get_subcommand("residents")->get_option("--first-load")->count() > 0;
  }
  // The generator runs on a machine of its own and fills indexes far past 64 MiB from a district
  // up (a district: 1 GiB, 15 % faster); SQLite takes the pages only as it touches them, so a
  // community's stays small.
  if (app.got_subcommand("bench-data") && bulk_cache->count() == 0) cfg.sqlite_bulk_cache_mib = 1024;
  spdlog::set_level(spdlog::level::from_str(cfg.log_level));
  spdlog::set_pattern("%Y-%m-%dT%H:%M:%S.%e%z %^%l%$ %v");

  if (version->parsed()) {
    std::cout << "linli " << LINLI_VERSION << "\n";
    return 0;
  }
  if (serve->parsed()) {
    auto rt = server::OpenRuntime(cfg);
    if (!rt) {
      spdlog::error("{}", rt.error().message);
      return 1;
    }
    return server::Serve(**rt);
  }
  auto open_driver = [&]() -> Result<std::unique_ptr<storage::Driver>> {
    if (cfg.db_url.empty()) std::filesystem::create_directories(cfg.data_dir);
    storage::DatabaseOptions o;
    o.url = cfg.EffectiveDbUrl();
    o.synchronous_full = cfg.sqlite_synchronous_full;
    o.bulk_cache_mib = cfg.sqlite_bulk_cache_mib;
    return storage::OpenDriver(o);
  };
  auto report = [](const Error& e) {
    std::cerr << "error: " << e.message << "\n";
    return 1;
  };
  if (migrate->parsed()) {
    auto driver = open_driver();
    if (!driver) return report(driver.error());
    if (!migrate_status) {
      if (auto st = storage::ApplyMigrations(**driver); !st) return report(st.error());
    }
    auto list = storage::ListMigrations(**driver);
    if (!list) return report(list.error());
    for (const auto& m : *list) std::cout << m.name << "\t" << (m.applied ? "applied" : "pending") << "\n";
    return 0;
  }
  if (check->parsed()) {
    auto rt = server::OpenRuntime(cfg, server::Migrate::kRequireApplied);
    if (!rt) return report(rt.error());
    auto integrity = (*rt)->db->driver().IntegrityCheck();
    if (!integrity) {
      std::cerr << "error: " << integrity.error().message << "\n";
      return 1;
    }
    std::cout << "database integrity: " << *integrity << "\n";
    // References PostgreSQL does not check row by row (storage/unchecked_references.h).
    auto unanchored = storage::ReadValue<std::vector<storage::Unanchored>>(*(*rt)->db, storage::FindUnanchored);
    if (!unanchored) {
      std::cerr << "error: " << unanchored.error().message << "\n";
      return 1;
    }
    for (const auto& u : *unanchored) {
      std::cout << u.reference.table << "." << u.reference.column << ": " << u.rows << " row"
                << (u.rows == 1 ? " names" : "s name") << " a row of " << u.reference.parent << " that does not exist\n";
    }
    // Indexes and keys a bulk load dropped and never put back (`linli serve` puts them back).
    auto suspended = storage::ReadValue<std::vector<std::string>>(*(*rt)->db, storage::StillSuspended);
    if (!suspended) {
      std::cerr << "error: " << suspended.error().message << "\n";
      return 1;
    }
    for (const auto& d : *suspended) std::cout << "suspended by an unfinished bulk load: " << d << "\n";
    auto chain = (*rt)->services->audit.Verify(service::Caller::Cli());
    if (!chain) {
      std::cerr << "error: " << chain.error().message << "\n";
      return 1;
    }
    std::cout << "audit chain: " << (chain->intact ? "intact" : "BROKEN at entry " + std::to_string(chain->first_broken_seq) + ": " + chain->reason)
              << " (" << chain->entries << " entries)\n";
    return (*integrity == "ok" && unanchored->empty() && suspended->empty() && chain->intact) ? 0 : 1;
  }
  if (backup->parsed()) {
    auto driver = open_driver();
    if (!driver) return report(driver.error());
    if (auto st = (*driver)->Backup(backup_file); !st) return report(st.error());
    std::cout << "backup written to " << backup_file << "\n";
    return 0;
  }
  if (restore->parsed()) {
    auto driver = open_driver();
    if (!driver) return report(driver.error());
    if (auto st = (*driver)->Restore(restore_file); !st) return report(st.error());
    // A backup from an older version is brought up to date at once.
    if (auto st = storage::ApplyMigrations(**driver); !st) return report(st.error());
    std::cout << "restored from " << restore_file << "; run `linli check` to confirm\n";
    return 0;
  }
  if (run_admin() || run_registry() || run_cases()) return ctx.exit_code;
  std::cerr << app.help();
  return 2;
}
