// Scenario files: what a simulated run is made of (cluster, network, workloads, faults, checkers),
// parsed from TOML. Every key is documented in docs/scenarios.md. Parsing is strict: an unknown key,
// a wrong type or a bad value is an error naming the file, the line and the key.
// The file's text is kept so a run directory can replay exactly the scenario it ran.
#pragma once

#include <cstdint>
#include <map>
#include <nlohmann/json.hpp>
#include <string>
#include <string_view>
#include <vector>

#include "core/base/status.h"

namespace kz::testbed {

struct NetworkSpec {
  int64_t latency_min_us = 100;
  int64_t latency_max_us = 1000;
  std::string distribution = "uniform";  // "uniform" | "exponential"
  int64_t bandwidth_mbps = 0;             // 0: unlimited
};

struct WorkloadSpec {
  std::string kind;
  std::string name;  // unique; defaults to kind (+ index)
  int clients = 1;
  double rate_per_sec = 10;  // per client
  nlohmann::json params;     // kind-specific keys
  int line = 0;
};

// A fault at a fixed time. Targets are resolved when the fault fires (see docs/scenarios.md):
// a node name, "random", "minority", "majority", "all", or a service role such as "zk.leader".
struct FaultSpec {
  int64_t at_ms = 0;
  std::string kind;
  std::string target = "random";
  int64_t duration_ms = 0;  // 0: permanent until the final heal
  nlohmann::json params;
  int line = 0;
};

struct NemesisSpec {
  bool enabled = false;
  std::vector<std::string> kinds;
  std::vector<std::string> targets;  // drawn from per fault; empty: random, minority, majority
  int64_t start_ms = 1000;
  int64_t interval_ms = 2000;  // mean time between faults
  int64_t fault_duration_ms = 1500;
  int64_t heal_at_ms = -1;     // -1: duration minus the liveness bound
  std::string mode = "safety";  // "safety": each fault heals after its duration; "liveness": faults persist until heal_at
  int line = 0;
};

// BUGGIFY (see core/io/probes.h): fault points in kz's code that fire at random under simulation.
struct BuggifySpec {
  bool enabled = false;
  double point_on_chance = 0.5;  // each point is switched on for a run with this chance
  double fire_chance = 0.05;     // an enabled point fires with this chance each time it is reached
};

struct Scenario {
  std::string path;
  std::string text;  // the file's full text (for replay bundles)
  std::string name;
  std::string description;
  int64_t duration_ms = 10'000;
  std::string service = "echo";
  int nodes = 3;
  std::map<std::string, std::string> config;  // service configuration keys (zoo.cfg, server.properties)
  NetworkSpec network;
  std::vector<WorkloadSpec> workloads;
  std::vector<FaultSpec> faults;
  NemesisSpec nemesis;
  BuggifySpec buggify;
  std::vector<std::string> checkers;
  int64_t liveness_ms = 10'000;  // after the final heal, the cluster must serve again within this
  bool final_heal = true;
};

// Parses scenario TOML text. `path` is used in error messages ("file:line: key: problem").
Result<Scenario> parse_scenario(std::string_view text, std::string_view path);

// Writes a scenario back as TOML (used by shrink to print a minimal scenario).
std::string scenario_to_toml(const Scenario& scenario);

// FNV-1a hash of the scenario text: a replay checks it runs the same scenario.
uint64_t scenario_hash(std::string_view text);

}  // namespace kz::testbed
