// The simulated world: every node of a cluster, its clients, and true time, in one process on one
// scheduler. Time jumps to the next event (a timer, a network delivery, a disk completion).
// One seed drives every random choice; every scheduling decision, delivery, disk operation, fault
// and random draw is folded into the trace hash, so two runs of one seed can be compared by hash.
//
// Fault model (of the world as a whole; see each component's header for its own):
//   - a node can crash (process dies: its fibers are unwound, its volatile disk state is lost,
//     peers' connections are reset, its listeners vanish), lose power (like a crash, but peers are
//     not told: their connections go silent, and the disk may tear its last write), pause (fibers
//     stop, wake-ups are held, bytes still arrive into its receive buffers, then it resumes as if
//     nothing happened) and restart (a new process over the same durable disk);
//   - the network, disks and clocks fail as described in sim_net.h, sim_disk.h and sim_clock.h.
#pragma once

#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "core/io/env.h"
#include "core/runtime/scheduler.h"
#include "sim/sim_clock.h"
#include "sim/sim_fault_points.h"
#include "sim/sim_disk.h"
#include "sim/sim_net.h"
#include "sim/trace_kinds.h"

namespace kz::sim {

class World;

// A simulated host: its own task group (process), clock, disk, network endpoint, rng and Env.
class Node {
 public:
  using Boot = std::function<void(io::Env& env)>;

  Node(World& world, std::string name, uint32_t index);
  ~Node();

  const std::string& name() const { return name_; }
  uint32_t index() const { return index_; }
  io::Env& env() { return env_; }
  SimClock& clock() { return clock_; }
  // The node's disk: it survives crashes and restarts (a new process gets the same disk).
  SimDisk& disk() { return *disk_; }
  uint32_t host() const { return host_; }  // index in the World's SimNet
  rt::TaskGroup& group() { return *group_; }
  bool up() const { return up_; }
  bool paused() const { return group_->paused(); }
  uint32_t incarnation() const { return incarnation_; }

  // Sets what runs when the node (re)starts, and starts it.
  void start(Boot boot_fn);
  // Process crash: fibers unwound, unsynced disk state lost, the node's connections reset.
  void crash();
  // Power loss: like crash, but peers are not told (their connections go silent) and the disk may
  // tear the last written sector.
  void power_off();
  // A new process over the same durable disk, running the boot function again.
  void restart();
  void pause();
  void resume();

 private:
  void stop_process(bool notify_peers, bool tear);
  void boot();

  World& world_;
  std::string name_;
  uint32_t index_;
  std::unique_ptr<rt::TaskGroup> group_;
  SimClock clock_;
  io::Rng rng_;
  uint32_t host_;
  std::unique_ptr<SimDisk> disk_;
  std::unique_ptr<NodeNet> net_;
  io::Env env_;
  Boot boot_;
  bool up_ = false;
  uint32_t incarnation_ = 0;
};

struct WorldOptions {
  uint64_t seed = 1;
  LogSink* log_sink = nullptr;  // where nodes' log lines go (null: dropped)
  NetOptions net = {};
  DiskOptions disk = {};  // every node's disk starts with these
  BuggifyOptions buggify = {};
};

class World final : public rt::Driver, public rt::TraceSink {
 public:
  explicit World(WorldOptions options);
  ~World() override;
  World(const World&) = delete;
  World& operator=(const World&) = delete;

  // ---- Driver
  int64_t now_ns() override { return now_ns_; }
  bool idle(int64_t deadline_ns) override;

  rt::Scheduler& sched() { return *sched_; }
  uint64_t seed() const { return options_.seed; }
  // trace_hash(), trace_events(): from TraceSink.
  io::Rng& rng() { return rng_; }
  LogSink* log_sink() const { return options_.log_sink; }
  // Fibers of the simulator itself (nemesis, workload drivers) that belong to no node.
  rt::TaskGroup& control() { return *control_; }
  // The network between all nodes: faults (partition, clog, reset) and queries (reachable).
  SimNet& net() { return *net_; }
  const WorldOptions& options() const { return options_; }
  // BUGGIFY fault points and code probes shared by every node of this world.
  SimFaultPoints& fault_points() { return *fault_points_; }

  Node& add_node(const std::string& name);
  Node* node(std::string_view name);
  const std::vector<std::unique_ptr<Node>>& nodes() const { return nodes_; }

  // Runs until `limit_ns` of true time, or until nothing can happen.
  rt::Scheduler::RunResult run_until(int64_t limit_ns) { return sched_->run_until(limit_ns); }
  // Runs for `duration_ns` more of true time.
  rt::Scheduler::RunResult run_for(int64_t duration_ns) { return sched_->run_until(deadline_after(now_ns_, duration_ns)); }

 private:
  WorldOptions options_;
  int64_t now_ns_ = 0;
  io::Rng rng_;
  std::unique_ptr<rt::Scheduler> sched_;
  std::unique_ptr<rt::TaskGroup> control_;
  std::unique_ptr<SimNet> net_;  // outlives the nodes (their streams name it)
  std::unique_ptr<SimFaultPoints> fault_points_;
  std::vector<std::unique_ptr<Node>> nodes_;  // in creation order: iteration is deterministic
};

}  // namespace kz::sim
