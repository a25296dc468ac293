#include "http/router.h"

namespace linli::http {
namespace {

// Splits "/a/b/c" into its non-empty segments without allocating more than the vector.
void Split(std::string_view path, std::vector<std::string_view>& out) {
  out.clear();
  std::size_t i = 0;
  while (i < path.size()) {
    std::size_t j = path.find('/', i);
    if (j == std::string_view::npos) j = path.size();
    if (j > i) out.push_back(path.substr(i, j - i));
    i = j + 1;
  }
}

bool IsParam(const std::string& seg) { return seg.size() > 2 && seg.front() == '{' && seg.back() == '}'; }

bool Matches(const Route& r, const std::vector<std::string_view>& parts) {
  if (parts.size() != r.segments.size()) return false;
  for (std::size_t i = 0; i < parts.size(); ++i) {
    if (!IsParam(r.segments[i]) && r.segments[i] != parts[i]) return false;
  }
  return true;
}

}  // namespace

void Router::Add(std::string method, std::string pattern, Handler handler, RouteOptions options) {
  Route r{std::move(method), pattern, {}, std::move(handler), options};
  std::vector<std::string_view> parts;
  Split(pattern, parts);
  for (auto s : parts) r.segments.emplace_back(s);
  routes_.push_back(std::move(r));
}

Router::Match Router::Find(std::string_view method, std::string_view path,
                           std::map<std::string, std::string>& params) const {
  thread_local std::vector<std::string_view> parts;
  Split(path, parts);
  Match m;
  for (const auto& r : routes_) {
    if (!Matches(r, parts)) continue;
    if (r.method == method || (method == "HEAD" && r.method == "GET")) {
      for (std::size_t i = 0; i < parts.size(); ++i) {
        if (IsParam(r.segments[i])) {
          params[r.segments[i].substr(1, r.segments[i].size() - 2)] = std::string(parts[i]);
        }
      }
      m.route = &r;
      return m;
    }
    if (m.allow.find(r.method) == std::string::npos) {
      if (!m.allow.empty()) m.allow += ", ";
      m.allow += r.method;
    }
  }
  return m;
}

}  // namespace linli::http
