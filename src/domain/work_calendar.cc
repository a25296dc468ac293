#include "domain/work_calendar.h"

#include <algorithm>

namespace linli::domain {

namespace {
constexpr Millis kMinute = 60000;
constexpr Millis kDay = 86400000;
constexpr int kSearchDays = 3660;  // ten years
}  // namespace

int DayOfWeek(const CivilDate& d) {
  // Days since 1970-01-01 (a Thursday), from the instant the day begins in China.
  std::int64_t days = (ChinaMidnight(d) + 8 * 3600 * 1000) / kDay;
  return static_cast<int>(((days + 4) % 7 + 7) % 7);
}

bool WorkCalendar::IsWorkingDay(const CivilDate& d) const {
  if (workdays.contains(d)) return true;
  if (holidays.contains(d)) return false;
  int dow = DayOfWeek(d);
  return dow != 0 && dow != 6;
}

Millis WorkCalendar::AddWorkingMinutes(Millis from, std::int64_t minutes) const {
  Millis remaining = std::max<std::int64_t>(0, minutes) * kMinute;
  CivilDate day = ChinaDate(from);
  Millis offset = from - ChinaMidnight(day);  // into the day
  for (int i = 0; i < kSearchDays; ++i) {
    if (IsWorkingDay(day)) {
      Millis midnight = ChinaMidnight(day);
      for (const auto& [a, b] : sessions) {
        Millis start = std::max(offset, a * kMinute), end = b * kMinute;
        if (start >= end) continue;
        // Exactly at the end of a session counts as due then, not at the next session's start.
        if (remaining <= end - start) return midnight + start + remaining;
        remaining -= end - start;
      }
    }
    day = NextDay(day);
    offset = 0;
  }
  return from + std::max<std::int64_t>(0, minutes) * kMinute;
}

std::int64_t WorkCalendar::WorkingMinutesBetween(Millis from, Millis to) const {
  if (to <= from) return 0;
  Millis total = 0;
  CivilDate day = ChinaDate(from);
  for (int i = 0; i < kSearchDays; ++i) {
    Millis midnight = ChinaMidnight(day);
    if (midnight >= to) break;
    if (IsWorkingDay(day)) {
      for (const auto& [a, b] : sessions) {
        Millis start = std::max(from, midnight + a * kMinute), end = std::min(to, midnight + b * kMinute);
        if (end > start) total += end - start;
      }
    }
    day = NextDay(day);
  }
  return total / kMinute;
}

}  // namespace linli::domain
