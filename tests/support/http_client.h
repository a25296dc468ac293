// A small blocking HTTP/1.1 client for tests: real sockets over loopback, one request per
// connection unless a Connection object is reused. No Beast, so test files compile fast.
#pragma once

#include <cstdint>
#include <map>
#include <string>
#include <vector>

#include <boost/json.hpp>

namespace linli::testing {

struct HttpResult {
  int status = 0;
  std::map<std::string, std::string> headers;  // lower-case names; the last value wins
  std::vector<std::string> set_cookies;
  std::string body;
  boost::json::value Json() const;             // null when the body is not JSON
  std::string ErrorField() const;              // error.field, or ""
  std::string ErrorCode() const;               // error.code, or ""
};

struct HttpClient {
  std::uint16_t port = 0;
  std::string bearer;      // sent as Authorization: Bearer
  std::string cookie;      // sent as Cookie
  std::string csrf;        // sent as X-CSRF-Token

  HttpResult Send(const std::string& method, const std::string& target, const std::string& body = "",
                  const std::map<std::string, std::string>& headers = {}) const;
  HttpResult Get(const std::string& target) const { return Send("GET", target); }
  HttpResult PostJson(const std::string& target, const std::string& json) const {
    return Send("POST", target, json, {{"Content-Type", "application/json"}});
  }
  HttpResult Json(const std::string& method, const std::string& target, const std::string& json) const {
    return Send(method, target, json, {{"Content-Type", "application/json"}});
  }
};

// Sends raw bytes and returns whatever the server answers before closing (up to a timeout).
std::string RawExchange(std::uint16_t port, const std::string& bytes, int timeout_ms = 3000);

}  // namespace linli::testing
