// What a request is about: a two-level tree (group → category) with, per category, the level that
// handles it first, its response and resolution deadlines, the department it goes to when it
// leaves the community, and the extra attributes a reporter fills in (Open311 service
// definitions: string, number, datetime, text, singlevaluelist, multivaluelist). Pure rules and
// the default catalogue; storage and the API come with the case service.
#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "core/result.h"
#include "domain/case_workflow.h"

namespace linli::domain {

enum class AttributeType { kString, kNumber, kDatetime, kText, kSingleValueList, kMultiValueList };

std::string_view AttributeTypeName(AttributeType t);  // Open311 datatype names
std::optional<AttributeType> ParseAttributeType(std::string_view name);

struct AttributeValue {
  std::string key;   // what is stored
  std::string name;  // what is shown
};

struct AttributeDefinition {
  std::string code;         // unique within the category
  std::string description;  // the question shown to the reporter
  AttributeType type = AttributeType::kString;
  bool required = false;
  std::vector<AttributeValue> values;  // list types only
};

struct CategoryDefinition {
  std::string code;        // e.g. "community.noise"; a group's code has no dot
  std::string group_code;  // empty for a group
  std::string name;        // 噪音扰民
  HandlingLevel default_level = HandlingLevel::kGrid;
  int response_minutes = 0;  // working minutes to accept or reject
  int resolve_minutes = 0;   // working minutes to resolve
  std::string department;    // where it is dispatched when it leaves the community
  bool escalate_when_overdue = false;
  std::vector<AttributeDefinition> attributes;
};

// Refuses a definition that could not be used, naming the field ("response_minutes",
// "attributes[1].values" …): codes of lowercase letters, digits, '_' and one '.', a group before
// its categories, deadlines within a year of working time with resolution not before response, list
// attributes with distinct values and others without.
Status ValidateCategory(const CategoryDefinition& c);

// The value a reporter gave for an attribute, checked against its definition; errors name
// "attributes.<code>". Multi-value lists take values separated by commas.
Status CheckAttributeValue(const AttributeDefinition& a, std::string_view value);
// Every required attribute is present and every given one is defined and valid.
Status CheckAttributes(const std::vector<AttributeDefinition>& defs,
                       const std::vector<std::pair<std::string, std::string>>& given);

// The catalogue a new installation starts with: the digital-urban-management event classes
// (市容环境, 宣传广告, 施工管理, 街面秩序, 突发事件 …) and community matters (neighbour disputes,
// property management, parking, elderly help, safety hazards, noise, water and power, suggestions).
const std::vector<CategoryDefinition>& DefaultCategories();

}  // namespace linli::domain
