#include <gtest/gtest.h>
#include <rapidcheck/gtest.h>

#include <map>
#include <string>
#include <vector>

#include "core/runtime/scheduler.h"
#include "core/runtime/sync.h"
#include "tests/runtime/virtual_driver.h"

namespace kz::rt {
namespace {

using kz::testing::VirtualDriver;

TEST(Scheduler, RunsFibersInSpawnOrder) {
  VirtualDriver d;
  Scheduler s(d);
  TaskGroup g(s, "g");
  std::vector<int> order;
  for (int i = 0; i < 5; i++) g.spawn("f", [&, i] { order.push_back(i); });
  EXPECT_EQ(s.run_until(), Scheduler::RunResult::kQuiescent);
  EXPECT_EQ(order, (std::vector<int>{0, 1, 2, 3, 4}));
  EXPECT_EQ(g.fiber_count(), 0u);
}

TEST(Scheduler, YieldInterleavesRoundRobin) {
  VirtualDriver d;
  Scheduler s(d);
  TaskGroup g(s, "g");
  std::string trace;
  for (char c : std::string("ab")) {
    g.spawn("f", [&, c] {
      for (int i = 0; i < 3; i++) {
        trace += c;
        s.yield();
      }
    });
  }
  s.run_until();
  EXPECT_EQ(trace, "ababab");
}

TEST(Scheduler, SleepAdvancesVirtualTime) {
  VirtualDriver d;
  Scheduler s(d);
  TaskGroup g(s, "g");
  std::vector<std::pair<int, int64_t>> wakes;
  g.spawn("late", [&] {
    s.sleep_for(ms_to_ns(30));
    wakes.push_back({1, s.now_ns()});
  });
  g.spawn("early", [&] {
    s.sleep_for(ms_to_ns(10));
    wakes.push_back({2, s.now_ns()});
  });
  s.run_until();
  ASSERT_EQ(wakes.size(), 2u);
  EXPECT_EQ(wakes[0], std::make_pair(2, ms_to_ns(10)));
  EXPECT_EQ(wakes[1], std::make_pair(1, ms_to_ns(30)));
}

TEST(Scheduler, NoBlockSectionAllowsWakingOthersButNotBlocking) {
  VirtualDriver d;
  Scheduler s(d);
  TaskGroup g(s, "g");
  Event e(s);
  std::string trace;
  g.spawn("waiter", [&] {
    e.wait();
    trace += "w";
  });
  g.spawn("section", [&] {
    {
      Scheduler::NoBlockSection no_block(s);
      e.set();  // waking another fiber does not block this one
      trace += "s";
    }
    s.yield();  // outside the section: allowed again
    trace += "y";
  });
  s.run_until();
  EXPECT_EQ(trace, "swy");
}

TEST(SchedulerDeathTest, BlockingInsideNoBlockSectionCrashesNamingTheFiber) {
  auto blocks = [](int how) {
    VirtualDriver d;
    Scheduler s(d);
    TaskGroup g(s, "g");
    g.spawn("stepper", [&] {
      Scheduler::NoBlockSection no_block(s);
      if (how == 0) s.yield();
      if (how == 1) s.sleep_for(ms_to_ns(1));
      if (how == 2) {
        Event never(s);
        never.wait();
      }
    });
    s.run_until();
  };
  EXPECT_DEATH(blocks(0), "fiber 'stepper' blocked inside a section that must not block");
  EXPECT_DEATH(blocks(1), "fiber 'stepper' blocked inside a section that must not block");
  EXPECT_DEATH(blocks(2), "fiber 'stepper' blocked inside a section that must not block");
}

TEST(Scheduler, RunUntilStopsAtLimit) {
  VirtualDriver d;
  Scheduler s(d);
  TaskGroup g(s, "g");
  int ticks = 0;
  g.spawn("ticker", [&] {
    for (;;) {
      s.sleep_for(ms_to_ns(1));
      ticks++;
    }
  });
  EXPECT_EQ(s.run_until(ms_to_ns(100)), Scheduler::RunResult::kLimitReached);
  EXPECT_EQ(d.now_, ms_to_ns(100));
  EXPECT_EQ(ticks, 100);
  g.kill();
  EXPECT_EQ(g.fiber_count(), 0u);
  EXPECT_EQ(s.timers_pending(), 0u);
}

TEST(Scheduler, KillUnwindsStacksRunningDestructors) {
  VirtualDriver d;
  Scheduler s(d);
  TaskGroup g(s, "node");
  int destroyed = 0;
  struct Guard {
    int* n;
    ~Guard() { (*n)++; }
  };
  Event never(s);
  g.spawn("blocked-on-event", [&] {
    Guard guard{&destroyed};
    never.wait();
    ADD_FAILURE() << "woke up after kill";
  });
  g.spawn("sleeping", [&] {
    Guard guard{&destroyed};
    s.sleep_for(sec_to_ns(100));
    ADD_FAILURE() << "woke up after kill";
  });
  s.run_until(ms_to_ns(1));
  // A fiber spawned but never run is ended without running.
  g.spawn("queued", [&] { ADD_FAILURE() << "queued fiber ran after kill"; });
  g.kill();
  EXPECT_EQ(destroyed, 2);
  EXPECT_EQ(g.fiber_count(), 0u);
  EXPECT_EQ(s.timers_pending(), 0u);
  EXPECT_EQ(s.run_until(), Scheduler::RunResult::kQuiescent);
}

TEST(Scheduler, KillFromAnotherGroupsFiber) {
  VirtualDriver d;
  Scheduler s(d);
  TaskGroup victim(s, "victim");
  TaskGroup nemesis(s, "nemesis");
  int progress = 0;
  victim.spawn("worker", [&] {
    for (;;) {
      s.sleep_for(ms_to_ns(1));
      progress++;
    }
  });
  nemesis.spawn("crash", [&] {
    s.sleep_for(ms_to_ns(10));
    victim.kill();
    // The group can be reused: a restarted node.
    victim.spawn("restarted", [&] { progress = 1000; });
  });
  s.run_until();
  EXPECT_EQ(progress, 1000);
}

// Deferred work runs once per arming, when the arming fiber gives up the CPU and before any other
// fiber runs; armed in a timer's callback, right after that callback.
TEST(SchedulerDeferred, RunsWhenTheArmingFiberParksBeforeAnyOtherFiber) {
  VirtualDriver d;
  Scheduler s(d);
  TaskGroup g(s, "g");
  std::string trace;
  struct Ctx {
    std::string* trace;
  } ctx{&trace};
  Scheduler::Deferred flush(s, [](void* c) { *static_cast<Ctx*>(c)->trace += 'F'; }, &ctx);
  g.spawn("a", [&] {
    trace += 'a';
    flush.arm();
    flush.arm();  // once per run, however often armed
    trace += 'a';
    EXPECT_TRUE(flush.armed());
    s.yield();  // F here, before b
    EXPECT_FALSE(flush.armed());
    trace += 'a';
    flush.arm();
    s.sleep_for(ms_to_ns(1));  // F here too
    trace += 'a';
  });
  g.spawn("b", [&] { trace += 'b'; });
  s.add_timer(ms_to_ns(1) / 2, [&] {
    trace += 't';
    flush.arm();  // runs after this callback, before the next fiber or timer
  });
  EXPECT_EQ(s.run_until(), Scheduler::RunResult::kQuiescent);
  EXPECT_EQ(trace, "aaFbaFtFa");
}

TEST(SchedulerDeferred, ArmedInAKilledFiberDoesNotRunAndDestructorDisarms) {
  VirtualDriver d;
  Scheduler s(d);
  TaskGroup victim(s, "victim");
  int runs = 0;
  Scheduler::Deferred flush(s, [](void* c) { ++*static_cast<int*>(c); }, &runs);
  struct ArmOnUnwind {
    Scheduler::Deferred* d;
    ~ArmOnUnwind() { d->arm(); }  // e.g. a send from a destructor while the crash unwinds
  };
  Event never(s);
  victim.spawn("worker", [&] {
    ArmOnUnwind guard{&flush};
    never.wait();
  });
  s.run_until(ms_to_ns(1));
  EXPECT_EQ(runs, 0);
  victim.kill();
  EXPECT_EQ(runs, 0);  // a crashed node sends nothing more
  EXPECT_FALSE(flush.armed());
  {
    auto* gone = new Scheduler::Deferred(s, [](void* c) { ++*static_cast<int*>(c); }, &runs);
    victim.spawn("arm-then-free", [&] {
      gone->arm();
      delete gone;  // disarmed: nothing dangles
    });
  }
  s.run_until();
  EXPECT_EQ(runs, 0);
}

TEST(Scheduler, PauseHoldsWakeupsAndResumeReleasesThem) {
  VirtualDriver d;
  Scheduler s(d);
  TaskGroup node(s, "node");
  TaskGroup ctl(s, "ctl");
  std::vector<int64_t> ticks;
  node.spawn("ticker", [&] {
    for (int i = 0; i < 5; i++) {
      s.sleep_for(ms_to_ns(10));
      ticks.push_back(s.now_ns());
    }
  });
  ctl.spawn("pauser", [&] {
    s.sleep_for(ms_to_ns(25));
    node.pause();
    s.sleep_for(ms_to_ns(100));
    node.resume();
  });
  s.run_until();
  ASSERT_EQ(ticks.size(), 5u);
  EXPECT_EQ(ticks[0], ms_to_ns(10));
  EXPECT_EQ(ticks[1], ms_to_ns(20));
  // The wake-up due at 30 ms is held until the resume at 125 ms.
  EXPECT_EQ(ticks[2], ms_to_ns(125));
  EXPECT_EQ(ticks[3], ms_to_ns(135));
}

TEST(Sync, ChannelIsBoundedAndFifo) {
  VirtualDriver d;
  Scheduler s(d);
  TaskGroup g(s, "g");
  Channel<int> ch(s, 2);
  std::vector<int> got;
  std::vector<size_t> sizes_seen;
  g.spawn("producer", [&] {
    for (int i = 0; i < 10; i++) {
      ASSERT_TRUE(ch.send(i));
      sizes_seen.push_back(ch.size());
    }
    ch.close();
  });
  g.spawn("consumer", [&] {
    while (auto v = ch.recv()) got.push_back(*v);
  });
  s.run_until();
  EXPECT_EQ(got, (std::vector<int>{0, 1, 2, 3, 4, 5, 6, 7, 8, 9}));
  for (size_t n : sizes_seen) EXPECT_LE(n, 2u);
}

TEST(Sync, FutureDeliversValueAndBrokenPromise) {
  VirtualDriver d;
  Scheduler s(d);
  TaskGroup g(s, "g");
  auto p = std::make_unique<Promise<int>>(s);
  Future<int> f = p->future();
  auto broken = std::make_unique<Promise<int>>(s);
  Future<int> fb = broken->future();
  int value = 0;
  Code broken_code = Code::kOk;
  g.spawn("waiter", [&] {
    value = f.get().value();
    broken_code = fb.get().status().code();
  });
  g.spawn("setter", [&] {
    s.sleep_for(ms_to_ns(5));
    p->set_value(42);
    broken.reset();
  });
  s.run_until();
  EXPECT_EQ(value, 42);
  EXPECT_EQ(broken_code, Code::kCancelled);
}

TEST(Sync, WaitAnyReturnsFirstReadyOrTimesOut) {
  VirtualDriver d;
  Scheduler s(d);
  TaskGroup g(s, "g");
  Event a(s), b(s);
  int first = -2, second = -2;
  int64_t timed_out_at = 0;
  g.spawn("waiter", [&] {
    first = wait_any(s, {&a, &b}, ms_to_ns(100));
    Event never(s);
    second = wait_any(s, {&never}, ms_to_ns(50));
    timed_out_at = s.now_ns();
  });
  g.spawn("setter", [&] {
    s.sleep_for(ms_to_ns(7));
    b.set();
  });
  s.run_until();
  EXPECT_EQ(first, 1);
  EXPECT_EQ(second, -1);
  EXPECT_EQ(timed_out_at, ms_to_ns(57));
  EXPECT_EQ(s.timers_pending(), 0u);
}

// Property: timers fire in (deadline, creation order), whatever the insertion order.
RC_GTEST_PROP(SchedulerProps, TimersFireInDeadlineThenSequenceOrder, (const std::vector<uint8_t>& delays)) {
  VirtualDriver d;
  Scheduler s(d);
  std::vector<std::pair<int64_t, size_t>> fired;
  for (size_t i = 0; i < delays.size(); i++) {
    int64_t deadline = delays[i] % 16;
    s.add_timer(deadline, [&fired, deadline, i] { fired.push_back({deadline, i}); });
  }
  s.run_until();
  RC_ASSERT(fired.size() == delays.size());
  for (size_t i = 1; i < fired.size(); i++) RC_ASSERT(fired[i - 1] < fired[i]);
}

// Property: cancelled timers never fire; the others all do.
RC_GTEST_PROP(SchedulerProps, CancelledTimersNeverFire, (const std::vector<bool>& cancel)) {
  VirtualDriver d;
  Scheduler s(d);
  std::vector<TimerId> ids;
  std::vector<bool> fired(cancel.size(), false);
  for (size_t i = 0; i < cancel.size(); i++) {
    ids.push_back(s.add_timer(static_cast<int64_t>(i % 7), [&fired, i] { fired[i] = true; }));
  }
  for (size_t i = 0; i < cancel.size(); i++) {
    if (cancel[i]) RC_ASSERT(s.cancel_timer(ids[i]));
  }
  s.run_until();
  for (size_t i = 0; i < cancel.size(); i++) RC_ASSERT(fired[i] == !cancel[i]);
}

// Property: timers added with a function pointer and with a std::function share one order, and
// cancelling some (enough to compact the heap) leaves the rest in (deadline, creation) order.
RC_GTEST_PROP(SchedulerProps, MixedTimerKindsFireInOneOrder, (const std::vector<uint8_t>& delays)) {
  VirtualDriver d;
  Scheduler s(d);
  std::vector<std::pair<int64_t, size_t>> fired;
  std::vector<TimerId> ids;
  struct Ctx {
    std::vector<std::pair<int64_t, size_t>>* fired;
    std::vector<int64_t> deadlines;
  } ctx{&fired, {}};
  for (size_t i = 0; i < delays.size(); i++) {
    int64_t deadline = delays[i] % 32;
    ctx.deadlines.push_back(deadline);
    if (delays[i] & 0x40) {
      ids.push_back(s.add_timer(
          deadline,
          [](void* c, uint64_t k) {
            auto* x = static_cast<Ctx*>(c);
            x->fired->push_back({x->deadlines[k], static_cast<size_t>(k)});
          },
          &ctx, i));
    } else {
      ids.push_back(s.add_timer(deadline, [&fired, deadline, i] { fired.push_back({deadline, i}); }));
    }
  }
  size_t cancelled = 0;
  for (size_t i = 0; i < delays.size(); i++) {
    if (delays[i] & 0x80) {
      RC_ASSERT(s.cancel_timer(ids[i]));
      cancelled++;
    }
  }
  RC_ASSERT(s.timers_pending() == delays.size() - cancelled);
  s.run_until();
  RC_ASSERT(fired.size() == delays.size() - cancelled);
  for (size_t i = 1; i < fired.size(); i++) RC_ASSERT(fired[i - 1] < fired[i]);
  for (const auto& [deadline, i] : fired) RC_ASSERT((delays[i] & 0x80) == 0);
  RC_ASSERT(s.timers_pending() == 0u);
}

// Property: a channel delivers every item once, in order, never holding more than its capacity.
RC_GTEST_PROP(SyncProps, ChannelFifoUnderRandomSchedules, (const std::vector<uint8_t>& pauses)) {
  size_t capacity = *rc::gen::inRange<size_t>(1, 5);
  VirtualDriver d;
  Scheduler s(d);
  TaskGroup g(s, "g");
  Channel<size_t> ch(s, capacity);
  std::vector<size_t> got;
  size_t n = pauses.size();
  bool over = false;
  g.spawn("producer", [&] {
    for (size_t i = 0; i < n; i++) {
      if (pauses[i] & 1) s.sleep_for(pauses[i]);
      ch.send(i);
      over = over || ch.size() > capacity;
    }
    ch.close();
  });
  g.spawn("consumer", [&] {
    size_t i = 0;
    while (auto v = ch.recv()) {
      got.push_back(*v);
      if (i < n && (pauses[i] & 2)) s.sleep_for(pauses[i] / 2);
      i++;
    }
  });
  s.run_until();
  RC_ASSERT(!over);
  RC_ASSERT(got.size() == n);
  for (size_t i = 0; i < n; i++) RC_ASSERT(got[i] == i);
}

// Property: with timers added at every scale (the same instant, past deadlines, within and beyond
// the wheel's ~33 ms, seconds ahead, never) from inside callbacks as time moves on, and cancelled at
// random, each timer that fires is the earliest pending one by (deadline, creation order), and
// exactly the cancelled and never-due ones do not fire.
RC_GTEST_PROP(SchedulerProps, TimersAtAllScalesFireInReferenceOrder, (const std::vector<uint32_t>& script)) {
  VirtualDriver d;
  Scheduler s(d);
  struct Pending {
    TimerId id;
    size_t index;
  };
  std::map<std::pair<int64_t, size_t>, Pending> reference;  // (deadline, index) -> timer
  std::vector<std::pair<int64_t, size_t>> keys;              // index -> key
  size_t pos = 0;
  size_t fired = 0;
  size_t cancelled = 0;
  bool order_ok = true;
  std::function<void(size_t)> on_fire;
  auto add = [&](uint32_t op) {
    const int64_t now = d.now_ns();
    const uint32_t mag = op >> 4;
    int64_t deadline;
    switch (op % 8) {
      case 0: deadline = now; break;
      case 1: deadline = now - static_cast<int64_t>(mag % 100000); break;  // already due
      case 2: deadline = now + mag % 1000; break;
      case 3: deadline = now + mag % ms_to_ns(40); break;                  // around the wheel's span
      case 4: deadline = now + ms_to_ns(30) + mag % ms_to_ns(8); break;    // its edge
      case 5: deadline = now + mag % ms_to_ns(10000); break;
      case 6: deadline = (op & 0x8000) ? kNever : now + mag % ms_to_ns(100); break;
      default: deadline = now + (mag % 64) * (int64_t{1} << 15); break;    // bucket boundaries
    }
    const size_t index = keys.size();
    keys.push_back({deadline, index});
    const TimerId id = s.add_timer(deadline, [&on_fire, index] { on_fire(index); });
    reference.emplace(keys.back(), Pending{id, index});
  };
  auto step = [&] {
    // Each timer that fires runs the next op or two of the script: add one or cancel one.
    for (int n = 0; n < 2 && pos < script.size(); n++) {
      const uint32_t op = script[pos++];
      if ((op & 0x30000) == 0x30000 && !reference.empty()) {
        auto it = reference.begin();
        std::advance(it, static_cast<long>((op >> 4) % reference.size()));
        if (!s.cancel_timer(it->second.id)) order_ok = false;
        reference.erase(it);
        cancelled++;
      } else {
        add(op);
      }
    }
  };
  on_fire = [&](size_t index) {
    if (reference.empty() || reference.begin()->first != keys[index]) order_ok = false;
    if (d.now_ns() < keys[index].first) order_ok = false;  // fired early
    reference.erase(keys[index]);
    fired++;
    step();
  };
  for (int i = 0; i < 8; i++) step();
  s.run_until();
  RC_ASSERT(order_ok);
  while (pos < script.size()) step();  // the rest adds and cancels with no time passing
  for (const auto& [key, p] : reference) {
    if (key.first != kNever) continue;
    RC_ASSERT(s.timer_pending(p.id));
  }
  s.run_until();
  RC_ASSERT(order_ok);
  for (const auto& [key, p] : reference) RC_ASSERT(key.first == kNever);
  RC_ASSERT(s.timers_pending() == reference.size());
  RC_ASSERT(fired + cancelled + reference.size() == keys.size());
}

}  // namespace
}  // namespace kz::rt
