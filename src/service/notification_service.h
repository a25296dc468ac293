// Notifications: who is told what when a case moves. Each notice goes, in the transaction of the
// change itself, to the in-app inbox of the people concerned and to the delivery queue of every
// webhook that subscribed to its kind (an SMS or WeChat gateway). The webhook sender
// (WebhookDispatcher) posts queued deliveries signed with the hook's secret, retries with
// growing delays and dead-letters a delivery after kMaxDeliveryAttempts.
//
// Signature: header `X-Linli-Signature: t=<unix ms>,v1=<hex HMAC-SHA-256(secret, "<t>.<body>")>`;
// `X-Linli-Event` names the kind and `X-Linli-Delivery` the delivery id (receivers deduplicate by it).
#pragma once

#include <chrono>
#include <functional>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

#include "core/field_crypto.h"
#include "service/audit_service.h"
#include "service/caller.h"
#include "service/ticker.h"
#include "storage/database.h"
#include "storage/notification_repo.h"

namespace linli::service {

// What a notice is about. Inbox notices go to staff; case.progress goes to webhooks only (the
// resident's SMS: accepted, resolved, rejected, closed), with the tracking code and never a phone.
namespace notice {
inline constexpr std::string_view kReported = "case.reported";      // a new case at your node
inline constexpr std::string_view kAssigned = "case.assigned";      // assigned to you
inline constexpr std::string_view kEscalated = "case.escalated";    // climbed to your level
inline constexpr std::string_view kDispatched = "case.dispatched";  // sent to the departments
inline constexpr std::string_view kReturned = "case.returned";      // a department sent it back
inline constexpr std::string_view kOverdue = "case.overdue";
inline constexpr std::string_view kSupervised = "case.supervised";  // 督办
inline constexpr std::string_view kRated = "case.rated";
inline constexpr std::string_view kReopened = "case.reopened";
inline constexpr std::string_view kProgress = "case.progress";      // for the resident, via webhooks
}  // namespace notice

// Every kind a webhook may subscribe to.
const std::vector<std::string_view>& NoticeKinds();

struct Notice {
  std::string kind;
  std::int64_t case_id = 0;
  std::string title;    // one line, Chinese, shown in the inbox
  std::string body;     // a short excerpt
  std::vector<std::int64_t> recipients;  // users; duplicates and the actor are dropped
  std::int64_t actor_id = 0;
  std::string payload;  // the webhook body (JSON); empty: no webhook delivery
};

struct InboxPage {
  std::vector<storage::NotificationRow> items;
  std::int64_t unread = 0;
};

struct NewWebhook {
  storage::WebhookRow hook;
  std::string secret;  // shown once, at creation
};

// An outbound HTTP POST, made by the HTTP layer (http/outbound_http.h) so services stay free of
// network code. `status` is the response status, 0 when no response came (`error` says why).
struct OutboundRequest {
  std::string url;
  std::vector<std::pair<std::string, std::string>> headers;
  std::string body;
};
struct OutboundResponse {
  int status = 0;
  std::string error;
};
using HttpPoster = std::function<OutboundResponse(const OutboundRequest&)>;

inline constexpr int kMaxDeliveryAttempts = 8;
// The wait after the n-th failed attempt (n ≥ 1): 10 s, 30 s, 90 s … at most 6 hours.
Millis RetryDelay(int failed_attempts);

class NotificationService {
 public:
  NotificationService(storage::Database& db, const Clock& clock, AuditService& audit,
                      std::shared_ptr<const crypto::FieldCrypto> crypto)
      : db_(db), clock_(clock), audit_(audit), crypto_(std::move(crypto)) {}

  // Start-up: loads the active webhooks.
  Status Prepare();

  // Inside a write transaction: the inbox rows and the webhook deliveries of one notice.
  Status Publish(storage::SqlSession& s, Notice n);

  // --- the caller's own inbox ---
  Result<InboxPage> Inbox(const Caller& who, bool unread_only, std::int64_t before_id, int limit);
  // Marks one notice read (id > 0) or all of them (id 0); returns how many changed.
  void MarkRead(const Caller& who, std::int64_t id, Done<std::int64_t> done);

  // --- webhooks: apikey.write at a root (the system administrator's integrations) ---
  void AddWebhook(const Caller& who, std::string name, std::string url, std::vector<std::string> kinds,
                  Done<NewWebhook> done);
  void RemoveWebhook(const Caller& who, std::int64_t id, Done<storage::WebhookRow> done);
  Result<std::vector<storage::WebhookRow>> Webhooks(const Caller& who);
  Result<std::vector<storage::DeliveryRow>> Deliveries(const Caller& who, std::int64_t webhook_id, std::string state,
                                                       std::int64_t before_id, int limit);
  // Puts a dead (or pending) delivery back in the queue, due now, with a fresh set of attempts.
  void RetryDelivery(const Caller& who, std::int64_t delivery_id, Done<storage::DeliveryRow> done);

  // --- the sender ---
  // Posts every delivery due by now (at most `batch`), records each outcome. Returns how many it tried.
  Result<int> DeliverDue(const HttpPoster& post, int batch = 50);

 private:
  std::shared_ptr<const std::vector<storage::WebhookRow>> hooks() const;
  Status LoadHooks(storage::SqlSession& s);
  Status MayManage(const Caller& who) const;

  storage::Database& db_;
  const Clock& clock_;
  AuditService& audit_;
  std::shared_ptr<const crypto::FieldCrypto> crypto_;
  mutable std::mutex hooks_mu_;
  std::shared_ptr<const std::vector<storage::WebhookRow>> hooks_;  // GUARDED_BY(hooks_mu_); active ones
};

// Sends queued webhook deliveries while the server runs, checking the queue once a second.
class WebhookDispatcher {
 public:
  WebhookDispatcher(NotificationService& notifications, HttpPoster post,
                    std::chrono::milliseconds tick = std::chrono::seconds(1))
      : notifications_(notifications), post_(std::move(post)),
        ticker_("webhooks", tick, [this] { return notifications_.DeliverDue(post_); }) {}
  void Start() { ticker_.Start(); }
  void Stop() { ticker_.Stop(); }
  // One pass now (the CLI's `linli webhook send`).
  Result<int> RunOnce() { return notifications_.DeliverDue(post_); }

 private:
  NotificationService& notifications_;
  HttpPoster post_;
  Ticker ticker_;
};

}  // namespace linli::service
