// Run-directory glue for the command line: reads a run directory's files, renders report.html (with
// Graphviz through the host's `dot`), and writes index.html for an explore directory.
#pragma once

#include <string>

#include "core/base/status.h"
#include "reports/run_report.h"

namespace kz::reports {

// Renders Graphviz source with `dot -Tsvg` found on PATH (an error if dot is missing or fails).
DotRenderer host_dot_renderer();

// Reads DIR/summary.json, history.jsonl, events.jsonl and scenario.toml (or the summary's
// scenario_text) and writes DIR/report.html. Returns the report's path.
Result<std::string> write_run_report(const std::string& dir, const DotRenderer& dot);

// Reads DIR/explore.json and writes DIR/index.html. Returns the index's path.
Result<std::string> write_explore_index(const std::string& dir);

}  // namespace kz::reports
