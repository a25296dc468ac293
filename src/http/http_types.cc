#include "http/http_types.h"

namespace linli::http {

std::optional<std::string_view> HttpRequest::Header(std::string_view lower_name) const {
  for (const auto& [k, v] : headers) {
    if (k == lower_name) return std::string_view(v);
  }
  return std::nullopt;
}

std::optional<std::string> HttpRequest::Cookie(std::string_view name) const {
  for (const auto& [k, v] : headers) {
    if (k != "cookie") continue;
    std::string_view rest = v;
    while (!rest.empty()) {
      auto semi = rest.find(';');
      std::string_view part = rest.substr(0, semi);
      rest = semi == std::string_view::npos ? std::string_view() : rest.substr(semi + 1);
      while (!part.empty() && part.front() == ' ') part.remove_prefix(1);
      auto eq = part.find('=');
      if (eq != std::string_view::npos && part.substr(0, eq) == name) {
        return std::string(part.substr(eq + 1));
      }
    }
  }
  return std::nullopt;
}

bool EventStream::Push(const std::string& key, std::string text) {
  std::function<void()> wake;
  {
    std::lock_guard lock(mu_);
    if (closed_) return false;
    bool replaced = false;
    for (auto& [k, t] : pending_) {
      if (k == key) {
        t = std::move(text);
        replaced = true;
        break;
      }
    }
    if (!replaced) {
      // A client that stopped reading cannot make the server hold an unbounded backlog.
      if (pending_.size() >= 256) pending_.erase(pending_.begin());
      pending_.emplace_back(key, std::move(text));
    }
    wake = wake_;
  }
  if (wake) wake();
  return true;
}

bool EventStream::closed() const {
  std::lock_guard lock(mu_);
  return closed_;
}

void EventStream::OnClose(std::function<void()> fn) {
  std::unique_lock lock(mu_);
  if (closed_) {
    lock.unlock();
    if (fn) fn();
    return;
  }
  on_close_ = std::move(fn);
}

void EventStream::SetWaker(std::function<void()> wake) {
  std::lock_guard lock(mu_);
  wake_ = std::move(wake);
}

std::vector<std::string> EventStream::Take() {
  std::lock_guard lock(mu_);
  std::vector<std::string> out;
  out.reserve(pending_.size());
  for (auto& [k, t] : pending_) out.push_back(std::move(t));
  pending_.clear();
  return out;
}

void EventStream::Close() {
  std::function<void()> on_close;
  {
    std::lock_guard lock(mu_);
    if (closed_) return;
    closed_ = true;
    wake_ = nullptr;
    pending_.clear();
    on_close = std::move(on_close_);
  }
  if (on_close) on_close();
}

}  // namespace linli::http
