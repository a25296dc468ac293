// Time as the rest of Linli sees it: UTC milliseconds since the epoch, from a Clock that tests can
// replace. Stored as integers in both databases so ordering and ranges are cheap and exact.
#pragma once

#include <atomic>
#include <chrono>
#include <cstdint>
#include <string>

namespace linli {

using Millis = std::int64_t;

class Clock {
 public:
  virtual ~Clock() = default;
  virtual Millis NowMillis() const = 0;
};

class SystemClock final : public Clock {
 public:
  Millis NowMillis() const override {
    return std::chrono::duration_cast<std::chrono::milliseconds>(
               std::chrono::system_clock::now().time_since_epoch())
        .count();
  }
  static const SystemClock& Instance() {
    static const SystemClock clock;
    return clock;
  }
};

// A clock that only moves when told to; for tests of expiry and lockout.
class ManualClock final : public Clock {
 public:
  explicit ManualClock(Millis start) : now_(start) {}
  Millis NowMillis() const override { return now_.load(); }
  void Advance(Millis by) { now_ += by; }
  void Set(Millis at) { now_ = at; }

 private:
  std::atomic<Millis> now_;
};

// "2026-11-22T02:53:19.123Z"
std::string FormatUtc(Millis t);

// The proleptic Gregorian date `days` days after 1970-01-01 (negative: before it).
struct YearMonthDay {
  int year, month, day;
};
YearMonthDay CivilFromDays(std::int64_t days);

}  // namespace linli
