#include "service/notification_service.h"

#include <algorithm>
#include <set>

#include "core/crypto.h"
#include "core/json_text.h"
#include "domain/text.h"
#include "service/records.h"
#include "storage/account_repo.h"

namespace linli::service {

using storage::SqlSession;
namespace perm = domain::perm;

const std::vector<std::string_view>& NoticeKinds() {
  static const std::vector<std::string_view> kinds = {notice::kReported,  notice::kAssigned,  notice::kEscalated,
                                                      notice::kDispatched, notice::kReturned, notice::kOverdue,
                                                      notice::kSupervised, notice::kRated,    notice::kReopened,
                                                      notice::kProgress};
  return kinds;
}

Millis RetryDelay(int failed_attempts) {
  constexpr Millis kFirst = 10'000, kMost = 6LL * 3600'000;
  Millis delay = kFirst;
  for (int i = 1; i < failed_attempts && delay < kMost; ++i) delay *= 3;
  return std::min(delay, kMost);
}

namespace {

bool Subscribed(const storage::WebhookRow& hook, std::string_view kind) {
  if (hook.kinds == "*") return true;
  std::string_view kinds = hook.kinds;
  while (!kinds.empty()) {
    auto space = kinds.find(' ');
    if (kinds.substr(0, space) == kind) return true;
    if (space == std::string_view::npos) break;
    kinds.remove_prefix(space + 1);
  }
  return false;
}

std::string SecretContext(std::int64_t hook_id) { return RecordRef("webhook", hook_id) + ":secret"; }

Status CheckWebhookUrl(const std::string& url) {
  if (url.empty()) return Error::Invalid("url", "a webhook needs a url");
  if (url.size() > 2000) return Error::Invalid("url", "at most 2000 characters");
  std::string_view rest = url;
  if (rest.starts_with("http://")) rest.remove_prefix(7);
  else if (rest.starts_with("https://")) rest.remove_prefix(8);
  else return Error::Invalid("url", "the url must start with http:// or https://");
  auto host = rest.substr(0, rest.find_first_of("/?#"));
  if (host.empty() || host.find('@') != std::string_view::npos) {
    return Error::Invalid("url", "the url needs a host (and no user name or password)");
  }
  for (char c : url) {
    if (static_cast<unsigned char>(c) <= ' ' || c == 0x7f) return Error::Invalid("url", "no spaces or control characters");
  }
  return Ok();
}

}  // namespace

std::shared_ptr<const std::vector<storage::WebhookRow>> NotificationService::hooks() const {
  std::lock_guard lock(hooks_mu_);
  return hooks_;
}

Status NotificationService::LoadHooks(SqlSession& s) {
  LINLI_ASSIGN_OR_RETURN(auto rows, storage::WebhookRepo::Active(s));
  auto loaded = std::make_shared<const std::vector<storage::WebhookRow>>(std::move(rows));
  std::lock_guard lock(hooks_mu_);
  hooks_ = std::move(loaded);
  return Ok();
}

Status NotificationService::Prepare() {
  return StatusOf(storage::ReadValue<bool>(db_, [this](SqlSession& s) -> Result<bool> {
    LINLI_TRY(LoadHooks(s));
    return true;
  }));
}

Status NotificationService::Publish(SqlSession& s, Notice n) {
  Millis now = clock_.NowMillis();
  std::sort(n.recipients.begin(), n.recipients.end());
  n.recipients.erase(std::unique(n.recipients.begin(), n.recipients.end()), n.recipients.end());
  for (auto user : n.recipients) {
    if (user == 0 || user == n.actor_id) continue;  // nobody is told about what they did themselves
    LINLI_TRY(storage::NotificationRepo::Insert(
        s, {.user_id = user, .at = now, .kind = n.kind, .case_id = n.case_id, .title = n.title, .body = n.body}));
  }
  if (n.payload.empty()) return Ok();
  for (const auto& hook : *hooks()) {
    if (!Subscribed(hook, n.kind)) continue;
    LINLI_TRY(storage::WebhookRepo::Enqueue(
        s, {.webhook_id = hook.id, .kind = n.kind, .payload = n.payload, .next_attempt_at = now, .created_at = now}));
  }
  return Ok();
}

// ---------------------------------------------------------------------------------------------
Result<InboxPage> NotificationService::Inbox(const Caller& who, bool unread_only, std::int64_t before_id, int limit) {
  LINLI_TRY(CheckPageLimit(limit));
  if (who.user_id() == 0) return Error::Denied("an inbox belongs to a signed-in user");
  return storage::ReadValue<InboxPage>(db_, [&](SqlSession& s) -> Result<InboxPage> {
    InboxPage page;
    LINLI_ASSIGN_OR_RETURN(page.items, storage::NotificationRepo::Inbox(s, who.user_id(), unread_only, before_id, limit));
    LINLI_ASSIGN_OR_RETURN(page.unread, storage::NotificationRepo::UnreadCount(s, who.user_id()));
    return page;
  });
}

void NotificationService::MarkRead(const Caller& who, std::int64_t id, Done<std::int64_t> done) {
  if (who.user_id() == 0) return done(Error::Denied("an inbox belongs to a signed-in user"));
  Millis now = clock_.NowMillis();
  storage::SubmitWrite<std::int64_t>(db_, [=](SqlSession& s) -> Result<std::int64_t> {
    // Only the caller's own notices: someone else's id changes nothing and is simply not found.
    LINLI_ASSIGN_OR_RETURN(auto changed, storage::NotificationRepo::MarkRead(s, who.user_id(), id, now));
    if (id > 0 && changed == 0) {
      LINLI_ASSIGN_OR_RETURN(auto mine, storage::NotificationRepo::Inbox(s, who.user_id(), false, id + 1, 1));
      if (mine.empty() || mine[0].id != id) return Error::NotFound("no notification " + std::to_string(id));
    }
    return changed;
  }, std::move(done));
}

// ---------------------------------------------------------------------------------------------
Status NotificationService::MayManage(const Caller& who) const {
  if (who.is_system() || domain::HoldsAtRoot(who.principal, perm::kApiKeyWrite)) return Ok();
  return Error::Denied("webhooks are managed by the system administrator (apikey.write at the root)");
}

void NotificationService::AddWebhook(const Caller& who, std::string name, std::string url, std::vector<std::string> kinds,
                                     Done<NewWebhook> done) {
  if (auto st = MayManage(who); !st) return done(st.error());
  if (auto st = domain::ValidateText("name", name, {.min_chars = 1, .max_chars = 100}); !st) return done(st.error());
  if (auto st = CheckWebhookUrl(url); !st) return done(st.error());
  if (kinds.empty()) return done(Error::Invalid("kinds", "name the kinds to deliver, or \"*\" for all"));
  std::string joined;
  for (const auto& k : kinds) {
    bool known = k == "*" || std::find(NoticeKinds().begin(), NoticeKinds().end(), k) != NoticeKinds().end();
    if (!known) return done(Error::Invalid("kinds", "unknown kind " + k.substr(0, 40)));
    if (k == "*") {
      joined = "*";
      break;
    }
    if (!joined.empty()) joined += ' ';
    joined += k;
  }
  std::string secret = "whsec_" + crypto::RandomToken(24);
  Millis now = clock_.NowMillis();
  storage::SubmitWrite<NewWebhook>(db_, [=, this](SqlSession& s) -> Result<NewWebhook> {
    storage::WebhookRow hook{.name = name, .url = url, .kinds = joined, .created_at = now, .created_by = who.user_id()};
    LINLI_ASSIGN_OR_RETURN(hook.id, s.NextId("webhooks"));
    hook.secret_enc = crypto_->Seal(secret, SecretContext(hook.id));
    LINLI_TRY(storage::WebhookRepo::Insert(s, hook));
    LINLI_TRY(audit_.Record(s, who, {.action = "webhook.add", .target = RecordRef("webhook", hook.id),
                                     .detail = JsonObject().Add("url", url).Add("kinds", joined).Str()}));
    LINLI_TRY(LoadHooks(s));
    return NewWebhook{hook, secret};
  }, std::move(done));
}

void NotificationService::RemoveWebhook(const Caller& who, std::int64_t id, Done<storage::WebhookRow> done) {
  if (auto st = MayManage(who); !st) return done(st.error());
  Millis now = clock_.NowMillis();
  storage::SubmitWrite<storage::WebhookRow>(db_, [=, this](SqlSession& s) -> Result<storage::WebhookRow> {
    LINLI_ASSIGN_OR_RETURN(auto hook, storage::WebhookRepo::Get(s, id));
    if (!hook) return Error::NotFound("no webhook " + std::to_string(id));
    if (hook->removed_at == 0) {
      LINLI_TRY(storage::WebhookRepo::Remove(s, id, now));
      LINLI_TRY(audit_.Record(s, who, {.action = "webhook.remove", .target = RecordRef("webhook", id)}));
      hook->removed_at = now;
      LINLI_TRY(LoadHooks(s));
    }
    return std::move(*hook);
  }, std::move(done));
}

Result<std::vector<storage::WebhookRow>> NotificationService::Webhooks(const Caller& who) {
  LINLI_TRY(MayManage(who));
  return storage::ReadValue<std::vector<storage::WebhookRow>>(db_, [](SqlSession& s) { return storage::WebhookRepo::All(s); });
}

Result<std::vector<storage::DeliveryRow>> NotificationService::Deliveries(const Caller& who, std::int64_t webhook_id,
                                                                          std::string state, std::int64_t before_id,
                                                                          int limit) {
  LINLI_TRY(MayManage(who));
  LINLI_TRY(CheckPageLimit(limit));
  if (!state.empty() && state != "pending" && state != "delivered" && state != "dead") {
    return Error::Invalid("state", "state is pending, delivered or dead");
  }
  return storage::ReadValue<std::vector<storage::DeliveryRow>>(db_, [&](SqlSession& s) -> Result<std::vector<storage::DeliveryRow>> {
    LINLI_ASSIGN_OR_RETURN(auto hook, storage::WebhookRepo::Get(s, webhook_id));
    if (!hook) return Error::NotFound("no webhook " + std::to_string(webhook_id));
    return storage::WebhookRepo::Deliveries(s, webhook_id, state, before_id, limit);
  });
}

void NotificationService::RetryDelivery(const Caller& who, std::int64_t delivery_id, Done<storage::DeliveryRow> done) {
  if (auto st = MayManage(who); !st) return done(st.error());
  Millis now = clock_.NowMillis();
  storage::SubmitWrite<storage::DeliveryRow>(db_, [=, this](SqlSession& s) -> Result<storage::DeliveryRow> {
    LINLI_ASSIGN_OR_RETURN(auto d, storage::WebhookRepo::Delivery(s, delivery_id));
    if (!d) return Error::NotFound("no delivery " + std::to_string(delivery_id));
    if (d->state == "delivered") return Error::Precondition("delivery " + std::to_string(delivery_id) + " was delivered");
    LINLI_ASSIGN_OR_RETURN(auto hook, storage::WebhookRepo::Get(s, d->webhook_id));
    if (!hook || hook->removed_at != 0) return Error::Precondition("its webhook was removed");
    d->state = "pending";
    d->attempts = 0;
    d->next_attempt_at = now;
    LINLI_TRY(storage::WebhookRepo::Record(s, *d));
    LINLI_TRY(audit_.Record(s, who, {.action = "webhook.retry", .target = RecordRef("webhook_delivery", delivery_id)}));
    return std::move(*d);
  }, std::move(done));
}

// ---------------------------------------------------------------------------------------------
Result<int> NotificationService::DeliverDue(const HttpPoster& post, int batch) {
  Millis now = clock_.NowMillis();
  LINLI_ASSIGN_OR_RETURN(auto due, storage::ReadValue<std::vector<storage::DeliveryRow>>(
                                       db_, [&](SqlSession& s) { return storage::WebhookRepo::Due(s, now, batch); }));
  if (due.empty()) return 0;
  LINLI_ASSIGN_OR_RETURN(auto all, storage::ReadValue<std::vector<storage::WebhookRow>>(
                                       db_, [](SqlSession& s) { return storage::WebhookRepo::All(s); }));
  int tried = 0;
  for (auto d : due) {
    auto hook = std::find_if(all.begin(), all.end(), [&](const auto& h) { return h.id == d.webhook_id; });
    d.attempts += 1;
    OutboundResponse response;
    auto secret = hook == all.end() ? Result<std::string>(Error::NotFound("webhook gone"))
                                    : crypto_->Open(hook->secret_enc, SecretContext(hook->id));
    if (hook == all.end() || hook->removed_at != 0) {
      response.error = "webhook removed";
      d.attempts = kMaxDeliveryAttempts;
    } else if (!secret) {
      response.error = "the signing secret does not open with this key file";
      d.attempts = kMaxDeliveryAttempts;
    } else {
      std::string t = std::to_string(clock_.NowMillis());
      OutboundRequest req{.url = hook->url,
                          .headers = {{"Content-Type", "application/json"},
                                      {"X-Linli-Event", d.kind},
                                      {"X-Linli-Delivery", std::to_string(d.id)},
                                      {"X-Linli-Signature", "t=" + t + ",v1=" + crypto::HmacSha256Hex(*secret, t + "." + d.payload)}},
                          .body = d.payload};
      response = post(req);
    }
    Millis at = clock_.NowMillis();
    if (response.status >= 200 && response.status < 300) {
      d.state = "delivered";
      d.delivered_at = at;
      d.next_attempt_at = 0;
      d.last_error.clear();
    } else {
      d.last_error = response.status ? "HTTP " + std::to_string(response.status) : response.error.substr(0, 300);
      if (d.attempts >= kMaxDeliveryAttempts) {
        d.state = "dead";
        d.next_attempt_at = 0;
      } else {
        d.next_attempt_at = at + RetryDelay(d.attempts);
      }
    }
    // Recorded one by one, so a crash mid-batch resends only the one in flight (receivers
    // deduplicate by X-Linli-Delivery).
    LINLI_TRY(storage::WriteAndWait<bool>(db_, [&](SqlSession& s) -> Result<bool> {
      LINLI_TRY(storage::WebhookRepo::Record(s, d));
      return true;
    }));
    ++tried;
  }
  return tried;
}

}  // namespace linli::service
