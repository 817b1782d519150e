// Graphviz source for a picture of the cluster at one moment: servers (the leader highlighted,
// crashed and powered-off nodes greyed, paused nodes dashed), clients as boxes, and edges for who can
// reach whom: solid both ways, an arrow where only one direction works, a red dotted line for a link
// a partition cut. Clients that reach every server the same way share one box ("7 clients"). Render
// with `dot -Tsvg`.
#pragma once

#include <string>
#include <vector>

#include "reports/timeline.h"

namespace kz::reports {

std::string cluster_dot(const ClusterState& state);

// Splits the output of `dot -Tsvg` run over several graphs into one document per graph (each ends
// with </svg>).
std::vector<std::string> split_svgs(const std::string& text);

// Makes `dot -Tsvg` output embeddable in an HTML page: drops the XML prolog, doctype, comments and
// namespace declarations, and prefixes element ids with `id_prefix` so several pictures on one page
// do not share ids.
std::string inline_svg(const std::string& svg, const std::string& id_prefix);

}  // namespace kz::reports
