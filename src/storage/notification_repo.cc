#include "storage/notification_repo.h"

namespace linli::storage {
namespace {

constexpr const char* kNotificationCols = "id, user_id, at, kind, case_id, title, body, read_at";
constexpr const char* kWebhookCols = "id, name, url, kinds, secret_enc, created_at, created_by, removed_at";
constexpr const char* kDeliveryCols =
    "id, webhook_id, kind, payload, state, attempts, next_attempt_at, last_error, created_at, delivered_at";

NotificationRow NotificationFrom(const SqlRow& r) {
  return {r.Int(0), r.Int(1), r.Int(2), r.Text(3), r.Int(4), r.Text(5), r.Text(6), r.Int(7)};
}
WebhookRow WebhookFrom(const SqlRow& r) {
  return {r.Int(0), r.Text(1), r.Text(2), r.Text(3), r.Text(4), r.Int(5), r.Int(6), r.Int(7)};
}
DeliveryRow DeliveryFrom(const SqlRow& r) {
  return {r.Int(0), r.Int(1), r.Text(2), r.Text(3), r.Text(4), static_cast<int>(r.Int(5)),
          r.Int(6), r.Text(7), r.Int(8), r.Int(9)};
}

}  // namespace

Status NotificationRepo::Insert(SqlSession& s, NotificationRow n) {
  if (n.id == 0) {
    LINLI_ASSIGN_OR_RETURN(n.id, s.NextId("notifications"));
  }
  static constexpr AppendTable kNotifications{"notifications", "id, user_id, at, kind, case_id, title, body"};
  return AppendRow(s, kNotifications,
                   {Int(n.id), Int(n.user_id), Int(n.at), Text(n.kind), IdOrNull(n.case_id), Text(n.title), Text(n.body)});
}

Result<std::vector<NotificationRow>> NotificationRepo::Inbox(SqlSession& s, std::int64_t user_id, bool unread_only,
                                                             std::int64_t before_id, int limit) {
  LINLI_TRY(FlushAppends(s));
  std::vector<SqlValue> p = {Int(user_id)};
  std::string sql = std::string("SELECT ") + kNotificationCols + " FROM notifications WHERE user_id = $1";
  if (unread_only) sql += " AND read_at IS NULL";
  if (before_id > 0) {
    sql += " AND id < " + NextMarker(p);
    p.push_back(Int(before_id));
  }
  sql += " ORDER BY id DESC LIMIT " + NextMarker(p);
  p.push_back(Int(limit));
  return ManyRows<NotificationRow>(s, sql, p, NotificationFrom);
}

Result<std::int64_t> NotificationRepo::UnreadCount(SqlSession& s, std::int64_t user_id) {
  LINLI_TRY(FlushAppends(s));
  LINLI_ASSIGN_OR_RETURN(auto rows, s.Query("SELECT count(*) FROM notifications WHERE user_id = $1 AND read_at IS NULL",
                                            {Int(user_id)}));
  return rows.empty() ? 0 : rows[0].Int(0);
}

Result<std::int64_t> NotificationRepo::MarkRead(SqlSession& s, std::int64_t user_id, std::int64_t id, Millis now) {
  LINLI_TRY(FlushAppends(s));
  if (id > 0) {
    return s.Exec("UPDATE notifications SET read_at = $1 WHERE user_id = $2 AND id = $3 AND read_at IS NULL",
                  {Int(now), Int(user_id), Int(id)});
  }
  return s.Exec("UPDATE notifications SET read_at = $1 WHERE user_id = $2 AND read_at IS NULL", {Int(now), Int(user_id)});
}

// ---------------------------------------------------------------------------------------------
Result<std::int64_t> WebhookRepo::Insert(SqlSession& s, WebhookRow w) {
  if (w.id == 0) {
    LINLI_ASSIGN_OR_RETURN(w.id, s.NextId("webhooks"));
  }
  LINLI_TRY(s.ExecDeferred("INSERT INTO webhooks (id, name, url, kinds, secret_enc, created_at, created_by) "
                           "VALUES ($1, $2, $3, $4, $5, $6, $7)",
                           {Int(w.id), Text(w.name), Text(w.url), Text(w.kinds), Text(w.secret_enc), Int(w.created_at),
                            Int(w.created_by)}));
  return w.id;
}

Status WebhookRepo::SetSecret(SqlSession& s, std::int64_t id, const std::string& secret_enc) {
  return s.ExecDeferred("UPDATE webhooks SET secret_enc = $1 WHERE id = $2", {Text(secret_enc), Int(id)});
}

Result<std::optional<WebhookRow>> WebhookRepo::Get(SqlSession& s, std::int64_t id) {
  return OneRow<WebhookRow>(s, std::string("SELECT ") + kWebhookCols + " FROM webhooks WHERE id = $1", Int(id),
                            WebhookFrom);
}

Result<std::vector<WebhookRow>> WebhookRepo::Active(SqlSession& s) {
  return ManyRows<WebhookRow>(s, std::string("SELECT ") + kWebhookCols + " FROM webhooks WHERE removed_at IS NULL ORDER BY id",
                          {}, WebhookFrom);
}

Result<std::vector<WebhookRow>> WebhookRepo::All(SqlSession& s) {
  return ManyRows<WebhookRow>(s, std::string("SELECT ") + kWebhookCols + " FROM webhooks ORDER BY id", {}, WebhookFrom);
}

Status WebhookRepo::Remove(SqlSession& s, std::int64_t id, Millis now) {
  LINLI_TRY(s.ExecDeferred("UPDATE webhooks SET removed_at = $1 WHERE id = $2 AND removed_at IS NULL", {Int(now), Int(id)}));
  // What still waits for a removed hook will never be sent.
  return s.ExecDeferred("UPDATE webhook_deliveries SET state = 'dead', next_attempt_at = NULL, "
                        "last_error = 'webhook removed' WHERE webhook_id = $1 AND state = 'pending'",
                        {Int(id)});
}

Status WebhookRepo::Enqueue(SqlSession& s, DeliveryRow d) {
  if (d.id == 0) {
    LINLI_ASSIGN_OR_RETURN(d.id, s.NextId("webhook_deliveries"));
  }
  return s.ExecDeferred("INSERT INTO webhook_deliveries (id, webhook_id, kind, payload, state, attempts, next_attempt_at, "
                        "created_at) VALUES ($1, $2, $3, $4, 'pending', 0, $5, $6)",
                        {Int(d.id), Int(d.webhook_id), Text(d.kind), Text(d.payload), Int(d.next_attempt_at),
                         Int(d.created_at)});
}

Result<std::optional<DeliveryRow>> WebhookRepo::Delivery(SqlSession& s, std::int64_t id) {
  return OneRow<DeliveryRow>(s, std::string("SELECT ") + kDeliveryCols + " FROM webhook_deliveries WHERE id = $1",
                             Int(id), DeliveryFrom);
}

Result<std::vector<DeliveryRow>> WebhookRepo::Due(SqlSession& s, Millis now, int limit) {
  return ManyRows<DeliveryRow>(s,
                           std::string("SELECT ") + kDeliveryCols +
                               " FROM webhook_deliveries WHERE next_attempt_at IS NOT NULL AND next_attempt_at <= $1 "
                               "ORDER BY next_attempt_at LIMIT $2",
                           std::vector<SqlValue>{Int(now), Int(limit)}, DeliveryFrom);
}

Result<Millis> WebhookRepo::EarliestDue(SqlSession& s) {
  LINLI_ASSIGN_OR_RETURN(auto rows,
                         s.Query("SELECT min(next_attempt_at) FROM webhook_deliveries WHERE next_attempt_at IS NOT NULL"));
  return rows.empty() ? 0 : rows[0].Int(0);
}

Result<std::vector<DeliveryRow>> WebhookRepo::Deliveries(SqlSession& s, std::int64_t webhook_id, std::string_view state,
                                                         std::int64_t before_id, int limit) {
  std::vector<SqlValue> p = {Int(webhook_id)};
  std::string sql = std::string("SELECT ") + kDeliveryCols + " FROM webhook_deliveries WHERE webhook_id = $1";
  if (!state.empty()) {
    sql += " AND state = " + NextMarker(p);
    p.push_back(Text(state));
  }
  if (before_id > 0) {
    sql += " AND id < " + NextMarker(p);
    p.push_back(Int(before_id));
  }
  sql += " ORDER BY id DESC LIMIT " + NextMarker(p);
  p.push_back(Int(limit));
  return ManyRows<DeliveryRow>(s, sql, p, DeliveryFrom);
}

Status WebhookRepo::Record(SqlSession& s, const DeliveryRow& d) {
  return s.ExecDeferred("UPDATE webhook_deliveries SET state = $1, attempts = $2, next_attempt_at = $3, last_error = $4, "
                        "delivered_at = $5 WHERE id = $6",
                        {Text(d.state), Int(d.attempts), IdOrNull(d.next_attempt_at), Text(d.last_error),
                         IdOrNull(d.delivered_at), Int(d.id)});
}

}  // namespace linli::storage
