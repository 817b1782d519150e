// index.html for `kz sim explore`: one row per seed (verdict, failed checker, simulated time) with a
// link to the seed's run directory report.
#pragma once

#include <nlohmann/json.hpp>
#include <string>

namespace kz::reports {

// `explore` is explore.json (scenario, seeds, results[], failures[]). Links are relative to the
// explore directory: seed-N/ for every seed, seed-N/report.html for failures with a "report".
std::string render_explore_index(const nlohmann::json& explore);

}  // namespace kz::reports
