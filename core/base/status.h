// Status and Result<T>: expected failures as values (LevelDB's Status, mapped at the edges).
// A Status is cheap when ok (no allocation); an error carries a code and a message naming the problem.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <variant>

#include "core/base/assert.h"

namespace kz {

enum class Code : uint8_t {
  kOk = 0,
  kNotFound,
  kAlreadyExists,
  kCorruption,      // bytes on disk or on the wire are not what they must be
  kIoError,         // the OS (or the simulated disk) failed an operation
  kNoSpace,         // ENOSPC
  kTimedOut,
  kConnectionRefused,
  kConnectionReset,  // the peer or the network broke the stream
  kClosed,          // the local end was closed
  kCancelled,
  kInvalidArgument,  // bad input from a user: config, scenario, request
  kUnsupported,
  kBusy,
};

std::string_view code_name(Code code);

class [[nodiscard]] Status {
 public:
  Status() = default;
  Status(Code code, std::string message) : rep_(new Rep{code, std::move(message)}) {
    KZ_ASSERT(code != Code::kOk);
  }
  // An ok Status is one null pointer: returning, moving and testing it costs a register, which
  // matters because every decode step and I/O call returns one (a std::string member made each
  // of them construct, move and destroy a string).
  Status(const Status& other) : rep_(other.rep_ ? new Rep(*other.rep_) : nullptr) {}
  Status(Status&& other) noexcept : rep_(std::exchange(other.rep_, nullptr)) {}
  Status& operator=(const Status& other) {
    if (this != &other) *this = Status(other);
    return *this;
  }
  Status& operator=(Status&& other) noexcept {
    std::swap(rep_, other.rep_);
    return *this;
  }
  ~Status() { delete rep_; }

  static Status ok() { return Status(); }
  bool is_ok() const { return rep_ == nullptr; }
  explicit operator bool() const { return is_ok(); }
  Code code() const { return rep_ ? rep_->code : Code::kOk; }
  const std::string& message() const;
  bool is(Code code) const { return this->code() == code; }
  // "Corruption: bad crc in txnlog.1 at offset 40"
  std::string to_string() const;
  // Returns a copy whose message is prefixed by context ("open snapshot.3: ...").
  Status with_context(std::string_view context) const;

 private:
  struct Rep {
    Code code;
    std::string message;
  };
  Rep* rep_ = nullptr;  // null when ok
};

inline Status error(Code code, std::string message) { return Status(code, std::move(message)); }

// Result<T>: a value or an error Status. Accessing the value of an error is an invariant break.
template <typename T>
class [[nodiscard]] Result {
 public:
  Result(T value) : value_(std::move(value)) {}  // NOLINT: implicit by design
  Result(Status status) : status_(std::move(status)) { KZ_ASSERT(!status_.is_ok()); }  // NOLINT

  bool is_ok() const { return value_.has_value(); }
  explicit operator bool() const { return is_ok(); }
  const Status& status() const { return status_; }

  T& value() & {
    KZ_ASSERT_MSG(value_.has_value(), status_.to_string());
    return *value_;
  }
  const T& value() const& {
    KZ_ASSERT_MSG(value_.has_value(), status_.to_string());
    return *value_;
  }
  T&& value() && {
    KZ_ASSERT_MSG(value_.has_value(), status_.to_string());
    return std::move(*value_);
  }
  T* operator->() { return &value(); }
  const T* operator->() const { return &value(); }
  T& operator*() & { return value(); }
  const T& operator*() const& { return value(); }

 private:
  std::optional<T> value_;
  Status status_;
};

}  // namespace kz

// Propagate an error Status from an expression returning Status.
#define KZ_RETURN_IF_ERROR(expr)          \
  do {                                    \
    ::kz::Status kz_status_ = (expr);     \
    if (!kz_status_.is_ok()) return kz_status_; \
  } while (0)

#define KZ_CONCAT_INNER(a, b) a##b
#define KZ_CONCAT(a, b) KZ_CONCAT_INNER(a, b)
// Assign the value of a Result<T> expression to `lhs`, or return its error.
#define KZ_ASSIGN_OR_RETURN(lhs, expr) KZ_ASSIGN_OR_RETURN_IMPL(KZ_CONCAT(kz_result_, __LINE__), lhs, expr)
#define KZ_ASSIGN_OR_RETURN_IMPL(tmp, lhs, expr) \
  auto tmp = (expr);                             \
  if (!tmp.is_ok()) return tmp.status();         \
  lhs = std::move(tmp).value()
