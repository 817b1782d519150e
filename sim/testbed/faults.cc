#include "sim/testbed/faults.h"

#include <fmt/format.h>

#include <algorithm>
#include <set>

#include "sim/sim_disk.h"
#include "sim/sim_net.h"

namespace kz::testbed {

namespace {

const std::vector<std::string> kKinds = {
    "crash",       "power-loss",   "restart",      "pause",           "partition",      "partition-halves",
    "partition-one-way", "bridge", "clog",         "reset",           "clock-jump",     "clock-drift",
    "clock-strobe", "disk-bitflip", "disk-fsync-fail", "disk-slow",   "disk-full"};

std::string param_string(const nlohmann::json& params, const char* key, const char* fallback) {
  auto it = params.find(key);
  return it != params.end() && it->is_string() ? it->get<std::string>() : std::string(fallback);
}

int64_t param_int(const nlohmann::json& params, const char* key, int64_t fallback) {
  if (params.is_object() && params.contains(key) && params[key].is_number_integer()) return params[key].get<int64_t>();
  return fallback;
}

std::vector<std::string> up_servers(RunContext& ctx) {
  std::vector<std::string> out;
  for (const std::string& name : ctx.server_nodes) {
    sim::Node* n = ctx.world.node(name);
    if (n != nullptr && n->up()) out.push_back(name);
  }
  return out;
}

// Picks `count` distinct names from `from`, in a seeded order.
std::vector<std::string> pick(RunContext& ctx, std::vector<std::string> from, size_t count) {
  std::vector<std::string> out;
  while (!from.empty() && out.size() < count) {
    size_t i = ctx.rng.below(from.size());
    out.push_back(from[i]);
    from.erase(from.begin() + static_cast<ptrdiff_t>(i));
  }
  std::sort(out.begin(), out.end());
  return out;
}

// Resolves a target when the fault fires. Empty result: nothing to do now (e.g. no leader).
Result<std::vector<std::string>> resolve_target(RunContext& ctx, const std::string& target) {
  size_t n = ctx.server_nodes.size();
  if (target == "random") return pick(ctx, up_servers(ctx), 1);
  if (target == "all") return ctx.server_nodes;
  if (target == "minority") return pick(ctx, ctx.server_nodes, (n - 1) / 2);
  if (target == "majority") return pick(ctx, ctx.server_nodes, n / 2 + 1);
  if (ctx.world.node(target) != nullptr) return std::vector<std::string>{target};
  if (target.find(',') != std::string::npos) {  // an explicit list of nodes (as shrink writes them)
    std::vector<std::string> out;
    size_t start = 0;
    while (start <= target.size()) {
      size_t comma = std::min(target.find(',', start), target.size());
      std::string name = target.substr(start, comma - start);
      if (ctx.world.node(name) == nullptr) {
        return Status(Code::kInvalidArgument, fmt::format("unknown node '{}' in fault target '{}'", name, target));
      }
      out.push_back(name);
      start = comma + 1;
    }
    return out;
  }
  if (target.find('.') != std::string::npos) {
    KZ_ASSIGN_OR_RETURN(std::string node, ctx.service->resolve_role(ctx, target));
    if (node.empty()) return std::vector<std::string>{};
    return std::vector<std::string>{node};
  }
  return Status(Code::kInvalidArgument, fmt::format("unknown fault target '{}'", target));
}

std::vector<std::string> others(RunContext& ctx, const std::vector<std::string>& group) {
  std::vector<std::string> out;
  for (auto& n : ctx.world.nodes()) {
    if (std::find(group.begin(), group.end(), n->name()) == group.end()) out.push_back(n->name());
  }
  return out;
}

std::string join(const std::vector<std::string>& v) {
  std::string out;
  for (auto& s : v) out += fmt::format("{}{}", out.empty() ? "" : ",", s);
  return out;
}

void heal_later(RunContext& ctx, int64_t duration_ms, std::function<void()> heal) {
  if (duration_ms <= 0) return;
  ctx.world.control().spawn("heal", [&ctx, duration_ms, heal = std::move(heal)] {
    ctx.world.sched().sleep_for(ms_to_ns(duration_ms));
    heal();
  });
}

// Fires one fault now. Returns a one-line description for the event log.
void fire(RunContext& ctx, const FaultSpec& f) {
  Result<std::vector<std::string>> resolved = resolve_target(ctx, f.target);
  if (!resolved.is_ok()) {
    ctx.events.add("testbed", "fault_skipped", {{"kind", f.kind}, {"reason", resolved.status().message()}});
    return;
  }
  std::vector<std::string> targets = *resolved;
  if (targets.empty() && f.kind != "partition-halves") {
    ctx.events.add("testbed", "fault_skipped", {{"kind", f.kind}, {"target", f.target}, {"reason", "no node"}});
    return;
  }
  sim::World& w = ctx.world;
  sim::SimNet& net = w.net();
  ctx.events.add("testbed", "fault", {{"kind", f.kind}, {"target", f.target}, {"nodes", join(targets)},
                                      {"duration_ms", f.duration_ms}, {"params", f.params.is_object() ? f.params : nlohmann::json::object()}});
  auto heal_event = [&ctx, kind = f.kind, nodes = join(targets)] {
    ctx.events.add("testbed", "fault_healed", {{"kind", kind}, {"nodes", nodes}});
  };

  if (f.kind == "crash" || f.kind == "power-loss" || f.kind == "restart") {
    for (const std::string& name : targets) {
      sim::Node* node = w.node(name);
      if (!node->up()) continue;
      if (f.kind == "power-loss") node->power_off(); else node->crash();
      if (f.kind == "restart") node->restart();
    }
    if (f.kind != "restart") {
      heal_later(ctx, f.duration_ms, [&ctx, targets, heal_event] {
        for (const std::string& name : targets) {
          sim::Node* node = ctx.world.node(name);
          if (!node->up()) node->restart();
        }
        heal_event();
      });
    }
  } else if (f.kind == "pause") {
    for (const std::string& name : targets) w.node(name)->pause();
    heal_later(ctx, f.duration_ms, [&ctx, targets, heal_event] {
      for (const std::string& name : targets) ctx.world.node(name)->resume();
      heal_event();
    });
  } else if (f.kind == "partition" || f.kind == "partition-halves" || f.kind == "bridge") {
    std::vector<std::string> side_a = targets;
    if (f.kind == "partition-halves") {
      side_a = pick(ctx, ctx.server_nodes, ctx.server_nodes.size() / 2);
    }
    std::vector<std::string> side_b = others(ctx, side_a);
    if (param_string(f.params, "scope", "all") == "servers") {
      // Only the servers are split; clients still reach every server (a split between racks).
      std::erase_if(side_b, [&ctx](const std::string& n) {
        return std::find(ctx.server_nodes.begin(), ctx.server_nodes.end(), n) == ctx.server_nodes.end();
      });
    }
    ctx.events.add("testbed", "partition_sides", {{"kind", f.kind}, {"a", join(side_a)}, {"b", join(side_b)}});
    if (f.kind == "bridge" && !side_b.empty()) {
      // The first target is the bridge: it reaches both sides, which cannot reach each other.
      std::string bridge = side_a.front();
      side_a.erase(side_a.begin());
      for (auto& x : side_a) {
        for (auto& y : side_b) net.partition(x, y);
      }
      (void)bridge;
    } else {
      for (auto& x : side_a) {
        for (auto& y : side_b) net.partition(x, y);
      }
    }
    heal_later(ctx, f.duration_ms, [&ctx, heal_event] {
      ctx.world.net().heal_all();
      heal_event();
    });
  } else if (f.kind == "partition-one-way") {
    for (auto& x : targets) {
      for (auto& y : others(ctx, targets)) net.partition_one_way(x, y);
    }
    heal_later(ctx, f.duration_ms, [&ctx, heal_event] {
      ctx.world.net().heal_all();
      heal_event();
    });
  } else if (f.kind == "clog") {
    int64_t duration_ms = f.duration_ms > 0 ? f.duration_ms : 1000;
    for (auto& x : targets) {
      for (auto& y : others(ctx, targets)) {
        net.clog(x, y, ms_to_ns(duration_ms));
        net.clog(y, x, ms_to_ns(duration_ms));
      }
    }
  } else if (f.kind == "reset") {
    for (auto& x : targets) net.reset_connections(x);
  } else if (f.kind == "clock-jump") {
    int64_t delta_ms = param_int(f.params, "delta_ms", 60'000);
    for (auto& x : targets) w.node(x)->clock().jump_wall_ms(delta_ms);
  } else if (f.kind == "clock-drift") {
    int64_t ppm = param_int(f.params, "ppm", 50'000);
    for (auto& x : targets) w.node(x)->clock().set_drift_ppm(ppm);
    heal_later(ctx, f.duration_ms, [&ctx, targets, heal_event] {
      for (auto& x : targets) ctx.world.node(x)->clock().set_drift_ppm(0);
      heal_event();
    });
  } else if (f.kind == "clock-strobe") {
    int64_t delta_ms = param_int(f.params, "delta_ms", 5'000);
    int64_t period_ms = std::max<int64_t>(1, param_int(f.params, "period_ms", 100));
    int64_t duration_ms = f.duration_ms > 0 ? f.duration_ms : 1000;
    ctx.world.control().spawn("strobe", [&ctx, targets, delta_ms, period_ms, duration_ms] {
      int64_t flips = duration_ms / period_ms;
      for (int64_t i = 0; i < flips; i++) {
        for (auto& x : targets) ctx.world.node(x)->clock().jump_wall_ms(i % 2 == 0 ? delta_ms : -delta_ms);
        ctx.world.sched().sleep_for(ms_to_ns(period_ms));
      }
      if (flips % 2 == 1) {
        for (auto& x : targets) ctx.world.node(x)->clock().jump_wall_ms(-delta_ms);
      }
    });
  } else if (f.kind == "disk-bitflip") {
    for (auto& x : targets) w.node(x)->disk().flip_random_bit();
  } else if (f.kind == "disk-fsync-fail") {
    int64_t count = param_int(f.params, "count", 1);
    for (auto& x : targets) w.node(x)->disk().fail_next_syncs(static_cast<int>(count));
  } else if (f.kind == "disk-slow") {
    int64_t factor = param_int(f.params, "factor", 20);
    for (auto& x : targets) w.node(x)->disk().set_slowdown(static_cast<int>(factor));
    heal_later(ctx, f.duration_ms, [&ctx, targets, heal_event] {
      for (auto& x : targets) ctx.world.node(x)->disk().set_slowdown(1);
      heal_event();
    });
  } else if (f.kind == "disk-full") {
    for (auto& x : targets) w.node(x)->disk().set_full(true);
    heal_later(ctx, f.duration_ms, [&ctx, targets, heal_event] {
      for (auto& x : targets) ctx.world.node(x)->disk().set_full(false);
      heal_event();
    });
  } else {
    KZ_UNREACHABLE("fault kind validated before the run: " + f.kind);
  }
}

}  // namespace

const std::vector<std::string>& fault_kinds() { return kKinds; }

bool is_fault_kind(std::string_view kind) { return std::find(kKinds.begin(), kKinds.end(), kind) != kKinds.end(); }

void configure_network(RunContext& ctx) {
  const NetworkSpec& n = ctx.scenario.network;
  sim::LinkParams link;
  link.latency_ns_base = us_to_ns(n.latency_min_us);
  int64_t spread_ns = us_to_ns(n.latency_max_us - n.latency_min_us);
  if (n.distribution == "exponential") {
    // Most deliveries near the base, a long tail: a quarter of the spread as jitter, and one
    // delivery in ten delayed by up to the whole spread.
    link.jitter_ns_max = spread_ns / 4;
    link.tail_probability = 0.1;
    link.tail_ns_max = spread_ns;
  } else {
    link.jitter_ns_max = spread_ns;
  }
  link.bandwidth_bytes_per_sec = n.bandwidth_mbps * 1'000'000 / 8;
  ctx.world.net().set_default_link(link);
}

void start_fault_schedule(RunContext& ctx) {
  if (ctx.scenario.faults.empty()) return;
  ctx.world.control().spawn("faults", [&ctx] {
    std::vector<const FaultSpec*> order;
    for (const FaultSpec& f : ctx.scenario.faults) order.push_back(&f);
    std::stable_sort(order.begin(), order.end(), [](auto* a, auto* b) { return a->at_ms < b->at_ms; });
    for (const FaultSpec* f : order) {
      int64_t at = ms_to_ns(f->at_ms);
      if (at > ctx.world.now_ns()) ctx.world.sched().sleep_until(at);
      fire(ctx, *f);
    }
  });
}

void start_nemesis(RunContext& ctx) {
  const NemesisSpec& nm = ctx.scenario.nemesis;
  if (!nm.enabled) return;
  ctx.world.control().spawn("nemesis", [&ctx, &nm] {
    sim::World& w = ctx.world;
    w.sched().sleep_until(ms_to_ns(nm.start_ms));
    int64_t heal_at_ns = ms_to_ns(nm.heal_at_ms);
    while (w.now_ns() < heal_at_ns) {
      FaultSpec f;
      f.kind = nm.kinds[ctx.rng.below(nm.kinds.size())];
      static const char* kTargets[] = {"random", "minority", "majority"};
      f.target = nm.targets.empty() ? std::string(kTargets[ctx.rng.below(3)])
                                    : nm.targets[ctx.rng.below(nm.targets.size())];
      if (f.kind == "partition-halves") f.target = "all";
      f.at_ms = ns_to_ms(w.now_ns());
      // Safety mode heals each fault after a while; liveness mode keeps them until the final heal.
      f.duration_ms = nm.mode == "safety" ? std::max<int64_t>(1, static_cast<int64_t>(ctx.rng.between(
                                                                   nm.fault_duration_ms / 2, nm.fault_duration_ms * 3 / 2)))
                                          : 0;
      fire(ctx, f);
      int64_t gap_ns = ms_to_ns(std::max<int64_t>(1, ctx.rng.between(nm.interval_ms / 2, nm.interval_ms * 3 / 2)));
      w.sched().sleep_for(gap_ns);
    }
  });
}

void final_heal(RunContext& ctx) {
  sim::World& w = ctx.world;
  w.control().kill();  // stop the nemesis and pending heals: everything heals now
  w.net().heal_all();
  for (auto& node : w.nodes()) {
    node->clock().set_drift_ppm(0);
    node->disk().set_slowdown(1);
    node->disk().set_full(false);
    if (node->paused()) node->resume();
    if (!node->up()) node->restart();
  }
  ctx.final_heal_ns = w.now_ns();
  ctx.events.add("testbed", "final_heal", nlohmann::json::object());
}

}  // namespace kz::testbed
