// HTTP as the handlers see it: plain structs, no Beast or Asio, so the many handler files compile
// fast. server.cc converts to and from Beast's types.
#pragma once

#include <cstdint>
#include <functional>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace linli::http {

struct HttpRequest {
  std::string method;   // "GET", "POST" ...
  std::string target;   // as sent: path and query
  std::string path;     // percent-decoded path
  std::map<std::string, std::string> query;        // decoded; last value wins
  std::vector<std::pair<std::string, std::string>> headers;  // names lower-cased
  std::string body;
  std::string remote_ip;
  std::string request_id;
  std::map<std::string, std::string> path_params;  // filled by the router
  std::string route;    // the matched pattern, for metrics and logs

  std::optional<std::string_view> Header(std::string_view lower_name) const;
  std::optional<std::string> Cookie(std::string_view name) const;
};

struct HttpResponse {
  int status = 200;
  std::string content_type = "application/json; charset=utf-8";
  std::string body;
  std::vector<std::pair<std::string, std::string>> headers;

  HttpResponse& With(std::string name, std::string value) {
    headers.emplace_back(std::move(name), std::move(value));
    return *this;
  }
};

// A handler answers exactly once through Respond, from any thread.
using Respond = std::function<void(HttpResponse)>;
using Handler = std::function<void(HttpRequest& req, Respond respond)>;

}  // namespace linli::http
