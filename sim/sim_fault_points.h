// The simulated FaultPoints: BUGGIFY in the spirit of FoundationDB. For each run, every fault point
// is switched on or off once, at random (so different seeds stress different combinations), and an
// enabled point fires with a fixed probability each time it is evaluated. All draws come from one
// seeded stream, so a run stays reproducible bit for bit. Probes are counted per name.
#pragma once

#include <cstdint>
#include <map>
#include <string>
#include <string_view>

#include "core/io/env.h"
#include "core/io/rng.h"

namespace kz::sim {

struct BuggifyOptions {
  bool enabled = false;           // fault points never fire when false (probes still count)
  double point_on_chance = 0.5;   // chance that a point is switched on for the run
  double fire_chance = 0.05;      // chance that an enabled point fires when evaluated
};

class SimFaultPoints final : public io::FaultPoints {
 public:
  SimFaultPoints(io::Rng rng, BuggifyOptions options) : rng_(rng), options_(options) {}
  bool fire(std::string_view point) override;
  void probe(std::string_view name) override;

  const std::map<std::string, uint64_t>& probes() const { return probes_; }
  const std::map<std::string, uint64_t>& fired() const { return fired_; }
  // Fault points switched on in this run.
  std::map<std::string, bool> switched() const { return on_; }

 private:
  io::Rng rng_;
  BuggifyOptions options_;
  std::map<std::string, bool> on_;
  std::map<std::string, uint64_t> probes_;
  std::map<std::string, uint64_t> fired_;
};

}  // namespace kz::sim
