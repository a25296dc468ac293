// Personal identifiers of Chinese residents: the citizen identity number (GB 11643-1999), the
// mainland mobile number, civil dates, and how each is masked for display.
//
// Pure functions; the registry service validates every input through them and the import uses the
// same ones, so an ID number refused by the API is refused by the import for the same reason.
#pragma once

#include <string>
#include <string_view>
#include <utility>

#include "core/clock.h"
#include "core/result.h"

namespace linli::domain {

// A calendar date; ordering compares (year, month, day).
struct CivilDate {
  int year = 0;
  int month = 0;
  int day = 0;
  auto operator<=>(const CivilDate&) const = default;
  std::string Iso() const;  // "1950-03-07"
};

bool IsValidCivilDate(int year, int month, int day);
// "YYYY-MM-DD" (also "YYYY/MM/DD" and "YYYYMMDD", as Excel rosters write them).
Result<CivilDate> ParseCivilDate(std::string_view text, std::string_view field);
// Today's date in China (UTC+8, no daylight saving).
CivilDate ChinaDate(Millis utc_millis);
// The instant a China civil day begins (00:00 UTC+8), for date filters given as days.
Millis ChinaMidnight(const CivilDate& d);
// Days given as text ("" for an open end), both included, as the instants [since, until) in China
// time; errors name "since" or "until".
Result<std::pair<Millis, Millis>> ChinaDayRange(std::string_view since, std::string_view until);
// "2026-11-22 14:05" in China time, for files people read.
std::string ChinaDateTime(Millis utc_millis);
// A W3C date-time with its zone, as Open311 requires: 2026-11-29T08:30:00Z, 2026-11-29T16:30+08:00,
// optional seconds and fraction. A missing zone is an error naming `field`.
Result<Millis> ParseW3cDateTime(std::string_view text, std::string_view field);
// UTC, whole seconds: 2026-11-29T08:30:00Z.
std::string FormatW3cDateTime(Millis utc_millis);
int AgeOn(const CivilDate& birth, const CivilDate& today);
// The same day `years` earlier (29 February becomes 28 February).
CivilDate YearsBefore(const CivilDate& d, int years);
CivilDate NextDay(const CivilDate& d);

struct IdNumber {
  std::string number;   // 18 characters, the check character upper-case
  CivilDate birth_date;
  char gender = 'M';    // 'M' or 'F', from the sequence code's parity
  std::string region;   // the 6-digit administrative division code
};

// The GB 11643 check character for the first 17 digits.
char IdCheckCharacter(std::string_view first17);
// Accepts an 18-character number with a correct check character, or a legacy 15-digit number
// (born 19xx), which it converts to 18. Birth dates must be real and not in the future.
Result<IdNumber> ParseIdNumber(std::string_view raw, const CivilDate& today,
                               std::string_view field = "id_number");

// A mainland mobile number: 11 digits starting 13–19. Spaces, dashes and a +86/0086 prefix are
// removed first.
Result<std::string> NormalizeMobile(std::string_view raw, std::string_view field = "phone");

// Masks for display: "110***********001X", "138****1234". Names are shown in full to staff.
std::string MaskIdNumber(std::string_view id_number);
std::string MaskPhone(std::string_view phone);

}  // namespace linli::domain
