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

// Fixed labels passed by reference into coroutines (never temporaries: see Dispatch).
const std::string kUnmatched = "unmatched";
const std::string kNoId;
const std::string kNoMethod = "-";
const std::string kStatic = "static";

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

// Per-thread caches of metric handles keyed by route and status, so the hot path takes no lock
// and builds no strings. `route` names a Route's pattern or a fixed label ("unmatched", "static").
struct RouteMetrics {
  metrics::Histogram* latency = nullptr;
  std::unordered_map<int, std::atomic<std::uint64_t>*> by_status;  // key: method index * 1000 + status
};
RouteMetrics& MetricsFor(const std::string& route) {
  thread_local std::unordered_map<std::string, RouteMetrics> by_name;
  auto& m = by_name[route];
  if (!m.latency) {
    auto& reg = metrics::Registry::Global();
    reg.Describe("linli_http_request_duration_seconds", "histogram", "Time to answer a request, by route");
    reg.Describe("linli_http_requests_total", "counter", "Requests answered, by route, method and status");
    m.latency = &reg.Hist("linli_http_request_duration_seconds", "route=\"" + route + "\"",
                          metrics::LatencyBuckets());
  }
  return m;
}
std::atomic<std::uint64_t>& RequestCounter(RouteMetrics& m, const std::string& route,
                                           const std::string& method, int status) {
  static const char* kMethods[] = {"GET", "POST", "PUT", "PATCH", "DELETE", "HEAD", "OPTIONS"};
  int mi = 7;
  for (int i = 0; i < 7; ++i) {
    if (method == kMethods[i]) mi = i;
  }
  int key = mi * 1000 + status;
  auto it = m.by_status.find(key);
  if (it != m.by_status.end()) return *it->second;
  // Unknown methods are counted together so a client cannot create unbounded label sets.
  std::string label = mi < 7 ? method : std::string("other");
  auto* c = &metrics::Registry::Global().Counter(
      "linli_http_requests_total",
      "route=\"" + route + "\",method=\"" + label + "\",status=\"" + std::to_string(status) + "\"");
  m.by_status.emplace(key, c);
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
    // A connection's deadline is a value, checked once a second by Sweep: arming and cancelling
    // a timer around every read and write costs more than serving a small request.
    struct Conn {
      tcp::socket* sock;
      bool idle = true;
      std::function<void()> wake;  // an event stream's: ends its wait so it sees the shutdown
      std::chrono::steady_clock::time_point deadline;
      void expires_after(std::chrono::seconds d) { deadline = std::chrono::steady_clock::now() + d; }
      tcp::socket& socket() { return *sock; }
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
  std::thread drain_watcher;

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
    for (auto& w : workers) {
      asio::co_spawn(w->ctx, Accept(*w), asio::detached);
      asio::co_spawn(w->ctx, Sweep(*w), asio::detached);
    }
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
    if (drain_watcher.joinable()) drain_watcher.join();
  }

  ~Impl() {
    if (drain_watcher.joinable()) drain_watcher.join();
  }

  void Shutdown() {
    std::call_once(shutdown_once, [this] {
      draining = true;
      for (auto& w : workers) {
        asio::post(w->ctx, [w = w.get()] {
          boost::system::error_code ec;
          w->acceptor->close(ec);
          for (auto& c : w->conns) {
            if (c.idle) c.sock->close(ec);
            if (c.wake) c.wake();
          }
        });
      }
      // A watcher ends the wait once every connection closed or the drain time is up. It is
      // joined by Run(): the io_contexts may run out of work and return before it finishes.
      drain_watcher = std::thread([this] {
        auto deadline = std::chrono::steady_clock::now() + opt.drain_timeout;
        while (active.load() > 0 && std::chrono::steady_clock::now() < deadline) {
          std::this_thread::sleep_for(std::chrono::milliseconds(20));
        }
        if (active.load() > 0) spdlog::warn("{} connections still open after the drain time", active.load());
        for (auto& w : workers) w->ctx.stop();
      });
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
    auto it = w.conns.insert(w.conns.end(), Worker::Conn{&socket, true, {}});
    Worker::Conn& conn = *it;
    conn.expires_after(opt.header_timeout);
    struct Unlist {
      Worker& w;
      std::list<Worker::Conn>::iterator it;
      ~Unlist() { w.conns.erase(it); }
    } unlist{w, it};
    std::string ip;
    boost::system::error_code ec;
    auto remote = socket.remote_endpoint(ec);
    if (!ec) ip = remote.address().to_string();

    if (tls_ctx) {
      ssl::stream<tcp::socket&> tls(socket, *tls_ctx);
      auto [hs_ec] = co_await tls.async_handshake(ssl::stream_base::server, kNoThrow);
      if (hs_ec) co_return;
      co_await Serve(tls, conn, ip);
      conn.expires_after(std::chrono::seconds(2));
      co_await tls.async_shutdown(kNoThrow);
    } else {
      socket.non_blocking(true, ec);  // for the immediate write in Serve
      co_await Serve(socket, conn, ip);
      socket.shutdown(tcp::socket::shutdown_send, ec);
    }
  }

  // Closes the connections of a worker whose deadline passed; their pending operations end
  // with operation_aborted and their coroutines finish.
  awaitable<void> Sweep(Worker& w) {
    asio::steady_timer timer(w.ctx);
    for (;;) {
      timer.expires_after(std::chrono::seconds(1));
      auto [ec] = co_await timer.async_wait(kNoThrow);
      if (ec) co_return;
      auto now = std::chrono::steady_clock::now();
      for (auto& c : w.conns) {
        if (c.deadline <= now) {
          boost::system::error_code ignored;
          c.sock->close(ignored);
        }
      }
    }
  }

  template <class Stream>
  awaitable<void> Serve(Stream& io, Worker::Conn& tcp_layer, const std::string& ip) {
    bool& idle = tcp_layer.idle;
    beast::flat_buffer buffer;
    asio::any_io_executor ex = co_await asio::this_coro::executor;
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
      // A header that arrived whole (the usual case) is parsed here and now: an asynchronous read
      // that completes at once still costs a trip through the scheduler. Otherwise the rest is
      // read with the short header deadline, so a slow sender cannot linger.
      std::string_view received(static_cast<const char*>(buffer.data().data()), buffer.size());
      boost::system::error_code hec;
      if (received.find("\r\n\r\n") != std::string_view::npos && received.size() <= opt.max_header_bytes) {
        parser.eager(false);  // the header only; the body is read below with the route's limit
        std::size_t used = parser.put(buffer.data(), hec);
        buffer.consume(used);
        if (!hec && !parser.is_header_done()) hec = bhttp::error::partial_message;
      } else {
        tcp_layer.expires_after(opt.header_timeout);
        auto [ec, hn] = co_await bhttp::async_read_header(io, buffer, parser, kNoThrow);
        hec = ec;
      }
      if (hec) {
        spdlog::debug("request header rejected: {}", hec.message());
        if (hec == bhttp::error::header_limit) {
          HttpResponse r = ErrorResponse(Error::Invalid("headers", "the request headers are too large"));
          co_await Reply(io, tcp_layer, std::move(r), 431, kNoId, kUnmatched, kNoMethod, ip, started, false);
        } else if (hec == bhttp::error::buffer_overflow) {
          HttpResponse r = ErrorResponse(Error::Invalid("headers", "the request headers are too large"));
          co_await Reply(io, tcp_layer, std::move(r), 431, kNoId, kUnmatched, kNoMethod, ip, started, false);
        } else if (hec != beast::error::timeout && hec != asio::error::operation_aborted &&
                   hec != asio::error::bad_descriptor && hec != bhttp::error::end_of_stream &&
                   hec != asio::error::eof && hec != asio::error::connection_reset) {
          HttpResponse r = ErrorResponse(Error::Invalid("request", "malformed HTTP request"));
          co_await Reply(io, tcp_layer, std::move(r), 400, kNoId, kUnmatched, kNoMethod, ip, started, false);
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
        HttpResponse r = ErrorResponse(Error::Invalid("target", "the request target is not a valid URL path"));
        co_await Reply(io, tcp_layer, std::move(r), 400, request_id, kUnmatched, method, ip, started, false);
        co_return;
      }
      std::string path = url->path();
      std::map<std::string, std::string> path_params;
      auto match = router.Find(method, path, path_params);
      std::size_t body_limit = match.route ? match.route->options.max_body_bytes : RouteOptions{}.max_body_bytes;
      if (auto declared = parser.content_length(); declared && *declared > body_limit) {
        HttpResponse r = ErrorResponse(Error::Invalid("body", "the request body is too large"));
        co_await Reply(io, tcp_layer, std::move(r), 413, request_id, kUnmatched, method, ip, started, false);
        co_return;
      }
      parser.body_limit(body_limit);  // for chunked bodies, whose size is not declared
      if (auto expect = header.find(bhttp::field::expect);
          expect != header.end() && beast::iequals(expect->value(), "100-continue")) {
        static const std::string kContinue = "HTTP/1.1 100 Continue\r\n\r\n";
        tcp_layer.expires_after(opt.write_timeout);
        co_await asio::async_write(io, asio::buffer(kContinue), kNoThrow);
      }
      boost::system::error_code bec;
      if (!parser.is_done()) {  // GETs and empty bodies are complete with their header
        tcp_layer.expires_after(opt.body_timeout);
        auto [ec, bn] = co_await bhttp::async_read(io, buffer, parser, kNoThrow);
        bec = ec;
      }
      if (bec) {
        if (bec == bhttp::error::body_limit) {
          HttpResponse r = ErrorResponse(Error::Invalid("body", "the request body is too large"));
          co_await Reply(io, tcp_layer, std::move(r), 413, request_id, kUnmatched, method, ip, started, false);
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

      req.path_params = std::move(path_params);
      HttpResponse resp;
      const std::string& route = match.route ? match.route->pattern : kUnmatched;
      if (match.route) {
        req.route = match.route->pattern;
        std::shared_ptr<Completion> pending = StartHandler(match.route->handler, req, ex);
        if (auto now = TakeReady(*pending)) {
          resp = std::move(*now);
        } else {
          // The initiation captures only a raw pointer: g++ 12 may destroy a temporary in a
          // co_await expression twice, which must never release anything.
          Completion* c = pending.get();
          auto initiation = [c](auto handler) {
            auto shared = std::make_shared<decltype(handler)>(std::move(handler));
            std::unique_lock lock(c->mu);
            if (c->ready) {  // answered between TakeReady and now
              auto r = std::move(*c->ready);
              c->ready.reset();
              lock.unlock();
              asio::post(c->ex, [shared, r = std::move(r)]() mutable { (*shared)(std::move(r)); });
              return;
            }
            c->waiter = [shared](HttpResponse r) { (*shared)(std::move(r)); };
          };
          resp = co_await asio::async_initiate<decltype(use_awaitable), void(HttpResponse)>(initiation, use_awaitable);
        }
      } else if (!match.allow.empty()) {
        resp = ErrorResponse(Error::Invalid("method", "use " + match.allow + " for this path"));
        resp.status = 405;
        resp.With("Allow", match.allow);
      } else if (!opt.static_dir.empty() && (req.method == "GET" || req.method == "HEAD") &&
                 !req.path.starts_with("/api/")) {
        resp = StaticFile(req);
      } else {
        resp = ErrorResponse(Error::NotFound("no such endpoint: " + req.method + " " + req.path));
      }
      const std::string& label = (!match.route && resp.status == 200) ? kStatic : route;
      bool keep = keep_alive && !draining;
      std::string out = Serialize(resp, request_id, req.method, keep);
      std::size_t written = 0;
      boost::system::error_code wec;
      if constexpr (std::is_same_v<Stream, tcp::socket>) {
        // On plain TCP the kernel usually takes the whole response at once: send it now and go
        // through the asynchronous write (with its deadline) only for what it did not take.
        written = tcp_layer.socket().write_some(asio::buffer(out), wec);
        if (wec == asio::error::would_block || wec == asio::error::try_again) wec = {};
      }
      if (!wec && written < out.size()) {
        tcp_layer.expires_after(opt.write_timeout);
        auto [ec, n] = co_await asio::async_write(io, asio::buffer(out.data() + written, out.size() - written), kNoThrow);
        wec = ec;
        written += n;
      }
      Record(label, req.method, resp.status, request_id, ip, started, written);
      if (resp.stream) {
        if (!wec) co_await StreamEvents(io, tcp_layer, resp.stream);
        resp.stream->Close();
        co_return;
      }
      if (wec || !keep) co_return;
    }
  }

  // After the head of an event-stream response: writes what the handler pushes, and a comment
  // line every 15 s (which also finds a client that went away), until the write fails or the
  // server drains. The body is delimited by the connection's end (Connection: close).
  template <class Stream>
  awaitable<void> StreamEvents(Stream& io, Worker::Conn& conn, std::shared_ptr<EventStream> stream) {
    struct Waker {
      asio::steady_timer timer;
      explicit Waker(const asio::any_io_executor& ex) : timer(ex) {}
    };
    asio::any_io_executor ex = co_await asio::this_coro::executor;
    auto waker = std::make_shared<Waker>(ex);
    std::weak_ptr<Waker> weak = waker;
    // Pushes come from other threads: the wake-up is posted to this connection's thread, where
    // it runs only while this coroutine is suspended, so no push falls between Take and the wait.
    stream->SetWaker([weak, ex] {
      asio::post(ex, [weak] {
        if (auto w = weak.lock()) w->timer.cancel();
      });
    });
    conn.wake = [weak] {
      if (auto w = weak.lock()) w->timer.cancel();
    };
    struct Unhook {
      Worker::Conn& conn;
      ~Unhook() { conn.wake = nullptr; }
    } unhook{conn};
    for (;;) {
      if (draining) co_return;
      std::string out;
      for (auto& e : stream->Take()) out += e;
      if (out.empty()) {
        conn.idle = true;
        conn.expires_after(std::chrono::hours(1));
        waker->timer.expires_after(std::chrono::seconds(15));
        auto [ec] = co_await waker->timer.async_wait(kNoThrow);
        conn.idle = false;
        if (draining) co_return;
        if (ec) continue;  // woken: take what was pushed
        out = ": keep-alive\n\n";
      }
      conn.expires_after(opt.write_timeout);
      auto [wec, n] = co_await asio::async_write(io, asio::buffer(out), kNoThrow);
      if (wec) co_return;
    }
  }

  // Where a handler's answer meets the connection waiting for it. Most handlers answer before
  // they return (reads): the answer is then taken at once, with no coroutine call. Writes answer
  // later from the writer thread: the connection waits and is resumed on its own executor.
  struct Completion {
    std::mutex mu;
    std::optional<HttpResponse> ready;
    std::function<void(HttpResponse)> waiter;
    bool answered = false;
    asio::any_io_executor ex;
  };

  static std::shared_ptr<Completion> StartHandler(const Handler& handler, HttpRequest& req,
                                                  const asio::any_io_executor& ex) {
    auto state = std::make_shared<Completion>();
    state->ex = ex;
    Respond respond = [state](HttpResponse r) {
      std::unique_lock lock(state->mu);
      if (state->answered) return;  // a handler answers once
      state->answered = true;
      if (!state->waiter) {
        state->ready = std::move(r);
        return;
      }
      auto waiter = std::move(state->waiter);
      lock.unlock();
      asio::post(state->ex, [waiter = std::move(waiter), r = std::move(r)]() mutable { waiter(std::move(r)); });
    };
    try {
      handler(req, respond);
    } catch (const std::exception& e) {
      spdlog::error("request {} failed: {}", req.request_id, e.what());
      respond(ErrorResponse(Error::Internal(e.what())));
    }
    return state;
  }

  static std::optional<HttpResponse> TakeReady(Completion& c) {
    std::lock_guard lock(c.mu);
    if (!c.ready) return std::nullopt;
    std::optional<HttpResponse> r = std::move(c.ready);
    c.ready.reset();
    return r;
  }

  // A file of the built web app. A path that names no file is one of the app's own routes: it
  // gets the index.html of the nearest folder above it (/h5/report → h5/index.html, the mobile
  // app; /cases/7 → index.html, the console). A file built with a .gz beside it is sent
  // compressed to a browser that accepts gzip.
  HttpResponse StaticFile(const HttpRequest& req) {
    namespace fs = std::filesystem;
    fs::path root = fs::weakly_canonical(opt.static_dir);
    fs::path wanted = fs::weakly_canonical(root / fs::path(req.path).relative_path());
    auto rel = wanted.lexically_relative(root);
    bool inside = !rel.empty() && *rel.begin() != "..";
    std::error_code ec;
    if (!inside) {
      wanted = root / "index.html";
    } else if (!fs::is_regular_file(wanted, ec)) {
      fs::path dir = fs::is_directory(wanted, ec) ? wanted : wanted.parent_path();
      for (;;) {
        if (fs::is_regular_file(dir / "index.html", ec) || dir == root || !dir.has_parent_path() ||
            dir.lexically_relative(root).begin()->string() == "..") {
          break;
        }
        dir = dir.parent_path();
      }
      wanted = fs::is_regular_file(dir / "index.html", ec) ? dir / "index.html" : root / "index.html";
    }
    HttpResponse r;
    bool gzip = false;
    if (auto accept = req.Header("accept-encoding"); accept && accept->find("gzip") != std::string_view::npos) {
      fs::path packed = wanted;
      packed += ".gz";
      gzip = fs::is_regular_file(packed, ec);
      if (gzip) {
        std::ifstream in(packed, std::ios::binary);
        r.body.assign(std::istreambuf_iterator<char>(in), {});
        r.With("Content-Encoding", "gzip");
      }
    }
    if (!gzip) {
      std::ifstream in(wanted, std::ios::binary);
      if (!in) return ErrorResponse(Error::NotFound("no such page"));
      r.body.assign(std::istreambuf_iterator<char>(in), {});
    }
    r.With("Vary", "Accept-Encoding");
    r.content_type = std::string(MimeFor(wanted));
    bool hashed_asset = wanted.string().find("/assets/") != std::string::npos;
    r.With("Cache-Control", hashed_asset ? "public, max-age=31536000, immutable" : "no-cache");
    return r;
  }

  // Serialises the response by hand: one string, one write, no per-header allocations.
  std::string Serialize(const HttpResponse& resp, const std::string& request_id, const std::string& method,
                        bool keep_alive) const {
    static const std::string kSecurityHeaders =
        "Server: linli\r\n"
        "X-Content-Type-Options: nosniff\r\n"
        "X-Frame-Options: DENY\r\n"
        "Referrer-Policy: same-origin\r\n"
        "Content-Security-Policy: default-src 'self'; img-src 'self' data: blob:; "
        "style-src 'self' 'unsafe-inline'; font-src 'self' data:; script-src 'self'; connect-src 'self'; "
        "frame-ancestors 'none'; base-uri 'self'; form-action 'self'\r\n";
    std::string out;
    out.reserve(kSecurityHeaders.size() + 256 + resp.body.size());
    out += "HTTP/1.1 ";
    out += std::to_string(resp.status);
    out += ' ';
    out += bhttp::obsolete_reason(static_cast<bhttp::status>(resp.status));
    out += "\r\n";
    out += kSecurityHeaders;
    if (tls_ctx) out += "Strict-Transport-Security: max-age=31536000; includeSubDomains\r\n";
    out += "X-Request-Id: ";
    out += request_id.empty() ? NewRequestId() : request_id;
    out += "\r\nContent-Type: ";
    out += resp.stream ? std::string("text/event-stream; charset=utf-8") : resp.content_type;
    if (resp.stream) {
      out += "\r\nX-Accel-Buffering: no\r\n";  // a proxy in front must not hold events back
      keep_alive = false;                          // the stream's body ends with the connection
    } else {
      out += "\r\nContent-Length: ";
      out += std::to_string(resp.body.size());
      out += "\r\n";
    }
    bool has_cache_control = false;
    for (auto& [k, v] : resp.headers) {
      // Header values come from our own code, but a stray line break must never split a header.
      if (k.find_first_of("\r\n:") != std::string::npos || v.find_first_of("\r\n") != std::string::npos) continue;
      has_cache_control = has_cache_control || beast::iequals(k, "cache-control");
      out += k;
      out += ": ";
      out += v;
      out += "\r\n";
    }
    if (!has_cache_control) out += "Cache-Control: no-store\r\n";
    if (!keep_alive) out += "Connection: close\r\n";
    out += "\r\n";
    if (method != "HEAD" && !resp.stream) out += resp.body;
    if (resp.stream) out += "retry: 3000\n\n";  // how soon the browser reconnects
    return out;
  }

  // Metrics and the access log of one answered request. The access log names the route pattern,
  // never the raw path or query, which may carry personal data.
  static void Record(const std::string& route, const std::string& method, int status,
                     const std::string& request_id, const std::string& ip,
                     std::chrono::steady_clock::time_point started, std::size_t bytes) {
    double seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - started).count();
    auto& m = MetricsFor(route);
    m.latency->Observe(seconds);
    RequestCounter(m, route, method, status).fetch_add(1, std::memory_order_relaxed);
    if (spdlog::should_log(spdlog::level::info)) {
      spdlog::info("{} {} {} {} {} {}B {:.1f}ms", request_id, ip, method, route, status, bytes, seconds * 1000);
    }
  }

  // Answers a request refused before it reached a handler (limits, malformed input).
  template <class Stream>
  awaitable<bool> Reply(Stream& io, Worker::Conn& tcp_layer, HttpResponse resp, int status_override,
                        const std::string& request_id, const std::string& route, const std::string& method,
                        const std::string& ip, std::chrono::steady_clock::time_point started, bool keep_alive) {
    if (status_override) resp.status = status_override;
    std::string out = Serialize(resp, request_id, method, keep_alive);
    tcp_layer.expires_after(opt.write_timeout);
    auto [ec, n] = co_await asio::async_write(io, asio::buffer(out), kNoThrow);
    Record(route, method, resp.status, request_id, ip, started, n);
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
