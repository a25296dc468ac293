#include "server/runtime.h"

#include <spdlog/spdlog.h>
#include <sys/stat.h>

#include <chrono>
#include <filesystem>

#include "http/outbound_http.h"
#include "http/api.h"
#include "http/server.h"
#include "storage/bulk_load.h"

namespace linli::server {

Runtime::~Runtime() {
  services.reset();
  if (db) db->Stop();
}

Result<std::unique_ptr<Runtime>> OpenRuntime(const Config& config, Migrate migrate) {
  auto rt = std::make_unique<Runtime>();
  rt->config = config;
  if (config.db_url.empty()) {
    std::error_code ec;
    std::filesystem::create_directories(config.data_dir, ec);
    if (ec) return Error::Invalid("data-dir", "cannot create " + config.data_dir + ": " + ec.message());
    ::chmod(config.data_dir.c_str(), 0700);  // the database holds personal data
  }
  auto mode = domain::ParsePasswordPolicyMode(config.password_policy);
  if (!mode) return Error::Invalid("password-policy", mode.error().message);
  storage::DatabaseOptions dbo;
  dbo.url = config.EffectiveDbUrl();
  dbo.read_pool_size = config.db_read_pool;
  dbo.synchronous_full = config.sqlite_synchronous_full;
  dbo.bulk_cache_mib = config.sqlite_bulk_cache_mib;
  dbo.unjournaled_load = config.sqlite_unjournaled_load;
  dbo.rollback_journal_load = config.sqlite_rollback_journal_load;
  dbo.migrate = migrate == Migrate::kApply;
  LINLI_ASSIGN_OR_RETURN(rt->db, storage::Database::Open(dbo));
  if (!config.db_cockpit_url.empty()) {
    storage::DatabaseOptions replica = dbo;
    replica.url = config.db_cockpit_url;
    replica.read_only = true;
    auto opened = storage::Database::Open(replica);
    if (!opened) return Error::Invalid("db-cockpit-url", "the cockpit's replica: " + opened.error().message);
    rt->cockpit_db = std::move(*opened);
  }
  service::ServicesOptions so;
  so.policy.password_mode = *mode;
  so.policy.session_idle_timeout = static_cast<Millis>(config.session_idle_minutes) * 60000;
  so.policy.session_absolute_lifetime = static_cast<Millis>(config.session_absolute_hours) * 3600000;
  so.login_attempts_per_minute_per_ip = config.login_attempts_per_minute;
  so.public_requests_per_minute_per_ip = config.public_requests_per_minute;
  {
    std::error_code ec;
    std::filesystem::create_directories(std::filesystem::path(config.EffectiveKeyFile()).parent_path(), ec);
  }
  LINLI_ASSIGN_OR_RETURN(so.field_crypto, crypto::FieldCrypto::FromKeyFile(config.EffectiveKeyFile()));
  so.attachments_dir = config.EffectiveAttachmentsDir();
  so.http_poster = [](const service::OutboundRequest& r) { return http::PostOutbound(r); };
  so.cockpit_db = rt->cockpit_db.get();
  rt->services = std::make_unique<service::Services>(*rt->db, SystemClock::Instance(), so);
  LINLI_TRY(rt->services->Prepare());
  return rt;
}

namespace {
Result<std::pair<std::string, std::uint16_t>> SplitListen(const std::string& listen) {
  auto colon = listen.rfind(':');
  if (colon == std::string::npos) return Error::Invalid("listen", "use HOST:PORT, e.g. 127.0.0.1:8080");
  std::string host = listen.substr(0, colon);
  if (host.size() > 2 && host.front() == '[' && host.back() == ']') host = host.substr(1, host.size() - 2);
  int port = 0;
  try {
    port = std::stoi(listen.substr(colon + 1));
  } catch (...) {
    return Error::Invalid("listen", "the port must be a number");
  }
  if (port < 0 || port > 65535) return Error::Invalid("listen", "the port must be 0 to 65535");
  return std::make_pair(host, static_cast<std::uint16_t>(port));
}
}  // namespace

Result<std::size_t> PutBackSuspended(Runtime& rt) {
  LINLI_ASSIGN_OR_RETURN(auto left, storage::ReadValue<std::vector<std::string>>(*rt.db, storage::StillSuspended));
  if (left.empty()) return std::size_t{0};
  spdlog::warn("a bulk load ended before putting back {} indexes and keys: putting them back", left.size());
  LINLI_TRY(rt.db->WriteSync([&](storage::SqlSession& s) { return storage::Reinstate(s, left); }, storage::Batching::kAlone));
  return left.size();
}

int Serve(Runtime& rt) {
  auto started = g_process_start;
  const Config& c = rt.config;
  if (auto back = PutBackSuspended(rt); !back) {
    spdlog::error("indexes and keys a bulk load suspended could not be put back ({}); serving without them",
                  back.error().message);
  }
  auto hp = SplitListen(c.listen);
  if (!hp) {
    spdlog::error("{}", hp.error().message);
    return 2;
  }
  http::ServerOptions so;
  so.host = hp->first;
  so.port = hp->second;
  so.threads = c.threads;
  so.max_connections = c.max_connections;
  so.idle_timeout = std::chrono::seconds(c.idle_timeout_s);
  so.header_timeout = std::chrono::seconds(c.header_timeout_s);
  so.body_timeout = std::chrono::seconds(c.body_timeout_s);
  so.drain_timeout = std::chrono::seconds(c.drain_timeout_s);
  so.tls_cert_file = c.tls_cert;
  so.tls_key_file = c.tls_key;
  so.static_dir = c.static_dir;
  if (so.static_dir.empty() && std::filesystem::exists("web/dist/index.html")) so.static_dir = "web/dist";

  std::atomic<bool> draining{false};
  auto& s = *rt.services;
  http::Api api{*rt.db, s.auth, s.org, s.accounts, s.audit, s.registry, s.geo, s.imports, s.fieldwork, s.restructure,
                s.cases, s.notifications, s.council, s.cockpit, s.changes, s.cpu, !c.tls_cert.empty() && !c.tls_key.empty(), &draining};
  http::Router router;
  http::RegisterAllRoutes(router, api);
  http::HttpServer server(so, router, draining);
  if (auto st = server.Listen(); !st) {
    spdlog::error("{}", st.error().message);
    return 1;
  }
  auto ms = std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - started).count();
  spdlog::info("linli {} serving {}://{}:{} ({}, {} threads) ready in {:.0f} ms", LINLI_VERSION,
               server.tls() ? "https" : "http", so.host, server.port(), rt.db->driver().Describe(),
               so.threads > 0 ? so.threads : static_cast<int>(std::thread::hardware_concurrency()), ms);
  s.deadlines.Start();
  s.webhooks.Start();
  s.address_keys.Start();
  s.event_partitions.Start();
  server.Run();
  s.event_partitions.Stop();
  s.address_keys.Stop();
  s.webhooks.Stop();
  s.deadlines.Stop();
  spdlog::info("HTTP stopped; committing queued writes");
  rt.db->Stop();
  spdlog::info("stopped cleanly");
  return 0;
}

}  // namespace linli::server
