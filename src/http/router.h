// Maps "METHOD /path/{param}" to handlers. A path that matches no pattern is 404; a path that
// matches with another method is 405 with an Allow header.
//
//   router.Add("GET", "/api/v1/org/nodes/{id}", handler);
#pragma once

#include <string>
#include <vector>

#include "http/http_types.h"

namespace linli::http {

struct RouteOptions {
  std::size_t max_body_bytes = 1 << 20;  // 1 MiB unless the route takes uploads
};

class Router {
 public:
  void Add(std::string method, std::string pattern, Handler handler, RouteOptions options = {});

  struct Match {
    const Handler* handler = nullptr;    // null: no route
    std::string allow;                    // for 405: the methods the path accepts
    const RouteOptions* options = nullptr;
    std::string pattern;
  };
  // Fills req.path_params on a match.
  Match Find(const std::string& method, std::string_view path,
             std::map<std::string, std::string>& params) const;
  // The body limit for a request before its body is read (the largest over its path's routes).
  std::size_t BodyLimitFor(std::string_view path) const;

 private:
  struct Route {
    std::string method;
    std::string pattern;
    std::vector<std::string> segments;
    Handler handler;
    RouteOptions options;
  };
  static bool MatchSegments(const Route& r, std::string_view path,
                            std::map<std::string, std::string>* params);
  std::vector<Route> routes_;
};

}  // namespace linli::http
