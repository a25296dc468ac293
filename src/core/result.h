// Result<T>: the value of an operation or the reason it failed.
//
// Spelled like std::expected so it can become one in C++23. Errors carry a code chosen by how the
// caller should react (retry, fix the input, sign in ...), a human message, and the name of the
// input field that was wrong when there is one. Exceptions are kept for start-up failures and bugs.
//
//   Result<int> ParseAge(std::string_view s);
//   LINLI_ASSIGN_OR_RETURN(int age, ParseAge(text));
#pragma once

#include <cassert>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <variant>

namespace linli {

enum class ErrorCode {
  kInvalidArgument,     // the input is wrong; fix it, do not retry
  kNotFound,            // no such thing (or the caller may not know it exists)
  kAlreadyExists,       // a unique thing exists already
  kFailedPrecondition,  // the state does not allow it (illegal transition, locked account)
  kAborted,             // a concurrent change won; re-read and retry
  kPermissionDenied,    // signed in, but not allowed
  kUnauthenticated,     // not signed in, or the session ended
  kResourceExhausted,   // a limit or rate was exceeded; retry later
  kUnavailable,         // transient failure of a dependency; retry
  kInternal,            // a bug or an unexpected failure
};

std::string_view ErrorCodeName(ErrorCode code);

struct Error {
  ErrorCode code = ErrorCode::kInternal;
  std::string message;
  std::string field;  // the input field that was wrong, empty when none

  static Error Invalid(std::string field, std::string message) {
    return {ErrorCode::kInvalidArgument, std::move(message), std::move(field)};
  }
  static Error NotFound(std::string message) { return {ErrorCode::kNotFound, std::move(message), {}}; }
  static Error Exists(std::string field, std::string message) {
    return {ErrorCode::kAlreadyExists, std::move(message), std::move(field)};
  }
  static Error Precondition(std::string message) {
    return {ErrorCode::kFailedPrecondition, std::move(message), {}};
  }
  static Error Denied(std::string message = "permission denied") {
    return {ErrorCode::kPermissionDenied, std::move(message), {}};
  }
  static Error Unauthenticated(std::string message = "sign in required") {
    return {ErrorCode::kUnauthenticated, std::move(message), {}};
  }
  static Error Internal(std::string message) { return {ErrorCode::kInternal, std::move(message), {}}; }
  static Error Unavailable(std::string message) {
    return {ErrorCode::kUnavailable, std::move(message), {}};
  }
};

// The same error, its field named inside a larger input: Nested("changes.residents[0]", phone error)
// names "changes.residents[0].phone".
inline Error Nested(std::string_view prefix, Error e) {
  e.field = std::string(prefix) + (e.field.empty() ? "" : "." + e.field);
  return e;
}

// Mirrors std::unexpected.
struct Unexpected {
  Error error;
};
inline Unexpected Fail(Error e) { return {std::move(e)}; }

template <class T>
class [[nodiscard]] Result {
 public:
  Result(T value) : v_(std::in_place_index<0>, std::move(value)) {}  // NOLINT implicit
  Result(Unexpected u) : v_(std::in_place_index<1>, std::move(u.error)) {}  // NOLINT
  Result(Error e) : v_(std::in_place_index<1>, std::move(e)) {}  // NOLINT

  bool has_value() const { return v_.index() == 0; }
  explicit operator bool() const { return has_value(); }
  T& value() & { assert(has_value()); return std::get<0>(v_); }
  const T& value() const& { assert(has_value()); return std::get<0>(v_); }
  T&& value() && { assert(has_value()); return std::get<0>(std::move(v_)); }
  T& operator*() & { return value(); }
  const T& operator*() const& { return value(); }
  T&& operator*() && { return std::move(*this).value(); }
  T* operator->() { return &value(); }
  const T* operator->() const { return &value(); }
  const Error& error() const& { assert(!has_value()); return std::get<1>(v_); }
  Error&& error() && { return std::get<1>(std::move(v_)); }

 private:
  std::variant<T, Error> v_;
};

template <>
class [[nodiscard]] Result<void> {
 public:
  Result() = default;
  Result(Unexpected u) : error_(std::move(u.error)) {}  // NOLINT
  Result(Error e) : error_(std::move(e)) {}  // NOLINT
  bool has_value() const { return !error_; }
  explicit operator bool() const { return has_value(); }
  void value() const { assert(has_value()); }
  const Error& error() const { return *error_; }

 private:
  std::optional<Error> error_;
};

using Status = Result<void>;
inline Status Ok() { return {}; }

// The outcome of a Result without its value.
template <class T>
Status StatusOf(const Result<T>& r) {
  if (r) return Ok();
  return r.error();
}

}  // namespace linli

#define LINLI_CONCAT_INNER(a, b) a##b
#define LINLI_CONCAT(a, b) LINLI_CONCAT_INNER(a, b)

// Returns the error of a Result-valued expression from the enclosing function.
#define LINLI_TRY(...)                                                         \
  do {                                                                         \
    auto&& linli_try_result = (__VA_ARGS__);                                   \
    if (!linli_try_result) return ::linli::Fail(linli_try_result.error());     \
  } while (0)

#define LINLI_ASSIGN_OR_RETURN_IMPL(tmp, lhs, expr)  \
  auto tmp = (expr);                                 \
  if (!tmp) return ::linli::Fail(std::move(tmp).error()); \
  lhs = std::move(tmp).value()

// LINLI_ASSIGN_OR_RETURN(auto x, Compute()); declares x or returns the error.
#define LINLI_ASSIGN_OR_RETURN(lhs, ...) \
  LINLI_ASSIGN_OR_RETURN_IMPL(LINLI_CONCAT(linli_result_, __LINE__), lhs, (__VA_ARGS__))
