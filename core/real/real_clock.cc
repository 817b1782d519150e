#include "core/real/real_clock.h"

#include <ctime>

namespace kz::real {

int64_t RealClock::wall_ns() {
  timespec ts;
  clock_gettime(CLOCK_REALTIME, &ts);
  return static_cast<int64_t>(ts.tv_sec) * kNsPerSec + ts.tv_nsec;
}

}  // namespace kz::real
