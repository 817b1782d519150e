#include "sim/testbed/runner.h"

#include <fmt/format.h>

#include "sim/testbed/faults.h"

namespace kz::testbed {

namespace {

int64_t world_time(void* ctx) {
  auto* world = *static_cast<sim::World**>(ctx);
  return world == nullptr ? 0 : world->now_ns();
}

Status scenario_error(const Scenario& s, int line, std::string_view key, std::string_view problem) {
  return Status(Code::kInvalidArgument, fmt::format("{}:{}: {}: {}", s.path, line, key, problem));
}

std::string known_names(const auto& map) {
  std::string out;
  for (auto& [name, _] : map) out += fmt::format("{}{}", out.empty() ? "" : ", ", name);
  return out;
}

// How long the workloads get to finish in-flight operations once told to stop.
constexpr int64_t kDrainNs = 2 * kNsPerSec;

}  // namespace

Status validate_scenario(const Scenario& s) {
  const Registry& r = registry();
  if (!r.services.count(s.service)) {
    return scenario_error(s, 1, "cluster.service",
                          fmt::format("unknown service '{}' (known: {})", s.service, known_names(r.services)));
  }
  for (const WorkloadSpec& w : s.workloads) {
    if (!r.workloads.count(w.kind)) {
      return scenario_error(s, w.line, "workload.kind",
                            fmt::format("unknown workload '{}' (known: {})", w.kind, known_names(r.workloads)));
    }
  }
  for (const FaultSpec& f : s.faults) {
    if (!is_fault_kind(f.kind)) {
      std::string kinds;
      for (auto& k : fault_kinds()) kinds += fmt::format("{}{}", kinds.empty() ? "" : ", ", k);
      return scenario_error(s, f.line, "fault.kind", fmt::format("unknown fault '{}' (known: {})", f.kind, kinds));
    }
  }
  for (const std::string& k : s.nemesis.kinds) {
    if (!is_fault_kind(k)) {
      return scenario_error(s, s.nemesis.line, "nemesis.kinds", fmt::format("unknown fault kind '{}'", k));
    }
  }
  for (const std::string& c : s.checkers) {
    if (!r.checkers.count(c)) {
      return scenario_error(s, 1, "check.checkers",
                            fmt::format("unknown checker '{}' (known: {})", c, known_names(r.checkers)));
    }
  }
  return Status::ok();
}

nlohmann::json RunReport::summary() const {
  nlohmann::json checks = nlohmann::json::array();
  for (const Verdict& v : verdicts) {
    nlohmann::json c = {{"checker", v.checker}, {"ok", v.ok}, {"message", v.message}};
    if (!v.ok) c["witness"] = v.witness;
    if (!v.ok) c["witness_ops"] = v.witness_ops;  // highlighted in report.html
    checks.push_back(std::move(c));
  }
  return {{"seed", seed},       {"result", pass ? "pass" : "fail"}, {"trace_hash", fmt::format("{:016x}", trace_hash)},
          {"sim_ms", sim_ms},   {"events", trace_events},           {"ops", ops},
          {"checks", checks},   {"probes", probes},                 {"buggify_fired", buggify_fired}};
}

Result<RunReport> run_scenario(const Scenario& scenario, uint64_t seed, const RunOptions& options) {
  KZ_RETURN_IF_ERROR(validate_scenario(scenario));
  const Registry& reg = registry();

  sim::World* world_ptr = nullptr;
  EventLog events(&world_time, &world_ptr);
  events.set_keep_text(options.keep_log_text);
  if (options.echo_log) events.set_echo(options.echo_level);

  RunReport report;
  report.seed = seed;
  {
    // On the heap, so that a process about to exit can leave them to the OS (options.skip_teardown).
    auto world_owner = std::make_unique<sim::World>(
        sim::WorldOptions{.seed = seed,
                          .log_sink = &events,
                          .buggify = {.enabled = scenario.buggify.enabled,
                                      .point_on_chance = scenario.buggify.point_on_chance,
                                      .fire_chance = scenario.buggify.fire_chance}});
    sim::World& world = *world_owner;
    world_ptr = &world;
    auto ctx_owner = std::make_unique<RunContext>(RunContext{.scenario = scenario, .seed = seed, .world = world,
                                                             .events = events, .history = {},
                                                             .rng = world.rng().fork(0x7465737462656400ULL)});
    RunContext& ctx = *ctx_owner;
    configure_network(ctx);

    std::unique_ptr<Service> service = reg.services.at(scenario.service)();
    ctx.service = service.get();
    KZ_RETURN_IF_ERROR(service->setup(ctx));

    auto workloads_owner = std::make_unique<std::vector<std::unique_ptr<Workload>>>();
    std::vector<std::unique_ptr<Workload>>& workloads = *workloads_owner;
    for (const WorkloadSpec& spec : scenario.workloads) {
      workloads.push_back(reg.workloads.at(spec.kind)());
      KZ_RETURN_IF_ERROR(workloads.back()->start(ctx, spec).with_context(
          fmt::format("{}:{}: workload '{}'", scenario.path, spec.line, spec.name)));
    }
    start_fault_schedule(ctx);
    start_nemesis(ctx);

    world.run_until(ms_to_ns(scenario.duration_ms));
    if (scenario.final_heal) {
      final_heal(ctx);
      service->on_final_heal(ctx);
      world.run_for(ms_to_ns(scenario.liveness_ms));
    }
    ctx.stopping = true;
    world.run_for(kDrainNs);
    // Operations still pending now have an unknown outcome.
    for (uint64_t op = 1; op <= ctx.history.ops(); op++) {
      if (ctx.history.completion(op) == nullptr) ctx.history.info(world.now_ns(), op, "pending at end of run");
    }
    report.sim_ms = ns_to_ms(world.now_ns());

    for (const std::string& name : scenario.checkers) {
      Verdict v = reg.checkers.at(name)(ctx);
      v.checker = name;
      if (!v.ok) report.pass = false;
      events.add("testbed", v.ok ? "check_passed" : "check_failed",
                 {{"checker", name}, {"message", v.message}});
      report.verdicts.push_back(std::move(v));
    }
    report.ops = ctx.history.ops();
    report.probes = world.fault_points().probes();
    report.buggify_fired = world.fault_points().fired();
    if (options.keep_jsonl) report.history_jsonl = ctx.history.to_jsonl();
    // Tear the world down (fibers unwound) before reading its final hash.
    for (auto& n : world.nodes()) n->group().kill();
    world.control().kill();
    report.trace_hash = world.trace_hash();
    report.trace_events = world.trace_events();
    world_ptr = nullptr;
    if (options.skip_teardown) {
      // Freeing a busy run's objects one by one (history, simulated disks, fiber stacks) cost ~7% of it.
      (void)workloads_owner.release();
      (void)service.release();
      (void)ctx_owner.release();
      (void)world_owner.release();
    }
  }
  if (options.keep_jsonl) report.events_jsonl = events.to_jsonl();
  report.log_text = events.text();
  return report;
}

}  // namespace kz::testbed
