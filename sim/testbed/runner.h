// Runs one scenario with one seed in a fresh simulated World: sets up the service, starts the
// workloads and the faults, runs for the scenario's duration, heals everything, gives the cluster
// its liveness window, then lets every checker judge the history and the cluster events.
#pragma once

#include <cstdint>
#include <map>
#include <string>
#include <vector>

#include "core/base/status.h"
#include "sim/testbed/scenario.h"
#include "sim/testbed/testbed.h"

namespace kz::testbed {

struct RunOptions {
  bool echo_log = false;          // copy log lines to stderr
  Level echo_level = Level::kInfo;
  bool keep_log_text = true;      // keep log.txt text (off in explore to save memory)
  bool keep_jsonl = true;         // render history.jsonl / events.jsonl (off when no run dir is written)
  // The process exits after this run: leave the simulated world's memory to the OS instead of freeing
  // it object by object (fibers are still unwound: that is part of the trace).
  bool skip_teardown = false;
};

struct RunReport {
  uint64_t seed = 0;
  bool pass = true;
  uint64_t trace_hash = 0;
  uint64_t trace_events = 0;
  int64_t sim_ms = 0;
  size_t ops = 0;
  std::vector<Verdict> verdicts;
  std::map<std::string, uint64_t> probes;         // code probes reached (core/io/probes.h)
  std::map<std::string, uint64_t> buggify_fired;  // BUGGIFY points that fired
  std::string history_jsonl;
  std::string events_jsonl;
  std::string log_text;
  nlohmann::json summary() const;  // without wall time (the caller adds it)
};

Result<RunReport> run_scenario(const Scenario& scenario, uint64_t seed, const RunOptions& options);

// Checks names of services, workloads, checkers and fault kinds before running (errors name the
// file, line and key).
Status validate_scenario(const Scenario& scenario);

}  // namespace kz::testbed
