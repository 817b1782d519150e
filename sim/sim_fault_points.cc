#include "sim/sim_fault_points.h"

#include <fmt/format.h>

#include "core/base/assert.h"
#include "core/io/probes.h"

namespace kz::sim {

bool SimFaultPoints::fire(std::string_view point) {
  KZ_ASSERT_MSG(io::is_fault_point(point), fmt::format("undeclared fault point '{}' (add it to core/io/probes.h)", point));
  if (!options_.enabled) return false;
  auto it = on_.find(std::string(point));
  if (it == on_.end()) it = on_.emplace(std::string(point), rng_.chance(options_.point_on_chance)).first;
  if (!it->second || !rng_.chance(options_.fire_chance)) return false;
  fired_[it->first]++;
  probes_["buggify.fired"]++;
  return true;
}

void SimFaultPoints::probe(std::string_view name) {
  KZ_ASSERT_MSG(io::is_probe(name), fmt::format("undeclared probe '{}' (add it to core/io/probes.h)", name));
  probes_[std::string(name)]++;
}

}  // namespace kz::sim
