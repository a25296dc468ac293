// Maps "METHOD /path/{param}" to handlers. A path that matches no pattern is 404; a path that
// matches with another method is 405 with an Allow header.
//
//   router.Add("GET", "/api/v1/org/nodes/{id}", handler);
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "http/http_types.h"

namespace linli::http {

struct RouteOptions {
  std::size_t max_body_bytes = 1 << 20;  // 1 MiB unless the route takes uploads
};

struct Route {
  std::string method;
  std::string pattern;
  std::vector<std::string> segments;  // "{x}" marks a parameter
  Handler handler;
  RouteOptions options;
};

class Router {
 public:
  void Add(std::string method, std::string pattern, Handler handler, RouteOptions options = {});

  struct Match {
    const Route* route = nullptr;  // null: no route for this method and path
    std::string allow;              // for 405: the methods the path accepts
  };
  // Fills `params` on a match. The path is split once, whatever the number of routes.
  Match Find(std::string_view method, std::string_view path,
             std::map<std::string, std::string>& params) const;

 private:
  std::vector<Route> routes_;
};

}  // namespace linli::http
