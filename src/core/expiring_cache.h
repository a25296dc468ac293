// Values kept for at most `lifetime`, and at most `max_entries` of them (past that everything is
// dropped at once: a bound, not an LRU, since refilling costs one load each). For what is derived
// from the database and may be a little stale: the org tree and roles between access epochs
// (service/access_epoch.h's EpochCache builds on this), a search's choice of plan.
#pragma once

#include <cstddef>
#include <mutex>
#include <optional>
#include <unordered_map>

#include "core/clock.h"

namespace linli {

template <class Key, class Value, class Hash = std::hash<Key>>
class ExpiringCache {
 public:
  ExpiringCache(Millis lifetime, std::size_t max_entries) : lifetime_(lifetime), max_entries_(max_entries) {}

  std::optional<Value> Get(const Key& key, Millis now) const {
    std::lock_guard lock(mu_);
    auto it = entries_.find(key);
    if (it == entries_.end() || now - it->second.loaded_at >= lifetime_) return std::nullopt;
    return it->second.value;
  }

  void Put(Key key, Value value, Millis now) {
    std::lock_guard lock(mu_);
    if (entries_.size() >= max_entries_) entries_.clear();
    entries_.insert_or_assign(std::move(key), Entry{std::move(value), now});
  }

 private:
  struct Entry {
    Value value;
    Millis loaded_at;
  };
  const Millis lifetime_;
  const std::size_t max_entries_;
  mutable std::mutex mu_;
  std::unordered_map<Key, Entry, Hash> entries_;  // GUARDED_BY(mu_)
};

}  // namespace linli
