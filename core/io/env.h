// Env: everything a node may use to reach the world. Logic in core/ receives an Env and touches
// nothing else (LevelDB's Env, extended with time, scheduling and randomness). A simulated node and
// a real process differ only in the Env they are given.
#pragma once

#include <functional>
#include <string>
#include <string_view>

#include "core/base/log.h"
#include "core/io/clock.h"
#include "core/io/fs.h"
#include "core/io/net.h"
#include "core/io/rng.h"
#include "core/runtime/scheduler.h"

namespace kz::io {

// BUGGIFY-style fault points and code probes. Under simulation, `fire` returns true with a seeded
// probability for points enabled in this run; the real backend never sets one (Env::buggify null).
class FaultPoints {
 public:
  virtual ~FaultPoints() = default;
  virtual bool fire(std::string_view point) = 0;
  // Counts that a rare path was reached; `explore` reports probes never hit.
  virtual void probe(std::string_view name) = 0;
};

struct Env {
  std::string node;  // "zk1", "broker2", "client3"
  rt::Scheduler* sched = nullptr;
  rt::TaskGroup* group = nullptr;  // the node's fibers; killed on crash
  Clock* clock = nullptr;
  Net* net = nullptr;
  Fs* fs = nullptr;
  Rng* rng = nullptr;
  Logger log;
  FaultPoints* faults = nullptr;  // null outside simulation

  rt::FiberId spawn(std::string name, std::function<void()> fn) const {
    return group->spawn(std::move(name), std::move(fn));
  }
  bool buggify(std::string_view point) const { return faults != nullptr && faults->fire(point); }
  void probe(std::string_view name) const {
    if (faults != nullptr) faults->probe(name);
  }
};

}  // namespace kz::io
