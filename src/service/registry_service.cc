#include "service/registry_service.h"

#include <boost/json.hpp>

#include <algorithm>

#include "core/json_text.h"
#include "domain/text.h"
#include "service/org_service.h"
#include "service/records.h"
#include "storage/org_repo.h"

namespace linli::service {

using storage::BuildingRepo;
using storage::BuildingRow;
using storage::HouseholdRepo;
using storage::HouseholdRow;
using storage::ResidentRepo;
using storage::ResidentRow;
using storage::SqlSession;
namespace perm = domain::perm;

namespace {


std::vector<std::string> SplitTags(const std::string& s) {
  std::vector<std::string> out;
  std::size_t i = 0;
  while (i < s.size()) {
    auto j = s.find(' ', i);
    if (j == std::string::npos) j = s.size();
    if (j > i) out.push_back(s.substr(i, j - i));
    i = j + 1;
  }
  return out;
}

std::string JoinTags(const std::vector<std::string>& tags) {
  std::string out;
  for (const auto& t : tags) {
    if (!out.empty()) out += ' ';
    out += t;
  }
  return out;
}

bool IsPlaceNode(domain::NodeType t) {
  return t == domain::NodeType::kGrid || t == domain::NodeType::kMicroGrid || t == domain::NodeType::kDedicatedGrid ||
         t == domain::NodeType::kCompound || t == domain::NodeType::kCommunity;
}

}  // namespace

// ---------------------------------------------------------------------------------------------
// Encryption at the boundary of storage.

std::string RegistryService::TagKey(std::string_view tag) const {
  if (domain::IsSensitiveTag(tag)) return "s:" + crypto_->BlindIndex("tag", tag).substr(0, 16);
  return std::string(tag);
}

std::string RegistryService::AddressIndex(std::int64_t building_id, std::string_view unit, std::string_view room) const {
  return crypto_->BlindIndex("address", std::to_string(building_id) + "|" + std::string(unit) + "|" + std::string(room));
}

std::string RegistryService::SealRoom(std::string_view room, std::int64_t household_id) const {
  return crypto_->Seal(room, RecordRef("households.room", household_id));
}

Result<std::string> RegistryService::OpenRoom(const HouseholdRow& h) const {
  return crypto_->Open(h.room_enc, RecordRef("households.room", h.id));
}

void RegistryService::Seal(const domain::ResidentFields& f, ResidentRow& r, std::string_view id_index) const {
  r.name = f.name;
  r.gender = std::string(1, f.gender);
  r.birth_date = f.birth_date.Iso();
  r.id_enc = f.id_number.empty() ? "" : crypto_->Seal(f.id_number, RecordRef("residents.id_number", r.id));
  r.id_index = f.id_number.empty()  ? ""
               : id_index.empty() ? crypto_->BlindIndex("id_number", f.id_number)
                                  : std::string(id_index);
  r.phone_enc = f.phone.empty() ? "" : crypto_->Seal(f.phone, RecordRef("residents.phone", r.id));
  r.phone_index = f.phone.empty() ? "" : crypto_->BlindIndex("phone", f.phone);
  r.ethnic = f.ethnic;
  r.residence_type = f.residence_type;
  r.occupation = f.occupation;
  r.relation = f.relation;
  r.tags = JoinTags(f.public_tags);
  r.sensitive_enc.clear();
  if (!f.sensitive_tags.empty()) {
    boost::json::object o;
    boost::json::array tags;
    for (const auto& t : f.sensitive_tags) tags.emplace_back(t);
    o["tags"] = std::move(tags);
    o["disability_level"] = f.disability_level;
    r.sensitive_enc = crypto_->Seal(boost::json::serialize(o), RecordRef("residents.sensitive", r.id));
  }
  r.tag_keys.clear();
  for (const auto& t : f.public_tags) r.tag_keys.push_back(TagKey(t));
  for (const auto& t : f.sensitive_tags) r.tag_keys.push_back(TagKey(t));
}

Result<domain::ResidentFields> RegistryService::Decrypt(const ResidentRow& r) const {
  domain::ResidentFields f;
  f.name = r.name;
  f.gender = r.gender.empty() ? 'M' : r.gender[0];
  LINLI_ASSIGN_OR_RETURN(f.birth_date, domain::ParseCivilDate(r.birth_date, "birth_date"));
  if (!r.id_enc.empty()) {
    LINLI_ASSIGN_OR_RETURN(f.id_number, crypto_->Open(r.id_enc, RecordRef("residents.id_number", r.id)));
  }
  if (!r.phone_enc.empty()) {
    LINLI_ASSIGN_OR_RETURN(f.phone, crypto_->Open(r.phone_enc, RecordRef("residents.phone", r.id)));
  }
  f.ethnic = r.ethnic;
  f.residence_type = r.residence_type;
  f.occupation = r.occupation;
  f.relation = r.relation;
  f.public_tags = SplitTags(r.tags);
  if (!r.sensitive_enc.empty()) {
    LINLI_ASSIGN_OR_RETURN(auto text, crypto_->Open(r.sensitive_enc, RecordRef("residents.sensitive", r.id)));
    boost::system::error_code ec;
    auto v = boost::json::parse(text, ec);
    if (ec || !v.is_object()) return Error::Internal("a resident's sensitive fields are damaged");
    if (auto* tags = v.as_object().if_contains("tags"); tags && tags->is_array()) {
      for (const auto& t : tags->as_array()) {
        if (t.is_string()) f.sensitive_tags.emplace_back(t.as_string());
      }
    }
    if (auto* lvl = v.as_object().if_contains("disability_level"); lvl && lvl->is_int64()) {
      f.disability_level = static_cast<int>(lvl->as_int64());
    }
  }
  return f;
}

ResidentView RegistryService::View(const ResidentRow& r, bool reveal, const domain::CivilDate& today) const {
  ResidentView v;
  v.id = r.id;
  v.node_id = r.node_id;
  v.household_id = r.household_id;
  v.relation = r.relation;
  v.name = r.name;
  v.gender = r.gender;
  v.birth_date = r.birth_date;
  auto birth = domain::ParseCivilDate(r.birth_date, "birth_date");
  v.age = birth ? domain::AgeOn(*birth, today) : 0;
  v.ethnic = r.ethnic;
  v.residence_type = r.residence_type;
  v.occupation = r.occupation;
  v.tags = SplitTags(r.tags);
  if (v.age >= domain::kElderlyAge) v.tags.emplace_back("elderly");
  if (v.age < domain::kAdultAge) v.tags.emplace_back("child");
  v.has_sensitive = !r.sensitive_enc.empty();
  v.status = r.status;
  v.duplicate_of = r.duplicate_of;
  v.last_visited_at = r.last_visited_at;
  v.created_at = r.created_at;
  v.updated_at = r.updated_at;
  v.version = r.version;
  v.masked = !reveal;
  // Even masked, the display needs the shape of the number; decrypting costs ~1 µs per field.
  auto f = Decrypt(r);
  if (f) {
    v.id_number = reveal ? f->id_number : domain::MaskIdNumber(f->id_number);
    v.phone = reveal ? f->phone : domain::MaskPhone(f->phone);
    std::vector<std::string> all = f->public_tags;
    all.insert(all.end(), f->sensitive_tags.begin(), f->sensitive_tags.end());
    v.vulnerable = birth && domain::IsVulnerable(all, *birth, today);
    if (reveal) {
      v.sensitive_tags = f->sensitive_tags;
      v.disability_level = f->disability_level;
    }
  }
  return v;
}

// ---------------------------------------------------------------------------------------------
// Scope

Result<std::vector<std::string>> RegistryService::ScopeAt(SqlSession& s, const Caller& who, std::string_view permission,
                                                          std::optional<std::int64_t> node_id) {
  auto prefixes = domain::ScopeFor(who.principal, permission).prefixes();
  if (!node_id) return prefixes;
  LINLI_ASSIGN_OR_RETURN(auto node, VisibleNode(s, who, *node_id, perm::kOrgRead));
  std::vector<std::string> narrowed;
  for (const auto& p : prefixes) {
    if (domain::PathIsUnder(node.path, p)) return std::vector<std::string>{node.path};
    if (domain::PathIsUnder(p, node.path)) narrowed.push_back(p);
  }
  return narrowed;
}

Result<storage::ResidentListQuery> RegistryService::Query(SqlSession& s, const Caller& who, std::string_view permission,
                                                          const ResidentFilter& f) {
  LINLI_TRY(CheckPageLimit(f.limit));
  storage::ResidentListQuery q;
  LINLI_ASSIGN_OR_RETURN(q.prefixes, ScopeAt(s, who, permission, f.node_id));
  auto today = Today();
  if (f.tag) {
    if (*f.tag == "elderly" || *f.tag == "老年人") {
      q.born_to = domain::YearsBefore(today, domain::kElderlyAge).Iso();
    } else if (*f.tag == "child" || *f.tag == "未成年") {
      q.born_from = domain::NextDay(domain::YearsBefore(today, domain::kAdultAge)).Iso();
    } else {
      LINLI_ASSIGN_OR_RETURN(auto tag, domain::NormalizeTag(*f.tag, "tag"));
      q.tag_key = TagKey(tag);
    }
  }
  if (f.age_min) {
    if (*f.age_min < 0 || *f.age_min > 150) return Error::Invalid("age_min", "age_min must be 0 to 150");
    auto to = domain::YearsBefore(today, *f.age_min).Iso();
    if (!q.born_to || to < *q.born_to) q.born_to = to;
  }
  if (f.age_max) {
    if (*f.age_max < 0 || *f.age_max > 150) return Error::Invalid("age_max", "age_max must be 0 to 150");
    auto from = domain::NextDay(domain::YearsBefore(today, *f.age_max + 1)).Iso();
    if (!q.born_from || from > *q.born_from) q.born_from = from;
  }
  if (f.residence_type) {
    auto rt = domain::TermCode(domain::ResidenceTypes(), *f.residence_type);
    if (!rt) return Error::Invalid("residence_type", "residence_type must be one of " +
                                                         domain::TermChoices(domain::ResidenceTypes()));
    q.residence_type = std::string(*rt);
  }
  if (f.not_visited_days) {
    if (*f.not_visited_days < 0 || *f.not_visited_days > 3650) {
      return Error::Invalid("not_visited_days", "not_visited_days must be 0 to 3650");
    }
    q.not_visited_since = clock_.NowMillis() - static_cast<Millis>(*f.not_visited_days) * 86400000;
  }
  if (f.name) {
    LINLI_TRY(domain::ValidateText("name", *f.name, {.min_chars = 1, .max_chars = 40, .single_line = true}));
    q.name_contains = *f.name;
  }
  q.household_id = f.household_id;
  if (f.status) {
    if (*f.status == "any") q.status.clear();
    else if (domain::TermCode(domain::ResidentStatuses(), *f.status)) q.status = *f.status;
    else return Error::Invalid("status", "status must be active, moved_out, deceased, archived or any");
  }
  q.duplicates_only = f.duplicates_only;
  if (f.vulnerable_only) {
    q.vulnerable = storage::ResidentListQuery::Vulnerable{{TagKey("disabled"), TagKey("key_care")}, TagKey("living_alone"),
                                                          domain::YearsBefore(today, domain::kElderlyAge).Iso()};
  }
  q.after_id = f.after_id;
  q.limit = f.limit;
  return q;
}

// ---------------------------------------------------------------------------------------------
// Buildings

Result<int> RegistryService::FillAddressKeys() {
  if (address_keys_filled_) return 0;
  int total = 0;
  for (int round = 0; round < 2; ++round) {
    LINLI_ASSIGN_OR_RETURN(int filled, storage::WriteAndWait<int>(db_, [](SqlSession& s) {
      return storage::BuildingRepo::FillAddressKeys(s, 2500);
    }));
    total += filled;
    if (filled == 0) {
      address_keys_filled_ = true;
      break;
    }
  }
  return total;
}

Status RegistryService::CheckBuildingInput(BuildingInput& in) const {
  if (in.code.empty() || in.code.size() > 32 ||
      !std::all_of(in.code.begin(), in.code.end(), [](char c) { return std::isalnum(static_cast<unsigned char>(c)) || c == '-'; })) {
    return Error::Invalid("code", "code must be 1 to 32 letters, digits or '-'");
  }
  LINLI_TRY(domain::ValidateText("name", in.name, {.min_chars = 1, .max_chars = 60, .single_line = true}));
  LINLI_TRY(domain::ValidateText("address", in.address, {.min_chars = 0, .max_chars = 200, .single_line = true}));
  if (in.lon.has_value() != in.lat.has_value()) return Error::Invalid(in.lon ? "lat" : "lon", "give both lon and lat");
  if (in.lon) LINLI_TRY(domain::ValidateLonLat(*in.lon, *in.lat));
  if (in.floors < 0 || in.floors > 200) return Error::Invalid("floors", "floors must be 0 to 200");
  if (in.units < 0 || in.units > 50) return Error::Invalid("units", "units must be 0 to 50");
  if (in.node_id == 0) {
    if (!in.lon) return Error::Invalid("node_id", "give node_id, or lon and lat to place the building");
    auto hit = geo_.Locate({*in.lon, *in.lat});
    if (!hit) return Error::Invalid("lon", "the location lies in no grid; give node_id");
    in.node_id = hit->node_id;
  }
  return Ok();
}

Status RegistryService::CheckBuildingNode(const domain::OrgNode& node) {
  if (!IsPlaceNode(node.type) || node.archived) {
    return Error::Invalid("node_id", "a building belongs to an active grid, micro-grid, compound or community");
  }
  return Ok();
}

void RegistryService::CreateBuilding(const Caller& who, BuildingInput in, Done<BuildingRow> done) {
  if (auto st = CheckBuildingInput(in); !st) return done(st.error());
  Millis now = clock_.NowMillis();
  storage::SubmitWrite<BuildingRow>(db_, [=, this](SqlSession& s) -> Result<BuildingRow> {
    LINLI_ASSIGN_OR_RETURN(auto node, AsReference(VisibleNode(s, who, in.node_id, perm::kResidentWrite), "node_id"));
    LINLI_TRY(CheckBuildingNode(node));
    LINLI_ASSIGN_OR_RETURN(auto taken, BuildingRepo::GetByCode(s, in.code));
    if (taken) return Error::Exists("code", "a building with code " + in.code + " exists already");
    BuildingRow b;
    b.node_id = node.id;
    b.node_path = node.path;
    b.code = in.code;
    b.name = in.name;
    b.address = in.address;
    b.lon = in.lon;
    b.lat = in.lat;
    b.floors = in.floors;
    b.units = in.units;
    b.created_at = now;
    LINLI_ASSIGN_OR_RETURN(b, BuildingRepo::Insert(s, std::move(b)));
    LINLI_TRY(audit_.Record(s, who, {.action = "building.create", .node_path = b.node_path,
                                     .target = RecordRef("building", b.id),
                                     .detail = JsonObject().Add("code", b.code).Add("name", b.name).Str()}));
    return b;
  }, std::move(done));
}

Result<BuildingRow> RegistryService::GetBuilding(const Caller& who, std::int64_t id) {
  return storage::ReadValue<BuildingRow>(db_, [&](SqlSession& s) -> Result<BuildingRow> {
    LINLI_ASSIGN_OR_RETURN(auto b, BuildingRepo::Get(s, id));
    return VisibleRecord(std::move(b), who, "building", id, perm::kResidentRead);
  });
}

Result<BuildingRow> RegistryService::GetBuildingByCode(const Caller& who, std::string_view code) {
  return storage::ReadValue<BuildingRow>(db_, [&](SqlSession& s) -> Result<BuildingRow> {
    LINLI_ASSIGN_OR_RETURN(auto b, BuildingRepo::GetByCode(s, code));
    if (!b) return Error::NotFound("no building with code " + std::string(code));
    auto id = b->id;
    return VisibleRecord(std::move(b), who, "building", id, perm::kResidentRead);
  });
}

Result<std::vector<BuildingRow>> RegistryService::ListBuildings(const Caller& who, std::optional<std::int64_t> node_id,
                                                                std::int64_t after_id, int limit) {
  LINLI_TRY(CheckPageLimit(limit));
  return storage::ReadValue<std::vector<BuildingRow>>(db_, [&](SqlSession& s) -> Result<std::vector<BuildingRow>> {
    storage::ListQuery q;
    LINLI_ASSIGN_OR_RETURN(q.prefixes, ScopeAt(s, who, perm::kResidentRead, node_id));
    q.after_id = after_id;
    q.limit = limit;
    return BuildingRepo::List(s, q);
  });
}

// ---------------------------------------------------------------------------------------------
// Households

void RegistryService::CreateHousehold(const Caller& who, HouseholdInput in, Done<HouseholdView> done) {
  if (auto st = domain::ValidateText("unit", in.unit, {.min_chars = 0, .max_chars = 20, .single_line = true}); !st) return done(st.error());
  if (auto st = domain::ValidateText("room", in.room, {.min_chars = 1, .max_chars = 20, .single_line = true}); !st) return done(st.error());
  Millis now = clock_.NowMillis();
  storage::SubmitWrite<HouseholdView>(db_, [=, this](SqlSession& s) -> Result<HouseholdView> {
    LINLI_ASSIGN_OR_RETURN(auto found, BuildingRepo::Get(s, in.building_id));
    LINLI_ASSIGN_OR_RETURN(auto b, AsReference(VisibleRecord(std::move(found), who, "building", in.building_id,
                                                             perm::kResidentWrite), "building_id"));
    HouseholdRow h;
    h.address_index = AddressIndex(b.id, in.unit, in.room);
    LINLI_ASSIGN_OR_RETURN(auto existing, HouseholdRepo::FindActiveByAddress(s, h.address_index));
    if (existing) {
      return Error::Exists("room", "household " + std::to_string(existing->id) + " is registered at this address already");
    }
    LINLI_ASSIGN_OR_RETURN(h.id, s.NextId("households"));
    h.node_id = b.node_id;
    h.node_path = b.node_path;
    h.building_id = b.id;
    h.unit = in.unit;
    h.room_enc = SealRoom(in.room, h.id);
    h.created_at = now;
    LINLI_ASSIGN_OR_RETURN(h, HouseholdRepo::Insert(s, std::move(h)));
    LINLI_TRY(audit_.Record(s, who, {.action = "household.create", .node_path = h.node_path,
                                     .target = RecordRef("household", h.id)}));
    HouseholdView v;
    v.row = h;
    v.building_code = b.code;
    v.building_name = b.name;
    v.address = b.name + (h.unit.empty() ? "" : " " + h.unit) + " ***";
    return v;
  }, std::move(done));
}

Result<HouseholdView> RegistryService::GetHousehold(const Caller& who, std::int64_t id) {
  auto today = Today();
  auto v = storage::ReadValue<HouseholdView>(db_, [&](SqlSession& s) -> Result<HouseholdView> {
    LINLI_ASSIGN_OR_RETURN(auto found, HouseholdRepo::Get(s, id));
    LINLI_ASSIGN_OR_RETURN(auto h, VisibleRecord(std::move(found), who, "household", id, perm::kResidentRead));
    HouseholdView v;
    LINLI_ASSIGN_OR_RETURN(auto b, BuildingRepo::Get(s, h.building_id));
    if (b) {
      v.building_code = b->code;
      v.building_name = b->name;
    }
    v.address = v.building_name + (h.unit.empty() ? "" : " " + h.unit) + " ***";
    storage::ResidentListQuery q;
    q.prefixes = {h.node_path};
    q.household_id = h.id;
    q.limit = 200;
    LINLI_ASSIGN_OR_RETURN(auto members, ResidentRepo::List(s, q));
    for (const auto& m : members) v.members.push_back(View(m, false, today));
    v.row = std::move(h);
    return v;
  });
  if (v) audit_.RecordAlone(who, {.action = "household.read", .node_path = v->row.node_path,
                                  .target = RecordRef("household", id)});
  return v;
}

Result<std::vector<HouseholdView>> RegistryService::ListHouseholds(const Caller& who, std::optional<std::int64_t> node_id,
                                                                   std::optional<std::int64_t> building_id,
                                                                   std::int64_t after_id, int limit) {
  LINLI_TRY(CheckPageLimit(limit));
  return storage::ReadValue<std::vector<HouseholdView>>(db_, [&](SqlSession& s) -> Result<std::vector<HouseholdView>> {
    storage::ListQuery q;
    LINLI_ASSIGN_OR_RETURN(q.prefixes, ScopeAt(s, who, perm::kResidentRead, node_id));
    q.building_id = building_id;
    q.after_id = after_id;
    q.limit = limit;
    LINLI_ASSIGN_OR_RETURN(auto rows, HouseholdRepo::List(s, q));
    std::vector<HouseholdView> out;
    for (auto& h : rows) {
      HouseholdView v;
      v.address = (h.unit.empty() ? "" : h.unit + " ") + "***";
      v.row = std::move(h);
      out.push_back(std::move(v));
    }
    return out;
  });
}

// ---------------------------------------------------------------------------------------------
// Custom tag vocabularies

Result<std::vector<storage::CustomTagRow>> RegistryService::CustomTags(const Caller& who, std::int64_t node_id,
                                                                       bool include_retired) {
  return storage::ReadValue<std::vector<storage::CustomTagRow>>(
      db_, [&](SqlSession& s) -> Result<std::vector<storage::CustomTagRow>> {
        LINLI_ASSIGN_OR_RETURN(auto node, VisibleNode(s, who, node_id, perm::kOrgRead));
        return storage::CustomTagRepo::ApplyingAt(s, node.path, include_retired);
      });
}

void RegistryService::DefineCustomTag(const Caller& who, std::int64_t node_id, std::string label,
                                      std::string description, Done<storage::CustomTagRow> done) {
  auto tag = domain::NormalizeTag(label, "label");
  if (!tag) return done(tag.error());
  if (!tag->starts_with(domain::kCustomTagPrefix)) {
    return done(Error::Invalid("label", label + " is a standard tag already"));
  }
  if (auto st = domain::ValidateText("description", description, {.min_chars = 0, .max_chars = 200}); !st) {
    return done(st.error());
  }
  Millis now = clock_.NowMillis();
  storage::SubmitWrite<storage::CustomTagRow>(db_, [=, this](SqlSession& s) -> Result<storage::CustomTagRow> {
    LINLI_ASSIGN_OR_RETURN(auto node, VisibleNode(s, who, node_id, perm::kTagWrite));
    if (node.type != domain::NodeType::kCommunity && node.type != domain::NodeType::kSubdistrict) {
      return Error::Invalid("node_id", "custom tags are defined for a community or the subdistrict");
    }
    storage::CustomTagRow t;
    t.label = tag->substr(domain::kCustomTagPrefix.size());
    LINLI_ASSIGN_OR_RETURN(auto in_use, storage::CustomTagRepo::ApplyingAt(s, node.path, false));
    for (const auto& other : in_use) {
      if (other.label == t.label) return Error::Exists("label", "the tag " + t.label + " is in use here already");
    }
    t.node_id = node.id;
    t.node_path = node.path;
    t.description = description;
    t.created_by = who.user_id();
    t.created_at = now;
    LINLI_ASSIGN_OR_RETURN(t, storage::CustomTagRepo::Insert(s, std::move(t)));
    LINLI_TRY(audit_.Record(s, who, {.action = "tag.define", .node_path = node.path,
                                     .target = RecordRef("custom_tag", t.id),
                                     .detail = JsonObject().Add("label", t.label).Str()}));
    return t;
  }, std::move(done));
}

void RegistryService::RetireCustomTag(const Caller& who, std::int64_t tag_id, Done<storage::CustomTagRow> done) {
  Millis now = clock_.NowMillis();
  storage::SubmitWrite<storage::CustomTagRow>(db_, [=, this](SqlSession& s) -> Result<storage::CustomTagRow> {
    LINLI_ASSIGN_OR_RETURN(auto found, storage::CustomTagRepo::Get(s, tag_id));
    LINLI_ASSIGN_OR_RETURN(auto t, VisibleRecord(std::move(found), who, "custom_tag", tag_id, perm::kTagWrite));
    if (t.retired_at) return Error::Precondition("the tag " + t.label + " is retired already");
    LINLI_TRY(storage::CustomTagRepo::Retire(s, tag_id, now));
    LINLI_TRY(audit_.Record(s, who, {.action = "tag.retire", .node_path = t.node_path,
                                     .target = RecordRef("custom_tag", t.id),
                                     .detail = JsonObject().Add("label", t.label).Str()}));
    t.retired_at = now;
    return t;
  }, std::move(done));
}

Result<std::vector<std::string>> RegistryService::CustomTagsInUse(SqlSession& s, std::string_view node_path) {
  LINLI_ASSIGN_OR_RETURN(auto rows, storage::CustomTagRepo::ApplyingAt(s, node_path, false));
  std::vector<std::string> out;
  for (const auto& t : rows) out.push_back(std::string(domain::kCustomTagPrefix) + t.label);
  return out;
}

Status RegistryService::CheckCustomTags(SqlSession& s, std::string_view node_path, const std::vector<std::string>& tags,
                                        const std::vector<std::string>& had) {
  bool any_custom = std::ranges::any_of(tags, [](const auto& t) { return t.starts_with(domain::kCustomTagPrefix); });
  if (!any_custom) return Ok();
  LINLI_ASSIGN_OR_RETURN(auto vocabulary, CustomTagsInUse(s, node_path));
  return domain::CheckCustomTags(tags, vocabulary, had);
}

// ---------------------------------------------------------------------------------------------
// Residents

void RegistryService::CreateResident(const Caller& who, ResidentCreateInput in, Done<ResidentView> done) {
  auto today = Today();
  auto fields = domain::ValidateResident(in.fields, today);
  if (!fields) return done(fields.error());
  if (in.event != "register" && in.event != "move_in" && in.event != "birth") {
    return done(Error::Invalid("event", "event must be register, move_in or birth"));
  }
  if (in.household_id == 0 && in.node_id == 0) {
    return done(Error::Invalid("household_id", "give household_id (or node_id for a resident without a household)"));
  }
  Millis now = clock_.NowMillis();
  storage::SubmitWrite<ResidentView>(db_, [=, this, f = std::move(*fields)](SqlSession& s) -> Result<ResidentView> {
    ResidentRow r;
    if (in.household_id != 0) {
      LINLI_ASSIGN_OR_RETURN(auto found, HouseholdRepo::Get(s, in.household_id));
      LINLI_ASSIGN_OR_RETURN(auto h, AsReference(VisibleRecord(std::move(found), who, "household", in.household_id,
                                                               perm::kResidentWrite), "household_id"));
      if (h.status != "active") return Error::Invalid("household_id", "the household is closed");
      if (f.relation == "head" && h.head_id != 0) {
        return Error::Invalid("relation", "the household has a head already (resident " + std::to_string(h.head_id) + ")");
      }
      r.household_id = h.id;
      r.node_id = h.node_id;
      r.node_path = h.node_path;
    } else {
      LINLI_ASSIGN_OR_RETURN(auto node, AsReference(VisibleNode(s, who, in.node_id, perm::kResidentWrite), "node_id"));
      if (!IsPlaceNode(node.type)) return Error::Invalid("node_id", "residents belong to a grid or a community");
      r.node_id = node.id;
      r.node_path = node.path;
    }
    LINLI_TRY(CheckCustomTags(s, r.node_path, f.public_tags));
    if (!f.id_number.empty()) {
      LINLI_ASSIGN_OR_RETURN(auto same, ResidentRepo::FindByIdIndex(s, crypto_->BlindIndex("id_number", f.id_number)));
      for (const auto& other : same) {
        if (other.status == "active") {
          // Say where only if the caller may see it.
          bool visible = domain::Allows(who.principal, perm::kResidentRead, other.node_path);
          return Error::Exists("id_number", "this ID number is registered already" +
                                                (visible ? " (resident " + std::to_string(other.id) + ")" : std::string()));
        }
      }
    }
    LINLI_ASSIGN_OR_RETURN(r.id, s.NextId("residents"));
    Seal(f, r);
    r.created_at = now;
    LINLI_ASSIGN_OR_RETURN(r.duplicate_of, ResidentRepo::LikelyDuplicate(s, r.household_id, r.name, r.birth_date, r.id));
    LINLI_ASSIGN_OR_RETURN(r, ResidentRepo::Insert(s, std::move(r)));
    if (r.household_id != 0) {
      LINLI_TRY(HouseholdRepo::AdjustMembers(s, r.household_id, 1,
                                             f.relation == "head" ? std::optional(r.id) : std::nullopt, now));
    }
    LINLI_TRY(ResidentRepo::AddEvent(s, {.resident_id = r.id, .node_path = r.node_path, .kind = in.event, .at = now,
                                         .actor_id = who.user_id(),
                                         .detail = JsonObject().Add("household_id", r.household_id).Str()}));
    LINLI_TRY(audit_.Record(s, who, {.action = "resident.create", .node_path = r.node_path,
                                     .target = RecordRef("resident", r.id),
                                     .detail = JsonObject().Add("event", in.event).Str()}));
    return View(r, false, today);
  }, std::move(done));
}

void RegistryService::UpdateResident(const Caller& who, std::int64_t id, ResidentPatch patch, Done<ResidentView> done) {
  Millis now = clock_.NowMillis();
  storage::SubmitWrite<ResidentView>(db_, [=, this](SqlSession& s) -> Result<ResidentView> {
    return ApplyResidentPatch(s, who, id, patch, now);
  }, std::move(done));
}

Result<ResidentView> RegistryService::ApplyResidentPatch(SqlSession& s, const Caller& who, std::int64_t id,
                                                         const ResidentPatch& patch, Millis now, std::string_view via) {
  auto today = domain::ChinaDate(now);
  LINLI_ASSIGN_OR_RETURN(auto found, ResidentRepo::Get(s, id));
  LINLI_ASSIGN_OR_RETURN(auto before, VisibleRecord(std::move(found), who, "resident", id, perm::kResidentWrite));
  if (patch.version && *patch.version != before.version) {
    return Error{ErrorCode::kAborted, "the resident was changed by someone else; reload", "version"};
  }
  if (before.status != "active") return Error::Precondition("only an active resident can be edited");
  LINLI_ASSIGN_OR_RETURN(auto cur, Decrypt(before));
  domain::ResidentInput in;
  in.name = patch.name.value_or(cur.name);
  in.gender = patch.gender.value_or(std::string(1, cur.gender));
  in.birth_date = patch.birth_date.value_or(cur.birth_date.Iso());
  in.id_number = patch.id_number.value_or(cur.id_number);
  in.phone = patch.phone.value_or(cur.phone);
  in.ethnic = patch.ethnic.value_or(cur.ethnic);
  in.residence_type = patch.residence_type.value_or(cur.residence_type);
  in.occupation = patch.occupation.value_or(cur.occupation);
  in.relation = patch.relation.value_or(cur.relation);
  if (patch.tags) {
    in.tags = *patch.tags;
  } else {
    in.tags = cur.public_tags;
    in.tags.insert(in.tags.end(), cur.sensitive_tags.begin(), cur.sensitive_tags.end());
  }
  // New tags without a level drop the old level (the disabled tag may be gone).
  in.disability_level = patch.disability_level.value_or(patch.tags ? 0 : cur.disability_level);
  LINLI_ASSIGN_OR_RETURN(auto f, domain::ValidateResident(in, today));
  ResidentRow r = before;
  std::vector<std::string> changed;
  auto note = [&](bool differs, const char* field) { if (differs) changed.emplace_back(field); };
  note(f.name != cur.name, "name");
  note(f.gender != cur.gender, "gender");
  note(f.birth_date != cur.birth_date, "birth_date");
  note(f.id_number != cur.id_number, "id_number");
  note(f.phone != cur.phone, "phone");
  note(f.ethnic != cur.ethnic, "ethnic");
  note(f.residence_type != cur.residence_type, "residence_type");
  note(f.occupation != cur.occupation, "occupation");
  note(f.relation != cur.relation, "relation");
  note(f.public_tags != cur.public_tags || f.sensitive_tags != cur.sensitive_tags ||
           f.disability_level != cur.disability_level, "tags");
  if (f.id_number != cur.id_number && !f.id_number.empty()) {
    LINLI_ASSIGN_OR_RETURN(auto same, ResidentRepo::FindByIdIndex(s, crypto_->BlindIndex("id_number", f.id_number)));
    for (const auto& other : same) {
      if (other.status == "active" && other.id != id) return Error::Exists("id_number", "this ID number is registered already");
    }
  }
  std::int64_t old_household = before.household_id;
  if (patch.household_id && *patch.household_id != before.household_id) {
    changed.emplace_back("household_id");
    LINLI_ASSIGN_OR_RETURN(auto hf, HouseholdRepo::Get(s, *patch.household_id));
    LINLI_ASSIGN_OR_RETURN(auto h, AsReference(VisibleRecord(std::move(hf), who, "household", *patch.household_id,
                                                             perm::kResidentWrite), "household_id"));
    if (h.status != "active") return Error::Invalid("household_id", "the household is closed");
    if (f.relation == "head" && h.head_id != 0) return Error::Invalid("relation", "the household has a head already");
    r.household_id = h.id;
    r.node_id = h.node_id;
    r.node_path = h.node_path;
  }
  LINLI_TRY(CheckCustomTags(s, r.node_path, f.public_tags, cur.public_tags));
  Seal(f, r);
  r.updated_at = now;
  LINLI_ASSIGN_OR_RETURN(r.duplicate_of, ResidentRepo::LikelyDuplicate(s, r.household_id, r.name, r.birth_date, r.id));
  LINLI_TRY(ResidentRepo::Update(s, before, r));
  if (r.household_id != old_household) {
    if (old_household) {
      LINLI_TRY(HouseholdRepo::AdjustMembers(s, old_household, -1,
                                             before.relation == "head" ? std::optional<std::int64_t>(0) : std::nullopt, now));
    }
    LINLI_TRY(HouseholdRepo::AdjustMembers(s, r.household_id, 1,
                                           f.relation == "head" ? std::optional(r.id) : std::nullopt, now));
  }
  std::string fields_json = "[";
  for (std::size_t i = 0; i < changed.size(); ++i) fields_json += (i ? ",\"" : "\"") + changed[i] + "\"";
  fields_json += "]";
  JsonObject detail;
  detail.AddRaw("fields", fields_json);
  if (!via.empty()) detail.Add("via", via);
  LINLI_TRY(ResidentRepo::AddEvent(s, {.resident_id = id, .node_path = r.node_path,
                                       .kind = r.household_id != old_household ? "relocate" : "update", .at = now,
                                       .actor_id = who.user_id(), .detail = detail.Str()}));
  LINLI_TRY(audit_.Record(s, who, {.action = "resident.update", .node_path = r.node_path,
                                   .target = RecordRef("resident", id), .detail = detail.Str()}));
  r.version = before.version + 1;
  return View(r, false, today);
}

void RegistryService::RecordLifeEvent(const Caller& who, std::int64_t id, std::string kind, std::string note,
                                      Done<ResidentView> done) {
  static const std::pair<std::string_view, std::string_view> kStatusOf[] = {
      {"move_out", "moved_out"}, {"death", "deceased"}, {"archive", "archived"}};
  std::string status;
  for (auto [k, st] : kStatusOf) {
    if (kind == k) status = st;
  }
  if (status.empty()) return done(Error::Invalid("kind", "kind must be move_out, death or archive"));
  if (auto st = domain::ValidateText("note", note, {.min_chars = 0, .max_chars = 500}); !st) return done(st.error());
  auto today = Today();
  Millis now = clock_.NowMillis();
  storage::SubmitWrite<ResidentView>(db_, [=, this](SqlSession& s) -> Result<ResidentView> {
    LINLI_ASSIGN_OR_RETURN(auto found, ResidentRepo::Get(s, id));
    LINLI_ASSIGN_OR_RETURN(auto before, VisibleRecord(std::move(found), who, "resident", id, perm::kResidentWrite));
    if (before.status != "active") return Error::Precondition("the resident is " + before.status + " already");
    ResidentRow r = before;
    r.status = status;
    r.household_id = 0;
    r.updated_at = now;
    r.tag_keys.clear();
    for (const auto& t : SplitTags(before.tags)) r.tag_keys.push_back(TagKey(t));
    LINLI_ASSIGN_OR_RETURN(auto cur, Decrypt(before));
    for (const auto& t : cur.sensitive_tags) r.tag_keys.push_back(TagKey(t));
    LINLI_TRY(ResidentRepo::Update(s, before, r));
    if (before.household_id) {
      LINLI_TRY(HouseholdRepo::AdjustMembers(s, before.household_id, -1,
                                             before.relation == "head" ? std::optional<std::int64_t>(0) : std::nullopt, now));
    }
    // The note may name personal circumstances: it is kept encrypted.
    auto detail = JsonObject().Add("household_id", before.household_id);
    if (!note.empty()) detail.Add("note_enc", crypto_->Seal(note, RecordRef("resident_events.note", id)));
    LINLI_TRY(ResidentRepo::AddEvent(s, {.resident_id = id, .node_path = r.node_path, .kind = kind, .at = now,
                                         .actor_id = who.user_id(), .detail = detail.Str()}));
    LINLI_TRY(audit_.Record(s, who, {.action = "resident." + kind, .node_path = r.node_path,
                                     .target = RecordRef("resident", id)}));
    r.version = before.version + 1;
    return View(r, false, today);
  }, std::move(done));
}

Result<ResidentView> RegistryService::GetResident(const Caller& who, std::int64_t id) {
  auto today = Today();
  auto v = storage::ReadValue<ResidentView>(db_, [&](SqlSession& s) -> Result<ResidentView> {
    LINLI_ASSIGN_OR_RETURN(auto found, ResidentRepo::Get(s, id));
    LINLI_ASSIGN_OR_RETURN(auto r, VisibleRecord(std::move(found), who, "resident", id, perm::kResidentRead));
    auto v = View(r, false, today);
    audit_.RecordAlone(who, {.action = "resident.read", .node_path = r.node_path, .target = RecordRef("resident", id)});
    return v;
  });
  return v;
}

Result<std::vector<storage::ResidentEventRow>> RegistryService::History(const Caller& who, std::int64_t id) {
  return storage::ReadValue<std::vector<storage::ResidentEventRow>>(
      db_, [&](SqlSession& s) -> Result<std::vector<storage::ResidentEventRow>> {
        LINLI_ASSIGN_OR_RETURN(auto found, ResidentRepo::Get(s, id));
        LINLI_TRY(VisibleRecord(std::move(found), who, "resident", id, perm::kResidentRead));
        LINLI_ASSIGN_OR_RETURN(auto events, ResidentRepo::Events(s, id));
        for (auto& e : events) {  // notes stay sealed in history lists
          if (e.detail.find("note_enc") != std::string::npos) {
            e.detail = JsonObject().Add("note", "(encrypted; unmask the resident to read)").Str();
          }
        }
        return events;
      });
}

Result<ResidentView> RegistryService::Unmask(const Caller& who, std::int64_t id, const std::string& reason) {
  if (auto st = domain::ValidateText("reason", reason, {.min_chars = 4, .max_chars = 200, .single_line = true}); !st) {
    return Error::Invalid("reason", "give a reason of at least 4 characters for revealing personal data");
  }
  auto today = Today();
  // The audit entry commits before anything is revealed.
  return storage::WriteAndWait<ResidentView>(db_, [&](SqlSession& s) -> Result<ResidentView> {
    LINLI_ASSIGN_OR_RETURN(auto found, ResidentRepo::Get(s, id));
    LINLI_ASSIGN_OR_RETURN(auto r, VisibleRecord(std::move(found), who, "resident", id, perm::kResidentUnmask));
    LINLI_TRY(audit_.Record(s, who, {.action = "resident.unmask", .node_path = r.node_path,
                                     .target = RecordRef("resident", id),
                                     .detail = JsonObject().Add("reason", reason).Str()}));
    return View(r, true, today);
  });
}

Result<std::vector<ResidentView>> RegistryService::Lookup(const Caller& who, const std::string& id_number,
                                                          const std::string& phone) {
  if (id_number.empty() == phone.empty()) return Error::Invalid("id_number", "give either id_number or phone");
  auto today = Today();
  std::string index, kind;
  if (!id_number.empty()) {
    LINLI_ASSIGN_OR_RETURN(auto parsed, domain::ParseIdNumber(id_number, today));
    index = crypto_->BlindIndex("id_number", parsed.number);
    kind = "id_number";
  } else {
    LINLI_ASSIGN_OR_RETURN(auto p, domain::NormalizeMobile(phone));
    index = crypto_->BlindIndex("phone", p);
    kind = "phone";
  }
  auto scope = domain::ScopeFor(who.principal, perm::kResidentRead);
  if (scope.Empty()) return Error::Denied();
  LINLI_ASSIGN_OR_RETURN(auto rows, storage::ReadValue<std::vector<ResidentRow>>(db_, [&](SqlSession& s) {
    return kind == "phone" ? ResidentRepo::FindByPhoneIndex(s, index, scope.prefixes())
                           : ResidentRepo::FindByIdIndex(s, index);
  }));
  std::vector<ResidentView> out;
  for (const auto& r : rows) {
    if (scope.Covers(r.node_path)) out.push_back(View(r, false, today));
  }
  audit_.RecordAlone(who, {.action = "resident.lookup", .target = "resident:lookup",
                           .detail = JsonObject().Add("by", kind).Add("found", static_cast<std::int64_t>(out.size())).Str()});
  return out;
}

Result<std::vector<ResidentView>> RegistryService::ListResidents(const Caller& who, const ResidentFilter& f) {
  auto today = Today();
  LINLI_ASSIGN_OR_RETURN(auto rows, storage::ReadValue<std::vector<ResidentRow>>(
                                        db_, [&](SqlSession& s) -> Result<std::vector<ResidentRow>> {
                                          LINLI_ASSIGN_OR_RETURN(auto q, Query(s, who, perm::kResidentRead, f));
                                          return ResidentRepo::List(s, q);
                                        }));
  std::vector<ResidentView> out;
  out.reserve(rows.size());
  for (const auto& r : rows) out.push_back(View(r, false, today));
  audit_.RecordAlone(who, {.action = "resident.list", .node_path = "",
                           .target = f.node_id ? RecordRef("org_node", *f.node_id) : std::string("resident:list"),
                           .detail = JsonObject().Add("rows", static_cast<std::int64_t>(out.size())).Str()});
  return out;
}

Result<std::int64_t> RegistryService::CountResidents(const Caller& who, const ResidentFilter& f) {
  return storage::ReadValue<std::int64_t>(db_, [&](SqlSession& s) -> Result<std::int64_t> {
    LINLI_ASSIGN_OR_RETURN(auto q, Query(s, who, perm::kResidentRead, f));
    return ResidentRepo::Count(s, q);
  });
}

Result<NodeCounts> RegistryService::Counts(const Caller& who, std::int64_t node_id) {
  auto today = Today();
  return storage::ReadValue<NodeCounts>(db_, [&](SqlSession& s) -> Result<NodeCounts> {
    LINLI_ASSIGN_OR_RETURN(auto node, VisibleNode(s, who, node_id, perm::kOrgRead));
    NodeCounts c;
    LINLI_ASSIGN_OR_RETURN(c.rollups, storage::RollupRepo::ForNode(s, node_id));
    if (domain::Allows(who.principal, perm::kResidentRead, node.path)) {
      storage::ResidentListQuery q;
      q.prefixes = {node.path};
      q.born_to = domain::YearsBefore(today, domain::kElderlyAge).Iso();
      LINLI_ASSIGN_OR_RETURN(c.elderly, ResidentRepo::Count(s, q));
    }
    return c;
  });
}

}  // namespace linli::service
