// A counter bumped after every committed change that can alter what someone may do: sessions
// ended, accounts disabled, passwords reset, roles granted or edited, nodes moved or archived —
// and nodes created or renamed, which the org node cache (org_node_cache.h) holds.
// The authentication cache drops everything loaded before the current epoch, so such changes
// take effect on the next request in this process (and within the cache's lifetime, 2 s, in
// other processes sharing the database).
#pragma once

#include <atomic>
#include <cstdint>
#include <mutex>
#include <optional>
#include <unordered_map>

#include "core/clock.h"

#include "service/caller.h"

namespace linli::service {

class AccessEpoch {
 public:
  std::uint64_t Current() const { return value_.load(std::memory_order_acquire); }
  void Bump() { value_.fetch_add(1, std::memory_order_acq_rel); }

 private:
  std::atomic<std::uint64_t> value_{1};
};

// Values derived from what the epoch guards (the org tree, roles and assignments, accounts), kept
// while the epoch stands and at most `lifetime` (another process's change does not bump this
// process's epoch; the authentication cache allows the same 2 s). Put takes the epoch read before
// the value was loaded, so a change committed meanwhile leaves the entry already stale.
template <class Key, class Value, class Hash = std::hash<Key>>
class EpochCache {
 public:
  EpochCache(const AccessEpoch& epoch, Millis lifetime, std::size_t max_entries)
      : epoch_(epoch), lifetime_(lifetime), max_entries_(max_entries) {}

  std::uint64_t Stamp() const { return epoch_.Current(); }

  std::optional<Value> Get(const Key& key, Millis now) const {
    std::lock_guard lock(mu_);
    auto it = entries_.find(key);
    if (it == entries_.end() || it->second.epoch != epoch_.Current() || now - it->second.loaded_at >= lifetime_) {
      return std::nullopt;
    }
    return it->second.value;
  }

  void Put(Key key, Value value, std::uint64_t stamp, Millis now) {
    std::lock_guard lock(mu_);
    if (entries_.size() >= max_entries_) entries_.clear();
    entries_.insert_or_assign(std::move(key), Entry{std::move(value), stamp, now});
  }

 private:
  struct Entry {
    Value value;
    std::uint64_t epoch;
    Millis loaded_at;
  };
  const AccessEpoch& epoch_;
  const Millis lifetime_;
  const std::size_t max_entries_;
  mutable std::mutex mu_;
  std::unordered_map<Key, Entry, Hash> entries_;  // GUARDED_BY(mu_)
};

// Wraps a completion so the epoch moves once the change is committed.
template <class T>
Done<T> BumpingEpoch(AccessEpoch& epoch, Done<T> done) {
  return [&epoch, done = std::move(done)](Result<T> r) {
    if (r) epoch.Bump();
    done(std::move(r));
  };
}

}  // namespace linli::service
