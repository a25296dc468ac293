// The population registry over HTTP: boundaries and the point → grid lookup, buildings,
// households, residents. Personal values never appear in URLs: lookups by ID number or phone are
// POSTs, and responses carry them masked unless /unmask was called with a reason.
#include <cmath>

#include "http/api.h"
#include "http/json_io.h"
#include "http/render.h"

namespace linli::http {

namespace {

using service::Caller;


Result<std::optional<std::vector<std::string>>> OptionalStrings(const json::object& o, std::string_view field) {
  auto* v = o.if_contains(field);
  if (!v || v->is_null()) return std::optional<std::vector<std::string>>();
  if (!v->is_array()) return Error::Invalid(std::string(field), std::string(field) + " must be an array of strings");
  std::vector<std::string> out;
  for (const auto& x : v->as_array()) {
    if (!x.is_string()) return Error::Invalid(std::string(field), std::string(field) + " must be an array of strings");
    out.emplace_back(x.as_string());
  }
  return std::optional<std::vector<std::string>>(std::move(out));
}

json::object RenderCustomTag(const storage::CustomTagRow& t) {
  return json::object{{"id", t.id},
                      {"node_id", t.node_id},
                      {"label", t.label},
                      {"tag", std::string(domain::kCustomTagPrefix) + t.label},
                      {"description", t.description},
                      {"created_at", t.created_at},
                      {"retired_at", NullIfZero(t.retired_at)}};
}

Result<std::optional<int>> OptionalSmallInt(const json::object& o, std::string_view field, int lo, int hi) {
  LINLI_ASSIGN_OR_RETURN(auto v, OptionalInt(o, field));
  if (!v) return std::optional<int>();
  if (*v < lo || *v > hi) {
    return Error::Invalid(std::string(field), std::string(field) + " must be " + std::to_string(lo) + " to " + std::to_string(hi));
  }
  return std::optional<int>(static_cast<int>(*v));
}






json::object RenderHousehold(const service::HouseholdView& v) {
  json::object o;
  o["id"] = v.row.id;
  o["node_id"] = v.row.node_id;
  o["building_id"] = v.row.building_id;
  o["building_code"] = v.building_code;
  o["building_name"] = v.building_name;
  o["unit"] = v.row.unit;
  o["address"] = v.address;
  o["head_id"] = NullIfZero(v.row.head_id);
  o["members_count"] = v.row.members;
  o["status"] = v.row.status;
  json::array members;
  for (const auto& m : v.members) members.emplace_back(RenderResident(m));
  o["members"] = std::move(members);
  o["version"] = v.row.version;
  return o;
}

Result<domain::ResidentInput> ResidentFields(const json::object& body) {
  domain::ResidentInput in;
  LINLI_ASSIGN_OR_RETURN(in.name, RequiredString(body, "name"));
  auto set = [&](std::string_view field, std::string& into) -> Status {
    LINLI_ASSIGN_OR_RETURN(auto v, OptionalString(body, field));
    if (v) into = std::move(*v);
    return Ok();
  };
  LINLI_TRY(set("gender", in.gender));
  LINLI_TRY(set("birth_date", in.birth_date));
  LINLI_TRY(set("id_number", in.id_number));
  LINLI_TRY(set("phone", in.phone));
  LINLI_TRY(set("ethnic", in.ethnic));
  LINLI_TRY(set("residence_type", in.residence_type));
  LINLI_TRY(set("occupation", in.occupation));
  LINLI_TRY(set("relation", in.relation));
  LINLI_ASSIGN_OR_RETURN(auto tags, OptionalStrings(body, "tags"));
  if (tags) in.tags = std::move(*tags);
  LINLI_ASSIGN_OR_RETURN(auto level, OptionalSmallInt(body, "disability_level", 0, 4));
  in.disability_level = level.value_or(0);
  return in;
}

Result<service::ResidentFilter> ResidentFilterFrom(const HttpRequest& req) {
  service::ResidentFilter f;
  LINLI_ASSIGN_OR_RETURN(f.limit, QueryLimit(req, 50));
  LINLI_ASSIGN_OR_RETURN(f.node_id, QueryInt(req, "node_id", 1, INT64_MAX));
  LINLI_ASSIGN_OR_RETURN(f.household_id, QueryInt(req, "household_id", 1, INT64_MAX));
  LINLI_ASSIGN_OR_RETURN(auto after, QueryInt(req, "after", 0, INT64_MAX));
  f.after_id = after.value_or(0);
  LINLI_ASSIGN_OR_RETURN(auto age_min, QueryInt(req, "age_min", 0, 150));
  LINLI_ASSIGN_OR_RETURN(auto age_max, QueryInt(req, "age_max", 0, 150));
  LINLI_ASSIGN_OR_RETURN(auto days, QueryInt(req, "not_visited_days", 0, 3650));
  if (age_min) f.age_min = static_cast<int>(*age_min);
  if (age_max) f.age_max = static_cast<int>(*age_max);
  if (days) f.not_visited_days = static_cast<int>(*days);
  f.tag = QueryText(req, "tag");
  f.residence_type = QueryText(req, "residence_type");
  f.name = QueryText(req, "q");
  f.status = QueryText(req, "status");
  LINLI_ASSIGN_OR_RETURN(f.duplicates_only, QueryBool(req, "duplicates", false));
  LINLI_ASSIGN_OR_RETURN(f.vulnerable_only, QueryBool(req, "vulnerable", false));
  return f;
}

service::Done<service::ResidentView> ResidentReply(const Respond& respond, int status = 200) {
  return Reply<service::ResidentView>(respond, [](const service::ResidentView& v) { return RenderResident(v); }, status);
}

}  // namespace

Result<service::ResidentPatch> ParseResidentPatch(const json::object& body, std::initializer_list<std::string_view> also) {
  static constexpr std::string_view kFields[] = {"name", "gender", "birth_date", "id_number", "phone", "ethnic",
                                                 "residence_type", "occupation", "relation", "tags", "disability_level"};
  for (const auto& kv : body) {
    std::string_view key(kv.key().data(), kv.key().size());
    if (std::ranges::find(kFields, key) == std::end(kFields) && std::ranges::find(also, key) == also.end()) {
      return Error::Invalid(std::string(key), "unknown field " + std::string(key));
    }
  }
  service::ResidentPatch p;
  LINLI_ASSIGN_OR_RETURN(p.name, OptionalString(body, "name"));
  LINLI_ASSIGN_OR_RETURN(p.gender, OptionalString(body, "gender"));
  LINLI_ASSIGN_OR_RETURN(p.birth_date, OptionalString(body, "birth_date"));
  LINLI_ASSIGN_OR_RETURN(p.id_number, OptionalString(body, "id_number"));
  LINLI_ASSIGN_OR_RETURN(p.phone, OptionalString(body, "phone"));
  LINLI_ASSIGN_OR_RETURN(p.ethnic, OptionalString(body, "ethnic"));
  LINLI_ASSIGN_OR_RETURN(p.residence_type, OptionalString(body, "residence_type"));
  LINLI_ASSIGN_OR_RETURN(p.occupation, OptionalString(body, "occupation"));
  LINLI_ASSIGN_OR_RETURN(p.relation, OptionalString(body, "relation"));
  LINLI_ASSIGN_OR_RETURN(p.tags, OptionalStrings(body, "tags"));
  LINLI_ASSIGN_OR_RETURN(p.disability_level, OptionalSmallInt(body, "disability_level", 0, 4));
  if (std::ranges::find(also, "household_id") != also.end()) {
    LINLI_ASSIGN_OR_RETURN(p.household_id, OptionalInt(body, "household_id"));
  }
  if (std::ranges::find(also, "version") != also.end()) {
    LINLI_ASSIGN_OR_RETURN(p.version, OptionalInt(body, "version"));
  }
  return p;
}

void RegisterRegistryRoutes(Router& r, Api& api) {
  // ---- boundaries and location ----
  r.Add("PUT", "/api/v1/org/nodes/{id}/boundary", Authed(api, [&api](HttpRequest& req, const Caller& who, const Respond& respond) -> Status {
    LINLI_ASSIGN_OR_RETURN(auto id, PathId(req));
    if (auto ct = req.Header("content-type"); !ct || (ct->find("json") == std::string_view::npos)) {
      return Error::Invalid("content-type", "send the boundary as application/geo+json or application/json");
    }
    api.geo.SetBoundary(who, id, req.body, Reply<domain::OrgNode>(respond, [](const domain::OrgNode& n) { return RenderNode(n); }));
    return Ok();
  }), {.max_body_bytes = 4 << 20});

  // Many boundaries at once: a FeatureCollection naming each node by properties.code.
  r.Add("PUT", "/api/v1/org/boundaries", Authed(api, [&api](HttpRequest& req, const Caller& who, const Respond& respond) -> Status {
    if (auto ct = req.Header("content-type"); !ct || (ct->find("json") == std::string_view::npos)) {
      return Error::Invalid("content-type", "send the boundaries as application/geo+json or application/json");
    }
    // Checking thousands of shapes against their neighbours takes a while: off the HTTP thread.
    api.cpu.Post([&api, who, body = std::move(req.body), respond]() {
      auto set = api.geo.SetBoundaries(who, body);
      if (!set) return respond(ErrorResponse(set.error()));
      json::object o;
      o["set"] = *set;
      respond(JsonResponse(200, std::move(o)));
    });
    return Ok();
  }), {.max_body_bytes = 64u << 20});

  r.Add("GET", "/api/v1/org/nodes/{id}/boundary", Authed(api, [&api](HttpRequest& req, const Caller& who, const Respond& respond) -> Status {
    LINLI_ASSIGN_OR_RETURN(auto id, PathId(req));
    LINLI_ASSIGN_OR_RETURN(auto geojson, api.geo.GetBoundary(who, id));
    HttpResponse resp;
    resp.status = 200;
    resp.body = std::move(geojson);
    resp.content_type = "application/geo+json";
    respond(std::move(resp));
    return Ok();
  }));

  // Tags a resident at this node may carry: the standard ones and the community's own.
  r.Add("GET", "/api/v1/org/nodes/{id}/tags", Authed(api, [&api](HttpRequest& req, const Caller& who, const Respond& respond) -> Status {
    LINLI_ASSIGN_OR_RETURN(auto id, PathId(req));
    LINLI_ASSIGN_OR_RETURN(auto retired, QueryBool(req, "retired", false));
    LINLI_ASSIGN_OR_RETURN(auto custom, api.registry.CustomTags(who, id, retired));
    json::array standard, own;
    for (const auto& t : domain::StandardTags()) {
      standard.emplace_back(json::object{{"code", t.code}, {"label", t.label},
                                         {"sensitive", domain::IsSensitiveTag(t.code)}});
    }
    for (const auto& t : custom) own.emplace_back(RenderCustomTag(t));
    respond(JsonResponse(200, json::object{{"standard", std::move(standard)}, {"custom", std::move(own)}}));
    return Ok();
  }));

  r.Add("POST", "/api/v1/org/nodes/{id}/tags", Authed(api, [&api](HttpRequest& req, const Caller& who, const Respond& respond) -> Status {
    LINLI_ASSIGN_OR_RETURN(auto id, PathId(req));
    LINLI_ASSIGN_OR_RETURN(auto body, ParseObject(req));
    LINLI_TRY(OnlyKnownFields(body, {"label", "description"}));
    LINLI_ASSIGN_OR_RETURN(auto label, RequiredString(body, "label"));
    LINLI_ASSIGN_OR_RETURN(auto description, OptionalString(body, "description"));
    api.registry.DefineCustomTag(who, id, std::move(label), description.value_or(""),
                                 Reply<storage::CustomTagRow>(respond, RenderCustomTag, 201));
    return Ok();
  }));

  r.Add("POST", "/api/v1/tags/{id}/retire", Authed(api, [&api](HttpRequest& req, const Caller& who, const Respond& respond) -> Status {
    LINLI_ASSIGN_OR_RETURN(auto id, PathId(req));
    api.registry.RetireCustomTag(who, id, Reply<storage::CustomTagRow>(respond, RenderCustomTag));
    return Ok();
  }));

  r.Add("GET", "/api/v1/org/nodes/{id}/counts", Authed(api, [&api](HttpRequest& req, const Caller& who, const Respond& respond) -> Status {
    LINLI_ASSIGN_OR_RETURN(auto id, PathId(req));
    LINLI_ASSIGN_OR_RETURN(auto c, api.registry.Counts(who, id));
    json::object o;
    o["node_id"] = id;
    o["residents"] = 0;
    o["households"] = 0;
    o["buildings"] = 0;
    for (const auto& [metric, value] : c.rollups) o[metric] = value;
    o["elderly"] = c.elderly;
    respond(JsonResponse(200, o));
    return Ok();
  }));

  r.Add("POST", "/api/v1/org/nodes/{id}/split", Authed(api, [&api](HttpRequest& req, const Caller& who, const Respond& respond) -> Status {
    LINLI_ASSIGN_OR_RETURN(auto id, PathId(req));
    LINLI_ASSIGN_OR_RETURN(auto body, ParseObject(req));
    LINLI_TRY(OnlyKnownFields(body, {"micro_grids"}));
    auto* list = body.if_contains("micro_grids");
    if (!list || !list->is_array()) return Error::Invalid("micro_grids", "micro_grids must be an array of {code, name, boundary}");
    std::vector<service::MicroGridInput> parts;
    for (std::size_t i = 0; i < list->as_array().size(); ++i) {
      const auto& item = list->as_array()[i];
      std::string field = "micro_grids[" + std::to_string(i) + "]";
      if (!item.is_object()) return Error::Invalid(field, field + " must be an object");
      service::MicroGridInput part;
      auto text = [&](const char* key, std::string& into) -> Status {
        auto* v = item.as_object().if_contains(key);
        if (!v || !v->is_string()) return Error::Invalid(field + "." + key, field + "." + key + " must be a string");
        into = std::string(v->as_string());
        return Ok();
      };
      LINLI_TRY(text("code", part.code));
      LINLI_TRY(text("name", part.name));
      auto* boundary = item.as_object().if_contains("boundary");
      if (!boundary || !boundary->is_object()) return Error::Invalid(field + ".boundary", field + ".boundary must be a GeoJSON object");
      part.boundary = json::serialize(*boundary);
      parts.push_back(std::move(part));
    }
    api.restructure.Split(who, id, std::move(parts), Reply<service::SplitResult>(respond, [](const service::SplitResult& r) {
      json::object o;
      json::array nodes;
      for (const auto& n : r.micro_grids) nodes.emplace_back(RenderNode(n));
      o["micro_grids"] = std::move(nodes);
      o["buildings_moved"] = r.buildings_moved;
      o["buildings_unplaced"] = r.buildings_unplaced;
      return o;
    }, 201));
    return Ok();
  }), {.max_body_bytes = 4 << 20});

  r.Add("POST", "/api/v1/org/nodes/{id}/merge", Authed(api, [&api](HttpRequest& req, const Caller& who, const Respond& respond) -> Status {
    LINLI_ASSIGN_OR_RETURN(auto id, PathId(req));
    LINLI_ASSIGN_OR_RETURN(auto body, ParseObject(req));
    LINLI_TRY(OnlyKnownFields(body, {"from_id"}));
    LINLI_ASSIGN_OR_RETURN(auto from, RequiredInt(body, "from_id"));
    api.restructure.Merge(who, id, from, Reply<domain::OrgNode>(respond, [](const domain::OrgNode& n) { return RenderNode(n); }));
    return Ok();
  }));

  r.Add("GET", "/api/v1/org/nodes/{id}/history", Authed(api, [&api](HttpRequest& req, const Caller& who, const Respond& respond) -> Status {
    LINLI_ASSIGN_OR_RETURN(auto id, PathId(req));
    LINLI_ASSIGN_OR_RETURN(auto changes, api.restructure.History(who, id));
    json::array items;
    for (const auto& c : changes) items.emplace_back(RenderHistoryEntry(c.id, c.kind, c.at, c.actor_id, c.detail));
    json::object o;
    o["items"] = std::move(items);
    respond(JsonResponse(200, o));
    return Ok();
  }));

  r.Add("GET", "/api/v1/geo/locate", Authed(api, [&api](HttpRequest& req, const Caller& who, const Respond& respond) -> Status {
    LINLI_ASSIGN_OR_RETURN(auto lon, QueryNumber(req, "lon"));
    LINLI_ASSIGN_OR_RETURN(auto lat, QueryNumber(req, "lat"));
    LINLI_TRY(domain::ValidateLonLat(lon, lat));
    LINLI_ASSIGN_OR_RETURN(auto tolerance, QueryInt(req, "tolerance_m", 0, 1000));
    auto hit = api.geo.Locate({lon, lat}, static_cast<double>(tolerance.value_or(50)));
    if (!hit) return Error::NotFound("the point lies in no grid");
    LINLI_ASSIGN_OR_RETURN(auto node, api.org.Get(who, hit->node_id));
    json::object o;
    o["node"] = RenderNode(node);
    o["distance_m"] = hit->distance_m;
    respond(JsonResponse(200, o));
    return Ok();
  }));

  // ---- buildings ----
  r.Add("POST", "/api/v1/buildings", Authed(api, [&api](HttpRequest& req, const Caller& who, const Respond& respond) -> Status {
    LINLI_ASSIGN_OR_RETURN(auto body, ParseObject(req));
    LINLI_TRY(OnlyKnownFields(body, {"node_id", "code", "name", "address", "lon", "lat", "floors", "units"}));
    service::BuildingInput in;
    LINLI_ASSIGN_OR_RETURN(auto node, OptionalInt(body, "node_id"));
    in.node_id = node.value_or(0);
    LINLI_ASSIGN_OR_RETURN(in.code, RequiredString(body, "code"));
    LINLI_ASSIGN_OR_RETURN(in.name, RequiredString(body, "name"));
    LINLI_ASSIGN_OR_RETURN(auto address, OptionalString(body, "address"));
    in.address = address.value_or("");
    LINLI_ASSIGN_OR_RETURN(in.lon, OptionalNumber(body, "lon"));
    LINLI_ASSIGN_OR_RETURN(in.lat, OptionalNumber(body, "lat"));
    LINLI_ASSIGN_OR_RETURN(auto floors, OptionalSmallInt(body, "floors", 0, 200));
    LINLI_ASSIGN_OR_RETURN(auto units, OptionalSmallInt(body, "units", 0, 50));
    in.floors = floors.value_or(0);
    in.units = units.value_or(0);
    api.registry.CreateBuilding(who, std::move(in),
                                Reply<storage::BuildingRow>(respond, [](const storage::BuildingRow& b) { return RenderBuilding(b); }, 201));
    return Ok();
  }));

  r.Add("GET", "/api/v1/buildings", Authed(api, [&api](HttpRequest& req, const Caller& who, const Respond& respond) -> Status {
    LINLI_ASSIGN_OR_RETURN(auto limit, QueryLimit(req, 50));
    LINLI_ASSIGN_OR_RETURN(auto node, QueryInt(req, "node_id", 1, INT64_MAX));
    LINLI_ASSIGN_OR_RETURN(auto after, QueryInt(req, "after", 0, INT64_MAX));
    if (auto code = QueryText(req, "code")) {
      LINLI_ASSIGN_OR_RETURN(auto b, api.registry.GetBuildingByCode(who, *code));
      json::array items;
      items.emplace_back(RenderBuilding(b));
      respond(JsonResponse(200, Page(std::move(items), limit, b.id)));
      return Ok();
    }
    LINLI_ASSIGN_OR_RETURN(auto list, api.registry.ListBuildings(who, node, after.value_or(0), limit));
    json::array items;
    for (const auto& b : list) items.emplace_back(RenderBuilding(b));
    respond(JsonResponse(200, Page(std::move(items), limit, list.empty() ? 0 : list.back().id)));
    return Ok();
  }));

  r.Add("GET", "/api/v1/buildings/{id}", Authed(api, [&api](HttpRequest& req, const Caller& who, const Respond& respond) -> Status {
    LINLI_ASSIGN_OR_RETURN(auto id, PathId(req));
    LINLI_ASSIGN_OR_RETURN(auto b, api.registry.GetBuilding(who, id));
    respond(JsonResponse(200, RenderBuilding(b)));
    return Ok();
  }));

  // ---- households ----
  r.Add("POST", "/api/v1/households", Authed(api, [&api](HttpRequest& req, const Caller& who, const Respond& respond) -> Status {
    LINLI_ASSIGN_OR_RETURN(auto body, ParseObject(req));
    LINLI_TRY(OnlyKnownFields(body, {"building_id", "unit", "room"}));
    service::HouseholdInput in;
    LINLI_ASSIGN_OR_RETURN(in.building_id, RequiredInt(body, "building_id"));
    LINLI_ASSIGN_OR_RETURN(auto unit, OptionalString(body, "unit"));
    in.unit = unit.value_or("");
    LINLI_ASSIGN_OR_RETURN(in.room, RequiredString(body, "room"));
    api.registry.CreateHousehold(who, std::move(in),
                                 Reply<service::HouseholdView>(respond, [](const service::HouseholdView& v) { return RenderHousehold(v); }, 201));
    return Ok();
  }));

  r.Add("GET", "/api/v1/households", Authed(api, [&api](HttpRequest& req, const Caller& who, const Respond& respond) -> Status {
    LINLI_ASSIGN_OR_RETURN(auto limit, QueryLimit(req, 50));
    LINLI_ASSIGN_OR_RETURN(auto node, QueryInt(req, "node_id", 1, INT64_MAX));
    LINLI_ASSIGN_OR_RETURN(auto building, QueryInt(req, "building_id", 1, INT64_MAX));
    LINLI_ASSIGN_OR_RETURN(auto after, QueryInt(req, "after", 0, INT64_MAX));
    LINLI_ASSIGN_OR_RETURN(auto list, api.registry.ListHouseholds(who, node, building, after.value_or(0), limit));
    json::array items;
    for (const auto& h : list) items.emplace_back(RenderHousehold(h));
    respond(JsonResponse(200, Page(std::move(items), limit, list.empty() ? 0 : list.back().row.id)));
    return Ok();
  }));

  r.Add("GET", "/api/v1/households/{id}", Authed(api, [&api](HttpRequest& req, const Caller& who, const Respond& respond) -> Status {
    LINLI_ASSIGN_OR_RETURN(auto id, PathId(req));
    LINLI_ASSIGN_OR_RETURN(auto h, api.registry.GetHousehold(who, id));
    respond(JsonResponse(200, RenderHousehold(h)));
    return Ok();
  }));

  // ---- residents ----
  r.Add("POST", "/api/v1/residents", Authed(api, [&api](HttpRequest& req, const Caller& who, const Respond& respond) -> Status {
    LINLI_ASSIGN_OR_RETURN(auto body, ParseObject(req));
    std::initializer_list<std::string_view> known = {"household_id", "node_id", "event", "name", "gender", "birth_date",
                                                     "id_number", "phone", "ethnic", "residence_type", "occupation",
                                                     "relation", "tags", "disability_level"};
    LINLI_TRY(OnlyKnownFields(body, known));
    service::ResidentCreateInput in;
    LINLI_ASSIGN_OR_RETURN(auto household, OptionalInt(body, "household_id"));
    LINLI_ASSIGN_OR_RETURN(auto node, OptionalInt(body, "node_id"));
    in.household_id = household.value_or(0);
    in.node_id = node.value_or(0);
    LINLI_ASSIGN_OR_RETURN(auto event, OptionalString(body, "event"));
    in.event = event.value_or("register");
    LINLI_ASSIGN_OR_RETURN(in.fields, ResidentFields(body));
    api.registry.CreateResident(who, std::move(in), ResidentReply(respond, 201));
    return Ok();
  }));

  r.Add("GET", "/api/v1/residents", Authed(api, [&api](HttpRequest& req, const Caller& who, const Respond& respond) -> Status {
    LINLI_ASSIGN_OR_RETURN(auto f, ResidentFilterFrom(req));
    LINLI_ASSIGN_OR_RETURN(auto list, api.registry.ListResidents(who, f));
    json::array items;
    for (const auto& v : list) items.emplace_back(RenderResident(v));
    respond(JsonResponse(200, Page(std::move(items), f.limit, list.empty() ? 0 : list.back().id)));
    return Ok();
  }));

  r.Add("GET", "/api/v1/residents/count", Authed(api, [&api](HttpRequest& req, const Caller& who, const Respond& respond) -> Status {
    LINLI_ASSIGN_OR_RETURN(auto f, ResidentFilterFrom(req));
    LINLI_ASSIGN_OR_RETURN(auto n, api.registry.CountResidents(who, f));
    json::object o;
    o["count"] = n;
    respond(JsonResponse(200, o));
    return Ok();
  }));

  r.Add("POST", "/api/v1/residents/lookup", Authed(api, [&api](HttpRequest& req, const Caller& who, const Respond& respond) -> Status {
    LINLI_ASSIGN_OR_RETURN(auto body, ParseObject(req));
    LINLI_TRY(OnlyKnownFields(body, {"id_number", "phone"}));
    LINLI_ASSIGN_OR_RETURN(auto id_number, OptionalString(body, "id_number"));
    LINLI_ASSIGN_OR_RETURN(auto phone, OptionalString(body, "phone"));
    LINLI_ASSIGN_OR_RETURN(auto list, api.registry.Lookup(who, id_number.value_or(""), phone.value_or("")));
    json::array items;
    for (const auto& v : list) items.emplace_back(RenderResident(v));
    json::object o;
    o["items"] = std::move(items);
    respond(JsonResponse(200, o));
    return Ok();
  }));

  r.Add("GET", "/api/v1/residents/{id}", Authed(api, [&api](HttpRequest& req, const Caller& who, const Respond& respond) -> Status {
    LINLI_ASSIGN_OR_RETURN(auto id, PathId(req));
    LINLI_ASSIGN_OR_RETURN(auto v, api.registry.GetResident(who, id));
    respond(JsonResponse(200, RenderResident(v)));
    return Ok();
  }));

  r.Add("PATCH", "/api/v1/residents/{id}", Authed(api, [&api](HttpRequest& req, const Caller& who, const Respond& respond) -> Status {
    LINLI_ASSIGN_OR_RETURN(auto id, PathId(req));
    LINLI_ASSIGN_OR_RETURN(auto body, ParseObject(req));
    LINLI_ASSIGN_OR_RETURN(auto p, ParseResidentPatch(body, {"household_id", "version"}));
    api.registry.UpdateResident(who, id, std::move(p), ResidentReply(respond));
    return Ok();
  }));

  r.Add("POST", "/api/v1/residents/{id}/events", Authed(api, [&api](HttpRequest& req, const Caller& who, const Respond& respond) -> Status {
    LINLI_ASSIGN_OR_RETURN(auto id, PathId(req));
    LINLI_ASSIGN_OR_RETURN(auto body, ParseObject(req));
    LINLI_TRY(OnlyKnownFields(body, {"kind", "note"}));
    LINLI_ASSIGN_OR_RETURN(auto kind, RequiredString(body, "kind"));
    LINLI_ASSIGN_OR_RETURN(auto note, OptionalString(body, "note"));
    api.registry.RecordLifeEvent(who, id, std::move(kind), note.value_or(""), ResidentReply(respond));
    return Ok();
  }));

  r.Add("GET", "/api/v1/residents/{id}/history", Authed(api, [&api](HttpRequest& req, const Caller& who, const Respond& respond) -> Status {
    LINLI_ASSIGN_OR_RETURN(auto id, PathId(req));
    LINLI_ASSIGN_OR_RETURN(auto events, api.registry.History(who, id));
    json::array items;
    for (const auto& e : events) items.emplace_back(RenderHistoryEntry(e.id, e.kind, e.at, e.actor_id, e.detail));
    json::object o;
    o["items"] = std::move(items);
    respond(JsonResponse(200, o));
    return Ok();
  }));

  r.Add("POST", "/api/v1/residents/{id}/unmask", Authed(api, [&api](HttpRequest& req, const Caller& who, const Respond& respond) -> Status {
    LINLI_ASSIGN_OR_RETURN(auto id, PathId(req));
    LINLI_ASSIGN_OR_RETURN(auto body, ParseObject(req));
    LINLI_TRY(OnlyKnownFields(body, {"reason"}));
    LINLI_ASSIGN_OR_RETURN(auto reason, RequiredString(body, "reason"));
    LINLI_ASSIGN_OR_RETURN(auto v, api.registry.Unmask(who, id, reason));
    respond(JsonResponse(200, RenderResident(v)).With("Cache-Control", "no-store"));
    return Ok();
  }));
}

}  // namespace linli::http

namespace linli::http {

namespace {
HttpResponse ExportResponse(const service::ExportFile& f) {
  return FileResponse(f.bytes, f.content_type, "attachment; filename=\"" + f.filename + "\"", "no-store");
}

json::object RenderImportReport(const service::ImportReport& r) {
  json::object o;
  o["rows"] = r.rows;
  o["valid"] = r.valid;
  o["already_imported"] = r.already_imported;
  o["households_created"] = r.households_created;
  o["residents_created"] = r.residents_created;
  o["buildings_created"] = r.buildings_created;
  o["nodes_created"] = r.nodes_created;
  o["likely_duplicates"] = r.likely_duplicates;
  o["encoding"] = r.encoding;
  o["dry_run"] = r.dry_run;
  o["committed"] = r.committed;
  o["issue_count"] = r.issue_count;
  json::array issues;
  for (const auto& i : r.issues) {
    json::object x;
    x["row"] = i.row;
    x["column"] = i.column;
    x["field"] = i.field;
    x["message"] = i.message;
    issues.emplace_back(std::move(x));
  }
  o["issues"] = std::move(issues);
  if (r.run_id) o["run_id"] = r.run_id; else o["run_id"] = nullptr;
  return o;
}

Result<tabular::Format> FormatOf(const HttpRequest& req) {
  auto it = req.query.find("format");
  if (it != req.query.end() && !it->second.empty()) return tabular::ParseFormat(it->second);
  return tabular::Format::kCsv;
}

// format=csv|xlsx, reveal=true with reason=… for an unmasked (audited) file.
struct ExportOptions {
  tabular::Format format = tabular::Format::kCsv;
  bool reveal = false;
  std::string reason;
};

Result<ExportOptions> ExportOptionsOf(const HttpRequest& req) {
  ExportOptions o;
  LINLI_ASSIGN_OR_RETURN(o.format, FormatOf(req));
  LINLI_ASSIGN_OR_RETURN(o.reveal, QueryBool(req, "reveal", false));
  o.reason = QueryText(req, "reason").value_or("");
  return o;
}

void SendFile(const Respond& respond, const Result<service::ExportFile>& file) {
  respond(file ? ExportResponse(*file) : ErrorResponse(file.error()));
}
}  // namespace

void RegisterImportRoutes(Router& r, Api& api) {
  // Both rosters: ?dry_run=true checks and reports without writing; node_id limits the rows to
  // buildings (or grids) under it; format=csv|xlsx unless the bytes say which.
  using ImportFn = Result<service::ImportReport> (service::ImportService::*)(const service::Caller&, std::string_view,
                                                                             tabular::Format,
                                                                             const service::ImportOptions&);
  auto import_route = [&r, &api](const char* path, ImportFn import, bool resumable_allowed) {
    r.Add("POST", path, Authed(api, [&api, import, resumable_allowed](HttpRequest& req, const service::Caller& who,
                                                                        const Respond& respond) -> Status {
      service::ImportOptions options;
      LINLI_ASSIGN_OR_RETURN(options.dry_run, QueryBool(req, "dry_run", false));
      if (resumable_allowed) {
        LINLI_ASSIGN_OR_RETURN(options.resumable, QueryBool(req, "resumable", false));
      }
      LINLI_ASSIGN_OR_RETURN(options.node_id, QueryInt(req, "node_id", 1, INT64_MAX));
      options.max_rows = 500'000;
      tabular::Format format = tabular::Sniff(req.body);
      if (auto f = req.query.find("format"); f != req.query.end() && !f->second.empty()) {
        LINLI_ASSIGN_OR_RETURN(format, tabular::ParseFormat(f->second));
      }
      // Validating and sealing thousands of rows takes a while: off the HTTP thread.
      api.cpu.Post([&api, import, who, options, format, body = std::move(req.body), respond]() {
        auto report = (api.imports.*import)(who, body, format, options);
        if (!report) return respond(ErrorResponse(report.error()));
        int status = report->issue_count > 0 ? 422 : report->committed ? 201 : 200;
        respond(JsonResponse(status, RenderImportReport(*report)));
      });
      return Ok();
    }), {.max_body_bytes = 64u << 20});
  };
  import_route("/api/v1/import/residents", &service::ImportService::ImportResidents, true);
  import_route("/api/v1/import/buildings", &service::ImportService::ImportBuildings, false);
  import_route("/api/v1/import/org", &service::ImportService::ImportOrgNodes, false);

  // ?kind=residents (the default), buildings or org.
  r.Add("GET", "/api/v1/import/template", Authed(api, [&api](HttpRequest& req, const service::Caller&, const Respond& respond) -> Status {
    LINLI_ASSIGN_OR_RETURN(auto format, FormatOf(req));
    auto kind = service::RosterKind::kResidents;
    if (auto k = QueryText(req, "kind"); k && *k != "residents") {
      if (*k == "buildings") {
        kind = service::RosterKind::kBuildings;
      } else if (*k == "org") {
        kind = service::RosterKind::kOrg;
      } else {
        return Error::Invalid("kind", "kind must be residents, buildings or org");
      }
    }
    LINLI_ASSIGN_OR_RETURN(auto file, api.imports.Template(format, kind));
    respond(ExportResponse(file));
    return Ok();
  }));

  r.Add("GET", "/api/v1/export/residents", Authed(api, [&api](HttpRequest& req, const service::Caller& who, const Respond& respond) -> Status {
    LINLI_ASSIGN_OR_RETURN(auto how, ExportOptionsOf(req));
    LINLI_ASSIGN_OR_RETURN(auto filter, ResidentFilterFrom(req));
    api.cpu.Post([&api, who, filter, how, respond] {
      SendFile(respond, api.imports.ExportResidents(who, filter, how.format, how.reveal, how.reason));
    });
    return Ok();
  }));

  r.Add("GET", "/api/v1/export/households", Authed(api, [&api](HttpRequest& req, const service::Caller& who, const Respond& respond) -> Status {
    LINLI_ASSIGN_OR_RETURN(auto how, ExportOptionsOf(req));
    LINLI_ASSIGN_OR_RETURN(auto node, QueryInt(req, "node_id", 1, INT64_MAX));
    LINLI_ASSIGN_OR_RETURN(auto building, QueryInt(req, "building_id", 1, INT64_MAX));
    api.cpu.Post([&api, who, node, building, how, respond] {
      SendFile(respond, api.imports.ExportHouseholds(who, node, building, how.format, how.reveal, how.reason));
    });
    return Ok();
  }));

  r.Add("GET", "/api/v1/export/cases", Authed(api, [&api](HttpRequest& req, const service::Caller& who, const Respond& respond) -> Status {
    LINLI_ASSIGN_OR_RETURN(auto how, ExportOptionsOf(req));
    if (how.reveal) return Error::Invalid("reveal", "case exports never carry the reporter; unmask one case instead");
    LINLI_ASSIGN_OR_RETURN(auto node, QueryInt(req, "node_id", 1, INT64_MAX));
    storage::CaseListQuery q;
    if (auto state = QueryText(req, "state")) q.states = {*state};
    q.category_code = QueryText(req, "category");
    LINLI_ASSIGN_OR_RETURN(q.open_only, QueryBool(req, "open", false));
    LINLI_ASSIGN_OR_RETURN(q.overdue_only, QueryBool(req, "overdue", false));
    LINLI_ASSIGN_OR_RETURN(auto days, domain::ChinaDayRange(QueryText(req, "since").value_or(""),
                                                            QueryText(req, "until").value_or("")));
    std::tie(q.created_from, q.created_to) = days;
    api.cpu.Post([&api, who, node, q, how, respond] {
      SendFile(respond, api.imports.ExportCases(who, node, q, how.format));
    });
    return Ok();
  }));

  r.Add("GET", "/api/v1/export/visits", Authed(api, [&api](HttpRequest& req, const service::Caller& who, const Respond& respond) -> Status {
    LINLI_ASSIGN_OR_RETURN(auto how, ExportOptionsOf(req));
    LINLI_ASSIGN_OR_RETURN(auto node, QueryInt(req, "node_id", 1, INT64_MAX));
    storage::VisitListQuery q;
    LINLI_ASSIGN_OR_RETURN(q.sweep_id, QueryInt(req, "sweep_id", 1, INT64_MAX));
    LINLI_ASSIGN_OR_RETURN(auto days, domain::ChinaDayRange(QueryText(req, "since").value_or(""),
                                                            QueryText(req, "until").value_or("")));
    std::tie(q.since, q.until) = days;
    api.cpu.Post([&api, who, node, q, how, respond] {
      SendFile(respond, api.imports.ExportVisits(who, node, q, how.format, how.reveal, how.reason));
    });
    return Ok();
  }));
}

}  // namespace linli::http
