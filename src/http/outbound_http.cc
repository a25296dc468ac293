#include "http/outbound_http.h"

#include <boost/asio/connect.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/ssl.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <boost/beast/ssl.hpp>
#include <openssl/ssl.h>

namespace linli::http {
namespace {

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace bhttp = boost::beast::http;
namespace ssl = boost::asio::ssl;

struct Target {
  bool tls = false;
  std::string host, port, path;
};

bool ParseUrl(std::string_view url, Target& t) {
  if (url.starts_with("https://")) t.tls = true, url.remove_prefix(8);
  else if (url.starts_with("http://")) url.remove_prefix(7);
  else return false;
  auto slash = url.find_first_of("/?");
  std::string_view authority = url.substr(0, slash);
  t.path = slash == std::string_view::npos ? "/" : std::string(url.substr(slash));
  if (t.path.starts_with("?")) t.path = "/" + t.path;
  if (authority.starts_with("[")) {  // [IPv6]:port
    auto close = authority.find(']');
    if (close == std::string_view::npos) return false;
    t.host = std::string(authority.substr(1, close - 1));
    authority.remove_prefix(close + 1);
    t.port = authority.starts_with(":") ? std::string(authority.substr(1)) : "";
  } else {
    auto colon = authority.rfind(':');
    t.host = std::string(authority.substr(0, colon));
    t.port = colon == std::string_view::npos ? "" : std::string(authority.substr(colon + 1));
  }
  if (t.port.empty()) t.port = t.tls ? "443" : "80";
  return !t.host.empty();
}

template <class Stream>
service::OutboundResponse Exchange(Stream& stream, const Target& t, const service::OutboundRequest& request) {
  bhttp::request<bhttp::string_body> req{bhttp::verb::post, t.path, 11};
  req.set(bhttp::field::host, t.host);
  req.set(bhttp::field::user_agent, "linli-webhook/1");
  for (const auto& [name, value] : request.headers) req.set(name, value);
  req.body() = request.body;
  req.prepare_payload();
  bhttp::write(stream, req);
  beast::flat_buffer buffer;
  bhttp::response_parser<bhttp::string_body> parser;
  parser.body_limit(64 * 1024);  // the answer is not read, only its status; do not buffer much
  bhttp::read(stream, buffer, parser);
  return {static_cast<int>(parser.get().result_int()), ""};
}

}  // namespace

service::OutboundResponse PostOutbound(const service::OutboundRequest& request, std::chrono::milliseconds timeout) {
  Target t;
  if (!ParseUrl(request.url, t)) return {0, "bad url"};
  try {
    asio::io_context io;
    asio::ip::tcp::resolver resolver(io);
    auto endpoints = resolver.resolve(t.host, t.port);
    if (!t.tls) {
      beast::tcp_stream stream(io);
      stream.expires_after(timeout);
      stream.connect(endpoints);
      auto r = Exchange(stream, t, request);
      beast::error_code ec;
      stream.socket().shutdown(asio::ip::tcp::socket::shutdown_both, ec);
      return r;
    }
    ssl::context ctx(ssl::context::tls_client);
    ctx.set_default_verify_paths();
    ctx.set_verify_mode(ssl::verify_peer);
    beast::ssl_stream<beast::tcp_stream> stream(io, ctx);
    if (!SSL_set_tlsext_host_name(stream.native_handle(), t.host.c_str())) return {0, "cannot set the TLS server name"};
    stream.set_verify_callback(ssl::host_name_verification(t.host));
    beast::get_lowest_layer(stream).expires_after(timeout);
    beast::get_lowest_layer(stream).connect(endpoints);
    stream.handshake(ssl::stream_base::client);
    auto r = Exchange(stream, t, request);
    beast::error_code ec;
    stream.shutdown(ec);
    return r;
  } catch (const std::exception& e) {
    return {0, e.what()};
  }
}

}  // namespace linli::http
