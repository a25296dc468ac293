#include "http/server.h"

#include <boost/asio.hpp>
#include <boost/asio/experimental/awaitable_operators.hpp>
#include <boost/asio/ssl.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <boost/beast/ssl.hpp>
#include <boost/url/parse.hpp>
#include <spdlog/spdlog.h>

#include <filesystem>
#include <fstream>
#include <list>
#include <mutex>
#include <random>
#include <thread>
#include <unordered_map>

#include "core/json_text.h"
#include "core/metrics.h"
#include "http/json_io.h"

namespace linli::http {

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace bhttp = boost::beast::http;
namespace ssl = boost::asio::ssl;
using tcp = asio::ip::tcp;
using asio::awaitable;
using asio::use_awaitable;
constexpr auto kNoThrow = asio::as_tuple(asio::use_awaitable);

namespace {

std::string NewRequestId() {
  thread_local std::mt19937_64 rng{std::random_device{}()};
  static const char* hex = "0123456789abcdef";
  std::string id(16, '0');
  auto v = rng();
  for (int i = 0; i < 16; ++i) id[i] = hex[(v >> (i * 4)) & 0xF];
  return id;
}

bool SafeRequestId(std::string_view s) {
  if (s.empty() || s.size() > 64) return false;
  for (char c : s) {
    if (!std::isalnum(static_cast<unsigned char>(c)) && c != '-' && c != '_' && c != '.') return false;
  }
  return true;
}

// Per-thread caches of metric handles, so the hot path takes no lock.
struct RouteMetrics {
  metrics::Histogram* latency;
};
RouteMetrics& MetricsFor(const std::string& route) {
  thread_local std::unordered_map<std::string, RouteMetrics> cache;
  auto it = cache.find(route);
  if (it != cache.end()) return it->second;
  auto& reg = metrics::Registry::Global();
  reg.Describe("linli_http_request_duration_seconds", "histogram", "Time to answer a request, by route");
  RouteMetrics m{&reg.Hist("linli_http_request_duration_seconds", "route=\"" + route + "\"",
                           metrics::LatencyBuckets())};
  return cache.emplace(route, m).first->second;
}
std::atomic<std::uint64_t>& RequestCounter(const std::string& route, const std::string& method, int status) {
  thread_local std::unordered_map<std::string, std::atomic<std::uint64_t>*> cache;
  std::string key = route + '\n' + method + '\n' + std::to_string(status);
  auto it = cache.find(key);
  if (it != cache.end()) return *it->second;
  auto& reg = metrics::Registry::Global();
  reg.Describe("linli_http_requests_total", "counter", "Requests answered, by route, method and status");
  auto* c = &reg.Counter("linli_http_requests_total", "route=\"" + route + "\",method=\"" + method +
                                                          "\",status=\"" + std::to_string(status) + "\"");
  cache.emplace(std::move(key), c);
  return *c;
}

std::string_view MimeFor(const std::filesystem::path& p) {
  auto ext = p.extension().string();
  if (ext == ".html") return "text/html; charset=utf-8";
  if (ext == ".js" || ext == ".mjs") return "text/javascript; charset=utf-8";
  if (ext == ".css") return "text/css; charset=utf-8";
  if (ext == ".json") return "application/json";
  if (ext == ".svg") return "image/svg+xml";
  if (ext == ".png") return "image/png";
  if (ext == ".jpg" || ext == ".jpeg") return "image/jpeg";
  if (ext == ".ico") return "image/x-icon";
  if (ext == ".woff2") return "font/woff2";
  if (ext == ".woff") return "font/woff";
  if (ext == ".webmanifest") return "application/manifest+json";
  return "application/octet-stream";
}

}  // namespace

struct HttpServer::Impl {
  // Everything one thread owns: its io_context, its acceptor and its connections.
  struct Worker {
    asio::io_context ctx{1};
    std::unique_ptr<tcp::acceptor> acceptor;
    // Connections of this worker; touched only on its thread.
    struct Conn {
      beast::tcp_stream* stream;
      bool idle;
    };
    std::list<Conn> conns;
  };

  ServerOptions opt;
  const Router& router;
  std::atomic<bool>& draining;
  std::vector<std::unique_ptr<Worker>> workers;
  std::unique_ptr<ssl::context> tls_ctx;
  std::atomic<std::size_t> active{0};
  std::atomic<std::int64_t>* open_gauge;
  std::uint16_t bound_port = 0;
  std::once_flag shutdown_once;

  Impl(ServerOptions o, const Router& r, std::atomic<bool>& d) : opt(std::move(o)), router(r), draining(d) {
    auto& reg = metrics::Registry::Global();
    reg.Describe("linli_http_open_connections", "gauge", "Open client connections");
    open_gauge = &reg.Gauge("linli_http_open_connections");
  }

  Status Listen() {
    int n = opt.threads > 0 ? opt.threads : std::max(1u, std::thread::hardware_concurrency());
    if (!opt.tls_cert_file.empty() || !opt.tls_key_file.empty()) {
      if (opt.tls_cert_file.empty() || opt.tls_key_file.empty()) {
        return Error::Invalid("tls", "TLS needs both a certificate and a key file");
      }
      tls_ctx = std::make_unique<ssl::context>(ssl::context::tls_server);
      tls_ctx->set_options(ssl::context::default_workarounds | ssl::context::no_sslv2 |
                           ssl::context::no_sslv3 | ssl::context::no_tlsv1 | ssl::context::no_tlsv1_1);
      boost::system::error_code ec;
      tls_ctx->use_certificate_chain_file(opt.tls_cert_file, ec);
      if (!ec) tls_ctx->use_private_key_file(opt.tls_key_file, ssl::context::pem, ec);
      if (ec) return Error::Invalid("tls", "cannot load the TLS certificate or key: " + ec.message());
    }
    boost::system::error_code ec;
    auto addr = asio::ip::make_address(opt.host, ec);
    if (ec) return Error::Invalid("listen", "not an IP address: " + opt.host);
    std::uint16_t port = opt.port;
    for (int i = 0; i < n; ++i) {
      auto w = std::make_unique<Worker>();
      w->acceptor = std::make_unique<tcp::acceptor>(w->ctx);
      tcp::endpoint ep(addr, port);
      w->acceptor->open(ep.protocol(), ec);
      if (!ec) w->acceptor->set_option(asio::socket_base::reuse_address(true), ec);
      if (!ec) {
        int one = 1;
        ::setsockopt(w->acceptor->native_handle(), SOL_SOCKET, SO_REUSEPORT, &one, sizeof one);
      }
      if (!ec) w->acceptor->bind(ep, ec);
      if (!ec) w->acceptor->listen(asio::socket_base::max_listen_connections, ec);
      if (ec) return Error::Unavailable("cannot listen on " + opt.host + ":" + std::to_string(port) + ": " + ec.message());
      port = w->acceptor->local_endpoint().port();  // the rest share the port the first one got
      workers.push_back(std::move(w));
    }
    bound_port = port;
    return Ok();
  }

  void Run() {
    for (auto& w : workers) asio::co_spawn(w->ctx, Accept(*w), asio::detached);
    std::unique_ptr<asio::signal_set> signals;
    if (opt.handle_signals) {
      signals = std::make_unique<asio::signal_set>(workers[0]->ctx, SIGINT, SIGTERM);
      signals->async_wait([this](boost::system::error_code ec, int sig) {
        if (!ec) {
          spdlog::info("signal {} received; finishing in-flight requests", sig);
          Shutdown();
        }
      });
    }
    std::vector<std::thread> threads;
    for (std::size_t i = 1; i < workers.size(); ++i) threads.emplace_back([this, i] { workers[i]->ctx.run(); });
    workers[0]->ctx.run();
    for (auto& t : threads) t.join();
  }

  void Shutdown() {
    std::call_once(shutdown_once, [this] {
      draining = true;
      for (auto& w : workers) {
        asio::post(w->ctx, [w = w.get()] {
          boost::system::error_code ec;
          w->acceptor->close(ec);
          for (auto& c : w->conns) {
            if (c.idle) c.stream->socket().close(ec);
          }
        });
      }
      // A watcher ends the wait once every connection closed or the drain time is up.
      std::thread([this] {
        auto deadline = std::chrono::steady_clock::now() + opt.drain_timeout;
        while (active.load() > 0 && std::chrono::steady_clock::now() < deadline) {
          std::this_thread::sleep_for(std::chrono::milliseconds(20));
        }
        if (active.load() > 0) spdlog::warn("{} connections still open after the drain time", active.load());
        for (auto& w : workers) w->ctx.stop();
      }).detach();
    });
  }

  awaitable<void> Accept(Worker& w) {
    for (;;) {
      auto [ec, socket] = co_await w.acceptor->async_accept(kNoThrow);
      if (ec) {
        if (ec == asio::error::operation_aborted || !w.acceptor->is_open()) co_return;
        continue;  // e.g. too many open files: keep serving the connections we have
      }
      if (active.load() >= opt.max_connections) {
        boost::system::error_code ignored;
        socket.close(ignored);  // over the limit: refuse at once rather than queue
        continue;
      }
      socket.set_option(tcp::no_delay(true));
      ++active;
      ++*open_gauge;
      asio::co_spawn(w.ctx, Connection(w, std::move(socket)), [this](std::exception_ptr e) {
        --active;
        --*open_gauge;
        if (e) {
          try { std::rethrow_exception(e); } catch (const std::exception& ex) {
            spdlog::error("connection ended with an exception: {}", ex.what());
          }
        }
      });
    }
  }

  awaitable<void> Connection(Worker& w, tcp::socket socket) {
    beast::tcp_stream stream(std::move(socket));
    auto it = w.conns.insert(w.conns.end(), {&stream, true});
    struct Unlist {
      Worker& w;
      std::list<Worker::Conn>::iterator it;
      ~Unlist() { w.conns.erase(it); }
    } unlist{w, it};
    std::string ip;
    boost::system::error_code ec;
    auto remote = stream.socket().remote_endpoint(ec);
    if (!ec) ip = remote.address().to_string();

    if (tls_ctx) {
      beast::ssl_stream<beast::tcp_stream&> tls(stream, *tls_ctx);
      stream.expires_after(opt.header_timeout);
      auto [hs_ec] = co_await tls.async_handshake(ssl::stream_base::server, kNoThrow);
      if (hs_ec) co_return;
      co_await Serve(tls, stream, it->idle, ip);
      stream.expires_after(std::chrono::seconds(2));
      co_await tls.async_shutdown(kNoThrow);
    } else {
      co_await Serve(stream, stream, it->idle, ip);
      stream.socket().shutdown(tcp::socket::shutdown_send, ec);
    }
  }

  template <class Stream>
  awaitable<void> Serve(Stream& io, beast::tcp_stream& tcp_layer, bool& idle, const std::string& ip) {
    beast::flat_buffer buffer;
    for (;;) {
      // Wait for the first byte of the next request with the (long) idle deadline ...
      idle = true;
      if (buffer.size() == 0) {
        if (draining) co_return;
        tcp_layer.expires_after(opt.idle_timeout);
        auto [ec, n] = co_await io.async_read_some(buffer.prepare(4096), kNoThrow);
        if (ec) co_return;
        buffer.commit(n);
      }
      idle = false;
      auto started = std::chrono::steady_clock::now();
      // ... then the whole header with the short one: a slow sender cannot linger.
      bhttp::request_parser<bhttp::string_body> parser;
      parser.header_limit(static_cast<std::uint32_t>(opt.max_header_bytes));
      // The body limit depends on the route, known only after the header; it is applied below.
      parser.body_limit(boost::none);
      tcp_layer.expires_after(opt.header_timeout);
      auto [hec, hn] = co_await bhttp::async_read_header(io, buffer, parser, kNoThrow);
      if (hec) {
        spdlog::debug("request header rejected: {}", hec.message());
        if (hec == bhttp::error::header_limit) {
          co_await Reply(io, tcp_layer, ErrorResponse(Error::Invalid("headers", "the request headers are too large")),
                         431, "", "unmatched", "-", ip, started, false);
        } else if (hec == bhttp::error::buffer_overflow) {
          co_await Reply(io, tcp_layer, ErrorResponse(Error::Invalid("headers", "the request headers are too large")),
                         431, "", "unmatched", "-", ip, started, false);
        } else if (hec != beast::error::timeout && hec != bhttp::error::end_of_stream &&
                   hec != asio::error::eof && hec != asio::error::connection_reset) {
          co_await Reply(io, tcp_layer, ErrorResponse(Error::Invalid("request", "malformed HTTP request")),
                         400, "", "unmatched", "-", ip, started, false);
        }
        co_return;
      }
      auto& header = parser.get();
      std::string request_id;
      if (auto rid = header.find("x-request-id"); rid != header.end() && SafeRequestId(rid->value())) {
        request_id = std::string(rid->value());
      } else {
        request_id = NewRequestId();
      }
      std::string method(header.method_string());
      auto url = boost::urls::parse_origin_form(header.target());
      if (!url) {
        co_await Reply(io, tcp_layer, ErrorResponse(Error::Invalid("target", "the request target is not a valid URL path")),
                       400, request_id, "unmatched", method, ip, started, false);
        co_return;
      }
      std::string path = url->path();
      std::size_t body_limit = router.BodyLimitFor(path);
      if (auto declared = parser.content_length(); declared && *declared > body_limit) {
        co_await Reply(io, tcp_layer, ErrorResponse(Error::Invalid("body", "the request body is too large")),
                       413, request_id, "unmatched", method, ip, started, false);
        co_return;
      }
      parser.body_limit(body_limit);  // for chunked bodies, whose size is not declared
      if (auto expect = header.find(bhttp::field::expect);
          expect != header.end() && beast::iequals(expect->value(), "100-continue")) {
        bhttp::response<bhttp::empty_body> cont{bhttp::status::continue_, 11};
        tcp_layer.expires_after(opt.write_timeout);
        co_await bhttp::async_write(io, cont, kNoThrow);
      }
      tcp_layer.expires_after(opt.body_timeout);
      auto [bec, bn] = co_await bhttp::async_read(io, buffer, parser, kNoThrow);
      if (bec) {
        if (bec == bhttp::error::body_limit) {
          co_await Reply(io, tcp_layer, ErrorResponse(Error::Invalid("body", "the request body is too large")),
                         413, request_id, "unmatched", method, ip, started, false);
        }
        co_return;
      }
      auto msg = parser.release();
      bool keep_alive = msg.keep_alive();

      HttpRequest req;
      req.method = method;
      req.target = std::string(msg.target());
      req.path = std::move(path);
      for (auto param : url->params()) req.query[param.key] = param.value;
      for (const auto& f : msg) {
        std::string name(f.name_string());
        for (auto& c : name) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
        req.headers.emplace_back(std::move(name), std::string(f.value()));
      }
      req.body = std::move(msg.body());
      req.remote_ip = ip;
      req.request_id = request_id;

      HttpResponse resp;
      auto match = router.Find(req.method, req.path, req.path_params);
      std::string route = match.handler ? match.pattern : "unmatched";
      if (match.handler) {
        req.route = match.pattern;
        resp = co_await Dispatch(*match.handler, req);
      } else if (!match.allow.empty()) {
        resp = ErrorResponse(Error::Invalid("method", "use " + match.allow + " for this path"));
        resp.status = 405;
        resp.With("Allow", match.allow);
      } else if (!opt.static_dir.empty() && (req.method == "GET" || req.method == "HEAD") &&
                 !req.path.starts_with("/api/")) {
        resp = StaticFile(req.path);
        route = "static";
      } else {
        resp = ErrorResponse(Error::NotFound("no such endpoint: " + req.method + " " + req.path));
      }
      if (req.method == "HEAD") resp.body.clear();
      bool ok = co_await Reply(io, tcp_layer, std::move(resp), 0, request_id, route, req.method, ip,
                               started, keep_alive && !draining);
      if (!ok || !keep_alive || draining) co_return;
    }
  }

  awaitable<HttpResponse> Dispatch(const Handler& handler, HttpRequest& req) {
    auto ex = co_await asio::this_coro::executor;
    co_return co_await asio::async_initiate<decltype(use_awaitable), void(HttpResponse)>(
        [&handler, &req, ex](auto completion) {
          auto shared = std::make_shared<decltype(completion)>(std::move(completion));
          auto answered = std::make_shared<std::atomic<bool>>(false);
          Respond respond = [shared, answered, ex](HttpResponse r) {
            if (answered->exchange(true)) return;  // a handler answers once
            asio::post(ex, [shared, r = std::move(r)]() mutable { (*shared)(std::move(r)); });
          };
          try {
            handler(req, respond);
          } catch (const std::exception& e) {
            spdlog::error("request {} failed: {}", req.request_id, e.what());
            respond(ErrorResponse(Error::Internal(e.what())));
          }
        },
        use_awaitable);
  }

  HttpResponse StaticFile(const std::string& path) {
    namespace fs = std::filesystem;
    fs::path root = fs::weakly_canonical(opt.static_dir);
    fs::path wanted = fs::weakly_canonical(root / fs::path(path).relative_path());
    auto rel = wanted.lexically_relative(root);
    bool inside = !rel.empty() && *rel.begin() != "..";
    std::error_code ec;
    if (!inside || !fs::is_regular_file(wanted, ec)) wanted = root / "index.html";  // the app routes
    std::ifstream in(wanted, std::ios::binary);
    if (!in) return ErrorResponse(Error::NotFound("no such page"));
    HttpResponse r;
    r.body.assign(std::istreambuf_iterator<char>(in), {});
    r.content_type = std::string(MimeFor(wanted));
    bool hashed_asset = wanted.string().find("/assets/") != std::string::npos;
    r.With("Cache-Control", hashed_asset ? "public, max-age=31536000, immutable" : "no-cache");
    return r;
  }

  template <class Stream>
  awaitable<bool> Reply(Stream& io, beast::tcp_stream& tcp_layer, HttpResponse resp, int status_override,
                        const std::string& request_id, const std::string& route, const std::string& method,
                        const std::string& ip, std::chrono::steady_clock::time_point started, bool keep_alive) {
    if (status_override) resp.status = status_override;
    bhttp::response<bhttp::string_body> out{static_cast<bhttp::status>(resp.status), 11};
    out.set(bhttp::field::server, "linli");
    out.set(bhttp::field::content_type, resp.content_type);
    out.set("X-Request-Id", request_id.empty() ? NewRequestId() : request_id);
    out.set("X-Content-Type-Options", "nosniff");
    out.set("X-Frame-Options", "DENY");
    out.set("Referrer-Policy", "same-origin");
    out.set("Content-Security-Policy",
            "default-src 'self'; img-src 'self' data: blob:; style-src 'self' 'unsafe-inline'; "
            "script-src 'self'; connect-src 'self'; frame-ancestors 'none'; base-uri 'self'; "
            "form-action 'self'");
    if (tls_ctx) out.set("Strict-Transport-Security", "max-age=31536000; includeSubDomains");
    bool has_cache_control = false;
    for (auto& [k, v] : resp.headers) {
      has_cache_control = has_cache_control || beast::iequals(k, "cache-control");
      out.insert(k, v);
    }
    if (!has_cache_control) out.set(bhttp::field::cache_control, "no-store");
    out.keep_alive(keep_alive);
    out.body() = std::move(resp.body);
    out.prepare_payload();
    tcp_layer.expires_after(opt.write_timeout);
    auto [ec, n] = co_await bhttp::async_write(io, out, kNoThrow);
    double seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - started).count();
    MetricsFor(route).latency->Observe(seconds);
    RequestCounter(route, method, resp.status).fetch_add(1, std::memory_order_relaxed);
    // The access log names the route pattern, never the raw path or query, which may carry
    // personal data.
    if (spdlog::should_log(spdlog::level::info)) {
      spdlog::info("{} {} {} {} {} {}B {:.1f}ms", request_id, ip, method, route, resp.status, n, seconds * 1000);
    }
    co_return !ec;
  }
};

HttpServer::HttpServer(ServerOptions options, const Router& router, std::atomic<bool>& draining)
    : impl_(std::make_unique<Impl>(std::move(options), router, draining)) {}
HttpServer::~HttpServer() = default;
Status HttpServer::Listen() { return impl_->Listen(); }
void HttpServer::Run() { impl_->Run(); }
void HttpServer::Shutdown() { impl_->Shutdown(); }
std::uint16_t HttpServer::port() const { return impl_->bound_port; }
bool HttpServer::tls() const { return impl_->tls_ctx != nullptr; }

}  // namespace linli::http
