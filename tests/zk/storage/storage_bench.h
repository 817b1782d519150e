// A simulated disk with an Env around it, used from the test's own thread (outside fibers, zero
// latency), and a log sink that keeps every line so tests can check what recovery reported.
#pragma once

#include <memory>
#include <string>
#include <vector>

#include "core/io/env.h"
#include "sim/sim_clock.h"
#include "sim/sim_disk.h"
#include "tests/runtime/virtual_driver.h"

namespace kz::zk::storage::testing {

class CapturingSink final : public LogSink {
 public:
  void write(Level level, std::string_view node, int64_t time_ns, std::string_view component,
             std::string_view message) override {
    lines.push_back(std::string(level_name(level)) + " " + std::string(component) + ": " + std::string(message));
  }
  bool contains(std::string_view needle) const {
    for (const auto& l : lines) {
      if (l.find(needle) != std::string::npos) return true;
    }
    return false;
  }
  std::vector<std::string> lines;
};

struct DiskBench {
  kz::testing::VirtualDriver driver;
  rt::Scheduler sched{driver};
  sim::SimClock clock{sched};
  sim::SimDisk disk;
  rt::TaskGroup group{sched, "bench"};
  CapturingSink sink;
  io::Env env;

  explicit DiskBench(uint64_t seed, double keep_prefix_probability = 0.5)
      : disk(sched, clock, nullptr, seed, 0, options(keep_prefix_probability)) {
    env.node = "n1";
    env.sched = &sched;
    env.group = &group;
    env.clock = &clock;
    env.fs = &disk;
    env.log = Logger(&sink, "n1", nullptr, nullptr);
  }
  static sim::DiskOptions options(double keep_prefix_probability) {
    sim::DiskOptions o;
    o.latency = sim::DiskLatency::zero();
    o.crash_keep_prefix_probability = keep_prefix_probability;
    return o;
  }
};

inline std::vector<uint8_t> bytes_of(std::string_view s) { return std::vector<uint8_t>(s.begin(), s.end()); }

}  // namespace kz::zk::storage::testing
