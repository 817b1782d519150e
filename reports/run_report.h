// The self-contained report.html of a run directory: the verdict, the timeline, the witness table,
// Graphviz pictures of the cluster at key moments and the configuration. No external scripts, fonts
// or styles: one file that works offline.
#pragma once

#include <functional>
#include <string>

#include "core/base/status.h"
#include "reports/run_data.h"

namespace kz::reports {

// Turns Graphviz source into SVG (`dot -Tsvg`). An error means pictures are unavailable; the report
// says so and renders everything else.
using DotRenderer = std::function<Result<std::string>(const std::string& dot_source)>;

struct ReportOptions {
  std::string run_dir;          // shown in the replay command
  size_t ops_drawn_max = 3000;  // timeline bars; beyond, a sample (the page says so)
  size_t pictures_max = 24;     // cluster pictures; beyond, evenly thinned (the page says so)
  size_t table_rows_max = 200;  // rows of the fault table
};

// Pure: the page depends only on `run`, `options` and what `dot` returns.
std::string render_run_report(const RunData& run, const ReportOptions& options, const DotRenderer& dot);

}  // namespace kz::reports
