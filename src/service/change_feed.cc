#include "service/change_feed.h"

#include <vector>

namespace linli::service {

std::uint64_t ChangeFeed::Subscribe(std::string subtree_path, Listener listener) {
  std::lock_guard lock(mu_);
  auto handle = next_++;
  listeners_.emplace(handle, Entry{std::move(subtree_path), std::move(listener)});
  return handle;
}

void ChangeFeed::Unsubscribe(std::uint64_t handle) {
  std::lock_guard lock(mu_);
  listeners_.erase(handle);
}

void ChangeFeed::Publish(std::string_view topic, std::string_view node_path) {
  // Listeners run outside the lock: one may unsubscribe another (or itself) meanwhile.
  std::vector<Listener> hit;
  {
    std::lock_guard lock(mu_);
    for (const auto& [handle, e] : listeners_) {
      if (node_path.starts_with(e.subtree_path)) hit.push_back(e.listener);
    }
  }
  for (const auto& fn : hit) fn(topic, node_path);
}

std::size_t ChangeFeed::Listeners() const {
  std::lock_guard lock(mu_);
  return listeners_.size();
}

}  // namespace linli::service
