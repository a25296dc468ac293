// A counter bumped after every committed change that can alter what someone may do: sessions
// ended, accounts disabled, passwords reset, roles granted or edited, nodes moved or archived.
// The authentication cache drops everything loaded before the current epoch, so such changes
// take effect on the next request in this process (and within the cache's lifetime, 2 s, in
// other processes sharing the database).
#pragma once

#include <atomic>
#include <cstdint>

#include "service/caller.h"

namespace linli::service {

class AccessEpoch {
 public:
  std::uint64_t Current() const { return value_.load(std::memory_order_acquire); }
  void Bump() { value_.fetch_add(1, std::memory_order_acq_rel); }

 private:
  std::atomic<std::uint64_t> value_{1};
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
