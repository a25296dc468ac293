// A counter bumped after every committed change that can alter what someone may do: sessions
// ended, accounts disabled, passwords reset, roles granted or edited, nodes moved or archived —
// and nodes created or renamed, which the org node cache (org_node_cache.h) holds.
// The authentication cache drops everything loaded before the current epoch, so such changes
// take effect on the next request in this process (and within the cache's lifetime, 2 s, in
// other processes sharing the database).
#pragma once

#include <atomic>
#include <cstdint>
#include <optional>

#include "core/clock.h"
#include "core/expiring_cache.h"

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
      : epoch_(epoch), entries_(lifetime, max_entries) {}

  std::uint64_t Stamp() const { return epoch_.Current(); }

  std::optional<Value> Get(const Key& key, Millis now) const {
    auto found = entries_.Get(key, now);
    if (!found || found->epoch != epoch_.Current()) return std::nullopt;
    return std::move(found->value);
  }

  void Put(Key key, Value value, std::uint64_t stamp, Millis now) {
    entries_.Put(std::move(key), Stamped{std::move(value), stamp}, now);
  }

 private:
  struct Stamped {
    Value value;
    std::uint64_t epoch;
  };
  const AccessEpoch& epoch_;
  ExpiringCache<Key, Stamped, Hash> entries_;
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
