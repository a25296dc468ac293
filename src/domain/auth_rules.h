// Rules of signing in: password policy, lockout after failed attempts, session lifetime.
// Pure functions of their inputs and the time; the service layer stores the state.
#pragma once

#include <string_view>

#include "core/clock.h"
#include "core/result.h"

namespace linli::domain {

enum class PasswordPolicyMode {
  kLengthFirst,  // at least 12 characters, no composition rules, no expiry (NIST SP 800-63B)
  kMlps2,        // 等保 2.0: at least 8 characters, three character classes, 90-day expiry
};

std::string_view PasswordPolicyModeName(PasswordPolicyMode m);
Result<PasswordPolicyMode> ParsePasswordPolicyMode(std::string_view s);

struct SecurityPolicy {
  PasswordPolicyMode password_mode = PasswordPolicyMode::kLengthFirst;
  Millis session_idle_timeout = 30 * 60 * 1000;
  Millis session_absolute_lifetime = 12 * 60 * 60 * 1000;
  int max_failed_logins = 5;
  Millis lockout_duration = 15 * 60 * 1000;
};

Status CheckPasswordStrength(PasswordPolicyMode mode, std::string_view password,
                             std::string_view username);
// True when the password must be changed before anything else is allowed.
bool PasswordExpired(PasswordPolicyMode mode, Millis changed_at, Millis now);

struct LoginCounter {
  int failed = 0;
  Millis locked_until = 0;
};
bool IsLocked(const LoginCounter& c, Millis now);
LoginCounter AfterFailedLogin(LoginCounter c, const SecurityPolicy& p, Millis now);

bool SessionAlive(Millis created_at, Millis last_seen_at, Millis now, const SecurityPolicy& p);

}  // namespace linli::domain
