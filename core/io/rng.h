// Seeded pseudo-random numbers (xoshiro256**): the only source of randomness in core/ and sim/.
// The same seed gives the same sequence on every machine and build.
#pragma once

#include <cstdint>

#include "core/runtime/scheduler.h"

namespace kz::io {

class Rng {
 public:
  explicit Rng(uint64_t seed) { reseed(seed); }
  void reseed(uint64_t seed);
  // Random draws are folded into the trace hash when a sink is set (simulation).
  void set_trace(rt::TraceSink* trace) { trace_ = trace; }

  uint64_t next_u64();
  // Uniform in [0, n); n > 0.
  uint64_t below(uint64_t n);
  // Uniform in [lo, hi].
  int64_t between(int64_t lo, int64_t hi);
  // Uniform in [0, 1).
  double unit();
  bool chance(double p) { return p > 0 && unit() < p; }
  // A child generator with an independent stream (for a node, a workload...).
  Rng fork(uint64_t salt);

 private:
  uint64_t s_[4];
  rt::TraceSink* trace_ = nullptr;
};

}  // namespace kz::io
