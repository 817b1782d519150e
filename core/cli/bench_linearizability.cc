// `kz bench linearizability`: how fast the Wing-Gong checker (sim/testbed/linearizability.h) decides
// register histories. It builds histories from a true register driven by C concurrent clients (each
// operation's interval is widened around its linearization point by up to `overlap` steps, so up to
// about C operations are concurrent), half reads and half CAS, with a share of CAS of unknown
// outcome, then times the check. Prints one JSON line; each figure is the median of --rounds.
#include <fmt/format.h>

#include <algorithm>
#include <cstdio>
#include <nlohmann/json.hpp>
#include <vector>

#include "core/cli/commands.h"
#include "core/io/rng.h"
#include "core/real/host.h"
#include "sim/testbed/linearizability.h"

namespace kz::cli {

namespace {

using testbed::lin::Operation;

std::vector<Operation> make_history(int ops, int clients, double unknown_share, uint64_t seed) {
  io::Rng rng(seed);
  std::vector<Operation> out;
  int64_t version = 0, value = 0;
  for (int i = 0; i < ops; i++) {
    int64_t t = 100 * static_cast<int64_t>(i);
    int64_t spread = 100 * clients;
    int64_t call = t - static_cast<int64_t>(rng.below(static_cast<uint64_t>(spread)));
    int64_t ret = t + static_cast<int64_t>(rng.below(static_cast<uint64_t>(spread)));
    Operation o{.id = static_cast<uint64_t>(i + 1), .call_ns = call, .return_ns = ret};
    if (rng.chance(0.5)) {
      o.kind = testbed::lin::kRead;
      o.a = version;
      o.b = value;
    } else if (rng.chance(unknown_share)) {
      o.kind = testbed::lin::kCasUnknown;
      o.a = version;
      o.c = i + 1;
      o.return_ns = testbed::lin::kPendingReturn;
      if (rng.chance(0.5)) {
        version++;
        value = i + 1;
      }
    } else {
      o.kind = testbed::lin::kCasOk;
      o.a = version;
      o.b = version + 1;
      o.c = i + 1;
      version++;
      value = i + 1;
    }
    out.push_back(o);
  }
  return out;
}

void register_bench_linearizability(CLI::App& app) {
  static int ops = 10'000;
  static int clients = 8;
  static double unknown = 0.02;
  static int rounds = 5;
  auto* cmd = bench_group(app)->add_subcommand(
      "linearizability",
      "Time the linearizability checker on generated register histories (one JSON line).\n"
      "Examples:\n  kz bench linearizability\n  kz bench linearizability --ops 100000 --clients 16");
  cmd->add_option("--ops", ops, "operations per history")->default_val(10'000);
  cmd->add_option("--clients", clients, "concurrent clients (operations overlapping)")->default_val(8);
  cmd->add_option("--unknown", unknown, "share of CAS operations with unknown outcome")->default_val(0.02);
  cmd->add_option("--rounds", rounds, "histories timed (median reported)")->default_val(5);
  cmd->callback([] {
    if (ops < 1 || clients < 1 || rounds < 1 || unknown < 0 || unknown > 1) {
      std::fprintf(stderr, "kz: --ops, --clients and --rounds must be >= 1, --unknown within [0, 1]\n");
      set_exit_code(2);
      return;
    }
    std::vector<double> ms;
    uint64_t steps = 0;
    bool all_ok = true;
    for (int r = 0; r < rounds; r++) {
      std::vector<Operation> h = make_history(ops, clients, unknown, static_cast<uint64_t>(r + 1));
      int64_t start = real::monotonic_ns();
      testbed::lin::Outcome out = testbed::lin::check(testbed::lin::register_model(0, 0), h);
      ms.push_back(static_cast<double>(real::monotonic_ns() - start) / 1e6);
      steps = out.steps;
      all_ok = all_ok && out.linearizable && out.decided;
    }
    std::sort(ms.begin(), ms.end());
    nlohmann::json j = {{"bench", "linearizability"}, {"ops", ops},           {"clients", clients},
                        {"unknown_share", unknown},   {"rounds", rounds},     {"median_ms", ms[ms.size() / 2]},
                        {"max_ms", ms.back()},        {"steps_last", steps}, {"all_linearizable", all_ok}};
    std::printf("%s\n", j.dump().c_str());
    set_exit_code(all_ok ? 0 : 1);
  });
}

}  // namespace

KZ_COMMAND("bench-linearizability", register_bench_linearizability);

}  // namespace kz::cli
