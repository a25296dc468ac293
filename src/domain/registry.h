// The population registry's vocabulary: residence types, relations to the household head, tags,
// life events, staff positions and visit outcomes — each with the code the API uses and the
// Chinese label rosters use, so the import accepts either.
#pragma once

#include <cstdint>
#include <optional>
#include <set>
#include <string>
#include <string_view>
#include <vector>

#include "core/clock.h"
#include "core/result.h"
#include "domain/identity.h"

namespace linli::domain {

// A code and its Chinese label.
struct Term {
  std::string_view code;
  std::string_view label;
};

// Looks up a code or label in a vocabulary; nullopt when neither matches.
std::optional<std::string_view> TermCode(const std::vector<Term>& vocabulary, std::string_view code_or_label);
std::string_view TermLabel(const std::vector<Term>& vocabulary, std::string_view code);
std::string TermChoices(const std::vector<Term>& vocabulary);  // "registered (户籍), ..." for errors

// The form of an address that its variants share, which buildings are looked up by: traditional
// characters simplified, full-width letters and digits halved, Latin letters lower case
// (SearchForm); white space and punctuation dropped; Chinese numerals before 号 栋 单元 室 层 楼
// 弄 巷 written in digits (十八号 → 18号, 三零一室 → 301室); 号楼, 幢 and 座 after a number
// written 栋. "虹橋路８８號 3號樓" and "虹桥路88号3栋" have the same key. "" for an empty address.
std::string AddressKey(std::string_view address);

// The keys (AddressKey) of the building addresses a typed address may name, most specific first:
// the whole key, then with a trailing room (301室), unit (2单元), floor (3楼, 3层) and building
// number (3栋) taken off one by one; each followed by itself without a leading province, city,
// county or town ("江苏省张家港市虹桥路88号" → "虹桥路88号") when what is left is a street
// address (a street and a number). "虹桥路88号 3号楼2单元301室" gives "虹桥路88号3栋2单元301室",
// "虹桥路88号3栋2单元", "虹桥路88号3栋", "虹桥路88号".
std::vector<std::string> BuildingAddressCandidates(std::string_view typed);

const std::vector<Term>& ResidenceTypes();   // registered 户籍, resident 常住, floating 流动, renter 租户
const std::vector<Term>& Relations();        // head 户主, spouse 配偶, child 子女 ...
const std::vector<Term>& Genders();          // M 男, F 女
const std::vector<Term>& ResidentStatuses(); // active, moved_out, deceased, archived
const std::vector<Term>& StandardTags();     // living_alone 独居, disabled 残疾, key_care 重点关爱 ...
const std::vector<Term>& DerivedTags();      // elderly 老年人 (60+), child 未成年 (under 18)
const std::vector<Term>& LifeEvents();       // move_in 迁入, move_out 迁出, birth 出生, death 死亡, archive 归档, update 变更
const std::vector<Term>& StaffPositions();   // micro_grid_worker 微网格员, grid_worker_fulltime 专职网格员 ...
const std::vector<Term>& VisitOutcomes();    // verified 信息无误, changed 信息变更, nobody_home 无人在家, moved_out 已搬离, refused 拒绝

// Health and disability tags are personal data of a special kind: stored only as keyed tokens
// (for filtering) and inside the encrypted part of the record.
bool IsSensitiveTag(std::string_view tag);
// The tags that make a resident "vulnerable" for the visit lists: disabled, key care, and elderly
// people living alone.
bool IsVulnerable(const std::vector<std::string>& tags, const CivilDate& birth, const CivilDate& today);

inline constexpr int kElderlyAge = 60;
inline constexpr int kAdultAge = 18;
inline constexpr std::string_view kCustomTagPrefix = "custom:";

// Normalises one tag given by a user: a standard code or label, or a community's own tag
// ("custom:" + up to 20 characters). Derived tags cannot be set by hand.
Result<std::string> NormalizeTag(std::string_view tag, std::string_view field = "tags");
// Parses a list separated by spaces, commas, '、' or '；'.
// Refuses a "custom:" tag in `tags` that is not in `vocabulary` (the custom tags in use at the
// resident's node), unless the resident `had` it already (a retired tag stays). Errors name "tags".
Status CheckCustomTags(const std::vector<std::string>& tags, const std::vector<std::string>& vocabulary,
                       const std::vector<std::string>& had = {});

Result<std::vector<std::string>> ParseTagList(std::string_view text, std::string_view field = "tags");

// A resident's fields as entered (API body or an import row), before encryption.
struct ResidentInput {
  std::string name;
  std::string gender;          // "M"/"F" or 男/女; derived from the ID number when empty
  std::string birth_date;      // derived from the ID number when empty
  std::string id_number;       // optional (children may have none yet)
  std::string phone;           // optional
  std::string ethnic = "汉族";
  std::string residence_type = "registered";
  std::string occupation;
  std::string relation = "head";
  std::vector<std::string> tags;
  int disability_level = 0;    // 1–4 when the disabled tag is set
};

// The validated, normalised form.
struct ResidentFields {
  std::string name;
  char gender = 'M';
  CivilDate birth_date;
  std::string id_number;  // 18 characters or empty
  std::string phone;      // 11 digits or empty
  std::string ethnic;
  std::string residence_type;
  std::string occupation;
  std::string relation;
  std::vector<std::string> public_tags;     // shown and filtered in the clear
  std::vector<std::string> sensitive_tags;  // encrypted; filtered through keyed tokens
  int disability_level = 0;
};

// Validates every field; errors name the field ("id_number", "birth_date" ...). The ID number and
// a given birth date/gender must agree.
Result<ResidentFields> ValidateResident(const ResidentInput& in, const CivilDate& today);

}  // namespace linli::domain
