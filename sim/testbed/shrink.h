// Shrinking a failing run to its essence: the faults that fired (from a nemesis or the schedule)
// become an explicit fault list, which delta debugging (Zeller's ddmin) cuts to a minimal subset
// that still fails the same checker; then the workload is cut down (fewer workloads, clients and
// operations per second, a shorter run) while it keeps failing. The result is a scenario file
// with explicit faults and one seed: a small, readable reproduction.
#pragma once

#include <cstdint>
#include <functional>
#include <string>
#include <vector>

#include "core/base/status.h"
#include "sim/testbed/scenario.h"

namespace kz::testbed {

struct ShrinkOptions {
  std::string checker;  // the checker that must keep failing ("" = the first that failed)
  int max_runs = 400;   // stop shrinking after this many trial runs
  int seed_attempts = 20;  // if the explicit schedule does not fail with the seed, try this many others
  std::function<void(const std::string& line)> progress;  // one line per accepted step
};

struct ShrinkResult {
  Scenario scenario;  // explicit faults, no nemesis, reduced workload
  uint64_t seed = 0;
  std::string checker;
  std::string message;  // the failing checker's message on the shrunk run
  int runs = 0;
  size_t faults_before = 0;  // faults that fired in the original run
  size_t faults_after = 0;
  std::vector<std::string> steps;  // what each accepted reduction did
};

Result<ShrinkResult> shrink_failure(const Scenario& scenario, uint64_t seed, const ShrinkOptions& options);

}  // namespace kz::testbed
