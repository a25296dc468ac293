#include "domain/auth_rules.h"

#include <string>

#include "domain/text.h"

namespace linli::domain {

std::string_view PasswordPolicyModeName(PasswordPolicyMode m) {
  return m == PasswordPolicyMode::kMlps2 ? "mlps2" : "length";
}

Result<PasswordPolicyMode> ParsePasswordPolicyMode(std::string_view s) {
  if (s == "length") return PasswordPolicyMode::kLengthFirst;
  if (s == "mlps2") return PasswordPolicyMode::kMlps2;
  return Error::Invalid("password_mode", "password_mode must be \"length\" or \"mlps2\"");
}

Status CheckPasswordStrength(PasswordPolicyMode mode, std::string_view password,
                             std::string_view username) {
  long n = Utf8Length(password);
  if (n < 0) return Error::Invalid("password", "password is not valid UTF-8");
  if (password.size() > 256) return Error::Invalid("password", "password must be at most 256 bytes");
  if (!username.empty() && password == username) {
    return Error::Invalid("password", "password must differ from the username");
  }
  if (mode == PasswordPolicyMode::kLengthFirst) {
    if (n < 12) return Error::Invalid("password", "password must be at least 12 characters");
    return Ok();
  }
  if (n < 8) return Error::Invalid("password", "password must be at least 8 characters");
  bool lower = false, upper = false, digit = false, other = false;
  for (char ch : password) {
    unsigned char c = static_cast<unsigned char>(ch);
    if (c >= 'a' && c <= 'z') lower = true;
    else if (c >= 'A' && c <= 'Z') upper = true;
    else if (c >= '0' && c <= '9') digit = true;
    else other = true;
  }
  if (lower + upper + digit + other < 3) {
    return Error::Invalid("password",
                          "password must mix three of: lower case, upper case, digits, symbols");
  }
  return Ok();
}

bool PasswordExpired(PasswordPolicyMode mode, Millis changed_at, Millis now) {
  constexpr Millis kNinetyDays = 90LL * 24 * 60 * 60 * 1000;
  return mode == PasswordPolicyMode::kMlps2 && now - changed_at > kNinetyDays;
}

bool IsLocked(const LoginCounter& c, Millis now) { return c.locked_until > now; }

LoginCounter AfterFailedLogin(LoginCounter c, const SecurityPolicy& p, Millis now) {
  if (c.locked_until != 0 && c.locked_until <= now) c = {};  // a past lock starts a fresh count
  ++c.failed;
  if (c.failed >= p.max_failed_logins) c.locked_until = now + p.lockout_duration;
  return c;
}

bool SessionAlive(Millis created_at, Millis last_seen_at, Millis now, const SecurityPolicy& p) {
  return now - last_seen_at < p.session_idle_timeout &&
         now - created_at < p.session_absolute_lifetime;
}

}  // namespace linli::domain
