// Settings of a Linli process. Defaults here; a config file, LINLI_* environment variables and
// command-line flags override them, in that order (the CLI parser applies them).
#pragma once

#include <cstddef>
#include <string>

namespace linli {

struct Config {
  std::string data_dir = "./linli-data";
  std::string db_url;  // empty: sqlite://<data_dir>/linli.db
  std::string listen = "127.0.0.1:8080";
  int threads = 0;     // 0: one per core
  std::string tls_cert;
  std::string tls_key;
  std::string static_dir;  // empty: <data_dir>/../web/dist when it exists
  std::size_t max_connections = 10000;
  int idle_timeout_s = 60;
  int header_timeout_s = 10;
  int body_timeout_s = 30;
  int drain_timeout_s = 15;
  std::string password_policy = "length";  // or "mlps2"
  int session_idle_minutes = 30;
  int session_absolute_hours = 12;
  int login_attempts_per_minute = 20;
  int public_requests_per_minute = 30;  // per IP: anonymous reports, look-ups and ratings each
  bool sqlite_synchronous_full = true;
  // `linli bench-data` into a new SQLite file: no journal until the load ends (DatabaseOptions).
  bool sqlite_unjournaled_load = false;
  bool sqlite_rollback_journal_load = false;  // `import residents --first-load` (DatabaseOptions)
  int sqlite_bulk_cache_mib = 64;  // the writer's page cache while a bulk write runs
  int db_read_pool = 4;
  // A read replica (PostgreSQL hot standby) the cockpit reads from; empty: the primary.
  std::string db_cockpit_url;
  std::string log_level = "info";
  std::string key_file;  // empty: <data_dir>/linli.key (personal data is encrypted with it)

  std::string attachments_dir;  // empty: <data_dir>/attachments (photos and files of cases)
  std::string EffectiveAttachmentsDir() const { return attachments_dir.empty() ? data_dir + "/attachments" : attachments_dir; }
  std::string EffectiveKeyFile() const { return key_file.empty() ? data_dir + "/linli.key" : key_file; }

  std::string EffectiveDbUrl() const {
    return db_url.empty() ? "sqlite://" + data_dir + "/linli.db" : db_url;
  }
};

}  // namespace linli
