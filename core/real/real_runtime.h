// RealRuntime: everything a real kz process creates to run a node: the epoll driver, the scheduler,
// the node's task group, clock, network, file system, a seeded Rng, a stderr log sink, and the
// io::Env wired to all of them. main() builds one, spawns the node's boot fiber, and calls run().
//
// SIGINT and SIGTERM (if handle_signals) are blocked and read from a signalfd on the reactor: they
// stop run() cleanly, between fibers, instead of killing the process mid-write. The previous signal
// mask is restored when the runtime goes.
//
// Destruction order: the node's fibers are killed (stacks unwound, their streams and files closed)
// before the network, the scheduler and the driver are destroyed.
#pragma once

#include <cstdint>
#include <memory>
#include <optional>
#include <string>

#include "core/base/log.h"
#include "core/io/env.h"
#include "core/io/rng.h"
#include "core/real/real_clock.h"
#include "core/real/real_driver.h"
#include "core/real/real_fs.h"
#include "core/real/real_net.h"
#include "core/runtime/scheduler.h"

namespace kz::real {

struct RealRuntimeOptions {
  std::string node = "kz";
  std::optional<uint64_t> seed;  // default: from getrandom
  Level log_level = Level::kInfo;
  std::string fs_root;  // relative Fs paths resolve under it ("" = working directory)
  bool handle_signals = true;
};

class RealRuntime {
 public:
  static Result<std::unique_ptr<RealRuntime>> create(RealRuntimeOptions options = {});
  ~RealRuntime();
  RealRuntime(const RealRuntime&) = delete;
  RealRuntime& operator=(const RealRuntime&) = delete;

  io::Env& env() { return env_; }
  rt::Scheduler& sched() { return *sched_; }
  rt::TaskGroup& group() { return *group_; }
  RealDriver& driver() { return *driver_; }
  RealClock& clock() { return *clock_; }
  RealNet& net() { return *net_; }
  RealFs& fs() { return *fs_; }
  io::Rng& rng() { return *rng_; }
  uint64_t seed() const { return seed_; }

  // Runs until stop(), a handled signal, or until nothing can happen (no runnable fiber, no
  // timer, no fiber blocked on a descriptor).
  rt::Scheduler::RunResult run() { return sched_->run_until(kNever); }
  // Same, but returns kLimitReached after `duration_ns` of monotonic time.
  rt::Scheduler::RunResult run_for(int64_t duration_ns) {
    return sched_->run_until(deadline_after(driver_->now_ns(), duration_ns));
  }
  void stop() { sched_->stop(); }
  // The signal (SIGINT, SIGTERM) that stopped the last run, or 0.
  int stop_signal() const { return stop_signal_; }

 private:
  class SignalWatch;
  explicit RealRuntime(RealRuntimeOptions options);
  Status init();

  RealRuntimeOptions options_;
  uint64_t seed_ = 0;
  int stop_signal_ = 0;
  // Destroyed bottom-up: the driver goes last.
  std::unique_ptr<RealDriver> driver_;
  std::unique_ptr<rt::Scheduler> sched_;
  std::unique_ptr<RealClock> clock_;
  std::unique_ptr<RealNet> net_;
  std::unique_ptr<RealFs> fs_;
  std::unique_ptr<io::Rng> rng_;
  std::unique_ptr<StderrLogSink> log_sink_;
  std::unique_ptr<rt::TaskGroup> group_;
  std::unique_ptr<SignalWatch> signals_;
  io::Env env_;
};

}  // namespace kz::real
