#include "domain/registry.h"

#include <algorithm>

#include "core/chinese_text.h"
#include "domain/text.h"

namespace linli::domain {

std::optional<std::string_view> TermCode(const std::vector<Term>& vocabulary, std::string_view s) {
  for (const auto& t : vocabulary) {
    if (t.code == s || t.label == s) return t.code;
  }
  return std::nullopt;
}

std::string_view TermLabel(const std::vector<Term>& vocabulary, std::string_view code) {
  for (const auto& t : vocabulary) {
    if (t.code == code) return t.label;
  }
  return code;
}

std::string TermChoices(const std::vector<Term>& vocabulary) {
  std::string out;
  for (const auto& t : vocabulary) {
    if (!out.empty()) out += ", ";
    out += std::string(t.code) + " (" + std::string(t.label) + ")";
  }
  return out;
}

const std::vector<Term>& ResidenceTypes() {
  static const std::vector<Term> v = {
      {"registered", "户籍"}, {"resident", "常住"}, {"floating", "流动"}, {"renter", "租户"}};
  return v;
}
const std::vector<Term>& Relations() {
  static const std::vector<Term> v = {
      {"head", "户主"},       {"spouse", "配偶"},      {"child", "子女"},        {"parent", "父母"},
      {"sibling", "兄弟姐妹"}, {"grandchild", "孙子女"}, {"grandparent", "祖父母"}, {"child_in_law", "儿媳女婿"},
      {"tenant", "租住人员"},  {"other", "其他"}};
  return v;
}
const std::vector<Term>& Genders() {
  static const std::vector<Term> v = {{"M", "男"}, {"F", "女"}};
  return v;
}
const std::vector<Term>& ResidentStatuses() {
  static const std::vector<Term> v = {
      {"active", "在册"}, {"moved_out", "已迁出"}, {"deceased", "已死亡"}, {"archived", "已归档"}};
  return v;
}
const std::vector<Term>& StandardTags() {
  static const std::vector<Term> v = {
      {"living_alone", "独居"}, {"disabled", "残疾"},     {"key_care", "重点关爱"}, {"party_member", "党员"},
      {"veteran", "退役军人"},   {"low_income", "低保"}};
  return v;
}
const std::vector<Term>& DerivedTags() {
  static const std::vector<Term> v = {{"elderly", "老年人"}, {"child", "未成年"}};
  return v;
}
const std::vector<Term>& LifeEvents() {
  static const std::vector<Term> v = {{"register", "登记"}, {"move_in", "迁入"}, {"move_out", "迁出"},
                                      {"birth", "出生"},    {"death", "死亡"},   {"archive", "归档"},
                                      {"update", "变更"},   {"relocate", "户内调整"}};
  return v;
}
const std::vector<Term>& StaffPositions() {
  static const std::vector<Term> v = {
      {"micro_grid_worker", "微网格员"},      {"grid_worker_fulltime", "专职网格员"},
      {"grid_worker_parttime", "兼职网格员"}, {"grid_leader", "网格长"},
      {"general_grid_leader", "总网格长"},    {"party_member", "党员"},
      {"community_police", "社区民警"},       {"property_manager", "物业管理员"},
      {"building_head", "楼栋长"}};
  return v;
}
const std::vector<Term>& VisitOutcomes() {
  static const std::vector<Term> v = {{"verified", "信息无误"}, {"changed", "信息变更"},
                                      {"nobody_home", "无人在家"}, {"moved_out", "已搬离"},
                                      {"refused", "拒绝"}};
  return v;
}

bool IsSensitiveTag(std::string_view tag) { return tag == "disabled" || tag == "key_care"; }

bool IsVulnerable(const std::vector<std::string>& tags, const CivilDate& birth, const CivilDate& today) {
  auto has = [&](std::string_view t) { return std::find(tags.begin(), tags.end(), t) != tags.end(); };
  return has("disabled") || has("key_care") || (has("living_alone") && AgeOn(birth, today) >= kElderlyAge);
}

Result<std::string> NormalizeTag(std::string_view tag, std::string_view field) {
  std::string f(field);
  if (auto code = TermCode(StandardTags(), tag)) return std::string(*code);
  if (TermCode(DerivedTags(), tag)) {
    return Error::Invalid(f, "the tag " + std::string(tag) + " follows from the birth date and cannot be set");
  }
  std::string_view custom = tag;
  if (custom.starts_with(kCustomTagPrefix)) custom.remove_prefix(kCustomTagPrefix.size());
  if (custom.empty() || Utf8Length(custom) > 20 || custom.find_first_of(" ,;:\t\r\n") != std::string_view::npos) {
    return Error::Invalid(f, "unknown tag " + std::string(tag).substr(0, 40) + "; use one of " +
                                 TermChoices(StandardTags()) + ", or a custom tag of up to 20 characters");
  }
  if (auto st = ValidateText(f, custom, {.min_chars = 1, .max_chars = 20, .single_line = true}); !st) {
    return st.error();
  }
  return std::string(kCustomTagPrefix) + std::string(custom);
}

Status CheckCustomTags(const std::vector<std::string>& tags, const std::vector<std::string>& vocabulary,
                       const std::vector<std::string>& had) {
  for (const auto& tag : tags) {
    if (!tag.starts_with(kCustomTagPrefix)) continue;
    if (std::find(had.begin(), had.end(), tag) != had.end()) continue;
    if (std::find(vocabulary.begin(), vocabulary.end(), tag) == vocabulary.end()) {
      return Error::Invalid("tags", "the tag " + tag.substr(kCustomTagPrefix.size()) +
                                        " is neither a standard tag nor one of this community's own tags");
    }
  }
  return Ok();
}

Result<std::vector<std::string>> ParseTagList(std::string_view text, std::string_view field) {
  std::vector<std::string> out;
  std::string current;
  auto flush = [&]() -> Status {
    if (current.empty()) return Ok();
    LINLI_ASSIGN_OR_RETURN(auto tag, NormalizeTag(current, field));
    if (std::find(out.begin(), out.end(), tag) == out.end()) out.push_back(std::move(tag));
    current.clear();
    return Ok();
  };
  for (std::size_t i = 0; i < text.size();) {
    // Separators: ASCII space/comma/semicolon, and the Chinese 、，； (3 bytes each in UTF-8).
    if (text[i] == ' ' || text[i] == ',' || text[i] == ';') {
      LINLI_TRY(flush());
      ++i;
    } else if (text.substr(i).starts_with("、") || text.substr(i).starts_with("，") ||
               text.substr(i).starts_with("；")) {
      LINLI_TRY(flush());
      i += 3;
    } else {
      current.push_back(text[i++]);
    }
  }
  LINLI_TRY(flush());
  return out;
}

Result<ResidentFields> ValidateResident(const ResidentInput& in, const CivilDate& today) {
  ResidentFields r;
  LINLI_TRY(ValidateText("name", in.name, {.min_chars = 1, .max_chars = 40, .single_line = true}));
  r.name = in.name;
  std::optional<IdNumber> id;
  if (!in.id_number.empty()) {
    LINLI_ASSIGN_OR_RETURN(auto parsed, ParseIdNumber(in.id_number, today, "id_number"));
    id = std::move(parsed);
    r.id_number = id->number;
  }
  if (!in.birth_date.empty()) {
    LINLI_ASSIGN_OR_RETURN(r.birth_date, ParseCivilDate(in.birth_date, "birth_date"));
    if (today < r.birth_date) return Error::Invalid("birth_date", "birth_date lies in the future");
    if (r.birth_date.year < 1890) return Error::Invalid("birth_date", "birth_date is impossibly early");
    if (id && id->birth_date != r.birth_date) {
      return Error::Invalid("birth_date", "birth_date does not match the ID number");
    }
  } else if (id) {
    r.birth_date = id->birth_date;
  } else {
    return Error::Invalid("birth_date", "birth_date is required when there is no ID number");
  }
  if (!in.gender.empty()) {
    auto g = TermCode(Genders(), in.gender);
    if (!g) return Error::Invalid("gender", "gender must be M (男) or F (女)");
    r.gender = (*g)[0];
    if (id && id->gender != r.gender) return Error::Invalid("gender", "gender does not match the ID number");
  } else if (id) {
    r.gender = id->gender;
  } else {
    return Error::Invalid("gender", "gender is required when there is no ID number");
  }
  if (!in.phone.empty()) {
    LINLI_ASSIGN_OR_RETURN(r.phone, NormalizeMobile(in.phone, "phone"));
  }
  LINLI_TRY(ValidateText("ethnic", in.ethnic, {.min_chars = 1, .max_chars = 20, .single_line = true}));
  r.ethnic = in.ethnic;
  auto rt = TermCode(ResidenceTypes(), in.residence_type);
  if (!rt) return Error::Invalid("residence_type", "residence_type must be one of " + TermChoices(ResidenceTypes()));
  r.residence_type = std::string(*rt);
  LINLI_TRY(ValidateText("occupation", in.occupation, {.min_chars = 0, .max_chars = 60, .single_line = true}));
  r.occupation = in.occupation;
  auto rel = TermCode(Relations(), in.relation);
  if (!rel) return Error::Invalid("relation", "relation must be one of " + TermChoices(Relations()));
  r.relation = std::string(*rel);
  if (in.tags.size() > 20) return Error::Invalid("tags", "at most 20 tags");
  for (const auto& t : in.tags) {
    LINLI_ASSIGN_OR_RETURN(auto tag, NormalizeTag(t, "tags"));
    auto& into = IsSensitiveTag(tag) ? r.sensitive_tags : r.public_tags;
    if (std::find(into.begin(), into.end(), tag) == into.end()) into.push_back(std::move(tag));
  }
  bool disabled = std::find(r.sensitive_tags.begin(), r.sensitive_tags.end(), "disabled") != r.sensitive_tags.end();
  if (in.disability_level != 0 && (in.disability_level < 1 || in.disability_level > 4)) {
    return Error::Invalid("disability_level", "disability_level must be 1 to 4 (一级 to 四级)");
  }
  if (in.disability_level != 0 && !disabled) {
    return Error::Invalid("disability_level", "disability_level needs the disabled tag");
  }
  r.disability_level = in.disability_level;
  return r;
}

namespace {

// One UTF-8 character of `s` at `i` (its byte length from the lead byte).
std::string_view CharAt(std::string_view s, std::size_t i) {
  std::size_t n = Utf8CharBytes(static_cast<unsigned char>(s[i]));
  return s.substr(i, std::min(n, s.size() - i));
}

// What follows a house, building, unit, floor or room number.
constexpr std::string_view kNumberedParts[] = {"号", "栋", "幢", "座", "单元", "室", "层", "楼", "弄", "巷"};

bool StartsNumberedPart(std::string_view rest) {
  return std::any_of(std::begin(kNumberedParts), std::end(kNumberedParts),
                     [&](std::string_view p) { return rest.starts_with(p); });
}

// A run of Chinese numerals ("十八", "一百零五", "三零一") as a number in digits, or "" when it
// is not one.
std::string ChineseNumber(const std::vector<std::string_view>& chars) {
  static const std::pair<std::string_view, int> kDigits[] = {{"零", 0}, {"〇", 0}, {"一", 1}, {"二", 2}, {"两", 2},
                                                             {"三", 3}, {"四", 4}, {"五", 5}, {"六", 6}, {"七", 7},
                                                             {"八", 8}, {"九", 9}};
  auto digit = [&](std::string_view ch) -> int {
    for (const auto& [name, value] : kDigits) {
      if (ch == name) return value;
    }
    return -1;
  };
  bool positional = std::none_of(chars.begin(), chars.end(), [](std::string_view ch) { return ch == "十" || ch == "百"; });
  if (positional) {  // 三零一 → 301
    std::string out;
    for (auto ch : chars) {
      int d = digit(ch);
      if (d < 0) return "";
      out += static_cast<char>('0' + d);
    }
    return out;
  }
  int total = 0, pending = -1;
  for (auto ch : chars) {
    if (ch == "百" || ch == "十") {
      int unit = ch == "百" ? 100 : 10;
      total += (pending < 0 ? 1 : pending) * unit;
      pending = -1;
    } else {
      int d = digit(ch);
      if (d < 0) return "";
      if (d > 0) pending = d;  // 零 only holds a place (一百零五)
    }
  }
  if (pending > 0) total += pending;
  return std::to_string(total);
}

bool IsChineseNumeral(std::string_view ch) {
  static const std::string_view kNumerals[] = {"零", "〇", "一", "二", "两", "三", "四", "五", "六", "七", "八", "九", "十", "百"};
  return std::find(std::begin(kNumerals), std::end(kNumerals), ch) != std::end(kNumerals);
}

bool IsPunctuation(std::string_view ch) {
  if (ch.size() == 1) {
    unsigned char c = static_cast<unsigned char>(ch[0]);
    return std::ispunct(c) && c != '-' && c != '#';
  }
  static const std::string_view kMarks[] = {"，", "、", "。", "·", "（", "）", "《", "》", "“", "”", "：", "；", "—", "【", "】"};
  return std::find(std::begin(kMarks), std::end(kMarks), ch) != std::end(kMarks);
}

}  // namespace

std::string AddressKey(std::string_view address) {
  std::string text = SearchForm(address);
  std::vector<std::string_view> chars;
  for (std::size_t i = 0; i < text.size();) {
    auto ch = CharAt(text, i);
    i += ch.size();
    if (ch == " " || IsPunctuation(ch)) continue;
    chars.push_back(ch);
  }
  std::string out;
  for (std::size_t i = 0; i < chars.size();) {
    if (IsChineseNumeral(chars[i])) {
      std::size_t end = i;
      while (end < chars.size() && IsChineseNumeral(chars[end])) ++end;
      std::string rest;
      for (std::size_t k = end; k < chars.size() && k < end + 2; ++k) rest += chars[k];
      std::string number = StartsNumberedPart(rest) ? ChineseNumber({chars.begin() + i, chars.begin() + end}) : "";
      if (!number.empty()) {
        out += number;
        i = end;
        continue;
      }
    }
    // 号楼, 幢, 座 after a number name a building, as 栋 does.
    bool after_number = !out.empty() && std::isalnum(static_cast<unsigned char>(out.back()));
    if (after_number && chars[i] == "号" && i + 1 < chars.size() && chars[i + 1] == "楼") {
      out += "栋";
      i += 2;
      continue;
    }
    if (after_number && (chars[i] == "幢" || chars[i] == "座")) {
      out += "栋";
      ++i;
      continue;
    }
    out += chars[i];
    ++i;
  }
  return out;
}

std::vector<std::string> BuildingAddressCandidates(std::string_view typed) {
  std::string key = AddressKey(typed);
  std::vector<std::string> specific;
  if (key.empty()) return specific;
  specific.push_back(key);
  // Suffixes that name a part of a building, each after a number (digits or Latin letters).
  static const std::string_view kParts[] = {"室", "号房", "单元", "栋", "楼", "层"};
  for (int round = 0; round < 5; ++round) {
    std::string cut = specific.back();
    bool found = false;
    for (auto part : kParts) {
      if (!cut.ends_with(part)) continue;
      std::size_t end = cut.size() - part.size();
      std::size_t start = end;
      while (start > 0 && (std::isalnum(static_cast<unsigned char>(cut[start - 1])) || cut[start - 1] == '-')) --start;
      if (start == end) continue;  // no number before it: part of a name
      cut.erase(start);
      found = true;
      break;
    }
    if (!found || cut.empty()) break;
    specific.push_back(cut);
  }
  // Each without a leading region: cut after a province, city, county, town or subdistrict when
  // a street address (a street and a number) is left.
  static const std::string_view kRegions[] = {"省", "市", "县", "镇", "乡", "街道", "区"};
  static const std::string_view kStreets[] = {"路", "街", "道", "巷", "弄", "村", "里", "胡同"};
  auto street_address = [](std::string_view rest) {
    bool has_digit = std::any_of(rest.begin(), rest.end(), [](char c) { return c >= '0' && c <= '9'; });
    bool has_street = std::any_of(std::begin(kStreets), std::end(kStreets),
                                  [&](std::string_view st) { return rest.find(st) != std::string_view::npos; });
    return has_digit && has_street;
  };
  std::vector<std::string> out;
  for (const auto& candidate : specific) {
    out.push_back(candidate);
    std::string_view view = candidate;
    for (std::size_t i = 0; i < view.size();) {
      auto ch = CharAt(view, i);
      i += ch.size();
      for (auto region : kRegions) {
        std::size_t at = i - ch.size();
        if (view.substr(at).starts_with(region)) {
          std::string_view rest = view.substr(at + region.size());
          if (!rest.empty() && street_address(rest) &&
              std::find(out.begin(), out.end(), rest) == out.end()) {
            out.emplace_back(rest);
          }
        }
      }
    }
  }
  return out;
}

}  // namespace linli::domain
