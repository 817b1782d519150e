// The testbed's plug-in points: a Service builds and runs the simulated cluster (ZooKeeper, Kafka,
// the echo service used to prove the engine), a Workload drives clients and records their history,
// a Checker judges a finished run. All three are registered by name in the Registry, so scenario
// files pick them by `cluster.service`, `workload.kind` and `check.checkers`.
#pragma once

#include <functional>
#include <map>
#include <memory>
#include <nlohmann/json.hpp>
#include <string>
#include <string_view>
#include <vector>

#include "core/base/status.h"
#include "core/io/rng.h"
#include "sim/testbed/event_log.h"
#include "sim/testbed/history.h"
#include "sim/testbed/scenario.h"
#include "sim/world.h"

namespace kz::testbed {

class Service;

// Everything a run's parts share.
struct RunContext {
  const Scenario& scenario;
  uint64_t seed;
  sim::World& world;
  EventLog& events;
  History history;
  io::Rng rng;
  Service* service = nullptr;
  std::vector<std::string> server_nodes;  // the service's nodes, in order
  int64_t final_heal_ns = -1;             // true time of the final heal (-1: none)
  bool stopping = false;                  // set when workloads must stop issuing operations
  int64_t now_ns() const { return world.now_ns(); }
};

class Service {
 public:
  virtual ~Service() = default;
  // Creates the cluster's nodes (adding their names to ctx.server_nodes) and starts them.
  virtual Status setup(RunContext& ctx) = 0;
  // Resolves a role target such as "zk.leader" to a node name; "" if no node holds it now;
  // an error if the role is unknown to this service.
  virtual Result<std::string> resolve_role(RunContext& ctx, std::string_view role);
  // Called at the final heal (after the network heals and nodes restart).
  virtual void on_final_heal(RunContext& ctx) {}
};

class Workload {
 public:
  virtual ~Workload() = default;
  // Creates its client nodes and starts issuing operations; stops when ctx.stopping is set.
  virtual Status start(RunContext& ctx, const WorkloadSpec& spec) = 0;
};

struct Verdict {
  std::string checker;
  bool ok = true;
  std::string message;     // one line: what was checked, or what broke
  nlohmann::json witness;  // the smallest excerpt of history that shows a violation
  std::vector<uint64_t> witness_ops;  // operation ids highlighted in the report
};

using ServiceFactory = std::function<std::unique_ptr<Service>()>;
using WorkloadFactory = std::function<std::unique_ptr<Workload>()>;
using CheckerFn = std::function<Verdict(const RunContext& ctx)>;

struct Registry {
  std::map<std::string, ServiceFactory> services;
  std::map<std::string, WorkloadFactory> workloads;
  std::map<std::string, CheckerFn> checkers;
  std::map<std::string, std::string> checker_help;
};

// Every built-in service, workload and checker.
const Registry& registry();

// Registration functions of the built-in parts (called once by registry()).
void register_echo(Registry& r);
void register_generic_checkers(Registry& r);
void register_zookeeper(Registry& r);
void register_zk_register(Registry& r);
void register_register_checkers(Registry& r);
void register_zk_recipes(Registry& r);

}  // namespace kz::testbed
