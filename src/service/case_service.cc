#include "service/case_service.h"

#include <boost/json.hpp>

#include <algorithm>
#include <map>

#include "core/chinese_text.h"
#include "core/crypto.h"
#include "core/json_text.h"
#include "domain/identity.h"
#include "domain/media.h"
#include "domain/registry.h"
#include "domain/text.h"
#include "service/auth_service.h"
#include "service/org_service.h"
#include "service/records.h"
#include "storage/account_repo.h"
#include "storage/org_repo.h"
#include "storage/registry_repo.h"

namespace linli::service {

namespace json = boost::json;
using domain::CaseAction;
using domain::CaseState;
using storage::CaseRow;
using storage::SqlSession;
namespace perm = domain::perm;

namespace {

constexpr std::string_view kCalendarSetting = "work_calendar";

// Tracking codes: no 0/O, 1/I/L, so they survive being read out over the phone.
constexpr std::string_view kTrackingAlphabet = "23456789ABCDEFGHJKMNPQRSTUVWXYZ";
constexpr std::size_t kTrackingLength = 10;

constexpr std::string_view kResidentChannels[] = {channel::kResidentWeb, channel::kQrCode, channel::kOpen311};
constexpr std::string_view kStaffChannels[] = {channel::kMicroGridClue, channel::kPatrol, channel::kVisit,
                                               channel::kHotline, channel::kMeeting};

std::string ChannelChoices(bool resident) {
  std::string out;
  for (auto c : resident ? std::span<const std::string_view>(kResidentChannels) : std::span<const std::string_view>(kStaffChannels)) {
    out += (out.empty() ? "" : ", ") + std::string(c);
  }
  return out;
}

domain::CaseStatus StatusOf(const CaseRow& c) {
  domain::CaseStatus s;
  s.state = domain::ParseCaseState(c.state).value_or(CaseState::kReported);
  s.level = domain::ParseHandlingLevel(c.level).value_or(domain::HandlingLevel::kGrid);
  s.reopen_count = c.reopen_count;
  s.supervised = c.supervised;
  return s;
}

std::string NormalizeTracking(std::string_view code) {
  std::string out;
  for (char ch : code) {
    if (ch == '-' || ch == ' ') continue;
    out += static_cast<char>(ch >= 'a' && ch <= 'z' ? ch - 'a' + 'A' : ch);
  }
  return out;
}

Status CheckTracking(const std::string& code) {
  if (code.size() != kTrackingLength ||
      !std::ranges::all_of(code, [](char ch) { return kTrackingAlphabet.find(ch) != std::string_view::npos; })) {
    return Error::Invalid("tracking_code", "a tracking code has 10 letters and digits, as printed on the receipt");
  }
  return Ok();
}

// The staff event kinds a resident sees on the public timeline, with the notes they may read.
bool PublicStep(std::string_view action) {
  return action == "report" || action == "accept" || action == "reject" || action == "assign" || action == "start" ||
         action == "resolve" || action == "escalate" || action == "dispatch" || action == "close" ||
         action == "reopen" || action == "rate";
}
bool PublicNote(std::string_view action) { return action == "resolve" || action == "reject" || action == "rate"; }

}  // namespace

// Deadlines of an urgent case are a quarter of the category's.
std::int64_t CaseDeadlineMinutes(int minutes, std::string_view priority) {
  return priority == "urgent" ? std::max(15, minutes / 4) : minutes;
}

// The next deadline the scheduler watches for a case, 0 when none: the response deadline until the
// case is answered, the resolution deadline until it is resolved, then the end of the rating window.
Millis CaseNextDue(const CaseRow& c) {
  auto state = domain::ParseCaseState(c.state).value_or(CaseState::kReported);
  if (state == CaseState::kResolved) return c.resolved_at + kRatingWindow;
  if (!domain::IsOpen(state)) return 0;
  Millis next = 0;
  auto consider = [&](Millis t) { next = next == 0 ? t : std::min(next, t); };
  if (c.responded_at == 0 && !(c.overdue & 1)) consider(c.response_due_at);
  if (!(c.overdue & 2)) consider(c.resolve_due_at);
  return next;
}


std::string PublicClient(std::string_view ip, std::string_view device_id) {
  bool valid = device_id.size() >= 8 && device_id.size() <= 64 &&
               std::ranges::all_of(device_id, [](char c) { return std::isalnum(static_cast<unsigned char>(c)) || c == '-' || c == '_'; });
  return valid ? std::string(ip) + "|" + std::string(device_id) : std::string(ip);
}

Status CaseService::AllowPublic(std::string_view what, const std::string& client) {
  Millis now = clock_.NowMillis();
  auto bar = client.find('|');
  bool allowed = bar == std::string::npos
                     ? public_limiter_.Allow(std::string(what) + ":ip:" + client, now)
                     : public_limiter_.Allow(std::string(what) + ":dev:" + client.substr(bar + 1), now) &&
                           shared_ip_limiter_.Allow(std::string(what) + ":ip:" + client.substr(0, bar), now);
  if (!allowed) return Error{ErrorCode::kResourceExhausted, "too many requests from this phone or address; try again in a minute", {}};
  return Ok();
}

std::string ResidentFormUrl(std::string_view base_url, std::string_view node_code) {
  std::string base(base_url);
  while (!base.empty() && base.back() == '/') base.pop_back();
  return base + "/h5/report?node=" + std::string(node_code);
}

std::string BuildingPageUrl(std::string_view base_url, std::string_view building_code) {
  std::string base(base_url);
  while (!base.empty() && base.back() == '/') base.pop_back();
  std::string out = base + "/h5/building/";
  static const char* hex = "0123456789ABCDEF";
  for (unsigned char ch : building_code) {  // codes are letters, digits and '-'; anything else is escaped
    if (std::isalnum(ch) || ch == '-' || ch == '_' || ch == '.') {
      out += static_cast<char>(ch);
    } else {
      out += '%';
      out += hex[ch >> 4];
      out += hex[ch & 15];
    }
  }
  return out;
}

bool IsResidentChannel(std::string_view c) { return std::ranges::find(kResidentChannels, c) != std::end(kResidentChannels); }
bool IsStaffChannel(std::string_view c) { return std::ranges::find(kStaffChannels, c) != std::end(kStaffChannels); }

// ---------------------------------------------------------------------------------------------
// Categories as JSON

std::string CategoryToJson(const domain::CategoryDefinition& c) {
  json::object o;
  o["code"] = c.code;
  o["group_code"] = c.group_code;
  o["name"] = c.name;
  o["default_level"] = domain::HandlingLevelName(c.default_level);
  o["response_minutes"] = c.response_minutes;
  o["resolve_minutes"] = c.resolve_minutes;
  o["department"] = c.department;
  o["escalate_when_overdue"] = c.escalate_when_overdue;
  json::array attrs;
  for (const auto& a : c.attributes) {
    json::object x;
    x["code"] = a.code;
    x["description"] = a.description;
    x["datatype"] = domain::AttributeTypeName(a.type);
    x["required"] = a.required;
    json::array values;
    for (const auto& v : a.values) values.emplace_back(json::object{{"key", v.key}, {"name", v.name}});
    x["values"] = std::move(values);
    attrs.emplace_back(std::move(x));
  }
  o["attributes"] = std::move(attrs);
  return json::serialize(o);
}

namespace {

Result<std::string> TextField(const json::object& o, std::string_view key, std::string_view field, bool required) {
  const auto* v = o.if_contains(key);
  if (!v || v->is_null()) {
    if (required) return Error::Invalid(std::string(field), std::string(field) + " is required");
    return std::string();
  }
  if (!v->is_string()) return Error::Invalid(std::string(field), std::string(field) + " must be a string");
  return std::string(v->as_string());
}

Result<int> IntField(const json::object& o, std::string_view key) {
  const auto* v = o.if_contains(key);
  if (!v || v->is_null()) return 0;
  if (!v->is_int64() || v->as_int64() < 0 || v->as_int64() > 10'000'000) {
    return Error::Invalid(std::string(key), std::string(key) + " must be a whole number of minutes");
  }
  return static_cast<int>(v->as_int64());
}

Result<bool> BoolField(const json::object& o, std::string_view key, std::string_view field) {
  const auto* v = o.if_contains(key);
  if (!v || v->is_null()) return false;
  if (!v->is_bool()) return Error::Invalid(std::string(field), std::string(field) + " must be true or false");
  return v->as_bool();
}

Status KnownKeys(const json::object& o, std::initializer_list<std::string_view> known, const std::string& where) {
  for (const auto& kv : o) {
    std::string_view k(kv.key().data(), kv.key().size());
    if (std::ranges::find(known, k) == known.end()) {
      std::string field = where.empty() ? std::string(k) : where + "." + std::string(k);
      return Error::Invalid(field, "unknown field " + field);
    }
  }
  return Ok();
}

}  // namespace

Result<domain::CategoryDefinition> CategoryFromJson(std::string_view text) {
  boost::system::error_code ec;
  json::value v = json::parse(text, ec);
  if (ec || !v.is_object()) return Error::Invalid("body", "a category is a JSON object");
  const auto& o = v.as_object();
  LINLI_TRY(KnownKeys(o, {"code", "group_code", "name", "default_level", "response_minutes", "resolve_minutes",
                          "department", "escalate_when_overdue", "attributes"}, ""));
  domain::CategoryDefinition c;
  LINLI_ASSIGN_OR_RETURN(c.code, TextField(o, "code", "code", true));
  LINLI_ASSIGN_OR_RETURN(c.group_code, TextField(o, "group_code", "group_code", false));
  LINLI_ASSIGN_OR_RETURN(c.name, TextField(o, "name", "name", true));
  LINLI_ASSIGN_OR_RETURN(auto level, TextField(o, "default_level", "default_level", false));
  if (!level.empty()) {
    auto l = domain::ParseHandlingLevel(level);
    if (!l) return Error::Invalid("default_level", "default_level must be micro_grid, grid, community or subdistrict");
    c.default_level = *l;
  }
  LINLI_ASSIGN_OR_RETURN(c.response_minutes, IntField(o, "response_minutes"));
  LINLI_ASSIGN_OR_RETURN(c.resolve_minutes, IntField(o, "resolve_minutes"));
  LINLI_ASSIGN_OR_RETURN(c.department, TextField(o, "department", "department", false));
  LINLI_ASSIGN_OR_RETURN(c.escalate_when_overdue, BoolField(o, "escalate_when_overdue", "escalate_when_overdue"));
  if (const auto* attrs = o.if_contains("attributes"); attrs && !attrs->is_null()) {
    if (!attrs->is_array()) return Error::Invalid("attributes", "attributes must be a list");
    if (attrs->as_array().size() > 30) return Error::Invalid("attributes", "at most 30 attributes");
    for (std::size_t i = 0; i < attrs->as_array().size(); ++i) {
      std::string where = "attributes[" + std::to_string(i) + "]";
      const auto& item = attrs->as_array()[i];
      if (!item.is_object()) return Error::Invalid(where, where + " must be an object");
      const auto& a = item.as_object();
      LINLI_TRY(KnownKeys(a, {"code", "description", "datatype", "required", "values"}, where));
      domain::AttributeDefinition d;
      LINLI_ASSIGN_OR_RETURN(d.code, TextField(a, "code", where + ".code", true));
      LINLI_ASSIGN_OR_RETURN(d.description, TextField(a, "description", where + ".description", true));
      LINLI_ASSIGN_OR_RETURN(auto type, TextField(a, "datatype", where + ".datatype", true));
      auto t = domain::ParseAttributeType(type);
      if (!t) return Error::Invalid(where + ".datatype", "datatype must be string, number, datetime, text, singlevaluelist or multivaluelist");
      d.type = *t;
      LINLI_ASSIGN_OR_RETURN(d.required, BoolField(a, "required", where + ".required"));
      if (const auto* values = a.if_contains("values"); values && !values->is_null()) {
        if (!values->is_array() || values->as_array().size() > 100) {
          return Error::Invalid(where + ".values", "values must be a list of at most 100 {key, name}");
        }
        for (const auto& value : values->as_array()) {
          if (!value.is_object()) return Error::Invalid(where + ".values", "each value is {key, name}");
          LINLI_ASSIGN_OR_RETURN(auto key, TextField(value.as_object(), "key", where + ".values", true));
          LINLI_ASSIGN_OR_RETURN(auto name, TextField(value.as_object(), "name", where + ".values", true));
          d.values.push_back({std::move(key), std::move(name)});
        }
      }
      c.attributes.push_back(std::move(d));
    }
  }
  LINLI_TRY(domain::ValidateCategory(c));
  return c;
}

// ---------------------------------------------------------------------------------------------
// The catalogue

std::string CalendarToJson(const domain::WorkCalendar& c) {
  json::array sessions, holidays, workdays;
  auto hhmm = [](int minutes) {
    char buf[32];  // room for any int, so the compiler sees no truncation
    std::snprintf(buf, sizeof buf, "%02d:%02d", minutes / 60, minutes % 60);
    return std::string(buf);
  };
  for (const auto& [from, to] : c.sessions) sessions.push_back(json::array{json::value(hhmm(from)), json::value(hhmm(to))});
  for (const auto& d : c.holidays) holidays.emplace_back(d.Iso());
  for (const auto& d : c.workdays) workdays.emplace_back(d.Iso());
  return json::serialize(json::object{{"sessions", sessions}, {"holidays", holidays}, {"workdays", workdays}});
}

Result<domain::WorkCalendar> CalendarFromJson(std::string_view text) {
  json::error_code ec;
  auto v = json::parse(text, ec);
  if (ec || !v.is_object()) return Error::Invalid("body", "the calendar is a JSON object");
  const auto& o = v.as_object();
  LINLI_TRY(KnownKeys(o, {"sessions", "holidays", "workdays"}, ""));
  domain::WorkCalendar c;
  auto dates = [&](const char* field, std::set<domain::CivilDate>& out) -> Status {
    auto it = o.find(field);
    if (it == o.end()) return Ok();
    if (!it->value().is_array()) return Error::Invalid(field, std::string(field) + " is a list of dates (YYYY-MM-DD)");
    const auto& a = it->value().as_array();
    if (a.size() > 2000) return Error::Invalid(field, "at most 2000 dates");
    for (std::size_t i = 0; i < a.size(); ++i) {
      std::string name = std::string(field) + "[" + std::to_string(i) + "]";
      if (!a[i].is_string()) return Error::Invalid(name, name + " must be a date (YYYY-MM-DD)");
      LINLI_ASSIGN_OR_RETURN(auto d, domain::ParseCivilDate(std::string(a[i].as_string()), name));
      out.insert(d);
    }
    return Ok();
  };
  LINLI_TRY(dates("holidays", c.holidays));
  LINLI_TRY(dates("workdays", c.workdays));
  for (const auto& d : c.holidays) {
    if (c.workdays.contains(d)) return Error::Invalid("workdays", d.Iso() + " cannot be a holiday and a workday");
  }
  if (auto it = o.find("sessions"); it != o.end()) {
    if (!it->value().is_array() || it->value().as_array().empty() || it->value().as_array().size() > 4) {
      return Error::Invalid("sessions", "sessions is a list of one to four [\"08:30\",\"12:00\"] pairs");
    }
    c.sessions.clear();
    int last_end = -1;
    const auto& a = it->value().as_array();
    for (std::size_t i = 0; i < a.size(); ++i) {
      std::string name = "sessions[" + std::to_string(i) + "]";
      auto minutes = [&](const json::value& t) -> int {
        if (!t.is_string() || t.as_string().size() != 5 || t.as_string()[2] != ':') return -1;
        std::string str(t.as_string());
        if (!std::isdigit(static_cast<unsigned char>(str[0])) || !std::isdigit(static_cast<unsigned char>(str[1])) ||
            !std::isdigit(static_cast<unsigned char>(str[3])) || !std::isdigit(static_cast<unsigned char>(str[4]))) {
          return -1;
        }
        int h = std::stoi(str.substr(0, 2)), m = std::stoi(str.substr(3, 2));
        return h <= 24 && m < 60 && h * 60 + m <= 24 * 60 ? h * 60 + m : -1;
      };
      if (!a[i].is_array() || a[i].as_array().size() != 2) return Error::Invalid(name, name + " is [\"HH:MM\",\"HH:MM\"]");
      int from = minutes(a[i].as_array()[0]), to = minutes(a[i].as_array()[1]);
      if (from < 0 || to < 0 || to <= from || from < last_end) {
        return Error::Invalid(name, name + " must be a later, non-overlapping span of HH:MM times");
      }
      c.sessions.emplace_back(from, to);
      last_end = to;
    }
  }
  return c;
}

std::shared_ptr<const CaseService::Catalogue> CaseService::catalogue() const {
  std::lock_guard lock(catalogue_mu_);
  return catalogue_;
}

Status CaseService::LoadCatalogue(SqlSession& s) {
  LINLI_ASSIGN_OR_RETURN(auto rows, storage::CategoryRepo::All(s));
  auto next = std::make_shared<Catalogue>();
  for (const auto& r : rows) {
    LINLI_ASSIGN_OR_RETURN(auto def, CategoryFromJson(r.definition));
    next->all.push_back(std::move(def));
    next->retired_at.push_back(r.retired_at);
  }
  std::lock_guard lock(catalogue_mu_);
  catalogue_ = std::move(next);
  return Ok();
}

std::shared_ptr<const domain::WorkCalendar> CaseService::Calendar() const {
  std::lock_guard lock(calendar_mu_);
  return calendar_;
}

void CaseService::SaveCalendar(const Caller& who, domain::WorkCalendar calendar, Done<domain::WorkCalendar> done) {
  if (!who.is_system() && !domain::HoldsAtRoot(who.principal, perm::kCaseSupervise)) {
    return done(Error::Denied("the subdistrict sets the working calendar (case.supervise at a root node: the subdistrict, or in a city its district)"));
  }
  storage::SubmitWrite<domain::WorkCalendar>(db_, [=, this](SqlSession& s) -> Result<domain::WorkCalendar> {
    std::string json = CalendarToJson(calendar);
    LINLI_TRY(storage::AccountRepo::PutSetting(s, kCalendarSetting, json));
    LINLI_TRY(audit_.Record(s, who, {.action = "work_calendar.save", .target = "work_calendar", .detail = json}));
    std::lock_guard lock(calendar_mu_);
    calendar_ = std::make_shared<const domain::WorkCalendar>(calendar);
    return calendar;
  }, std::move(done));
}

Result<int> CaseService::EnsureEventPartitions() {
  return storage::WriteAndWait<int>(db_, [now = clock_.NowMillis()](SqlSession& s) {
    return storage::CaseRepo::EnsureEventPartitions(s, now);
  });
}

Status CaseService::Prepare() {
  Millis now = clock_.NowMillis();
  LINLI_TRY(StatusOf(EnsureEventPartitions()));
  LINLI_TRY(db_.WriteSync([&](SqlSession& s) -> Status {
    LINLI_ASSIGN_OR_RETURN(auto rows, storage::CategoryRepo::All(s));
    if (!rows.empty()) return Ok();
    int position = 0;
    for (const auto& c : domain::DefaultCategories()) {
      LINLI_TRY(storage::CategoryRepo::Upsert(s, {c.code, c.group_code, c.name, ++position, CategoryToJson(c), 0, now}));
    }
    return Ok();
  }));
  return db_.Read([&](SqlSession& s) -> Status {
    LINLI_TRY(LoadCatalogue(s));
    LINLI_ASSIGN_OR_RETURN(auto saved, storage::AccountRepo::Setting(s, kCalendarSetting));
    if (saved) {
      LINLI_ASSIGN_OR_RETURN(auto calendar, CalendarFromJson(*saved));
      std::lock_guard lock(calendar_mu_);
      calendar_ = std::make_shared<const domain::WorkCalendar>(std::move(calendar));
    }
    return Ok();
  });
}

std::vector<domain::CategoryDefinition> CaseService::Categories(bool include_retired) const {
  auto cat = catalogue();
  std::vector<domain::CategoryDefinition> out;
  if (!cat) return out;
  for (std::size_t i = 0; i < cat->all.size(); ++i) {
    if (include_retired || cat->retired_at[i] == 0) out.push_back(cat->all[i]);
  }
  return out;
}

std::shared_ptr<const std::vector<domain::CategoryDefinition>> CaseService::AllCategories() const {
  auto cat = catalogue();
  if (!cat) return std::make_shared<const std::vector<domain::CategoryDefinition>>();
  return {cat, &cat->all};  // shares the catalogue's ownership
}

std::optional<domain::CategoryDefinition> CaseService::Category(std::string_view code) const {
  auto cat = catalogue();
  if (!cat) return std::nullopt;
  for (std::size_t i = 0; i < cat->all.size(); ++i) {
    if (cat->all[i].code == code && cat->retired_at[i] == 0) return cat->all[i];
  }
  return std::nullopt;
}

void CaseService::SaveCategory(const Caller& who, domain::CategoryDefinition def, Done<domain::CategoryDefinition> done) {
  if (!who.is_system() && !domain::HoldsAtRoot(who.principal, perm::kCaseSupervise)) {
    return done(Error::Denied("the subdistrict sets the categories (case.supervise at a root node: the subdistrict, or in a city its district)"));
  }
  if (auto st = domain::ValidateCategory(def); !st) return done(st.error());
  Millis now = clock_.NowMillis();
  storage::SubmitWrite<domain::CategoryDefinition>(db_, [=, this](SqlSession& s) -> Result<domain::CategoryDefinition> {
    LINLI_ASSIGN_OR_RETURN(auto rows, storage::CategoryRepo::All(s));
    int position = 0;
    bool group_found = def.group_code.empty();
    for (const auto& r : rows) {
      if (r.code == def.code) {
        if (r.group_code != def.group_code) return Error::Invalid("group_code", "a category cannot change its group");
        position = r.position;
      }
      if (!def.group_code.empty() && r.code == def.group_code && r.group_code.empty() && r.retired_at == 0) group_found = true;
    }
    if (!group_found) return Error::Invalid("group_code", "no group " + def.group_code + "; add the group first");
    if (position == 0) position = static_cast<int>(rows.size()) + 1;
    LINLI_TRY(storage::CategoryRepo::Upsert(s, {def.code, def.group_code, def.name, position, CategoryToJson(def), 0, now}));
    LINLI_TRY(audit_.Record(s, who, {.action = "case_category.save", .target = "case_category:" + def.code,
                                     .detail = CategoryToJson(def)}));
    LINLI_TRY(LoadCatalogue(s));
    return def;
  }, std::move(done));
}

void CaseService::RetireCategory(const Caller& who, std::string code, Done<domain::CategoryDefinition> done) {
  if (!who.is_system() && !domain::HoldsAtRoot(who.principal, perm::kCaseSupervise)) {
    return done(Error::Denied("the subdistrict sets the categories (case.supervise at a root node: the subdistrict, or in a city its district)"));
  }
  Millis now = clock_.NowMillis();
  storage::SubmitWrite<domain::CategoryDefinition>(db_, [=, this](SqlSession& s) -> Result<domain::CategoryDefinition> {
    LINLI_ASSIGN_OR_RETURN(auto rows, storage::CategoryRepo::All(s));
    auto it = std::ranges::find_if(rows, [&](const auto& r) { return r.code == code; });
    if (it == rows.end() || it->retired_at != 0) return Error::NotFound("no category " + code);
    auto row = *it;
    row.retired_at = now;
    row.updated_at = now;
    LINLI_TRY(storage::CategoryRepo::Upsert(s, row));
    LINLI_TRY(audit_.Record(s, who, {.action = "case_category.retire", .target = "case_category:" + code}));
    LINLI_ASSIGN_OR_RETURN(auto def, CategoryFromJson(row.definition));
    LINLI_TRY(LoadCatalogue(s));
    return def;
  }, std::move(done));
}

// ---------------------------------------------------------------------------------------------
// Intake

void CaseService::Report(const Caller& who, CaseIntake in, Done<CaseView> done) {
  if (!IsStaffChannel(in.channel)) {
    return done(Error::Invalid("channel", "channel must be one of " + ChannelChoices(false)));
  }
  Intake(who, std::move(in), false, std::move(done));
}

void CaseService::ReportPublic(CaseIntake in, const std::string& client, Done<CaseView> done) {
  if (auto st = AllowPublic("report", client); !st) return done(st.error());
  if (!IsResidentChannel(in.channel)) {
    return done(Error::Invalid("channel", "channel must be one of " + ChannelChoices(true)));
  }
  Caller anonymous;
  anonymous.ip = client;
  Intake(anonymous, std::move(in), true, std::move(done));
}

void CaseService::ReportFromClient(const Caller& client, CaseIntake in, Done<CaseView> done) {
  if (!client.principal.via_api_key) return done(Error::Denied("an Open311 client signs with an API key"));
  in.channel = std::string(channel::kOpen311);
  Intake(client, std::move(in), true, std::move(done));
}

void CaseService::Intake(const Caller& who, CaseIntake in, bool anonymous, Done<CaseView> done, int attempts) {
  // Tracking codes are drawn at random and the UNIQUE index catches the rare clash (about one
  // report in 10^8 at 10 M cases): the report is then made again with a fresh code, instead of
  // every report paying a look-up on the writer.
  if (attempts > 1) {
    done = [this, who, original = in, anonymous, attempts, done = std::move(done)](Result<CaseView> r) mutable {
      if (!r && r.error().code == ErrorCode::kAlreadyExists && r.error().field == "tracking_code") {
        return Intake(who, std::move(original), anonymous, std::move(done), attempts - 1);
      }
      done(std::move(r));
    };
  }
  auto category = Category(in.category_code);
  if (!category || category->group_code.empty()) {
    return done(Error::Invalid("category", "category must be the code of a category (not a group), e.g. community.noise"));
  }
  if (auto st = domain::ValidateText("description", in.description, {.min_chars = 5, .max_chars = 4000, .single_line = false}); !st) {
    return done(st.error());
  }
  if (in.priority != "normal" && in.priority != "urgent") return done(Error::Invalid("priority", "priority must be normal or urgent"));
  if (auto st = domain::ValidateText("address", in.address, {.min_chars = 0, .max_chars = 200}); !st) return done(st.error());
  if (in.point) {
    if (auto st = domain::ValidateLonLat(in.point->lon, in.point->lat); !st) return done(st.error());
  }
  if (in.attributes.size() > 30) return done(Error::Invalid("attributes", "too many attributes"));
  if (auto st = domain::CheckAttributes(category->attributes, in.attributes); !st) return done(st.error());
  if (auto st = domain::ValidateText("reporter_name", in.reporter_name, {.min_chars = 0, .max_chars = 50}); !st) {
    return done(st.error());
  }
  if (!in.reporter_phone.empty()) {
    auto phone = domain::NormalizeMobile(in.reporter_phone, "reporter_phone");
    if (!phone) return done(phone.error());
    in.reporter_phone = *phone;
  }
  // An Open311 client (an API key) reports for residents: placed like a resident's report, but
  // within the area its key may report in, and recorded as the key's.
  const bool client = anonymous && who.principal.via_api_key;
  if (in.media_urls.size() > 5) return done(Error::Invalid("media_url", "at most 5 media URLs"));
  for (const auto& url : in.media_urls) {
    if (url.size() > 500 || !(url.starts_with("http://") || url.starts_with("https://")) ||
        url.find_first_of(" <>\"'") != std::string::npos) {
      return done(Error::Invalid("media_url", "a media URL is an http(s) address of at most 500 characters"));
    }
  }
  if (in.source_key.size() > 100) return done(Error::Invalid("source_key", "an idempotency key has at most 100 characters"));
  if (!in.source_key.empty()) {
    in.source_key = (anonymous && !client ? std::string("public:") : "user:" + std::to_string(who.user_id()) + ":") + in.source_key;
  }
  if ((!anonymous || client) && !domain::HoldsAnywhere(who.principal, perm::kCaseReport) && !who.is_system()) {
    return done(Error::Denied("reporting needs case.report"));
  }
  // Where the case lies: the point's grid, else the building's node, else the node given (a QR code).
  std::optional<std::int64_t> point_node;
  if (in.point) {
    if (auto hit = geo_.Locate(*in.point)) point_node = hit->node_id;
  }
  Millis now = clock_.NowMillis();
  json::object attrs;
  for (const auto& [k, v] : in.attributes) attrs[k] = v;
  std::string attributes = in.attributes.empty() ? "" : json::serialize(attrs);
  std::string tracking_code = crypto::RandomCode(kTrackingLength, kTrackingAlphabet);
  // Converted here, not on the writer thread, which every write in the process waits for.
  std::string search_text = SearchForm(in.description + " " + in.address);
  std::vector<std::string> address_keys;
  if (!in.point && !in.address.empty()) address_keys = domain::BuildingAddressCandidates(in.address);

  storage::SubmitWrite<CaseView>(db_, [=, this](SqlSession& s) -> Result<CaseView> {
    if (!in.source_key.empty()) {
      LINLI_ASSIGN_OR_RETURN(auto existing, storage::CaseRepo::GetBySource(s, in.source_key));
      if (existing) return View(s, who, std::move(*existing), Reporter::kMasked);
    }
    std::optional<domain::OrgNode> node;
    bool placed = true;
    std::int64_t building_id = 0;
    std::optional<std::int64_t> located = point_node;
    if (in.building_id) {
      LINLI_ASSIGN_OR_RETURN(auto b, storage::BuildingRepo::Get(s, in.building_id));
      if (!b || b->archived) return Error::Invalid("building_id", "no building " + std::to_string(in.building_id));
      building_id = b->id;
      if (!located) located = b->node_id;
    }
    if (in.node_id) {
      LINLI_ASSIGN_OR_RETURN(auto given, nodes_.Node(s, in.node_id, now));
      if (!given || given->archived) return Error::Invalid("node_id", "no node " + std::to_string(in.node_id));
      node = std::move(given);
    } else if (!in.node_code.empty()) {
      LINLI_ASSIGN_OR_RETURN(auto given, NodeByCode(s, in.node_code));
      if (!given || given->archived) return Error::Invalid("node_code", "this QR code names no grid or station in use");
      node = std::move(given);
    }
    if (!located && !in.point && !in.address.empty()) {
      // An address without a point: the building whose street address it starts with, when
      // exactly one has it (else a grid worker places the case).
      for (const auto& candidate : address_keys) {
        LINLI_ASSIGN_OR_RETURN(auto buildings, storage::BuildingRepo::ByAddressKey(s, candidate));
        if (buildings.empty()) continue;
        if (buildings.size() == 1) {
          building_id = buildings[0].id;
          located = buildings[0].node_id;
        }
        break;
      }
    }
    if (located) {
      LINLI_ASSIGN_OR_RETURN(auto found, nodes_.Node(s, *located, now));
      // A point in another node's area than the QR code's: trust the QR code's node (the form was
      // opened there) unless the point lies within it.
      if (found && (!node || found->path.starts_with(node->path))) node = std::move(found);
    }
    if (!node) {
      if (!anonymous) return Error::Invalid("node_id", "give where it is: a map point inside a grid, a building or node_id");
      // Nothing places it: the subdistrict holds it until a grid worker places it.
      LINLI_ASSIGN_OR_RETURN(auto roots, storage::OrgRepo::List(s, {.scope_prefixes = {"/"}, .parent_id = 0, .limit = 2}));
      if (roots.size() != 1) return Error::Invalid("location", "give a map point, a building or scan the grid's QR code");
      node = roots[0];
      placed = false;
    } else if (!in.point && !building_id) {
      auto type = node->type;
      placed = type == domain::NodeType::kGrid || type == domain::NodeType::kMicroGrid ||
               type == domain::NodeType::kDedicatedGrid;
    }
    if ((!anonymous || client) && !who.is_system() && !domain::Allows(who.principal, perm::kCaseReport, node->path)) {
      if (client) return Error::Invalid("location", "the place lies outside the area this key may report in");
      return Error::Invalid("node_id", "you may report only within your own area");
    }
    LINLI_ASSIGN_OR_RETURN(auto chain, Chain(s, node->path));
    CaseRow c;
    LINLI_ASSIGN_OR_RETURN(c.id, s.NextId("cases"));
    c.tracking_code = tracking_code;
    c.node_id = node->id;
    c.node_path = node->path;
    c.category_code = category->code;
    c.channel = in.channel;
    c.priority = in.priority;
    c.state = "reported";
    c.level = std::string(domain::HandlingLevelName(domain::StartingLevel(chain, category->default_level)));
    c.description = in.description;
    c.address = in.address;
    if (in.point) {
      c.lon = in.point->lon;
      c.lat = in.point->lat;
    }
    c.building_id = building_id;
    c.placed = placed;
    c.attributes = attributes;
    std::string ref = RecordRef("case", c.id);
    if (!in.reporter_name.empty()) c.reporter_name_enc = crypto_->Seal(in.reporter_name, ref + ":name");
    if (!in.reporter_phone.empty()) c.reporter_phone_enc = crypto_->Seal(in.reporter_phone, ref + ":phone");
    c.reporter_id = anonymous ? 0 : who.user_id();
    c.source_key = in.source_key;
    c.response_due_at = Calendar()->AddWorkingMinutes(now, CaseDeadlineMinutes(category->response_minutes, in.priority));
    c.resolve_due_at = Calendar()->AddWorkingMinutes(now, CaseDeadlineMinutes(category->resolve_minutes, in.priority));
    c.created_at = now;
    c.updated_at = now;
    c.next_due_at = CaseNextDue(c);
    c.search_text = search_text;
    LINLI_ASSIGN_OR_RETURN(c, storage::CaseRepo::Insert(s, std::move(c)));
    storage::CaseEventRow e;
    e.case_id = c.id;
    e.at = now;
    e.actor_kind = client ? "api_key" : anonymous ? "resident" : who.is_system() ? "system" : who.principal.via_api_key ? "api_key" : "staff";
    e.actor_id = anonymous && !client ? 0 : who.user_id();
    e.action = "report";
    e.to_state = c.state;
    e.to_level = c.level;
    {
      json::object detail{{"channel", c.channel}, {"placed", c.placed}};
      if (!in.media_urls.empty()) {
        json::array urls;
        for (const auto& u : in.media_urls) urls.emplace_back(u);
        detail["media_urls"] = std::move(urls);
      }
      e.detail = json::serialize(detail);
    }
    LINLI_TRY(Announce(s, c, e));
    LINLI_TRY(storage::CaseRepo::AppendEvent(s, std::move(e)));
    LINLI_TRY(audit_.Record(s, who, {.action = "case.report", .node_path = c.node_path, .target = ref,
                                     .detail = JsonObject().Add("channel", c.channel).Add("category", c.category_code).Str()}));
    return View(s, who, std::move(c), Reporter::kMasked);
  }, std::move(done));
}

// ---------------------------------------------------------------------------------------------
// Reading

Result<std::optional<domain::OrgNode>> CaseService::NodeByCode(SqlSession& s, const std::string& code) const {
  Millis now = clock_.NowMillis();
  if (auto hit = nodes_by_code_.Get(code, now)) return hit;
  auto stamp = nodes_by_code_.Stamp();
  LINLI_ASSIGN_OR_RETURN(auto found, storage::OrgRepo::GetByCode(s, code));
  if (found) nodes_by_code_.Put(code, *found, stamp, now);  // a code not (yet) in use is asked again
  return found;
}

Result<std::vector<std::int64_t>> CaseService::HandlersAt(SqlSession& s, std::int64_t node_id) const {
  Millis now = clock_.NowMillis();
  if (auto hit = handlers_at_.Get(node_id, now)) return std::move(*hit);
  auto stamp = handlers_at_.Stamp();
  LINLI_ASSIGN_OR_RETURN(auto users, storage::AccountRepo::HoldersAt(s, node_id, perm::kCaseHandle));
  handlers_at_.Put(node_id, users, stamp, now);
  return users;
}

Result<std::vector<domain::NodeType>> CaseService::Chain(SqlSession& s, std::string_view path) const {
  // A node's type never changes, so it is read once per process: a page of 50 cases costs no
  // node look-ups after the first.
  std::vector<domain::NodeType> out;
  for (auto id : domain::PathIds(path)) {
    {
      std::lock_guard lock(node_types_mu_);
      if (auto it = node_types_.find(id); it != node_types_.end()) {
        out.push_back(it->second);
        continue;
      }
    }
    LINLI_ASSIGN_OR_RETURN(auto n, storage::OrgRepo::Get(s, id));
    if (!n) return Error::Internal("a case's path names a missing node");
    out.push_back(n->type);
    std::lock_guard lock(node_types_mu_);
    node_types_.emplace(id, n->type);
  }
  return out;
}

namespace {

// The path of the node that handles a case at its level.
std::string HandlingPath(std::string_view path, const std::vector<domain::NodeType>& chain, domain::HandlingLevel level) {
  auto index = domain::HandlingNodeIndex(chain, level);
  std::size_t pos = 0;
  for (std::size_t i = 0; i <= index; ++i) pos = path.find('/', pos + 1);
  return std::string(path.substr(0, pos + 1));
}

// Whether the caller may take `action` on the case now, beyond what the state machine allows.
// `in_department`: the caller works for the department the case is with (MemberOfCaseDepartment).
Status MayAct(const Caller& who, const CaseRow& c, const std::vector<domain::NodeType>& chain, CaseAction action,
              bool in_department) {
  if (who.is_system()) return Ok();
  auto status = StatusOf(c);
  std::string handling = HandlingPath(c.node_path, chain, status.level);
  switch (action) {
    case CaseAction::kSupervise:
      if (domain::Allows(who.principal, perm::kCaseSupervise, c.node_path)) return Ok();
      return Error::Denied("supervising needs case.supervise over the case");
    case CaseAction::kReopen:
      if (domain::Allows(who.principal, perm::kCaseSupervise, c.node_path)) return Ok();
      return Error::Denied("the resident reopens a case by rating it; staff need case.supervise");
    case CaseAction::kClose:
      if (IsResidentChannel(c.channel)) {
        return Error::Precondition("the resident closes it by rating it, or it closes unrated after 7 days");
      }
      break;
    default:
      break;
  }
  // A department's cases are worked by its own people.
  if (status.level == domain::HandlingLevel::kDepartment && !in_department) {
    return Error::Denied("the case is with " + c.department + "; only its members act on it");
  }
  if (domain::Allows(who.principal, domain::PermissionFor(action), handling)) return Ok();
  return Error::Denied("the case is handled at the " + c.level + " level; " + std::string(domain::PermissionFor(action)) +
                       " there is needed to " + std::string(domain::CaseActionName(action)) + " it");
}

// Whether the caller works for the department a department-level case is with (true below that level).
Result<bool> MemberOfCaseDepartment(SqlSession& s, const Caller& who, const CaseRow& c) {
  if (c.level != "department" || who.is_system()) return true;
  LINLI_ASSIGN_OR_RETURN(auto mine, storage::AccountRepo::DepartmentsOf(s, who.user_id()));
  return std::ranges::find(mine, c.department) != mine.end();
}

}  // namespace

Result<CaseView> CaseService::View(SqlSession& s, const Caller& who, CaseRow row, Reporter reporter) const {
  CaseView v;
  auto cat = catalogue();
  if (cat) {
    for (const auto& c : cat->all) {
      if (c.code == row.category_code) v.category_name = c.name;
    }
  }
  std::string ref = RecordRef("case", row.id);
  if (reporter != Reporter::kOmit && !row.reporter_name_enc.empty()) {
    LINLI_ASSIGN_OR_RETURN(v.reporter_name, crypto_->Open(row.reporter_name_enc, ref + ":name"));
  }
  if (reporter != Reporter::kOmit && !row.reporter_phone_enc.empty()) {
    LINLI_ASSIGN_OR_RETURN(auto phone, crypto_->Open(row.reporter_phone_enc, ref + ":phone"));
    v.reporter_phone = reporter == Reporter::kRevealed ? phone : domain::MaskPhone(phone);
  }
  if (who.user_id() != 0 || who.is_system()) {
    LINLI_ASSIGN_OR_RETURN(auto chain, Chain(s, row.node_path));
    LINLI_ASSIGN_OR_RETURN(auto member, MemberOfCaseDepartment(s, who, row));
    for (auto action : domain::AllowedCaseActions(StatusOf(row))) {
      if (MayAct(who, row, chain, action, member)) v.actions.emplace_back(domain::CaseActionName(action));
    }
  }
  v.row = std::move(row);
  return v;
}

Result<CaseDetail> CaseService::Get(const Caller& who, std::int64_t id) {
  auto d = storage::ReadValue<CaseDetail>(db_, [&](SqlSession& s) -> Result<CaseDetail> {
    LINLI_ASSIGN_OR_RETURN(auto found, storage::CaseRepo::Get(s, id));
    LINLI_ASSIGN_OR_RETURN(auto row, VisibleRecord(std::move(found), who, "case", id, perm::kCaseRead, perm::kCaseRead));
    CaseDetail d;
    LINLI_ASSIGN_OR_RETURN(d.view, View(s, who, std::move(row), Reporter::kMasked));
    LINLI_ASSIGN_OR_RETURN(d.events, storage::CaseRepo::Events(s, id, d.view.row.created_at));
    LINLI_ASSIGN_OR_RETURN(d.attachments, storage::CaseRepo::Attachments(s, id));
    // The timeline names the staff who acted (a handful of people per case).
    for (const auto& e : d.events) {
      if (e.actor_kind != "staff" || e.actor_id == 0 || d.actor_names.count(e.actor_id)) continue;
      LINLI_ASSIGN_OR_RETURN(auto user, storage::AccountRepo::UserById(s, e.actor_id));
      d.actor_names[e.actor_id] = user ? user->display_name : "";
    }
    return d;
  });
  // The reporter's name is personal data: who read it is on record.
  if (d && !d->view.row.reporter_name_enc.empty()) {
    audit_.RecordAlone(who, {.action = "case.read", .node_path = d->view.row.node_path, .target = RecordRef("case", id)});
  }
  return d;
}

Result<std::vector<CaseView>> CaseService::List(const Caller& who, const CaseFilter& f) {
  LINLI_TRY(CheckPageLimit(f.limit));
  storage::CaseListQuery q;
  for (const auto& st : f.states) {
    if (!domain::ParseCaseState(st)) {
      return Error::Invalid("state", "state must be reported, accepted, rejected, assigned, in_progress, dispatched, resolved or closed");
    }
  }
  if (f.level && !domain::ParseHandlingLevel(*f.level)) {
    return Error::Invalid("level", "level must be micro_grid, grid, community, subdistrict or department");
  }
  if (f.channel && !IsResidentChannel(*f.channel) && !IsStaffChannel(*f.channel)) {
    return Error::Invalid("channel", "channel must be one of " + ChannelChoices(true) + ", " + ChannelChoices(false));
  }
  q.states = f.states;
  q.level = f.level;
  q.category_code = f.category_code;
  q.category_codes = f.category_codes;
  if (!f.text.empty()) {
    if (auto st = domain::ValidateText("q", f.text, {.min_chars = 1, .max_chars = 50}); !st) return st.error();
    q.text = SearchForm(f.text);
    if (q.text.empty()) return Error::Invalid("q", "give a word to search for");
  }
  q.created_from = f.created_from;
  q.created_to = f.created_to;
  q.channel = f.channel;
  q.assignee_id = f.mine ? std::optional<std::int64_t>(who.user_id()) : f.assignee_id;
  q.open_only = f.open_only;
  q.overdue_only = f.overdue_only;
  q.supervised_only = f.supervised_only;
  q.after_id = f.after_id;
  q.limit = f.limit;
  return storage::ReadValue<std::vector<CaseView>>(db_, [&](SqlSession& s) -> Result<std::vector<CaseView>> {
    auto scope = who.is_system() ? domain::Scope({"/"}) : domain::ScopeFor(who.principal, perm::kCaseRead);
    if (f.node_id) {
      LINLI_ASSIGN_OR_RETURN(auto node, nodes_.Node(s, *f.node_id, clock_.NowMillis()));
      if (!node || !scope.Covers(node->path)) {
        // A node above the caller's scope narrows to the caller's own part of it.
        std::vector<std::string> inside;
        if (node) {
          for (const auto& p : scope.prefixes()) {
            if (p.starts_with(node->path)) inside.push_back(p);
          }
        }
        if (inside.empty()) return Error::NotFound("no org node " + std::to_string(*f.node_id));
        q.prefixes = std::move(inside);
      } else {
        q.prefixes = {node->path};
      }
    } else {
      q.prefixes = scope.prefixes();
    }
    LINLI_ASSIGN_OR_RETURN(auto rows, storage::CaseRepo::List(s, q));
    std::vector<CaseView> out;
    out.reserve(rows.size());
    for (auto& r : rows) {
      LINLI_ASSIGN_OR_RETURN(auto v, View(s, who, std::move(r), Reporter::kOmit));
      out.push_back(std::move(v));
    }
    return out;
  });
}

Result<CaseView> CaseService::Unmask(const Caller& who, std::int64_t id, const std::string& reason) {
  if (auto st = domain::ValidateText("reason", reason, {.min_chars = 4, .max_chars = 200}); !st) return st.error();
  auto r = storage::ReadValue<CaseView>(db_, [&](SqlSession& s) -> Result<CaseView> {
    LINLI_ASSIGN_OR_RETURN(auto found, storage::CaseRepo::Get(s, id));
    LINLI_ASSIGN_OR_RETURN(auto row, VisibleRecord(std::move(found), who, "case", id, perm::kResidentUnmask, perm::kCaseRead));
    return View(s, who, std::move(row), Reporter::kRevealed);
  });
  if (!r) return r;
  // The reveal is on the record before anything leaves.
  LINLI_TRY(db_.WriteSync([&](SqlSession& s) {
    return audit_.Record(s, who, {.action = "case.unmask", .node_path = r->row.node_path, .target = RecordRef("case", id),
                                  .detail = JsonObject().Add("reason", reason).Str()});
  }));
  return r;
}

// ---------------------------------------------------------------------------------------------
// Transitions

Result<CaseRow> CaseService::Transition(SqlSession& s, const CaseRow& before, CaseRow after, storage::CaseEventRow event) {
  after.version = before.version + 1;
  after.next_due_at = CaseNextDue(after);
  if (!event.note.empty()) after.search_text += " " + SearchForm(event.note);  // notes are searchable too
  LINLI_TRY(storage::CaseRepo::Update(s, after));
  LINLI_TRY(storage::CaseRepo::Count(s, before, after));
  event.case_id = after.id;
  event.from_state = before.state;
  event.to_state = after.state;
  event.from_level = before.level;
  event.to_level = after.level;
  LINLI_TRY(Announce(s, after, event));
  LINLI_TRY(storage::CaseRepo::AppendEvent(s, std::move(event)));
  return after;
}

Status CaseService::Announce(SqlSession& s, const CaseRow& c, const storage::CaseEventRow& event) {
  // Live screens (cockpit, task lists) hear of it once it is durable.
  s.AfterCommit([this, path = c.node_path] { changes_.Publish("cases", path); });
  std::string_view kind;
  bool tell_assignee = false, tell_handlers = false;
  const std::string& a = event.action;
  if (a == "report") kind = notice::kReported, tell_handlers = true;
  else if (a == "assign") kind = notice::kAssigned, tell_assignee = true;
  else if (a == "escalate") kind = notice::kEscalated, tell_handlers = true;
  else if (a == "dispatch") kind = notice::kDispatched, tell_handlers = true;
  else if (a == "dept_return") kind = notice::kReturned, tell_handlers = true;
  else if (a == "overdue") kind = notice::kOverdue, tell_assignee = tell_handlers = true;
  else if (a == "supervise") kind = notice::kSupervised, tell_assignee = tell_handlers = true;
  else if (a == "rate") kind = notice::kRated, tell_assignee = true, tell_handlers = c.assignee_id == 0;
  else if (a == "reopen") kind = notice::kReopened, tell_assignee = tell_handlers = true;
  auto category = Category(c.category_code);
  std::string category_name = category ? category->name : c.category_code;
  auto case_json = [&] {
    return JsonObject()
        .Add("id", c.id)
        .Add("tracking_code", c.tracking_code)
        .Add("state", c.state)
        .Add("level", c.level)
        .Add("category", c.category_code)
        .Add("category_name", category_name)
        .Add("node_id", c.node_id)
        .Add("resolve_due_at", c.resolve_due_at)
        .Add("overdue", c.overdue != 0)
        .Str();
  };
  Millis now = clock_.NowMillis();
  if (!kind.empty()) {
    Notice n{.kind = std::string(kind), .case_id = c.id, .actor_id = event.actor_kind == "staff" ? event.actor_id : 0};
    static const std::map<std::string_view, std::string_view> kTitles = {
        {notice::kReported, "新诉求"},   {notice::kAssigned, "派给您办理"}, {notice::kEscalated, "上报到本级"},
        {notice::kDispatched, "派往部门"}, {notice::kReturned, "部门退回"},  {notice::kOverdue, "已超时"},
        {notice::kSupervised, "督办"},    {notice::kRated, "居民已评价"},   {notice::kReopened, "重新办理"}};
    n.title = std::string(kTitles.at(kind)) + "：" + category_name;
    if (kind == notice::kRated) n.title += "（" + std::to_string(c.rating) + "星）";
    n.body = domain::Utf8Excerpt(c.description, 60);
    if (tell_assignee && c.assignee_id != 0) n.recipients.push_back(c.assignee_id);
    if (tell_handlers && c.level == "department" && !c.department.empty()) {
      LINLI_ASSIGN_OR_RETURN(auto members, storage::AccountRepo::DepartmentMembers(s, c.department));
      n.recipients.insert(n.recipients.end(), members.begin(), members.end());
    } else if (tell_handlers) {
      LINLI_ASSIGN_OR_RETURN(auto chain, Chain(s, c.node_path));
      auto ids = domain::PathIds(c.node_path);
      auto level = domain::ParseHandlingLevel(c.level).value_or(domain::HandlingLevel::kGrid);
      auto node = ids[std::min(domain::HandlingNodeIndex(chain, level), ids.size() - 1)];
      LINLI_ASSIGN_OR_RETURN(auto holders, HandlersAt(s, node));
      n.recipients.insert(n.recipients.end(), holders.begin(), holders.end());
    }
    n.payload = JsonObject().Add("kind", kind).Add("at", now).AddRaw("case", case_json()).Str();
    LINLI_TRY(notifications_.Publish(s, std::move(n)));
  }
  // The resident hears of the milestones of a case they reported (an SMS gateway sends the text;
  // it gets the tracking code, never a phone or a name).
  bool milestone = a == "report" || a == "accept" || a == "resolve" || a == "reject" || a == "close" || a == "reopen";
  if (milestone && IsResidentChannel(c.channel)) {
    Notice progress{.kind = std::string(notice::kProgress), .case_id = c.id};
    progress.payload = JsonObject().Add("kind", notice::kProgress).Add("at", now).Add("action", a).AddRaw("case", case_json()).Str();
    LINLI_TRY(notifications_.Publish(s, std::move(progress)));
  }
  return Ok();
}

namespace {

// The projection after a transition the state machine allowed.
CaseRow Project(const CaseRow& before, CaseAction action, const domain::CaseActionInput& in,
                const domain::CaseTransition& t, Millis now, Millis reopened_resolve_due) {
  CaseRow c = before;
  c.state = std::string(domain::CaseStateName(t.next.state));
  c.level = std::string(domain::HandlingLevelName(t.next.level));
  c.supervised = t.next.supervised;
  c.reopen_count = t.next.reopen_count;
  c.updated_at = now;
  if (before.state == "reported" && c.state != "reported" && c.responded_at == 0) c.responded_at = now;
  if (before.state == "reported" && action == CaseAction::kEscalate && c.responded_at == 0) c.responded_at = now;
  switch (action) {
    case CaseAction::kAssign: c.assignee_id = in.assignee_id; break;
    case CaseAction::kEscalate:
    case CaseAction::kDeptReturn: c.assignee_id = 0; c.department.clear(); break;
    case CaseAction::kDispatch: c.assignee_id = 0; c.department = in.department; break;
    case CaseAction::kResolve:
      c.resolved_at = now;
      c.solved_level = t.solved_at ? std::string(domain::HandlingLevelName(*t.solved_at)) : c.level;
      break;
    case CaseAction::kReject:
      c.closed_at = now;
      c.reject_reason = std::string(domain::RejectReasonName(*in.reject_reason));
      c.merged_into = in.merged_into;
      break;
    case CaseAction::kClose: c.closed_at = now; break;
    case CaseAction::kReopen:
      // Back to work with a fresh resolution deadline; it no longer counts as solved.
      c.resolved_at = 0;
      c.solved_level.clear();
      c.closed_at = 0;
      c.rating = 0;
      c.rated_at = 0;
      c.rating_comment.clear();
      c.resolve_due_at = reopened_resolve_due;
      c.overdue &= ~2;
      break;
    default: break;
  }
  return c;
}

}  // namespace

void CaseService::Act(const Caller& who, std::int64_t id, CaseActionRequest req, Done<CaseView> done) {
  if (auto st = domain::ValidateText("note", req.input.note, {.min_chars = 0, .max_chars = 2000, .single_line = false}); !st) {
    return done(st.error());
  }
  Millis now = clock_.NowMillis();
  storage::SubmitWrite<CaseView>(db_, [=, this](SqlSession& s) -> Result<CaseView> {
    LINLI_ASSIGN_OR_RETURN(auto found, storage::CaseRepo::Get(s, id));
    LINLI_ASSIGN_OR_RETURN(auto before, VisibleRecord(std::move(found), who, "case", id, perm::kCaseRead, perm::kCaseRead));
    if (req.version != 0 && req.version != before.version) {
      return Error{ErrorCode::kAborted, "the case was changed by someone else; reload it", "version"};
    }
    LINLI_ASSIGN_OR_RETURN(auto chain, Chain(s, before.node_path));
    auto status = StatusOf(before);
    // The state first (a clearer answer than a permission refusal), then who may, then the input.
    LINLI_ASSIGN_OR_RETURN(auto transition, domain::ApplyCaseAction(status, req.action, req.input));
    LINLI_ASSIGN_OR_RETURN(auto member, MemberOfCaseDepartment(s, who, before));
    LINLI_TRY(MayAct(who, before, chain, req.action, member));
    // A dispatch needs someone to receive it.
    if (req.action == CaseAction::kDispatch) {
      LINLI_ASSIGN_OR_RETURN(auto members, storage::AccountRepo::DepartmentMembers(s, req.input.department));
      if (members.empty()) {
        return Error::Invalid("department", "nobody works for " + req.input.department.substr(0, 40) +
                                                " in Linli; choose a department with members");
      }
    }
    json::object detail;
    if (req.action == CaseAction::kAssign) {
      LINLI_ASSIGN_OR_RETURN(auto user, storage::AccountRepo::UserById(s, req.input.assignee_id));
      if (!user || user->disabled) return Error::Invalid("assignee_id", "no active user " + std::to_string(req.input.assignee_id));
      LINLI_ASSIGN_OR_RETURN(auto principal, AuthService::LoadPrincipal(s, user->id, user->username));
      if (!domain::Allows(principal, perm::kCaseHandle, HandlingPath(before.node_path, chain, status.level))) {
        return Error::Invalid("assignee_id", user->username + " does not handle cases at the " + before.level + " level here");
      }
      detail["assignee_id"] = user->id;
      detail["assignee"] = user->display_name.empty() ? user->username : user->display_name;
    }
    if (req.action == CaseAction::kReject) {
      detail["reason"] = domain::RejectReasonName(*req.input.reject_reason);
      if (req.input.merged_into) {
        if (req.input.merged_into == id) return Error::Invalid("merged_into", "a case cannot repeat itself");
        LINLI_ASSIGN_OR_RETURN(auto original, storage::CaseRepo::Get(s, req.input.merged_into));
        LINLI_TRY(AsReference(VisibleRecord(std::move(original), who, "case", req.input.merged_into, perm::kCaseRead,
                                            perm::kCaseRead), "merged_into"));
        detail["merged_into"] = req.input.merged_into;
      }
    }
    if (req.action == CaseAction::kDispatch) detail["department"] = req.input.department;
    auto category = Category(before.category_code);
    Millis reopened_due = Calendar()->AddWorkingMinutes(now, CaseDeadlineMinutes(category ? category->resolve_minutes : 2250,
                                                                           before.priority));
    CaseRow after = Project(before, req.action, req.input, transition, now, reopened_due);
    storage::CaseEventRow e;
    e.at = now;
    e.actor_kind = who.is_system() ? "system" : (who.principal.via_api_key ? "api_key" : "staff");
    e.actor_id = who.user_id();
    e.action = std::string(domain::CaseActionName(req.action));
    e.note = req.input.note;
    e.detail = detail.empty() ? "" : json::serialize(detail);
    LINLI_ASSIGN_OR_RETURN(after, Transition(s, before, std::move(after), std::move(e)));
    LINLI_TRY(audit_.Record(s, who, {.action = "case." + std::string(domain::CaseActionName(req.action)),
                                     .node_path = after.node_path, .target = RecordRef("case", id),
                                     .detail = JsonObject().Add("from", before.state).Add("to", after.state).Str()}));
    return View(s, who, std::move(after), Reporter::kMasked);
  }, std::move(done));
}

// ---------------------------------------------------------------------------------------------
// The resident's side

Result<PublicCase> CaseService::PublicView(SqlSession& s, const CaseRow& row) const {
  PublicCase p;
  p.tracking_code = row.tracking_code;
  p.state = row.state;
  p.category_code = row.category_code;
  if (auto cat = catalogue()) {
    for (const auto& c : cat->all) {
      if (c.code == row.category_code) p.category_name = c.name;
    }
  }
  p.description = row.description;
  p.address = row.address;
  p.created_at = row.created_at;
  p.resolve_due_at = row.resolve_due_at;
  p.rating = row.rating;
  p.may_rate = row.state == "resolved" && row.rating == 0;
  p.lon = row.lon;
  p.lat = row.lat;
  p.updated_at = row.updated_at;
  p.closed_at = row.closed_at;
  p.level = row.level;
  p.department = row.department;
  LINLI_ASSIGN_OR_RETURN(auto events, storage::CaseRepo::Events(s, row.id, row.created_at));
  for (const auto& e : events) {
    if (!PublicStep(e.action)) continue;
    p.timeline.push_back({e.at, e.action, e.to_state, PublicNote(e.action) ? e.note : std::string()});
    if (!p.timeline.back().note.empty()) p.status_notes = p.timeline.back().note;
  }
  LINLI_ASSIGN_OR_RETURN(auto attachments, storage::CaseRepo::Attachments(s, row.id));
  for (auto& a : attachments) {
    if (a.is_public) p.attachments.push_back(std::move(a));
  }
  if (row.merged_into) {
    // A repeat of a problem already reported: its reporter follows the original's progress
    // (never its reporter or its tracking code), and rates nothing.
    LINLI_ASSIGN_OR_RETURN(auto original, storage::CaseRepo::Get(s, row.merged_into));
    if (original) {
      p.merged = true;
      p.state = original->state;
      p.closed_at = original->closed_at;
      p.updated_at = std::max(p.updated_at, original->updated_at);
      p.resolve_due_at = original->resolve_due_at;
      p.level = original->level;
      p.department = original->department;
      p.may_rate = false;
      Millis merged_at = row.closed_at;
      LINLI_ASSIGN_OR_RETURN(auto events, storage::CaseRepo::Events(s, original->id, original->created_at));
      for (const auto& e : events) {
        if (e.at < merged_at || !PublicStep(e.action) || e.action == "rate") continue;
        p.timeline.push_back({e.at, e.action, e.to_state, PublicNote(e.action) ? e.note : std::string()});
        if (!p.timeline.back().note.empty()) p.status_notes = p.timeline.back().note;
      }
    }
  }
  return p;
}

// ---------------------------------------------------------------------------------------------
// Attachments

void CaseService::Attach(const Caller& who, std::int64_t case_id, Upload upload, Done<storage::AttachmentRow> done) {
  StoreAttachment(who, case_id, "", std::move(upload), std::move(done));
}

void CaseService::AttachPublic(std::string tracking_code, Upload upload, const std::string& client,
                               Done<storage::AttachmentRow> done) {
  if (auto st = AllowPublic("attach", client); !st) return done(st.error());
  std::string code = NormalizeTracking(tracking_code);
  if (auto st = CheckTracking(code); !st) return done(st.error());
  upload.is_public = true;
  Caller resident;
  resident.ip = client;
  StoreAttachment(resident, std::nullopt, code, std::move(upload), std::move(done));
}

void CaseService::StoreAttachment(const Caller& who, std::optional<std::int64_t> case_id, std::string tracking_code,
                                  Upload upload, Done<storage::AttachmentRow> done) {
  if (upload.bytes.empty()) return done(Error::Invalid("file", "the file is empty"));
  if (upload.bytes.size() > kMaxAttachmentBytes) return done(Error::Invalid("file", "a file may be at most 10 MiB"));
  auto type = domain::SniffMedia(upload.bytes);
  if (!type) return done(Error::Invalid("file", "only photos (JPEG, PNG, WebP) and PDF files are taken"));
  if (type->image) {
    // A damaged image is refused now rather than failing the resident's view later.
    if (auto stripped = domain::StripMetadata(upload.bytes, *type); !stripped) return done(stripped.error());
  }
  // Only the last part of a path; the name is shown, never used to store or to decide the type.
  if (auto slash = upload.file_name.find_last_of("/\\"); slash != std::string::npos) upload.file_name.erase(0, slash + 1);
  if (auto st = domain::ValidateText("file_name", upload.file_name, {.min_chars = 0, .max_chars = 100}); !st) {
    return done(st.error());
  }
  auto hash = blobs_.Put(upload.bytes);
  if (!hash) return done(hash.error());
  Millis now = clock_.NowMillis();
  bool resident = !case_id.has_value();
  std::string content_type(type->mime);
  std::int64_t size = static_cast<std::int64_t>(upload.bytes.size());
  storage::SubmitWrite<storage::AttachmentRow>(db_, [=, this, hash = *hash, name = upload.file_name,
                                                     is_public = upload.is_public](SqlSession& s) -> Result<storage::AttachmentRow> {
    std::optional<CaseRow> found;
    if (resident) {
      LINLI_ASSIGN_OR_RETURN(found, storage::CaseRepo::GetByTracking(s, tracking_code));
      if (!found) return Error::NotFound("no case with this tracking code");
      if (found->closed_at) return Error::Precondition("the case is closed; report again if the problem is back");
      LINLI_ASSIGN_OR_RETURN(auto existing, storage::CaseRepo::Attachments(s, found->id));
      if (std::count_if(existing.begin(), existing.end(), [](const auto& a) { return a.actor_kind == "resident"; }) >=
          kMaxPublicAttachments) {
        return Error::Invalid("file", "at most " + std::to_string(kMaxPublicAttachments) + " photos per request");
      }
    } else {
      LINLI_ASSIGN_OR_RETURN(found, storage::CaseRepo::Get(s, *case_id));
      LINLI_ASSIGN_OR_RETURN(found, VisibleRecord(std::move(found), who, "case", *case_id, perm::kCaseRead, perm::kCaseRead));
      if (!who.is_system() && !domain::Allows(who.principal, perm::kCaseReport, found->node_path) &&
          !domain::Allows(who.principal, perm::kCaseHandle, found->node_path)) {
        return Error::Denied("attaching needs case.report or case.handle over the case");
      }
    }
    const CaseRow& before = *found;
    storage::AttachmentRow a{.case_id = before.id, .content_hash = hash, .content_type = content_type, .size = size,
                             .file_name = name, .is_public = is_public,
                             .actor_kind = resident ? "resident" : who.principal.via_api_key ? "api_key" : "staff",
                             .actor_id = resident ? 0 : who.user_id(), .created_at = now};
    LINLI_ASSIGN_OR_RETURN(a.id, s.NextId("case_attachments"));
    LINLI_TRY(storage::CaseRepo::InsertAttachment(s, a));
    CaseRow after = before;
    after.updated_at = now;
    storage::CaseEventRow e{.at = now, .actor_kind = a.actor_kind, .actor_id = a.actor_id, .action = "attach",
                            .detail = JsonObject().Add("attachment_id", a.id).Add("file_name", name)
                                          .Add("content_type", content_type).Add("public", is_public).Str()};
    LINLI_TRY(Transition(s, before, std::move(after), std::move(e)));
    LINLI_TRY(audit_.Record(s, who, {.action = "case.attach", .node_path = before.node_path,
                                     .target = RecordRef("case_attachment", a.id)}));
    return a;
  }, std::move(done));
}

Result<AttachmentContent> CaseService::AttachmentFor(const Caller& who, std::int64_t attachment_id) {
  LINLI_ASSIGN_OR_RETURN(auto row, storage::ReadValue<storage::AttachmentRow>(db_, [&](SqlSession& s) -> Result<storage::AttachmentRow> {
    LINLI_ASSIGN_OR_RETURN(auto a, storage::CaseRepo::Attachment(s, attachment_id));
    if (!a) return Error::NotFound("no attachment " + std::to_string(attachment_id));
    LINLI_ASSIGN_OR_RETURN(auto c, storage::CaseRepo::Get(s, a->case_id));
    // Someone who cannot see the case cannot tell its attachments exist.
    auto visible = VisibleRecord(std::move(c), who, "case", a->case_id, perm::kCaseRead, perm::kCaseRead);
    if (!visible) return Error::NotFound("no attachment " + std::to_string(attachment_id));
    audit_.RecordAlone(who, {.action = "case.attachment.read", .node_path = visible->node_path,
                             .target = RecordRef("case_attachment", attachment_id)});
    return std::move(*a);
  }));
  LINLI_ASSIGN_OR_RETURN(auto bytes, blobs_.Get(row.content_hash));
  return AttachmentContent{std::move(row), std::move(bytes)};
}

Result<AttachmentContent> CaseService::PublicAttachment(std::string_view tracking_code, std::int64_t attachment_id,
                                                        const std::string& client) {
  LINLI_TRY(AllowPublic("track", client));
  std::string code = NormalizeTracking(tracking_code);
  LINLI_TRY(CheckTracking(code));
  LINLI_ASSIGN_OR_RETURN(auto row, storage::ReadValue<storage::AttachmentRow>(db_, [&](SqlSession& s) -> Result<storage::AttachmentRow> {
    LINLI_ASSIGN_OR_RETURN(auto c, storage::CaseRepo::GetByTracking(s, code));
    LINLI_ASSIGN_OR_RETURN(auto a, storage::CaseRepo::Attachment(s, attachment_id));
    if (!c || !a || a->case_id != c->id || !a->is_public) return Error::NotFound("no such photo on this request");
    return std::move(*a);
  }));
  LINLI_ASSIGN_OR_RETURN(auto bytes, blobs_.Get(row.content_hash));
  auto type = domain::SniffMedia(bytes);
  if (type) {
    LINLI_ASSIGN_OR_RETURN(bytes, domain::StripMetadata(bytes, *type));
  }
  return AttachmentContent{std::move(row), std::move(bytes)};
}

Result<std::vector<CaseService::Similar>> CaseService::SimilarTo(const Caller& who, std::int64_t id) {
  constexpr Millis kWindow = 7LL * 86400000;
  constexpr double kRadiusM = 200, kMinSimilarity = 0.3;
  LINLI_ASSIGN_OR_RETURN(auto detail, Get(who, id));
  const CaseRow& me = detail.view.row;
  // The candidates are the open cases of the community the case lies in (an index range of
  // cases_path) and, when it has a map point, of every community with a grid within 200 m of it:
  // the same broken lamp reported from across the street may lie in the next community.
  std::vector<std::string> communities;
  LINLI_TRY(db_.Read([&](SqlSession& s) -> Status {
    std::vector<std::string> paths = {me.node_path};
    if (me.lon && me.lat) {
      std::vector<std::int64_t> near;
      for (const auto& hit : geo_.Near({*me.lon, *me.lat}, kRadiusM)) near.push_back(hit.node_id);
      LINLI_ASSIGN_OR_RETURN(auto nodes, storage::OrgRepo::GetMany(s, near));
      for (const auto& n : nodes) paths.push_back(n.path);
    }
    for (const auto& path : paths) {
      LINLI_ASSIGN_OR_RETURN(auto chain, Chain(s, path));
      auto community = HandlingPath(path, chain, domain::HandlingLevel::kCommunity);
      if (std::find(communities.begin(), communities.end(), community) == communities.end()) communities.push_back(community);
    }
    return Ok();
  }));
  std::vector<CaseView> candidates;
  for (const auto& community : communities) {
    CaseFilter f;
    f.node_id = domain::PathIds(community).back();
    f.category_code = me.category_code;
    f.open_only = true;
    f.created_from = me.created_at - kWindow;
    f.created_to = me.created_at + kWindow;
    f.limit = 500;
    auto found = List(who, f);
    if (!found && found.error().code == ErrorCode::kNotFound) continue;  // a community the caller cannot see
    if (!found) return found.error();
    for (auto& v : *found) candidates.push_back(std::move(v));
  }
  std::string mine = SearchForm(me.description);
  std::vector<Similar> out;
  for (auto& v : candidates) {
    const CaseRow& c = v.row;
    if (c.id == me.id || c.merged_into == me.id) continue;
    std::optional<double> distance;
    if (me.lon && me.lat && c.lon && c.lat) {
      distance = domain::DistanceMetres({*me.lon, *me.lat}, {*c.lon, *c.lat});
      if (*distance > kRadiusM) continue;
    } else if (c.node_id != me.node_id) {
      continue;
    }
    double similarity = domain::TextSimilarity(mine, SearchForm(c.description));
    if (similarity < kMinSimilarity) continue;
    out.push_back({std::move(v), similarity, distance});
  }
  std::sort(out.begin(), out.end(), [](const Similar& a, const Similar& b) { return a.similarity > b.similarity; });
  if (out.size() > 5) out.resize(5);
  return out;
}

Result<std::vector<CaseService::Update>> CaseService::Updates(const Caller& who, Millis from, Millis to, int limit) {
  if (limit < 1 || limit > 1000) return Error::Invalid("limit", "limit must be 1 to 1000");
  if (to <= from) return Error::Invalid("end_date", "end_date must be after start_date");
  auto scope = who.is_system() ? domain::Scope({"/"}) : domain::ScopeFor(who.principal, perm::kCaseRead);
  return storage::ReadValue<std::vector<Update>>(db_, [&](SqlSession& s) -> Result<std::vector<Update>> {
    LINLI_ASSIGN_OR_RETURN(auto rows, storage::CaseRepo::EventsBetween(s, from, to, scope.prefixes(), limit));
    std::vector<Update> out;
    out.reserve(rows.size());
    for (auto& [event, tracking] : rows) out.push_back({std::move(event), std::move(tracking)});
    return out;
  });
}

void CaseService::Comment(const Caller& who, std::string tracking_code, std::string note, std::string detail_json,
                          Done<std::int64_t> done) {
  if (auto st = domain::ValidateText("description", note, {.min_chars = 1, .max_chars = 4000, .single_line = false}); !st) {
    return done(st.error());
  }
  storage::SubmitWrite<std::int64_t>(db_, [=, this](SqlSession& s) -> Result<std::int64_t> {
    LINLI_ASSIGN_OR_RETURN(auto found, storage::CaseRepo::GetByTracking(s, NormalizeTracking(tracking_code)));
    if (!found) return Error::NotFound("no case " + tracking_code.substr(0, 40));
    return AppendStep(s, who, found->id, "comment", note, detail_json);
  }, std::move(done));
}

Result<std::int64_t> CaseService::AppendStep(SqlSession& s, const Caller& who, std::int64_t case_id, std::string action,
                                             std::string note, std::string detail_json) {
  Millis now = clock_.NowMillis();
  LINLI_ASSIGN_OR_RETURN(auto found, storage::CaseRepo::Get(s, case_id));
  LINLI_ASSIGN_OR_RETURN(auto before, VisibleRecord(std::move(found), who, "case", case_id, perm::kCaseRead, perm::kCaseRead));
  CaseRow after = before;
  after.updated_at = now;
  storage::CaseEventRow e{.at = now,
                          .actor_kind = who.is_system() ? "system" : who.principal.via_api_key ? "api_key" : "staff",
                          .actor_id = who.user_id(),
                          .action = action,
                          .note = std::move(note),
                          .detail = std::move(detail_json)};
  LINLI_ASSIGN_OR_RETURN(e.id, s.NextId("case_events"));
  auto event_id = e.id;
  LINLI_TRY(Transition(s, before, std::move(after), std::move(e)));
  LINLI_TRY(audit_.Record(s, who, {.action = "case." + action, .node_path = before.node_path,
                                   .target = RecordRef("case", case_id)}));
  return event_id;
}

Result<PublicCase> CaseService::Track(std::string_view tracking_code, const std::string& client) {
  LINLI_TRY(AllowPublic("track", client));
  std::string code = NormalizeTracking(tracking_code);
  LINLI_TRY(CheckTracking(code));
  return storage::ReadValue<PublicCase>(db_, [&](SqlSession& s) -> Result<PublicCase> {
    LINLI_ASSIGN_OR_RETURN(auto row, storage::CaseRepo::GetByTracking(s, code));
    if (!row) return Error::NotFound("no case with this tracking code");
    return PublicView(s, *row);
  });
}

Result<PublicCase> CaseService::TrackAs(const Caller& who, std::string_view tracking_code) {
  std::string code = NormalizeTracking(tracking_code);
  LINLI_TRY(CheckTracking(code));
  return storage::ReadValue<PublicCase>(db_, [&](SqlSession& s) -> Result<PublicCase> {
    LINLI_ASSIGN_OR_RETURN(auto found, storage::CaseRepo::GetByTracking(s, code));
    if (!found) return Error::NotFound("no case with this tracking code");
    auto id = found->id;
    LINLI_ASSIGN_OR_RETURN(auto row, VisibleRecord(std::move(found), who, "case", id, perm::kCaseRead, perm::kCaseRead));
    return PublicView(s, row);
  });
}

std::vector<std::string> CaseService::Jurisdictions() {
  auto roots = storage::ReadValue<std::vector<domain::OrgNode>>(db_, [](SqlSession& s) {
    return storage::OrgRepo::List(s, {.scope_prefixes = {"/"}, .parent_id = 0, .limit = 50});
  });
  std::vector<std::string> codes;
  if (roots) {
    for (const auto& n : *roots) codes.push_back(n.code);
  }
  return codes;
}

void CaseService::Rate(std::string tracking_code, int rating, std::string comment, const std::string& client,
                       Done<PublicCase> done) {
  if (auto st = AllowPublic("rate", client); !st) return done(st.error());
  std::string code = NormalizeTracking(tracking_code);
  if (auto st = CheckTracking(code); !st) return done(st.error());
  if (rating < 1 || rating > 5) return done(Error::Invalid("rating", "rating is 1 (very unhappy) to 5 (very happy)"));
  if (auto st = domain::ValidateText("comment", comment, {.min_chars = 0, .max_chars = 500, .single_line = false}); !st) {
    return done(st.error());
  }
  Millis now = clock_.NowMillis();
  storage::SubmitWrite<PublicCase>(db_, [=, this](SqlSession& s) -> Result<PublicCase> {
    LINLI_ASSIGN_OR_RETURN(auto found, storage::CaseRepo::GetByTracking(s, code));
    if (!found) return Error::NotFound("no case with this tracking code");
    CaseRow before = std::move(*found);
    if (before.state != "resolved") return Error::Precondition("only a resolved case can be rated; this one is " + before.state);
    if (before.rating != 0) return Error::Precondition("this case has been rated already");
    CaseRow rated = before;
    rated.rating = rating;
    rated.rating_comment = comment;
    rated.rated_at = now;
    rated.updated_at = now;
    storage::CaseEventRow e;
    e.at = now;
    e.actor_kind = "resident";
    e.action = "rate";
    e.note = comment;
    e.detail = JsonObject().Add("rating", rating).Str();
    LINLI_ASSIGN_OR_RETURN(rated, Transition(s, before, std::move(rated), std::move(e)));
    // Satisfied enough, or reopened once already: it closes. Unhappy the first time: it reopens.
    auto status = StatusOf(rated);
    bool reopen = rating <= 2 && status.reopen_count == 0;
    domain::CaseActionInput in;
    in.note = reopen ? (comment.size() >= 2 ? comment : std::string("居民对处理结果不满意")) : std::string();
    auto action = reopen ? CaseAction::kReopen : CaseAction::kClose;
    LINLI_ASSIGN_OR_RETURN(auto t, domain::ApplyCaseAction(status, action, in));
    auto category = Category(rated.category_code);
    Millis reopened_due = Calendar()->AddWorkingMinutes(now, CaseDeadlineMinutes(category ? category->resolve_minutes : 2250,
                                                                           rated.priority));
    CaseRow after = Project(rated, action, in, t, now, reopened_due);
    if (reopen) {
      // The reopened case keeps the resident's verdict on record in the events, not as its rating.
      after.rating = 0;
    }
    storage::CaseEventRow follow;
    follow.at = now;
    follow.actor_kind = "resident";
    follow.action = std::string(domain::CaseActionName(action));
    follow.note = reopen ? in.note : "";
    LINLI_ASSIGN_OR_RETURN(after, Transition(s, rated, std::move(after), std::move(follow)));
    Caller resident;
    resident.ip = client;
    LINLI_TRY(audit_.Record(s, resident, {.action = "case.rate", .node_path = after.node_path,
                                          .target = RecordRef("case", after.id),
                                          .detail = JsonObject().Add("rating", rating).Add("reopened", reopen).Str()}));
    return PublicView(s, after);
  }, std::move(done));
}

// ---------------------------------------------------------------------------------------------
// Deadlines

Result<Millis> CaseService::NextDeadline() {
  return storage::ReadValue<Millis>(db_, [](SqlSession& s) { return storage::CaseRepo::EarliestDue(s); });
}

Result<int> CaseService::ProcessDeadlines(Millis now, int batch) {
  return storage::WriteAndWait<int>(db_, [&](SqlSession& s) -> Result<int> {
    LINLI_ASSIGN_OR_RETURN(auto due, storage::CaseRepo::DueBy(s, now, batch));
    int handled = 0;
    Caller system = Caller::Cli();
    for (auto& before : due) {
      storage::CaseEventRow e;
      e.at = now;
      e.actor_kind = "system";
      CaseRow after = before;
      after.updated_at = now;
      auto status = StatusOf(before);
      if (status.state == CaseState::kResolved) {
        // Nobody rated it within the window: it closes unrated.
        LINLI_ASSIGN_OR_RETURN(auto t, domain::ApplyCaseAction(status, CaseAction::kClose, {}));
        after = Project(before, CaseAction::kClose, {}, t, now, 0);
        e.action = "close";
        e.note = "7天内未评价，自动结案";
        LINLI_TRY(Transition(s, before, std::move(after), std::move(e)));
        ++handled;
        continue;
      }
      bool response_missed = before.responded_at == 0 && !(before.overdue & 1) && before.response_due_at <= now;
      bool resolve_missed = !(before.overdue & 2) && before.resolve_due_at <= now;
      if (!response_missed && !resolve_missed) {
        // A watch left behind by a change of deadline: watch the right one (never the same again).
        after.version = before.version + 1;
        after.next_due_at = CaseNextDue(after);
        if (after.next_due_at <= now) after.next_due_at = 0;
        LINLI_TRY(storage::CaseRepo::Update(s, after));
        continue;
      }
      if (response_missed) after.overdue |= 1;
      if (resolve_missed) after.overdue |= 2;
      e.action = "overdue";
      e.detail = JsonObject().Add("deadline", resolve_missed ? "resolve" : "response").Str();
      std::string audit_detail = e.detail;
      LINLI_ASSIGN_OR_RETURN(after, Transition(s, before, std::move(after), std::move(e)));
      ++handled;
      auto category = Category(after.category_code);
      if (category && category->escalate_when_overdue) {
        domain::CaseActionInput in;
        in.note = "超过办理时限，自动上报";
        auto t = domain::ApplyCaseAction(StatusOf(after), CaseAction::kEscalate, in);
        if (t) {
          CaseRow up = Project(after, CaseAction::kEscalate, in, *t, now, 0);
          storage::CaseEventRow esc{.at = now, .actor_kind = "system", .action = "escalate", .note = in.note};
          LINLI_ASSIGN_OR_RETURN(up, Transition(s, after, std::move(up), std::move(esc)));
          after = std::move(up);
        }
      }
      LINLI_TRY(audit_.Record(s, system, {.action = "case.overdue", .node_path = after.node_path,
                                          .target = RecordRef("case", after.id), .detail = audit_detail}));
    }
    return handled;
  });
}

}  // namespace linli::service
