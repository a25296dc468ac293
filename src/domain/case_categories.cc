#include "domain/case_categories.h"

#include <algorithm>
#include <array>
#include <charconv>
#include <set>
#include <utility>

#include "domain/identity.h"
#include "domain/text.h"

namespace linli::domain {

namespace {

constexpr std::array<std::pair<AttributeType, std::string_view>, 6> kTypes = {{
    {AttributeType::kString, "string"},
    {AttributeType::kNumber, "number"},
    {AttributeType::kDatetime, "datetime"},
    {AttributeType::kText, "text"},
    {AttributeType::kSingleValueList, "singlevaluelist"},
    {AttributeType::kMultiValueList, "multivaluelist"},
}};

constexpr int kYearOfWorkingMinutes = 250 * 450;

bool IsList(AttributeType t) { return t == AttributeType::kSingleValueList || t == AttributeType::kMultiValueList; }

bool IsCodePart(std::string_view s) {
  if (s.empty() || s.size() > 40) return false;
  return std::ranges::all_of(s, [](char c) { return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '_'; });
}

std::vector<std::string_view> SplitCommas(std::string_view s) {
  std::vector<std::string_view> out;
  while (true) {
    auto comma = s.find(',');
    out.push_back(s.substr(0, comma));
    if (comma == std::string_view::npos) return out;
    s.remove_prefix(comma + 1);
  }
}

}  // namespace

std::string_view AttributeTypeName(AttributeType t) {
  for (const auto& [type, name] : kTypes) {
    if (type == t) return name;
  }
  return "string";
}

std::optional<AttributeType> ParseAttributeType(std::string_view name) {
  for (const auto& [type, text] : kTypes) {
    if (text == name) return type;
  }
  return std::nullopt;
}

Status ValidateCategory(const CategoryDefinition& c) {
  bool is_group = c.group_code.empty();
  auto dot = c.code.find('.');
  if (is_group ? !IsCodePart(c.code)
               : (dot == std::string::npos || c.code.substr(0, dot) != c.group_code ||
                  !IsCodePart(std::string_view(c.code).substr(dot + 1)))) {
    return Error::Invalid("code", is_group ? "a group's code is lowercase letters, digits and _"
                                           : "a category's code is its group's code, a dot and a name (e.g. " +
                                                 (c.group_code.empty() ? std::string("community") : c.group_code) +
                                                 ".noise)");
  }
  LINLI_TRY(ValidateText("name", c.name, {.min_chars = 1, .max_chars = 50, .single_line = true}));
  if (is_group) {
    if (c.response_minutes || c.resolve_minutes || !c.attributes.empty()) {
      return Error::Invalid("code", "a group holds categories, not deadlines or attributes");
    }
    return Ok();
  }
  if (c.response_minutes <= 0 || c.response_minutes > kYearOfWorkingMinutes) {
    return Error::Invalid("response_minutes", "response_minutes must be 1 to a year of working time");
  }
  if (c.resolve_minutes < c.response_minutes || c.resolve_minutes > kYearOfWorkingMinutes) {
    return Error::Invalid("resolve_minutes", "resolve_minutes must be at least response_minutes and at most a year");
  }
  if (c.default_level == HandlingLevel::kDepartment) {
    return Error::Invalid("default_level", "a case starts in the chain; dispatch sends it to a department");
  }
  if (auto st = ValidateText("department", c.department, {.min_chars = 0, .max_chars = 100, .single_line = true}); !st) {
    return st.error();
  }
  if (c.attributes.size() > 20) return Error::Invalid("attributes", "at most 20 attributes");
  std::set<std::string> codes;
  for (std::size_t i = 0; i < c.attributes.size(); ++i) {
    const auto& a = c.attributes[i];
    std::string field = "attributes[" + std::to_string(i) + "]";
    if (!IsCodePart(a.code) || !codes.insert(a.code).second) {
      return Error::Invalid(field + ".code", "attribute codes are lowercase letters, digits and _, each once");
    }
    if (auto st = ValidateText(field + ".description", a.description, {.min_chars = 1, .max_chars = 200}); !st) {
      return st.error();
    }
    if (IsList(a.type) != !a.values.empty()) {
      return Error::Invalid(field + ".values", IsList(a.type) ? "a list attribute needs its values"
                                                               : "only list attributes have values");
    }
    std::set<std::string> keys;
    for (const auto& v : a.values) {
      if (v.key.empty() || v.key.find(',') != std::string::npos || !keys.insert(v.key).second || v.name.empty()) {
        return Error::Invalid(field + ".values", "each value needs a distinct key without commas and a name");
      }
    }
  }
  return Ok();
}

Status CheckAttributeValue(const AttributeDefinition& a, std::string_view value) {
  std::string field = "attributes." + a.code;
  switch (a.type) {
    case AttributeType::kString:
      return ValidateText(field, value, {.min_chars = 1, .max_chars = 200, .single_line = true});
    case AttributeType::kText:
      return ValidateText(field, value, {.min_chars = 1, .max_chars = 2000});
    case AttributeType::kNumber: {
      double d = 0;
      auto [end, ec] = std::from_chars(value.data(), value.data() + value.size(), d);
      if (ec != std::errc() || end != value.data() + value.size()) {
        return Error::Invalid(field, a.code + " must be a number");
      }
      return Ok();
    }
    case AttributeType::kDatetime: {
      // ISO 8601 date or date-time; the date part must be a real day.
      if (value.size() < 10 || !ParseCivilDate(value.substr(0, 10), field)) {
        return Error::Invalid(field, a.code + " must be a date or date-time (YYYY-MM-DD[THH:MM])");
      }
      return Ok();
    }
    case AttributeType::kSingleValueList:
    case AttributeType::kMultiValueList: {
      auto parts = SplitCommas(value);
      if (a.type == AttributeType::kSingleValueList && parts.size() != 1) {
        return Error::Invalid(field, a.code + " takes one value");
      }
      for (auto part : parts) {
        if (std::ranges::none_of(a.values, [&](const auto& v) { return v.key == part; })) {
          return Error::Invalid(field, std::string(part).substr(0, 40) + " is not a value of " + a.code);
        }
      }
      return Ok();
    }
  }
  return Ok();
}

Status CheckAttributes(const std::vector<AttributeDefinition>& defs,
                       const std::vector<std::pair<std::string, std::string>>& given) {
  for (const auto& [code, value] : given) {
    auto def = std::ranges::find_if(defs, [&](const auto& d) { return d.code == code; });
    if (def == defs.end()) return Error::Invalid("attributes." + code, "this category has no attribute " + code);
    LINLI_TRY(CheckAttributeValue(*def, value));
  }
  for (const auto& d : defs) {
    if (d.required && std::ranges::none_of(given, [&](const auto& g) { return g.first == d.code && !g.second.empty(); })) {
      return Error::Invalid("attributes." + d.code, d.description + " (" + d.code + ") is required");
    }
  }
  return Ok();
}

const std::vector<CategoryDefinition>& DefaultCategories() {
  using L = HandlingLevel;
  // Working minutes: a day is 450.
  auto group = [](const char* code, const char* name) { return CategoryDefinition{code, "", name}; };
  auto cat = [](const char* group, const char* code, const char* name, L level, int respond, int resolve,
                const char* department, bool escalate = false) {
    return CategoryDefinition{std::string(group) + "." + code, group, name, level, respond, resolve, department,
                              escalate, {}};
  };
  static const std::vector<CategoryDefinition> all = [&] {
    std::vector<CategoryDefinition> c = {
        group("city", "城市管理"),
        cat("city", "environment", "市容环境", L::kGrid, 120, 900, "城管中队"),
        cat("city", "advertising", "宣传广告", L::kGrid, 240, 1350, "城管中队"),
        cat("city", "construction", "施工管理", L::kCommunity, 120, 2250, "住建部门"),
        cat("city", "street_order", "街面秩序", L::kGrid, 60, 450, "城管中队", true),
        cat("city", "facilities", "市政设施", L::kGrid, 240, 2250, "市政部门"),
        cat("city", "landscaping", "园林绿化", L::kGrid, 240, 2250, "园林部门"),
        group("emergency", "突发事件"),
        cat("emergency", "incident", "突发事件", L::kCommunity, 15, 240, "应急管理部门", true),
        cat("emergency", "safety_hazard", "安全隐患", L::kGrid, 30, 450, "应急管理部门", true),
        group("community", "社区事务"),
        cat("community", "neighbour_dispute", "邻里纠纷", L::kGrid, 240, 2250, ""),
        cat("community", "property", "物业管理", L::kGrid, 240, 2250, "住建部门"),
        cat("community", "parking", "停车管理", L::kGrid, 240, 2250, "交警中队"),
        cat("community", "elderly_help", "为老服务", L::kMicroGrid, 60, 900, "民政部门", true),
        cat("community", "noise", "噪音扰民", L::kGrid, 60, 900, "生态环境部门"),
        cat("community", "water_power", "水电气暖", L::kGrid, 120, 900, "供水供电单位", true),
        cat("community", "suggestion", "意见建议", L::kCommunity, 450, 4500, ""),
    };
    for (auto& x : c) {
      if (x.code == "community.noise") {
        x.attributes.push_back({"when", "什么时候有噪音", AttributeType::kSingleValueList, true,
                                {{"day", "白天"}, {"night", "夜间（22点后）"}, {"both", "全天"}}});
      }
      if (x.code == "community.parking") {
        x.attributes.push_back({"plate", "车牌号（如知道）", AttributeType::kString, false, {}});
      }
      if (x.code == "community.elderly_help") {
        x.attributes.push_back({"needs", "需要什么帮助", AttributeType::kMultiValueList, true,
                                {{"meal", "助餐"}, {"clean", "助洁"}, {"medical", "就医陪同"}, {"other", "其他"}}});
      }
    }
    return c;
  }();
  return all;
}

}  // namespace linli::domain
