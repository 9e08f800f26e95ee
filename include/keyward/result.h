// keyward::Result<T>, Error and the closed ErrorCode taxonomy.
//
// Result<T> is a [[nodiscard]] subset of C++23 std::expected<T, Error> (g++ 12 has no usable
// std::expected in C++20). It is built from a value or from `Unexpected` (what `Fail()` returns),
// exactly as std::expected is built from std::unexpected, so a later switch is one alias.
//
// Invariants:
//  - ErrorCode is closed; every value has a stable snake_case name (ErrorCodeName), used in JSON
//    output and audit records. Values never change meaning.
//  - Error::detail is for humans and logs only. It never holds a secret (PIN, key, token) and tests
//    never match on it: tests assert the code.
//  - Error::native keeps the lower layer's code: SW1SW2, CKR_*, FIDO_ERR_* / CTAP status,
//    SCARD_* or an OpenSSL reason, 0 when there is none.
//  - No exception crosses the public API.
#ifndef KEYWARD_RESULT_H_
#define KEYWARD_RESULT_H_

#include <cstdint>
#include <cstdlib>
#include <new>
#include <optional>
#include <string>
#include <string_view>
#include <type_traits>
#include <utility>

#include "keyward/export.h"

KEYWARD_API_BEGIN

namespace keyward {

enum class ErrorCode : uint16_t {
#define KW_ERROR(name, value, text) name = value,
#include "keyward/error_codes.inc"
#undef KW_ERROR
};

// Stable snake_case name, e.g. "challenge_mismatch". Never empty; "unknown" for a value outside
// the enum (which can only come from a cast).
std::string_view ErrorCodeName(ErrorCode code) noexcept;

// The inverse of ErrorCodeName, for reading stored records and test expectations.
std::optional<ErrorCode> ErrorCodeFromName(std::string_view name) noexcept;

struct Error {
  ErrorCode code = ErrorCode::kInternal;
  uint32_t native = 0;
  std::string detail;

  // "code_name: detail" (or just the name), for logs and CLI messages.
  std::string ToString() const;
};

// The error alternative of a Result, as std::unexpected is for std::expected.
class Unexpected {
 public:
  explicit Unexpected(Error e) : error_(std::move(e)) {}
  Error& error() & { return error_; }
  Error&& error() && { return std::move(error_); }
  const Error& error() const& { return error_; }

 private:
  Error error_;
};

inline Unexpected Fail(ErrorCode code, std::string detail = {}, uint32_t native = 0) {
  return Unexpected(Error{code, native, std::move(detail)});
}
inline Unexpected Fail(Error e) { return Unexpected(std::move(e)); }

template <typename T>
class [[nodiscard]] Result {
  static_assert(!std::is_reference_v<T>, "Result<T&> is not supported");
  static_assert(!std::is_same_v<std::remove_cv_t<T>, Error>, "Result<Error> is ambiguous");

 public:
  using value_type = T;

  Result()
    requires std::is_default_constructible_v<T>
      : has_(true) {
    new (&value_) T();
  }
  template <typename U = T>
    requires(std::is_constructible_v<T, U &&> &&
             !std::is_same_v<std::remove_cvref_t<U>, Result> &&
             !std::is_same_v<std::remove_cvref_t<U>, Unexpected>)
  Result(U&& v) : has_(true) {  // NOLINT(google-explicit-constructor): mirrors std::expected
    new (&value_) T(std::forward<U>(v));
  }
  Result(Unexpected u) : has_(false) {  // NOLINT(google-explicit-constructor)
    new (&error_) Error(std::move(u).error());
  }
  Result(const Result& o) : has_(o.has_) {
    if (has_) {
      new (&value_) T(o.value_);
    } else {
      new (&error_) Error(o.error_);
    }
  }
  Result(Result&& o) noexcept(std::is_nothrow_move_constructible_v<T>) : has_(o.has_) {
    if (has_) {
      new (&value_) T(std::move(o.value_));
    } else {
      new (&error_) Error(std::move(o.error_));
    }
  }
  Result& operator=(Result o) noexcept(std::is_nothrow_move_constructible_v<T>) {
    if (this != &o) {
      Destroy();
      has_ = o.has_;
      if (has_) {
        new (&value_) T(std::move(o.value_));
      } else {
        new (&error_) Error(std::move(o.error_));
      }
    }
    return *this;
  }
  ~Result() { Destroy(); }

  bool has_value() const noexcept { return has_; }
  explicit operator bool() const noexcept { return has_; }

  T& value() & { return CheckValue(), value_; }
  const T& value() const& { return CheckValue(), value_; }
  T&& value() && { return CheckValue(), std::move(value_); }
  T& operator*() & { return value(); }
  const T& operator*() const& { return value(); }
  T&& operator*() && { return std::move(*this).value(); }
  T* operator->() { return &value(); }
  const T* operator->() const { return &value(); }

  const Error& error() const& { return CheckError(), error_; }
  Error&& error() && { return CheckError(), std::move(error_); }

  template <typename U>
  T value_or(U&& fallback) const& {
    return has_ ? value_ : static_cast<T>(std::forward<U>(fallback));
  }

 private:
  void CheckValue() const {
    if (!has_) std::abort();  // Reading the value of a failed Result is a programming error.
  }
  void CheckError() const {
    if (has_) std::abort();
  }
  void Destroy() noexcept {
    if (has_) {
      value_.~T();
    } else {
      error_.~Error();
    }
  }

  bool has_;
  union {
    T value_;
    Error error_;
  };
};

template <>
class [[nodiscard]] Result<void> {
 public:
  using value_type = void;
  Result() = default;
  Result(Unexpected u) : error_(std::move(u).error()) {}  // NOLINT(google-explicit-constructor)

  bool has_value() const noexcept { return !error_.has_value(); }
  explicit operator bool() const noexcept { return has_value(); }
  void value() const {
    if (error_) std::abort();
  }
  const Error& error() const& {
    if (!error_) std::abort();
    return *error_;
  }
  Error&& error() && {
    if (!error_) std::abort();
    return std::move(*error_);
  }

 private:
  std::optional<Error> error_;
};

inline Result<void> Ok() { return {}; }

}  // namespace keyward

// Internal propagation helpers (not for public headers' inline code paths that callers see).
#define KW_CONCAT_INNER_(a, b) a##b
#define KW_CONCAT_(a, b) KW_CONCAT_INNER_(a, b)

// Evaluates a Result<...> expression and returns its error from the enclosing function on failure.
#define KW_TRY(expr)                                                  \
  do {                                                                \
    auto&& kw_try_result_ = (expr);                                   \
    if (!kw_try_result_) return ::keyward::Fail(std::move(kw_try_result_).error()); \
  } while (false)

// `KW_ASSIGN_OR_RETURN(auto x, Foo());` declares x from a successful Result or returns its error.
#define KW_ASSIGN_OR_RETURN(lhs, expr) \
  KW_ASSIGN_OR_RETURN_IMPL_(KW_CONCAT_(kw_result_, __LINE__), lhs, expr)
#define KW_ASSIGN_OR_RETURN_IMPL_(tmp, lhs, expr)                 \
  auto tmp = (expr);                                              \
  if (!tmp) return ::keyward::Fail(std::move(tmp).error());       \
  lhs = std::move(tmp).value()

KEYWARD_API_END

#endif  // KEYWARD_RESULT_H_
