// Working time for deadlines (办理时限): working days with a morning and an afternoon session in
// China time, public holidays off, and the weekend days made working by 调休 on. A request
// reported on Friday evening with an 8-working-hour deadline is due on Monday afternoon, not on
// Saturday morning.
#pragma once

#include <cstdint>
#include <set>
#include <utility>
#include <vector>

#include "core/clock.h"
#include "domain/identity.h"

namespace linli::domain {

struct WorkCalendar {
  // Sessions as [start, end) minutes after midnight, China time: 08:30–12:00 and 13:30–17:30.
  std::vector<std::pair<int, int>> sessions = {{8 * 60 + 30, 12 * 60}, {13 * 60 + 30, 17 * 60 + 30}};
  std::set<CivilDate> holidays;  // off although a weekday (国庆, 春节 …)
  std::set<CivilDate> workdays;  // on although a Saturday or Sunday (调休)

  bool IsWorkingDay(const CivilDate& d) const;
  // The instant after `minutes` of working time counted from `from`. A calendar without any
  // working time within ten years counts clock time instead.
  Millis AddWorkingMinutes(Millis from, std::int64_t minutes) const;
  // Working minutes from `from` to `to` (0 when `to` is not later), for "time left" displays.
  std::int64_t WorkingMinutesBetween(Millis from, Millis to) const;
};

// 0 = Sunday … 6 = Saturday.
int DayOfWeek(const CivilDate& d);

}  // namespace linli::domain
