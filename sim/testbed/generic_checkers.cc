// Checkers that apply to any service: recovery after the final heal (liveness) and leader
// uniqueness per epoch (from the "leader_elected" events every replicated service emits).
#include <fmt/format.h>

#include <map>

#include "sim/testbed/testbed.h"

namespace kz::testbed {

namespace {

Verdict check_liveness(const RunContext& ctx) {
  Verdict v{.checker = "liveness"};
  if (ctx.final_heal_ns < 0) {
    v.message = "no final heal in this run: nothing to check";
    return v;
  }
  int64_t bound_ns = ctx.final_heal_ns + ms_to_ns(ctx.scenario.liveness_ms);
  for (const HistoryEntry& e : ctx.history.entries()) {
    if (e.type != OpType::kOk || e.time_ns < ctx.final_heal_ns) continue;
    if (ctx.history.invocation(e.op).time_ns < ctx.final_heal_ns) continue;
    if (e.time_ns <= bound_ns) {
      v.message = fmt::format("an operation invoked after the final heal succeeded {:.1f} ms after it",
                              static_cast<double>(e.time_ns - ctx.final_heal_ns) / 1e6);
      return v;
    }
  }
  v.ok = false;
  v.message = fmt::format("no operation invoked after the final heal (at {:.1f} ms) succeeded within {} ms",
                          static_cast<double>(ctx.final_heal_ns) / 1e6, ctx.scenario.liveness_ms);
  // Witness: the operations attempted in the window.
  nlohmann::json ops = nlohmann::json::array();
  for (const HistoryEntry& e : ctx.history.entries()) {
    if (e.time_ns >= ctx.final_heal_ns && e.time_ns <= bound_ns && ops.size() < 20) {
      ops.push_back({{"op", e.op}, {"type", op_type_name(e.type)}, {"process", e.process}, {"error", e.error}});
      v.witness_ops.push_back(e.op);
    }
  }
  v.witness = {{"window_ms", {ns_to_ms(ctx.final_heal_ns), ns_to_ms(bound_ns)}}, {"attempts", ops}};
  return v;
}

Verdict check_one_leader_per_epoch(const RunContext& ctx) {
  Verdict v{.checker = "one-leader-per-epoch"};
  // (role, epoch) -> first node that claimed leadership for it.
  std::map<std::pair<std::string, int64_t>, const ClusterEvent*> leaders;
  size_t elections = 0;
  for (const ClusterEvent& e : ctx.events.events()) {
    if (e.kind != "leader_elected") continue;
    elections++;
    std::string role = e.fields.value("role", std::string("leader"));
    int64_t epoch = e.fields.value("epoch", int64_t{-1});
    auto [it, inserted] = leaders.emplace(std::make_pair(role, epoch), &e);
    if (!inserted && it->second->node != e.node) {
      v.ok = false;
      v.message = fmt::format("two leaders for {} epoch {}: {} at {:.3f} ms and {} at {:.3f} ms", role, epoch,
                              it->second->node, static_cast<double>(it->second->time_ns) / 1e6, e.node,
                              static_cast<double>(e.time_ns) / 1e6);
      v.witness = nlohmann::json::array(
          {{{"node", it->second->node}, {"time_ns", it->second->time_ns}, {"epoch", epoch}},
           {{"node", e.node}, {"time_ns", e.time_ns}, {"epoch", epoch}}});
      return v;
    }
  }
  v.message = fmt::format("{} elections, one leader per epoch", elections);
  return v;
}

}  // namespace

void register_generic_checkers(Registry& r) {
  r.checkers["liveness"] = check_liveness;
  r.checker_help["liveness"] = "after the final heal, an operation succeeds within check.liveness_ms";
  r.checkers["one-leader-per-epoch"] = check_one_leader_per_epoch;
  r.checker_help["one-leader-per-epoch"] = "no two nodes claim leadership of the same role in the same epoch";
}

}  // namespace kz::testbed
