// Reading requests and writing responses as JSON, with errors that name the field.
//
// Every API error has the shape {"error":{"code":"invalid_argument","message":"...","field":"name"}}
// and the HTTP status that ErrorCode maps to. Nothing else in http/ chooses a status for an error.
#pragma once

#include <boost/json.hpp>

#include <initializer_list>
#include <optional>
#include <string>
#include <string_view>

#include "core/result.h"
#include "http/http_types.h"
#include "service/caller.h"

namespace linli::http {

namespace json = boost::json;

int HttpStatusFor(ErrorCode code);
HttpResponse ErrorResponse(const Error& e);
HttpResponse JsonResponse(int status, const json::value& body);
// A file in the body (exports, attachments, QR codes): typed by the server, never sniffed by the
// browser (nosniff), with its Content-Disposition ("inline" or "attachment; filename=…") and caching.
HttpResponse FileResponse(std::string bytes, std::string content_type, std::string_view disposition,
                          std::string_view cache_control);

// The request body as a JSON object; invalid_argument naming "body" otherwise.
Result<json::object> ParseObject(const HttpRequest& req);
// Refuses fields the endpoint does not know, so a typo is an error rather than silently ignored.
Status OnlyKnownFields(const json::object& o, std::initializer_list<std::string_view> known);

Result<std::string> RequiredString(const json::object& o, std::string_view field);
Result<std::optional<std::string>> OptionalString(const json::object& o, std::string_view field);
Result<std::int64_t> RequiredInt(const json::object& o, std::string_view field);
Result<std::optional<std::int64_t>> OptionalInt(const json::object& o, std::string_view field);
Result<std::optional<bool>> OptionalBool(const json::object& o, std::string_view field);

// Query and path parameters.
Result<std::int64_t> PathId(const HttpRequest& req, const std::string& name = "id");
Result<std::optional<std::int64_t>> QueryInt(const HttpRequest& req, const std::string& name,
                                             std::int64_t min, std::int64_t max);
Result<int> QueryLimit(const HttpRequest& req, int fallback = 50);
// A query parameter given as true/false (absent or empty: fallback).
Result<double> QueryNumber(const HttpRequest& req, const std::string& name);  // required
std::optional<std::string> QueryText(const HttpRequest& req, const std::string& name);  // nullopt when empty
Result<std::optional<double>> OptionalNumber(const json::object& o, std::string_view field);
Result<bool> QueryBool(const HttpRequest& req, const std::string& name, bool fallback);

// Turns a service's asynchronous result into a response: 2xx with render(value), or the error.
template <class T, class Render>
service::Done<T> Reply(Respond respond, Render render, int status = 200) {
  return [respond = std::move(respond), render = std::move(render), status](Result<T> r) {
    if (!r) return respond(ErrorResponse(r.error()));
    respond(JsonResponse(status, render(*r)));
  };
}

}  // namespace linli::http
