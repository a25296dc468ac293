// Signing in and knowing who is asking.
//
// Passwords are Argon2id (verified on a worker pool, never on an HTTP thread). A session is a
// random token the client holds; the database keeps only its hash. Cookie-authenticated writes
// must also send the session's CSRF token. API clients use Bearer tokens: a session token or an
// API key ("lk_..."). Failures all look alike: unknown user, wrong password, disabled or locked.
#pragma once

#include <memory>
#include <mutex>
#include <string>
#include <unordered_map>
#include <vector>

#include "core/clock.h"
#include "core/rate_limiter.h"
#include "core/worker_pool.h"
#include "domain/auth_rules.h"
#include "service/access_epoch.h"
#include "service/audit_service.h"
#include "service/caller.h"
#include "storage/account_repo.h"
#include "storage/database.h"

namespace linli::service {

// The security policy in force: configured defaults, overridden by what the security admin saved.
class PolicyStore {
 public:
  explicit PolicyStore(domain::SecurityPolicy defaults) : policy_(defaults) {}
  domain::SecurityPolicy Get() const;
  void Set(const domain::SecurityPolicy& p);
  Status LoadSaved(storage::Database& db);  // at start-up
  static std::string ToJson(const domain::SecurityPolicy& p);
  static Result<domain::SecurityPolicy> FromJson(std::string_view json, domain::SecurityPolicy base);

 private:
  mutable std::mutex mu_;
  domain::SecurityPolicy policy_;  // GUARDED_BY(mu_)
};

struct LoginResult {
  std::string token;       // give to the client once; only its hash is stored
  std::string csrf_token;
  std::int64_t session_id = 0;
  std::int64_t user_id = 0;
  std::string username;
  std::string display_name;
  bool must_change_password = false;
  Millis expires_at = 0;   // absolute end of the session
};

struct SessionInfo {
  std::int64_t id;
  Millis created_at;
  Millis last_seen_at;
  std::string ip;
  std::string user_agent;
  bool current;
};

struct AuthenticatedCaller {
  Caller caller;
  std::string csrf_token;  // empty for API keys
};

class AuthService {
 public:
  AuthService(storage::Database& db, const Clock& clock, AuditService& audit, PolicyStore& policy,
              WorkerPool& cpu, AccessEpoch& epoch, int login_attempts_per_minute_per_ip);

  void Login(std::string username, std::string password, Caller from, Done<LoginResult> done);
  // Resolves a session token or API key into a caller with its grants.
  Result<AuthenticatedCaller> Authenticate(std::string_view token, const Caller& from);
  void Logout(const Caller& who, Done<bool> done);
  Result<std::vector<SessionInfo>> Sessions(const Caller& who);
  void RevokeSession(const Caller& who, std::int64_t session_id, Done<bool> done);
  void ChangePassword(const Caller& who, std::string old_password, std::string new_password,
                      Done<bool> done);

  // Loads the grants of a user: each assignment with its role's permissions.
  static Result<domain::Principal> LoadPrincipal(storage::SqlSession& s, std::int64_t user_id,
                                                 std::string username);

  PolicyStore& policy() { return policy_; }

 private:
  void FinishLogin(std::optional<storage::UserRecord> user, bool password_ok, std::string username,
                   Caller from, Done<LoginResult> done);

  // A signed-in caller as loaded from the database, reused for kCacheLifetime while the access
  // epoch stands, so a request costs no authentication queries.
  struct CachedCaller {
    AuthenticatedCaller who;
    std::int64_t key_id = 0;
    Millis session_created_at = 0;
    Millis last_seen_at = 0;
    Millis loaded_at = 0;
    std::uint64_t epoch = 0;
  };
  static constexpr Millis kCacheLifetime = 2000;
  static constexpr std::size_t kCacheMaxEntries = 100000;
  Result<CachedCaller> LoadCaller(const std::string& token_hash, bool is_key, Millis now);

  storage::Database& db_;
  const Clock& clock_;
  AuditService& audit_;
  PolicyStore& policy_;
  WorkerPool& cpu_;
  AccessEpoch& epoch_;
  RateLimiter login_limiter_;
  std::mutex cache_mu_;
  std::unordered_map<std::string, CachedCaller> cache_;  // GUARDED_BY(cache_mu_); by token hash
};

// The session cookie's name; the CSRF token travels in the X-CSRF-Token header.
inline constexpr std::string_view kSessionCookie = "linli_session";
inline constexpr std::string_view kSessionTokenPrefix = "ls_";
inline constexpr std::string_view kApiKeyPrefix = "lk_";

}  // namespace linli::service
