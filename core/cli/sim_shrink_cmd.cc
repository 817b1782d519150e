// `kz sim shrink DIR|BUNDLE`: cuts a failing run down to a minimal scenario file with explicit
// faults that still fails the same checker (see sim/testbed/shrink.h), prints it and the command
// that reproduces it, and ends with one JSON summary line. Exit: 0 shrunk, 2 bad input (not a
// failing run, or the failure does not survive being made explicit).
#include <fmt/format.h>

#include <cstdio>
#include <nlohmann/json.hpp>
#include <string>

#include "core/cli/commands.h"
#include "core/real/host.h"
#include "sim/testbed/shrink.h"

namespace kz::cli {

namespace {

struct ShrinkArgs {
  std::string target;
  std::string out;
  std::string checker;
  int max_runs = 400;
  bool quiet = false;
};

int fail_input(const std::string& message) {
  std::fprintf(stderr, "kz: %s\n", message.c_str());
  return 2;
}

int cmd_shrink(const ShrinkArgs& args) {
  bool is_dir = real::is_directory(args.target);
  std::string summary_path = is_dir ? args.target + "/summary.json" : args.target;
  Result<std::string> text = real::read_text_file(summary_path);
  if (!text.is_ok()) return fail_input(text.status().message());
  nlohmann::json recorded = nlohmann::json::parse(*text, nullptr, /*allow_exceptions=*/false);
  if (recorded.is_discarded() || !recorded.is_object() || !recorded.contains("seed") ||
      !recorded.contains("scenario_text")) {
    return fail_input(summary_path + ": not a kz run summary (needs seed and scenario_text)");
  }
  std::string scenario_path = recorded.value("scenario_path", std::string("scenario.toml"));
  Result<testbed::Scenario> scenario =
      testbed::parse_scenario(recorded["scenario_text"].get<std::string>(), scenario_path);
  if (!scenario.is_ok()) return fail_input(scenario.status().message());
  testbed::ShrinkOptions options;
  options.checker = args.checker;
  options.max_runs = args.max_runs;
  bool tty = real::stderr_is_tty() && !args.quiet;
  options.progress = [tty](const std::string& line) {
    if (tty) std::fprintf(stderr, "shrink: %s\n", line.c_str());
  };
  uint64_t seed = recorded["seed"].get<uint64_t>();
  Result<testbed::ShrinkResult> r = testbed::shrink_failure(*scenario, seed, options);
  if (!r.is_ok()) return fail_input(r.status().message());
  std::string toml = testbed::scenario_to_toml(r->scenario);
  std::string out = args.out;
  if (out.empty()) out = is_dir ? args.target + "/shrunk.toml" : "shrunk.toml";
  toml = fmt::format("# Shrunk by `kz sim shrink` from {} seed {} ({} trial runs): {} of {} faults remain.\n"
                     "# Still fails '{}': {}\n# Reproduce: kz sim run {} --seed {}\n",
                     recorded.value("scenario", scenario->name), seed, r->runs, r->faults_after, r->faults_before,
                     r->checker, r->message, out, r->seed) +
         toml;
  if (Status st = real::write_text_file(out, toml); !st.is_ok()) return fail_input(st.message());
  std::string command = fmt::format("kz sim run {} --seed {}", out, r->seed);
  if (!args.quiet) {
    std::fprintf(stderr, "%s\n", toml.c_str());
    std::fprintf(stderr, "shrunk: %zu of %zu faults remain after %d runs; still fails %s\nreproduce with: %s\n",
                 r->faults_after, r->faults_before, r->runs, r->checker.c_str(), command.c_str());
  }
  nlohmann::json summary = {{"result", "shrunk"},         {"checker", r->checker},
                            {"message", r->message},       {"faults_before", r->faults_before},
                            {"faults_after", r->faults_after}, {"runs", r->runs},
                            {"seed", r->seed},             {"scenario_file", out},
                            {"steps", r->steps},           {"command", command}};
  std::printf("%s\n", summary.dump().c_str());
  return 0;
}

void register_sim_shrink(CLI::App& app) {
  CLI::App* sim = nullptr;
  for (CLI::App* sub : app.get_subcommands([](CLI::App* a) { return a->get_name() == "sim"; })) sim = sub;
  if (sim == nullptr) return;
  static ShrinkArgs args;
  auto* shrink = sim->add_subcommand(
      "shrink",
      "Shrink a failing run (a run directory or its summary.json) to a minimal scenario: the faults\n"
      "that fired become an explicit schedule, delta debugging drops every fault not needed to fail\n"
      "the same checker, then workloads, clients, rates and the duration are cut while it still fails.\n"
      "Writes the minimal scenario (default: <run dir>/shrunk.toml) and prints how to run it.\n"
      "Examples:\n"
      "  kz sim shrink kz-runs/zk-unsafe-ensemble-forcesync-no/seed-3\n"
      "  kz sim shrink run/summary.json --checker linearizable --out minimal.toml");
  shrink->add_option("run", args.target, "failing run directory or summary.json bundle")->required();
  shrink->add_option("--out", args.out, "where to write the minimal scenario");
  shrink->add_option("--checker", args.checker, "the checker that must keep failing (default: the first failed)");
  shrink->add_option("--max-runs", args.max_runs, "trial runs at most")->default_val(400);
  shrink->add_flag("--quiet", args.quiet, "print only the JSON line");
  shrink->callback([] { set_exit_code(cmd_shrink(args)); });
}

}  // namespace

// Registered after "sim" (commands register in name order) and added to its group.
KZ_COMMAND("sim-shrink", register_sim_shrink);

}  // namespace kz::cli
