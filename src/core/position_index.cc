#include "core/position_index.h"

#include <algorithm>
#include <bit>
#include <cstring>

namespace linli {

std::uint64_t HashPart(std::uint64_t seed, std::string_view part) {
  // Eight bytes at a time, each word mixed into the running value; the length last, so that
  // ("ab", "c") and ("a", "bc") differ.
  std::uint64_t h = seed ^ 0x9e3779b97f4a7c15ULL;
  std::size_t i = 0;
  for (; i + 8 <= part.size(); i += 8) {
    std::uint64_t word;
    std::memcpy(&word, part.data() + i, 8);
    h = MixHash(h ^ word);
  }
  if (i < part.size()) {
    std::uint64_t word = 0;
    std::memcpy(&word, part.data() + i, part.size() - i);
    h = MixHash(h ^ word);
  }
  return MixHash(h ^ part.size());
}

PositionIndex::PositionIndex(std::size_t expected_keys) {
  std::size_t slots = std::bit_ceil(std::max<std::size_t>(16, expected_keys * 2 + 1));
  slots_.resize(slots);
  mask_ = slots - 1;
}

void PositionIndex::Grow() {
  std::vector<Slot> old;
  old.swap(slots_);
  slots_.resize(old.size() * 2);
  mask_ = slots_.size() - 1;
  for (const Slot& slot : old) {
    if (slot.hash == kFree) continue;
    std::size_t i = MixHash(slot.hash) & mask_;
    while (slots_[i].hash != kFree) i = (i + 1) & mask_;
    slots_[i] = slot;
  }
}

}  // namespace linli
