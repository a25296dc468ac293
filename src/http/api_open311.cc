// Open311 GeoReport v2 at /open311/v2/ (see ../shared/docs/open311.md), in XML and JSON, with
// FixMyStreet's servicerequestupdates extension. The case categories are the services; a
// request's id is its tracking code (unguessable, unlike the row id); POSTs and the lists need an
// API key whose user holds the open311_client role (case.report, case.read) where the cases lie.
//
// Each answer is built once as a small element tree (Doc) and written as XML or as JSON by the
// "Spark convention": list wrappers become arrays, empty elements null.
#include "domain/identity.h"
#include "domain/text.h"
#include "http/api.h"
#include "http/json_io.h"

namespace linli::http {

namespace {

using service::Caller;

// --- the element tree ---------------------------------------------------------------------
struct Doc {
  // kNumber and kBool are text in XML and typed in JSON (the Open311 schemas want them so).
  enum class Kind { kText, kNumber, kBool, kObject, kList };
  std::string name;
  Kind kind = Kind::kText;
  std::string text;
  bool null = false;
  std::vector<Doc> children;
};

Doc T(std::string name, std::string text) { return {std::move(name), Doc::Kind::kText, std::move(text), false, {}}; }
Doc Num(std::string name, std::int64_t v) { return {std::move(name), Doc::Kind::kNumber, std::to_string(v), false, {}}; }
Doc Bool(std::string name, bool v) { return {std::move(name), Doc::Kind::kBool, v ? "true" : "false", false, {}}; }
// A coordinate with 6 decimals (about 0.1 m), or null.
Doc Coordinate(std::string name, const std::optional<double>& v) {
  if (!v) return {std::move(name), Doc::Kind::kText, "", true, {}};
  char buf[32];
  std::snprintf(buf, sizeof buf, "%.6f", *v);
  return {std::move(name), Doc::Kind::kNumber, buf, false, {}};
}
Doc Null(std::string name) { return {std::move(name), Doc::Kind::kText, "", true, {}}; }
Doc TextOrNull(std::string name, const std::string& text) { return text.empty() ? Null(std::move(name)) : T(std::move(name), text); }
Doc Obj(std::string name, std::vector<Doc> children) { return {std::move(name), Doc::Kind::kObject, "", false, std::move(children)}; }
Doc List(std::string name, std::vector<Doc> items) { return {std::move(name), Doc::Kind::kList, "", false, std::move(items)}; }

void XmlEscape(std::string& out, std::string_view s) {
  for (char c : s) {
    switch (c) {
      case '&': out += "&amp;"; break;
      case '<': out += "&lt;"; break;
      case '>': out += "&gt;"; break;
      case '"': out += "&quot;"; break;
      case '\'': out += "&apos;"; break;
      default: out += c;
    }
  }
}

void WriteXml(std::string& out, const Doc& d) {
  if (d.kind != Doc::Kind::kObject && d.kind != Doc::Kind::kList) {
    if (d.null || d.text.empty()) {
      out += "<" + d.name + "/>";
      return;
    }
    out += "<" + d.name + ">";
    XmlEscape(out, d.text);
    out += "</" + d.name + ">";
    return;
  }
  out += "<" + d.name + ">";
  for (const auto& c : d.children) WriteXml(out, c);
  out += "</" + d.name + ">";
}

// JSON written from the tree directly, so numbers keep their text (31.654100, not 3.16541E1).
void WriteJson(std::string& out, const Doc& d) {
  switch (d.kind) {
    case Doc::Kind::kText: out += d.null ? "null" : json::serialize(json::string(d.text)); return;
    case Doc::Kind::kNumber:
    case Doc::Kind::kBool: out += d.null ? "null" : d.text; return;
    case Doc::Kind::kObject:
      out += '{';
      for (std::size_t i = 0; i < d.children.size(); ++i) {
        if (i) out += ',';
        out += json::serialize(json::string(d.children[i].name)) + ":";
        WriteJson(out, d.children[i]);
      }
      out += '}';
      return;
    case Doc::Kind::kList:
      out += '[';
      for (std::size_t i = 0; i < d.children.size(); ++i) {
        if (i) out += ',';
        WriteJson(out, d.children[i]);
      }
      out += ']';
      return;
  }
}

enum class Format { kXml, kJson };

HttpResponse Render(Format f, int status, const Doc& d) {
  HttpResponse r;
  r.status = status;
  if (f == Format::kJson) {
    r.content_type = "application/json; charset=utf-8";
    WriteJson(r.body, d);
  } else {
    r.content_type = "text/xml; charset=utf-8";
    r.body = "<?xml version=\"1.0\" encoding=\"utf-8\"?>\n";
    WriteXml(r.body, d);
  }
  return r;
}

// Open311 errors: 404 (no such resource), 403 (api_key), 400 (anything else), with the field
// named in the description.
HttpResponse Open311Error(Format f, const Error& e) {
  int status = 400;
  if (e.code == ErrorCode::kNotFound) status = 404;
  else if (e.code == ErrorCode::kPermissionDenied || e.code == ErrorCode::kUnauthenticated) status = 403;
  else if (e.code == ErrorCode::kInternal || e.code == ErrorCode::kUnavailable) status = HttpStatusFor(e.code);
  // The service's field names in Open311's words.
  std::string field = e.field;
  static const std::map<std::string, std::string, std::less<>> kOpen311Names = {
      {"category", "service_code"}, {"reporter_phone", "phone"}, {"reporter_name", "last_name"},
      {"address", "address_string"}, {"lon", "long"}, {"location", "lat"}};
  if (auto it = kOpen311Names.find(field); it != kOpen311Names.end()) field = it->second;
  if (field.starts_with("attributes.")) field = "attribute[" + field.substr(11) + "]";
  std::string message = e.message;
  if (!e.field.empty() && message.starts_with(e.field)) message = field + message.substr(e.field.size());
  std::string description = field.empty() ? message : field + ": " + message;
  return Render(f, status, List("errors", {Obj("error", {Num("code", status), T("description", description)})}));
}

// --- input ---------------------------------------------------------------------------------
// application/x-www-form-urlencoded, in order, repeated keys kept.
Result<std::vector<std::pair<std::string, std::string>>> ParseForm(std::string_view body) {
  auto decode = [](std::string_view s, std::string& out) -> bool {
    for (std::size_t i = 0; i < s.size(); ++i) {
      if (s[i] == '+') {
        out += ' ';
      } else if (s[i] == '%') {
        if (i + 2 >= s.size() || !std::isxdigit(static_cast<unsigned char>(s[i + 1])) ||
            !std::isxdigit(static_cast<unsigned char>(s[i + 2]))) {
          return false;
        }
        out += static_cast<char>(std::stoi(std::string(s.substr(i + 1, 2)), nullptr, 16));
        i += 2;
      } else {
        out += s[i];
      }
    }
    return true;
  };
  std::vector<std::pair<std::string, std::string>> out;
  while (!body.empty()) {
    auto amp = body.find('&');
    auto part = body.substr(0, amp);
    body = amp == std::string_view::npos ? std::string_view() : body.substr(amp + 1);
    if (part.empty()) continue;
    auto eq = part.find('=');
    std::string key, value;
    if (!decode(part.substr(0, eq), key) || (eq != std::string_view::npos && !decode(part.substr(eq + 1), value))) {
      return Error::Invalid("body", "the form is not valid application/x-www-form-urlencoded");
    }
    out.emplace_back(std::move(key), std::move(value));
  }
  return out;
}

struct Form {
  std::vector<std::pair<std::string, std::string>> fields;
  // The last non-empty value of a field ("an empty parameter means the same as an absent one").
  std::string Get(std::string_view key) const {
    std::string v;
    for (const auto& [k, value] : fields) {
      if (k == key && !value.empty()) v = value;
    }
    return v;
  }
  std::vector<std::string> All(std::string_view key) const {
    std::vector<std::string> v;
    for (const auto& [k, value] : fields) {
      if (k == key && !value.empty()) v.push_back(value);
    }
    return v;
  }
};

Result<Form> ReadForm(const HttpRequest& req) {
  auto type = req.Header("content-type").value_or("");
  if (type.starts_with("multipart/")) {
    return Error::Invalid("media", "file uploads are not taken here; give the photo's address as media_url");
  }
  if (!type.empty() && !type.starts_with("application/x-www-form-urlencoded")) {
    return Error::Invalid("body", "send the fields as application/x-www-form-urlencoded");
  }
  LINLI_ASSIGN_OR_RETURN(auto fields, ParseForm(req.body));
  return Form{std::move(fields)};
}

// A GET's parameters as a form (the router keeps the last value of each).
Form QueryForm(const HttpRequest& req) {
  Form f;
  for (const auto& [k, v] : req.query) f.fields.emplace_back(k, v);
  return f;
}

Status CheckJurisdiction(Api& api, const Form& f) {
  auto id = f.Get("jurisdiction_id");
  if (id.empty()) return Ok();
  for (const auto& code : api.cases.Jurisdictions()) {
    if (code == id) return Ok();
  }
  return Error::NotFound("jurisdiction_id: this server answers for no jurisdiction " + id.substr(0, 40));
}

// The caller an api_key stands for; 403 when missing or not a live key.
Result<Caller> ClientOf(Api& api, const HttpRequest& req, const Form& f) {
  auto key = f.Get("api_key");
  if (key.empty()) return Error::Denied("api_key: an API key is required (ask the administrator: linli apikey create)");
  if (!key.starts_with(service::kApiKeyPrefix)) return Error::Denied("api_key: not a valid API key");
  Caller from;
  from.ip = req.remote_ip;
  from.user_agent = std::string(req.Header("user-agent").value_or(""));
  from.request_id = req.request_id;
  auto who = api.auth.Authenticate(key, from);
  if (!who) return Error::Denied("api_key: not a valid API key");
  return who->caller;
}

// "path/{code}.xml" → code and format.
Result<std::pair<std::string, Format>> SplitFile(const std::string& file) {
  if (file.ends_with(".xml")) return std::make_pair(file.substr(0, file.size() - 4), Format::kXml);
  if (file.ends_with(".json")) return std::make_pair(file.substr(0, file.size() - 5), Format::kJson);
  return Error::NotFound("ask for .xml or .json");
}

// --- output --------------------------------------------------------------------------------
std::string W3c(Millis t) { return t ? domain::FormatW3cDateTime(t) : std::string(); }

// Who handles it now, in words a resident understands.
std::string AgencyResponsible(const std::string& level, const std::string& department) {
  if (!department.empty()) return department;
  if (level == "micro_grid") return "微网格";
  if (level == "grid") return "网格";
  if (level == "community") return "社区";
  if (level == "subdistrict") return "街道";
  return "职能部门";
}

Doc RequestDoc(const service::PublicCase& p) {
  return Obj("request", {T("service_request_id", p.tracking_code),
                         T("status", p.closed_at ? "closed" : "open"),
                         TextOrNull("status_notes", p.status_notes),
                         T("service_name", p.category_name),
                         T("service_code", p.category_code),
                         T("description", p.description),
                         T("agency_responsible", AgencyResponsible(p.level, p.department)),
                         Null("service_notice"),
                         T("requested_datetime", W3c(p.created_at)),
                         T("updated_datetime", W3c(p.closed_at ? p.closed_at : p.updated_at)),
                         TextOrNull("expected_datetime", p.closed_at ? "" : W3c(p.resolve_due_at)),
                         TextOrNull("address", p.address),
                         Null("address_id"),
                         Null("zipcode"),
                         Coordinate("lat", p.lat),
                         Coordinate("long", p.lon),
                         Null("media_url")});
}

Doc RequestDoc(const service::CaseView& v) {
  service::PublicCase p;
  const auto& c = v.row;
  p.tracking_code = c.tracking_code;
  p.closed_at = c.closed_at;
  p.category_name = v.category_name;
  p.category_code = c.category_code;
  p.description = c.description;
  p.level = c.level;
  p.department = c.department;
  p.created_at = c.created_at;
  p.updated_at = c.updated_at;
  p.resolve_due_at = c.resolve_due_at;
  p.address = c.address;
  p.lat = c.lat;
  p.lon = c.lon;
  return RequestDoc(p);
}

Doc ServiceDoc(const domain::CategoryDefinition& c, const std::string& group_name) {
  return Obj("service", {T("service_code", c.code),
                         T("service_name", c.name),
                         T("description", c.name),
                         Bool("metadata", !c.attributes.empty()),
                         T("type", "realtime"),
                         Null("keywords"),
                         T("group", group_name)});
}

Doc DefinitionDoc(const domain::CategoryDefinition& c) {
  std::vector<Doc> attributes;
  int order = 0;
  for (const auto& a : c.attributes) {
    std::vector<Doc> values;
    for (const auto& v : a.values) values.push_back(Obj("value", {T("key", v.key), T("name", v.name)}));
    attributes.push_back(Obj("attribute", {Bool("variable", true),
                                           T("code", a.code),
                                           T("datatype", std::string(domain::AttributeTypeName(a.type))),
                                           Bool("required", a.required),
                                           Null("datatype_description"),
                                           Num("order", ++order),
                                           T("description", a.description),
                                           List("values", std::move(values))}));
  }
  return Obj("service_definition", {T("service_code", c.code), List("attributes", std::move(attributes))});
}

// Linli's states in FixMyStreet's status words.
std::string UpdateStatus(const storage::CaseEventRow& e) {
  if (e.action == "reopen") return "reopen";
  if (e.action == "escalate" || e.action == "dispatch" || e.action == "dept_return") return "internal_referral";
  if (e.to_state == "rejected") {
    if (e.detail.find("\"duplicate\"") != std::string::npos) return "duplicate";
    if (e.detail.find("\"out_of_remit\"") != std::string::npos) return "not_councils_responsibility";
    return "no_further_action";
  }
  if (e.to_state == "accepted") return "investigating";
  if (e.to_state == "assigned" || e.to_state == "dispatched") return "action_scheduled";
  if (e.to_state == "in_progress") return "in_progress";
  if (e.to_state == "resolved") return "fixed";
  if (e.to_state == "closed") return "closed";
  return "open";
}

// What the resident may read of a step: the resolution and the rejection carry staff notes;
// other steps a plain sentence.
std::string UpdateDescription(const storage::CaseEventRow& e) {
  if (e.action == "resolve" || e.action == "reject") return e.note;
  if (e.action == "comment") return "";  // the client's own words stay with the client
  static const std::map<std::string, std::string, std::less<>> kWords = {
      {"report", "已受理登记"}, {"accept", "已核实受理"}, {"assign", "已派给网格员办理"}, {"start", "正在办理"},
      {"escalate", "已上报上一级办理"}, {"dispatch", "已派往职能部门"}, {"dept_accept", "职能部门已接收"},
      {"dept_return", "职能部门退回，另行处理"}, {"supervise", "已督办"}, {"close", "已结案"},
      {"reopen", "重新办理"}, {"rate", "居民已评价"}, {"overdue", "办理超时"}};
  auto it = kWords.find(e.action);
  return it == kWords.end() ? "" : it->second;
}

constexpr Millis kDay = 86400000;

// --- the routes ----------------------------------------------------------------------------
// Registers `handler` at base + ".xml" and ".json".
template <class Fn>
void AddBoth(Router& r, const std::string& method, const std::string& base, Fn handler, RouteOptions options = {}) {
  for (auto [suffix, format] : {std::pair{".xml", Format::kXml}, std::pair{".json", Format::kJson}}) {
    r.Add(method, base + suffix, [handler, format](HttpRequest& req, Respond respond) {
      auto st = handler(req, format, respond);
      if (!st) respond(Open311Error(format, st.error()));
    }, options);
  }
}

// Registers a "{file}" route whose last segment is "<id>.xml" or "<id>.json".
template <class Fn>
void AddFile(Router& r, const std::string& base, Fn handler) {
  r.Add("GET", base + "/{file}", [handler](HttpRequest& req, Respond respond) {
    auto split = SplitFile(req.path_params["file"]);
    if (!split) return respond(Open311Error(Format::kXml, split.error()));
    auto [id, format] = *split;
    auto st = handler(req, id, format, respond);
    if (!st) respond(Open311Error(format, st.error()));
  });
}

}  // namespace

void RegisterOpen311Routes(Router& r, Api& api) {
  const std::string base = "/open311/v2";

  AddBoth(r, "GET", base + "/discovery", [&api, base](HttpRequest& req, Format f, const Respond& respond) -> Status {
    auto host = std::string(req.Header("host").value_or("127.0.0.1"));
    std::string scheme = api.secure_cookies ? "https" : "http";
    constexpr const char* kChangeset = "2026-11-29T00:00:00Z";
    respond(Render(f, 200, Obj("discovery", {T("changeset", kChangeset),
                                             T("contact", "街道网格化服务管理中心"),
                                             T("key_service", "API keys: ask the administrator (linli apikey create --user <an open311_client user>)"),
                                             List("endpoints", {Obj("endpoint", {T("specification", "http://wiki.open311.org/GeoReport_v2"),
                                                                                 T("url", scheme + "://" + host + base),
                                                                                 T("changeset", kChangeset),
                                                                                 T("type", "production"),
                                                                                 List("formats", {T("format", "text/xml"),
                                                                                                  T("format", "application/json")})})})})));
    return Ok();
  });

  AddBoth(r, "GET", base + "/services", [&api](HttpRequest& req, Format f, const Respond& respond) -> Status {
    LINLI_TRY(CheckJurisdiction(api, QueryForm(req)));
    auto all = api.cases.Categories();
    std::map<std::string, std::string> group_names;
    for (const auto& c : all) {
      if (c.group_code.empty()) group_names[c.code] = c.name;
    }
    std::vector<Doc> services;
    for (const auto& c : all) {
      if (!c.group_code.empty()) services.push_back(ServiceDoc(c, group_names[c.group_code]));
    }
    respond(Render(f, 200, List("services", std::move(services))));
    return Ok();
  });

  AddFile(r, base + "/services", [&api](HttpRequest& req, const std::string& code, Format f, const Respond& respond) -> Status {
    LINLI_TRY(CheckJurisdiction(api, QueryForm(req)));
    auto c = api.cases.Category(code);
    if (!c || c->group_code.empty()) return Error::NotFound("service_code: no service " + code.substr(0, 60));
    respond(Render(f, 200, DefinitionDoc(*c)));
    return Ok();
  });

  AddBoth(r, "POST", base + "/requests", [&api](HttpRequest& req, Format f, const Respond& respond) -> Status {
    LINLI_ASSIGN_OR_RETURN(auto form, ReadForm(req));
    LINLI_TRY(CheckJurisdiction(api, form));
    LINLI_ASSIGN_OR_RETURN(auto client, ClientOf(api, req, form));
    service::CaseIntake in;
    in.category_code = form.Get("service_code");
    if (in.category_code.empty()) return Error::Invalid("service_code", "service_code is required");
    auto category = api.cases.Category(in.category_code);
    if (!category || category->group_code.empty()) return Error::NotFound("service_code: no service " + in.category_code.substr(0, 60));
    in.description = form.Get("description");
    if (in.description.empty()) return Error::Invalid("description", "describe the problem");
    auto lat = form.Get("lat"), lon = form.Get("long");
    if (!lat.empty() || !lon.empty()) {
      char* end = nullptr;
      double la = std::strtod(lat.c_str(), &end);
      if (lat.empty() || *end) return Error::Invalid("lat", "lat must be a number (WGS84)");
      double lo = std::strtod(lon.c_str(), &end);
      if (lon.empty() || *end) return Error::Invalid("long", "long must be a number (WGS84)");
      in.point = domain::LonLat{lo, la};
    }
    in.address = form.Get("address_string");
    auto address_id = form.Get("address_id");
    if (!in.point && in.address.empty() && address_id.empty()) {
      return Error::Invalid("lat", "give a location: lat and long, address_string or address_id");
    }
    auto first = form.Get("first_name"), last = form.Get("last_name");
    in.reporter_name = last + first;  // Chinese order: family name first
    in.reporter_phone = form.Get("phone");
    in.media_urls = form.All("media_url");
    for (const auto& [k, v] : form.fields) {
      if (!k.starts_with("attribute[") || v.empty()) continue;
      auto close = k.find(']');
      if (close == std::string::npos) return Error::Invalid(k.substr(0, 60), "attribute[code]=value");
      std::string code = k.substr(10, close - 10);
      auto it = std::find_if(in.attributes.begin(), in.attributes.end(), [&](const auto& a) { return a.first == code; });
      if (it == in.attributes.end()) in.attributes.emplace_back(code, v);
      else it->second += "," + v;  // attribute[code][]=a&attribute[code][]=b: a multivaluelist
    }
    api.cases.ReportFromClient(client, std::move(in), [f, respond](Result<service::CaseView> r) {
      if (!r) return respond(Open311Error(f, r.error()));
      respond(Render(f, 200, List("service_requests", {Obj("request", {T("service_request_id", r->row.tracking_code),
                                                                       T("service_notice", "请在 " + domain::ChinaDateTime(r->row.resolve_due_at) + " 前关注办理结果"),
                                                                       Null("account_id")})})));
    });
    return Ok();
  }, {.max_body_bytes = 64 << 10});

  AddFile(r, base + "/tokens", [&api](HttpRequest& req, const std::string& token, Format f, const Respond& respond) -> Status {
    LINLI_TRY(CheckJurisdiction(api, QueryForm(req)));
    // Requests are realtime: the token is the request's id, kept for clients that poll tokens.
    LINLI_ASSIGN_OR_RETURN(auto p, api.cases.Track(token, req.remote_ip));
    respond(Render(f, 200, List("service_requests", {Obj("request", {T("service_request_id", p.tracking_code), T("token", token)})})));
    return Ok();
  });

  // One request, or those named by service_request_id, by anyone holding their ids (the tracking
  // codes); every other list needs an API key and is scoped to what its user may read.
  auto one_or_named = [&api](HttpRequest& req, const Form& form, const std::vector<std::string>& ids) -> Result<std::vector<Doc>> {
    std::optional<Caller> client;
    if (!form.Get("api_key").empty()) {
      LINLI_ASSIGN_OR_RETURN(client, ClientOf(api, req, form));
    }
    std::vector<Doc> items;
    for (const auto& id : ids) {
      auto p = client ? api.cases.TrackAs(*client, id) : api.cases.Track(id, req.remote_ip);
      if (p) items.push_back(RequestDoc(*p));
      else if (p.error().code != ErrorCode::kNotFound && p.error().code != ErrorCode::kInvalidArgument) return p.error();
    }
    return items;
  };

  AddFile(r, base + "/requests", [&api, one_or_named](HttpRequest& req, const std::string& id, Format f, const Respond& respond) -> Status {
    auto form = QueryForm(req);
    LINLI_TRY(CheckJurisdiction(api, form));
    LINLI_ASSIGN_OR_RETURN(auto items, one_or_named(req, form, {id}));
    if (items.empty()) return Error::NotFound("service_request_id: no request " + id.substr(0, 40));
    respond(Render(f, 200, List("service_requests", std::move(items))));
    return Ok();
  });

  AddBoth(r, "GET", base + "/requests", [&api, one_or_named](HttpRequest& req, Format f, const Respond& respond) -> Status {
    auto form = QueryForm(req);
    LINLI_TRY(CheckJurisdiction(api, form));
    auto ids = domain::SplitList(form.Get("service_request_id"));
    if (!ids.empty()) {
      if (ids.size() > 100) return Error::Invalid("service_request_id", "at most 100 ids at once");
      LINLI_ASSIGN_OR_RETURN(auto items, one_or_named(req, form, ids));
      respond(Render(f, 200, List("service_requests", std::move(items))));
      return Ok();
    }
    LINLI_ASSIGN_OR_RETURN(auto client, ClientOf(api, req, form));
    service::CaseFilter filter;
    filter.category_codes = domain::SplitList(form.Get("service_code"));
    Millis now = api.cases.Now();
    auto start = form.Get("start_date"), end = form.Get("end_date");
    filter.created_to = now + 1;
    if (!end.empty()) {
      LINLI_ASSIGN_OR_RETURN(filter.created_to, domain::ParseW3cDateTime(end, "end_date"));
    }
    filter.created_from = filter.created_to - 90 * kDay;
    if (!start.empty()) {
      LINLI_ASSIGN_OR_RETURN(filter.created_from, domain::ParseW3cDateTime(start, "start_date"));
    }
    if (filter.created_to <= filter.created_from) return Error::Invalid("end_date", "end_date must be after start_date");
    if (filter.created_to - filter.created_from > 90 * kDay) return Error::Invalid("start_date", "the range is at most 90 days");
    auto status = form.Get("status");
    if (status == "open") filter.open_only = true;
    else if (!status.empty() && status != "closed" && status != "open,closed" && status != "closed,open") {
      return Error::Invalid("status", "status is open or closed");
    }
    bool closed_only = status == "closed";
    std::vector<Doc> items;
    filter.limit = 500;
    while (items.size() < 1000) {
      LINLI_ASSIGN_OR_RETURN(auto page, api.cases.List(client, filter));
      for (const auto& v : page) {
        if (closed_only && v.row.closed_at == 0) continue;
        if (items.size() < 1000) items.push_back(RequestDoc(v));
      }
      if (page.size() < static_cast<std::size_t>(filter.limit)) break;
      filter.after_id = page.back().row.id;
    }
    respond(Render(f, 200, List("service_requests", std::move(items))));
    return Ok();
  });

  // FixMyStreet's extension: what changed on the cases, by time.
  AddBoth(r, "GET", base + "/servicerequestupdates", [&api](HttpRequest& req, Format f, const Respond& respond) -> Status {
    auto form = QueryForm(req);
    LINLI_TRY(CheckJurisdiction(api, form));
    LINLI_ASSIGN_OR_RETURN(auto client, ClientOf(api, req, form));
    Millis now = api.cases.Now();
    Millis to = now + 1, from = now - kDay;
    if (auto end = form.Get("end_date"); !end.empty()) {
      LINLI_ASSIGN_OR_RETURN(to, domain::ParseW3cDateTime(end, "end_date"));
    }
    if (auto start = form.Get("start_date"); !start.empty()) {
      LINLI_ASSIGN_OR_RETURN(from, domain::ParseW3cDateTime(start, "start_date"));
    } else {
      from = to - kDay;
    }
    if (to - from > 90 * kDay) return Error::Invalid("start_date", "the range is at most 90 days");
    LINLI_ASSIGN_OR_RETURN(auto updates, api.cases.Updates(client, from, to, 1000));
    std::vector<Doc> items;
    for (const auto& u : updates) {
      if (u.event.action == "comment") continue;  // the client's own comments are not news to it
      items.push_back(Obj("request_update", {T("update_id", std::to_string(u.event.id)),
                                             T("service_request_id", u.tracking_code),
                                             T("status", UpdateStatus(u.event)),
                                             T("updated_datetime", W3c(u.event.at)),
                                             T("description", UpdateDescription(u.event)),
                                             Null("media_url")}));
    }
    respond(Render(f, 200, List("service_request_updates", std::move(items))));
    return Ok();
  });

  AddBoth(r, "POST", base + "/servicerequestupdates", [&api](HttpRequest& req, Format f, const Respond& respond) -> Status {
    LINLI_ASSIGN_OR_RETURN(auto form, ReadForm(req));
    LINLI_TRY(CheckJurisdiction(api, form));
    LINLI_ASSIGN_OR_RETURN(auto client, ClientOf(api, req, form));
    for (const char* field : {"service_request_id", "update_id", "status", "updated_datetime", "description"}) {
      if (form.Get(field).empty()) return Error::Invalid(field, std::string(field) + " is required");
    }
    static const std::set<std::string, std::less<>> kStatuses = {
        "OPEN", "CLOSED", "FIXED", "IN_PROGRESS", "ACTION_SCHEDULED", "INVESTIGATING", "DUPLICATE",
        "NOT_COUNCILS_RESPONSIBILITY", "NO_FURTHER_ACTION", "INTERNAL_REFERRAL", "REOPEN", "FOR_TRIAGE", "CANCELLED"};
    auto status = form.Get("status");
    if (!kStatuses.contains(status)) return Error::Invalid("status", "status is one of OPEN, CLOSED, FIXED, … in upper case");
    LINLI_TRY(domain::ParseW3cDateTime(form.Get("updated_datetime"), "updated_datetime"));
    auto update_id = form.Get("update_id");
    if (update_id.size() > 100) return Error::Invalid("update_id", "at most 100 characters");
    json::object detail{{"update_id", update_id}, {"status", status}, {"updated_datetime", form.Get("updated_datetime")}};
    api.cases.Comment(client, form.Get("service_request_id"), form.Get("description"), json::serialize(detail),
                      [f, respond](Result<std::int64_t> r) {
                        if (!r) return respond(Open311Error(f, r.error()));
                        respond(Render(f, 200, List("service_request_updates",
                                                    {Obj("request_update", {T("update_id", std::to_string(*r))})})));
                      });
    return Ok();
  }, {.max_body_bytes = 64 << 10});
}

}  // namespace linli::http
