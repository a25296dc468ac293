#include "domain/text.h"

#include <algorithm>
#include <set>
#include <vector>

#include <string>

namespace linli::domain {

std::size_t Utf8CharBytes(unsigned char lead) {
  if (lead < 0x80) return 1;
  if ((lead & 0xE0) == 0xC0) return 2;
  if ((lead & 0xF0) == 0xE0) return 3;
  if ((lead & 0xF8) == 0xF0) return 4;
  return 1;
}

std::vector<std::string_view> CharacterPairs(std::string_view s) {
  std::vector<std::string_view> out;
  std::size_t previous = std::string_view::npos;
  for (std::size_t at = 0; at < s.size();) {
    std::size_t end = std::min(s.size(), at + Utf8CharBytes(static_cast<unsigned char>(s[at])));
    if (previous != std::string_view::npos) out.push_back(s.substr(previous, end - previous));
    previous = at;
    at = end;
  }
  return out;
}

namespace {
std::vector<std::string_view> Characters(std::string_view s) {
  std::vector<std::string_view> out;
  for (std::size_t i = 0; i < s.size();) {
    unsigned char c = static_cast<unsigned char>(s[i]);
    std::size_t len = Utf8CharBytes(c);
    if (c != ' ' && c != ',' && c != '.') out.push_back(s.substr(i, std::min(len, s.size() - i)));
    i += len;
  }
  return out;
}
}  // namespace

std::vector<std::string> SplitList(std::string_view text, char separator) {
  std::vector<std::string> out;
  while (true) {
    auto cut = text.find(separator);
    auto part = text.substr(0, cut);
    if (!part.empty()) out.emplace_back(part);
    if (cut == std::string_view::npos) return out;
    text.remove_prefix(cut + 1);
  }
}

double TextSimilarity(std::string_view a, std::string_view b) {
  auto ca = Characters(a), cb = Characters(b);
  if (ca.empty() || cb.empty()) return 0;
  auto bigrams = [](const std::vector<std::string_view>& c) {
    std::multiset<std::string> out;
    if (c.size() == 1) out.insert(std::string(c[0]));
    for (std::size_t i = 0; i + 1 < c.size(); ++i) out.insert(std::string(c[i]) + std::string(c[i + 1]));
    return out;
  };
  auto ba = bigrams(ca), bb = bigrams(cb);
  std::size_t common = 0;
  for (auto it = ba.begin(); it != ba.end(); ++it) {
    auto found = bb.find(*it);
    if (found != bb.end()) {
      ++common;
      bb.erase(found);
    }
  }
  return 2.0 * static_cast<double>(common) / static_cast<double>(ba.size() + bigrams(cb).size());
}

std::string Utf8Excerpt(std::string_view s, long max_chars) {
  std::size_t i = 0;
  for (long n = 0; i < s.size() && n < max_chars; ++n) {
    i += Utf8CharBytes(static_cast<unsigned char>(s[i]));
  }
  if (i >= s.size()) return std::string(s);
  return std::string(s.substr(0, i)) + "…";
}

long Utf8Length(std::string_view s) {
  long n = 0;
  std::size_t i = 0;
  while (i < s.size()) {
    unsigned char c = static_cast<unsigned char>(s[i]);
    std::size_t len;
    std::uint32_t cp;
    if (c < 0x80) { len = 1; cp = c; }
    else if ((c & 0xE0) == 0xC0) { len = 2; cp = c & 0x1F; }
    else if ((c & 0xF0) == 0xE0) { len = 3; cp = c & 0x0F; }
    else if ((c & 0xF8) == 0xF0) { len = 4; cp = c & 0x07; }
    else return -1;
    if (i + len > s.size()) return -1;
    for (std::size_t k = 1; k < len; ++k) {
      unsigned char cc = static_cast<unsigned char>(s[i + k]);
      if ((cc & 0xC0) != 0x80) return -1;
      cp = (cp << 6) | (cc & 0x3F);
    }
    // Overlong encodings, surrogates and out-of-range code points are invalid.
    if ((len == 2 && cp < 0x80) || (len == 3 && cp < 0x800) || (len == 4 && cp < 0x10000) ||
        (cp >= 0xD800 && cp <= 0xDFFF) || cp > 0x10FFFF) {
      return -1;
    }
    i += len;
    ++n;
  }
  return n;
}

Status ValidateText(std::string_view field, std::string_view text, const TextRules& rules) {
  std::string f(field);
  long n = Utf8Length(text);
  if (n < 0) return Error::Invalid(f, f + " is not valid UTF-8");
  if (static_cast<std::size_t>(n) < rules.min_chars) {
    return Error::Invalid(f, rules.min_chars == 1 ? f + " is required"
                                                  : f + " must be at least " +
                                                        std::to_string(rules.min_chars) + " characters");
  }
  if (static_cast<std::size_t>(n) > rules.max_chars) {
    return Error::Invalid(f, f + " must be at most " + std::to_string(rules.max_chars) + " characters");
  }
  for (char ch : text) {
    unsigned char c = static_cast<unsigned char>(ch);
    if (c == '\n' || c == '\r') {
      if (rules.single_line) return Error::Invalid(f, f + " must be a single line");
      continue;
    }
    if (c == '\t') continue;
    if (c < 0x20 || c == 0x7F) return Error::Invalid(f, f + " contains control characters");
    if (!rules.allow_markup && (c == '<' || c == '>')) {
      return Error::Invalid(f, f + " must not contain HTML or script");
    }
  }
  return Ok();
}

}  // namespace linli::domain
