// BUGGIFY fault points and probes: off means never, on is seeded and reproducible, and only
// declared names are accepted.
#include "sim/sim_fault_points.h"

#include <gtest/gtest.h>

#include "core/io/probes.h"

namespace kz::sim {
namespace {

std::vector<bool> draws(uint64_t seed, BuggifyOptions options, std::string_view point, int n) {
  SimFaultPoints fp(io::Rng(seed), options);
  std::vector<bool> out;
  for (int i = 0; i < n; i++) out.push_back(fp.fire(point));
  return out;
}

TEST(FaultPoints, DisabledNeverFires) {
  SimFaultPoints fp(io::Rng(1), BuggifyOptions{.enabled = false, .point_on_chance = 1, .fire_chance = 1});
  for (int i = 0; i < 100; i++) EXPECT_FALSE(fp.fire("zk.server.slow_reply"));
  EXPECT_TRUE(fp.fired().empty());
}

TEST(FaultPoints, EnabledFiresAtItsRateAndIsReproducible) {
  BuggifyOptions on{.enabled = true, .point_on_chance = 1, .fire_chance = 0.25};
  std::vector<bool> a = draws(7, on, "zk.txnlog.slow_sync", 4000);
  EXPECT_EQ(a, draws(7, on, "zk.txnlog.slow_sync", 4000));
  EXPECT_NE(a, draws(8, on, "zk.txnlog.slow_sync", 4000));
  size_t fired = static_cast<size_t>(std::count(a.begin(), a.end(), true));
  EXPECT_GT(fired, 800u);
  EXPECT_LT(fired, 1200u);
}

TEST(FaultPoints, APointSwitchedOffForTheRunNeverFires) {
  BuggifyOptions off_points{.enabled = true, .point_on_chance = 0, .fire_chance = 1};
  std::vector<bool> a = draws(3, off_points, "zk.client.early_timeout", 100);
  EXPECT_EQ(std::count(a.begin(), a.end(), true), 0);
}

TEST(FaultPoints, ProbesCountAndFiringIsProbed) {
  SimFaultPoints fp(io::Rng(1), BuggifyOptions{.enabled = true, .point_on_chance = 1, .fire_chance = 1});
  fp.probe("zk.sync.snap");
  fp.probe("zk.sync.snap");
  EXPECT_TRUE(fp.fire("zk.quorum.slow_send"));
  EXPECT_EQ(fp.probes().at("zk.sync.snap"), 2u);
  EXPECT_EQ(fp.probes().at("buggify.fired"), 1u);
  EXPECT_EQ(fp.fired().at("zk.quorum.slow_send"), 1u);
}

TEST(FaultPointsDeathTest, UndeclaredNamesCrashLoudly) {
  SimFaultPoints fp(io::Rng(1), BuggifyOptions{});
  EXPECT_DEATH(fp.probe("no.such.probe"), "undeclared probe");
  EXPECT_DEATH(fp.fire("no.such.point"), "undeclared fault point");
}

TEST(FaultPoints, DeclaredNamesAreUnique) {
  for (size_t i = 0; i < io::kProbes.size(); i++) {
    for (size_t j = i + 1; j < io::kProbes.size(); j++) EXPECT_NE(io::kProbes[i], io::kProbes[j]);
  }
  for (size_t i = 0; i < io::kFaultPoints.size(); i++) {
    EXPECT_FALSE(io::is_probe(io::kFaultPoints[i]));
    for (size_t j = i + 1; j < io::kFaultPoints.size(); j++) EXPECT_NE(io::kFaultPoints[i], io::kFaultPoints[j]);
  }
}

}  // namespace
}  // namespace kz::sim
