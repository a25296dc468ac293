// The HTTP/1.1 server: Boost.Beast with C++20 coroutines, one io_context per thread, each with
// its own SO_REUSEPORT acceptor so the kernel spreads connections across threads.
//
// Limits: header size, body size (per route), connection count, and deadlines for waiting for a
// request, reading its header and body, and writing the response, so a slow client cannot hold
// anything for long. Every response carries the security headers and an X-Request-Id.
// Shutdown is graceful: stop accepting, close idle connections, let in-flight requests finish
// (bounded by drain_timeout), then return from Run().
#pragma once

#include <atomic>
#include <chrono>
#include <cstdint>
#include <memory>
#include <string>

#include "core/result.h"
#include "http/router.h"

namespace linli::http {

struct ServerOptions {
  std::string host = "127.0.0.1";
  std::uint16_t port = 8080;          // 0: any free port (tests)
  int threads = 0;                    // 0: one per core
  std::size_t max_header_bytes = 16 * 1024;
  std::size_t max_connections = 10000;
  std::chrono::seconds idle_timeout{60};     // waiting for the next request on a connection
  std::chrono::seconds header_timeout{10};   // reading a request's header once it started
  std::chrono::seconds body_timeout{30};     // reading its body
  std::chrono::seconds write_timeout{30};
  std::chrono::seconds drain_timeout{15};
  std::string tls_cert_file;  // PEM; TLS is on when both are set
  std::string tls_key_file;
  std::string static_dir;     // the built web app, served for paths outside the API
  bool handle_signals = true; // SIGINT/SIGTERM start a graceful shutdown
};

class HttpServer {
 public:
  HttpServer(ServerOptions options, const Router& router, std::atomic<bool>& draining);
  ~HttpServer();

  Status Listen();              // binds; after it, port() is the bound port
  void Run();                   // serves until shutdown completes
  void Shutdown();              // starts a graceful shutdown; safe from any thread
  std::uint16_t port() const;
  bool tls() const;

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace linli::http
