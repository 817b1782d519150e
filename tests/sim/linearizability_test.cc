// The Wing-Gong linearizability checker on the CAS-register model: hand-made histories with known
// verdicts, and properties over histories generated from a real sequential execution.
#include "sim/testbed/linearizability.h"

#include <gtest/gtest.h>
#include <rapidcheck/gtest.h>

#include <algorithm>
#include <vector>

namespace kz::testbed::lin {
namespace {

Operation read(uint64_t id, int64_t call, int64_t ret, int64_t version, int64_t value) {
  return Operation{.id = id, .call_ns = call, .return_ns = ret, .kind = kRead, .a = version, .b = value};
}
Operation cas(uint64_t id, int64_t call, int64_t ret, int64_t expected, int64_t value) {
  return Operation{.id = id, .call_ns = call, .return_ns = ret, .kind = kCasOk, .a = expected, .b = expected + 1, .c = value};
}
Operation cas_unknown(uint64_t id, int64_t call, int64_t expected, int64_t value) {
  return Operation{.id = id, .call_ns = call, .return_ns = kPendingReturn, .kind = kCasUnknown, .a = expected, .c = value};
}

TEST(Linearizability, EmptyAndSequentialHistoriesPass) {
  EXPECT_TRUE(check(register_model(0, 0), {}).linearizable);
  std::vector<Operation> ops = {read(1, 0, 1, 0, 0), cas(2, 2, 3, 0, 7), read(3, 4, 5, 1, 7), cas(4, 6, 7, 1, 8),
                                read(5, 8, 9, 2, 8)};
  Outcome out = check(register_model(0, 0), ops);
  EXPECT_TRUE(out.linearizable);
  EXPECT_TRUE(out.decided);
}

TEST(Linearizability, StaleReadAfterAcknowledgedWriteFails) {
  // cas(0->1) returns at 3; a read invoked at 4 still sees version 0.
  std::vector<Operation> ops = {cas(1, 0, 3, 0, 7), read(2, 4, 5, 0, 0)};
  Outcome out = check(register_model(0, 0), ops);
  EXPECT_FALSE(out.linearizable);
  ASSERT_FALSE(out.stuck.empty());
  EXPECT_EQ(out.stuck.front(), 2u);
  EXPECT_EQ(out.deepest, std::vector<uint64_t>{1});
  EXPECT_EQ(out.deepest_depth, 1u);
  EXPECT_EQ(register_version(out.deepest_state), 1);
}

TEST(Linearizability, ConcurrentReadMaySeeEitherSide) {
  std::vector<Operation> before = {cas(1, 0, 10, 0, 7), read(2, 5, 6, 0, 0)};
  std::vector<Operation> after = {cas(1, 0, 10, 0, 7), read(2, 5, 6, 1, 7)};
  EXPECT_TRUE(check(register_model(0, 0), before).linearizable);
  EXPECT_TRUE(check(register_model(0, 0), after).linearizable);
}

TEST(Linearizability, TwoSuccessfulCasFromTheSameVersionFail) {
  // Both acknowledged as 0 -> 1: a lost update.
  std::vector<Operation> ops = {cas(1, 0, 5, 0, 7), cas(2, 1, 6, 0, 8)};
  EXPECT_FALSE(check(register_model(0, 0), ops).linearizable);
}

TEST(Linearizability, UnknownCasMayOrMayNotTakeEffect) {
  // Seen taking effect by a later read.
  std::vector<Operation> took = {cas_unknown(1, 0, 0, 7), read(2, 5, 6, 1, 7)};
  // Never seen: fine too.
  std::vector<Operation> lost = {cas_unknown(1, 0, 0, 7), read(2, 5, 6, 0, 0), read(3, 7, 8, 0, 0)};
  // Seen, then unseen: not linearizable.
  std::vector<Operation> flicker = {cas_unknown(1, 0, 0, 7), read(2, 5, 6, 1, 7), read(3, 7, 8, 0, 0)};
  EXPECT_TRUE(check(register_model(0, 0), took).linearizable);
  EXPECT_TRUE(check(register_model(0, 0), lost).linearizable);
  EXPECT_FALSE(check(register_model(0, 0), flicker).linearizable);
}

TEST(Linearizability, StepBudgetReportsUndecided) {
  std::vector<Operation> ops;
  for (uint64_t i = 0; i < 20; i++) ops.push_back(read(i + 1, 0, 100, 0, 0));
  ops.push_back(read(99, 101, 102, 5, 5));  // impossible: forces exploring every order
  Outcome out = check(register_model(0, 0), ops, 50);
  EXPECT_FALSE(out.decided);
}

// A history made by running operations sequentially against a true register, then widening each
// operation's interval at random: always linearizable.
struct Generated {
  std::vector<Operation> ops;
};

Generated generate(int count, int concurrency, bool with_unknown) {
  Generated g;
  int64_t version = 0, value = 0;
  int64_t t = 0;
  for (int i = 0; i < count; i++) {
    // The linearization point of op i is t; its interval reaches back and forth at random.
    t += *rc::gen::inRange(1, 4);
    int64_t call = t - *rc::gen::inRange(0, 3 * concurrency);
    int64_t ret = t + *rc::gen::inRange(0, 3 * concurrency);
    int kind = *rc::gen::inRange(0, 3);
    uint64_t id = static_cast<uint64_t>(i + 1);
    if (kind == 0) {
      g.ops.push_back(read(id, call, ret, version, value));
    } else if (kind == 1 || !with_unknown) {
      int64_t expected = *rc::gen::element(version, version, version - 1);
      if (expected == version) {
        g.ops.push_back(cas(id, call, ret, version, i + 100));
        version++;
        value = i + 100;
      }
    } else {
      int64_t expected = *rc::gen::element(version, version - 1);
      g.ops.push_back(cas_unknown(id, call, expected, i + 100));
      if (expected == version && *rc::gen::arbitrary<bool>()) {
        version++;
        value = i + 100;
      }
    }
  }
  return g;
}

RC_GTEST_PROP(LinearizabilityProperty, HistoriesOfARealRegisterAreLinearizable, ()) {
  Generated g = generate(*rc::gen::inRange(1, 120), *rc::gen::inRange(1, 6), *rc::gen::arbitrary<bool>());
  Outcome out = check(register_model(0, 0), g.ops);
  RC_ASSERT(out.decided);
  RC_ASSERT(out.linearizable);
}

RC_GTEST_PROP(LinearizabilityProperty, AReadOfAValueNeverWrittenIsCaught, ()) {
  Generated g = generate(*rc::gen::inRange(2, 80), *rc::gen::inRange(1, 5), false);
  std::vector<size_t> reads;
  for (size_t i = 0; i < g.ops.size(); i++) {
    if (g.ops[i].kind == kRead) reads.push_back(i);
  }
  RC_PRE(!reads.empty());
  size_t victim = *rc::gen::elementOf(reads);
  g.ops[victim].b = 1'000'000;  // no operation ever wrote this value
  Outcome out = check(register_model(0, 0), g.ops);
  RC_ASSERT(!out.linearizable);
  RC_ASSERT(!out.stuck.empty());
}

TEST(Linearizability, TenThousandOperationsAreQuick) {
  // Deterministic: a sequential register run by 8 clients with overlapping intervals.
  std::vector<Operation> ops;
  int64_t version = 0, value = 0;
  uint64_t x = 12345;
  auto next = [&x] {
    x ^= x << 13;
    x ^= x >> 7;
    x ^= x << 17;
    return x;
  };
  for (int i = 0; i < 10'000; i++) {
    int64_t t = 10 * i;
    int64_t call = t - static_cast<int64_t>(next() % 40), ret = t + static_cast<int64_t>(next() % 40);
    if (next() % 2 == 0) {
      ops.push_back(read(static_cast<uint64_t>(i + 1), call, ret, version, value));
    } else {
      ops.push_back(cas(static_cast<uint64_t>(i + 1), call, ret, version, i + 1));
      version++;
      value = i + 1;
    }
  }
  Outcome out = check(register_model(0, 0), ops);
  EXPECT_TRUE(out.linearizable);
  EXPECT_LT(out.steps, 2'000'000u);  // near-linear: a step budget, not a wall-clock bound
}

}  // namespace
}  // namespace kz::testbed::lin
