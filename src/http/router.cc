#include "http/router.h"

namespace linli::http {
namespace {
std::vector<std::string_view> Split(std::string_view path) {
  std::vector<std::string_view> out;
  std::size_t i = 0;
  while (i <= path.size()) {
    std::size_t j = path.find('/', i);
    if (j == std::string_view::npos) j = path.size();
    if (j > i) out.push_back(path.substr(i, j - i));
    i = j + 1;
  }
  return out;
}
}  // namespace

void Router::Add(std::string method, std::string pattern, Handler handler, RouteOptions options) {
  Route r{std::move(method), pattern, {}, std::move(handler), options};
  for (auto s : Split(pattern)) r.segments.emplace_back(s);
  routes_.push_back(std::move(r));
}

bool Router::MatchSegments(const Route& r, std::string_view path,
                           std::map<std::string, std::string>* params) {
  auto parts = Split(path);
  if (parts.size() != r.segments.size()) return false;
  for (std::size_t i = 0; i < parts.size(); ++i) {
    const std::string& seg = r.segments[i];
    if (seg.size() > 2 && seg.front() == '{' && seg.back() == '}') {
      if (params) (*params)[seg.substr(1, seg.size() - 2)] = std::string(parts[i]);
    } else if (seg != parts[i]) {
      return false;
    }
  }
  return true;
}

Router::Match Router::Find(const std::string& method, std::string_view path,
                           std::map<std::string, std::string>& params) const {
  Match m;
  for (const auto& r : routes_) {
    if (!MatchSegments(r, path, nullptr)) continue;
    if (r.method == method || (method == "HEAD" && r.method == "GET")) {
      MatchSegments(r, path, &params);
      m.handler = &r.handler;
      m.options = &r.options;
      m.pattern = r.pattern;
      return m;
    }
    if (m.allow.find(r.method) == std::string::npos) {
      if (!m.allow.empty()) m.allow += ", ";
      m.allow += r.method;
    }
  }
  return m;
}

std::size_t Router::BodyLimitFor(std::string_view path) const {
  std::size_t limit = RouteOptions{}.max_body_bytes;
  for (const auto& r : routes_) {
    if (MatchSegments(r, path, nullptr)) limit = std::max(limit, r.options.max_body_bytes);
  }
  return limit;
}

}  // namespace linli::http
