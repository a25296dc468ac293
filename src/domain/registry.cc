#include "domain/registry.h"

#include <algorithm>

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

std::vector<std::string> BuildingAddressCandidates(std::string_view typed) {
  std::string text;
  for (char c : typed) {
    bool space = c == ' ' || c == '\t' || c == '\n' || c == '\r';
    if (space) {
      if (!text.empty() && text.back() != ' ') text += ' ';
    } else {
      text += c;
    }
  }
  while (!text.empty() && text.back() == ' ') text.pop_back();
  std::vector<std::string> out;
  if (text.empty()) return out;
  out.push_back(text);
  // Suffixes that name a part of a building, each after a number (digits or Latin letters).
  static const std::string_view kParts[] = {"室", "号房", "单元", "号楼", "栋", "幢", "座", "楼"};
  for (int round = 0; round < 4; ++round) {
    std::string cut = out.back();
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
    while (!cut.empty() && cut.back() == ' ') cut.pop_back();
    if (!found || cut.empty()) break;
    out.push_back(cut);
  }
  return out;
}

}  // namespace linli::domain
