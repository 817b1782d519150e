// The two worlds the seam tests run in. Each backend offers two nodes (index 0 and 1) with an
// io::Env each, the host a node listens on, and a way to run the scheduler:
//   - RealBackend: one RealRuntime (epoll, loopback sockets); node 1 is a second Env on the same
//     scheduler with its own task group and its own RealFs root; both under a fresh /tmp directory.
//   - SimBackend: a sim::World with two started nodes; every Env part is the simulated one.
// The test bodies (seam_test.cc) are written once against io::Env and must pass on both.
#pragma once

#include <memory>
#include <string>

#include "core/io/env.h"
#include "core/real/real_runtime.h"
#include "sim/world.h"
#include "tests/real/temp_dir.h"

namespace kz::testing {

class RealBackend {
 public:
  static constexpr const char* kName = "Real";

  RealBackend() {
    std::string root0 = dir_.path() + "/n1";
    std::string root1 = dir_.path() + "/n2";
    real::RealFs bootstrap("");
    KZ_ASSERT(bootstrap.mkdirs(root0).is_ok());
    KZ_ASSERT(bootstrap.mkdirs(root1).is_ok());
    real::RealRuntimeOptions options;
    options.node = "n1";
    options.seed = 11;
    options.log_level = Level::kWarn;
    options.fs_root = root0;
    options.handle_signals = false;
    Result<std::unique_ptr<real::RealRuntime>> rt = real::RealRuntime::create(options);
    KZ_ASSERT_MSG(rt.is_ok(), rt.status().to_string());
    runtime_ = std::move(rt).value();
    // A second node in the same process: same reactor, clock and network; its own disk and fibers.
    fs1_ = std::make_unique<real::RealFs>(root1);
    group1_ = std::make_unique<rt::TaskGroup>(runtime_->sched(), "n2");
    rng1_ = std::make_unique<io::Rng>(12);
    env1_ = runtime_->env();
    env1_.node = "n2";
    env1_.group = group1_.get();
    env1_.fs = fs1_.get();
    env1_.rng = rng1_.get();
    env1_.log = Logger(runtime_->env().log.sink(), "n2", nullptr, nullptr);
  }
  ~RealBackend() {
    group1_->kill();
    runtime_->group().kill();
    // Every stream and listener of the test lived on a fiber stack or in the test body's scope.
    KZ_ASSERT(runtime_->driver().registered() == 0);
  }

  io::Env& env(size_t i) { return i == 0 ? runtime_->env() : env1_; }
  std::string host(size_t) const { return "127.0.0.1"; }
  rt::Scheduler& sched() { return runtime_->sched(); }
  rt::Scheduler::RunResult run_for(int64_t duration_ns) { return runtime_->run_for(duration_ns); }

 private:
  TempDir dir_;
  std::unique_ptr<real::RealRuntime> runtime_;
  std::unique_ptr<real::RealFs> fs1_;
  std::unique_ptr<rt::TaskGroup> group1_;  // destroyed before the runtime's scheduler
  std::unique_ptr<io::Rng> rng1_;
  io::Env env1_;
};

class SimBackend {
 public:
  static constexpr const char* kName = "Sim";

  SimBackend() : world_(options()) {
    for (const char* name : {"n1", "n2"}) world_.add_node(name).start({});
  }

  io::Env& env(size_t i) { return world_.nodes()[i]->env(); }
  std::string host(size_t i) const { return world_.nodes()[i]->name(); }
  rt::Scheduler& sched() { return world_.sched(); }
  rt::Scheduler::RunResult run_for(int64_t duration_ns) { return world_.run_for(duration_ns); }

 private:
  static sim::WorldOptions options() {
    sim::WorldOptions o;
    o.seed = 2024;
    return o;
  }
  sim::World world_;
};

}  // namespace kz::testing
