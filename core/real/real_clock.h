// RealClock: a process's clock. now_ns is CLOCK_MONOTONIC (the scheduler's own time base, so
// deadlines need no conversion); wall_ms is CLOCK_REALTIME, for timestamps shown to people only.
#pragma once

#include <cstdint>

#include "core/io/clock.h"
#include "core/runtime/scheduler.h"

namespace kz::real {

class RealClock final : public io::Clock {
 public:
  explicit RealClock(rt::Scheduler& sched) : sched_(sched) {}

  int64_t now_ns() override { return sched_.now_ns(); }
  int64_t wall_ms() override { return wall_ns() / kNsPerMs; }
  // REQUIRES: in a fiber.
  void sleep_for(int64_t duration_ns) override { sched_.sleep_until(deadline_after_ns(duration_ns)); }
  int64_t deadline_after_ns(int64_t duration_ns) override { return deadline_after(now_ns(), duration_ns); }

  // CLOCK_REALTIME in nanoseconds (log lines).
  static int64_t wall_ns();

 private:
  rt::Scheduler& sched_;
};

}  // namespace kz::real
