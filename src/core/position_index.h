// Where a key was first seen, for a million keys at a time: an open-addressing table of (hash,
// position) pairs, 16 bytes a key. The keys themselves stay where the caller keeps them (rows of
// a roster), so a match on the hash is confirmed by the caller, and adding a key allocates
// nothing. A roster import asks it, row after row on one thread, whether the row's ID number,
// address or person was seen before: std::unordered_map keyed by strings cost that thread ~400 ns
// a look-up in cache misses and allocations, ~1.5 s a million rows (docs/performance.md, "A first
// load's second phase without string maps").
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace linli {

// A 64-bit hash, mixed so that keys differing in a few bits land far apart (splitmix64's finisher).
constexpr std::uint64_t MixHash(std::uint64_t x) {
  x ^= x >> 30;
  x *= 0xbf58476d1ce4e5b9ULL;
  x ^= x >> 27;
  x *= 0x94d049bb133111ebULL;
  return x ^ (x >> 31);
}
// `seed` and the bytes of `part` together (for keys of several parts).
std::uint64_t HashPart(std::uint64_t seed, std::string_view part);

class PositionIndex {
 public:
  explicit PositionIndex(std::size_t expected_keys = 0);

  // The position recorded for a key whose hash is `hash` and which `same(position)` confirms is
  // the key asked about; if there is none, `position` is recorded for it and nullopt returned.
  // A key that is its own hash (an integer) needs no confirmation: pass [](auto) { return true; }.
  template <class Same>
  std::optional<std::uint64_t> FindOrAdd(std::uint64_t hash, std::uint64_t position, Same&& same) {
    if (hash == kFree) hash = 0;  // the one hash value that marks a free slot
    for (std::size_t i = MixHash(hash) & mask_;; i = (i + 1) & mask_) {
      Slot& slot = slots_[i];
      if (slot.hash == kFree) {
        slot = {hash, position};
        if (++size_ * 2 > slots_.size()) Grow();
        return std::nullopt;
      }
      if (slot.hash == hash && same(slot.position)) return slot.position;
    }
  }
  // The same, only finding.
  template <class Same>
  std::optional<std::uint64_t> Find(std::uint64_t hash, Same&& same) const {
    if (hash == kFree) hash = 0;
    for (std::size_t i = MixHash(hash) & mask_;; i = (i + 1) & mask_) {
      const Slot& slot = slots_[i];
      if (slot.hash == kFree) return std::nullopt;
      if (slot.hash == hash && same(slot.position)) return slot.position;
    }
  }
  std::size_t size() const { return size_; }

 private:
  static constexpr std::uint64_t kFree = ~std::uint64_t{0};
  struct Slot {
    std::uint64_t hash = kFree;
    std::uint64_t position = 0;
  };
  void Grow();
  std::vector<Slot> slots_;
  std::size_t mask_ = 0;
  std::size_t size_ = 0;
};

// A set of strings kept one after another in a vector and found through a PositionIndex: a
// million of them cost no node each (a first load's ID numbers and addresses registered so far).
class StringSet {
 public:
  bool contains(std::string_view key) const {
    return positions_.Find(HashPart(0, key), [&](std::uint64_t p) { return keys_[p] == key; }).has_value();
  }
  void insert(std::string key) {
    auto hash = HashPart(0, key);
    if (!positions_.FindOrAdd(hash, keys_.size(), [&](std::uint64_t p) { return keys_[p] == key; })) {
      keys_.push_back(std::move(key));
    }
  }
  std::size_t size() const { return keys_.size(); }

 private:
  std::vector<std::string> keys_;
  PositionIndex positions_;
};

}  // namespace linli
