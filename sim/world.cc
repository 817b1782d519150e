#include "sim/world.h"

#include <utility>

namespace kz::sim {

namespace {
int64_t node_time(void* ctx) { return static_cast<SimClock*>(ctx)->now_ns(); }
int64_t world_time(void* ctx) { return static_cast<World*>(ctx)->now_ns(); }
}  // namespace

// ---------------------------------------------------------------- Node

Node::Node(World& world, std::string name, uint32_t index)
    : world_(world),
      name_(std::move(name)),
      index_(index),
      group_(std::make_unique<rt::TaskGroup>(world.sched(), name_)),
      clock_(world.sched()),
      rng_(world.rng().fork(index + 1)),
      host_(world.net().add_host(name_)) {
  rng_.set_trace(&world);
  disk_ = std::make_unique<SimDisk>(world.sched(), clock_, &world, world.rng().fork(0x6469736b00 + index).next_u64(),
                                    index, world.options().disk);
  net_ = world.net().endpoint(host_, clock_);
  env_.node = name_;
  env_.sched = &world.sched();
  env_.group = group_.get();
  env_.clock = &clock_;
  env_.rng = &rng_;
  env_.net = net_.get();
  env_.fs = disk_.get();
  env_.log = Logger(world.log_sink(), name_, &node_time, &clock_);
  env_.faults = &world.fault_points();
}

Node::~Node() { group_->kill(); }

void Node::start(Boot boot_fn) {
  boot_ = std::move(boot_fn);
  boot();
}

void Node::boot() {
  KZ_ASSERT_MSG(!up_, name_ + " is already up");
  up_ = true;
  incarnation_++;
  world_.net().host_started(host_);
  if (boot_) {
    group_->spawn("boot", [this] { boot_(env_); });
  }
}

void Node::stop_process(bool notify_peers, bool tear) {
  if (!up_) return;
  up_ = false;
  // Network and disk first: the fibers unwound below then find their streams reset and their file
  // handles dead, so nothing a destructor does can reach a peer or the disk after the crash.
  if (notify_peers) {
    world_.net().host_crashed(host_);
  } else {
    world_.net().host_powered_off(host_);
  }
  disk_->crash(tear);
  group_->kill();
}

void Node::crash() {
  world_.record(kTraceNodeCrash, index_, 0);
  env_.log.event("node_crash", {});
  stop_process(/*notify_peers=*/true, /*tear=*/false);
}

void Node::power_off() {
  world_.record(kTraceNodeCrash, index_, 1);
  env_.log.event("node_power_off", {});
  stop_process(/*notify_peers=*/false, /*tear=*/true);
}

void Node::restart() {
  world_.record(kTraceNodeRestart, index_, incarnation_);
  if (up_) stop_process(true, false);
  boot();
  env_.log.event("node_restart", {Field("incarnation", static_cast<int64_t>(incarnation_))});
}

void Node::pause() {
  world_.record(kTraceFault, index_, 1);
  group_->pause();
}

void Node::resume() {
  world_.record(kTraceFault, index_, 2);
  group_->resume();
}

// ---------------------------------------------------------------- World

World::World(WorldOptions options) : options_(options), rng_(options.seed) {
  sched_ = std::make_unique<rt::Scheduler>(*this);
  sched_->set_trace(this);
  rng_.set_trace(this);
  control_ = std::make_unique<rt::TaskGroup>(*sched_, "sim");
  net_ = std::make_unique<SimNet>(*sched_, this, rng_.fork(0x6e6574).next_u64(), options_.net);
  net_->set_logger(Logger(options_.log_sink, "net", &world_time, this));
  fault_points_ = std::make_unique<SimFaultPoints>(rng_.fork(0x6275676779), options_.buggify);
}

World::~World() {
  // Nodes first (their fibers may reference world services), then the simulator's own fibers.
  for (auto& n : nodes_) n->group().kill();
  control_->kill();
  nodes_.clear();
  net_.reset();
  control_.reset();
}

bool World::idle(int64_t deadline_ns) {
  if (deadline_ns == kNever) return false;
  KZ_ASSERT(deadline_ns >= now_ns_);
  now_ns_ = deadline_ns;
  return true;
}

Node& World::add_node(const std::string& name) {
  KZ_ASSERT_MSG(node(name) == nullptr, "duplicate node name " + name);
  nodes_.push_back(std::make_unique<Node>(*this, name, static_cast<uint32_t>(nodes_.size())));
  return *nodes_.back();
}

Node* World::node(std::string_view name) {
  for (auto& n : nodes_) {
    if (n->name() == name) return n.get();
  }
  return nullptr;
}

}  // namespace kz::sim
