// The report's timeline as one inline SVG: a time axis, the fault lane, the network lane, one lane
// per server (its role over time, crashes, pauses, cuts, clock and disk faults) and one lane per
// client (each operation a bar from invocation to completion, coloured ok / fail / info, with a
// tooltip). Witness operations are outlined and marked by a band across all lanes.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "reports/run_data.h"
#include "reports/timeline.h"

namespace kz::reports {

// Which operations get drawn: all of them up to `max_ops`; beyond, every witness operation, then
// the failed / unknown ones and an even sample of the rest. Sorted by id.
struct OpSelection {
  std::vector<const Op*> drawn;
  size_t total = 0;
  std::string note;  // empty when every operation is drawn
};
OpSelection select_ops(const std::vector<Op>& ops, const std::vector<uint64_t>& witness_ids, size_t max_ops);

// The tooltip text of one operation (f, arguments, outcome, result, times).
std::string op_tooltip(const Op& op);

std::string render_timeline_svg(const Timeline& t, const OpSelection& ops, const std::vector<uint64_t>& witness_ids);

}  // namespace kz::reports
