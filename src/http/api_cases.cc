// Resident requests and grid events over HTTP: the category catalogue, staff intake, the case
// list, detail with its timeline, workflow actions, unmasking the reporter, and the resident's
// endpoints under /api/v1/public (no account: report, follow by tracking code, rate).
#include "core/qr_svg.h"
#include "domain/text.h"
#include "http/api.h"
#include "http/json_io.h"
#include "http/render.h"

namespace linli::http {

namespace {

using service::Caller;

json::object RenderCase(const service::CaseView& v) {
  const auto& c = v.row;
  json::object o;
  o["id"] = c.id;
  o["tracking_code"] = c.tracking_code;
  o["node_id"] = c.node_id;
  o["category"] = c.category_code;
  o["category_name"] = v.category_name;
  o["channel"] = c.channel;
  o["priority"] = c.priority;
  o["state"] = c.state;
  o["level"] = c.level;
  o["description"] = c.description;
  o["address"] = c.address;
  o["lon"] = c.lon ? json::value(*c.lon) : json::value(nullptr);
  o["lat"] = c.lat ? json::value(*c.lat) : json::value(nullptr);
  o["building_id"] = NullIfZero(c.building_id);
  o["placed"] = c.placed;
  o["attributes"] = c.attributes.empty() ? json::value(json::object()) : StoredJson(c.attributes);
  o["reporter_name"] = v.reporter_name;
  o["reporter_phone"] = v.reporter_phone;
  o["reporter_id"] = NullIfZero(c.reporter_id);
  o["assignee_id"] = NullIfZero(c.assignee_id);
  o["department"] = c.department;
  o["supervised"] = c.supervised;
  o["reopen_count"] = c.reopen_count;
  o["overdue_response"] = (c.overdue & 1) != 0;
  o["overdue_resolve"] = (c.overdue & 2) != 0;
  o["response_due_at"] = c.response_due_at;
  o["resolve_due_at"] = c.resolve_due_at;
  o["responded_at"] = NullIfZero(c.responded_at);
  o["resolved_at"] = NullIfZero(c.resolved_at);
  o["solved_level"] = c.solved_level.empty() ? json::value(nullptr) : json::value(c.solved_level);
  o["closed_at"] = NullIfZero(c.closed_at);
  o["reject_reason"] = c.reject_reason.empty() ? json::value(nullptr) : json::value(c.reject_reason);
  o["merged_into"] = NullIfZero(c.merged_into);
  o["rating"] = NullIfZero(c.rating);
  o["rating_comment"] = c.rating_comment;
  o["created_at"] = c.created_at;
  o["updated_at"] = c.updated_at;
  o["version"] = c.version;
  o["actions"] = Strings(v.actions);
  return o;
}

json::object RenderEvent(const storage::CaseEventRow& e) {
  json::object o;
  o["id"] = e.id;
  o["at"] = e.at;
  o["actor_kind"] = e.actor_kind;
  o["actor_id"] = NullIfZero(e.actor_id);
  o["action"] = e.action;
  o["from_state"] = e.from_state.empty() ? json::value(nullptr) : json::value(e.from_state);
  o["to_state"] = e.to_state;
  o["from_level"] = e.from_level.empty() ? json::value(nullptr) : json::value(e.from_level);
  o["to_level"] = e.to_level;
  o["note"] = e.note;
  o["detail"] = e.detail.empty() ? json::value(json::object()) : StoredJson(e.detail);
  return o;
}

json::object RenderAttachment(const storage::AttachmentRow& a) {
  return {{"id", a.id},           {"case_id", a.case_id}, {"content_type", a.content_type}, {"size", a.size},
          {"file_name", a.file_name}, {"public", a.is_public}, {"actor_kind", a.actor_kind},
          {"created_at", a.created_at}};
}

json::array RenderAttachments(const std::vector<storage::AttachmentRow>& list) {
  json::array out;
  for (const auto& a : list) out.emplace_back(RenderAttachment(a));
  return out;
}

// The bytes of an attachment, typed by what they are; never sniffed again by the browser.
HttpResponse AttachmentResponse(const service::AttachmentContent& c) {
  return FileResponse(c.bytes, c.row.content_type,
                      std::string(c.row.content_type.starts_with("image/") ? "inline" : "attachment") +
                          "; filename=\"attachment-" + std::to_string(c.row.id) + "\"",
                      "private, max-age=3600");
}

// A public caller: the IP address and the resident H5's device id (X-Device-Id), for rate limits.
std::string PublicCaller(const HttpRequest& req) {
  return service::PublicClient(req.remote_ip, req.Header("x-device-id").value_or(""));
}

// The upload of a photo or file: the raw body, its name in ?name=.
service::Upload UploadOf(HttpRequest& req) {
  service::Upload u;
  u.bytes = std::move(req.body);
  u.file_name = QueryText(req, "name").value_or("");
  return u;
}

json::object RenderPublicCase(const service::PublicCase& p) {
  json::object o;
  o["tracking_code"] = p.tracking_code;
  o["state"] = p.state;
  o["category"] = p.category_code;
  o["category_name"] = p.category_name;
  o["description"] = p.description;
  o["address"] = p.address;
  o["created_at"] = p.created_at;
  o["resolve_due_at"] = p.resolve_due_at;
  o["rating"] = NullIfZero(p.rating);
  o["may_rate"] = p.may_rate;
  json::array steps;
  for (const auto& s : p.timeline) {
    steps.emplace_back(json::object{{"at", s.at}, {"action", s.action}, {"state", s.state}, {"note", s.note}});
  }
  o["timeline"] = std::move(steps);
  o["attachments"] = RenderAttachments(p.attachments);
  o["merged"] = p.merged;
  return o;
}

json::value RenderCategory(const domain::CategoryDefinition& c) { return StoredJson(service::CategoryToJson(c)); }

json::array RenderCategories(const std::vector<domain::CategoryDefinition>& list) {
  json::array a;
  for (const auto& c : list) a.emplace_back(RenderCategory(c));
  return a;
}

// {"when": "night", "needs": ["meal", "clean"]}: list answers become comma-separated values.
Result<std::vector<std::pair<std::string, std::string>>> ParseAttributes(const json::object& body) {
  std::vector<std::pair<std::string, std::string>> out;
  const auto* v = body.if_contains("attributes");
  if (!v || v->is_null()) return out;
  if (!v->is_object()) return Error::Invalid("attributes", "attributes must be an object of answers by attribute code");
  for (const auto& kv : v->as_object()) {
    std::string key(kv.key().data(), kv.key().size());
    std::string field = "attributes." + key;
    const auto& value = kv.value();
    if (value.is_string()) {
      out.emplace_back(key, std::string(value.as_string()));
    } else if (value.is_int64() || value.is_double()) {
      out.emplace_back(key, json::serialize(value));
    } else if (value.is_array()) {
      std::string joined;
      for (const auto& item : value.as_array()) {
        if (!item.is_string()) return Error::Invalid(field, field + " must be a list of value keys");
        joined += (joined.empty() ? "" : ",") + std::string(item.as_string());
      }
      out.emplace_back(key, joined);
    } else if (!value.is_null()) {
      return Error::Invalid(field, field + " must be a string, a number or a list");
    }
  }
  return out;
}

// The fields both intakes share.
Result<service::CaseIntake> ParseIntake(const json::object& body) {
  service::CaseIntake in;
  LINLI_ASSIGN_OR_RETURN(in.category_code, RequiredString(body, "category"));
  LINLI_ASSIGN_OR_RETURN(in.description, RequiredString(body, "description"));
  LINLI_ASSIGN_OR_RETURN(auto priority, OptionalString(body, "priority"));
  in.priority = priority.value_or("normal");
  LINLI_ASSIGN_OR_RETURN(auto lon, OptionalNumber(body, "lon"));
  LINLI_ASSIGN_OR_RETURN(auto lat, OptionalNumber(body, "lat"));
  if (lon.has_value() != lat.has_value()) return Error::Invalid(lon ? "lat" : "lon", "give lon and lat together");
  if (lon) in.point = domain::LonLat{*lon, *lat};
  LINLI_ASSIGN_OR_RETURN(auto address, OptionalString(body, "address"));
  in.address = address.value_or("");
  LINLI_ASSIGN_OR_RETURN(auto building, OptionalInt(body, "building_id"));
  in.building_id = building.value_or(0);
  LINLI_ASSIGN_OR_RETURN(in.attributes, ParseAttributes(body));
  LINLI_ASSIGN_OR_RETURN(auto name, OptionalString(body, "reporter_name"));
  in.reporter_name = name.value_or("");
  LINLI_ASSIGN_OR_RETURN(auto phone, OptionalString(body, "reporter_phone"));
  in.reporter_phone = phone.value_or("");
  LINLI_ASSIGN_OR_RETURN(auto key, OptionalString(body, "client_key"));
  in.source_key = key.value_or("");
  return in;
}

Result<domain::CaseAction> ParseAction(const std::string& name) {
  auto a = domain::ParseCaseAction(name);
  if (!a) {
    return Error::Invalid("action", "action must be accept, reject, assign, start, resolve, escalate, dispatch, "
                                    "dept_accept, dept_return, supervise, close or reopen");
  }
  return *a;
}

}  // namespace

void RegisterCaseRoutes(Router& r, Api& api) {
  // --- the catalogue ---
  r.Add("GET", "/api/v1/public/categories", Plain([&api](HttpRequest&, const Respond& respond) -> Status {
    respond(JsonResponse(200, json::object{{"items", RenderCategories(api.cases.Categories())}}));
    return Ok();
  }));

  r.Add("GET", "/api/v1/case-categories", Authed(api, [&api](HttpRequest& req, const Caller&, const Respond& respond) -> Status {
    LINLI_ASSIGN_OR_RETURN(auto retired, QueryBool(req, "include_retired", false));
    respond(JsonResponse(200, json::object{{"items", RenderCategories(api.cases.Categories(retired))}}));
    return Ok();
  }));

  r.Add("PUT", "/api/v1/case-categories/{code}", Authed(api, [&api](HttpRequest& req, const Caller& who, const Respond& respond) -> Status {
    LINLI_ASSIGN_OR_RETURN(auto body, ParseObject(req));
    LINLI_ASSIGN_OR_RETURN(auto def, service::CategoryFromJson(json::serialize(body)));
    if (def.code != req.path_params["code"]) return Error::Invalid("code", "the body's code differs from the path's");
    api.cases.SaveCategory(who, std::move(def), Reply<domain::CategoryDefinition>(respond, RenderCategory));
    return Ok();
  }));

  r.Add("POST", "/api/v1/case-categories/{code}/retire", Authed(api, [&api](HttpRequest& req, const Caller& who, const Respond& respond) -> Status {
    api.cases.RetireCategory(who, req.path_params["code"], Reply<domain::CategoryDefinition>(respond, RenderCategory));
    return Ok();
  }));

  // --- the working calendar (deadlines) ---
  r.Add("GET", "/api/v1/work-calendar", Authed(api, [&api](HttpRequest&, const Caller&, const Respond& respond) -> Status {
    respond(JsonResponse(200, json::parse(service::CalendarToJson(*api.cases.Calendar()))));
    return Ok();
  }));

  r.Add("PUT", "/api/v1/work-calendar", Authed(api, [&api](HttpRequest& req, const Caller& who, const Respond& respond) -> Status {
    LINLI_ASSIGN_OR_RETURN(auto body, ParseObject(req));
    LINLI_ASSIGN_OR_RETURN(auto calendar, service::CalendarFromJson(json::serialize(body)));
    api.cases.SaveCalendar(who, std::move(calendar), Reply<domain::WorkCalendar>(respond, [](const domain::WorkCalendar& c) {
      return json::parse(service::CalendarToJson(c));
    }));
    return Ok();
  }), {.max_body_bytes = 256 << 10});

  // --- staff ---
  r.Add("POST", "/api/v1/cases", Authed(api, [&api](HttpRequest& req, const Caller& who, const Respond& respond) -> Status {
    LINLI_ASSIGN_OR_RETURN(auto body, ParseObject(req));
    LINLI_TRY(OnlyKnownFields(body, {"channel", "category", "description", "priority", "lon", "lat", "address",
                                     "building_id", "node_id", "attributes", "reporter_name", "reporter_phone",
                                     "client_key"}));
    LINLI_ASSIGN_OR_RETURN(auto in, ParseIntake(body));
    LINLI_ASSIGN_OR_RETURN(in.channel, RequiredString(body, "channel"));
    LINLI_ASSIGN_OR_RETURN(auto node, OptionalInt(body, "node_id"));
    in.node_id = node.value_or(0);
    api.cases.Report(who, std::move(in), Reply<service::CaseView>(respond, RenderCase, 201));
    return Ok();
  }));

  r.Add("GET", "/api/v1/cases", Authed(api, [&api](HttpRequest& req, const Caller& who, const Respond& respond) -> Status {
    service::CaseFilter f;
    LINLI_ASSIGN_OR_RETURN(f.limit, QueryLimit(req, 50));
    LINLI_ASSIGN_OR_RETURN(f.node_id, QueryInt(req, "node_id", 1, INT64_MAX));
    f.states = domain::SplitList(QueryText(req, "state").value_or(""));
    f.level = QueryText(req, "level");
    f.category_code = QueryText(req, "category");
    f.channel = QueryText(req, "channel");
    LINLI_ASSIGN_OR_RETURN(f.assignee_id, QueryInt(req, "assignee_id", 1, INT64_MAX));
    LINLI_ASSIGN_OR_RETURN(f.mine, QueryBool(req, "mine", false));
    LINLI_ASSIGN_OR_RETURN(f.open_only, QueryBool(req, "open", false));
    LINLI_ASSIGN_OR_RETURN(f.overdue_only, QueryBool(req, "overdue", false));
    LINLI_ASSIGN_OR_RETURN(f.supervised_only, QueryBool(req, "supervised", false));
    f.text = QueryText(req, "q").value_or("");
    LINLI_ASSIGN_OR_RETURN(auto after, QueryInt(req, "after", 0, INT64_MAX));
    f.after_id = after.value_or(0);
    LINLI_ASSIGN_OR_RETURN(auto list, api.cases.List(who, f));
    json::array items;
    for (const auto& c : list) items.emplace_back(RenderCase(c));
    respond(JsonResponse(200, Page(std::move(items), f.limit, list.empty() ? 0 : list.back().row.id)));
    return Ok();
  }));

  r.Add("GET", "/api/v1/cases/{id}", Authed(api, [&api](HttpRequest& req, const Caller& who, const Respond& respond) -> Status {
    LINLI_ASSIGN_OR_RETURN(auto id, PathId(req));
    LINLI_ASSIGN_OR_RETURN(auto detail, api.cases.Get(who, id));
    auto o = RenderCase(detail.view);
    json::array events;
    for (const auto& e : detail.events) {
      auto event = RenderEvent(e);
      if (auto it = detail.actor_names.find(e.actor_id); it != detail.actor_names.end() && !it->second.empty()) {
        event["actor_name"] = it->second;
      }
      events.emplace_back(std::move(event));
    }
    o["events"] = std::move(events);
    o["attachments"] = RenderAttachments(detail.attachments);
    respond(JsonResponse(200, o));
    return Ok();
  }));

  // --- photos and files (the raw bytes as the body; up to 10 MiB) ---
  r.Add("POST", "/api/v1/cases/{id}/attachments", Authed(api, [&api](HttpRequest& req, const Caller& who, const Respond& respond) -> Status {
    LINLI_ASSIGN_OR_RETURN(auto id, PathId(req));
    LINLI_ASSIGN_OR_RETURN(auto is_public, QueryBool(req, "public", false));
    auto upload = UploadOf(req);
    upload.is_public = is_public;
    api.cases.Attach(who, id, std::move(upload), Reply<storage::AttachmentRow>(respond, RenderAttachment, 201));
    return Ok();
  }), {.max_body_bytes = service::kMaxAttachmentBytes});

  r.Add("GET", "/api/v1/cases/{id}/similar", Authed(api, [&api](HttpRequest& req, const Caller& who, const Respond& respond) -> Status {
    LINLI_ASSIGN_OR_RETURN(auto id, PathId(req));
    LINLI_ASSIGN_OR_RETURN(auto similar, api.cases.SimilarTo(who, id));
    json::array items;
    for (const auto& m : similar) {
      auto o = RenderCase(m.view);
      o["similarity"] = m.similarity;
      o["distance_m"] = m.distance_m ? json::value(*m.distance_m) : json::value(nullptr);
      items.emplace_back(std::move(o));
    }
    respond(JsonResponse(200, json::object{{"items", std::move(items)}}));
    return Ok();
  }));

  r.Add("GET", "/api/v1/attachments/{id}", Authed(api, [&api](HttpRequest& req, const Caller& who, const Respond& respond) -> Status {
    LINLI_ASSIGN_OR_RETURN(auto id, PathId(req));
    LINLI_ASSIGN_OR_RETURN(auto content, api.cases.AttachmentFor(who, id));
    respond(AttachmentResponse(content));
    return Ok();
  }));

  r.Add("POST", "/api/v1/cases/{id}/actions", Authed(api, [&api](HttpRequest& req, const Caller& who, const Respond& respond) -> Status {
    LINLI_ASSIGN_OR_RETURN(auto id, PathId(req));
    LINLI_ASSIGN_OR_RETURN(auto body, ParseObject(req));
    LINLI_TRY(OnlyKnownFields(body, {"action", "note", "reason", "merged_into", "assignee_id", "department", "version"}));
    service::CaseActionRequest a;
    LINLI_ASSIGN_OR_RETURN(auto action, RequiredString(body, "action"));
    LINLI_ASSIGN_OR_RETURN(a.action, ParseAction(action));
    LINLI_ASSIGN_OR_RETURN(auto note, OptionalString(body, "note"));
    a.input.note = note.value_or("");
    LINLI_ASSIGN_OR_RETURN(auto reason, OptionalString(body, "reason"));
    if (reason) {
      a.input.reject_reason = domain::ParseRejectReason(*reason);
      if (!a.input.reject_reason) return Error::Invalid("reason", "reason must be invalid, duplicate or out_of_remit");
    }
    LINLI_ASSIGN_OR_RETURN(auto merged, OptionalInt(body, "merged_into"));
    a.input.merged_into = merged.value_or(0);
    LINLI_ASSIGN_OR_RETURN(auto assignee, OptionalInt(body, "assignee_id"));
    a.input.assignee_id = assignee.value_or(0);
    LINLI_ASSIGN_OR_RETURN(auto department, OptionalString(body, "department"));
    a.input.department = department.value_or("");
    LINLI_ASSIGN_OR_RETURN(auto version, OptionalInt(body, "version"));
    a.version = version.value_or(0);
    api.cases.Act(who, id, std::move(a), Reply<service::CaseView>(respond, RenderCase));
    return Ok();
  }));

  r.Add("POST", "/api/v1/cases/{id}/unmask", Authed(api, [&api](HttpRequest& req, const Caller& who, const Respond& respond) -> Status {
    LINLI_ASSIGN_OR_RETURN(auto id, PathId(req));
    LINLI_ASSIGN_OR_RETURN(auto body, ParseObject(req));
    LINLI_TRY(OnlyKnownFields(body, {"reason"}));
    LINLI_ASSIGN_OR_RETURN(auto reason, RequiredString(body, "reason"));
    LINLI_ASSIGN_OR_RETURN(auto view, api.cases.Unmask(who, id, reason));
    respond(JsonResponse(200, RenderCase(view)));
    return Ok();
  }));

  // The QR code of a node's resident form, as SVG for the console to show and print.
  // Printable QR codes. `base_url` (default: this server as the browser reached it) is where
  // phones reach Linli; the code is the address of an H5 page there.
  auto qr_response = [&api](const HttpRequest& req, const std::function<std::string(const std::string&)>& url) -> Result<HttpResponse> {
    auto base = QueryText(req, "base_url");
    if (!base) base = std::string(api.secure_cookies ? "https://" : "http://") + std::string(req.Header("host").value_or("127.0.0.1"));
    if (!base->starts_with("http://") && !base->starts_with("https://")) {
      return Error::Invalid("base_url", "base_url starts with http:// or https://");
    }
    LINLI_ASSIGN_OR_RETURN(auto svg, QrSvg(url(*base)));
    return FileResponse(std::move(svg), "image/svg+xml", "inline", "private, max-age=3600");
  };

  // A grid's or station's code: the resident form with the place filled in.
  r.Add("GET", "/api/v1/org/nodes/{id}/qrcode.svg", Authed(api, [&api, qr_response](HttpRequest& req, const Caller& who, const Respond& respond) -> Status {
    LINLI_ASSIGN_OR_RETURN(auto id, PathId(req));
    LINLI_ASSIGN_OR_RETURN(auto node, api.org.Get(who, id));
    LINLI_ASSIGN_OR_RETURN(auto file, qr_response(req, [&](const std::string& base) { return service::ResidentFormUrl(base, node.code); }));
    respond(std::move(file));
    return Ok();
  }));

  // A building's code, posted at its door: a grid worker's phone opens the building's households.
  r.Add("GET", "/api/v1/buildings/{id}/qrcode.svg", Authed(api, [&api, qr_response](HttpRequest& req, const Caller& who, const Respond& respond) -> Status {
    LINLI_ASSIGN_OR_RETURN(auto id, PathId(req));
    LINLI_ASSIGN_OR_RETURN(auto building, api.registry.GetBuilding(who, id));
    LINLI_ASSIGN_OR_RETURN(auto file, qr_response(req, [&](const std::string& base) { return service::BuildingPageUrl(base, building.code); }));
    respond(std::move(file));
    return Ok();
  }));

  // --- the resident, without an account ---
  r.Add("POST", "/api/v1/public/cases", Plain([&api](HttpRequest& req, const Respond& respond) -> Status {
    LINLI_ASSIGN_OR_RETURN(auto body, ParseObject(req));
    LINLI_TRY(OnlyKnownFields(body, {"category", "description", "priority", "lon", "lat", "address", "building_id",
                                     "node_code", "attributes", "reporter_name", "reporter_phone", "client_key"}));
    LINLI_ASSIGN_OR_RETURN(auto in, ParseIntake(body));
    LINLI_ASSIGN_OR_RETURN(auto code, OptionalString(body, "node_code"));
    in.node_code = code.value_or("");
    in.channel = in.node_code.empty() ? service::channel::kResidentWeb : service::channel::kQrCode;
    api.cases.ReportPublic(std::move(in), PublicCaller(req), [respond](Result<service::CaseView> r) {
      if (!r) return respond(ErrorResponse(r.error()));
      // The resident gets the code to follow it by, not the staff view.
      respond(JsonResponse(201, json::object{{"tracking_code", r->row.tracking_code},
                                             {"state", r->row.state},
                                             {"category_name", r->category_name},
                                             {"resolve_due_at", r->row.resolve_due_at}}));
    });
    return Ok();
  }), {.max_body_bytes = 64 << 10});

  r.Add("POST", "/api/v1/public/cases/{code}/attachments", Plain([&api](HttpRequest& req, const Respond& respond) -> Status {
    api.cases.AttachPublic(req.path_params["code"], UploadOf(req), PublicCaller(req),
                           Reply<storage::AttachmentRow>(respond, RenderAttachment, 201));
    return Ok();
  }), {.max_body_bytes = service::kMaxAttachmentBytes});

  r.Add("GET", "/api/v1/public/cases/{code}/attachments/{id}", Plain([&api](HttpRequest& req, const Respond& respond) -> Status {
    LINLI_ASSIGN_OR_RETURN(auto id, PathId(req));
    LINLI_ASSIGN_OR_RETURN(auto content, api.cases.PublicAttachment(req.path_params["code"], id, PublicCaller(req)));
    respond(AttachmentResponse(content));
    return Ok();
  }));

  r.Add("GET", "/api/v1/public/cases/{code}", Plain([&api](HttpRequest& req, const Respond& respond) -> Status {
    LINLI_ASSIGN_OR_RETURN(auto view, api.cases.Track(req.path_params["code"], PublicCaller(req)));
    respond(JsonResponse(200, RenderPublicCase(view)));
    return Ok();
  }));

  r.Add("POST", "/api/v1/public/cases/{code}/rating", Plain([&api](HttpRequest& req, const Respond& respond) -> Status {
    LINLI_ASSIGN_OR_RETURN(auto body, ParseObject(req));
    LINLI_TRY(OnlyKnownFields(body, {"rating", "comment"}));
    LINLI_ASSIGN_OR_RETURN(auto rating, RequiredInt(body, "rating"));
    if (rating < 1 || rating > 5) return Error::Invalid("rating", "rating is 1 (very unhappy) to 5 (very happy)");
    LINLI_ASSIGN_OR_RETURN(auto comment, OptionalString(body, "comment"));
    api.cases.Rate(req.path_params["code"], static_cast<int>(rating), comment.value_or(""), PublicCaller(req),
                   Reply<service::PublicCase>(respond, RenderPublicCase));
    return Ok();
  }), {.max_body_bytes = 16 << 10});
}

}  // namespace linli::http
