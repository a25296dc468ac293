// The caller's inbox (/api/v1/notifications) and the outbound webhooks (/api/v1/webhooks) that an
// SMS or WeChat gateway subscribes with.
#include "http/api.h"
#include "http/json_io.h"
#include "http/render.h"

namespace linli::http {

namespace {

using service::Caller;

json::object RenderNotification(const storage::NotificationRow& n) {
  return {{"id", n.id},
          {"at", n.at},
          {"kind", n.kind},
          {"case_id", NullIfZero(n.case_id)},
          {"title", n.title},
          {"body", n.body},
          {"read_at", NullIfZero(n.read_at)}};
}

json::object RenderWebhook(const storage::WebhookRow& w) {
  return {{"id", w.id},
          {"name", w.name},
          {"url", w.url},
          {"kinds", w.kinds},
          {"created_at", w.created_at},
          {"removed_at", NullIfZero(w.removed_at)}};
}

json::object RenderDelivery(const storage::DeliveryRow& d) {
  return {{"id", d.id},
          {"webhook_id", d.webhook_id},
          {"kind", d.kind},
          {"payload", StoredJson(d.payload)},
          {"state", d.state},
          {"attempts", d.attempts},
          {"next_attempt_at", NullIfZero(d.next_attempt_at)},
          {"last_error", d.last_error},
          {"created_at", d.created_at},
          {"delivered_at", NullIfZero(d.delivered_at)}};
}

// Newest-first pages: `before` is the cursor, `next_before` the next one (null on the last page).
template <class Row, class Render>
json::object NewestFirstPage(const std::vector<Row>& rows, int limit, Render render) {
  json::array items;
  for (const auto& r : rows) items.emplace_back(render(r));
  json::object o;
  o["items"] = std::move(items);
  o["next_before"] = rows.size() >= static_cast<std::size_t>(limit) && !rows.empty() ? json::value(rows.back().id)
                                                                                    : json::value(nullptr);
  return o;
}

}  // namespace

void RegisterNotificationRoutes(Router& r, Api& api) {
  r.Add("GET", "/api/v1/notifications", Authed(api, [&api](HttpRequest& req, const Caller& who, const Respond& respond) -> Status {
    LINLI_ASSIGN_OR_RETURN(auto limit, QueryLimit(req, 50));
    LINLI_ASSIGN_OR_RETURN(auto unread, QueryBool(req, "unread", false));
    LINLI_ASSIGN_OR_RETURN(auto before, QueryInt(req, "before", 1, INT64_MAX));
    LINLI_ASSIGN_OR_RETURN(auto page, api.notifications.Inbox(who, unread, before.value_or(0), limit));
    auto o = NewestFirstPage(page.items, limit, RenderNotification);
    o["unread"] = page.unread;
    respond(JsonResponse(200, o));
    return Ok();
  }));

  auto mark = [&api](std::int64_t id, const Caller& who, const Respond& respond) {
    api.notifications.MarkRead(who, id, Reply<std::int64_t>(respond, [](std::int64_t n) {
      return json::object{{"changed", n}};
    }));
  };
  r.Add("POST", "/api/v1/notifications/{id}/read", Authed(api, [mark](HttpRequest& req, const Caller& who, const Respond& respond) -> Status {
    LINLI_ASSIGN_OR_RETURN(auto id, PathId(req));
    mark(id, who, respond);
    return Ok();
  }));
  r.Add("POST", "/api/v1/notifications/read-all", Authed(api, [mark](HttpRequest&, const Caller& who, const Respond& respond) -> Status {
    mark(0, who, respond);
    return Ok();
  }));

  // --- webhooks (the system administrator) ---
  r.Add("GET", "/api/v1/webhooks", Authed(api, [&api](HttpRequest&, const Caller& who, const Respond& respond) -> Status {
    LINLI_ASSIGN_OR_RETURN(auto hooks, api.notifications.Webhooks(who));
    json::array items;
    for (const auto& h : hooks) items.emplace_back(RenderWebhook(h));
    json::array kinds;
    for (auto k : service::NoticeKinds()) kinds.emplace_back(k);
    respond(JsonResponse(200, json::object{{"items", std::move(items)}, {"kinds", std::move(kinds)}}));
    return Ok();
  }));

  r.Add("POST", "/api/v1/webhooks", Authed(api, [&api](HttpRequest& req, const Caller& who, const Respond& respond) -> Status {
    LINLI_ASSIGN_OR_RETURN(auto body, ParseObject(req));
    LINLI_TRY(OnlyKnownFields(body, {"name", "url", "kinds"}));
    LINLI_ASSIGN_OR_RETURN(auto name, RequiredString(body, "name"));
    LINLI_ASSIGN_OR_RETURN(auto url, RequiredString(body, "url"));
    std::vector<std::string> kinds;
    auto it = body.find("kinds");
    if (it == body.end() || !it->value().is_array()) {
      return Error::Invalid("kinds", "kinds is a list of event kinds, or [\"*\"] for all");
    }
    for (const auto& k : it->value().as_array()) {
      if (!k.is_string()) return Error::Invalid("kinds", "kinds is a list of strings");
      kinds.emplace_back(k.as_string());
    }
    api.notifications.AddWebhook(who, std::move(name), std::move(url), std::move(kinds),
                                 Reply<service::NewWebhook>(respond, [](const service::NewWebhook& n) {
                                   auto o = RenderWebhook(n.hook);
                                   o["secret"] = n.secret;  // shown this once
                                   return o;
                                 }, 201));
    return Ok();
  }), {.max_body_bytes = 16 << 10});

  r.Add("DELETE", "/api/v1/webhooks/{id}", Authed(api, [&api](HttpRequest& req, const Caller& who, const Respond& respond) -> Status {
    LINLI_ASSIGN_OR_RETURN(auto id, PathId(req));
    api.notifications.RemoveWebhook(who, id, Reply<storage::WebhookRow>(respond, RenderWebhook));
    return Ok();
  }));

  r.Add("GET", "/api/v1/webhooks/{id}/deliveries", Authed(api, [&api](HttpRequest& req, const Caller& who, const Respond& respond) -> Status {
    LINLI_ASSIGN_OR_RETURN(auto id, PathId(req));
    LINLI_ASSIGN_OR_RETURN(auto limit, QueryLimit(req, 50));
    LINLI_ASSIGN_OR_RETURN(auto before, QueryInt(req, "before", 1, INT64_MAX));
    LINLI_ASSIGN_OR_RETURN(auto list, api.notifications.Deliveries(who, id, QueryText(req, "state").value_or(""),
                                                                   before.value_or(0), limit));
    respond(JsonResponse(200, NewestFirstPage(list, limit, RenderDelivery)));
    return Ok();
  }));

  r.Add("POST", "/api/v1/webhook-deliveries/{id}/retry", Authed(api, [&api](HttpRequest& req, const Caller& who, const Respond& respond) -> Status {
    LINLI_ASSIGN_OR_RETURN(auto id, PathId(req));
    api.notifications.RetryDelivery(who, id, Reply<storage::DeliveryRow>(respond, RenderDelivery));
    return Ok();
  }));
}

}  // namespace linli::http
