// A node's simulated clock.
// Fault model: the node's monotonic clock runs at (1 + drift) times true speed from an offset
// (never backwards, even when drift changes); the wall clock adds a separate offset that can jump
// forwards or backwards at any moment (NTP steps, a strobe). Sleeps are measured on the node's
// monotonic clock, so a fast clock wakes early in true time and a slow one late.
#pragma once

#include <cstdint>

#include "core/io/clock.h"
#include "core/runtime/scheduler.h"

namespace kz::sim {

class SimClock final : public io::Clock {
 public:
  explicit SimClock(rt::Scheduler& sched) : sched_(sched) {}

  int64_t now_ns() override;
  int64_t wall_ms() override;
  void sleep_for(int64_t duration_ns) override;
  int64_t deadline_after_ns(int64_t duration_ns) override;

  // Drift in parts per million (e.g. +200: 0.02% fast). Keeps now_ns continuous.
  void set_drift_ppm(int64_t ppm);
  int64_t drift_ppm() const { return drift_ppm_; }
  // Jumps the wall clock by `delta_ms` (positive or negative).
  void jump_wall_ms(int64_t delta_ms) { wall_offset_ms_ += delta_ms; }
  void set_wall_epoch_ms(int64_t epoch_ms) { wall_epoch_ms_ = epoch_ms; }
  int64_t wall_offset_ms() const { return wall_offset_ms_; }

 private:
  int64_t true_now() const { return sched_.now_ns(); }
  rt::Scheduler& sched_;
  int64_t drift_ppm_ = 0;
  // Local time = base_local + (true - base_true) * (1e6 + drift_ppm) / 1e6.
  int64_t base_true_ns_ = 0;
  int64_t base_local_ns_ = 0;
  int64_t wall_epoch_ms_ = 1'700'000'000'000;  // 2023-11-14, a fixed epoch for reproducible runs
  int64_t wall_offset_ms_ = 0;
};

}  // namespace kz::sim
