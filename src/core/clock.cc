#include "core/clock.h"

#include <cstdio>

namespace linli {

YearMonthDay CivilFromDays(std::int64_t days) {
  // Howard Hinnant's civil-from-days: eras of 400 years (146,097 days), years counted from March
  // so the leap day is the last of a year.
  std::int64_t z = days + 719468;
  std::int64_t era = (z >= 0 ? z : z - 146096) / 146097;
  auto doe = static_cast<unsigned>(z - era * 146097);
  unsigned yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
  std::int64_t y = static_cast<std::int64_t>(yoe) + era * 400;
  unsigned doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
  unsigned mp = (5 * doy + 2) / 153;
  unsigned d = doy - (153 * mp + 2) / 5 + 1;
  unsigned m = mp < 10 ? mp + 3 : mp - 9;
  return {static_cast<int>(y + (m <= 2)), static_cast<int>(m), static_cast<int>(d)};
}

// Written digit by digit: every list the API renders formats two or three of these a row, and
// gmtime_r with snprintf was 6 % of a region cockpit's time (a hundred nodes, two each).
std::string FormatUtc(Millis t) {
  constexpr Millis kDay = 86400000;
  Millis days = t / kDay, in_day = t % kDay;
  if (in_day < 0) {
    in_day += kDay;
    --days;
  }
  YearMonthDay date = CivilFromDays(days);
  int hour = static_cast<int>(in_day / 3600000), minute = static_cast<int>(in_day / 60000 % 60),
      second = static_cast<int>(in_day / 1000 % 60), milli = static_cast<int>(in_day % 1000);
  if (date.year < 0 || date.year > 9999) {  // outside four digits: the general way
    char buf[64];
    std::snprintf(buf, sizeof buf, "%04d-%02d-%02dT%02d:%02d:%02d.%03dZ", date.year, date.month, date.day, hour,
                  minute, second, milli);
    return buf;
  }
  char out[] = "0000-00-00T00:00:00.000Z";
  auto put = [&out](int at, int width, long value) {
    for (int i = at + width - 1; i >= at; --i, value /= 10) out[i] = static_cast<char>('0' + value % 10);
  };
  put(0, 4, date.year);
  put(5, 2, date.month);
  put(8, 2, date.day);
  put(11, 2, hour);
  put(14, 2, minute);
  put(17, 2, second);
  put(20, 3, milli);
  return std::string(out, sizeof out - 1);
}

}  // namespace linli
