#include "service/auth_service.h"

#include <boost/json.hpp>

#include "core/crypto.h"
#include "core/json_text.h"

namespace linli::service {

namespace json = boost::json;
using storage::AccountRepo;

domain::SecurityPolicy PolicyStore::Get() const {
  std::lock_guard lock(mu_);
  return policy_;
}

void PolicyStore::Set(const domain::SecurityPolicy& p) {
  std::lock_guard lock(mu_);
  policy_ = p;
}

std::string PolicyStore::ToJson(const domain::SecurityPolicy& p) {
  return JsonObject()
      .Add("password_mode", domain::PasswordPolicyModeName(p.password_mode))
      .Add("session_idle_minutes", p.session_idle_timeout / 60000)
      .Add("session_absolute_hours", p.session_absolute_lifetime / 3600000)
      .Add("max_failed_logins", p.max_failed_logins)
      .Add("lockout_minutes", p.lockout_duration / 60000)
      .Str();
}

Result<domain::SecurityPolicy> PolicyStore::FromJson(std::string_view text, domain::SecurityPolicy p) {
  json::error_code ec;
  json::value v = json::parse(text, ec);
  if (ec || !v.is_object()) return Error::Invalid("body", "the policy must be a JSON object");
  const auto& o = v.as_object();
  auto int_field = [&](const char* name, std::int64_t lo, std::int64_t hi,
                       std::int64_t& out) -> Status {
    auto it = o.find(name);
    if (it == o.end()) return Ok();
    if (!it->value().is_int64()) return Error::Invalid(name, std::string(name) + " must be an integer");
    std::int64_t x = it->value().as_int64();
    if (x < lo || x > hi) {
      return Error::Invalid(name, std::string(name) + " must be between " + std::to_string(lo) +
                                      " and " + std::to_string(hi));
    }
    out = x;
    return Ok();
  };
  for (const auto& kv : o) {
    static const std::set<std::string, std::less<>> known = {
        "password_mode", "session_idle_minutes", "session_absolute_hours", "max_failed_logins",
        "lockout_minutes"};
    if (!known.contains(kv.key())) return Error::Invalid(std::string(kv.key()), "unknown field");
  }
  if (auto it = o.find("password_mode"); it != o.end()) {
    if (!it->value().is_string()) return Error::Invalid("password_mode", "password_mode must be a string");
    LINLI_ASSIGN_OR_RETURN(p.password_mode, domain::ParsePasswordPolicyMode(it->value().as_string()));
  }
  std::int64_t idle = p.session_idle_timeout / 60000, abs = p.session_absolute_lifetime / 3600000,
               maxf = p.max_failed_logins, lock = p.lockout_duration / 60000;
  LINLI_TRY(int_field("session_idle_minutes", 1, 24 * 60, idle));
  LINLI_TRY(int_field("session_absolute_hours", 1, 24 * 30, abs));
  LINLI_TRY(int_field("max_failed_logins", 1, 100, maxf));
  LINLI_TRY(int_field("lockout_minutes", 1, 24 * 60, lock));
  p.session_idle_timeout = idle * 60000;
  p.session_absolute_lifetime = abs * 3600000;
  p.max_failed_logins = static_cast<int>(maxf);
  p.lockout_duration = lock * 60000;
  return p;
}

Status PolicyStore::LoadSaved(storage::Database& db) {
  LINLI_ASSIGN_OR_RETURN(auto saved, storage::ReadValue<std::optional<std::string>>(
      db, [](storage::SqlSession& s) { return AccountRepo::Setting(s, "security_policy"); }));
  if (!saved) return Ok();
  LINLI_ASSIGN_OR_RETURN(auto p, FromJson(*saved, Get()));
  Set(p);
  return Ok();
}

AuthService::AuthService(storage::Database& db, const Clock& clock, AuditService& audit,
                         PolicyStore& policy, WorkerPool& cpu, AccessEpoch& epoch,
                         int login_attempts_per_minute_per_ip)
    : db_(db), clock_(clock), audit_(audit), policy_(policy), cpu_(cpu), epoch_(epoch),
      login_limiter_(login_attempts_per_minute_per_ip, 60 * 1000) {}

Result<domain::Principal> AuthService::LoadPrincipal(storage::SqlSession& s, std::int64_t user_id,
                                                     std::string username) {
  domain::Principal p;
  p.user_id = user_id;
  p.username = std::move(username);
  LINLI_ASSIGN_OR_RETURN(auto roles, AccountRepo::Roles(s));
  LINLI_ASSIGN_OR_RETURN(auto assignments, AccountRepo::AssignmentsOf(s, user_id));
  for (const auto& a : assignments) {
    for (const auto& r : roles) {
      if (r.name == a.role) {
        p.grants.push_back({a.role, a.node_path, std::make_shared<domain::RoleDefinition>(r)});
      }
    }
  }
  return p;
}

namespace {
const Error kBadCredentials{ErrorCode::kUnauthenticated,
                            "wrong username or password, or the account is locked or disabled",
                            {}};
}  // namespace

void AuthService::Login(std::string username, std::string password, Caller from,
                        Done<LoginResult> done) {
  Millis now = clock_.NowMillis();
  if (!login_limiter_.Allow(from.ip, now)) {
    audit_.RecordAlone(from, {.action = "auth.login", .outcome = "rate_limited", .detail =
                                  JsonObject().Add("username", username.substr(0, 64)).Str()});
    return done(Error{ErrorCode::kResourceExhausted, "too many sign-in attempts; wait a minute", {}});
  }
  auto user = storage::ReadValue<std::optional<storage::UserRecord>>(
      db_, [&](storage::SqlSession& s) { return AccountRepo::UserByName(s, username); });
  if (!user) return done(user.error());
  // Argon2id is slow on purpose; run it off the HTTP thread.
  cpu_.Post([this, user = std::move(*user), username = std::move(username),
             password = std::move(password), from = std::move(from), done = std::move(done)]() mutable {
    bool ok = false;
    if (user) {
      ok = crypto::VerifyPassword(user->password_hash, password);
    } else {
      crypto::BurnPasswordVerification(password);
    }
    FinishLogin(std::move(user), ok, std::move(username), std::move(from), std::move(done));
  });
}

void AuthService::FinishLogin(std::optional<storage::UserRecord> user, bool password_ok,
                              std::string username, Caller from, Done<LoginResult> done) {
  Millis now = clock_.NowMillis();
  auto policy = policy_.Get();
  if (!user) {
    audit_.RecordAlone(from, {.action = "auth.login", .outcome = "failed",
                              .detail = JsonObject().Add("username", username.substr(0, 64))
                                            .Add("reason", "unknown user").Str()});
    return done(kBadCredentials);
  }
  Caller as_user = from;
  as_user.principal.user_id = user->id;
  as_user.principal.username = user->username;
  domain::LoginCounter counter{user->failed_logins, user->locked_until};
  const char* refusal = nullptr;
  if (user->disabled) refusal = "disabled";
  else if (domain::IsLocked(counter, now)) refusal = "locked";
  else if (!password_ok) refusal = "wrong password";

  if (refusal) {
    auto next = password_ok || user->disabled || domain::IsLocked(counter, now)
                    ? counter : domain::AfterFailedLogin(counter, policy, now);
    std::string reason = refusal;
    if (!domain::IsLocked(counter, now) && domain::IsLocked(next, now)) reason = "wrong password; locked";
    storage::SubmitWrite<bool>(db_, [=, this](storage::SqlSession& s) -> Result<bool> {
      LINLI_TRY(AccountRepo::UpdateLoginCounter(s, user->id, next.failed, next.locked_until));
      LINLI_TRY(audit_.Record(s, as_user, {.action = "auth.login", .outcome = "failed",
                                           .target = "user:" + std::to_string(user->id),
                                           .detail = JsonObject().Add("reason", reason).Str()}));
      return true;
    }, [done](Result<bool>) { done(kBadCredentials); });
    return;
  }

  LoginResult out;
  out.token = std::string(kSessionTokenPrefix) + crypto::RandomToken(32);
  out.csrf_token = crypto::RandomToken(24);
  out.user_id = user->id;
  out.username = user->username;
  out.display_name = user->display_name;
  out.must_change_password =
      user->must_change_password ||
      domain::PasswordExpired(policy.password_mode, user->password_changed_at, now);
  out.expires_at = now + policy.session_absolute_lifetime;
  std::string token_hash = crypto::HashHex(out.token);
  storage::SessionRecord rec{0, user->id, out.csrf_token, now, now, from.ip,
                             from.user_agent.substr(0, 200)};
  storage::SubmitWrite<LoginResult>(db_, [=, this](storage::SqlSession& s) mutable -> Result<LoginResult> {
    LINLI_TRY(AccountRepo::UpdateLoginCounter(s, user->id, 0, 0));
    LINLI_ASSIGN_OR_RETURN(out.session_id, AccountRepo::InsertSession(s, token_hash, rec));
    LINLI_TRY(audit_.Record(s, as_user, {.action = "auth.login",
                                         .target = "session:" + std::to_string(out.session_id)}));
    return out;
  }, std::move(done));
}

Result<AuthService::CachedCaller> AuthService::LoadCaller(const std::string& hash, bool is_key, Millis now) {
  return storage::ReadValue<CachedCaller>(db_, [&](storage::SqlSession& s) -> Result<CachedCaller> {
    CachedCaller f;
    f.epoch = epoch_.Current();  // read first: a change committed after this forces a reload
    f.loaded_at = now;
    std::int64_t user_id;
    if (is_key) {
      LINLI_ASSIGN_OR_RETURN(auto key, AccountRepo::LiveApiKeyByHash(s, hash));
      if (!key) return Error::Unauthenticated("the API key is not valid or was revoked");
      user_id = key->user_id;
      f.key_id = key->id;
      f.last_seen_at = key->last_used_at.value_or(0);
    } else {
      LINLI_ASSIGN_OR_RETURN(auto session, AccountRepo::LiveSessionByHash(s, hash));
      if (!session) return Error::Unauthenticated("the session has ended; sign in again");
      user_id = session->user_id;
      f.who.caller.session_id = session->id;
      f.who.csrf_token = session->csrf_token;
      f.session_created_at = session->created_at;
      f.last_seen_at = session->last_seen_at;
    }
    LINLI_ASSIGN_OR_RETURN(auto user, AccountRepo::UserById(s, user_id));
    if (!user || user->disabled) return Error::Unauthenticated("the account is disabled");
    LINLI_ASSIGN_OR_RETURN(f.who.caller.principal, LoadPrincipal(s, user->id, user->username));
    f.who.caller.principal.via_api_key = is_key;
    auto policy = policy_.Get();
    f.who.caller.must_change_password =
        !is_key && (user->must_change_password ||
                    domain::PasswordExpired(policy.password_mode, user->password_changed_at, now));
    return f;
  });
}

Result<AuthenticatedCaller> AuthService::Authenticate(std::string_view token, const Caller& from) {
  if (token.size() > 200) return Error::Unauthenticated("the token is not valid");
  bool is_key = token.starts_with(kApiKeyPrefix);
  if (!is_key && !token.starts_with(kSessionTokenPrefix)) {
    return Error::Unauthenticated("the token is not valid");
  }
  Millis now = clock_.NowMillis();
  auto policy = policy_.Get();
  std::string hash = crypto::HashHex(token);
  std::optional<CachedCaller> found;
  {
    std::lock_guard lock(cache_mu_);
    auto it = cache_.find(hash);
    if (it != cache_.end() && it->second.epoch == epoch_.Current() &&
        now - it->second.loaded_at < kCacheLifetime) {
      found = it->second;
    }
  }
  if (!found) {
    LINLI_ASSIGN_OR_RETURN(auto loaded, LoadCaller(hash, is_key, now));
    found = std::move(loaded);
    std::lock_guard lock(cache_mu_);
    if (cache_.size() >= kCacheMaxEntries) cache_.clear();
    cache_[hash] = *found;
  }
  if (!is_key && !domain::SessionAlive(found->session_created_at, found->last_seen_at, now, policy)) {
    return Error::Unauthenticated("the session has ended; sign in again");
  }
  // Touch at most once a minute: the idle timeout is accurate to a minute, and reads stay reads.
  if (now - found->last_seen_at > 60000) {
    std::int64_t sid = found->who.caller.session_id, kid = found->key_id;
    {
      std::lock_guard lock(cache_mu_);
      if (auto it = cache_.find(hash); it != cache_.end()) it->second.last_seen_at = now;
    }
    db_.Submit(storage::WriteJob{[=](storage::SqlSession& s) -> Status {
      if (kid) return s.ExecDeferred("UPDATE api_keys SET last_used_at = $1 WHERE id = $2",
                                     {storage::Int(now), storage::Int(kid)});
      return AccountRepo::TouchSession(s, sid, now);
    }, nullptr});
  }
  AuthenticatedCaller out = std::move(found->who);
  out.caller.ip = from.ip;
  out.caller.user_agent = from.user_agent;
  out.caller.request_id = from.request_id;
  return out;
}

void AuthService::Logout(const Caller& who, Done<bool> done) {
  if (who.session_id == 0) return done(Error::Invalid("authorization", "API keys have no session to end"));
  Millis now = clock_.NowMillis();
  storage::SubmitWrite<bool>(db_, [=, this](storage::SqlSession& s) -> Result<bool> {
    LINLI_TRY(AccountRepo::RevokeSession(s, who.session_id, who.user_id(), now));
    LINLI_TRY(audit_.Record(s, who, {.action = "auth.logout",
                                     .target = "session:" + std::to_string(who.session_id)}));
    return true;
  }, BumpingEpoch(epoch_, std::move(done)));
}

Result<std::vector<SessionInfo>> AuthService::Sessions(const Caller& who) {
  auto policy = policy_.Get();
  Millis now = clock_.NowMillis();
  LINLI_ASSIGN_OR_RETURN(auto rows, storage::ReadValue<std::vector<storage::SessionRecord>>(
      db_, [&](storage::SqlSession& s) {
        return AccountRepo::SessionsOf(s, who.user_id(), now - policy.session_idle_timeout);
      }));
  std::vector<SessionInfo> out;
  for (const auto& r : rows) {
    if (!domain::SessionAlive(r.created_at, r.last_seen_at, now, policy)) continue;
    out.push_back({r.id, r.created_at, r.last_seen_at, r.ip, r.user_agent, r.id == who.session_id});
  }
  return out;
}

void AuthService::RevokeSession(const Caller& who, std::int64_t session_id, Done<bool> done) {
  Millis now = clock_.NowMillis();
  storage::SubmitWrite<bool>(db_, [=, this](storage::SqlSession& s) -> Result<bool> {
    LINLI_ASSIGN_OR_RETURN(auto n, AccountRepo::RevokeSession(s, session_id, who.user_id(), now));
    if (n == 0) return Error::NotFound("no such session of yours");
    LINLI_TRY(audit_.Record(s, who, {.action = "auth.session_revoke",
                                     .target = "session:" + std::to_string(session_id)}));
    return true;
  }, BumpingEpoch(epoch_, std::move(done)));
}

void AuthService::ChangePassword(const Caller& who, std::string old_password,
                                 std::string new_password, Done<bool> done) {
  auto policy = policy_.Get();
  if (auto st = domain::CheckPasswordStrength(policy.password_mode, new_password, who.principal.username); !st) {
    return done(st.error());
  }
  if (old_password == new_password) {
    return done(Error::Invalid("new_password", "the new password must differ from the old one"));
  }
  auto user = storage::ReadValue<std::optional<storage::UserRecord>>(
      db_, [&](storage::SqlSession& s) { return AccountRepo::UserById(s, who.user_id()); });
  if (!user) return done(user.error());
  if (!*user) return done(Error::Unauthenticated());
  cpu_.Post([this, who, hash = (*user)->password_hash, old_password = std::move(old_password),
             new_password = std::move(new_password), done = std::move(done)]() mutable {
    if (!crypto::VerifyPassword(hash, old_password)) {
      audit_.RecordAlone(who, {.action = "auth.password_change", .outcome = "failed",
                               .target = "user:" + std::to_string(who.user_id()),
                               .detail = JsonObject().Add("reason", "wrong old password").Str()});
      return done(Error::Invalid("old_password", "the current password is wrong"));
    }
    auto new_hash = crypto::HashPassword(new_password);
    if (!new_hash) return done(new_hash.error());
    Millis now = clock_.NowMillis();
    storage::SubmitWrite<bool>(db_, [=, this, h = *new_hash](storage::SqlSession& s) -> Result<bool> {
      LINLI_TRY(AccountRepo::SetPassword(s, who.user_id(), h, false, now));
      // Other sessions end: whoever might have known the old password is signed out.
      LINLI_TRY(s.ExecDeferred("UPDATE sessions SET revoked_at = $1 WHERE user_id = $2 AND id <> $3 "
                               "AND revoked_at IS NULL",
                               {storage::Int(now), storage::Int(who.user_id()), storage::Int(who.session_id)}));
      LINLI_TRY(audit_.Record(s, who, {.action = "auth.password_change",
                                       .target = "user:" + std::to_string(who.user_id())}));
      return true;
    }, BumpingEpoch(epoch_, std::move(done)));
  });
}

}  // namespace linli::service
