// Rules for free text typed by people: length in characters (not bytes), valid UTF-8, no control
// characters, no markup. One function so every field in Linli answers bad text the same way.
#pragma once

#include <cstddef>
#include <string>
#include <string_view>
#include <vector>

#include "core/result.h"

namespace linli::domain {

struct TextRules {
  std::size_t min_chars = 0;
  std::size_t max_chars = 4000;
  bool single_line = true;   // no line breaks
  bool allow_markup = false; // '<' and '>' are refused unless true
};

// Number of Unicode code points, or nullopt-like -1 when the bytes are not valid UTF-8.
long Utf8Length(std::string_view s);
// Bytes of the UTF-8 character that starts with `lead`; a stray continuation or invalid byte counts
// as one, so a walk over any bytes moves forward and never reads past the end it clamps to.
std::size_t Utf8CharBytes(unsigned char lead);
// Every pair of neighbouring characters, in order ("楼道漏水" → 楼道, 道漏, 漏水): the unit of the
// case search index on both engines. One character has none.
std::vector<std::string_view> CharacterPairs(std::string_view s);
// How alike two texts are, 0 to 1: the Dice coefficient of their character bigrams (the unit
// that works for Chinese, which has no spaces). Give both in search form.
double TextSimilarity(std::string_view a, std::string_view b);
// "a,b,,c" → {"a","b","c"}: the comma lists of query strings, Open311 and the CLI (empty parts dropped).
std::vector<std::string> SplitList(std::string_view text, char separator = ',');
// The first `max_chars` characters of valid UTF-8 text, with "…" when something was cut.
std::string Utf8Excerpt(std::string_view s, long max_chars);

Status ValidateText(std::string_view field, std::string_view text, const TextRules& rules);

}  // namespace linli::domain
