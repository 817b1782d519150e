// RealRuntime: the Env wiring, the clock, quiescence, signals, and teardown with blocked fibers.
#include <gtest/gtest.h>

#include <signal.h>

#include <memory>
#include <vector>

#include "core/real/real_runtime.h"
#include "tests/real/temp_dir.h"

namespace kz::real {
namespace {

RealRuntimeOptions options_for(bool handle_signals) {
  RealRuntimeOptions options;
  options.handle_signals = handle_signals;
  options.log_level = Level::kWarn;
  return options;
}

std::unique_ptr<RealRuntime> make_runtime(RealRuntimeOptions options) {
  Result<std::unique_ptr<RealRuntime>> rt = RealRuntime::create(std::move(options));
  KZ_ASSERT_MSG(rt.is_ok(), rt.status().to_string());
  return std::move(rt).value();
}

bool sigterm_blocked() {
  sigset_t now;
  pthread_sigmask(SIG_SETMASK, nullptr, &now);
  return sigismember(&now, SIGTERM) == 1;
}

TEST(RealRuntime, EnvIsWired) {
  kz::testing::TempDir dir;
  RealRuntimeOptions options = options_for(false);
  options.node = "zk1";
  options.seed = 1234;
  options.fs_root = dir.path();
  auto rt = make_runtime(options);
  io::Env& env = rt->env();
  EXPECT_EQ(env.node, "zk1");
  EXPECT_EQ(env.sched, &rt->sched());
  EXPECT_EQ(env.group, &rt->group());
  EXPECT_EQ(env.clock, &rt->clock());
  EXPECT_EQ(env.net, &rt->net());
  EXPECT_EQ(env.fs, &rt->fs());
  EXPECT_EQ(env.faults, nullptr);
  EXPECT_FALSE(env.buggify("anything"));
  EXPECT_EQ(env.log.node(), "zk1");
  // The given seed drives the Rng.
  EXPECT_EQ(rt->seed(), 1234u);
  io::Rng expected(1234);
  for (int i = 0; i < 4; i++) EXPECT_EQ(env.rng->next_u64(), expected.next_u64());
  // The Fs is rooted where asked.
  ASSERT_TRUE(env.fs->write_file_atomic("x", std::vector<uint8_t>{1, 2}).is_ok());
  EXPECT_TRUE(*rt->fs().exists(dir.path() + "/x"));
}

TEST(RealRuntime, SeedsDifferWithoutAGivenSeed) {
  auto a = make_runtime(options_for(false));
  auto b = make_runtime(options_for(false));
  EXPECT_NE(a->seed(), b->seed());  // 2^-64 chance of a false failure
}

TEST(RealRuntime, SleepsWakeInDeadlineOrderAndTakeRealTime) {
  auto rt = make_runtime(options_for(false));
  std::vector<int> order;
  int64_t start_ns = rt->clock().now_ns();
  int64_t wall_start_ms = rt->clock().wall_ms();
  for (int i : {3, 1, 2}) {
    rt->env().spawn("sleeper", [&, i] {
      rt->clock().sleep_for(ms_to_ns(10 * i));
      order.push_back(i);
    });
  }
  EXPECT_EQ(rt->run(), rt::Scheduler::RunResult::kQuiescent);
  int64_t elapsed_ns = rt->clock().now_ns() - start_ns;
  EXPECT_EQ(order, (std::vector<int>{1, 2, 3}));
  EXPECT_GE(elapsed_ns, ms_to_ns(30));
  EXPECT_LT(elapsed_ns, sec_to_ns(5));
  EXPECT_GT(wall_start_ms, int64_t{1'600'000'000'000});  // after 2020: the real wall clock
  EXPECT_GE(rt->clock().wall_ms() - wall_start_ms, 25);
  EXPECT_EQ(rt->clock().deadline_after_ns(-1), kNever);
}

TEST(RealRuntime, SigtermStopsRunAndMaskIsRestored) {
  ASSERT_FALSE(sigterm_blocked());
  {
    auto rt = make_runtime(options_for(true));
    EXPECT_TRUE(sigterm_blocked());
    auto listener = std::move(rt->net().listen({"127.0.0.1", 0})).value();
    bool accept_returned = false;
    rt->env().spawn("server", [&] {
      // Blocked forever: only the signal can end this run.
      (void)listener->accept();
      accept_returned = true;
    });
    rt->env().spawn("killer", [&] {
      rt->clock().sleep_for(ms_to_ns(5));
      raise(SIGTERM);  // blocked, so pending until the signalfd reads it
    });
    EXPECT_EQ(rt->run_for(sec_to_ns(20)), rt::Scheduler::RunResult::kStopped);
    EXPECT_EQ(rt->stop_signal(), SIGTERM);
    EXPECT_FALSE(accept_returned);
    EXPECT_EQ(rt->driver().blocked_fibers(), 1u);
    // Destroying the runtime unwinds the blocked fiber (before the listener goes: the lambda
    // holds a reference, the stack is unwound by kill()).
    rt->group().kill();
    EXPECT_EQ(rt->driver().blocked_fibers(), 0u);
  }
  EXPECT_FALSE(sigterm_blocked());
}

TEST(RealRuntime, DestructionUnwindsFibersBlockedOnSockets) {
  auto rt = make_runtime(options_for(false));
  bool unwound = false;
  rt->env().spawn("server", [&] {
    struct Mark {
      bool* flag;
      ~Mark() { *flag = true; }
    } mark{&unwound};
    auto listener = std::move(rt->net().listen({"127.0.0.1", 0})).value();
    (void)listener->accept();  // never returns normally
  });
  EXPECT_EQ(rt->run_for(ms_to_ns(20)), rt::Scheduler::RunResult::kLimitReached);
  EXPECT_EQ(rt->driver().registered(), 1u);
  rt.reset();  // the driver asserts that no registration outlives it
  EXPECT_TRUE(unwound);
}

TEST(RealRuntime, StopFromAFiber) {
  auto rt = make_runtime(options_for(false));
  int ticks = 0;
  rt->env().spawn("ticker", [&] {
    for (;;) {
      rt->clock().sleep_for(ms_to_ns(1));
      if (++ticks == 3) rt->stop();
    }
  });
  EXPECT_EQ(rt->run(), rt::Scheduler::RunResult::kStopped);
  EXPECT_EQ(ticks, 3);
}

}  // namespace
}  // namespace kz::real
