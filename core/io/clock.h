// The clock seam: each node has its own clock. `now_ns` is monotonic (never goes backwards, may
// drift from true time in simulation); `wall_ms` is the node's wall clock (may jump, may be skewed:
// it is only for timestamps shown to users, never for timeouts).
#pragma once

#include <cstdint>

#include "core/base/time.h"

namespace kz::io {

class Clock {
 public:
  virtual ~Clock() = default;
  virtual int64_t now_ns() = 0;
  virtual int64_t wall_ms() = 0;
  // Blocks the calling fiber for `duration_ns` of this node's clock.
  virtual void sleep_for(int64_t duration_ns) = 0;
  // The scheduler deadline matching `duration_ns` from now on this node's clock (for timers).
  virtual int64_t deadline_after_ns(int64_t duration_ns) = 0;
};

}  // namespace kz::io
