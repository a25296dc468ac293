// Notifications as stored: each user's inbox, the outbound webhooks and their delivery queue.
// Inserts happen inside the transaction of the change they report (see NotificationService).
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "core/clock.h"
#include "storage/sql.h"

namespace linli::storage {

struct NotificationRow {
  std::int64_t id = 0;
  std::int64_t user_id = 0;
  Millis at = 0;
  std::string kind;
  std::int64_t case_id = 0;
  std::string title;
  std::string body;
  Millis read_at = 0;
};

struct WebhookRow {
  std::int64_t id = 0;
  std::string name;
  std::string url;
  std::string kinds;  // space-separated, or "*"
  std::string secret_enc;
  Millis created_at = 0;
  std::int64_t created_by = 0;
  Millis removed_at = 0;
};

struct DeliveryRow {
  std::int64_t id = 0;
  std::int64_t webhook_id = 0;
  std::string kind;
  std::string payload;
  std::string state;  // pending, delivered, dead
  int attempts = 0;
  Millis next_attempt_at = 0;
  std::string last_error;
  Millis created_at = 0;
  Millis delivered_at = 0;
};

class NotificationRepo {
 public:
  static Status Insert(SqlSession& s, NotificationRow n);
  // A user's inbox, newest first; `before_id` pages backwards.
  static Result<std::vector<NotificationRow>> Inbox(SqlSession& s, std::int64_t user_id, bool unread_only,
                                                    std::int64_t before_id, int limit);
  static Result<std::int64_t> UnreadCount(SqlSession& s, std::int64_t user_id);
  // Marks the user's own notifications read: one id, or all when id is 0. Returns how many changed.
  static Result<std::int64_t> MarkRead(SqlSession& s, std::int64_t user_id, std::int64_t id, Millis now);
};

class WebhookRepo {
 public:
  static Result<std::int64_t> Insert(SqlSession& s, WebhookRow w);
  static Status SetSecret(SqlSession& s, std::int64_t id, const std::string& secret_enc);
  static Result<std::optional<WebhookRow>> Get(SqlSession& s, std::int64_t id);
  static Result<std::vector<WebhookRow>> Active(SqlSession& s);
  static Result<std::vector<WebhookRow>> All(SqlSession& s);
  static Status Remove(SqlSession& s, std::int64_t id, Millis now);

  static Status Enqueue(SqlSession& s, DeliveryRow d);
  static Result<std::optional<DeliveryRow>> Delivery(SqlSession& s, std::int64_t id);
  // Pending deliveries due by `now`, earliest first.
  static Result<std::vector<DeliveryRow>> Due(SqlSession& s, Millis now, int limit);
  static Result<Millis> EarliestDue(SqlSession& s);  // 0 when nothing waits
  static Result<std::vector<DeliveryRow>> Deliveries(SqlSession& s, std::int64_t webhook_id, std::string_view state,
                                                     std::int64_t before_id, int limit);
  // Records an attempt's outcome (state, attempts, next attempt, error, delivered time).
  static Status Record(SqlSession& s, const DeliveryRow& d);
};

}  // namespace linli::storage
