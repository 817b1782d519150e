// `kz bench runtime`: how fast the scheduler and the simulator are. Prints one JSON line:
//   fiber_switch_ns            one context switch: two fibers yield to each other; each yield is two
//                              switches (fiber -> scheduler -> next fiber), reported as yield_handoff_ns
//   timer_events_per_sec       timers added and fired through the heap (1024 pending at a time)
//   sim_pingpong_deliveries_per_sec   one message bounced between two simulated nodes over a link
//   sim_fanin_deliveries_per_sec      many client nodes sending to one server node
//   real_loopback_round_trips_per_sec a 64-byte echo over real TCP on 127.0.0.1
// Each figure is the median of --rounds runs. A benchmark, not a test: no thresholds here
// (targets are recorded in docs/performance.md).
#include <fmt/format.h>

#include <algorithm>
#include <cstdio>
#include <nlohmann/json.hpp>
#include <vector>

#include "core/cli/commands.h"
#include "core/real/host.h"
#include "core/real/real_runtime.h"
#include "core/runtime/sync.h"
#include "sim/world.h"

namespace kz::cli {

namespace {

class BenchDriver final : public rt::Driver {
 public:
  int64_t now_ns() override { return now_; }
  bool idle(int64_t deadline_ns) override {
    if (deadline_ns == kNever) return false;
    now_ = std::max(now_, deadline_ns);
    return true;
  }
  int64_t now_ = 0;
};

double median(std::vector<double> v) {
  std::sort(v.begin(), v.end());
  return v[v.size() / 2];
}

double seconds_since(int64_t start_ns) { return static_cast<double>(real::monotonic_ns() - start_ns) / 1e9; }

double bench_fiber_switch(int64_t switches) {
  BenchDriver d;
  rt::Scheduler s(d);
  rt::TaskGroup g(s, "bench");
  for (int f = 0; f < 2; f++) {
    g.spawn("yielder", [&s, switches] {
      for (int64_t i = 0; i < switches / 2; i++) s.yield();
    });
  }
  int64_t start = real::monotonic_ns();
  s.run_until();
  return static_cast<double>(real::monotonic_ns() - start) / static_cast<double>(switches);  // per yield
}

double bench_timers(int64_t events) {
  BenchDriver d;
  rt::Scheduler s(d);
  int64_t fired = 0;
  uint64_t x = 88172645463325252ULL;
  std::function<void()> fire;
  fire = [&] {
    fired++;
    if (fired + 1024 <= events) {
      x ^= x << 13, x ^= x >> 7, x ^= x << 17;
      s.add_timer(d.now_ + static_cast<int64_t>(x % 1'000'000), fire);
    }
  };
  for (int i = 0; i < 1024; i++) s.add_timer(i, fire);
  int64_t start = real::monotonic_ns();
  s.run_until();
  return static_cast<double>(fired) / seconds_since(start);
}

// One message of `size` bytes bounced between two nodes `messages` times.
double bench_sim_pingpong(int64_t messages) {
  sim::World world(sim::WorldOptions{.seed = 1});
  sim::NetOptions& opts = world.net().mutable_options();
  opts.short_read_probability = 0;
  world.add_node("server").start([](io::Env& env) {
    auto l = env.net->listen(io::Address{"server", 9});
    KZ_ASSERT(l.is_ok());
    auto s = (*l)->accept();
    KZ_ASSERT(s.is_ok());
    uint8_t buf[64];
    for (;;) {
      if (!(*s)->read_exact(buf).is_ok()) return;
      if (!(*s)->write_all(buf).is_ok()) return;
    }
  });
  world.add_node("client").start([messages](io::Env& env) {
    env.clock->sleep_for(kNsPerMs);
    auto s = env.net->connect(io::Address{"server", 9});
    KZ_ASSERT(s.is_ok());
    uint8_t buf[64] = {};
    for (int64_t i = 0; i < messages / 2; i++) {
      KZ_ASSERT((*s)->write_all(buf).is_ok());
      KZ_ASSERT((*s)->read_exact(buf).is_ok());
    }
    (*s)->close();
  });
  uint64_t before = world.net().deliveries();
  int64_t start = real::monotonic_ns();
  world.run_until(kNever);
  double secs = seconds_since(start);
  return static_cast<double>(world.net().deliveries() - before) / secs;
}

// `clients` client nodes each send `per_client` 64-byte messages to one server that reads them all.
double bench_sim_fanin(int clients, int64_t per_client) {
  sim::World world(sim::WorldOptions{.seed = 2});
  world.net().mutable_options().short_read_probability = 0;
  world.add_node("server").start([](io::Env& env) {
    auto l = env.net->listen(io::Address{"server", 9});
    KZ_ASSERT(l.is_ok());
    for (;;) {
      auto s = (*l)->accept();
      if (!s.is_ok()) return;
      auto conn = std::make_shared<std::unique_ptr<io::Stream>>(std::move(*s));
      env.spawn("reader", [conn] {
        uint8_t buf[4096];
        for (;;) {
          auto n = (*conn)->read_some(buf);
          if (!n.is_ok() || *n == 0) return;
        }
      });
    }
  });
  for (int c = 0; c < clients; c++) {
    world.add_node(fmt::format("c{}", c)).start([per_client](io::Env& env) {
      env.clock->sleep_for(kNsPerMs);
      auto s = env.net->connect(io::Address{"server", 9});
      KZ_ASSERT(s.is_ok());
      uint8_t buf[64] = {};
      for (int64_t i = 0; i < per_client; i++) {
        KZ_ASSERT((*s)->write_all(buf).is_ok());
        if (i % 16 == 15) env.clock->sleep_for(50 * kNsPerUs);
      }
      (*s)->close();
    });
  }
  uint64_t before = world.net().deliveries();
  int64_t start = real::monotonic_ns();
  world.run_until(kNever);
  world.node("server")->group().kill();
  return static_cast<double>(world.net().deliveries() - before) / seconds_since(start);
}

Result<double> bench_real_loopback(int64_t round_trips) {
  real::RealRuntimeOptions options;
  options.node = "bench";
  options.log_level = Level::kError;
  options.handle_signals = false;
  KZ_ASSIGN_OR_RETURN(std::unique_ptr<real::RealRuntime> rt, real::RealRuntime::create(options));
  io::Env& env = rt->env();
  KZ_ASSIGN_OR_RETURN(std::unique_ptr<io::Listener> listener, env.net->listen(io::Address{"127.0.0.1", 0}));
  io::Address addr = listener->address();
  double rate = 0;
  env.spawn("server", [&] {
    auto s = listener->accept();
    if (!s.is_ok()) return;
    uint8_t buf[64];
    for (;;) {
      if (!(*s)->read_exact(buf).is_ok()) return;
      if (!(*s)->write_all(buf).is_ok()) return;
    }
  });
  env.spawn("client", [&] {
    auto s = env.net->connect(addr);
    if (!s.is_ok()) return;
    uint8_t buf[64] = {};
    int64_t start = real::monotonic_ns();
    for (int64_t i = 0; i < round_trips; i++) {
      if (!(*s)->write_all(buf).is_ok() || !(*s)->read_exact(buf).is_ok()) return;
    }
    rate = static_cast<double>(round_trips) / seconds_since(start);
    (*s)->close();
    listener->close();
  });
  rt->run_for(60 * kNsPerSec);
  if (rate == 0) return Status(Code::kIoError, "loopback echo did not complete");
  return rate;
}

struct BenchArgs {
  int rounds = 5;
  bool quick = false;
};

int cmd_bench_runtime(const BenchArgs& args) {
  int64_t scale = args.quick ? 10 : 1;
  std::vector<double> sw, timers, pingpong, fanin, loop;
  bool tty = real::stderr_is_tty();
  for (int r = 0; r < args.rounds; r++) {
    if (tty) std::fprintf(stderr, "\rbench runtime: round %d/%d", r + 1, args.rounds);
    sw.push_back(bench_fiber_switch(4'000'000 / scale));
    timers.push_back(bench_timers(2'000'000 / scale));
    pingpong.push_back(bench_sim_pingpong(1'000'000 / scale));
    fanin.push_back(bench_sim_fanin(100, 10'000 / scale));
    Result<double> l = bench_real_loopback(50'000 / scale);
    if (!l.is_ok()) {
      std::fprintf(stderr, "kz bench runtime: %s\n", l.status().to_string().c_str());
      return 1;
    }
    loop.push_back(*l);
  }
  if (tty) std::fprintf(stderr, "\n");
  nlohmann::json out = {
      {"bench", "runtime"},
      {"rounds", args.rounds},
      {"fiber_switch_ns", median(sw) / 2},
      {"yield_handoff_ns", median(sw)},
      {"timer_events_per_sec", median(timers)},
      {"sim_pingpong_deliveries_per_sec", median(pingpong)},
      {"sim_fanin_deliveries_per_sec", median(fanin)},
      {"real_loopback_round_trips_per_sec", median(loop)},
      {"method",
       fmt::format("median of {} rounds; switch: 2 fibers x {} yields; timers: {} fires with 1024 pending; "
                   "pingpong: {} deliveries of 64 B between 2 sim nodes; fanin: 100 sim clients x {} msgs of 64 B; "
                   "loopback: {} round trips of 64 B over 127.0.0.1",
                   args.rounds, 2'000'000 / scale, 2'000'000 / scale, 1'000'000 / scale, 10'000 / scale,
                   50'000 / scale)}};
  std::printf("%s\n", out.dump().c_str());
  return 0;
}

void register_bench_runtime(CLI::App& app) {
  CLI::App* bench = bench_group(app);
  static BenchArgs args;
  auto* cmd = bench->add_subcommand("runtime", "Fiber switch, timer, simulated network and loopback speed.\n"
                                               "Example:\n  kz bench runtime --rounds 5");
  cmd->add_option("--rounds", args.rounds, "rounds (the median is reported)")->default_val(5);
  cmd->add_flag("--quick", args.quick, "a tenth of the work per round");
  cmd->callback([] { set_exit_code(cmd_bench_runtime(args)); });
}

}  // namespace

KZ_COMMAND("bench-runtime", register_bench_runtime);

}  // namespace kz::cli
