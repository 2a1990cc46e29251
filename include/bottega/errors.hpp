// Errors as values. Every fallible operation returns Result<T>; one function at the HTTP edge
// (http_status) maps an Errc to a status code, and the error renders as the contract's
// {"error":{"code","message","field"?}}.
#pragma once

#include <optional>
#include <string>
#include <utility>
#include <variant>

namespace bottega {

enum class Errc {
  invalid_argument,      // 400: malformed or out-of-range input; `field` names the culprit
  unauthenticated,       // 401: missing or bad credentials / signature
  forbidden,             // 403: authenticated but not allowed (role, CSRF, origin)
  not_found,             // 404: absent, or belongs to another tenant (same answer on purpose)
  conflict,              // 409: state does not allow it (duplicate, wrong status)
  unprocessable,         // 422: well-formed but semantically refused (idempotency key reuse...)
  payload_too_large,     // 413
  rate_limited,          // 429
  unavailable,           // 503: store overloaded or shutting down; retry later
  internal,              // 500: a bug or an impossible state
};

struct Error {
  Errc errc = Errc::internal;
  std::string code;     // stable machine-readable code, e.g. "invalid_json", "not_found"
  std::string message;  // human-readable, safe to show to the caller
  std::string field;    // JSON path of the offending input ("items[0].quantity"), or empty

  static Error invalid(std::string field, std::string message,
                       std::string code = "invalid_argument") {
    return {Errc::invalid_argument, std::move(code), std::move(message), std::move(field)};
  }
  static Error not_found(std::string what = "resource") {
    return {Errc::not_found, "not_found", what + " not found", {}};
  }
  static Error conflict(std::string code, std::string message) {
    return {Errc::conflict, std::move(code), std::move(message), {}};
  }
  static Error unauthenticated(std::string message = "authentication required") {
    return {Errc::unauthenticated, "unauthenticated", std::move(message), {}};
  }
  static Error forbidden(std::string code, std::string message) {
    return {Errc::forbidden, std::move(code), std::move(message), {}};
  }
  static Error internal(std::string message) {
    return {Errc::internal, "internal", std::move(message), {}};
  }
};

// HTTP status for an error class (the single mapping used by the API edge).
int http_status(Errc e) noexcept;

// Result<T>: a T or an Error. Result<void> carries only success or an Error.
template <class T>
class [[nodiscard]] Result {
 public:
  Result(T value) : v_(std::move(value)) {}          // NOLINT: implicit by design
  Result(Error error) : v_(std::move(error)) {}      // NOLINT
  bool ok() const noexcept { return v_.index() == 0; }
  explicit operator bool() const noexcept { return ok(); }
  T& value() & { return std::get<0>(v_); }
  const T& value() const& { return std::get<0>(v_); }
  T&& value() && { return std::get<0>(std::move(v_)); }
  T& operator*() & { return value(); }
  const T& operator*() const& { return value(); }
  T* operator->() { return &value(); }
  const T* operator->() const { return &value(); }
  const Error& error() const& { return std::get<1>(v_); }
  Error&& error() && { return std::get<1>(std::move(v_)); }

 private:
  std::variant<T, Error> v_;
};

template <>
class [[nodiscard]] Result<void> {
 public:
  Result() = default;
  Result(Error error) : e_(std::move(error)) {}  // NOLINT
  bool ok() const noexcept { return !e_.has_value(); }
  explicit operator bool() const noexcept { return ok(); }
  const Error& error() const& { return *e_; }
  Error&& error() && { return std::move(*e_); }

 private:
  std::optional<Error> e_;
};

using Status = Result<void>;

// Propagates the error of a Result-returning expression; binds the value otherwise.
#define BOTTEGA_TRY(var, expr)                      \
  auto var##_result_ = (expr);                      \
  if (!var##_result_.ok()) return std::move(var##_result_).error(); \
  auto var = std::move(var##_result_).value()

#define BOTTEGA_TRY_STATUS(expr)                    \
  do {                                              \
    auto s_ = (expr);                               \
    if (!s_.ok()) return std::move(s_).error();     \
  } while (0)

}  // namespace bottega
