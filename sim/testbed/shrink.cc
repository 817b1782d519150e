#include "sim/testbed/shrink.h"

#include <fmt/format.h>

#include <algorithm>
#include <sstream>

#include "sim/testbed/runner.h"

namespace kz::testbed {

namespace {

struct Trial {
  bool fails = false;
  std::string message;
};

class Shrinker {
 public:
  Shrinker(const ShrinkOptions& options) : options_(options) {}

  Result<Trial> run(const Scenario& s, uint64_t seed, RunReport* keep = nullptr) {
    runs_++;
    RunOptions ro;
    ro.keep_log_text = false;
    KZ_ASSIGN_OR_RETURN(RunReport report, run_scenario(s, seed, ro));
    Trial t;
    for (const Verdict& v : report.verdicts) {
      if (!v.ok && (checker_.empty() || v.checker == checker_)) {
        if (checker_.empty()) checker_ = v.checker;
        t.fails = true;
        t.message = v.message;
      }
    }
    if (keep != nullptr) *keep = std::move(report);
    return t;
  }
  bool budget_left() const { return runs_ < options_.max_runs; }
  int runs() const { return runs_; }
  std::string& checker() { return checker_; }
  void step(std::vector<std::string>& steps, std::string line) {
    if (options_.progress) options_.progress(line);
    steps.push_back(std::move(line));
  }

 private:
  const ShrinkOptions& options_;
  int runs_ = 0;
  std::string checker_;
};

// The faults that fired in a run, as explicit faults with their resolved nodes.
std::vector<FaultSpec> fired_faults(const std::string& events_jsonl) {
  std::vector<FaultSpec> out;
  std::istringstream in(events_jsonl);
  std::string line;
  while (std::getline(in, line)) {
    nlohmann::json e = nlohmann::json::parse(line, nullptr, false);
    if (e.is_discarded() || !e.is_object()) continue;
    std::string kind = e.value("kind", "");
    const nlohmann::json& f = e["fields"];
    if (kind == "fault") {
      FaultSpec spec;
      spec.at_ms = ns_to_ms(e["time_ns"].get<int64_t>());
      spec.kind = f.value("kind", "");
      spec.target = f.value("nodes", "");
      spec.duration_ms = f.value("duration_ms", int64_t{0});
      spec.params = f.contains("params") ? f["params"] : nlohmann::json::object();
      out.push_back(std::move(spec));
    } else if (kind == "partition_sides" && !out.empty() && out.back().kind == "partition-halves") {
      // The halves were drawn when the fault fired: pin them.
      out.back().kind = "partition";
      out.back().target = f.value("a", "");
    }
  }
  std::erase_if(out, [](const FaultSpec& f) { return f.target.empty(); });
  return out;
}

}  // namespace

Result<ShrinkResult> shrink_failure(const Scenario& original, uint64_t seed, const ShrinkOptions& options) {
  Shrinker sh(options);
  sh.checker() = options.checker;
  ShrinkResult result;

  RunReport first;
  KZ_ASSIGN_OR_RETURN(Trial t0, sh.run(original, seed, &first));
  if (!t0.fails) {
    return Status(Code::kInvalidArgument,
                  options.checker.empty()
                      ? fmt::format("seed {} passes every checker: nothing to shrink", seed)
                      : fmt::format("seed {} does not fail checker '{}': nothing to shrink", seed, options.checker));
  }
  result.checker = sh.checker();

  // 1. The faults that fired, made explicit (the nemesis off).
  Scenario cur = original;
  cur.nemesis.enabled = false;
  cur.faults = fired_faults(first.events_jsonl);
  cur.checkers = {result.checker};
  result.faults_before = cur.faults.size();
  uint64_t cur_seed = seed;
  bool found = false;
  for (int attempt = 0; attempt <= options.seed_attempts && !found; attempt++) {
    KZ_ASSIGN_OR_RETURN(Trial t, sh.run(cur, seed + static_cast<uint64_t>(attempt)));
    if (t.fails) {
      found = true;
      cur_seed = seed + static_cast<uint64_t>(attempt);
    }
  }
  if (!found) {
    return Status(Code::kInvalidArgument,
                  fmt::format("the {} faults that fired, replayed as an explicit schedule, no longer fail '{}' "
                              "(seeds {}..{}): the failure depends on the nemesis' timing",
                              cur.faults.size(), result.checker, seed, seed + options.seed_attempts));
  }
  sh.step(result.steps, fmt::format("{} fired faults as an explicit schedule fail '{}' with seed {}",
                                    cur.faults.size(), result.checker, cur_seed));

  auto try_candidate = [&](const Scenario& candidate) -> Result<bool> {
    if (!sh.budget_left()) return false;
    KZ_ASSIGN_OR_RETURN(Trial t, sh.run(candidate, cur_seed));
    return t.fails;
  };

  // 2. ddmin over the faults: remove chunks while the failure stays.
  size_t n = 2;
  while (cur.faults.size() >= 1 && sh.budget_left()) {
    const size_t size = cur.faults.size();
    n = std::min(n, size);
    bool reduced = false;
    for (size_t i = 0; i < n && !reduced; i++) {
      size_t begin = i * size / n, end = (i + 1) * size / n;
      Scenario c = cur;
      c.faults.erase(c.faults.begin() + static_cast<ptrdiff_t>(begin), c.faults.begin() + static_cast<ptrdiff_t>(end));
      KZ_ASSIGN_OR_RETURN(bool fails, try_candidate(c));
      if (fails) {
        sh.step(result.steps, fmt::format("dropped {} of {} faults: {} left", end - begin, size, c.faults.size()));
        cur = std::move(c);
        n = std::max<size_t>(n - 1, 2);
        reduced = true;
      }
    }
    if (reduced) continue;
    if (n >= size) break;
    n = std::min(size, 2 * n);
  }

  // 3. The workload: drop whole workloads, then halve clients and rates.
  for (size_t i = 0; cur.workloads.size() > 1 && i < cur.workloads.size();) {
    Scenario c = cur;
    c.workloads.erase(c.workloads.begin() + static_cast<ptrdiff_t>(i));
    KZ_ASSIGN_OR_RETURN(bool fails, try_candidate(c));
    if (fails) {
      sh.step(result.steps, fmt::format("dropped workload '{}'", cur.workloads[i].name));
      cur = std::move(c);
    } else {
      i++;
    }
  }
  for (size_t i = 0; i < cur.workloads.size(); i++) {
    while (cur.workloads[i].clients > 1) {
      Scenario c = cur;
      c.workloads[i].clients = std::max(1, c.workloads[i].clients / 2);
      KZ_ASSIGN_OR_RETURN(bool fails, try_candidate(c));
      if (!fails) break;
      sh.step(result.steps, fmt::format("workload '{}': {} clients", c.workloads[i].name, c.workloads[i].clients));
      cur = std::move(c);
    }
    while (cur.workloads[i].rate_per_sec > 1) {
      Scenario c = cur;
      c.workloads[i].rate_per_sec = std::max(1.0, c.workloads[i].rate_per_sec / 2);
      KZ_ASSIGN_OR_RETURN(bool fails, try_candidate(c));
      if (!fails) break;
      sh.step(result.steps, fmt::format("workload '{}': {} operations per second per client", c.workloads[i].name,
                                        c.workloads[i].rate_per_sec));
      cur = std::move(c);
    }
  }

  // 4. A shorter run: end soon after the last fault heals.
  int64_t last_ms = 0;
  for (const FaultSpec& f : cur.faults) last_ms = std::max(last_ms, f.at_ms + f.duration_ms);
  for (int64_t margin_ms : {1000, 3000}) {
    int64_t shorter = ((last_ms + margin_ms + 999) / 1000) * 1000;
    if (shorter >= cur.duration_ms) continue;
    Scenario c = cur;
    c.duration_ms = shorter;
    KZ_ASSIGN_OR_RETURN(bool fails, try_candidate(c));
    if (fails) {
      sh.step(result.steps, fmt::format("duration {} ms", shorter));
      cur = std::move(c);
      break;
    }
  }

  KZ_ASSIGN_OR_RETURN(Trial last, sh.run(cur, cur_seed));
  KZ_ASSERT_MSG(last.fails, "the shrunk scenario must still fail");
  cur.name = original.name + "-shrunk";
  cur.description = fmt::format("shrunk from {} seed {}: fails '{}'", original.name, seed, result.checker);
  result.message = last.message;
  result.faults_after = cur.faults.size();
  result.seed = cur_seed;
  result.scenario = std::move(cur);
  result.runs = sh.runs();
  return result;
}

}  // namespace kz::testbed
