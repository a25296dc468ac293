#include "domain/identity.h"

#include <cstdio>

namespace linli::domain {

namespace {
bool AllDigits(std::string_view s) {
  for (char c : s) {
    if (c < '0' || c > '9') return false;
  }
  return true;
}
int Digits(std::string_view s) {
  int v = 0;
  for (char c : s) v = v * 10 + (c - '0');
  return v;
}
bool IsLeap(int y) { return (y % 4 == 0 && y % 100 != 0) || y % 400 == 0; }
int DaysInMonth(int y, int m) {
  static constexpr int kDays[] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
  return m == 2 && IsLeap(y) ? 29 : kDays[m - 1];
}
}  // namespace

std::string CivilDate::Iso() const {
  char buf[16];
  std::snprintf(buf, sizeof buf, "%04d-%02d-%02d", year, month, day);
  return buf;
}

bool IsValidCivilDate(int year, int month, int day) {
  return year >= 1850 && year <= 2999 && month >= 1 && month <= 12 && day >= 1 &&
         day <= DaysInMonth(year, month);
}

Result<CivilDate> ParseCivilDate(std::string_view text, std::string_view field) {
  std::string digits;
  if (text.size() == 10 && (text[4] == '-' || text[4] == '/') && text[7] == text[4]) {
    digits = std::string(text.substr(0, 4)) + std::string(text.substr(5, 2)) + std::string(text.substr(8, 2));
  } else if (text.size() == 8) {
    digits = std::string(text);
  }
  if (digits.size() != 8 || !AllDigits(digits)) {
    return Error::Invalid(std::string(field), std::string(field) + " must be a date like 1950-03-07");
  }
  CivilDate d{Digits(digits.substr(0, 4)), Digits(digits.substr(4, 2)), Digits(digits.substr(6, 2))};
  if (!IsValidCivilDate(d.year, d.month, d.day)) {
    return Error::Invalid(std::string(field), std::string(field) + " is not a real date: " + std::string(text));
  }
  return d;
}

CivilDate ChinaDate(Millis utc_millis) {
  // Days since 1970-01-01 in UTC+8 (rounded down), then the civil date.
  constexpr Millis kDay = 86400000;
  Millis local = utc_millis + 8LL * 3600 * 1000;
  std::int64_t days = local / kDay - (local < 0 && local % kDay != 0 ? 1 : 0);
  auto date = CivilFromDays(days);
  return {date.year, date.month, date.day};
}

Millis ChinaMidnight(const CivilDate& d) {
  // days-from-civil (proleptic Gregorian), then back by the 8 hours China is ahead of UTC.
  std::int64_t y = d.year - (d.month <= 2);
  std::int64_t era = (y >= 0 ? y : y - 399) / 400;
  auto yoe = static_cast<unsigned>(y - era * 400);
  unsigned doy = (153 * (d.month + (d.month > 2 ? -3 : 9)) + 2) / 5 + d.day - 1;
  unsigned doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
  std::int64_t days = era * 146097 + static_cast<std::int64_t>(doe) - 719468;
  return days * 86400000 - 8LL * 3600 * 1000;
}

Result<std::pair<Millis, Millis>> ChinaDayRange(std::string_view since, std::string_view until) {
  std::pair<Millis, Millis> range{0, 0};
  if (!since.empty()) {
    LINLI_ASSIGN_OR_RETURN(auto day, ParseCivilDate(since, "since"));
    range.first = ChinaMidnight(day);
  }
  if (!until.empty()) {
    LINLI_ASSIGN_OR_RETURN(auto day, ParseCivilDate(until, "until"));
    range.second = ChinaMidnight(NextDay(day));
  }
  if (range.first && range.second && range.second <= range.first) return Error::Invalid("until", "until is before since");
  return range;
}

std::string ChinaDateTime(Millis utc_millis) {
  auto day = ChinaDate(utc_millis);
  std::int64_t minutes = (utc_millis - ChinaMidnight(day)) / 60000;
  char buf[16];
  std::snprintf(buf, sizeof buf, " %02d:%02d", static_cast<int>(minutes / 60), static_cast<int>(minutes % 60));
  return day.Iso() + buf;
}

Result<Millis> ParseW3cDateTime(std::string_view t, std::string_view field) {
  auto bad = [&] {
    return Error::Invalid(std::string(field), std::string(field) + " must be a date-time with a zone, e.g. 2026-11-29T08:30:00Z");
  };
  auto digits = [&](std::size_t at, std::size_t n) -> int {
    if (at + n > t.size()) return -1;
    int v = 0;
    for (std::size_t i = at; i < at + n; ++i) {
      if (t[i] < '0' || t[i] > '9') return -1;
      v = v * 10 + (t[i] - '0');
    }
    return v;
  };
  if (t.size() < 17 || t[4] != '-' || t[7] != '-' || t[10] != 'T' || t[13] != ':') return bad();
  int year = digits(0, 4), month = digits(5, 2), day = digits(8, 2), hour = digits(11, 2), minute = digits(14, 2);
  if (year < 0 || month < 0 || day < 0 || hour < 0 || minute < 0 || !IsValidCivilDate(year, month, day) || hour > 23 ||
      minute > 59) {
    return bad();
  }
  std::size_t i = 16;
  int second = 0, millis = 0;
  if (i < t.size() && t[i] == ':') {
    second = digits(i + 1, 2);
    if (second < 0 || second > 59) return bad();
    i += 3;
    if (i < t.size() && t[i] == '.') {
      std::size_t start = ++i;
      while (i < t.size() && t[i] >= '0' && t[i] <= '9') ++i;
      if (i == start) return bad();
      std::string frac(t.substr(start, std::min<std::size_t>(3, i - start)));
      frac.resize(3, '0');
      millis = std::stoi(frac);
    }
  }
  int offset_minutes = 0;
  if (i < t.size() && t[i] == 'Z' && i + 1 == t.size()) {
    offset_minutes = 0;
  } else if (i + 6 == t.size() && (t[i] == '+' || t[i] == '-') && t[i + 3] == ':') {
    int oh = digits(i + 1, 2), om = digits(i + 4, 2);
    if (oh < 0 || om < 0 || oh > 14 || om > 59) return bad();
    offset_minutes = (t[i] == '+' ? 1 : -1) * (oh * 60 + om);
  } else {
    return bad();
  }
  Millis utc_midnight = ChinaMidnight({year, month, day}) + 8LL * 3600000;
  return utc_midnight + ((hour * 60LL + minute - offset_minutes) * 60 + second) * 1000 + millis;
}

std::string FormatW3cDateTime(Millis utc_millis) {
  Millis day_ms = 86400000;
  Millis days = utc_millis >= 0 ? utc_millis / day_ms : (utc_millis - day_ms + 1) / day_ms;
  CivilDate d = ChinaDate(days * day_ms);  // China's date of UTC midnight + 0h is the same calendar day
  Millis in_day = utc_millis - days * day_ms;
  char buf[32];
  std::snprintf(buf, sizeof buf, "%04d-%02d-%02dT%02d:%02d:%02dZ", d.year, d.month, d.day,
                static_cast<int>(in_day / 3600000), static_cast<int>(in_day / 60000 % 60), static_cast<int>(in_day / 1000 % 60));
  return buf;
}

int AgeOn(const CivilDate& birth, const CivilDate& today) {
  int age = today.year - birth.year;
  if (today.month < birth.month || (today.month == birth.month && today.day < birth.day)) --age;
  return age;
}

CivilDate YearsBefore(const CivilDate& d, int years) {
  CivilDate r{d.year - years, d.month, d.day};
  if (r.day > DaysInMonth(r.year, r.month)) r.day = DaysInMonth(r.year, r.month);
  return r;
}

CivilDate NextDay(const CivilDate& d) {
  if (d.day < DaysInMonth(d.year, d.month)) return {d.year, d.month, d.day + 1};
  if (d.month < 12) return {d.year, d.month + 1, 1};
  return {d.year + 1, 1, 1};
}

char IdCheckCharacter(std::string_view first17) {
  static constexpr int kWeights[17] = {7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2};
  static constexpr char kCheck[11] = {'1', '0', 'X', '9', '8', '7', '6', '5', '4', '3', '2'};
  int sum = 0;
  for (int i = 0; i < 17; ++i) sum += (first17[i] - '0') * kWeights[i];
  return kCheck[sum % 11];
}

Result<IdNumber> ParseIdNumber(std::string_view raw, const CivilDate& today, std::string_view field) {
  std::string f(field);
  std::string s;
  for (char c : raw) {
    if (c == ' ') continue;
    s.push_back(c == 'x' ? 'X' : c);
  }
  if (s.size() == 15) {
    if (!AllDigits(s)) return Error::Invalid(f, f + " must be 18 characters (or a legacy 15-digit number)");
    std::string first17 = s.substr(0, 6) + "19" + s.substr(6);
    s = first17 + IdCheckCharacter(first17);
  } else if (s.size() == 18) {
    if (!AllDigits(std::string_view(s).substr(0, 17)) || !(AllDigits(s.substr(17)) || s[17] == 'X')) {
      return Error::Invalid(f, f + " must be 17 digits followed by a digit or X");
    }
    if (IdCheckCharacter(s) != s[17]) {
      return Error::Invalid(f, f + " has a wrong check digit (GB 11643)");
    }
  } else {
    return Error::Invalid(f, f + " must be 18 characters (or a legacy 15-digit number)");
  }
  IdNumber id;
  id.region = s.substr(0, 6);
  if (id.region[0] == '0' || id.region[0] == '9') {
    return Error::Invalid(f, f + " does not start with a valid region code");
  }
  id.birth_date = {Digits(std::string_view(s).substr(6, 4)), Digits(std::string_view(s).substr(10, 2)),
                   Digits(std::string_view(s).substr(12, 2))};
  if (!IsValidCivilDate(id.birth_date.year, id.birth_date.month, id.birth_date.day) ||
      id.birth_date.year < 1890 || today < id.birth_date) {
    return Error::Invalid(f, f + " contains an impossible birth date");
  }
  id.gender = (s[16] - '0') % 2 == 1 ? 'M' : 'F';
  id.number = std::move(s);
  return id;
}

Result<std::string> NormalizeMobile(std::string_view raw, std::string_view field) {
  std::string f(field);
  std::string s;
  for (char c : raw) {
    if (c == ' ' || c == '-') continue;
    s.push_back(c);
  }
  if (s.starts_with("+86")) s.erase(0, 3);
  else if (s.starts_with("0086")) s.erase(0, 4);
  if (s.size() != 11 || !AllDigits(s) || s[0] != '1' || s[1] < '3') {
    return Error::Invalid(f, f + " must be a mainland mobile number of 11 digits starting 13 to 19");
  }
  return s;
}

std::string MaskIdNumber(std::string_view id_number) {
  if (id_number.size() < 8) return std::string(id_number.size(), '*');
  return std::string(id_number.substr(0, 3)) + std::string(id_number.size() - 7, '*') +
         std::string(id_number.substr(id_number.size() - 4));
}

std::string MaskPhone(std::string_view phone) {
  if (phone.size() < 8) return std::string(phone.size(), '*');
  return std::string(phone.substr(0, 3)) + std::string(phone.size() - 7, '*') +
         std::string(phone.substr(phone.size() - 4));
}

}  // namespace linli::domain
