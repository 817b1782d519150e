// Fault injection for a run: scheduled faults from the scenario and the random nemesis.
// Each fault kind is documented in docs/faults.md. Targets are resolved when the fault fires.
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "sim/testbed/testbed.h"

namespace kz::testbed {

// The fault kinds the testbed knows, for validation and --help.
const std::vector<std::string>& fault_kinds();
bool is_fault_kind(std::string_view kind);

// Applies the scenario's [network] model to the world's links.
void configure_network(RunContext& ctx);
// Spawns the fiber that fires the scenario's scheduled faults (and heals those with a duration).
void start_fault_schedule(RunContext& ctx);
// Spawns the random nemesis if the scenario enables it.
void start_nemesis(RunContext& ctx);
// Heals everything: network, clocks, disks' transient faults; restarts crashed nodes, resumes
// paused ones. Records the heal time in ctx.final_heal_ns.
void final_heal(RunContext& ctx);

}  // namespace kz::testbed
