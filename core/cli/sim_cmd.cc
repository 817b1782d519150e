// `kz sim run | explore | replay`: run scenario files on the simulated cluster.
// Every command ends with one JSON summary line on stdout. Exit codes: 0 pass, 1 a checker found a
// violation, 2 bad input (the message names the file, line and problem), 3 a replay did not
// reproduce the recorded trace.
#include <fmt/format.h>
#include <time.h>

#include <algorithm>
#include <cstdio>
#include <map>
#include <nlohmann/json.hpp>
#include <set>
#include <string>

#include "core/cli/commands.h"
#include "core/io/probes.h"
#include "core/real/host.h"
#include "reports/report_files.h"
#include "sim/testbed/runner.h"

namespace kz::cli {

namespace {

constexpr int kExitPass = 0;
constexpr int kExitViolation = 1;
constexpr int kExitBadInput = 2;
constexpr int kExitNotReproduced = 3;
// explore draws report.html for at most this many failing seeds.
constexpr size_t kExploreReportsMax = 20;
// Run directories kept for the lowest failing seeds (about 1 MB each): an exploration of a known-unsafe
// setup fails nearly every seed, and 100,000 of them would fill a disk. The others replay from
// `kz sim run FILE --seed N`.
constexpr size_t kExploreRunDirsMax = 100;

struct RunArgs {
  std::string scenario_path;
  uint64_t seed = 1;
  std::string out_dir;
  bool no_out = false;
  bool verbose = false;
  std::string log_level = "info";
  bool check_determinism = false;
  bool quiet = false;  // only the JSON line (explore's children)
  bool no_report = false;
};

int bad_input(const std::string& message) {
  std::fprintf(stderr, "kz: %s\n", message.c_str());
  return kExitBadInput;
}

Result<testbed::Scenario> load(const std::string& path) {
  Result<std::string> text = real::read_text_file(path);
  if (!text.is_ok()) return text.status();
  return testbed::parse_scenario(*text, path);
}

std::string shell_quote(const std::string& s) {
  if (s.find_first_of(" '\"$\\") == std::string::npos) return s;
  std::string out = "'";
  for (char c : s) {
    if (c == '\'') out += "'\\''";
    else out += c;
  }
  return out + "'";
}

std::string default_run_dir(const testbed::Scenario& s, uint64_t seed) {
  return fmt::format("kz-runs/{}/seed-{}", s.name, seed);
}

Status write_run_dir(const std::string& dir, const testbed::Scenario& scenario, const testbed::RunReport& report,
                     const nlohmann::json& summary) {
  KZ_RETURN_IF_ERROR(real::make_dirs(dir));
  KZ_RETURN_IF_ERROR(real::write_text_file(dir + "/summary.json", summary.dump(2) + "\n"));
  KZ_RETURN_IF_ERROR(real::write_text_file(dir + "/scenario.toml", scenario.text));
  KZ_RETURN_IF_ERROR(real::write_text_file(dir + "/history.jsonl", report.history_jsonl));
  KZ_RETURN_IF_ERROR(real::write_text_file(dir + "/events.jsonl", report.events_jsonl));
  KZ_RETURN_IF_ERROR(real::write_text_file(dir + "/log.txt", report.log_text));
  return Status::ok();
}

// Writes DIR/report.html; a report that cannot be written is a warning, not a failed run.
bool write_report(const std::string& dir, bool quiet) {
  Result<std::string> path = reports::write_run_report(dir, reports::host_dot_renderer());
  if (!path.is_ok()) {
    std::fprintf(stderr, "kz: warning: no report for %s: %s\n", dir.c_str(), path.status().message().c_str());
    return false;
  }
  if (!quiet) std::fprintf(stderr, "report: %s\n", path->c_str());
  return true;
}

// CPU time of this thread (the simulation runs on it alone): on a shared machine wall time also
// counts time spent waiting for a core.
int64_t thread_cpu_ns() {
  timespec ts;
  clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
  return static_cast<int64_t>(ts.tv_sec) * 1'000'000'000 + ts.tv_nsec;
}

// Runs one seed; returns the summary JSON (with wall time) or an error.
Result<nlohmann::json> run_once(const testbed::Scenario& scenario, uint64_t seed, const RunArgs& args,
                                testbed::RunReport* report_out) {
  testbed::RunOptions options;
  options.echo_log = args.verbose;
  parse_level(args.log_level, &options.echo_level);
  options.keep_log_text = !args.no_out;
  options.keep_jsonl = !args.no_out;  // rendering the history costs a sixth of a busy run
#if !defined(__SANITIZE_ADDRESS__)
  options.skip_teardown = true;  // this process ends after at most two runs (--check-determinism)
#endif
  int64_t start = real::monotonic_ns();
  int64_t cpu_start = thread_cpu_ns();
  KZ_ASSIGN_OR_RETURN(testbed::RunReport report, testbed::run_scenario(scenario, seed, options));
  int64_t wall_ms = (real::monotonic_ns() - start) / 1'000'000;
  int64_t cpu_ms = (thread_cpu_ns() - cpu_start) / 1'000'000;
  nlohmann::json summary = report.summary();
  summary["wall_ms"] = wall_ms;
  summary["speedup"] = wall_ms > 0 ? static_cast<double>(report.sim_ms) / static_cast<double>(wall_ms) : 0.0;
  summary["cpu_ms"] = cpu_ms;
  summary["cpu_speedup"] = cpu_ms > 0 ? static_cast<double>(report.sim_ms) / static_cast<double>(cpu_ms) : 0.0;
  summary["scenario"] = scenario.name;
  summary["scenario_path"] = scenario.path;
  summary["scenario_hash"] = fmt::format("{:016x}", testbed::scenario_hash(scenario.text));
  summary["build"] = real::self_build_id();
  if (report_out != nullptr) *report_out = std::move(report);
  return summary;
}

int cmd_run(const RunArgs& args) {
  Result<testbed::Scenario> scenario = load(args.scenario_path);
  if (!scenario.is_ok()) return bad_input(scenario.status().message());
  if (Status st = testbed::validate_scenario(*scenario); !st.is_ok()) return bad_input(st.message());

  testbed::RunReport report;
  Result<nlohmann::json> summary = run_once(*scenario, args.seed, args, &report);
  if (!summary.is_ok()) return bad_input(summary.status().message());
  if (args.check_determinism) {
    Result<nlohmann::json> again = run_once(*scenario, args.seed, args, nullptr);
    if (!again.is_ok()) return bad_input(again.status().message());
    bool same = (*again)["trace_hash"] == (*summary)["trace_hash"];
    (*summary)["determinism"] = same ? "same trace hash in two runs" : "TRACE HASH DIFFERS between two runs";
    if (!same) {
      std::fprintf(stderr, "kz: nondeterminism: seed %llu gave trace hashes %s and %s\n",
                   static_cast<unsigned long long>(args.seed), (*summary)["trace_hash"].get<std::string>().c_str(),
                   (*again)["trace_hash"].get<std::string>().c_str());
      (*summary)["result"] = "fail";
    }
  }
  std::string dir = args.out_dir.empty() ? default_run_dir(*scenario, args.seed) : args.out_dir;
  if (!args.no_out) {
    (*summary)["run_dir"] = dir;
    (*summary)["replay"] = fmt::format("kz sim replay {}", shell_quote(dir));
    nlohmann::json stored = *summary;
    stored["scenario_text"] = scenario->text;  // a summary.json alone is a replay bundle
    if (Status st = write_run_dir(dir, *scenario, report, stored); !st.is_ok()) return bad_input(st.message());
    if (!args.no_report) write_report(dir, args.quiet);
  }
  bool pass = (*summary)["result"] == "pass";
  if (!args.quiet) {
    for (const testbed::Verdict& v : report.verdicts) {
      std::fprintf(stderr, "%s %s: %s\n", v.ok ? "ok  " : "FAIL", v.checker.c_str(), v.message.c_str());
    }
    if (!pass) {
      std::fprintf(stderr, "reproduce with: kz sim run %s --seed %llu%s\n", shell_quote(args.scenario_path).c_str(),
                   static_cast<unsigned long long>(args.seed),
                   args.no_out ? "" : fmt::format("   (or: kz sim replay {})", shell_quote(dir)).c_str());
      if (!args.no_out) {
        std::fprintf(stderr, "shrink with:    kz sim shrink %s   (a minimal scenario that still fails)\n",
                     shell_quote(dir).c_str());
      }
    }
    if (!args.no_out) std::fprintf(stderr, "run directory: %s\n", dir.c_str());
  }
  std::printf("%s\n", summary->dump().c_str());
  return pass ? kExitPass : kExitViolation;
}

// ---- replay

int cmd_replay(const std::string& target, bool verbose) {
  std::string summary_path = real::is_directory(target) ? target + "/summary.json" : target;
  Result<std::string> text = real::read_text_file(summary_path);
  if (!text.is_ok()) return bad_input(text.status().message());
  nlohmann::json recorded = nlohmann::json::parse(*text, nullptr, /*allow_exceptions=*/false);
  if (recorded.is_discarded() || !recorded.is_object() || !recorded.contains("seed") ||
      !recorded.contains("scenario_text") || !recorded.contains("trace_hash")) {
    return bad_input(summary_path + ": not a kz run summary (needs seed, trace_hash and scenario_text)");
  }
  std::string scenario_path = recorded.value("scenario_path", std::string("scenario.toml"));
  Result<testbed::Scenario> scenario =
      testbed::parse_scenario(recorded["scenario_text"].get<std::string>(), scenario_path);
  if (!scenario.is_ok()) return bad_input(scenario.status().message());
  RunArgs args;
  args.verbose = verbose;
  args.no_out = true;
  uint64_t seed = recorded["seed"].get<uint64_t>();
  Result<nlohmann::json> summary = run_once(*scenario, seed, args, nullptr);
  if (!summary.is_ok()) return bad_input(summary.status().message());
  bool same = (*summary)["trace_hash"] == recorded["trace_hash"];
  (*summary)["recorded_trace_hash"] = recorded["trace_hash"];
  (*summary)["reproduced"] = same;
  if (!same) {
    std::string why = "the simulation took a different path";
    if (recorded.value("build", std::string()) != real::self_build_id()) {
      why = fmt::format("the run was recorded by another build ({}; this is {})", recorded.value("build", "?"),
                        real::self_build_id());
    }
    std::fprintf(stderr, "kz: replay did NOT reproduce the recorded trace hash: %s\n", why.c_str());
    (*summary)["why_not"] = why;
  } else {
    std::fprintf(stderr, "replay reproduced trace hash %s; verdict: %s (recorded: %s)\n",
                 recorded["trace_hash"].get<std::string>().c_str(), (*summary)["result"].get<std::string>().c_str(),
                 recorded.value("result", "?").c_str());
  }
  if (real::is_directory(target) && real::path_exists(target + "/history.jsonl")) write_report(target, false);
  std::printf("%s\n", summary->dump().c_str());
  if (!same) return kExitNotReproduced;
  return (*summary)["result"] == "pass" ? kExitPass : kExitViolation;
}

// ---- explore

struct ExploreArgs {
  std::string scenario_path;
  std::string seeds = "1..100";
  int jobs = 2;
  std::string shard = "0/1";
  double time_budget_s = 0;
  std::string out_dir;
  bool keep_passing = false;
};

// The JSON summary a `kz sim run` child prints as its last line (a discarded value if there is none).
nlohmann::json last_json_line(const std::string& text) {
  size_t end = text.find_last_not_of('\n');
  if (end == std::string::npos) return nlohmann::json::parse("", nullptr, false);
  size_t begin = text.rfind('\n', end);
  begin = begin == std::string::npos ? 0 : begin + 1;
  return nlohmann::json::parse(text.substr(begin, end - begin + 1), nullptr, false);
}

int cmd_explore(const ExploreArgs& args) {
  Result<testbed::Scenario> scenario = load(args.scenario_path);
  if (!scenario.is_ok()) return bad_input(scenario.status().message());
  if (Status st = testbed::validate_scenario(*scenario); !st.is_ok()) return bad_input(st.message());
  uint64_t first = 0, last = 0;
  if (std::sscanf(args.seeds.c_str(), "%lu..%lu", &first, &last) != 2 || last < first) {
    return bad_input(fmt::format("--seeds '{}': expected A..B with A <= B", args.seeds));
  }
  uint64_t shard_index = 0, shard_count = 1;
  if (std::sscanf(args.shard.c_str(), "%lu/%lu", &shard_index, &shard_count) != 2 || shard_count == 0 ||
      shard_index >= shard_count) {
    return bad_input(fmt::format("--shard '{}': expected I/N with 0 <= I < N", args.shard));
  }
  std::string out = args.out_dir.empty() ? fmt::format("kz-runs/{}/explore", scenario->name) : args.out_dir;
  if (Status st = real::make_dirs(out); !st.is_ok()) return bad_input(st.message());

  std::vector<uint64_t> seeds;
  for (uint64_t s = first; s <= last; s++) {
    if (s % shard_count == shard_index) seeds.push_back(s);
  }
  std::string exe = real::self_exe_path();
  int64_t start = real::monotonic_ns();
  bool tty = real::stderr_is_tty();
  size_t next = 0, finished = 0, failed = 0;
  bool out_of_time = false;
  nlohmann::json results = nlohmann::json::array();
  nlohmann::json failures = nlohmann::json::array();
  std::map<std::string, uint64_t> probes_hit;
  Status st = real::run_children(
      args.jobs,
      [&](std::vector<std::string>* argv) {
        if (next >= seeds.size()) return false;
        if (args.time_budget_s > 0 &&
            static_cast<double>(real::monotonic_ns() - start) / 1e9 > args.time_budget_s) {
          out_of_time = true;
          return false;
        }
        uint64_t seed = seeds[next++];
        // Children write no report (a dot process per seed would slow exploring); the failures get
        // theirs below. Nor, unless --keep-passing, a run directory: rendering and writing a run's
        // history is ~30% of a seed's time; a failing seed is run again below to write its own.
        *argv = {exe, "sim", "run", args.scenario_path, "--seed", std::to_string(seed), "--quiet", "--no-report"};
        if (args.keep_passing) {
          argv->insert(argv->end(), {"--out", fmt::format("{}/seed-{}", out, seed)});
        } else {
          argv->push_back("--no-out");
        }
        return true;
      },
      [&](size_t index, const Result<real::ChildResult>& r) {
        finished++;
        uint64_t seed = seeds[index];
        nlohmann::json line;
        if (r.is_ok()) {
          line = last_json_line(r->stdout_text);
        }
        if (!r.is_ok() || line.is_discarded() || !line.is_object()) {
          line = {{"seed", seed}, {"result", "error"},
                  {"error", r.is_ok() ? fmt::format("exit {} without a summary", r->exit_code) : r.status().message()}};
        }
        if (line.contains("probes") && line["probes"].is_object()) {
          for (auto& [name, count] : line["probes"].items()) probes_hit[name] += count.get<uint64_t>();
        }
        results.push_back(line);
        if (line.value("result", "") != "pass") {
          failed++;
          failures.push_back({{"seed", seed}, {"result", line.value("result", "")},
                              {"run_dir", fmt::format("{}/seed-{}", out, seed)},
                              {"replay", fmt::format("kz sim replay {}/seed-{}", out, seed)}});
        }
        if (tty) {
          double elapsed = static_cast<double>(real::monotonic_ns() - start) / 1e9;
          std::fprintf(stderr, "\rexplore %s: %zu/%zu seeds, %zu failed, %.0fs", scenario->name.c_str(), finished,
                       seeds.size(), failed, elapsed);
          std::fflush(stderr);
        }
      },
      /*quiet_stderr=*/true);
  if (tty) std::fprintf(stderr, "\n");
  if (!st.is_ok()) return bad_input(st.message());
  std::stable_sort(failures.begin(), failures.end(),
                   [](const nlohmann::json& a, const nlohmann::json& b) { return a["seed"] < b["seed"]; });
  if (!args.keep_passing && !failures.empty()) {
    // The lowest failing seeds again, now writing their run directories (same seed, same run: the
    // trace hash must match the first run's). The rest keep a command that runs them again.
    for (size_t i = kExploreRunDirsMax; i < failures.size(); i++) {
      failures[i].erase("run_dir");
      failures[i]["replay"] = fmt::format("kz sim run {} --seed {}", args.scenario_path, failures[i]["seed"].get<uint64_t>());
    }
    std::map<uint64_t, std::string> first_hash;
    for (const nlohmann::json& r : results) first_hash[r.value("seed", uint64_t{0})] = r.value("trace_hash", "");
    size_t next_failure = 0;
    Status again = real::run_children(
        args.jobs,
        [&](std::vector<std::string>* argv) {
          if (next_failure >= std::min(failures.size(), kExploreRunDirsMax)) return false;
          uint64_t seed = failures[next_failure++]["seed"].get<uint64_t>();
          *argv = {exe, "sim", "run", args.scenario_path, "--seed", std::to_string(seed), "--quiet", "--no-report",
                   "--out", fmt::format("{}/seed-{}", out, seed)};
          return true;
        },
        [&](size_t index, const Result<real::ChildResult>& r) {
          uint64_t seed = failures[index]["seed"].get<uint64_t>();
          if (!r.is_ok()) return;
          nlohmann::json line = last_json_line(r->stdout_text);
          std::string hash = line.is_object() ? line.value("trace_hash", "") : "";
          if (!hash.empty() && !first_hash[seed].empty() && hash != first_hash[seed]) {
            std::fprintf(stderr, "kz: warning: seed %llu ran differently the second time (trace %s, then %s)\n",
                         static_cast<unsigned long long>(seed), first_hash[seed].c_str(), hash.c_str());
          }
        },
        /*quiet_stderr=*/true);
    if (!again.is_ok()) return bad_input(again.message());
  }
  // Which results have a run directory (the index links only those).
  std::set<uint64_t> with_dir;
  for (const nlohmann::json& f : failures) {
    if (f.contains("run_dir")) with_dir.insert(f["seed"].get<uint64_t>());
  }
  for (nlohmann::json& r : results) {
    uint64_t seed = r.value("seed", uint64_t{0});
    if (with_dir.count(seed) && !r.contains("run_dir")) r["run_dir"] = fmt::format("{}/seed-{}", out, seed);
  }
  // Reports for the lowest failing seeds (each takes a dot process and about a megabyte); the others
  // can be drawn later with `kz sim report`.
  for (size_t i = 0; i < failures.size() && i < kExploreReportsMax; i++) {
    std::string dir = failures[i]["run_dir"].get<std::string>();
    if (write_report(dir, /*quiet=*/true)) {
      failures[i]["report"] = fmt::format("seed-{}/report.html", failures[i]["seed"].get<uint64_t>());
    }
  }
  double wall_s = static_cast<double>(real::monotonic_ns() - start) / 1e9;
  nlohmann::json summary = {{"scenario", scenario->name},
                            {"seeds", args.seeds},
                            {"shard", args.shard},
                            {"runs", finished},
                            {"passed", finished - failed},
                            {"failed", failed},
                            {"failures", failures},
                            {"out_of_time", out_of_time},
                            {"kept_passing", args.keep_passing},
                            {"wall_ms", static_cast<int64_t>(wall_s * 1000)},
                            {"seeds_per_hour", wall_s > 0 ? static_cast<double>(finished) * 3600.0 / wall_s : 0.0},
                            {"result", failed == 0 ? "pass" : "fail"}};
  // Code probes (core/io/probes.h) that no seed reached: paths this exploration never tested.
  nlohmann::json never = nlohmann::json::array();
  for (std::string_view p : io::kProbes) {
    if (probes_hit.count(std::string(p)) == 0) never.push_back(p);
  }
  summary["probes_never_hit"] = never;
  nlohmann::json file = summary;
  file["probes_hit"] = probes_hit;
  file["results"] = results;
  if (Status w = real::write_text_file(out + "/explore.json", file.dump(2) + "\n"); !w.is_ok()) {
    return bad_input(w.message());
  }
  if (Result<std::string> index = reports::write_explore_index(out); !index.is_ok()) {
    std::fprintf(stderr, "kz: warning: no index.html: %s\n", index.status().message().c_str());
  } else {
    std::fprintf(stderr, "index: %s\n", index->c_str());
  }
  for (auto& f : failures) std::fprintf(stderr, "FAIL seed %s: %s\n", f["seed"].dump().c_str(), f["replay"].get<std::string>().c_str());
  std::printf("%s\n", summary.dump().c_str());
  return failed == 0 ? kExitPass : kExitViolation;
}

// ---- report

int cmd_report(const std::string& dir) {
  bool run_dir = real::path_exists(dir + "/summary.json");
  bool explore_dir = real::path_exists(dir + "/explore.json");
  if (!run_dir && !explore_dir) {
    return bad_input(dir + ": neither a run directory (summary.json) nor an explore directory (explore.json)");
  }
  if (run_dir) {
    Result<std::string> path = reports::write_run_report(dir, reports::host_dot_renderer());
    if (!path.is_ok()) return bad_input(path.status().message());
    std::fprintf(stderr, "report: %s\n", path->c_str());
  }
  if (explore_dir) {
    Result<std::string> path = reports::write_explore_index(dir);
    if (!path.is_ok()) return bad_input(path.status().message());
    std::fprintf(stderr, "index: %s\n", path->c_str());
  }
  return kExitPass;
}

void register_sim(CLI::App& app) {
  auto* sim = app.add_subcommand("sim", "Run scenario files on the simulated cluster.\n"
                                        "Examples:\n"
                                        "  kz sim run scenarios/zk-leader-crash.toml --seed 7\n"
                                        "  kz sim explore scenarios/zk-leader-crash.toml --seeds 1..200 --jobs 2\n"
                                        "  kz sim replay kz-runs/zk-leader-crash/seed-7\n"
                                        "  kz sim report kz-runs/zk-leader-crash/seed-7   # (re)draws report.html");
  sim->require_subcommand(1);

  static RunArgs run_args;
  auto* run = sim->add_subcommand("run", "Run one scenario with one seed; print a JSON summary line.\n"
                                         "Exit: 0 pass, 1 violation, 2 bad input.\n"
                                         "Example:\n  kz sim run scenarios/echo-partition.toml --seed 3 --out /tmp/run3");
  run->add_option("scenario", run_args.scenario_path, "scenario file (TOML)")->required();
  run->add_option("--seed", run_args.seed, "the seed that decides everything")->default_val(1);
  run->add_option("--out", run_args.out_dir, "run directory (default kz-runs/<name>/seed-<N>)");
  run->add_flag("--no-out", run_args.no_out, "write no run directory");
  run->add_flag("--verbose,-v", run_args.verbose, "print the cluster's log lines on stderr");
  run->add_option("--log-level", run_args.log_level, "with --verbose: debug, info, warn, error");
  run->add_flag("--check-determinism", run_args.check_determinism, "run twice and compare trace hashes");
  run->add_flag("--quiet", run_args.quiet, "print only the JSON line");
  run->add_flag("--no-report", run_args.no_report, "write the run directory without report.html");
  run->callback([] { set_exit_code(cmd_run(run_args)); });

  static ExploreArgs ex;
  auto* explore = sim->add_subcommand(
      "explore", "Run a scenario over many seeds in parallel processes; write explore.json.\n"
                 "Examples:\n  kz sim explore scenarios/zk-partition.toml --seeds 1..1000 --jobs 2\n"
                 "  kz sim explore s.toml --seeds 1..100000 --shard 3/8 --time-budget 3600");
  explore->add_option("scenario", ex.scenario_path, "scenario file (TOML)")->required();
  explore->add_option("--seeds", ex.seeds, "seed range A..B")->default_val("1..100");
  explore->add_option("--jobs,-j", ex.jobs, "parallel processes")->default_val(2);
  explore->add_option("--shard", ex.shard, "I/N: run only seeds with seed % N == I")->default_val("0/1");
  explore->add_option("--time-budget", ex.time_budget_s, "stop starting new seeds after S seconds");
  explore->add_option("--out", ex.out_dir, "directory for explore.json and run directories");
  explore->add_flag("--keep-passing", ex.keep_passing,
                    "keep the run directories of passing seeds too (by default only failures keep theirs)");
  explore->callback([] { set_exit_code(cmd_explore(ex)); });

  static std::string replay_target;
  static bool replay_verbose = false;
  auto* replay = sim->add_subcommand("replay", "Re-run a recorded run (a run directory or its summary.json) and\n"
                                               "check that it reproduces the same trace hash.\n"
                                               "Exit: 0/1 the verdict, 3 not reproduced.\n"
                                               "Example:\n  kz sim replay kz-runs/echo-partition/seed-3");
  replay->add_option("run", replay_target, "run directory or summary.json bundle")->required();
  replay->add_flag("--verbose,-v", replay_verbose, "print the cluster's log lines on stderr");
  replay->callback([] { set_exit_code(cmd_replay(replay_target, replay_verbose)); });

  static std::string report_dir;
  auto* report = sim->add_subcommand("report", "(Re-)render the HTML report of a run directory (report.html) or the\n"
                                               "index of an explore directory (index.html) from its files.\n"
                                               "Graphviz's dot draws the cluster pictures when it is installed.\n"
                                               "Examples:\n  kz sim report kz-runs/zk-leader-crash/seed-7\n"
                                               "  kz sim report kz-runs/zk-leader-crash/explore");
  report->add_option("dir", report_dir, "run directory or explore directory")->required();
  report->callback([] { set_exit_code(cmd_report(report_dir)); });
}

}  // namespace

KZ_COMMAND("sim", register_sim);

}  // namespace kz::cli
