#include "sim/sim_clock.h"

namespace kz::sim {

namespace {
constexpr int64_t kPpm = 1'000'000;
}

int64_t SimClock::now_ns() {
  int64_t elapsed = true_now() - base_true_ns_;
  // No drift (the common case): the scaling below is the identity, and its 128-bit division is a
  // library call that showed up in profiles of busy runs.
  if (drift_ppm_ == 0) return base_local_ns_ + elapsed;
  __int128 scaled = static_cast<__int128>(elapsed) * (kPpm + drift_ppm_) / kPpm;
  return base_local_ns_ + static_cast<int64_t>(scaled);
}

int64_t SimClock::wall_ms() { return wall_epoch_ms_ + ns_to_ms(now_ns()) + wall_offset_ms_; }

void SimClock::set_drift_ppm(int64_t ppm) {
  KZ_ASSERT(ppm > -kPpm / 2 && ppm < kPpm);
  base_local_ns_ = now_ns();
  base_true_ns_ = true_now();
  drift_ppm_ = ppm;
}

int64_t SimClock::deadline_after_ns(int64_t duration_ns) {
  if (duration_ns < 0) return kNever;
  // No drift: the rounded-up quotient below is exactly duration_ns (see now_ns).
  if (drift_ppm_ == 0) return deadline_after(true_now(), duration_ns);
  // True time needed for the local clock to advance by duration_ns (rounded up).
  __int128 true_ns = (static_cast<__int128>(duration_ns) * kPpm + (kPpm + drift_ppm_) - 1) / (kPpm + drift_ppm_);
  return deadline_after(true_now(), static_cast<int64_t>(true_ns));
}

void SimClock::sleep_for(int64_t duration_ns) { sched_.sleep_until(deadline_after_ns(duration_ns)); }

}  // namespace kz::sim
