#include "http/json_io.h"

#include <charconv>
#include <cmath>

namespace linli::http {

int HttpStatusFor(ErrorCode code) {
  switch (code) {
    case ErrorCode::kInvalidArgument: return 400;
    case ErrorCode::kNotFound: return 404;
    case ErrorCode::kAlreadyExists: return 409;
    case ErrorCode::kFailedPrecondition: return 409;
    case ErrorCode::kAborted: return 409;
    case ErrorCode::kPermissionDenied: return 403;
    case ErrorCode::kUnauthenticated: return 401;
    case ErrorCode::kResourceExhausted: return 429;
    case ErrorCode::kUnavailable: return 503;
    case ErrorCode::kInternal: return 500;
  }
  return 500;
}

HttpResponse ErrorResponse(const Error& e) {
  json::object err;
  err["code"] = ErrorCodeName(e.code);
  // Internal details stay in the log; the client learns only that something failed.
  err["message"] = e.code == ErrorCode::kInternal ? "internal error" : e.message;
  if (e.field.empty()) err["field"] = nullptr; else err["field"] = e.field;
  json::object body;
  body["error"] = std::move(err);
  HttpResponse r = JsonResponse(HttpStatusFor(e.code), body);
  if (e.code == ErrorCode::kUnauthenticated) r.With("WWW-Authenticate", "Bearer");
  return r;
}

HttpResponse FileResponse(std::string bytes, std::string content_type, std::string_view disposition,
                          std::string_view cache_control) {
  HttpResponse r;
  r.status = 200;
  r.content_type = std::move(content_type);
  r.body = std::move(bytes);
  r.With("X-Content-Type-Options", "nosniff");
  r.With("Content-Disposition", std::string(disposition));
  r.With("Cache-Control", std::string(cache_control));
  return r;
}

HttpResponse JsonResponse(int status, const json::value& body) {
  HttpResponse r;
  r.status = status;
  r.body = json::serialize(body);
  return r;
}

Result<json::object> ParseObject(const HttpRequest& req) {
  if (auto ct = req.Header("content-type"); !ct || ct->find("application/json") == std::string_view::npos) {
    return Error::Invalid("content-type", "send the body as application/json");
  }
  json::error_code ec;
  json::parse_options opts;
  opts.max_depth = 20;
  json::value v = json::parse(req.body, ec, {}, opts);
  if (ec) return Error::Invalid("body", "the body is not valid JSON: " + ec.message());
  if (!v.is_object()) return Error::Invalid("body", "the body must be a JSON object");
  return std::move(v.as_object());
}

Status OnlyKnownFields(const json::object& o, std::initializer_list<std::string_view> known) {
  for (const auto& kv : o) {
    bool ok = false;
    for (auto k : known) ok = ok || kv.key() == k;
    if (!ok) return Error::Invalid(std::string(kv.key()), "unknown field " + std::string(kv.key()));
  }
  return Ok();
}

Result<std::optional<std::string>> OptionalString(const json::object& o, std::string_view field) {
  auto it = o.find(field);
  if (it == o.end() || it->value().is_null()) return std::optional<std::string>();
  if (!it->value().is_string()) {
    return Error::Invalid(std::string(field), std::string(field) + " must be a string");
  }
  return std::optional<std::string>(std::string(it->value().as_string()));
}

Result<std::string> RequiredString(const json::object& o, std::string_view field) {
  LINLI_ASSIGN_OR_RETURN(auto v, OptionalString(o, field));
  if (!v) return Error::Invalid(std::string(field), std::string(field) + " is required");
  return std::move(*v);
}

Result<std::optional<std::int64_t>> OptionalInt(const json::object& o, std::string_view field) {
  auto it = o.find(field);
  if (it == o.end() || it->value().is_null()) return std::optional<std::int64_t>();
  const auto& v = it->value();
  if (v.is_int64()) return std::optional<std::int64_t>(v.as_int64());
  if (v.is_uint64() && v.as_uint64() <= static_cast<std::uint64_t>(INT64_MAX)) {
    return std::optional<std::int64_t>(static_cast<std::int64_t>(v.as_uint64()));
  }
  return Error::Invalid(std::string(field), std::string(field) + " must be an integer");
}

Result<std::int64_t> RequiredInt(const json::object& o, std::string_view field) {
  LINLI_ASSIGN_OR_RETURN(auto v, OptionalInt(o, field));
  if (!v) return Error::Invalid(std::string(field), std::string(field) + " is required");
  return *v;
}

Result<std::optional<bool>> OptionalBool(const json::object& o, std::string_view field) {
  auto it = o.find(field);
  if (it == o.end() || it->value().is_null()) return std::optional<bool>();
  if (!it->value().is_bool()) {
    return Error::Invalid(std::string(field), std::string(field) + " must be true or false");
  }
  return std::optional<bool>(it->value().as_bool());
}

static Result<std::int64_t> ParseInt(std::string_view s, const std::string& name) {
  std::int64_t v = 0;
  auto [p, ec] = std::from_chars(s.data(), s.data() + s.size(), v);
  if (ec != std::errc() || p != s.data() + s.size() || s.empty()) {
    return Error::Invalid(name, name + " must be an integer");
  }
  return v;
}

Result<std::int64_t> PathId(const HttpRequest& req, const std::string& name) {
  auto it = req.path_params.find(name);
  if (it == req.path_params.end()) return Error::Invalid(name, name + " is missing");
  LINLI_ASSIGN_OR_RETURN(auto v, ParseInt(it->second, name));
  if (v <= 0) return Error::Invalid(name, name + " must be a positive integer");
  return v;
}

Result<std::optional<std::int64_t>> QueryInt(const HttpRequest& req, const std::string& name,
                                             std::int64_t min, std::int64_t max) {
  auto it = req.query.find(name);
  if (it == req.query.end() || it->second.empty()) return std::optional<std::int64_t>();
  LINLI_ASSIGN_OR_RETURN(auto v, ParseInt(it->second, name));
  if (v < min || v > max) {
    return Error::Invalid(name, name + " must be between " + std::to_string(min) + " and " +
                                    std::to_string(max));
  }
  return std::optional<std::int64_t>(v);
}

Result<int> QueryLimit(const HttpRequest& req, int fallback) {
  LINLI_ASSIGN_OR_RETURN(auto v, QueryInt(req, "limit", 1, 500));
  return static_cast<int>(v.value_or(fallback));
}

Result<bool> QueryBool(const HttpRequest& req, const std::string& name, bool fallback) {
  auto it = req.query.find(name);
  if (it == req.query.end() || it->second.empty()) return fallback;
  if (it->second == "true") return true;
  if (it->second == "false") return false;
  return Error::Invalid(name, name + " must be true or false");
}

Result<double> QueryNumber(const HttpRequest& req, const std::string& name) {
  auto it = req.query.find(name);
  if (it == req.query.end() || it->second.empty()) return Error::Invalid(name, name + " is required");
  try {
    std::size_t used = 0;
    double d = std::stod(it->second, &used);
    if (used != it->second.size() || !std::isfinite(d)) throw std::invalid_argument("x");
    return d;
  } catch (...) {
    return Error::Invalid(name, name + " must be a number");
  }
}

std::optional<std::string> QueryText(const HttpRequest& req, const std::string& name) {
  auto it = req.query.find(name);
  if (it == req.query.end() || it->second.empty()) return std::nullopt;
  return it->second;
}

Result<std::optional<double>> OptionalNumber(const json::object& o, std::string_view field) {
  auto* v = o.if_contains(field);
  if (!v || v->is_null()) return std::optional<double>();
  if (!v->is_number()) return Error::Invalid(std::string(field), std::string(field) + " must be a number");
  double d = v->to_number<double>();
  if (!std::isfinite(d)) return Error::Invalid(std::string(field), std::string(field) + " must be a finite number");
  return std::optional<double>(d);
}

}  // namespace linli::http
