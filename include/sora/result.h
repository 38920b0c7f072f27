// Errors as values: every path a client or an operator can trigger returns a
// Result, never throws across the loop or a module boundary.
#pragma once

#include <cassert>
#include <string>
#include <utility>
#include <variant>

namespace sora {

struct Error {
  // A stable, machine-checkable code (errno-like or one of ErrorCode) and a
  // message that says what went wrong, where, and what to do about it.
  int code = 0;
  std::string message;
};

enum ErrorCode : int {
  kErrGeneric = 1,
  kErrConfig = 2,
  kErrNotFound = 3,
  kErrExists = 4,
  kErrTemporary = 5,  // retry later: database down, timeout
  kErrInvalid = 6,    // bad input
  kErrAuth = 7,
  kErrClosed = 8,     // connection closed or cancelled
  kErrTimeout = 9,
  kErrSchema = 10,
};

inline Error make_error(int code, std::string message) { return Error{code, std::move(message)}; }

template <class T>
class [[nodiscard]] Result {
 public:
  Result(T value) : v_(std::move(value)) {}
  Result(Error error) : v_(std::move(error)) {}

  bool ok() const { return v_.index() == 0; }
  explicit operator bool() const { return ok(); }

  T& value() & { assert(ok()); return std::get<0>(v_); }
  const T& value() const& { assert(ok()); return std::get<0>(v_); }
  T&& value() && { assert(ok()); return std::get<0>(std::move(v_)); }
  T* operator->() { return &value(); }
  const T* operator->() const { return &value(); }
  T& operator*() & { return value(); }

  const Error& error() const { assert(!ok()); return std::get<1>(v_); }
  Error&& take_error() { assert(!ok()); return std::get<1>(std::move(v_)); }

 private:
  std::variant<T, Error> v_;
};

template <>
class [[nodiscard]] Result<void> {
 public:
  Result() = default;
  Result(Error error) : error_(std::move(error)), ok_(false) {}

  bool ok() const { return ok_; }
  explicit operator bool() const { return ok_; }
  const Error& error() const { assert(!ok_); return error_; }
  Error&& take_error() { assert(!ok_); return std::move(error_); }

 private:
  Error error_;
  bool ok_ = true;
};

using Status = Result<void>;

}  // namespace sora
