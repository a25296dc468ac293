#include "http/render.h"

#include "core/clock.h"

namespace linli::http {

namespace json = boost::json;

json::value StoredJson(const std::string& text) {
  if (text.empty()) return nullptr;
  json::error_code ec;
  json::value v = json::parse(text, ec);
  return ec ? json::value(text) : v;
}

json::object RenderHistoryEntry(std::int64_t id, const std::string& kind, Millis at, std::int64_t actor_id,
                                const std::string& detail) {
  json::object o;
  o["id"] = id;
  o["kind"] = kind;
  o["at"] = at;
  o["actor_id"] = actor_id;
  o["detail"] = StoredJson(detail);
  return o;
}

json::object RenderNode(const domain::OrgNode& n) {
  json::object o(10);  // its ten fields, without rehashing
  o["id"] = n.id;
  if (n.parent_id) o["parent_id"] = n.parent_id; else o["parent_id"] = nullptr;
  o["type"] = domain::NodeTypeName(n.type);
  o["code"] = n.code;
  o["name"] = n.name;
  o["path"] = n.path;
  o["archived"] = n.archived;
  o["version"] = n.version;
  o["created_at"] = FormatUtc(n.created_at);
  o["updated_at"] = FormatUtc(n.updated_at);
  return o;
}

json::object RenderUserRecord(const storage::UserRecord& u) {
  json::object o;
  o["id"] = u.id;
  o["username"] = u.username;
  o["display_name"] = u.display_name;
  o["home_node_id"] = u.home_node_id;
  o["disabled"] = u.disabled;
  o["locked_until"] = u.locked_until ? json::value(FormatUtc(u.locked_until)) : json::value(nullptr);
  o["must_change_password"] = u.must_change_password;
  o["created_at"] = FormatUtc(u.created_at);
  return o;
}

json::object RenderAssignment(const storage::AssignmentRecord& a) {
  return json::object{{"id", a.id}, {"user_id", a.user_id}, {"role", a.role},
                      {"node_id", a.node_id}, {"node_name", a.node_name}, {"node_path", a.node_path}};
}

json::object RenderUser(const service::UserView& v) {
  json::object o = RenderUserRecord(v.user);
  json::array a;
  for (const auto& x : v.assignments) a.emplace_back(RenderAssignment(x));
  o["assignments"] = std::move(a);
  return o;
}

json::object RenderAuditEntry(const domain::AuditEntry& e) {
  json::object o;
  o["seq"] = e.seq;
  o["at"] = FormatUtc(e.at);
  o["actor_id"] = e.actor_id;
  o["actor_name"] = e.actor_name;
  o["action"] = e.action;
  o["outcome"] = e.outcome;
  o["node_path"] = e.node_path;
  o["target"] = e.target;
  o["detail"] = StoredJson(e.detail);
  o["ip"] = e.ip;
  o["hash"] = e.hash;
  o["prev_hash"] = e.prev_hash;
  return o;
}

json::object RenderApiKey(const storage::ApiKeyRecord& k) {
  json::object o;
  o["id"] = k.id;
  o["prefix"] = k.prefix;
  o["name"] = k.name;
  o["user_id"] = k.user_id;
  o["username"] = k.username;
  o["created_at"] = FormatUtc(k.created_at);
  o["revoked_at"] = k.revoked_at ? json::value(FormatUtc(*k.revoked_at)) : json::value(nullptr);
  o["last_used_at"] = k.last_used_at ? json::value(FormatUtc(*k.last_used_at)) : json::value(nullptr);
  return o;
}

json::object RenderRole(const domain::RoleDefinition& r) {
  json::array p;
  for (const auto& x : r.permissions) p.emplace_back(x);
  return json::object{{"name", r.name}, {"title", r.title_zh}, {"permissions", p},
                      {"editable", !domain::IsAdminRole(r.name)}};
}

json::object RenderPolicy(const domain::SecurityPolicy& p) {
  return json::object{{"password_mode", domain::PasswordPolicyModeName(p.password_mode)},
                      {"session_idle_minutes", p.session_idle_timeout / 60000},
                      {"session_absolute_hours", p.session_absolute_lifetime / 3600000},
                      {"max_failed_logins", p.max_failed_logins},
                      {"lockout_minutes", p.lockout_duration / 60000}};
}

json::object Page(json::array items, std::size_t limit, std::int64_t last_id) {
  json::object o;
  bool full = items.size() >= limit && limit > 0;
  o["items"] = std::move(items);
  if (full) o["next_after"] = last_id; else o["next_after"] = nullptr;
  return o;
}

json::array Strings(const std::vector<std::string>& v) {
  json::array a;
  for (const auto& s : v) a.emplace_back(s);
  return a;
}

json::value NullIfZero(std::int64_t v) { return v == 0 ? json::value(nullptr) : json::value(v); }

json::object RenderBuilding(const storage::BuildingRow& b) {
  json::object o;
  o["id"] = b.id;
  o["node_id"] = b.node_id;
  o["code"] = b.code;
  o["name"] = b.name;
  o["address"] = b.address;
  if (b.lon) o["lon"] = *b.lon; else o["lon"] = nullptr;
  if (b.lat) o["lat"] = *b.lat; else o["lat"] = nullptr;
  o["floors"] = b.floors;
  o["units"] = b.units;
  o["archived"] = b.archived;
  o["version"] = b.version;
  return o;
}

json::object RenderResident(const service::ResidentView& v) {
  json::object o;
  o["id"] = v.id;
  o["node_id"] = v.node_id;
  o["household_id"] = NullIfZero(v.household_id);
  o["relation"] = v.relation;
  o["name"] = v.name;
  o["gender"] = v.gender;
  o["birth_date"] = v.birth_date;
  o["age"] = v.age;
  o["id_number"] = v.id_number.empty() ? json::value(nullptr) : json::value(v.id_number);
  o["phone"] = v.phone.empty() ? json::value(nullptr) : json::value(v.phone);
  o["ethnic"] = v.ethnic;
  o["residence_type"] = v.residence_type;
  o["occupation"] = v.occupation;
  o["tags"] = Strings(v.tags);
  if (v.masked) {
    o["sensitive_tags"] = v.has_sensitive ? json::value("masked") : json::value(nullptr);
  } else {
    o["sensitive_tags"] = Strings(v.sensitive_tags);
    o["disability_level"] = v.disability_level;
  }
  o["vulnerable"] = v.vulnerable;
  o["status"] = v.status;
  o["duplicate_of"] = NullIfZero(v.duplicate_of);
  o["last_visited_at"] = NullIfZero(v.last_visited_at);
  o["created_at"] = v.created_at;
  o["updated_at"] = v.updated_at;
  o["version"] = v.version;
  o["masked"] = v.masked;
  return o;
}

}  // namespace linli::http
