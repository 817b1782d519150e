// Time in kz is int64 nanoseconds. Names carry units: `deadline_ns`, `timeout_ms`.
#pragma once

#include <cstdint>
#include <limits>

namespace kz {

inline constexpr int64_t kNsPerUs = 1'000;
inline constexpr int64_t kNsPerMs = 1'000'000;
inline constexpr int64_t kNsPerSec = 1'000'000'000;
// A deadline that never comes.
inline constexpr int64_t kNever = std::numeric_limits<int64_t>::max();
// A timeout meaning "wait forever".
inline constexpr int64_t kNoTimeout = -1;

constexpr int64_t ms_to_ns(int64_t ms) { return ms * kNsPerMs; }
constexpr int64_t us_to_ns(int64_t us) { return us * kNsPerUs; }
constexpr int64_t sec_to_ns(int64_t s) { return s * kNsPerSec; }
constexpr int64_t ns_to_ms(int64_t ns) { return ns / kNsPerMs; }

// deadline = now + timeout, saturating; kNoTimeout gives kNever.
constexpr int64_t deadline_after(int64_t now_ns, int64_t timeout_ns) {
  if (timeout_ns < 0) return kNever;
  if (timeout_ns > kNever - now_ns) return kNever;
  return now_ns + timeout_ns;
}

}  // namespace kz
